//! The CV curve of `logit cv --plot`: the mean held-out metric against `log(lambda)` with error
//! bars of one standard error, and dashed lines at lambda_min and lambda_1se, as glmnet's
//! `plot(cv.glmnet(...))`.

use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::{legend, plot_err, svg, PlotError, CURVE, FONT, GRID, MARK, REFERENCE, SECOND};

/// The curve: `lambdas` (descending, > 0), `cvm` and `cvsd` per lambda, the indices of the two
/// choices, the metric's name for the axis, and whether higher is better (which puts the
/// legend in the corner the curve leaves empty: a loss rises towards large lambdas, a score
/// falls).
pub fn cv_curve_svg(
    lambdas: &[f64],
    cvm: &[f64],
    cvsd: &[f64],
    (min, one_se): (usize, usize),
    metric: &str,
    higher_is_better: bool,
) -> Result<String, PlotError> {
    let x: Vec<f64> = lambdas.iter().map(|l| l.ln()).collect();
    let (mut x_lo, mut x_hi) = x
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    if !(x_lo.is_finite() && x_hi.is_finite()) {
        (x_lo, x_hi) = (-1.0, 0.0);
    }
    let x_pad = ((x_hi - x_lo) * 0.04).max(0.5);
    let (x_lo, x_hi) = (x_lo - x_pad, x_hi + x_pad);
    let bars: Vec<(f64, f64, f64)> = x
        .iter()
        .zip(cvm.iter().zip(cvsd))
        .filter(|(_, (m, s))| m.is_finite() && s.is_finite())
        .map(|(&xv, (&m, &s))| (xv, m - s, m + s))
        .collect();
    let (lo, hi) = bars
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &(_, l, h)| {
            (a.min(l), b.max(h))
        });
    let (lo, hi) = if lo.is_finite() && hi.is_finite() {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    let pad = ((hi - lo) * 0.08).max(1e-9);
    let (y_lo, y_hi) = (lo - pad, hi + pad);
    let at = |i: usize| lambdas.get(i).map_or(f64::NAN, |l| l.ln());
    svg((820, 560), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(format!("Cross-validation: {metric}"), (FONT, 22))
            .margin(18)
            .x_label_area_size(48)
            .y_label_area_size(80)
            .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .x_desc("log(lambda)")
            .y_desc(format!("Mean held-out {metric} (+- 1 s.e.)"))
            .x_label_formatter(&|v| format!("{v:.1}"))
            .y_label_formatter(&|v| format!("{v:.3}"))
            .axis_desc_style((FONT, 16))
            .label_style((FONT, 13))
            .light_line_style(WHITE)
            .bold_line_style(GRID)
            .draw()
            .map_err(plot_err)?;
        let bar = ShapeStyle::from(&REFERENCE).stroke_width(1);
        let half = (x_hi - x_lo) * 0.004;
        for &(xv, l, h) in &bars {
            chart
                .draw_series([
                    PathElement::new(vec![(xv, l), (xv, h)], bar),
                    PathElement::new(vec![(xv - half, l), (xv + half, l)], bar),
                    PathElement::new(vec![(xv - half, h), (xv + half, h)], bar),
                ])
                .map_err(plot_err)?;
        }
        let points: Vec<(f64, f64)> = x
            .iter()
            .zip(cvm)
            .filter(|p| p.1.is_finite())
            .map(|(&a, &b)| (a, b))
            .collect();
        let line = ShapeStyle::from(&CURVE).stroke_width(1);
        chart
            .draw_series(LineSeries::new(points.clone(), line))
            .map_err(plot_err)?;
        chart
            .draw_series(
                points
                    .iter()
                    .map(|&p| Circle::new(p, 3, ShapeStyle::from(&MARK).filled())),
            )
            .map_err(plot_err)?
            .label(format!("mean {metric}"))
            .legend(|(x, y)| Circle::new((x + 11, y), 3, ShapeStyle::from(&MARK).filled()));
        for (i, colour, name) in [(min, CURVE, "lambda_min"), (one_se, SECOND, "lambda_1se")] {
            let style = ShapeStyle::from(&colour).stroke_width(2);
            let xv = at(i);
            let label = format!(
                "{name} = {:.4e}",
                lambdas.get(i).copied().unwrap_or(f64::NAN)
            );
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(xv, y_lo), (xv, y_hi)],
                    6,
                    5,
                    style,
                ))
                .map_err(plot_err)?
                .label(label)
                .legend(move |(x, y)| {
                    DashedPathElement::new(vec![(x, y), (x + 22, y)], 5, 3, style)
                });
        }
        let corner = if higher_is_better {
            SeriesLabelPosition::UpperRight
        } else {
            SeriesLabelPosition::LowerRight
        };
        legend(&mut chart, corner)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cv_curve_is_an_svg_with_both_choices_marked() {
        let lambdas = [0.2, 0.1, 0.05, 0.01];
        let cvm = [1.3, 1.1, 1.0, 1.02];
        let cvsd = [0.05, 0.04, 0.03, 0.03];
        let svg = cv_curve_svg(&lambdas, &cvm, &cvsd, (2, 1), "deviance", false).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        for want in [
            "Cross-validation: deviance",
            "lambda_min = 5.0000e-2",
            "lambda_1se = 1.0000e-1",
            "log(lambda)",
        ] {
            assert!(svg.contains(want), "{want}");
        }
    }
}

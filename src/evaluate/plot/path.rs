//! The coefficient paths of `logit path --plot`: every standardised coefficient against
//! `log(lambda)`, one labelled line per feature (per class and feature for a multinomial path),
//! as glmnet's `plot(fit, xvar = "lambda")`.

use plotters::prelude::*;

use super::multiclass::{ascii_label, colour};
use super::{legend, plot_err, svg, swatch, PlotError, FONT, GRID, REFERENCE};

/// Most lines that get a legend entry (all lines are labelled at their small-lambda end).
const LEGEND_LINES: usize = 12;

/// The paths: `lambdas` (descending, > 0), `coefficients[l][j]` the standardised coefficient `j`
/// at lambda `l`, `names[j]` its label; `alpha` (the l1-ratio) goes in the title.
pub fn coefficient_paths_svg(
    lambdas: &[f64],
    coefficients: &[Vec<f64>],
    names: &[String],
    alpha: f64,
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
    if x_hi - x_lo < 1e-9 {
        (x_lo, x_hi) = (x_lo - 0.5, x_hi + 0.5);
    }
    let finite = coefficients.iter().flatten().filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((0.0f64, 0.0f64), |(a, b), &v| (a.min(v), b.max(v)));
    let pad = ((hi - lo) * 0.06).max(1e-6);
    let (y_lo, y_hi) = (lo - pad, hi + pad);
    // Room on the left for the labels at the small-lambda end.
    let span = x_hi - x_lo;
    let x_left = x_lo - span * 0.18;
    let title = if alpha == 1.0 {
        "Lasso coefficient paths".to_string()
    } else {
        format!("Elastic-net coefficient paths (l1-ratio {alpha})")
    };
    svg((860, 600), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(&title, (FONT, 22))
            .margin(18)
            .x_label_area_size(48)
            .y_label_area_size(70)
            .build_cartesian_2d(x_left..x_hi, y_lo..y_hi)
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .x_desc("log(lambda)")
            .y_desc("Coefficient (standardised)")
            .x_label_formatter(&|v| format!("{v:.1}"))
            .y_label_formatter(&|v| format!("{v:.2}"))
            .axis_desc_style((FONT, 16))
            .label_style((FONT, 13))
            .light_line_style(WHITE)
            .bold_line_style(GRID)
            .draw()
            .map_err(plot_err)?;
        let zero = ShapeStyle::from(&REFERENCE).stroke_width(1);
        chart
            .draw_series(LineSeries::new(vec![(x_lo, 0.0), (x_hi, 0.0)], zero))
            .map_err(plot_err)?;
        for (j, name) in names.iter().enumerate() {
            let line = ShapeStyle::from(&colour(j)).stroke_width(2);
            let points: Vec<(f64, f64)> = x
                .iter()
                .zip(coefficients)
                .filter_map(|(&xv, row)| row.get(j).map(|&v| (xv, v)))
                .filter(|p| p.1.is_finite())
                .collect();
            let label = ascii_label(name);
            let series = chart
                .draw_series(LineSeries::new(points.clone(), line))
                .map_err(plot_err)?;
            if j < LEGEND_LINES {
                series.label(label.clone()).legend(swatch(line));
            }
            // The name beside the line's small-lambda end (the leftmost point).
            if let Some(&(px, py)) = points.iter().min_by(|a, b| a.0.total_cmp(&b.0)) {
                chart
                    .draw_series(std::iter::once(Text::new(
                        label,
                        (px - span * 0.17, py),
                        (FONT, 11).into_font().color(&colour(j)),
                    )))
                    .map_err(plot_err)?;
            }
        }
        if !names.is_empty() {
            legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_an_svg_with_every_feature_labelled() {
        let lambdas = [0.2, 0.1, 0.05, 0.01];
        let coefficients = vec![
            vec![0.0, 0.0],
            vec![0.3, 0.0],
            vec![0.6, -0.1],
            vec![0.8, -0.4],
        ];
        let names = vec!["glu".to_string(), "bmi=high".to_string()];
        let svg = coefficient_paths_svg(&lambdas, &coefficients, &names, 1.0).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        for want in ["Lasso coefficient paths", "log(lambda)", "glu", "bmi=high"] {
            assert!(svg.contains(want), "{want}");
        }
        let one = coefficient_paths_svg(&[0.5], &[vec![0.0]], &names[..1], 0.5).unwrap();
        assert!(one.contains("l1-ratio 0.5"));
    }
}

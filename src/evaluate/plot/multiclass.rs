//! Charts of a multiclass evaluation: one-vs-rest ROC curves (one per class, in one chart) and
//! the top-label reliability diagram (confidence of the predicted class against the rate at
//! which the prediction is right, Guo et al. 2017).

use plotters::prelude::*;

use super::{draw_diagonal, legend, plot_err, reliability_svg, svg, swatch, three, unit_chart};
use super::{PlotError, CURVE, SECOND};
use crate::evaluate::calibration::Calibration;

/// Matplotlib's "tab10" palette after its first two colours (which [`CURVE`] and [`SECOND`] are).
const MORE: [RGBColor; 8] = [
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The colour of curve `i`, cycling through ten.
pub(super) fn colour(i: usize) -> RGBColor {
    match i % 10 {
        0 => CURVE,
        1 => SECOND,
        j => MORE[j - 2],
    }
}

/// One class's one-vs-rest ROC curve: its label, points `(fpr, tpr)` and AUC.
#[derive(Debug, Clone, PartialEq)]
pub struct RocCurve {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    pub auc: Option<f64>,
}

/// `label` for the chart: ASCII only (plotters' built-in metrics), at most 24 characters.
pub(super) fn ascii_label(label: &str) -> String {
    let mut s: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    if s.chars().count() > 24 {
        s = s.chars().take(21).collect::<String>() + "...";
    }
    s
}

/// The one-vs-rest ROC curve of every class in one chart (class `k` against the rest, ranked by
/// its probability), each AUC in the legend, the macro average in the title.
pub fn ovr_roc_svg(curves: &[RocCurve], macro_auc: Option<f64>) -> Result<String, PlotError> {
    svg((640, 620), |root| {
        let title = format!("One-vs-rest ROC (macro AUC = {})", three(macro_auc));
        let mut chart = unit_chart(
            root,
            &title,
            "False positive rate (1 - specificity)",
            "True positive rate (recall)",
        )?;
        draw_diagonal(&mut chart, "chance (AUC = 0.5)")?;
        for (i, c) in curves.iter().enumerate() {
            let line = ShapeStyle::from(&colour(i)).stroke_width(2);
            chart
                .draw_series(LineSeries::new(c.points.clone(), line))
                .map_err(plot_err)?
                .label(format!(
                    "{} (AUC = {})",
                    ascii_label(&c.label),
                    three(c.auc)
                ))
                .legend(swatch(line));
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight)
    })
}

/// The top-label reliability diagram: per bin of the predicted class's probability, the
/// fraction of rows whose prediction is right, with the histogram of rows per bin.
pub fn multiclass_calibration_svg(cal: &Calibration) -> Result<String, PlotError> {
    reliability_svg(
        cal,
        None,
        "Calibration, top label (reliability diagram)",
        "Probability of the predicted class",
        "Fraction predicted right",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::calibration::reliability_weighted;

    #[test]
    fn ovr_roc_and_top_label_charts_draw() {
        let curves = vec![
            RocCurve {
                label: "setosa".into(),
                points: vec![(0.0, 0.0), (0.0, 1.0), (1.0, 1.0)],
                auc: Some(1.0),
            },
            RocCurve {
                label: "vérsicolor".into(),
                points: vec![(0.0, 0.0), (0.5, 0.5), (1.0, 1.0)],
                auc: Some(0.5),
            },
            RocCurve {
                label: "virginica".into(),
                points: vec![],
                auc: None,
            },
        ];
        let svg = ovr_roc_svg(&curves, None).unwrap_or_default();
        assert!(svg.starts_with("<svg"), "{svg:.80}");
        for want in [
            "setosa (AUC = 1.000)",
            "v?rsicolor (AUC = 0.500)",
            "virginica (AUC = undefined)",
            "macro AUC = undefined",
        ] {
            assert!(svg.contains(want), "{want}");
        }
        let cal = reliability_weighted(&[0.9, 0.6, 0.4, 0.8], &[true, false, true, true], None, 10);
        let svg = multiclass_calibration_svg(&cal).unwrap_or_default();
        assert!(svg.contains("top label") && svg.contains("Fraction predicted right"));
        assert!(!svg.contains("threshold"));
    }
}

//! Text and JSON renderings of a multiclass evaluation: the scalar metrics, the confusion
//! matrix and the per-class table.

use std::fmt::Write;

use super::{display_name, format_significant, show};
use crate::evaluate::calibration::Calibration;
use crate::evaluate::gate::GateResult;
use crate::evaluate::metrics::{MulticlassMetrics, MULTICLASS_METRIC_NAMES};

/// A count or weighted sum for a table: whole numbers as integers, others in their shortest
/// form when that is short (`1.5`), else to 6 significant digits.
pub fn count_text(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return format!("{}", v as i64);
    }
    let short = format!("{v}");
    if short.len() <= 10 {
        return short;
    }
    let rounded = format_significant(v, 6);
    if rounded.contains('.') && !rounded.contains('e') {
        rounded
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    } else {
        rounded
    }
}

/// The report `eval` prints for a multiclass model: the scalar metrics, the confusion matrix
/// (rows true class, columns predicted, model class order) and the per-class table.
pub fn multiclass_table(m: &MulticlassMetrics) -> String {
    let mut s = String::new();
    let names: Vec<String> = m
        .per_class
        .iter()
        .map(|c| display_name(&c.label).into_owned())
        .collect();
    let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    let _ = write!(
        s,
        "{} classes ({}), n = {}",
        names.len(),
        quoted.join(", "),
        m.n
    );
    if let Some(w) = m.weight_sum {
        let _ = write!(s, ", weight sum {}", count_text(w));
    }
    let _ = writeln!(s);
    for name in MULTICLASS_METRIC_NAMES.iter().filter(|n| **n != "n") {
        let _ = writeln!(s, "{name:<18} {}", show(m.value(name).flatten()));
    }
    let _ = writeln!(
        s,
        "(macro = unweighted mean over the classes; roc_auc = macro one-vs-rest; log_loss is \
         computed from the linear scores, so it needs no clipping{})",
        if m.weight_sum.is_some() {
            "; every number weighted by --weight"
        } else {
            ""
        }
    );

    let cells: Vec<Vec<String>> = m
        .confusion
        .iter()
        .map(|row| row.iter().map(|&v| count_text(v)).collect())
        .collect();
    let first = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0)
        .max("true \\ predicted".len());
    let width = names
        .iter()
        .map(|n| n.chars().count())
        .chain(cells.iter().flatten().map(String::len))
        .max()
        .unwrap_or(1);
    let _ = writeln!(
        s,
        "\nconfusion matrix (rows: true class, columns: predicted class):"
    );
    let _ = write!(s, "{:<first$}", "true \\ predicted");
    for n in &names {
        let _ = write!(s, "  {n:>width$}");
    }
    let _ = writeln!(s);
    for (n, row) in names.iter().zip(&cells) {
        let _ = write!(s, "{n:<first$}");
        for c in row {
            let _ = write!(s, "  {c:>width$}");
        }
        let _ = writeln!(s);
    }

    let cw = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0)
        .max(5);
    let sw = m
        .per_class
        .iter()
        .map(|c| count_text(c.support).len())
        .max()
        .unwrap_or(0)
        .max(7);
    let _ = writeln!(
        s,
        "\n{:<cw$}  {:>9}  {:>6}  {:>6}  {:>sw$}",
        "class", "precision", "recall", "f1", "support"
    );
    for (n, c) in names.iter().zip(&m.per_class) {
        let _ = writeln!(
            s,
            "{n:<cw$}  {:>9.4}  {:>6.4}  {:>6.4}  {:>sw$}",
            c.precision,
            c.recall,
            c.f1,
            count_text(c.support)
        );
    }
    let _ = writeln!(
        s,
        "(a class never predicted has precision 0, one without rows recall 0)"
    );
    s
}

/// The one-line top-label calibration summary of the multiclass text report.
pub fn multiclass_calibration_summary(cal: &Calibration) -> String {
    format!(
        "calibration (top label): ECE {} over {} equal-width bins of the predicted class's \
         probability (MCE {}); accuracy {} vs mean confidence {}\n",
        show(cal.ece),
        cal.bins.len(),
        show(cal.mce),
        show(cal.base_rate),
        show(cal.mean_predicted)
    )
}

/// The JSON object of `eval --json` for a multiclass model: the contract's keys
/// (`n, accuracy, balanced_accuracy, macro_precision, macro_recall, macro_f1, weighted_f1,
/// log_loss, brier, roc_auc, confusion, per_class`), `weight_sum` with `--weight`, `classes`,
/// the top-label `calibration` and the `gates` with their verdicts.
pub fn multiclass_json_value(
    m: &MulticlassMetrics,
    calibration: &Calibration,
    gates: &[GateResult],
) -> serde_json::Value {
    let mut value = serde_json::to_value(m).expect("metrics serialise");
    if let Some(obj) = value.as_object_mut() {
        let classes: Vec<String> = m.per_class.iter().map(|c| c.label.clone()).collect();
        obj.insert("classes".into(), classes.into());
        obj.insert(
            "calibration".into(),
            serde_json::to_value(calibration).expect("calibration serialises"),
        );
        obj.insert(
            "gates".into(),
            serde_json::to_value(gates).expect("gates serialise"),
        );
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::metrics::{evaluate_multiclass, ClassProbabilities};

    fn metrics(weights: Option<&[f64]>) -> MulticlassMetrics {
        let p = ClassProbabilities::from_probabilities(
            3,
            vec![0.7, 0.2, 0.1, 0.1, 0.6, 0.3, 0.2, 0.5, 0.3, 0.3, 0.3, 0.4],
        );
        let labels: Vec<String> = ["setosa", "versicolor", "virginica"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        evaluate_multiclass(&p, &[0, 1, 2, 2], weights, &labels)
    }

    #[test]
    fn table_shows_metrics_confusion_and_per_class() {
        let text = multiclass_table(&metrics(None));
        assert!(text.starts_with("3 classes (\"setosa\", \"versicolor\", \"virginica\"), n = 4\n"));
        assert!(text.contains("accuracy           0.750000\n"), "{text}");
        // Rows true, columns predicted: virginica has one row predicted versicolor.
        assert!(
            text.contains("true \\ predicted      setosa  versicolor   virginica\n"),
            "{text}"
        );
        assert!(
            text.contains("virginica                  0           1           1\n"),
            "{text}"
        );
        assert!(
            text.contains("versicolor     0.5000  1.0000  0.6667        1\n"),
            "{text}"
        );
    }

    #[test]
    fn weighted_table_and_json() {
        let m = metrics(Some(&[0.5, 1.0, 1.5, 2.0]));
        let text = multiclass_table(&m);
        assert!(text.contains("n = 4, weight sum 5\n"), "{text}");
        assert!(text.contains("weighted by --weight"), "{text}");
        assert!(
            text.contains("virginica                  0         1.5           2\n"),
            "{text}"
        );
        let cal = crate::evaluate::calibration::reliability_weighted(&[0.5], &[true], None, 10);
        let v = multiclass_json_value(&m, &cal, &[]);
        assert_eq!(v["weight_sum"], serde_json::json!(5.0));
        assert_eq!(v["confusion"][2], serde_json::json!([0, 1.5, 2]));
        assert_eq!(v["classes"][1], serde_json::json!("versicolor"));
        assert!(v["gates"].as_array().is_some_and(Vec::is_empty));
    }
}

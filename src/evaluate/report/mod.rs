//! Human-readable and JSON renderings of a fitted model and of evaluation metrics.
//!
//! Pure functions from values to text; the commands decide where the text goes (reports of a
//! training run to stderr, eval output to stdout).

use std::borrow::Cow;
use std::fmt::Write;

use crate::evaluate::calibration::Calibration;
use crate::evaluate::gate::GateResult;
use crate::evaluate::metrics::{Metrics, METRIC_NAMES};
use crate::evaluate::threshold::ThresholdPoint;
use crate::fit::solvers::linfa::CrossCheck;
use crate::fit::solvers::StopReason;
use crate::model::Model;

mod multiclass;
pub mod network;
mod training;

pub use training::multiclass_training_report;

pub use multiclass::{
    count_text, multiclass_calibration_summary, multiclass_json_value, multiclass_table,
};

/// The short report `train` prints to stderr.
pub fn training_report(model: &Model, cross: Option<&CrossCheck>) -> String {
    if let Some(network) = &model.network {
        return network::training_report(model, network);
    }
    if !model.is_binary() {
        return multiclass_training_report(model, cross);
    }
    let mut s = String::new();
    let fit = &model.fit;
    let t = &model.training;
    match (model.binary(), model.binary_counts()) {
        (Some((labels, _)), Some((n_positive, n_negative))) => {
            let _ = writeln!(
                s,
                "trained on {} rows ({} {:?} positive, {} {:?} negative), {} features",
                t.n_rows,
                n_positive,
                labels.positive,
                n_negative,
                labels.negative,
                model.features.len()
            );
            if let Some(line) = training::weights_line(model) {
                let _ = writeln!(s, "{line}");
            }
        }
        _ => {
            let counts: Vec<String> = model
                .classes
                .iter()
                .zip(&t.class_counts)
                .map(|(c, n)| format!("{n} {c:?}"))
                .collect();
            let _ = writeln!(
                s,
                "trained on {} rows ({}), {} features, {} model of {} classes",
                t.n_rows,
                counts.join(", "),
                model.features.len(),
                model.kind_name(),
                model.n_classes()
            );
        }
    }
    let _ = writeln!(
        s,
        "objective: mean log loss + {} on {} features{}",
        training::penalty_terms(model, "w"),
        if model.objective.standardize {
            "standardised"
        } else {
            "raw"
        },
        if model.objective.fit_intercept {
            ", intercept unpenalised"
        } else {
            ", no intercept"
        }
    );
    if let Some(line) = training::penalty_line(model) {
        let _ = writeln!(s, "{line}");
    }
    let _ = writeln!(
        s,
        "solver {}",
        training::solver_line(fit, training::gradient_name(model), "iterations")
    );
    // One-vs-rest: the line above sums the K fits; each fit gets its own line.
    for (class, f) in model.classes.iter().zip(&model.fits) {
        let _ = writeln!(
            s,
            "  class {class:?} against the rest: {} after {} iterations, objective {:.10}, gradient max-norm {:.2e}",
            if f.converged { "converged" } else { "NOT converged" },
            f.iterations,
            f.objective,
            f.gradient_norm
        );
    }
    if let Some(c) = cross {
        let _ = writeln!(
            s,
            "cross-check with linfa-logistic: max |coefficient difference| {:.3e} (relative {:.3e}), objective difference {:.3e}",
            c.max_coefficient_difference, c.max_relative_coefficient_difference, c.objective_difference
        );
    }
    let names: Vec<Cow<str>> = model
        .features
        .iter()
        .map(|f| display_name(&f.name))
        .collect();
    let width = names
        .iter()
        .map(|name| name.chars().count())
        .max()
        .unwrap_or(0)
        .max(11);
    for k in 0..model.n_scores() {
        if !model.is_binary() {
            let _ = writeln!(s, "class {:?}:", display_name(&model.classes[k]));
        }
        let _ = writeln!(
            s,
            "{:<width$}  {:>15}  {:>15}",
            "feature", "coefficient", "standardised"
        );
        if model.objective.fit_intercept {
            let _ = writeln!(
                s,
                "{:<width$}  {:>15}  {:>15}",
                "(intercept)",
                format_significant(model.intercepts[k], 7),
                format_significant(model.intercepts_standardized[k], 7)
            );
        }
        for (j, name) in names.iter().enumerate() {
            let _ = writeln!(
                s,
                "{:<width$}  {:>15}  {:>15}",
                name,
                format_significant(model.coefficients[k][j], 7),
                format_significant(model.coefficients_standardized[k][j], 7)
            );
        }
    }
    s
}

/// The labels of a binary model; the metric renderings below are binary (`eval` refuses a
/// multiclass model before computing them).
fn labels(model: &Model) -> &crate::data::schema::Labels {
    model.binary().expect("binary metrics of a binary model").0
}

/// What is wrong with how `model` was fitted, in one line, or `None` when its fit converged.
/// `predict`, `eval`, `summary` and `threshold` print it to stderr, so that a model trained
/// under separation or stopped short of its tolerance is never used silently; `train` has said
/// so at fitting time, but the model file may travel far from that message.
pub fn fit_warning(model: &Model) -> Option<String> {
    let fit = &model.fit;
    // A network is rarely fitted to a zero gradient (scikit-learn's defaults stop it at 200
    // iterations or epochs, early stopping by design); train reported how it stopped.
    if fit.converged || model.is_network() {
        return None;
    }
    Some(if fit.stop_reason == StopReason::Separation {
        format!(
            "the model was fitted to separated classes (its fit report says stop_reason \
             \"separation\"): its maximum-likelihood estimate does not exist, so the coefficients \
             are where the {} solver stopped and its probabilities are overconfident; retrain \
             with --l2 > 0 (or drop the separating feature)",
            fit.solver
        )
    } else {
        // cd is the one solver for an L1 term, so another --solver is no advice there.
        let advice = if model.is_lasso() {
            "a larger --max-iter or --tol"
        } else {
            "a larger --max-iter, another --solver or --l2 > 0"
        };
        format!(
            "the model did not converge (its fit report says stop_reason \"{}\": the {} solver \
             stopped after {} iterations with {} max-norm {:.2e} > tol {:.0e}): its \
             coefficients are where the solver stopped; retrain with {advice}",
            fit.stop_reason,
            fit.solver,
            fit.iterations,
            training::gradient_name(model),
            fit.gradient_norm,
            fit.tol
        )
    })
}

/// Longest name, in characters, that a text table shows whole. Longer names (a column name or
/// category level can be any length) are shortened in the middle for display, which keeps both
/// the column and the level of a one-hot `column=level` readable, and keeps every width argument
/// far below the formatter's limit of 65,535. JSON output always carries the full name.
pub const MAX_DISPLAY_NAME: usize = 60;

/// `name` as a text table shows it: control characters escaped (a quoted CSV header may hold a
/// newline or tab, which would break the table's lines), then at most [`MAX_DISPLAY_NAME`]
/// characters, the middle replaced by `...` when longer.
pub fn display_name(name: &str) -> Cow<'_, str> {
    let plain = !name.chars().any(char::is_control);
    if plain && name.chars().count() <= MAX_DISPLAY_NAME {
        return Cow::Borrowed(name);
    }
    let mut escaped: Vec<char> = Vec::new();
    for c in name.chars() {
        if c.is_control() {
            escaped.extend(c.escape_default());
        } else {
            escaped.push(c);
        }
    }
    if escaped.len() <= MAX_DISPLAY_NAME {
        return Cow::Owned(escaped.into_iter().collect());
    }
    const ELLIPSIS: &str = "...";
    let keep = MAX_DISPLAY_NAME - ELLIPSIS.len();
    let head = keep - keep / 3;
    let tail = keep / 3;
    let mut out: String = escaped[..head].iter().collect();
    out.push_str(ELLIPSIS);
    out.extend(&escaped[escaped.len() - tail..]);
    Cow::Owned(out)
}

/// Formats a number with `digits` significant digits, in fixed notation for magnitudes in
/// [1e-4, 1e6) and scientific otherwise (like C's `%g`, which Rust lacks).
pub fn format_significant(v: f64, digits: usize) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let magnitude = v.abs().log10().floor() as i32;
    if (-4..6).contains(&magnitude) {
        let decimals = (digits as i32 - 1 - magnitude).max(0) as usize;
        format!("{v:.decimals$}")
    } else {
        format!("{v:.prec$e}", prec = digits.saturating_sub(1))
    }
}

fn show(v: Option<f64>) -> String {
    match v {
        Some(v) => format!("{v:.6}"),
        None => "undefined".to_string(),
    }
}

/// The metrics table `eval` prints by default.
pub fn metrics_table(m: &Metrics, model: &Model) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "positive label {:?}, threshold {}, n = {}{}",
        display_name(&labels(model).positive),
        m.threshold,
        m.n,
        m.weight_sum
            .map_or_else(String::new, |w| format!(", weight sum {}", count_text(w)))
    );
    let counts = [m.tp, m.fn_, m.fp, m.tn].map(count_text);
    let w = counts
        .iter()
        .map(String::len)
        .chain([m.n.to_string().len(), 9])
        .max()
        .unwrap_or(9);
    let _ = writeln!(s, "{:<18} {:>w$} {:>w$}", "", "predicted", "predicted");
    let _ = writeln!(s, "{:<18} {:>w$} {:>w$}", "", "positive", "negative");
    let _ = writeln!(
        s,
        "{:<18} {:>w$} {:>w$}",
        "actual positive", counts[0], counts[1]
    );
    let _ = writeln!(
        s,
        "{:<18} {:>w$} {:>w$}",
        "actual negative", counts[2], counts[3]
    );
    for name in METRIC_NAMES {
        if matches!(*name, "n" | "tp" | "fp" | "tn" | "fn" | "threshold") {
            continue;
        }
        let v = m.value(name).flatten();
        let _ = writeln!(s, "{name:<18} {}", show(v));
    }
    let _ = writeln!(
        s,
        "(log_loss is computed from the linear score, so it needs no clipping)"
    );
    s
}

/// The one JSON object `eval --json` prints: every metric (null when undefined), the positive
/// label, and the gates with their verdicts.
pub fn metrics_json(m: &Metrics, model: &Model, gates: &[GateResult]) -> String {
    serde_json::to_string_pretty(&metrics_json_value(m, model, gates)).expect("json")
}

/// [`metrics_json`] as a JSON value, for `eval` to add its optional sections to.
pub fn metrics_json_value(m: &Metrics, model: &Model, gates: &[GateResult]) -> serde_json::Value {
    let mut value = serde_json::to_value(m).expect("metrics serialise");
    if let Some(obj) = value.as_object_mut() {
        obj.insert(
            "positive_label".into(),
            labels(model).positive.clone().into(),
        );
        obj.insert(
            "negative_label".into(),
            labels(model).negative.clone().into(),
        );
        obj.insert("log_loss_clipping".into(), serde_json::Value::Null);
        obj.insert(
            "gates".into(),
            serde_json::to_value(gates).expect("gates serialise"),
        );
    }
    value
}

/// A threshold in its shortest round-trip form, scientific below 1e-4 (plain `{}` would print
/// a probability of 1e-300 with 300 zeros, and make the table's column that wide).
pub fn threshold_text(t: f64) -> String {
    if t == 0.0 || t.abs() >= 1e-4 {
        format!("{t}")
    } else {
        format!("{t:e}")
    }
}

/// A rate with 4 decimals, or `-` when undefined (for tables).
fn rate(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{v:.4}"))
}

/// The `eval --thresholds` table (`points` ascending), then the thresholds that maximise F1 and
/// Youden's J over all `n_cuts` distinct predicted probabilities.
pub fn threshold_table(
    points: &[ThresholdPoint],
    best_f1: Option<&ThresholdPoint>,
    best_youden: Option<&ThresholdPoint>,
    n_cuts: usize,
    model: &Model,
) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\nthresholds (predicted positive iff P({:?}) >= threshold):",
        display_name(&labels(model).positive)
    );
    let tw = points
        .iter()
        .map(|p| threshold_text(p.threshold).len())
        .max()
        .unwrap_or(0)
        .max(9);
    let cw = points
        .first()
        .map_or(2, |p| (p.tp + p.fp + p.tn + p.fn_).to_string().len())
        .max(4);
    let _ = writeln!(
        s,
        "{:>tw$}  {:>9}  {:>6}  {:>6}  {:>11}  {:>8}  {:>cw$}  {:>cw$}  {:>cw$}  {:>cw$}",
        "threshold", "precision", "recall", "f1", "specificity", "youden_j", "tp", "fp", "tn", "fn"
    );
    for p in points {
        let _ = writeln!(
            s,
            "{:>tw$}  {:>9}  {:>6}  {:>6}  {:>11}  {:>8}  {:>cw$}  {:>cw$}  {:>cw$}  {:>cw$}",
            threshold_text(p.threshold),
            rate(p.precision),
            rate(p.recall),
            rate(p.f1),
            rate(p.specificity),
            rate(p.youden_j),
            p.tp,
            p.fp,
            p.tn,
            p.fn_
        );
    }
    let _ = writeln!(
        s,
        "(- = undefined; precision is undefined where no row is predicted positive)"
    );
    let _ = writeln!(
        s,
        "optimal thresholds over all {n_cuts} distinct predicted probabilities:"
    );
    match best_f1 {
        Some(p) => s += &threshold_line("max f1", p),
        None => s += "max f1       undefined: the data has no positive rows\n",
    }
    match best_youden {
        Some(p) => s += &threshold_line("max youden", p),
        None => s += "max youden   undefined: the data needs both classes\n",
    }
    s
}

/// One chosen threshold with its rates and counts, e.g. for `--pick`. The threshold is printed
/// in full (shortest round-trip form, see [`threshold_text`]), so it can be passed back to
/// `--threshold` exactly.
pub fn threshold_line(label: &str, p: &ThresholdPoint) -> String {
    format!(
        "{label:<12} threshold {}: f1 {}, precision {}, recall {}, specificity {}, youden_j {} (tp {}, fp {}, tn {}, fn {})\n",
        threshold_text(p.threshold),
        rate(p.f1),
        rate(p.precision),
        rate(p.recall),
        rate(p.specificity),
        rate(p.youden_j),
        p.tp,
        p.fp,
        p.tn,
        p.fn_
    )
}

/// The one-line calibration summary of the `eval` text report.
pub fn calibration_summary(cal: &Calibration) -> String {
    format!(
        "calibration: ECE {} over {} equal-width bins (MCE {}); base rate {} vs mean predicted probability {}\n",
        show(cal.ece),
        cal.bins.len(),
        show(cal.mce),
        show(cal.base_rate),
        show(cal.mean_predicted)
    )
}

/// The reliability table (`eval --calibration`): per bin, the rows, positives, mean predicted
/// probability, observed positive rate and their gap.
pub fn calibration_table(cal: &Calibration) -> String {
    reliability_table(
        cal,
        "pos",
        "(ECE = sum over bins of rows/n x |observed rate - mean predicted|; - = empty bin)",
    )
}

/// The top-label reliability table of a multiclass evaluation (`eval --calibration`): per
/// bin of the predicted class's probability, the rows and how many were predicted right.
pub fn top_label_calibration_table(cal: &Calibration) -> String {
    reliability_table(
        cal,
        "right",
        "(top label: a row's probability is its predicted class's, observed rate = fraction \
         predicted right; ECE = sum over bins of rows/n x |observed rate - mean predicted|; - = \
         empty bin; weighted by --weight when given)",
    )
}

fn reliability_table(cal: &Calibration, positives: &str, footer: &str) -> String {
    let mut s = String::new();
    let w = cal.n.to_string().len().max(5);
    let _ = writeln!(
        s,
        "\n{:<10}  {:>w$}  {:>w$}  {:>14}  {:>13}  {:>6}",
        "bin", "rows", positives, "mean predicted", "observed rate", "gap"
    );
    let last = cal.bins.len().saturating_sub(1);
    for (i, b) in cal.bins.iter().enumerate() {
        let bin = format!(
            "[{:.1}, {:.1}{}",
            b.lower,
            b.upper,
            if i == last { "]" } else { ")" }
        );
        let gap = match (b.observed_rate, b.mean_predicted) {
            (Some(o), Some(m)) => Some((o - m).abs()),
            _ => None,
        };
        let _ = writeln!(
            s,
            "{bin:<10}  {:>w$}  {:>w$}  {:>14}  {:>13}  {:>6}",
            b.count,
            b.n_positive,
            rate(b.mean_predicted),
            rate(b.observed_rate),
            rate(gap)
        );
    }
    let _ = writeln!(s, "{footer}");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significant_digits_switch_to_scientific_outside_fixed_range() {
        assert_eq!(format_significant(0.0340291834, 4), "0.03403");
        assert_eq!(format_significant(-8.756461, 7), "-8.756461");
        assert_eq!(format_significant(123456.7, 3), "123457");
        assert_eq!(format_significant(1.5e-7, 3), "1.50e-7");
        assert_eq!(format_significant(2.5e9, 2), "2.5e9");
        assert_eq!(format_significant(0.0, 3), "0");
    }

    #[test]
    fn thresholds_print_in_shortest_round_trip_form_scientific_when_tiny() {
        for t in [0.5, 0.30980197641, 1e-4, 0.0, 1.0, 4.9e-6, 1e-300, 5e-324] {
            let text = threshold_text(t);
            assert_eq!(text.parse::<f64>(), Ok(t), "{text}");
            assert!(text.len() <= 24, "{text}");
        }
        assert_eq!(threshold_text(4.9e-6), "4.9e-6");
        assert_eq!(threshold_text(0.25), "0.25");
    }

    #[test]
    fn long_names_are_shortened_in_the_middle_and_control_characters_escaped() {
        assert_eq!(display_name("glu"), "glu");
        let exact = "x".repeat(MAX_DISPLAY_NAME);
        assert_eq!(display_name(&exact), exact);
        let long = format!("{}={}", "c".repeat(70_000), "l".repeat(70_000));
        let shown = display_name(&long);
        assert_eq!(shown.chars().count(), MAX_DISPLAY_NAME);
        assert!(shown.starts_with("ccc") && shown.ends_with("lll") && shown.contains("..."));
        assert_eq!(display_name("a\nb\tc"), "a\\nb\\tc");
        // Multi-byte characters are cut on character boundaries.
        let wide = "\u{e9}".repeat(100);
        assert_eq!(display_name(&wide).chars().count(), MAX_DISPLAY_NAME);
    }
}

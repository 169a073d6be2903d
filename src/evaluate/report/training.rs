//! The report `train` prints for a multiclass model: classes and their counts, weights, the
//! objective, the solver's report (one line per class for one-vs-rest), and the coefficients
//! as one table per scale with a column per class.

use std::fmt::Write;

use super::{display_name, format_significant};
use crate::fit::solvers::linfa::CrossCheck;
use crate::fit::solvers::FitReport;
use crate::model::{ClassWeightMode, Model, ModelKind};

/// What a fit's `gradient_norm` measures: with an L1 term, the minimum-norm subgradient.
pub(super) fn gradient_name(model: &Model) -> &'static str {
    if model.objective.l1 > 0.0 {
        "min-norm subgradient"
    } else {
        "gradient"
    }
}

/// One solver report in one line; `unit` counts the solver's steps (`iterations`, or `epochs`
/// for adam).
pub(super) fn solver_line(fit: &FitReport, gradient: &str, unit: &str) -> String {
    // The exact end game's Newton steps (fit::solvers::polish) follow the solver's iterations.
    let newton = match fit.newton_steps {
        0 => String::new(),
        1 => " + 1 Newton step".to_string(),
        k => format!(" + {k} Newton steps"),
    };
    format!(
        "{}: {} after {} {unit}{newton}, objective {:.10}, {gradient} max-norm {:.2e} (tol {:.0e})",
        fit.solver,
        if fit.converged {
            "converged"
        } else {
            "NOT converged"
        },
        fit.iterations,
        fit.objective,
        fit.gradient_norm,
        fit.tol
    )
}

/// The penalty terms of the objective line: `(l2/2)||w||^2` (as before issue 10), `l1 ||w||_1`
/// for the lasso, both for the elastic net (`w` is the coefficient symbol, `w` or `W`).
pub(super) fn penalty_terms(model: &Model, w: &str) -> String {
    let o = &model.objective;
    let l2 = format!("({}/2)||{w}||^2", o.l2);
    match (o.l1 > 0.0, o.l2 > 0.0) {
        (true, true) => format!("{} ||{w}||_1 + {l2}", o.l1),
        (true, false) => format!("{} ||{w}||_1", o.l1),
        (false, _) => l2,
    }
}

/// With an L1 term: the two penalties and the model's size, `k of p coefficients are non-zero`
/// (multiclass: of K x p).
pub(super) fn penalty_line(model: &Model) -> Option<String> {
    let o = &model.objective;
    if o.l1 == 0.0 {
        return None;
    }
    let p = model.features.len();
    let of = if model.n_scores() == 1 {
        format!("{p}")
    } else {
        format!("{} x {p} = {}", model.n_scores(), model.n_scores() * p)
    };
    Some(format!(
        "penalty: l1 = {}, l2 = {}; {} of {of} coefficients are non-zero",
        o.l1,
        o.l2,
        model.nonzero_coefficients()
    ))
}

/// The weights line, when the fit was weighted.
pub(super) fn weights_line(model: &Model) -> Option<String> {
    let o = &model.objective;
    if !o.is_weighted() {
        return None;
    }
    let t = &model.training;
    let mut parts = Vec::new();
    if let Some(col) = &o.weight {
        parts.push(format!("row weights from column {:?}", display_name(col)));
    }
    if let Some(cw) = &o.class_weight {
        let given: Vec<String> = model
            .classes
            .iter()
            .zip(&cw.weights)
            .map(|(c, w)| format!("{}={}", display_name(c), format_significant(*w, 6)))
            .collect();
        let mode = match cw.mode {
            ClassWeightMode::Balanced => "balanced",
            ClassWeightMode::Given => "given",
        };
        parts.push(format!("class weights {mode} ({})", given.join(", ")));
    }
    Some(format!(
        "weights: {}; S = sum of s_i = {}, {} rows of weight 0",
        parts.join("; "),
        super::count_text(t.weight_sum),
        t.n_zero_weight
    ))
}

/// The short report of a multiclass model (see the module doc).
pub fn multiclass_training_report(model: &Model, cross: Option<&CrossCheck>) -> String {
    let mut s = String::new();
    let t = &model.training;
    let k = model.n_classes();
    let counts: Vec<String> = model
        .classes
        .iter()
        .zip(&t.class_counts)
        .map(|(c, n)| format!("{n} {:?}", display_name(c)))
        .collect();
    let _ = writeln!(
        s,
        "trained on {} rows ({}), {} features, {} model of {k} classes",
        t.n_rows,
        counts.join(", "),
        model.features.len(),
        model.kind_name(),
    );
    if let Some(line) = weights_line(model) {
        let _ = writeln!(s, "{line}");
    }
    let o = &model.objective;
    let mean = if o.is_weighted() {
        "weighted mean"
    } else {
        "mean"
    };
    let loss = match model.kind {
        ModelKind::Ovr => format!("{k} binary fits (class against the rest), each {mean} log loss"),
        _ => format!("{mean} multinomial log loss (softmax over {k} classes)"),
    };
    let _ = writeln!(
        s,
        "objective: {loss} + {} on {} features{}",
        penalty_terms(model, "W"),
        if o.standardize { "standardised" } else { "raw" },
        if o.fit_intercept {
            ", intercepts unpenalised"
        } else {
            ", no intercepts"
        }
    );
    if let Some(line) = penalty_line(model) {
        let _ = writeln!(s, "{line}");
    }
    let _ = writeln!(
        s,
        "solver {}",
        solver_line(&model.fit, gradient_name(model), "iterations")
    );
    if matches!(model.kind, ModelKind::Ovr) {
        for (c, fit) in model.classes.iter().zip(&model.fits) {
            let _ = writeln!(
                s,
                "  class {:?}: {}",
                display_name(c),
                solver_line(fit, gradient_name(model), "iterations")
            );
        }
    }
    if let Some(c) = cross {
        let _ = writeln!(
            s,
            "cross-check with linfa: max |coefficient difference| {:.3e} (relative {:.3e}), objective difference {:.3e}",
            c.max_coefficient_difference, c.max_relative_coefficient_difference, c.objective_difference
        );
    }
    let _ = writeln!(s, "coefficients (original units), one column per class:");
    s += &coefficient_table(model, &model.intercepts, &model.coefficients);
    let _ = writeln!(s, "coefficients on the standardised features:");
    s += &coefficient_table(
        model,
        &model.intercepts_standardized,
        &model.coefficients_standardized,
    );
    s
}

/// Rows: the intercept and each feature; columns: the classes.
fn coefficient_table(model: &Model, intercepts: &[f64], coefficients: &[Vec<f64>]) -> String {
    let mut s = String::new();
    let names: Vec<String> = model
        .features
        .iter()
        .map(|f| display_name(&f.name).into_owned())
        .collect();
    let classes: Vec<String> = model
        .classes
        .iter()
        .map(|c| display_name(c).into_owned())
        .collect();
    let first = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0)
        .max(11);
    let width = classes
        .iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(0)
        .max(13);
    let _ = write!(s, "{:<first$}", "feature");
    for c in &classes {
        let _ = write!(s, "  {c:>width$}");
    }
    let _ = writeln!(s);
    let mut row = |name: &str, values: &mut dyn Iterator<Item = f64>| {
        let _ = write!(s, "{name:<first$}");
        for v in values {
            let _ = write!(s, "  {:>width$}", format_significant(v, 7));
        }
        let _ = writeln!(s);
    };
    if model.objective.fit_intercept {
        row("(intercept)", &mut intercepts.iter().copied());
    }
    for (j, name) in names.iter().enumerate() {
        row(name, &mut coefficients.iter().map(|w| w[j]));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The iris reference fit `i` as a model file (as `tests/v2_eval.rs` builds them).
    fn iris_model(i: usize, weighted: bool) -> Model {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/multi/iris.expected.json"
        );
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let case: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let fit = &case["fits"][i];
        let names = case["features"].as_array().cloned().unwrap_or_default();
        let st = &case["standardization"];
        let features: Vec<_> = (0..names.len())
            .map(|j| json!({"name": names[j], "mean": st["mean"][j], "std": st["std"][j]}))
            .collect();
        let columns: Vec<_> = names
            .iter()
            .map(|n| json!({"name": n, "kind": "numeric"}))
            .collect();
        let report = |o: &serde_json::Value| {
            json!({"solver": "lbfgs", "converged": true, "stop_reason": "converged",
                   "iterations": 30, "objective": o, "gradient_norm": 1e-13, "tol": 1e-10,
                   "max_iter": 1000})
        };
        let ovr = fit["mode"] == "ovr";
        let mut m = json!({
            "format": "logit-model", "version": 2, "tool_version": "test",
            "target": case["target"], "classes": case["classes"], "multiclass": fit["mode"],
            "objective": {"definition": "test",
                          "family": if ovr { "binomial" } else { "multinomial" },
                          "l2": fit["lambda"], "fit_intercept": true, "standardize": true,
                          "weight": if weighted { json!("w") } else { json!(null) },
                          "class_weight": null},
            "missing": {"policy": "error", "na_values": ["NA"], "rows_dropped": 0},
            "columns": columns, "features": features,
            "coefficients": fit["coefficients"],
            "coefficients_standardized": fit["coefficients_standardized"],
            "intercepts": fit["intercepts"],
            "intercepts_standardized": fit["intercepts_standardized"],
            "training": {"n_rows": 105, "class_counts": [35, 35, 35],
                         "weight_sum": if weighted { 52.5 } else { 105.0 }, "n_zero_weight": 0},
        });
        if ovr {
            let per = fit["objective_per_class"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            m["fits"] = per.iter().map(report).collect();
        } else {
            m["fit"] = report(&fit["objective"]);
        }
        let bytes = serde_json::to_vec(&m).unwrap_or_default();
        Model::from_slice("iris.json", &bytes).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn solver_line_counts_the_end_games_newton_steps() {
        let fit = |steps: usize| -> FitReport {
            serde_json::from_value(json!({
                "solver": "lbfgs", "converged": true, "stop_reason": "converged",
                "iterations": 24, "objective": 0.5, "gradient_norm": 1e-17, "tol": 1e-10,
                "max_iter": 1000, "newton_steps": steps
            }))
            .unwrap_or_else(|e| panic!("{e}"))
        };
        let line = |steps| solver_line(&fit(steps), "gradient", "iterations");
        assert!(line(0).starts_with("lbfgs: converged after 24 iterations, objective"));
        assert!(line(1).contains("after 24 iterations + 1 Newton step, objective"));
        assert!(line(5).contains("after 24 iterations + 5 Newton steps, objective"));
    }

    #[test]
    fn multinomial_report_has_classes_objective_and_both_tables() {
        let text = multiclass_training_report(&iris_model(0, false), None);
        for want in [
            "trained on 105 rows (35 \"setosa\", 35 \"versicolor\", 35 \"virginica\"), 4 features, multinomial model of 3 classes\n",
            "objective: mean multinomial log loss (softmax over 3 classes) + (0.01/2)||W||^2 on standardised features, intercepts unpenalised\n",
            "solver lbfgs: converged after 30 iterations",
            "coefficients (original units), one column per class:\nfeature              setosa     versicolor      virginica\n",
            // The reference's original-unit intercepts, 7 significant digits.
            "(intercept)        6.790336       4.396621      -11.18696\n",
            "coefficients on the standardised features:",
        ] {
            assert!(text.contains(want), "{want:?} missing from\n{text}");
        }
        assert!(!text.contains("weights:"), "{text}");
    }

    #[test]
    fn ovr_report_has_one_solver_line_per_class_and_the_weights() {
        let text = multiclass_training_report(&iris_model(2, true), None);
        for want in [
            "ovr model of 3 classes",
            "weights: row weights from column \"w\"; S = sum of s_i = 52.5, 0 rows of weight 0\n",
            "objective: 3 binary fits (class against the rest), each weighted mean log loss",
            "  class \"setosa\": lbfgs: converged after 30 iterations",
            "  class \"virginica\": lbfgs",
        ] {
            assert!(text.contains(want), "{want:?} missing from\n{text}");
        }
    }

    #[test]
    fn an_l1_report_names_both_penalties_and_counts_the_non_zeros_of_k_by_p() {
        let mut m = iris_model(0, false);
        m.objective.l1 = 0.02;
        m.coefficients[1][2] = 0.0;
        m.coefficients_standardized[1][2] = 0.0;
        let text = multiclass_training_report(&m, None);
        for want in [
            "(softmax over 3 classes) + 0.02 ||W||_1 + (0.01/2)||W||^2 on standardised features",
            "penalty: l1 = 0.02, l2 = 0.01; 11 of 3 x 4 = 12 coefficients are non-zero\n",
            "min-norm subgradient max-norm",
        ] {
            assert!(text.contains(want), "{want:?} missing from\n{text}");
        }
        m.objective.l2 = 0.0;
        let text = multiclass_training_report(&m, None);
        assert!(text.contains("+ 0.02 ||W||_1 on standardised"), "{text}");
    }
}

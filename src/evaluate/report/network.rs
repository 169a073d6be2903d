//! The training report of a network model (`train --hidden`, `logit summary`): data, layers,
//! objective, solver, and the per-layer RMS gradients at the start and the end of training.

use std::fmt::Write;

use super::training::solver_line;
use crate::fit::network::lbfgs::FTOL;
use crate::fit::network::train::{vanishes, VANISHING_RATIO};
use crate::fit::network::{adam, Network};
use crate::fit::solvers::{FitReport, SolverKind, StopReason};
use crate::model::Model;

/// `2 -> 32 relu -> 16 relu -> 1 score (log-odds)`.
pub fn architecture(model: &Model, network: &Network) -> String {
    let act = network.activation.label();
    let mut s = format!("{} inputs", network.n_inputs());
    for width in network.hidden() {
        let _ = write!(s, " -> {width} {act}");
    }
    if model.is_binary() {
        s.push_str(" -> 1 score (log-odds, sigmoid)");
    } else {
        let _ = write!(s, " -> {} scores (softmax)", network.n_scores());
    }
    s
}

/// The per-layer gradient table: one line per layer, start and end RMS, with the ratio of
/// the first layer's to the last layer's.
pub fn layer_table(model: &Model, network: &Network) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "RMS gradient of each layer's weights (loss only, penalty left out):"
    );
    let _ = writeln!(s, "  {:<22}  {:>11}  {:>11}", "layer", "start", "end");
    let n = network.layers.len();
    for (l, (layer, g)) in network
        .layers
        .iter()
        .zip(&model.layer_gradients)
        .enumerate()
    {
        let name = format!(
            "{} ({} x {}){}",
            l + 1,
            layer.n_out,
            layer.n_in,
            if l + 1 == n { " output" } else { "" }
        );
        let _ = writeln!(s, "  {name:<22}  {:>11.3e}  {:>11.3e}", g.start, g.end);
    }
    let start: Vec<f64> = model.layer_gradients.iter().map(|g| g.start).collect();
    if let (Some(first), Some(last)) = (start.first(), start.last()) {
        if n >= 2 && *first > 0.0 {
            let _ = writeln!(
                s,
                "  at the start the last layer's RMS gradient is {:.3e} times the first's{}",
                last / first,
                if vanishes(&start) {
                    format!(" (more than {VANISHING_RATIO}: vanishing gradients)")
                } else {
                    String::new()
                }
            );
        }
    }
    s
}

/// The report `train` prints for a network model.
pub fn training_report(model: &Model, network: &Network) -> String {
    let mut s = String::new();
    let t = &model.training;
    let counts: Vec<String> = model
        .classes
        .iter()
        .zip(&t.class_counts)
        .map(|(c, n)| format!("{n} {c:?}"))
        .collect();
    let _ = writeln!(
        s,
        "trained on {} rows ({}), {} features, {} network",
        t.n_rows,
        counts.join(", "),
        model.features.len(),
        model.kind_name()
    );
    if model.objective.is_weighted() {
        let _ = writeln!(
            s,
            "weights: sum {} over {} rows ({} of weight 0)",
            t.weight_sum, t.n_rows, t.n_zero_weight
        );
    }
    let _ = writeln!(
        s,
        "network: {}; {} parameters",
        architecture(model, network),
        network.n_params()
    );
    let _ = writeln!(
        s,
        "objective: mean log loss + (l2/2) ||W||^2 (l2 = {}) on {} features, biases unpenalised",
        model.objective.l2,
        if model.objective.standardize {
            "standardised"
        } else {
            "raw"
        }
    );
    let fit = &model.fit;
    let unit = if fit.solver == SolverKind::Adam {
        "epochs"
    } else {
        "iterations"
    };
    let _ = writeln!(s, "solver {}", solver_line(fit, "gradient", unit));
    let _ = writeln!(s, "  stopped: {}", stop_rule(fit));
    s.push_str(&layer_table(model, network));
    s
}

/// Which stopping rule ended a network's fit (scikit-learn's `MLPClassifier` rules, see
/// `fit::network::lbfgs` and `fit::network::adam`), in words, with the stop reason the model
/// file's `fit.stop_reason` holds.
pub fn stop_rule(fit: &FitReport) -> String {
    let unit = if fit.solver == SolverKind::Adam {
        "epochs"
    } else {
        "iterations"
    };
    let what = match fit.stop_reason {
        StopReason::Converged => format!("the gradient max-norm is within tol {:.0e}", fit.tol),
        StopReason::SmallDecrease => format!(
            "the last iteration's relative decrease of the objective, (f_k - f_k+1) / \
             max(|f_k|, |f_k+1|, 1), was at most ftol {FTOL:.1e} (scipy L-BFGS-B's rule)"
        ),
        StopReason::NoImprovement => format!(
            "the epoch objective fell by less than tol {:.0e} below its best for more than \
             --n-iter-no-change (default {}) epochs in a row",
            fit.tol,
            adam::DEFAULT_N_ITER_NO_CHANGE
        ),
        StopReason::MaxIterations => format!(
            "the cap of {} {unit} was reached before any stopping rule held",
            fit.max_iter
        ),
        StopReason::LineSearchFailed => "the line search found no better point".to_string(),
        StopReason::Separation => "the classes are separated".to_string(),
    };
    format!("{what}; stop_reason \"{}\"", fit.stop_reason)
}

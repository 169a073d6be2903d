//! The summary of a multinomial model in statsmodels `MNLogit`'s view: the first class is the
//! reference, and every other class `k` has one equation of contrasts `w_k - w_0`, `b_k - b_0`
//! (the log-odds of class `k` against the reference), with the covariance stored at training
//! time for exactly those parameters.

use serde::Serialize;

use crate::fit::solvers::StopReason;
use crate::model::inference::{CovarianceSource, ParameterStatus, INTERCEPT_NAME};

use super::table::{count, notes, ModelView, Statistics};
use super::terms::{ContrastTerm, Flag, Term};

/// One equation: class `class` against the reference class.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Equation {
    pub class: String,
    pub intercept: Option<ContrastTerm>,
    /// In the model's feature order.
    pub coefficients: Vec<ContrastTerm>,
}

/// The statistical summary of a multinomial model: what `logit summary --json` prints.
/// Field meanings as in [`super::Summary`]; the null model has `K - 1` free intercepts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MultinomialSummary {
    pub target: String,
    /// Model order.
    pub classes: Vec<String>,
    /// The first class: its parameters are fixed at 0.
    pub reference_class: String,
    /// Training rows.
    pub n: usize,
    /// Training rows per class, in `classes` order.
    pub class_counts: Vec<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n_weighted: Option<f64>,
    /// `(K - 1) (p + 1)` with an intercept.
    pub n_parameters: usize,
    pub rank: usize,
    /// `rank - (K - 1)` with intercepts, else `rank`.
    pub df_model: usize,
    #[serde(serialize_with = "count")]
    pub df_residuals: f64,
    pub l2: f64,
    pub standard_errors: Option<CovarianceSource>,
    /// `sum_i s_i ln p_i(y_i)`; `null` after separation.
    pub log_likelihood: Option<f64>,
    /// `sum_c S_c ln(S_c / S)`; `S ln(1/K)` without intercepts.
    pub null_log_likelihood: f64,
    pub deviance: Option<f64>,
    pub null_deviance: f64,
    pub aic: Option<f64>,
    pub bic: Option<f64>,
    pub pseudo_r2: Option<f64>,
    pub llr: Option<f64>,
    pub llr_df: usize,
    pub llr_p_value: Option<f64>,
    pub converged: bool,
    pub stop_reason: StopReason,
    pub iterations: usize,
    pub solver: String,
    pub condition_number: Option<f64>,
    pub effective_parameters: Option<f64>,
    /// One per non-reference class, in model order.
    pub equations: Vec<Equation>,
    pub notes: Vec<String>,
}

impl MultinomialSummary {
    pub(super) fn of_view(view: &ModelView) -> MultinomialSummary {
        let classes = view.classes.len();
        let p = view.names.len();
        let q = p + usize::from(view.fit_intercept);
        let k = q * classes.saturating_sub(1);
        let covariance = view.covariance();
        let null_parameters = if view.fit_intercept { classes - 1 } else { 0 };
        let stats = Statistics::of(view, k, null_parameters);
        let status = |i: usize| covariance.map_or(ParameterStatus::Ok, |c| c.status[i]);
        let variance = |i: usize| covariance.and_then(|c| c.matrix[i][i]);
        let flag = |i: usize| {
            if view.separated() {
                Some(Flag::Separation)
            } else {
                Flag::of(status(i))
            }
        };
        let reference = &view.coefficients[0];
        let equations = (1..classes)
            .map(|c| {
                let first = (c - 1) * q;
                let coefficients = view
                    .names
                    .iter()
                    .enumerate()
                    .map(|(j, name)| {
                        let estimate = view.coefficients[c][j] - reference[j];
                        Term::new(name, estimate, variance(first + j), flag(first + j)).into()
                    })
                    .collect();
                let intercept = view.fit_intercept.then(|| {
                    let estimate = view.intercepts[c] - view.intercepts[0];
                    Term::new(
                        INTERCEPT_NAME,
                        estimate,
                        variance(first + p),
                        flag(first + p),
                    )
                    .into()
                });
                Equation {
                    class: view.classes[c].clone(),
                    intercept,
                    coefficients,
                }
            })
            .collect();
        MultinomialSummary {
            target: view.target.to_string(),
            classes: view.classes.clone(),
            reference_class: view.classes[0].clone(),
            n: view.n_rows,
            class_counts: view.class_counts.clone(),
            n_weighted: view.weighted.then_some(view.weight_sum),
            n_parameters: k,
            rank: stats.rank,
            df_model: stats.df_model,
            df_residuals: stats.df_residuals,
            l2: view.l2,
            standard_errors: covariance.map(|c| c.source),
            log_likelihood: stats.log_likelihood,
            null_log_likelihood: stats.null_log_likelihood,
            deviance: stats.log_likelihood.map(|ll| -2.0 * ll),
            null_deviance: -2.0 * stats.null_log_likelihood,
            aic: stats.aic,
            bic: stats.bic,
            pseudo_r2: stats.pseudo_r2,
            llr: stats.llr,
            llr_df: stats.df_model,
            llr_p_value: stats.llr_p_value,
            converged: view.fit.converged,
            stop_reason: view.fit.stop_reason,
            iterations: view.fit.iterations,
            solver: view.fit.solver.to_string(),
            condition_number: covariance.and_then(|c| c.condition_number),
            effective_parameters: covariance.map(|c| c.effective_parameters),
            equations,
            notes: notes(view, k, stats.rank),
        }
    }
}

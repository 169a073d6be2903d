//! Statistical summary of a fitted model: the classical (statsmodels `Logit` / R `glm`) table of
//! estimates, standard errors, Wald z, p-values, confidence intervals and odds ratios, plus the
//! likelihood-based fit statistics (log-likelihood, null log-likelihood, deviance, AIC, BIC,
//! McFadden pseudo-R^2, likelihood-ratio test).
//!
//! This module owns two things:
//! * [`compute_inference`], run at TRAINING time on the data: the log-likelihood and the
//!   covariance of the estimates in original units, with a status per parameter (identifiable,
//!   collinear, ...), returned as the [`crate::model::inference::Inference`] stored in the model
//!   file, so `logit summary` needs no data;
//! * [`ModelSummary`], the table built from a model alone ([`ModelSummary::of`]): [`Summary`]
//!   for a binary model, [`MultinomialSummary`] (statsmodels `MNLogit`'s view: one equation per
//!   non-reference class) for a multinomial one; the command renders it.
//!
//! The tests' tail probabilities are in [`super::special`].
//!
//! The covariance is the inverse of the observed information at the optimum (Greene,
//! *Econometric Analysis*, 7th ed., Sec. 17.3 and 17.4.2; statsmodels `Logit.cov_params`):
//! `Cov(theta) = (S H)^-1`, where `H` is the Hessian of the weighted mean log loss in the fit
//! (standardised) scale and `S` the weight total (frequency weights; `n` unweighted), mapped to
//! original units by the linear map `A` of [`crate::data::design::Scaler::to_original`] as
//! `A Cov A^T`.
//!
//! Files: [`compute`] (training time: the information of the reported parameters), [`covariance`]
//! (its inverse and the per-parameter statuses), [`table`] (the binary summary and what both
//! summaries share), [`multinomial`] (one equation per non-reference class), [`terms`] (a row).

mod compute;
#[cfg(test)]
mod compute_tests;
mod covariance;
mod multinomial;
mod table;
#[cfg(test)]
mod table_tests;
mod terms;
#[cfg(test)]
mod training_path_tests;

use serde::Serialize;

use crate::model::Model;

pub use compute::compute_inference;
pub use multinomial::{Equation, MultinomialSummary};
pub use table::Summary;
pub use terms::{ContrastTerm, Flag, Term};

/// The summary of any model: the binary table, or one equation per non-reference class.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ModelSummary {
    Binary(Summary),
    Multinomial(MultinomialSummary),
}

impl ModelSummary {
    /// Builds the summary from a (checked) model alone; `None` for a one-vs-rest model, whose K
    /// separate binary fits have no joint likelihood to summarise.
    pub fn of(model: &Model) -> Option<ModelSummary> {
        let view = table::ModelView::of(model)?;
        Some(if view.multinomial {
            ModelSummary::Multinomial(MultinomialSummary::of_view(&view))
        } else {
            ModelSummary::Binary(Summary::of_view(&view))
        })
    }
}

/// Largest number of parameters (features plus intercept) for which the covariance matrix is
/// stored in the model file. The matrix has `k^2` entries; at 128 parameters that is about
/// 16,000 numbers (some 400 kB of JSON), beyond which the model file would stop being small.
pub const MAX_COVARIANCE_PARAMETERS: usize = 128;

/// `Phi^-1(0.975)`, the normal quantile of a two-sided 95% interval (as statsmodels'
/// `stats.norm.ppf(0.975)`).
pub const Z_975: f64 = 1.959_963_984_540_054;

//! Statistical summary of a fitted model: the classical (statsmodels `Logit` / R `glm`) table of
//! estimates, standard errors, Wald z, p-values, confidence intervals and odds ratios, plus the
//! likelihood-based fit statistics (log-likelihood, null log-likelihood, deviance, AIC, BIC,
//! McFadden pseudo-R^2, likelihood-ratio test).
//!
//! This module owns two things:
//! * [`compute_inference`], run at TRAINING time on the data: the log-likelihood and the
//!   covariance of the estimates in original units, with a status per parameter (identifiable,
//!   collinear, ...), returned as the [`Inference`] stored in the model file (its type lives in
//!   [`crate::model::inference`]), so `logit summary` needs no data;
//! * [`Summary`], the table built from a model alone ([`Summary::of`]); the command renders it.
//!
//! The tests' special functions (log-gamma, the regularised incomplete gamma function, `erfc`,
//! normal and chi-square tail probabilities) are in [`super::special`].
//!
//! The covariance is the inverse of the observed information at the optimum (Greene,
//! *Econometric Analysis*, 7th ed., Sec. 17.3 and 17.4.2; statsmodels `Logit.cov_params`):
//! `Cov(theta) = (n H)^-1`, where `H` is the Hessian of the mean log loss in the fit
//! (standardised) scale, mapped to original units by the linear map `A` of
//! [`crate::data::design::Scaler::to_original`] as `A Cov A^T`.
//!
//! Files: [`compute`] (training time: the information of the reported parameters), [`covariance`]
//! (its inverse and the per-parameter statuses), [`table`] (the summary of a model).

mod compute;
#[cfg(test)]
mod compute_tests;
mod covariance;
mod table;

pub use compute::compute_inference;
pub use table::{Flag, Summary, Term};

/// Largest number of parameters (features plus intercept) for which the covariance matrix is
/// stored in the model file. The matrix has `k^2` entries; at 128 parameters that is about
/// 16,000 numbers (some 400 kB of JSON), beyond which the model file would stop being small.
pub const MAX_COVARIANCE_PARAMETERS: usize = 128;

/// `Phi^-1(0.975)`, the normal quantile of a two-sided 95% interval (as statsmodels'
/// `stats.norm.ppf(0.975)`).
pub const Z_975: f64 = 1.959_963_984_540_054;

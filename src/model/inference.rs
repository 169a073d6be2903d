//! The inference statistics `train` stores in the model file for `logit summary`: the
//! log-likelihood (and the null model's) and the covariance of the
//! estimates in original units, with a status per parameter. A multinomial model's covariance is
//! that of the reference-class parametrisation (statsmodels `MNLogit`): one block of parameters
//! per non-reference class. Computed by [`crate::inference::summary::compute_inference`] at training time;
//! read back and checked with the model.

use serde::{Deserialize, Serialize};

/// The name of the intercept in the covariance's parameter list and in the summary.
pub const INTERCEPT_NAME: &str = "(intercept)";

/// Which matrix was inverted for the covariance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CovarianceSource {
    /// `l2 = 0`: the inverse observed information `(S H_loglik)^-1` (`S` the weight total, `n`
    /// unweighted), the classical asymptotic covariance of the maximum-likelihood estimate (what
    /// statsmodels and R report; with frequency weights, GLM `freq_weights` and R's prior weights).
    InverseHessian,
    /// `l2 > 0`: the inverse penalised Hessian `(S (H_loglik + l2 I_w))^-1`, the Laplace
    /// approximation to the posterior covariance under independent `N(0, 1/(S l2))` priors on
    /// the fit-scale coefficients (the Bayesian reading of ridge regression); for a multinomial
    /// model its image on the reference-class contrasts. Not a sampling covariance: the
    /// estimates are biased towards 0 and these errors are smaller than the sandwich ones.
    InversePenalizedHessian,
}

/// What the data say about one parameter, decided at training time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParameterStatus {
    /// Identifiable and well determined: the classical inference applies.
    Ok,
    /// The information matrix is singular along a direction involving this parameter (a
    /// duplicated or constant column, or every one-hot level with an intercept): only
    /// combinations of coefficients are determined, this one alone is not.
    NotIdentifiable,
    /// Near-collinear: the variance inflation exceeds 1e6, so the estimate rests on tiny
    /// differences between almost identical columns.
    Collinear,
    /// More than 10 standard deviations of log-odds per standard deviation of the column: the
    /// fit is close to separation and the Wald statistic is unreliable (Hauck-Donner).
    NearSeparation,
    /// The solver stopped before the estimate was accurate to 1% of its standard error.
    NotConverged,
}

impl ParameterStatus {
    /// A short phrase for tables and notes.
    pub fn describe(self) -> &'static str {
        match self {
            ParameterStatus::Ok => "ok",
            ParameterStatus::NotIdentifiable => "not identifiable",
            ParameterStatus::Collinear => "collinear",
            ParameterStatus::NearSeparation => "near separation",
            ParameterStatus::NotConverged => "not converged",
        }
    }
}

/// The covariance of the parameters in original units, in the order `features..., intercept`
/// (binary), or that order once per class of `equations` (multinomial: block `k` holds the
/// contrasts `w_k - w_0`, `b_k - b_0` against the reference class, the model's first class).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Covariance {
    /// Always `"original"`: the units of the model's `coefficient` and `intercept`.
    pub scale: String,
    pub source: CovarianceSource,
    /// Multinomial: the non-reference classes in model order, one block of `parameters` each.
    /// Empty (and absent from the file) for a binary model.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub equations: Vec<String>,
    /// Feature names, then [`INTERCEPT_NAME`] when the model has an intercept (one block).
    pub parameters: Vec<String>,
    /// One per parameter of every block.
    pub status: Vec<ParameterStatus>,
    /// Symmetric `k x k` over every block's parameters; rows and columns of not-identifiable
    /// parameters are `null`.
    pub matrix: Vec<Vec<Option<f64>>>,
    /// Number of identified directions (`k` minus the dimension of the null space).
    pub rank: usize,
    /// Largest over smallest eigenvalue of the information scaled to unit diagonal (`null` when
    /// singular); scale-free, so it measures collinearity rather than units.
    pub condition_number: Option<f64>,
    /// `tr((S H_pen)^-1 S H_loglik)`: the effective number of parameters of a penalised fit
    /// (Hastie, Tibshirani & Friedman, *Elements of Statistical Learning*, Eq. 3.50); the rank
    /// when `l2 = 0`.
    pub effective_parameters: f64,
}

/// Statistics for `logit summary`, computed at training time and stored in the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inference {
    /// `sum_i s_i ln p_i(y_i)` at the fitted parameters (no penalty; `s_i = 1` unweighted).
    pub log_likelihood: f64,
    /// The same for the intercept-only model, `sum_c S_c ln(S_c / S)` (`S_c` the weight of
    /// class `c`), or `S ln(1/K)` without an intercept. Stored for weighted fits only: without
    /// weights the class counts in `training` give it (so an unweighted binary model's block is
    /// exactly version 1's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub null_log_likelihood: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covariance: Option<Covariance>,
    /// Why there is no covariance, when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covariance_omitted: Option<String>,
}

impl Covariance {
    /// The name of parameter `i` of the matrix: `parameters[i]`, or `class: parameter` in a
    /// multinomial model.
    pub fn parameter_name(&self, i: usize) -> String {
        let q = self.parameters.len().max(1);
        match self.equations.get(i / q) {
            Some(class) => format!("{class}: {}", self.parameters[i % q]),
            None => self.parameters[i % q].clone(),
        }
    }
}

impl Inference {
    /// Checks that a multinomial model's covariance blocks are its non-reference classes, in
    /// order (`classes` in model order); a binary model's covariance has no blocks.
    pub fn check_classes(&self, classes: &[String], multinomial: bool) -> Result<(), String> {
        let Some(c) = &self.covariance else {
            return Ok(());
        };
        let expected: &[String] = if multinomial {
            classes.get(1..).unwrap_or_default()
        } else {
            &[]
        };
        if c.equations != expected {
            return Err(format!(
                "the covariance's classes {:?} are not the model's non-reference classes {expected:?}",
                c.equations
            ));
        }
        Ok(())
    }

    /// Consistency of a stored block with its model: finite numbers, sizes and names that agree.
    pub fn check(&self, feature_names: &[&str], fit_intercept: bool) -> Result<(), String> {
        for (name, value) in [
            ("log_likelihood", Some(self.log_likelihood)),
            ("null_log_likelihood", self.null_log_likelihood),
        ] {
            if let Some(v) = value.filter(|v| !(v.is_finite() && *v <= 1e-9)) {
                return Err(format!("{name} {v} is not a finite number <= 0"));
            }
        }
        let Some(c) = &self.covariance else {
            return Ok(());
        };
        let mut expected: Vec<&str> = feature_names.to_vec();
        if fit_intercept {
            expected.push(INTERCEPT_NAME);
        }
        if c.parameters != expected {
            return Err("the covariance's parameters do not match the model's features".into());
        }
        let k = expected.len() * c.equations.len().max(1);
        if c.status.len() != k || c.matrix.len() != k || c.matrix.iter().any(|row| row.len() != k) {
            return Err(format!(
                "the covariance must be {k} x {k} with {k} statuses"
            ));
        }
        for (i, row) in c.matrix.iter().enumerate() {
            if row.iter().flatten().any(|v| !v.is_finite()) || row[i].is_some_and(|v| v < 0.0) {
                return Err(format!(
                    "the covariance row of {:?} is damaged",
                    c.parameter_name(i)
                ));
            }
            let identified = c.status[i] != ParameterStatus::NotIdentifiable;
            if identified && row[i].is_none() {
                return Err(format!(
                    "the covariance has no variance for {:?}",
                    c.parameter_name(i)
                ));
            }
        }
        Ok(())
    }
}

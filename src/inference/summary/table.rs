//! The summary of a model, built from the model file alone: the coefficient table (estimates,
//! standard errors, Wald tests, intervals, odds ratios), the fit statistics and the notes.

use serde::Serialize;

use crate::evaluate::report::display_name;
use crate::fit::solvers::StopReason;
use crate::inference::special::{chi_square_sf, normal_two_sided_p};
use crate::model::inference::{CovarianceSource, ParameterStatus, INTERCEPT_NAME};
use crate::model::Model;

use super::Z_975;

// ---------------------------------------------------------------------------------------------
// The summary of a model
// ---------------------------------------------------------------------------------------------

/// Why a term's inference is not shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// The fit stopped on separation: the maximum-likelihood estimate does not exist.
    Separation,
    /// See [`ParameterStatus::NotIdentifiable`].
    NotIdentifiable,
    /// See [`ParameterStatus::Collinear`].
    Collinear,
    /// See [`ParameterStatus::NearSeparation`].
    NearSeparation,
    /// See [`ParameterStatus::NotConverged`].
    NotConverged,
}

impl Flag {
    fn of(status: ParameterStatus) -> Option<Flag> {
        match status {
            ParameterStatus::Ok => None,
            ParameterStatus::NotIdentifiable => Some(Flag::NotIdentifiable),
            ParameterStatus::Collinear => Some(Flag::Collinear),
            ParameterStatus::NearSeparation => Some(Flag::NearSeparation),
            ParameterStatus::NotConverged => Some(Flag::NotConverged),
        }
    }

    /// A short phrase for the table.
    pub fn describe(self) -> &'static str {
        match self {
            Flag::Separation => "separation",
            Flag::NotIdentifiable => ParameterStatus::NotIdentifiable.describe(),
            Flag::Collinear => ParameterStatus::Collinear.describe(),
            Flag::NearSeparation => ParameterStatus::NearSeparation.describe(),
            Flag::NotConverged => ParameterStatus::NotConverged.describe(),
        }
    }

    /// Whether the estimate itself is meaningless (not just its standard error).
    pub fn hides_estimate(self) -> bool {
        matches!(self, Flag::Separation | Flag::NotIdentifiable)
    }
}

/// One row of the coefficient table, in original units. `None` = not available or not
/// meaningful (then `flag` says why, or the model has no covariance).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Term {
    pub name: String,
    pub estimate: Option<f64>,
    pub std_error: Option<f64>,
    /// Wald statistic `estimate / std_error`.
    pub z: Option<f64>,
    /// Two-sided `P(|Z| >= |z|)`.
    pub p_value: Option<f64>,
    /// `estimate -/+ 1.959964 std_error`.
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// `exp(estimate)`: the factor on the odds per unit of the feature (for the intercept, the
    /// odds when every feature is 0).
    pub odds_ratio: Option<f64>,
    pub odds_ratio_ci_low: Option<f64>,
    pub odds_ratio_ci_high: Option<f64>,
    pub flag: Option<Flag>,
}

impl Term {
    fn new(name: &str, estimate: f64, variance: Option<f64>, flag: Option<Flag>) -> Term {
        let finite = |v: f64| v.is_finite().then_some(v);
        let estimate = (!flag.is_some_and(Flag::hides_estimate)).then_some(estimate);
        let std_error = match (flag, variance) {
            (None, Some(v)) if v >= 0.0 => finite(v.sqrt()),
            _ => None,
        };
        let (z, ci) = match (estimate, std_error) {
            (Some(b), Some(se)) if se > 0.0 => {
                (Some(b / se), Some((b - Z_975 * se, b + Z_975 * se)))
            }
            _ => (None, None),
        };
        Term {
            name: name.to_string(),
            estimate,
            std_error,
            z,
            p_value: z.map(normal_two_sided_p),
            ci_low: ci.map(|c| c.0),
            ci_high: ci.map(|c| c.1),
            odds_ratio: estimate.and_then(|b| finite(b.exp())),
            odds_ratio_ci_low: ci.and_then(|c| finite(c.0.exp())),
            odds_ratio_ci_high: ci.and_then(|c| finite(c.1.exp())),
            flag,
        }
    }
}

/// The statistical summary of a model: what `logit summary --json` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub target: String,
    pub positive_label: String,
    /// Training rows.
    pub n: usize,
    pub n_positive: usize,
    pub n_negative: usize,
    /// Parameters fitted, intercept included.
    pub n_parameters: usize,
    /// Parameters identified by the data (the rank of the information; `n_parameters` when unknown).
    pub rank: usize,
    /// `rank - 1` with an intercept (the null model's one parameter), else `rank`.
    pub df_model: usize,
    /// `n - rank`.
    pub df_residuals: i64,
    pub l2: f64,
    /// Which covariance the standard errors come from; `null` when none is available.
    pub standard_errors: Option<CovarianceSource>,
    /// `sum_i [y_i ln p_i + (1 - y_i) ln(1 - p_i)]` (unpenalised). This and every statistic
    /// built on it are `null` after separation, where the likelihood has no maximum (its
    /// supremum is approached only as the coefficients run off to infinity).
    pub log_likelihood: Option<f64>,
    /// The intercept-only model: `n1 ln(n1/n) + n0 ln(n0/n)`; without an intercept, `p = 1/2`
    /// for every row, `n ln(1/2)` (as R's `glm`).
    pub null_log_likelihood: f64,
    /// `-2 LL` (the saturated model of 0/1 data has likelihood 1).
    pub deviance: Option<f64>,
    pub null_deviance: f64,
    /// `-2 LL + 2 k`, `k = rank` (statsmodels `aic`).
    pub aic: Option<f64>,
    /// `-2 LL + k ln n` (statsmodels `bic`).
    pub bic: Option<f64>,
    /// McFadden's `1 - LL / LL_null` (statsmodels `prsquared`); `null` when `LL_null = 0`.
    pub pseudo_r2: Option<f64>,
    /// Likelihood-ratio statistic `2 (LL - LL_null)` on `df_model` degrees of freedom.
    pub llr: Option<f64>,
    pub llr_df: usize,
    /// `P(chi2(llr_df) >= llr)`; `null` when `llr_df = 0`.
    pub llr_p_value: Option<f64>,
    pub converged: bool,
    pub stop_reason: StopReason,
    pub iterations: usize,
    pub solver: String,
    /// Of the information matrix scaled to unit diagonal; `null` when singular or unknown.
    pub condition_number: Option<f64>,
    /// See [`Covariance::effective_parameters`].
    pub effective_parameters: Option<f64>,
    pub intercept: Option<Term>,
    /// In the model's feature order (one-hot columns as `column=level`).
    pub coefficients: Vec<Term>,
    /// Everything the reader must know to read the numbers right, in words.
    pub notes: Vec<String>,
}

impl Summary {
    /// Builds the summary from a (checked) model alone.
    pub fn of(model: &Model) -> Summary {
        let t = &model.training;
        let n = t.n_rows as f64;
        let l2 = model.objective.l2;
        let fit_intercept = model.objective.fit_intercept;
        let p = model.features.len();
        let k = p + usize::from(fit_intercept);
        let separated = model.fit.stop_reason == StopReason::Separation;
        let mut notes = Vec::new();

        let inference = model.inference.as_ref();
        let log_likelihood = match inference {
            Some(i) => i.log_likelihood,
            // Models written before `inference` existed: undo the penalty of the objective.
            None => {
                let penalty: f64 = model
                    .features
                    .iter()
                    .map(|f| f.coefficient_standardized.powi(2))
                    .sum::<f64>()
                    * l2
                    / 2.0;
                -n * (model.fit.objective - penalty)
            }
        };
        let covariance = inference
            .and_then(|i| i.covariance.as_ref())
            .filter(|_| !separated);
        let xlogy = |count: usize| {
            if count == 0 {
                0.0
            } else {
                count as f64 * (count as f64 / n).ln()
            }
        };
        let null_log_likelihood = if fit_intercept {
            xlogy(t.n_positive) + xlogy(t.n_negative)
        } else {
            n * 0.5f64.ln()
        };
        let rank = covariance.map_or(k, |c| c.rank);
        let df_model = if fit_intercept {
            rank.saturating_sub(1)
        } else {
            rank
        };
        // After separation the stopping point's likelihood is not a maximum: show none of it.
        let fitted = (!separated).then_some(log_likelihood);
        let llr = fitted.map(|ll| 2.0 * (ll - null_log_likelihood));

        let status = |i: usize| covariance.map_or(ParameterStatus::Ok, |c| c.status[i]);
        let variance = |i: usize| covariance.and_then(|c| c.matrix[i][i]);
        let flag = |i: usize| {
            if separated {
                Some(Flag::Separation)
            } else {
                Flag::of(status(i))
            }
        };
        let coefficients: Vec<Term> = model
            .features
            .iter()
            .enumerate()
            .map(|(j, f)| Term::new(&f.name, f.coefficient, variance(j), flag(j)))
            .collect();
        let intercept =
            fit_intercept.then(|| Term::new(INTERCEPT_NAME, model.intercept, variance(p), flag(p)));

        // Notes, most important first.
        if separated {
            notes.push(
                "the classes are separated: the maximum-likelihood estimate does not exist (the \
                 coefficients grow without bound and the likelihood has no maximum), so no estimate, \
                 standard error, test, log-likelihood, AIC or BIC is shown; refit with --l2 > 0 or \
                 drop the separating feature"
                    .to_string(),
            );
        } else if let Some(why) = inference.and_then(|i| i.covariance_omitted.as_ref()) {
            notes.push(format!("no standard errors: {why}"));
        } else if inference.is_none() {
            notes.push(
                "no standard errors: the model was written by a logit without `summary` support \
                 (no covariance stored); retrain it to get them"
                    .to_string(),
            );
        }
        if l2 > 0.0 {
            notes.push(format!(
                "penalised fit (l2 = {l2}): the standard errors are NOT the classical ones. They are the \
                 square roots of the inverse penalised Hessian (n (H + l2 I))^-1, the Laplace approximation \
                 to the posterior under N(0, 1/(n l2)) priors on the {} coefficients; the estimates are \
                 shrunk towards 0, so z, p-values and intervals are approximate Bayesian quantities, and \
                 the likelihood-ratio test, AIC and BIC (which count all {k} parameters{}) are not valid \
                 tests or criteria for a penalised fit",
                if model.objective.standardize { "standardised" } else { "raw" },
                covariance
                    .map(|c| format!("; the effective number is {:.2}", c.effective_parameters))
                    .unwrap_or_default()
            ));
        }
        if !model.fit.converged && !separated {
            notes.push(format!(
                "the {} solver did not converge ({}, gradient max-norm {:.2e} > tol {:.0e}): the \
                 estimates are where it stopped",
                model.fit.solver, model.fit.stop_reason, model.fit.gradient_norm, model.fit.tol
            ));
        }
        let flagged = |which: ParameterStatus| -> Vec<String> {
            let Some(c) = covariance else {
                return Vec::new();
            };
            (0..k)
                .filter(|&i| c.status[i] == which)
                .map(|i| format!("{:?}", display_name(&c.parameters[i])))
                .collect()
        };
        let not_identifiable = flagged(ParameterStatus::NotIdentifiable);
        if !not_identifiable.is_empty() {
            notes.push(format!(
                "not identifiable: {} (the information matrix is singular: a constant or duplicated \
                 column, or every one-hot level alongside the intercept); only combinations of these \
                 coefficients are determined by the data, so none is shown; AIC, BIC and the LR test use \
                 the rank {rank}; drop a column (or a level) or use --l2 > 0",
                not_identifiable.join(", ")
            ));
        }
        for (which, why) in [
            (
                ParameterStatus::Collinear,
                "near-collinear (variance inflated more than 1e6 times): the estimates rest on tiny \
                 differences between almost identical columns, so no standard error or test is shown",
            ),
            (
                ParameterStatus::NearSeparation,
                "close to separation (more than 10 log-odds per standard deviation of the column): the \
                 Wald standard error and test are unreliable there (Hauck-Donner), so none is shown",
            ),
            (
                ParameterStatus::NotConverged,
                "the fit stopped before these estimates were accurate to 1% of their standard error, so \
                 no standard error or test is shown; refit with more --max-iter",
            ),
        ] {
            let names = flagged(which);
            if !names.is_empty() {
                notes.push(format!("{}: {why}", names.join(", ")));
            }
        }
        if !fit_intercept {
            notes.push(
                "no intercept: the null model predicts p = 1/2 for every row (as R's glm)"
                    .to_string(),
            );
        }

        Summary {
            target: model.target.clone(),
            positive_label: model.labels.positive.clone(),
            n: t.n_rows,
            n_positive: t.n_positive,
            n_negative: t.n_negative,
            n_parameters: k,
            rank,
            df_model,
            df_residuals: t.n_rows as i64 - rank as i64,
            l2,
            standard_errors: covariance.map(|c| c.source),
            log_likelihood: fitted,
            null_log_likelihood,
            deviance: fitted.map(|ll| -2.0 * ll),
            null_deviance: -2.0 * null_log_likelihood,
            aic: fitted.map(|ll| -2.0 * ll + 2.0 * rank as f64),
            bic: fitted.map(|ll| -2.0 * ll + rank as f64 * n.ln()),
            pseudo_r2: fitted
                .filter(|_| null_log_likelihood < 0.0)
                .map(|ll| 1.0 - ll / null_log_likelihood),
            llr,
            llr_df: df_model,
            llr_p_value: llr
                .filter(|_| df_model > 0)
                .map(|llr| chi_square_sf(llr, df_model as f64)),
            converged: model.fit.converged,
            stop_reason: model.fit.stop_reason,
            iterations: model.fit.iterations,
            solver: model.fit.solver.to_string(),
            condition_number: covariance.and_then(|c| c.condition_number),
            effective_parameters: covariance.map(|c| c.effective_parameters),
            intercept,
            coefficients,
            notes,
        }
    }
}

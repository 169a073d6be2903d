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

use ndarray::Array2;
use serde::Serialize;

use crate::evaluate::report::display_name;
use crate::fit::objective::Objective;
use crate::fit::solvers::linalg::{symmetric_eigen, Cholesky};
use crate::fit::solvers::{FitReport, StopReason};
use crate::model::inference::{
    Covariance, CovarianceSource, Inference, ParameterStatus, INTERCEPT_NAME,
};
use crate::model::Model;

use super::special::{chi_square_sf, normal_two_sided_p};

/// Largest number of parameters (features plus intercept) for which the covariance matrix is
/// stored in the model file. The matrix has `k^2` entries; at 128 parameters that is about
/// 16,000 numbers (some 400 kB of JSON), beyond which the model file would stop being small.
pub const MAX_COVARIANCE_PARAMETERS: usize = 128;

/// `Phi^-1(0.975)`, the normal quantile of a two-sided 95% interval (as statsmodels'
/// `stats.norm.ppf(0.975)`).
pub const Z_975: f64 = 1.959_963_984_540_054;

/// Eigenvalues of the unit-diagonal information matrix at or below this fraction of the
/// largest count as zero: the matching directions are not identified by the data.
const NULL_RTOL: f64 = 1e-10;
/// A parameter is identifiable when its coefficient vector has at most this relative length
/// in the null space (rounding leaves about 1e-12 there; a true dependence leaves O(1/k)).
const IDENTIFIABLE_RTOL: f64 = 1e-6;
/// Variance inflation beyond which a coefficient counts as collinear: its column is a linear
/// combination of the others up to `R^2 > 1 - 1e-6`, so the data barely determine it.
const COLLINEAR_VIF: f64 = 1e6;
/// A coefficient on the scale of one standard deviation of its column beyond which the fit is
/// close to separation: the Wald statistic is then unreliable (Hauck & Donner 1977, JASA 72).
const NEAR_SEPARATION: f64 = 10.0;
/// The estimate must be accurate (given the final gradient) to this fraction of its standard
/// error, or the fit stopped too early for its inference to mean anything.
const ACCURACY_RTOL: f64 = 0.01;

// ---------------------------------------------------------------------------------------------
// Computed at training time
// ---------------------------------------------------------------------------------------------

/// Computes the log-likelihood and (when meaningful and small enough) the covariance at the
/// fitted `theta` (fit scale, `[w, b]`). `mean` and `std` are the scaler statistics
/// (`x_fit = (x - mean) / std`), `names` the feature names, `report` the fit's report.
pub fn compute_inference(
    objective: &Objective,
    theta: &[f64],
    mean: &[f64],
    std: &[f64],
    names: &[String],
    report: &FitReport,
) -> Inference {
    let n = objective.n_rows() as f64;
    let unpenalised = objective.with_labels(objective.y, objective.family(), 0.0);
    let log_likelihood = -n * unpenalised.value(theta);
    let k = objective.n_params();
    let omitted = |why: String| Inference {
        log_likelihood,
        covariance: None,
        covariance_omitted: Some(why),
    };
    if report.stop_reason == StopReason::Separation {
        return omitted(
            "the classes are separated, so the maximum-likelihood estimate does not exist".into(),
        );
    }
    if k == 0 {
        return omitted("the model has no parameters".into());
    }
    if k > MAX_COVARIANCE_PARAMETERS {
        return omitted(format!(
            "the model has {k} parameters; logit stores the covariance only for at most \
             {MAX_COVARIANCE_PARAMETERS} to keep the model file small"
        ));
    }
    match covariance(objective, &unpenalised, theta, mean, std, names, report) {
        Ok(c) => Inference {
            log_likelihood,
            covariance: Some(c),
            covariance_omitted: None,
        },
        Err(why) => omitted(why),
    }
}

/// The covariance in original units with per-parameter statuses; `Err` says why none exists.
fn covariance(
    objective: &Objective,
    unpenalised: &Objective,
    theta: &[f64],
    mean: &[f64],
    std: &[f64],
    names: &[String],
    report: &FitReport,
) -> Result<Covariance, String> {
    let n = objective.n_rows() as f64;
    let p = objective.n_features();
    let k = objective.n_params();
    // Observed information of the log-likelihood, and of the penalised objective that was fitted.
    let info_ll = unpenalised.hessian(theta) * n;
    let column_sd = crate::data::design::Scaler::fit(
        unpenalised
            .dense()
            .expect("summaries are computed on dense designs"),
        true,
    )
    .std;
    let mut info = info_ll.clone();
    for j in 0..p {
        info[[j, j]] += n * objective.l2;
    }
    if info.iter().any(|v| !v.is_finite()) {
        return Err("the Hessian at the optimum is not finite".into());
    }
    // Scale to unit diagonal, M = S I S with S = diag(I_ii^-1/2): the eigenvalues then measure
    // collinearity, not units. A zero diagonal (a constant column) keeps scale 1 and is null.
    let scale: Vec<f64> = (0..k)
        .map(|i| {
            if info[[i, i]] > 0.0 {
                1.0 / info[[i, i]].sqrt()
            } else {
                1.0
            }
        })
        .collect();
    let m = Array2::from_shape_fn((k, k), |(i, j)| info[[i, j]] * scale[i] * scale[j]);
    let (values, vectors) = symmetric_eigen(m.view());
    let largest = values.iter().copied().fold(0.0_f64, f64::max);
    if largest.is_nan() || largest <= 0.0 {
        return Err("the Hessian at the optimum is zero: the data carry no information".into());
    }
    let null: Vec<usize> = (0..k)
        .filter(|&i| values[i] <= NULL_RTOL * largest)
        .collect();
    let smallest = values.iter().copied().fold(f64::INFINITY, f64::min);
    let condition_number = null.is_empty().then(|| largest / smallest);

    // M^-1 by Cholesky when M is regular; otherwise the Moore-Penrose inverse from the
    // eigen-decomposition, a generalised inverse that gives the right variance for every
    // identifiable combination of parameters (Searle, *Linear Models*, Sec. 5.4).
    let regular_inverse = if null.is_empty() {
        Cholesky::factor(m.view()).ok()
    } else {
        None
    };
    let m_inv = match regular_inverse {
        Some(chol) => {
            let mut inv = Array2::<f64>::zeros((k, k));
            for j in 0..k {
                let mut e = vec![0.0; k];
                e[j] = 1.0;
                chol.solve_in_place(&mut e);
                for (i, v) in e.into_iter().enumerate() {
                    inv[[i, j]] = v;
                }
            }
            inv
        }
        None => Array2::from_shape_fn((k, k), |(i, j)| {
            (0..k)
                .filter(|&e| values[e] > NULL_RTOL * largest)
                .map(|e| vectors[[i, e]] * vectors[[j, e]] / values[e])
                .sum()
        }),
    };
    // Covariance in the fit scale, then the map to original units: row j < p of A is
    // e_j / std_j, the intercept's row is (-mean_1/std_1, ..., -mean_p/std_p, 1).
    let cov_fit = Array2::from_shape_fn((k, k), |(i, j)| m_inv[[i, j]] * scale[i] * scale[j]);
    let a = Array2::from_shape_fn((k, k), |(i, j)| match (i < p, j < p) {
        (true, _) => f64::from(u8::from(i == j)) / std[i],
        (false, true) => -mean[j] / std[j],
        (false, false) => 1.0,
    });
    let cov = a.dot(&cov_fit).dot(&a.t());
    // Exactly symmetric in the file, whatever the rounding of the products.
    let cov = Array2::from_shape_fn((k, k), |(i, j)| 0.5 * (cov[[i, j]] + cov[[j, i]]));

    // How far the estimates can be from the optimum given the final gradient:
    // |delta theta_orig| <= |A H^-1|_rows,1 * |g|_inf with H^-1 = n Cov_fit (mean objective).
    let error_map = a.dot(&cov_fit) * n;
    let status: Vec<ParameterStatus> = (0..k)
        .map(|i| {
            // The parameter's coefficient vector in the unit-diagonal coordinates: S a_i.
            let w: Vec<f64> = (0..k).map(|j| scale[j] * a[[i, j]]).collect();
            let norm2: f64 = w.iter().map(|v| v * v).sum();
            let in_null: f64 = null
                .iter()
                .map(|&e| (0..k).map(|j| vectors[[j, e]] * w[j]).sum::<f64>().powi(2))
                .sum();
            if norm2.is_nan()
                || norm2 <= 0.0
                || in_null > IDENTIFIABLE_RTOL * IDENTIFIABLE_RTOL * norm2
            {
                return ParameterStatus::NotIdentifiable;
            }
            let inflation: f64 = (0..k)
                .flat_map(|r| (0..k).map(move |c| (r, c)))
                .map(|(r, c)| w[r] * m_inv[[r, c]] * w[c])
                .sum::<f64>()
                / norm2;
            let variance = cov[[i, i]];
            let error_bound: f64 =
                (0..k).map(|j| error_map[[i, j]].abs()).sum::<f64>() * report.gradient_norm;
            if inflation > COLLINEAR_VIF {
                ParameterStatus::Collinear
            } else if i < p && (theta[i] * column_sd[i]).abs() > NEAR_SEPARATION {
                ParameterStatus::NearSeparation
            } else if error_bound.is_nan() || error_bound > ACCURACY_RTOL * variance.max(0.0).sqrt()
            {
                ParameterStatus::NotConverged
            } else {
                ParameterStatus::Ok
            }
        })
        .collect();
    let identified = |i: usize| status[i] != ParameterStatus::NotIdentifiable;
    let matrix = (0..k)
        .map(|i| {
            (0..k)
                .map(|j| (identified(i) && identified(j)).then(|| cov[[i, j]]))
                .collect()
        })
        .collect();
    // Effective number of parameters tr(Cov_fit I_ll).
    let effective_parameters = (0..k)
        .flat_map(|i| (0..k).map(move |j| (i, j)))
        .map(|(i, j)| cov_fit[[i, j]] * info_ll[[j, i]])
        .sum();
    let mut parameters = names.to_vec();
    if objective.fit_intercept {
        parameters.push(INTERCEPT_NAME.to_string());
    }
    Ok(Covariance {
        scale: "original".to_string(),
        source: if objective.l2 > 0.0 {
            CovarianceSource::InversePenalizedHessian
        } else {
            CovarianceSource::InverseHessian
        },
        parameters,
        status,
        matrix,
        rank: k - null.len(),
        condition_number,
        effective_parameters,
    })
}

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
        let (labels, _) = model
            .binary()
            .expect("the summary of a binary model (commands::summary refuses others)");
        let (n_positive, n_negative) = model.binary_counts().expect("a binary model");
        let (w, w_std) = (&model.coefficients[0], &model.coefficients_standardized[0]);
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
                let penalty: f64 = w_std.iter().map(|w| w.powi(2)).sum::<f64>() * l2 / 2.0;
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
            xlogy(n_positive) + xlogy(n_negative)
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
            .map(|(j, f)| Term::new(&f.name, w[j], variance(j), flag(j)))
            .collect();
        let intercept = fit_intercept
            .then(|| Term::new(INTERCEPT_NAME, model.intercepts[0], variance(p), flag(p)));

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
            positive_label: labels.positive.clone(),
            n: t.n_rows,
            n_positive,
            n_negative,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::solvers::SolverKind;
    use ndarray::{Array1, Array2};

    fn report() -> FitReport {
        FitReport {
            solver: SolverKind::Newton,
            converged: true,
            stop_reason: StopReason::Converged,
            iterations: 1,
            objective: 0.0,
            gradient_norm: 0.0,
            tol: 1e-10,
            max_iter: 100,
        }
    }

    /// One binary feature and an intercept: the MLE reproduces the 2 x 2 table,
    /// `b = ln(a1/a0)`, `w = ln(c1/c0) - ln(a1/a0)`, and the covariance is Woolf's (1955):
    /// `Var w = 1/a1 + 1/a0 + 1/c1 + 1/c0`, `Var b = 1/a1 + 1/a0`, `Cov(w, b) = -Var b`.
    /// Checked on the raw and on the standardised scale (which must map back to the same).
    #[test]
    fn covariance_of_a_two_by_two_table_is_woolfs() {
        let (a1, a0, c1, c0) = (3usize, 9usize, 8usize, 4usize);
        let mut x = Vec::new();
        let mut y = Vec::new();
        for (xv, yv, count) in [
            (0.0, 1.0, a1),
            (0.0, 0.0, a0),
            (1.0, 1.0, c1),
            (1.0, 0.0, c0),
        ] {
            x.extend(std::iter::repeat_n(xv, count));
            y.extend(std::iter::repeat_n(yv, count));
        }
        let n = y.len();
        let f = |v: usize| v as f64;
        let b = (f(a1) / f(a0)).ln();
        let w = (f(c1) / f(c0)).ln() - b;
        let var_b = 1.0 / f(a1) + 1.0 / f(a0);
        let var_w = var_b + 1.0 / f(c1) + 1.0 / f(c0);
        let ll = f(a1) * (f(a1) / f(a1 + a0)).ln()
            + f(a0) * (f(a0) / f(a1 + a0)).ln()
            + f(c1) * (f(c1) / f(c1 + c0)).ln()
            + f(c0) * (f(c0) / f(c1 + c0)).ln();
        let mean = x.iter().sum::<f64>() / n as f64;
        let std = (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        let y = Array1::from(y);
        for (m, s) in [(0.0, 1.0), (mean, std)] {
            let design = Array2::from_shape_fn((n, 1), |(i, _)| (x[i] - m) / s);
            let objective = Objective::new(design.view(), y.view(), 0.0, true);
            let theta = [w * s, b + w * m];
            let names = ["x".to_string()];
            let inf = compute_inference(&objective, &theta, &[m], &[s], &names, &report());
            assert!(
                (inf.log_likelihood - ll).abs() < 1e-12,
                "{} vs {ll}",
                inf.log_likelihood
            );
            let c = inf.covariance.clone().expect("a covariance");
            let got = |i: usize, j: usize| c.matrix[i][j].unwrap();
            assert!(
                (got(0, 0) - var_w).abs() < 1e-12 * var_w,
                "{} vs {var_w}",
                got(0, 0)
            );
            assert!(
                (got(1, 1) - var_b).abs() < 1e-12 * var_b,
                "{} vs {var_b}",
                got(1, 1)
            );
            assert!((got(0, 1) + var_b).abs() < 1e-12 * var_b && got(0, 1) == got(1, 0));
            assert_eq!(c.status, [ParameterStatus::Ok, ParameterStatus::Ok]);
            assert_eq!((c.rank, c.parameters[1].as_str()), (2, INTERCEPT_NAME));
            assert!((c.effective_parameters - 2.0).abs() < 1e-12);
            assert!(inf.check(&["x"], true).is_ok());
            assert!(inf.check(&["z"], true).is_err());
        }
    }

    #[test]
    fn separation_and_empty_models_store_no_covariance_but_say_why() {
        let x = Array2::from_shape_vec((4, 1), vec![0.0, 1.0, 2.0, 3.0]).unwrap();
        let y = Array1::from(vec![0.0, 0.0, 1.0, 1.0]);
        let objective = Objective::new(x.view(), y.view(), 0.0, true);
        let separated = FitReport {
            stop_reason: StopReason::Separation,
            converged: false,
            ..report()
        };
        let inf = compute_inference(
            &objective,
            &[30.0, -45.0],
            &[0.0],
            &[1.0],
            &["x".into()],
            &separated,
        );
        assert!(inf.covariance.is_none() && inf.covariance_omitted.unwrap().contains("separated"));
        assert!(inf.log_likelihood < 0.0 && inf.log_likelihood > -1e-5);
    }
}

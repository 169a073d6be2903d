//! The summary of a binary model, built from the model file alone: the coefficient table
//! (estimates, standard errors, Wald tests, intervals, odds ratios), the fit statistics and the
//! notes; and the pieces the multinomial summary shares with it ([`ModelView`],
//! [`Statistics`], [`notes`]).

use serde::{Serialize, Serializer};

use crate::evaluate::report::display_name;
use crate::fit::solvers::{FitReport, StopReason};
use crate::inference::special::chi_square_sf;
use crate::model::inference::{
    Covariance, CovarianceSource, Inference, ParameterStatus, INTERCEPT_NAME,
};
use crate::model::{Model, ModelKind};

use super::terms::{Flag, Term};

/// What a summary reads from a model, whatever the file layout.
pub(super) struct ModelView<'a> {
    pub target: &'a str,
    /// Model order (binary: negative, positive).
    pub classes: Vec<String>,
    /// Training rows per class, in `classes` order.
    pub class_counts: Vec<usize>,
    pub names: Vec<&'a str>,
    /// Multinomial (the summary reports contrasts against the first class) or binary.
    pub multinomial: bool,
    /// `n_scores x p` in original units (binary: one row).
    pub coefficients: Vec<Vec<f64>>,
    pub coefficients_standardized: Vec<Vec<f64>>,
    /// One per score (ignored without an intercept).
    pub intercepts: Vec<f64>,
    pub l2: f64,
    pub fit_intercept: bool,
    pub standardize: bool,
    pub n_rows: usize,
    /// `S`, the frequency-weight total (`n_rows` unweighted; rows of weight 0 count nowhere).
    pub weight_sum: f64,
    /// Whether the rows carried weights.
    pub weighted: bool,
    pub fit: &'a FitReport,
    pub inference: Option<&'a Inference>,
}

impl<'a> ModelView<'a> {
    /// The view of a binary or multinomial model (`None` for one-vs-rest). A binary model's
    /// classes are `[negative, positive]` here, whatever their model order.
    pub fn of(model: &'a Model) -> Option<ModelView<'a>> {
        let t = &model.training;
        let (classes, class_counts, multinomial) = match &model.kind {
            ModelKind::Binary { labels, .. } => {
                let (n_positive, n_negative) = model.binary_counts()?;
                (
                    vec![labels.negative.clone(), labels.positive.clone()],
                    vec![n_negative, n_positive],
                    false,
                )
            }
            ModelKind::Multinomial => (model.classes.clone(), t.class_counts.clone(), true),
            ModelKind::Ovr => return None,
        };
        Some(ModelView {
            target: &model.target,
            classes,
            class_counts,
            names: model.features.iter().map(|f| f.name.as_str()).collect(),
            multinomial,
            coefficients: model.coefficients.clone(),
            coefficients_standardized: model.coefficients_standardized.clone(),
            intercepts: model.intercepts.clone(),
            l2: model.objective.l2,
            fit_intercept: model.objective.fit_intercept,
            standardize: model.objective.standardize,
            n_rows: t.n_rows,
            weight_sum: t.weight_sum,
            weighted: model.objective.is_weighted(),
            fit: &model.fit,
            inference: model.inference.as_ref(),
        })
    }

    pub fn separated(&self) -> bool {
        self.fit.stop_reason == StopReason::Separation
    }

    /// The stored covariance, unless the fit stopped on separation.
    /// (A covariance of another shape than the model's parameters is ignored; `Model::load`
    /// rejects such files, so this only guards against a model built in memory.)
    pub fn covariance(&self) -> Option<&'a Covariance> {
        let q = self.names.len() + usize::from(self.fit_intercept);
        let blocks = if self.multinomial {
            self.classes.len().saturating_sub(1)
        } else {
            1
        };
        self.inference
            .and_then(|i| i.covariance.as_ref())
            .filter(|c| !self.separated() && c.status.len() == q * blocks)
    }

    /// The log-likelihood: stored, or (models written before `inference` existed) the
    /// objective with its penalty undone.
    pub fn log_likelihood(&self) -> f64 {
        match self.inference {
            Some(i) => i.log_likelihood,
            None => {
                let penalty: f64 = self
                    .coefficients_standardized
                    .iter()
                    .flatten()
                    .map(|w| w * w)
                    .sum::<f64>()
                    * self.l2
                    / 2.0;
                -self.weight_sum * (self.fit.objective - penalty)
            }
        }
    }

    /// The intercept-only model's log-likelihood: stored, or from the class counts.
    pub fn null_log_likelihood(&self) -> f64 {
        if let Some(null) = self.inference.and_then(|i| i.null_log_likelihood) {
            return null;
        }
        let n = self.n_rows as f64;
        if self.fit_intercept {
            self.class_counts
                .iter()
                .filter(|&&c| c > 0)
                .map(|&c| c as f64 * (c as f64 / n).ln())
                .sum()
        } else {
            n * (1.0 / self.classes.len().max(2) as f64).ln()
        }
    }
}

/// Serialises a count that frequency weights may make fractional: as an integer when it is one
/// (so unweighted summaries print `df_residuals` as before).
pub(super) fn count<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    if value.fract() == 0.0 && value.abs() < 9e15 {
        serializer.serialize_i64(*value as i64)
    } else {
        serializer.serialize_f64(*value)
    }
}

/// The likelihood-based fit statistics (statsmodels' definitions, `n = S` with weights).
pub(super) struct Statistics {
    pub rank: usize,
    pub df_model: usize,
    pub df_residuals: f64,
    pub log_likelihood: Option<f64>,
    pub null_log_likelihood: f64,
    pub aic: Option<f64>,
    pub bic: Option<f64>,
    pub pseudo_r2: Option<f64>,
    pub llr: Option<f64>,
    pub llr_p_value: Option<f64>,
}

impl Statistics {
    /// `k` parameters of which the null model has `null_parameters` (its intercepts).
    pub fn of(view: &ModelView, k: usize, null_parameters: usize) -> Statistics {
        let s = view.weight_sum;
        let rank = view.covariance().map_or(k, |c| c.rank);
        let df_model = rank.saturating_sub(null_parameters);
        let null_log_likelihood = view.null_log_likelihood();
        // After separation the stopping point's likelihood is not a maximum: show none of it.
        let fitted = (!view.separated()).then(|| view.log_likelihood());
        let llr = fitted.map(|ll| 2.0 * (ll - null_log_likelihood));
        Statistics {
            rank,
            df_model,
            df_residuals: s - rank as f64,
            log_likelihood: fitted,
            null_log_likelihood,
            aic: fitted.map(|ll| -2.0 * ll + 2.0 * rank as f64),
            bic: fitted.map(|ll| -2.0 * ll + rank as f64 * s.ln()),
            pseudo_r2: fitted
                .filter(|_| null_log_likelihood < 0.0)
                .map(|ll| 1.0 - ll / null_log_likelihood),
            llr,
            llr_p_value: llr
                .filter(|_| df_model > 0)
                .map(|llr| chi_square_sf(llr, df_model as f64)),
        }
    }
}

/// The notes of a summary, most important first. `k` is the number of parameters.
pub(super) fn notes(view: &ModelView, k: usize, rank: usize) -> Vec<String> {
    let mut notes = Vec::new();
    let separated = view.separated();
    let covariance = view.covariance();
    let multinomial = view.multinomial;
    if separated {
        notes.push(
            "the classes are separated: the maximum-likelihood estimate does not exist (the \
             coefficients grow without bound and the likelihood has no maximum), so no estimate, \
             standard error, test, log-likelihood, AIC or BIC is shown; refit with --l2 > 0 or \
             drop the separating feature"
                .to_string(),
        );
    } else if let Some(why) = view.inference.and_then(|i| i.covariance_omitted.as_ref()) {
        notes.push(format!("no standard errors: {why}"));
    } else if view.inference.is_none() {
        notes.push(
            "no standard errors: the model was written by a logit without `summary` support \
             (no covariance stored); retrain it to get them"
                .to_string(),
        );
    }
    if view.weighted {
        let s = view.weight_sum;
        notes.push(format!(
            "frequency weights (as statsmodels GLM freq_weights and R's glm prior weights): a row \
             of weight s counts as s rows, so the log-likelihood, standard errors, AIC and BIC are \
             those of the data with each row repeated; n = S = {} (the weight total, over {} rows) \
             in BIC and the degrees of freedom; rows of weight 0 count nowhere",
            s, view.n_rows
        ));
    }
    let l2 = view.l2;
    if l2 > 0.0 {
        // `n` unweighted (the v1 wording), `S` with frequency weights.
        let n = if view.weighted { "S" } else { "n" };
        notes.push(format!(
            "penalised fit (l2 = {l2}): the standard errors are NOT the classical ones. They are the \
             square roots of the inverse penalised Hessian ({n} (H + l2 I))^-1{}, the Laplace \
             approximation to the posterior under N(0, 1/({n} l2)) priors on the {} coefficients; \
             the estimates are shrunk towards 0, so z, p-values and intervals are approximate \
             Bayesian quantities, and the likelihood-ratio test, AIC and BIC (which count all {k} \
             parameters{}) are not valid tests or criteria for a penalised fit{}",
            if multinomial {
                " of the symmetric parametrisation, carried to the contrasts against the reference class"
            } else {
                ""
            },
            if view.standardize { "standardised" } else { "raw" },
            covariance
                .map(|c| format!("; the effective number is {:.2}", c.effective_parameters))
                .unwrap_or_default(),
            if multinomial {
                "; statsmodels' MNLogit standard errors need --l2 0"
            } else {
                ""
            }
        ));
    }
    let fit = view.fit;
    if !fit.converged && !separated {
        notes.push(format!(
            "the {} solver did not converge ({}, gradient max-norm {:.2e} > tol {:.0e}): the \
             estimates are where it stopped",
            fit.solver, fit.stop_reason, fit.gradient_norm, fit.tol
        ));
    }
    let flagged = |which: ParameterStatus| -> Vec<String> {
        let Some(c) = covariance else {
            return Vec::new();
        };
        (0..c.status.len())
            .filter(|&i| c.status[i] == which)
            .map(|i| format!("{:?}", display_name(&c.parameter_name(i))))
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
    if !view.fit_intercept {
        notes.push(if multinomial {
            "no intercept: the null model predicts 1/K for every class and row".to_string()
        } else {
            "no intercept: the null model predicts p = 1/2 for every row (as R's glm)".to_string()
        });
    }
    notes
}

/// The statistical summary of a binary model: what `logit summary --json` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub target: String,
    pub positive_label: String,
    /// Training rows.
    pub n: usize,
    pub n_positive: usize,
    pub n_negative: usize,
    /// With frequency weights: `S`, the weight total (the `n` of BIC and the degrees of freedom).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n_weighted: Option<f64>,
    /// Parameters fitted, intercept included.
    pub n_parameters: usize,
    /// Parameters identified by the data (the rank of the information; `n_parameters` when unknown).
    pub rank: usize,
    /// `rank - 1` with an intercept (the null model's one parameter), else `rank`.
    pub df_model: usize,
    /// `S - rank` (`n - rank` unweighted).
    #[serde(serialize_with = "count")]
    pub df_residuals: f64,
    pub l2: f64,
    /// Which covariance the standard errors come from; `null` when none is available.
    pub standard_errors: Option<CovarianceSource>,
    /// `sum_i s_i [y_i ln p_i + (1 - y_i) ln(1 - p_i)]` (unpenalised). This and every statistic
    /// built on it are `null` after separation, where the likelihood has no maximum (its
    /// supremum is approached only as the coefficients run off to infinity).
    pub log_likelihood: Option<f64>,
    /// The intercept-only model: `S1 ln(S1/S) + S0 ln(S0/S)`; without an intercept, `p = 1/2`
    /// for every row, `S ln(1/2)` (as R's `glm`).
    pub null_log_likelihood: f64,
    /// `-2 LL` (the saturated model of 0/1 data has likelihood 1).
    pub deviance: Option<f64>,
    pub null_deviance: f64,
    /// `-2 LL + 2 k`, `k = rank` (statsmodels `aic`).
    pub aic: Option<f64>,
    /// `-2 LL + k ln S` (statsmodels `bic`; `bic_llf` with frequency weights).
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
    pub(super) fn of_view(view: &ModelView) -> Summary {
        let p = view.names.len();
        let k = p + usize::from(view.fit_intercept);
        let covariance = view.covariance();
        let stats = Statistics::of(view, k, usize::from(view.fit_intercept));
        let status = |i: usize| covariance.map_or(ParameterStatus::Ok, |c| c.status[i]);
        let variance = |i: usize| covariance.and_then(|c| c.matrix[i][i]);
        let flag = |i: usize| {
            if view.separated() {
                Some(Flag::Separation)
            } else {
                Flag::of(status(i))
            }
        };
        let coefficients: Vec<Term> = view
            .names
            .iter()
            .zip(&view.coefficients[0])
            .enumerate()
            .map(|(j, (name, &w))| Term::new(name, w, variance(j), flag(j)))
            .collect();
        let intercept = view
            .fit_intercept
            .then(|| Term::new(INTERCEPT_NAME, view.intercepts[0], variance(p), flag(p)));
        Summary {
            target: view.target.to_string(),
            positive_label: view.classes[1].clone(),
            n: view.n_rows,
            n_positive: view.class_counts[1],
            n_negative: view.class_counts[0],
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
            intercept,
            coefficients,
            notes: notes(view, k, stats.rank),
        }
    }
}

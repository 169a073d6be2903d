//! The fits behind a model: one binomial fit (binary target), one multinomial fit, or K binomial
//! fits of class k against the rest (`--multiclass ovr`, y_k = [y == k], the same weights and
//! penalty), each on the standardised design, plus `--cross-check` against linfa.

use ndarray::{Array1, ArrayView1};

use super::{Multiclass, TrainConfig};
use crate::data::cache::CachedDesign;
use crate::data::design::{CsrDesign, DenseDesign, Design, Matrix, Scaler};
use crate::data::encode::{SampleWeights, TrainingData};
use crate::error::{Error, Result};
use crate::fit::objective::{Family, Objective};
use crate::fit::solvers::{self, linfa::CrossCheck, Fit, StopReason};
use crate::model::inference::Inference;

/// Relative disagreement beyond which `--cross-check` fails.
const CROSS_CHECK_TOLERANCE: f64 = 1e-4;

/// What was fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FittedKind {
    Binary,
    Multinomial,
    Ovr,
}

/// The fits and what came with them.
#[derive(Debug)]
pub struct Fitted {
    pub kind: FittedKind,
    /// Binary and multinomial: one fit. OvR: one per class, model order.
    pub fits: Vec<Fit>,
    /// The `--cross-check` comparison (OvR: the fit that disagrees most).
    pub cross: Option<CrossCheck>,
    pub inference: Option<Inference>,
    /// Notes from the fits (a skipped cross-check).
    pub warnings: Vec<String>,
}

impl Fitted {
    /// Standardised coefficients (n_scores x p) and intercepts (n_scores; 0 without one), from
    /// the theta layout `[W row-major, b]`.
    pub fn standardized(&self, p: usize, fit_intercept: bool) -> (Vec<Vec<f64>>, Vec<f64>) {
        let split = |theta: &[f64], n_scores: usize| {
            let w: Vec<Vec<f64>> = (0..n_scores)
                .map(|k| theta[k * p..(k + 1) * p].to_vec())
                .collect();
            let b: Vec<f64> = (0..n_scores)
                .map(|k| {
                    if fit_intercept {
                        theta[n_scores * p + k]
                    } else {
                        0.0
                    }
                })
                .collect();
            (w, b)
        };
        match self.kind {
            FittedKind::Binary => split(&self.fits[0].theta, 1),
            FittedKind::Multinomial => {
                let n_scores = self.fits[0].theta.len() / (p + usize::from(fit_intercept));
                split(&self.fits[0].theta, n_scores)
            }
            FittedKind::Ovr => {
                let (mut w, mut b) = (Vec::new(), Vec::new());
                for fit in &self.fits {
                    let (wk, bk) = split(&fit.theta, 1);
                    w.extend(wk);
                    b.extend(bk);
                }
                (w, b)
            }
        }
    }
}

fn weighted<'a>(
    objective: Objective<'a>,
    s: Option<ArrayView1<'a, f64>>,
    config: &'a TrainConfig,
) -> Objective<'a> {
    let objective = match s {
        Some(s) => objective.with_weights(s),
        None => objective,
    };
    // `--distributed`: the passes' sums are added across the ranks.
    match &config.reducer {
        Some(r) => objective.with_reducer(r.as_ref()),
        None => objective,
    }
}

/// Runs the fits of `data` (already standardised by `scaler`: a dense matrix centred and
/// scaled, a sparse one scaled, its centring folded in by [`CsrDesign`]).
pub fn fit_all(
    config: &TrainConfig,
    data: &TrainingData,
    weights: &SampleWeights,
    scaler: &Scaler,
    multiclass: Option<Multiclass>,
    observer: &mut dyn FnMut(&solvers::Iteration),
) -> Result<Fitted> {
    let dense;
    let sparse;
    let cached;
    let x: &dyn Design = match &data.x {
        Matrix::Cached(x) => {
            cached = CachedDesign::new(x, scaler);
            &cached
        }
        Matrix::Dense(x) => {
            dense = DenseDesign::new(x.view());
            &dense
        }
        Matrix::Sparse(x) => {
            sparse = CsrDesign::new(x, scaler.shift());
            &sparse
        }
    };
    let s = weights.s.as_ref().map(|s| s.view());
    let (l1, l2, intercept) = (config.l1, config.l2, config.fit_intercept);
    let mut warnings = Vec::new();
    match multiclass {
        None => {
            let objective = weighted(
                Objective::with_design(x, data.y.view(), Family::Binomial, l2, intercept)
                    .with_penalty(l1, l2),
                s,
                config,
            );
            let fit = solvers::fit_observed(&objective, &config.fit, observer)?;
            let cross = cross_check(config, &objective, &fit, None, &mut warnings)?;
            let inference = inference(config.l1, &objective, &fit, scaler, data);
            Ok(Fitted {
                kind: FittedKind::Binary,
                fits: vec![fit],
                cross,
                inference,
                warnings,
            })
        }
        Some(Multiclass::Multinomial) => {
            let classes = data.classes.len();
            let family = Family::Multinomial { classes };
            let objective = weighted(
                Objective::with_design(x, data.y.view(), family, l2, intercept)
                    .with_penalty(l1, l2),
                s,
                config,
            );
            let fit = solvers::fit_observed(&objective, &config.fit, observer)?;
            let cross = cross_check(config, &objective, &fit, None, &mut warnings)?;
            let inference = inference(config.l1, &objective, &fit, scaler, data);
            Ok(Fitted {
                kind: FittedKind::Multinomial,
                fits: vec![fit],
                cross,
                inference,
                warnings,
            })
        }
        Some(Multiclass::Ovr) => {
            let mut fits = Vec::with_capacity(data.classes.len());
            let mut worst: Option<CrossCheck> = None;
            for (c, class) in data.classes.iter().enumerate() {
                let y_c: Array1<f64> = data.y.mapv(|v| f64::from(u8::from(v == c as f64)));
                let s = weights.s.as_ref().map(|s| s.view());
                let objective = weighted(
                    Objective::with_design(x, y_c.view(), Family::Binomial, l2, intercept)
                        .with_penalty(l1, l2),
                    s,
                    config,
                );
                let fit = solvers::fit_observed(&objective, &config.fit, observer)?;
                if let Some(cc) = cross_check(config, &objective, &fit, Some(class), &mut warnings)?
                {
                    let worse = worst.as_ref().is_none_or(|w| {
                        cc.max_relative_coefficient_difference
                            > w.max_relative_coefficient_difference
                    });
                    if worse {
                        worst = Some(cc);
                    }
                }
                fits.push(fit);
            }
            Ok(Fitted {
                kind: FittedKind::Ovr,
                fits,
                cross: worst,
                inference: None,
                warnings,
            })
        }
    }
}

/// The statistics `logit summary` reads, computed while the objective is at hand (one-vs-rest
/// models have none: summary refuses them; nor have L1 fits, whose classical standard errors do
/// not apply, see `commands::summary::refuse_lasso`).
fn inference(
    l1: f64,
    objective: &Objective,
    fit: &Fit,
    scaler: &Scaler,
    data: &TrainingData,
) -> Option<Inference> {
    if l1 > 0.0 {
        return None;
    }
    // Row weights are frequency weights (statsmodels GLM freq_weights); a multinomial fit gets
    // statsmodels MNLogit's view (contrasts against the first class).
    Some(crate::inference::summary::compute_inference(
        objective,
        &fit.theta,
        &scaler.mean,
        &scaler.std,
        &data.feature_names,
        &fit.report,
        &data.classes,
    ))
}

/// `--cross-check`: refit with linfa and fail when the two disagree. Skipped (with a note) when
/// the classes are separated: no finite optimum exists to compare. `class` names the OvR fit.
fn cross_check(
    config: &TrainConfig,
    objective: &Objective,
    fit: &Fit,
    class: Option<&str>,
    warnings: &mut Vec<String>,
) -> Result<Option<CrossCheck>> {
    if !config.cross_check {
        return Ok(None);
    }
    let which = class.map_or(String::new(), |c| {
        format!(" (fit of class {c:?} against the rest)")
    });
    if fit.report.stop_reason == StopReason::Separation {
        warnings.push(format!(
            "cross-check skipped{which}: the classes are separated, so no finite optimum exists to compare"
        ));
        return Ok(None);
    }
    let c = solvers::linfa::cross_check(objective, fit, &config.fit)?;
    let scale = 1.0f64.max(fit.report.objective.abs());
    if c.max_relative_coefficient_difference > CROSS_CHECK_TOLERANCE
        || c.objective_difference.abs() > CROSS_CHECK_TOLERANCE * scale
    {
        return Err(Error::CrossCheck(format!(
            "{} and linfa disagree{which}: max coefficient difference {:.3e} (relative {:.3e}), \
             objective {} vs {} (tolerance {CROSS_CHECK_TOLERANCE:e} relative)",
            config.fit.solver,
            c.max_coefficient_difference,
            c.max_relative_coefficient_difference,
            c.objective_ours,
            c.objective_linfa
        )));
    }
    Ok(Some(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::solvers::{FitReport, SolverKind};

    fn fit(theta: Vec<f64>) -> Fit {
        Fit {
            theta,
            report: FitReport {
                solver: SolverKind::Lbfgs,
                converged: true,
                stop_reason: StopReason::Converged,
                iterations: 1,
                objective: 0.5,
                gradient_norm: 0.0,
                tol: 1e-10,
                max_iter: 10,
                newton_steps: 0,
            },
        }
    }

    fn fitted(kind: FittedKind, fits: Vec<Fit>) -> Fitted {
        Fitted {
            kind,
            fits,
            cross: None,
            inference: None,
            warnings: Vec::new(),
        }
    }

    #[test]
    fn coefficients_come_out_of_the_theta_layout_per_score() {
        // Multinomial, K = 3, p = 2: [W row-major, b_0, b_1, b_2].
        let m = fitted(
            FittedKind::Multinomial,
            vec![fit(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0])],
        );
        let (w, b) = m.standardized(2, true);
        assert_eq!(w, vec![vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0, 6.0]]);
        assert_eq!(b, vec![7.0, 8.0, 9.0]);
        let m = fitted(
            FittedKind::Multinomial,
            vec![fit(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])],
        );
        let (w, b) = m.standardized(2, false);
        assert_eq!(w, vec![vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0, 6.0]]);
        assert_eq!(b, vec![0.0; 3]);
        // One-vs-rest: one [w, b] per class; binary: one.
        let o = fitted(
            FittedKind::Ovr,
            vec![fit(vec![1.0, 2.0, 3.0]), fit(vec![4.0, 5.0, 6.0])],
        );
        assert_eq!(
            o.standardized(2, true),
            (vec![vec![1.0, 2.0], vec![4.0, 5.0]], vec![3.0, 6.0])
        );
        let bin = fitted(FittedKind::Binary, vec![fit(vec![1.0, 2.0, 3.0])]);
        assert_eq!(bin.standardized(2, true), (vec![vec![1.0, 2.0]], vec![3.0]));
    }
}

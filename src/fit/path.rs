//! Regularisation paths: glmnet's lambda sequence and the fits along it, with warm starts and
//! sequential strong rules.
//!
//! At each `lambda` the penalty is `alpha lambda ||W||_1 + ((1 - alpha) lambda / 2) ||W||^2`
//! (`alpha` = `--l1-ratio`), glmnet's elastic net on the objective's (standardised) design.
//! Every fit starts from the previous solution. For `alpha > 0` the starting working set of
//! coordinate descent is the previous non-zeros plus the sequential strong set (Tibshirani et al.
//! 2012, "Strong rules for discarding predictors in lasso-type problems", JRSS B 74(2)):
//! coefficient `j` is kept when `|dL/dw_j| >= alpha (2 lambda_k - lambda_{k-1})` at the previous
//! solution (`L` the loss). The rule can be wrong, so every fit ends with the KKT check over all
//! coefficients (the solver's full gradient pass), and violators are added and refitted.
//!
//! Everything runs through one column-major copy of the design, built once for the whole path;
//! the fits are sequential and each is deterministic whatever the thread count, so the path is.

use crate::fit::cd;
use crate::fit::objective::{Family, Objective, BLOCK_ROWS};
use crate::fit::solvers::{self, Fit, FitError, FitOptions, SolverKind};

/// glmnet's `lambda_max`: the smallest `lambda` at which every coefficient is 0, for the
/// elastic-net mix `alpha` (floored at 1e-3, as glmnet does, so `alpha = 0` gives a finite
/// value). On the objective's design with its weights:
/// binomial `max_j |sum_i s_i (y_i - ybar) x_ij| / (S max(alpha, 1e-3))`, `ybar` the weighted
/// mean label; multinomial the maximum over `j` and classes `c` of
/// `|sum_i s_i ([y_i = c] - ybar_c) x_ij| / (S max(alpha, 1e-3))`. Without an intercept the null
/// model's probabilities (1/2, `1/K`) take the place of `ybar`.
pub fn lambda_max(objective: &Objective, alpha: f64) -> f64 {
    let n = objective.n_rows();
    let p = objective.n_features();
    let k = objective.n_scores();
    let weight = |i: usize| objective.weights().map_or(1.0, |s| s[i]);
    let total = objective.weight_sum();
    let multinomial = matches!(objective.family(), Family::Multinomial { .. });
    let indicator = |i: usize, c: usize| -> f64 {
        let y = objective.y[i];
        if multinomial {
            f64::from(u8::from(y == c as f64))
        } else {
            f64::from(u8::from(y > 0.5))
        }
    };
    let mut mean = vec![0.0; k];
    if objective.fit_intercept {
        for i in 0..n {
            let s = weight(i);
            if s != 0.0 {
                for (c, m) in mean.iter_mut().enumerate() {
                    *m += s * indicator(i, c);
                }
            }
        }
        mean.iter_mut().for_each(|m| *m /= total);
    } else {
        let null = if multinomial { 1.0 / k as f64 } else { 0.5 };
        mean.iter_mut().for_each(|m| *m = null);
    }
    let design = objective.design();
    let kernel = objective.exec.kernel;
    let rows = BLOCK_ROWS;
    let mut g = vec![0.0; k * p];
    let mut r = vec![0.0; rows * k];
    let mut start = 0;
    while start < n {
        let end = (start + rows).min(n);
        let r = &mut r[..(end - start) * k];
        for i in start..end {
            let s = weight(i);
            for c in 0..k {
                r[(i - start) * k + c] = if s == 0.0 {
                    0.0
                } else {
                    s * (indicator(i, c) - mean[c])
                };
            }
        }
        design.add_xt_r_block(kernel, start..end, r, &mut g);
        start = end;
    }
    let largest = g.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    largest / (total * alpha.max(1e-3))
}

/// glmnet's default `lambda.min.ratio`: 1e-4 when there are at least as many rows as features,
/// else 1e-2.
pub fn default_lambda_min_ratio(n_rows: usize, n_features: usize) -> f64 {
    if n_rows >= n_features {
        1e-4
    } else {
        1e-2
    }
}

/// `n_lambda` values log-spaced from `lambda_max` down to `min_ratio * lambda_max`, descending:
/// `lambda_k = lambda_max min_ratio^(k / (n_lambda - 1))` (the first is `lambda_max` exactly).
pub fn lambda_sequence(lambda_max: f64, n_lambda: usize, min_ratio: f64) -> Vec<f64> {
    if n_lambda <= 1 {
        return vec![lambda_max; n_lambda];
    }
    let last = (n_lambda - 1) as f64;
    (0..n_lambda)
        .map(|k| {
            if k == 0 {
                lambda_max
            } else {
                lambda_max * (min_ratio.ln() * (k as f64 / last)).exp()
            }
        })
        .collect()
}

/// One fit of a path.
#[derive(Debug, Clone, PartialEq)]
pub struct PathPoint {
    pub lambda: f64,
    /// `alpha lambda`.
    pub l1: f64,
    /// `(1 - alpha) lambda`.
    pub l2: f64,
    pub fit: Fit,
    /// Mean deviance at the fit ([`Objective::deviance`]).
    pub deviance: f64,
    /// `1 - deviance / null deviance` (null = the intercept-only fit, weighted).
    pub dev_ratio: f64,
    /// Coefficients (`W` entries) that are not exactly 0.
    pub nonzero: usize,
}

/// Settings of a path.
#[derive(Debug, Clone)]
pub struct PathOptions {
    /// The elastic-net mix, in `[0, 1]` (1 = lasso).
    pub alpha: f64,
    /// Tolerance and iteration cap of each fit (the solver is always cd).
    pub fit: FitOptions,
    /// glmnet's early stop (for default sequences): after at least 5 lambdas, stop once the
    /// deviance ratio grows by less than 1e-5, or exceeds 0.999. (glmnet 4.1-6's lognet compares
    /// the absolute change with `fdev`, not the change relative to the ratio; on pima that is
    /// what returns its 60 of 100 lambdas.)
    pub early_stop: bool,
}

/// glmnet's `mnlam`: lambdas fitted before the early stop may apply.
const EARLY_STOP_MIN: usize = 5;
/// glmnet's `fdev`: the change of the deviance ratio that ends a path.
const EARLY_STOP_CHANGE: f64 = 1e-5;
/// glmnet's `devmax`.
const EARLY_STOP_RATIO: f64 = 0.999;

/// Fits the path of `objective` (whose own penalties are ignored) at `lambdas` (in the given
/// order, normally descending), calling `progress(k, total)` after fit `k`.
pub fn fit_path(
    objective: &Objective,
    lambdas: &[f64],
    options: &PathOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Vec<PathPoint>, FitError> {
    let alpha = options.alpha;
    if !(0.0..=1.0).contains(&alpha) {
        return Err(FitError::InvalidOption {
            name: "--l1-ratio",
            value: alpha.to_string(),
            expected: "a number in [0, 1]",
        });
    }
    if let Some(v) = lambdas.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
        return Err(FitError::InvalidOption {
            name: "--lambdas",
            value: v.to_string(),
            expected: "finite numbers >= 0",
        });
    }
    let fit_options = FitOptions {
        solver: SolverKind::Cd,
        ..options.fit.clone()
    };
    fit_options.validate()?;
    let base = objective.with_penalty(0.0, 0.0);
    solvers::check_problem(&base)?;
    let n_params = base.n_params();
    let kp = base.n_scores() * base.n_features();
    let start = null_start(&base);
    let null_deviance = base.deviance(&start);
    let separated = base.fit_intercept && solvers::separation::missing_class(&base);
    let cols = cd::columns(&base);
    let mut problem = cd::problem(&base, &*cols);
    let mut theta = start;
    let mut previous: Option<(f64, f64, Vec<f64>)> = None;
    let mut scores: Option<Vec<f64>> = None;
    let mut points: Vec<PathPoint> = Vec::with_capacity(lambdas.len());
    for (index, &lambda) in lambdas.iter().enumerate() {
        let (l1, l2) = (alpha * lambda, (1.0 - alpha) * lambda);
        let obj = base.with_penalty(l1, l2);
        let (fit, loss) = if n_params == 0 || separated {
            let f = solvers::trivial_fit(&obj, &fit_options, theta.clone(), separated);
            let loss = obj.deviance(&f.theta) / 2.0;
            (f, loss)
        } else {
            problem.l1 = l1;
            problem.l2 = l2;
            // Strong set from the previous solution's loss gradient.
            let screen = match &previous {
                Some((prev_lambda, prev_l2, grad)) if alpha > 0.0 => {
                    let cut = alpha * (2.0 * lambda - prev_lambda);
                    Some(
                        (0..kp)
                            .map(|j| (grad[j] - prev_l2 * theta[j]).abs() >= cut)
                            .collect::<Vec<bool>>(),
                    )
                }
                _ => None,
            };
            let done = cd::solve(
                &obj,
                &problem,
                &fit_options,
                &theta,
                scores.take(),
                screen.as_deref(),
                &mut |_| {},
            );
            previous = Some((lambda, l2, done.grad.clone()));
            scores = Some(done.scores);
            (done.fit, done.loss)
        };
        theta.clone_from(&fit.theta);
        let deviance = 2.0 * loss;
        let dev_ratio = 1.0 - deviance / null_deviance;
        let nonzero = fit.theta[..kp].iter().filter(|v| **v != 0.0).count();
        points.push(PathPoint {
            lambda,
            l1,
            l2,
            fit,
            deviance,
            dev_ratio,
            nonzero,
        });
        progress(index, lambdas.len());
        if options.early_stop && points.len() >= EARLY_STOP_MIN {
            let last = points[points.len() - 1].dev_ratio;
            let before = points[points.len() - 2].dev_ratio;
            if last > EARLY_STOP_RATIO || last - before < EARLY_STOP_CHANGE {
                break;
            }
        }
    }
    Ok(points)
}

/// The intercept-only optimum (all coefficients 0): binomial `b = logit(ybar)`, multinomial
/// `b_c = log(ybar_c)` centred; without an intercept, `theta = 0`.
fn null_start(objective: &Objective) -> Vec<f64> {
    let mut theta = vec![0.0; objective.n_params()];
    if !objective.fit_intercept {
        return theta;
    }
    let k = objective.n_scores();
    let kp = k * objective.n_features();
    let weight = |i: usize| objective.weights().map_or(1.0, |s| s[i]);
    let total = objective.weight_sum();
    match objective.family() {
        Family::Binomial => {
            let pos: f64 = (0..objective.n_rows())
                .filter(|&i| objective.y[i] > 0.5)
                .map(weight)
                .sum();
            let ybar = pos / total;
            if ybar > 0.0 && ybar < 1.0 {
                theta[kp] = (ybar / (1.0 - ybar)).ln();
            }
        }
        Family::Multinomial { classes } => {
            let mut count = vec![0.0; classes];
            for i in 0..objective.n_rows() {
                let c = objective.y[i] as usize;
                if c < classes {
                    count[c] += weight(i);
                }
            }
            if count.iter().all(|&c| c > 0.0) {
                let logs: Vec<f64> = count.iter().map(|c| (c / total).ln()).collect();
                let mean = logs.iter().sum::<f64>() / classes as f64;
                for (c, l) in logs.iter().enumerate() {
                    theta[kp + c] = l - mean;
                }
            }
        }
    }
    theta
}

#[cfg(test)]
mod tests;

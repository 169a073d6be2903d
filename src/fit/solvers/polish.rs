//! The exact end game: Newton steps on the full Hessian after a smooth solver's iterations,
//! until the gradient is at rounding level.
//!
//! # Why
//!
//! The solvers stop once the gradient's max-norm is within `tol`, so two runs that differ only
//! in rounding (the sums of a fit over rows split among processes are added in another order)
//! stop at different points of the ball `|g| <= tol` around the optimum and can disagree by
//! `tol / lambda_min(H)` in the coefficients (8e-10 in probabilities on the bench set M at
//! `tol` 1e-10). Newton steps from there converge quadratically (Nocedal & Wright, *Numerical
//! Optimization*, 2nd ed., Thm. 3.6), so one or two of them bring both runs to the optimum to
//! within the rounding of the gradient itself (about `cond(H) * 1e-16` relative), wherever in
//! the ball they started: the fitted model then no longer depends on the path.
//!
//! # The rule
//!
//! Each step solves `H d = -g` by the Cholesky factorisation of the diagonally scaled Hessian
//! (multinomial: on the centred subspace, as [`super::newton`]) and is accepted only when it is
//! *small* (`|d|_inf <= MAX_STEP (1 + |theta|_inf)`), does not raise the objective beyond
//! rounding, and strictly lowers the gradient's max-norm; near the optimum objective
//! differences are below rounding, so the gradient decides. The factorisation is reused while
//! the steps contract the gradient fast (by [`FAST`] or more: a Hessian costs about `K p / 4`
//! gradient passes) and recomputed otherwise. The end game stops at the first rejected step:
//! the rounding floor.
//!
//! Not for L1 or elastic net (coordinate descent; the objective is not smooth), nor above
//! [`MAX_PARAMS`] parameters, where the Hessian (`n k^2 / 2` multiply-adds, `8 k^2` bytes) costs
//! more than the iterations it would save; detected separation has no optimum to polish.

use super::linalg::{factor_with_ridge, norm_inf, Cholesky};
use super::linesearch::value_slack;
use super::newton::fix_class_sum_directions;
use super::{centre, Iteration, Point};
use crate::fit::objective::{Family, Objective};

/// Largest number of parameters polished: a Hessian of `256^2` entries costs about 64 gradient
/// passes (`n k^2 / 2` multiply-adds against the pass's `2 n k` plus the exp/log), which the
/// end game repays only up to about this size; beyond it the fit ends as the solver left it.
pub const MAX_PARAMS: usize = 256;

/// L-BFGS hands over to the end game once the gradient's max-norm is within this (or the
/// tolerance, if larger): from there two Hessians and four or five Newton steps reach rounding
/// level, where L-BFGS would need tens of further iterations to reach `tol` 1e-10. On the bench
/// set M (1e6 x 50, `--l2 1e-4`): 71 L-BFGS iterations to 1e-10 before; handing over at 1e-6
/// 39 + 3 Newton steps, at 1e-5 31 + 3, at 1e-4 24 + 5, at 1e-3 16 + 4, every one ending at a
/// gradient below 1e-17. 1e-4 leaves a margin before the region where a Newton step from an
/// ill-conditioned start is rejected (L-BFGS then resumes).
pub const HANDOVER_TOL: f64 = 1e-4;

/// [`HANDOVER_TOL`], or `LOGIT_HANDOVER_TOL` (a benchmarking knob, read once).
pub(crate) fn handover_tol() -> f64 {
    static TOL: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TOL.get_or_init(|| {
        std::env::var("LOGIT_HANDOVER_TOL")
            .ok()
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| *v > 0.0)
            .unwrap_or(HANDOVER_TOL)
    })
}

/// Largest accepted step, relative to `1 + |theta|_inf`: a Newton step near the optimum is of
/// the order of `|g| / lambda_min(H)`; a larger one means the quadratic model is not to be
/// trusted (or the iterates are running off along a direction of recession).
const MAX_STEP: f64 = 0.05;

/// A step that shrinks the gradient's max-norm by at least this factor keeps the factorisation
/// for the next step (the Hessian has not moved enough to matter).
const FAST: f64 = 1e-2;

/// At most this many Newton steps, and Hessians.
const MAX_STEPS: usize = 8;
const MAX_HESSIANS: usize = 3;

/// Whether the end game applies to a fit of `objective` by `solver` (a smooth objective, dense
/// factorisation affordable).
pub(crate) fn applies(objective: &Objective, smooth_solver: bool) -> bool {
    smooth_solver && objective.l1 == 0.0 && (1..=MAX_PARAMS).contains(&objective.n_params())
}

/// What the end game did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Polished {
    /// Accepted Newton steps.
    pub steps: usize,
    /// Hessians computed.
    pub hessians: usize,
}

/// A factorisation of the Hessian and the right-hand-side treatment it needs (also L-BFGS's
/// initial inverse Hessian, see [`super::lbfgs`]).
pub(crate) struct Factor {
    chol: Cholesky,
    multinomial: bool,
}

impl Factor {
    /// `v <- H^-1 v` (multinomial: on the centred subspace).
    pub(crate) fn solve(&self, objective: &Objective, v: &mut [f64]) {
        if self.multinomial {
            centre(objective, v);
        }
        self.chol.solve_in_place(v);
        if self.multinomial {
            centre(objective, v);
        }
    }
}

/// The factorised Hessian at `theta` (`None` when even a ridge does not make it positive
/// definite).
pub(crate) fn factor_at(objective: &Objective, theta: &[f64]) -> Option<Factor> {
    let mut h = objective.hessian(theta);
    let mut scratch = vec![0.0; theta.len()];
    let multinomial = fix_class_sum_directions(objective, &mut h, &mut scratch);
    let (chol, _tau) = factor_with_ridge(h.view())?;
    Some(Factor { chol, multinomial })
}

/// Newton steps from `point` (value and gradient filled) until the gradient is at rounding
/// level; `point` is left at the last accepted step. `observer` sees every accepted step as
/// iteration `first_iteration + steps`.
pub(crate) fn polish(
    objective: &Objective,
    point: &mut Point,
    first_iteration: usize,
    observer: &mut dyn FnMut(&Iteration),
) -> Polished {
    let mut done = Polished::default();
    let mut factor: Option<Factor> = None;
    let mut g_norm = point.grad_inf();
    while done.steps < MAX_STEPS && g_norm > 0.0 && g_norm.is_finite() {
        if factor.is_none() {
            if done.hessians == MAX_HESSIANS {
                break;
            }
            done.hessians += 1;
            factor = factor_at(objective, &point.theta);
        }
        let Some(f) = factor.as_ref() else { break };
        let mut d: Vec<f64> = point.grad.iter().map(|g| -g).collect();
        f.solve(objective, &mut d);
        let d_norm = norm_inf(&d);
        let theta_norm = norm_inf(&point.theta);
        if !d_norm.is_finite() || d_norm > MAX_STEP * (1.0 + theta_norm) {
            break;
        }
        if d_norm <= f64::EPSILON * theta_norm {
            // The step would not move theta: the gradient is rounding noise.
            break;
        }
        let mut theta: Vec<f64> = point.theta.iter().zip(&d).map(|(t, s)| t + s).collect();
        if matches!(objective.family(), Family::Multinomial { .. }) {
            centre(objective, &mut theta);
        }
        let trial = Point::at(objective, theta);
        let trial_norm = trial.grad_inf();
        let better = trial_norm < g_norm && trial.value <= point.value + value_slack(point.value);
        if better {
            let ratio = trial_norm / g_norm;
            *point = trial;
            g_norm = trial_norm;
            done.steps += 1;
            observer(&Iteration {
                iteration: first_iteration + done.steps,
                objective: point.value,
                gradient_norm: g_norm,
            });
            if ratio > FAST {
                factor = None;
            }
        } else {
            // A factorisation is kept only while it contracts fast, so a fresh one would do no
            // better: the rounding floor.
            break;
        }
    }
    done
}

#[cfg(test)]
mod tests;

//! Limited-memory BFGS (Nocedal & Wright, *Numerical Optimization*, 2nd ed., Sec. 7.2,
//! Alg. 7.4 two-loop recursion and Alg. 7.5) with a strong-Wolfe line search (Alg. 3.5/3.6, see
//! [`super::linesearch`]).
//!
//! * Memory [`MEMORY`] = 10 pairs (N&W report 3-20 as typically sufficient); initial inverse
//!   Hessian `gamma I` with `gamma = s.y / y.y` from the newest pair (N&W eq. 7.20), so the unit
//!   step is tried first and is usually accepted.
//! * First iteration: steepest descent with trial step `min(1, 1/||g||_2)`.
//! * Small smooth fits ([`precondition`]: at most [`MAX_PRECONDITIONED`] parameters) take the
//!   exact Hessian at the start, factorised once (as the end game does, [`super::polish`]), as
//!   the initial inverse Hessian instead of `gamma I`: the first step is Newton's, and the pairs
//!   then only correct for the curvature's change along the path, not for the conditioning of
//!   the features themselves. Correlated columns make `gamma I` a poor model: on the bench set M
//!   (1e6 x 50, ten latent factors, `--l2 1e-4`) L-BFGS took 24 iterations to hand over to the
//!   end game (33 value-and-gradient passes in all), preconditioned 6 (12 passes and one more
//!   Hessian), at the same optimum (objective within 1e-16 relative). The start's curvature is
//!   rescaled by `gamma = s.y / y.M^-1 y` from the newest pair, as `gamma I` is (it falls as a
//!   fit nears a separation: breast_cancer at `--l2 1e-4`, 38 iterations against 45).
//! * A pair is stored only when `s.y > eps ||s|| ||y||` (positive curvature, which strong Wolfe
//!   guarantees in exact arithmetic), keeping the implicit inverse Hessian positive definite.
//! * If the direction is not a descent direction (rounding) or the line search fails, the memory
//!   is discarded and the iteration retried once from the initial inverse Hessian alone
//!   (steepest descent, or the start's Newton direction) before giving up with
//!   [`StopReason::LineSearchFailed`](super::StopReason::LineSearchFailed).

use std::collections::VecDeque;

use super::linalg::{dot, norm2};
use super::linesearch::{strong_wolfe, Wolfe};
use super::polish::{factor_at, Factor};
use super::{Point, Solver, Step};
use crate::fit::objective::Objective;

/// Number of correction pairs kept.
pub const MEMORY: usize = 10;

/// Largest number of parameters whose fits start from the exact Hessian: forming it costs
/// `n k^2 / 2` multiply-adds, about `k / 4` value-and-gradient passes in arithmetic (fewer in
/// time: a pass is bound by memory, the Hessian by arithmetic; two passes' time at `k = 51` on
/// the bench set M), which the iterations it saves repay up to about this size.
pub const MAX_PRECONDITIONED: usize = 64;

/// Whether an L-BFGS fit of `objective` starts from the exact Hessian (smooth objective, at
/// most [`MAX_PRECONDITIONED`] parameters; the end game's rule, see [`super::polish`]).
pub(crate) fn precondition(objective: &Objective) -> bool {
    super::polish::applies(objective, true) && objective.n_params() <= MAX_PRECONDITIONED
}

/// A correction pair `s = x_{k+1} - x_k`, `y = g_{k+1} - g_k`, `rho = 1 / y.s`.
#[derive(Debug, Clone)]
struct Pair {
    s: Vec<f64>,
    y: Vec<f64>,
    rho: f64,
}

/// L-BFGS state.
pub struct Lbfgs {
    memory: usize,
    pairs: VecDeque<Pair>,
    wolfe: Wolfe,
    initial: Initial,
}

/// The initial inverse Hessian `H_0` of the two-loop recursion.
enum Initial {
    /// `gamma I` from the newest pair (N&W eq. 7.20).
    Scaled,
    /// The exact Hessian at the starting point, factorised when the first step is taken.
    StartHessian(Option<Factor>),
}

impl Lbfgs {
    pub fn new(memory: usize) -> Self {
        Lbfgs {
            memory: memory.max(1),
            pairs: VecDeque::with_capacity(memory.max(1)),
            wolfe: Wolfe::default(),
            initial: Initial::Scaled,
        }
    }

    /// L-BFGS whose initial inverse Hessian is the exact one at the starting point (see the
    /// module doc); for fits whose Hessian is cheap to form and factorise.
    pub fn preconditioned(memory: usize) -> Self {
        Lbfgs {
            initial: Initial::StartHessian(None),
            ..Lbfgs::new(memory)
        }
    }

    /// The start's factorised Hessian, formed on first use (`None` if it is not positive
    /// definite even with a ridge, or not asked for).
    fn start_factor(&mut self, objective: &Objective, point: &Point) -> Option<&Factor> {
        if let Initial::StartHessian(None) = self.initial {
            self.initial = match factor_at(objective, &point.theta) {
                Some(factor) => Initial::StartHessian(Some(factor)),
                None => Initial::Scaled,
            };
        }
        match &self.initial {
            Initial::StartHessian(factor) => factor.as_ref(),
            Initial::Scaled => None,
        }
    }

    /// `-H_k g` by the two-loop recursion (N&W Alg. 7.4).
    fn direction(&self, objective: &Objective, g: &[f64]) -> Vec<f64> {
        let mut q = g.to_vec();
        let mut alphas = vec![0.0; self.pairs.len()];
        for (i, p) in self.pairs.iter().enumerate().rev() {
            let a = p.rho * dot(&p.s, &q);
            alphas[i] = a;
            for (qj, yj) in q.iter_mut().zip(&p.y) {
                *qj -= a * yj;
            }
        }
        match &self.initial {
            Initial::StartHessian(Some(factor)) => {
                // `gamma M^-1` with `gamma = s.y / y.M^-1 y`: the start's curvature rescaled to
                // the newest pair's (it falls as the fit approaches a near-separation).
                factor.solve(objective, &mut q);
                if let Some(last) = self.pairs.back() {
                    let mut my = last.y.clone();
                    factor.solve(objective, &mut my);
                    let gamma = dot(&last.s, &last.y) / dot(&last.y, &my);
                    if gamma.is_finite() && gamma > 0.0 {
                        q.iter_mut().for_each(|v| *v *= gamma);
                    }
                }
            }
            _ => {
                if let Some(last) = self.pairs.back() {
                    let gamma = dot(&last.s, &last.y) / dot(&last.y, &last.y);
                    for qj in q.iter_mut() {
                        *qj *= gamma;
                    }
                }
            }
        }
        for (i, p) in self.pairs.iter().enumerate() {
            let b = p.rho * dot(&p.y, &q);
            for (qj, sj) in q.iter_mut().zip(&p.s) {
                *qj += (alphas[i] - b) * sj;
            }
        }
        q.iter_mut().for_each(|v| *v = -*v);
        q
    }

    fn remember(&mut self, old: &Point, new: &Point) {
        let s: Vec<f64> = new
            .theta
            .iter()
            .zip(&old.theta)
            .map(|(a, b)| a - b)
            .collect();
        let y: Vec<f64> = new.grad.iter().zip(&old.grad).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        if sy.is_finite() && sy > f64::EPSILON * norm2(&s) * norm2(&y) {
            if self.pairs.len() == self.memory {
                self.pairs.pop_front();
            }
            self.pairs.push_back(Pair {
                s,
                y,
                rho: 1.0 / sy,
            });
        }
    }
}

impl Solver for Lbfgs {
    fn step(&mut self, objective: &Objective, point: &mut Point) -> Step {
        for _attempt in 0..2 {
            let (d, alpha0) = if !self.pairs.is_empty() {
                (self.direction(objective, &point.grad), 1.0)
            } else if let Some(factor) = self.start_factor(objective, point) {
                // A Newton step from the start.
                let mut d: Vec<f64> = point.grad.iter().map(|g| -g).collect();
                factor.solve(objective, &mut d);
                (d, 1.0)
            } else {
                let d: Vec<f64> = point.grad.iter().map(|g| -g).collect();
                let gn = norm2(&point.grad);
                (d, if gn > 1.0 { 1.0 / gn } else { 1.0 })
            };
            let descent = dot(&d, &point.grad) < 0.0 && d.iter().all(|v| v.is_finite());
            if !descent {
                if self.pairs.is_empty() {
                    return Step::LineSearchFailed;
                }
                self.pairs.clear();
                continue;
            }
            match strong_wolfe(objective, point, &d, alpha0, self.wolfe) {
                Some(next) => {
                    let old = std::mem::replace(point, next);
                    self.remember(&old, point);
                    return Step::Moved;
                }
                None if !self.pairs.is_empty() => self.pairs.clear(),
                None => return Step::LineSearchFailed,
            }
        }
        Step::LineSearchFailed
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_data::{self, check_against_reference};
    use super::super::{fit, FitOptions, SolverKind, DEFAULT_TOL};
    use super::*;

    #[test]
    fn reaches_reference_optimum() {
        check_against_reference(SolverKind::Lbfgs, DEFAULT_TOL, 1e-6);
    }

    #[test]
    fn two_loop_recursion_matches_bfgs_on_a_quadratic_pair() {
        // With one pair and gamma = s.y/y.y, H_1 g must satisfy the secant equation H_1 y = s.
        let mut l = Lbfgs::new(5);
        let old = Point {
            theta: vec![0.0, 0.0],
            value: 0.0,
            grad: vec![1.0, 2.0],
        };
        let new = Point {
            theta: vec![0.5, -0.25],
            value: 0.0,
            grad: vec![2.0, 1.5],
        };
        l.remember(&old, &new);
        let y = [1.0, -0.5];
        // The objective is only consulted by a preconditioned recursion.
        let d = test_data::breast_cancer();
        let hy = l.direction(&d.objective(0.0), &y);
        assert!(
            (hy[0] + 0.5).abs() < 1e-12 && (hy[1] - 0.25).abs() < 1e-12,
            "{hy:?}"
        );
    }

    /// The preconditioned and the plain recursion reach the same optimum, the preconditioned
    /// one in fewer iterations on ill-conditioned data (breast_cancer: 30 correlated columns),
    /// and its first step is exactly Newton's from the start.
    #[test]
    fn the_start_hessian_preconditions_without_moving_the_optimum() {
        let d = test_data::breast_cancer();
        let obj = d.objective(1e-4);
        assert!(
            precondition(&obj),
            "breast_cancer has {} parameters",
            obj.n_params()
        );
        let opts = FitOptions {
            tol: 1e-9,
            ..FitOptions::with_solver(SolverKind::Lbfgs)
        };
        let run = |solver: Lbfgs| {
            let mut iterations = Vec::new();
            let fit = super::super::run_observed(&obj, solver, &opts, &mut |it| {
                iterations.push(it.iteration)
            })
            .unwrap();
            (fit, iterations.len())
        };
        let (plain, plain_its) = run(Lbfgs::new(MEMORY));
        let (pre, pre_its) = run(Lbfgs::preconditioned(MEMORY));
        assert!(plain.report.converged && pre.report.converged);
        let rel = (plain.report.objective - pre.report.objective).abs() / pre.report.objective;
        assert!(rel < 1e-14, "objectives differ by {rel:e}");
        for (a, b) in plain.theta.iter().zip(&pre.theta) {
            assert!((a - b).abs() < 1e-7 * (1.0 + a.abs()), "{a} vs {b}");
        }
        // 38 against 45 here: a near-separation (the curvature at the optimum is far below the
        // start's) is the hard case; on M, 6 against 24.
        assert!(
            pre_its < plain_its,
            "preconditioned {pre_its} iterations, plain {plain_its}"
        );

        let mut point = Point::at(&obj, vec![0.0; obj.n_params()]);
        let start = point.clone();
        let mut l = Lbfgs::preconditioned(MEMORY);
        assert!(matches!(l.step(&obj, &mut point), Step::Moved));
        let h = obj.hessian(&start.theta);
        let k = start.theta.len();
        // The step accepted at the unit trial: H (theta_1 - theta_0) = -g_0.
        for a in 0..k {
            let hs: f64 = (0..k)
                .map(|c| h[[a.min(c), a.max(c)]] * (point.theta[c] - start.theta[c]))
                .sum();
            assert!(
                (hs + start.grad[a]).abs() < 1e-9,
                "row {a}: {hs} vs {}",
                -start.grad[a]
            );
        }
    }

    #[test]
    fn tight_tolerance_is_reached_on_ill_conditioned_data() {
        let d = test_data::breast_cancer();
        let obj = d.objective(1e-4);
        let opts = FitOptions {
            tol: 1e-11,
            ..FitOptions::with_solver(SolverKind::Lbfgs)
        };
        let f = fit(&obj, &opts).unwrap();
        assert!(f.report.converged, "{:?}", f.report);
    }
}

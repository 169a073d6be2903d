//! Limited-memory BFGS (Nocedal & Wright, *Numerical Optimization*, 2nd ed., Sec. 7.2,
//! Alg. 7.4 two-loop recursion and Alg. 7.5) with a strong-Wolfe line search (Alg. 3.5/3.6, see
//! [`super::linesearch`]).
//!
//! * Memory [`MEMORY`] = 10 pairs (N&W report 3-20 as typically sufficient); initial inverse
//!   Hessian `gamma I` with `gamma = s.y / y.y` from the newest pair (N&W eq. 7.20), so the unit
//!   step is tried first and is usually accepted.
//! * First iteration: steepest descent with trial step `min(1, 1/||g||_2)`.
//! * A pair is stored only when `s.y > eps ||s|| ||y||` (positive curvature, which strong Wolfe
//!   guarantees in exact arithmetic), keeping the implicit inverse Hessian positive definite.
//! * If the direction is not a descent direction (rounding) or the line search fails, the memory
//!   is discarded and the iteration retried once as steepest descent before giving up with
//!   [`StopReason::LineSearchFailed`](super::StopReason::LineSearchFailed).

use std::collections::VecDeque;

use super::linalg::{dot, norm2};
use super::linesearch::{strong_wolfe, Wolfe};
use super::{Point, Solver, Step};
use crate::fit::objective::Objective;

/// Number of correction pairs kept.
pub const MEMORY: usize = 10;

/// A correction pair `s = x_{k+1} - x_k`, `y = g_{k+1} - g_k`, `rho = 1 / y.s`.
#[derive(Debug, Clone)]
struct Pair {
    s: Vec<f64>,
    y: Vec<f64>,
    rho: f64,
}

/// L-BFGS state.
#[derive(Debug, Clone)]
pub struct Lbfgs {
    memory: usize,
    pairs: VecDeque<Pair>,
    wolfe: Wolfe,
}

impl Lbfgs {
    pub fn new(memory: usize) -> Self {
        Lbfgs {
            memory: memory.max(1),
            pairs: VecDeque::with_capacity(memory.max(1)),
            wolfe: Wolfe::default(),
        }
    }

    /// `-H_k g` by the two-loop recursion (N&W Alg. 7.4).
    fn direction(&self, g: &[f64]) -> Vec<f64> {
        let mut q = g.to_vec();
        let mut alphas = vec![0.0; self.pairs.len()];
        for (i, p) in self.pairs.iter().enumerate().rev() {
            let a = p.rho * dot(&p.s, &q);
            alphas[i] = a;
            for (qj, yj) in q.iter_mut().zip(&p.y) {
                *qj -= a * yj;
            }
        }
        if let Some(last) = self.pairs.back() {
            let gamma = dot(&last.s, &last.y) / dot(&last.y, &last.y);
            for qj in q.iter_mut() {
                *qj *= gamma;
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
            let (d, alpha0) = if self.pairs.is_empty() {
                let d: Vec<f64> = point.grad.iter().map(|g| -g).collect();
                let gn = norm2(&point.grad);
                (d, if gn > 1.0 { 1.0 / gn } else { 1.0 })
            } else {
                (self.direction(&point.grad), 1.0)
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
        let hy = l.direction(&y);
        assert!(
            (hy[0] + 0.5).abs() < 1e-12 && (hy[1] - 0.25).abs() < 1e-12,
            "{hy:?}"
        );
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

//! Full-batch L-BFGS for networks (Nocedal & Wright, *Numerical Optimization*, 2nd ed., Alg.
//! 7.4/7.5) with a strong-Wolfe line search (Alg. 3.5/3.6, safeguarded quadratic
//! interpolation in the zoom). The linear models' L-BFGS (`fit::solvers::lbfgs`) is bound to
//! their `Objective`; this one takes any value-and-gradient closure, which a network's
//! non-convex loss needs: pairs without positive curvature are skipped, and a failed search
//! restarts once from steepest descent before giving up.
//!
//! # Stopping
//!
//! scikit-learn's `MLPClassifier(solver="lbfgs")` runs scipy's L-BFGS-B, which stops on the
//! first of (checked in this order after every iteration, the first also at the start):
//!
//! 1. the gradient's infinity norm is at most `gtol` (scikit-learn passes its `tol`):
//!    [`StopReason::Converged`];
//! 2. the relative decrease of the objective over the last iteration,
//!    `(f_k - f_{k+1}) / max(|f_k|, |f_{k+1}|, 1)`, is at most `ftol` (scipy's default
//!    `factr = 1e7`, i.e. [`FTOL`] `= 1e7 * eps`): [`StopReason::SmallDecrease`];
//! 3. `max_iter` iterations are done: [`StopReason::MaxIterations`].
//!
//! Our line search is not scipy's (nor its iterates), so the iteration counts differ; the
//! rules are the same.

use std::collections::VecDeque;

use super::backprop::Evaluation;
use crate::fit::solvers::StopReason;

/// Correction pairs kept (scipy's L-BFGS-B, which scikit-learn uses, keeps 10).
pub const MEMORY: usize = 10;

const C1: f64 = 1e-4;
const C2: f64 = 0.9;
/// Objective evaluations per line search at most.
const MAX_EVALS: usize = 25;

/// scipy's L-BFGS-B default `ftol` (`factr = 1e7` times the machine epsilon): the relative
/// decrease per iteration below which it stops (see the module docs).
pub const FTOL: f64 = 1e7 * f64::EPSILON;

/// The relative decrease `(f_old - f_new) / max(|f_old|, |f_new|, 1)` that [`FTOL`] bounds
/// (scipy's L-BFGS-B, `lbfgsb` `mainlb`).
pub fn relative_decrease(f_old: f64, f_new: f64) -> f64 {
    (f_old - f_new) / f_old.abs().max(f_new.abs()).max(1.0)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// A point and its evaluation.
#[derive(Debug, Clone)]
pub struct Point {
    pub theta: Vec<f64>,
    pub eval: Evaluation,
}

/// Minimises from `start` until one of the module docs' stopping rules holds (gradient
/// infinity norm at most `tol`, relative decrease at most `ftol`, `max_iter` iterations),
/// calling `observe(iteration, point)` at the start and after every iteration. Returns the
/// last point, the iterations done and why it stopped.
pub fn minimise(
    start: Point,
    eval: &mut dyn FnMut(&[f64]) -> Evaluation,
    max_iter: usize,
    tol: f64,
    ftol: f64,
    observe: &mut dyn FnMut(usize, &Point),
) -> (Point, usize, StopReason) {
    let mut point = start;
    let mut pairs: VecDeque<(Vec<f64>, Vec<f64>, f64)> = VecDeque::with_capacity(MEMORY);
    observe(0, &point);
    let mut iteration = 0;
    // The objective before the last iteration (none at the start).
    let mut previous: Option<f64> = None;
    loop {
        if point.eval.grad_inf() <= tol {
            return (point, iteration, StopReason::Converged);
        }
        if let Some(f_old) = previous {
            if relative_decrease(f_old, point.eval.value) <= ftol {
                return (point, iteration, StopReason::SmallDecrease);
            }
        }
        if iteration >= max_iter {
            return (point, iteration, StopReason::MaxIterations);
        }
        let mut moved = None;
        for _attempt in 0..2 {
            let g = &point.eval.grad;
            let (d, alpha0) = if pairs.is_empty() {
                let norm = dot(g, g).sqrt();
                (g.iter().map(|v| -v).collect(), (1.0 / norm).min(1.0))
            } else {
                (direction(&pairs, g), 1.0)
            };
            let slope = dot(&d, g);
            if !(slope < 0.0 && d.iter().all(|v| v.is_finite())) {
                if pairs.is_empty() {
                    break;
                }
                pairs.clear();
                continue;
            }
            match strong_wolfe(&point, &d, slope, alpha0, eval) {
                Some(next) => {
                    moved = Some(next);
                    break;
                }
                None if !pairs.is_empty() => pairs.clear(),
                None => break,
            }
        }
        let Some(next) = moved else {
            return (point, iteration, StopReason::LineSearchFailed);
        };
        let s: Vec<f64> = next
            .theta
            .iter()
            .zip(&point.theta)
            .map(|(a, b)| a - b)
            .collect();
        let y: Vec<f64> = next
            .eval
            .grad
            .iter()
            .zip(&point.eval.grad)
            .map(|(a, b)| a - b)
            .collect();
        let sy = dot(&s, &y);
        if sy.is_finite() && sy > f64::EPSILON * dot(&s, &s).sqrt() * dot(&y, &y).sqrt() {
            if pairs.len() == MEMORY {
                pairs.pop_front();
            }
            pairs.push_back((s, y, 1.0 / sy));
        }
        previous = Some(point.eval.value);
        point = next;
        iteration += 1;
        observe(iteration, &point);
    }
}

/// `-H g` by the two-loop recursion, `H_0 = (s.y / y.y) I` from the newest pair.
fn direction(pairs: &VecDeque<(Vec<f64>, Vec<f64>, f64)>, g: &[f64]) -> Vec<f64> {
    let mut q = g.to_vec();
    let mut alphas = vec![0.0; pairs.len()];
    for (i, (s, y, rho)) in pairs.iter().enumerate().rev() {
        let a = rho * dot(s, &q);
        alphas[i] = a;
        q.iter_mut().zip(y).for_each(|(qj, yj)| *qj -= a * yj);
    }
    if let Some((s, y, _)) = pairs.back() {
        let gamma = dot(s, y) / dot(y, y);
        q.iter_mut().for_each(|v| *v *= gamma);
    }
    for (i, (s, y, rho)) in pairs.iter().enumerate() {
        let b = rho * dot(y, &q);
        q.iter_mut()
            .zip(s)
            .for_each(|(qj, sj)| *qj += (alphas[i] - b) * sj);
    }
    q.iter_mut().for_each(|v| *v = -*v);
    q
}

struct Trial {
    alpha: f64,
    point: Point,
    slope: f64,
}

/// A step along `d` satisfying the strong Wolfe conditions, or the best sufficiently
/// decreasing point found within the budget, or `None`.
fn strong_wolfe(
    start: &Point,
    d: &[f64],
    slope0: f64,
    alpha0: f64,
    eval: &mut dyn FnMut(&[f64]) -> Evaluation,
) -> Option<Point> {
    let f0 = start.eval.value;
    let mut evals = 0;
    let mut at = |alpha: f64, evals: &mut usize| {
        *evals += 1;
        let theta: Vec<f64> = start
            .theta
            .iter()
            .zip(d)
            .map(|(x, di)| x + alpha * di)
            .collect();
        let e = eval(&theta);
        let slope = dot(&e.grad, d);
        Trial {
            alpha,
            point: Point { theta, eval: e },
            slope,
        }
    };
    let armijo = |t: &Trial| {
        t.point.eval.value.is_finite() && t.point.eval.value <= f0 + C1 * t.alpha * slope0
    };
    let curvature = |t: &Trial| t.slope.abs() <= -C2 * slope0;
    let mut prev = Trial {
        alpha: 0.0,
        point: start.clone(),
        slope: slope0,
    };
    let mut alpha = alpha0;
    let (mut lo, mut hi);
    loop {
        let t = at(alpha, &mut evals);
        if !armijo(&t) || (prev.alpha > 0.0 && t.point.eval.value >= prev.point.eval.value) {
            (lo, hi) = (prev, t);
            break;
        }
        if curvature(&t) {
            return Some(t.point);
        }
        if t.slope >= 0.0 {
            (lo, hi) = (t, prev);
            break;
        }
        if evals >= MAX_EVALS {
            return Some(t.point);
        }
        prev = t;
        alpha *= 2.0;
    }
    // Zoom: `lo` satisfies sufficient decrease (or is the start), `hi` brackets a minimiser.
    while evals < MAX_EVALS {
        let (a, b) = (lo.alpha, hi.alpha);
        let width = b - a;
        let mut trial = 0.5 * (a + b);
        let (fa, fb) = (lo.point.eval.value, hi.point.eval.value);
        if fb.is_finite() {
            let denom = 2.0 * (fb - fa - lo.slope * width);
            if denom != 0.0 {
                let q = a - lo.slope * width * width / denom;
                let (low, high) = (a.min(b), a.max(b));
                let margin = 0.1 * (high - low);
                if q.is_finite() && q > low + margin && q < high - margin {
                    trial = q;
                }
            }
        }
        if width.abs() <= f64::EPSILON * a.abs().max(b.abs()) {
            break;
        }
        let t = at(trial, &mut evals);
        if !armijo(&t) || t.point.eval.value >= lo.point.eval.value {
            hi = t;
        } else {
            if curvature(&t) {
                return Some(t.point);
            }
            if t.slope * (hi.alpha - lo.alpha) >= 0.0 {
                hi = lo;
            }
            lo = t;
        }
    }
    (lo.alpha > 0.0).then_some(lo.point)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimises_the_rosenbrock_function() {
        let mut eval = |x: &[f64]| {
            let (a, b) = (x[0], x[1]);
            Evaluation {
                value: (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2),
                grad: vec![
                    -2.0 * (1.0 - a) - 400.0 * a * (b - a * a),
                    200.0 * (b - a * a),
                ],
                layer_rms: Vec::new(),
                weight_sum: 1.0,
            }
        };
        let theta = vec![-1.2, 1.0];
        let start = Point {
            eval: eval(&theta),
            theta,
        };
        let (p, iterations, reason) = minimise(start, &mut eval, 200, 1e-8, 0.0, &mut |_, _| {});
        assert_eq!(reason, StopReason::Converged, "{iterations} {:?}", p.theta);
        assert!((p.theta[0] - 1.0).abs() < 1e-6 && (p.theta[1] - 1.0).abs() < 1e-6);
    }

    /// `f(x) = 1000 + sum_j c_j x_j^4`: its gradient `4 c_j x_j^3` shrinks only as fast as the
    /// iterates approach 0, so with a gradient tolerance far below reach the relative
    /// decrease (over `max(|f|, 1) ~ 1000`) falls to `ftol` first.
    #[test]
    fn stops_when_the_relative_decrease_reaches_ftol_and_not_before() {
        let c = [1.0, 3.0, 0.5, 2.0];
        let mut eval = |x: &[f64]| Evaluation {
            value: 1000.0 + x.iter().zip(&c).map(|(v, c)| c * v.powi(4)).sum::<f64>(),
            grad: x.iter().zip(&c).map(|(v, c)| 4.0 * c * v.powi(3)).collect(),
            layer_rms: Vec::new(),
            weight_sum: 1.0,
        };
        let theta = vec![1.5, -1.0, 2.0, 0.7];
        let start = Point {
            eval: eval(&theta),
            theta,
        };
        let mut values = Vec::new();
        let (p, iterations, reason) =
            minimise(start, &mut eval, 10_000, 1e-300, FTOL, &mut |i, p| {
                assert_eq!(i, values.len());
                values.push(p.eval.value);
            });
        assert_eq!(reason, StopReason::SmallDecrease, "{iterations}");
        assert_eq!(values.len(), iterations + 1);
        assert!((3..10_000).contains(&iterations), "{iterations}");
        assert!(p.eval.grad_inf() > 1e-300);
        let n = values.len();
        let last = relative_decrease(values[n - 2], values[n - 1]);
        let before = relative_decrease(values[n - 3], values[n - 2]);
        assert!(last <= FTOL, "last decrease {last:e}");
        assert!(
            before > FTOL,
            "the decrease {before:e} before the last was already small"
        );
        // Every earlier iteration decreased by more than ftol too (else it would have stopped).
        for k in 1..n - 1 {
            assert!(
                relative_decrease(values[k - 1], values[k]) > FTOL,
                "iteration {k}"
            );
        }
        // The rule's arithmetic: (f_old - f_new) / max(|f_old|, |f_new|, 1).
        assert_eq!(relative_decrease(3.0, 1.0), 2.0 / 3.0);
        assert_eq!(relative_decrease(0.5, 0.25), 0.25);
        assert_eq!(relative_decrease(-4.0, -6.0), 2.0 / 6.0);
    }
}

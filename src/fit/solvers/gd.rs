//! Full-batch gradient descent: a gradient step with a backtracking step size that can grow
//! again, accelerated by Nesterov momentum with adaptive restart.
//!
//! # Step rule (guaranteed descent)
//!
//! From a point `y` with gradient `g` the trial is `x+ = y - s g`. It is accepted when
//!
//! * `f(x+) <= f(y) - (s/2) ||g||^2` (Armijo with `c = 1/2`, the backtracking rule of Beck &
//!   Teboulle 2009, FISTA, which holds for every `s <= 1/L` when the gradient is `L`-Lipschitz), or
//! * `g(x+) . g >= (1/2) ||g||^2` and `f(x+) <= f(y) + rounding slack`. Because the objective is
//!   convex, `phi(s) = f(y - s g)` has a nondecreasing slope, so `phi(s) - phi(0) <= s phi'(s) =
//!   -s g(x+) . g <= -(s/2) ||g||^2`: the same Armijo decrease, certified from gradients alone.
//!   This matters near the optimum, where `(s/2) ||g||^2` drops below the rounding error of `f`
//!   and the value test alone would reject every step (compare Hager & Zhang 2005).
//!
//! Otherwise `s` is halved (Nocedal & Wright, Alg. 3.1). After a step accepted without
//! backtracking, `s` grows by [`GROWTH`] so a conservative start or a once-steep region does not
//! slow the rest of the run.
//!
//! # Momentum
//!
//! Plain gradient descent needs `O(kappa log 1/eps)` iterations (`kappa` = condition number);
//! Nesterov's extrapolation `y_k = x_k + beta_k (x_k - x_{k-1})` with the FISTA sequence
//! `t_{k+1} = (1 + sqrt(1 + 4 t_k^2)) / 2`, `beta_k = (t_k - 1) / t_{k+1}` cuts that to
//! `O(sqrt(kappa) log 1/eps)` when combined with adaptive restart (O'Donoghue & Candès 2015,
//! "Adaptive restart for accelerated gradient schemes", Found. Comput. Math. 15): the momentum is
//! reset whenever the step makes an obtuse angle with the descent direction
//! (`g(y_k) . (x_{k+1} - x_k) > 0`, their gradient scheme). To keep every iteration a descent
//! step, an extrapolated step that ends above `f(x_k)` is discarded and replaced by a plain
//! backtracking gradient step from `x_k` (their function scheme, applied before accepting). Each
//! iteration is therefore still a gradient step from `x_k` or from a point on the line through the
//! last two iterates, and `f` never increases (up to rounding).

use super::linalg::dot;
use super::linesearch::value_slack;
use super::{Point, Solver, Step};
use crate::fit::objective::{Family, Objective};

/// Step-size growth after a step accepted at the first trial.
pub const GROWTH: f64 = 1.25;
/// Maximum number of step halvings per backtracking search (2^-60 of the step).
const MAX_HALVINGS: usize = 60;

/// Gradient descent state.
#[derive(Debug, Clone)]
pub struct GradientDescent {
    /// Current step size.
    step: f64,
    /// FISTA sequence value `t_k`.
    t: f64,
    /// Previous iterate `x_{k-1}`; `None` right after a (re)start.
    prev: Option<Vec<f64>>,
    /// Whether momentum is used (always, for the CLI; plain descent is kept for tests).
    momentum: bool,
}

impl GradientDescent {
    /// `learning_rate` = initial step; `None` = `1 / L_bound` with `L_bound = (1/4) mean_i
    /// ||x~_i||^2 + l2` (weighted mean with weights; `1/2` instead of `1/4` for multinomial) an upper bound on the Lipschitz constant of the gradient (the Hessian is
    /// `(1/n) X~^T diag(s(1-s)) X~ + l2 I` with `s(1-s) <= 1/4`, and `lambda_max(X~^T X~) <=
    /// trace`). The bound can be loose by up to the number of parameters; the step growth
    /// recovers from that in a few iterations.
    pub fn new(objective: &Objective, learning_rate: Option<f64>) -> Self {
        let step = learning_rate.unwrap_or_else(|| {
            let s = objective.weights().map(|s| s.to_vec());
            let total = if s.is_some() {
                objective.weight_sum()
            } else {
                objective.n_rows().max(1) as f64
            };
            let intercept = if objective.fit_intercept { 1.0 } else { 0.0 };
            let sum_sq = objective.design().sum_of_squares(s.as_deref());
            let mean_sq = sum_sq / total + intercept;
            // The softmax's curvature diag(p) - p p^T has eigenvalues <= 1/2, the sigmoid's <= 1/4.
            let curvature = match objective.family() {
                Family::Binomial => 0.25,
                Family::Multinomial { .. } => 0.5,
            };
            let bound = curvature * mean_sq + objective.l2;
            if bound > 0.0 && bound.is_finite() {
                1.0 / bound
            } else {
                1.0
            }
        });
        GradientDescent {
            step,
            t: 1.0,
            prev: None,
            momentum: true,
        }
    }

    /// Gradient descent without momentum (backtracking step rule only).
    pub fn plain(objective: &Objective, learning_rate: Option<f64>) -> Self {
        GradientDescent {
            momentum: false,
            ..Self::new(objective, learning_rate)
        }
    }

    /// Backtracking gradient step from `from`; updates the step size.
    fn gradient_step(&mut self, objective: &Objective, from: &Point) -> Option<Point> {
        let g = &from.grad;
        let gg = dot(g, g);
        if !(gg.is_finite() && gg > 0.0) {
            return None;
        }
        let slack = value_slack(from.value);
        let mut s = self.step;
        for halvings in 0..MAX_HALVINGS {
            let theta: Vec<f64> = from.theta.iter().zip(g).map(|(x, gi)| x - s * gi).collect();
            let trial = Point::at(objective, theta);
            let armijo = trial.value <= from.value - 0.5 * s * gg;
            let slope = trial.value <= from.value + slack && dot(&trial.grad, g) >= 0.5 * gg;
            if trial.value.is_finite() && (armijo || slope) {
                self.step = if halvings == 0 { s * GROWTH } else { s };
                return Some(trial);
            }
            s *= 0.5;
        }
        None
    }
}

fn next_t(t: f64) -> f64 {
    0.5 * (1.0 + (1.0 + 4.0 * t * t).sqrt())
}

impl Solver for GradientDescent {
    fn step(&mut self, objective: &Objective, point: &mut Point) -> Step {
        if self.momentum {
            let t_next = next_t(self.t);
            let beta = (self.t - 1.0) / t_next;
            if let (Some(prev), true) = (&self.prev, beta > 0.0) {
                let y: Vec<f64> = point
                    .theta
                    .iter()
                    .zip(prev)
                    .map(|(x, xp)| x + beta * (x - xp))
                    .collect();
                let y = Point::at(objective, y);
                let next = if y.value.is_finite() {
                    self.gradient_step(objective, &y)
                } else {
                    None
                };
                if let Some(next) = next {
                    // Function scheme: only a step that does not increase f is taken.
                    if next.value <= point.value + value_slack(point.value) {
                        // Gradient scheme (O'Donoghue & Candes, Sec. 3.2): an obtuse angle between
                        // the step and -g(y) means the momentum overshoots; restart it.
                        let moved: Vec<f64> = next
                            .theta
                            .iter()
                            .zip(&point.theta)
                            .map(|(a, b)| a - b)
                            .collect();
                        let obtuse = dot(&y.grad, &moved) > 0.0;
                        let old = std::mem::replace(point, next);
                        self.prev = Some(old.theta);
                        self.t = if obtuse { 1.0 } else { t_next };
                        return Step::Moved;
                    }
                }
                // The extrapolated step did not descend: restart, plain step from x_k.
                self.t = 1.0;
            }
        }
        match self.gradient_step(objective, point) {
            Some(next) => {
                let old = std::mem::replace(point, next);
                if self.momentum {
                    self.prev = Some(old.theta);
                    self.t = next_t(self.t);
                }
                Step::Moved
            }
            None => Step::LineSearchFailed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_data::{self, check_against_reference};
    use super::super::{fit, FitOptions, SolverKind, StopReason, DEFAULT_TOL};
    use super::*;

    #[test]
    fn reaches_reference_optimum() {
        check_against_reference(SolverKind::Gd, DEFAULT_TOL, 1e-6);
    }

    #[test]
    fn plain_descent_also_converges_on_a_small_problem() {
        let d = test_data::spector();
        let obj = d.objective(1e-2);
        let opts = FitOptions::with_solver(SolverKind::Gd);
        let f = super::super::run(&obj, GradientDescent::plain(&obj, None), &opts).unwrap();
        assert!(f.report.converged, "{:?}", f.report);
        let reference = fit(&obj, &FitOptions::with_solver(SolverKind::Newton)).unwrap();
        let diff = super::super::tests::max_abs_diff(&f.theta, &reference.theta);
        assert!(diff < 1e-6, "{diff}");
    }

    #[test]
    fn learning_rate_is_only_a_starting_point() {
        let d = test_data::pima();
        let obj = d.objective(1e-4);
        for lr in [1e-6, 1.0, 1e3] {
            let opts = FitOptions {
                learning_rate: Some(lr),
                ..FitOptions::with_solver(SolverKind::Gd)
            };
            let f = fit(&obj, &opts).unwrap();
            assert_eq!(
                f.report.stop_reason,
                StopReason::Converged,
                "lr={lr}: {:?}",
                f.report
            );
        }
    }
}

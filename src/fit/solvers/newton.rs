//! Newton's method (equivalently IRLS for the logistic log-likelihood) with a line search.
//!
//! Each iteration solves `H d = -g` with the exact Hessian from [`Objective::hessian`] by a
//! Cholesky factorisation of the diagonally scaled Hessian (so that columns in very different
//! units, as without standardisation, are not mistaken for a singular matrix; never an explicit
//! inverse) and then backtracks from the unit step
//! (Nocedal & Wright, *Numerical Optimization*, 2nd ed., Sec. 3.3 and Alg. 3.1). Near the
//! optimum the unit step is always accepted and convergence is quadratic (N&W Thm. 3.6), so the
//! reference problems need 6-13 iterations.
//!
//! The Hessian is positive semi-definite; it is singular when `l2 = 0` and the design has an exact
//! collinearity (a duplicated column, a constant column beside the intercept, all levels of a
//! one-hot encoded column), and nearly singular under separation. Then the factorisation is
//! retried on `H + tau diag(H)` with growing `tau` (N&W Alg. 3.3 on the scaled matrix,
//! [`factor_with_ridge`]): Marquardt's damping, which keeps `d` a descent direction. For a collinear design
//! the gradient lies in the range of `H`, so the damped step is a good step within that range;
//! the parameters along the null direction stay where they are (at zero from the start), which
//! is the minimum-norm optimum.

use super::linalg::{dot, factor_with_ridge};
use super::linesearch::backtracking;
use super::{centre, Point, Solver, Step};
use crate::fit::objective::{Family, Objective};
use ndarray::Array2;

/// Armijo constant for the backtracking search.
const C1: f64 = 1e-4;
/// Maximum number of step halvings.
const MAX_HALVINGS: usize = 60;

/// Newton solver state (the method itself is memoryless; the last ridge is kept for reports
/// and tests).
#[derive(Debug, Clone, Default)]
pub struct Newton {
    /// The relative `tau` (times the Hessian's diagonal) added in the last iteration (0 when none
    /// was needed).
    pub last_ridge: f64,
}

impl Newton {
    pub fn new() -> Self {
        Newton::default()
    }

    /// The Newton direction `-H^{-1} g` (with the ridge fallback), or steepest descent if the
    /// Hessian cannot be factored at all.
    fn direction(&mut self, objective: &Objective, point: &Point) -> Vec<f64> {
        let mut h = objective.hessian(&point.theta);
        let mut rhs: Vec<f64> = point.grad.iter().map(|g| -g).collect();
        let multinomial = fix_class_sum_directions(objective, &mut h, &mut rhs);
        match factor_with_ridge(h.view()) {
            Some((chol, tau)) => {
                self.last_ridge = tau;
                let mut d = rhs;
                chol.solve_in_place(&mut d);
                if multinomial {
                    centre(objective, &mut d);
                }
                d
            }
            None => {
                self.last_ridge = f64::INFINITY;
                point.grad.iter().map(|g| -g).collect()
            }
        }
    }
}

/// The multinomial Hessian is singular along the class-sum directions (adding the same `v` to
/// every class's coefficients of one feature, or to every intercept, changes no probability):
/// always for the intercepts and, at `l2 = 0`, for every feature. Newton is therefore solved on
/// the centred subspace: the right-hand side is centred (it is already, up to rounding, as every
/// row's residuals sum to 0 over the classes) and `tau P` is added to `H`, `P` the orthogonal
/// projector onto the class-sum directions and `tau` the mean diagonal of `H`. `H` maps the
/// centred subspace into itself and is zero (or `l2`) on the sums, so `H + tau P` is
/// nonsingular there and its solution for a centred right-hand side is the centred Newton step
/// (a minimum-norm step in the directions the loss does not see). Returns whether it applied.
pub(super) fn fix_class_sum_directions(
    objective: &Objective,
    h: &mut Array2<f64>,
    rhs: &mut [f64],
) -> bool {
    let Family::Multinomial { classes: k } = objective.family() else {
        return false;
    };
    centre(objective, rhs);
    let n = h.nrows();
    let tau = (0..n).map(|i| h[[i, i]]).sum::<f64>() / n.max(1) as f64;
    let tau = if tau > 0.0 && tau.is_finite() {
        tau
    } else {
        1.0
    };
    let p = objective.n_features();
    let groups = p + usize::from(objective.fit_intercept);
    let index = |c: usize, a: usize| if a < p { c * p + a } else { k * p + c };
    let w = tau / k as f64;
    for a in 0..groups {
        for c in 0..k {
            for c2 in 0..k {
                h[[index(c, a), index(c2, a)]] += w;
            }
        }
    }
    true
}

impl Solver for Newton {
    fn step(&mut self, objective: &Objective, point: &mut Point) -> Step {
        let mut d = self.direction(objective, point);
        let slope = dot(&d, &point.grad);
        if !(slope < 0.0 && d.iter().all(|v| v.is_finite())) {
            // Cannot happen for a positive definite factor in exact arithmetic; fall back.
            d = point.grad.iter().map(|g| -g).collect();
        }
        match backtracking(objective, point, &d, 1.0, C1, MAX_HALVINGS) {
            Some(next) => {
                *point = next;
                Step::Moved
            }
            None => Step::LineSearchFailed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_data::{self, check_against_reference};
    use super::super::{fit, run, FitOptions, SolverKind, DEFAULT_TOL};
    use super::*;
    use ndarray::{Array1, Array2};

    #[test]
    fn reaches_reference_optimum() {
        check_against_reference(SolverKind::Newton, DEFAULT_TOL, 1e-6);
    }

    #[test]
    fn converges_quadratically() {
        let d = test_data::pima();
        let obj = d.objective(0.0);
        let opts = FitOptions {
            tol: 1e-14,
            ..FitOptions::with_solver(SolverKind::Newton)
        };
        let f = fit(&obj, &opts).unwrap();
        assert!(f.report.converged, "{:?}", f.report);
        assert!(f.report.iterations <= 7, "{:?}", f.report);
    }

    #[test]
    fn duplicated_column_uses_the_ridge_and_still_converges() {
        let d = test_data::spector();
        let n = d.x.nrows();
        let mut x = Array2::zeros((n, 4));
        for i in 0..n {
            for j in 0..3 {
                x[[i, j]] = d.x[[i, j]];
            }
            x[[i, 3]] = d.x[[i, 0]];
        }
        let y: Array1<f64> = d.y.clone();
        let obj = Objective::new(x.view(), y.view(), 0.0, true);
        let opts = FitOptions::with_solver(SolverKind::Newton);
        let f = run(&obj, Newton::new(), &opts).unwrap();
        assert!(f.report.converged, "{:?}", f.report);
        // The two copies share the coefficient of the original column equally.
        let reference = fit(&d.objective(0.0), &opts).unwrap();
        assert!((f.theta[0] + f.theta[3] - reference.theta[0]).abs() < 1e-6);
        assert!((f.theta[0] - f.theta[3]).abs() < 1e-6);
        assert!((f.report.objective - reference.report.objective).abs() < 1e-12);
        let mut newton = Newton::new();
        let p = Point::at(&obj, vec![0.0; 5]);
        newton.direction(&obj, &p);
        assert!(newton.last_ridge > 0.0);
    }
}

//! The L1 penalty at the solvers' entry points: the smooth solvers refuse it, and `--solver cd`
//! can start from a given point ([`fit_from`], for paths and cross-validation).

use super::{
    check_problem, finish, separation, Fit, FitError, FitOptions, Iteration, Point, SolverKind,
    StopReason,
};
use crate::fit::objective::Objective;

/// The smooth solvers cannot fit an L1 penalty (it is not differentiable at 0).
pub(super) fn check_l1_support(objective: &Objective, solver: SolverKind) -> Result<(), FitError> {
    if objective.l1 > 0.0 && solver != SolverKind::Cd {
        return Err(FitError::L1NotSupported { solver });
    }
    Ok(())
}

/// [`fit_observed`] for `--solver cd` from a warm start `start` (in the objective's layout),
/// for regularisation paths and cross-validation; `options.solver` is ignored (always cd).
pub fn fit_from(
    objective: &Objective,
    options: &FitOptions,
    start: &[f64],
    observer: &mut dyn FnMut(&Iteration),
) -> Result<Fit, FitError> {
    let options = FitOptions {
        solver: SolverKind::Cd,
        ..options.clone()
    };
    options.validate()?;
    check_problem(objective)?;
    let k = objective.n_params();
    if start.len() != k {
        return Err(FitError::InvalidData(format!(
            "the starting point has {} parameters, the problem {k}",
            start.len()
        )));
    }
    if let Some(v) = start.iter().find(|v| !v.is_finite()) {
        return Err(FitError::InvalidData(format!(
            "the starting point holds {v}, not a finite number"
        )));
    }
    if k == 0 || (objective.fit_intercept && separation::missing_class(objective)) {
        return Ok(trivial_fit(objective, &options, start.to_vec(), k != 0));
    }
    crate::fit::cd::fit_cd(objective, &options, start, observer)
}

/// The report at `theta` without iterating: nothing to fit (converged), or a class without rows
/// (`separated`: no finite minimiser).
pub(crate) fn trivial_fit(
    objective: &Objective,
    options: &FitOptions,
    theta: Vec<f64>,
    separated: bool,
) -> Fit {
    let point = Point::at(objective, theta);
    let reason = if separated {
        StopReason::Separation
    } else {
        StopReason::Converged
    };
    let mut f = finish(options, reason, 0, point);
    let grad = objective.gradient(&f.theta);
    f.report.gradient_norm =
        objective.subgradient_norm(&f.theta, grad.as_slice().expect("contiguous"));
    f
}

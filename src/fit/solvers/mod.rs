//! Minimisers of the penalised logistic loss [`Objective`] (any family, weighted or not), behind
//! one entry point, [`fit`].
//!
//! Multinomial results are centred (the class-mean of each feature's coefficients, and of the
//! intercepts, is 0: with `l2 > 0` the optimum is, with `l2 = 0` only the probabilities are
//! identified); Newton solves on that subspace. Newton refuses problems whose Hessian exceeds
//! [`NEWTON_MAX_HESSIAN_BYTES`] ([`FitError::NewtonHessianTooLarge`]).
//!
//! # Design
//!
//! Following argmin's split of responsibilities, a solver is a *step function* plus its own
//! convergence test (the private `Solver` trait); one shared loop ([`fit`] -> `run`) starts every
//! solver from `theta = 0`, counts iterations, watches for separation and records why it stopped
//! in a [`FitReport`]. The solvers never evaluate the loss their own way: every value, gradient and
//! Hessian comes from [`Objective`].
//!
//! * [`SolverKind::Lbfgs`] (default): limited-memory BFGS with a strong-Wolfe line search
//!   ([`lbfgs`]).
//! * [`SolverKind::Gd`]: full-batch gradient descent with Armijo backtracking, a growing step and
//!   Nesterov momentum with adaptive restart ([`gd`]).
//! * [`SolverKind::Newton`]: Newton / IRLS with a Cholesky solve and backtracking ([`newton`]).
//! * [`SolverKind::Linfa`]: delegation to `linfa-logistic` 0.8.1 ([`linfa`]), whose result is then
//!   judged by *our* gradient.
//!
//! # Convergence
//!
//! Every solver stops successfully only when the max-abs (infinity) norm of the gradient of the
//! *mean* objective at the returned parameters is at most `tol` ([`FitOptions::tol`]). A report
//! never claims convergence on any other ground: hitting the iteration cap, a failed line search
//! and detected separation all give `converged = false` with the matching [`StopReason`].
//!
//! # Separation
//!
//! With `l2 = 0` and (quasi-)separated classes the maximum-likelihood estimate does not exist
//! (Albert & Anderson 1984); see [`separation`] for how the shared loop detects it and stops with
//! [`StopReason::Separation`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::fit::objective::{Family, Objective};

mod error;
pub mod gd;
mod l1;
pub mod lbfgs;
pub mod linalg;
pub mod linesearch;
pub mod linfa;
pub mod newton;
pub mod polish;
pub mod separation;

/// Default tolerance on the infinity norm of the gradient of the mean objective.
///
/// The objective is a mean, so its gradient is `O(1)` at `theta = 0` whatever the number of rows.
/// Near the optimum the parameter error is about `|g| / lambda_min(H)`; on the ill-conditioned
/// reference case (breast_cancer at lambda = 1e-4) a gradient of 1e-8 still leaves coefficient
/// errors of 3e-5 and test-probability errors of 3e-6 (L-BFGS, gradient descent), 1e-9 leaves
/// 7e-7 in probabilities, and 1e-10 brings them to below 1e-7 (coefficients within 1e-6) at the
/// cost of ~15% more iterations. Our solvers reach it reliably (their line searches cope with the
/// objective's rounding, see [`linesearch`]). linfa-logistic cannot: argmin stops once linfa's
/// summed cost no longer changes in floating point, typically at 1e-10 to 3e-9, and is then
/// reported as not converged.
pub const DEFAULT_TOL: f64 = 1e-10;

/// Largest Hessian `--solver newton` builds: 1 GiB, i.e. up to about 11,500 parameters (a
/// multinomial fit has `K (p + 1)`). Newton also factors a copy of it, so it needs about twice
/// this; beyond it L-BFGS is the better method anyway (a Newton step then costs
/// `n k^2 / 2 + k^3 / 3` flops).
pub const NEWTON_MAX_HESSIAN_BYTES: f64 = GIB;

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// Default tolerance for `--solver linfa` (see [`SolverKind::default_tol`]).
pub const DEFAULT_TOL_LINFA: f64 = 1e-8;

/// Which minimiser [`fit`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SolverKind {
    /// Limited-memory BFGS with a strong-Wolfe line search (the default).
    Lbfgs,
    /// Gradient descent with backtracking and restarted Nesterov momentum.
    Gd,
    /// Newton / IRLS with a Cholesky solve.
    Newton,
    /// linfa-logistic 0.8.1 (argmin's L-BFGS with a Moré-Thuente line search).
    Linfa,
    /// Coordinate descent in a proximal-Newton outer loop ([`crate::fit::cd`]): the solver for
    /// L1 and elastic-net penalties (the only one that accepts `l1 > 0`).
    Cd,
    /// Adam over shuffled mini-batches: networks only ([`crate::fit::network`]); not in
    /// [`SolverKind::ALL`], the linear solvers.
    Adam,
}

impl SolverKind {
    /// Every solver, in a stable order.
    pub const ALL: [SolverKind; 5] = [
        SolverKind::Lbfgs,
        SolverKind::Gd,
        SolverKind::Newton,
        SolverKind::Linfa,
        SolverKind::Cd,
    ];

    /// The name used on the command line and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            SolverKind::Lbfgs => "lbfgs",
            SolverKind::Gd => "gd",
            SolverKind::Newton => "newton",
            SolverKind::Linfa => "linfa",
            SolverKind::Cd => "cd",
            SolverKind::Adam => "adam",
        }
    }

    /// Tolerance used when the user gives none: [`DEFAULT_TOL`] for our solvers, and
    /// [`DEFAULT_TOL_LINFA`] for linfa-logistic, whose line search stops by itself once its
    /// summed cost no longer changes in floating point (a gradient of about 1e-10 to 5e-9), so
    /// that a tighter default would report every linfa fit as not converged.
    pub fn default_tol(self) -> f64 {
        match self {
            SolverKind::Linfa => DEFAULT_TOL_LINFA,
            _ => DEFAULT_TOL,
        }
    }

    /// Iteration cap used when [`FitOptions::max_iter`] is `None`.
    ///
    /// Newton converges quadratically (the reference fits need 6-13 iterations), L-BFGS
    /// superlinearly (tens to a few hundred), while gradient descent converges only linearly and
    /// needs thousands of (cheap) iterations on ill-conditioned problems.
    pub fn default_max_iter(self) -> usize {
        match self {
            SolverKind::Lbfgs => 1000,
            SolverKind::Gd => 20_000,
            SolverKind::Newton => 100,
            SolverKind::Linfa => 1000,
            // Outer (proximal Newton) iterations: a handful near the optimum, more from far away
            // or on multinomial problems.
            SolverKind::Cd => 500,
            // Epochs, as scikit-learn's MLPClassifier.
            SolverKind::Adam => 200,
        }
    }
}

impl fmt::Display for SolverKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SolverKind {
    type Err = FitError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SolverKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| FitError::InvalidOption {
                name: "--solver",
                value: s.to_string(),
                expected: "one of lbfgs, gd, newton, linfa, cd",
            })
    }
}

/// Options of one fit.
#[derive(Debug, Clone)]
pub struct FitOptions {
    pub solver: SolverKind,
    /// Iteration cap; `None` = the solver's default ([`SolverKind::default_max_iter`]).
    pub max_iter: Option<usize>,
    /// Tolerance on the infinity norm of the gradient of the mean objective.
    pub tol: f64,
    /// Gradient descent only: the initial step size; `None` = automatic (the inverse of an upper
    /// bound on the gradient's Lipschitz constant). Ignored by the other solvers.
    pub learning_rate: Option<f64>,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            solver: SolverKind::Lbfgs,
            max_iter: None,
            tol: DEFAULT_TOL,
            learning_rate: None,
        }
    }
}

impl FitOptions {
    /// Options for `solver` with every other setting at its default.
    pub fn with_solver(solver: SolverKind) -> Self {
        FitOptions {
            solver,
            ..FitOptions::default()
        }
    }

    /// Reject settings no solver can work with; the error names the command-line flag.
    pub fn validate(&self) -> Result<(), FitError> {
        if self.max_iter == Some(0) {
            return Err(FitError::InvalidOption {
                name: "--max-iter",
                value: "0".to_string(),
                expected: ">= 1",
            });
        }
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(FitError::InvalidOption {
                name: "--tol",
                value: self.tol.to_string(),
                expected: "a finite number > 0",
            });
        }
        if let Some(lr) = self.learning_rate {
            if !(lr.is_finite() && lr > 0.0) {
                return Err(FitError::InvalidOption {
                    name: "--learning-rate",
                    value: lr.to_string(),
                    expected: "a finite number > 0",
                });
            }
        }
        Ok(())
    }

    /// The iteration cap actually used.
    pub fn effective_max_iter(&self) -> usize {
        self.max_iter
            .unwrap_or_else(|| self.solver.default_max_iter())
    }
}

/// Why a solver stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The gradient's infinity norm reached the tolerance.
    Converged,
    /// The iteration cap was reached first.
    MaxIterations,
    /// The line search found no acceptable step (and the gradient was not within tolerance).
    /// For `linfa`: argmin stopped on its own criteria (its cost no longer changing, or a
    /// line-search error) before our gradient tolerance was met.
    LineSearchFailed,
    /// The classes are (quasi-)separated and the objective has no finite minimiser.
    Separation,
    /// Networks' L-BFGS only (scipy's L-BFGS-B rule, which scikit-learn's `MLPClassifier`
    /// stops on): the relative decrease `(f_k - f_{k+1}) / max(|f_k|, |f_{k+1}|, 1)` of the
    /// last iteration was at most `ftol` ([`crate::fit::network::lbfgs::FTOL`]). Counts as
    /// converged: a non-convex loss is fitted to a stationary region, not to a zero gradient.
    SmallDecrease,
    /// Networks' Adam only (scikit-learn's `n_iter_no_change` rule): the epoch objective
    /// failed to fall below the best one by more than `tol` for more than `n_iter_no_change`
    /// epochs in a row ([`crate::fit::network::adam`]). Counts as converged.
    NoImprovement,
}

impl StopReason {
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::Converged => "converged",
            StopReason::MaxIterations => "max_iterations",
            StopReason::LineSearchFailed => "line_search_failed",
            StopReason::Separation => "separation",
            StopReason::SmallDecrease => "small_decrease",
            StopReason::NoImprovement => "no_improvement",
        }
    }

    /// Whether a fit that stopped for this reason converged: [`StopReason::Converged`], and
    /// for networks the two stopping rules of scikit-learn's `MLPClassifier`
    /// ([`StopReason::SmallDecrease`], [`StopReason::NoImprovement`]).
    pub fn is_converged(self) -> bool {
        matches!(
            self,
            StopReason::Converged | StopReason::SmallDecrease | StopReason::NoImprovement
        )
    }
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened during a fit; stored in the model file and printed by `train`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitReport {
    pub solver: SolverKind,
    /// `true` exactly when [`StopReason::is_converged`]: for the linear models when
    /// `stop_reason` is [`StopReason::Converged`], i.e. `gradient_norm <= tol`; networks also
    /// converge by [`StopReason::SmallDecrease`] and [`StopReason::NoImprovement`].
    pub converged: bool,
    pub stop_reason: StopReason,
    /// Iterations performed (for `linfa`: argmin L-BFGS iterations, see [`linfa`]).
    pub iterations: usize,
    /// Objective value at the returned parameters.
    pub objective: f64,
    /// Infinity norm of the gradient of our (mean) objective at the returned parameters.
    pub gradient_norm: f64,
    pub tol: f64,
    pub max_iter: usize,
    /// Newton steps of the exact end game after the `iterations` ([`polish`]); 0 (and absent
    /// from the model file) when none was taken.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub newton_steps: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Fitted parameters `theta` in the objective's layout (`[W row-major, b]`; binary `[w_1 .. w_p, b]`;
/// multinomial centred), standardised scale, and the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    pub theta: Vec<f64>,
    pub report: FitReport,
}

pub use error::FitError;
use l1::check_l1_support;
pub use l1::fit_from;
pub(crate) use l1::trivial_fit;

/// Minimise `objective` with the solver and settings in `options`, starting from `theta = 0`.
///
/// Errors only for invalid options or data; every numerical outcome (including separation and
/// non-convergence) is an `Ok` with the reason in [`FitReport::stop_reason`]. Never panics on
/// finite input.
pub fn fit(objective: &Objective, options: &FitOptions) -> Result<Fit, FitError> {
    fit_observed(objective, options, &mut |_| {})
}

/// The state of the shared loop after an iteration, as passed to the observer of
/// [`fit_observed`] (the training curve of `train --plot`, the progress line).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Iteration {
    /// Iterations done so far; 0 is the starting point `theta = 0`.
    pub iteration: usize,
    /// Objective value at the current point.
    pub objective: f64,
    /// Infinity norm of the gradient at the current point.
    pub gradient_norm: f64,
}

/// [`fit`], calling `observer` at the starting point and after every iteration of the shared
/// loop. `linfa` runs its own loop, so it reports only its starting and final points.
pub fn fit_observed(
    objective: &Objective,
    options: &FitOptions,
    observer: &mut dyn FnMut(&Iteration),
) -> Result<Fit, FitError> {
    fit_with_limits(objective, options, observer, NEWTON_MAX_HESSIAN_BYTES)
}

/// [`fit`] with another bound on the bytes of Newton's Hessian than
/// [`NEWTON_MAX_HESSIAN_BYTES`] (tests check the refusal with a tiny one).
#[doc(hidden)]
pub fn fit_with_newton_limit(
    objective: &Objective,
    options: &FitOptions,
    newton_max_bytes: f64,
) -> Result<Fit, FitError> {
    fit_with_limits(objective, options, &mut |_| {}, newton_max_bytes)
}

/// [`fit_observed`] with the bound on Newton's Hessian as a parameter (tests use a tiny one).
fn fit_with_limits(
    objective: &Objective,
    options: &FitOptions,
    observer: &mut dyn FnMut(&Iteration),
    newton_max_bytes: f64,
) -> Result<Fit, FitError> {
    options.validate()?;
    check_problem(objective)?;
    check_l1_support(objective, options.solver)?;
    let k = objective.n_params();
    let max_iter = options.effective_max_iter();
    if options.solver == SolverKind::Newton && objective.hessian_bytes() > newton_max_bytes {
        return Err(FitError::NewtonHessianTooLarge {
            n_params: k,
            bytes: objective.hessian_bytes(),
            limit: newton_max_bytes,
        });
    }

    // Nothing to fit (no features and no intercept): theta is empty and trivially optimal.
    if k == 0 {
        let point = Point::at(objective, Vec::new());
        return Ok(finish(options, StopReason::Converged, 0, point));
    }
    // A class without (weighted) rows, with an intercept: its unpenalised intercept runs off to
    // -infinity whatever l2 is (binary: one class only), so there is no finite minimiser. Report
    // it without iterating (linfa would refuse).
    if objective.fit_intercept && separation::missing_class(objective) {
        let point = Point::at(objective, vec![0.0; k]);
        return Ok(finish(options, StopReason::Separation, 0, point));
    }

    match options.solver {
        SolverKind::Gd => run_observed(
            objective,
            gd::GradientDescent::new(objective, options.learning_rate),
            options,
            observer,
        ),
        SolverKind::Lbfgs => run_observed(
            objective,
            if lbfgs::precondition(objective) {
                lbfgs::Lbfgs::preconditioned(lbfgs::MEMORY)
            } else {
                lbfgs::Lbfgs::new(lbfgs::MEMORY)
            },
            options,
            observer,
        ),
        SolverKind::Newton => run_observed(objective, newton::Newton::new(), options, observer),
        SolverKind::Cd => crate::fit::cd::fit_cd(objective, options, &vec![0.0; k], observer),
        SolverKind::Adam => Err(FitError::InvalidOption {
            name: "--solver",
            value: "adam".to_string(),
            expected:
                "lbfgs, gd, newton, linfa or cd for a linear model (adam fits networks: --hidden)",
        }),
        SolverKind::Linfa => linfa::fit_linfa(objective, options).map(|(mut theta, iterations)| {
            centre(objective, &mut theta);
            let start = Point::at(objective, vec![0.0; k]);
            observer(&Iteration {
                iteration: 0,
                objective: start.value,
                gradient_norm: start.grad_inf(),
            });
            let point = Point::at(objective, theta);
            observer(&Iteration {
                iteration: iterations,
                objective: point.value,
                gradient_norm: point.grad_inf(),
            });
            let mut monitor = separation::Monitor::new(objective);
            let reason = if monitor.at_end(objective, &point) {
                StopReason::Separation
            } else if point.grad_inf() <= options.tol {
                StopReason::Converged
            } else if iterations >= max_iter {
                StopReason::MaxIterations
            } else {
                // linfa stopped on its own criteria (argmin's cost-change test or a line-search
                // error) short of our tolerance.
                StopReason::LineSearchFailed
            };
            finish(options, reason, iterations, point)
        }),
    }
}

pub(crate) fn check_problem(objective: &Objective) -> Result<(), FitError> {
    if objective.n_rows() == 0 {
        return Err(FitError::InvalidData("there are no training rows".into()));
    }
    if !(objective.l1.is_finite() && objective.l1 >= 0.0) {
        return Err(FitError::InvalidOption {
            name: "--l1",
            value: objective.l1.to_string(),
            expected: "a finite number >= 0",
        });
    }
    if !(objective.l2.is_finite() && objective.l2 >= 0.0) {
        return Err(FitError::InvalidOption {
            name: "--l2",
            value: objective.l2.to_string(),
            expected: "a finite number >= 0",
        });
    }
    if let Some((i, j, v)) = objective.design().first_non_finite() {
        return Err(FitError::InvalidData(format!(
            "design matrix value {v} at row {i}, column {j} is not finite"
        )));
    }
    match objective.family() {
        Family::Binomial => {
            if let Some((i, v)) = objective
                .y
                .iter()
                .enumerate()
                .find(|(_, &v)| v != 0.0 && v != 1.0)
            {
                return Err(FitError::InvalidData(format!(
                    "label {v} at row {i} is not 0 or 1"
                )));
            }
        }
        Family::Multinomial { classes } => {
            if classes < 2 {
                return Err(FitError::InvalidData(format!(
                    "a multinomial model needs at least 2 classes, got {classes}"
                )));
            }
            let valid = |v: f64| v >= 0.0 && v < classes as f64 && v.fract() == 0.0;
            if let Some((i, v)) = objective.y.iter().enumerate().find(|(_, &v)| !valid(v)) {
                return Err(FitError::InvalidData(format!(
                    "label {v} at row {i} is not a class index in 0..{classes}"
                )));
            }
        }
    }
    if let Some(s) = objective.weights() {
        if let Some((i, v)) = s
            .iter()
            .enumerate()
            .find(|(_, &v)| !(v.is_finite() && v >= 0.0))
        {
            return Err(FitError::InvalidData(format!(
                "weight {v} at row {i} is not a finite number >= 0"
            )));
        }
        let total = objective.weight_sum();
        if !(total.is_finite() && total > 0.0) {
            return Err(FitError::InvalidData(format!(
                "the weights must have a finite positive sum, got {total}"
            )));
        }
    }
    Ok(())
}

/// Makes a multinomial `theta` centred: subtracts, per feature and for the intercepts, the mean
/// over classes (the softmax is unchanged, the penalty can only fall). Returns whether anything
/// changed. Binomial parameters are left alone.
pub(crate) fn centre(objective: &Objective, theta: &mut [f64]) -> bool {
    let Family::Multinomial { classes: k } = objective.family() else {
        return false;
    };
    let p = objective.n_features();
    let groups = p + usize::from(objective.fit_intercept);
    let index = |c: usize, a: usize| if a < p { c * p + a } else { k * p + c };
    let mut changed = false;
    for a in 0..groups {
        let mean = (0..k).map(|c| theta[index(c, a)]).sum::<f64>() / k as f64;
        if mean != 0.0 {
            for c in 0..k {
                theta[index(c, a)] -= mean;
            }
            changed = true;
        }
    }
    changed
}

/// A point of the parameter space with the objective value and gradient there.
#[derive(Debug, Clone)]
pub(crate) struct Point {
    pub theta: Vec<f64>,
    pub value: f64,
    pub grad: Vec<f64>,
}

impl Point {
    /// Evaluate the objective and its gradient at `theta`.
    pub fn at(objective: &Objective, theta: Vec<f64>) -> Point {
        let mut grad = vec![0.0; theta.len()];
        let value = objective.value_and_gradient(&theta, &mut grad);
        Point { theta, value, grad }
    }

    /// Infinity norm of the gradient.
    pub fn grad_inf(&self) -> f64 {
        linalg::norm_inf(&self.grad)
    }
}

/// Result of one solver iteration.
pub(crate) enum Step {
    /// The point moved to a new, better point.
    Moved,
    /// No acceptable step was found; the point is unchanged.
    LineSearchFailed,
}

/// A minimiser in the argmin mould: one iteration at a time, plus its convergence test.
pub(crate) trait Solver {
    /// Advance `point` by one iteration (it arrives and leaves with value and gradient filled).
    fn step(&mut self, objective: &Objective, point: &mut Point) -> Step;

    /// Whether `point` is optimal to within `tol`. All solvers here use the same contract test:
    /// the infinity norm of the gradient of the mean objective.
    fn converged(&self, point: &Point, tol: f64) -> bool {
        point.grad_inf() <= tol
    }
}

/// The shared loop: iterate `solver` from `theta = 0` until convergence, the iteration cap, a
/// failed line search or detected separation.
#[cfg_attr(not(test), allow(dead_code))]
fn run<S: Solver>(objective: &Objective, solver: S, options: &FitOptions) -> Result<Fit, FitError> {
    run_observed(objective, solver, options, &mut |_| {})
}

/// [`run`], calling `observer` at the starting point and after every iteration.
fn run_observed<S: Solver>(
    objective: &Objective,
    solver: S,
    options: &FitOptions,
    observer: &mut dyn FnMut(&Iteration),
) -> Result<Fit, FitError> {
    let smooth = matches!(options.solver, SolverKind::Lbfgs | SolverKind::Newton);
    run_with_end_game(objective, solver, options, observer, smooth)
}

/// The shared loop, then (when `end_game` and [`polish::applies`]) the exact end game: the
/// solver hands over at [`polish::HANDOVER_TOL`] (or `tol` if larger) and resumes only if the
/// Newton steps leave the gradient above `tol`. The separation watch looks at the point where
/// the solver stopped, before any Newton step, and at the polished point.
fn run_with_end_game<S: Solver>(
    objective: &Objective,
    mut solver: S,
    options: &FitOptions,
    observer: &mut dyn FnMut(&Iteration),
    end_game: bool,
) -> Result<Fit, FitError> {
    let max_iter = options.effective_max_iter();
    let polishing = end_game && polish::applies(objective, true);
    let handover = if polishing {
        options.tol.max(polish::handover_tol())
    } else {
        options.tol
    };
    let mut point = Point::at(objective, vec![0.0; objective.n_params()]);
    let mut monitor = separation::Monitor::new(objective);
    let mut iterations = 0usize;
    let mut newton_steps = 0usize;
    let mut tol = handover;
    let reason = loop {
        let reason = solve(
            objective,
            &mut solver,
            tol,
            observer,
            &mut point,
            &mut monitor,
            &mut iterations,
            max_iter,
        );
        // A small gradient (or a stall) in a separated problem only means the iterates have run
        // far out along a direction of recession: check before claiming anything else.
        if reason != StopReason::Separation && monitor.at_end(objective, &point) {
            break StopReason::Separation;
        }
        if reason != StopReason::Converged || !polishing {
            break reason;
        }
        let done = polish::polish(objective, &mut point, iterations + newton_steps, observer);
        newton_steps += done.steps;
        // With `l2 = 0` the watch looks again at the polished point (Newton steps along a
        // direction of recession would lower the gradient too).
        if done.steps > 0 && monitor.at_end(objective, &point) {
            break StopReason::Separation;
        }
        if solver.converged(&point, options.tol) {
            break StopReason::Converged;
        }
        if tol == options.tol {
            // Converged to `tol` before the end game, which only lowers the gradient.
            break StopReason::Converged;
        }
        // The end game stopped short of `tol`: the solver resumes from its point.
        tol = options.tol;
    };
    let mut fit = finish(options, reason, iterations, point);
    fit.report.newton_steps = newton_steps;
    Ok(fit)
}

/// [`iterate`] to `tol`, then centring (multinomial): should centring move the point off the
/// tolerance (by rounding), the solver resumes from the centred point (a bounded number of
/// times).
#[allow(clippy::too_many_arguments)]
fn solve<S: Solver>(
    objective: &Objective,
    solver: &mut S,
    tol: f64,
    observer: &mut dyn FnMut(&Iteration),
    point: &mut Point,
    monitor: &mut separation::Monitor,
    iterations: &mut usize,
    max_iter: usize,
) -> StopReason {
    let mut recentred = 0;
    loop {
        let reason = iterate(
            objective, solver, tol, observer, point, monitor, iterations, max_iter,
        );
        let mut theta = point.theta.clone();
        if centre(objective, &mut theta) {
            *point = Point::at(objective, theta);
            if reason == StopReason::Converged && !solver.converged(point, tol) && recentred < 3 {
                recentred += 1;
                continue;
            }
        }
        break reason;
    }
}

/// The body of the shared loop: iterate until convergence, the cap, a failed line search or
/// separation.
#[allow(clippy::too_many_arguments)]
fn iterate<S: Solver>(
    objective: &Objective,
    solver: &mut S,
    tol: f64,
    observer: &mut dyn FnMut(&Iteration),
    point: &mut Point,
    monitor: &mut separation::Monitor,
    iterations: &mut usize,
    max_iter: usize,
) -> StopReason {
    let iterations_done = iterations;
    let mut iterations = *iterations_done;
    let reason = loop {
        observer(&Iteration {
            iteration: iterations,
            objective: point.value,
            gradient_norm: point.grad_inf(),
        });
        if monitor.during(objective, point, iterations) {
            break StopReason::Separation;
        }
        if solver.converged(point, tol) {
            break StopReason::Converged;
        }
        if iterations >= max_iter {
            break StopReason::MaxIterations;
        }
        match solver.step(objective, point) {
            Step::Moved => iterations += 1,
            // The gradient is not within tolerance here (tested above), so this is a failure.
            Step::LineSearchFailed => break StopReason::LineSearchFailed,
        }
    };
    *iterations_done = iterations;
    reason
}

fn finish(options: &FitOptions, reason: StopReason, iterations: usize, point: Point) -> Fit {
    let gradient_norm = point.grad_inf();
    Fit {
        report: FitReport {
            solver: options.solver,
            converged: reason == StopReason::Converged,
            stop_reason: reason,
            iterations,
            objective: point.value,
            gradient_norm,
            tol: options.tol,
            max_iter: options.effective_max_iter(),
            newton_steps: 0,
        },
        theta: point.theta,
    }
}

#[cfg(test)]
pub(crate) mod test_data;

#[cfg(test)]
mod tests;

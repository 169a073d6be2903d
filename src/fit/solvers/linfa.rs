//! Delegation to `linfa-logistic` 0.8.1, and a cross-check of our fit against it.
//!
//! # Matching linfa's problem to ours
//!
//! From its source (`src/lib.rs`, `logistic_loss` / `logistic_grad`): linfa minimises the SUM of
//! the log losses plus `(alpha/2) ||w||^2`, with the intercept (the last parameter) unpenalised,
//! by argmin's L-BFGS (memory 10, Moré-Thuente line search). Our objective is the MEAN plus
//! `(l2/2) ||w||^2`, i.e. linfa's divided by `n` when `alpha = l2 * n`; the minimisers coincide.
//! argmin stops when the Euclidean norm of linfa's (summed) gradient is below
//! `gradient_tolerance`, so passing `tol * n` asks for `||g_mean||_2 <= tol`, which implies our
//! infinity-norm test. argmin also stops when the cost changes by less than machine epsilon, and
//! linfa never reports non-convergence; so after it returns we evaluate OUR gradient at its
//! parameters and report `converged` only if its infinity norm is within `tol`.
//!
//! # Labels
//!
//! linfa takes arbitrary labels and makes the MORE FREQUENT one its positive class (the first one
//! seen on a tie; `label_classes` in its source). We pass `bool` labels (`true` = our positive
//! class), read which class the fitted model calls positive and flip the signs of all parameters
//! when it is `false` (`sigma(-z) = 1 - sigma(z)`).
//!
//! # Iterations
//!
//! The fitted model does not expose argmin's iteration count. argmin is deterministic, so the
//! count is recovered as the smallest iteration cap that reproduces the parameters of the full run
//! (doubling, then bisection: about `2 log2(iterations)` extra fits of at most the same size).
//!
//! # Panics avoided
//!
//! linfa panics on a prediction threshold outside `[0, 1]` and on a column-count mismatch at
//! prediction time; neither API is used here (probabilities come from our parameters). It needs
//! both classes present, which `fit_linfa` checks first; its remaining failures are `Err`s,
//! wrapped as [`FitError::Linfa`]. The call is additionally wrapped in `catch_unwind` so that an
//! unexpected panic inside argmin becomes an error instead of aborting `train`.
//!
//! # Hangs avoided
//!
//! argmin 0.11's Moré-Thuente line search has no evaluation limit of its own, and linfa's L-BFGS
//! runs it without an iteration cap, so on rare nearly separated inputs it loops forever (seen on
//! about 1 in 2000 small random problems). Each linfa run therefore happens on a worker thread
//! with a generous, size-dependent timeout (`10 s + 40 ns x rows x parameters x max_iter`); on
//! timeout the fit fails with [`FitError::Linfa`] (the stuck thread cannot be cancelled and is
//! left to the process's exit).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use ::linfa::dataset::DatasetBase;
use ::linfa::traits::Fit as _;
use linfa_logistic::{LogisticRegression, MultiLogisticRegression};
use ndarray::{Array1, Array2};
use serde::Serialize;

use super::{Fit, FitError, FitOptions, FitReport, SolverKind};
use crate::data::design::dense_copy;
use crate::fit::objective::{Family, Objective};

/// Fixed part of the time allowed for one linfa run.
/// Largest dense copy of a sparse design made for linfa-logistic (it has no sparse input).
const LINFA_MAX_DENSE_BYTES: f64 = 2.0 * GIB;
const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

const TIMEOUT_BASE: Duration = Duration::from_secs(10);
/// Time allowed per unit of `rows x parameters x iteration cap` (generous: ~20 evaluations of
/// value and gradient per iteration at a pessimistic 1 GFLOP/s).
const TIMEOUT_PER_UNIT_WORK: Duration = Duration::from_nanos(40);

/// The labels linfa sees.
enum Labels {
    /// `true` = our positive class.
    Binary(Array1<bool>),
    /// Class indices, `classes` of them.
    Multi { y: Array1<usize>, classes: usize },
}

/// What one linfa run needs, owned so that it can run on a watchdog-supervised thread.
struct LinfaProblem {
    x: Array2<f64>,
    labels: Labels,
    alpha: f64,
    fit_intercept: bool,
    gradient_tolerance: f64,
}

impl LinfaProblem {
    /// One linfa fit with iteration cap `cap`; `theta` in our layout and sign convention.
    fn solve(&self, cap: usize) -> Result<Vec<f64>, FitError> {
        match &self.labels {
            Labels::Binary(labels) => self.solve_binary(labels, cap),
            Labels::Multi { y, classes } => self.solve_multi(y, *classes, cap),
        }
    }

    fn solve_binary(&self, labels: &Array1<bool>, cap: usize) -> Result<Vec<f64>, FitError> {
        let params = LogisticRegression::<f64>::default()
            .alpha(self.alpha)
            .with_intercept(self.fit_intercept)
            .max_iterations(cap as u64)
            .gradient_tolerance(self.gradient_tolerance);
        let dataset = DatasetBase::new(self.x.view(), labels.view());
        let fitted = catch_unwind(AssertUnwindSafe(|| params.fit(&dataset)))
            .map_err(|_| FitError::Linfa("linfa-logistic panicked".into()))?
            .map_err(|e| FitError::Linfa(e.to_string()))?;
        let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
        let mut theta: Vec<f64> = fitted.params().iter().map(|w| sign * w).collect();
        if theta.len() != self.x.ncols() {
            return Err(FitError::Linfa(format!(
                "returned {} coefficients for {} features",
                theta.len(),
                self.x.ncols()
            )));
        }
        if self.fit_intercept {
            theta.push(sign * fitted.intercept());
        }
        Ok(theta)
    }

    /// `MultiLogisticRegression`: the same symmetric softmax model, parameters `p x K` plus `K`
    /// intercepts, classes in sorted order of the labels given (our class indices).
    fn solve_multi(&self, y: &Array1<usize>, k: usize, cap: usize) -> Result<Vec<f64>, FitError> {
        let params = MultiLogisticRegression::<f64>::default()
            .alpha(self.alpha)
            .with_intercept(self.fit_intercept)
            .max_iterations(cap as u64)
            .gradient_tolerance(self.gradient_tolerance);
        let dataset = DatasetBase::new(self.x.view(), y.view());
        let fitted = catch_unwind(AssertUnwindSafe(|| params.fit(&dataset)))
            .map_err(|_| FitError::Linfa("linfa-logistic panicked".into()))?
            .map_err(|e| FitError::Linfa(e.to_string()))?;
        let p = self.x.ncols();
        let w = fitted.params();
        let b = fitted.intercept();
        let order = fitted.classes();
        if order.len() != k || w.dim() != (p, k) || b.len() != k {
            return Err(FitError::Linfa(format!(
                "returned a model for {} classes and {:?} coefficients, expected {k} classes and \
                 {p} features (every class needs training rows)",
                order.len(),
                w.dim()
            )));
        }
        let mut theta = vec![0.0; k * (p + usize::from(self.fit_intercept))];
        for (col, &class) in order.iter().enumerate() {
            for j in 0..p {
                theta[class * p + j] = w[[j, col]];
            }
            if self.fit_intercept {
                theta[k * p + class] = b[col];
            }
        }
        Ok(theta)
    }
}

/// Run `problem.solve(cap)` on its own thread and give up after `timeout`.
///
/// argmin 0.11's Moré-Thuente line search (used by linfa's L-BFGS) has no cap on its own
/// iterations and L-BFGS runs it without one, so on some nearly separated problems it never
/// returns (observed: 41 rows, 1 feature, `l2 = 0`). A thread cannot be cancelled, so after the
/// timeout the stuck thread is left behind (detached, still computing) and an error is returned;
/// in the `train` command the process then exits, which ends it.
fn solve_with_timeout(
    problem: &Arc<LinfaProblem>,
    cap: usize,
    timeout: Duration,
) -> Result<Vec<f64>, FitError> {
    let (tx, rx) = mpsc::channel();
    let worker = Arc::clone(problem);
    thread::Builder::new()
        .name("linfa-logistic".into())
        .spawn(move || {
            let _ = tx.send(worker.solve(cap));
        })
        .map_err(|e| FitError::Linfa(format!("cannot start a thread: {e}")))?;
    match rx.recv_timeout(timeout) {
        Ok(result) => result,
        Err(RecvTimeoutError::Timeout) => Err(FitError::Linfa(format!(
            "did not finish within {} s (argmin's More-Thuente line search can loop forever on \
             nearly separated data); use another --solver",
            timeout.as_secs()
        ))),
        Err(RecvTimeoutError::Disconnected) => {
            Err(FitError::Linfa("linfa-logistic panicked".into()))
        }
    }
}

/// Run linfa-logistic on `objective`'s matrix; returns `theta` (in our sign convention and layout)
/// and the number of argmin iterations.
///
/// linfa-logistic has no sample weights. Weights that are all equal on the rows of positive
/// weight define the same minimiser as the unweighted problem on those rows, so that case is
/// run; any other weights are refused with [`FitError::LinfaUnavailable`] (never approximated).
pub(crate) fn fit_linfa(
    objective: &Objective,
    options: &FitOptions,
) -> Result<(Vec<f64>, usize), FitError> {
    let copy;
    let x = match objective.dense() {
        Some(x) => x,
        None => {
            // linfa-logistic takes a dense matrix: densify a sparse design when it is small.
            let (n, p) = (objective.n_rows(), objective.n_features());
            let bytes = n as f64 * p as f64 * 8.0;
            if bytes > LINFA_MAX_DENSE_BYTES {
                return Err(FitError::LinfaUnavailable(format!(
                    "it needs a dense design matrix, and this sparse {n} x {p} one would take \
                     {:.1} GiB dense (at most {:.0} GiB); use another --solver",
                    bytes / GIB,
                    LINFA_MAX_DENSE_BYTES / GIB
                )));
            }
            copy = dense_copy(objective.design());
            copy.view()
        }
    };
    let keep: Option<Vec<usize>> = match objective.weights() {
        None => None,
        Some(s) => {
            let positive: Vec<usize> = (0..s.len()).filter(|&i| s[i] > 0.0).collect();
            let first = positive.first().map(|&i| s[i]);
            if positive.iter().any(|&i| Some(s[i]) != first) {
                return Err(FitError::LinfaUnavailable(
                    "it has no sample weights, so --solver linfa and --cross-check cannot fit a \
                     model with --weight or --class-weight (unless every weight is the same)"
                        .into(),
                ));
            }
            (positive.len() < s.len()).then_some(positive)
        }
    };
    let (x, y) = match &keep {
        None => (x.to_owned(), objective.y.to_owned()),
        Some(rows) => (
            x.select(ndarray::Axis(0), rows),
            objective.y.select(ndarray::Axis(0), rows),
        ),
    };
    let n = y.len();
    let labels = match objective.family() {
        Family::Binomial => {
            let n_pos = y.iter().filter(|&&v| v > 0.5).count();
            if n_pos == 0 || n_pos == n {
                return Err(FitError::Linfa(
                    "linfa-logistic needs both classes in the training data".into(),
                ));
            }
            Labels::Binary(y.mapv(|v| v > 0.5))
        }
        Family::Multinomial { classes } => Labels::Multi {
            y: y.mapv(|v| v as usize),
            classes,
        },
    };
    let max_iter = options.effective_max_iter();
    let (alpha, gradient_tolerance) = summed_settings(objective.l2, options.tol, n)?;
    let problem = Arc::new(LinfaProblem {
        x,
        labels,
        alpha,
        fit_intercept: objective.fit_intercept,
        gradient_tolerance,
    });
    let work = (n as f64) * (objective.n_params().max(1) as f64) * (max_iter as f64);
    let timeout = TIMEOUT_BASE + TIMEOUT_PER_UNIT_WORK.mul_f64(work.min(1e12));
    let started = Instant::now();
    let full = solve_with_timeout(&problem, max_iter, timeout)?;
    // The runs with smaller caps replay a prefix of the same deterministic trajectory, so they
    // take at most about as long as the full run.
    let replay_timeout = started.elapsed() * 4 + Duration::from_secs(5);
    let run = |cap: usize| solve_with_timeout(&problem, cap, replay_timeout);
    let iterations = count_iterations(&run, &full, max_iter)?;
    Ok((full, iterations))
}

/// linfa's `alpha` and gradient tolerance for our `l2` and `tol` on `n` rows: linfa minimises the
/// summed loss, so both are ours times `n`. When a product overflows, linfa would refuse it with
/// its own words ("alpha must be a positive, finite number"), which name neither the flag nor
/// the cause; the error here names the flag and its largest usable value.
fn summed_settings(l2: f64, tol: f64, n: usize) -> Result<(f64, f64), FitError> {
    let nf = n as f64;
    let (alpha, gradient_tolerance) = (l2 * nf, tol * nf);
    // Shown with 4 digits, rounded down by the factor so that the value printed is usable.
    let limit = || format!("{:.3e}", f64::MAX / nf * (1.0 - 1e-3));
    if !alpha.is_finite() {
        return Err(FitError::OutOfRangeForLinfa {
            name: "--l2",
            value: l2,
            limit: limit(),
            n_rows: n,
        });
    }
    if !(gradient_tolerance.is_finite() && gradient_tolerance > 0.0) {
        return Err(FitError::OutOfRangeForLinfa {
            name: "--tol",
            value: tol,
            limit: limit(),
            n_rows: n,
        });
    }
    Ok((alpha, gradient_tolerance))
}

/// Smallest cap in `1..=max_iter` whose run reproduces `full` exactly.
fn count_iterations(
    run: &dyn Fn(usize) -> Result<Vec<f64>, FitError>,
    full: &[f64],
    max_iter: usize,
) -> Result<usize, FitError> {
    // `lo` reproduces a different result (0 = not run), `hi` reproduces `full`.
    let mut lo = 0usize;
    let mut hi = 1usize;
    while hi < max_iter && run(hi)? != full {
        lo = hi;
        hi = hi.saturating_mul(2).min(max_iter);
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if run(mid)? == full {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(hi)
}

/// Agreement between a fit and linfa-logistic's fit of the same objective.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrossCheck {
    /// `max_j |theta_ours_j - theta_linfa_j|` over all parameters (standardised scale).
    pub max_coefficient_difference: f64,
    /// `max_coefficient_difference / max(1, max_j |theta_ours_j|)`.
    pub max_relative_coefficient_difference: f64,
    /// Our objective at our parameters.
    pub objective_ours: f64,
    /// Our objective at linfa's parameters.
    pub objective_linfa: f64,
    /// `objective_ours - objective_linfa` (negative: our fit is lower).
    pub objective_difference: f64,
    /// linfa's fit report (judged by our gradient).
    pub linfa: FitReport,
}

/// Fit `objective` with linfa-logistic (same `tol` and `max_iter` as `options`) and compare the
/// parameters and objective values with `ours`.
pub fn cross_check(
    objective: &Objective,
    ours: &Fit,
    options: &FitOptions,
) -> Result<CrossCheck, FitError> {
    if ours.theta.len() != objective.n_params() {
        return Err(FitError::InvalidData(format!(
            "the fit has {} parameters, the problem {}",
            ours.theta.len(),
            objective.n_params()
        )));
    }
    let linfa_options = FitOptions {
        solver: SolverKind::Linfa,
        learning_rate: None,
        ..options.clone()
    };
    let theirs = super::fit(objective, &linfa_options)?;
    let max_coefficient_difference = ours
        .theta
        .iter()
        .zip(&theirs.theta)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    let scale = ours.theta.iter().map(|v| v.abs()).fold(1.0, f64::max);
    let objective_ours = objective.value(&ours.theta);
    let objective_linfa = objective.value(&theirs.theta);
    Ok(CrossCheck {
        max_coefficient_difference,
        max_relative_coefficient_difference: max_coefficient_difference / scale,
        objective_ours,
        objective_linfa,
        objective_difference: objective_ours - objective_linfa,
        linfa: theirs.report,
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_data::{self, check_against_reference};
    use super::super::{fit, FitOptions, SolverKind, StopReason};
    use super::*;

    #[test]
    fn reaches_reference_optimum() {
        // argmin's L-BFGS inside linfa stops once its summed cost no longer changes in floating
        // point, which on these sets happens at a mean gradient of 1e-10 to 3e-9: judge it at
        // tol = 1e-8 and with a correspondingly looser coefficient tolerance.
        check_against_reference(SolverKind::Linfa, 1e-8, 1e-5);
    }

    /// At the default tolerance linfa may stop short; that must be reported, never hidden.
    #[test]
    fn stopping_short_of_the_tolerance_is_not_convergence() {
        let d = test_data::spector();
        let obj = d.objective(0.0);
        let f = fit(&obj, &FitOptions::with_solver(SolverKind::Linfa)).unwrap();
        assert_eq!(
            f.report.converged,
            f.report.gradient_norm <= f.report.tol,
            "{:?}",
            f.report
        );
        if !f.report.converged {
            assert_eq!(f.report.stop_reason, StopReason::LineSearchFailed);
        }
    }

    /// pima's positive class (Yes) is the LESS frequent label, so linfa's positive class is our
    /// negative one and the signs must be flipped; relabelling the data the other way round must
    /// give exactly the negated parameters.
    #[test]
    fn sign_flip_when_positive_class_is_less_frequent() {
        let d = test_data::pima();
        let n_pos = d.y.iter().filter(|&&v| v > 0.5).count();
        assert!(2 * n_pos < d.y.len());
        let obj = d.objective(1e-2);
        let ours = fit(&obj, &FitOptions::with_solver(SolverKind::Newton)).unwrap();
        let (theta, _) = fit_linfa(&obj, &FitOptions::with_solver(SolverKind::Linfa)).unwrap();
        for (a, b) in theta.iter().zip(&ours.theta) {
            assert!((a - b).abs() < 1e-6, "{theta:?} vs {:?}", ours.theta);
        }
        // Swap the labels: the positive class is now the more frequent one.
        let flipped = d.y.mapv(|v| 1.0 - v);
        let obj2 = Objective::new(d.x.view(), flipped.view(), 1e-2, true);
        let (theta2, _) = fit_linfa(&obj2, &FitOptions::with_solver(SolverKind::Linfa)).unwrap();
        for (a, b) in theta2.iter().zip(&ours.theta) {
            assert!((a + b).abs() < 1e-6, "{theta2:?} vs {:?}", ours.theta);
        }
    }

    #[test]
    fn without_intercept_and_single_class() {
        let d = test_data::spector();
        let obj = Objective::new(d.x.view(), d.y.view(), 1e-2, false);
        let ours = fit(&obj, &FitOptions::with_solver(SolverKind::Newton)).unwrap();
        let cc = cross_check(&obj, &ours, &FitOptions::default()).unwrap();
        assert_eq!(ours.theta.len(), 3);
        assert!(cc.max_coefficient_difference < 1e-6, "{cc:?}");
        let ones = d.y.mapv(|_| 1.0);
        let obj1 = Objective::new(d.x.view(), ones.view(), 1e-2, false);
        assert!(matches!(
            fit(&obj1, &FitOptions::with_solver(SolverKind::Linfa)),
            Err(FitError::Linfa(_))
        ));
    }

    #[test]
    fn cross_check_reports_agreement_and_iterations() {
        let d = test_data::spector();
        let obj = d.objective(0.0);
        let ours = fit(&obj, &FitOptions::default()).unwrap();
        let cc = cross_check(&obj, &ours, &FitOptions::default()).unwrap();
        assert!(cc.max_coefficient_difference < 1e-6, "{cc:?}");
        assert!(cc.max_relative_coefficient_difference <= cc.max_coefficient_difference);
        assert!(cc.objective_difference.abs() < 1e-12, "{cc:?}");
        assert!(
            cc.linfa.iterations >= 1 && cc.linfa.iterations < 100,
            "{cc:?}"
        );
        let json = serde_json::to_value(&cc).unwrap();
        assert!(json.get("max_coefficient_difference").is_some());
        // Capping linfa's iterations is reported as such.
        let capped = FitOptions {
            max_iter: Some(2),
            ..FitOptions::with_solver(SolverKind::Linfa)
        };
        let f = fit(&obj, &capped).unwrap();
        assert_eq!(
            f.report.stop_reason,
            StopReason::MaxIterations,
            "{:?}",
            f.report
        );
        assert_eq!(f.report.iterations, 2);
        // Mismatched parameter count is an error, not a panic.
        let bad = Fit {
            theta: vec![0.0],
            report: ours.report.clone(),
        };
        assert!(cross_check(&obj, &bad, &FitOptions::default()).is_err());
    }

    #[test]
    fn penalty_or_tolerance_overflowing_when_summed_names_its_flag() {
        assert_eq!(summed_settings(0.5, 1e-8, 4).unwrap(), (2.0, 4e-8));
        for (l2, tol, flag) in [(1e308, 1e-8, "--l2"), (1.0, 1e308, "--tol")] {
            let e = summed_settings(l2, tol, 372).unwrap_err();
            assert!(matches!(e, FitError::OutOfRangeForLinfa { name, .. } if name == flag));
            let text = e.to_string();
            assert!(
                text.starts_with(&format!("{flag} 1e308 is too large")),
                "{text}"
            );
            assert!(
                text.contains("372 rows") && text.contains("<= 4.828e305"),
                "{text}"
            );
        }
        // The limit printed is usable: its product with the rows is finite.
        let limit: f64 = 4.828e305;
        assert!(summed_settings(limit, 1e-8, 372).is_ok());
    }
}

//! `--solver cd`: coordinate descent inside a proximal-Newton (IRLS) outer loop with active
//! sets, for L1 / elastic-net penalties (and plain L2), binomial and multinomial.
//!
//! As glmnet's lognet (Friedman, Hastie & Tibshirani 2010, "Regularization paths for generalized
//! linear models via coordinate descent", J. Stat. Softw. 33(1)) and LIBLINEAR's newGLMNET (Yuan,
//! Ho & Lin 2012, "An improved GLMNET for L1-regularized logistic regression", JMLR 13):
//!
//! 1. **Outer iteration** at `theta`: the quadratic model of the loss ([`model`]) on a working set
//!    of coordinates (the non-zeros, the coordinates that violate the optimality conditions and,
//!    on a path, the strong set), minimised with penalties by cyclic coordinate descent
//!    ([`model::descend`]) to an inner tolerance tied to the current subgradient (so the outer
//!    loop converges quadratically near the optimum).
//! 2. **Line search** on the true objective along `d = u - theta`: backtracking from `t = 1`
//!    until `F(theta + t d) <= F(theta) + sigma t Delta` with
//!    `Delta = g.d + l1 (||W + dW||_1 - ||W||_1)` (Tseng & Yun 2009; newGLMNET's condition), so
//!    every step decreases `F`.
//! 3. **Convergence**: when the minimum-norm subgradient on the working set is within `tol`, a
//!    full gradient pass over every column (threaded over column blocks, each column's dot
//!    product whole on one thread: deterministic whatever the thread count) computes the true
//!    subgradient ([`Objective::subgradient_norm`]'s definition); `converged` iff it is `<= tol`.
//!    Violators found there join the working set and the loop goes on.
//!
//! The design is read through a column copy ([`Columns`]: column-major, or compressed sparse
//! columns for a sparse design) built once per fit (once per path). Multinomial fits store centred intercepts; `W` is centred only when `l1 = 0` (the L1
//! term is not invariant under centring). With `l1 = l2 = 0` the shared separation monitor
//! watches the iterates as in the other solvers; with `l1 > 0` the optimum is finite and no
//! separation logic runs.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::data::design::{columns_of, Columns};
use crate::fit::objective::{Family, Objective};
use crate::fit::solvers::Fit;
use crate::fit::solvers::{
    separation, FitError, FitOptions, FitReport, Iteration, Point, StopReason,
};

mod binomial;
mod gram;
pub(crate) mod model;

use model::{descend, InnerMode, Model, Problem};

/// Sufficient-decrease constant of the line search (newGLMNET's sigma).
const SIGMA: f64 = 0.01;
/// Step halvings before the line search gives up.
const MAX_HALVINGS: usize = 50;
/// The inner tolerance never goes below this fraction of `tol`.
const INNER_TOL_FLOOR: f64 = 0.25;
/// Cap on coordinate-descent sweeps per outer iteration.
const MAX_SWEEPS: usize = 10_000;
/// Relative rounding slack on the objective value (as the other solvers' line searches).
const VALUE_SLACK_RTOL: f64 = 1e-12;

/// A finished coordinate-descent fit, with what a path needs for the next lambda.
pub(crate) struct CdFit {
    pub fit: Fit,
    /// The smooth gradient at the returned point (every coordinate; from the final full pass).
    pub grad: Vec<f64>,
    /// Mean loss at the returned point (no penalty).
    pub loss: f64,
    /// Scores at the returned point, class-major (the next fit of a path starts from them).
    pub scores: Vec<f64>,
}

/// The column copy of `objective`'s design: column-major for a dense design, compressed
/// sparse columns (with the same implicit centring) for a sparse one.
pub(crate) fn columns(objective: &Objective) -> Box<dyn Columns> {
    columns_of(objective.design())
}

/// Builds the coordinate-descent view of `objective` on `cols`.
pub(crate) fn problem<'a>(objective: &'a Objective, cols: &'a dyn Columns) -> Problem<'a> {
    let y = objective.y.iter().copied().collect();
    let s = objective.weights().map(|s| s.iter().copied().collect());
    let (k, multinomial) = match objective.family() {
        Family::Binomial => (1, false),
        Family::Multinomial { classes } => (classes, true),
    };
    let q = objective.n_features() + 1;
    Problem {
        cols,
        design: objective.design(),
        kernel: objective.exec.kernel,
        threads: objective
            .exec
            .threads_for(objective.n_rows() * objective.n_features()),
        gram_threads: objective.exec.threads_for(objective.n_rows() * q * q / 2),
        block_rows: objective.exec.block_rows,
        inner: InnerMode::from_env(),
        last_sweeps: AtomicUsize::new(0),
        n: objective.n_rows(),
        p: objective.n_features(),
        k,
        multinomial,
        intercept: objective.fit_intercept,
        l1: objective.l1,
        l2: objective.l2,
        inv_s: 1.0 / objective.weight_sum(),
        y,
        s,
    }
}

/// Fit `objective` by coordinate descent from `start` (checked options and data).
pub(crate) fn fit_cd(
    objective: &Objective,
    options: &FitOptions,
    start: &[f64],
    observer: &mut dyn FnMut(&Iteration),
) -> Result<Fit, FitError> {
    let cols = columns(objective);
    let problem = problem(objective, &*cols);
    Ok(solve(objective, &problem, options, start, None, None, observer).fit)
}

/// Scores `eta = X W' + b`, class-major `k x n`, from the non-zero coefficients.
fn scores(problem: &Problem, theta: &[f64]) -> Vec<f64> {
    let (n, p, k) = (problem.n, problem.p, problem.k);
    let mut eta = vec![0.0; n * k];
    for c in 0..k {
        let e = &mut eta[c * n..(c + 1) * n];
        if problem.intercept {
            e.iter_mut().for_each(|v| *v = theta[k * p + c]);
        }
        for j in 0..p {
            let w = theta[c * p + j];
            if w != 0.0 {
                problem.cols.axpy(problem.kernel, j, w, e);
            }
        }
    }
    eta
}

/// The smooth gradient along every column (`k p` entries, then the intercepts), threaded over
/// contiguous column blocks.
fn full_gradient(problem: &Problem, model: &Model, theta: &[f64]) -> Vec<f64> {
    let (p, k) = (problem.p, problem.k);
    let kp = k * p;
    let mut grad = vec![0.0; theta.len()];
    let threads = problem.threads.clamp(1, kp.max(1));
    let per = kp.div_ceil(threads).max(1);
    let work = |first: usize, out: &mut [f64]| {
        for (t, g) in out.iter_mut().enumerate() {
            let idx = first + t;
            let (c, j) = (idx / p, idx % p);
            *g = model.gradient(problem, c, j, theta[idx]);
        }
    };
    if threads <= 1 {
        work(0, &mut grad[..kp]);
    } else {
        std::thread::scope(|scope| {
            for (t, chunk) in grad[..kp].chunks_mut(per).enumerate() {
                let work = &work;
                scope.spawn(move || work(t * per, chunk));
            }
        });
    }
    if problem.intercept {
        for c in 0..k {
            grad[kp + c] = model.intercept_gradient(problem, c);
        }
    }
    grad
}

/// Whether the next binomial inner solve over `set_len` columns goes through the Gram matrix.
///
/// Naive sweeps cost about `3 n |S|` (a fused dot product, an axpy and the skipped ones' share),
/// the Gram `n q^2 / 2` with `q = p + 1` (the design's kernel forms the full matrix) plus
/// `O(|S|^2)` per sweep. So `auto` takes the Gram when the previous inner solve (on a path, the
/// previous lambda's last) needed more than `q^2 / (6 |S|)` sweeps (about 34 with every one of
/// 200 columns in the set): the sweeps of one outer iteration are a good estimate of the next's.
fn use_gram(problem: &Problem, set_len: usize) -> bool {
    match problem.inner {
        InnerMode::Naive => false,
        InnerMode::Gram => true,
        InnerMode::Auto => {
            let q = problem.p + 1;
            let sweeps = problem.last_sweeps.load(Ordering::Relaxed);
            set_len > 0 && sweeps * 6 * set_len > q * q
        }
    }
}

/// Minimum-norm subgradient magnitude of one coordinate (`penalised` = a `W` entry).
fn sub(theta: f64, g: f64, l1: f64, penalised: bool) -> f64 {
    if !penalised || l1 == 0.0 {
        g.abs()
    } else if theta > 0.0 {
        (g + l1).abs()
    } else if theta < 0.0 {
        (g - l1).abs()
    } else {
        (g.abs() - l1).max(0.0)
    }
}

fn norm_with_nan(values: impl Iterator<Item = f64>) -> f64 {
    let mut worst = 0.0f64;
    for v in values {
        if v.is_nan() {
            return f64::NAN;
        }
        worst = worst.max(v);
    }
    worst
}

/// The working state of one fit.
struct State {
    theta: Vec<f64>,
    eta: Vec<f64>,
    model: Model,
    value: f64,
    /// Whether `eta` was computed from `theta` afresh (not updated along steps).
    exact: bool,
}

impl State {
    fn at(problem: &Problem, theta: Vec<f64>, z: &mut Vec<f64>) -> State {
        let eta = scores(problem, &theta);
        State::with_scores(problem, theta, eta, z)
    }

    /// The state at `theta` whose scores `eta` are known (a path's previous fit).
    fn with_scores(problem: &Problem, theta: Vec<f64>, eta: Vec<f64>, z: &mut Vec<f64>) -> State {
        let model = Model::at(problem, &eta, z);
        let value = model.loss + problem.penalty(&theta[..problem.kp()]);
        State {
            theta,
            eta,
            model,
            value,
            exact: true,
        }
    }
}

/// The coordinate-descent loop. `screen` (a path's strong set, `k p` flags) replaces the initial
/// full pass's violators as the starting working set.
pub(crate) fn solve(
    objective: &Objective,
    problem: &Problem,
    options: &FitOptions,
    start: &[f64],
    start_scores: Option<Vec<f64>>,
    screen: Option<&[bool]>,
    observer: &mut dyn FnMut(&Iteration),
) -> CdFit {
    let (p, k) = (problem.p, problem.k);
    let kp = k * p;
    let l1 = problem.l1;
    let tol = options.tol;
    let max_iter = options.effective_max_iter();
    let mut z = Vec::new();
    let mut st = match start_scores {
        Some(eta) => State::with_scores(problem, start.to_vec(), eta, &mut z),
        None => State::at(problem, start.to_vec(), &mut z),
    };
    let mut in_set = vec![false; kp];
    for (f, &t) in in_set.iter_mut().zip(&st.theta) {
        *f = t != 0.0;
    }
    let mut full: Option<Vec<f64>> = None;
    match screen {
        Some(flags) => {
            for (f, &s) in in_set.iter_mut().zip(flags) {
                *f |= s;
            }
        }
        None => {
            let g = full_gradient(problem, &st.model, &st.theta);
            for (idx, f) in in_set.iter_mut().enumerate() {
                *f |= sub(0.0, g[idx], l1, true) > 0.0;
            }
            full = Some(g);
        }
    }
    let mut monitor =
        (problem.l1 == 0.0 && problem.l2 == 0.0).then(|| separation::Monitor::new(objective));
    let mut iterations = 0usize;
    let mut recentred = 0;
    let mut stalls = 0;
    let mut first = true;
    let reason = loop {
        // Gradient on the working set (and the intercepts).
        let set: Vec<Vec<usize>> = (0..k)
            .map(|c| (0..p).filter(|&j| in_set[c * p + j]).collect())
            .collect();
        let grad_set: Vec<(usize, f64)> = match (&full, first) {
            (Some(g), true) => set
                .iter()
                .enumerate()
                .flat_map(|(c, js)| js.iter().map(move |&j| (c * p + j, g[c * p + j])))
                .collect(),
            _ => set
                .iter()
                .enumerate()
                .flat_map(|(c, js)| {
                    let st = &st;
                    js.iter().map(move |&j| {
                        let idx = c * p + j;
                        (idx, st.model.gradient(problem, c, j, st.theta[idx]))
                    })
                })
                .collect(),
        };
        let grad_b: Vec<f64> = if problem.intercept {
            (0..k)
                .map(|c| st.model.intercept_gradient(problem, c))
                .collect()
        } else {
            Vec::new()
        };
        let sg = norm_with_nan(
            grad_set
                .iter()
                .map(|&(idx, g)| sub(st.theta[idx], g, l1, true))
                .chain(grad_b.iter().map(|g| g.abs())),
        );
        if first {
            let shown = match &full {
                Some(g) => norm_with_nan(
                    (0..kp)
                        .map(|idx| sub(st.theta[idx], g[idx], l1, true))
                        .chain(grad_b.iter().map(|g| g.abs())),
                ),
                None => sg,
            };
            observer(&Iteration {
                iteration: 0,
                objective: st.value,
                gradient_norm: shown,
            });
            first = false;
        }
        if let Some(m) = monitor.as_mut() {
            let point = Point {
                theta: st.theta.clone(),
                value: st.value,
                grad: Vec::new(),
            };
            if m.during(objective, &point, iterations) {
                break StopReason::Separation;
            }
        }
        if sg <= tol {
            let g = full_gradient(problem, &st.model, &st.theta);
            let mut added = false;
            for idx in 0..kp {
                if !in_set[idx] && sub(0.0, g[idx], l1, true) > 0.0 {
                    in_set[idx] = true;
                    added = true;
                }
            }
            let total = norm_with_nan(
                (0..kp)
                    .map(|idx| sub(st.theta[idx], g[idx], l1, true))
                    .chain(grad_b.iter().map(|g| g.abs())),
            );
            full = Some(g);
            if total <= tol {
                let mut theta = st.theta.clone();
                if centre(objective, problem, &mut theta) && recentred < 3 {
                    recentred += 1;
                    st = State::at(problem, theta, &mut z);
                    full = None;
                    continue;
                }
                break StopReason::Converged;
            }
            debug_assert!(added, "a violation outside the working set");
            if !added {
                break StopReason::LineSearchFailed;
            }
            full = None;
            continue;
        }
        full = None;
        if iterations >= max_iter {
            break StopReason::MaxIterations;
        }
        // Inner tolerance: a fraction of the subgradient, quadratically smaller near the optimum.
        let eps = (0.1 * sg * sg.min(1.0)).max(INNER_TOL_FLOOR * tol);
        let gram = (!problem.multinomial && use_gram(problem, set[0].len()))
            .then(|| gram::descend_gram(problem, &st.model, &st.theta, &set[0], eps, MAX_SWEEPS))
            .flatten();
        let inner = match gram {
            Some(inner) => inner,
            None if problem.intercept && !problem.multinomial => {
                binomial::descend_centred(problem, &st.model, &st.theta, &set[0], eps, MAX_SWEEPS)
            }
            None => descend(problem, &st.model, &st.theta, &set, eps, MAX_SWEEPS),
        };
        problem.last_sweeps.store(inner.sweeps, Ordering::Relaxed);
        let mut delta = 0.0;
        for &(idx, g) in &grad_set {
            delta += g * (inner.u[idx] - st.theta[idx]);
        }
        for (c, g) in grad_b.iter().enumerate() {
            delta += g * (inner.u[kp + c] - st.theta[kp + c]);
        }
        if l1 != 0.0 {
            // Term by term, so that rounding in two large norms cannot swamp a tiny decrease.
            let change: f64 = inner.u[..kp]
                .iter()
                .zip(&st.theta[..kp])
                .map(|(a, b)| a.abs() - b.abs())
                .sum();
            delta += l1 * change;
        }
        let slack = VALUE_SLACK_RTOL * st.value.abs();
        if inner.u == st.theta || delta.is_nan() || delta > slack {
            // The model sees no descent at this accuracy: refresh the point exactly and retry
            // once, then give up.
            stalls += 1;
            if stalls > 2 {
                break StopReason::LineSearchFailed;
            }
            st = State::at(problem, std::mem::take(&mut st.theta), &mut z);
            continue;
        }
        let mut t = 1.0;
        let mut accepted = None;
        for _ in 0..MAX_HALVINGS {
            let trial: Vec<f64> = if t == 1.0 {
                inner.u.clone()
            } else {
                st.theta
                    .iter()
                    .zip(&inner.u)
                    .map(|(&a, &b)| a + t * (b - a))
                    .collect()
            };
            let value =
                problem.loss_along(&st.eta, &inner.deta, t, &mut z) + problem.penalty(&trial[..kp]);
            if value.is_finite()
                && (value <= st.value + SIGMA * t * delta
                    || (value <= st.value + slack && delta.abs() <= slack))
            {
                accepted = Some((trial, value));
                break;
            }
            t *= 0.5;
        }
        let Some((trial, _)) = accepted else {
            stalls += 1;
            if stalls > 2 || st.exact {
                break StopReason::LineSearchFailed;
            }
            st = State::at(problem, std::mem::take(&mut st.theta), &mut z);
            continue;
        };
        stalls = 0;
        for (e, d) in st.eta.iter_mut().zip(&inner.deta) {
            *e += t * d;
        }
        st.theta = trial;
        st.model = Model::at(problem, &st.eta, &mut z);
        st.value = st.model.loss + problem.penalty(&st.theta[..kp]);
        st.exact = false;
        iterations += 1;
        observer(&Iteration {
            iteration: iterations,
            objective: st.value,
            gradient_norm: sg,
        });
    };
    // The reported point: centred, and its full gradient (scores afresh unless converged, where
    // the scores updated along the steps are what the convergence test saw).
    let mut theta = std::mem::take(&mut st.theta);
    if reason != StopReason::Converged {
        centre(objective, problem, &mut theta);
    }
    let st = if reason == StopReason::Converged {
        State { theta, ..st }
    } else {
        State::at(problem, theta, &mut z)
    };
    let grad = match full {
        Some(g) if reason == StopReason::Converged => g,
        _ => full_gradient(problem, &st.model, &st.theta),
    };
    let mut grad = grad;
    if problem.intercept {
        for c in 0..k {
            grad[kp + c] = st.model.intercept_gradient(problem, c);
        }
    }
    let gradient_norm = objective.subgradient_norm(&st.theta, &grad);
    let reason = match reason {
        StopReason::Converged if gradient_norm > tol => StopReason::LineSearchFailed,
        r if r != StopReason::Separation
            && monitor.as_mut().is_some_and(|m| {
                m.at_end(
                    objective,
                    &Point {
                        theta: st.theta.clone(),
                        value: st.value,
                        grad: Vec::new(),
                    },
                )
            }) =>
        {
            StopReason::Separation
        }
        r => r,
    };
    let reason = if reason != StopReason::Converged
        && reason != StopReason::Separation
        && gradient_norm <= tol
    {
        StopReason::Converged
    } else {
        reason
    };
    CdFit {
        fit: Fit {
            report: FitReport {
                solver: options.solver,
                converged: reason == StopReason::Converged,
                stop_reason: reason,
                iterations,
                objective: st.value,
                gradient_norm,
                tol,
                max_iter,
                newton_steps: 0,
            },
            theta: st.theta,
        },
        grad,
        loss: st.model.loss,
        scores: st.eta,
    }
}

/// Centres a multinomial `theta`: the intercepts always, `W` only without an L1 penalty.
/// Returns whether anything changed.
fn centre(objective: &Objective, problem: &Problem, theta: &mut [f64]) -> bool {
    if !problem.multinomial {
        return false;
    }
    if problem.l1 == 0.0 {
        return crate::fit::solvers::centre(objective, theta);
    }
    if !problem.intercept {
        return false;
    }
    let kp = problem.kp();
    let b = &mut theta[kp..];
    let mean = b.iter().sum::<f64>() / b.len() as f64;
    if mean == 0.0 {
        return false;
    }
    b.iter_mut().for_each(|v| *v -= mean);
    true
}

#[cfg(test)]
mod tests;

//! K-fold cross-validation over a lambda sequence, as cv.glmnet: each fold re-standardises on its
//! training rows, fits the whole sequence with warm starts ([`fit_path`], no early stop), and
//! scores its held-out rows at every lambda with the [`Metric`].
//!
//! Folds run on worker threads (`std::thread::scope`), each fold's objective single-threaded
//! when several folds run at once. A fold's numbers depend only on its rows, never on which
//! thread ran it or how many there were, and the curve is summed in fold order, so the result is
//! the same to the last bit whatever the thread count.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::folds::Folds;
use super::metric::Metric;
use super::problem::{held_out_scores, Problem};
use super::stats::{curve, CvCurve};
use crate::error::{Error, Result};
use crate::fit::objective::Exec;
use crate::fit::path::{fit_path, PathOptions};

/// What the folds gave.
#[derive(Debug, Clone, PartialEq)]
pub struct CrossValidation {
    /// `fold_values[k][l]`: the metric of fold `k` at lambda `l`.
    pub fold_values: Vec<Vec<f64>>,
    /// `N_k`: the held-out weight of each fold (rows when unweighted).
    pub fold_weights: Vec<f64>,
    pub curve: CvCurve,
    /// Fold fits (fold x lambda) that stopped before the tolerance.
    pub unconverged: usize,
}

/// One fold's metric per lambda, held-out weight and unconverged fits.
pub type FoldResult = (Vec<f64>, f64, usize);

/// Each fold's result slot: its metric per lambda and its held-out weight, once it has run.
type FoldSlots = Mutex<Vec<Option<Result<FoldResult>>>>;

/// Progress of one fold: `(fold, lambdas fitted so far, lambdas)`.
pub type FoldProgress<'a> = dyn Fn(usize, usize, usize) + Sync + 'a;

/// Cross-validates `problem` over `lambdas` (descending) with `folds`. `threads`: worker
/// threads (at most one per fold). `options.early_stop` is ignored: every fold fits every lambda.
pub fn cross_validate(
    problem: &Problem,
    folds: &Folds,
    lambdas: &[f64],
    options: &PathOptions,
    metric: Metric,
    threads: usize,
    progress: &FoldProgress,
) -> Result<CrossValidation> {
    let all: Vec<usize> = (0..folds.k()).collect();
    let results = run_folds(
        problem, folds, &all, lambdas, options, metric, threads, progress,
    );
    assemble(results)
}

/// The results of the folds `which` (in that order), each fold as [`cross_validate`] fits
/// and scores it; a fold's result depends only on its rows, so folds run in other processes
/// (`cv --distributed`) give the same numbers.
#[allow(clippy::too_many_arguments)]
pub fn run_folds(
    problem: &Problem,
    folds: &Folds,
    which: &[usize],
    lambdas: &[f64],
    options: &PathOptions,
    metric: Metric,
    threads: usize,
    progress: &FoldProgress,
) -> Vec<Result<FoldResult>> {
    let k = which.len();
    let workers = threads.clamp(1, k.max(1));
    let options = PathOptions {
        early_stop: false,
        ..options.clone()
    };
    let results: FoldSlots = Mutex::new((0..k).map(|_| None).collect());
    let next = AtomicUsize::new(0);
    let work = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= k {
            break;
        }
        let result = one_fold(
            problem,
            folds,
            which[i],
            lambdas,
            &options,
            metric,
            workers > 1,
            progress,
        );
        results.lock().expect("no worker panics")[i] = Some(result);
    };
    if workers == 1 {
        work();
    } else {
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(work);
            }
        });
    }
    results
        .into_inner()
        .expect("no worker panics")
        .into_iter()
        .map(|r| r.expect("every fold ran"))
        .collect()
}

/// The cross-validation of every fold's result, in fold order: the first failed fold's
/// error, else the curve.
pub fn assemble(results: Vec<Result<FoldResult>>) -> Result<CrossValidation> {
    let k = results.len();
    let mut fold_values = Vec::with_capacity(k);
    let mut fold_weights = Vec::with_capacity(k);
    let mut unconverged = 0;
    for result in results {
        let (values, weight, stopped) = result?;
        fold_values.push(values);
        fold_weights.push(weight);
        unconverged += stopped;
    }
    let curve = curve(&fold_values, &fold_weights);
    Ok(CrossValidation {
        fold_values,
        fold_weights,
        curve,
        unconverged,
    })
}

/// Fits fold `f`'s training rows over `lambdas` and scores its held-out rows.
#[allow(clippy::too_many_arguments)]
fn one_fold(
    problem: &Problem,
    folds: &Folds,
    f: usize,
    lambdas: &[f64],
    options: &PathOptions,
    metric: Metric,
    single_threaded: bool,
    progress: &FoldProgress,
) -> Result<FoldResult> {
    let name = &folds.names[f];
    let (test, train) = folds.split(f);
    let weight_of = |rows: &[usize]| -> f64 {
        problem
            .s
            .map_or(rows.len() as f64, |s| rows.iter().map(|&i| s[i]).sum())
    };
    let fold_weight = weight_of(&test);
    if fold_weight <= 0.0 {
        return Err(Error::Usage(format!(
            "fold {name:?} has no held-out rows of positive weight, so it cannot be scored"
        )));
    }
    if weight_of(&train) <= 0.0 {
        return Err(Error::Usage(format!(
            "every row outside fold {name:?} has weight 0, so there is nothing to fit it on"
        )));
    }
    let rows = problem.standardized(Some(&train));
    let design = rows.design();
    let mut objective = rows.objective(design.as_ref());
    if single_threaded {
        objective = objective.with_exec(Exec {
            threads: Some(1),
            ..objective.exec
        });
    }
    let points = fit_path(&objective, lambdas, options, &mut |done, total| {
        progress(f, done + 1, total)
    })
    .map_err(|e| Error::Usage(format!("fold {name:?}: {e}")))?;
    let y: Vec<f64> = test.iter().map(|&i| problem.y[i]).collect();
    let s: Option<Vec<f64>> = problem.s.map(|s| test.iter().map(|&i| s[i]).collect());
    let mut values = Vec::with_capacity(lambdas.len());
    for (point, &lambda) in points.iter().zip(lambdas) {
        let z = held_out_scores(
            problem.x,
            &test,
            &rows.scaler,
            &point.fit.theta,
            problem.n_scores(),
            problem.fit_intercept,
        );
        let value = metric
            .score(problem.n_scores(), &z, &y, s.as_deref())
            .ok_or_else(|| {
                Error::Usage(format!(
                    "the {} of fold {name:?} at lambda {lambda} is undefined: the fold's \
                     held-out rows lack a class; use more rows per fold, fewer folds or another \
                     --metric",
                    metric.as_str()
                ))
            })?;
        values.push(value);
    }
    if values.len() != lambdas.len() {
        return Err(Error::Usage(format!(
            "fold {name:?}: the path returned {} of {} lambdas",
            values.len(),
            lambdas.len()
        )));
    }
    let unconverged = points.iter().filter(|pt| !pt.fit.report.converged).count();
    Ok((values, fold_weight, unconverged))
}

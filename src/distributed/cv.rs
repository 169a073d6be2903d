//! `mpirun -np K logit cv DATA --distributed`: the folds across ranks. Every rank reads DATA
//! whole and assigns the folds exactly as the single-process cv (`--seed` or
//! `--fold-column`); rank 0 fits the full-data path that fixes the lambdas and shares them;
//! rank `r` fits and scores the folds `f` with `f mod K = r`; the folds' results (a metric
//! per lambda, the held-out weight, the unconverged count: `8 (L + 2)` bytes a fold) are
//! exchanged, every rank assembles the curve in fold order, and rank 0 chooses, refits on all
//! rows and writes the model, chart and report as `logit cv` does.
//!
//! A fold's numbers depend only on its rows (never on the process or thread that fits it),
//! so the curve, the chosen lambda and the model are the single-process ones bit for bit.
//! The fold fits are paths of coordinate descent, which reads the design's columns directly;
//! it has no reduction hook (as `train --distributed` refuses `--solver cd`), so the rows are
//! not split among the ranks here: each rank needs memory for all of DATA, and the ranks
//! divide the work of the folds.

use std::sync::Arc;

use super::comm::{from_bytes, to_bytes, Comm};
use super::{agree_on, Timed};
use crate::cli::CvArgs;
use crate::commands::cv::Setup;
use crate::commands::progress::PathProgress;
use crate::error::{Error, Result};
use crate::exit::ExitStatus;
use crate::fit::objective::Exec;
use crate::select::cv::{assemble, run_folds, CrossValidation, FoldResult};

/// Options `cv --distributed` cannot take.
fn refuse(args: &CvArgs) -> Result<()> {
    if args.output == "-" {
        return Err(Error::Usage(
            "-o - is not supported with --distributed: write the model to a file".to_string(),
        ));
    }
    Ok(())
}

/// One fold's result as bytes: `[1, L, values, weight, unconverged]` as `f64`s, or `0` and
/// the error message.
fn encode(result: &Result<FoldResult>) -> Vec<u8> {
    match result {
        Ok((values, weight, unconverged)) => {
            let mut v = vec![1.0, values.len() as f64];
            v.extend(values);
            v.extend([*weight, *unconverged as f64]);
            to_bytes(&v)
        }
        Err(e) => {
            let mut b = 0f64.to_le_bytes().to_vec();
            b.extend(e.to_string().as_bytes());
            b
        }
    }
}

fn decode(b: &[u8]) -> Result<FoldResult> {
    let bad = || Error::Usage("a rank sent a fold result this rank cannot read".to_string());
    let flag = b.get(..8).ok_or_else(bad)?;
    if flag == 0f64.to_le_bytes() {
        return Err(Error::Usage(String::from_utf8_lossy(&b[8..]).into_owned()));
    }
    let v = from_bytes(b);
    let l = *v.get(1).ok_or_else(bad)? as usize;
    if v.len() != l + 4 {
        return Err(bad());
    }
    Ok((v[2..2 + l].to_vec(), v[2 + l], v[3 + l] as usize))
}

/// The folds of rank `rank` among `size`: `f mod size = rank`.
pub(super) fn folds_of(rank: usize, size: usize, k: usize) -> Vec<usize> {
    (rank..k).step_by(size).collect()
}

/// Every fold's result, each fitted on its rank and exchanged: the single-process
/// [`crate::select::cv::cross_validate`] of `setup` over `sequence` on every rank.
pub(super) fn cross_validate(
    comm: &dyn Comm,
    setup: &Setup,
    sequence: &[f64],
    threads: usize,
    progress: &crate::select::cv::FoldProgress,
) -> Result<CrossValidation> {
    let (rank, size, k) = (comm.rank(), comm.size(), setup.folds.k());
    let mine = folds_of(rank, size, k);
    let results = run_folds(
        &setup.problem(),
        &setup.folds,
        &mine,
        sequence,
        &setup.path_options(),
        setup.metric,
        threads,
        progress,
    );
    let mut message = Vec::new();
    for r in &results {
        let b = encode(r);
        message.extend((b.len() as u64).to_le_bytes());
        message.extend(b);
    }
    let all = comm.allgather(&message);
    let mut by_fold: Vec<Option<Result<FoldResult>>> = (0..k).map(|_| None).collect();
    for (r, bytes) in all.iter().enumerate() {
        let mut at = 0;
        for f in folds_of(r, size, k) {
            let len = bytes
                .get(at..at + 8)
                .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")) as usize);
            let part = len.and_then(|n| bytes.get(at + 8..at + 8 + n));
            by_fold[f] = Some(part.map_or_else(
                || Err(Error::Usage(format!("rank {r} sent too few fold results"))),
                decode,
            ));
            at += 8 + len.unwrap_or(0);
        }
    }
    assemble(
        by_fold
            .into_iter()
            .map(|r| r.expect("every fold has a rank"))
            .collect(),
    )
}

/// The distributed `cv`.
pub fn cv<C: Comm + 'static>(args: &CvArgs, comm: Arc<Timed<C>>) -> Result<ExitStatus> {
    let lead = comm.rank() == 0;
    refuse(args)?;
    let quiet = args.data.quiet || !lead;
    let setup = agree_on(comm.as_ref(), || Setup::read_as(args, quiet))?;
    let progress = PathProgress::new(quiet, "cv", setup.folds.k() + 1);
    let full = agree_on(comm.as_ref(), || {
        if lead {
            setup.full_path(&|done, total| progress.update(0, done, total))
        } else {
            Ok((Vec::new(), Vec::new()))
        }
    })?;
    // Rank 0's lambdas and model sizes, to every rank.
    let mut shared = vec![full.0.len() as f64];
    shared.extend(&full.0);
    shared.extend(full.1.iter().map(|&n| n as f64));
    let shared = from_bytes(&comm.allgather(&to_bytes(&shared))[0]);
    let l = shared[0] as usize;
    let sequence = shared[1..1 + l].to_vec();
    let nonzero: Vec<usize> = shared[1 + l..].iter().map(|&n| n as usize).collect();
    let threads = Exec::from_env()
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let cv = cross_validate(
        comm.as_ref(),
        &setup,
        &sequence,
        threads,
        &|fold, done, total| progress.update(fold + 1, done, total),
    )?;
    progress.finish();
    agree_on(comm.as_ref(), || {
        if lead {
            setup.finish(args, sequence, nonzero, cv)
        } else {
            Ok(ExitStatus::Success)
        }
    })
}

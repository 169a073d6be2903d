//! `mpirun -np K logit eval MODEL DATA --distributed` (binary and multiclass models): every
//! rank scores its part (as train splits DATA) and tallies it
//! ([`crate::evaluate::metrics::tally`]: confusion cells, loss sums, calibration bins, and
//! the rows grouped by distinct score); the tallies are gathered on rank 0, merged in rank
//! order, and rank 0 computes the metrics, gates and report exactly as the single-process eval
//! does from its own tally of all rows. No row is sent: a rank sends its fixed-size sums and
//! one entry per distinct score (per class for a multiclass model), so ROC AUC (and average
//! precision, the threshold sweep, the curves) stay exact. The exit status (gates) is rank 0's
//! on every rank.

use std::sync::Arc;

use super::comm::Comm;
use super::split::{self, Part};
use super::{agree_on, Timed};
use crate::cli::EvalArgs;
use crate::commands::eval::{
    self, check_charts, check_options, score_labelled_multiclass, score_labelled_with,
    threshold_of, EvalConfig, Reading,
};
use crate::data::input::delimiter_for;
use crate::error::{Error, Result};
use crate::evaluate::metrics::{BinaryTally, MulticlassTally};
use crate::exit::ExitStatus;
use crate::model::Model;

/// Scores one part with `score(path, reading)`, then tallies it with `tally`: a byte range is
/// staged as a temporary CSV (header + range) and errors are given the whole file's name and
/// line numbers; shards are tallied one by one and the tallies merged with `merge`.
fn tally_part<T>(
    config: &EvalConfig,
    part: &Part,
    tally: &dyn Fn(&str, Reading) -> Result<T>,
    merge: fn(Vec<T>) -> Option<T>,
    empty: &dyn Fn() -> T,
) -> Result<T> {
    match part {
        Part::Range {
            path,
            header_end,
            start,
            end,
        } => {
            let text = split::read_range(path, *header_end, *start, *end)?;
            let dir = tempfile::tempdir().map_err(|e| Error::io(path, "stage a part of it", e))?;
            let staged = dir.path().join("part.csv");
            std::fs::write(&staged, &text).map_err(|e| Error::io(path, "stage a part of it", e))?;
            let staged = staged.to_string_lossy().into_owned();
            let reading = Reading {
                delimiter: config.delimiter,
                ..config.reading()
            };
            tally(&staged, reading).map_err(|e| match e {
                Error::Data(mut d) if d.location.file == staged => {
                    d.location.file = path.clone();
                    if let Some(line) = d.location.line.filter(|&l| l >= 2) {
                        if let Ok(before) = split::lines_before(path, *start) {
                            d.location.line = Some(line + before - 1);
                        }
                    }
                    Error::Data(d)
                }
                other => other,
            })
        }
        Part::Shards(shards) => {
            let mut parts = Vec::with_capacity(shards.len());
            for shard in shards {
                let reading = Reading {
                    delimiter: delimiter_for(shard, None),
                    ..config.reading()
                };
                parts.push(tally(shard, reading)?);
            }
            Ok(merge(parts).unwrap_or_else(empty))
        }
    }
}

/// A binary model's tally of one part.
pub(super) fn binary_tally(config: &EvalConfig, model: &Model, part: &Part) -> Result<BinaryTally> {
    let threshold = threshold_of(config, model)?;
    let weights = config.weight.as_ref().map(|_| Vec::new());
    tally_part(
        config,
        part,
        &|path, reading| {
            let rows = score_labelled_with(
                model,
                path,
                config.target.as_deref(),
                config.weight.as_deref(),
                reading,
            )?;
            Ok(BinaryTally::of(
                &rows.scores,
                &rows.positive,
                rows.weights.as_deref(),
                threshold,
            ))
        },
        BinaryTally::merge,
        &|| BinaryTally::of(&[], &[], weights.as_deref(), threshold),
    )
}

/// A multiclass model's tally of one part.
pub(super) fn multiclass_tally(
    config: &EvalConfig,
    model: &Model,
    part: &Part,
) -> Result<MulticlassTally> {
    let weights = config.weight.as_ref().map(|_| Vec::new());
    tally_part(
        config,
        part,
        &|path, reading| {
            let rows = score_labelled_multiclass(
                model,
                path,
                config.target.as_deref(),
                config.weight.as_deref(),
                reading,
            )?;
            Ok(MulticlassTally::of(
                &rows.probabilities,
                &rows.classes,
                rows.weights.as_deref(),
            ))
        },
        MulticlassTally::merge,
        &|| {
            let k = model.n_classes();
            let none = crate::evaluate::metrics::ClassProbabilities::new(k, vec![], vec![]);
            MulticlassTally::of(&none, &[], weights.as_deref())
        },
    )
}

/// The merged tally from the bytes rank 0 gathered (a rank's bytes that do not decode are a
/// bug: the ranks run one build).
pub(super) fn merged<T>(
    parts: Vec<Vec<u8>>,
    decode: fn(&[u8]) -> Option<T>,
    merge: fn(Vec<T>) -> Option<T>,
) -> Result<T> {
    let tallies = parts
        .iter()
        .enumerate()
        .map(|(r, b)| {
            decode(b).ok_or_else(|| {
                Error::Usage(format!(
                    "rank {r} sent a tally rank 0 cannot read (another logit build?)"
                ))
            })
        })
        .collect::<Result<Vec<T>>>()?;
    merge(tallies).ok_or_else(|| Error::Usage("no rank sent a tally".to_string()))
}

/// The distributed `eval`.
pub fn eval<C: Comm + 'static>(args: &EvalArgs, comm: Arc<Timed<C>>) -> Result<ExitStatus> {
    let (rank, size) = (comm.rank(), comm.size());
    let lead = rank == 0;
    let config = EvalConfig::from_args(args);
    let (model, charts) = agree_on(comm.as_ref(), || {
        // Fail on a bad --plot, an unknown gate or a refused flag before reading the data.
        let charts = if lead { check_charts(&config)? } else { None };
        let model = Model::load(&config.model)?;
        check_options(&config, &model)?;
        Ok((model, charts))
    })?;
    let binary = model.is_binary();
    let mine = agree_on(comm.as_ref(), || {
        let part = split::part_of(&config.data, rank, size)?;
        Ok(if binary {
            binary_tally(&config, &model, &part)?.to_bytes()
        } else {
            multiclass_tally(&config, &model, &part)?.to_bytes()
        })
    })?;
    let gathered = comm.gather(&mine);
    let status = agree_on(comm.as_ref(), || match gathered {
        None => Ok(ExitStatus::Success),
        Some(parts) if binary => {
            let tally = merged(parts, BinaryTally::from_bytes, BinaryTally::merge)?;
            eval::report_binary(&config, &model, charts, &tally)
        }
        Some(parts) => {
            let tally = merged(parts, MulticlassTally::from_bytes, MulticlassTally::merge)?;
            eval::report_multiclass(&config, &model, charts, &tally)
        }
    })?;
    // Every rank exits with rank 0's status (a failed gate is 1 everywhere).
    let code = comm.allgather(&[status.code()]);
    Ok(match code[0][0] {
        0 => ExitStatus::Success,
        1 => ExitStatus::GateFailed,
        _ => ExitStatus::Error,
    })
}

//! `mpirun -np K logit eval MODEL DATA --distributed` (binary models): every rank scores its
//! part (as train splits DATA), the scored rows are gathered in rank order, and rank 0 computes
//! the metrics, gates and report exactly as the single-process eval does on the same rows (so
//! ROC AUC is exact: the metrics see every score). The exit status (gates) is rank 0's on
//! every rank.

use std::sync::Arc;

use super::comm::{from_bytes, to_bytes, Comm};
use super::split::{self, Part};
use super::{agree_on, Timed};
use crate::cli::EvalArgs;
use crate::commands::eval::{self, score_labelled_with, EvalConfig, Scored};
use crate::data::input::delimiter_for;
use crate::error::{Error, Result};
use crate::exit::ExitStatus;
use crate::model::Model;

/// Scores one part: a byte range is staged as a temporary CSV (header + range) and errors are
/// given the whole file's name and line numbers.
pub(super) fn score_part(config: &EvalConfig, model: &Model, part: &Part) -> Result<Scored> {
    let score = |path: &str, delimiter: u8| {
        let reading = eval::Reading {
            delimiter,
            ..config.reading()
        };
        score_labelled_with(
            model,
            path,
            config.target.as_deref(),
            config.weight.as_deref(),
            reading,
        )
    };
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
            score(&staged, config.delimiter).map_err(|e| match e {
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
            let mut all = Scored {
                scores: Vec::new(),
                positive: Vec::new(),
                weights: config.weight.as_ref().map(|_| Vec::new()),
            };
            for shard in shards {
                let s = score(shard, delimiter_for(shard, None))?;
                append(&mut all, s);
            }
            Ok(all)
        }
    }
}

fn append(all: &mut Scored, part: Scored) {
    all.scores.extend(part.scores);
    all.positive.extend(part.positive);
    if let (Some(w), Some(pw)) = (all.weights.as_mut(), part.weights) {
        w.extend(pw);
    }
}

/// `[n, scores, positive as 0/1, weights]` as bytes.
fn encode(s: &Scored) -> Vec<u8> {
    let mut v = vec![s.scores.len() as f64];
    v.extend(&s.scores);
    v.extend(s.positive.iter().map(|&p| f64::from(u8::from(p))));
    v.extend(s.weights.iter().flatten());
    to_bytes(&v)
}

fn decode(b: &[u8], weighted: bool) -> Scored {
    let v = from_bytes(b);
    let n = v[0] as usize;
    Scored {
        scores: v[1..1 + n].to_vec(),
        positive: v[1 + n..1 + 2 * n].iter().map(|&p| p == 1.0).collect(),
        weights: weighted.then(|| v[1 + 2 * n..1 + 3 * n].to_vec()),
    }
}

/// The distributed `eval`.
pub fn eval<C: Comm + 'static>(args: &EvalArgs, comm: Arc<Timed<C>>) -> Result<ExitStatus> {
    let (rank, size) = (comm.rank(), comm.size());
    let config = EvalConfig::from_args(args);
    let model = agree_on(comm.as_ref(), || {
        let model = Model::load(&config.model)?;
        if !model.is_binary() {
            return Err(Error::Usage(
                "eval --distributed evaluates binary models only (not yet multiclass ones)"
                    .to_string(),
            ));
        }
        Ok(model)
    })?;
    let scored = agree_on(comm.as_ref(), || {
        let part = split::part_of(&config.data, rank, size)?;
        score_part(&config, &model, &part)
    })?;
    let mut all = Scored {
        scores: Vec::new(),
        positive: Vec::new(),
        weights: config.weight.as_ref().map(|_| Vec::new()),
    };
    for b in comm.allgather(&encode(&scored)) {
        append(&mut all, decode(&b, config.weight.is_some()));
    }
    let status = agree_on(comm.as_ref(), || {
        if rank == 0 {
            eval::report_scored(&config, &model, all)
        } else {
            Ok(ExitStatus::Success)
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

//! Labelled svmlight rows for `eval`, `logit threshold` and `train --pick-threshold`: each
//! line's first token is its true label, its pairs are scored by [`PairScorer`]. Chunks of
//! lines are parsed in parallel; rows are handed over in input order, so the first problem
//! in the file is the one reported, at its line.

use super::rows::{Row, RowScores};
use crate::data::input::Source;
use crate::data::svmlight::chunks::{for_each_chunk, ChunkError};
use crate::data::svmlight::TARGET;
use crate::error::{DataError, DataErrorKind, Error, Location, Result};
use crate::model::svmlight::PairScorer;
use crate::model::Model;

/// The parsed rows of one chunk, and the problem that stopped it early (rows before it are
/// kept, so that a problem with an earlier row's label is reported first).
#[derive(Default)]
struct Parsed {
    /// Per row: its 0-based line in the chunk, its label's code into `labels`, and the end of
    /// its pairs in `pairs`.
    rows: Vec<(u64, u32, usize)>,
    labels: Vec<String>,
    pairs: Vec<(u32, f64)>,
    stop: Option<ChunkError>,
}

/// One row's pairs and the scorer, for [`Row::scores`].
struct SvmRow<'a> {
    scorer: &'a PairScorer,
    pairs: &'a [(u32, f64)],
    file: &'a str,
    line: u64,
}

impl SvmRow<'_> {
    fn located(&self, kind: DataErrorKind) -> Error {
        DataError::new(Location::line(self.file, self.line), kind).into()
    }
}

impl RowScores for SvmRow<'_> {
    fn score(&self) -> Result<f64> {
        let mut z = [0.0];
        self.score_into(&mut z)?;
        Ok(z[0])
    }

    fn score_into(&self, out: &mut [f64]) -> Result<()> {
        self.scorer
            .score_into(self.pairs, out)
            .map_err(|kind| self.located(kind))
    }
}

/// Reads the labelled svmlight `source` for `model`, calling `each` on every row. There is
/// no weight column; `--target` may only name the label.
pub fn read_labelled(
    model: &Model,
    source: Source,
    target: Option<&str>,
    weight: Option<&str>,
    mut each: impl FnMut(&Row) -> Result<()>,
) -> Result<Option<Vec<f64>>> {
    let file = source.name.clone();
    if let Some(t) = target.filter(|&t| t != TARGET) {
        return Err(Error::Usage(format!(
            "{file}: svmlight data has no column names: the true label is each line's first \
             token, called {TARGET:?}; leave out --target {t:?}"
        )));
    }
    if let Some(w) = weight {
        return Err(Error::Usage(format!(
            "{file}: --weight {w:?} is not available for svmlight data, which has no columns \
             besides the label and the idx:value features; write the data as a CSV with a \
             weight column to weight rows"
        )));
    }
    let scorer = PairScorer::new(model, &file)?;
    let (file, input) = source.into_reader();
    let parse = |chunk: &[u8]| -> Result<Parsed, ChunkError> {
        let mut parsed = Parsed::default();
        let outcome = scorer.for_each_row(chunk, |at, label, pairs| {
            let code = match parsed.labels.iter().position(|l| l == label) {
                Some(c) => c,
                None => {
                    parsed.labels.push(label.to_string());
                    parsed.labels.len() - 1
                }
            };
            parsed.pairs.extend_from_slice(pairs);
            parsed.rows.push((at, code as u32, parsed.pairs.len()));
            Ok(())
        });
        parsed.stop = outcome.err();
        Ok(parsed)
    };
    let mut n = 0usize;
    for_each_chunk(&file, input, parse, |parsed, first_line| {
        let mut start = 0;
        for &(at, code, end) in &parsed.rows {
            let line = first_line + at;
            let scores = SvmRow {
                scorer: &scorer,
                pairs: &parsed.pairs[start..end],
                file: &file,
                line,
            };
            each(&Row {
                line,
                label: &parsed.labels[code as usize],
                scores: &scores,
                file: &file,
                target: TARGET,
            })?;
            start = end;
            n += 1;
        }
        match parsed.stop {
            Some((at, kind)) => {
                Err(DataError::new(Location::line(&file, first_line + at), kind).into())
            }
            None => Ok(()),
        }
    })?;
    if n == 0 {
        return Err(DataError::new(Location::file(&file), DataErrorKind::NoSvmlightRows).into());
    }
    Ok(None)
}

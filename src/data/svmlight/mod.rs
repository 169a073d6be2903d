//! svmlight / libsvm input (`label idx:value ...`, as LIBLINEAR, VW and scikit-learn's
//! `load_svmlight_file` read it): training data straight into a CSR matrix.
//!
//! The format has no header: the label is each line's first token (the target is called
//! [`TARGET`]) and feature `idx` (1-based) becomes the design column named `f<idx>`, for every
//! idx from 1 to the largest index seen, so a CSV with columns `f1, f2, ...` scores against such
//! a model and trains the same one. Labels are classes exactly as a CSV target's are (two
//! labels, `--positive`, or K classes). The line syntax is in [`line`]; any stream is read in
//! chunks of lines parsed in parallel ([`chunks`]), so a file of hundreds of megabytes reads in
//! about a second per core, and memory is the CSR arrays plus one batch of chunks.
//!
//! There are no named columns, no missing cells (an absent index is 0) and no weight column,
//! so `--weight`, `--features`, `--exclude`, `--fold-column` and a `--target` other than
//! `label` are refused with a message saying why.

pub mod chunks;
pub mod line;
mod training;

use std::io::Read;

use super::encode::{ColumnKind, ColumnSpec};
use super::schema::MAX_CLASSES;
use super::training::labels::{self, check_new_label};
use crate::error::{DataError, DataErrorKind, Error, Location, Result};
use chunks::{for_each_chunk, lines, ChunkError};
use line::{parse_line, TokenError};
pub use training::{read_training, MAX_DENSE_BYTES};

/// The name of the target of svmlight data (each line's first token).
pub const TARGET: &str = "label";

/// Largest feature index accepted. A model keeps a few hundred bytes per feature, and its
/// file is read only up to [`crate::model::MAX_MODEL_BYTES`] (about a million features); the
/// solvers keep several dense vectors of this length.
pub const MAX_FEATURES: u32 = 1_000_000;

/// The name of the design column of 1-based feature index `idx`.
pub fn feature_name(idx: u32) -> String {
    format!("f{idx}")
}

/// The 1-based index of a design column named `f<idx>` (no sign, no leading zero), else `None`.
pub fn feature_index(name: &str) -> Option<u32> {
    let digits = name.strip_prefix('f')?;
    if digits.is_empty() || digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u32>().ok().filter(|&i| i <= MAX_FEATURES)
}

/// The rows of an svmlight input: CSR arrays over the features `1..=n_cols` (column `j` is
/// feature `j + 1`), and each row's label.
#[derive(Debug, Clone, PartialEq)]
pub struct SvmlightRows {
    pub n_cols: usize,
    /// `n_rows + 1` offsets into `indices` and `values`.
    pub indptr: Vec<usize>,
    /// 0-based column indices, strictly increasing within a row.
    pub indices: Vec<u32>,
    /// Nonzero values only.
    pub values: Vec<f64>,
    /// The labels in order of first appearance, and each row's code into them.
    pub seen: Vec<String>,
    pub codes: Vec<u32>,
}

impl SvmlightRows {
    pub fn n_rows(&self) -> usize {
        self.codes.len()
    }

    /// The classes of the labels, as a CSV target's (`positive` is `--positive`).
    pub fn classes(&self, file: &str, positive: Option<&str>) -> Result<labels::Classes> {
        labels::resolve(&self.seen, &self.codes, positive).map_err(|kind| {
            let location = Location {
                file: file.to_string(),
                line: None,
                column: Some(TARGET.to_string()),
            };
            DataError::new(location, kind).into()
        })
    }

    /// One numeric column spec `f<idx>` per feature, in index order.
    pub fn columns(&self) -> Vec<ColumnSpec> {
        (1..=self.n_cols as u32)
            .map(|idx| ColumnSpec {
                name: feature_name(idx),
                kind: ColumnKind::Numeric { fill: None },
            })
            .collect()
    }
}

/// The rows of one chunk, with labels local to the chunk.
#[derive(Default)]
struct ChunkRows {
    /// Nonzeros per row.
    lengths: Vec<u32>,
    indices: Vec<u32>,
    values: Vec<f64>,
    /// Labels in order of first appearance in the chunk, with the 0-based line of that
    /// appearance, and each row's code into them.
    labels: Vec<(String, u64)>,
    codes: Vec<u32>,
    max_index: u32,
    /// The problem that stopped the chunk early (the rows before it are kept, so that a
    /// label problem on an earlier line is reported first).
    stop: Option<ChunkError>,
}

/// The error kind of a bad token.
fn token_kind(e: TokenError) -> DataErrorKind {
    DataErrorKind::SvmlightToken {
        token: e.token_text(),
        problem: e.problem.to_string(),
    }
}

/// Parses the lines of one chunk; stops at the first bad token, or at a label beyond the
/// [`MAX_CLASSES`] distinct ones (then merging the labels is certain to fail, at the line
/// the csv reader would name).
fn parse_chunk(chunk: &[u8]) -> ChunkRows {
    let mut rows = ChunkRows::default();
    let mut pairs = Vec::new();
    let mut last_code = 0usize;
    let outcome = lines(chunk, |line, at| {
        let Some(label) = parse_line(line, &mut pairs, &mut rows.max_index).map_err(token_kind)?
        else {
            return Ok(());
        };
        // Rows of one label come in runs: try the last row's label first.
        let code = match rows.labels.get(last_code) {
            Some((l, _)) if l == label => last_code,
            _ => match rows.labels.iter().position(|(l, _)| l == label) {
                Some(c) => c,
                None => {
                    rows.labels.push((label.to_string(), at));
                    if rows.labels.len() > MAX_CLASSES {
                        return Err(DataErrorKind::TooManyLabels {
                            labels: vec![label.to_string()],
                            limit: MAX_CLASSES,
                        });
                    }
                    rows.labels.len() - 1
                }
            },
        };
        last_code = code;
        rows.codes.push(code as u32);
        rows.lengths.push(pairs.len() as u32);
        for &(index, value) in &pairs {
            rows.indices.push(index - 1);
            rows.values.push(value);
        }
        Ok(())
    });
    rows.stop = outcome.err();
    rows
}

/// Reads every row of an svmlight stream named `file` in messages.
pub fn read_rows<R: Read>(file: &str, input: R) -> Result<SvmlightRows> {
    let mut out = SvmlightRows {
        n_cols: 0,
        indptr: vec![0],
        indices: Vec::new(),
        values: Vec::new(),
        seen: Vec::new(),
        codes: Vec::new(),
    };
    let mut max_index = 0u32;
    for_each_chunk(
        file,
        input,
        |chunk| Ok(parse_chunk(chunk)),
        |rows, first_line| {
            let located = |at: u64, kind| -> Error {
                DataError::new(Location::line(file, first_line + at), kind).into()
            };
            let label_error = |at: u64, kind| -> Error {
                DataError::new(Location::cell(file, first_line + at, TARGET), kind).into()
            };
            // The chunk's labels into the labels seen so far, checked in order of first
            // appearance as the csv reader checks them.
            let mut remap = Vec::with_capacity(rows.labels.len());
            for (label, at) in rows.labels {
                let code = match out.seen.iter().position(|s| *s == label) {
                    Some(c) => c,
                    None => {
                        check_new_label(&out.seen, &label).map_err(|kind| label_error(at, kind))?;
                        out.seen.push(label);
                        out.seen.len() - 1
                    }
                };
                remap.push(code as u32);
            }
            match rows.stop {
                Some((at, kind @ DataErrorKind::TooManyLabels { .. })) => {
                    return Err(label_error(at, kind))
                }
                Some((at, kind)) => return Err(located(at, kind)),
                None => {}
            }
            out.codes
                .extend(rows.codes.iter().map(|&c| remap[c as usize]));
            let mut end = *out.indptr.last().expect("indptr starts with 0");
            out.indptr.extend(rows.lengths.iter().map(|&n| {
                end += n as usize;
                end
            }));
            out.indices.extend_from_slice(&rows.indices);
            out.values.extend_from_slice(&rows.values);
            max_index = max_index.max(rows.max_index);
            Ok(())
        },
    )?;
    if out.codes.is_empty() {
        return Err(DataError::new(Location::file(file), DataErrorKind::NoSvmlightRows).into());
    }
    out.n_cols = max_index as usize;
    Ok(out)
}

#[cfg(test)]
mod tests;

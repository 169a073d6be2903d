//! The streaming training reader: a CSV (plain, gzip or zstd, a file or a stream) read once,
//! record by record, each kept row written to the cache. The checks, typing, labels, weights
//! and missing-value rules are the in-memory reader's own ([`RecordChecks`], which
//! [`crate::data::training::read_training_from`] calls too): only the storage differs.
//! `--missing median` needs every value of a column at once and is refused by the caller;
//! `--fold-column` (cv) is not read here.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ndarray::Array1;

use super::{format, CacheWriter, CachedMatrix, Schema, StoredColumn, StoredKind};
use crate::data::design::Matrix;
use crate::data::encode::{ColumnSpec, TrainingData, TrainingSelection};
use crate::data::input::{next_record, read_tracked_header, Source};
use crate::data::missing::{mode_of_counts, MissingPolicy};
use crate::data::training::columns::{self, column_location};
use crate::data::training::level_checks;
use crate::data::training::record::{Cell, ColumnType, RecordChecks};
use crate::error::{DataError, DataErrorKind, Error, Result};

/// Where the cache goes and how it is written.
#[derive(Debug, Clone)]
pub struct CachePlan {
    pub path: PathBuf,
    /// Bytes per written block (whole rows, at least one).
    pub block_bytes: u64,
    /// Keep the file after the run (`--keep-cache`).
    pub keep: bool,
}

/// What the cache keeps of a feature column's kept cells besides the row file: a numeric
/// column's sum (its mean fill), a categorical column's rows per level (its mode fill), and the
/// missing cells (the `--missing` note). The column's type and levels are
/// [`RecordChecks`]'.
enum Tally {
    /// The column's type is not decided yet: `kept` rows so far, all missing.
    Undecided { kept: usize },
    Numeric {
        sum: f64,
        present: usize,
        missing: usize,
    },
    Categorical {
        /// Kept rows per code (first appearance order).
        counts: Vec<usize>,
        missing: usize,
    },
}

impl Tally {
    /// Follows the column's type once it is decided (its earlier kept cells were missing).
    fn decide(&mut self, kind: &ColumnType) {
        if let Tally::Undecided { kept } = *self {
            match kind {
                ColumnType::Undecided => {}
                ColumnType::Numeric => {
                    *self = Tally::Numeric {
                        sum: 0.0,
                        present: 0,
                        missing: kept,
                    }
                }
                ColumnType::Categorical(_) => {
                    *self = Tally::Categorical {
                        counts: Vec::new(),
                        missing: kept,
                    }
                }
            }
        }
    }

    /// Counts the kept row's `cell` of a column of type `kind`; returns its stored value.
    fn push(&mut self, kind: &ColumnType, cell: Cell) -> f64 {
        self.decide(kind);
        match (self, cell) {
            (Tally::Undecided { kept }, _) => {
                *kept += 1;
                f64::NAN
            }
            (Tally::Numeric { sum, present, .. }, Cell::Number(x)) => {
                *sum += x;
                *present += 1;
                x
            }
            (Tally::Categorical { counts, .. }, Cell::Level(c)) => {
                if counts.len() <= c as usize {
                    counts.resize(c as usize + 1, 0);
                }
                counts[c as usize] += 1;
                f64::from(c)
            }
            (Tally::Numeric { missing, .. } | Tally::Categorical { missing, .. }, _) => {
                *missing += 1;
                f64::NAN
            }
        }
    }
}

/// Removes a cache file being written unless the write completed.
struct Pending<'a>(&'a Path, bool);

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if !self.1 {
            let _ = std::fs::remove_file(self.0);
            crate::data::output::forget_temp_file(self.0);
        }
    }
}

/// Reads the training CSV `source` into the cache `plan` names; the data's matrix is
/// [`Matrix::Cached`].
pub fn read_training_cached(
    source: Source,
    delimiter: u8,
    selection: &TrainingSelection,
    plan: &CachePlan,
) -> Result<TrainingData> {
    debug_assert!(selection.fold.is_none() && selection.missing != MissingPolicy::Median);
    let (file, mut reader) = source.csv_reader(delimiter);
    let file = file.as_str();
    let header = read_tracked_header(file, &mut reader)?;
    let target = selection.target;
    let mut checks = RecordChecks::new(file, &header, selection)?;
    let policy = selection.missing;

    let n_features = checks.n_features();
    let stride = n_features + 1 + usize::from(selection.weight.is_some());
    let cache_name = plan.path.display().to_string();
    crate::data::output::remember_temp_file(&plan.path);
    let mut pending = Pending(&plan.path, false);
    let block_rows = usize::try_from(plan.block_bytes / (stride as u64 * 8))
        .unwrap_or(usize::MAX)
        .max(1);
    let mut writer = CacheWriter::create(&plan.path, stride, block_rows)
        .map_err(|e| Error::io(&cache_name, "create the row cache", e))?;
    let write_error = |e| Error::io(&cache_name, "write the row cache", e);

    let mut tallies: Vec<Tally> = (0..n_features)
        .map(|_| Tally::Undecided { kept: 0 })
        .collect();
    let mut row_weights: Vec<f64> = Vec::new();
    let mut stored: Vec<f64> = vec![0.0; stride];
    let mut record = csv::StringRecord::new();
    while let Some(line) = next_record(file, &mut reader, &mut record)? {
        let Some(kept) = checks.check(line, &record)? else {
            continue;
        };
        row_weights.extend(kept.weight);
        for (((tally, kind), cell), slot) in tallies
            .iter_mut()
            .zip(checks.types())
            .zip(checks.row())
            .zip(&mut stored)
        {
            *slot = tally.push(kind, *cell);
        }
        stored[n_features] = f64::from(kept.label_code);
        if let Some(w) = kept.weight {
            stored[n_features + 1] = w;
        }
        writer.push_row(&stored).map_err(write_error)?;
    }
    let checked = checks.finish()?;
    let n_rows = checked.n_rows;
    let rows_dropped = checked.rows_dropped;

    // The columns as `training::columns::encode` makes them: fills, levels, notes.
    let imputes = policy.imputes();
    let mut stored_columns = Vec::with_capacity(n_features);
    // Missing cells filled per column, for the notes once every fill is known.
    let mut filled: Vec<usize> = vec![0; n_features];
    let mut overflowed: Vec<usize> = Vec::new();
    for (c, ((name, kind), mut tally)) in checked
        .names
        .iter()
        .zip(&checked.types)
        .zip(tallies)
        .enumerate()
    {
        let no_values = || -> Error {
            DataError::new(column_location(file, name), DataErrorKind::NoValues).into()
        };
        tally.decide(kind);
        let kind = match (kind, tally) {
            (ColumnType::Undecided, _) => return Err(no_values()),
            (
                _,
                Tally::Numeric {
                    sum,
                    present,
                    missing,
                },
            ) => {
                let fill = if imputes {
                    if present == 0 {
                        return Err(no_values());
                    }
                    let mean = sum / present as f64;
                    if !mean.is_finite() {
                        overflowed.push(c);
                    }
                    filled[c] = missing;
                    Some(mean)
                } else {
                    None
                };
                StoredKind::Numeric { fill }
            }
            (ColumnType::Categorical(text), Tally::Categorical { counts, missing }) => {
                let levels = &text.levels;
                let sorted = super::sorted_levels(levels);
                let fill = if imputes {
                    let mut by_sorted = vec![0usize; sorted.len()];
                    for (code, level) in levels.iter().enumerate() {
                        let at = sorted.binary_search(level).expect("a sorted level");
                        by_sorted[at] = counts.get(code).copied().unwrap_or(0);
                    }
                    let best = mode_of_counts(&by_sorted).ok_or_else(no_values)?;
                    filled[c] = missing;
                    Some(best)
                } else {
                    None
                };
                StoredKind::Categorical {
                    levels: levels.clone(),
                    fill,
                }
            }
            _ => unreachable!("a tally follows its column's type"),
        };
        stored_columns.push(StoredColumn {
            name: name.clone(),
            kind,
        });
    }
    let mut schema = Schema {
        source: file.to_string(),
        target: target.to_string(),
        columns: stored_columns,
        labels: checked.labels_seen,
        weight_column: selection.weight.map(str::to_string),
        rows_dropped,
        scaler: None,
    };
    writer
        .finish(&serde_json::to_vec(&schema).expect("a schema serialises"))
        .map_err(write_error)?;
    if !overflowed.is_empty() {
        // A column's sum overflowed: its mean of scaled values, as `mean_of_present` falls
        // back to, from the rows just written.
        mean_of_scaled(&plan.path, &mut schema, &overflowed, stride)
            .map_err(|e| Error::io(&cache_name, "read the row cache back", e))?;
    }
    let mut cache = CachedMatrix::open(&plan.path, true)?;
    pending.1 = true;
    if plan.keep {
        cache.keep();
    } else {
        cache.keep = false;
    }
    let specs: Vec<ColumnSpec> = cache.column_specs();
    let mut warnings = level_checks(file, &specs, n_rows, false)?;
    let filled: Vec<String> = specs
        .iter()
        .zip(&filled)
        .filter(|&(_, &n)| n > 0)
        .map(|(spec, &n)| columns::filled_note(n, spec))
        .collect();
    warnings.extend(columns::filled_warning(policy, &filled));
    let feature_names = specs.iter().flat_map(ColumnSpec::design_names).collect();
    Ok(TrainingData {
        source: file.to_string(),
        target: target.to_string(),
        columns: specs,
        feature_names,
        x: Matrix::Cached(Arc::new(cache)),
        y: checked.classes.y,
        classes: checked.classes.classes,
        labels: checked.classes.labels,
        class_counts: checked.classes.class_counts,
        weight_column: selection.weight.map(str::to_string),
        weights: selection.weight.map(|_| Array1::from(row_weights)),
        folds: None,
        rows_dropped,
        warnings,
    })
}

/// `sum_i x_i / n` over the present cells of each column in `columns` (the fallback of
/// `missing::mean_of_present` when the plain sum overflows), stored as the column's fill.
fn mean_of_scaled(
    path: &Path,
    schema: &mut Schema,
    columns: &[usize],
    stride: usize,
) -> std::io::Result<()> {
    let file = std::fs::File::open(path)?;
    let map = format::MappedCache::open(&file)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    for &c in columns {
        let values = || {
            map.values()
                .chunks_exact(stride)
                .map(|r| r[c])
                .filter(|v| !v.is_nan())
        };
        let n = values().count() as f64;
        let mean: f64 = values().map(|v| v / n).sum();
        if let StoredKind::Numeric { fill } = &mut schema.columns[c].kind {
            *fill = Some(mean);
        }
    }
    let json = serde_json::to_vec(&*schema).expect("a schema serialises");
    format::rewrite_schema(path, &map.header, &json)
}

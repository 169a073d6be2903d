//! The streaming training reader: a CSV (plain, gzip or zstd, a file or a stream) read once,
//! record by record, each kept row written to the cache, with the checks, typing, labels,
//! weights and missing-value rules of the in-memory reader
//! ([`crate::data::training::read_training_from`], whose loop this follows step for step):
//! only the storage differs. `--missing median` needs every value of a column at once and is
//! refused by the caller; `--fold-column` (cv) is not read here.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ndarray::Array1;

use super::{format, CacheWriter, CachedMatrix, Schema, StoredColumn, StoredKind};
use crate::data::design::Matrix;
use crate::data::encode::{parse_number, ColumnSpec, TrainingData, TrainingSelection};
use crate::data::input::{next_record, read_tracked_header, Source};
use crate::data::limits::MAX_CELL_BYTES;
use crate::data::missing::MissingPolicy;
use crate::data::schema::select_features;
use crate::data::training::columns::column_location;
use crate::data::training::labels::{self, LabelCodes};
use crate::data::training::{level_checks, looks, parse_weight, Looks};
use crate::error::{shown, DataError, DataErrorKind, Error, Location, Result};

/// Where the cache goes and how it is written.
#[derive(Debug, Clone)]
pub struct CachePlan {
    pub path: PathBuf,
    /// Bytes per written block (whole rows, at least one).
    pub block_bytes: u64,
    /// Keep the file after the run (`--keep-cache`).
    pub keep: bool,
}

/// One feature column while streaming.
enum Column {
    Undecided,
    Numeric {
        sum: f64,
        present: usize,
        missing: usize,
    },
    Categorical {
        levels: Vec<String>,
        index: HashMap<String, u32>,
        /// Kept rows per code (first appearance order).
        counts: Vec<usize>,
        missing: usize,
        present: usize,
        number_like: usize,
        first_bad: Option<(u64, String)>,
    },
}

#[derive(Clone, Copy)]
enum Cell {
    Missing,
    Number(f64),
    Level(u32, Looks),
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
    let selected = select_features(
        file,
        &header,
        target,
        selection.weight,
        selection.features,
        selection.exclude,
    )?;
    let position = |name: &str| header.iter().position(|h| h == name);
    let target_index = position(target).expect("checked by select_features");
    let weight_index = selection
        .weight
        .map(|w| position(w).expect("checked by select_features"));
    let policy = selection.missing;
    let markers = &selection.markers;

    let stride = selected.len() + 1 + usize::from(weight_index.is_some());
    let cache_name = plan.path.display().to_string();
    crate::data::output::remember_temp_file(&plan.path);
    let mut pending = Pending(&plan.path, false);
    let block_rows = usize::try_from(plan.block_bytes / (stride as u64 * 8))
        .unwrap_or(usize::MAX)
        .max(1);
    let mut writer = CacheWriter::create(&plan.path, stride, block_rows)
        .map_err(|e| Error::io(&cache_name, "create the row cache", e))?;
    let write_error = |e| Error::io(&cache_name, "write the row cache", e);

    let mut columns: Vec<Column> = selected.iter().map(|_| Column::Undecided).collect();
    let mut label_codes = LabelCodes::default();
    let mut row_weights: Vec<f64> = Vec::new();
    let mut row: Vec<Cell> = Vec::with_capacity(selected.len());
    let mut stored: Vec<f64> = vec![0.0; stride];
    let mut new_levels: Vec<usize> = Vec::new();
    let mut rows_dropped = 0;
    let mut dropped_by = vec![0usize; selected.len()];
    let mut dropped_for_label = 0usize;
    let mut record = csv::StringRecord::new();
    while let Some(line) = next_record(file, &mut reader, &mut record)? {
        let at = |column: &str, kind: DataErrorKind| -> DataError {
            DataError::new(Location::cell(file, line, column), kind)
        };
        for &col in selected.iter().chain([&target_index]).chain(&weight_index) {
            let bytes = record[col].len();
            if bytes > MAX_CELL_BYTES {
                let kind = DataErrorKind::CellTooLong {
                    bytes,
                    limit: MAX_CELL_BYTES,
                };
                return Err(at(&header[col], kind).into());
            }
        }
        let weight = match weight_index {
            Some(col) => {
                Some(parse_weight(&record[col], markers).map_err(|k| at(&header[col], k))?)
            }
            None => None,
        };
        let label_cell = &record[target_index];
        if markers.is_missing(label_cell) {
            if policy == MissingPolicy::Drop {
                rows_dropped += 1;
                dropped_for_label += 1;
                continue;
            }
            let hint =
                "every training row needs a label; use --missing drop to leave such rows out";
            let kind = DataErrorKind::MissingValue {
                found: label_cell.to_string(),
                hint: hint.to_string(),
            };
            return Err(at(target, kind).into());
        }
        let label = label_cell.trim();

        row.clear();
        let mut any_missing = false;
        new_levels.clear();
        for (position, (column, &col)) in columns.iter_mut().zip(&selected).enumerate() {
            let cell = &record[col];
            if markers.is_missing(cell) {
                if policy == MissingPolicy::Error {
                    let kind = DataErrorKind::MissingValue {
                        found: cell.to_string(),
                        hint: policy.training_hint().to_string(),
                    };
                    return Err(at(&header[col], kind).into());
                }
                any_missing = true;
                row.push(Cell::Missing);
                continue;
            }
            if let Column::Undecided = column {
                // Cells missing so far were stored as NaN, whatever the type.
                let missing = 0;
                *column = if parse_number(cell).is_ok() {
                    Column::Numeric {
                        sum: 0.0,
                        present: 0,
                        missing,
                    }
                } else {
                    Column::Categorical {
                        levels: Vec::new(),
                        index: HashMap::new(),
                        counts: Vec::new(),
                        missing,
                        present: 0,
                        number_like: 0,
                        first_bad: None,
                    }
                };
            }
            row.push(match column {
                Column::Numeric { .. } => {
                    Cell::Number(parse_number(cell).map_err(|k| at(&header[col], k))?)
                }
                Column::Categorical { levels, index, .. } => {
                    let level = cell.trim();
                    let code = match index.get(level) {
                        Some(&c) => c,
                        None => {
                            let c = levels.len() as u32;
                            levels.push(level.to_string());
                            index.insert(level.to_string(), c);
                            new_levels.push(position);
                            c
                        }
                    };
                    Cell::Level(code, looks(level))
                }
                Column::Undecided => unreachable!("decided above"),
            });
        }
        if any_missing && policy == MissingPolicy::Drop {
            for &position in &new_levels {
                if let Column::Categorical { levels, index, .. } = &mut columns[position] {
                    if let Some(level) = levels.pop() {
                        index.remove(&level);
                    }
                }
            }
            rows_dropped += 1;
            for (count, cell) in dropped_by.iter_mut().zip(&row) {
                *count += usize::from(matches!(cell, Cell::Missing));
            }
            continue;
        }

        label_codes.push(label).map_err(|k| at(target, k))?;
        let label_code = *label_codes.codes.last().expect("just pushed");
        row_weights.extend(weight);
        for (((column, cell), &col), slot) in
            columns.iter_mut().zip(&row).zip(&selected).zip(&mut stored)
        {
            *slot = f64::NAN;
            match (column, *cell) {
                (Column::Undecided, _) => {}
                (Column::Numeric { sum, present, .. }, Cell::Number(x)) => {
                    *sum += x;
                    *present += 1;
                    *slot = x;
                }
                (Column::Numeric { missing, .. }, _) => *missing += 1,
                (
                    Column::Categorical {
                        counts,
                        present,
                        number_like,
                        first_bad,
                        ..
                    },
                    Cell::Level(c, looks),
                ) => {
                    if counts.len() <= c as usize {
                        counts.resize(c as usize + 1, 0);
                    }
                    counts[c as usize] += 1;
                    *present += 1;
                    *number_like += usize::from(looks != Looks::Text);
                    if looks != Looks::Finite && first_bad.is_none() {
                        *first_bad = Some((line, record[col].to_string()));
                    }
                    *slot = f64::from(c);
                }
                (Column::Categorical { missing, .. }, _) => *missing += 1,
            }
        }
        stored[selected.len()] = f64::from(label_code);
        if let Some(w) = weight {
            stored[selected.len() + 1] = w;
        }
        writer.push_row(&stored).map_err(write_error)?;
    }

    let n_rows = label_codes.codes.len();
    if n_rows == 0 && rows_dropped > 0 {
        let mut dropped: Vec<(String, usize)> = Vec::new();
        if dropped_for_label > 0 {
            dropped.push((target.to_string(), dropped_for_label));
        }
        for (&col, &n) in selected.iter().zip(&dropped_by) {
            if n > 0 {
                dropped.push((header[col].clone(), n));
            }
        }
        let kind = DataErrorKind::AllRowsDropped {
            rows: rows_dropped,
            columns: dropped,
        };
        return Err(DataError::new(Location::file(file), kind).into());
    }
    if n_rows == 0 {
        return Err(DataError::new(Location::file(file), DataErrorKind::NoDataRows).into());
    }
    for (column, &col) in columns.iter().zip(&selected) {
        if let Column::Categorical {
            present,
            number_like,
            first_bad: Some((line, value)),
            ..
        } = column
        {
            if 2 * number_like > *present {
                let kind = DataErrorKind::MostlyNumeric {
                    value: value.clone(),
                    numbers: *number_like,
                    present: *present,
                };
                return Err(DataError::new(Location::cell(file, *line, &header[col]), kind).into());
            }
        }
    }
    let target_location = Location {
        file: file.to_string(),
        line: None,
        column: Some(target.to_string()),
    };
    let classes = labels::resolve(&label_codes.seen, &label_codes.codes, selection.positive)
        .map_err(|kind| DataError::new(target_location, kind))?;

    // The columns as `training::columns::encode` makes them: fills, levels, notes.
    let imputes = policy.imputes();
    let mut stored_columns = Vec::with_capacity(columns.len());
    let mut filled: Vec<String> = Vec::new();
    let mut overflowed: Vec<usize> = Vec::new();
    for (c, (column, &col)) in columns.iter().zip(&selected).enumerate() {
        let name = &header[col];
        let no_values = || -> Error {
            DataError::new(column_location(file, name), DataErrorKind::NoValues).into()
        };
        let kind = match column {
            Column::Undecided => return Err(no_values()),
            Column::Numeric {
                sum,
                present,
                missing,
            } => {
                let fill = if imputes {
                    if *present == 0 {
                        return Err(no_values());
                    }
                    let mean = sum / *present as f64;
                    if !mean.is_finite() {
                        overflowed.push(c);
                    }
                    if *missing > 0 {
                        filled.push(format!(
                            "{missing} cell(s) of {} with {{fill {c}}}",
                            shown(name)
                        ));
                    }
                    Some(mean)
                } else {
                    None
                };
                StoredKind::Numeric { fill }
            }
            Column::Categorical {
                levels,
                counts,
                missing,
                ..
            } => {
                let sorted = super::sorted_levels(levels);
                let fill = if imputes {
                    let mut by_sorted = vec![0usize; sorted.len()];
                    for (code, level) in levels.iter().enumerate() {
                        let at = sorted.binary_search(level).expect("a sorted level");
                        by_sorted[at] = counts.get(code).copied().unwrap_or(0);
                    }
                    let (best, &count) = by_sorted
                        .iter()
                        .enumerate()
                        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))
                        .ok_or_else(no_values)?;
                    if count == 0 {
                        return Err(no_values());
                    }
                    if *missing > 0 {
                        filled.push(format!(
                            "{missing} cell(s) of {} with the most frequent level {}",
                            shown(name),
                            shown(&sorted[best])
                        ));
                    }
                    Some(best as u32)
                } else {
                    None
                };
                StoredKind::Categorical {
                    levels: levels.clone(),
                    fill,
                }
            }
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
        labels: label_codes.seen.clone(),
        weight_column: selection.weight.map(str::to_string),
        rows_dropped,
        scaler: None,
    };
    drop(label_codes);
    writer
        .finish(&serde_json::to_vec(&schema).expect("a schema serialises"))
        .map_err(write_error)?;
    if !overflowed.is_empty() {
        // A column's sum overflowed: its mean of scaled values, as `mean_of_present` falls
        // back to, from the rows just written.
        mean_of_scaled(&plan.path, &mut schema, &overflowed, stride)
            .map_err(|e| Error::io(&cache_name, "read the row cache back", e))?;
    }
    for (c, column) in schema.columns.iter().enumerate() {
        if let StoredKind::Numeric { fill: Some(f) } = column.kind {
            let mark = format!("{{fill {c}}}");
            for note in filled.iter_mut() {
                if note.ends_with(&mark) {
                    *note = note.replace(&mark, &f.to_string());
                }
            }
        }
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
    if !filled.is_empty() {
        warnings.push(format!(
            "--missing {} filled {}",
            policy.name(),
            filled.join(", ")
        ));
    }
    let feature_names = specs.iter().flat_map(ColumnSpec::design_names).collect();
    Ok(TrainingData {
        source: file.to_string(),
        target: target.to_string(),
        columns: specs,
        feature_names,
        x: Matrix::Cached(Arc::new(cache)),
        y: classes.y,
        classes: classes.classes,
        labels: classes.labels,
        class_counts: classes.class_counts,
        weight_column: selection.weight.map(str::to_string),
        weights: weight_index.map(|_| Array1::from(row_weights)),
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

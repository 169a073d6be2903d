//! From CSV records to numbers: cell parsing, column typing and one-hot encoding at training
//! time, and the per-row scorer shared by `predict` and `eval`.
//!
//! A feature column's type is decided on the training data: numeric when its first non-empty
//! cell is a finite number (every later cell must then be a finite number too). Otherwise the
//! column is categorical, one-hot encoded with every level seen in training in sorted order,
//! unless most of its present cells look like numbers (finite or not: `inf`, `nan`, `1e400`, a
//! number with a control character such as `1\0`, a decimal comma like `3,5`): then the column
//! is meant to be numeric and its first bad cell is an error, so typing never hinges on one cell.
//! Columns with very many levels are warned about (ID-like) or refused (see [`super::limits`]).

use std::collections::HashMap;
use std::io::Read;

use ndarray::{Array1, Array2};

use super::input::{next_record, read_tracked_header, Source};
use super::limits::{
    LEVELS_WARNING, MAX_CELL_BYTES, MAX_LEVELS, MAX_ONE_HOT_BYTES, ROWS_PER_LEVEL_WARNING,
};
use super::lines::Tracked;
use super::missing::{mean_of_present, median_of_present, mode_of_present, Markers, MissingPolicy};
use super::schema::{select_features, Labels};
use crate::error::{looks_separated, shown, DataError, DataErrorKind, Error, Location, Result};

/// How one input column becomes design-matrix columns.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ColumnKind {
    /// One design column holding the parsed number; `fill` replaces a missing cell.
    Numeric {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fill: Option<f64>,
    },
    /// One indicator design column per level (sorted), named `column=level`; `fill` is the
    /// level that replaces a missing cell.
    Categorical {
        levels: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fill: Option<String>,
    },
}

/// A feature column of the input CSV, by name.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ColumnSpec {
    pub name: String,
    #[serde(flatten)]
    pub kind: ColumnKind,
}

impl ColumnSpec {
    /// Names of the design columns this input column expands to.
    pub fn design_names(&self) -> Vec<String> {
        match &self.kind {
            ColumnKind::Numeric { .. } => vec![self.name.clone()],
            ColumnKind::Categorical { levels, .. } => levels
                .iter()
                .map(|l| format!("{}={}", self.name, l))
                .collect(),
        }
    }

    pub fn width(&self) -> usize {
        match &self.kind {
            ColumnKind::Numeric { .. } => 1,
            ColumnKind::Categorical { levels, .. } => levels.len(),
        }
    }
}

/// Parses a numeric cell that is not missing: surrounding spaces are ignored; the value must be
/// a finite f64 (`1e400` overflows to infinity and is refused, as are `inf` and `NaN`).
pub fn parse_number(cell: &str) -> Result<f64, DataErrorKind> {
    let t = cell.trim();
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(DataErrorKind::NotFinite {
            value: cell.to_string(),
        }),
        Err(_) => Err(DataErrorKind::NotANumber {
            value: cell.to_string(),
        }),
    }
}

/// The training data as read: typed feature columns, the raw (unstandardised) design matrix
/// and 0/1 labels.
#[derive(Debug)]
pub struct TrainingData {
    /// Display name of the source, for messages.
    pub source: String,
    pub target: String,
    pub columns: Vec<ColumnSpec>,
    /// Design column names, `column` or `column=level`, in design order.
    pub feature_names: Vec<String>,
    /// `n_rows x n_features`, row-major, original units, missing cells already filled.
    pub x: Array2<f64>,
    /// 1.0 for the positive label, 0.0 for the negative.
    pub y: Array1<f64>,
    pub labels: Labels,
    pub n_positive: usize,
    pub n_negative: usize,
    /// Rows left out by `--missing drop`.
    pub rows_dropped: usize,
    /// Notes for the user (cells filled by `--missing mean|median`, ID-like columns), printed
    /// by `train` as warnings.
    pub warnings: Vec<String>,
}

/// What the user asked for when choosing columns, labels and missing-value handling.
#[derive(Debug, Clone, Default)]
pub struct TrainingSelection<'a> {
    pub target: &'a str,
    pub features: Option<&'a [String]>,
    pub exclude: &'a [String],
    pub positive: Option<&'a str>,
    pub missing: MissingPolicy,
    pub markers: Markers,
}

/// Code of a missing categorical cell while reading.
const MISSING_CODE: u32 = u32::MAX;

/// Values of one feature column while reading; missing cells are `NaN` / `MISSING_CODE`.
enum ColumnValues {
    /// No present cell seen yet (the column's type is decided by its first present cell).
    Undecided {
        missing: usize,
    },
    Numeric(Vec<f64>),
    Categorical {
        codes: Vec<u32>,
        levels: Vec<String>,
        index: HashMap<String, u32>,
        /// Present cells kept, and how many of them look like numbers.
        present: usize,
        number_like: usize,
        /// The first kept cell that is not a finite number, and its line.
        first_bad: Option<(u64, String)>,
    },
}

/// What a cell of a text column looks like (see the module doc).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Looks {
    Finite,
    NumberLike,
    Text,
}

fn looks(cell: &str) -> Looks {
    let t = cell.trim();
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Looks::Finite,
        Ok(_) => Looks::NumberLike,
        Err(_) => {
            let without_controls: String = t.chars().filter(|c| !c.is_control()).collect();
            let junk_number =
                without_controls.len() < t.len() && without_controls.trim().parse::<f64>().is_ok();
            if junk_number || looks_separated(t) {
                Looks::NumberLike
            } else {
                Looks::Text
            }
        }
    }
}

/// One parsed cell of the current record, before the row is accepted.
#[derive(Clone, Copy)]
enum Cell {
    Missing,
    Number(f64),
    Level(u32, Looks),
}

/// Reads a whole training CSV into a design matrix, checking every cell.
pub fn read_training(
    source: Source,
    delimiter: u8,
    selection: &TrainingSelection,
) -> Result<TrainingData> {
    let (file, mut reader) = source.csv_reader(delimiter);
    read_training_from(&file, &mut reader, selection)
}

/// Reads training data from a CSV reader made by [`super::input::csv_reader`]; `file` names it
/// in messages.
pub fn read_training_from<R: Read>(
    file: &str,
    reader: &mut csv::Reader<Tracked<R>>,
    selection: &TrainingSelection,
) -> Result<TrainingData> {
    let header = read_tracked_header(file, reader)?;
    let target = selection.target;
    let selected = select_features(file, &header, target, selection.features, selection.exclude)?;
    let target_index = header
        .iter()
        .position(|h| h == target)
        .expect("checked by select_features");
    let policy = selection.missing;
    let markers = &selection.markers;

    let mut values: Vec<ColumnValues> = selected
        .iter()
        .map(|_| ColumnValues::Undecided { missing: 0 })
        .collect();
    let mut seen_labels: Vec<String> = Vec::with_capacity(2);
    let mut label_codes: Vec<u8> = Vec::new();
    let mut row: Vec<Cell> = Vec::with_capacity(selected.len());
    let mut new_levels: Vec<usize> = Vec::new();
    let mut rows_dropped = 0;
    // Dropped rows missing each feature column (by position), and missing the target.
    let mut dropped_by = vec![0usize; selected.len()];
    let mut dropped_for_label = 0usize;
    let mut record = csv::StringRecord::new();
    while let Some(line) = next_record(file, reader, &mut record)? {
        let at = |column: &str, kind: DataErrorKind| -> DataError {
            DataError::new(Location::cell(file, line, column), kind)
        };
        for &col in selected.iter().chain([&target_index]) {
            let bytes = record[col].len();
            if bytes > MAX_CELL_BYTES {
                let kind = DataErrorKind::CellTooLong {
                    bytes,
                    limit: MAX_CELL_BYTES,
                };
                return Err(at(&header[col], kind).into());
            }
        }

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

        // Parse the whole row first, so a dropped row leaves no trace in any column.
        row.clear();
        let mut any_missing = false;
        new_levels.clear();
        for (position, (column, &col)) in values.iter_mut().zip(&selected).enumerate() {
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
            if let ColumnValues::Undecided { missing } = *column {
                // The first present cell decides the column's type.
                *column = if parse_number(cell).is_ok() {
                    ColumnValues::Numeric(vec![f64::NAN; missing])
                } else {
                    ColumnValues::Categorical {
                        codes: vec![MISSING_CODE; missing],
                        levels: Vec::new(),
                        index: HashMap::new(),
                        present: 0,
                        number_like: 0,
                        first_bad: None,
                    }
                };
            }
            row.push(match column {
                ColumnValues::Numeric(_) => {
                    Cell::Number(parse_number(cell).map_err(|k| at(&header[col], k))?)
                }
                ColumnValues::Categorical { levels, index, .. } => {
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
                ColumnValues::Undecided { .. } => unreachable!("decided above"),
            });
        }
        if any_missing && policy == MissingPolicy::Drop {
            // A level seen only in a dropped row was not seen in training: take it back.
            for &position in &new_levels {
                if let ColumnValues::Categorical { levels, index, .. } = &mut values[position] {
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

        let code = match seen_labels.iter().position(|l| l == label) {
            Some(c) => c,
            None if seen_labels.len() < 2 => {
                seen_labels.push(label.to_string());
                seen_labels.len() - 1
            }
            None => {
                let mut labels = seen_labels.clone();
                labels.push(label.to_string());
                return Err(at(target, DataErrorKind::TooManyLabels { labels }).into());
            }
        };
        label_codes.push(code as u8);
        for ((column, cell), &col) in values.iter_mut().zip(&row).zip(&selected) {
            match (column, *cell) {
                (ColumnValues::Undecided { missing }, _) => *missing += 1,
                (ColumnValues::Numeric(v), Cell::Number(x)) => v.push(x),
                (ColumnValues::Numeric(v), _) => v.push(f64::NAN),
                (
                    ColumnValues::Categorical {
                        codes,
                        present,
                        number_like,
                        first_bad,
                        ..
                    },
                    Cell::Level(c, looks),
                ) => {
                    codes.push(c);
                    *present += 1;
                    *number_like += usize::from(looks != Looks::Text);
                    if looks != Looks::Finite && first_bad.is_none() {
                        *first_bad = Some((line, record[col].to_string()));
                    }
                }
                (ColumnValues::Categorical { codes, .. }, _) => codes.push(MISSING_CODE),
            }
        }
    }

    let n_rows = label_codes.len();
    if n_rows == 0 && rows_dropped > 0 {
        let mut columns: Vec<(String, usize)> = Vec::new();
        if dropped_for_label > 0 {
            columns.push((target.to_string(), dropped_for_label));
        }
        for (&col, &n) in selected.iter().zip(&dropped_by) {
            if n > 0 {
                columns.push((header[col].clone(), n));
            }
        }
        let kind = DataErrorKind::AllRowsDropped {
            rows: rows_dropped,
            columns,
        };
        return Err(DataError::new(Location::file(file), kind).into());
    }
    if n_rows == 0 {
        return Err(DataError::new(Location::file(file), DataErrorKind::NoDataRows).into());
    }
    // A text column whose cells are mostly numbers is a numeric column with bad cells.
    for (column, &col) in values.iter().zip(&selected) {
        if let ColumnValues::Categorical {
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
    if seen_labels.len() < 2 {
        let label = seen_labels.pop().unwrap_or_default();
        return Err(DataError::new(target_location, DataErrorKind::OneClass { label }).into());
    }
    let seen = [seen_labels[0].clone(), seen_labels[1].clone()];
    if seen[0].to_lowercase() == seen[1].to_lowercase() {
        return Err(DataError::new(
            target_location,
            DataErrorKind::LabelsDifferOnlyByCase { labels: seen },
        )
        .into());
    }
    let labels = Labels::choose(seen, selection.positive)
        .map_err(|kind| DataError::new(target_location, kind))?;
    let positive_code = u8::from(seen_labels[1] == labels.positive);
    let y: Array1<f64> = label_codes
        .iter()
        .map(|&c| f64::from(u8::from(c == positive_code)))
        .collect();
    let n_positive = y.iter().filter(|&&v| v == 1.0).count();

    // Columns in file order; categorical levels sorted so the model does not depend on row
    // order; missing cells filled with the statistic the policy names.
    let mut columns = Vec::with_capacity(selected.len());
    let mut encoded: Vec<ColumnValues> = Vec::with_capacity(selected.len());
    let mut filled: Vec<String> = Vec::new();
    for (column, &col) in values.into_iter().zip(&selected) {
        let name = &header[col];
        let no_values = || -> Error {
            DataError::new(
                Location {
                    file: file.to_string(),
                    line: None,
                    column: Some(name.clone()),
                },
                DataErrorKind::NoValues,
            )
            .into()
        };
        let (kind, column) = match column {
            ColumnValues::Undecided { .. } => return Err(no_values()),
            ColumnValues::Numeric(mut v) => {
                let fill = match policy {
                    MissingPolicy::Mean => Some(mean_of_present(&v).ok_or_else(no_values)?),
                    MissingPolicy::Median => Some(median_of_present(&v).ok_or_else(no_values)?),
                    MissingPolicy::Error | MissingPolicy::Drop => None,
                };
                if let Some(f) = fill {
                    let n = v.iter().filter(|x| x.is_nan()).count();
                    if n > 0 {
                        filled.push(format!("{} cell(s) of {} with {f}", n, shown(name)));
                    }
                    v.iter_mut().filter(|x| x.is_nan()).for_each(|x| *x = f);
                }
                (ColumnKind::Numeric { fill }, ColumnValues::Numeric(v))
            }
            ColumnValues::Categorical { codes, levels, .. } => {
                let mut order: Vec<u32> = (0..levels.len() as u32).collect();
                order.sort_by(|&a, &b| levels[a as usize].cmp(&levels[b as usize]));
                let mut remap = vec![0u32; levels.len()];
                for (new, &old) in order.iter().enumerate() {
                    remap[old as usize] = new as u32;
                }
                let mut codes: Vec<u32> = codes
                    .into_iter()
                    .map(|c| {
                        if c == MISSING_CODE {
                            c
                        } else {
                            remap[c as usize]
                        }
                    })
                    .collect();
                let sorted: Vec<String> =
                    order.iter().map(|&o| levels[o as usize].clone()).collect();
                let fill = if policy.imputes() {
                    let mode = mode_of_present(&codes, sorted.len()).ok_or_else(no_values)?;
                    let n = codes.iter().filter(|c| **c == MISSING_CODE).count();
                    if n > 0 {
                        filled.push(format!(
                            "{n} cell(s) of {} with the most frequent level {}",
                            shown(name),
                            shown(&sorted[mode as usize])
                        ));
                    }
                    codes
                        .iter_mut()
                        .filter(|c| **c == MISSING_CODE)
                        .for_each(|c| *c = mode);
                    Some(sorted[mode as usize].clone())
                } else {
                    None
                };
                (
                    ColumnKind::Categorical {
                        levels: sorted,
                        fill,
                    },
                    ColumnValues::Categorical {
                        codes,
                        levels: Vec::new(),
                        index: HashMap::new(),
                        present: 0,
                        number_like: 0,
                        first_bad: None,
                    },
                )
            }
        };
        columns.push(ColumnSpec {
            name: name.clone(),
            kind,
        });
        encoded.push(column);
    }
    let mut warnings = level_checks(file, &columns, n_rows)?;
    if !filled.is_empty() {
        warnings.push(format!(
            "--missing {} filled {}",
            policy.name(),
            filled.join(", ")
        ));
    }
    let feature_names: Vec<String> = columns.iter().flat_map(ColumnSpec::design_names).collect();
    let n_features = feature_names.len();
    let mut x = Array2::<f64>::zeros((n_rows, n_features));
    let mut offset = 0;
    for (spec, column) in columns.iter().zip(&encoded) {
        match column {
            ColumnValues::Numeric(v) => {
                for (i, &value) in v.iter().enumerate() {
                    x[[i, offset]] = value;
                }
            }
            ColumnValues::Categorical { codes, .. } => {
                for (i, &code) in codes.iter().enumerate() {
                    x[[i, offset + code as usize]] = 1.0;
                }
            }
            ColumnValues::Undecided { .. } => unreachable!("rejected above"),
        }
        offset += spec.width();
    }

    Ok(TrainingData {
        source: file.to_string(),
        target: target.to_string(),
        columns,
        feature_names,
        x,
        y,
        labels,
        n_positive,
        n_negative: n_rows - n_positive,
        rows_dropped,
        warnings,
    })
}

/// Warnings for categorical columns with many levels for their rows (an ID, a date, free
/// text), and the refusal of columns beyond [`MAX_LEVELS`] or a one-hot block beyond
/// [`MAX_ONE_HOT_BYTES`], decided before the design matrix is allocated.
fn level_checks(file: &str, columns: &[ColumnSpec], n_rows: usize) -> Result<Vec<String>> {
    let categorical = || {
        columns.iter().filter_map(|c| match &c.kind {
            ColumnKind::Categorical { levels, .. } => Some((c, levels.len())),
            ColumnKind::Numeric { .. } => None,
        })
    };
    let refuse = |column: &ColumnSpec, levels: usize, why: String| -> Error {
        let location = Location {
            file: file.to_string(),
            line: None,
            column: Some(column.name.clone()),
        };
        let kind = DataErrorKind::TooManyLevels {
            levels,
            rows: n_rows,
            why,
        };
        DataError::new(location, kind).into()
    };
    if let Some((column, levels)) = categorical().find(|&(_, n)| n > MAX_LEVELS) {
        let why = format!("the limit is {MAX_LEVELS} levels per column");
        return Err(refuse(column, levels, why));
    }
    let one_hot: u64 = categorical().map(|(_, n)| n as u64).sum();
    let bytes = one_hot.saturating_mul(n_rows as u64).saturating_mul(8);
    if bytes > MAX_ONE_HOT_BYTES {
        let (column, levels) = categorical()
            .max_by_key(|&(_, n)| n)
            .expect("one-hot columns exist");
        let why = format!(
            "the dense one-hot matrix would take {:.1} GiB, more than the {} GiB limit",
            bytes as f64 / f64::from(1u32 << 30),
            MAX_ONE_HOT_BYTES >> 30
        );
        return Err(refuse(column, levels, why));
    }
    Ok(categorical()
        .filter(|&(_, n)| n > 1000 || (n > LEVELS_WARNING && n * ROWS_PER_LEVEL_WARNING > n_rows))
        .map(|(column, n)| {
            format!(
                "column {} has {n} distinct values over {n_rows} rows, one-hot encoded as {n} \
                 columns; it looks like an ID, a date or free text: consider --exclude {}",
                shown(&column.name),
                shown(&column.name)
            )
        })
        .collect())
}

/// One model column resolved against an input header: where to find it and its weights.
#[derive(Debug)]
enum Term {
    Numeric {
        index: usize,
        weight: f64,
        fill: Option<f64>,
    },
    /// Levels sorted, as stored in the model, so lookup is a binary search.
    Categorical {
        index: usize,
        levels: Vec<String>,
        weights: Vec<f64>,
        fill: Option<usize>,
    },
}

/// Computes the linear score `z = b + sum_j w_j x_j` of one CSV record, with the model's
/// columns located by name in this file's header once, up front. Missing cells take the
/// model's fill values, or fail when the model has none.
#[derive(Debug)]
pub struct RowScorer {
    file: String,
    header: Vec<String>,
    terms: Vec<Term>,
    intercept: f64,
    markers: Markers,
    /// The markers that parse as numbers, the only ones a parsed cell can be.
    numeric_markers: Vec<String>,
    policy: MissingPolicy,
}

impl RowScorer {
    /// `weights` are in original units, one per design column of `columns` in order.
    /// Fails listing every model column the header lacks.
    pub fn new(
        file: &str,
        header: &[String],
        columns: &[ColumnSpec],
        weights: &[f64],
        intercept: f64,
        markers: Markers,
        policy: MissingPolicy,
    ) -> Result<RowScorer> {
        let missing: Vec<String> = columns
            .iter()
            .filter(|c| !header.contains(&c.name))
            .map(|c| c.name.clone())
            .collect();
        if !missing.is_empty() {
            return Err(DataError::new(
                Location {
                    file: file.to_string(),
                    line: Some(1),
                    column: missing.first().cloned(),
                },
                DataErrorKind::MissingColumns { names: missing },
            )
            .into());
        }
        let mut terms = Vec::with_capacity(columns.len());
        let mut offset = 0;
        for column in columns {
            let index = header
                .iter()
                .position(|h| *h == column.name)
                .expect("checked above");
            let width = column.width();
            let w = &weights[offset..offset + width];
            terms.push(match &column.kind {
                ColumnKind::Numeric { fill } => Term::Numeric {
                    index,
                    weight: w[0],
                    fill: *fill,
                },
                ColumnKind::Categorical { levels, fill } => Term::Categorical {
                    index,
                    levels: levels.clone(),
                    weights: w.to_vec(),
                    fill: fill
                        .as_ref()
                        .and_then(|f| levels.iter().position(|l| l == f)),
                },
            });
            offset += width;
        }
        let numeric_markers = markers
            .values()
            .iter()
            .filter(|m| m.parse::<f64>().is_ok())
            .cloned()
            .collect();
        Ok(RowScorer {
            file: file.to_string(),
            header: header.to_vec(),
            terms,
            intercept,
            markers,
            numeric_markers,
            policy,
        })
    }

    /// The linear score of one record that starts on physical line `line`.
    pub fn score(&self, record: &csv::StringRecord, line: u64) -> Result<f64> {
        let mut z = self.intercept;
        for term in &self.terms {
            match term {
                Term::Numeric {
                    index,
                    weight,
                    fill,
                } => {
                    let cell = &record[*index];
                    let v = if self.markers.is_missing(cell) {
                        fill.ok_or_else(|| self.missing(line, *index, cell))?
                    } else {
                        parse_number(cell).map_err(|k| self.at(line, *index, k))?
                    };
                    z += weight * v;
                }
                Term::Categorical {
                    index,
                    levels,
                    weights,
                    fill,
                } => {
                    let cell = &record[*index];
                    let i = if self.markers.is_missing(cell) {
                        fill.ok_or_else(|| self.missing(line, *index, cell))?
                    } else {
                        let level = cell.trim();
                        levels
                            .binary_search_by(|l| l.as_str().cmp(level))
                            .map_err(|_| {
                                let kind = DataErrorKind::UnseenCategory {
                                    value: level.to_string(),
                                    known: levels.clone(),
                                };
                                self.at(line, *index, kind)
                            })?
                    };
                    z += weights[i];
                }
            }
        }
        Ok(z)
    }

    /// The score of a record given as raw byte fields, or `None` when any cell needs more than
    /// the common case (a missing cell, text that is not a plain number, an unseen level):
    /// the caller then scores the record with [`RowScorer::score`], which fills or reports it.
    /// Numbers are parsed with `fast-float2`, which rounds correctly, so the score is the same.
    pub fn score_bytes(&self, fields: &[&[u8]]) -> Option<f64> {
        let mut z = self.intercept;
        for term in &self.terms {
            match term {
                Term::Numeric { index, weight, .. } => {
                    let cell = trim_ascii(fields.get(*index)?);
                    // An empty cell or a marker like "NA" fails to parse; only a marker that
                    // is itself a number (say "-999") needs comparing.
                    let v: f64 = fast_float2::parse(cell).ok()?;
                    if !v.is_finite() || self.numeric_markers.iter().any(|m| m.as_bytes() == cell) {
                        return None;
                    }
                    z += weight * v;
                }
                Term::Categorical {
                    index,
                    levels,
                    weights,
                    ..
                } => {
                    let cell = trim_ascii(fields.get(*index)?);
                    let level = std::str::from_utf8(cell).ok()?;
                    if level.is_empty() || self.markers.values().iter().any(|m| m == level) {
                        return None;
                    }
                    z += weights[levels.binary_search_by(|l| l.as_str().cmp(level)).ok()?];
                }
            }
        }
        Some(z)
    }

    fn missing(&self, line: u64, index: usize, cell: &str) -> DataError {
        let kind = DataErrorKind::MissingValue {
            found: cell.to_string(),
            hint: self.policy.scoring_hint().to_string(),
        };
        self.at(line, index, kind)
    }

    fn at(&self, line: u64, index: usize, kind: DataErrorKind) -> DataError {
        DataError::new(Location::cell(&self.file, line, &self.header[index]), kind)
    }
}

/// ASCII whitespace trimmed from both ends (what `str::trim` removes from ASCII text).
pub fn trim_ascii(cell: &[u8]) -> &[u8] {
    cell.trim_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(csv_text: &str, selection: &TrainingSelection) -> Result<TrainingData> {
        let mut reader = crate::data::input::csv_reader(csv_text.as_bytes(), b',');
        read_training_from("t.csv", &mut reader, selection)
    }

    fn target_y() -> TrainingSelection<'static> {
        TrainingSelection {
            target: "y",
            ..Default::default()
        }
    }

    #[test]
    fn numbers_parse_with_spaces_and_every_float_spelling() {
        for s in ["0.5", " +0.5 ", ".5", "5E-1", "0.5e+0"] {
            assert_eq!(parse_number(s).unwrap(), 0.5, "{s}");
        }
        assert!(matches!(
            parse_number("1e400"),
            Err(DataErrorKind::NotFinite { .. })
        ));
        assert!(matches!(
            parse_number("NaN"),
            Err(DataErrorKind::NotFinite { .. })
        ));
        assert!(matches!(
            parse_number("inf"),
            Err(DataErrorKind::NotFinite { .. })
        ));
        assert!(matches!(
            parse_number("abc"),
            Err(DataErrorKind::NotANumber { .. })
        ));
    }

    #[test]
    fn string_columns_are_one_hot_encoded_with_sorted_levels() {
        let data = read("a,c,y\n1,red,1\n2,blue,0\n3,red,0\n", &target_y()).unwrap();
        assert_eq!(data.feature_names, vec!["a", "c=blue", "c=red"]);
        assert_eq!(data.x.row(0).to_vec(), vec![1.0, 0.0, 1.0]);
        assert_eq!(data.x.row(1).to_vec(), vec![2.0, 1.0, 0.0]);
        assert_eq!(data.y.to_vec(), vec![1.0, 0.0, 0.0]);
        assert_eq!((data.n_positive, data.n_negative), (1, 2));
    }

    #[test]
    fn bad_cell_is_reported_at_its_physical_line_and_column() {
        let text = "a,b,y\n1,\"x\ny\",1\n2,3,0\n";
        // b's first cell is text, so b is categorical; a is numeric.
        let data = read(text, &target_y()).unwrap();
        assert_eq!(data.feature_names, vec!["a", "b=3", "b=x\ny"]);
        let err = read("a,b,y\n1,2,1\n\"q\nr\",3,0\nzz,4,1\n", &target_y()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("line 3") && text.contains("\"a\""), "{text}");
        let err = read("a,b,y\n1,2,1\n2,3,0\n4,abc,1\n", &target_y()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.csv: line 4, column \"b\": expected a number (the column is numeric), found \"abc\""
        );
    }

    #[test]
    fn label_problems_are_typed() {
        let err = read("a,y\n1,1\n2,1\n", &target_y()).unwrap_err();
        assert!(
            matches!(err, crate::error::Error::Data(e) if matches!(e.kind, DataErrorKind::OneClass { .. }))
        );
        let err = read("a,y\n1,yes\n2,no\n3,Yes\n", &target_y()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("line 4") && text.contains("letter case"),
            "{text}"
        );
        let err = read("a,y\n1,\n2,1\n", &target_y()).unwrap_err();
        assert!(err.to_string().contains("line 2, column \"y\""));
        let err = read("a,y\n1,Yes\n2,yes\n", &target_y()).unwrap_err();
        assert!(
            matches!(err, Error::Data(e) if matches!(e.kind, DataErrorKind::LabelsDifferOnlyByCase { .. }))
        );
    }

    fn with_policy(policy: MissingPolicy) -> TrainingSelection<'static> {
        TrainingSelection {
            target: "y",
            missing: policy,
            ..Default::default()
        }
    }

    const WITH_GAPS: &str = "a,c,y\nNA,red,1\n2,,0\n4,blue,1\n9,blue,0\n";

    #[test]
    fn missing_cells_are_errors_by_default_with_advice() {
        let err = read(WITH_GAPS, &target_y()).unwrap_err().to_string();
        assert!(
            err.contains("line 2, column \"a\": found \"NA\", a missing-value marker"),
            "{err}"
        );
        assert!(err.contains("--missing"), "{err}");
    }

    #[test]
    fn drop_leaves_out_rows_with_missing_cells() {
        let data = read(WITH_GAPS, &with_policy(MissingPolicy::Drop)).unwrap();
        assert_eq!(data.rows_dropped, 2);
        assert_eq!(data.x.column(0).to_vec(), vec![4.0, 9.0]);
        // Only blue remains among present rows.
        assert_eq!(data.feature_names, vec!["a", "c=blue"]);
    }

    #[test]
    fn mean_and_median_fill_numeric_cells_and_the_mode_fills_categories() {
        let data = read(WITH_GAPS, &with_policy(MissingPolicy::Mean)).unwrap();
        assert_eq!(data.x.column(0).to_vec(), vec![5.0, 2.0, 4.0, 9.0]);
        assert_eq!(
            data.columns[0].kind,
            ColumnKind::Numeric { fill: Some(5.0) }
        );
        // blue appears twice, red once: the missing cell becomes blue.
        assert_eq!(data.x.row(1).to_vec(), vec![2.0, 1.0, 0.0]);
        assert!(
            matches!(&data.columns[1].kind, ColumnKind::Categorical { fill: Some(f), .. } if f == "blue")
        );
        let data = read(WITH_GAPS, &with_policy(MissingPolicy::Median)).unwrap();
        assert_eq!(data.x[[0, 0]], 4.0);
        let err = read("a,b,y\nNA,1,1\n,2,0\n", &with_policy(MissingPolicy::Mean)).unwrap_err();
        assert!(
            err.to_string()
                .contains("every cell of this column is missing"),
            "{err}"
        );
    }

    #[test]
    fn row_scorer_matches_columns_by_name_and_rejects_unseen_levels() {
        let columns = vec![
            ColumnSpec {
                name: "a".into(),
                kind: ColumnKind::Numeric { fill: None },
            },
            ColumnSpec {
                name: "c".into(),
                kind: ColumnKind::Categorical {
                    levels: vec!["blue".into(), "red".into()],
                    fill: Some("red".into()),
                },
            },
        ];
        let header: Vec<String> = ["c", "extra", "a"].iter().map(|s| s.to_string()).collect();
        let scorer = RowScorer::new(
            "p.csv",
            &header,
            &columns,
            &[2.0, -1.0, 1.0],
            0.5,
            Markers::default(),
            MissingPolicy::Mean,
        )
        .unwrap();
        let rec = csv::StringRecord::from(vec!["red", "zzz", " 3 "]);
        assert_eq!(scorer.score(&rec, 2).unwrap(), 0.5 + 6.0 + 1.0);
        let rec = csv::StringRecord::from(vec!["green", "zzz", "3"]);
        let err = scorer.score(&rec, 7).unwrap_err();
        assert!(
            err.to_string()
                .contains("line 7, column \"c\": category \"green\""),
            "{err}"
        );
        // A missing categorical cell takes the fill level; a missing numeric one has no fill.
        let rec = csv::StringRecord::from(vec!["NA", "zzz", "3"]);
        assert_eq!(scorer.score(&rec, 8).unwrap(), 0.5 + 6.0 + 1.0);
        let rec = csv::StringRecord::from(vec!["red", "zzz", ""]);
        let err = scorer.score(&rec, 9).unwrap_err();
        assert!(
            err.to_string()
                .contains("line 9, column \"a\": the cell is empty"),
            "{err}"
        );
        let err = RowScorer::new(
            "p.csv",
            &["x".to_string()],
            &columns,
            &[2.0, -1.0, 1.0],
            0.5,
            Markers::default(),
            MissingPolicy::Error,
        )
        .unwrap_err();
        assert!(err.to_string().contains("\"a\", \"c\""), "{err}");
    }
}

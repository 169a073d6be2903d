//! Reading a training CSV into the design matrix: column typing, missing values, labels and
//! one-hot encoding, with every cell checked and every problem located.
//!
//! A feature column's type is decided on the training data: numeric when its first non-empty
//! cell is a finite number (every later cell must then be a finite number too). Otherwise the
//! column is categorical, one-hot encoded with every level seen in training in sorted order,
//! unless most of its present cells look like numbers (finite or not: `inf`, `nan`, `1e400`, a
//! number with a control character such as `1\0`, a decimal comma like `3,5`): then the column
//! is meant to be numeric and its first bad cell is an error, so typing never hinges on one cell.
//! Columns with very many levels are warned about (ID-like) or refused (see [`super::limits`]).
//!
//! The target's labels become classes in [`labels`]; the `--weight` column's cells are checked
//! in [`weights`], which also combines row and class weights.

mod assemble;
pub mod columns;
pub mod fold_column;
pub mod labels;
pub mod weights;

use std::collections::HashMap;
use std::io::Read;

use ndarray::{Array1, Array2};

use super::design::{CsrMatrix, DesignChoice, Matrix};
use super::encode::{parse_number, ColumnKind, ColumnSpec};
use super::input::{next_record, read_tracked_header, Source};
use super::limits::{
    LEVELS_WARNING, MAX_CELL_BYTES, MAX_LEVELS, MAX_ONE_HOT_BYTES, ROWS_PER_LEVEL_WARNING,
};
use super::lines::Tracked;
use super::missing::{Markers, MissingPolicy};
use super::schema::{select_features, Labels};
use crate::error::{looks_separated, shown, DataError, DataErrorKind, Error, Location, Result};
use columns::FeatureValues;
pub use fold_column::FoldColumn;
use fold_column::{fold_excluded, FoldCodes};
use labels::LabelCodes;
pub use weights::{parse_weight, SampleWeights};

/// The training data as read: typed feature columns, the raw (unstandardised) design matrix,
/// the response, the classes and the row weights.
#[derive(Debug)]
pub struct TrainingData {
    /// Display name of the source, for messages.
    pub source: String,
    pub target: String,
    pub columns: Vec<ColumnSpec>,
    /// Design column names, `column` or `column=level`, in design order.
    pub feature_names: Vec<String>,
    /// `n_rows x n_features`, original units, missing cells already filled: dense, or CSR when
    /// the `--design` choice says so (built from the columns, never through the dense matrix).
    pub x: Matrix,
    /// Binary: 1.0 for the positive label, 0.0 for the negative. More classes: the class index
    /// in model order (0.0, 1.0, ..., K - 1).
    pub y: Array1<f64>,
    /// The classes in model order (numeric order when every label is a number, else bytes).
    pub classes: Vec<String>,
    /// Binary targets: the positive and negative labels. `None` with more than two classes.
    pub labels: Option<Labels>,
    /// Rows per class, model order.
    pub class_counts: Vec<usize>,
    /// The `--weight` column, and its value per row (finite, >= 0).
    pub weight_column: Option<String>,
    pub weights: Option<Array1<f64>>,
    /// The `--fold-column` (`logit cv`): each kept row's fold.
    pub folds: Option<FoldColumn>,
    /// Rows left out by `--missing drop`.
    pub rows_dropped: usize,
    /// Notes for the user (cells filled by `--missing mean|median`, ID-like columns), printed
    /// by `train` as warnings.
    pub warnings: Vec<String>,
}

impl TrainingData {
    /// The design matrix when it is dense (for tests of the dense readers).
    ///
    /// # Panics
    /// On a sparse design.
    pub fn dense_x(&self) -> &Array2<f64> {
        self.x
            .as_dense()
            .expect("a dense design (this data was read with --design dense or small)")
    }

    /// This data on the design `choice` resolves to, for readers that build a dense matrix
    /// first (the fast numeric reader): converted to CSR when the choice is sparse, or `auto`
    /// and the matrix is mostly zeros and large; otherwise unchanged.
    pub fn into_design(mut self, choice: DesignChoice) -> TrainingData {
        if let Matrix::Dense(x) = &self.x {
            let (n, p) = x.dim();
            let nnz = x.iter().filter(|v| **v != 0.0).count();
            if choice.resolve(n, p, nnz) {
                self.x = Matrix::Sparse(CsrMatrix::from_dense(x.view()));
            }
        }
        self
    }
}

/// What the user asked for when choosing columns, labels and missing-value handling.
#[derive(Debug, Clone, Default)]
pub struct TrainingSelection<'a> {
    pub target: &'a str,
    /// `--weight COL`: the row-weight column (not a feature).
    pub weight: Option<&'a str>,
    pub features: Option<&'a [String]>,
    pub exclude: &'a [String],
    pub positive: Option<&'a str>,
    pub missing: MissingPolicy,
    pub markers: Markers,
    /// `--fold-column COL` (`logit cv`): each row's fold (not a feature).
    pub fold: Option<&'a str>,
    /// `--design`: the storage of the design matrix.
    pub design: DesignChoice,
}

// Code of a missing categorical cell while reading (shared with the other readers).
use columns::MISSING_CODE;

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
pub(crate) enum Looks {
    Finite,
    NumberLike,
    Text,
}

pub(crate) fn looks(cell: &str) -> Looks {
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
    let exclude = fold_excluded(selection)?;
    let selected = select_features(
        file,
        &header,
        target,
        selection.weight,
        selection.features,
        &exclude,
    )?;
    let fold_index = selection.fold.map(|f| {
        header
            .iter()
            .position(|h| h == f)
            .expect("checked by select_features")
    });
    let mut fold_codes = FoldCodes::default();
    let target_index = header
        .iter()
        .position(|h| h == target)
        .expect("checked by select_features");
    let weight_index = selection.weight.map(|w| {
        header
            .iter()
            .position(|h| h == w)
            .expect("checked by select_features")
    });
    let policy = selection.missing;
    let markers = &selection.markers;

    let mut values: Vec<ColumnValues> = selected
        .iter()
        .map(|_| ColumnValues::Undecided { missing: 0 })
        .collect();
    let mut label_codes = LabelCodes::default();
    let mut row_weights: Vec<f64> = Vec::new();
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
        for &col in selected
            .iter()
            .chain([&target_index])
            .chain(&weight_index)
            .chain(&fold_index)
        {
            let bytes = record[col].len();
            if bytes > MAX_CELL_BYTES {
                let kind = DataErrorKind::CellTooLong {
                    bytes,
                    limit: MAX_CELL_BYTES,
                };
                return Err(at(&header[col], kind).into());
            }
        }

        // Every row needs a valid weight, even one dropped for a missing cell.
        let weight = match weight_index {
            Some(col) => {
                Some(parse_weight(&record[col], markers).map_err(|k| at(&header[col], k))?)
            }
            None => None,
        };
        // Likewise a fold.
        let fold = match fold_index {
            Some(col) => Some(
                fold_codes
                    .code(&record[col], markers)
                    .map_err(|k| at(&header[col], k))?,
            ),
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

        label_codes.push(label).map_err(|k| at(target, k))?;
        row_weights.extend(weight);
        if let Some(code) = fold {
            fold_codes.push(code);
        }
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

    let n_rows = label_codes.codes.len();
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
    let classes = labels::resolve(&label_codes.seen, &label_codes.codes, selection.positive)
        .map_err(|kind| DataError::new(target_location, kind))?;
    let folds = match selection.fold {
        Some(column) => Some(fold_codes.finish(column).map_err(|kind| {
            let location = Location {
                file: file.to_string(),
                line: None,
                column: Some(column.to_string()),
            };
            Error::from(DataError::new(location, kind))
        })?),
        None => None,
    };
    drop(label_codes);

    // Columns in file order, encoded as every reader's are (levels sorted, missing cells
    // filled, level counts checked).
    let names: Vec<String> = selected.iter().map(|&col| header[col].clone()).collect();
    let values: Vec<FeatureValues> = values
        .into_iter()
        .map(|column| match column {
            ColumnValues::Undecided { .. } => FeatureValues::Empty,
            ColumnValues::Numeric(v) => FeatureValues::Numeric(v),
            ColumnValues::Categorical { codes, levels, .. } => {
                FeatureValues::Categorical { codes, levels }
            }
        })
        .collect();
    let columns::Encoded {
        columns,
        feature_names,
        x,
        warnings,
    } = columns::encode(file, &names, values, policy, n_rows, selection.design)?;

    Ok(TrainingData {
        source: file.to_string(),
        target: target.to_string(),
        columns,
        feature_names,
        x,
        y: classes.y,
        classes: classes.classes,
        labels: classes.labels,
        class_counts: classes.class_counts,
        weight_column: selection.weight.map(str::to_string),
        weights: weight_index.map(|_| Array1::from(row_weights)),
        folds,
        rows_dropped,
        warnings,
    })
}

/// Warnings for categorical columns with many levels for their rows (an ID, a date, free
/// text), and, for a dense design (`dense`), the refusal of columns beyond [`MAX_LEVELS`] or a
/// one-hot block beyond [`MAX_ONE_HOT_BYTES`], decided before the matrix is allocated. A sparse
/// design stores one entry per row and column, whatever the levels, so it has no such limit.
pub(crate) fn level_checks(
    file: &str,
    columns: &[ColumnSpec],
    n_rows: usize,
    dense: bool,
) -> Result<Vec<String>> {
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
            why: format!("{why}; --design sparse has no such limit"),
        };
        DataError::new(location, kind).into()
    };
    let too_many = categorical().find(|&(_, n)| n > MAX_LEVELS);
    if let (true, Some((column, levels))) = (dense, too_many) {
        let why = format!("the limit is {MAX_LEVELS} levels per column of a dense design");
        return Err(refuse(column, levels, why));
    }
    let one_hot: u64 = categorical().map(|(_, n)| n as u64).sum();
    let bytes = one_hot.saturating_mul(n_rows as u64).saturating_mul(8);
    if dense && bytes > MAX_ONE_HOT_BYTES {
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

#[cfg(test)]
mod tests;

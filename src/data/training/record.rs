//! One training CSV record at a time: the cell checks, the column typing, the labels, the
//! weights and folds, and the `--missing` rules of every CSV training reader, in one place, so
//! the in-memory reader ([`super::read_training_from`]) and the streaming row-cache writer
//! ([`crate::data::cache::csv`]) accept the same files with the same messages. Only where a
//! kept row's cells go is theirs: columns in memory, or a row of the cache file.

use std::collections::HashMap;

use super::columns::column_location;
use super::fold_column::{fold_excluded, FoldCodes};
use super::labels::{self, Classes, LabelCodes};
use super::{looks, parse_weight, FoldColumn, Looks, TrainingSelection};
use crate::data::encode::parse_number;
use crate::data::limits::MAX_CELL_BYTES;
use crate::data::missing::MissingPolicy;
use crate::data::schema::select_features;
use crate::error::{DataError, DataErrorKind, Error, Location, Result};

/// The hint of a missing label, whatever the input format.
pub(crate) const LABEL_NEEDED: &str =
    "every training row needs a label; use --missing drop to leave such rows out";

/// A feature column's type: decided by its first present cell (see [`super`]'s module doc).
pub(crate) enum ColumnType {
    Undecided,
    Numeric,
    Categorical(TextColumn),
}

/// A categorical column's levels and what its kept cells look like.
pub(crate) struct TextColumn {
    /// First-appearance order: a cell's code indexes this.
    pub levels: Vec<String>,
    index: HashMap<String, u32>,
    /// Present cells kept, and how many of them look like numbers.
    present: usize,
    number_like: usize,
    /// The first kept cell that is not a finite number, and its line.
    first_bad: Option<(u64, String)>,
}

/// One parsed feature cell of the record just checked.
#[derive(Clone, Copy)]
pub(crate) enum Cell {
    Missing,
    Number(f64),
    /// A code into the column's [`TextColumn::levels`].
    Level(u32),
}

/// What a kept row carries besides its feature cells.
#[derive(Clone, Copy)]
pub(crate) struct KeptRow {
    /// The label's code, in order of first appearance (see [`CheckedRows::labels_seen`]).
    pub label_code: u32,
    /// The `--weight` cell (finite, >= 0).
    pub weight: Option<f64>,
}

/// The checks of a training CSV's records, fed one record at a time.
pub(crate) struct RecordChecks<'a> {
    file: &'a str,
    header: &'a [String],
    selection: &'a TrainingSelection<'a>,
    /// Header indices of the feature columns, in file order.
    selected: Vec<usize>,
    target_index: usize,
    weight_index: Option<usize>,
    fold_index: Option<usize>,
    /// Per feature column (by position in `selected`).
    types: Vec<ColumnType>,
    /// The feature cells of the record just checked.
    row: Vec<Cell>,
    /// Feature columns (by position) whose level is new in the record being checked.
    new_levels: Vec<usize>,
    label_codes: LabelCodes,
    fold_codes: FoldCodes,
    rows_dropped: usize,
    /// Dropped rows missing each feature column (by position), and missing the target.
    dropped_by: Vec<usize>,
    dropped_for_label: usize,
}

/// The outcome of the last record: the classes, folds and column types of the kept rows.
pub(crate) struct CheckedRows {
    /// The feature columns' names and types, in file order.
    pub names: Vec<String>,
    pub types: Vec<ColumnType>,
    pub n_rows: usize,
    /// Rows left out by `--missing drop`.
    pub rows_dropped: usize,
    pub classes: Classes,
    /// Labels in order of first appearance (what [`KeptRow::label_code`] indexes).
    pub labels_seen: Vec<String>,
    pub folds: Option<FoldColumn>,
}

impl<'a> RecordChecks<'a> {
    /// The checks for `file` with `header` (already read) and the user's `selection`; refuses
    /// a selection the header does not have.
    pub fn new(
        file: &'a str,
        header: &'a [String],
        selection: &'a TrainingSelection<'a>,
    ) -> Result<RecordChecks<'a>> {
        let exclude = fold_excluded(selection)?;
        let selected = select_features(
            file,
            header,
            selection.target,
            selection.weight,
            selection.features,
            &exclude,
        )?;
        let position = |name: &str| {
            header
                .iter()
                .position(|h| h == name)
                .expect("checked by select_features")
        };
        let n_features = selected.len();
        Ok(RecordChecks {
            file,
            header,
            selection,
            target_index: position(selection.target),
            weight_index: selection.weight.map(position),
            fold_index: selection.fold.map(position),
            selected,
            types: (0..n_features).map(|_| ColumnType::Undecided).collect(),
            row: Vec::with_capacity(n_features),
            new_levels: Vec::new(),
            label_codes: LabelCodes::default(),
            fold_codes: FoldCodes::default(),
            rows_dropped: 0,
            dropped_by: vec![0; n_features],
            dropped_for_label: 0,
        })
    }

    /// Feature columns, in file order.
    pub fn n_features(&self) -> usize {
        self.selected.len()
    }

    /// The feature columns' types so far.
    pub fn types(&self) -> &[ColumnType] {
        &self.types
    }

    /// The feature cells of the record just checked (valid after `Ok(Some(_))`).
    pub fn row(&self) -> &[Cell] {
        &self.row
    }

    /// Checks the record read at `line`: `Ok(Some(_))` when the row is kept (its feature cells
    /// in [`Self::row`], its label and fold recorded), `Ok(None)` when `--missing drop` leaves
    /// it out. A dropped row leaves no trace in any column.
    pub fn check(&mut self, line: u64, record: &csv::StringRecord) -> Result<Option<KeptRow>> {
        let file = self.file;
        let header = self.header;
        let policy = self.selection.missing;
        let markers = &self.selection.markers;
        let target = self.selection.target;
        let at = |column: &str, kind: DataErrorKind| -> Error {
            DataError::new(Location::cell(file, line, column), kind).into()
        };
        for &col in self
            .selected
            .iter()
            .chain([&self.target_index])
            .chain(&self.weight_index)
            .chain(&self.fold_index)
        {
            let bytes = record[col].len();
            if bytes > MAX_CELL_BYTES {
                let kind = DataErrorKind::CellTooLong {
                    bytes,
                    limit: MAX_CELL_BYTES,
                };
                return Err(at(&header[col], kind));
            }
        }

        // Every row needs a valid weight, even one dropped for a missing cell.
        let weight = match self.weight_index {
            Some(col) => {
                Some(parse_weight(&record[col], markers).map_err(|k| at(&header[col], k))?)
            }
            None => None,
        };
        // Likewise a fold.
        let fold = match self.fold_index {
            Some(col) => Some(
                self.fold_codes
                    .code(&record[col], markers)
                    .map_err(|k| at(&header[col], k))?,
            ),
            None => None,
        };
        let label_cell = &record[self.target_index];
        if markers.is_missing(label_cell) {
            if policy == MissingPolicy::Drop {
                self.rows_dropped += 1;
                self.dropped_for_label += 1;
                return Ok(None);
            }
            let kind = DataErrorKind::MissingValue {
                found: label_cell.to_string(),
                hint: LABEL_NEEDED.to_string(),
            };
            return Err(at(target, kind));
        }
        let label = label_cell.trim();

        // Parse the whole row first, so a dropped row leaves no trace in any column.
        self.row.clear();
        let mut any_missing = false;
        self.new_levels.clear();
        for (position, (column, &col)) in self.types.iter_mut().zip(&self.selected).enumerate() {
            let cell = &record[col];
            if markers.is_missing(cell) {
                if policy == MissingPolicy::Error {
                    let kind = DataErrorKind::MissingValue {
                        found: cell.to_string(),
                        hint: policy.training_hint().to_string(),
                    };
                    return Err(at(&header[col], kind));
                }
                any_missing = true;
                self.row.push(Cell::Missing);
                continue;
            }
            if let ColumnType::Undecided = column {
                // The first present cell decides the column's type.
                *column = if parse_number(cell).is_ok() {
                    ColumnType::Numeric
                } else {
                    ColumnType::Categorical(TextColumn {
                        levels: Vec::new(),
                        index: HashMap::new(),
                        present: 0,
                        number_like: 0,
                        first_bad: None,
                    })
                };
            }
            self.row.push(match column {
                ColumnType::Numeric => {
                    Cell::Number(parse_number(cell).map_err(|k| at(&header[col], k))?)
                }
                ColumnType::Categorical(text) => {
                    let level = cell.trim();
                    let code = match text.index.get(level) {
                        Some(&c) => c,
                        None => {
                            let c = text.levels.len() as u32;
                            text.levels.push(level.to_string());
                            text.index.insert(level.to_string(), c);
                            self.new_levels.push(position);
                            c
                        }
                    };
                    Cell::Level(code)
                }
                ColumnType::Undecided => unreachable!("decided above"),
            });
        }
        if any_missing && policy == MissingPolicy::Drop {
            // A level seen only in a dropped row was not seen in training: take it back.
            for &position in &self.new_levels {
                if let ColumnType::Categorical(text) = &mut self.types[position] {
                    if let Some(level) = text.levels.pop() {
                        text.index.remove(&level);
                    }
                }
            }
            self.rows_dropped += 1;
            for (count, cell) in self.dropped_by.iter_mut().zip(&self.row) {
                *count += usize::from(matches!(cell, Cell::Missing));
            }
            return Ok(None);
        }

        self.label_codes.push(label).map_err(|k| at(target, k))?;
        let label_code = *self.label_codes.codes.last().expect("just pushed");
        if let Some(code) = fold {
            self.fold_codes.push(code);
        }
        for ((column, cell), &col) in self.types.iter_mut().zip(&self.row).zip(&self.selected) {
            if let (ColumnType::Categorical(text), Cell::Level(_)) = (column, cell) {
                let looks = looks(&record[col]);
                text.present += 1;
                text.number_like += usize::from(looks != Looks::Text);
                if looks != Looks::Finite && text.first_bad.is_none() {
                    text.first_bad = Some((line, record[col].to_string()));
                }
            }
        }
        Ok(Some(KeptRow { label_code, weight }))
    }

    /// After the last record: refuses a file with no row kept and a text column that is a
    /// numeric column with bad cells, then resolves the classes and folds.
    pub fn finish(self) -> Result<CheckedRows> {
        let file = self.file;
        let target = self.selection.target;
        let n_rows = self.label_codes.codes.len();
        if n_rows == 0 {
            let names = self.selected.iter().map(|&col| self.header[col].as_str());
            return Err(no_rows_left(
                file,
                target,
                self.rows_dropped,
                self.dropped_for_label,
                names.zip(self.dropped_by.iter().copied()),
            ));
        }
        // A text column whose cells are mostly numbers is a numeric column with bad cells.
        for (column, &col) in self.types.iter().zip(&self.selected) {
            if let ColumnType::Categorical(TextColumn {
                present,
                number_like,
                first_bad: Some((line, value)),
                ..
            }) = column
            {
                if 2 * number_like > *present {
                    let kind = DataErrorKind::MostlyNumeric {
                        value: value.clone(),
                        numbers: *number_like,
                        present: *present,
                    };
                    let location = Location::cell(file, *line, &self.header[col]);
                    return Err(DataError::new(location, kind).into());
                }
            }
        }
        let classes = labels::resolve(
            &self.label_codes.seen,
            &self.label_codes.codes,
            self.selection.positive,
        )
        .map_err(|kind| DataError::new(column_location(file, target), kind))?;
        let folds = match self.selection.fold {
            Some(column) => Some(self.fold_codes.finish(column).map_err(|kind| {
                Error::from(DataError::new(column_location(file, column), kind))
            })?),
            None => None,
        };
        Ok(CheckedRows {
            names: self
                .selected
                .iter()
                .map(|&col| self.header[col].clone())
                .collect(),
            types: self.types,
            n_rows,
            rows_dropped: self.rows_dropped,
            classes,
            labels_seen: self.label_codes.seen,
            folds,
        })
    }
}

/// The error for a table that kept no row: all `rows_dropped` rows dropped by `--missing drop`
/// (naming the target when `dropped_for_label` > 0, then each feature column in `dropped_by`
/// with its count), or no data row at all.
pub(crate) fn no_rows_left<'n>(
    file: &str,
    target: &str,
    rows_dropped: usize,
    dropped_for_label: usize,
    dropped_by: impl Iterator<Item = (&'n str, usize)>,
) -> Error {
    if rows_dropped == 0 {
        return DataError::new(Location::file(file), DataErrorKind::NoDataRows).into();
    }
    let mut columns: Vec<(String, usize)> = Vec::new();
    if dropped_for_label > 0 {
        columns.push((target.to_string(), dropped_for_label));
    }
    columns.extend(
        dropped_by
            .filter(|&(_, n)| n > 0)
            .map(|(name, n)| (name.to_string(), n)),
    );
    let kind = DataErrorKind::AllRowsDropped {
        rows: rows_dropped,
        columns,
    };
    DataError::new(Location::file(file), kind).into()
}

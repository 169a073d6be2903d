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
pub(crate) mod record;
pub mod weights;

use std::io::Read;

use ndarray::{Array1, Array2};

use super::design::{CsrMatrix, DesignChoice, Matrix};
use super::encode::{ColumnKind, ColumnSpec};
use super::input::{next_record, read_tracked_header, Source};
use super::limits::{LEVELS_WARNING, MAX_LEVELS, MAX_ONE_HOT_BYTES, ROWS_PER_LEVEL_WARNING};
use super::lines::Tracked;
use super::missing::{Markers, MissingPolicy};
use super::schema::Labels;
use crate::error::{looks_separated, shown, DataError, DataErrorKind, Error, Location, Result};
use columns::{FeatureValues, MISSING_CODE};
pub use fold_column::FoldColumn;
use record::{Cell, ColumnType, RecordChecks};
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
            // `--design dense` needs no count.
            let sparse =
                choice != DesignChoice::Dense && choice.resolve(n, p, super::design::dense_nnz(x));
            if sparse {
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
    let mut checks = RecordChecks::new(file, &header, selection)?;
    let mut values: Vec<ColumnValues> = (0..checks.n_features())
        .map(|_| ColumnValues::Undecided { kept: 0 })
        .collect();
    let mut row_weights: Vec<f64> = Vec::new();
    let mut record = csv::StringRecord::new();
    while let Some(line) = next_record(file, reader, &mut record)? {
        let Some(kept) = checks.check(line, &record)? else {
            continue;
        };
        row_weights.extend(kept.weight);
        for ((column, kind), cell) in values.iter_mut().zip(checks.types()).zip(checks.row()) {
            column.push(kind, *cell);
        }
    }
    let checked = checks.finish()?;

    // Columns in file order, encoded as every reader's are (levels sorted, missing cells
    // filled, level counts checked).
    let values: Vec<FeatureValues> = values
        .into_iter()
        .zip(checked.types)
        .map(|(column, kind)| column.finish(kind))
        .collect();
    let n_rows = checked.n_rows;
    let columns::Encoded {
        columns,
        feature_names,
        x,
        warnings,
    } = columns::encode(
        file,
        &checked.names,
        values,
        selection.missing,
        n_rows,
        selection.design,
    )?;

    Ok(TrainingData {
        source: file.to_string(),
        target: selection.target.to_string(),
        columns,
        feature_names,
        x,
        y: checked.classes.y,
        classes: checked.classes.classes,
        labels: checked.classes.labels,
        class_counts: checked.classes.class_counts,
        weight_column: selection.weight.map(str::to_string),
        weights: selection.weight.map(|_| Array1::from(row_weights)),
        folds: checked.folds,
        rows_dropped: checked.rows_dropped,
        warnings,
    })
}

/// The kept cells of one feature column while reading; missing cells are `NaN` /
/// [`MISSING_CODE`].
enum ColumnValues {
    /// The column's type is not decided yet: `kept` rows so far, all missing.
    Undecided {
        kept: usize,
    },
    Numeric(Vec<f64>),
    Categorical(Vec<u32>),
}

impl ColumnValues {
    /// Stores the kept row's `cell` of a column of type `kind`.
    fn push(&mut self, kind: &ColumnType, cell: Cell) {
        if let ColumnValues::Undecided { kept } = *self {
            // The column's earlier kept cells were all missing.
            match kind {
                ColumnType::Undecided => {}
                ColumnType::Numeric => *self = ColumnValues::Numeric(vec![f64::NAN; kept]),
                ColumnType::Categorical(_) => {
                    *self = ColumnValues::Categorical(vec![MISSING_CODE; kept])
                }
            }
        }
        match (self, cell) {
            (ColumnValues::Undecided { kept }, _) => *kept += 1,
            (ColumnValues::Numeric(v), Cell::Number(x)) => v.push(x),
            (ColumnValues::Numeric(v), _) => v.push(f64::NAN),
            (ColumnValues::Categorical(codes), Cell::Level(c)) => codes.push(c),
            (ColumnValues::Categorical(codes), _) => codes.push(MISSING_CODE),
        }
    }

    /// The column's values once every record is read, for [`columns::encode`].
    fn finish(self, kind: ColumnType) -> FeatureValues {
        match (self, kind) {
            (ColumnValues::Undecided { .. }, ColumnType::Undecided) => FeatureValues::Empty,
            (ColumnValues::Undecided { kept }, ColumnType::Numeric) => {
                FeatureValues::Numeric(vec![f64::NAN; kept])
            }
            (ColumnValues::Undecided { kept }, ColumnType::Categorical(text)) => {
                FeatureValues::Categorical {
                    codes: vec![MISSING_CODE; kept],
                    levels: text.levels,
                }
            }
            (ColumnValues::Numeric(v), _) => FeatureValues::Numeric(v),
            (ColumnValues::Categorical(codes), ColumnType::Categorical(text)) => {
                FeatureValues::Categorical {
                    codes,
                    levels: text.levels,
                }
            }
            (ColumnValues::Categorical(_), _) => unreachable!("a column keeps its type"),
        }
    }
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

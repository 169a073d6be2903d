//! Typed feature columns to the design: the stage every training reader shares once its rows
//! are read and kept (the CSV reader in [`super`], the Parquet reader in
//! [`crate::data::parquet`]), so both give the same [`ColumnSpec`]s, fill values, warnings and
//! matrix for the same table.
//!
//! Categorical levels are sorted (the model does not depend on row order); missing cells are
//! filled with the statistic `--missing` names (mean / median, or the most frequent level);
//! level counts are checked ([`super::level_checks`]) before the matrix is allocated, which is
//! dense or CSR as the `--design` choice resolves on the exact count of non-zero cells (the CSR
//! matrix is built from the values and codes, never through the dense one: see
//! [`super::assemble`]).

use ndarray::Array2;

use super::assemble;

use super::fold_column::FoldCodes;
use super::FoldColumn;
use crate::data::design::{CsrMatrix, DesignChoice, Matrix};
use crate::data::encode::{ColumnKind, ColumnSpec};
use crate::data::missing::{
    mean_of_present, median_of_present, mode_of_present, Markers, MissingPolicy,
};
use crate::error::{shown, DataError, DataErrorKind, Error, Location, Result};

/// Code of a missing categorical cell.
pub const MISSING_CODE: u32 = u32::MAX;

/// The kept cells of one feature column, one per kept row.
#[derive(Debug, Clone, PartialEq)]
pub enum FeatureValues {
    /// No present cell at all (a CSV column whose type was never decided).
    Empty,
    /// Numbers; `NaN` marks a missing cell.
    Numeric(Vec<f64>),
    /// Codes into `levels` (any order, each level once); [`MISSING_CODE`] marks a missing cell.
    Categorical {
        codes: Vec<u32>,
        levels: Vec<String>,
    },
}

/// The encoded columns: specs in column order, design names, matrix and notes for the user.
#[derive(Debug)]
pub struct Encoded {
    pub columns: Vec<ColumnSpec>,
    pub feature_names: Vec<String>,
    pub x: Matrix,
    pub warnings: Vec<String>,
}

/// Encodes the kept feature columns `values` (named `names`, `n_rows` cells each) of `file`
/// into the design `design` resolves to.
pub fn encode(
    file: &str,
    names: &[String],
    values: Vec<FeatureValues>,
    policy: MissingPolicy,
    n_rows: usize,
    design: DesignChoice,
) -> Result<Encoded> {
    let mut columns = Vec::with_capacity(values.len());
    let mut encoded: Vec<FeatureValues> = Vec::with_capacity(values.len());
    let mut filled: Vec<String> = Vec::new();
    for (column, name) in values.into_iter().zip(names) {
        let no_values = || -> Error {
            DataError::new(column_location(file, name), DataErrorKind::NoValues).into()
        };
        // Cells filled by the policy.
        let mut n_filled = 0;
        let (kind, column) = match column {
            FeatureValues::Empty => return Err(no_values()),
            FeatureValues::Numeric(mut v) => {
                let fill = match policy {
                    MissingPolicy::Mean => Some(mean_of_present(&v).ok_or_else(no_values)?),
                    MissingPolicy::Median => Some(median_of_present(&v).ok_or_else(no_values)?),
                    MissingPolicy::Error | MissingPolicy::Drop => None,
                };
                if let Some(f) = fill {
                    n_filled = v.iter().filter(|x| x.is_nan()).count();
                    v.iter_mut().filter(|x| x.is_nan()).for_each(|x| *x = f);
                }
                (ColumnKind::Numeric { fill }, FeatureValues::Numeric(v))
            }
            FeatureValues::Categorical { codes, levels } => {
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
                    n_filled = codes.iter().filter(|c| **c == MISSING_CODE).count();
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
                    FeatureValues::Categorical {
                        codes,
                        levels: Vec::new(),
                    },
                )
            }
        };
        let spec = ColumnSpec {
            name: name.clone(),
            kind,
        };
        if n_filled > 0 {
            filled.push(filled_note(n_filled, &spec));
        }
        columns.push(spec);
        encoded.push(column);
    }
    let n_features: usize = columns.iter().map(ColumnSpec::width).sum();
    let nnz = assemble::nnz(&encoded);
    let sparse = design.resolve(n_rows, n_features, nnz);
    let mut warnings = super::level_checks(file, &columns, n_rows, !sparse)?;
    warnings.extend(filled_warning(policy, &filled));
    let feature_names: Vec<String> = columns.iter().flat_map(ColumnSpec::design_names).collect();
    let x = if sparse {
        if u32::try_from(n_features).is_err() {
            let kind = DataErrorKind::TooManyLevels {
                levels: n_features,
                rows: n_rows,
                why: format!("a sparse design holds at most {} columns", u32::MAX),
            };
            return Err(DataError::new(Location::file(file), kind).into());
        }
        let parts = assemble::csr(&columns, &encoded, n_rows, nnz);
        Matrix::Sparse(
            CsrMatrix::new(
                n_rows,
                n_features,
                parts.indptr,
                parts.indices,
                parts.values,
            )
            .expect("rows assembled in column order"),
        )
    } else {
        Matrix::Dense(dense(&columns, &encoded, n_rows))
    };
    Ok(Encoded {
        columns,
        feature_names,
        x,
        warnings,
    })
}

/// The note for `n` missing cells of `column` filled with its fill value (for
/// [`filled_warning`]); every reader words it so.
pub(crate) fn filled_note(n: usize, column: &ColumnSpec) -> String {
    let name = shown(&column.name);
    match &column.kind {
        ColumnKind::Numeric { fill: Some(f) } => format!("{n} cell(s) of {name} with {f}"),
        ColumnKind::Categorical {
            fill: Some(level), ..
        } => format!(
            "{n} cell(s) of {name} with the most frequent level {}",
            shown(level)
        ),
        _ => unreachable!("a note is only made for a filled column"),
    }
}

/// The warning that lists the `notes` of every column `--missing` filled, if any.
pub(crate) fn filled_warning(policy: MissingPolicy, notes: &[String]) -> Option<String> {
    (!notes.is_empty()).then(|| format!("--missing {} filled {}", policy.name(), notes.join(", ")))
}

/// The dense `n_rows x n_features` design: numeric columns as they are, one-hot blocks of 0/1.
/// Filled in blocks of rows, so each block of the row-major matrix is written while it is in
/// cache whatever the number of columns.
fn dense(columns: &[ColumnSpec], encoded: &[FeatureValues], n_rows: usize) -> Array2<f64> {
    const BLOCK: usize = 1024;
    let p: usize = columns.iter().map(ColumnSpec::width).sum();
    let mut x = Array2::<f64>::zeros((n_rows, p));
    if p == 0 {
        return x;
    }
    let cells = x.as_slice_mut().expect("a new array is contiguous");
    for start in (0..n_rows).step_by(BLOCK) {
        let end = (start + BLOCK).min(n_rows);
        let block = &mut cells[start * p..end * p];
        let mut offset = 0;
        for (spec, column) in columns.iter().zip(encoded) {
            match column {
                FeatureValues::Numeric(v) => {
                    for (row, &value) in block.chunks_exact_mut(p).zip(&v[start..end]) {
                        row[offset] = value;
                    }
                }
                FeatureValues::Categorical { codes, .. } => {
                    for (row, &code) in block.chunks_exact_mut(p).zip(&codes[start..end]) {
                        row[offset + code as usize] = 1.0;
                    }
                }
                FeatureValues::Empty => unreachable!("rejected above"),
            }
            offset += spec.width();
        }
    }
    x
}

/// `--exclude` plus the `--fold-column` (not a feature), after the CSV reader's checks.
pub fn excluded(selection: &super::TrainingSelection) -> Result<Vec<String>> {
    super::fold_column::fold_excluded(selection)
}

/// A whole column of `file`, without a line.
pub fn column_location(file: &str, column: &str) -> Location {
    Location {
        file: file.to_string(),
        line: None,
        column: Some(column.to_string()),
    }
}

/// The `--fold-column` cells of a reader that is not the CSV one: the same codes, checks and
/// fold order as the CSV reader's.
#[derive(Debug, Default)]
pub struct Folds(FoldCodes);

impl Folds {
    /// The code of one cell (see [`FoldCodes::code`]); the caller pushes it once the row is kept.
    pub fn code(&mut self, cell: &str, markers: &Markers) -> Result<u32, DataErrorKind> {
        self.0.code(cell, markers)
    }

    pub fn push(&mut self, code: u32) {
        self.0.push(code)
    }

    /// The fold column named `column` of `file`.
    pub fn finish(self, file: &str, column: &str) -> Result<FoldColumn> {
        self.0
            .finish(column)
            .map_err(|kind| DataError::new(column_location(file, column), kind).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_sorted_and_missing_cells_filled_by_the_policy() {
        let names = vec!["x".to_string(), "c".to_string()];
        let values = vec![
            FeatureValues::Numeric(vec![1.0, f64::NAN, 3.0]),
            FeatureValues::Categorical {
                codes: vec![0, 1, MISSING_CODE],
                levels: vec!["b".into(), "a".into()],
            },
        ];
        let e = encode(
            "f",
            &names,
            values,
            MissingPolicy::Mean,
            3,
            DesignChoice::Dense,
        )
        .unwrap();
        assert_eq!(e.feature_names, ["x", "c=a", "c=b"]);
        // c's tie between a and b goes to the first level in sorted order, "a".
        let expect = [[1.0, 0.0, 1.0], [2.0, 1.0, 0.0], [3.0, 1.0, 0.0]];
        for (i, row) in expect.iter().enumerate() {
            assert_eq!(e.x.as_dense().unwrap().row(i).to_vec(), row.to_vec());
        }
        assert_eq!(
            e.columns[1].kind,
            ColumnKind::Categorical {
                levels: vec!["a".into(), "b".into()],
                fill: Some("a".into())
            }
        );
        assert_eq!(e.columns[0].kind, ColumnKind::Numeric { fill: Some(2.0) });
        assert_eq!(e.warnings.len(), 1, "{:?}", e.warnings);
    }

    #[test]
    fn a_column_without_values_is_named() {
        let err = encode(
            "f",
            &["x".to_string()],
            vec![FeatureValues::Numeric(vec![f64::NAN])],
            MissingPolicy::Median,
            1,
            DesignChoice::Auto,
        )
        .unwrap_err();
        assert!(err.to_string().contains("column \"x\""), "{err}");
    }
}

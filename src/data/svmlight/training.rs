//! svmlight training data: the rows read by [`super::read_rows`] as [`TrainingData`], with the
//! design stored as `--design` resolves (sparse for large, mostly-zero data, which svmlight
//! data nearly always is).
//!
//! The options that name columns have nothing to name in svmlight data and are refused, each
//! with its reason, before the file is read.

use super::{read_rows, TARGET};
use crate::data::design::{CsrMatrix, DesignChoice, Matrix};
use crate::data::encode::{TrainingData, TrainingSelection};
use crate::data::input::Source;
use crate::data::limits::MAX_ONE_HOT_BYTES;
use crate::data::missing::MissingPolicy;
use crate::error::{DataError, Error, Location, Result};

/// Largest dense design built from svmlight data (`--design dense`, or `auto` on dense data).
pub const MAX_DENSE_BYTES: u64 = MAX_ONE_HOT_BYTES;

/// Reads svmlight training data from `source` (see the module doc of [`super`]).
pub fn read_training(source: Source, selection: &TrainingSelection) -> Result<TrainingData> {
    refuse_columns(&source.name, selection)?;
    let (file, input) = source.into_reader();
    let rows = read_rows(&file, input)?;
    if rows.n_cols == 0 {
        return Err(DataError::new(
            Location::file(&file),
            crate::error::DataErrorKind::SvmlightToken {
                token: String::new(),
                problem: "no line has a feature: there is nothing to fit".to_string(),
            },
        )
        .into());
    }
    let classes = rows.classes(&file, selection.positive)?;
    let columns = rows.columns();
    let feature_names = columns.iter().map(|c| c.name.clone()).collect();
    let (n_rows, n_cols, nnz) = (rows.n_rows(), rows.n_cols, rows.values.len());
    let dense_bytes = (n_rows as u64)
        .saturating_mul(n_cols as u64)
        .saturating_mul(8);
    let mut sparse = selection.design.resolve(n_rows, n_cols, nnz);
    if !sparse && dense_bytes > MAX_DENSE_BYTES {
        if selection.design == DesignChoice::Dense {
            return Err(Error::Usage(format!(
                "{file}: --design dense: the dense design matrix of {n_rows} rows x {n_cols} \
                 features would take {:.1} GiB, more than the {} GiB limit; leave out --design \
                 (or pass --design sparse) to store only the {nnz} nonzero values",
                dense_bytes as f64 / f64::from(1u32 << 30),
                MAX_DENSE_BYTES >> 30
            )));
        }
        sparse = true;
    }
    let csr = CsrMatrix::new(n_rows, n_cols, rows.indptr, rows.indices, rows.values)
        .expect("the svmlight reader builds valid CSR arrays");
    let x = if sparse {
        Matrix::Sparse(csr)
    } else {
        Matrix::Dense(csr.to_dense())
    };
    let mut warnings = Vec::new();
    if selection.missing != MissingPolicy::Error {
        warnings.push(format!(
            "--missing {} has no effect on svmlight data: an index absent from a line is 0, \
             so no value is missing",
            selection.missing.name()
        ));
    }
    Ok(TrainingData {
        source: file,
        target: TARGET.to_string(),
        columns,
        feature_names,
        x,
        y: classes.y,
        classes: classes.classes,
        labels: classes.labels,
        class_counts: classes.class_counts,
        weight_column: None,
        weights: None,
        folds: None,
        rows_dropped: 0,
        warnings,
    })
}

/// Refuses the options that name columns (svmlight data has none but its label).
fn refuse_columns(file: &str, selection: &TrainingSelection) -> Result<()> {
    let refuse = |message: String| Err(Error::Usage(format!("{file}: {message}")));
    if selection.target != TARGET {
        return refuse(format!(
            "svmlight data has no column names: the target is each line's first token, called \
             {TARGET:?}; leave out --target {:?}",
            selection.target
        ));
    }
    if let Some(weight) = selection.weight {
        return refuse(format!(
            "--weight {weight:?} is not available for svmlight data, which has no columns \
             besides the label and the idx:value features; write the data as a CSV with a \
             weight column to weight rows (--class-weight works)"
        ));
    }
    if selection.features.is_some() || !selection.exclude.is_empty() {
        let flag = if selection.features.is_some() {
            "--features"
        } else {
            "--exclude"
        };
        return refuse(format!(
            "{flag} is not available for svmlight data: every index is a feature f<idx>; \
             select features before writing the file"
        ));
    }
    if let Some(fold) = selection.fold {
        return refuse(format!(
            "--fold-column {fold:?} is not available for svmlight data, which has no columns \
             besides the label and the idx:value features; use --folds K"
        ));
    }
    Ok(())
}

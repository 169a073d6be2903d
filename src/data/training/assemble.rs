//! The CSR design from the encoded columns ([`super::columns`]): built straight from the
//! numeric values and the one-hot codes (one pass, arrays sized from an exact count first),
//! never through the dense matrix, which is what makes a 50,000-level column over 60,000 rows
//! trainable: its dense one-hot block would take 24 GB, its CSR form about 1 MB.

use super::columns::FeatureValues;
use crate::data::encode::ColumnSpec;

/// Entries a CSR design of these columns stores: a numeric column's non-zero cells and one per
/// categorical cell (each row has exactly one level once missing cells are filled or dropped).
pub(super) fn nnz(encoded: &[FeatureValues]) -> usize {
    encoded
        .iter()
        .map(|column| match column {
            FeatureValues::Numeric(v) => v.iter().filter(|&&x| x != 0.0).count(),
            FeatureValues::Categorical { codes, .. } => codes.len(),
            FeatureValues::Empty => 0,
        })
        .sum()
}

/// The raw CSR arrays of the design: per row, the columns in design order (so the indices are
/// strictly increasing), zeros not stored, one-hot entries 1.0.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct CsrParts {
    pub indptr: Vec<usize>,
    pub indices: Vec<u32>,
    pub values: Vec<f64>,
}

/// [`CsrParts`] of the columns; `nnz` is [`nnz`]'s count (the arrays are allocated once).
/// The caller has checked that every design column index fits in a `u32`.
pub(super) fn csr(
    columns: &[ColumnSpec],
    encoded: &[FeatureValues],
    n_rows: usize,
    nnz: usize,
) -> CsrParts {
    let offsets: Vec<u32> = columns
        .iter()
        .scan(0usize, |offset, spec| {
            let start = *offset;
            *offset += spec.width();
            Some(u32::try_from(start).expect("design columns fit in u32 (checked)"))
        })
        .collect();
    let mut indptr = Vec::with_capacity(n_rows + 1);
    let mut indices = Vec::with_capacity(nnz);
    let mut values = Vec::with_capacity(nnz);
    indptr.push(0);
    for i in 0..n_rows {
        for (column, &offset) in encoded.iter().zip(&offsets) {
            match column {
                FeatureValues::Numeric(v) => {
                    if v[i] != 0.0 {
                        indices.push(offset);
                        values.push(v[i]);
                    }
                }
                FeatureValues::Categorical { codes, .. } => {
                    indices.push(offset + codes[i]);
                    values.push(1.0);
                }
                FeatureValues::Empty => unreachable!("rejected before assembly"),
            }
        }
        indptr.push(indices.len());
    }
    debug_assert_eq!(indices.len(), nnz);
    CsrParts {
        indptr,
        indices,
        values,
    }
}

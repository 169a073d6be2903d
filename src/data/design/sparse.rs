//! Compressed sparse row (CSR) storage of a design matrix: svmlight input and one-hot heavy
//! tables, where the dense matrix would be mostly zeros (a 50,000-level column over 60,000 rows
//! is 24 GB dense and under 1 MB of CSR).
//!
//! This is the raw storage readers fill and fold splits select from; the standardised view the
//! solvers use is built on top of it.

use ndarray::{Array2, ArrayView2};

/// A sparse matrix by rows: row `i` holds the columns `indices[indptr[i]..indptr[i + 1]]`
/// (strictly increasing) with the values beside them.
#[derive(Debug, Clone, PartialEq)]
pub struct CsrMatrix {
    pub n_rows: usize,
    pub n_cols: usize,
    /// `n_rows + 1` offsets into `indices` / `values`, starting at 0.
    pub indptr: Vec<usize>,
    /// Column of each stored value; `u32` halves the index memory of large files.
    pub indices: Vec<u32>,
    /// Stored values; readers store no zeros, but explicit zeros are allowed.
    pub values: Vec<f64>,
}

impl CsrMatrix {
    /// Checks the invariants: offsets that start at 0, never decrease and end at the value
    /// count; column indices strictly increasing within a row and below `n_cols`.
    pub fn new(
        n_rows: usize,
        n_cols: usize,
        indptr: Vec<usize>,
        indices: Vec<u32>,
        values: Vec<f64>,
    ) -> Result<CsrMatrix, String> {
        if indptr.len() != n_rows + 1 {
            return Err(format!(
                "{} row offsets for {n_rows} rows (expected {})",
                indptr.len(),
                n_rows + 1
            ));
        }
        if indptr[0] != 0 {
            return Err(format!("the first row offset is {}, expected 0", indptr[0]));
        }
        if indices.len() != values.len() || indptr[n_rows] != indices.len() {
            return Err(format!(
                "{} indices, {} values and a last row offset of {} disagree",
                indices.len(),
                values.len(),
                indptr[n_rows]
            ));
        }
        if n_cols > u32::MAX as usize + 1 {
            return Err(format!("{n_cols} columns do not fit 32-bit column indices"));
        }
        for i in 0..n_rows {
            let (start, end) = (indptr[i], indptr[i + 1]);
            if end < start {
                return Err(format!("row {i}'s offsets decrease ({start} then {end})"));
            }
            let row = &indices[start..end];
            if let Some(&last) = row.last() {
                if last as usize >= n_cols {
                    return Err(format!(
                        "row {i} has column {last}, beyond {n_cols} columns"
                    ));
                }
            }
            if row.windows(2).any(|w| w[0] >= w[1]) {
                return Err(format!(
                    "row {i}'s column indices are not strictly increasing"
                ));
            }
        }
        Ok(CsrMatrix {
            n_rows,
            n_cols,
            indptr,
            indices,
            values,
        })
    }

    /// An `n_rows x n_cols` matrix of zeros.
    pub fn zeros(n_rows: usize, n_cols: usize) -> CsrMatrix {
        CsrMatrix {
            n_rows,
            n_cols,
            indptr: vec![0; n_rows + 1],
            indices: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Stored values (explicit zeros included).
    pub fn nnz(&self) -> usize {
        self.values.len()
    }

    /// Row `i`: its column indices and values.
    pub fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let range = self.indptr[i]..self.indptr[i + 1];
        (&self.indices[range.clone()], &self.values[range])
    }

    /// The non-zero entries of a dense matrix (zeros are not stored; NaN and infinities are).
    pub fn from_dense(x: ArrayView2<f64>) -> CsrMatrix {
        let (n_rows, n_cols) = x.dim();
        let mut indptr = Vec::with_capacity(n_rows + 1);
        let mut indices = Vec::new();
        let mut values = Vec::new();
        indptr.push(0);
        for row in x.rows() {
            for (j, &v) in row.iter().enumerate() {
                if v != 0.0 {
                    indices.push(j as u32);
                    values.push(v);
                }
            }
            indptr.push(indices.len());
        }
        CsrMatrix {
            n_rows,
            n_cols,
            indptr,
            indices,
            values,
        }
    }

    /// The dense matrix (for small problems and tests).
    pub fn to_dense(&self) -> Array2<f64> {
        let mut x = Array2::zeros((self.n_rows, self.n_cols));
        for i in 0..self.n_rows {
            let (cols, vals) = self.row(i);
            for (&j, &v) in cols.iter().zip(vals) {
                x[[i, j as usize]] = v;
            }
        }
        x
    }

    /// The rows `rows`, in that order (a fold's training or held-out rows).
    pub fn select_rows(&self, rows: &[usize]) -> CsrMatrix {
        let nnz: usize = rows
            .iter()
            .map(|&i| self.indptr[i + 1] - self.indptr[i])
            .sum();
        let mut indptr = Vec::with_capacity(rows.len() + 1);
        let mut indices = Vec::with_capacity(nnz);
        let mut values = Vec::with_capacity(nnz);
        indptr.push(0);
        for &i in rows {
            let (cols, vals) = self.row(i);
            indices.extend_from_slice(cols);
            values.extend_from_slice(vals);
            indptr.push(indices.len());
        }
        CsrMatrix {
            n_rows: rows.len(),
            n_cols: self.n_cols,
            indptr,
            indices,
            values,
        }
    }

    /// Fraction of stored entries, `nnz / (n_rows n_cols)`; 0 for an empty matrix.
    pub fn density(&self) -> f64 {
        let cells = self.n_rows as f64 * self.n_cols as f64;
        if cells == 0.0 {
            0.0
        } else {
            self.nnz() as f64 / cells
        }
    }

    /// Bytes held by the three arrays (for reports and memory bounds).
    pub fn heap_bytes(&self) -> usize {
        self.indptr.len() * std::mem::size_of::<usize>()
            + self.indices.len() * std::mem::size_of::<u32>()
            + self.values.len() * std::mem::size_of::<f64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn dense_round_trip_and_row_selection() {
        let x = array![[0.0, 1.5, 0.0], [0.0, 0.0, 0.0], [-2.0, 0.0, 3.0]];
        let csr = CsrMatrix::from_dense(x.view());
        assert_eq!(csr.nnz(), 3);
        assert_eq!(csr.indptr, vec![0, 1, 1, 3]);
        assert_eq!(csr.row(2), (&[0u32, 2][..], &[-2.0, 3.0][..]));
        assert_eq!(csr.to_dense(), x);
        assert!((csr.density() - 3.0 / 9.0).abs() < 1e-15);
        let picked = csr.select_rows(&[2, 0, 2]);
        assert_eq!(
            picked.to_dense(),
            array![[-2.0, 0.0, 3.0], [0.0, 1.5, 0.0], [-2.0, 0.0, 3.0]]
        );
        let checked = CsrMatrix::new(3, 3, csr.indptr, csr.indices, csr.values).unwrap();
        assert_eq!(checked.to_dense(), x);
    }

    #[test]
    fn broken_invariants_are_refused() {
        assert!(CsrMatrix::new(1, 2, vec![0, 2], vec![1, 0], vec![1.0, 2.0]).is_err());
        assert!(CsrMatrix::new(1, 2, vec![0, 2], vec![1, 1], vec![1.0, 2.0]).is_err());
        assert!(CsrMatrix::new(1, 2, vec![0, 1], vec![2], vec![1.0]).is_err());
        assert!(CsrMatrix::new(2, 2, vec![0, 1], vec![0], vec![1.0]).is_err());
        assert!(CsrMatrix::new(1, 2, vec![1, 1], vec![], vec![]).is_err());
        assert!(CsrMatrix::new(1, 2, vec![0, 1], vec![0], vec![]).is_err());
        assert!(CsrMatrix::new(2, 2, vec![0, 1, 0], vec![0], vec![1.0]).is_err());
        assert_eq!(
            CsrMatrix::zeros(2, 3).to_dense(),
            Array2::<f64>::zeros((2, 3))
        );
    }
}

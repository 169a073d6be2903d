//! What a reader hands to training: the raw design matrix, dense or sparse.

use std::sync::Arc;

use ndarray::Array2;

use super::sparse::CsrMatrix;
use crate::data::cache::CachedMatrix;

/// The raw (unstandardised) design matrix of the rows read, in the storage the reader chose
/// (see [`super::DesignChoice`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Matrix {
    /// Row-major, every cell stored.
    Dense(Array2<f64>),
    /// Only the non-zero cells, by rows.
    Sparse(CsrMatrix),
    /// Rows in a memory-mapped cache file (`train --max-memory`), expanded and standardised
    /// block by block (see [`crate::data::cache`]).
    Cached(Arc<CachedMatrix>),
}

impl Matrix {
    pub fn n_rows(&self) -> usize {
        match self {
            Matrix::Dense(x) => x.nrows(),
            Matrix::Sparse(x) => x.n_rows,
            Matrix::Cached(x) => x.n_rows(),
        }
    }

    pub fn n_cols(&self) -> usize {
        match self {
            Matrix::Dense(x) => x.ncols(),
            Matrix::Sparse(x) => x.n_cols,
            Matrix::Cached(x) => x.n_cols(),
        }
    }

    pub fn is_sparse(&self) -> bool {
        matches!(self, Matrix::Sparse(_))
    }

    /// The dense matrix, when stored dense.
    pub fn as_dense(&self) -> Option<&Array2<f64>> {
        match self {
            Matrix::Dense(x) => Some(x),
            Matrix::Sparse(_) | Matrix::Cached(_) => None,
        }
    }

    /// Non-zero cells (counted for a dense matrix, stored ones for a sparse one).
    pub fn nnz(&self) -> usize {
        match self {
            Matrix::Dense(x) => dense_nnz(x),
            Matrix::Sparse(x) => x.nnz(),
            Matrix::Cached(x) => x.nnz(),
        }
    }

    /// `nnz / (n_rows n_cols)`; 0 for an empty matrix.
    pub fn density(&self) -> f64 {
        self.density_of(self.nnz())
    }

    /// [`Matrix::density`] from a count of non-zero cells already made (a dense count is a
    /// pass over the whole matrix).
    pub fn density_of(&self, nnz: usize) -> f64 {
        let cells = self.n_rows() as f64 * self.n_cols() as f64;
        if cells == 0.0 {
            0.0
        } else {
            nnz as f64 / cells
        }
    }

    /// The rows `rows`, in that order, in the same storage.
    pub fn select_rows(&self, rows: &[usize]) -> Matrix {
        match self {
            Matrix::Dense(x) => Matrix::Dense(x.select(ndarray::Axis(0), rows)),
            Matrix::Sparse(x) => Matrix::Sparse(x.select_rows(rows)),
            // Only the rows asked for are brought into memory (dense, as read).
            Matrix::Cached(x) => {
                let p = x.n_cols();
                let mut out = Array2::zeros((rows.len(), p));
                for (r, &i) in rows.iter().enumerate() {
                    let row = out.row_mut(r).into_slice().expect("a row of a new array");
                    x.raw_rows_into(i..i + 1, row);
                }
                Matrix::Dense(out)
            }
        }
    }
}

/// The non-zero cells of a dense matrix, counted on every core for a large one (the count only
/// decides the storage and the report's density, so the split does not matter).
pub(crate) fn dense_nnz(x: &Array2<f64>) -> usize {
    let count = |v: &[f64]| v.iter().filter(|v| **v != 0.0).count();
    let Some(data) = x.as_slice() else {
        return x.iter().filter(|v| **v != 0.0).count();
    };
    let threads = super::parallel_threads(data.len());
    if threads <= 1 {
        return count(data);
    }
    let per = data.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let parts: Vec<_> = data
            .chunks(per)
            .map(|part| scope.spawn(move || count(part)))
            .collect();
        parts.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    })
}

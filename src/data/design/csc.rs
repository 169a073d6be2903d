//! Column access to a sparse design for coordinate descent: a compressed-sparse-column copy of
//! [`CsrDesign`]'s scaled values, with the same implicit shift (column `j` of the design is
//! `x_j - shift_j 1`).
//!
//! A column with a zero shift costs `O(nnz_j)` per operation. A shifted column (centring with a
//! free intercept) also needs one dense sum or update over the rows, so an operation costs
//! `O(n)` as on the dense copy, but with no `n x p` matrix held in memory.
//!
//! Sums over stored entries run in row order, dense sums with [`LANES`] interleaved partial
//! sums: every kernel gives the same bits.

use super::columns::{lane_sum, Columns, DenseColumns};
use super::csr::CsrDesign;
use super::kernel::{kernel_copies, Kernel};
use super::sparse::CsrMatrix;
use super::Design;

/// The compressed-sparse-column copy of a [`CsrDesign`].
#[derive(Debug, Clone)]
pub struct CscColumns {
    n: usize,
    p: usize,
    /// `p + 1` offsets into `rows` / `values`.
    colptr: Vec<usize>,
    rows: Vec<u32>,
    values: Vec<f64>,
    shift: Vec<f64>,
}

impl CscColumns {
    /// The columns of `x` (scaled values) with the implicit `shift`: one counting pass and one
    /// scatter pass over the stored entries.
    ///
    /// # Panics
    /// If `shift` does not have one entry per column.
    pub fn new(x: &CsrMatrix, shift: &[f64]) -> CscColumns {
        assert_eq!(shift.len(), x.n_cols, "one shift per column");
        let (n, p) = (x.n_rows, x.n_cols);
        let mut colptr = vec![0usize; p + 1];
        for &j in &x.indices {
            colptr[j as usize + 1] += 1;
        }
        for j in 0..p {
            colptr[j + 1] += colptr[j];
        }
        let mut next = colptr.clone();
        let mut rows = vec![0u32; x.nnz()];
        let mut values = vec![0.0; x.nnz()];
        for i in 0..n {
            let (idx, val) = x.row(i);
            for (&j, &v) in idx.iter().zip(val) {
                let at = &mut next[j as usize];
                rows[*at] = i as u32;
                values[*at] = v;
                *at += 1;
            }
        }
        CscColumns {
            n,
            p,
            colptr,
            rows,
            values,
            shift: shift.to_vec(),
        }
    }

    /// The stored part of column `j`: row indices and values.
    fn column(&self, j: usize) -> (&[u32], &[f64], f64) {
        let range = self.colptr[j]..self.colptr[j + 1];
        (
            &self.rows[range.clone()],
            &self.values[range],
            self.shift[j],
        )
    }
}

/// The columns of any design: the CSC copy of a sparse one, the column-major copy otherwise.
pub fn columns_of(design: &dyn Design) -> Box<dyn Columns> {
    if let Some(columns) = design.column_copy() {
        return columns;
    }
    match design.as_sparse() {
        Some((x, shift)) => Box::new(CscColumns::new(x, shift)),
        None => Box::new(DenseColumns::from_design(design)),
    }
}

/// The columns of a [`CsrDesign`] (for callers that hold one).
impl From<&CsrDesign<'_>> for CscColumns {
    fn from(design: &CsrDesign<'_>) -> CscColumns {
        CscColumns::new(design.matrix(), design.shift())
    }
}

kernel_copies!(fn gather_copies(rows: &[u32], values: &[f64], v: &[f64]) -> f64 = gather_kernel);

/// `sum_nnz x_i v_i`, in row order.
#[inline(always)]
fn gather_kernel(rows: &[u32], values: &[f64], v: &[f64]) -> f64 {
    let mut acc = 0.0;
    for (&i, &x) in rows.iter().zip(values) {
        acc += x * v[i as usize];
    }
    acc
}

kernel_copies!(fn scatter_copies(rows: &[u32], values: &[f64], alpha: f64, v: &mut [f64]) = scatter_kernel);

/// `v_i += alpha x_i` over the stored entries.
#[inline(always)]
fn scatter_kernel(rows: &[u32], values: &[f64], alpha: f64, v: &mut [f64]) {
    for (&i, &x) in rows.iter().zip(values) {
        v[i as usize] += alpha * x;
    }
}

kernel_copies!(fn add_copies(c: f64, v: &mut [f64]) = add_kernel);

#[inline(always)]
fn add_kernel(c: f64, v: &mut [f64]) {
    v.iter_mut().for_each(|x| *x += c);
}

kernel_copies!(fn add_scaled_copies(c: f64, s: &[f64], v: &mut [f64]) = add_scaled_kernel);

#[inline(always)]
fn add_scaled_kernel(c: f64, s: &[f64], v: &mut [f64]) {
    for (x, si) in v.iter_mut().zip(s) {
        *x += c * si;
    }
}

/// `sum_i v_i` with [`LANES`] partial sums.
fn total(v: &[f64]) -> f64 {
    lane_sum(v.len(), |i| v[i])
}

impl Columns for CscColumns {
    fn n_rows(&self) -> usize {
        self.n
    }

    fn n_cols(&self) -> usize {
        self.p
    }

    fn dot(&self, kernel: Kernel, j: usize, v: &[f64]) -> f64 {
        let (rows, values, s) = self.column(j);
        let stored = gather_copies(kernel, rows, values, v);
        if s == 0.0 {
            stored
        } else {
            stored - s * total(&v[..self.n])
        }
    }

    fn axpy(&self, kernel: Kernel, j: usize, alpha: f64, v: &mut [f64]) {
        let (rows, values, s) = self.column(j);
        if s != 0.0 {
            add_copies(kernel, -(alpha * s), &mut v[..self.n]);
        }
        scatter_copies(kernel, rows, values, alpha, v);
    }

    fn axpy_scaled(&self, kernel: Kernel, j: usize, alpha: f64, s: &[f64], v: &mut [f64]) {
        let (rows, values, shift) = self.column(j);
        if shift != 0.0 {
            add_scaled_copies(kernel, -(alpha * shift), &s[..self.n], &mut v[..self.n]);
        }
        for (&i, &x) in rows.iter().zip(values) {
            let i = i as usize;
            v[i] += alpha * (s[i] * x);
        }
    }

    fn weighted_sq(&self, kernel: Kernel, j: usize, h: &[f64]) -> f64 {
        self.weighted_moments(kernel, j, h).1
    }

    fn weighted_moments(&self, _kernel: Kernel, j: usize, h: &[f64]) -> (f64, f64) {
        let (rows, values, s) = self.column(j);
        let (mut first, mut second) = (0.0, 0.0);
        for (&i, &x) in rows.iter().zip(values) {
            let hi = h[i as usize];
            first += hi * x;
            // (x - s)^2 - s^2: the stored entry's share beyond the shift's.
            let d = x - s;
            second += hi * (d * d - s * s);
        }
        if s == 0.0 {
            return (first, second);
        }
        let big = total(&h[..self.n]);
        (first - s * big, (second + s * s * big).max(0.0))
    }

    fn step_then_dot_model(
        &self,
        kernel: Kernel,
        pending: Option<(usize, f64)>,
        j: usize,
        r: &[f64],
        a: &[f64],
        d: &mut [f64],
    ) -> f64 {
        if let Some((k, alpha)) = pending {
            self.axpy(kernel, k, alpha, d);
        }
        self.dot_model(kernel, j, r, a, d, None)
    }

    fn dot_model(
        &self,
        _kernel: Kernel,
        j: usize,
        r: &[f64],
        a: &[f64],
        d: &[f64],
        m: Option<&[f64]>,
    ) -> f64 {
        let (rows, values, s) = self.column(j);
        let e = |i: usize| match m {
            None => r[i] - a[i] * d[i],
            Some(m) => r[i] - a[i] * (d[i] - m[i]),
        };
        let mut stored = 0.0;
        for (&i, &x) in rows.iter().zip(values) {
            stored += x * e(i as usize);
        }
        if s == 0.0 {
            stored
        } else {
            stored - s * lane_sum(self.n, e)
        }
    }
}

#[cfg(test)]
mod tests;

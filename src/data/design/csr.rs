//! The standardised sparse design: a [`CsrMatrix`] whose stored values are already divided by
//! the column scales ([`super::Scaler::apply_sparse`]) and a per-column shift `mean_j / std_j`
//! that is never materialised. Row `i` of the design the solvers see is
//! `x~_i = x_i / std - shift`, exactly the dense centred matrix up to rounding.
//!
//! Every block operation folds the shift in closed form, so centring costs `O(k p)` per block
//! (the dense objective already spends that on its per-block partial gradients), never a dense
//! copy:
//! * scores: `z_ic = (b_c - w_c . shift) + sum_nnz w_cj x_ij`;
//! * `X~^T r`: `g_cj += sum_nnz r_ic x_ij - shift_j sum_i r_ic`;
//! * Gram: `sum_i d_i x~_ia x~_ic = G_ac - shift_a u_c - shift_c u_a + shift_a shift_c D` with
//!   `G` the stored values' Gram, `u = sum_i d_i x_i` and `D = sum_i d_i`.
//!
//! The loops are compiled once per [`Kernel`] and keep a fixed order of their sums (row order,
//! then stored-entry order), so every kernel and every thread count gives the same bits.

use std::ops::Range;

use ndarray::Array2;

use super::columns::{dot_copies, sum_lanes, LANES};
use super::kernel::{kernel_copies, Kernel};
use super::sparse::CsrMatrix;
use super::Design;

/// `x / std - shift` over a CSR matrix of scaled values (see the module documentation).
#[derive(Debug, Clone)]
pub struct CsrDesign<'a> {
    x: &'a CsrMatrix,
    shift: Vec<f64>,
    /// Whether any shift is non-zero (the folds are skipped otherwise: no intercept, or no
    /// standardisation, keeps the design purely sparse).
    shifted: bool,
}

impl<'a> CsrDesign<'a> {
    /// The design `x_ij - shift_j` (`x` already scaled; `shift_j = mean_j / std_j`, all zeros
    /// without centring).
    ///
    /// # Panics
    /// If `shift` does not have one entry per column.
    pub fn new(x: &'a CsrMatrix, shift: Vec<f64>) -> CsrDesign<'a> {
        assert_eq!(shift.len(), x.n_cols, "one shift per column");
        let shifted = shift.iter().any(|&s| s != 0.0);
        CsrDesign { x, shift, shifted }
    }

    /// The stored (scaled) values.
    pub fn matrix(&self) -> &'a CsrMatrix {
        self.x
    }

    /// The implicit per-column shift.
    pub fn shift(&self) -> &[f64] {
        &self.shift
    }

    /// The block's slice of the row offsets (`rows.len() + 1` absolute offsets).
    fn offsets(&self, rows: &Range<usize>) -> &[usize] {
        &self.x.indptr[rows.start..rows.end + 1]
    }
}

/// `sum_nnz w[idx] v` in stored order.
#[inline(always)]
fn sparse_dot(idx: &[u32], val: &[f64], w: &[f64]) -> f64 {
    let mut acc = 0.0;
    for (&j, &v) in idx.iter().zip(val) {
        acc += v * w[j as usize];
    }
    acc
}

kernel_copies!(fn scores_copies(indptr: &[usize], indices: &[u32], values: &[f64], w: &[f64], b: &[f64], z: &mut [f64]) = scores_kernel);

/// `z_ic = b_c + sum_nnz w_cj x_ij` (`b` already holds the shifted intercepts).
#[inline(always)]
fn scores_kernel(
    indptr: &[usize],
    indices: &[u32],
    values: &[f64],
    w: &[f64],
    b: &[f64],
    z: &mut [f64],
) {
    let k = b.len();
    if k == 0 {
        return;
    }
    let p = w.len() / k;
    for (zr, o) in z.chunks_exact_mut(k).zip(indptr.windows(2)) {
        let (idx, val) = (&indices[o[0]..o[1]], &values[o[0]..o[1]]);
        if k == 1 {
            zr[0] = b[0] + sparse_dot(idx, val, w);
        } else {
            for (c, zc) in zr.iter_mut().enumerate() {
                *zc = b[c] + sparse_dot(idx, val, &w[c * p..(c + 1) * p]);
            }
        }
    }
}

kernel_copies!(fn xt_r_copies(indptr: &[usize], indices: &[u32], values: &[f64], r: &[f64], p: usize, g: &mut [f64]) = xt_r_kernel);

#[inline(always)]
fn xt_r_kernel(
    indptr: &[usize],
    indices: &[u32],
    values: &[f64],
    r: &[f64],
    p: usize,
    g: &mut [f64],
) {
    if p == 0 {
        return;
    }
    let k = g.len() / p;
    for (rr, o) in r.chunks_exact(k).zip(indptr.windows(2)) {
        let (idx, val) = (&indices[o[0]..o[1]], &values[o[0]..o[1]]);
        for (c, &rc) in rr.iter().enumerate() {
            let gc = &mut g[c * p..(c + 1) * p];
            for (&j, &v) in idx.iter().zip(val) {
                gc[j as usize] += rc * v;
            }
        }
    }
}

kernel_copies!(fn gram_copies(indptr: &[usize], indices: &[u32], values: &[f64], p: usize, d: &[f64], m: usize, intercept: bool, u: &mut [f64], parts: &mut [f64]) = gram_kernel);

/// The stored values' weighted Gram (upper triangle), plus, per weight column `t`,
/// `u[t (p + 1) + a] += sum_i d_it x_ia` and `u[t (p + 1) + p] += sum_i d_it` (for the fold).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn gram_kernel(
    indptr: &[usize],
    indices: &[u32],
    values: &[f64],
    p: usize,
    d: &[f64],
    m: usize,
    intercept: bool,
    u: &mut [f64],
    parts: &mut [f64],
) {
    let q = p + usize::from(intercept);
    let cells = q * q;
    for (i, o) in indptr.windows(2).enumerate() {
        let (idx, val) = (&indices[o[0]..o[1]], &values[o[0]..o[1]]);
        for t in 0..m {
            let wt = d[i * m + t];
            if wt == 0.0 {
                continue;
            }
            let part = &mut parts[t * cells..(t + 1) * cells];
            let ut = &mut u[t * (p + 1)..(t + 1) * (p + 1)];
            for (pos, (&a, &va)) in idx.iter().zip(val).enumerate() {
                let a = a as usize;
                let xa = va * wt;
                let row = &mut part[a * q..(a + 1) * q];
                for (&c, &vc) in idx[pos..].iter().zip(&val[pos..]) {
                    row[c as usize] += xa * vc;
                }
                ut[a] += xa;
            }
            ut[p] += wt;
        }
    }
}

impl Design for CsrDesign<'_> {
    fn n_rows(&self) -> usize {
        self.x.n_rows
    }

    fn n_cols(&self) -> usize {
        self.x.n_cols
    }

    fn scores_block(
        &self,
        kernel: Kernel,
        rows: Range<usize>,
        w: &[f64],
        b: &[f64],
        z: &mut [f64],
    ) {
        debug_assert_eq!(z.len(), rows.len() * b.len());
        let p = self.x.n_cols;
        let shifted: Vec<f64> = if self.shifted {
            b.iter()
                .enumerate()
                .map(|(c, &bc)| bc - dot_copies(kernel, &w[c * p..(c + 1) * p], &self.shift))
                .collect()
        } else {
            b.to_vec()
        };
        let x = self.x;
        scores_copies(
            kernel,
            self.offsets(&rows),
            &x.indices,
            &x.values,
            w,
            &shifted,
            z,
        );
    }

    fn add_xt_r_block(&self, kernel: Kernel, rows: Range<usize>, r: &[f64], g: &mut [f64]) {
        let p = self.x.n_cols;
        let x = self.x;
        xt_r_copies(kernel, self.offsets(&rows), &x.indices, &x.values, r, p, g);
        if self.shifted && p > 0 {
            let k = g.len() / p;
            for c in 0..k {
                let total = column_sum(r, k, c);
                if total != 0.0 {
                    for (gj, &s) in g[c * p..(c + 1) * p].iter_mut().zip(&self.shift) {
                        *gj -= s * total;
                    }
                }
            }
        }
    }

    fn add_gram_block(
        &self,
        kernel: Kernel,
        rows: Range<usize>,
        d: &[f64],
        m: usize,
        intercept: bool,
        parts: &mut [f64],
    ) {
        debug_assert_eq!(d.len(), rows.len() * m);
        let p = self.x.n_cols;
        let q = p + usize::from(intercept);
        let cells = q * q;
        let mut u = vec![0.0; m * (p + 1)];
        let x = self.x;
        gram_copies(
            kernel,
            self.offsets(&rows),
            &x.indices,
            &x.values,
            p,
            d,
            m,
            intercept,
            &mut u,
            parts,
        );
        let s = &self.shift;
        for t in 0..m {
            let part = &mut parts[t * cells..(t + 1) * cells];
            let ut = &u[t * (p + 1)..(t + 1) * (p + 1)];
            let total = ut[p];
            if self.shifted {
                for a in 0..p {
                    let row = &mut part[a * q..a * q + p];
                    let (sa, ua) = (s[a], ut[a]);
                    for c in a..p {
                        row[c] += s[a] * s[c] * total - (sa * ut[c] + s[c] * ua);
                    }
                }
            }
            if intercept {
                for a in 0..p {
                    part[a * q + p] += if self.shifted {
                        ut[a] - s[a] * total
                    } else {
                        ut[a]
                    };
                }
                part[p * q + p] += total;
            }
        }
    }

    fn row_into(&self, i: usize, out: &mut [f64]) {
        for (o, s) in out.iter_mut().zip(&self.shift) {
            *o = -s;
        }
        let (idx, val) = self.x.row(i);
        for (&j, &v) in idx.iter().zip(val) {
            out[j as usize] = v - self.shift[j as usize];
        }
    }

    fn sum_of_squares(&self, weights: Option<&[f64]>) -> f64 {
        let base: f64 = self.shift.iter().map(|s| s * s).sum();
        let mut total = 0.0;
        for i in 0..self.x.n_rows {
            let si = weights.map_or(1.0, |s| s[i]);
            if si == 0.0 {
                continue;
            }
            let (idx, val) = self.x.row(i);
            // ||x~_i||^2 = ||shift||^2 + sum_nnz ((x - s)^2 - s^2).
            let mut row = base;
            for (&j, &v) in idx.iter().zip(val) {
                let s = self.shift[j as usize];
                let dv = v - s;
                row += dv * dv - s * s;
            }
            total += si * row.max(0.0);
        }
        total
    }

    fn first_non_finite(&self) -> Option<(usize, usize, f64)> {
        if let Some(j) = self.shift.iter().position(|s| !s.is_finite()) {
            if self.x.n_rows > 0 {
                let mut row = vec![0.0; self.x.n_cols];
                self.row_into(0, &mut row);
                return Some((0, j, row[j]));
            }
        }
        for i in 0..self.x.n_rows {
            let (idx, val) = self.x.row(i);
            if let Some(t) = val.iter().position(|v| !v.is_finite()) {
                return Some((i, idx[t] as usize, val[t] - self.shift[idx[t] as usize]));
            }
        }
        None
    }

    /// At least `4 p / (stored entries per row)` rows, so that the `O(k p)` work per block (the
    /// shift folds here, the partial gradient of the objective) stays a fraction of the
    /// block's `O(k nnz)`.
    fn block_rows(&self, requested: usize) -> usize {
        let (n, p, nnz) = (self.x.n_rows, self.x.n_cols, self.x.nnz().max(1));
        let wide = (4 * p as u128 * n as u128).div_ceil(nnz as u128);
        let wide = usize::try_from(wide).unwrap_or(usize::MAX);
        requested.max(wide.min(n.max(1)))
    }

    fn as_sparse(&self) -> Option<(&CsrMatrix, &[f64])> {
        Some((self.x, &self.shift))
    }
}

/// The dense matrix of any design, row by row (linfa-logistic, and small problems that need
/// one).
pub fn dense_copy(design: &dyn Design) -> Array2<f64> {
    if let Some(x) = design.as_dense() {
        return x.to_owned();
    }
    let mut x = Array2::zeros((design.n_rows(), design.n_cols()));
    for (i, mut row) in x.rows_mut().into_iter().enumerate() {
        design.row_into(
            i,
            row.as_slice_mut()
                .expect("rows of a new array are contiguous"),
        );
    }
    x
}

/// `sum_i r[i k + c]` over the block's rows, with [`LANES`] interleaved partial sums (a fixed
/// association whatever the kernel).
fn column_sum(r: &[f64], k: usize, c: usize) -> f64 {
    let n = r.len() / k.max(1);
    let mut acc = [0.0; LANES];
    for i in 0..n {
        acc[i % LANES] += r[i * k + c];
    }
    sum_lanes(acc)
}

#[cfg(test)]
pub(crate) mod tests;

//! The design matrix: the [`Design`] interface the objective and solvers see, its dense
//! implementation, and standardisation (and the way back to original units).
//!
//! Features are centred on the training mean and divided by the population standard deviation
//! (ddof = 0), as glmnet and Spark do, so the L2 penalty treats every feature alike; with row
//! weights both are weighted (glmnet's convention). A column with zero variance keeps scale 1
//! (it is all zeros once centred and its weight stays 0).

use std::fmt::Debug;
use std::ops::Range;

use column_pass::column_sums;
pub(crate) use column_pass::ChunkedSums;
use ndarray::{Array2, ArrayView1, ArrayView2, Axis};

mod choice;
mod column_pass;
pub mod columns;
mod csc;
pub(crate) mod csr;
mod dense;
pub mod kernel;
mod matrix;
mod scale_sparse;
pub mod sparse;

pub use choice::DesignChoice;
pub use columns::{Columns, DenseColumns};
pub use csc::{columns_of, CscColumns};
pub use csr::{dense_copy, CsrDesign};
pub use dense::DenseDesign;
pub use kernel::Kernel;
pub(crate) use matrix::dense_nnz;
pub use matrix::Matrix;
pub use sparse::CsrMatrix;

/// A design matrix as the objective and the solvers see it: a few block operations over a range
/// of rows, each compiled per [`Kernel`] by the implementation so the loops stay vectorised.
/// Nothing outside the implementation assumes a storage layout ([`DenseDesign`], [`CsrDesign`]).
///
/// Conventions: `rows` is a range of row indices; `k` score columns per row are stored row-major
/// (`z[(i - rows.start) * k + c]`); coefficients `w` are `k x n_cols` row-major. Every operation
/// must give bit-identical results for every kernel (same operations in the same order).
pub trait Design: Sync + Debug {
    fn n_rows(&self) -> usize;
    fn n_cols(&self) -> usize;

    /// Scores of a block: `z[(i - start) * k + c] = b[c] + x_i . w[c * p .. (c + 1) * p]` with
    /// `k = b.len()`.
    fn scores_block(&self, kernel: Kernel, rows: Range<usize>, w: &[f64], b: &[f64], z: &mut [f64]);

    /// Adds `R^T X_block` into a gradient: `g[c * p + j] += sum_i r[(i - start) * k + c] x_ij`,
    /// `k = g.len() / p` score columns (rows in order, so the sums have a fixed association).
    fn add_xt_r_block(&self, kernel: Kernel, rows: Range<usize>, r: &[f64], g: &mut [f64]);

    /// Adds `m` weighted Gram matrices of the block: for `t < m`,
    /// `parts[t q^2 + a q + c] += sum_i d[(i - start) m + t] x1_ia x1_ic` over the upper triangle
    /// `a <= c`, where `x1 = [x, 1]` with the intercept (`q = p + 1`) or `x` (`q = p`). Rows
    /// whose weight is exactly 0 are skipped. For Hessians and the separation probe.
    fn add_gram_block(
        &self,
        kernel: Kernel,
        rows: Range<usize>,
        d: &[f64],
        m: usize,
        intercept: bool,
        parts: &mut [f64],
    );

    /// Row `i` written densely into `out` (`n_cols` long); for the rarely run paths
    /// (separation certificates).
    fn row_into(&self, i: usize, out: &mut [f64]);

    /// `sum_i s_i ||x_i||^2` (`s_i = 1` without weights), for gradient descent's step bound.
    fn sum_of_squares(&self, weights: Option<&[f64]>) -> f64;

    /// The first non-finite entry as `(row, column, value)`, if any.
    fn first_non_finite(&self) -> Option<(usize, usize, f64)>;

    /// The matrix itself, when it is stored dense (summaries and linfa need one).
    fn as_dense(&self) -> Option<ArrayView2<'_, f64>> {
        None
    }

    /// Rows per block for the row passes, given the `requested` (`exec.block_rows`): a
    /// function of the shape only, never of the threads, so the sums stay deterministic.
    fn block_rows(&self, requested: usize) -> usize {
        requested
    }

    /// The stored (scaled) values and the implicit column shift, when the design is a
    /// [`CsrDesign`] (coordinate descent builds its column copy from them).
    fn as_sparse(&self) -> Option<(&CsrMatrix, &[f64])> {
        None
    }

    /// A column copy the design makes itself (coordinate descent's [`columns_of`]), when it
    /// has a better one than the in-memory copy: the out-of-core design maps it from a file.
    fn column_copy(&self) -> Option<Box<dyn Columns>> {
        None
    }
}

/// Values below which the scaler's passes stay on one thread.
const PARALLEL_VALUES: usize = 1 << 20;

/// Threads for a pass over `values` matrix entries: one for small matrices, else every core.
fn parallel_threads(values: usize) -> usize {
    if values < PARALLEL_VALUES {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

/// Each column's population standard deviation, weighted when `weights` is given
/// (`sqrt(sum_i s_i (x_ij - m_j)^2 / S)`, rows of weight 0 skipped; 0 for a constant column,
/// unlike the scaler's scale): the summary's "per SD" effects. Columns shared among threads,
/// each summed over the rows in order, so the values do not depend on the threads.
pub(crate) fn column_sd(x: ArrayView2<f64>, weights: Option<ArrayView1<f64>>) -> Vec<f64> {
    let weight = |i: usize| weights.map_or(1.0, |s| s[i]);
    let total: f64 = (0..x.nrows()).map(weight).sum();
    let mut mean = column_sums(x, None, |i| Some(weight(i)), |s, v, _| s * v);
    mean.iter_mut().for_each(|m| *m /= total);
    let nonzero = |i: usize| Some(weight(i)).filter(|s| *s != 0.0);
    let var = column_sums(x, Some(&mean), nonzero, |s, v, m| s * (v - m) * (v - m));
    var.into_iter().map(|v| (v / total).sqrt()).collect()
}

/// Per-column training mean and population standard deviation.
#[derive(Debug, Clone, PartialEq)]
pub struct Scaler {
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
}

impl Scaler {
    /// Statistics of each column of `x`. With `center` false the means are 0 (used without an
    /// intercept, where centring would smuggle one in) and the scale is the root mean square.
    pub fn fit(x: ArrayView2<f64>, center: bool) -> Scaler {
        let (n_rows, p) = x.dim();
        let n = n_rows as f64;
        // Two passes over the rows (contiguous in memory): the means, then the mean squared
        // deviations (no cancellation, unlike sum of squares minus squared sum).
        let mut mean = vec![0.0; p];
        if center {
            mean = column_sums(x, None, |_| Some(1.0), |_, v, _| v);
            mean.iter_mut().for_each(|m| *m /= n);
            if mean.iter().any(|m| !m.is_finite()) {
                // A column sum overflowed (values near f64::MAX): average scaled values instead.
                mean = vec![0.0; p];
                for row in x.axis_iter(Axis(0)) {
                    for (m, v) in mean.iter_mut().zip(row) {
                        *m += v / n;
                    }
                }
            }
        }
        let var = column_sums(
            x,
            Some(&mean),
            |_| Some(1.0),
            |_, v, m| {
                let d = v - m;
                d * d
            },
        );
        let mut std: Vec<f64> = var.iter().map(|s| (s / n).sqrt()).collect();
        for j in 0..p {
            if !std[j].is_finite() {
                // Squares overflowed: scale the deviations by their largest magnitude first.
                let column = x.column(j);
                let scale = column
                    .iter()
                    .fold(0.0f64, |a, v| a.max((v - mean[j]).abs()));
                let sum: f64 = column.iter().map(|v| ((v - mean[j]) / scale).powi(2)).sum();
                std[j] = scale * (sum / n).sqrt();
            }
        }
        Scaler::from_moments(mean, std, None, center)
    }

    /// Weighted statistics, glmnet's convention: `mean_j = sum_i s_i x_ij / S` and
    /// `std_j = sqrt(sum_i s_i (x_ij - mean_j)^2 / S)`, `S = sum_i s_i`. Rows of weight 0 have no
    /// influence (their values are never multiplied in, so even huge ones cannot overflow a
    /// sum); `weights` `None` is [`Scaler::fit`] bit for bit. A column constant over the rows of
    /// positive weight keeps scale 1. With `center` false the means are 0 and the scale is the
    /// weighted root mean square.
    ///
    /// # Panics
    /// If `weights` does not have one entry per row.
    pub fn fit_weighted(
        x: ArrayView2<f64>,
        center: bool,
        weights: Option<ArrayView1<f64>>,
    ) -> Scaler {
        let Some(s) = weights else {
            return Scaler::fit(x, center);
        };
        assert_eq!(s.len(), x.nrows(), "one weight per row");
        let p = x.ncols();
        let total: f64 = s.iter().sum();
        let mut mean = vec![0.0; p];
        if center && total > 0.0 {
            mean = column_sums(
                x,
                None,
                |i| Some(s[i]).filter(|si| *si != 0.0),
                |si, v, _| si * v,
            );
            mean.iter_mut().for_each(|m| *m /= total);
            if mean.iter().any(|m| !m.is_finite()) {
                // A weighted sum overflowed: average with the weights scaled first.
                mean = vec![0.0; p];
                for (row, &si) in x.axis_iter(Axis(0)).zip(s.iter()) {
                    if si != 0.0 {
                        let f = si / total;
                        for (m, v) in mean.iter_mut().zip(row) {
                            *m += f * v;
                        }
                    }
                }
            }
        }
        let var = column_sums(
            x,
            Some(&mean),
            |i| Some(s[i]).filter(|si| *si != 0.0),
            |si, v, m| {
                let d = v - m;
                si * (d * d)
            },
        );
        let mut std: Vec<f64> = var.iter().map(|v| (v / total).sqrt()).collect();
        for j in 0..p {
            if !std[j].is_finite() && total > 0.0 {
                // Squares overflowed: scale the deviations by their largest magnitude first.
                let column = x.column(j);
                let rows = || column.iter().zip(s.iter()).filter(|(_, &si)| si != 0.0);
                let scale = rows().fold(0.0f64, |a, (v, _)| a.max((v - mean[j]).abs()));
                let sum: f64 = rows()
                    .map(|(v, &si)| si * ((v - mean[j]) / scale).powi(2))
                    .sum();
                std[j] = scale * (sum / total).sqrt();
            }
        }
        // A column constant over the rows that count is exactly 0 once centred, with scale 1
        // (the weighted mean of equal values need not round back to that value).
        let mut constant: Vec<Option<f64>> = vec![None; p];
        let mut first = true;
        for (row, &si) in x.axis_iter(Axis(0)).zip(s.iter()) {
            if si == 0.0 {
                continue;
            }
            for (c, &v) in constant.iter_mut().zip(row) {
                if first {
                    *c = Some(v);
                } else if *c != Some(v) {
                    *c = None;
                }
            }
            first = false;
        }
        Scaler::from_moments(mean, std, Some(&constant), center)
    }

    /// The scaler from each column's mean and standard deviation, by the rule every fit of
    /// the statistics ends with (in memory and in the row cache alike): a column whose
    /// deviation is zero or not finite, or (`constant`, weighted fits) whose value is the same
    /// on every row that counts, keeps scale 1; with `center`, such a constant column's mean
    /// is its value exactly, so it standardises to exactly 0.
    pub(crate) fn from_moments(
        mut mean: Vec<f64>,
        std: Vec<f64>,
        constant: Option<&[Option<f64>]>,
        center: bool,
    ) -> Scaler {
        let is_constant = |j: usize| constant.is_some_and(|c| c[j].is_some());
        let std = std
            .into_iter()
            .enumerate()
            .map(|(j, s)| {
                if s > 0.0 && s.is_finite() && !is_constant(j) {
                    s
                } else {
                    1.0
                }
            })
            .collect();
        if let (true, Some(constant)) = (center, constant) {
            for (m, c) in mean.iter_mut().zip(constant) {
                if let Some(v) = c {
                    *m = *v;
                }
            }
        }
        Scaler { mean, std }
    }

    /// The identity scaling (for `--no-standardize`).
    pub fn identity(n_features: usize) -> Scaler {
        Scaler {
            mean: vec![0.0; n_features],
            std: vec![1.0; n_features],
        }
    }

    /// Standardises `x` in place (`(x - mean) / std`, element by element; rows shared among
    /// threads when the matrix is large).
    pub fn apply(&self, x: &mut Array2<f64>) {
        let p = x.ncols();
        let threads = parallel_threads(x.len());
        match x.as_slice_mut() {
            Some(data) if threads > 1 && p > 0 => {
                let rows_per = (data.len() / p).div_ceil(threads).max(1);
                std::thread::scope(|scope| {
                    for part in data.chunks_mut(rows_per * p) {
                        scope.spawn(move || {
                            for row in part.chunks_exact_mut(p) {
                                for ((v, m), s) in row.iter_mut().zip(&self.mean).zip(&self.std) {
                                    *v = (*v - m) / s;
                                }
                            }
                        });
                    }
                });
            }
            _ => {
                for mut row in x.axis_iter_mut(Axis(0)) {
                    for ((v, m), s) in row.iter_mut().zip(&self.mean).zip(&self.std) {
                        *v = (*v - m) / s;
                    }
                }
            }
        }
    }

    /// Coefficients and intercept in original units from standardised ones:
    /// `w_j = w'_j / std_j`, `b = b' - sum_j w'_j mean_j / std_j`.
    pub fn to_original(&self, weights: &[f64], intercept: f64) -> (Vec<f64>, f64) {
        let w: Vec<f64> = weights.iter().zip(&self.std).map(|(w, s)| w / s).collect();
        let shift: f64 = w.iter().zip(&self.mean).map(|(w, m)| w * m).sum();
        (w, intercept - shift)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn standardises_with_population_std_and_maps_back() {
        let mut x = array![[1.0, 5.0, 2.0], [3.0, 5.0, 4.0], [5.0, 5.0, 9.0]];
        let raw = x.clone();
        let s = Scaler::fit(x.view(), true);
        assert_eq!(s.mean, vec![3.0, 5.0, 5.0]);
        // population std of 1,3,5 is sqrt(8/3); the constant column keeps scale 1.
        assert!((s.std[0] - (8.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert_eq!(s.std[1], 1.0);
        s.apply(&mut x);
        assert!(x.column(0).sum().abs() < 1e-15 && x.column(1).iter().all(|&v| v == 0.0));
        // The same linear score in both parameterisations.
        let (w_std, b_std) = ([0.7, 3.0, -1.2], 0.3);
        let (w, b) = s.to_original(&w_std, b_std);
        for i in 0..3 {
            let z_std: f64 = b_std + (0..3).map(|j| w_std[j] * x[[i, j]]).sum::<f64>();
            let z: f64 = b + (0..3).map(|j| w[j] * raw[[i, j]]).sum::<f64>();
            assert!((z - z_std).abs() < 1e-12);
        }
    }

    #[test]
    fn weighted_statistics_follow_glmnet_and_ignore_zero_weights() {
        let x = array![
            [1.0, 5.0, 2.0],
            [3.0, 5.0, 4.0],
            [5.0, 5.0, 9.0],
            [1e300, 7.0, -3.0]
        ];
        let w = array![1.0, 2.0, 1.0, 0.0];
        let s = Scaler::fit_weighted(x.view(), true, Some(w.view()));
        // Weight 2 = the row twice, weight 0 = the row left out.
        let dup = array![
            [1.0, 5.0, 2.0],
            [3.0, 5.0, 4.0],
            [3.0, 5.0, 4.0],
            [5.0, 5.0, 9.0]
        ];
        let u = Scaler::fit(dup.view(), true);
        for j in 0..3 {
            assert!((s.mean[j] - u.mean[j]).abs() <= 1e-15 * u.mean[j].abs());
            assert!((s.std[j] - u.std[j]).abs() <= 1e-15 * u.std[j]);
        }
        // mean 3, var (4 + 0 + 0 + 4) / 4 = 2; the constant column (over weighted rows) is
        // exactly 5 with scale 1.
        assert_eq!(s.mean[0], 3.0);
        assert!((s.std[0] - 2.0f64.sqrt()).abs() < 1e-15);
        assert_eq!((s.mean[1], s.std[1]), (5.0, 1.0));
        // No weights: today's statistics, bit for bit.
        assert_eq!(
            Scaler::fit_weighted(x.view(), true, None),
            Scaler::fit(x.view(), true)
        );
        assert_eq!(
            Scaler::fit_weighted(x.view(), false, None),
            Scaler::fit(x.view(), false)
        );
        let r = Scaler::fit_weighted(x.view(), false, Some(w.view()));
        assert_eq!(r.mean, vec![0.0; 3]);
        assert!((r.std[0] - 11.0f64.sqrt()).abs() < 1e-14);
    }
}

//! Column access to a design matrix, for coordinate descent (`fit::cd`): every coordinate
//! update reads one column, which a row-major [`Design`] cannot give cheaply.
//!
//! [`Columns`] is the small interface the solver uses; [`DenseColumns`] is a column-major copy
//! built once per fit (or once per regularisation path and reused across its lambdas). A sparse
//! (CSC) implementation only has to provide the same handful of operations.
//!
//! Every operation is compiled once per [`Kernel`] and keeps a fixed association of its sums
//! (16 interleaved partial sums, combined pairwise in a fixed order), so every kernel copy gives
//! the same bits.

use std::fmt::Debug;

use super::kernel::{kernel_copies, Kernel};
use super::Design;

/// Column operations over a design with `n_rows` rows. `j` is a column index; the vectors are
/// `n_rows` long.
pub trait Columns: Sync + Debug {
    fn n_rows(&self) -> usize;
    fn n_cols(&self) -> usize;

    /// `x_j . v`.
    fn dot(&self, kernel: Kernel, j: usize, v: &[f64]) -> f64;

    /// `v += alpha x_j`.
    fn axpy(&self, kernel: Kernel, j: usize, alpha: f64, v: &mut [f64]);

    /// `v += alpha (s o x_j)` (elementwise product with `s`).
    fn axpy_scaled(&self, kernel: Kernel, j: usize, alpha: f64, s: &[f64], v: &mut [f64]);

    /// `sum_i h_i x_ij^2`.
    fn weighted_sq(&self, kernel: Kernel, j: usize, h: &[f64]) -> f64;

    /// `(sum_i h_i x_ij, sum_i h_i x_ij^2)` in one pass.
    fn weighted_moments(&self, kernel: Kernel, j: usize, h: &[f64]) -> (f64, f64);

    /// `d += alpha x_k` (when `pending = Some((k, alpha))`), then `sum_i x_ij (r_i - a_i d_i)`
    /// at the updated `d`, in one pass: a coordinate step fused with the next coordinate's
    /// gradient (the same operations per element as [`Columns::axpy`] then
    /// [`Columns::dot_model`], so the same bits).
    fn step_then_dot_model(
        &self,
        kernel: Kernel,
        pending: Option<(usize, f64)>,
        j: usize,
        r: &[f64],
        a: &[f64],
        d: &mut [f64],
    ) -> f64;

    /// `sum_i x_ij (r_i - a_i (d_i - m_i))` (`m = 0` when `None`): the gradient of a quadratic
    /// model of the loss along column `j` (see `fit::cd`), in one pass.
    fn dot_model(
        &self,
        kernel: Kernel,
        j: usize,
        r: &[f64],
        a: &[f64],
        d: &[f64],
        m: Option<&[f64]>,
    ) -> f64;
}

/// A dense column-major copy of a design: column `j` is `data[j n .. (j + 1) n]`.
#[derive(Debug, Clone)]
pub struct DenseColumns {
    n: usize,
    p: usize,
    data: ColumnValues,
}

/// The values of a [`DenseColumns`]: its own, or shared storage such as a memory-mapped file.
#[derive(Debug, Clone)]
enum ColumnValues {
    Owned(Vec<f64>),
    Shared(std::sync::Arc<dyn SharedColumns>),
}

/// Column-major values held elsewhere (`n_rows x n_cols`, column `j` at `j n_rows`).
pub trait SharedColumns: AsRef<[f64]> + Send + Sync + Debug {}
impl<T: AsRef<[f64]> + Send + Sync + Debug> SharedColumns for T {}

impl DenseColumns {
    /// The column-major copy of `design` (one pass over its rows).
    pub fn from_design(design: &dyn Design) -> DenseColumns {
        let n = design.n_rows();
        let p = design.n_cols();
        let mut data = vec![0.0; n * p];
        match design.as_dense() {
            Some(x) => {
                for (j, col) in x.columns().into_iter().enumerate() {
                    for (o, v) in data[j * n..(j + 1) * n].iter_mut().zip(col) {
                        *o = *v;
                    }
                }
            }
            None => {
                let mut row = vec![0.0; p];
                for i in 0..n {
                    design.row_into(i, &mut row);
                    for (j, v) in row.iter().enumerate() {
                        data[j * n + i] = *v;
                    }
                }
            }
        }
        DenseColumns {
            n,
            p,
            data: ColumnValues::Owned(data),
        }
    }

    /// Column-major `n x p` values kept in `values` (at least `n p` long).
    pub fn shared(n: usize, p: usize, values: std::sync::Arc<dyn SharedColumns>) -> DenseColumns {
        assert!(
            (*values).as_ref().len() >= n * p,
            "n x p column-major values"
        );
        DenseColumns {
            n,
            p,
            data: ColumnValues::Shared(values),
        }
    }

    /// Column `j`.
    pub fn column(&self, j: usize) -> &[f64] {
        let data: &[f64] = match &self.data {
            ColumnValues::Owned(v) => v,
            ColumnValues::Shared(v) => (**v).as_ref(),
        };
        &data[j * self.n..(j + 1) * self.n]
    }
}

impl Columns for DenseColumns {
    fn n_rows(&self) -> usize {
        self.n
    }

    fn n_cols(&self) -> usize {
        self.p
    }

    fn dot(&self, kernel: Kernel, j: usize, v: &[f64]) -> f64 {
        dot_copies(kernel, self.column(j), v)
    }

    fn axpy(&self, kernel: Kernel, j: usize, alpha: f64, v: &mut [f64]) {
        axpy_copies(kernel, alpha, self.column(j), v);
    }

    fn axpy_scaled(&self, kernel: Kernel, j: usize, alpha: f64, s: &[f64], v: &mut [f64]) {
        axpy_scaled_copies(kernel, alpha, self.column(j), s, v);
    }

    fn weighted_sq(&self, kernel: Kernel, j: usize, h: &[f64]) -> f64 {
        weighted_sq_copies(kernel, self.column(j), h)
    }

    fn weighted_moments(&self, kernel: Kernel, j: usize, h: &[f64]) -> (f64, f64) {
        moments_copies(kernel, self.column(j), h)
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
        match pending {
            None => dot_model_copies(kernel, self.column(j), r, a, d),
            Some((k, alpha)) => {
                fused_copies(kernel, self.column(k), alpha, self.column(j), r, a, d)
            }
        }
    }

    fn dot_model(
        &self,
        kernel: Kernel,
        j: usize,
        r: &[f64],
        a: &[f64],
        d: &[f64],
        m: Option<&[f64]>,
    ) -> f64 {
        let x = self.column(j);
        match m {
            None => dot_model_copies(kernel, x, r, a, d),
            Some(m) => dot_model_m_copies(kernel, x, r, a, d, m),
        }
    }
}

/// Partial sums per reduction: four AVX2 (two AVX-512) registers, so the additions of a long
/// reduction overlap; the association is fixed by the source, whatever the vector width.
pub const LANES: usize = 16;

/// Adds the lanes pairwise in a fixed order.
#[inline(always)]
pub fn sum_lanes(mut acc: [f64; LANES]) -> f64 {
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for j in 0..width {
            acc[j] += acc[j + width];
        }
    }
    acc[0]
}

/// `sum_i term(i)` over `0..n` with [`LANES`] interleaved partial sums.
#[inline(always)]
pub fn lane_sum(n: usize, term: impl Fn(usize) -> f64) -> f64 {
    let mut acc = [0.0; LANES];
    let whole = n - n % LANES;
    let mut i = 0;
    while i < whole {
        for (l, a) in acc.iter_mut().enumerate() {
            *a += term(i + l);
        }
        i += LANES;
    }
    for (l, a) in acc.iter_mut().enumerate().take(n - whole) {
        *a += term(whole + l);
    }
    sum_lanes(acc)
}

kernel_copies!(pub fn dot_copies(x: &[f64], v: &[f64]) -> f64 = dot_kernel);

#[inline(always)]
fn dot_kernel(x: &[f64], v: &[f64]) -> f64 {
    let n = x.len().min(v.len());
    let mut acc = [0.0; LANES];
    let (xc, vc) = (x[..n].chunks_exact(LANES), v[..n].chunks_exact(LANES));
    let (xt, vt) = (xc.remainder(), vc.remainder());
    for (xs, vs) in xc.zip(vc) {
        let xs: &[f64; LANES] = xs.try_into().expect("exact chunk");
        let vs: &[f64; LANES] = vs.try_into().expect("exact chunk");
        for l in 0..LANES {
            acc[l] += xs[l] * vs[l];
        }
    }
    for (l, (a, b)) in xt.iter().zip(vt).enumerate() {
        acc[l] += a * b;
    }
    sum_lanes(acc)
}

kernel_copies!(fn axpy_copies(alpha: f64, x: &[f64], v: &mut [f64]) = axpy_kernel);

#[inline(always)]
fn axpy_kernel(alpha: f64, x: &[f64], v: &mut [f64]) {
    for (o, xi) in v.iter_mut().zip(x) {
        *o += alpha * xi;
    }
}

kernel_copies!(fn axpy_scaled_copies(alpha: f64, x: &[f64], s: &[f64], v: &mut [f64]) = axpy_scaled_kernel);

#[inline(always)]
fn axpy_scaled_kernel(alpha: f64, x: &[f64], s: &[f64], v: &mut [f64]) {
    for ((o, xi), si) in v.iter_mut().zip(x).zip(s) {
        *o += alpha * (si * xi);
    }
}

kernel_copies!(fn weighted_sq_copies(x: &[f64], h: &[f64]) -> f64 = weighted_sq_kernel);

#[inline(always)]
fn weighted_sq_kernel(x: &[f64], h: &[f64]) -> f64 {
    moments_kernel(x, h).1
}

kernel_copies!(fn moments_copies(x: &[f64], h: &[f64]) -> (f64, f64) = moments_kernel);

#[inline(always)]
fn moments_kernel(x: &[f64], h: &[f64]) -> (f64, f64) {
    let n = x.len().min(h.len());
    let mut first = [0.0; LANES];
    let mut second = [0.0; LANES];
    let (xc, hc) = (x[..n].chunks_exact(LANES), h[..n].chunks_exact(LANES));
    let (xt, ht) = (xc.remainder(), hc.remainder());
    for (xs, hs) in xc.zip(hc) {
        let xs: &[f64; LANES] = xs.try_into().expect("exact chunk");
        let hs: &[f64; LANES] = hs.try_into().expect("exact chunk");
        for l in 0..LANES {
            let hx = hs[l] * xs[l];
            first[l] += hx;
            second[l] += hx * xs[l];
        }
    }
    for (l, (xi, hi)) in xt.iter().zip(ht).enumerate() {
        let hx = hi * xi;
        first[l] += hx;
        second[l] += hx * xi;
    }
    (sum_lanes(first), sum_lanes(second))
}

kernel_copies!(fn dot_model_copies(x: &[f64], r: &[f64], a: &[f64], d: &[f64]) -> f64 = dot_model_kernel);

#[inline(always)]
fn dot_model_kernel(x: &[f64], r: &[f64], a: &[f64], d: &[f64]) -> f64 {
    let n = x.len();
    let mut acc = [0.0; LANES];
    let xc = x.chunks_exact(LANES);
    let rc = r[..n].chunks_exact(LANES);
    let ac = a[..n].chunks_exact(LANES);
    let dc = d[..n].chunks_exact(LANES);
    let tails = (
        xc.remainder(),
        rc.remainder(),
        ac.remainder(),
        dc.remainder(),
    );
    for (((xs, rs), as_), ds) in xc.zip(rc).zip(ac).zip(dc) {
        let xs: &[f64; LANES] = xs.try_into().expect("exact chunk");
        let rs: &[f64; LANES] = rs.try_into().expect("exact chunk");
        let as_: &[f64; LANES] = as_.try_into().expect("exact chunk");
        let ds: &[f64; LANES] = ds.try_into().expect("exact chunk");
        for l in 0..LANES {
            acc[l] += xs[l] * (rs[l] - as_[l] * ds[l]);
        }
    }
    let (xt, rt, at, dt) = tails;
    for l in 0..xt.len() {
        acc[l] += xt[l] * (rt[l] - at[l] * dt[l]);
    }
    sum_lanes(acc)
}

kernel_copies!(fn fused_copies(xk: &[f64], alpha: f64, x: &[f64], r: &[f64], a: &[f64], d: &mut [f64]) -> f64 = fused_kernel);

#[inline(always)]
fn fused_kernel(xk: &[f64], alpha: f64, x: &[f64], r: &[f64], a: &[f64], d: &mut [f64]) -> f64 {
    let n = x.len();
    let mut acc = [0.0; LANES];
    let kc = xk[..n].chunks_exact(LANES);
    let xc = x.chunks_exact(LANES);
    let rc = r[..n].chunks_exact(LANES);
    let ac = a[..n].chunks_exact(LANES);
    let tails = (
        kc.remainder(),
        xc.remainder(),
        rc.remainder(),
        ac.remainder(),
    );
    let mut dc = d[..n].chunks_exact_mut(LANES);
    for ((((ks, xs), rs), as_), ds) in kc.zip(xc).zip(rc).zip(ac).zip(&mut dc) {
        let ks: &[f64; LANES] = ks.try_into().expect("exact chunk");
        let xs: &[f64; LANES] = xs.try_into().expect("exact chunk");
        let rs: &[f64; LANES] = rs.try_into().expect("exact chunk");
        let as_: &[f64; LANES] = as_.try_into().expect("exact chunk");
        let ds: &mut [f64; LANES] = ds.try_into().expect("exact chunk");
        for l in 0..LANES {
            let di = ds[l] + alpha * ks[l];
            ds[l] = di;
            acc[l] += xs[l] * (rs[l] - as_[l] * di);
        }
    }
    let (kt, xt, rt, at) = tails;
    for (l, dl) in dc.into_remainder().iter_mut().enumerate() {
        let di = *dl + alpha * kt[l];
        *dl = di;
        acc[l] += xt[l] * (rt[l] - at[l] * di);
    }
    sum_lanes(acc)
}

kernel_copies!(fn dot_model_m_copies(x: &[f64], r: &[f64], a: &[f64], d: &[f64], m: &[f64]) -> f64 = dot_model_m_kernel);

#[inline(always)]
fn dot_model_m_kernel(x: &[f64], r: &[f64], a: &[f64], d: &[f64], m: &[f64]) -> f64 {
    let n = x.len();
    let mut acc = [0.0; LANES];
    let xc = x.chunks_exact(LANES);
    let rc = r[..n].chunks_exact(LANES);
    let ac = a[..n].chunks_exact(LANES);
    let dc = d[..n].chunks_exact(LANES);
    let mc = m[..n].chunks_exact(LANES);
    let tails = (
        xc.remainder(),
        rc.remainder(),
        ac.remainder(),
        dc.remainder(),
        mc.remainder(),
    );
    for ((((xs, rs), as_), ds), ms) in xc.zip(rc).zip(ac).zip(dc).zip(mc) {
        let xs: &[f64; LANES] = xs.try_into().expect("exact chunk");
        let rs: &[f64; LANES] = rs.try_into().expect("exact chunk");
        let as_: &[f64; LANES] = as_.try_into().expect("exact chunk");
        let ds: &[f64; LANES] = ds.try_into().expect("exact chunk");
        let ms: &[f64; LANES] = ms.try_into().expect("exact chunk");
        for l in 0..LANES {
            acc[l] += xs[l] * (rs[l] - as_[l] * (ds[l] - ms[l]));
        }
    }
    let (xt, rt, at, dt, mt) = tails;
    for l in 0..xt.len() {
        acc[l] += xt[l] * (rt[l] - at[l] * (dt[l] - mt[l]));
    }
    sum_lanes(acc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn column_operations_match_plain_loops_for_every_kernel() {
        let (n, p) = (37, 3);
        let x = Array2::from_shape_fn((n, p), |(i, j)| ((i * 7 + j * 3) % 11) as f64 - 5.0);
        let cols = DenseColumns::from_design(&x);
        let v: Vec<f64> = (0..n).map(|i| (i as f64).sin()).collect();
        let h: Vec<f64> = (0..n).map(|i| 0.1 + (i % 5) as f64).collect();
        for kernel in Kernel::ALL.into_iter().filter(|k| k.supported()) {
            for j in 0..p {
                let col = x.column(j);
                let dot: f64 = col.iter().zip(&v).map(|(a, b)| a * b).sum();
                assert!((cols.dot(kernel, j, &v) - dot).abs() < 1e-12);
                let sq: f64 = col.iter().zip(&h).map(|(a, b)| a * a * b).sum();
                assert!((cols.weighted_sq(kernel, j, &h) - sq).abs() < 1e-10);
                let first: f64 = col.iter().zip(&h).map(|(a, b)| a * b).sum();
                let (m1, m2) = cols.weighted_moments(kernel, j, &h);
                assert!((m1 - first).abs() < 1e-10 && (m2 - sq).abs() < 1e-10);
                let model: f64 = (0..n).map(|i| col[i] * (v[i] - h[i] * (v[i] - 1.0))).sum();
                let ones = vec![1.0; n];
                let got = cols.dot_model(kernel, j, &v, &h, &v, Some(&ones));
                assert!((got - model).abs() < 1e-10);
                let mut d1 = h.clone();
                cols.axpy(kernel, (j + 1) % p, 0.5, &mut d1);
                let want = cols.dot_model(kernel, j, &v, &h, &d1, None);
                let mut d2 = h.clone();
                let got =
                    cols.step_then_dot_model(kernel, Some(((j + 1) % p, 0.5)), j, &v, &h, &mut d2);
                assert_eq!((got.to_bits(), &d2), (want.to_bits(), &d1));
                let mut out = v.clone();
                cols.axpy_scaled(kernel, j, 2.0, &h, &mut out);
                for i in 0..n {
                    assert_eq!(out[i], v[i] + 2.0 * (h[i] * col[i]));
                }
                assert_eq!(
                    cols.dot(kernel, j, &v).to_bits(),
                    cols.dot(Kernel::Scalar, j, &v).to_bits()
                );
            }
        }
    }
}

//! The dense row-major design matrix and its block operations, each compiled once per kernel.

use std::ops::Range;

use ndarray::{Array2, ArrayView2};

mod gram;

use super::kernel::{kernel_copies, Kernel};
use super::Design;
use gram::{gram_weighted, tile_rows};

/// A dense design matrix, `n_rows x n_cols`, read row by row.
///
/// Standard (row-major, contiguous) layout is the fast path; any other layout works through a
/// per-block copy.
#[derive(Debug, Clone, Copy)]
pub struct DenseDesign<'a> {
    x: ArrayView2<'a, f64>,
    /// The matrix as one row-major slice, when its layout allows.
    data: Option<&'a [f64]>,
}

impl<'a> DenseDesign<'a> {
    pub fn new(x: ArrayView2<'a, f64>) -> Self {
        let data = if x.is_standard_layout() {
            x.to_slice()
        } else {
            None
        };
        DenseDesign { x, data }
    }

    /// The matrix.
    pub fn view(&self) -> ArrayView2<'a, f64> {
        self.x
    }

    /// Adds [`Design::sum_of_squares`] of these rows to `total`, one term at a time in
    /// element order (unweighted) or row order (`weights`, one per row, rows of weight 0
    /// skipped), so a matrix fed in consecutive pieces gives the whole matrix's bits (the row
    /// cache's chunks).
    pub fn add_sum_of_squares(&self, weights: Option<&[f64]>, total: &mut f64) {
        match weights {
            None => self.x.iter().for_each(|v| *total += v * v),
            Some(s) => {
                for (row, &si) in self.x.rows().into_iter().zip(s) {
                    if si != 0.0 {
                        *total += si * row.iter().map(|v| v * v).sum::<f64>();
                    }
                }
            }
        }
    }

    /// Rows `rows` as one row-major slice (borrowed, or copied into `buf` for other layouts).
    fn block<'b>(&'b self, rows: &Range<usize>, buf: &'b mut Vec<f64>) -> &'b [f64] {
        let p = self.x.ncols();
        match self.data {
            Some(d) => &d[rows.start * p..rows.end * p],
            None => {
                buf.clear();
                for i in rows.clone() {
                    buf.extend(self.x.row(i).iter());
                }
                buf
            }
        }
    }
}

/// `sum_j a_j b_j` with four independent accumulators, so the compiler can vectorise it.
#[inline(always)]
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; 4];
    let chunks_a = a.chunks_exact(4);
    let chunks_b = b.chunks_exact(4);
    let tail: f64 = chunks_a
        .remainder()
        .iter()
        .zip(chunks_b.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (ca, cb) in chunks_a.zip(chunks_b) {
        for k in 0..4 {
            acc[k] += ca[k] * cb[k];
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// [`dot`] of four consecutive rows of `x` (each `p` long, `p == w.len()`) with `w`, bit for bit
/// the same four values, computed side by side.
#[inline(always)]
fn dot_rows4(x: &[f64], p: usize, w: &[f64]) -> [f64; 4] {
    let (r0, rest) = x.split_at(p);
    let (r1, rest) = rest.split_at(p);
    let (r2, r3) = rest.split_at(p);
    let r3 = &r3[..p];
    let w = &w[..p];
    let full = p / 4 * 4;
    let mut acc = [[0.0f64; 4]; 4];
    let mut c = 0;
    while c < full {
        for k in 0..4 {
            let wk = w[c + k];
            acc[0][k] += r0[c + k] * wk;
            acc[1][k] += r1[c + k] * wk;
            acc[2][k] += r2[c + k] * wk;
            acc[3][k] += r3[c + k] * wk;
        }
        c += 4;
    }
    let tail = |r: &[f64]| -> f64 { r[full..].iter().zip(&w[full..]).map(|(x, y)| x * y).sum() };
    let t = [tail(r0), tail(r1), tail(r2), tail(r3)];
    let mut out = [0.0; 4];
    for (o, (a, t)) in out.iter_mut().zip(acc.iter().zip(t)) {
        *o = (a[0] + a[1]) + (a[2] + a[3]) + t;
    }
    out
}

/// `out += alpha * x`.
#[inline(always)]
pub(crate) fn axpy(alpha: f64, x: &[f64], out: &mut [f64]) {
    for (o, v) in out.iter_mut().zip(x) {
        *o += alpha * v;
    }
}

kernel_copies!(fn scores_copies(x: &[f64], w: &[f64], b: &[f64], z: &mut [f64]) = scores_kernel);

#[inline(always)]
fn scores_kernel(x: &[f64], w: &[f64], b: &[f64], z: &mut [f64]) {
    let k = b.len();
    if k == 0 {
        return;
    }
    let p = w.len() / k;
    if p == 0 {
        for zr in z.chunks_exact_mut(k) {
            zr.copy_from_slice(b);
        }
        return;
    }
    if k == 1 {
        let b = b[0];
        // Four rows at a time: four independent chains of additions instead of one (a single
        // row's dot is latency-bound), each row's sum formed exactly as `dot` forms it.
        let mut z4 = z.chunks_exact_mut(4);
        let mut x4 = x.chunks_exact(4 * p);
        for (zq, rows) in (&mut z4).zip(&mut x4) {
            let d = dot_rows4(rows, p, w);
            for (zi, di) in zq.iter_mut().zip(d) {
                *zi = b + di;
            }
        }
        for (zi, row) in z4
            .into_remainder()
            .iter_mut()
            .zip(x4.remainder().chunks_exact(p))
        {
            *zi = b + dot(row, w);
        }
        return;
    }
    for (zr, row) in z.chunks_exact_mut(k).zip(x.chunks_exact(p)) {
        for ((zc, wc), &bc) in zr.iter_mut().zip(w.chunks_exact(p)).zip(b) {
            *zc = bc + dot8(row, wc);
        }
    }
}

/// `sum_j a_j b_j` with eight independent accumulators (two vector registers), for the
/// multi-score path: twice the chains of [`dot`], which the one-score path keeps so binary fits
/// stay bit-identical to 1.0.
#[inline(always)]
fn dot8(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; 8];
    let chunks_a = a.chunks_exact(8);
    let chunks_b = b.chunks_exact(8);
    let tail: f64 = chunks_a
        .remainder()
        .iter()
        .zip(chunks_b.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (ca, cb) in chunks_a.zip(chunks_b) {
        for k in 0..8 {
            acc[k] += ca[k] * cb[k];
        }
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

/// `g[j0 .. j0 + N] += sum_i r_i x_ij`, rows in order, with the `N` sums in registers.
#[inline(always)]
fn xt_r_columns<const N: usize>(x: &[f64], r: &[f64], p: usize, j0: usize, g: &mut [f64]) {
    let mut acc = [0.0f64; N];
    acc.copy_from_slice(&g[j0..j0 + N]);
    for (&ri, row) in r.iter().zip(x.chunks_exact(p)) {
        let part = &row[j0..j0 + N];
        for (a, v) in acc.iter_mut().zip(part) {
            *a += ri * v;
        }
    }
    g[j0..j0 + N].copy_from_slice(&acc);
}

kernel_copies!(fn xt_r_copies(x: &[f64], r: &[f64], p: usize, g: &mut [f64]) = xt_r_kernel);

#[inline(always)]
fn xt_r_kernel(x: &[f64], r: &[f64], p: usize, g: &mut [f64]) {
    if p == 0 {
        return;
    }
    let k = g.len() / p;
    if k == 1 {
        // Columns in groups held in registers over all the block's rows, instead of loading
        // and storing the whole gradient once per row: the same additions in the same (row)
        // order for every entry, so the same bits as one `axpy` per row.
        let mut j0 = 0;
        while j0 + 32 <= p {
            xt_r_columns::<32>(x, r, p, j0, g);
            j0 += 32;
        }
        if j0 + 16 <= p {
            xt_r_columns::<16>(x, r, p, j0, g);
            j0 += 16;
        }
        if j0 < p {
            for (&ri, row) in r.iter().zip(x.chunks_exact(p)) {
                axpy(ri, &row[j0..], &mut g[j0..]);
            }
        }
        return;
    }
    for (rr, row) in r.chunks_exact(k).zip(x.chunks_exact(p)) {
        for (&rc, gc) in rr.iter().zip(g.chunks_exact_mut(p)) {
            axpy(rc, row, gc);
        }
    }
}

kernel_copies!(fn gram_copies(x: &[f64], p: usize, d: &[f64], m: usize, intercept: bool, mr: usize, parts: &mut [f64]) = gram_kernel);

/// The `m` weighted Grams of a block, one after the other ([`gram_weighted`]: register tiles of
/// height `mr` over packed chunks of rows).
#[inline(always)]
fn gram_kernel(
    x: &[f64],
    p: usize,
    d: &[f64],
    m: usize,
    intercept: bool,
    mr: usize,
    parts: &mut [f64],
) {
    let q = p + usize::from(intercept);
    let cells = q * q;
    for (t, part) in parts.chunks_exact_mut(cells.max(1)).take(m).enumerate() {
        gram_weighted(x, p, d, m, t, intercept, mr, part);
    }
}

impl Design for DenseDesign<'_> {
    fn n_rows(&self) -> usize {
        self.x.nrows()
    }

    fn n_cols(&self) -> usize {
        self.x.ncols()
    }

    fn scores_block(
        &self,
        kernel: Kernel,
        rows: Range<usize>,
        w: &[f64],
        b: &[f64],
        z: &mut [f64],
    ) {
        let mut buf = Vec::new();
        let x = self.block(&rows, &mut buf);
        debug_assert_eq!(z.len(), rows.len() * b.len());
        scores_copies(kernel, x, w, b, z);
    }

    fn add_xt_r_block(&self, kernel: Kernel, rows: Range<usize>, r: &[f64], g: &mut [f64]) {
        let mut buf = Vec::new();
        let x = self.block(&rows, &mut buf);
        xt_r_copies(kernel, x, r, self.x.ncols(), g);
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
        let mut buf = Vec::new();
        let x = self.block(&rows, &mut buf);
        debug_assert_eq!(d.len(), rows.len() * m);
        let mr = tile_rows(kernel);
        gram_copies(kernel, x, self.x.ncols(), d, m, intercept, mr, parts);
    }

    fn row_into(&self, i: usize, out: &mut [f64]) {
        for (o, v) in out.iter_mut().zip(self.x.row(i)) {
            *o = *v;
        }
    }

    fn sum_of_squares(&self, weights: Option<&[f64]>) -> f64 {
        // The starting value of `f64`'s `Sum`, as 1.0 summed it.
        let mut total = -0.0;
        self.add_sum_of_squares(weights, &mut total);
        total
    }

    fn first_non_finite(&self) -> Option<(usize, usize, f64)> {
        if let Some(data) = self.data {
            // Whole chunks tested without an early exit (so the test vectorises), then the
            // offending chunk searched: the first non-finite value in row-major order.
            let p = self.x.ncols().max(1);
            const CHUNK: usize = 4096;
            for (c, chunk) in data.chunks(CHUNK).enumerate() {
                if chunk.iter().fold(true, |ok, v| ok & v.is_finite()) {
                    continue;
                }
                let (k, v) = chunk
                    .iter()
                    .enumerate()
                    .find(|(_, v)| !v.is_finite())
                    .expect("the chunk holds a non-finite value");
                let at = c * CHUNK + k;
                return Some((at / p, at % p, *v));
            }
            return None;
        }
        self.x
            .indexed_iter()
            .find(|(_, v)| !v.is_finite())
            .map(|((i, j), v)| (i, j, *v))
    }

    fn as_dense(&self) -> Option<ArrayView2<'_, f64>> {
        Some(self.x.view())
    }
}

/// An owned dense matrix is a design too (tests and callers that build one on the fly).
impl Design for Array2<f64> {
    fn n_rows(&self) -> usize {
        self.nrows()
    }
    fn n_cols(&self) -> usize {
        self.ncols()
    }
    fn scores_block(
        &self,
        kernel: Kernel,
        rows: Range<usize>,
        w: &[f64],
        b: &[f64],
        z: &mut [f64],
    ) {
        DenseDesign::new(self.view()).scores_block(kernel, rows, w, b, z);
    }
    fn add_xt_r_block(&self, kernel: Kernel, rows: Range<usize>, r: &[f64], g: &mut [f64]) {
        DenseDesign::new(self.view()).add_xt_r_block(kernel, rows, r, g);
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
        DenseDesign::new(self.view()).add_gram_block(kernel, rows, d, m, intercept, parts);
    }
    fn row_into(&self, i: usize, out: &mut [f64]) {
        DenseDesign::new(self.view()).row_into(i, out);
    }
    fn sum_of_squares(&self, weights: Option<&[f64]>) -> f64 {
        DenseDesign::new(self.view()).sum_of_squares(weights)
    }
    fn first_non_finite(&self) -> Option<(usize, usize, f64)> {
        DenseDesign::new(self.view()).first_non_finite()
    }
    fn as_dense(&self) -> Option<ArrayView2<'_, f64>> {
        Some(self.view())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values with every kind of rounding: a fixed pseudo-random sequence over many magnitudes.
    pub(super) fn values(n: usize, seed: u64) -> Vec<f64> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let u = (state >> 11) as f64 / (1u64 << 53) as f64;
                (u - 0.5) * 10f64.powi((state % 7) as i32 - 3)
            })
            .collect()
    }

    #[test]
    fn blocked_kernels_equal_the_row_by_row_sums_bit_for_bit() {
        for p in [0usize, 1, 3, 4, 5, 15, 16, 17, 31, 32, 33, 48, 50, 51, 70] {
            for n in [0usize, 1, 3, 4, 7, 9] {
                let x = values(n * p, 1 + p as u64 * 31 + n as u64);
                let w = values(p, 7 + p as u64);
                let r = values(n, 11 + n as u64);
                let b = [0.25];
                let mut z = vec![0.0; n];
                scores_kernel(&x, &w, &b, &mut z);
                let mut g = values(p, 3);
                let mut g_ref = g.clone();
                xt_r_kernel(&x, &r, p, &mut g);
                for i in 0..n {
                    let row = &x[i * p..(i + 1) * p];
                    assert_eq!(
                        z[i].to_bits(),
                        (0.25 + dot(row, &w)).to_bits(),
                        "p {p} n {n}"
                    );
                    axpy(r[i], row, &mut g_ref);
                }
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&g), bits(&g_ref), "p {p} n {n}");
            }
        }
    }
}

//! The dense row-major design matrix and its block operations, each compiled once per kernel.

use std::ops::Range;

use ndarray::{Array2, ArrayView2};

use super::kernel::{kernel_copies, Kernel};
use super::Design;

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
        for (zi, row) in z.iter_mut().zip(x.chunks_exact(p)) {
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

kernel_copies!(fn xt_r_copies(x: &[f64], r: &[f64], p: usize, g: &mut [f64]) = xt_r_kernel);

#[inline(always)]
fn xt_r_kernel(x: &[f64], r: &[f64], p: usize, g: &mut [f64]) {
    if p == 0 {
        return;
    }
    let k = g.len() / p;
    if k == 1 {
        for (&ri, row) in r.iter().zip(x.chunks_exact(p)) {
            axpy(ri, row, g);
        }
        return;
    }
    for (rr, row) in r.chunks_exact(k).zip(x.chunks_exact(p)) {
        for (&rc, gc) in rr.iter().zip(g.chunks_exact_mut(p)) {
            axpy(rc, row, gc);
        }
    }
}

kernel_copies!(fn gram_copies(x: &[f64], p: usize, d: &[f64], m: usize, intercept: bool, parts: &mut [f64]) = gram_kernel);

#[inline(always)]
fn gram_kernel(x: &[f64], p: usize, d: &[f64], m: usize, intercept: bool, parts: &mut [f64]) {
    let q = p + usize::from(intercept);
    let cells = q * q;
    let n = d.len() / m.max(1);
    for i in 0..n {
        let row = &x[i * p..(i + 1) * p];
        for t in 0..m {
            let wt = d[i * m + t];
            if wt == 0.0 {
                continue;
            }
            let part = &mut parts[t * cells..(t + 1) * cells];
            for a in 0..p {
                let xa = row[a] * wt;
                let target = &mut part[a * q + a..a * q + p];
                axpy(xa, &row[a..], target);
                if intercept {
                    part[a * q + p] += xa;
                }
            }
            if intercept {
                part[p * q + p] += wt;
            }
        }
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
        gram_copies(kernel, x, self.x.ncols(), d, m, intercept, parts);
    }

    fn row_into(&self, i: usize, out: &mut [f64]) {
        for (o, v) in out.iter_mut().zip(self.x.row(i)) {
            *o = *v;
        }
    }

    fn sum_of_squares(&self, weights: Option<&[f64]>) -> f64 {
        match weights {
            // Element order, as 1.0 summed it.
            None => self.x.iter().map(|v| v * v).sum(),
            Some(s) => self
                .x
                .rows()
                .into_iter()
                .zip(s)
                .filter(|(_, &si)| si != 0.0)
                .map(|(row, &si)| si * row.iter().map(|v| v * v).sum::<f64>())
                .sum(),
        }
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

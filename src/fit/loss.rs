//! The loss of each family per block of rows: weighted binomial, and multinomial (softmax) in a
//! stable form, beside the unweighted binomial kernels of [`crate::fit::numerics`].
//!
//! # Softmax, stably
//!
//! For scores `z_1 .. z_K` of one row, let `m = max_c z_c` (the first maximum `a`) and
//! `d_c = z_c - m <= 0`, taken as exactly 0 where `z_c = m` (so `inf - inf` never occurs). With
//! `e_c = exp(d_c)` in `[0, 1]` (`e_a = 1`, never an overflow) and `t = sum_{c != a} e_c`:
//!
//! * `log sum_c exp(z_c) = m + log1p(t)`, and the loss of label `y`,
//!   `-log softmax(z)_y = (m - z_y) + log1p(t)`: a sum of two non-negative terms (no cancellation,
//!   full relative accuracy down to the subnormals when `y = a` and `t` is tiny), and never the log
//!   of a computed probability;
//! * `softmax(z)_c = e_c / (1 + t)`, and the residual `p_y - 1` of the label's column is formed
//!   as `-(sum_{c != y} e_c) / (1 + t)`, i.e. `-t / (1 + t)` when `y = a` and
//!   `-(1 + u) / (1 + t)` with `u = sum_{c != a, y} e_c` otherwise, never `p_y - 1` (which would
//!   cancel to 0 for a confident right answer, as `s(z) - 1` does for the sigmoid).
//!
//! Scores of any size work: `+-1e300` give exact shifts `d_c` (the subtraction of two finite
//! numbers of equal sign cannot overflow; of opposite signs it may round to `-inf`, whose `exp` is
//! exactly 0, the right limit); infinite scores give the limits (an infinitely right answer costs
//! 0, an infinitely wrong one `+inf`; ties among infinite maxima share the probability). NaN
//! propagates. The `exp` and `log1p` are the branch-free kernels of [`crate::fit::numerics`]
//! (within about 1.5 and 1 ulp), so the loops vectorise where they can and every kernel copy
//! gives the same bits. [`log_sum_exp`] and [`softmax`] are the scalar reference forms with the
//! platform `exp`/`ln_1p`.

use crate::fit::numerics::{
    exp_neg_abs, kernel_copies, log1p_unit, log_loss_and_residual_kernel, sum_lanes, Kernel,
    SUM_LANES,
};

/// `ln 2` split as in fdlibm (`LN2_HI` has 32 significant bits, so `k * LN2_HI` is exact).
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);

/// `log(1 + t)` for `t >= 0` (finite, or NaN), branch-free: [`log1p_unit`] for `t <= 1`; above,
/// `1 + t = 2^k f` with `f` in `[1, 2)` read from the bits, and `k ln 2 + log1p(f - 1)`
/// (`f - 1` is exact). The rounding of `1 + t` costs at most half an ulp of a result `>= ln 2`.
#[inline(always)]
fn log1p_nonneg(t: f64) -> f64 {
    let small = log1p_unit(if t <= 1.0 { t } else { 0.0 });
    let u = 1.0 + t;
    let bits = u.to_bits();
    let k = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let f = f64::from_bits((bits & ((1u64 << 52) - 1)) | (1023u64 << 52));
    let kf = k as f64;
    let large = kf * LN2_HI + (log1p_unit(f - 1.0) + kf * LN2_LO);
    let out = if t <= 1.0 { small } else { large };
    // NaN fails both comparisons above; keep it NaN.
    if t.is_nan() {
        t
    } else {
        out
    }
}

/// The first maximum of a row and its index (NaN entries are skipped here; they propagate
/// through the shifts).
#[inline(always)]
fn row_max(z: &[f64]) -> (f64, usize) {
    let mut m = z[0];
    let mut a = 0;
    for (c, &v) in z.iter().enumerate().skip(1) {
        if v > m || m.is_nan() {
            m = v;
            a = c;
        }
    }
    (m, a)
}

/// `z_c - m`, exactly 0 where they are equal (also for infinite `m`).
#[inline(always)]
fn shift(v: f64, m: f64) -> f64 {
    if v == m {
        0.0
    } else {
        v - m
    }
}

/// Scalar reference: `log sum_c exp(z_c)` (platform `exp`/`ln_1p`); `-inf` for an empty slice.
pub fn log_sum_exp(z: &[f64]) -> f64 {
    if z.is_empty() {
        return f64::NEG_INFINITY;
    }
    let (m, a) = row_max(z);
    if m == f64::NEG_INFINITY {
        // Every score is -inf: the limit of equal scores.
        return m;
    }
    let t: f64 = z
        .iter()
        .enumerate()
        .filter(|&(c, _)| c != a)
        .map(|(_, &v)| shift(v, m).exp())
        .sum();
    m + t.ln_1p()
}

/// Scalar reference: `out = softmax(z)` (platform `exp`).
///
/// # Panics
/// If the lengths differ.
pub fn softmax(z: &[f64], out: &mut [f64]) {
    assert_eq!(
        z.len(),
        out.len(),
        "softmax: input and output lengths differ"
    );
    if z.is_empty() {
        return;
    }
    let (m, _) = row_max(z);
    for (o, &v) in out.iter_mut().zip(z) {
        *o = shift(v, m).exp();
    }
    let total: f64 = out.iter().sum();
    out.iter_mut().for_each(|o| *o /= total);
}

/// Scalar reference: `-log softmax(z)_y` as `(m - z_y) + log1p(t)` (platform `exp`/`ln_1p`).
pub fn softmax_loss(y: usize, z: &[f64]) -> f64 {
    let (m, a) = row_max(z);
    let t: f64 = z
        .iter()
        .enumerate()
        .filter(|&(c, _)| c != a)
        .map(|(_, &v)| shift(v, m).exp())
        .sum();
    -shift(z[y], m) + t.ln_1p()
}

/// Sum of the multinomial losses of a block of rows (`k` scores each, row-major in `z`, labels
/// `y` = class index as `f64`), with each row's scores overwritten by its residuals
/// `softmax(z)_c - [c = y]` (the derivative of the loss in `z`). With `weights`, the sum is of
/// `s_i loss_i` and the residuals are multiplied by `s_i`; a row of weight 0 contributes exactly
/// 0, even with an infinite loss. Loss terms go into [`SUM_LANES`] interleaved partial sums, as
/// in the binomial kernels.
///
/// # Panics
/// If the lengths disagree.
pub fn softmax_loss_and_residual_slice(
    y: &[f64],
    weights: Option<&[f64]>,
    k: usize,
    z: &mut [f64],
) -> f64 {
    softmax_loss_and_residual_slice_with(Kernel::active(), y, weights, k, z)
}

/// [`softmax_loss_and_residual_slice`] through the given kernel copy.
#[doc(hidden)]
pub fn softmax_loss_and_residual_slice_with(
    kernel: Kernel,
    y: &[f64],
    weights: Option<&[f64]>,
    k: usize,
    z: &mut [f64],
) -> f64 {
    assert_eq!(
        y.len() * k,
        z.len(),
        "softmax: label and score lengths disagree"
    );
    if let Some(s) = weights {
        assert_eq!(s.len(), y.len(), "softmax: weight and label lengths differ");
    }
    if k == 0 {
        return 0.0;
    }
    softmax_copies(kernel, y, weights, k, z)
}

kernel_copies!(fn softmax_copies(y: &[f64], weights: Option<&[f64]>, k: usize, z: &mut [f64]) -> f64 = softmax_loop);

/// Rows per chunk of the vectorised softmax passes.
const SOFTMAX_CHUNK: usize = 64;

/// Scratch of one chunk, class-major (`zt[c * SOFTMAX_CHUNK + r]`), so that every step is a
/// loop over rows with a constant trip count, which vectorises.
struct Chunk {
    zt: Vec<f64>,
    m: [f64; SOFTMAX_CHUNK],
    top: [f64; SOFTMAX_CHUNK],
    label: [f64; SOFTMAX_CHUNK],
    d_y: [f64; SOFTMAX_CHUNK],
    t: [f64; SOFTMAX_CHUNK],
    u: [f64; SOFTMAX_CHUNK],
}

impl Chunk {
    fn new(k: usize) -> Chunk {
        Chunk {
            zt: vec![0.0; k * SOFTMAX_CHUNK],
            m: [0.0; SOFTMAX_CHUNK],
            top: [0.0; SOFTMAX_CHUNK],
            label: [0.0; SOFTMAX_CHUNK],
            d_y: [0.0; SOFTMAX_CHUNK],
            t: [0.0; SOFTMAX_CHUNK],
            u: [0.0; SOFTMAX_CHUNK],
        }
    }

    /// Loads `rows` rows of `z` (row-major, `k` per row; missing rows padded with 0), finds
    /// each row's first maximum, shifts by it and exponentiates: afterwards `zt` holds
    /// `e_c = exp(z_c - m)`, `t` the sum over `c != top`, and `u` the sum over `c != top, label`.
    // Index loops over several parallel fixed-size arrays: the form that vectorises.
    #[allow(clippy::needless_range_loop)]
    #[inline(always)]
    fn exponentiate(&mut self, k: usize, z: &[f64], y: &[f64]) {
        let rows = y.len();
        const C: usize = SOFTMAX_CHUNK;
        for (r, row) in z.chunks_exact(k).enumerate() {
            for (c, &v) in row.iter().enumerate() {
                self.zt[c * C + r] = v;
            }
        }
        for c in 0..k {
            for r in rows..C {
                self.zt[c * C + r] = 0.0;
            }
        }
        for r in 0..C {
            let yi = if r < rows { y[r] } else { 0.0 };
            // The clamp keeps a bad label from indexing out of range (fit checks them).
            let l = yi.floor();
            self.label[r] = if l >= 0.0 && l < k as f64 {
                l
            } else {
                (k - 1) as f64
            };
        }
        self.m.copy_from_slice(&self.zt[..C]);
        self.top = [0.0; C];
        for c in 1..k {
            let col: &[f64; C] = self.zt[c * C..(c + 1) * C].try_into().expect("one column");
            for r in 0..C {
                let v = col[r];
                let take = v > self.m[r] || self.m[r].is_nan();
                self.m[r] = if take { v } else { self.m[r] };
                self.top[r] = if take { c as f64 } else { self.top[r] };
            }
        }
        self.d_y = [0.0; C];
        self.t = [0.0; C];
        self.u = [0.0; C];
        for c in 0..k {
            let cf = c as f64;
            let col: &mut [f64; C] = (&mut self.zt[c * C..(c + 1) * C])
                .try_into()
                .expect("one column");
            for r in 0..C {
                let d = shift(col[r], self.m[r]);
                self.d_y[r] = if self.label[r] == cf { d } else { self.d_y[r] };
                // d <= 0, so exp(-|d|) = exp(d).
                let e = exp_neg_abs(d);
                col[r] = e;
                let others = if self.top[r] == cf { 0.0 } else { e };
                self.t[r] += others;
                self.u[r] += if self.label[r] == cf { 0.0 } else { others };
            }
        }
    }
}

/// The stable softmax loss of the module doc over many rows, chunk by chunk in class-major
/// scratch so that the shifts, `exp`, sums and `log1p` all vectorise across rows.
#[allow(clippy::needless_range_loop)]
#[inline(always)]
fn softmax_loop(y: &[f64], weights: Option<&[f64]>, k: usize, z: &mut [f64]) -> f64 {
    const C: usize = SOFTMAX_CHUNK;
    let mut acc = [0.0_f64; SUM_LANES];
    let mut chunk = Chunk::new(k);
    for (ci, (yc, zc)) in y.chunks(C).zip(z.chunks_mut(C * k)).enumerate() {
        let rows = yc.len();
        chunk.exponentiate(k, zc, yc);
        let mut loss = [0.0_f64; C];
        let mut inv = [0.0_f64; C];
        let mut rest = [0.0_f64; C];
        for r in 0..C {
            loss[r] = -chunk.d_y[r] + log1p_nonneg(chunk.t[r]);
            inv[r] = 1.0 / (1.0 + chunk.t[r]);
            rest[r] = if chunk.label[r] == chunk.top[r] {
                chunk.t[r]
            } else {
                1.0 + chunk.u[r]
            };
        }
        let sc = weights.map(|s| &s[ci * C..ci * C + rows]);
        for (r, row) in zc.chunks_exact_mut(k).enumerate() {
            for (c, v) in row.iter_mut().enumerate() {
                let e = chunk.zt[c * C + r];
                let res = if chunk.label[r] == c as f64 {
                    -rest[r] * inv[r]
                } else {
                    e * inv[r]
                };
                // A row of weight 0 contributes exactly 0, even with NaN scores.
                *v = match sc {
                    Some(s) if s[r] == 0.0 => 0.0,
                    Some(s) => res * s[r],
                    None => res,
                };
            }
        }
        for r in 0..rows {
            let term = match sc {
                None => loss[r],
                Some(s) if s[r] == 0.0 => 0.0,
                Some(s) => s[r] * loss[r],
            };
            acc[(ci * C + r) % SUM_LANES] += term;
        }
    }
    sum_lanes(acc)
}

/// Softmax probabilities of a block of rows in place (`k` scores per row), the stable form of
/// the module doc.
pub fn softmax_rows_slice_with(kernel: Kernel, k: usize, z: &mut [f64]) {
    assert!(
        k > 0 && z.len().is_multiple_of(k),
        "softmax: scores not a whole number of rows"
    );
    softmax_rows_copies(kernel, k, z);
}

kernel_copies!(fn softmax_rows_copies(k: usize, z: &mut [f64]) = softmax_rows_loop);

#[allow(clippy::needless_range_loop)]
#[inline(always)]
fn softmax_rows_loop(k: usize, z: &mut [f64]) {
    const C: usize = SOFTMAX_CHUNK;
    let mut chunk = Chunk::new(k);
    let labels = [0.0; C];
    for zc in z.chunks_mut(C * k) {
        let rows = zc.len() / k;
        chunk.exponentiate(k, zc, &labels[..rows]);
        let mut inv = [0.0_f64; C];
        for r in 0..C {
            inv[r] = 1.0 / (1.0 + chunk.t[r]);
        }
        for (r, row) in zc.chunks_exact_mut(k).enumerate() {
            for (c, v) in row.iter_mut().enumerate() {
                *v = chunk.zt[c * C + r] * inv[r];
            }
        }
    }
}

/// Weighted binomial loss sum `sum_i s_i log_loss(y_i, z_i)`, with each score overwritten by its
/// weighted residual `s_i (s(z_i) - y_i)`; rows of weight 0 contribute exactly 0 (loss and
/// residual, whatever their score, even NaN). The same terms
/// and lanes as [`crate::fit::numerics::log_loss_and_residual_slice`].
#[inline(always)]
pub(crate) fn weighted_log_loss_and_residual(y: &[f64], s: &[f64], z: &mut [f64]) -> f64 {
    let mut acc = [0.0_f64; SUM_LANES];
    for (i, ((&yi, &si), zi)) in y.iter().zip(s).zip(z.iter_mut()).enumerate() {
        let (l, r) = log_loss_and_residual_kernel(yi, *zi);
        acc[i % SUM_LANES] += if si == 0.0 { 0.0 } else { si * l };
        *zi = if si == 0.0 { 0.0 } else { si * r };
    }
    sum_lanes(acc)
}

kernel_copies!(pub(crate) fn weighted_log_loss_and_residual_with(y: &[f64], s: &[f64], z: &mut [f64]) -> f64 = weighted_log_loss_and_residual);

#[cfg(test)]
mod tests;

//! Stable forms of the logistic function and the log loss, for one score or a whole slice.
//!
//! Everything else in the crate evaluates the sigmoid through these functions, so the care taken
//! here is taken once:
//!
//! * every `exp` is of `-|z|`, so it lies in `[0, 1]` and can never overflow;
//! * `log(1 + e^z)` is evaluated as `max(z, 0) + log1p(e^-|z|)`, a sum of two non-negative terms,
//!   so there is no cancellation, and the log of a computed sigmoid is never taken;
//! * quantities that tend to 0 (such as `1 - s(z)` for large `z`) are computed directly from
//!   `e^-|z|`, never by subtracting from 1.
//!
//! The scalar functions use the platform `exp`/`ln_1p` and serve as the reference. The `*_slice`
//! functions use a branch-free `exp`/`log1p` written in plain Rust (range reduction plus a
//! polynomial; see [`exp_nonpos`] and [`log1p_unit`]) so that LLVM can vectorise whole arrays; they
//! agree with the scalar functions to a few ulp (the tests measure both against a double-double
//! reference).
//!
//! References: M. Mächler, "Accurately Computing log(1 - exp(-|a|)), Assessed by the Rmpfr
//! package", CRAN Rmpfr vignette, 2012 (section on `log1pexp`); scikit-learn's
//! `sklearn/utils/_logistic_sigmoid.pyx` (`_inner_logistic_sigmoid`, `_log_logistic_sigmoid`),
//! which branches on the sign of `x` in the same way; and fdlibm's `e_exp.c`/`e_log.c`
//! (Sun Microsystems, 1993) for the range reductions used by the slice kernels.

/// The logistic function `s(z) = 1 / (1 + e^-z)`.
///
/// With `e = exp(-|z|)` (in `[0, 1]`, so never overflowing) this is `1 / (1 + e)` for `z >= 0`
/// and `e / (1 + e)` for `z < 0` — the sign branch of scikit-learn's `_inner_logistic_sigmoid`.
/// Both forms only add positive numbers, so the result has a relative error of a couple of ulp for
/// every `z`, including tiny results such as `s(-700) ~ 1e-304`. Limits: `s(+inf) = 1`,
/// `s(-inf) = 0`, `s(0) = 0.5` exactly; `s(-z)` and `s(z)` share `e` and the denominator, so
/// `s(-z) + s(z) = 1` to rounding.
pub fn sigmoid(z: f64) -> f64 {
    let e = (-z.abs()).exp();
    if z < 0.0 {
        e / (1.0 + e)
    } else {
        1.0 / (1.0 + e)
    }
}

/// Softplus, `log(1 + e^z)`, accurate to a couple of ulp for every `z`.
///
/// Computed as `max(z, 0) + log1p(exp(-|z|))`: the `exp` argument is never positive (no
/// overflow), `log1p` keeps full relative accuracy when `e^-|z|` is tiny (for `z << 0` the result
/// is `e^z`, down to the subnormals), and for `z > 0` both terms are non-negative, so the sum
/// cannot cancel. For large `z` the correction underflows and the result is exactly `z`; `+inf`
/// maps to `+inf` and `-inf` to `0`. This is Mächler's (2012) `log1pexp` without its speed-only
/// cut-offs, which the `log1p` form makes unnecessary for accuracy.
pub fn log1p_exp(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

/// `log(s(z)) = -log(1 + e^-z) = -log1p_exp(-z)`.
///
/// Never the log of a computed sigmoid (which would give `-inf` once `s(z)` underflows, and lose
/// all relative accuracy near `s(z) = 1`): for `z << 0` the result is `z` to full precision
/// (`log_sigmoid(-1e300) = -1e300`), for `z >> 0` it is `-e^-z`. Always `<= 0`; finite for finite
/// `z`; `log_sigmoid(-inf) = -inf`. Same form as scikit-learn's `_log_logistic_sigmoid`.
pub fn log_sigmoid(z: f64) -> f64 {
    -log1p_exp(-z)
}

/// `s'(z) = s(z) (1 - s(z)) = e / (1 + e)^2` with `e = exp(-|z|)`.
///
/// The derivative is even in `z`, so using `-|z|` loses nothing, the `exp` cannot overflow, and
/// the small factor `1 - s(|z|) = e / (1 + e)` is formed directly rather than as `1 - s` (which
/// would round to 0 for `|z| > 37`). Relative error a few ulp; underflows gracefully to 0 for
/// `|z| > 745` and at `+-inf`.
pub fn sigmoid_derivative(z: f64) -> f64 {
    let e = (-z.abs()).exp();
    let d = 1.0 + e;
    e / (d * d)
}

/// Log loss of one row with label `y` in {0, 1} and linear score `z`:
/// `-[y log s(z) + (1 - y) log(1 - s(z))]`, i.e. `log1p_exp(-z)` for `y = 1` and `log1p_exp(z)`
/// for `y = 0` (using `1 - s(z) = s(-z)`).
///
/// Accurate to a couple of ulp for every finite `z` (see [`log1p_exp`]); `>= 0`; the limits at
/// infinite scores are `0` when the score is confidently right and `+inf` when it is confidently
/// wrong. Any `y > 0.5` is treated as the positive label.
pub fn log_loss(y: f64, z: f64) -> f64 {
    if y > 0.5 {
        log1p_exp(-z)
    } else {
        log1p_exp(z)
    }
}

/// Log loss and its derivative with respect to `z`, `s(z) - y`, from one `exp` and one `log1p`.
///
/// With `w = z` for `y = 0` and `w = -z` for `y = 1`, the loss is `softplus(w)` =
/// `max(w, 0) + log1p(e)` with `e = exp(-|z|)` (as in [`log1p_exp`]), and the residual is `s(z)`
/// for `y = 0` and `s(z) - 1 = -s(-z)` for `y = 1`, i.e. `±s(w)` with `s(w)` taken from `e` as in
/// [`sigmoid`]. The residual is therefore never formed by subtracting from 1: for `y = 1`,
/// `z = 40` it is `-e^-40 / (1 + e^-40)` to full relative precision rather than `0` (the
/// cancellation in `s(z) - 1`). Any `y > 0.5` is treated as the positive label.
pub fn log_loss_and_residual(y: f64, z: f64) -> (f64, f64) {
    let e = (-z.abs()).exp();
    let l = e.ln_1p();
    let d = 1.0 + e;
    let (w, sign) = if y > 0.5 { (-z, -1.0) } else { (z, 1.0) };
    let (loss, s_w) = if w > 0.0 {
        (w + l, 1.0 / d)
    } else {
        (l, e / d)
    };
    (loss, sign * s_w)
}

// ---------------------------------------------------------------------------------------------
// Slice kernels.
//
// The kernels below are branch-free (the only conditionals are value selects, which LLVM turns
// into vector blends), use no libm calls and only `+ - * /` plus bit casts, so a plain loop over
// a slice auto-vectorises on every target (SSE2 on baseline x86-64, wider with
// `-C target-cpu=native`). They never use `mul_add`, so results are bit-identical on every
// platform whether or not the hardware has FMA.
// ---------------------------------------------------------------------------------------------

/// `1 / ln 2`.
const LOG2_E: f64 = std::f64::consts::LOG2_E;
/// `ln 2` split so that `k * LN2_HI` is exact for `|k| < 2^20` (fdlibm `e_exp.c`'s `ln2HI`,
/// bits `0x3fe62e42fee00000`) and `LN2_HI + LN2_LO = ln 2` to about `2^-85`.
const LN2_HI: f64 = 6.931_471_803_691_238_164_9e-1;
const LN2_LO: f64 = 1.908_214_929_270_587_700_0e-10;
/// `1.5 * 2^52`: adding it rounds a double of magnitude `< 2^51` to an integer (round to nearest
/// even) and leaves that integer in the low mantissa bits.
const ROUND_SHIFT: f64 = 6_755_399_441_055_744.0;
/// `2^-537`; see [`exp_nonpos`].
const TWO_POW_M537: f64 = 2.222_758_749_485_077_5e-162;
/// Below this, `exp` rounds to 0 (`e^-746 ~ 1.1e-324 < 2^-1075`).
const EXP_UNDERFLOW: f64 = -746.0;

/// Coefficients of `g(r) = (e^r - 1 - r) / r^2` on `|r| <= 0.3466` (a little more than
/// `ln 2 / 2`), degree 9, lowest first: the Chebyshev interpolant, computed with 80-digit Python
/// `decimal` arithmetic and rounded to `f64`. The approximation error of `1 + r + r^2 g(r)` is
/// below `0.07 * 2^-53` relative, checked on 4001 points with the rounded coefficients.
const EXP_G: [f64; 10] = [
    0.500_000_000_000_000_1,
    0.166_666_666_666_666_69,
    0.041_666_666_666_624_136,
    0.008_333_333_333_330_063,
    0.001_388_888_891_720_967,
    0.000_198_412_698_630_505_06,
    2.480_152_130_224_108_2e-5,
    2.755_726_846_483_162_7e-6,
    2.762_008_545_501_841_4e-7,
    2.510_038_319_586_702e-8,
];

/// `exp(x)` for `x <= 0` (including `-inf`; NaN propagates), branch-free and vectorisable.
///
/// fdlibm-style range reduction: `x = k ln 2 + r`, `k = round(x / ln 2)` (obtained with the
/// `1.5 * 2^52` shift, which also leaves `k` in the low bits of the shifted value),
/// `r = (x - k LN2_HI) - k LN2_LO` with `|r| <= ln 2 / 2` (the first product and difference are
/// exact). Then `e^r = 1 + (r + r^2 g(r))` with the polynomial [`EXP_G`], and the result is scaled
/// by `2^k` as `(p * 2^(k + 537)) * 2^-537`: the first product is exact (its exponent stays
/// normal for every `k` in `[-1077, 0]`), so the only rounding of the scaling happens when the
/// result is subnormal, and it is a single correct rounding. Inputs below -746 are clamped
/// there, where the result rounds to `+0`. Relative error below 1 ulp for normal results.
#[inline(always)]
fn exp_nonpos(x: f64) -> f64 {
    // A compare-and-select (not `f64::max`) so that NaN passes through unchanged.
    let x = if x < EXP_UNDERFLOW { EXP_UNDERFLOW } else { x };
    let shifted = x * LOG2_E + ROUND_SHIFT;
    let k = shifted - ROUND_SHIFT;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    let r2 = r * r;
    let g = EXP_G[0]
        + r * (EXP_G[1]
            + r * (EXP_G[2]
                + r * (EXP_G[3]
                    + r * (EXP_G[4]
                        + r * (EXP_G[5]
                            + r * (EXP_G[6] + r * (EXP_G[7] + r * (EXP_G[8] + r * EXP_G[9]))))))));
    let p = 1.0 + (r + r2 * g);
    // The low bits of `shifted` hold `k` (two's complement, the shift's own low 12 bits are 0),
    // so `(bits + 1560) << 52` is the biased exponent `k + 537 + 1023` of `2^(k + 537)`;
    // `k + 1560` lies in [483, 1560], inside the 11-bit exponent field.
    let scale = f64::from_bits(shifted.to_bits().wrapping_add(1560) << 52);
    (p * scale) * TWO_POW_M537
}

/// `ln 2` split as in fdlibm `e_log.c` (`ln2_hi` has its low 32 bits zero, so `ln2_hi * k` is
/// exact for small `k`).
const LOG_LN2_HI: f64 = 6.931_471_803_691_238_164_9e-1;
const LOG_LN2_LO: f64 = 1.908_214_929_270_587_700_0e-10;

/// Coefficients of `G(z) = (2 atanh(s) - 2 s) / s^3 = sum_j 2 z^j / (2j + 3)` with `z = s^2` on
/// `[0, 0.04]` (`|s| <= 0.2`), degree 7, lowest first: the Chebyshev interpolant, computed with
/// 80-digit Python `decimal` arithmetic and rounded to `f64`. Its contribution `s z G(z)` to
/// `log(1 + f)` is in error by less than `0.007 * 2^-53` relative.
const LOG_G: [f64; 8] = [
    0.666_666_666_666_666_6,
    0.400_000_000_000_078,
    0.285_714_285_673_391_9,
    0.222_222_230_378_072_43,
    0.181_817_384_547_230_26,
    0.153_888_346_778_019_16,
    0.132_103_604_851_326_2,
    0.136_040_157_071_240_79,
];

/// `log(1 + e)` for `e` in `[0, 1]` (NaN propagates), branch-free and vectorisable.
///
/// fdlibm `e_log.c`'s method on a reduction chosen so that it is exact: for `e < 0.5` take
/// `k = 0`, `f = e`; for `e >= 0.5` take `k = 1`, `f = (e - 1) / 2` (exact by Sterbenz's lemma),
/// so `1 + e = 2^k (1 + f)` with `f` in `[-0.25, 0.5)` and no rounding in `1 + e` is ever
/// committed. Then with `s = f / (2 + f)`, `log(1 + f) = 2 atanh(s) = 2s + s z G(z)`, `z = s^2`,
/// evaluated as fdlibm does, `k ln2_hi - ((hfsq - (s (hfsq + R) + k ln2_lo)) - f)` with
/// `hfsq = f^2 / 2`, `R = z G(z)`, so that the large terms are added last. For tiny `e` (down to
/// subnormals) the result is `e` itself. Error below 1 ulp.
#[inline(always)]
fn log1p_unit(e: f64) -> f64 {
    let upper = e >= 0.5;
    let f = if upper { (e - 1.0) * 0.5 } else { e };
    let k = if upper { 1.0 } else { 0.0 };
    let s = f / (2.0 + f);
    let z = s * s;
    let big_g = LOG_G[0]
        + z * (LOG_G[1]
            + z * (LOG_G[2]
                + z * (LOG_G[3] + z * (LOG_G[4] + z * (LOG_G[5] + z * (LOG_G[6] + z * LOG_G[7]))))));
    let big_r = z * big_g;
    let hfsq = 0.5 * f * f;
    k * LOG_LN2_HI - ((hfsq - (s * (hfsq + big_r) + k * LOG_LN2_LO)) - f)
}

/// Vectorisable [`sigmoid`]: `e = exp(-|z|)`, then `(z < 0 ? e : 1) / (1 + e)`.
#[inline(always)]
fn sigmoid_kernel(z: f64) -> f64 {
    let e = exp_nonpos(-z.abs());
    let num = if z < 0.0 { e } else { 1.0 };
    num / (1.0 + e)
}

/// Vectorisable [`log1p_exp`]: `max(z, 0) + log1p(exp(-|z|))`.
#[inline(always)]
fn softplus_kernel(z: f64) -> f64 {
    let l = log1p_unit(exp_nonpos(-z.abs()));
    // A select rather than `f64::max`, so that NaN propagates from `z` as well as from `l`.
    let pos = if z > 0.0 { z } else { 0.0 };
    pos + l
}

/// Vectorisable [`sigmoid_derivative`]: `e / (1 + e)^2` with `e = exp(-|z|)`.
#[inline(always)]
fn sigmoid_derivative_kernel(z: f64) -> f64 {
    let e = exp_nonpos(-z.abs());
    let d = 1.0 + e;
    e / (d * d)
}

/// Lanes of independent partial sums in [`log_loss_slice`]; enough for LLVM to fill a vector
/// register (and hide the latency of the adds) without reassociating floating-point sums.
const SUM_LANES: usize = 8;

/// `out[i] = sigmoid(z[i])` for a whole slice, auto-vectorised.
///
/// Same formula and stability argument as [`sigmoid`], with the branch-free `exp` of
/// [`exp_nonpos`]; relative error at most 4 ulp for every `z` (the tests measure the maximum
/// against a double-double reference over a dense grid and at the extremes), exact limits `0`,
/// `0.5`, `1` at `-inf`, `0`, `+inf`. Results may differ from [`sigmoid`] in the last couple of
/// bits.
///
/// # Panics
/// If `z` and `out` have different lengths.
pub fn sigmoid_slice(z: &[f64], out: &mut [f64]) {
    assert_eq!(z.len(), out.len(), "sigmoid_slice: input and output lengths differ");
    for (o, &zi) in out.iter_mut().zip(z) {
        *o = sigmoid_kernel(zi);
    }
}

/// `out[i] = log_sigmoid(z[i])` for a whole slice, auto-vectorised: `-(max(-z, 0) + log1p(e))`
/// with `e = exp(-|z|)`, as in [`log_sigmoid`]. Relative error a few ulp.
///
/// # Panics
/// If `z` and `out` have different lengths.
pub fn log_sigmoid_slice(z: &[f64], out: &mut [f64]) {
    assert_eq!(z.len(), out.len(), "log_sigmoid_slice: input and output lengths differ");
    for (o, &zi) in out.iter_mut().zip(z) {
        *o = -softplus_kernel(-zi);
    }
}

/// `out[i] = sigmoid_derivative(z[i])` for a whole slice, auto-vectorised; same formula as
/// [`sigmoid_derivative`]. Relative error a few ulp.
///
/// # Panics
/// If `z` and `out` have different lengths.
pub fn sigmoid_derivative_slice(z: &[f64], out: &mut [f64]) {
    assert_eq!(z.len(), out.len(), "sigmoid_derivative_slice: input and output lengths differ");
    for (o, &zi) in out.iter_mut().zip(z) {
        *o = sigmoid_derivative_kernel(zi);
    }
}

/// Sum of [`log_loss`]`(y[i], z[i])` over a whole slice, auto-vectorised.
///
/// Each term is `softplus(y > 0.5 ? -z : z)`, computed as in [`log1p_exp`] with the branch-free
/// kernels; the terms are accumulated in 8 interleaved partial sums (added together at the end),
/// which lets the loop vectorise and is, if anything, more accurate than one running sum. The sum
/// is `+inf` if some score is infinitely wrong.
///
/// # Panics
/// If `y` and `z` have different lengths.
pub fn log_loss_slice(y: &[f64], z: &[f64]) -> f64 {
    assert_eq!(y.len(), z.len(), "log_loss_slice: label and score lengths differ");
    let term = |yi: f64, zi: f64| softplus_kernel(if yi > 0.5 { -zi } else { zi });
    let mut acc = [0.0_f64; SUM_LANES];
    let y_chunks = y.chunks_exact(SUM_LANES);
    let z_chunks = z.chunks_exact(SUM_LANES);
    let (y_rest, z_rest) = (y_chunks.remainder(), z_chunks.remainder());
    for (yc, zc) in y_chunks.zip(z_chunks) {
        for ((a, &yi), &zi) in acc.iter_mut().zip(yc).zip(zc) {
            *a += term(yi, zi);
        }
    }
    for ((a, &yi), &zi) in acc.iter_mut().zip(y_rest).zip(z_rest) {
        *a += term(yi, zi);
    }
    // Pairwise combination of the lanes.
    let mut width = SUM_LANES;
    while width > 1 {
        width /= 2;
        for j in 0..width {
            acc[j] += acc[j + width];
        }
    }
    acc[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(n: usize, lo: f64, hi: f64) -> Vec<f64> {
        (0..n).map(|i| lo + (hi - lo) * (i as f64) / ((n - 1) as f64)).collect()
    }

    /// Ad-hoc throughput of the slice functions; run with
    /// `cargo test --release --lib numerics -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn throughput() {
        let n = 10_000_000;
        let z = grid(n, -40.0, 40.0);
        let y: Vec<f64> = (0..n).map(|i| (i % 2) as f64).collect();
        let mut out = vec![1.0; n];
        let rate = |f: &mut dyn FnMut()| {
            let mut best = f64::INFINITY;
            for _ in 0..7 {
                let t = std::time::Instant::now();
                f();
                best = best.min(t.elapsed().as_secs_f64());
            }
            n as f64 / best / 1e6
        };
        let r = rate(&mut || sigmoid_slice(&z, &mut out));
        println!("sigmoid_slice: {r:.0} M values/s");
        let r = rate(&mut || { for (o, &zi) in out.iter_mut().zip(&z) { *o = sigmoid(zi); } });
        println!("scalar sigmoid map: {r:.0} M values/s");
        let r = rate(&mut || sigmoid_derivative_slice(&z, &mut out));
        println!("sigmoid_derivative_slice: {r:.0} M values/s");
        let r = rate(&mut || log_sigmoid_slice(&z, &mut out));
        println!("log_sigmoid_slice: {r:.0} M values/s");
        let mut s = 0.0;
        let r = rate(&mut || s += log_loss_slice(&y, &z));
        println!("log_loss_slice: {r:.0} M values/s");
        let r = rate(&mut || s += y.iter().zip(&z).map(|(&a, &b)| log_loss(a, b)).sum::<f64>());
        println!("scalar log_loss sum: {r:.0} M values/s ({s})");
        let r = rate(&mut || { for (o, &zi) in out.iter_mut().zip(&z) { *o = zi * 1.5; } });
        println!("memory-bound copy*1.5: {r:.0} M values/s");
    }
}

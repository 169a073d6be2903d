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
//! The scalar functions use the platform `exp`/`ln_1p` and are the reference. The `*_slice`
//! functions evaluate the same stable forms with a branch-free `exp` (fdlibm-style range
//! reduction, then a polynomial or a Padé ratio) and `log1p` written in plain Rust, so that LLVM
//! can vectorise loops over whole arrays; they agree with the scalar functions to a few ulp (the
//! tests measure both against a double-double reference).
//!
//! References: M. Mächler, "Accurately Computing log(1 - exp(-|a|)), Assessed by the Rmpfr
//! package", CRAN Rmpfr vignette, 2012 (section on `log1pexp`); scikit-learn's
//! `sklearn/utils/_logistic_sigmoid.pyx` (`_inner_logistic_sigmoid`, `_log_logistic_sigmoid`),
//! which branches on the sign of `x` in the same way; and fdlibm's `e_exp.c`/`e_log.c`
//! (Sun Microsystems, 1993) for the range reductions used by the slice kernels.

/// The logistic function `s(z) = 1 / (1 + e^-z)`.
///
/// Evaluated as `1 / (1 + exp(-z))` for `z >= -38` and as `exp(z)` below. The textbook stable
/// form branches on the sign of `z` (`e / (1 + e)` with `e = exp(z)` for `z < 0`, as in
/// scikit-learn's `_inner_logistic_sigmoid`) to keep `exp(-z)` from overflowing, which can only
/// happen for `z < -709.78`. Here the switch is at -38 instead: below it `e^z < 2^-54`, so
/// `s(z) = e^z / (1 + e^z) = e^z (1 - e^z + ...)` *is* `exp(z)` to within a fraction of an ulp,
/// including subnormal results; above it `exp(-z) <= e^38` is finite and every step (`exp`,
/// `1 + E`, `1 / x`) involves only positive numbers and rounds monotonically. So the result has
/// full relative accuracy (within about 2.5 ulp, e.g. for `s(-700) ~ 1e-304`), and it
/// is exactly monotone in `z` — which `e / (1 + e)` is not at the ulp level (its numerator and
/// denominator round independently); at the switch the function changes by ~30 ulp per step of
/// `z`, far more than the rounding. Limits: `s(+inf) = 1`, `s(-inf) = 0`, `s(0) = 0.5` exactly;
/// `s(-z) = 1 - s(z)` to rounding.
pub fn sigmoid(z: f64) -> f64 {
    if z < -38.0 {
        z.exp()
    } else {
        1.0 / (1.0 + (-z).exp())
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
/// the small factor `1 - s(|z|) = e / (1 + e)` is never formed as `1 - s` (which would round to
/// 0 for `|z| > 37`). The denominator is evaluated as `1 + e (2 + e)` rather than as the square
/// of a rounded `1 + e`, which would double that rounding error (measured maximum 2.4 ulp,
/// against 3.4 for `e / ((1 + e) (1 + e))`). Underflows gracefully to 0 for `|z| > 745` and at `+-inf`; `s'(0) = 0.25` exactly.
pub fn sigmoid_derivative(z: f64) -> f64 {
    let e = (-z.abs()).exp();
    e / (1.0 + e * (2.0 + e))
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
/// for `y = 0` and `s(z) - 1 = -s(-z)` for `y = 1`, i.e. `±s(w)` with `s(w)` taken from the same
/// `e` by the sign branch of the textbook stable sigmoid (scikit-learn's
/// `_inner_logistic_sigmoid`): `1 / (1 + e)` for `w > 0`, `e / (1 + e)` otherwise. The residual is
/// therefore never formed by subtracting from 1: for `y = 1`, `z = 40` it is
/// `-e^-40 / (1 + e^-40)` to full relative precision rather than `0` (the cancellation in
/// `s(z) - 1`). Loss and residual are both within about 2 ulp. Any `y > 0.5` is treated as the
/// positive label.
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
// These are branch-free (the only conditionals are selects between two computed values, which
// LLVM turns into vector blends), call no libm functions and use only `+ - * /`, `abs` and bit
// casts, so a plain loop over a slice auto-vectorises on every target: SSE2 on baseline x86-64,
// wider with `-C target-cpu=...` (measured: about 350 M values/s for `sigmoid_slice` with SSE2,
// about 1050 M/s with AVX-512). They never use `mul_add` (and Rust never contracts `a * b + c`),
// so their results are bit-identical on every IEEE-754 target, with or without FMA hardware,
// whatever the vector width.
// ---------------------------------------------------------------------------------------------

/// `1 / ln 2`.
const LOG2_E: f64 = std::f64::consts::LOG2_E;
/// `ln 2` split as in fdlibm `e_exp.c` (`ln2HI`, bits `0x3fe62e42fee00000`, 32 significant bits,
/// so `k * LN2_HI` is exact for `|k| < 2^21`; `LN2_HI + LN2_LO = ln 2` to about `2^-86`).
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000); // 0.6931471803691238
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76); // 1.9082149292705877e-10
/// `1.5 * 2^52`: adding it to a double of magnitude below `2^51` rounds it to an integer (to
/// nearest) and leaves that integer, two's complement, in the low mantissa bits.
const ROUND_SHIFT: f64 = 6_755_399_441_055_744.0;
/// `2^-537`, the second half of the two-step scaling in [`reduce`].
const TWO_POW_M537: f64 = 2.222_758_749_485_077_5e-162;
/// `|z|` is clamped here: `e^-746 ~ 1.1e-324` already rounds to 0, and the clamp keeps the
/// exponent arithmetic in range for huge and infinite `z`.
const EXP_CLAMP: f64 = 746.0;

/// Shared range reduction of the `exp(-|z|)` kernels: returns `(r, 2^(k + 537))` with
/// `-|z| = k ln 2 + r`, `|r| <= ln 2 / 2` (plus rounding), `k` an integer in `[-1076, 0]`.
///
/// fdlibm-style (`e_exp.c`): `k = round(x / ln 2)` via the `1.5 * 2^52` shift, and
/// `r = (x - k LN2_HI) - k LN2_LO`, where the first product and difference are exact. The shifted
/// value's low bits hold `k`, so `(bits + 1560) << 52` is the bit pattern of `2^(k + 537)` (the
/// biased exponent `k + 1560` lies in `[484, 1560]`). Callers scale a mantissa `p` in
/// `[0.7, 1.5]` as `(p * 2^(k + 537)) * 2^-537`: the first product is exact and stays normal, so
/// the scaling is one correct rounding even when the result is subnormal. NaN passes through (the
/// clamp is a compare-and-select, not `f64::min`).
#[inline(always)]
fn reduce(z: f64) -> (f64, f64) {
    let a = z.abs();
    let a = if a > EXP_CLAMP { EXP_CLAMP } else { a };
    let x = -a;
    let shifted = x * LOG2_E + ROUND_SHIFT;
    let k = shifted - ROUND_SHIFT;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    let scale = f64::from_bits(shifted.to_bits().wrapping_add(1560) << 52);
    (r, scale)
}

/// Coefficients of `g(r) = (e^r - 1 - r) / r^2` on `|r| <= 0.3466` (just over `ln 2 / 2`),
/// degree 9, lowest first: the Chebyshev interpolant, computed with 80-digit Python `decimal`
/// arithmetic and rounded to `f64`. With these rounded coefficients `1 + r + r^2 g(r)` is within
/// `0.15 * 2^-53` (relative) of `e^r`, checked on 4001 points.
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

/// `exp(-|z|)`, branch-free: [`reduce`], then `e^r = 1 + (r + r^2 g(r))` with [`EXP_G`]
/// evaluated by Estrin's scheme (short dependency chains keep the vectorised loop busy), then the
/// exact-then-rounded scaling by `2^k`. Within about 1.5 ulp for normal results (the final
/// `1 +` and the rounding of `r` dominate), one correct rounding of an accurate value for
/// subnormal ones; `0` for `|z| >= 746` and `+-inf`.
#[inline(always)]
pub(crate) fn exp_neg_abs(z: f64) -> f64 {
    let (r, scale) = reduce(z);
    let r2 = r * r;
    let r4 = r2 * r2;
    let g = (EXP_G[0] + r * EXP_G[1])
        + r2 * (EXP_G[2] + r * EXP_G[3])
        + r4 * ((EXP_G[4] + r * EXP_G[5])
            + r2 * (EXP_G[6] + r * EXP_G[7])
            + r4 * (EXP_G[8] + r * EXP_G[9]));
    let p = 1.0 + (r + r2 * g);
    (p * scale) * TWO_POW_M537
}

/// Coefficients of the [6/6] Padé approximant `e^r ~ P(r) / P(-r)`,
/// `P(r) = sum_j (12 - j)! 6! / (12! j! (6 - j)!) r^j
///       = 1 + r/2 + 5r^2/44 + r^3/66 + r^4/792 + r^5/15840 + r^6/665280`,
/// split into the even part `1 + E(r)` and the odd part `O(r)`. On `|r| <= ln 2 / 2` its relative
/// error is below `0.002 * 2^-53` (checked with 50-digit Python `decimal`, also with the
/// coefficients rounded to `f64`).
const PADE_E1: f64 = 5.0 / 44.0;
const PADE_E2: f64 = 1.0 / 792.0;
const PADE_E3: f64 = 1.0 / 665_280.0;
const PADE_O0: f64 = 0.5;
const PADE_O1: f64 = 1.0 / 66.0;
const PADE_O2: f64 = 1.0 / 15_840.0;

/// `exp(-|z|)` as a ratio `(m, d)`, `e^-|z| = m / d`, with `m = 2^k P(r)` and `d = P(-r)` from
/// [`reduce`] and the Padé coefficients above, both `P(±r)` formed as `1 + (E ± O)` so that the
/// only large rounding is the final `1 +`. Returning the ratio lets the sigmoid use one division
/// for `exp` and the quotient together: `s = d / (d + m)` or `m / (d + m)`. `d` lies in
/// `[0.8, 1.2]`; `m` is `0` for `|z| >= 746`.
#[inline(always)]
fn exp_neg_abs_ratio(z: f64) -> (f64, f64) {
    let (r, scale) = reduce(z);
    let w = r * r;
    let even = w * (PADE_E1 + w * (PADE_E2 + w * PADE_E3));
    let odd = r * (PADE_O0 + w * (PADE_O1 + w * PADE_O2));
    let num = 1.0 + (even + odd);
    let den = 1.0 + (even - odd);
    ((num * scale) * TWO_POW_M537, den)
}

/// `ln 2` split as in fdlibm `e_log.c` (same values as [`LN2_HI`]/[`LN2_LO`]).
const LOG_LN2_HI: f64 = LN2_HI;
const LOG_LN2_LO: f64 = LN2_LO;

/// Coefficients of `G(q) = (2 atanh(s) - 2 s) / s^3 = sum_j 2 q^j / (2j + 3)`, `q = s^2`, on
/// `[0, 0.04]` (`|s| <= 0.2`), degree 7, lowest first: the Chebyshev interpolant, computed with
/// 80-digit Python `decimal` arithmetic and rounded to `f64`. Its contribution `s q G(q)` to
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

/// `log(1 + e)` for `e` in `[0, 1]` (NaN propagates), branch-free.
///
/// fdlibm `e_log.c`'s method on a reduction chosen to be exact: for `e < 0.5`, `k = 0` and
/// `f = e`; for `e >= 0.5`, `k = 1` and `f = (e - 1) / 2` (exact by Sterbenz's lemma), so that
/// `1 + e = 2^k (1 + f)` with `f` in `[-0.25, 0.5)` and the rounding of `1 + e` is never
/// committed (which is what makes `log1p` accurate for tiny `e`). With `s = f / (2 + f)`,
/// `log(1 + f) = 2 atanh(s) = 2s + s q G(q)`, `q = s^2`, evaluated as fdlibm does,
/// `k ln2_hi - ((hfsq - (s (hfsq + R) + k ln2_lo)) - f)` with `hfsq = f^2 / 2` and `R = q G(q)`,
/// so that the large terms are added last. For tiny `e` (down to the subnormals) the result is
/// `e` itself. Error about 1 ulp.
#[inline(always)]
pub(crate) fn log1p_unit(e: f64) -> f64 {
    let upper = e >= 0.5;
    let f = if upper { (e - 1.0) * 0.5 } else { e };
    let k = if upper { 1.0 } else { 0.0 };
    let s = f / (2.0 + f);
    let q = s * s;
    let q2 = q * q;
    let g = (LOG_G[0] + q * LOG_G[1])
        + q2 * (LOG_G[2] + q * LOG_G[3])
        + q2 * q2 * ((LOG_G[4] + q * LOG_G[5]) + q2 * (LOG_G[6] + q * LOG_G[7]));
    let big_r = q * g;
    let hfsq = 0.5 * f * f;
    k * LOG_LN2_HI - ((hfsq - (s * (hfsq + big_r) + k * LOG_LN2_LO)) - f)
}

/// [`sigmoid`] for the slice loop: `(z < 0 ? m : d) / (d + m)` with `e^-|z| = m / d` from
/// [`exp_neg_abs_ratio`], i.e. the sign branch of the textbook stable form (`1 / (1 + e)` for
/// `z >= 0`, `e / (1 + e)` for `z < 0`) as a select.
#[inline(always)]
fn sigmoid_kernel(z: f64) -> f64 {
    let (m, d) = exp_neg_abs_ratio(z);
    let top = if z < 0.0 { m } else { d };
    top / (d + m)
}

/// [`log1p_exp`] for the slice loops: `max(z, 0) + log1p(exp(-|z|))`.
#[inline(always)]
fn softplus_kernel(z: f64) -> f64 {
    let l = log1p_unit(exp_neg_abs(z));
    // A select rather than `f64::max`, so that NaN propagates.
    let pos = if z > 0.0 { z } else { 0.0 };
    pos + l
}

/// [`sigmoid_derivative`] for the slice loop: `e / (1 + e (2 + e))` with `e = exp(-|z|)`.
#[inline(always)]
fn sigmoid_derivative_kernel(z: f64) -> f64 {
    let e = exp_neg_abs(z);
    e / (1.0 + e * (2.0 + e))
}

/// Lanes of independent partial sums in [`log_loss_slice`]: enough for LLVM to fill a vector
/// register and hide the latency of the adds, without reassociating any floating-point sum.
pub(crate) const SUM_LANES: usize = 8;

pub(crate) use crate::data::design::kernel::kernel_copies;
pub use crate::data::design::kernel::{knob_note, Kernel};

/// `out[i] = sigmoid(z[i])` for a whole slice; the loop auto-vectorises.
///
/// The textbook stable form, `1 / (1 + e)` for `z >= 0` and `e / (1 + e)` for `z < 0` with
/// `e = exp(-|z|)` (scikit-learn's `_inner_logistic_sigmoid`), as a branch-free select, with `e`
/// kept as a Padé ratio `m / d` so that one division yields both the exponential and the
/// quotient: `d / (d + m)` or `m / (d + m)`. The relative error stays below 2.8 ulp on every
/// input tried (dense grids, all the extremes and 12 million random scores, against a
/// double-double reference; the tests assert at most 4 ulp). That bound is measured, not proved:
/// a pessimistic analysis that lets all five roundings peak with the same sign allows about
/// 4 ulp. Exact values `0`, `0.5` and `1` at `-inf`, `0` and `+inf`; NaN for NaN. Results may
/// differ from [`sigmoid`] in the last bits, and are monotone in `z` only up to that rounding.
///
/// # Panics
/// If `z` and `out` have different lengths.
pub fn sigmoid_slice(z: &[f64], out: &mut [f64]) {
    sigmoid_slice_with(Kernel::active(), z, out);
}

/// [`sigmoid_slice`] through the given kernel copy (tests compare every copy bit for bit).
#[doc(hidden)]
pub fn sigmoid_slice_with(kernel: Kernel, z: &[f64], out: &mut [f64]) {
    assert_eq!(
        z.len(),
        out.len(),
        "sigmoid_slice: input and output lengths differ"
    );
    sigmoid_copies(kernel, z, out);
}

kernel_copies!(fn sigmoid_copies(z: &[f64], out: &mut [f64]) = sigmoid_loop);

#[inline(always)]
fn sigmoid_loop(z: &[f64], out: &mut [f64]) {
    for (o, &zi) in out.iter_mut().zip(z) {
        *o = sigmoid_kernel(zi);
    }
}

/// `out[i] = log_sigmoid(z[i])` for a whole slice; the loop auto-vectorises.
///
/// `-(max(-z, 0) + log1p(exp(-|z|)))`, the same stable form as [`log_sigmoid`], with the
/// branch-free `exp` and `log1p` kernels. Relative error below 2 ulp over every input tried
/// (measured in the tests).
///
/// # Panics
/// If `z` and `out` have different lengths.
pub fn log_sigmoid_slice(z: &[f64], out: &mut [f64]) {
    log_sigmoid_slice_with(Kernel::active(), z, out);
}

/// [`log_sigmoid_slice`] through the given kernel copy.
#[doc(hidden)]
pub fn log_sigmoid_slice_with(kernel: Kernel, z: &[f64], out: &mut [f64]) {
    assert_eq!(
        z.len(),
        out.len(),
        "log_sigmoid_slice: input and output lengths differ"
    );
    log_sigmoid_copies(kernel, z, out);
}

kernel_copies!(fn log_sigmoid_copies(z: &[f64], out: &mut [f64]) = log_sigmoid_loop);

#[inline(always)]
fn log_sigmoid_loop(z: &[f64], out: &mut [f64]) {
    for (o, &zi) in out.iter_mut().zip(z) {
        *o = -softplus_kernel(-zi);
    }
}

/// `out[i] = sigmoid_derivative(z[i])` for a whole slice; the loop auto-vectorises.
///
/// `e / (1 + e (2 + e))` with `e = exp(-|z|)`, as in [`sigmoid_derivative`], with the
/// branch-free `exp`. Relative error below 2.5 ulp over every input tried (measured in the
/// tests).
///
/// # Panics
/// If `z` and `out` have different lengths.
pub fn sigmoid_derivative_slice(z: &[f64], out: &mut [f64]) {
    sigmoid_derivative_slice_with(Kernel::active(), z, out);
}

/// [`sigmoid_derivative_slice`] through the given kernel copy.
#[doc(hidden)]
pub fn sigmoid_derivative_slice_with(kernel: Kernel, z: &[f64], out: &mut [f64]) {
    assert_eq!(
        z.len(),
        out.len(),
        "sigmoid_derivative_slice: input and output lengths differ"
    );
    sigmoid_derivative_copies(kernel, z, out);
}

kernel_copies!(fn sigmoid_derivative_copies(z: &[f64], out: &mut [f64]) = sigmoid_derivative_loop);

#[inline(always)]
fn sigmoid_derivative_loop(z: &[f64], out: &mut [f64]) {
    for (o, &zi) in out.iter_mut().zip(z) {
        *o = sigmoid_derivative_kernel(zi);
    }
}

/// `sum_i log_loss(y[i], z[i])` over a whole slice; the loop auto-vectorises.
///
/// Each term is `softplus(w)` with `w = -z` for `y > 0.5` and `w = z` otherwise, computed as in
/// [`log1p_exp`] with the branch-free kernels (below 2 ulp each). The terms go into 8 interleaved
/// partial sums that are combined pairwise at the end, which lets the loop vectorise without
/// reassociating anything and is, if anything, more accurate than one running sum (the result
/// can differ from a sequential sum of [`log_loss`] in the last bits). The sum is `+inf` if some
/// score is infinitely wrong, NaN if any input is NaN, `0` for empty slices.
///
/// # Panics
/// If `y` and `z` have different lengths.
pub fn log_loss_slice(y: &[f64], z: &[f64]) -> f64 {
    log_loss_slice_with(Kernel::active(), y, z)
}

/// [`log_loss_slice`] through the given kernel copy.
#[doc(hidden)]
pub fn log_loss_slice_with(kernel: Kernel, y: &[f64], z: &[f64]) -> f64 {
    assert_eq!(
        y.len(),
        z.len(),
        "log_loss_slice: label and score lengths differ"
    );
    log_loss_copies(kernel, y, z)
}

kernel_copies!(fn log_loss_copies(y: &[f64], z: &[f64]) -> f64 = log_loss_loop);

#[inline(always)]
fn log_loss_loop(y: &[f64], z: &[f64]) -> f64 {
    let term = |yi: f64, zi: f64| softplus_kernel(if yi > 0.5 { -zi } else { zi });
    let mut acc = [0.0_f64; SUM_LANES];
    let y_chunks = y.chunks_exact(SUM_LANES);
    let z_chunks = z.chunks_exact(SUM_LANES);
    let (y_rest, z_rest) = (y_chunks.remainder(), z_chunks.remainder());
    for (yc, zc) in y_chunks.zip(z_chunks) {
        // Fixed-size views, so the inner loop has a constant trip count and is fully unrolled.
        let yc: &[f64; SUM_LANES] = yc.try_into().expect("exact chunk");
        let zc: &[f64; SUM_LANES] = zc.try_into().expect("exact chunk");
        for ((a, &yi), &zi) in acc.iter_mut().zip(yc).zip(zc) {
            *a += term(yi, zi);
        }
    }
    for ((a, &yi), &zi) in acc.iter_mut().zip(y_rest).zip(z_rest) {
        *a += term(yi, zi);
    }
    sum_lanes(acc)
}

/// Adds up the lanes of partial sums pairwise, in a fixed order.
#[inline(always)]
pub(crate) fn sum_lanes(mut acc: [f64; SUM_LANES]) -> f64 {
    let mut width = SUM_LANES;
    while width > 1 {
        width /= 2;
        for j in 0..width {
            acc[j] += acc[j + width];
        }
    }
    acc[0]
}

/// [`log_loss_and_residual`] for the slice loop: with `w = z` (`y = 0`) or `-z` (`y = 1`) and
/// `e = exp(-|z|)`, the loss `max(w, 0) + log1p(e)` and the residual `±s(w)` with
/// `s(w) = (w > 0 ? 1 : e) / (1 + e)`, as selects.
#[inline(always)]
pub(crate) fn log_loss_and_residual_kernel(y: f64, z: f64) -> (f64, f64) {
    let positive = y > 0.5;
    let w = if positive { -z } else { z };
    let e = exp_neg_abs(z);
    let loss = (if w > 0.0 { w } else { 0.0 }) + log1p_unit(e);
    let s_w = (if w > 0.0 { 1.0 } else { e }) / (1.0 + e);
    (loss, if positive { -s_w } else { s_w })
}

/// Sum of [`log_loss`]`(y[i], z[i])`, with each score `z[i]` overwritten by its residual
/// `s(z[i]) - y[i]` (the derivative of the loss in `z`): the inner step of the objective's fused
/// loss-and-gradient pass.
///
/// Same forms as [`log_loss_and_residual`] (loss `max(w, 0) + log1p(e)`, residual `±s(w)` formed
/// without cancellation), with the branch-free kernels so the loop vectorises; loss terms and
/// residuals are within 1.5 and 2 ulp of exact on every input tried (measured in the tests). The
/// loss terms go into the same 8 interleaved partial sums as in [`log_loss_slice`], combined
/// in a fixed order, so the result does not depend on the vector width. `#[inline(always)]` so
/// that a caller compiled with wider vector features gets a copy compiled with them too.
///
/// # Panics
/// If `y` and `z` have different lengths.
#[inline(always)]
pub fn log_loss_and_residual_slice(y: &[f64], z: &mut [f64]) -> f64 {
    assert_eq!(
        y.len(),
        z.len(),
        "log_loss_and_residual_slice: label and score lengths differ"
    );
    let mut acc = [0.0_f64; SUM_LANES];
    let mut y_chunks = y.chunks_exact(SUM_LANES);
    let mut z_chunks = z.chunks_exact_mut(SUM_LANES);
    for (yc, zc) in (&mut y_chunks).zip(&mut z_chunks) {
        let yc: &[f64; SUM_LANES] = yc.try_into().expect("exact chunk");
        let zc: &mut [f64; SUM_LANES] = zc.try_into().expect("exact chunk");
        for ((a, &yi), zi) in acc.iter_mut().zip(yc).zip(zc) {
            let (l, r) = log_loss_and_residual_kernel(yi, *zi);
            *a += l;
            *zi = r;
        }
    }
    let rest = y_chunks.remainder().iter().zip(z_chunks.into_remainder());
    for (a, (&yi, zi)) in acc.iter_mut().zip(rest) {
        let (l, r) = log_loss_and_residual_kernel(yi, *zi);
        *a += l;
        *zi = r;
    }
    sum_lanes(acc)
}

/// [`log_loss_and_residual_slice`] through the given kernel copy.
#[doc(hidden)]
pub fn log_loss_and_residual_slice_with(kernel: Kernel, y: &[f64], z: &mut [f64]) -> f64 {
    log_loss_and_residual_copies(kernel, y, z)
}

kernel_copies!(fn log_loss_and_residual_copies(y: &[f64], z: &mut [f64]) -> f64 = log_loss_and_residual_slice);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // -----------------------------------------------------------------------------------------
    // A double-double (about 106-bit) reference, independent of the platform libm: exp by range
    // reduction and a 30-term Taylor series, log1p by the atanh series. It is checked against
    // 60-digit Python `decimal` values in `reference_matches_high_precision_constants`.
    // -----------------------------------------------------------------------------------------

    #[derive(Clone, Copy, Debug)]
    struct Dd {
        hi: f64,
        lo: f64,
    }

    fn dd(x: f64) -> Dd {
        Dd { hi: x, lo: 0.0 }
    }

    fn two_sum(a: f64, b: f64) -> Dd {
        let s = a + b;
        let bb = s - a;
        Dd {
            hi: s,
            lo: (a - (s - bb)) + (b - bb),
        }
    }

    fn fast_two_sum(a: f64, b: f64) -> Dd {
        let s = a + b;
        Dd {
            hi: s,
            lo: b - (s - a),
        }
    }

    fn add(x: Dd, y: Dd) -> Dd {
        let s = two_sum(x.hi, y.hi);
        let t = two_sum(x.lo, y.lo);
        let u = fast_two_sum(s.hi, s.lo + t.hi);
        fast_two_sum(u.hi, u.lo + t.lo)
    }

    fn neg(x: Dd) -> Dd {
        Dd {
            hi: -x.hi,
            lo: -x.lo,
        }
    }

    fn sub(x: Dd, y: Dd) -> Dd {
        add(x, neg(y))
    }

    fn mul(x: Dd, y: Dd) -> Dd {
        let p = x.hi * y.hi;
        let e = x.hi.mul_add(y.hi, -p);
        fast_two_sum(p, e + (x.hi * y.lo + x.lo * y.hi))
    }

    fn div(x: Dd, y: Dd) -> Dd {
        let q1 = x.hi / y.hi;
        let r = sub(x, mul(y, dd(q1)));
        let q2 = r.hi / y.hi;
        let r = sub(r, mul(y, dd(q2)));
        let q3 = r.hi / y.hi;
        add(fast_two_sum(q1, q2), dd(q3))
    }

    /// `x * 2^n`, in steps so that no intermediate overflows.
    fn ldexp(mut x: f64, mut n: i32) -> f64 {
        while n > 1000 {
            x *= 2f64.powi(1000);
            n -= 1000;
        }
        while n < -1000 {
            x *= 2f64.powi(-1000);
            n += 1000;
        }
        x * f64::from_bits(((n + 1023) as u64) << 52)
    }

    /// ln 2 as a double-double (hi = f64 nearest ln 2, lo = nearest to the rest; Python
    /// `decimal`, 60 digits).
    const LN2_DD: Dd = Dd {
        hi: std::f64::consts::LN_2,
        lo: 2.319_046_813_846_299_6e-17,
    };

    /// `e^x = m 2^k` for `|x| <= 1100`.
    fn exp_dd(x: f64) -> (Dd, i32) {
        let k = (x / LN2_DD.hi).round();
        let r = sub(dd(x), mul(dd(k), LN2_DD));
        let (mut term, mut sum) = (dd(1.0), dd(1.0));
        for n in 1..=30 {
            term = div(mul(term, r), dd(f64::from(n)));
            sum = add(sum, term);
        }
        (sum, k as i32)
    }

    /// `log(1 + e)` for `e` in `[0, 1]`: `2 atanh(s)`, `s = e / (2 + e) <= 1/3`.
    fn log1p_dd(e: Dd) -> Dd {
        let s = div(e, add(dd(2.0), e));
        let s2 = mul(s, s);
        let (mut term, mut sum) = (s, s);
        for j in 1..=40 {
            term = mul(term, s2);
            if term.hi == 0.0 {
                break;
            }
            sum = add(sum, div(term, dd(f64::from(2 * j + 1))));
        }
        mul(dd(2.0), sum)
    }

    /// A reference value `m * 2^k` (the exponent kept apart so that subnormal results keep
    /// their full precision).
    #[derive(Clone, Copy, Debug)]
    struct Ref {
        m: Dd,
        k: i32,
    }

    impl Ref {
        fn plain(m: Dd) -> Ref {
            Ref { m, k: 0 }
        }
        fn value(self) -> Dd {
            Dd {
                hi: ldexp(self.m.hi, self.k),
                lo: ldexp(self.m.lo, self.k),
            }
        }
        fn neg(self) -> Ref {
            Ref {
                m: neg(self.m),
                k: self.k,
            }
        }
    }

    /// Stands for a positive value far below the smallest subnormal.
    const FAR_BELOW: Ref = Ref {
        m: Dd { hi: 1.0, lo: 0.0 },
        k: -2000,
    };

    /// `|got - ref|` in units of the ulp of `ref` (for subnormal `ref`, the subnormal spacing
    /// 2^-1074). NaN or infinite `got` count as infinitely wrong.
    fn ulp_err(got: f64, r: Ref) -> f64 {
        if !got.is_finite() {
            return f64::INFINITY;
        }
        if r.m.hi == 0.0 {
            return if got == 0.0 { 0.0 } else { f64::INFINITY };
        }
        let bits = r.m.hi.abs().to_bits();
        let mut e = ((bits >> 52) as i32) - 1023;
        if bits & ((1 << 52) - 1) == 0 && r.m.lo != 0.0 && (r.m.lo < 0.0) != (r.m.hi < 0.0) {
            e -= 1; // hi is a power of two and the true value lies just below it
        }
        let ulp_exp = (e + r.k).max(-1022) - 52;
        let g = ldexp(got, -ulp_exp);
        let hi = ldexp(r.m.hi, r.k - ulp_exp);
        let lo = ldexp(r.m.lo, r.k - ulp_exp);
        ((g - hi) - lo).abs()
    }

    fn exp_neg_abs_ref(z: f64) -> Ref {
        let a = z.abs();
        if a > 1000.0 {
            return FAR_BELOW;
        }
        let (m, k) = exp_dd(-a);
        Ref { m, k }
    }

    fn sigmoid_ref(z: f64) -> Ref {
        let e = exp_neg_abs_ref(z);
        let d = add(dd(1.0), e.value());
        if z < 0.0 {
            Ref {
                m: div(e.m, d),
                k: e.k,
            }
        } else {
            Ref::plain(div(dd(1.0), d))
        }
    }

    fn softplus_ref(z: f64) -> Ref {
        if z > 1000.0 {
            return Ref::plain(dd(z)); // z + e^-z with e^-z < 1e-434
        }
        let e = exp_neg_abs_ref(z);
        if z > 0.0 {
            Ref::plain(add(dd(z), log1p_dd(e.value())))
        } else if z < -600.0 {
            e // log1p(e) = e (1 - e/2 + ...), and e < 1e-260
        } else {
            Ref::plain(log1p_dd(e.value()))
        }
    }

    fn log_sigmoid_ref(z: f64) -> Ref {
        softplus_ref(-z).neg()
    }

    fn derivative_ref(z: f64) -> Ref {
        let e = exp_neg_abs_ref(z);
        let d = add(dd(1.0), e.value());
        Ref {
            m: div(e.m, mul(d, d)),
            k: e.k,
        }
    }

    fn ulps_from(got: f64, want: f64) -> f64 {
        ulp_err(got, Ref::plain(dd(want)))
    }

    // -----------------------------------------------------------------------------------------
    // High-precision constants. Produced with Python 3.11's `decimal` module at 60 significant
    // digits from the exact binary value of each `z` (`Decimal(z)`), with `Decimal.exp()` and
    // `Decimal.ln()`: s(z) = 1 / (1 + exp(-z)); log s(z) = -softplus(-z);
    // s'(z) = s(z) (1 - s(z)) (for |z| >= 50: e / (1 + e)^2 with e = exp(-|z|));
    // softplus(z) = z + ln(1 + exp(-z)) for z > 0, else ln(1 + e) with e = exp(z), replaced by
    // e - e^2/2 when e < 1e-40 (where a 60-digit 1 + e would round to 1); then `float()` (correct
    // rounding, also for subnormals).
    // -----------------------------------------------------------------------------------------

    /// `(z, s(z), log s(z), s'(z), softplus(z) = log_loss(0, z))`.
    const TABLE: [(f64, f64, f64, f64, f64); 11] = [
        (
            1e-300,
            0.5,
            -std::f64::consts::LN_2,
            0.25,
            std::f64::consts::LN_2,
        ),
        (
            0.5,
            0.622_459_331_201_854_6,
            -0.474_076_984_180_106_7,
            0.235_003_712_201_594_5,
            0.974_076_984_180_106_7,
        ),
        (
            -3.25,
            0.037_326_887_344_129_46,
            -3.288_041_371_687_783,
            0.035_933_590_825_328_13,
            0.038_041_371_687_783_126,
        ),
        (
            20.0,
            0.999_999_997_938_846_4,
            -2.061_153_620_314_381e-9,
            2.061_153_613_941_849e-9,
            20.000_000_002_061_153,
        ),
        (
            -20.0,
            2.061_153_618_190_203_7e-9,
            -20.000_000_002_061_153,
            2.061_153_613_941_849e-9,
            2.061_153_620_314_381e-9,
        ),
        (
            36.7,
            0.999_999_999_999_999_9,
            -1.151_840_949_307_609_5e-16,
            1.151_840_949_307_609_5e-16,
            36.7,
        ),
        (
            -36.7,
            1.151_840_949_307_609_5e-16,
            -36.7,
            1.151_840_949_307_609_5e-16,
            1.151_840_949_307_609_5e-16,
        ),
        (
            709.0,
            1.0,
            -1.216_780_750_623_423e-308,
            1.216_780_750_623_423e-308,
            709.0,
        ),
        (
            -709.0,
            1.216_780_750_623_423e-308,
            -709.0,
            1.216_780_750_623_423e-308,
            1.216_780_750_623_423e-308,
        ),
        (745.0, 1.0, -5e-324, 5e-324, 745.0),
        (-745.0, 5e-324, -745.0, 5e-324, 5e-324),
    ];

    #[test]
    fn reference_matches_high_precision_constants() {
        for &(z, s, ls, ds, sp) in &TABLE {
            // The constants are correctly rounded, so they lie within half an ulp of the truth.
            assert!(ulp_err(s, sigmoid_ref(z)) <= 0.5 + 1e-9, "sigmoid_ref({z})");
            assert!(
                ulp_err(ls, log_sigmoid_ref(z)) <= 0.5 + 1e-9,
                "log_sigmoid_ref({z})"
            );
            assert!(
                ulp_err(ds, derivative_ref(z)) <= 0.5 + 1e-9,
                "derivative_ref({z})"
            );
            assert!(
                ulp_err(sp, softplus_ref(z)) <= 0.5 + 1e-9,
                "softplus_ref({z})"
            );
        }
    }

    #[test]
    fn scalar_functions_match_high_precision_constants() {
        // The constants are correctly rounded; the functions are allowed 2 ulp.
        let close = |got: f64, want: f64| ulps_from(got, want) <= 2.0;
        for &(z, s, ls, ds, sp) in &TABLE {
            assert!(close(sigmoid(z), s), "sigmoid({z}) = {:e}", sigmoid(z));
            assert!(close(log_sigmoid(z), ls), "log_sigmoid({z})");
            assert!(close(sigmoid_derivative(z), ds), "sigmoid_derivative({z})");
            assert!(close(log1p_exp(z), sp), "log1p_exp({z})");
            assert!(close(log_loss(0.0, z), sp), "log_loss(0, {z})");
            assert!(close(log_loss(1.0, -z), sp), "log_loss(1, -{z})");
            assert!(close(log_loss(1.0, z), -ls), "log_loss(1, {z})");
            let (l, r) = log_loss_and_residual(0.0, z);
            assert!(close(l, sp) && close(r, s), "log_loss_and_residual(0, {z})");
        }
    }

    #[test]
    fn hand_derived_limits_and_extremes() {
        let inf = f64::INFINITY;
        let ln2 = std::f64::consts::LN_2;
        // s(0) = 1/2 exactly; s(1e-300) = 1/2 + 2.5e-301, which rounds to 1/2.
        for z in [0.0, -0.0, 1e-300, -1e-300] {
            assert_eq!(sigmoid(z), 0.5);
            assert_eq!(sigmoid_derivative(z), 0.25);
            assert_eq!(log1p_exp(z), ln2);
            assert_eq!(log_sigmoid(z), -ln2);
            assert_eq!(log_loss(0.0, z), ln2);
            assert_eq!(log_loss(1.0, z), ln2);
        }
        // e^-|z| underflows to 0 for |z| >= 746 (e^-746 < 2^-1075).
        for z in [746.0, 1e300, f64::MAX, inf] {
            assert_eq!(sigmoid(z), 1.0);
            assert_eq!(sigmoid(-z), 0.0);
            assert_eq!(sigmoid_derivative(z), 0.0);
            assert_eq!(sigmoid_derivative(-z), 0.0);
            assert_eq!(log1p_exp(-z), 0.0);
            assert_eq!(log_sigmoid(z), 0.0);
            // softplus(z) = z + log1p(e^-z) = z exactly once e^-z < ulp(z) / 2.
            assert_eq!(log1p_exp(z), z);
            assert_eq!(log_sigmoid(-z), -z);
            assert_eq!(log_loss(1.0, z), 0.0);
            assert_eq!(log_loss(0.0, -z), 0.0);
            assert_eq!(log_loss(1.0, -z), z);
            assert_eq!(log_loss(0.0, z), z);
        }
        // log s(-1e300) = -1e300 - log1p(e^-1e300) = -1e300 exactly.
        assert_eq!(log_sigmoid(-1e300), -1e300);
        // e^-745 = 0.57 * 2^-1074 rounds to the smallest subnormal, and so does every form of it.
        let tiny = f64::from_bits(1);
        assert_eq!(sigmoid(-745.0), tiny);
        assert_eq!(sigmoid_derivative(745.0), tiny);
        assert_eq!(log1p_exp(-745.0), tiny);
        assert_eq!(log_sigmoid(745.0), -tiny);
        assert_eq!(log_loss(1.0, 745.0), tiny);
        // NaN in, NaN out.
        let nan = f64::NAN;
        assert!(sigmoid(nan).is_nan());
        assert!(log1p_exp(nan).is_nan());
        assert!(log_sigmoid(nan).is_nan());
        assert!(sigmoid_derivative(nan).is_nan());
        assert!(log_loss(0.0, nan).is_nan() && log_loss(1.0, nan).is_nan());
        let (l, r) = log_loss_and_residual(1.0, nan);
        assert!(l.is_nan() && r.is_nan());
    }

    #[test]
    fn log_loss_and_residual_does_not_cancel() {
        // Python `decimal`, 60 digits: s(-40) = 1 / (1 + e^40); log1p(e^-40) rounds to the same.
        let s_m40 = 4.248_354_255_291_589e-18;
        assert_eq!(log_loss_and_residual(1.0, 40.0), (s_m40, -s_m40));
        assert_eq!(log_loss_and_residual(0.0, -40.0), (s_m40, s_m40));
        assert_eq!(log_loss_and_residual(0.0, 40.0).1, 1.0);
        assert_eq!(log_loss_and_residual(1.0, -40.0).1, -1.0);
        // log1p(e^-20) = 2.061153620314381e-09, s(-20) = 2.0611536181902037e-09 (same method).
        let (l, r) = log_loss_and_residual(1.0, 20.0);
        assert!(ulps_from(l, 2.061_153_620_314_381e-9) <= 1.0);
        assert!(ulps_from(r, -2.061_153_618_190_203_7e-9) <= 1.0);
        // s(-745) and log1p(e^-745) both round to the smallest subnormal: the residual of a
        // confidently right score is tiny, not 0.
        let tiny = f64::from_bits(1);
        assert_eq!(log_loss_and_residual(1.0, 745.0), (tiny, -tiny));
        // Infinite scores: loss 0 or +inf, residual 0 or +-1.
        let inf = f64::INFINITY;
        assert_eq!(log_loss_and_residual(1.0, inf), (0.0, 0.0));
        assert_eq!(log_loss_and_residual(1.0, -inf), (inf, -1.0));
        assert_eq!(log_loss_and_residual(0.0, inf), (inf, 1.0));
        assert_eq!(log_loss_and_residual(0.0, -inf), (0.0, 0.0));
        assert_eq!(log_loss_and_residual(1.0, -1e300), (1e300, -1.0));
        assert_eq!(
            log_loss_and_residual(0.0, 0.0),
            (std::f64::consts::LN_2, 0.5)
        );
    }

    /// Dense and extreme test points: a 2^-10 grid on [-40, 40], a 1/16 grid on [-800, 800],
    /// `±2^e (1 + j/16)` for every binary exponent from the subnormals up to 2^12, neighbours
    /// of the thresholds where terms underflow, huge and extreme values, and pseudo-random
    /// values in [-750, 750].
    fn test_points() -> Vec<f64> {
        let mut v = Vec::new();
        v.extend((-40 * 1024..=40 * 1024).map(|i| f64::from(i) / 1024.0));
        v.extend((-800 * 16..=800 * 16).map(|i| f64::from(i) / 16.0));
        for e in -1074..=12 {
            for j in 0..16 {
                let x = ldexp(1.0 + f64::from(j) / 16.0, e);
                v.extend([x, -x]);
            }
        }
        for b in [
            1e-300,
            18.0,
            33.3,
            36.7,
            37.0,
            708.0,
            708.4,
            709.0,
            709.78,
            744.44,
            745.0,
            745.13,
            746.0,
            1e3,
            1e10,
            1e300,
            f64::MAX,
        ] {
            let bits = b.to_bits();
            for d in 0..8 {
                let up = f64::from_bits(bits + d).min(f64::MAX);
                for x in [up, f64::from_bits(bits - d)] {
                    v.extend([x, -x]);
                }
            }
        }
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        // 50,000 random scores here (12 million were measured once, see the slice docs): the
        // dense grids above cover every binade and switch point, and the suite stays quick.
        for _ in 0..50_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            v.push(1500.0 * u - 750.0);
        }
        v.extend([
            0.0,
            -0.0,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
        ]);
        v
    }

    /// Largest `ulp_err` of `got[i]` against `reference(z[i])`, and the `z` where it occurs.
    fn worst(z: &[f64], got: &[f64], reference: impl Fn(f64) -> Ref) -> (f64, f64) {
        z.iter()
            .zip(got)
            .map(|(&zi, &g)| (ulp_err(g, reference(zi)), zi))
            .fold((0.0, f64::NAN), |a, b| if b.0 > a.0 { b } else { a })
    }

    fn map(z: &[f64], f: impl Fn(f64) -> f64) -> Vec<f64> {
        z.iter().map(|&x| f(x)).collect()
    }

    #[test]
    fn scalar_ulp_errors_on_dense_grid() {
        let z = test_points();
        type Check = (&'static str, Vec<f64>, fn(f64) -> Ref, f64);
        let checks: [Check; 5] = [
            ("sigmoid", map(&z, sigmoid), sigmoid_ref, 2.5),
            ("log1p_exp", map(&z, log1p_exp), softplus_ref, 2.0),
            ("log_sigmoid", map(&z, log_sigmoid), log_sigmoid_ref, 2.0),
            (
                "sigmoid_derivative",
                map(&z, sigmoid_derivative),
                derivative_ref,
                3.0,
            ),
            (
                "log_loss(1, z)",
                map(&z, |x| log_loss(1.0, x)),
                log_sigmoid_ref_neg,
                2.0,
            ),
        ];
        for (name, got, reference, bound) in checks {
            let (err, at) = worst(&z, &got, reference);
            println!("{name}: max error {err:.3} ulp at z = {at:e}");
            assert!(err <= bound, "{name}: {err} ulp at z = {at:e}");
        }
        let res = map(&z, |x| log_loss_and_residual(1.0, x).1);
        let (err, at) = worst(&z, &res, |x| sigmoid_ref(-x).neg());
        println!("residual (y = 1): max error {err:.3} ulp at z = {at:e}");
        assert!(err <= 2.0);
    }

    fn log_sigmoid_ref_neg(z: f64) -> Ref {
        softplus_ref(-z)
    }

    #[test]
    fn slice_ulp_errors_on_dense_grid() {
        let z = test_points();
        let mut out = vec![0.0; z.len()];
        sigmoid_slice(&z, &mut out);
        let (err, at) = worst(&z, &out, sigmoid_ref);
        println!("sigmoid_slice: max error {err:.3} ulp at z = {at:e}");
        assert!(err <= 4.0, "sigmoid_slice: {err} ulp at z = {at:e}");
        log_sigmoid_slice(&z, &mut out);
        let (err, at) = worst(&z, &out, log_sigmoid_ref);
        println!("log_sigmoid_slice: max error {err:.3} ulp at z = {at:e}");
        assert!(err <= 4.0, "log_sigmoid_slice: {err} ulp at z = {at:e}");
        sigmoid_derivative_slice(&z, &mut out);
        let (err, at) = worst(&z, &out, derivative_ref);
        println!("sigmoid_derivative_slice: max error {err:.3} ulp at z = {at:e}");
        assert!(
            err <= 4.0,
            "sigmoid_derivative_slice: {err} ulp at z = {at:e}"
        );
        // One-term sums measure the log-loss kernel itself.
        let got: Vec<f64> = z.iter().map(|&x| log_loss_slice(&[1.0], &[x])).collect();
        let (err, at) = worst(&z, &got, log_sigmoid_ref_neg);
        println!("log_loss_slice (one term): max error {err:.3} ulp at z = {at:e}");
        assert!(err <= 4.0, "log_loss_slice: {err} ulp at z = {at:e}");
        // The fused loss-and-residual pass, for both labels: one-term losses, and residuals.
        for y in [0.0, 1.0] {
            let loss: Vec<f64> = z
                .iter()
                .map(|&x| log_loss_and_residual_slice(&[y], &mut [x]))
                .collect();
            let (err, at) = worst(&z, &loss, |x| softplus_ref(if y > 0.5 { -x } else { x }));
            println!(
                "log_loss_and_residual_slice (y = {y}) loss: max error {err:.3} ulp at {at:e}"
            );
            assert!(err <= 4.0, "loss: {err} ulp at z = {at:e}");
            let mut res = z.clone();
            log_loss_and_residual_slice(&vec![y; z.len()], &mut res);
            let (err, at) = worst(&z, &res, |x| {
                if y > 0.5 {
                    sigmoid_ref(-x).neg()
                } else {
                    sigmoid_ref(x)
                }
            });
            println!(
                "log_loss_and_residual_slice (y = {y}) residual: max error {err:.3} ulp at {at:e}"
            );
            assert!(err <= 4.0, "residual: {err} ulp at z = {at:e}");
        }
    }

    #[test]
    fn slices_handle_special_values() {
        let inf = f64::INFINITY;
        let tiny = f64::from_bits(1);
        let z = [
            0.0,
            -0.0,
            1e-300,
            -1e-300,
            tiny,
            -tiny,
            745.0,
            -745.0,
            746.0,
            -746.0,
            1e300,
            -1e300,
            f64::MAX,
            f64::MIN,
            inf,
            -inf,
        ];
        let mut out = [0.0; 16];
        sigmoid_slice(&z, &mut out);
        assert_eq!(
            out,
            [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1.0, tiny, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0]
        );
        sigmoid_derivative_slice(&z, &mut out);
        let d = [0.25, 0.25, 0.25, 0.25, 0.25, 0.25, tiny, tiny];
        assert_eq!(out[..8], d);
        assert!(out[8..].iter().all(|&v| v == 0.0));
        log_sigmoid_slice(&z, &mut out);
        let ln2 = std::f64::consts::LN_2;
        let want = [
            -ln2,
            -ln2,
            -ln2,
            -ln2,
            -ln2,
            -ln2,
            -tiny,
            -745.0,
            0.0,
            -746.0,
            0.0,
            -1e300,
            0.0,
            f64::MIN,
            0.0,
            -inf,
        ];
        assert_eq!(out, want);
        assert_eq!(log_loss_slice(&[1.0, 0.0], &[inf, -inf]), 0.0);
        assert_eq!(log_loss_slice(&[1.0, 0.0, 1.0], &[inf, -inf, -inf]), inf);
        assert_eq!(log_loss_slice(&[0.0], &[1e300]), 1e300);
        assert_eq!(log_loss_slice(&[], &[]), 0.0);
        let nan = f64::NAN;
        let mut o = [0.0; 1];
        sigmoid_slice(&[nan], &mut o);
        assert!(o[0].is_nan());
        log_sigmoid_slice(&[nan], &mut o);
        assert!(o[0].is_nan());
        sigmoid_derivative_slice(&[nan], &mut o);
        assert!(o[0].is_nan());
        assert!(log_loss_slice(&[0.0, 1.0], &[1.0, nan]).is_nan());
        // The fused pass: infinitely right or wrong scores, huge ones, NaN.
        let y = [1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0];
        let mut r = [inf, -inf, inf, -inf, 745.0, -1e300, 0.0];
        assert_eq!(log_loss_and_residual_slice(&y, &mut r), inf);
        assert_eq!(r, [0.0, -1.0, 1.0, 0.0, -tiny, 0.0, -0.5]);
        let mut r = [1e300, -1e300, 0.0];
        assert_eq!(
            log_loss_and_residual_slice(&[1.0, 1.0, 0.0], &mut r),
            1e300 + ln2
        );
        assert_eq!(r, [0.0, -1.0, 0.5]);
        let mut r = [1.0, nan];
        assert!(log_loss_and_residual_slice(&[0.0, 1.0], &mut r).is_nan());
        assert!(r[1].is_nan());
        assert_eq!(log_loss_and_residual_slice(&[], &mut []), 0.0);
    }

    #[test]
    fn log_loss_slice_matches_scalar_sum_for_every_length() {
        for n in 0..40 {
            let z: Vec<f64> = (0..n)
                .map(|i| (f64::from(i) * 0.731).sin() * 12.0)
                .collect();
            let y: Vec<f64> = (0..n).map(|i| f64::from(i % 3 == 0)).collect();
            let want: f64 = y.iter().zip(&z).map(|(&a, &b)| log_loss(a, b)).sum();
            let got = log_loss_slice(&y, &z);
            assert!(
                (got - want).abs() <= 1e-14 * want,
                "n = {n}: {got} vs {want}"
            );
            let mut r = z.clone();
            let fused = log_loss_and_residual_slice(&y, &mut r);
            // Same terms, same lanes, same order: the two slice sums agree to the last bit.
            assert_eq!(fused.to_bits(), got.to_bits(), "n = {n}");
            for ((&yi, &zi), &ri) in y.iter().zip(&z).zip(&r) {
                let (_, want) = log_loss_and_residual(yi, zi);
                assert!(
                    ulps_from(ri, want) <= 6.0,
                    "residual at {zi}: {ri} vs {want}"
                );
            }
        }
    }

    #[test]
    #[should_panic(expected = "lengths differ")]
    fn sigmoid_slice_rejects_length_mismatch() {
        sigmoid_slice(&[0.0; 3], &mut [0.0; 2]);
    }

    #[test]
    #[should_panic(expected = "lengths differ")]
    fn log_sigmoid_slice_rejects_length_mismatch() {
        log_sigmoid_slice(&[0.0; 3], &mut [0.0; 2]);
    }

    #[test]
    #[should_panic(expected = "lengths differ")]
    fn sigmoid_derivative_slice_rejects_length_mismatch() {
        sigmoid_derivative_slice(&[0.0; 1], &mut [0.0; 2]);
    }

    #[test]
    #[should_panic(expected = "lengths differ")]
    fn log_loss_slice_rejects_length_mismatch() {
        log_loss_slice(&[0.0; 3], &[0.0; 2]);
    }

    #[test]
    #[should_panic(expected = "lengths differ")]
    fn log_loss_and_residual_slice_rejects_length_mismatch() {
        log_loss_and_residual_slice(&[0.0; 3], &mut [0.0; 4]);
    }

    #[test]
    fn sigmoid_is_monotone() {
        let mut z: Vec<f64> = (-60 * 4096..=60 * 4096)
            .map(|i| f64::from(i) / 4096.0)
            .collect();
        // Runs of 20000 consecutive doubles centred on a few points, including the switch of
        // the scalar form at -38 and the underflow region.
        for b in [
            -745.0f64, -38.0, -36.7, -3.0, -1.0, -0.7, -1e-3, 1e-3, 0.5, 3.0, 20.0, 36.0,
        ] {
            // Bit patterns grow with |b|; walk from below b to above it.
            let (start, step): (u64, i64) = if b < 0.0 {
                (b.to_bits() + 10_000, -1)
            } else {
                (b.to_bits() - 10_000, 1)
            };
            z.extend((0..20_000).map(|d| f64::from_bits(start.wrapping_add_signed(step * d))));
        }
        let mut fast = vec![0.0; z.len()];
        sigmoid_slice(&z, &mut fast);
        for (i, w) in z.windows(2).enumerate() {
            if w[0] <= w[1] {
                // The scalar form is monotone: exp, 1 + e and the division all round
                // monotonically.
                assert!(
                    sigmoid(w[0]) <= sigmoid(w[1]),
                    "sigmoid at {} and {}",
                    w[0],
                    w[1]
                );
                // The slice form is monotone up to its (few-ulp) rounding error.
                let slack = 8.0 * f64::EPSILON * fast[i];
                assert!(
                    fast[i] <= fast[i + 1] + slack,
                    "sigmoid_slice at {}, {}",
                    w[0],
                    w[1]
                );
            }
        }
    }

    /// Finite scores of every size: moderate, wide and arbitrary finite bit patterns.
    fn finite() -> impl Strategy<Value = f64> {
        use proptest::num::f64 as f;
        prop_oneof![
            -40.0..40.0f64,
            -800.0..800.0f64,
            f::POSITIVE | f::NEGATIVE | f::NORMAL | f::SUBNORMAL | f::ZERO,
        ]
    }

    fn label() -> impl Strategy<Value = f64> {
        prop_oneof![Just(0.0), Just(1.0)]
    }

    proptest! {
        #[test]
        fn prop_sigmoid_symmetry(z in finite()) {
            let (a, b) = (sigmoid(z), sigmoid(-z));
            // Each side is within about 2.5 ulp of its own size, so the sum is within about
            // 2 ulp of 1 (1 ulp of 1 is EPSILON above it and EPSILON/2 below); the largest
            // deviation seen on a dense grid is 1 EPSILON.
            prop_assert!((a + b - 1.0).abs() <= 2.0 * f64::EPSILON, "{} + {} != 1", a, b);
            // The smaller of the two keeps full relative accuracy.
            let small = a.min(b);
            prop_assert!(ulp_err(small, sigmoid_ref(-z.abs())) <= 3.0);
        }

        #[test]
        fn prop_sigmoid_in_unit_interval_and_monotone(
            z in finite(),
            dz in prop_oneof![0.0..10.0f64, 0.0..1e-9f64],
        ) {
            let s = sigmoid(z);
            prop_assert!((0.0..=1.0).contains(&s));
            prop_assert!(sigmoid(z + dz) >= s);
        }

        #[test]
        fn prop_log_sigmoid_nonpositive_and_finite(z in finite()) {
            let l = log_sigmoid(z);
            prop_assert!(l <= 0.0 && l.is_finite());
            prop_assert!(log1p_exp(z) >= 0.0 && log1p_exp(z).is_finite());
        }

        #[test]
        fn prop_log_loss_nonnegative_and_finite(y in label(), z in finite()) {
            let l = log_loss(y, z);
            prop_assert!(l >= 0.0 && l.is_finite());
        }

        #[test]
        fn prop_derivative_is_s_times_one_minus_s(z in finite()) {
            let d = sigmoid_derivative(z);
            // 1 - s(z) = s(-z) exactly, so compare with that product where it is not subnormal.
            // d, s(z) and s(-z) each carry up to about 2.5 ulp, so allow 8 (4 is seen on a
            // dense grid; the accuracy of d itself is checked against the double-double
            // reference in `scalar_ulp_errors_on_dense_grid`).
            let p = sigmoid(z) * sigmoid(-z);
            if p >= f64::MIN_POSITIVE {
                prop_assert!(ulps_from(d, p) <= 8.0, "{} vs {}", d, p);
            }
            // The literal s (1 - s), where 1 - s does not cancel badly (s in [0.38, 0.62], so
            // the rounding of s is magnified at most 1.6 times): 3 ulp seen, 10 allowed.
            if z.abs() <= 0.5 {
                let s = sigmoid(z);
                prop_assert!(ulps_from(d, s * (1.0 - s)) <= 10.0);
            }
        }

        #[test]
        fn prop_residual_agrees_with_log_loss(y in label(), z in finite()) {
            let (l, r) = log_loss_and_residual(y, z);
            prop_assert_eq!(l, log_loss(y, z));
            let want = if y > 0.5 { -sigmoid(-z) } else { sigmoid(z) };
            prop_assert!(ulps_from(r, want) <= 4.0, "residual {} vs {}", r, want);
        }

        #[test]
        fn prop_residual_is_derivative_of_log_loss(y in label(), z in -30.0..30.0f64) {
            let h = 1e-5;
            let fd = (log_loss(y, z + h) - log_loss(y, z - h)) / (2.0 * h);
            let (_, r) = log_loss_and_residual(y, z);
            prop_assert!((fd - r).abs() <= 1e-8, "finite difference {} vs residual {}", fd, r);
        }

        #[test]
        fn prop_slices_agree_with_scalars(
            zy in proptest::collection::vec((finite(), label()), 0..50),
        ) {
            let z: Vec<f64> = zy.iter().map(|p| p.0).collect();
            let y: Vec<f64> = zy.iter().map(|p| p.1).collect();
            let mut out = vec![0.0; z.len()];
            // Both sides carry their own rounding error (up to about 2.8 and 2.5 ulp for the
            // sigmoid), so the allowance is their sum; the largest differences seen on dense grids
            // are 4, 2 and 3 ulp.
            sigmoid_slice(&z, &mut out);
            for (&zi, &o) in z.iter().zip(&out) {
                prop_assert!(ulps_from(o, sigmoid(zi)) <= 6.0, "sigmoid {}: {} vs {}", zi, o, sigmoid(zi));
            }
            log_sigmoid_slice(&z, &mut out);
            for (&zi, &o) in z.iter().zip(&out) {
                prop_assert!(ulps_from(o, log_sigmoid(zi)) <= 4.0, "log_sigmoid {}", zi);
            }
            sigmoid_derivative_slice(&z, &mut out);
            for (&zi, &o) in z.iter().zip(&out) {
                prop_assert!(ulps_from(o, sigmoid_derivative(zi)) <= 6.0, "derivative {}", zi);
            }
            let want: f64 = y.iter().zip(&z).map(|(&a, &b)| log_loss(a, b)).sum();
            let got = log_loss_slice(&y, &z);
            // (Huge scores can overflow both sums to +inf.)
            prop_assert!(got == want || (got - want).abs() <= 1e-13 * want, "{} vs {}", got, want);
            out.copy_from_slice(&z);
            let fused = log_loss_and_residual_slice(&y, &mut out);
            prop_assert_eq!(fused.to_bits(), got.to_bits());
            for ((&yi, &zi), &r) in y.iter().zip(&z).zip(&out) {
                let (_, want) = log_loss_and_residual(yi, zi);
                prop_assert!(ulps_from(r, want) <= 6.0, "residual {}: {} vs {}", zi, r, want);
            }
        }
    }

    /// A longer random sweep of the slice kernels against the double-double reference (about
    /// 40 s in release mode): `cargo test --release --lib numerics -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn slice_ulp_errors_long_random_sweep() {
        let mut state = 0x2545_F491_4F6C_DD1D_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let n = 1_000_000;
        let mut z = Vec::with_capacity(3 * n);
        for _ in 0..n {
            let u = (next() >> 11) as f64 / (1u64 << 53) as f64;
            z.push(80.0 * u - 40.0);
            z.push(1500.0 * u.sqrt() - 750.0);
            // Random bit patterns with |z| below 2^10: every binade equally likely.
            let bits = (next() & !(0x7ff << 52)) | ((next() % 1034) << 52);
            z.push(f64::from_bits(bits));
        }
        let mut out = vec![0.0; z.len()];
        sigmoid_slice(&z, &mut out);
        let s = worst(&z, &out, sigmoid_ref);
        log_sigmoid_slice(&z, &mut out);
        let l = worst(&z, &out, log_sigmoid_ref);
        sigmoid_derivative_slice(&z, &mut out);
        let d = worst(&z, &out, derivative_ref);
        println!("over {} points: sigmoid_slice {:.3} ulp at {:e}; log_sigmoid_slice {:.3} at {:e}; sigmoid_derivative_slice {:.3} at {:e}", z.len(), s.0, s.1, l.0, l.1, d.0, d.1);
        let got = map(&z, sigmoid);
        let sc = worst(&z, &got, sigmoid_ref);
        println!("scalar sigmoid {:.3} ulp at {:e}", sc.0, sc.1);
        assert!(s.0 <= 4.0 && l.0 <= 4.0 && d.0 <= 4.0);
    }

    /// Ad-hoc throughput of the slice functions (10 million scores in [-40, 40], best of 7), for
    /// a release build on one thread:
    /// `cargo test --release --lib numerics -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn throughput() {
        let n = 10_000_000;
        let z: Vec<f64> = (0..n)
            .map(|i| -40.0 + 80.0 * (i as f64) / (n as f64))
            .collect();
        let y: Vec<f64> = (0..n).map(|i| (i % 2) as f64).collect();
        let mut out = vec![1.0; n];
        let mut rate = |name: &str, f: &mut dyn FnMut(&mut [f64]) -> f64| {
            let mut best = f64::INFINITY;
            let mut sink = 0.0;
            for _ in 0..7 {
                let t = std::time::Instant::now();
                sink += std::hint::black_box(f(&mut out));
                best = best.min(t.elapsed().as_secs_f64());
            }
            println!("{name}: {:.0} M values/s ({sink:e})", n as f64 / best / 1e6);
        };
        rate("sigmoid_slice", &mut |o| {
            sigmoid_slice(&z, o);
            o[7]
        });
        rate("scalar sigmoid, mapped", &mut |o| {
            for (oi, &zi) in o.iter_mut().zip(&z) {
                *oi = sigmoid(zi);
            }
            o[7]
        });
        rate("sigmoid_derivative_slice", &mut |o| {
            sigmoid_derivative_slice(&z, o);
            o[7]
        });
        rate("log_sigmoid_slice", &mut |o| {
            log_sigmoid_slice(&z, o);
            o[7]
        });
        rate("log_loss_slice", &mut |_| log_loss_slice(&y, &z));
        rate("log_loss_and_residual_slice", &mut |o| {
            o.copy_from_slice(&z);
            log_loss_and_residual_slice(&y, o)
        });
        rate("scalar log_loss, summed", &mut |_| {
            y.iter().zip(&z).map(|(&a, &b)| log_loss(a, b)).sum()
        });
        rate("memory bound: out = 1.5 z", &mut |o| {
            for (oi, &zi) in o.iter_mut().zip(&z) {
                *oi = 1.5 * zi;
            }
            o[7]
        });
    }
}

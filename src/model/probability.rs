//! Class probabilities from the K linear scores of one row, finite and accurate at any score.
//!
//! Multinomial: `softmax(z)_k = exp(z_k - m) / sum_j exp(z_j - m)` with `m = max z`, so no
//! `exp` overflows, the largest term is exactly 1 (the sum is in `[1, K]`, never 0), and a
//! probability underflows to 0 only when it is below the smallest subnormal.
//!
//! One-vs-rest (scikit-learn's `OneVsRestClassifier`, LIBLINEAR): `P(k) = s(z_k) / sum_j s(z_j)`.
//! Computed as the softmax of the log-sigmoids `l_k = log s(z_k)`, which is the same quantity
//! (`exp(l_k) / sum exp(l_j)`) without forming `s(z)`: when every `z` is very negative the
//! sigmoids underflow together and the quotient would be `0 / 0`, while `l_k = z_k` to full
//! precision there and the softmax stays exact.

use crate::fit::numerics::log_sigmoid;

/// `out = softmax(z)`, max-subtracted. `z` finite (the scorer guarantees it).
pub fn softmax(z: &[f64], out: &mut [f64]) {
    out.copy_from_slice(z);
    softmax_in_place(out);
}

/// [`softmax`] of `v`, written over it.
fn softmax_in_place(v: &mut [f64]) {
    let m = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    for x in v.iter_mut() {
        *x = (*x - m).exp();
        sum += *x;
    }
    for x in v.iter_mut() {
        *x /= sum;
    }
}

/// `out_k = s(z_k) / sum_j s(z_j)`, through the softmax of `log s(z_k)`.
pub fn ovr(z: &[f64], out: &mut [f64]) {
    for (o, &v) in out.iter_mut().zip(z) {
        *o = log_sigmoid(v);
    }
    softmax_in_place(out);
}

/// The index of the largest value; ties go to the first.
pub fn argmax(values: &[f64]) -> usize {
    let mut best = 0;
    for (k, &v) in values.iter().enumerate().skip(1) {
        if v > values[best] {
            best = k;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f64], b: &[f64], rtol: f64) {
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() <= rtol * y.abs(), "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn softmax_is_finite_and_exact_at_extreme_scores() {
        let mut p = [0.0; 3];
        softmax(&[1000.0, 0.0, -1000.0], &mut p);
        assert_eq!(p, [1.0, 0.0, 0.0]);
        // Shifting every score changes nothing; 1e300 apart is still exact.
        softmax(&[1e300, 1e300, 1e300], &mut p);
        assert_eq!(p, [1.0 / 3.0; 3]);
        softmax(&[-1e300, -1e300 + 1e290, -1e300], &mut p);
        assert_eq!(p, [0.0, 1.0, 0.0]);
        // exp(-700) / (1 + 2 exp(-700)): full relative accuracy in the small one.
        softmax(&[0.0, -700.0, -700.0], &mut p);
        close(&p, &[1.0, (-700.0f64).exp(), (-700.0f64).exp()], 4e-16);
        // ln 2 and ln 3 apart: 1/6, 2/6, 3/6.
        softmax(&[5.0, 5.0 + 2f64.ln(), 5.0 + 3f64.ln()], &mut p);
        close(&p, &[1.0 / 6.0, 2.0 / 6.0, 0.5], 1e-15);
    }

    #[test]
    fn ovr_normalises_sigmoids_even_where_they_underflow() {
        let s = |z: f64| 1.0 / (1.0 + (-z).exp());
        let mut p = [0.0; 3];
        let z = [0.3, -1.2, 2.0];
        ovr(&z, &mut p);
        let total: f64 = z.iter().map(|&v| s(v)).sum();
        close(
            &p,
            &[s(0.3) / total, s(-1.2) / total, s(2.0) / total],
            1e-15,
        );
        // Every sigmoid underflows in f64; the ratio is exp(z_k) / sum exp(z_j).
        ovr(&[-2000.0, -2000.0 + 2f64.ln(), -2001.0], &mut p);
        let e = (-1.0f64).exp();
        close(
            &p,
            &[1.0 / (3.0 + e), 2.0 / (3.0 + e), e / (3.0 + e)],
            1e-12,
        );
        // Every sigmoid rounds to 1: the classes are equally likely to f64 precision.
        ovr(&[800.0, 900.0, 1e300], &mut p);
        assert_eq!(p, [1.0 / 3.0; 3]);
        assert!(p.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn argmax_takes_the_first_of_equal_values() {
        assert_eq!(argmax(&[0.2, 0.4, 0.4]), 1);
        assert_eq!(argmax(&[0.5, 0.25, 0.25]), 0);
        assert_eq!(argmax(&[0.1, 0.2, 0.7]), 2);
    }
}

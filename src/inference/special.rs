//! The two tail probabilities of the summary's tests: the normal two-sided tail (the Wald test's
//! p-value) and the chi-square survival function (the likelihood-ratio test's p-value).
//!
//! Both are upper tails computed directly, never as `1 - cdf`, so tiny p-values keep their
//! relative precision. The chi-square tail is statrs' (Cephes' regularised upper incomplete
//! gamma); the normal tail is libm's `erfc` (FreeBSD msun, under 1 ulp) because statrs 0.19.1's
//! `erfc` is off by up to 1e-10 relative (its interval constants are truncated to 10 digits,
//! fixed upstream in statrs PR #412 but not yet released).

use statrs::distribution::{ChiSquared, ContinuousCDF};

/// Two-sided normal tail probability `P(|Z| >= |z|) = erfc(|z| / sqrt 2)`, the Wald test's
/// p-value (statsmodels `Logit` summary `P>|z|`, which computes `2 norm.sf(|z|)`).
pub fn normal_two_sided_p(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    libm::erfc(z.abs() / std::f64::consts::SQRT_2)
}

/// Chi-square survival function `P(X >= x) = Q(df/2, x/2)` for `df > 0` (A&S 26.4.2), the
/// likelihood-ratio test's p-value (statsmodels `llr_pvalue`). `x <= 0` gives 1; NaN for a NaN
/// argument or a `df` that is not finite and positive.
pub fn chi_square_sf(x: f64, df: f64) -> f64 {
    if x.is_nan() || !df.is_finite() {
        return f64::NAN;
    }
    match ChiSquared::new(df) {
        Ok(distribution) => distribution.sf(x.max(0.0)),
        Err(_) => f64::NAN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inference::summary::Z_975;

    fn assert_rel(got: f64, want: f64, rtol: f64) {
        let err = ((got - want) / want).abs();
        assert!(
            err <= rtol,
            "got {got:e}, want {want:e}, relative error {err:e} > {rtol:e}"
        );
    }

    /// Reference values: mpmath 1.3 at 40 digits, `erfc(z / sqrt(2))` for the double `z`. The
    /// tolerance grows as `z^2 1e-16`: the rounding of `z / sqrt 2` alone costs that much.
    #[test]
    fn normal_two_sided_p_matches_high_precision_values_far_into_the_tail() {
        for (z, want, rtol) in [
            // statrs 0.19.1's erfc is off by 1e-10 here.
            (0.71, 0.477_704_136_179_973_5, 1e-15),
            (Z_975, 0.050_000_000_000_000_022, 1e-15),
            (3.0, 0.002_699_796_063_260_189, 2e-15),
            (5.0, 5.733_031_437_583_878e-7, 5e-15),
            (10.0, 1.523_970_604_832_105e-23, 2e-14),
            (20.0, 5.507_248_237_212_467_4e-89, 8e-14),
            (30.0, 9.813_427_854_296_374e-198, 2e-13),
            (37.0, 1.145_114_244_504_915_4e-299, 3e-13),
        ] {
            assert_rel(normal_two_sided_p(z), want, rtol);
            assert_rel(normal_two_sided_p(-z), want, rtol);
        }
        assert_eq!(normal_two_sided_p(0.0), 1.0);
        assert_eq!(normal_two_sided_p(40.0), 0.0);
        assert!(normal_two_sided_p(f64::NAN).is_nan());
    }

    #[test]
    fn chi_square_survival_matches_closed_forms_and_high_precision_values() {
        // df = 2: e^(-x/2); df = 4: e^(-x/2) (1 + x/2); df = 1: erfc(sqrt(x/2)).
        for x in [0.1, 1.0, 2.5, 10.0, 60.0, 1000.0] {
            assert_rel(chi_square_sf(x, 2.0), (-x / 2.0).exp(), 1e-13);
            assert_rel(
                chi_square_sf(x, 4.0),
                (-x / 2.0).exp() * (1.0 + x / 2.0),
                1e-13,
            );
            assert_rel(chi_square_sf(x, 1.0), libm::erfc((x / 2.0).sqrt()), 1e-13);
        }
        // mpmath 1.3 at 40 digits, gammainc(df/2, x/2, inf, regularized=True).
        for (x, df, want) in [
            (4.0, 3.0, 0.261_464_129_949_110_6),
            (0.5, 1.0, 0.479_500_122_186_953_5),
            (30.0, 1.0, 4.320_463_057_827_497_3e-8),
            (300.0, 10.0, 1.554_674_754_380_318_1e-58),
            (50.585_307_404_659_986, 50.0, 0.450_274_034_681_161_9),
            (127.826_552_429_342_39, 127.0, 0.462_723_801_537_366_84),
        ] {
            assert_rel(chi_square_sf(x, df), want, 3e-13);
        }
        assert_rel(chi_square_sf(3.841_458_820_694_124, 1.0), 0.05, 1e-13);
        assert_eq!(chi_square_sf(0.0, 3.0), 1.0);
        assert_eq!(chi_square_sf(-1.0, 3.0), 1.0);
        assert!(chi_square_sf(1.0, 0.0).is_nan());
        assert!(chi_square_sf(f64::NAN, 2.0).is_nan());
    }
}

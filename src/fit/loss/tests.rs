use super::*;
use proptest::prelude::*;

/// `(scores, label, loss)`: the loss `-log softmax(z)_y` computed with Python's `decimal` at 80
/// digits from the exact binary values of the scores, as `(m - z_y) + ln(1 + t)` with
/// `t = sum_{c != argmax} exp(z_c - m)` (`ln(1 + t)` by its series for `t < 1e-30`), rounded to
/// `f64`.
const LOSSES: &[(&[f64], usize, f64)] = &[
    (&[0.1, 0.2, 0.3, 0.4], 0, 1.542_535_529_455_162_8),
    (&[0.1, 0.2, 0.3, 0.4], 3, 1.242_535_529_455_162_8),
    (&[40.0, 0.0, 0.0], 0, 8.496_708_510_583_178e-18),
    (&[40.0, 0.0, 0.0], 1, 40.0),
    (&[20.0, -20.0, -20.0], 0, 8.496_708_510_583_178e-18),
    (&[-745.0, 0.0], 0, 745.0),
    (&[-745.0, 0.0], 1, 5e-324),
    (&[710.0, 709.0, 0.0], 0, 0.313_261_687_518_222_8),
    (&[710.0, 709.0, 0.0], 1, 1.313_261_687_518_222_8),
    (&[710.0, 709.0, 0.0], 2, 710.313_261_687_518_2),
    (&[-3.5, 12.25, 7.0, -20.0, 0.5], 0, 15.755_241_790_005_105),
    (
        &[-3.5, 12.25, 7.0, -20.0, 0.5],
        1,
        0.005_241_790_005_104_623,
    ),
    (&[-3.5, 12.25, 7.0, -20.0, 0.5], 4, 11.755_241_790_005_105),
    (&[36.0, 0.0], 0, 2.319_522_830_243_569e-16),
    (&[1e-20, 0.0], 0, std::f64::consts::LN_2),
    (&[1e300, -1e300, 0.0], 0, 0.0),
    (&[1e300, -1e300, 0.0], 1, 2e300),
    (&[1e300, -1e300, 0.0], 2, 1e300),
    (&[1e300, 1e300, -1e300], 0, std::f64::consts::LN_2),
    (&[1e300, 1e300, -1e300], 2, 2e300),
    (&[-1e300, -1e300], 0, std::f64::consts::LN_2),
    (&[700.0, 0.0, -700.0], 0, 9.859_676_543_759_77e-305),
    (&[700.0, 0.0, -700.0], 2, 1400.0),
];

/// Probabilities from the same `decimal` computation.
const PROBABILITIES: &[(&[f64], &[f64])] = &[
    (
        &[0.1, 0.2, 0.3, 0.4],
        &[
            0.213_838_220_365_984_43,
            0.236_327_782_321_537_67,
            0.261_182_592_155_075_55,
            0.288_651_405_157_402_34,
        ],
    ),
    (
        &[40.0, 0.0, 0.0],
        &[1.0, 4.248_354_255_291_589e-18, 4.248_354_255_291_589e-18],
    ),
    (
        &[710.0, 709.0, 0.0],
        &[
            0.731_058_578_630_004_9,
            0.268_941_421_369_995_1,
            3.272_427_445_683_13e-309,
        ],
    ),
    (
        &[-3.5, 12.25, 7.0, -20.0, 0.5],
        &[
            1.437_425_779_857_890_6e-7,
            0.994_771_924_203_327_2,
            0.005_220_083_975_246_028,
            9.811_298_256_228_801e-15,
            7.848_078_839_019_048e-6,
        ],
    ),
    (&[-745.0, 0.0], &[5e-324, 1.0]),
    (&[1e300, 1e300, -1e300], &[0.5, 0.5, 0.0]),
    (
        &[700.0, 0.0, -700.0],
        &[1.0, 9.859_676_543_759_77e-305, 0.0],
    ),
];

/// Distance in units of the last place (of the larger magnitude), 0 for equal values.
fn ulps(a: f64, b: f64) -> f64 {
    if a == b {
        return 0.0;
    }
    let scale = a.abs().max(b.abs());
    let ulp = if scale < f64::MIN_POSITIVE {
        f64::from_bits(1)
    } else {
        scale * f64::EPSILON / 2.0
    };
    (a - b).abs() / ulp
}

fn kernels() -> Vec<Kernel> {
    Kernel::ALL.into_iter().filter(|k| k.supported()).collect()
}

#[test]
fn loss_matches_high_precision_values_at_any_score() {
    for &(z, y, want) in LOSSES {
        let scalar = softmax_loss(y, z);
        assert!(
            ulps(scalar, want) <= 2.0,
            "scalar {z:?} y={y}: {scalar:e} vs {want:e}"
        );
        for kernel in kernels() {
            let mut r = z.to_vec();
            let got =
                softmax_loss_and_residual_slice_with(kernel, &[y as f64], None, z.len(), &mut r);
            assert!(ulps(got, want) <= 3.0, "{z:?} y={y}: {got:e} vs {want:e}");
            assert!(got.is_finite() && got >= 0.0);
            // The residuals add up to 0 and lie in [-1, 1].
            let sum: f64 = r.iter().sum();
            assert!(sum.abs() <= 4.0 * f64::EPSILON, "{r:?}");
            assert!(r.iter().all(|v| (-1.0..=1.0).contains(v)));
        }
        // log-sum-exp is the loss plus the label's score.
        if z[y].abs() < 1e200 {
            let lse = log_sum_exp(z);
            assert!((lse - (want + z[y])).abs() <= 4.0 * f64::EPSILON * lse.abs().max(1.0));
        }
    }
}

#[test]
fn probabilities_match_high_precision_values() {
    for &(z, want) in PROBABILITIES {
        let mut scalar = vec![0.0; z.len()];
        softmax(z, &mut scalar);
        for kernel in kernels() {
            let mut p = z.to_vec();
            softmax_rows_slice_with(kernel, z.len(), &mut p);
            for ((&g, &s), &w) in p.iter().zip(&scalar).zip(want) {
                assert!(ulps(g, w) <= 4.0, "{z:?}: {p:?} vs {want:?}");
                assert!(ulps(s, w) <= 4.0, "scalar {z:?}: {scalar:?} vs {want:?}");
            }
        }
    }
}

#[test]
fn confident_residuals_keep_full_relative_precision() {
    // p_y - 1 for a confidently right row is -2 e^-40 / (1 + 2 e^-40), not 0 (decimal, 80
    // digits: -8.496708510583178e-18); the other columns are e^-40 / (1 + 2 e^-40).
    for kernel in kernels() {
        let mut r = vec![20.0, -20.0, -20.0];
        softmax_loss_and_residual_slice_with(kernel, &[0.0], None, 3, &mut r);
        assert!(ulps(r[0], -8.496_708_510_583_178e-18) <= 3.0, "{r:?}");
        assert!(ulps(r[1], 4.248_354_255_291_589e-18) <= 3.0, "{r:?}");
        // Label not the maximum: p_y - 1 = -(1 + u) / (1 + t).
        let mut r = vec![0.0, 40.0, 0.0];
        softmax_loss_and_residual_slice_with(kernel, &[0.0], None, 3, &mut r);
        assert!(
            ulps(r[0], -(1.0 - 4.248_354_255_291_589e-18)) <= 2.0,
            "{r:?}"
        );
    }
}

#[test]
fn infinite_and_nan_scores_give_the_limits() {
    let inf = f64::INFINITY;
    let cases: &[(&[f64], usize, f64)] = &[
        (&[inf, 0.0, 1.0], 0, 0.0),
        (&[inf, 0.0, 1.0], 1, inf),
        (&[inf, inf, 0.0], 0, std::f64::consts::LN_2),
        (&[-inf, 0.0], 1, 0.0),
        (&[-inf, 0.0], 0, inf),
        (&[f64::MAX, -f64::MAX], 1, inf),
        (&[f64::MAX, -f64::MAX], 0, 0.0),
    ];
    for &(z, y, want) in cases {
        let mut r = z.to_vec();
        let got = softmax_loss_and_residual_slice(&[y as f64], None, z.len(), &mut r);
        assert_eq!(got, want, "{z:?} y={y}");
        assert!(r.iter().all(|v| v.is_finite()), "{z:?}: {r:?}");
        assert_eq!(softmax_loss(y, z), want, "scalar {z:?}");
    }
    let mut r = vec![0.0, f64::NAN, 1.0];
    assert!(softmax_loss_and_residual_slice(&[0.0], None, 3, &mut r).is_nan());
    assert!(softmax_loss(0, &[0.0, f64::NAN]).is_nan());
    // A weight of 0 silences even an infinitely wrong row.
    let mut r = vec![inf, 0.0, 0.0, 0.0];
    let got = softmax_loss_and_residual_slice(&[1.0, 0.0], Some(&[0.0, 2.0]), 2, &mut r);
    assert_eq!(got, 2.0 * std::f64::consts::LN_2);
    assert_eq!(&r[..2], &[0.0, 0.0]);
}

#[test]
fn log1p_nonneg_is_accurate() {
    // References from Python decimal (80 digits): ln(1 + t) for the exact binary t.
    let cases = [
        (0.0, 0.0),
        (1e-300, 1e-300),
        (0.5, 0.405_465_108_108_164_4),
        (1.0, std::f64::consts::LN_2),
        (1.5, 0.916_290_731_874_155_1),
        (3.0, 1.386_294_361_119_890_6),
        (49.0, 3.912_023_005_428_146),
    ];
    for (t, want) in cases {
        let got = log1p_nonneg(t);
        assert!(ulps(got, want) <= 1.5, "{t}: {got} vs {want}");
    }
    assert!(log1p_nonneg(f64::NAN).is_nan());
}

#[test]
fn weighted_binomial_kernel_equals_scaled_unweighted_terms() {
    let y = [1.0, 0.0, 1.0, 0.0, 1.0];
    let z = [0.3, -2.0, 40.0, f64::INFINITY, -1.0];
    let s = [2.0, 0.5, 1.0, 0.0, 3.0];
    let mut r = z;
    let total = weighted_log_loss_and_residual_with(Kernel::Scalar, &y, &s, &mut r);
    let mut want = 0.0;
    for i in 0..5 {
        let (l, res) = crate::fit::numerics::log_loss_and_residual(y[i], z[i]);
        if s[i] != 0.0 {
            want += s[i] * l;
        }
        assert!((r[i] - s[i] * res).abs() <= 1e-15 * res.abs().max(1e-300));
    }
    assert!((total - want).abs() <= 1e-14 * want, "{total} vs {want}");
}

proptest! {
    /// The slice kernel agrees with the scalar reference and with log-sum-exp, for every kernel.
    #[test]
    fn prop_slice_matches_scalar(
        rows in proptest::collection::vec((proptest::collection::vec(-800.0..800.0f64, 3), 0usize..3), 1..20),
    ) {
        let k = 3;
        let z: Vec<f64> = rows.iter().flat_map(|r| r.0.clone()).collect();
        let y: Vec<f64> = rows.iter().map(|r| r.1 as f64).collect();
        let want: f64 = rows.iter().map(|(z, y)| softmax_loss(*y, z)).sum();
        let mut first = None;
        for kernel in kernels() {
            let mut r = z.clone();
            let got = softmax_loss_and_residual_slice_with(kernel, &y, None, k, &mut r);
            prop_assert!((got - want).abs() <= 1e-13 * want.abs().max(1e-300), "{} vs {}", got, want);
            // Every kernel copy gives the same bits.
            match first {
                None => first = Some((got.to_bits(), r.iter().map(|v| v.to_bits()).collect::<Vec<_>>())),
                Some((ref b, ref rb)) => {
                    prop_assert_eq!(got.to_bits(), *b);
                    prop_assert_eq!(&r.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), rb);
                }
            }
            for (row, res) in rows.iter().zip(r.chunks(k)) {
                let mut p = vec![0.0; k];
                softmax(&row.0, &mut p);
                for c in 0..k {
                    let want = p[c] - f64::from(u8::from(c == row.1));
                    prop_assert!((res[c] - want).abs() <= 4.0 * f64::EPSILON, "{:?} vs {:?}", res, p);
                }
            }
        }
    }
}

#[test]
#[ignore]
fn softmax_micro() {
    let n = 200_000;
    let k = 5;
    let z0: Vec<f64> = (0..n * k)
        .map(|i| ((i * 37) % 101) as f64 / 10.0 - 5.0)
        .collect();
    let y: Vec<f64> = (0..n).map(|i| (i % k) as f64).collect();
    let kernel = Kernel::active();
    let (mut ba, mut bb, mut bc) = (1e9f64, 1e9f64, 1e9f64);
    for _ in 0..30 {
        let mut z = z0.clone();
        let t = std::time::Instant::now();
        for (yc, zc) in y.chunks(256).zip(z.chunks_mut(256 * k)) {
            std::hint::black_box(softmax_loss_and_residual_slice_with(
                kernel, yc, None, k, zc,
            ));
        }
        let a = t.elapsed().as_secs_f64();
        let mut z = z0.clone();
        let t = std::time::Instant::now();
        crate::fit::numerics::sigmoid_slice_with(kernel, &z0, &mut z);
        let b = t.elapsed().as_secs_f64();
        let mut z = z0.clone();
        let t = std::time::Instant::now();
        softmax_rows_slice_with(kernel, k, &mut z);
        let c = t.elapsed().as_secs_f64();
        ba = ba.min(a);
        bb = bb.min(b);
        bc = bc.min(c);
    }
    println!("best of 30: softmax loss {:.1} ms, sigmoid_slice same count {:.1} ms, softmax rows {:.1} ms", ba * 1e3, bb * 1e3, bc * 1e3);
}

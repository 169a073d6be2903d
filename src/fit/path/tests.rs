use super::*;
use crate::fit::solvers::test_data;
use ndarray::{Array1, Array2};

#[test]
fn sequences_are_log_spaced_and_descending() {
    let s = lambda_sequence(2.0, 5, 1e-2);
    assert_eq!(s.len(), 5);
    assert_eq!(s[0], 2.0);
    for w in s.windows(2) {
        assert!((w[1] / w[0] - 10f64.powf(-0.5)).abs() < 1e-14);
    }
    assert!((s[4] - 0.02).abs() < 1e-15);
    assert_eq!(lambda_sequence(3.0, 1, 1e-4), vec![3.0]);
    assert!(lambda_sequence(3.0, 0, 1e-4).is_empty());
    assert_eq!(default_lambda_min_ratio(10, 10), 1e-4);
    assert_eq!(default_lambda_min_ratio(9, 10), 1e-2);
}

/// The null start is the intercept-only optimum: its intercept gradient is 0.
#[test]
fn null_start_is_the_intercept_only_optimum() {
    let d = test_data::pima();
    let obj = d.objective(0.0);
    let theta = null_start(&obj);
    assert!(obj.gradient(&theta)[obj.n_features()].abs() < 1e-15);
    let x = Array2::from_shape_fn((7, 2), |(i, j)| (i + j) as f64);
    let y = Array1::from(vec![0.0, 1.0, 2.0, 2.0, 1.0, 2.0, 0.0]);
    let s = Array1::from(vec![1.0, 2.0, 0.5, 1.0, 1.0, 3.0, 1.0]);
    let obj = Objective::multinomial(x.view(), y.view(), 3, 0.0, true).with_weights(s.view());
    let theta = null_start(&obj);
    let g = obj.gradient(&theta);
    assert!(g.iter().skip(6).all(|v| v.abs() < 1e-15), "{g:?}");
    assert!(theta[6..].iter().sum::<f64>().abs() < 1e-15);
}

#[test]
fn bad_settings_name_their_flags() {
    let d = test_data::spector();
    let obj = d.objective(0.0);
    let opts = |alpha| PathOptions {
        alpha,
        fit: FitOptions::default(),
        early_stop: false,
    };
    let e = fit_path(&obj, &[0.1], &opts(1.5), &mut |_, _| {}).unwrap_err();
    assert!(e.to_string().starts_with("--l1-ratio"), "{e}");
    let e = fit_path(&obj, &[0.1, f64::NAN], &opts(1.0), &mut |_, _| {}).unwrap_err();
    assert!(e.to_string().starts_with("--lambdas"), "{e}");
    // A ridge path (alpha = 0) works too, every point optimal.
    let points = fit_path(&obj, &[1.0, 0.1, 0.01], &opts(0.0), &mut |_, _| {}).unwrap();
    for p in &points {
        assert!(p.fit.report.converged);
        assert_eq!((p.l1, p.nonzero), (0.0, 3));
    }
}

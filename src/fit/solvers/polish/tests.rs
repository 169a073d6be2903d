//! The end game lands on the reference optima (scikit-learn polished to a gradient below
//! 5e-15, checked against statsmodels) to rounding, whatever point the solver stopped at.

use ndarray::{Array1, Array2};

use super::super::test_data::{self, Dataset};
use super::super::{fit, FitOptions, SolverKind, StopReason};
use super::*;
use crate::fit::numerics::sigmoid;

/// Largest |difference| of the fitted probabilities on the training rows, and of the
/// parameters relative to the largest reference parameter (at least 1).
fn distance(data: &Dataset, lambda: f64, theta: &[f64], expected: &[f64]) -> (f64, f64) {
    let obj = data.objective(lambda);
    let p = obj
        .scores(theta)
        .iter()
        .zip(obj.scores(expected).iter())
        .map(|(&a, &b)| (sigmoid(a) - sigmoid(b)).abs())
        .fold(0.0, f64::max);
    let scale = expected.iter().map(|v| v.abs()).fold(1.0, f64::max);
    let c = theta
        .iter()
        .zip(expected)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    (p, c / scale)
}

#[test]
fn reaches_the_reference_optima_to_rounding_from_any_tolerance() {
    for data in [
        test_data::spector(),
        test_data::pima(),
        test_data::breast_cancer(),
    ] {
        for e in data.fits {
            let mut expected = e.coefficients.to_vec();
            expected.push(e.intercept);
            for solver in [SolverKind::Lbfgs, SolverKind::Newton] {
                for tol in [1e-4, 1e-10] {
                    let obj = data.objective(e.lambda);
                    let opts = FitOptions {
                        tol,
                        ..FitOptions::with_solver(solver)
                    };
                    let f = fit(&obj, &opts).unwrap();
                    let (dp, dc) = distance(&data, e.lambda, &f.theta, &expected);
                    eprintln!(
                        "{solver} {} lambda={} tol={tol:e}: {} iterations + {} newton steps, \
                         gradient {:.1e}, |p diff| {dp:.1e}, coef rel {dc:.1e}",
                        data.name,
                        e.lambda,
                        f.report.iterations,
                        f.report.newton_steps,
                        f.report.gradient_norm
                    );
                    assert!(f.report.converged, "{:?}", f.report);
                    assert!(f.report.newton_steps >= 1, "{:?}", f.report);
                    // Without the end game a tolerance of 1e-4 leaves errors of about 1e-3.
                    assert!(
                        dp <= 1e-12,
                        "{} {}: probabilities {dp:e}",
                        data.name,
                        e.lambda
                    );
                    assert!(
                        dc <= 1e-9,
                        "{} {}: coefficients {dc:e}",
                        data.name,
                        e.lambda
                    );
                    assert!(f.report.gradient_norm <= 1e-13, "{:?}", f.report);
                }
            }
        }
    }
}

/// A 3-class problem with row weights (no separation): two very different starting
/// tolerances give the same optimum, and the gradient there is at rounding level.
#[test]
fn multinomial_weighted_fits_agree_whatever_the_tolerance() {
    let d = test_data::pima();
    let n = d.x.nrows();
    // Class from the label and a column's sign, weights 1..4.
    let y: Array1<f64> = (0..n)
        .map(|i| d.y[i] + f64::from(u8::from(d.x[[i, 1]] > 0.5)))
        .collect();
    let s: Array1<f64> = (0..n).map(|i| 1.0 + (i % 4) as f64).collect();
    let x: Array2<f64> = d.x.clone();
    let mut thetas = Vec::new();
    for (l2, tol) in [(0.0, 1e-3), (0.0, 1e-10), (1e-3, 1e-3), (1e-3, 1e-10)] {
        let obj = crate::fit::objective::Objective::multinomial(x.view(), y.view(), 3, l2, true)
            .with_weights(s.view());
        let opts = FitOptions {
            tol,
            ..FitOptions::default()
        };
        let f = fit(&obj, &opts).unwrap();
        assert!(f.report.converged, "{:?}", f.report);
        assert!(f.report.newton_steps >= 1, "{:?}", f.report);
        assert!(f.report.gradient_norm <= 1e-13, "{:?}", f.report);
        thetas.push((l2, obj.scores(&f.theta)));
    }
    for pair in thetas.chunks(2) {
        assert_eq!(pair[0].0, pair[1].0);
        let worst = pair[0]
            .1
            .iter()
            .zip(pair[1].1.iter())
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(
            worst <= 1e-10,
            "l2 {}: scores differ by {worst:e}",
            pair[0].0
        );
    }
}

#[test]
fn not_for_the_lasso_separation_or_wide_models() {
    let d = test_data::pima();
    let obj = d.objective(0.01).with_penalty(0.01, 0.01);
    let f = fit(&obj, &FitOptions::with_solver(SolverKind::Cd)).unwrap();
    assert_eq!(f.report.newton_steps, 0);
    assert!(!applies(&obj, true));
    // Completely separated: the first column's sign is the label.
    let x = Array2::from_shape_vec((6, 1), vec![-3.0, -2.0, -1.0, 1.0, 2.0, 3.0]).unwrap();
    let y = Array1::from(vec![0.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
    let obj = crate::fit::objective::Objective::new(x.view(), y.view(), 0.0, true);
    let f = fit(&obj, &FitOptions::default()).unwrap();
    assert_eq!(f.report.stop_reason, StopReason::Separation);
    assert_eq!(f.report.newton_steps, 0);
    let wide = Array2::<f64>::zeros((3, MAX_PARAMS));
    let y = Array1::from(vec![0.0, 1.0, 0.0]);
    let obj = crate::fit::objective::Objective::new(wide.view(), y.view(), 1.0, true);
    assert!(!applies(&obj, true));
    assert!(applies(&test_data::pima().objective(0.0), true));
}

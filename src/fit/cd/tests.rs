use super::model::soft_threshold;
use super::*;
use crate::fit::solvers::{fit, test_data, SolverKind};
use ndarray::{Array1, Array2};

fn cd() -> FitOptions {
    FitOptions::with_solver(SolverKind::Cd)
}

#[test]
fn soft_threshold_and_subgradient() {
    assert_eq!(soft_threshold(3.0, 1.0), 2.0);
    assert_eq!(soft_threshold(-3.0, 1.0), -2.0);
    assert_eq!(soft_threshold(0.5, 1.0), 0.0);
    assert_eq!(soft_threshold(-1.0, 1.0), 0.0);
    assert_eq!(sub(0.0, 0.3, 0.5, true), 0.0);
    assert_eq!(sub(0.0, -0.75, 0.5, true), 0.25);
    assert_eq!(sub(2.0, -0.5, 0.5, true), 0.0);
    assert_eq!(sub(-2.0, 0.25, 0.5, true), 0.25);
    assert_eq!(sub(0.0, -0.75, 0.5, false), 0.75);
}

/// The curvature-centred binomial sweeps and the plain ones minimise the same model.
#[test]
fn centred_and_plain_sweeps_reach_the_same_model_minimiser() {
    let d = test_data::pima();
    let obj = d.objective(0.0).with_penalty(0.01, 0.002);
    let cols = columns(&obj);
    let problem = problem(&obj, &cols);
    let theta = vec![0.0; obj.n_params()];
    let mut z = Vec::new();
    let eta = scores(&problem, &theta);
    let model = Model::at(&problem, &eta, &mut z);
    let set: Vec<usize> = (0..problem.p).collect();
    let plain = model::descend(
        &problem,
        &model,
        &theta,
        std::slice::from_ref(&set),
        1e-15,
        10_000,
    );
    let centred = binomial::descend_centred(&problem, &model, &theta, &set, 1e-15, 10_000);
    for (a, b) in plain.u.iter().zip(&centred.u) {
        assert!((a - b).abs() < 1e-11, "{:?} {:?}", plain.u, centred.u);
    }
    for (a, b) in plain.deta.iter().zip(&centred.deta) {
        assert!((a - b).abs() < 1e-10);
    }
}

/// With l1 = l2 = 0 on separated data cd stops with the separation verdict as the other
/// solvers do; with an L1 penalty the optimum is finite and cd converges to it.
#[test]
fn separation_only_without_penalties() {
    let x = Array2::from_shape_vec((6, 1), vec![-3.0, -2.0, -1.0, 1.0, 2.0, 3.0]).unwrap();
    let y = Array1::from(vec![0.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
    let obj = Objective::new(x.view(), y.view(), 0.0, true);
    let f = fit(&obj, &cd()).unwrap();
    assert_eq!(
        f.report.stop_reason,
        StopReason::Separation,
        "{:?}",
        f.report
    );
    assert!(!f.report.converged);
    let f = fit(&obj.with_penalty(0.05, 0.0), &cd()).unwrap();
    assert!(f.report.converged, "{:?}", f.report);
    assert!(f.theta[0] > 0.0 && f.theta[0].is_finite());
}

/// The iteration cap is reported as such, with the true subgradient.
#[test]
fn max_iterations_is_reported() {
    let d = test_data::breast_cancer();
    let obj = d.objective(0.0).with_penalty(1e-3, 0.0);
    let opts = FitOptions {
        max_iter: Some(1),
        ..cd()
    };
    let f = fit(&obj, &opts).unwrap();
    assert_eq!(f.report.stop_reason, StopReason::MaxIterations);
    assert_eq!(f.report.iterations, 1);
    let g = obj.gradient(&f.theta);
    let sg = obj.subgradient_norm(&f.theta, g.as_slice().unwrap());
    assert!((f.report.gradient_norm - sg).abs() <= 1e-12 && sg > f.report.tol);
}

/// Multinomial with l1 > 0: intercepts centred, W not; without l1 the usual centring.
#[test]
fn multinomial_centring_rules() {
    let n = 90;
    let x = Array2::from_shape_fn((n, 3), |(i, j)| ((i * (j + 2)) % 7) as f64 - 3.0);
    let y = Array1::from_shape_fn(n, |i| ((i % 3 + (i * 7) % 5 / 4) % 3) as f64);
    let base = Objective::multinomial(x.view(), y.view(), 3, 0.0, true);
    let f = fit(&base.with_penalty(0.02, 0.0), &cd()).unwrap();
    assert!(f.report.converged, "{:?}", f.report);
    let b = &f.theta[9..];
    assert!(b.iter().sum::<f64>().abs() < 1e-12);
    let f = fit(&base.with_penalty(0.0, 0.01), &cd()).unwrap();
    assert!(f.report.converged, "{:?}", f.report);
    for j in 0..3 {
        let s: f64 = (0..3).map(|c| f.theta[c * 3 + j]).sum();
        assert!(s.abs() < 1e-12, "feature {j}: {s}");
    }
}

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
    let problem = problem(&obj, &*cols);
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

/// The Gram sweeps minimise the same model as the centred (and, without an intercept, the
/// plain) naive sweeps.
#[test]
fn gram_and_naive_sweeps_reach_the_same_model_minimiser() {
    let d = test_data::pima();
    for intercept in [true, false] {
        let mut obj = d.objective(0.0).with_penalty(0.01, 0.002);
        obj.fit_intercept = intercept;
        let cols = columns(&obj);
        let problem = problem(&obj, &*cols);
        let theta = vec![0.0; obj.n_params()];
        let mut z = Vec::new();
        let eta = scores(&problem, &theta);
        let model = Model::at(&problem, &eta, &mut z);
        let set: Vec<usize> = (0..problem.p).collect();
        let naive = if intercept {
            binomial::descend_centred(&problem, &model, &theta, &set, 1e-15, 10_000)
        } else {
            descend(
                &problem,
                &model,
                &theta,
                std::slice::from_ref(&set),
                1e-15,
                10_000,
            )
        };
        let gram = gram::descend_gram(&problem, &model, &theta, &set, 1e-15, 10_000).unwrap();
        for (a, b) in naive.u.iter().zip(&gram.u) {
            assert!((a - b).abs() < 1e-10, "{:?} {:?}", naive.u, gram.u);
        }
        for (a, b) in naive.deta.iter().zip(&gram.deta) {
            assert!((a - b).abs() < 1e-9);
        }
    }
}

/// Binomial fits converge to the optimality conditions through every inner solve, and the
/// Gram path's result does not depend on the thread count.
#[test]
fn every_inner_mode_converges_to_the_kkt_point() {
    let d = test_data::breast_cancer();
    for (l1, l2) in [(1e-3, 0.0), (0.02, 0.01), (0.0, 0.05)] {
        let mut thetas = Vec::new();
        for mode in [InnerMode::Naive, InnerMode::Gram, InnerMode::Auto] {
            for threads in [1, 2] {
                let mut obj = d.objective(0.0).with_penalty(l1, l2);
                obj.exec.threads = Some(threads);
                let cols = columns(&obj);
                let mut problem = problem(&obj, &*cols);
                problem.inner = mode;
                let start = vec![0.0; obj.n_params()];
                let f = solve(&obj, &problem, &cd(), &start, None, None, &mut |_| {});
                assert!(f.fit.report.converged, "{mode:?} {:?}", f.fit.report);
                let g = obj.gradient(&f.fit.theta);
                let sg = obj.subgradient_norm(&f.fit.theta, g.as_slice().unwrap());
                assert!(sg <= 1e-9, "{mode:?} l1 {l1}: {sg}");
                thetas.push((mode, threads, f.fit.theta));
            }
        }
        for pair in thetas.chunks(2) {
            assert_eq!(pair[0].2, pair[1].2, "{:?} across threads", pair[0].0);
        }
        for (mode, _, theta) in &thetas {
            for (a, b) in theta.iter().zip(&thetas[0].2) {
                assert!((a - b).abs() < 1e-6, "{mode:?}: {a} vs {b}");
            }
        }
    }
}

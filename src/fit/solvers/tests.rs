use super::test_data;
use super::*;
use ndarray::{Array1, Array2};
use proptest::prelude::*;

#[test]
fn validation_names_the_flags() {
    let mut o = FitOptions {
        max_iter: Some(0),
        ..FitOptions::default()
    };
    let e = o.validate().unwrap_err().to_string();
    assert_eq!(e, "--max-iter must be >= 1, got 0");
    o.max_iter = Some(1);
    assert!(o.validate().is_ok());
    for bad in [0.0, -1e-3, f64::NAN, f64::INFINITY] {
        o.tol = bad;
        let e = o.validate().unwrap_err().to_string();
        assert!(e.starts_with("--tol must be"), "{e}");
    }
    o.tol = 1e-6;
    for bad in [0.0, -0.5, f64::NAN, f64::INFINITY] {
        o.learning_rate = Some(bad);
        let e = o.validate().unwrap_err().to_string();
        assert!(e.starts_with("--learning-rate must be"), "{e}");
    }
    o.learning_rate = Some(0.1);
    assert!(o.validate().is_ok());
}

#[test]
fn fit_rejects_bad_options_and_data() {
    let x = Array2::from_shape_vec((2, 1), vec![0.0, 1.0]).unwrap();
    let y = Array1::from(vec![0.0, 1.0]);
    let bad_opts = FitOptions {
        tol: -1.0,
        ..FitOptions::default()
    };
    let obj = Objective::new(x.view(), y.view(), 0.0, true);
    assert!(matches!(
        fit(&obj, &bad_opts),
        Err(FitError::InvalidOption { name: "--tol", .. })
    ));
    let neg_l2 = Objective::new(x.view(), y.view(), -1.0, true);
    let e = fit(&neg_l2, &FitOptions::default()).unwrap_err();
    assert!(e.to_string().starts_with("--l2 must be"), "{e}");
    let xn = Array2::from_shape_vec((2, 1), vec![0.0, f64::NAN]).unwrap();
    let obj = Objective::new(xn.view(), y.view(), 0.1, true);
    assert!(matches!(
        fit(&obj, &FitOptions::default()),
        Err(FitError::InvalidData(_))
    ));
    let y2 = Array1::from(vec![0.0, 2.0]);
    let obj = Objective::new(x.view(), y2.view(), 0.1, true);
    assert!(matches!(
        fit(&obj, &FitOptions::default()),
        Err(FitError::InvalidData(_))
    ));
    let x0 = Array2::<f64>::zeros((0, 1));
    let y0 = Array1::<f64>::zeros(0);
    let obj = Objective::new(x0.view(), y0.view(), 0.1, true);
    for kind in SolverKind::ALL {
        assert!(matches!(
            fit(&obj, &FitOptions::with_solver(kind)),
            Err(FitError::InvalidData(_))
        ));
    }
}

#[test]
fn names_round_trip() {
    for kind in SolverKind::ALL {
        assert_eq!(kind.to_string().parse::<SolverKind>().unwrap(), kind);
        let json = serde_json::to_string(&kind).unwrap();
        assert_eq!(json, format!("\"{kind}\""));
    }
    assert!("sgd".parse::<SolverKind>().is_err());
    let json = serde_json::to_string(&StopReason::MaxIterations).unwrap();
    assert_eq!(json, "\"max_iterations\"");
    let json = serde_json::to_string(&StopReason::LineSearchFailed).unwrap();
    assert_eq!(json, "\"line_search_failed\"");
    assert_eq!(FitOptions::default().effective_max_iter(), 1000);
    let o = FitOptions {
        max_iter: Some(7),
        ..FitOptions::with_solver(SolverKind::Gd)
    };
    assert_eq!(o.effective_max_iter(), 7);
}

#[test]
fn degenerate_problems_do_not_panic() {
    // No features, no intercept: nothing to fit.
    let x = Array2::<f64>::zeros((3, 0));
    let y = Array1::from(vec![0.0, 1.0, 1.0]);
    let obj = Objective::new(x.view(), y.view(), 0.0, false);
    for kind in SolverKind::ALL {
        let f = fit(&obj, &FitOptions::with_solver(kind)).unwrap();
        assert!(f.theta.is_empty());
        assert!(f.report.converged);
    }
    // Intercept only: b = logit(2/3).
    let obj = Objective::new(x.view(), y.view(), 0.0, true);
    for kind in SolverKind::ALL {
        let f = fit(&obj, &FitOptions::with_solver(kind)).unwrap();
        assert!(f.report.converged, "{kind}: {:?}", f.report);
        assert!((f.theta[0] - 2.0_f64.ln()).abs() < 1e-8, "{kind}");
    }
    // One class with an intercept: no finite optimum even with a penalty.
    let y1 = Array1::from(vec![1.0, 1.0, 1.0]);
    let x1 = Array2::from_shape_vec((3, 1), vec![-1.0, 0.0, 1.0]).unwrap();
    let obj = Objective::new(x1.view(), y1.view(), 0.1, true);
    for kind in SolverKind::ALL {
        let f = fit(&obj, &FitOptions::with_solver(kind)).unwrap();
        assert_eq!(f.report.stop_reason, StopReason::Separation, "{kind}");
        assert!(!f.report.converged);
    }
    // A constant column duplicating the intercept, l2 = 0: singular Hessian, finite optimum.
    let xc =
        Array2::from_shape_vec((4, 2), vec![1.0, -1.0, 1.0, 0.5, 1.0, 1.0, 1.0, -0.3]).unwrap();
    let yc = Array1::from(vec![0.0, 1.0, 0.0, 1.0]);
    let obj = Objective::new(xc.view(), yc.view(), 0.0, true);
    for kind in SolverKind::ALL {
        let f = fit(&obj, &FitOptions::with_solver(kind)).unwrap();
        assert!(f.theta.iter().all(|v| v.is_finite()), "{kind}");
        if kind != SolverKind::Linfa {
            assert!(f.report.converged, "{kind}: {:?}", f.report);
        }
    }
}

#[test]
fn max_iterations_is_reported_not_convergence() {
    let d = test_data::spector();
    let obj = d.objective(0.0);
    for kind in SolverKind::ALL {
        let o = FitOptions {
            max_iter: Some(1),
            ..FitOptions::with_solver(kind)
        };
        let f = fit(&obj, &o).unwrap();
        assert_eq!(f.report.stop_reason, StopReason::MaxIterations, "{kind}");
        assert!(!f.report.converged);
        assert_eq!(f.report.iterations, 1, "{kind}");
        assert_eq!(f.report.max_iter, 1);
        assert!(f.report.gradient_norm > f.report.tol);
    }
}

/// gd, lbfgs and newton agree with each other (and with the reference) on real data.
#[test]
fn solvers_agree_with_each_other() {
    for data in [test_data::spector(), test_data::pima()] {
        for &l2 in &[0.0, 1e-2] {
            let obj = data.objective(l2);
            let fits: Vec<Fit> = [SolverKind::Newton, SolverKind::Lbfgs, SolverKind::Gd]
                .into_iter()
                .map(|k| fit(&obj, &FitOptions::with_solver(k)).unwrap())
                .collect();
            for f in &fits {
                assert!(f.report.converged, "{}: {:?}", data.name, f.report);
            }
            for f in &fits[1..] {
                let diff = max_abs_diff(&f.theta, &fits[0].theta);
                assert!(
                    diff < 1e-6,
                    "{} l2={l2}: {} vs newton {diff}",
                    data.name,
                    f.report.solver
                );
                assert!((f.report.objective - fits[0].report.objective).abs() < 1e-12);
            }
        }
    }
}

pub(crate) fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// Random small problems for the finite-difference property test.
type Problem = (Array2<f64>, Array1<f64>, f64, Vec<f64>, bool);

fn small_problem() -> impl Strategy<Value = Problem> {
    (2usize..8, 1usize..4, any::<bool>(), 0.0f64..0.5).prop_flat_map(|(n, p, intercept, l2)| {
        let k = p + usize::from(intercept);
        (
            proptest::collection::vec(-2.0f64..2.0, n * p),
            proptest::collection::vec(any::<bool>(), n),
            proptest::collection::vec(-3.0f64..3.0, k),
        )
            .prop_map(move |(xs, ys, theta)| {
                let x = Array2::from_shape_vec((n, p), xs).unwrap();
                let y = Array1::from(
                    ys.into_iter()
                        .map(|b| f64::from(u8::from(b)))
                        .collect::<Vec<_>>(),
                );
                (x, y, l2, theta, intercept)
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Objective's analytic gradient and Hessian match central finite differences (tests
    /// src/fit/objective.rs, which every solver relies on).
    #[test]
    fn gradient_and_hessian_match_finite_differences((x, y, l2, theta, intercept) in small_problem()) {
        let obj = Objective::new(x.view(), y.view(), l2, intercept);
        let k = obj.n_params();
        let g = obj.gradient(&theta);
        let h = obj.hessian(&theta);
        let eps = 1e-5;
        for j in 0..k {
            let mut tp = theta.clone();
            let mut tm = theta.clone();
            tp[j] += eps;
            tm[j] -= eps;
            let fd = (obj.value(&tp) - obj.value(&tm)) / (2.0 * eps);
            prop_assert!((fd - g[j]).abs() <= 1e-7 * (1.0 + g[j].abs()), "grad {j}: fd {fd} vs {}", g[j]);
            let gp = obj.gradient(&tp);
            let gm = obj.gradient(&tm);
            for i in 0..k {
                let fdh = (gp[i] - gm[i]) / (2.0 * eps);
                prop_assert!((fdh - h[[i, j]]).abs() <= 1e-7 * (1.0 + h[[i, j]].abs()), "hess {i},{j}: fd {fdh} vs {}", h[[i, j]]);
            }
        }
        // value_and_gradient agrees with value.
        let mut g2 = vec![0.0; k];
        let v = obj.value_and_gradient(&theta, &mut g2);
        prop_assert!((v - obj.value(&theta)).abs() <= 1e-14 * (1.0 + v.abs()));
        // The Hessian is symmetric.
        for i in 0..k {
            for j in 0..k {
                prop_assert_eq!(h[[i, j]], h[[j, i]]);
            }
        }
    }
}

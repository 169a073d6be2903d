//! Issue 9, the core: every solver reaches the shared multiclass and weighted references
//! (fixtures/multi, unchanged copies of ../shared/reference/multi: optima polished to a gradient
//! below 1e-13, checked against scikit-learn, glmnet and statsmodels), through the library's
//! objective on the reference's own design (one-hot of every level, weighted standardisation);
//! separation, the Newton size bound and linfa's lack of weights are reported, not hidden.

use logit::data::design::{DenseDesign, Scaler};
use logit::fit::objective::{Family, Objective};
use logit::fit::solvers::{self, FitError, FitOptions, SolverKind, StopReason};
use ndarray::{Array1, Array2};
use serde_json::Value;

use crate::util::fixtures;

/// A reference case read straight from its CSV and expected.json.
struct Case {
    name: String,
    expected: Value,
    /// Standardised design (the reference's columns and levels, our weighted scaler).
    x: Array2<f64>,
    /// Class index (multiclass) or 1.0 for the positive label (binary).
    y: Array1<f64>,
    s: Option<Array1<f64>>,
    classes: usize,
}

/// Reads the case's training file from `fixtures/multi` (no quoted fields in these files) and builds the
/// design exactly as the reference describes it.
fn load(name: &str) -> Case {
    let dir = fixtures().join("multi");
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(format!("{name}.expected.json"))).unwrap(),
    )
    .unwrap();
    let train = expected["train_file"].as_str().unwrap();
    let text = std::fs::read_to_string(dir.join(train)).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows: Vec<Vec<&str>> = lines
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').collect())
        .collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let mut features: Vec<Vec<f64>> = Vec::new();
    for c in expected["columns"].as_array().unwrap() {
        let j = col(c["name"].as_str().unwrap());
        match c["levels"].as_array() {
            None => features.push(rows.iter().map(|r| r[j].parse().unwrap()).collect()),
            Some(levels) => {
                for level in levels {
                    let level = level.as_str().unwrap();
                    features.push(
                        rows.iter()
                            .map(|r| f64::from(u8::from(r[j] == level)))
                            .collect(),
                    );
                }
            }
        }
    }
    let n = rows.len();
    let p = features.len();
    let raw = Array2::from_shape_fn((n, p), |(i, j)| features[j][i]);
    let classes: Vec<String> = expected["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    let t = col(expected["target"].as_str().unwrap());
    let y = if classes.len() == 2 {
        let positive = expected["positive"].as_str().unwrap();
        Array1::from_iter(rows.iter().map(|r| f64::from(u8::from(r[t] == positive))))
    } else {
        Array1::from_iter(
            rows.iter()
                .map(|r| classes.iter().position(|c| c == r[t]).unwrap() as f64),
        )
    };
    assert!(
        expected["class_weight"].is_null(),
        "{name}: class weights not handled here"
    );
    let s = expected["weight"]
        .as_str()
        .map(|w| Array1::from_iter(rows.iter().map(|r| r[col(w)].parse::<f64>().unwrap())));
    let scaler = Scaler::fit_weighted(raw.view(), true, s.as_ref().map(|s| s.view()));
    let st = &expected["standardization"];
    for j in 0..p {
        let (m, sd) = (
            st["mean"][j].as_f64().unwrap(),
            st["std"][j].as_f64().unwrap(),
        );
        assert!(
            (scaler.mean[j] - m).abs() <= 1e-12 * m.abs().max(1.0),
            "{name} mean {j}"
        );
        assert!((scaler.std[j] - sd).abs() <= 1e-12 * sd, "{name} std {j}");
    }
    let mut x = raw;
    scaler.apply(&mut x);
    Case {
        name: name.to_string(),
        expected,
        x,
        y,
        s,
        classes: classes.len(),
    }
}

impl Case {
    fn objective(&self, l2: f64) -> Objective<'_> {
        let obj = if self.classes == 2 {
            Objective::new(self.x.view(), self.y.view(), l2, true)
        } else {
            Objective::multinomial(self.x.view(), self.y.view(), self.classes, l2, true)
        };
        match &self.s {
            Some(s) => obj.with_weights(s.view()),
            None => obj,
        }
    }

    /// `[W row-major, b]` of a reference fit (standardised scale, centred).
    fn reference_theta(fit: &Value) -> Vec<f64> {
        let mut theta: Vec<f64> = fit["coefficients_standardized"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|row| row.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()))
            .collect();
        theta.extend(
            fit["intercepts_standardized"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap()),
        );
        theta
    }
}

fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// Every solver reaches every multinomial and binary (weighted) reference fit: objective to
/// 1e-10 relative, coefficients and intercepts to 1e-6 (1e-5 at l2 = 1e-4; linfa, which stops
/// at ~1e-9 of its own summed gradient, at tol 1e-8: 1e-4; with unequal weights it must refuse
/// instead).
#[test]
fn every_solver_reaches_the_multiclass_and_weighted_references() {
    for name in ["iris", "wine", "iris_sl", "esoph", "pima_w"] {
        let case = load(name);
        for fit in case.expected["fits"].as_array().unwrap() {
            let mode = fit["mode"].as_str();
            if mode == Some("ovr") {
                continue;
            }
            let l2 = fit["lambda"].as_f64().unwrap();
            let obj = case.objective(l2);
            let want = Case::reference_theta(fit);
            let f_ref = fit["objective"].as_f64().unwrap();
            // The reference point is the optimum of our objective.
            assert!(
                (obj.value(&want) - f_ref).abs() <= 1e-12 * f_ref,
                "{name} l2={l2}"
            );
            for solver in SolverKind::ALL {
                let what = format!("{} l2={l2} {solver}", case.name);
                let options = FitOptions {
                    tol: if solver == SolverKind::Linfa {
                        1e-8
                    } else {
                        1e-10
                    },
                    ..FitOptions::with_solver(solver)
                };
                let result = solvers::fit(&obj, &options);
                if solver == SolverKind::Linfa && case.s.is_some() {
                    let e = result.unwrap_err();
                    assert!(matches!(e, FitError::LinfaUnavailable(_)), "{what}: {e}");
                    assert!(e.to_string().contains("no sample weights"), "{what}: {e}");
                    continue;
                }
                let f = result.unwrap();
                // At l2 = 1e-4 the optimum is ill-conditioned (smallest curvature ~ l2), so a
                // gradient of 1e-10 still leaves parameter errors up to ~|g| / l2 = 1e-6.
                let tolerance = match solver {
                    SolverKind::Linfa => 1e-4,
                    _ if l2 > 0.0 && l2 < 1e-3 => 1e-5,
                    _ => 1e-6,
                };
                assert!(
                    f.report.converged || solver == SolverKind::Linfa,
                    "{what}: {:?}",
                    f.report
                );
                assert_ne!(f.report.stop_reason, StopReason::Separation, "{what}");
                let diff = max_diff(&f.theta, &want);
                assert!(
                    diff <= tolerance,
                    "{what}: |theta - ref| = {diff:e}\n{:?}\n{want:?}",
                    f.theta
                );
                let gap = (f.report.objective - f_ref).abs();
                assert!(
                    gap <= 1e-10 * f_ref.max(1.0),
                    "{what}: objective gap {gap:e}"
                );
                // Multinomial results are centred.
                if case.classes > 2 {
                    let k = case.classes;
                    let p = case.x.ncols();
                    for j in 0..=p {
                        let sum: f64 = (0..k)
                            .map(|c| f.theta[if j < p { c * p + j } else { k * p + c }])
                            .sum();
                        assert!(sum.abs() <= 1e-12, "{what}: class sum {sum:e} at {j}");
                    }
                }
            }
        }
    }
}

/// OvR is K binomial fits on the same design and weights: each matches its reference class.
#[test]
fn one_vs_rest_is_k_binary_fits() {
    for name in ["iris", "wine"] {
        let case = load(name);
        for fit in case.expected["fits"].as_array().unwrap() {
            if fit["mode"].as_str() != Some("ovr") {
                continue;
            }
            let l2 = fit["lambda"].as_f64().unwrap();
            let p = case.x.ncols();
            for k in 0..case.classes {
                let yk = case.y.mapv(|v| f64::from(u8::from(v == k as f64)));
                let obj = Objective::new(case.x.view(), yk.view(), l2, true);
                let f = solvers::fit(&obj, &FitOptions::default()).unwrap();
                assert!(f.report.converged, "{name} {k}: {:?}", f.report);
                let w: Vec<f64> = fit["coefficients_standardized"][k]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_f64().unwrap())
                    .collect();
                let b = fit["intercepts_standardized"][k].as_f64().unwrap();
                assert!(
                    max_diff(&f.theta[..p], &w) <= 1e-6,
                    "{name} l2={l2} class {k}"
                );
                assert!((f.theta[p] - b).abs() <= 1e-6, "{name} l2={l2} class {k}");
                let f_ref = fit["objective_per_class"][k].as_f64().unwrap();
                assert!((f.report.objective - f_ref).abs() <= 1e-10 * f_ref.max(1.0));
            }
        }
    }
}

/// Integer weights are duplicated rows: esoph's counts as weights give the same fit as the
/// table expanded to one row per person (zero counts dropped), for every solver.
#[test]
fn integer_weights_equal_duplicated_rows() {
    let case = load("esoph");
    let s = case.s.as_ref().unwrap();
    let rows: Vec<usize> = (0..s.len())
        .flat_map(|i| std::iter::repeat_n(i, s[i] as usize))
        .collect();
    let xd = Array2::from_shape_fn((rows.len(), case.x.ncols()), |(r, j)| case.x[[rows[r], j]]);
    let yd = Array1::from_iter(rows.iter().map(|&i| case.y[i]));
    for l2 in [0.01, 1e-4] {
        let weighted = case.objective(l2);
        let expanded = Objective::new(xd.view(), yd.view(), l2, true);
        assert_eq!(weighted.weight_sum(), rows.len() as f64);
        for solver in [SolverKind::Lbfgs, SolverKind::Newton, SolverKind::Gd] {
            let a = solvers::fit(&weighted, &FitOptions::with_solver(solver)).unwrap();
            let b = solvers::fit(&expanded, &FitOptions::with_solver(solver)).unwrap();
            assert!(a.report.converged && b.report.converged, "{solver}");
            assert!(max_diff(&a.theta, &b.theta) <= 1e-7, "{solver} l2={l2}");
            assert!((a.report.objective - b.report.objective).abs() <= 1e-13);
        }
        // linfa sees the expanded table (no weights needed) and agrees.
        let opts = FitOptions {
            tol: 1e-8,
            ..FitOptions::with_solver(SolverKind::Linfa)
        };
        let c = solvers::fit(&expanded, &opts).unwrap();
        let a = solvers::fit(&weighted, &FitOptions::default()).unwrap();
        assert!(max_diff(&a.theta, &c.theta) <= 1e-4, "linfa l2={l2}");
    }
}

/// Iris with all four columns and no penalty: setosa is linearly separable from the rest, so no
/// multinomial MLE exists; every solver must say Separation, not claim convergence.
#[test]
fn separable_multiclass_data_end_in_separation() {
    let case = load("iris");
    let obj = case.objective(0.0);
    for solver in SolverKind::ALL {
        let f = solvers::fit(&obj, &FitOptions::with_solver(solver)).unwrap();
        assert_eq!(
            f.report.stop_reason,
            StopReason::Separation,
            "{solver}: {:?}",
            f.report
        );
        assert!(!f.report.converged);
        assert!(f.theta.iter().all(|v| v.is_finite()));
        // Centred even so (the stored model is).
        let p = case.x.ncols();
        for j in 0..=p {
            let at = |c: usize| if j < p { c * p + j } else { 3 * p + c };
            let sum: f64 = (0..3).map(|c| f.theta[at(c)]).sum();
            let scale: f64 = (0..3).map(|c| f.theta[at(c)].abs()).fold(1.0, f64::max);
            assert!(
                sum.abs() <= 1e-12 * scale,
                "{solver}: class sum {sum:e} at {j}"
            );
        }
    }
    // A class absent from the (positive-weight) rows: no finite intercept even with a penalty.
    let mut s = Array1::from_elem(case.y.len(), 1.0);
    for (i, &y) in case.y.iter().enumerate() {
        if y == 1.0 {
            s[i] = 0.0;
        }
    }
    let obj =
        Objective::multinomial(case.x.view(), case.y.view(), 3, 0.1, true).with_weights(s.view());
    let f = solvers::fit(&obj, &FitOptions::default()).unwrap();
    assert_eq!(f.report.stop_reason, StopReason::Separation);
    // Quasi-complete: class 2 exactly where x > 0, classes 0 and 1 mixed at x <= 0 and tied at 0.
    let x = Array2::from_shape_vec((9, 1), vec![-2.0, -1.0, -1.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0])
        .unwrap();
    let y = Array1::from(vec![0.0, 1.0, 0.0, 1.0, 0.0, 2.0, 2.0, 2.0, 2.0]);
    let obj = Objective::multinomial(x.view(), y.view(), 3, 0.0, true);
    for solver in SolverKind::ALL {
        let f = solvers::fit(&obj, &FitOptions::with_solver(solver)).unwrap();
        assert_eq!(
            f.report.stop_reason,
            StopReason::Separation,
            "quasi {solver}: {:?}",
            f.report
        );
    }
    // The same data with the class-2 rows mixed in converge normally.
    let y2 = Array1::from(vec![0.0, 1.0, 2.0, 1.0, 0.0, 2.0, 2.0, 0.0, 2.0]);
    let obj = Objective::multinomial(x.view(), y2.view(), 3, 0.0, true);
    for solver in [SolverKind::Lbfgs, SolverKind::Newton, SolverKind::Gd] {
        let f = solvers::fit(&obj, &FitOptions::with_solver(solver)).unwrap();
        assert!(f.report.converged, "overlap {solver}: {:?}", f.report);
    }
}

/// Newton refuses a Hessian over its bound with a message naming the flag and the way out.
#[test]
fn newton_refuses_a_hessian_too_large_and_says_what_to_use() {
    let case = load("wine");
    let obj = case.objective(0.01);
    // 3 x (13 + 1) = 42 parameters: 42^2 x 8 = 14112 bytes.
    assert_eq!(obj.hessian_bytes(), 14_112.0);
    let opts = FitOptions::with_solver(SolverKind::Newton);
    let e = solvers::fit_with_newton_limit(&obj, &opts, 14_000.0).unwrap_err();
    let text = e.to_string();
    assert!(
        matches!(e, FitError::NewtonHessianTooLarge { n_params: 42, .. }),
        "{text}"
    );
    assert!(
        text.contains("--solver newton") && text.contains("--solver lbfgs"),
        "{text}"
    );
    // At the bound it runs; other solvers never need it.
    assert!(
        solvers::fit_with_newton_limit(&obj, &opts, 14_112.0)
            .unwrap()
            .report
            .converged
    );
    let lbfgs = FitOptions::with_solver(SolverKind::Lbfgs);
    assert!(
        solvers::fit_with_newton_limit(&obj, &lbfgs, 1.0)
            .unwrap()
            .report
            .converged
    );
}

/// The objective sees the design only through the trait: a design passed as `&dyn Design`
/// gives the same fit, and equal weights are no weights for linfa (same minimiser).
#[test]
fn designs_and_equal_weights() {
    let case = load("wine");
    let design = DenseDesign::new(case.x.view());
    let family = Family::Multinomial { classes: 3 };
    let a = Objective::with_design(&design, case.y.view(), family, 0.01, true);
    let b = case.objective(0.01);
    let fa = solvers::fit(&a, &FitOptions::default()).unwrap();
    let fb = solvers::fit(&b, &FitOptions::default()).unwrap();
    assert_eq!(fa.theta, fb.theta);
    let halves = Array1::from_elem(case.y.len(), 0.5);
    let c = b.with_weights(halves.view());
    let opts = FitOptions {
        tol: 1e-8,
        ..FitOptions::with_solver(SolverKind::Linfa)
    };
    let fc = solvers::fit(&c, &opts).unwrap();
    assert!(max_diff(&fc.theta, &fb.theta) <= 1e-4);
    let cc = solvers::linfa::cross_check(&b, &fb, &FitOptions::default()).unwrap();
    assert!(cc.max_coefficient_difference <= 1e-4, "{cc:?}");
}

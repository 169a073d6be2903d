//! Issue 10, CORE: the coordinate-descent solver and the regularisation path through the
//! library API, against glmnet's reference fits (tests/fixtures/l1/*.expected.json, made by
//! R glmnet 4.1-6 at thresh 1e-24; see /shared/reference/l1/README.md) and against the
//! optimality conditions.

use std::path::{Path, PathBuf};

use logit::data::design::Scaler;
use logit::fit::objective::Objective;
use logit::fit::path::{
    default_lambda_min_ratio, fit_path, lambda_max, lambda_sequence, PathOptions,
};
use logit::fit::solvers::{fit, fit_from, FitError, FitOptions, SolverKind, StopReason};
use ndarray::{Array1, Array2};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/l1")
        .join(name)
}

/// A case: standardised design (training mean, population std), labels, the reference file.
struct Case {
    x: Array2<f64>,
    y: Array1<f64>,
    expected: Value,
}

fn case(name: &str) -> Case {
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture(&format!("{name}.expected.json"))).unwrap(),
    )
    .unwrap();
    let positive = expected["positive"].as_str().unwrap().to_string();
    let text = std::fs::read_to_string(fixture(&format!("{name}_train.csv"))).unwrap();
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let p = lines.next().unwrap().split(',').count() - 1;
    let (mut values, mut y) = (Vec::new(), Vec::new());
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        for c in &cells[..p] {
            values.push(c.trim().parse::<f64>().unwrap());
        }
        y.push(f64::from(u8::from(cells[p].trim() == positive)));
    }
    let mut x = Array2::from_shape_vec((y.len(), p), values).unwrap();
    let scaler = Scaler::fit(x.view(), true);
    for (j, m) in expected["train_mean"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let m = m.as_f64().unwrap();
        assert!((scaler.mean[j] - m).abs() <= 1e-12 * m.abs().max(1.0));
    }
    scaler.apply(&mut x);
    Case {
        x,
        y: Array1::from(y),
        expected,
    }
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn bools(v: &Value) -> Vec<bool> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_bool().unwrap())
        .collect()
}

fn cd() -> FitOptions {
    FitOptions::with_solver(SolverKind::Cd)
}

/// Every fixed (l1, l2) pair of both shared cases: coefficients (standardised) within 1e-7,
/// objective within 1e-10, the exact zero pattern (no shared fixed fit has a fragile entry).
#[test]
fn fixed_pairs_match_glmnet() {
    for name in ["pima", "breast_cancer"] {
        let c = case(name);
        for pair in c.expected["fits"].as_array().unwrap() {
            let (l1, l2) = (pair["l1"].as_f64().unwrap(), pair["l2"].as_f64().unwrap());
            let obj = Objective::new(c.x.view(), c.y.view(), 0.0, true).with_penalty(l1, l2);
            let f = fit(&obj, &cd()).unwrap();
            assert!(f.report.converged, "{name} {l1} {l2}: {:?}", f.report);
            let coef = floats(&pair["coefficients_standardized"]);
            let p = coef.len();
            let b = pair["intercept_standardized"].as_f64().unwrap();
            let worst = coef
                .iter()
                .zip(&f.theta)
                .map(|(a, b)| (a - b).abs())
                .fold((f.theta[p] - b).abs(), f64::max);
            let objective = pair["objective"].as_f64().unwrap();
            eprintln!(
                "{name} l1={l1} l2={l2}: {} iterations, subgradient {:.1e}, max|coef diff| {worst:.1e}, objective diff {:.1e}",
                f.report.iterations,
                f.report.gradient_norm,
                (f.report.objective - objective).abs()
            );
            assert!(
                worst <= 1e-7,
                "{name} {l1} {l2}: coefficients off by {worst:e}"
            );
            assert!((f.report.objective - objective).abs() <= 1e-10);
            let zero = bools(&pair["zero"]);
            let fragile = bools(&pair["fragile"]);
            for j in 0..p {
                if !fragile[j] {
                    assert_eq!(
                        f.theta[j] == 0.0,
                        zero[j],
                        "{name} {l1} {l2}: coefficient {j}"
                    );
                }
            }
        }
    }
}

fn path_options(alpha: f64, early_stop: bool) -> PathOptions {
    PathOptions {
        alpha,
        fit: cd(),
        early_stop,
    }
}

/// glmnet's default sequences (alpha 1, 0.5 and 0, the last through the 1e-3 floor): the first
/// ten values within 1e-12 relative; lambda_max itself is the first.
#[test]
fn default_sequences_match_glmnet() {
    let c = case("pima");
    let obj = Objective::new(c.x.view(), c.y.view(), 0.0, true);
    let (n, p) = c.x.dim();
    assert_eq!(default_lambda_min_ratio(n, p), 1e-4);
    assert_eq!(default_lambda_min_ratio(3, 4), 1e-2);
    for (alpha, key) in [
        (1.0, "default_alpha1_first10"),
        (0.5, "default_alpha05_first10"),
        (0.0, "default_alpha0_first10"),
    ] {
        let lmax = lambda_max(&obj, alpha);
        let seq = lambda_sequence(lmax, 100, default_lambda_min_ratio(n, p));
        assert_eq!(seq.len(), 100);
        assert_eq!(seq[0], lmax);
        assert!((seq[99] - 1e-4 * lmax).abs() <= 1e-12 * lmax);
        for (got, want) in seq.iter().zip(floats(&c.expected["path"][key])) {
            assert!(
                (got - want).abs() <= 1e-12 * want,
                "alpha {alpha}: {got} against {want}"
            );
        }
    }
}

/// The lasso path at glmnet's own lambdas: standardised coefficients within 1e-7, objectives
/// within 1e-10, the non-fragile zero pattern exactly and the non-zero counts; with the default
/// sequence and the early stop, glmnet's 60 lambdas.
#[test]
fn pima_lasso_path_matches_glmnet() {
    let c = case("pima");
    let obj = Objective::new(c.x.view(), c.y.view(), 0.0, true);
    let path = &c.expected["path"];
    let lambdas = floats(&path["lambdas"]);
    let mut calls = Vec::new();
    let points = fit_path(
        &obj,
        &lambdas,
        &path_options(1.0, false),
        &mut |i, total| calls.push((i, total)),
    )
    .unwrap();
    assert_eq!(points.len(), lambdas.len());
    assert_eq!(
        calls,
        (0..lambdas.len())
            .map(|i| (i, lambdas.len()))
            .collect::<Vec<_>>()
    );
    let mut worst = 0.0f64;
    for (point, want) in points.iter().zip(path["fits"].as_array().unwrap()) {
        assert_eq!(point.lambda, want["lambda"].as_f64().unwrap());
        assert_eq!((point.l1, point.l2), (point.lambda, 0.0));
        assert!(point.fit.report.converged, "{:?}", point.fit.report);
        let coef = floats(&want["coefficients_standardized"]);
        let p = coef.len();
        for (a, b) in coef.iter().zip(&point.fit.theta) {
            worst = worst.max((a - b).abs());
        }
        let objective = want["objective"].as_f64().unwrap();
        assert!(
            (point.fit.report.objective - objective).abs() <= 1e-10,
            "lambda {}: objective {} against {objective}",
            point.lambda,
            point.fit.report.objective
        );
        let zero = bools(&want["zero"]);
        let fragile = bools(&want["fragile"]);
        for j in 0..p {
            if !fragile[j] {
                assert_eq!(
                    point.fit.theta[j] == 0.0,
                    zero[j],
                    "lambda {}: {j}",
                    point.lambda
                );
            }
        }
        let nonzero = point.fit.theta[..p].iter().filter(|v| **v != 0.0).count();
        assert_eq!(point.nonzero, nonzero);
        if !fragile.iter().any(|f| *f) {
            assert_eq!(nonzero as u64, want["nonzero"].as_u64().unwrap());
        }
        let dev = obj.deviance(&point.fit.theta);
        assert!(
            (point.deviance - dev).abs() <= 1e-12,
            "{} {dev}",
            point.deviance
        );
    }
    eprintln!("pima path: max|coef diff| {worst:.1e}");
    assert!(worst <= 1e-7, "path coefficients off by {worst:e}");
    // The first point is the null model: deviance ratio 0.
    assert!(
        points[0].dev_ratio.abs() <= 1e-12,
        "{}",
        points[0].dev_ratio
    );
    assert!(points
        .windows(2)
        .all(|w| w[1].dev_ratio >= w[0].dev_ratio - 1e-12));

    let (n, p) = c.x.dim();
    let seq = lambda_sequence(lambda_max(&obj, 1.0), 100, default_lambda_min_ratio(n, p));
    let stopped = fit_path(&obj, &seq, &path_options(1.0, true), &mut |_, _| {}).unwrap();
    assert_eq!(
        stopped.len() as u64,
        path["checks"]["n_lambda_returned"].as_u64().unwrap()
    );
}

/// The smooth solvers refuse an L1 penalty, naming --l1 and pointing to cd.
#[test]
fn smooth_solvers_refuse_l1() {
    let c = case("pima");
    let obj = Objective::new(c.x.view(), c.y.view(), 0.0, true).with_penalty(0.01, 0.0);
    for kind in [
        SolverKind::Lbfgs,
        SolverKind::Gd,
        SolverKind::Newton,
        SolverKind::Linfa,
    ] {
        let e = fit(&obj, &FitOptions::with_solver(kind)).unwrap_err();
        assert!(matches!(e, FitError::L1NotSupported { solver } if solver == kind));
        let text = e.to_string();
        assert!(
            text.contains("--l1") && text.contains("--solver cd") && text.contains(kind.as_str()),
            "{text}"
        );
    }
    let bad = Objective::new(c.x.view(), c.y.view(), 0.0, true).with_penalty(-1.0, 0.0);
    let e = fit(&bad, &cd()).unwrap_err().to_string();
    assert!(e.starts_with("--l1 must be"), "{e}");
    let start = vec![0.0; 3];
    assert!(fit_from(&obj, &cd(), &start, &mut |_| {}).is_err());
    let _ = StopReason::Converged;
}

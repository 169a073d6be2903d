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
    for (j, m) in expected["train_mean"].as_array().unwrap().iter().enumerate() {
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
            assert!(worst <= 1e-7, "{name} {l1} {l2}: coefficients off by {worst:e}");
            assert!((f.report.objective - objective).abs() <= 1e-10);
            let zero = bools(&pair["zero"]);
            let fragile = bools(&pair["fragile"]);
            for j in 0..p {
                if !fragile[j] {
                    assert_eq!(f.theta[j] == 0.0, zero[j], "{name} {l1} {l2}: coefficient {j}");
                }
            }
        }
    }
}

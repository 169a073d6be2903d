//! `logit train`: every solver reaches the scikit-learn/statsmodels optimum on the reference data,
//! and the model file says what was fitted.

use crate::util::{expected, expected_fit, f64s, Dir};

/// (dataset, target, positive label, lambdas with reference fits)
const CASES: &[(&str, &str, &str, &[f64])] = &[
    ("spector", "GRADE", "1", &[0.0, 1e-2, 1e-4]),
    ("pima", "type", "Yes", &[0.0, 1e-2, 1e-4]),
    ("breast_cancer", "diagnosis", "malignant", &[1e-2, 1e-4]),
    ("computers", "premium", "yes", &[1e-2, 1e-4]),
];

fn train_model(
    dir: &Dir,
    name: &str,
    target: &str,
    positive: &str,
    l2: f64,
    solver: &str,
) -> serde_json::Value {
    let train = format!("{name}_train.csv");
    dir.fixture(&train);
    let l2s = l2.to_string();
    let run = dir.run(&[
        "train",
        &train,
        "--target",
        target,
        "--positive",
        positive,
        "--l2",
        &l2s,
        "--solver",
        solver,
        "-o",
        "m.json",
    ]);
    run.ok();
    serde_json::from_str(&dir.read("m.json")).expect("model json")
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// Compares a fitted model with the reference fit: standardised coefficients to 1e-5 (relative
/// to their size), the objective to 1e-9 (it is flat at the optimum, so this is the sharper test).
fn assert_matches_reference(model: &serde_json::Value, name: &str, l2: f64, solver: &str) {
    let fit = expected_fit(name, l2);
    let ours: Vec<f64> = model["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["coefficient_standardized"].as_f64().unwrap())
        .collect();
    let reference = f64s(&fit["coefficients_standardized"]);
    let scale = reference.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    let coef_diff = max_abs_diff(&ours, &reference);
    let b_diff = (model["intercept_standardized"].as_f64().unwrap()
        - fit["intercept_standardized"].as_f64().unwrap())
    .abs();
    let obj_diff =
        (model["fit"]["objective"].as_f64().unwrap() - fit["objective"].as_f64().unwrap()).abs();
    let what = format!("{name} l2={l2} solver={solver}: coef diff {coef_diff:e}, intercept diff {b_diff:e}, objective diff {obj_diff:e}");
    assert!(
        model["fit"]["converged"].as_bool().unwrap(),
        "did not converge: {what}\n{}",
        model["fit"]
    );
    assert!(
        coef_diff <= 1e-5 * scale && b_diff <= 1e-5 * scale,
        "{what}"
    );
    assert!(obj_diff <= 1e-9, "{what}");
    // Original-unit coefficients agree with the reference's too.
    let original: Vec<f64> = model["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["coefficient"].as_f64().unwrap())
        .collect();
    let ref_original = f64s(&fit["coefficients"]);
    for (o, r) in original.iter().zip(&ref_original) {
        assert!(
            (o - r).abs() <= 1e-5 * r.abs().max(1.0) * scale,
            "{what}: original-unit {o} vs {r}"
        );
    }
}

fn check_solver(solver: &str) {
    for &(name, target, positive, lambdas) in CASES {
        for &l2 in lambdas {
            let dir = Dir::new();
            let model = train_model(&dir, name, target, positive, l2, solver);
            assert_matches_reference(&model, name, l2, solver);
        }
    }
}

#[test]
fn lbfgs_reaches_the_reference_optimum_on_every_dataset() {
    check_solver("lbfgs");
}

#[test]
fn newton_reaches_the_reference_optimum_on_every_dataset() {
    check_solver("newton");
}

#[test]
fn gradient_descent_reaches_the_reference_optimum_on_every_dataset() {
    check_solver("gd");
}

#[test]
fn linfa_reaches_the_reference_optimum_on_every_dataset() {
    check_solver("linfa");
}

#[test]
fn cross_check_agrees_with_linfa_on_every_dataset() {
    for &(name, target, positive, lambdas) in CASES {
        for &l2 in lambdas {
            let dir = Dir::new();
            let train = format!("{name}_train.csv");
            dir.fixture(&train);
            let l2s = l2.to_string();
            dir.run(&[
                "train",
                &train,
                "--target",
                target,
                "--positive",
                positive,
                "--l2",
                &l2s,
                "--cross-check",
                "-o",
                "m.json",
            ])
            .ok()
            .stderr_has(&["cross-check with linfa-logistic"]);
        }
    }
}

#[test]
fn model_file_records_what_was_fitted() {
    let dir = Dir::new();
    let model = train_model(&dir, "computers", "premium", "yes", 1e-2, "lbfgs");
    assert_eq!(model["format"], "logit-model");
    assert_eq!(model["version"], 2);
    assert_eq!(model["target"], "premium");
    assert_eq!(model["labels"]["positive"], "yes");
    assert_eq!(model["labels"]["negative"], "no");
    assert_eq!(model["threshold"], 0.5);
    assert_eq!(model["objective"]["l2"], 0.01);
    assert_eq!(model["fit"]["solver"], "lbfgs");
    let reference = expected("computers");
    assert_eq!(model["training"]["n_rows"], reference["n_train"]);
    // One-hot features are named column=level, in the reference's design order, with the
    // reference's standardisation (population std).
    let names: Vec<&str> = model["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![
            "price",
            "speed",
            "hd",
            "ram",
            "screen",
            "cd=no",
            "cd=yes",
            "multi=no",
            "multi=yes",
            "ads",
            "trend"
        ]
    );
    let means: Vec<f64> = model["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["mean"].as_f64().unwrap())
        .collect();
    let stds: Vec<f64> = model["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["std"].as_f64().unwrap())
        .collect();
    assert!(max_abs_diff(&means, &f64s(&reference["standardization"]["mean"])) < 1e-9);
    assert!(max_abs_diff(&stds, &f64s(&reference["standardization"]["std"])) < 1e-9);
}

#[test]
fn same_data_and_flags_give_a_byte_identical_model() {
    let dir = Dir::new();
    dir.fixture("pima_train.csv");
    dir.run(&[
        "train",
        "pima_train.csv",
        "--target",
        "type",
        "-o",
        "a.json",
    ])
    .ok();
    dir.run(&[
        "train",
        "pima_train.csv",
        "--target",
        "type",
        "-o",
        "b.json",
        "-q",
    ])
    .ok();
    assert_eq!(dir.read_bytes("a.json"), dir.read_bytes("b.json"));
}

#[test]
fn report_names_the_positive_label_and_convergence() {
    let dir = Dir::new();
    dir.fixture("pima_train.csv");
    let run = dir.run(&[
        "train",
        "pima_train.csv",
        "--target",
        "type",
        "-o",
        "m.json",
    ]);
    run.ok()
        .stderr_has(&["\"Yes\" positive", "converged", "npreg"]);
    assert!(run.stdout().is_empty(), "stdout carries data only");
}

#[test]
fn quiet_prints_nothing_on_success() {
    let dir = Dir::new();
    dir.fixture("pima_train.csv");
    let run = dir.run(&[
        "train",
        "pima_train.csv",
        "--target",
        "type",
        "-o",
        "m.json",
        "--quiet",
    ]);
    run.ok();
    assert_eq!(run.stderr(), "");
}

#[test]
fn model_can_be_written_to_stdout_and_read_from_stdin() {
    let dir = Dir::new();
    dir.fixture("spector_train.csv");
    let data = dir.read_bytes("spector_train.csv");
    let run = dir.run_with_stdin(
        &["train", "-", "--target", "GRADE", "-o", "-", "-q"],
        Some(&data),
    );
    run.ok();
    let model: serde_json::Value = serde_json::from_str(&run.stdout()).expect("model on stdout");
    assert_matches_reference(&model, "spector", 0.0, "lbfgs");
    assert_eq!(dir.listing(), vec!["spector_train.csv"]);
}

#[test]
fn features_and_exclude_choose_columns() {
    let dir = Dir::new();
    dir.fixture("pima_train.csv");
    dir.run(&[
        "train",
        "pima_train.csv",
        "--target",
        "type",
        "--features",
        "glu,bmi",
        "-o",
        "a.json",
    ])
    .ok();
    let a: serde_json::Value = serde_json::from_str(&dir.read("a.json")).unwrap();
    let names: Vec<&str> = a["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["glu", "bmi"]);
    dir.run(&[
        "train",
        "pima_train.csv",
        "--target",
        "type",
        "--exclude",
        "glu,bmi",
        "-o",
        "b.json",
    ])
    .ok();
    let b: serde_json::Value = serde_json::from_str(&dir.read("b.json")).unwrap();
    assert_eq!(b["features"].as_array().unwrap().len(), 5);
}

#[test]
fn no_intercept_and_no_standardize_are_recorded_and_consistent() {
    let dir = Dir::new();
    dir.fixture("spector_train.csv");
    dir.run(&[
        "train",
        "spector_train.csv",
        "--target",
        "GRADE",
        "--no-intercept",
        "-o",
        "a.json",
    ])
    .ok();
    let a: serde_json::Value = serde_json::from_str(&dir.read("a.json")).unwrap();
    assert_eq!(a["objective"]["fit_intercept"], false);
    assert_eq!(a["intercept"], 0.0);
    dir.run(&[
        "train",
        "spector_train.csv",
        "--target",
        "GRADE",
        "--no-standardize",
        "-o",
        "b.json",
    ])
    .ok();
    let b: serde_json::Value = serde_json::from_str(&dir.read("b.json")).unwrap();
    assert_eq!(b["objective"]["standardize"], false);
    // Unpenalised, standardising or not gives the same fit in original units.
    let reference = f64s(&expected_fit("spector", 0.0)["coefficients"]);
    for (f, r) in b["features"].as_array().unwrap().iter().zip(&reference) {
        let c = f["coefficient"].as_f64().unwrap();
        assert!((c - r).abs() < 1e-5 * r.abs().max(1.0), "{c} vs {r}");
    }
}

#[test]
fn separable_data_without_penalty_warns_about_separation_and_names_the_feature() {
    let dir = Dir::new();
    let mut csv = String::from("x,noise,y\n");
    for i in 0..40 {
        let x = i as f64 / 10.0;
        csv.push_str(&format!(
            "{x},{},{}\n",
            (i * 7 % 11) as f64,
            u8::from(x > 2.0)
        ));
    }
    dir.write("sep.csv", csv);
    for solver in ["lbfgs", "gd", "newton", "linfa"] {
        let run = dir.run(&[
            "train", "sep.csv", "--target", "y", "--l2", "0", "--solver", solver, "-o", "m.json",
        ]);
        run.ok().stderr_has(&["separation", "\"x\""]);
        let model: serde_json::Value = serde_json::from_str(&dir.read("m.json")).unwrap();
        assert_eq!(model["fit"]["converged"], false, "{solver}");
    }
}

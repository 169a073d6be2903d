//! `logit eval`: metrics agree with scikit-learn's on the reference data; gates set the exit code.

use crate::util::{expected_fit, trained, Dir};

const KEYS: &[&str] = &[
    "n",
    "accuracy",
    "precision",
    "recall",
    "f1",
    "specificity",
    "balanced_accuracy",
    "roc_auc",
    "pr_auc",
    "log_loss",
    "brier",
    "tp",
    "fp",
    "tn",
    "fn",
    "threshold",
];

#[test]
fn json_metrics_match_the_reference_on_every_dataset_and_lambda() {
    for (name, target, positive, lambdas) in [
        ("spector", "GRADE", "1", &["0", "0.01", "0.0001"][..]),
        ("pima", "type", "Yes", &["0", "0.01", "0.0001"][..]),
        (
            "breast_cancer",
            "diagnosis",
            "malignant",
            &["0.01", "0.0001"][..],
        ),
        ("computers", "premium", "yes", &["0.01", "0.0001"][..]),
    ] {
        for l2 in lambdas {
            let dir = Dir::new();
            trained(&dir, name, target, positive, l2);
            let test = format!("{name}_test.csv");
            let run = dir.run(&["eval", "m.json", &test, "--json"]);
            run.ok();
            let got: serde_json::Value =
                serde_json::from_str(&run.stdout()).expect("one JSON object");
            let reference = &expected_fit(name, l2.parse().unwrap())["test_metrics"];
            for key in KEYS {
                let g = got[key]
                    .as_f64()
                    .unwrap_or_else(|| panic!("{name} {l2}: {key} missing"));
                let r = reference[key].as_f64().unwrap();
                let tol = if matches!(*key, "roc_auc" | "pr_auc" | "log_loss" | "brier") {
                    1e-7
                } else {
                    1e-12
                };
                assert!((g - r).abs() <= tol, "{name} l2={l2} {key}: {g} vs {r}");
            }
            assert_eq!(got["positive_label"], *positive);
        }
    }
}

#[test]
fn table_output_lists_every_metric() {
    let dir = Dir::new();
    trained(&dir, "pima", "type", "Yes", "0");
    let out = dir.run(&["eval", "m.json", "pima_test.csv"]).ok().stdout();
    for key in [
        "accuracy",
        "roc_auc",
        "pr_auc",
        "log_loss",
        "brier",
        "balanced_accuracy",
    ] {
        assert!(out.contains(key), "{out}");
    }
}

#[test]
fn gates_pass_with_exit_0_and_fail_with_exit_1_naming_the_gate() {
    let dir = Dir::new();
    trained(&dir, "pima", "type", "Yes", "0");
    dir.run(&[
        "eval",
        "m.json",
        "pima_test.csv",
        "--min",
        "accuracy=0",
        "--max",
        "log_loss=10",
    ])
    .ok();
    let run = dir.run(&[
        "eval",
        "m.json",
        "pima_test.csv",
        "--min",
        "accuracy=0.5",
        "--max",
        "brier=0.0001",
    ]);
    run.expect_code(1).stderr_has(&["brier"]);
    assert!(
        !run.stderr().contains("accuracy"),
        "only the failing gate is named: {}",
        run.stderr()
    );
    dir.run(&["eval", "m.json", "pima_test.csv", "--min", "accuracy=1.01"])
        .expect_code(1)
        .stderr_has(&["accuracy"]);
}

#[test]
fn gate_on_an_undefined_metric_fails_and_says_why() {
    let dir = Dir::new();
    trained(&dir, "spector", "GRADE", "1", "0");
    // Only negative rows: roc_auc is undefined.
    let text = dir.read("spector_test.csv");
    let mut only_negative = String::new();
    for (i, line) in text.lines().enumerate() {
        if i == 0 || line.ends_with(",0") {
            only_negative += line;
            only_negative.push('\n');
        }
    }
    dir.write("neg.csv", only_negative);
    let run = dir.run(&[
        "eval",
        "m.json",
        "neg.csv",
        "--json",
        "--min",
        "roc_auc=0.5",
    ]);
    run.expect_code(1).stderr_has(&["roc_auc"]);
    let got: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    assert!(got["roc_auc"].is_null());
}

#[test]
fn threshold_flag_overrides_the_model() {
    let dir = Dir::new();
    trained(&dir, "pima", "type", "Yes", "0");
    let run = dir.run(&[
        "eval",
        "m.json",
        "pima_test.csv",
        "--json",
        "--threshold",
        "1",
    ]);
    let got: serde_json::Value = serde_json::from_str(&run.ok().stdout()).unwrap();
    assert_eq!(got["threshold"], 1.0);
    assert_eq!(got["tp"].as_u64().unwrap() + got["fp"].as_u64().unwrap(), 0);
}

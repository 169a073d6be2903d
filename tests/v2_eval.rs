//! `logit eval` v2: `--weight COL` (scikit-learn `sample_weight` semantics) on binary models,
//! multiclass models (hand-written from the reference coefficients), gates on any scalar key.
//!
//! Reference values: `fixtures/multi/*.expected.json` (copies of the shared multi/ references:
//! scikit-learn's metrics of the exact optimum, see their `generated_with`).

use crate::util::{fixtures, reference_multiclass_model, Dir};

fn multi(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join("multi").join(name)).expect("fixture")
}

fn expected(case: &str) -> serde_json::Value {
    serde_json::from_slice(&multi(&format!("{case}.expected.json"))).expect("expected json")
}

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .map(|a| a.iter().filter_map(serde_json::Value::as_f64).collect())
        .unwrap_or_default()
}

const BINARY_KEYS: &[&str] = &[
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

/// A binary model of `case` whose coefficients are the reference fit's (original units): train
/// writes the file, the coefficients are replaced, so eval scores with exactly the reference's
/// parameters.
fn binary_model_of(dir: &Dir, case: &str, fit: &serde_json::Value, exclude: &str) {
    let d = expected(case);
    let train = format!("{case}_train.csv");
    dir.write(&train, multi(&train));
    let positive = d["positive"].as_str().unwrap_or_default();
    let target = d["target"].as_str().unwrap_or_default();
    dir.run(&[
        "train",
        &train,
        "--target",
        target,
        "--positive",
        positive,
        "--exclude",
        exclude,
        "--l2",
        "0.01",
        "-o",
        "m.json",
        "-q",
    ])
    .ok();
    let mut m: serde_json::Value = serde_json::from_str(&dir.read("m.json")).expect("model json");
    let names: Vec<String> = m["features"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["name"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default();
    let want: Vec<String> = d["features"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(names, want, "{case}: feature order");
    // Every scale from the reference, so that the file's consistency checks hold.
    let coef = floats(&fit["coefficients"][0]);
    let coef_std = floats(&fit["coefficients_standardized"][0]);
    let (mean, std) = (
        floats(&d["standardization"]["mean"]),
        floats(&d["standardization"]["std"]),
    );
    for i in 0..coef.len() {
        let f = &mut m["features"][i];
        f["coefficient"] = serde_json::json!(coef[i]);
        f["coefficient_standardized"] = serde_json::json!(coef_std[i]);
        f["mean"] = serde_json::json!(mean[i]);
        f["std"] = serde_json::json!(std[i]);
    }
    m["intercept"] = fit["intercepts"][0].clone();
    m["intercept_standardized"] = fit["intercepts_standardized"][0].clone();
    // The summary section describes the trained fit, not these parameters.
    if let Some(o) = m.as_object_mut() {
        o.remove("inference");
    }
    dir.write("m.json", serde_json::to_string_pretty(&m).expect("json"));
}

#[test]
fn weighted_binary_eval_matches_sklearn_sample_weight() {
    for (case, exclude) in [("pima_w", "w"), ("esoph", "count")] {
        let d = expected(case);
        let weight = d["weight"].as_str().unwrap_or_default();
        let test = format!("{case}_test.csv");
        for fit in d["fits"].as_array().cloned().unwrap_or_default() {
            let dir = Dir::new();
            dir.write(&test, multi(&test));
            binary_model_of(&dir, case, &fit, exclude);
            let run = dir.run(&["eval", "m.json", &test, "--json", "--weight", weight]);
            run.ok();
            let got: serde_json::Value = serde_json::from_str(&run.stdout()).expect("json");
            let r = &fit["test_metrics"];
            let what = format!("{case} l2={}", fit["lambda"]);
            assert_eq!(
                got["n"],
                serde_json::json!(d["n_test"]),
                "{what}: n is the row count"
            );
            let sum: f64 = floats(&d["test_eval_weights"]).iter().sum();
            let ws = got["weight_sum"].as_f64().unwrap_or(f64::NAN);
            assert!(
                (ws - sum).abs() <= 1e-9 * sum,
                "{what}: weight_sum {ws} vs {sum}"
            );
            for key in BINARY_KEYS {
                let (g, want) = (got[key].as_f64(), r[key].as_f64().unwrap_or(f64::NAN));
                let g = g.unwrap_or_else(|| panic!("{what}: {key} missing"));
                // The coefficients reproduce the reference probabilities to ~1e-13.
                let tol = 1e-9 * want.abs().max(1.0);
                assert!((g - want).abs() <= tol, "{what} {key}: {g} vs {want}");
            }
            // Gates see the weighted values, and weight_sum is a gate key.
            let acc = r["accuracy"].as_f64().unwrap_or(0.0);
            dir.run(&[
                "eval",
                "m.json",
                &test,
                "--weight",
                weight,
                "--min",
                &format!("accuracy={}", acc - 1e-9),
                "--max",
                &format!("weight_sum={}", sum + 1e-6),
            ])
            .ok();
            dir.run(&[
                "eval",
                "m.json",
                &test,
                "--weight",
                weight,
                "--min",
                &format!("accuracy={}", acc + 1e-9),
            ])
            .expect_code(1)
            .stderr_has(&["gate failed", "accuracy"]);
        }
    }
}

#[test]
fn unweighted_json_has_no_weight_sum_and_weight_sum_gate_says_why() {
    let dir = Dir::new();
    let d = expected("pima_w");
    let fit = d["fits"][1].clone();
    dir.write("pima_w_test.csv", multi("pima_w_test.csv"));
    binary_model_of(&dir, "pima_w", &fit, "w");
    let run = dir.run(&["eval", "m.json", "pima_w_test.csv", "--json"]);
    run.ok();
    let got: serde_json::Value = serde_json::from_str(&run.stdout()).expect("json");
    assert!(got.get("weight_sum").is_none());
    assert_eq!(
        got["tp"].as_u64().map(|_| ()),
        Some(()),
        "unweighted counts are integers"
    );
    dir.run(&["eval", "m.json", "pima_w_test.csv", "--min", "weight_sum=1"])
        .expect_code(1)
        .stderr_has(&["weight_sum is undefined", "--weight"]);
}

#[test]
fn bad_weight_cells_name_file_line_column_and_value() {
    let d = expected("pima_w");
    let fit = d["fits"][1].clone();
    let text = String::from_utf8(multi("pima_w_test.csv")).expect("utf8");
    for (bad, why) in [
        ("-0.5", "negative"),
        ("heavy", "not a number"),
        ("inf", "not finite"),
        ("", "a missing value"),
    ] {
        let dir = Dir::new();
        binary_model_of(&dir, "pima_w", &fit, "w");
        // Data row 16 = physical line 17; the weight is the last column.
        let lines: Vec<String> = text
            .lines()
            .enumerate()
            .map(|(i, l)| {
                if i == 16 {
                    let mut cells: Vec<&str> = l.split(',').collect();
                    if let Some(last) = cells.last_mut() {
                        *last = bad;
                    }
                    cells.join(",")
                } else {
                    l.to_string()
                }
            })
            .collect();
        dir.write("bad.csv", lines.join("\n") + "\n");
        let run = dir.run(&["eval", "m.json", "bad.csv", "--weight", "w"]);
        run.expect_code(2)
            .stderr_has(&["bad.csv", "line 17", "\"w\"", why, "row weight"]);
        if !bad.is_empty() {
            run.stderr_has(&[bad]);
        }
        assert_eq!(run.stderr().lines().count(), 1, "{}", run.stderr());
    }
    let dir = Dir::new();
    binary_model_of(&dir, "pima_w", &fit, "w");
    dir.write("pima_w_test.csv", multi("pima_w_test.csv"));
    dir.run(&["eval", "m.json", "pima_w_test.csv", "--weight", "nope"])
        .expect_code(2)
        .stderr_has(&["nope", "pima_w_test.csv"]);
}

#[test]
fn gate_names_are_checked_against_the_model_kind() {
    let dir = Dir::new();
    let d = expected("pima_w");
    binary_model_of(&dir, "pima_w", &d["fits"][1], "w");
    dir.write("pima_w_test.csv", multi("pima_w_test.csv"));
    // A multiclass key on a binary model: exit 2, listing the valid names.
    dir.run(&["eval", "m.json", "pima_w_test.csv", "--min", "macro_f1=0.5"])
        .expect_code(2)
        .stderr_has(&[
            "macro_f1",
            "binary",
            "valid metrics",
            "pr_auc",
            "weight_sum",
        ]);
    // An unknown name is refused at parse time, listing both kinds' names.
    dir.run(&["eval", "m.json", "pima_w_test.csv", "--min", "bogus=1"])
        .expect_code(2)
        .stderr_has(&["bogus", "macro_f1", "specificity"]);
    // The threshold sweep counts rows: refused with --weight.
    for flag in [
        &["--thresholds"][..],
        &["--pick", "f1"],
        &["--plot", "charts"],
    ] {
        let mut args = vec!["eval", "m.json", "pima_w_test.csv", "--weight", "w"];
        args.extend_from_slice(flag);
        dir.run(&args)
            .expect_code(2)
            .stderr_has(&[flag[0], "--weight"]);
    }
}

/// Every contract key of a multiclass `eval --json` against scikit-learn's, at the runner's
/// tolerances tightened (the reference probabilities are exact to ~1e-13).
fn check_multiclass_json(
    got: &serde_json::Value,
    want: &serde_json::Value,
    classes: &[String],
    what: &str,
) {
    for key in [
        "n",
        "accuracy",
        "balanced_accuracy",
        "macro_precision",
        "macro_recall",
        "macro_f1",
        "weighted_f1",
        "log_loss",
        "brier",
        "roc_auc",
    ] {
        let g = got[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{what}: {key} missing"));
        let r = want[key].as_f64().unwrap_or(f64::NAN);
        assert!((g - r).abs() <= 1e-9, "{what} {key}: {g} vs {r}");
    }
    assert_eq!(got["confusion"], want["confusion"], "{what}: confusion");
    for (i, c) in classes.iter().enumerate() {
        let (g, r) = (&got["per_class"][i], &want["per_class"][i]);
        assert_eq!(g["label"], serde_json::json!(c), "{what}");
        assert_eq!(g["support"], r["support"], "{what}");
        for key in ["precision", "recall", "f1"] {
            let (a, b) = (
                g[key].as_f64().unwrap_or(f64::NAN),
                r[key].as_f64().unwrap_or(0.0),
            );
            assert!(
                (a - b).abs() <= 1e-12,
                "{what} per_class[{c}].{key}: {a} vs {b}"
            );
        }
    }
}

#[test]
fn multiclass_eval_matches_the_iris_references_multinomial_and_ovr() {
    let case = expected("iris");
    let classes: Vec<String> = case["classes"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| c.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    for fit in case["fits"].as_array().cloned().unwrap_or_default() {
        let what = format!("iris {} l2={}", fit["mode"], fit["lambda"]);
        let dir = Dir::new();
        dir.write("iris_test.csv", multi("iris_test.csv"));
        dir.write(
            "m.json",
            reference_multiclass_model(&case, &fit).to_string(),
        );
        let run = dir.run(&["eval", "m.json", "iris_test.csv", "--json"]);
        run.ok();
        let got: serde_json::Value = serde_json::from_str(&run.stdout()).expect("json");
        check_multiclass_json(&got, &fit["test_metrics"], &classes, &what);
        assert!(got.get("weight_sum").is_none(), "{what}");

        // The text report: metrics, the confusion matrix, the per-class table.
        let run = dir.run(&["eval", "m.json", "iris_test.csv"]);
        run.ok();
        let text = run.stdout();
        for want in [
            "macro_f1",
            "confusion matrix",
            "true \\ predicted",
            "support",
            "top label",
        ] {
            assert!(text.contains(want), "{what}: {want} missing from\n{text}");
        }
        // Gates on any scalar key; exit 1 on failure, 0 on success.
        let acc = fit["test_metrics"]["accuracy"].as_f64().unwrap_or(0.0);
        dir.run(&[
            "eval",
            "m.json",
            "iris_test.csv",
            "--min",
            "accuracy=0",
            "--max",
            "log_loss=10",
        ])
        .ok();
        dir.run(&[
            "eval",
            "m.json",
            "iris_test.csv",
            "--min",
            &format!("macro_f1={}", acc + 0.2),
        ])
        .expect_code(1)
        .stderr_has(&["gate failed", "macro_f1"]);
        dir.run(&["eval", "m.json", "iris_test.csv", "--min", "accuracy=1.01"])
            .expect_code(1);
    }
}

#[test]
fn weighted_multiclass_eval_equals_duplicated_rows() {
    // Weights 0, 1, 2, 3 cycling: the weighted metrics of the file must be the unweighted
    // metrics of the file with each row repeated w times (scikit-learn's sample_weight).
    let case = expected("iris");
    let fit = case["fits"][0].clone();
    let text = String::from_utf8(multi("iris_test.csv")).expect("utf8");
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    let (mut weighted, mut repeated) = (format!("{header},w\n"), format!("{header}\n"));
    for (i, line) in lines.enumerate() {
        let w = i % 4;
        weighted += &format!("{line},{w}\n");
        for _ in 0..w {
            repeated += &format!("{line}\n");
        }
    }
    let dir = Dir::new();
    dir.write("weighted.csv", weighted)
        .write("repeated.csv", repeated);
    dir.write(
        "m.json",
        reference_multiclass_model(&case, &fit).to_string(),
    );
    let run = dir.run(&["eval", "m.json", "weighted.csv", "--json", "--weight", "w"]);
    run.ok();
    let a: serde_json::Value = serde_json::from_str(&run.stdout()).expect("json");
    let run = dir.run(&["eval", "m.json", "repeated.csv", "--json"]);
    run.ok();
    let b: serde_json::Value = serde_json::from_str(&run.stdout()).expect("json");
    assert_eq!(a["n"], serde_json::json!(45));
    assert_eq!(
        a["weight_sum"],
        b["n"]
            .as_f64()
            .map(serde_json::Value::from)
            .unwrap_or_default()
    );
    for key in [
        "accuracy",
        "balanced_accuracy",
        "macro_precision",
        "macro_recall",
        "macro_f1",
        "weighted_f1",
        "log_loss",
        "brier",
        "roc_auc",
    ] {
        let (x, y) = (
            a[key].as_f64().unwrap_or(f64::NAN),
            b[key].as_f64().unwrap_or(0.0),
        );
        assert!((x - y).abs() <= 1e-12, "{key}: weighted {x}, repeated {y}");
    }
    assert_eq!(a["confusion"], b["confusion"]);
    for i in 0..3 {
        assert_eq!(a["per_class"][i]["support"], b["per_class"][i]["support"]);
    }
    // weight_sum is a gate key with --weight.
    dir.run(&[
        "eval",
        "m.json",
        "weighted.csv",
        "--weight",
        "w",
        "--min",
        "weight_sum=100",
    ])
    .expect_code(1)
    .stderr_has(&["weight_sum"]);
}

#[test]
fn multiclass_eval_refuses_threshold_flags_and_binary_gates() {
    let case = expected("iris");
    let dir = Dir::new();
    dir.write("iris_test.csv", multi("iris_test.csv"));
    dir.write(
        "m.json",
        reference_multiclass_model(&case, &case["fits"][2]).to_string(),
    );
    for flags in [
        &["--threshold", "0.3"][..],
        &["--thresholds"],
        &["--pick", "f1"],
    ] {
        let mut args = vec!["eval", "m.json", "iris_test.csv"];
        args.extend_from_slice(flags);
        dir.run(&args).expect_code(2).stderr_has(&[
            flags[0],
            "binary models only",
            "3 classes",
            "most probable class",
        ]);
    }
    dir.run(&["eval", "m.json", "iris_test.csv", "--min", "pr_auc=0.5"])
        .expect_code(2)
        .stderr_has(&[
            "pr_auc",
            "multiclass",
            "valid metrics",
            "macro_f1",
            "weighted_f1",
        ]);
    // A label the model does not know, and a missing label.
    let text = String::from_utf8(multi("iris_test.csv")).expect("utf8");
    let bad = text.replacen("setosa", "setosaX", 1);
    let line = text
        .lines()
        .position(|l| l.contains("setosa"))
        .map_or(0, |i| i + 1);
    dir.write("bad.csv", bad);
    dir.run(&["eval", "m.json", "bad.csv"])
        .expect_code(2)
        .stderr_has(&["bad.csv", &format!("line {line}"), "setosaX", "versicolor"]);
}

#[test]
fn multiclass_plots_draw_ovr_roc_and_top_label_reliability() {
    let case = expected("iris");
    let dir = Dir::new();
    dir.write("iris_test.csv", multi("iris_test.csv"));
    dir.write(
        "m.json",
        reference_multiclass_model(&case, &case["fits"][0]).to_string(),
    );
    dir.run(&["eval", "m.json", "iris_test.csv", "--plot", "charts"])
        .ok();
    let roc = dir.read("charts/roc.svg");
    for class in [
        "setosa (AUC = 1.000)",
        "versicolor (AUC =",
        "virginica (AUC =",
        "macro AUC = 0.981",
    ] {
        assert!(roc.contains(class), "{class} missing from roc.svg");
    }
    let cal = dir.read("charts/calibration.svg");
    assert!(cal.contains("top label"), "calibration.svg");
    assert!(!dir.exists("charts/pr.svg"));
}

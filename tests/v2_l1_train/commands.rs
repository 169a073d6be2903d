//! Refusals, and the commands that read L1 models: predict, eval, threshold, summary; models
//! without an L1 term as before.

use serde_json::Value;

use super::{coefficients, l1_fixture, number, reference, train};
use crate::util::{f64s, fixtures, parse_csv, Dir};

#[test]
fn solvers_without_l1_flags_out_of_range_and_cross_check_are_refused_naming_the_flag() {
    let dir = Dir::new();
    let data = l1_fixture("pima_train.csv");
    let base = ["train", &data, "--target", "type", "-o", "m.json"];
    for solver in ["lbfgs", "gd", "newton", "linfa"] {
        let mut args = base.to_vec();
        args.extend(["--solver", solver, "--l1", "0.01"]);
        dir.run(&args)
            .expect_code(2)
            .stderr_has(&["--l1", solver, "--solver cd"]);
    }
    for bad in [
        &["--l1", "-1"][..],
        &["--l1=-1"],
        &["--l1", "nan"],
        &["--l1", "inf"],
        &["--l1", "x"],
    ] {
        let mut args = base.to_vec();
        args.extend(bad);
        dir.run(&args).expect_code(2).stderr_has(&["--l1"]);
    }
    let mut args = base.to_vec();
    args.extend(["--l1", "0.01", "--cross-check"]);
    dir.run(&args)
        .expect_code(2)
        .stderr_has(&["--cross-check", "linfa", "no L1"]);
    assert!(!dir.exists("m.json"), "nothing written by a refusal");
}

#[test]
fn predict_eval_and_threshold_read_l1_models() {
    let dir = Dir::new();
    let r = reference("pima");
    let fit = r["fits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["l1"] == 0.01 && f["l2"] == 0.0)
        .unwrap();
    let (train_csv, test_csv) = (l1_fixture("pima_train.csv"), l1_fixture("pima_test.csv"));
    train(
        &dir,
        &[
            &train_csv,
            "--target",
            "type",
            "--positive",
            "Yes",
            "--l1",
            "0.01",
        ],
    );
    // eval's log loss is the mean log loss of glmnet's probabilities on the test rows.
    let run = dir.run(&["eval", "m.json", &test_csv, "--json"]);
    let metrics: Value = serde_json::from_str(&run.ok().stdout()).unwrap();
    let (header, rows) = parse_csv(&std::fs::read_to_string(&test_csv).unwrap());
    let t = header.iter().position(|h| h == "type").unwrap();
    let p_ref = f64s(&fit["test_probabilities"]);
    let log_loss = rows
        .iter()
        .zip(&p_ref)
        .map(|(row, p)| {
            -if row[t] == "Yes" {
                p.ln()
            } else {
                (1.0 - p).ln()
            }
        })
        .sum::<f64>()
        / rows.len() as f64;
    let ours = number(&metrics["log_loss"]);
    assert!((ours - log_loss).abs() < 1e-7, "{ours} vs {log_loss}");
    // threshold writes a model that predicts with the new threshold and keeps the zeros.
    dir.run(&[
        "threshold",
        "m.json",
        &test_csv,
        "--pick",
        "f1",
        "-o",
        "t.json",
        "-q",
    ])
    .ok();
    let t_model: Value = serde_json::from_str(&dir.read("t.json")).unwrap();
    let m: Value = serde_json::from_str(&dir.read("m.json")).unwrap();
    assert_eq!(t_model["features"], m["features"]);
    assert_eq!(t_model["nonzero_coefficients"], m["nonzero_coefficients"]);
    assert_eq!(t_model["objective"]["l1"], 0.01);
    dir.run(&["predict", "t.json", &test_csv, "-o", "p.csv"])
        .ok();
    let threshold = number(&t_model["threshold"]);
    let (ph, prows) = parse_csv(&dir.read("p.csv"));
    let (pi, li) = (
        ph.iter().position(|h| h == "probability").unwrap(),
        ph.iter().position(|h| h == "prediction").unwrap(),
    );
    for row in &prows {
        let p: f64 = row[pi].parse().unwrap();
        assert_eq!(row[li] == "Yes", p >= threshold, "{row:?}");
    }
}

#[test]
fn summary_refuses_l1_models_and_suggests_refitting_the_selected_columns() {
    let dir = Dir::new();
    let data = l1_fixture("pima_train.csv");
    let common = ["--target", "type", "--positive", "Yes", "--l1", "0.05"];
    train(&dir, &[&[data.as_str()][..], &common].concat());
    // glmnet's zero at l1 = 0.05 is bp: the other six columns are suggested.
    dir.run(&["summary", "m.json"]).expect_code(2).stderr_has(&[
        "m.json: summary",
        "--l1 0.05",
        "--features npreg,glu,skin,bmi,ped,age",
    ]);
    let mut args = vec!["train", data.as_str(), "-o", "s.json", "--summary"];
    args.extend(common);
    dir.run(&args).expect_code(2).stderr_has(&[
        "--summary",
        "--l1",
        "--features npreg,glu,skin,bmi,ped,age",
    ]);
    assert!(!dir.exists("s.json"), "no model written");
    // l2-only models keep their summary.
    train(&dir, &[data.as_str(), "--target", "type", "--l2", "0.01"]);
    dir.run(&["summary", "m.json"]).ok();
}

#[test]
fn models_without_l1_are_unchanged_and_version_1_files_still_predict_the_same_bytes() {
    let dir = Dir::new();
    let data = l1_fixture("pima_train.csv");
    let common = [data.as_str(), "--target", "type", "--l2", "0.01"];
    let a = train(&dir, &common);
    let a_bytes = dir.read("m.json");
    train(&dir, &[&common[..], &["--l1", "0"]].concat());
    assert_eq!(
        dir.read("m.json"),
        a_bytes,
        "--l1 0 is no L1 term, bit for bit"
    );
    assert_eq!(a["fit"]["solver"], "lbfgs");
    assert_eq!(a["objective"]["l1"], 0.0);
    assert_eq!(a["nonzero_coefficients"], 7);
    assert!(!a["objective"]["definition"]
        .as_str()
        .unwrap()
        .contains("||w||_1"));
    // Version 1 files (no l1, no non-zero count) load with l1 = 0 and predict as logit 1.0
    // did (tests/fixtures/v1/README.md); rewritten as version 2 they gain both fields.
    let v1 = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1");
    let model = v1.join("computers_v1.json");
    let model = model.to_str().unwrap();
    let test = fixtures().join("computers_test.csv");
    let test = test.to_str().unwrap();
    let run = dir.run(&["predict", model, test]);
    let want = std::fs::read_to_string(v1.join("computers_v1.predict.csv")).unwrap();
    assert_eq!(run.ok().stdout(), want);
    dir.run(&[
        "threshold",
        model,
        test,
        "--pick",
        "f1",
        "-o",
        "t.json",
        "-q",
    ])
    .ok();
    let t: Value = serde_json::from_str(&dir.read("t.json")).unwrap();
    assert_eq!(t["objective"]["l1"], 0.0);
    let nonzero = coefficients(&t, "coefficient_standardized")
        .iter()
        .filter(|w| **w != 0.0)
        .count();
    assert_eq!(t["nonzero_coefficients"], nonzero);
}

#[test]
fn the_non_zero_count_follows_the_coefficients_and_a_negative_l1_is_refused() {
    let dir = Dir::new();
    let data = l1_fixture("pima_train.csv");
    let test = l1_fixture("pima_test.csv");
    train(
        &dir,
        &[
            &data,
            "--target",
            "type",
            "--positive",
            "Yes",
            "--l1",
            "0.05",
        ],
    );
    let text = dir.read("m.json");
    assert!(text.contains("\"nonzero_coefficients\": 6,"), "{text}");
    // The count is written for readers and recomputed on reading: a stale one (a file edited
    // by hand) is corrected when the model is written again.
    dir.write(
        "edited.json",
        text.replace(
            "\"nonzero_coefficients\": 6,",
            "\"nonzero_coefficients\": 7,",
        ),
    );
    dir.run(&[
        "threshold",
        "edited.json",
        &test,
        "--pick",
        "f1",
        "-o",
        "t.json",
        "-q",
    ])
    .ok();
    assert!(dir.read("t.json").contains("\"nonzero_coefficients\": 6,"));
    // A negative l1 is no objective logit fits.
    dir.write("neg.json", text.replace("\"l1\": 0.05,", "\"l1\": -0.05,"));
    dir.run(&["predict", "neg.json", &test])
        .expect_code(2)
        .stderr_has(&["neg.json", "l1 -0.05"]);
}

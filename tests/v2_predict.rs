//! Issue 9, model format 2 and predict: version 1 files predict byte-identically to logit 1.0;
//! multiclass models (written here from the shared references' coefficients, and trained) predict
//! the reference probabilities, on the fast byte path and the csv fallback alike; multiclass-only rules (`--threshold`,
//! `logit threshold`) are refused saying why; damaged multiclass files are refused naming the field.

use std::path::Path;

use serde_json::{json, Value};

use crate::util::{f64s, fixtures, parse_csv, reference_multiclass_model, Dir};

/// `tests/fixtures/v1/NAME`, copied into `dir` under the same name.
fn v1_fixture(dir: &Dir, name: &str) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/v1")
        .join(name);
    std::fs::copy(from, dir.path().join(name)).expect("copy v1 fixture");
}

fn multi_reference(case: &str) -> Value {
    let text = std::fs::read_to_string(fixtures().join(format!("multi/{case}.expected.json")))
        .expect("reference");
    serde_json::from_str(&text).expect("reference json")
}

fn multi_fixture(dir: &Dir, name: &str) {
    std::fs::copy(fixtures().join("multi").join(name), dir.path().join(name))
        .expect("copy multi fixture");
}

#[test]
fn version_1_model_files_predict_byte_identically_to_logit_1_0() {
    // The .json and .predict.csv files were written by logit 1.0 (commit 29173d1); see
    // tests/fixtures/v1/README.md.
    let dir = Dir::new();
    for name in [
        "computers_v1.json",
        "computers_v1.predict.csv",
        "pima_missing_v1.json",
        "pima_missing_v1.predict.csv",
    ] {
        v1_fixture(&dir, name);
    }
    dir.fixture("computers_test.csv")
        .fixture("pima_with_missing.csv");
    dir.run(&[
        "predict",
        "computers_v1.json",
        "computers_test.csv",
        "-o",
        "c.csv",
    ])
    .ok();
    assert_eq!(
        dir.read_bytes("c.csv"),
        dir.read_bytes("computers_v1.predict.csv")
    );
    dir.run(&[
        "predict",
        "pima_missing_v1.json",
        "pima_with_missing.csv",
        "--keep",
        "type",
        "--threshold",
        "0.3",
        "-o",
        "p.csv",
    ])
    .ok();
    assert_eq!(
        dir.read_bytes("p.csv"),
        dir.read_bytes("pima_missing_v1.predict.csv")
    );
    // A version 1 file still serves every command; `threshold` rewrites it as version 2.
    dir.run(&["summary", "computers_v1.json"]).ok();
    dir.run(&["eval", "computers_v1.json", "computers_test.csv"])
        .ok();
    dir.run(&[
        "threshold",
        "computers_v1.json",
        "computers_test.csv",
        "--pick",
        "f1",
        "-o",
        "t.json",
        "-q",
    ])
    .ok();
    let t: Value = serde_json::from_str(&dir.read("t.json")).unwrap();
    assert_eq!(t["version"], 2);
    assert_eq!(t["classes"], json!(["no", "yes"]));
    assert_eq!(t["objective"]["family"], "binomial");
    assert_eq!(t["objective"]["weight"], Value::Null);
    assert_eq!(t["training"]["weight_sum"], 4381.0);
    let v1: Value = serde_json::from_str(&dir.read("computers_v1.json")).unwrap();
    // Every version 1 field keeps its value (the threshold is the one `threshold` chose).
    for key in [
        "labels",
        "features",
        "intercept",
        "intercept_standardized",
        "fit",
        "columns",
        "missing",
    ] {
        assert_eq!(t[key], v1[key], "{key}");
    }
    for key in ["n_rows", "n_positive", "n_negative"] {
        assert_eq!(t["training"][key], v1["training"][key], "{key}");
    }
}

#[test]
fn a_binary_model_file_is_version_2_with_every_version_1_field_and_the_same_predictions() {
    let dir = Dir::new();
    v1_fixture(&dir, "computers_v1.json");
    v1_fixture(&dir, "computers_v1.predict.csv");
    dir.fixture("computers_train.csv")
        .fixture("computers_test.csv");
    // The same flags logit 1.0 was given for the fixture.
    let train = [
        "train",
        "computers_train.csv",
        "--target",
        "premium",
        "--positive",
        "yes",
        "--l2",
        "0.01",
        "-q",
        "-o",
    ];
    dir.run(&[&train[..], &["m.json"]].concat()).ok();
    dir.run(&[&train[..], &["again.json"]].concat()).ok();
    assert_eq!(
        dir.read_bytes("m.json"),
        dir.read_bytes("again.json"),
        "deterministic bytes"
    );
    let m: Value = serde_json::from_str(&dir.read("m.json")).unwrap();
    let v1: Value = serde_json::from_str(&dir.read("computers_v1.json")).unwrap();
    let mut v1_keys: Vec<&String> = v1.as_object().unwrap().keys().collect();
    v1_keys.retain(|k| !matches!(k.as_str(), "version" | "objective" | "training"));
    // logit 1.0 stopped at a gradient of 8.7e-11 (`fit` in the fixture); the end game now
    // takes the fit to the optimum to rounding, which moves the fitted numbers by up to ~3e-9
    // relative (`tol / lambda_min(H)`): they are compared to 1e-8, the covariance (the inverse
    // Hessian there; its small off-diagonal entries cancel) to 1e-6, the rest exactly.
    let fitted = ["features", "intercept", "intercept_standardized"];
    for key in v1_keys {
        if fitted.contains(&key.as_str()) {
            assert_numbers_within(&m[key], &v1[key], key, 1e-8);
        } else if key == "inference" {
            assert_numbers_within(&m[key], &v1[key], key, 1e-6);
        } else if key == "fit" {
            for k in ["solver", "converged", "stop_reason", "tol", "max_iter"] {
                assert_eq!(m[key][k], v1[key][k], "fit.{k}");
            }
            let (a, b) = (m[key]["objective"].as_f64(), v1[key]["objective"].as_f64());
            assert!((a.unwrap() - b.unwrap()).abs() <= 1e-14, "{a:?} vs {b:?}");
            assert!(m[key]["gradient_norm"].as_f64().unwrap() <= 1e-10);
        } else {
            assert_eq!(m[key], v1[key], "{key}");
        }
    }
    for key in ["definition", "l2", "fit_intercept", "standardize"] {
        assert_eq!(m["objective"][key], v1["objective"][key], "{key}");
    }
    assert_eq!(m["version"], 2);
    assert_eq!(m["classes"], json!(["no", "yes"]));
    dir.run(&["predict", "m.json", "computers_test.csv", "-o", "p.csv"])
        .ok();
    let (header, rows) = parse_csv(&dir.read("p.csv"));
    let (v1_header, v1_rows) = parse_csv(&dir.read("computers_v1.predict.csv"));
    assert_eq!(header, v1_header);
    assert_eq!(rows.len(), v1_rows.len());
    for (r, v) in rows.iter().zip(&v1_rows) {
        for (a, b) in r.iter().zip(v) {
            match (a.parse::<f64>(), b.parse::<f64>()) {
                (Ok(x), Ok(y)) => assert!((x - y).abs() <= 1e-8, "{a} vs {b}"),
                _ => assert_eq!(a, b),
            }
        }
    }
}

/// Predicts `case`'s test file with every reference fit and compares to the reference
/// probabilities (1e-12) and labels.
fn predicts_reference_probabilities(case_name: &str) {
    let case = multi_reference(case_name);
    let dir = Dir::new();
    let test_file = case["test_file"].as_str().unwrap();
    multi_fixture(&dir, test_file);
    let classes: Vec<String> = case["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    for fit in case["fits"].as_array().unwrap() {
        let what = format!("{case_name} {} lambda {}", fit["mode"], fit["lambda"]);
        dir.write(
            "m.json",
            serde_json::to_string_pretty(&reference_multiclass_model(&case, fit)).unwrap(),
        );
        dir.run(&["predict", "m.json", test_file, "-o", "p.csv"])
            .ok();
        let (header, rows) = parse_csv(&dir.read("p.csv"));
        let mut expected_header: Vec<String> =
            classes.iter().map(|c| format!("probability_{c}")).collect();
        expected_header.push("prediction".into());
        assert_eq!(header, expected_header, "{what}");
        let reference = case_probabilities(fit);
        assert_eq!(rows.len(), reference.len(), "{what}");
        let gaps = f64s(&fit["top2_gap"]);
        let labels = fit["reference_labels"].as_array().unwrap();
        let mut worst: f64 = 0.0;
        for (i, (row, p_ref)) in rows.iter().zip(&reference).enumerate() {
            for (k, p) in p_ref.iter().enumerate() {
                let got: f64 = row[k].parse().unwrap();
                worst = worst.max((got - p).abs());
            }
            let sum: f64 = row[..classes.len()]
                .iter()
                .map(|v| v.parse::<f64>().unwrap())
                .sum();
            assert!((sum - 1.0).abs() < 1e-15, "{what} row {i}: sum {sum}");
            if gaps[i] >= 1e-6 {
                assert_eq!(
                    row[classes.len()],
                    labels[i].as_str().unwrap(),
                    "{what} row {i}"
                );
            }
        }
        assert!(worst <= 1e-12, "{what}: max |p - p_ref| = {worst:e}");
        // --keep columns come first; the probabilities are unchanged.
        dir.run(&[
            "predict",
            "m.json",
            test_file,
            "--keep",
            case["target"].as_str().unwrap(),
            "-o",
            "k.csv",
        ])
        .ok();
        let (kh, krows) = parse_csv(&dir.read("k.csv"));
        assert_eq!(kh[0], case["target"].as_str().unwrap());
        assert_eq!(kh[1..], header[..]);
        assert!(krows.iter().zip(&rows).all(|(a, b)| a[1..] == b[..]));
    }
}

fn case_probabilities(fit: &Value) -> Vec<Vec<f64>> {
    fit["test_probabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(f64s)
        .collect()
}

#[test]
fn multiclass_models_predict_the_iris_reference_probabilities() {
    predicts_reference_probabilities("iris");
}

#[test]
fn multiclass_models_predict_the_wine_reference_probabilities_with_numeric_classes() {
    predicts_reference_probabilities("wine");
}

#[test]
fn multiclass_models_refuse_thresholds_saying_why() {
    let case = multi_reference("iris");
    let dir = Dir::new();
    multi_fixture(&dir, "iris_test.csv");
    dir.write(
        "m.json",
        reference_multiclass_model(&case, &case["fits"][0]).to_string(),
    );
    dir.run(&["predict", "m.json", "iris_test.csv", "--threshold", "0.3"])
        .expect_code(2)
        .stderr_has(&[
            "m.json",
            "--threshold applies to binary models only",
            "multinomial model of 3 classes",
        ]);
    dir.run(&[
        "threshold",
        "m.json",
        "iris_test.csv",
        "--pick",
        "f1",
        "-o",
        "t.json",
    ])
    .expect_code(2)
    .stderr_has(&["m.json", "threshold applies to binary models only"]);
    assert!(!dir.exists("t.json"));
}

/// `case`'s first multinomial fit, edited by `edit`, must be refused naming `words`.
fn refused(edit: impl Fn(&mut Value), words: &[&str]) {
    let case = multi_reference("iris");
    let dir = Dir::new();
    multi_fixture(&dir, "iris_test.csv");
    for fit in [&case["fits"][0], &case["fits"][2]] {
        let mut model = reference_multiclass_model(&case, fit);
        edit(&mut model);
        dir.write("bad.json", serde_json::to_string_pretty(&model).unwrap());
        let run = dir.run(&["predict", "bad.json", "iris_test.csv"]);
        run.expect_code(2)
            .stderr_has(&["bad.json: "])
            .stderr_has(words);
        assert!(run.stdout().is_empty());
    }
}

#[test]
fn damaged_multiclass_model_files_are_refused_naming_the_field() {
    refused(
        |m| m["coefficients"].as_array_mut().unwrap().truncate(2),
        &["coefficients has 2 rows but the model has 3 score(s)"],
    );
    refused(
        |m| {
            m["coefficients_standardized"][1]
                .as_array_mut()
                .unwrap()
                .push(json!(0.0))
        },
        &["coefficients_standardized[1] has 5 entries but the model has 4 features"],
    );
    refused(
        |m| {
            m["intercepts"]
                .as_array_mut()
                .unwrap()
                .pop()
                .map(|_| ())
                .unwrap()
        },
        &["intercepts has 2 entries"],
    );
    refused(
        |m| m["classes"][2] = json!("setosa"),
        &["class \"setosa\" is listed twice"],
    );
    refused(
        |m| {
            m["classes"] = json!(["setosa"]);
        },
        &["classes lists 1 label(s); a model needs at least 2"],
    );
    refused(
        |m| {
            let w = m["coefficients"][2][1].as_f64().unwrap();
            m["coefficients"][2][1] = json!(w * 1.001);
        },
        &["coefficients[2][1] (class \"virginica\", feature \"Sepal.Width\"): coefficient"],
    );
    refused(
        |m| {
            let b = m["intercepts"][1].as_f64().unwrap();
            m["intercepts"][1] = json!(b + 0.01);
        },
        &[
            "intercepts[1]",
            "does not match intercepts_standardized[1] - sum(coefficient * mean)",
        ],
    );
    refused(
        |m| m["training"]["class_counts"][0] = json!(36),
        &["training.n_rows is 105 but training.class_counts add up to 106"],
    );
    refused(
        |m| m["multiclass"] = json!("softmax"),
        &["\"multiclass\" must be \"multinomial\" or \"ovr\""],
    );
    refused(
        |m| {
            let family = if m["multiclass"] == "ovr" {
                "multinomial"
            } else {
                "binomial"
            };
            m["objective"]["family"] = json!(family);
        },
        &["objective.family is"],
    );
    refused(
        |m| {
            if m["multiclass"] == "ovr" {
                m["fits"].as_array_mut().unwrap().pop();
            } else {
                m["fits"] = json!([m["fit"].clone()]);
            }
        },
        &["damaged model file: ", "fit"],
    );
}

#[test]
fn duplicate_keys_in_a_multiclass_file_are_refused() {
    let case = multi_reference("iris");
    let dir = Dir::new();
    multi_fixture(&dir, "iris_test.csv");
    let text =
        serde_json::to_string_pretty(&reference_multiclass_model(&case, &case["fits"][0])).unwrap();
    let doubled = text.replacen(
        "\"intercepts\": [",
        "\"intercepts\": [1, 2, 3],\n  \"intercepts\": [",
        1,
    );
    assert_ne!(doubled, text);
    dir.write("bad.json", doubled);
    dir.run(&["predict", "bad.json", "iris_test.csv"])
        .expect_code(2)
        .stderr_has(&["the key \"intercepts\" appears twice at the top level"]);
}

#[test]
fn multiclass_models_write_deterministic_version_2_json_that_reads_back_equal() {
    let case = multi_reference("iris");
    for fit in case["fits"].as_array().unwrap() {
        let text = serde_json::to_string(&reference_multiclass_model(&case, fit)).unwrap();
        let model = logit::model::Model::from_slice("m.json", text.as_bytes()).unwrap();
        assert_eq!(model.n_classes(), 3);
        assert_eq!(model.n_scores(), 3);
        assert!(!model.is_binary() && model.binary().is_none());
        let json = model.to_json();
        let again = logit::model::Model::from_slice("again.json", json.as_bytes()).unwrap();
        assert_eq!(again, model);
        assert_eq!(again.to_json(), json);
        let v: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["multiclass"], fit["mode"]);
        assert_eq!(v["coefficients"], fit["coefficients"]);
        assert_eq!(v.get("fits").is_some(), fit["mode"] == "ovr");
        assert_eq!(v.get("fit").is_some(), fit["mode"] == "multinomial");
    }
}

#[test]
fn trained_multiclass_models_write_deterministic_files_that_predict_the_reference() {
    let case = multi_reference("iris");
    let dir = Dir::new();
    multi_fixture(&dir, "iris_train.csv");
    multi_fixture(&dir, "iris_test.csv");
    for fit in case["fits"].as_array().unwrap() {
        let (mode, l2) = (fit["mode"].as_str().unwrap(), fit["lambda"].to_string());
        let what = format!("{mode} lambda {l2}");
        let train = |out: &str| {
            dir.run(&[
                "train",
                "iris_train.csv",
                "--target",
                "Species",
                "--multiclass",
                mode,
                "--l2",
                &l2,
                "-q",
                "-o",
                out,
            ])
            .ok();
        };
        train("m.json");
        train("again.json");
        assert_eq!(
            dir.read_bytes("m.json"),
            dir.read_bytes("again.json"),
            "{what}"
        );
        let m: Value = serde_json::from_str(&dir.read("m.json")).unwrap();
        assert_eq!(
            (m["version"].clone(), m["multiclass"].clone()),
            (json!(2), json!(mode))
        );
        dir.run(&["predict", "m.json", "iris_test.csv", "-o", "p.csv"])
            .ok();
        let (_, rows) = parse_csv(&dir.read("p.csv"));
        let reference = case_probabilities(fit);
        let worst = rows
            .iter()
            .zip(&reference)
            .flat_map(|(row, p)| {
                p.iter()
                    .enumerate()
                    .map(move |(k, p)| (row[k].parse::<f64>().unwrap() - p).abs())
            })
            .fold(0.0, f64::max);
        // The fit's tolerance, not the scorer's: the hand-written files above match to 1e-12.
        assert!(worst <= 1e-7, "{what}: max |p - p_ref| = {worst:e}");
    }
}

#[test]
fn a_weighted_model_predicts_without_its_weight_column() {
    let dir = Dir::new();
    let train = "npreg,glu,bp,skin,bmi,ped,age,type,w\n1,88,78,29,32.0,0.365,29,No,0.5\n\
                 5,166,72,19,25.8,0.587,51,Yes,2\n3,78,50,32,31.0,0.248,26,Yes,1\n\
                 2,197,70,45,30.5,0.158,53,Yes,1.5\n1,89,66,23,28.1,0.167,21,No,3\n\
                 4,110,92,33,37.6,0.191,30,No,0\n";
    dir.write("train.csv", train);
    dir.write(
        "test.csv",
        "npreg,glu,bp,skin,bmi,ped,age\n2,120,70,30,30.0,0.3,40\n6,90,80,20,25.0,0.2,35\n",
    );
    dir.run(&[
        "train",
        "train.csv",
        "--target",
        "type",
        "--weight",
        "w",
        "--l2",
        "0.1",
        "-q",
        "-o",
        "m.json",
    ])
    .ok();
    let m: Value = serde_json::from_str(&dir.read("m.json")).unwrap();
    assert_eq!(m["objective"]["weight"], "w");
    assert_eq!(m["training"]["weight_sum"], 8.0);
    assert_eq!(m["training"]["n_zero_weight"], 1);
    let out = dir.run(&["predict", "m.json", "test.csv"]).ok().stdout();
    assert!(out.starts_with("probability,prediction\n"), "{out}");
    assert_eq!(out.lines().count(), 3, "{out}");
}

#[test]
fn a_multinomial_log_likelihood_must_match_the_fit_objective() {
    let case = multi_reference("iris");
    let fit = &case["fits"][0];
    assert_eq!(fit["mode"], "multinomial");
    let mut model = reference_multiclass_model(&case, fit);
    let l2 = fit["lambda"].as_f64().unwrap();
    let penalty: f64 = fit["coefficients_standardized"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(f64s)
        .map(|w| w * w)
        .sum::<f64>()
        * l2
        / 2.0;
    let s = case["S"].as_f64().unwrap();
    let log_likelihood = -s * (fit["objective"].as_f64().unwrap() - penalty);
    model["inference"] = json!({ "log_likelihood": log_likelihood });
    let text = model.to_string();
    logit::model::Model::from_slice("m.json", text.as_bytes()).unwrap();
    model["inference"]["log_likelihood"] = json!(log_likelihood * 1.001);
    let err = logit::model::Model::from_slice("m.json", model.to_string().as_bytes())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("fit.objective")
            && err.contains("-inference.log_likelihood / training.n_rows"),
        "{err}"
    );
}

/// predict reads plain input on its fast byte path and anything unusual (here one quoted cell)
/// through the csv parser: a multiclass model must give the same bytes on both.
#[test]
fn multiclass_predict_gives_the_same_bytes_on_the_fast_path_and_the_csv_fallback() {
    let case = multi_reference("iris");
    let dir = Dir::new();
    multi_fixture(&dir, "iris_test.csv");
    for fit in case["fits"].as_array().unwrap() {
        let model = reference_multiclass_model(&case, fit);
        dir.write("m.json", serde_json::to_string_pretty(&model).unwrap());
        let plain = dir.read("iris_test.csv");
        // Quote the first cell of the last data row: the chunk holding it leaves the fast path.
        let mut lines: Vec<String> = plain.lines().map(String::from).collect();
        let last = lines.last_mut().unwrap();
        let (first, rest) = last.split_once(',').unwrap();
        *last = format!("\"{first}\",{rest}");
        dir.write("quoted.csv", lines.join("\n") + "\n");
        dir.run(&["predict", "m.json", "iris_test.csv", "-o", "fast.csv"])
            .expect_code(0);
        dir.run(&["predict", "m.json", "quoted.csv", "-o", "slow.csv"])
            .expect_code(0);
        let fast = dir.read("fast.csv");
        assert!(fast.starts_with("probability_setosa,"), "{fast}");
        assert_eq!(fast, dir.read("slow.csv"), "{}", fit["mode"]);
    }
}

/// Every number in `a` within `rtol` relative of the one at the same place in `b`, every other
/// value equal.
fn assert_numbers_within(a: &Value, b: &Value, at: &str, rtol: f64) {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!(
                (x - y).abs() <= rtol * x.abs().max(y.abs()),
                "{at}: {x} vs {y}"
            );
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{at}");
            for (i, (x, y)) in x.iter().zip(y).enumerate() {
                assert_numbers_within(x, y, &format!("{at}[{i}]"), rtol);
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(
                x.keys().collect::<Vec<_>>(),
                y.keys().collect::<Vec<_>>(),
                "{at}"
            );
            for (k, x) in x {
                assert_numbers_within(x, &y[k], &format!("{at}.{k}"), rtol);
            }
        }
        _ => assert_eq!(a, b, "{at}"),
    }
}

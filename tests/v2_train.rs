//! Issue 9, `train`: classes in model order, row and class weights, multinomial and
//! one-vs-rest fits. Numbers are checked against the shared references (fixtures/multi, made
//! with scikit-learn and polished by Newton steps, see fixtures/multi/README.md) or against
//! mathematics (a weight of 2 is a duplicated row; a weight of 0 is a missing row).

use logit::data::encode::{read_training, read_training_from, TrainingData, TrainingSelection};
use logit::data::input::Source;
use serde_json::Value;

use crate::util::{fixtures, Dir};

fn multi(name: &str) -> String {
    fixtures()
        .join("multi")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn expected(case: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(multi(&format!("{case}.expected.json"))).unwrap())
        .unwrap()
}

fn read_text(text: &str, selection: &TrainingSelection) -> TrainingData {
    let mut reader = logit::data::input::csv_reader(text.as_bytes(), b',');
    read_training_from("t.csv", &mut reader, selection).unwrap()
}

fn target(t: &str) -> TrainingSelection<'_> {
    TrainingSelection {
        target: t,
        ..Default::default()
    }
}

#[test]
fn classes_are_in_numeric_order_when_every_label_is_a_number_and_in_byte_order_otherwise() {
    let data = read_text("a,y\n1,10\n2,9\n3,-1\n4,9\n", &target("y"));
    assert_eq!(data.classes, vec!["-1", "9", "10"]);
    assert_eq!(data.y.to_vec(), vec![2.0, 1.0, 0.0, 1.0]);
    assert_eq!(data.class_counts, vec![1, 2, 1]);
    // One label that is not a number: byte order ("10" < "9" < "x").
    let data = read_text("a,y\n1,10\n2,9\n3,x\n", &target("y"));
    assert_eq!(data.classes, vec!["10", "9", "x"]);
    assert_eq!(data.y.to_vec(), vec![0.0, 1.0, 2.0]);
    // Upper case sorts before lower case in bytes.
    let data = read_text("a,y\n1,b\n2,a\n3,C\n", &target("y"));
    assert_eq!(data.classes, vec!["C", "a", "b"]);
    // Binary targets keep v1's response (y = 1 for the positive label) and list classes in order.
    let data = read_text("a,y\n1,1\n2,0\n3,0\n", &target("y"));
    assert_eq!(data.classes, vec!["0", "1"]);
    assert_eq!(data.y.to_vec(), vec![1.0, 0.0, 0.0]);
    assert_eq!(data.class_counts, vec![2, 1]);
}

/// pima_w's training file with one weight cell replaced; returns the file name.
fn pima_w_with_cell(dir: &Dir, data_row: usize, value: &str) -> String {
    let text = std::fs::read_to_string(multi("pima_w_train.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let line = &mut lines[data_row + 1];
    let mut cells: Vec<&str> = line.split(',').collect();
    *cells.last_mut().unwrap() = value;
    *line = cells.join(",");
    let name = "bad.csv".to_string();
    dir.write(&name, lines.join("\n") + "\n");
    name
}

#[test]
fn every_bad_weight_cell_is_one_error_line_naming_file_line_column_and_value() {
    let dir = Dir::new();
    for (value, why) in [
        ("-0.5", "negative"),
        ("heavy", "not a number"),
        ("nan", "not finite"),
        ("inf", "not finite"),
        ("1e400", "not finite"),
        ("", "a missing value"),
        ("NA", "a missing value"),
    ] {
        let file = pima_w_with_cell(&dir, 15, value);
        for missing in ["error", "drop", "mean"] {
            let run = dir.run(&[
                "train",
                &file,
                "--target",
                "type",
                "--positive",
                "Yes",
                "--weight",
                "w",
                "--missing",
                missing,
                "--l2",
                "0.01",
                "-o",
                "m.json",
            ]);
            run.expect_code(2);
            let wanted = format!("bad.csv: line 17, column \"w\": expected a row weight");
            run.stderr_has(&[&wanted, &format!("{value:?}"), why]);
            assert!(!dir.exists("m.json"));
        }
    }
}

#[test]
fn weights_that_leave_nothing_or_a_class_without_weight_are_refused() {
    let dir = Dir::new();
    dir.write("zero.csv", "a,w,y\n1,0,1\n2,0,0\n3,0,1\n");
    dir.run(&[
        "train", "zero.csv", "--target", "y", "--weight", "w", "-o", "m.json",
    ])
    .expect_code(2)
    .stderr_has(&["zero.csv", "\"w\"", "every row has weight 0"]);
    dir.write("class.csv", "a,w,y\n1,1,1\n2,0,0\n3,2,1\n4,0,0\n");
    dir.run(&[
        "train",
        "class.csv",
        "--target",
        "y",
        "--weight",
        "w",
        "-o",
        "m.json",
    ])
    .expect_code(2)
    .stderr_has(&["class.csv", "\"w\"", "class \"0\" has weight 0"]);
    dir.run(&[
        "train",
        "class.csv",
        "--target",
        "y",
        "--weight",
        "nope",
        "-o",
        "m.json",
    ])
    .expect_code(2)
    .stderr_has(&["\"nope\""]);
    dir.run(&[
        "train",
        "class.csv",
        "--target",
        "y",
        "--weight",
        "w",
        "--features",
        "a,w",
    ])
    .expect_code(2)
    .stderr_has(&["weight column"]);
}

/// Both readers on `path`, the fast one forced (no minimum size).
fn both_readers(path: &str, selection: &TrainingSelection) -> (TrainingData, TrainingData) {
    let fast = logit::data::fast::read_training_fast(path, b',', selection, 0)
        .unwrap()
        .unwrap_or_else(|| panic!("{path}: a plain numeric file takes the fast path"));
    let slow = read_training(Source::open(path).unwrap(), b',', selection).unwrap();
    (fast, slow)
}

fn assert_same_data(fast: &TrainingData, slow: &TrainingData, what: &str) {
    assert_eq!(fast.feature_names, slow.feature_names, "{what}");
    assert_eq!(fast.classes, slow.classes, "{what}");
    assert_eq!(fast.labels, slow.labels, "{what}");
    assert_eq!(fast.class_counts, slow.class_counts, "{what}");
    assert_eq!(fast.y, slow.y, "{what}");
    assert_eq!(fast.weight_column, slow.weight_column, "{what}");
    let bits = |w: &Option<ndarray::Array1<f64>>| {
        w.as_ref()
            .map(|w| w.iter().map(|v| v.to_bits()).collect::<Vec<_>>())
    };
    assert_eq!(bits(&fast.weights), bits(&slow.weights), "{what}");
    assert!(
        fast.x
            .iter()
            .zip(slow.x.iter())
            .all(|(a, b)| a.to_bits() == b.to_bits()),
        "{what}"
    );
}

#[test]
fn fast_reader_and_csv_reader_agree_on_multiclass_and_weighted_files() {
    for (file, target, weight) in [
        ("iris_train.csv", "Species", None),
        ("wine_train.csv", "cultivar", None),
        ("pima_w_train.csv", "type", Some("w")),
    ] {
        let path = multi(file);
        let selection = TrainingSelection {
            target,
            weight,
            positive: (target == "type").then_some("Yes"),
            ..Default::default()
        };
        let (fast, slow) = both_readers(&path, &selection);
        assert_same_data(&fast, &slow, file);
        if target == "cultivar" {
            assert_eq!(fast.classes, vec!["1", "2", "3"]);
        }
    }
    // Numeric labels whose byte and numeric orders differ, weights with -0 and spaces, labels
    // first seen in different parallel ranges.
    let dir = Dir::new();
    let mut text = String::from("u,w,v,y\n");
    for i in 0..5000 {
        let label = ["10", "9", "-2.5", "100"][(i * 7 + i / 1000) % 4];
        let w = ["1", "0", " 2.5", "-0", "1e-3"][i % 5];
        text += &format!("{},{w},{}.25,{label}\n", i % 17, i % 3);
    }
    dir.write("m.csv", &text);
    let path = dir.path().join("m.csv").to_string_lossy().into_owned();
    let selection = TrainingSelection {
        target: "y",
        weight: Some("w"),
        ..Default::default()
    };
    let (fast, slow) = both_readers(&path, &selection);
    assert_same_data(&fast, &slow, "m.csv");
    assert_eq!(fast.classes, vec!["-2.5", "9", "10", "100"]);
    assert_eq!(fast.feature_names, vec!["u", "v"]);
    assert!(fast
        .weights
        .as_ref()
        .unwrap()
        .iter()
        .all(|w| w.is_sign_positive()));
}

/// Trains in `dir` and returns the model JSON.
fn train(dir: &Dir, args: &[&str]) -> Value {
    let mut all = vec!["train"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-o", "m.json", "-q"]);
    dir.run(&all).ok();
    serde_json::from_str(&dir.read("m.json")).expect("model json")
}

#[test]
fn multiclass_targets_refuse_positive_threshold_and_pick_threshold_saying_why() {
    let dir = Dir::new();
    let iris = multi("iris_train.csv");
    let base = [
        "train",
        iris.as_str(),
        "--target",
        "Species",
        "--l2",
        "0.01",
        "-o",
        "m.json",
    ];
    for (extra, word) in [
        (&["--positive", "setosa"][..], "positive"),
        (&["--threshold", "0.3"][..], "threshold"),
        (
            &["--pick-threshold", "f1", "--validation", iris.as_str()][..],
            "threshold",
        ),
    ] {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        let run = dir.run(&args);
        run.expect_code(2);
        run.stderr_has(&[word, "3 classes"]);
        assert!(!dir.exists("m.json"));
    }
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn matrix(v: &Value) -> Vec<Vec<f64>> {
    v.as_array().unwrap().iter().map(f64s).collect()
}

/// `|a - b| <= tol * max(1, |b|)` elementwise, with a message naming `what`.
fn assert_close(a: &[f64], b: &[f64], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= tol * y.abs().max(1.0),
            "{what}[{i}]: {x} vs {y} (tolerance {tol:e})"
        );
    }
}

/// Coefficient rows (original and standardised) and intercepts of a model file, any kind
/// (a binary file keeps v1's layout: `features[].coefficient`, `intercept`).
fn model_coefficients(model: &Value) -> (Vec<Vec<f64>>, Vec<Vec<f64>>, Vec<f64>, Vec<f64>) {
    if model.get("coefficients").is_none() {
        let features = model["features"].as_array().unwrap();
        let column = |key: &str| features.iter().map(|f| f[key].as_f64().unwrap()).collect();
        return (
            vec![column("coefficient")],
            vec![column("coefficient_standardized")],
            vec![model["intercept"].as_f64().unwrap()],
            vec![model["intercept_standardized"].as_f64().unwrap()],
        );
    }
    (
        matrix(&model["coefficients"]),
        matrix(&model["coefficients_standardized"]),
        f64s(&model["intercepts"]),
        f64s(&model["intercepts_standardized"]),
    )
}

/// The model's coefficients and objective against one reference fit.
fn assert_matches(model: &Value, reference: &Value, what: &str) {
    let (w, w_std, b, b_std) = model_coefficients(model);
    for (k, (row, want)) in w_std
        .iter()
        .zip(matrix(&reference["coefficients_standardized"]))
        .enumerate()
    {
        assert_close(
            row,
            &want,
            1e-6,
            &format!("{what}: standardised coefficients of score {k}"),
        );
    }
    for (k, (row, want)) in w.iter().zip(matrix(&reference["coefficients"])).enumerate() {
        assert_close(
            row,
            &want,
            1e-6,
            &format!("{what}: coefficients of score {k}"),
        );
    }
    assert_close(
        &b_std,
        &f64s(&reference["intercepts_standardized"]),
        1e-6,
        &format!("{what}: intercepts_standardized"),
    );
    assert_close(
        &b,
        &f64s(&reference["intercepts"]),
        1e-6,
        &format!("{what}: intercepts"),
    );
    match reference.get("objective_per_class") {
        Some(per_class) => {
            let ours: Vec<f64> = model["fits"]
                .as_array()
                .expect("an ovr model lists its fits")
                .iter()
                .map(|f| f["objective"].as_f64().unwrap())
                .collect();
            assert_close(
                &ours,
                &f64s(per_class),
                1e-10,
                &format!("{what}: objective per class"),
            );
        }
        None => assert_close(
            &[model["fit"]["objective"].as_f64().unwrap()],
            &[reference["objective"].as_f64().unwrap()],
            1e-10,
            &format!("{what}: objective"),
        ),
    }
}

/// The train arguments of a shared case's fit (as accept_multi.py builds them).
fn case_args(case: &Value, fit: &Value) -> Vec<String> {
    let mut args = vec![
        multi(case["train_file"].as_str().unwrap()),
        "--target".into(),
        case["target"].as_str().unwrap().into(),
    ];
    if let Some(mode) = fit["mode"].as_str() {
        args.extend(["--multiclass".into(), mode.into()]);
    }
    if let Some(w) = case["weight"].as_str() {
        args.extend(["--weight".into(), w.into()]);
    }
    if let Some(p) = case.get("positive").and_then(Value::as_str) {
        args.extend(["--positive".into(), p.into()]);
    }
    let l2 = fit["lambda"].as_f64().unwrap();
    args.extend(["--l2".into(), format!("{l2}")]);
    for a in case["train_args"].as_array().unwrap() {
        args.push(a.as_str().unwrap().into());
    }
    args
}

#[test]
fn trained_models_match_the_shared_multinomial_ovr_and_weighted_references() {
    for case in ["iris", "iris_sl", "wine", "pima_w", "esoph"] {
        let reference = expected(case);
        for fit in reference["fits"].as_array().unwrap() {
            for solver in ["lbfgs", "newton"] {
                let dir = Dir::new();
                let mut args = case_args(&reference, fit);
                args.extend([
                    "--solver".into(),
                    solver.into(),
                    "--tol".into(),
                    "1e-11".into(),
                ]);
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let model = train(&dir, &args);
                let what = format!("{case} {} l2={} {solver}", fit["mode"], fit["lambda"]);
                assert_eq!(model["classes"], reference["classes"], "{what}");
                assert_matches(&model, fit, &what);
                let std = &reference["standardization"];
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
                assert_close(
                    &means,
                    &f64s(&std["mean"]),
                    1e-12,
                    &format!("{what}: weighted means"),
                );
                assert_close(
                    &stds,
                    &f64s(&std["std"]),
                    1e-12,
                    &format!("{what}: weighted stds"),
                );
            }
        }
    }
}

/// Coefficients (standardised, every score) and the objective of a model file.
fn fitted(model: &Value) -> (Vec<f64>, f64) {
    let (_, w_std, _, b_std) = model_coefficients(model);
    let mut all: Vec<f64> = w_std.concat();
    all.extend(b_std);
    (all, objective(model))
}

/// The objective of a model's fit; one-vs-rest: the sum over its K fits.
fn objective(model: &Value) -> f64 {
    match model["fits"].as_array() {
        Some(fits) => fits.iter().map(|f| f["objective"].as_f64().unwrap()).sum(),
        None => model["fit"]["objective"].as_f64().unwrap(),
    }
}

#[test]
fn class_weight_balanced_equals_the_explicit_class_weights() {
    let dir = Dir::new();
    let wine = multi("wine_train.csv");
    // wine_train: 41, 50 and 33 rows of classes 1, 2, 3 (n = 124, K = 3).
    let counts = [41.0, 50.0, 33.0];
    let explicit: Vec<String> = counts
        .iter()
        .enumerate()
        .map(|(c, n)| format!("{}={:.17e}", c + 1, 124.0 / (3.0 * n)))
        .collect();
    for mode in ["multinomial", "ovr"] {
        let common = [
            wine.as_str(),
            "--target",
            "cultivar",
            "--multiclass",
            mode,
            "--l2",
            "0.01",
        ];
        let mut a = common.to_vec();
        a.extend(["--class-weight", "balanced"]);
        let balanced = train(&dir, &a);
        let mut b = common.to_vec();
        let explicit = explicit.join(",");
        b.extend(["--class-weight", explicit.as_str()]);
        let given = train(&dir, &b);
        assert_eq!(
            balanced["training"]["class_counts"],
            serde_json::json!([41, 50, 33])
        );
        let (wa, oa) = fitted(&balanced);
        let (wb, ob) = fitted(&given);
        assert_close(&wa, &wb, 1e-12, &format!("{mode}: coefficients"));
        assert_close(&[oa], &[ob], 1e-14, &format!("{mode}: objective"));
        // And the weights changed the fit.
        let (wu, _) = fitted(&train(&dir, &common));
        assert!(
            wu.iter().zip(&wa).any(|(u, a)| (u - a).abs() > 1e-3),
            "{mode}"
        );
    }
}

/// iris_train.csv with a weight column: 2 on every third row, else 1; and the same file with
/// those rows written twice (weight 1).
fn doubled_iris(dir: &Dir) {
    let text = std::fs::read_to_string(multi("iris_train.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let mut weighted = format!("{header},w\n");
    let mut duplicated = format!("{header},w\n");
    for (i, line) in lines.enumerate() {
        let twice = i % 3 == 0;
        weighted += &format!("{line},{}\n", if twice { 2 } else { 1 });
        duplicated += &format!("{line},1\n");
        if twice {
            duplicated += &format!("{line},1\n");
        }
    }
    dir.write("weighted.csv", weighted);
    dir.write("duplicated.csv", duplicated);
}

#[test]
fn a_weight_of_two_equals_a_duplicated_row() {
    let dir = Dir::new();
    doubled_iris(&dir);
    for mode in ["multinomial", "ovr"] {
        for l2 in ["0.01", "0.0001"] {
            let common = [
                "--target",
                "Species",
                "--weight",
                "w",
                "--multiclass",
                mode,
                "--l2",
                l2,
                "--solver",
                "newton",
                "--tol",
                "1e-13",
            ];
            let mut a = vec!["weighted.csv"];
            a.extend(common);
            let mut b = vec!["duplicated.csv"];
            b.extend(common);
            let (wa, oa) = fitted(&train(&dir, &a));
            let (wb, ob) = fitted(&train(&dir, &b));
            assert_close(&wa, &wb, 1e-10, &format!("{mode} l2={l2}"));
            assert_close(&[oa], &[ob], 1e-13, &format!("{mode} l2={l2}: objective"));
        }
    }
}

#[test]
fn zero_weight_rows_change_nothing_but_the_row_count() {
    let dir = Dir::new();
    let text = std::fs::read_to_string(multi("iris_train.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let mut base = format!("{header},w\n");
    let mut padded = format!("{header},w\n");
    for (i, line) in lines.enumerate() {
        base += &format!("{line},1\n");
        padded += &format!("{line},1\n");
        if i % 10 == 0 {
            // Wild values and every class, with weight 0.
            let class = ["setosa", "versicolor", "virginica"][i % 3];
            padded += &format!("1e6,-400,{i},77.5,{class},0\n");
        }
    }
    dir.write("base.csv", base);
    dir.write("padded.csv", padded);
    for mode in ["multinomial", "ovr"] {
        let common = [
            "--target",
            "Species",
            "--weight",
            "w",
            "--multiclass",
            mode,
            "--l2",
            "0.01",
            "--tol",
            "1e-12",
        ];
        let mut a = vec!["base.csv"];
        a.extend(common);
        let mut b = vec!["padded.csv"];
        b.extend(common);
        let ma = train(&dir, &a);
        let mb = train(&dir, &b);
        let (wa, oa) = fitted(&ma);
        let (wb, ob) = fitted(&mb);
        assert_close(&wa, &wb, 1e-9, mode);
        assert_close(&[oa], &[ob], 1e-14, mode);
        assert_eq!(
            ma["features"], mb["features"],
            "{mode}: the standardisation ignores weight 0"
        );
        assert_eq!(mb["training"]["n_rows"], 116);
        assert_eq!(mb["training"]["n_zero_weight"], 11);
        assert_eq!(mb["training"]["weight_sum"], 105.0);
    }
}

#[test]
fn a_binary_target_ignores_multiclass_with_a_note() {
    let dir = Dir::new();
    let pima = multi("pima_w_train.csv");
    let run = dir.run(&[
        "train",
        &pima,
        "--target",
        "type",
        "--positive",
        "Yes",
        "--multiclass",
        "ovr",
        "--l2",
        "0.01",
        "-o",
        "m.json",
    ]);
    run.ok().stderr_has(&["--multiclass ovr has no effect"]);
    let model: Value = serde_json::from_str(&dir.read("m.json")).unwrap();
    assert_eq!(model["classes"], serde_json::json!(["No", "Yes"]));
    assert!(
        model["features"][0]["coefficient"].is_number(),
        "a binary model file"
    );
}

#[test]
fn separation_of_one_class_is_reported_for_unpenalised_multinomial_fits() {
    let dir = Dir::new();
    // Class "c" is exactly the rows with a > 5.
    let mut text = String::from("a,b,y\n");
    for i in 0..60 {
        let a = i % 10;
        let y = if a > 5 {
            "c"
        } else if i % 2 == 0 {
            "a"
        } else {
            "b"
        };
        text += &format!("{a},{},{y}\n", (i * 7) % 11);
    }
    dir.write("sep.csv", text);
    for mode in ["multinomial", "ovr"] {
        dir.run(&[
            "train",
            "sep.csv",
            "--target",
            "y",
            "--multiclass",
            mode,
            "-o",
            "m.json",
        ])
        .ok()
        .stderr_has(&["separation", "class \"c\" from the others", "--l2 > 0"]);
    }
}

//! The fits: shared references, class weights, weights as duplicated or missing rows,
//! separation, cross-check.

use serde_json::Value;

use super::{expected, multi, train};
use crate::util::Dir;

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

/// Coefficient rows (original, standardised) and intercepts (original, standardised).
type Coefficients = (Vec<Vec<f64>>, Vec<Vec<f64>>, Vec<f64>, Vec<f64>);

/// Coefficient rows (original and standardised) and intercepts of a model file, any kind
/// (a binary file keeps v1's layout: `features[].coefficient`, `intercept`).
fn model_coefficients(model: &Value) -> Coefficients {
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

#[test]
fn cross_check_agrees_with_linfa_on_multinomial_and_ovr_fits_and_names_linfa_when_weighted() {
    let dir = Dir::new();
    let iris = multi("iris_train.csv");
    for mode in ["multinomial", "ovr"] {
        dir.run(&[
            "train",
            &iris,
            "--target",
            "Species",
            "--multiclass",
            mode,
            "--l2",
            "0.01",
            "--cross-check",
            "-o",
            "m.json",
        ])
        .ok()
        .stderr_has(&["cross-check with linfa"]);
    }
    dir.run(&[
        "train",
        &iris,
        "--target",
        "Species",
        "--weight",
        "Sepal.Width",
        "--l2",
        "0.01",
        "--cross-check",
        "-o",
        "m.json",
    ])
    .expect_code(2)
    .stderr_has(&["linfa", "--weight"]);
}

#[test]
fn class_weights_are_stored_in_model_order_and_unknown_labels_are_refused() {
    let dir = Dir::new();
    let iris = multi("iris_train.csv");
    let model = train(
        &dir,
        &[
            &iris,
            "--target",
            "Species",
            "--class-weight",
            "virginica=3,setosa=0.5",
            "--l2",
            "0.01",
        ],
    );
    assert_eq!(
        model["objective"]["class_weight"],
        serde_json::json!({"mode": "given", "weights": [0.5, 1.0, 3.0]})
    );
    // s = class weight: S = 35 * (0.5 + 1 + 3).
    assert_eq!(model["training"]["weight_sum"], 157.5);
    dir.run(&[
        "train",
        &iris,
        "--target",
        "Species",
        "--class-weight",
        "virginca=3",
        "-o",
        "m.json",
    ])
    .expect_code(2)
    .stderr_has(&["\"virginca\"", "not a class", "\"virginica\""]);
    dir.run(&[
        "train",
        &iris,
        "--target",
        "Species",
        "--class-weight",
        "setosa=-1",
        "-o",
        "m.json",
    ])
    .expect_code(2)
    .stderr_has(&["--class-weight", "> 0"]);
}

#[test]
fn plot_is_refused_for_the_several_fits_of_ovr() {
    let dir = Dir::new();
    let iris = multi("iris_train.csv");
    dir.run(&[
        "train",
        &iris,
        "--target",
        "Species",
        "--multiclass",
        "ovr",
        "--plot",
        "c.svg",
        "-o",
        "m.json",
    ])
    .expect_code(2)
    .stderr_has(&["--plot", "3 fits"]);
    assert!(!dir.exists("m.json") && !dir.exists("c.svg"));
}

#[test]
fn constant_columns_train_with_coefficient_zero_in_every_class() {
    let dir = Dir::new();
    let text = std::fs::read_to_string(multi("iris_train.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    // `k` is 7 on every row of weight > 0; it differs only on a row of weight 0.
    let mut out = format!("{header},k,w\n");
    for line in lines {
        out += &format!("{line},7,1\n");
    }
    out += "5.0,3.0,1.5,0.2,setosa,-40,0\n";
    dir.write("k.csv", out);
    for mode in ["multinomial", "ovr"] {
        let model = train(
            &dir,
            &[
                "k.csv",
                "--target",
                "Species",
                "--weight",
                "w",
                "--multiclass",
                mode,
                "--l2",
                "0.01",
            ],
        );
        for row in model["coefficients"].as_array().unwrap() {
            assert_eq!(row[4], 0.0, "{mode}: {row}");
        }
        assert_eq!(model["features"][4]["mean"], 7.0, "{mode}");
    }
    dir.run(&[
        "train", "k.csv", "--target", "Species", "--weight", "w", "--l2", "0", "-o", "m.json",
    ])
    .ok()
    .stderr_has(&["constant feature(s) \"k\" on the rows of weight > 0"]);
}

//! The shared reference cases forced onto the sparse design: the same model as the dense
//! design's, and the reference's probabilities (scikit-learn / statsmodels / glmnet, to the
//! runners' 1e-5 or tighter).

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{assert_close, assert_models_agree, probabilities, train, TIGHT};
use crate::util::{fixtures, Dir};

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("reference file")).expect("json")
}

/// Copies the case's train and test files into `dir`.
fn copy(dir: &Dir, from: &Path, files: &[&str]) {
    for f in files {
        std::fs::copy(from.join(f), dir.path().join(f)).expect("copy fixture");
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|s| s.as_str().expect("string").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Test probabilities of a reference fit as rows (binary: one column, the positive class's).
fn reference_probabilities(fit: &Value) -> Vec<Vec<f64>> {
    fit["test_probabilities"]
        .as_array()
        .expect("test_probabilities")
        .iter()
        .map(|row| match row.as_array() {
            Some(r) => r.iter().map(|v| v.as_f64().unwrap()).collect(),
            None => vec![row.as_f64().unwrap()],
        })
        .collect()
}

/// Trains one fit both ways, checks dense against sparse and both against the reference's
/// probabilities (`tolerance`). Returns the largest coefficient difference.
fn check(
    dir: &Dir,
    args: &[String],
    test: &str,
    want: &[Vec<f64>],
    tolerance: f64,
    what: &str,
) -> f64 {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let dense = train(dir, &args, "dense", "dense.json");
    let sparse = train(dir, &args, "sparse", "sparse.json");
    let worst = assert_models_agree(&dense, &sparse, what);
    let p_dense = probabilities(dir, "dense.json", test);
    let p_sparse = probabilities(dir, "sparse.json", test);
    assert_close(
        &p_sparse,
        &p_dense,
        1e-12,
        &format!("{what}: sparse vs dense"),
    );
    assert_close(
        &p_sparse,
        want,
        tolerance,
        &format!("{what}: sparse vs reference"),
    );
    worst
}

fn lambda(fit: &Value, key: &str) -> String {
    format!("{}", fit[key].as_f64().expect("lambda"))
}

#[test]
fn binary_reference_cases_on_the_sparse_design_equal_the_dense_fits_and_the_references() {
    let dir = Dir::new();
    let mut worst = 0.0f64;
    for name in ["pima", "spector", "computers", "breast_cancer"] {
        let case = read_json(&fixtures().join(format!("{name}.expected.json")));
        let (train_file, test_file) = (
            case["train_file"].as_str().unwrap(),
            case["test_file"].as_str().unwrap(),
        );
        copy(&dir, &fixtures(), &[train_file, test_file]);
        for fit in case["fits"].as_array().unwrap() {
            let l2 = lambda(fit, "lambda");
            let mut args: Vec<String> = vec![train_file.into(), "--target".into()];
            args.push(case["target"].as_str().unwrap().into());
            args.extend([
                "--positive".into(),
                case["positive"].as_str().unwrap().into(),
            ]);
            args.extend(["--l2".into(), l2.clone()]);
            args.extend(TIGHT.map(String::from));
            let what = format!("{name} l2={l2}");
            let w = check(
                &dir,
                &args,
                test_file,
                &reference_probabilities(fit),
                1e-6,
                &what,
            );
            worst = worst.max(w);
        }
    }
    assert!(worst <= 1e-12, "{worst:e}");
}

#[test]
fn multiclass_and_weighted_reference_cases_on_the_sparse_design_equal_the_dense_fits() {
    let dir = Dir::new();
    let base: PathBuf = fixtures().join("multi");
    for name in ["iris", "wine", "iris_sl", "esoph", "pima_w"] {
        let case = read_json(&base.join(format!("{name}.expected.json")));
        let (train_file, test_file) = (
            case["train_file"].as_str().unwrap(),
            case["test_file"].as_str().unwrap(),
        );
        copy(&dir, &base, &[train_file, test_file]);
        let multiclass = case["kind"] == "multiclass";
        for fit in case["fits"].as_array().unwrap() {
            let l2 = lambda(fit, "lambda");
            let mut args: Vec<String> = vec![train_file.into(), "--target".into()];
            args.push(case["target"].as_str().unwrap().into());
            if let Some(mode) = fit["mode"].as_str() {
                args.extend(["--multiclass".into(), mode.into()]);
            }
            if let Some(w) = case["weight"].as_str() {
                args.extend(["--weight".into(), w.into()]);
            }
            if let Some(c) = case["class_weight"].as_str() {
                args.extend(["--class-weight".into(), c.into()]);
            }
            if !multiclass {
                args.extend([
                    "--positive".into(),
                    case["positive"].as_str().unwrap().into(),
                ]);
            }
            args.extend(["--l2".into(), l2.clone()]);
            args.extend(strings(&case["train_args"]));
            args.extend(TIGHT.map(String::from));
            let mut want = reference_probabilities(fit);
            if !multiclass {
                // The binary reference lists the positive class's probability only.
                want.iter_mut().for_each(|r| r.truncate(1));
            }
            let what = format!("{name} {} l2={l2}", fit["mode"]);
            check(&dir, &args, test_file, &want, 1e-6, &what);
        }
    }
}

/// tests/fixtures/l1 (glmnet at thresh 1e-24).
fn l1_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/l1")
}

#[test]
fn lasso_and_elastic_net_references_on_the_sparse_design_equal_the_dense_fits() {
    let dir = Dir::new();
    for name in ["pima", "breast_cancer"] {
        let case = read_json(&l1_dir().join(format!("{name}.expected.json")));
        let (train_file, test_file) = (format!("{name}_train.csv"), format!("{name}_test.csv"));
        copy(&dir, &l1_dir(), &[&train_file, &test_file]);
        for fit in case["fits"].as_array().unwrap() {
            let (l1, l2) = (lambda(fit, "l1"), lambda(fit, "l2"));
            let mut args: Vec<String> = vec![train_file.clone(), "--target".into()];
            args.push(case["target"].as_str().unwrap().into());
            args.extend([
                "--positive".into(),
                case["positive"].as_str().unwrap().into(),
            ]);
            args.extend(["--l1".into(), l1.clone(), "--l2".into(), l2.clone()]);
            let what = format!("{name} l1={l1} l2={l2}");
            let dense = train(
                &dir,
                &args.iter().map(String::as_str).collect::<Vec<_>>(),
                "dense",
                "dense.json",
            );
            let sparse = train(
                &dir,
                &args.iter().map(String::as_str).collect::<Vec<_>>(),
                "sparse",
                "sparse.json",
            );
            assert_models_agree(&dense, &sparse, &what);
            // Exact zeros where the dense fit has them.
            for (d, s) in dense["features"]
                .as_array()
                .unwrap()
                .iter()
                .zip(sparse["features"].as_array().unwrap())
            {
                assert_eq!(
                    d["coefficient"] == 0.0,
                    s["coefficient"] == 0.0,
                    "{what}: {d} vs {s}"
                );
            }
            let p = probabilities(&dir, "sparse.json", &test_file);
            let p_dense = probabilities(&dir, "dense.json", &test_file);
            assert_close(&p, &p_dense, 1e-12, &what);
            assert_close(&p, &reference_probabilities(fit), 1e-6, &what);
        }
    }
}

#[test]
fn path_and_cv_on_the_sparse_design_equal_the_dense_ones() {
    let dir = Dir::new();
    copy(&dir, &l1_dir(), &["pima_train_folds.csv"]);
    let target = ["--target", "type", "--positive", "Yes"];
    let run = |command: &[&str], design: &str| -> Value {
        let mut args: Vec<&str> = command.to_vec();
        args.extend(target);
        args.extend(["--design", design, "--json", "-q"]);
        let r = dir.run(&args);
        r.ok();
        serde_json::from_str(&r.stdout()).expect("json")
    };
    let path = [
        "path",
        "pima_train_folds.csv",
        "--exclude",
        "fold",
        "--l1-ratio",
        "0.5",
    ];
    let (dense, sparse) = (run(&path, "dense"), run(&path, "sparse"));
    assert_models_agree(&dense, &sparse, "path");
    let cv = [
        "cv",
        "pima_train_folds.csv",
        "--fold-column",
        "fold",
        "--l1-ratio",
        "1",
    ];
    let mut with_model = cv.to_vec();
    with_model.extend(["-o", "cv_dense.json"]);
    let dense = run(&with_model, "dense");
    with_model.pop();
    with_model.push("cv_sparse.json");
    let sparse = run(&with_model, "sparse");
    assert_models_agree(&dense, &sparse, "cv");
    let read = |f: &str| -> Value { serde_json::from_str(&dir.read(f)).unwrap() };
    assert_models_agree(&read("cv_dense.json"), &read("cv_sparse.json"), "cv model");
}

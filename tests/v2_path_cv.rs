//! Issue 10: `logit path` and `logit cv` against glmnet 4.1-6 (tests/fixtures/l1/pima.expected.json,
//! made by shared/reference/l1/tools: glmnet(..., thresh = 1e-24) and cv.glmnet with the pima
//! fold column), plus determinism, refusals and charts.
//!
//! Tolerances: path coefficients 1e-6 x max(1, |ref|) in original units (reference error
//! <= 1e-10 in standardised units), objectives 1e-8, default lambdas 1e-9 relative (the formula
//! reproduces glmnet to 5e-15), cvm / cvsd 1e-6 relative (cv.glmnet agrees with an independent
//! recomputation to 1.2e-12).

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::util::Dir;

const TARGET: [&str; 4] = ["--target", "type", "--positive", "Yes"];

fn l1_fixture(dir: &Dir, name: &str) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/l1")
        .join(name);
    std::fs::copy(from, dir.path().join(name)).expect("copy fixture");
}

fn expected() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/l1/pima.expected.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json")
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn list(values: &[f64]) -> String {
    values
        .iter()
        .map(|v| format!("{v:?}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn json_stdout(dir: &Dir, args: &[&str]) -> Value {
    let run = dir.run(args);
    run.ok();
    serde_json::from_str(&run.stdout()).unwrap_or_else(|e| panic!("{e}: {}", run.stdout()))
}

/// Runs logit in `dir` with `LOGIT_THREADS` set (and the other knobs cleared).
fn run_threads(dir: &Path, args: &[&str], threads: &str) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_logit"));
    cmd.args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in ["LOGIT_BLOCK_ROWS", "LOGIT_KERNEL"] {
        cmd.env_remove(var);
    }
    cmd.env("LOGIT_THREADS", threads);
    let out = cmd.output().expect("run logit");
    assert!(
        out.status.success(),
        "logit {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn path_at_glmnets_lambdas_matches_its_coefficients_objectives_and_zeros() {
    let dir = Dir::new();
    l1_fixture(&dir, "pima_train.csv");
    let exp = expected();
    let path = &exp["path"];
    let lambdas = numbers(&path["lambdas"]);
    let joined = list(&lambdas);
    let mut args = vec!["path", "pima_train.csv"];
    args.extend(TARGET);
    args.extend(["--l1-ratio", "1", "--lambdas", &joined, "--json"]);
    let got = json_stdout(&dir, &args);
    let fits = got["fits"].as_array().expect("fits");
    assert_eq!(fits.len(), lambdas.len());
    assert_eq!(numbers(&got["lambdas"]), lambdas);
    let mut worst = 0.0f64;
    for (k, (fit, reference)) in fits
        .iter()
        .zip(path["fits"].as_array().unwrap())
        .enumerate()
    {
        assert_eq!(fit["lambda"].as_f64(), Some(lambdas[k]));
        let coefficients = numbers(&fit["coefficients"]);
        let want = numbers(&reference["coefficients"]);
        let pairs = std::iter::once((
            fit["intercept"].as_f64().unwrap(),
            reference["intercept"].as_f64().unwrap(),
        ))
        .chain(coefficients.iter().copied().zip(want.iter().copied()));
        for (g, e) in pairs {
            worst = worst.max((g - e).abs() / e.abs().max(1.0));
        }
        let objective = fit["objective"].as_f64().unwrap();
        let want_objective = reference["objective"].as_f64().unwrap();
        assert!(
            (objective - want_objective).abs() <= 1e-8,
            "lambda[{k}]: objective {objective} vs {want_objective}"
        );
        // Zeros are exact where glmnet's are (fragile coefficients excepted), and `nonzero`
        // counts the tool's own list.
        let zero = reference["zero"].as_array().unwrap();
        let fragile = reference["fragile"].as_array().unwrap();
        for j in 0..coefficients.len() {
            if fragile[j] != Value::Bool(true) {
                assert_eq!(
                    coefficients[j] == 0.0,
                    zero[j] == Value::Bool(true),
                    "lambda[{k}] coefficient {j}: {}",
                    coefficients[j]
                );
            }
        }
        let own = coefficients.iter().filter(|v| **v != 0.0).count();
        assert_eq!(fit["nonzero"].as_u64(), Some(own as u64));
        if fragile.iter().all(|f| f == &Value::Bool(false)) {
            assert_eq!(
                Some(own as u64),
                reference["nonzero"].as_u64(),
                "lambda[{k}]"
            );
        }
    }
    assert!(
        worst <= 1e-6,
        "worst relative coefficient difference {worst:e}"
    );
}

#[test]
fn default_sequences_follow_glmnet_and_stop_early_like_it() {
    let dir = Dir::new();
    l1_fixture(&dir, "pima_train.csv");
    let exp = expected();
    for (alpha, key) in [
        ("1", "default_alpha1_first10"),
        ("0.5", "default_alpha05_first10"),
        ("0", "default_alpha0_first10"),
    ] {
        let mut args = vec!["path", "pima_train.csv"];
        args.extend(TARGET);
        args.extend(["--l1-ratio", alpha, "--json"]);
        let got = json_stdout(&dir, &args);
        let lambdas = numbers(&got["lambdas"]);
        let want = numbers(&exp["path"][key]);
        assert!(
            lambdas.len() >= 10 && lambdas.len() <= 100,
            "{}",
            lambdas.len()
        );
        for (g, e) in lambdas.iter().zip(&want) {
            assert!((g / e - 1.0).abs() < 1e-9, "alpha {alpha}: {g} vs {e}");
        }
        let fits = got["fits"].as_array().unwrap();
        assert_eq!(fits.len(), lambdas.len());
        // lambda_max is the smallest lambda with every coefficient at 0 (alpha > 0).
        if alpha != "0" {
            assert_eq!(fits[0]["nonzero"].as_u64(), Some(0), "alpha {alpha}");
            assert!(fits[1]["nonzero"].as_u64().unwrap() > 0, "alpha {alpha}");
        }
    }
    // glmnet returns 60 of the 100 lasso lambdas on pima (the deviance ratio stops changing).
    let mut args = vec!["path", "pima_train.csv"];
    args.extend(TARGET);
    args.push("--json");
    let got = json_stdout(&dir, &args);
    let n = got["lambdas"].as_array().unwrap().len();
    assert_eq!(n, exp["path"]["lambdas"].as_array().unwrap().len());
}

fn cv_args<'a>(config: &'a Value, alpha: &'a str, lambdas: &'a str) -> Vec<&'a str> {
    let metric = config["metric"].as_str().unwrap();
    let mut args = vec!["cv", "pima_train_folds.csv"];
    args.extend(TARGET);
    args.extend([
        "--fold-column",
        "fold",
        "--l1-ratio",
        alpha,
        "--lambdas",
        lambdas,
        "--metric",
        metric,
    ]);
    args
}

#[test]
fn cv_curves_and_choices_match_cv_glmnet_and_the_model_is_trains() {
    let dir = Dir::new();
    l1_fixture(&dir, "pima_train_folds.csv");
    l1_fixture(&dir, "pima_train.csv");
    let exp = expected();
    for (config, alpha, choose) in [
        (&exp["cv"][0], "1", "min"),
        (&exp["cv"][1], "0.5", "1se"),
        (&exp["cv"][2], "1", "min"),
    ] {
        let lambdas = numbers(&config["lambdas"]);
        let joined = list(&lambdas);
        let mut args = cv_args(config, alpha, &joined);
        args.extend(["--choose", choose, "-o", "cv.json", "--json"]);
        let got = json_stdout(&dir, &args);
        assert_eq!(numbers(&got["lambdas"]), lambdas);
        for key in ["cvm", "cvsd"] {
            for (g, e) in numbers(&got[key]).iter().zip(numbers(&config[key])) {
                assert!((g / e - 1.0).abs() < 1e-6, "{key}: {g} vs {e} ({args:?})");
            }
        }
        assert_eq!(got["lambda_min"], config["lambda_min"]);
        assert_eq!(got["lambda_1se"], config["lambda_1se"]);
        let chosen = if choose == "1se" {
            &config["lambda_1se"]
        } else {
            &config["lambda_min"]
        };
        assert_eq!(&got["chosen"], chosen);
        assert_eq!(got["folds"].as_u64(), Some(5));
        // The model is `logit train --l1 A lambda --l2 (1 - A) lambda`, byte for byte.
        let lambda = chosen.as_f64().unwrap();
        let a: f64 = alpha.parse().unwrap();
        let (l1, l2) = (
            format!("{:?}", a * lambda),
            format!("{:?}", (1.0 - a) * lambda),
        );
        let mut train = vec!["train", "pima_train.csv"];
        train.extend(TARGET);
        train.extend(["--l1", &l1, "--l2", &l2, "-o", "m.json", "-q"]);
        dir.run(&train).ok();
        let cv_model: Value = serde_json::from_str(&dir.read("cv.json")).unwrap();
        let train_model: Value = serde_json::from_str(&dir.read("m.json")).unwrap();
        assert_eq!(cv_model["fit"], train_model["fit"]);
        assert_eq!(cv_model["features"], train_model["features"]);
        assert_eq!(dir.read_bytes("cv.json"), dir.read_bytes("m.json"));
    }
}

#[test]
fn cv_with_a_fold_column_is_independent_of_the_thread_count() {
    let dir = Dir::new();
    l1_fixture(&dir, "pima_train_folds.csv");
    let exp = expected();
    let config = &exp["cv"][1];
    let lambdas = list(&numbers(&config["lambdas"]));
    let mut one = cv_args(config, "0.5", &lambdas);
    one.extend(["-o", "one.json", "--json"]);
    let mut three = cv_args(config, "0.5", &lambdas);
    three.extend(["-o", "three.json", "--json"]);
    let a = run_threads(dir.path(), &one, "1");
    let b = run_threads(dir.path(), &three, "3");
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(dir.read_bytes("one.json"), dir.read_bytes("three.json"));
}

#[test]
fn stratified_folds_are_balanced_and_fixed_by_the_seed() {
    let dir = Dir::new();
    l1_fixture(&dir, "pima_train.csv");
    let run = |seed: &str, out: &str| {
        let mut args = vec!["cv", "pima_train.csv"];
        args.extend(TARGET);
        args.extend([
            "--folds",
            "4",
            "--seed",
            seed,
            "--n-lambda",
            "8",
            "-o",
            out,
            "--json",
            "-q",
        ]);
        json_stdout(&dir, &args)
    };
    let a = run("7", "a.json");
    let b = run("7", "b.json");
    let c = run("8", "c.json");
    assert_eq!(a, b);
    assert_eq!(dir.read_bytes("a.json"), dir.read_bytes("b.json"));
    assert_ne!(a["fold_values"], c["fold_values"]);
    let sizes = numbers(&a["fold_weights"]);
    assert_eq!(sizes.iter().sum::<f64>(), 372.0);
    assert!(sizes.iter().all(|&s| s == 93.0), "{sizes:?}");
    // Deterministic lambdas: the full-data default sequence, cut by the early stop.
    assert_eq!(a["lambdas"], c["lambdas"]);
}

#[test]
fn bad_path_and_cv_options_are_refused_naming_the_flag_or_column() {
    let dir = Dir::new();
    l1_fixture(&dir, "pima_train.csv");
    l1_fixture(&dir, "pima_train_folds.csv");
    let with = |extra: &[&str]| {
        let mut args = vec![extra[0], "pima_train.csv"];
        args.extend(TARGET);
        args.extend(&extra[1..]);
        dir.run(&args)
    };
    with(&["cv", "--folds", "1", "-o", "m.json"])
        .expect_code(2)
        .stderr_has(&["--folds"]);
    with(&["path", "--lambdas", "0.1,-1"])
        .expect_code(2)
        .stderr_has(&["--lambdas"]);
    with(&["path", "--lambdas", "nan"])
        .expect_code(2)
        .stderr_has(&["--lambdas"]);
    with(&["cv", "--l1-ratio", "2", "-o", "m.json"])
        .expect_code(2)
        .stderr_has(&["--l1-ratio"]);
    with(&["cv", "--fold-column", "nope", "-o", "m.json"])
        .expect_code(2)
        .stderr_has(&["nope"]);
    with(&["path", "--multiclass", "ovr"])
        .expect_code(2)
        .stderr_has(&["--multiclass ovr"]);
    // A fold column with one value.
    let text = dir.read("pima_train_folds.csv");
    let one: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{l}\n")
            } else {
                let (head, _) = l.rsplit_once(',').unwrap();
                format!("{head},A\n")
            }
        })
        .collect();
    dir.write("one.csv", one);
    let mut args = vec!["cv", "one.csv"];
    args.extend(TARGET);
    args.extend(["--fold-column", "fold", "-o", "m.json"]);
    dir.run(&args)
        .expect_code(2)
        .stderr_has(&["fold", "at least two folds"]);
    assert!(!dir.exists("m.json"));
}

#[test]
fn path_and_cv_draw_their_charts_as_svg() {
    let dir = Dir::new();
    l1_fixture(&dir, "pima_train_folds.csv");
    let mut args = vec!["path", "pima_train_folds.csv"];
    args.extend(TARGET);
    args.extend(["--exclude", "fold", "--plot", "paths.svg", "-q"]);
    dir.run(&args).ok();
    let svg = dir.read("paths.svg");
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    for name in ["glu", "bmi", "log(lambda)", "Lasso coefficient paths"] {
        assert!(svg.contains(name), "{name}");
    }
    let mut args = vec!["cv", "pima_train_folds.csv"];
    args.extend(TARGET);
    args.extend([
        "--fold-column",
        "fold",
        "--n-lambda",
        "12",
        "-o",
        "m.json",
        "--plot",
        "cv.svg",
    ]);
    let run = dir.run(&args);
    run.ok()
        .stderr_has(&["lambda_min", "lambda_1se", "non-zero"]);
    let svg = dir.read("cv.svg");
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    for name in ["lambda_min", "lambda_1se", "deviance"] {
        assert!(svg.contains(name), "{name}");
    }
}

#[test]
fn multinomial_paths_start_at_zero_and_cv_scores_them() {
    let dir = Dir::new();
    let iris = crate::util::fixtures().join("multi").join("iris_train.csv");
    dir.write("iris.csv", std::fs::read(iris).expect("iris fixture"));
    let got = json_stdout(
        &dir,
        &[
            "path",
            "iris.csv",
            "--target",
            "Species",
            "--n-lambda",
            "20",
            "--json",
        ],
    );
    let fits = got["fits"].as_array().unwrap();
    assert_eq!(got["classes"].as_array().unwrap().len(), 3);
    // lambda_max: every coefficient 0 there, some non-zero just below it.
    assert_eq!(fits[0]["nonzero"].as_u64(), Some(0));
    assert!(fits[1]["nonzero"].as_u64().unwrap() > 0);
    let last = fits.last().unwrap();
    assert_eq!(last["intercept"].as_array().unwrap().len(), 3);
    let rows = last["coefficients"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.as_array().unwrap().len() == 4));
    let lambda_max = fits[0]["lambda"].as_f64().unwrap();
    let above = format!("{:?},{:?}", lambda_max * 1.001, lambda_max * 0.9);
    let got = json_stdout(
        &dir,
        &[
            "path",
            "iris.csv",
            "--target",
            "Species",
            "--lambdas",
            &above,
            "--json",
        ],
    );
    assert_eq!(got["fits"][0]["nonzero"].as_u64(), Some(0));
    assert!(got["fits"][1]["nonzero"].as_u64().unwrap() > 0);
    for metric in ["deviance", "roc_auc", "accuracy", "log_loss"] {
        let got = json_stdout(
            &dir,
            &[
                "cv",
                "iris.csv",
                "--target",
                "Species",
                "--folds",
                "3",
                "--n-lambda",
                "10",
                "--metric",
                metric,
                "-o",
                "m.json",
                "--json",
                "-q",
            ],
        );
        let cvm = numbers(&got["cvm"]);
        assert!(
            cvm.iter().all(|v| v.is_finite() && *v >= 0.0),
            "{metric}: {cvm:?}"
        );
    }
    let model: Value = serde_json::from_str(&dir.read("m.json")).unwrap();
    assert_eq!(model["classes"].as_array().unwrap().len(), 3);
}

#[test]
fn cv_weights_of_zero_leave_the_curve_unchanged_and_a_constant_weight_changes_nothing() {
    let dir = Dir::new();
    l1_fixture(&dir, "pima_train_folds.csv");
    let text = dir.read("pima_train_folds.csv");
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    // Every row with weight 2, plus junk rows of weight 0 spread over the folds.
    let mut weighted = format!("{header},w\n");
    for r in &rows {
        weighted.push_str(&format!("{r},2\n"));
    }
    for (i, r) in rows.iter().take(25).enumerate() {
        let cells: Vec<&str> = r.split(',').collect();
        let label = if i % 2 == 0 { "Yes" } else { "No" };
        weighted.push_str(&format!(
            "{},{},{},{},{},{},{},{label},{},0\n",
            i * 3,
            400 - i,
            5,
            90,
            70.5,
            3.0,
            99,
            cells[8]
        ));
    }
    dir.write("weighted.csv", weighted);
    let exp = expected();
    let config = &exp["cv"][0];
    let lambdas = list(&numbers(&config["lambdas"]));
    let mut plain = cv_args(config, "1", &lambdas);
    plain.extend(["-o", "a.json", "--json", "-q"]);
    let a = json_stdout(&dir, &plain);
    let mut args: Vec<&str> = cv_args(config, "1", &lambdas);
    args[1] = "weighted.csv";
    args.extend(["--weight", "w", "-o", "b.json", "--json", "-q"]);
    let b = json_stdout(&dir, &args);
    for key in ["cvm", "cvsd"] {
        for (x, y) in numbers(&a[key]).iter().zip(numbers(&b[key])) {
            assert!((x / y - 1.0).abs() < 1e-9, "{key}: {x} vs {y}");
        }
    }
    assert_eq!(a["lambda_min"], b["lambda_min"]);
    assert_eq!(a["lambda_1se"], b["lambda_1se"]);
    // Fold weights are the held-out weight sums: twice the row counts.
    assert_eq!(
        numbers(&b["fold_weights"]),
        vec![150.0, 150.0, 148.0, 148.0, 148.0]
    );
}

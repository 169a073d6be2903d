//! Issue 8 item 19: a model fitted under separation or stopped short of convergence is never
//! used silently (predict, eval, summary and threshold warn), and a single column that
//! separates the classes (completely or quasi-completely) is named by `train`.

use serde_json::Value;

use super::rng;
use crate::util::{parse_csv, Dir};

// ---------------------------------------------------------------------------------------------
// Item 19: separation and non-convergence are never used silently; one separating feature is
// named
// ---------------------------------------------------------------------------------------------

/// How the label follows the count column `actdays`.
#[derive(Clone, Copy, Debug)]
enum Rule {
    /// `y = 1` exactly when `actdays > 0` (complete separation).
    AnyDays,
    /// `y = 1` when `actdays > 3`, `0` when `actdays < 3`, either at 3 (quasi-complete).
    TiesAtThree,
    /// `y = 1` when `actdays > 0`, either at 0 (quasi-complete, the VietNamI shape).
    TiesAtZero,
}

/// VietNamI-like data: a few overlapping columns (numeric and categorical) and the count
/// `actdays`, which alone decides the label as `rule` says. Returns the CSV and the
/// (actdays, y) pairs.
fn viet_like(rule: Rule, n: usize, seed: u64) -> (String, Vec<(f64, u8)>) {
    let mut unif = rng(seed);
    let days = [0, 0, 0, 0, 0, 0, 1, 2, 3, 3, 4, 5, 7, 10, 14, 30];
    let mut csv = String::from("age,lnhhexp,sex,illdays,actdays,insurance,y\n");
    let mut pairs = Vec::new();
    for _ in 0..n {
        let age = 16.0 + (unif() * 64.0).floor();
        let lnh = 1.5 + 2.0 * unif();
        let sex = if unif() < 0.5 { "male" } else { "female" };
        let ill = (unif() * 8.0).floor();
        let act = days[(unif() * days.len() as f64) as usize];
        let coin = u8::from(unif() < 1.0 / (1.0 + (-(age - 45.0) / 10.0).exp()));
        let y = match rule {
            Rule::AnyDays => u8::from(act > 0),
            Rule::TiesAtThree => match act.cmp(&3) {
                std::cmp::Ordering::Greater => 1,
                std::cmp::Ordering::Less => 0,
                std::cmp::Ordering::Equal => coin,
            },
            Rule::TiesAtZero => {
                if act > 0 {
                    1
                } else {
                    coin
                }
            }
        };
        let insurance = u8::from(unif() < 0.6);
        csv.push_str(&format!(
            "{age},{lnh:.4},{sex},{ill},{act},{insurance},{y}\n"
        ));
        pairs.push((f64::from(act), y));
    }
    (csv, pairs)
}

/// The extreme values the warning must cite: the smallest `actdays` of the positive rows and
/// the largest of the negative rows.
fn extremes(pairs: &[(f64, u8)]) -> (f64, f64) {
    let upper_min = pairs
        .iter()
        .filter(|p| p.1 == 1)
        .map(|p| p.0)
        .fold(f64::INFINITY, f64::min);
    let lower_max = pairs
        .iter()
        .filter(|p| p.1 == 0)
        .map(|p| p.0)
        .fold(f64::NEG_INFINITY, f64::max);
    (upper_min, lower_max)
}

#[test]
fn a_single_count_feature_that_separates_quasi_completely_is_named_by_train() {
    let dir = Dir::new();
    for (rule, seed) in [
        (Rule::TiesAtThree, 11),
        (Rule::TiesAtZero, 12),
        (Rule::AnyDays, 13),
    ] {
        let (csv, pairs) = viet_like(rule, 600, seed);
        let (upper_min, lower_max) = extremes(&pairs);
        // The data are as intended: the classes meet at the cut, or (AnyDays) do not meet.
        match rule {
            Rule::TiesAtThree => assert_eq!((upper_min, lower_max), (3.0, 3.0)),
            Rule::TiesAtZero => assert_eq!((upper_min, lower_max), (0.0, 0.0)),
            Rule::AnyDays => assert_eq!((upper_min, lower_max), (1.0, 0.0)),
        }
        dir.write("v.csv", csv);
        for standardise in [true, false] {
            for solver in ["lbfgs", "newton", "gd", "linfa"] {
                let mut args = vec![
                    "train",
                    "v.csv",
                    "--target",
                    "y",
                    "--positive",
                    "1",
                    "--solver",
                    solver,
                    "-o",
                    "m.json",
                    "-q",
                ];
                if !standardise {
                    args.push("--no-standardize");
                }
                let run = dir.run(&args);
                let what = format!("{rule:?}, standardise {standardise}, {solver}");
                run.ok();
                let kind = if matches!(rule, Rule::AnyDays) {
                    "complete separation: feature \"actdays\" alone separates the classes ("
                } else {
                    "quasi-complete separation: feature \"actdays\" alone separates the classes quasi-completely ("
                };
                let claim = format!(
                    "every \"1\" row has \"actdays\" >= {upper_min} and every \"0\" row \"actdays\" <= {lower_max}"
                );
                let err = run.stderr();
                assert!(err.contains(kind) && err.contains(&claim), "{what}: {err}");
                let model: Value = serde_json::from_str(&dir.read("m.json")).unwrap();
                assert_eq!(model["fit"]["stop_reason"], "separation", "{what}");
                assert_eq!(model["fit"]["converged"], false, "{what}");
            }
        }
    }
}

#[test]
fn without_intercept_a_column_separates_alone_only_at_zero() {
    let dir = Dir::new();
    // Ties at 0: every positive row has actdays >= 0 and every negative one actdays = 0, so
    // actdays alone separates even without an intercept.
    let (csv, _) = viet_like(Rule::TiesAtZero, 400, 21);
    dir.write("zero.csv", csv);
    let run = dir.run(&[
        "train",
        "zero.csv",
        "--target",
        "y",
        "--no-intercept",
        "-o",
        "m.json",
        "-q",
    ]);
    run.ok().stderr_has(&[
        "feature \"actdays\" alone separates the classes quasi-completely (every \"1\" row has \"actdays\" >= 0 and every \"0\" row \"actdays\" <= 0)",
    ]);
    // Ties at 3: without an intercept nothing can move the cut from 0, so actdays is not named
    // (the data may still be separated by a combination of columns).
    let (csv, _) = viet_like(Rule::TiesAtThree, 400, 22);
    dir.write("three.csv", csv);
    let run = dir.run(&[
        "train",
        "three.csv",
        "--target",
        "y",
        "--no-intercept",
        "-o",
        "m.json",
        "-q",
    ]);
    assert!(
        !run.ok().stderr().contains("alone separates"),
        "{}",
        run.stderr()
    );
}

/// The one warning line, or a failure showing the whole stderr.
fn the_warning(stderr: &str, model: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("logit: warning:"))
        .collect();
    assert_eq!(lines.len(), 1, "one warning expected: {stderr}");
    assert!(
        lines[0].starts_with(&format!("logit: warning: {model}: ")),
        "{stderr}"
    );
    lines[0].to_string()
}

#[test]
fn predict_eval_summary_and_threshold_warn_on_stderr_about_a_model_fitted_under_separation() {
    let dir = Dir::new();
    let (csv, pairs) = viet_like(Rule::TiesAtZero, 300, 31);
    dir.write("v.csv", &csv);
    dir.run(&[
        "train", "v.csv", "--target", "y", "--l2", "0", "-o", "sep.json", "-q",
    ])
    .ok();

    // predict: stdout is the data only, the warning one line on stderr.
    let run = dir.run(&["predict", "sep.json", "v.csv"]);
    run.ok();
    let warning = the_warning(&run.stderr(), "sep.json");
    assert!(
        warning.contains("separat") && warning.contains("--l2 > 0"),
        "{warning}"
    );
    let (header, rows) = parse_csv(&run.stdout());
    assert_eq!(header, ["probability", "prediction"]);
    assert_eq!(rows.len(), pairs.len());
    assert!(!run.stdout().contains("warning"));
    // The same to a file.
    let run = dir.run(&["predict", "sep.json", "v.csv", "-o", "p.csv"]);
    run.ok();
    the_warning(&run.stderr(), "sep.json");
    assert!(run.stdout().is_empty());

    // eval, text and JSON: the report on stdout is unchanged by the warning.
    let run = dir.run(&["eval", "sep.json", "v.csv"]);
    the_warning(&run.ok().stderr(), "sep.json");
    assert!(
        run.stdout().starts_with("positive label \"1\""),
        "{}",
        run.stdout()
    );
    assert!(!run.stdout().contains("warning"));
    let run = dir.run(&["eval", "sep.json", "v.csv", "--json"]);
    the_warning(&run.ok().stderr(), "sep.json");
    let json: Value = serde_json::from_str(&run.stdout()).expect("stdout is only the JSON");
    assert_eq!(json["n"].as_u64(), Some(pairs.len() as u64));

    // summary (text and JSON) and threshold.
    for args in [
        &["summary", "sep.json"][..],
        &["summary", "sep.json", "--json"],
    ] {
        let run = dir.run(args);
        the_warning(&run.ok().stderr(), "sep.json");
        assert!(!run.stdout().contains("logit: warning"));
    }
    let run = dir.run(&[
        "threshold",
        "sep.json",
        "v.csv",
        "--pick",
        "f1",
        "-o",
        "t.json",
        "-q",
    ]);
    the_warning(&run.ok().stderr(), "sep.json");

    // An error stays the only line on stderr (the run failed; the warning would be noise).
    dir.write(
        "bad.csv",
        "age,lnhhexp,sex,illdays,actdays,insurance,y\n30,2.1,male,1,x,0,1\n",
    );
    for command in ["predict", "eval"] {
        dir.run(&[command, "sep.json", "bad.csv"])
            .expect_code(2)
            .stderr_has(&["bad.csv", "actdays"]);
    }

    // A gate still decides the exit code; the warning does not change it.
    dir.run(&["eval", "sep.json", "v.csv", "--min", "roc_auc=1.01"])
        .expect_code(1);
}

#[test]
fn a_model_that_did_not_converge_is_flagged_and_a_converged_one_is_not() {
    let dir = Dir::new();
    dir.fixture("pima_train.csv").fixture("pima_test.csv");
    let train = |extra: &[&str], out: &str| {
        let mut args = vec![
            "train",
            "pima_train.csv",
            "--target",
            "type",
            "--positive",
            "Yes",
            "-o",
            out,
            "-q",
        ];
        args.extend(extra);
        dir.run(&args).ok();
    };
    train(&["--max-iter", "2"], "capped.json");
    train(&[], "good.json");
    let capped: Value = serde_json::from_str(&dir.read("capped.json")).unwrap();
    assert_eq!(capped["fit"]["stop_reason"], "max_iterations");
    for args in [
        vec!["predict", "capped.json", "pima_test.csv"],
        vec!["eval", "capped.json", "pima_test.csv", "--json"],
        vec!["summary", "capped.json"],
    ] {
        let run = dir.run(&args);
        let warning = the_warning(&run.ok().stderr(), "capped.json");
        assert!(
            warning.contains("did not converge") && warning.contains("\"max_iterations\""),
            "{warning}"
        );
        assert!(!run.stdout().contains("warning"));
    }
    for args in [
        vec!["predict", "good.json", "pima_test.csv"],
        vec!["eval", "good.json", "pima_test.csv"],
        vec!["summary", "good.json"],
    ] {
        assert_eq!(dir.run(&args).ok().stderr(), "", "{args:?}");
    }
}

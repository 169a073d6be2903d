//! Threshold choice and calibration: `eval --thresholds / --grid / --pick / --calibration`,
//! `logit threshold` and `train --pick-threshold --validation`.
//!
//! Reference numbers: a model trained on fixtures/pima_train.csv with `--l2 0`, scored on
//! fixtures/pima_test.csv (160 rows, 53 "Yes"). They were computed independently, with exact
//! fractions and brute force over every distinct probability, by
//! `tests/fixtures/thresholds_reference.py` from the probabilities `logit predict` wrote
//! (see the script's docstring for the commands). Counts must match exactly; thresholds and
//! rates to 1e-9, since the thresholds are the model's own probabilities and the fit is only
//! reproducible to the solver tolerance (the numbers agree with scikit-learn's fit to ~1e-9).

use serde_json::Value;

use crate::util::{column_f64, parse_csv, Dir};

/// (threshold, tp, fp, tn, fn, the rule's own value) from thresholds_reference.py.
const F1_BEST: (f64, u64, u64, u64, u64, f64) =
    (0.309801976481734, 44, 23, 84, 9, 0.7333333333333333);
const YOUDEN_BEST: (f64, u64, u64, u64, u64, f64) =
    (0.30217702606255137, 45, 25, 82, 8, 0.6154117439605008);
/// precision>=0.8: the highest recall (23/53) among thresholds with precision >= 0.8.
const PRECISION_80: (f64, u64, u64, u64, u64, f64) =
    (0.5935650007769582, 23, 5, 102, 30, 0.8214285714285714);
/// recall>=0.9: the highest precision (48/97) among thresholds with recall >= 0.9.
const RECALL_90: (f64, u64, u64, u64, u64, f64) =
    (0.17361564369743723, 48, 49, 58, 5, 0.4948453608247423);
/// Counts (tp, fp, tn, fn) at grid thresholds.
const GRID_COUNTS: [(f64, [u64; 4]); 4] = [
    (0.05, [53, 88, 19, 0]),
    (0.3, [45, 26, 81, 8]),
    (0.5, [29, 13, 94, 24]),
    (0.95, [2, 0, 107, 51]),
];
/// Reliability table, 10 equal-width bins: (count, positives, mean predicted, observed rate).
const BINS: [(u64, u64, f64, f64); 10] = [
    (41, 2, 0.05355274893128046, 0.04878048780487805),
    (34, 5, 0.15372145795644782, 0.14705882352941177),
    (14, 1, 0.25339960071844037, 0.07142857142857142),
    (19, 10, 0.3416328156740095, 0.5263157894736842),
    (10, 6, 0.4474238908247555, 0.6),
    (15, 7, 0.5503203409199913, 0.4666666666666667),
    (3, 1, 0.6465973842339507, 0.3333333333333333),
    (13, 11, 0.7422093666823861, 0.8461538461538461),
    (5, 5, 0.8520370549410239, 1.0),
    (6, 5, 0.9454125086090711, 0.8333333333333334),
];
const ECE: f64 = 0.08101680973303851;
const MCE: f64 = 0.3132640509006174;
const BASE_RATE: f64 = 0.33125;
const MEAN_PREDICTED: f64 = 0.32319392782841194;

const TOL: f64 = 1e-9;

fn close(got: &Value, want: f64, what: &str) {
    let g = got
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: not a number: {got}"));
    assert!((g - want).abs() <= TOL, "{what}: {g} vs {want}");
}

/// A directory with the pima splits and `m.json` trained on pima_train with --l2 0.
fn pima() -> Dir {
    let dir = Dir::new();
    dir.fixture("pima_train.csv").fixture("pima_test.csv");
    dir.run(&[
        "train",
        "pima_train.csv",
        "--target",
        "type",
        "--l2",
        "0",
        "-o",
        "m.json",
        "-q",
    ])
    .ok();
    dir
}

fn json(dir: &Dir, args: &[&str]) -> Value {
    let run = dir.run(args);
    serde_json::from_str(&run.ok().stdout()).expect("one JSON object")
}

/// Checks a point object against (threshold, tp, fp, tn, fn) and the named rate.
fn check_point(p: &Value, want: (f64, u64, u64, u64, u64, f64), rate: &str, what: &str) {
    close(&p["threshold"], want.0, &format!("{what} threshold"));
    let counts = [&p["tp"], &p["fp"], &p["tn"], &p["fn"]].map(|v| v.as_u64().unwrap_or(u64::MAX));
    assert_eq!(counts, [want.1, want.2, want.3, want.4], "{what} counts");
    close(&p[rate], want.5, &format!("{what} {rate}"));
}

#[test]
fn eval_thresholds_json_matches_the_independent_reference() {
    let dir = pima();
    let got = json(
        &dir,
        &["eval", "m.json", "pima_test.csv", "--thresholds", "--json"],
    );
    // The default grid: 0.05, 0.10, ..., 0.95.
    let rows = got["thresholds"].as_array().expect("thresholds array");
    assert_eq!(rows.len(), 19);
    for (k, row) in rows.iter().enumerate() {
        close(&row["threshold"], 0.05 * (k + 1) as f64, "grid threshold");
        for key in ["precision", "recall", "f1", "specificity", "youden_j"] {
            assert!(row[key].is_number(), "{key} in {row}");
        }
        let n: u64 = ["tp", "fp", "tn", "fn"]
            .iter()
            .map(|k| row[*k].as_u64().unwrap())
            .sum();
        assert_eq!(n, 160);
    }
    for (t, want) in GRID_COUNTS {
        let row = rows
            .iter()
            .find(|r| (r["threshold"].as_f64().unwrap() - t).abs() < 1e-12)
            .unwrap();
        let counts = [&row["tp"], &row["fp"], &row["tn"], &row["fn"]].map(|v| v.as_u64().unwrap());
        assert_eq!(counts, want, "counts at {t}");
    }
    // The optima are over every distinct probability, not only the grid.
    check_point(&got["best_thresholds"]["f1"], F1_BEST, "f1", "best f1");
    check_point(
        &got["best_thresholds"]["youden"],
        YOUDEN_BEST,
        "youden_j",
        "best youden",
    );
    // The top-level metrics are still at the model's threshold.
    assert_eq!(got["threshold"], 0.5);
    assert_eq!(got["tp"], 29);
}

#[test]
fn grid_counts_agree_with_eval_at_that_threshold() {
    let dir = pima();
    let got = json(
        &dir,
        &[
            "eval",
            "m.json",
            "pima_test.csv",
            "--thresholds",
            "--grid",
            "0.25,0.6",
            "--json",
        ],
    );
    let rows = got["thresholds"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for row in rows {
        let t = row["threshold"].as_f64().unwrap().to_string();
        let single = json(
            &dir,
            &[
                "eval",
                "m.json",
                "pima_test.csv",
                "--threshold",
                &t,
                "--json",
            ],
        );
        for key in [
            "tp",
            "fp",
            "tn",
            "fn",
            "precision",
            "recall",
            "f1",
            "specificity",
        ] {
            assert_eq!(row[key], single[key], "{key} at {t}");
        }
    }
}

#[test]
fn grid_all_lists_every_distinct_probability_ascending() {
    let dir = pima();
    let got = json(
        &dir,
        &[
            "eval",
            "m.json",
            "pima_test.csv",
            "--thresholds",
            "--grid",
            "all",
            "--json",
        ],
    );
    let ts: Vec<f64> = got["thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["threshold"].as_f64().unwrap())
        .collect();
    assert_eq!(ts.len(), 160);
    assert!(ts.windows(2).all(|w| w[0] < w[1]));
    // Each is exactly a probability `predict` writes for some row.
    let scored = dir
        .run(&["predict", "m.json", "pima_test.csv"])
        .ok()
        .stdout();
    let mut probs = column_f64(&scored, "probability");
    probs.sort_by(f64::total_cmp);
    assert_eq!(ts, probs);
    // At the lowest cut point everything is predicted positive.
    let first = &got["thresholds"][0];
    assert_eq!(
        (first["tp"].as_u64(), first["fp"].as_u64()),
        (Some(53), Some(107))
    );
}

#[test]
fn pick_rules_match_the_reference_and_reproduce_with_threshold() {
    let dir = pima();
    for (rule, want, rate) in [
        ("f1", F1_BEST, "f1"),
        ("youden", YOUDEN_BEST, "youden_j"),
        ("precision>=0.8", PRECISION_80, "precision"),
        ("recall>=0.9", RECALL_90, "precision"),
    ] {
        let got = json(
            &dir,
            &["eval", "m.json", "pima_test.csv", "--pick", rule, "--json"],
        );
        let pick = &got["pick"];
        assert_eq!(pick["rule"], rule);
        check_point(pick, want, rate, rule);
        // The printed threshold round-trips: eval at it gives the same counts.
        let t = pick["threshold"].as_f64().unwrap().to_string();
        let again = json(
            &dir,
            &[
                "eval",
                "m.json",
                "pima_test.csv",
                "--threshold",
                &t,
                "--json",
            ],
        );
        assert_eq!(
            [&again["tp"], &again["fp"]],
            [&pick["tp"], &pick["fp"]],
            "{rule}"
        );
    }
}

#[test]
fn text_report_names_the_optima_and_the_pick() {
    let dir = pima();
    let out = dir
        .run(&[
            "eval",
            "m.json",
            "pima_test.csv",
            "--thresholds",
            "--pick",
            "recall>=0.9",
        ])
        .ok()
        .stdout();
    assert!(out.contains("threshold  precision  recall"), "{out}");
    assert!(out.contains("max f1       threshold 0.3098019764"), "{out}");
    assert!(out.contains("max youden   threshold 0.3021770260"), "{out}");
    assert!(
        out.contains("pick recall>=0.9 threshold 0.1736156436"),
        "{out}"
    );
    assert!(
        out.contains("over all 160 distinct predicted probabilities"),
        "{out}"
    );
}

#[test]
fn calibration_json_and_text_match_the_reference() {
    let dir = pima();
    let got = json(&dir, &["eval", "m.json", "pima_test.csv", "--json"]);
    let cal = &got["calibration"];
    close(&cal["ece"], ECE, "ece");
    close(&cal["mce"], MCE, "mce");
    close(&cal["base_rate"], BASE_RATE, "base rate");
    close(&cal["mean_predicted"], MEAN_PREDICTED, "mean predicted");
    assert_eq!(cal["n"], 160);
    let bins = cal["bins"].as_array().unwrap();
    assert_eq!(bins.len(), 10);
    for (b, (bin, want)) in bins.iter().zip(BINS).enumerate() {
        close(&bin["lower"], b as f64 / 10.0, "lower");
        close(&bin["upper"], (b + 1) as f64 / 10.0, "upper");
        assert_eq!(
            (bin["count"].as_u64(), bin["n_positive"].as_u64()),
            (Some(want.0), Some(want.1)),
            "bin {b}"
        );
        close(&bin["mean_predicted"], want.2, &format!("bin {b} mean"));
        close(&bin["observed_rate"], want.3, &format!("bin {b} rate"));
    }
    // Text: the summary line always, the table with --calibration.
    let out = dir.run(&["eval", "m.json", "pima_test.csv"]).ok().stdout();
    assert!(
        out.contains("calibration: ECE 0.081017 over 10 equal-width bins (MCE 0.313264)"),
        "{out}"
    );
    assert!(
        out.contains("base rate 0.331250 vs mean predicted probability 0.323194"),
        "{out}"
    );
    assert!(!out.contains("[0.9, 1.0]"), "{out}");
    let out = dir
        .run(&["eval", "m.json", "pima_test.csv", "--calibration"])
        .ok()
        .stdout();
    assert!(
        out.contains("[0.0, 0.1)") && out.contains("[0.9, 1.0]"),
        "{out}"
    );
    let row = out.lines().find(|l| l.starts_with("[0.3, 0.4)")).unwrap();
    assert_eq!(
        row.split_whitespace().collect::<Vec<_>>()[2..].to_vec(),
        ["19", "10", "0.3416", "0.5263", "0.1847"]
    );
}

#[test]
fn empty_calibration_bins_are_null() {
    // A tiny model whose test probabilities all fall in a few bins.
    let dir = tiny();
    let got = json(&dir, &["eval", "t.json", "test.csv", "--json"]);
    let bins = got["calibration"]["bins"].as_array().unwrap();
    let empty = bins.iter().find(|b| b["count"] == 0).expect("an empty bin");
    assert!(empty["mean_predicted"].is_null() && empty["observed_rate"].is_null());
}

/// A model on one feature, and test data whose highest-scored row is negative (so no threshold
/// reaches precision 0.9) plus a test file with negative rows only.
fn tiny() -> Dir {
    let dir = Dir::new();
    let mut train = String::from("x,y\n");
    for (x, y) in [
        (0, 0),
        (1, 0),
        (2, 0),
        (3, 1),
        (4, 0),
        (5, 1),
        (6, 0),
        (7, 1),
        (8, 1),
        (9, 1),
    ] {
        train += &format!("{x},{y}\n");
    }
    dir.write("train.csv", train);
    dir.write("test.csv", "x,y\n9,0\n1,1\n2,0\n8,1\n");
    dir.write("neg.csv", "x,y\n9,0\n1,0\n");
    dir.run(&["train", "train.csv", "--target", "y", "-o", "t.json", "-q"])
        .ok();
    dir
}

#[test]
fn unsatisfiable_or_undefined_picks_are_one_line_errors() {
    let dir = tiny();
    dir.run(&["eval", "t.json", "test.csv", "--pick", "precision>=0.9"])
        .expect_code(2)
        .stderr_has(&[
            "test.csv",
            "precision>=0.9",
            "no threshold reaches precision >= 0.9",
            "highest precision is 0.5",
        ]);
    dir.run(&["eval", "t.json", "neg.csv", "--pick", "f1"])
        .expect_code(2)
        .stderr_has(&["no positive rows"]);
    // Without --pick, one class is fine: the optima are just undefined.
    let got = json(
        &dir,
        &["eval", "t.json", "neg.csv", "--thresholds", "--json"],
    );
    assert!(got["best_thresholds"]["f1"].is_null() && got["best_thresholds"]["youden"].is_null());
    // Bad rules and grids are usage errors naming the flag.
    dir.run(&["eval", "t.json", "test.csv", "--pick", "accuracy>=0.5"])
        .expect_code(2)
        .stderr_has(&["--pick", "f1, youden, precision>=X or recall>=X"]);
    dir.run(&[
        "eval",
        "t.json",
        "test.csv",
        "--thresholds",
        "--grid",
        "0.7",
    ])
    .expect_code(2)
    .stderr_has(&["--grid", "[0.0001, 0.5]"]);
    dir.run(&["eval", "t.json", "test.csv", "--grid", "0.1"])
        .expect_code(2)
        .stderr_has(&["--thresholds"]);
}

#[test]
fn threshold_command_writes_a_copy_that_predict_and_eval_use() {
    let dir = pima();
    let run = dir.run(&[
        "threshold",
        "m.json",
        "pima_test.csv",
        "--pick",
        "f1",
        "-o",
        "tuned.json",
    ]);
    run.ok().stderr_has(&[
        "threshold chosen by f1 on pima_test.csv",
        "it was 0.5",
        "model written to tuned.json",
    ]);
    let before: Value = serde_json::from_str(&dir.read("m.json")).unwrap();
    let after: Value = serde_json::from_str(&dir.read("tuned.json")).unwrap();
    close(&after["threshold"], F1_BEST.0, "stored threshold");
    assert_eq!(before["threshold"], 0.5, "the input model is untouched");
    // Only the threshold line differs.
    let (a, b) = (dir.read("m.json"), dir.read("tuned.json"));
    let diff: Vec<(&str, &str)> = a.lines().zip(b.lines()).filter(|(x, y)| x != y).collect();
    assert_eq!(a.lines().count(), b.lines().count());
    assert_eq!(diff.len(), 1, "{diff:?}");
    assert!(
        diff[0].1.trim_start().starts_with("\"threshold\":"),
        "{diff:?}"
    );
    // eval and predict use it by default.
    let got = json(&dir, &["eval", "tuned.json", "pima_test.csv", "--json"]);
    assert_eq!(got["threshold"], after["threshold"]);
    assert_eq!(
        [got["tp"].as_u64(), got["fp"].as_u64()],
        [Some(F1_BEST.1), Some(F1_BEST.2)]
    );
    let (_, rows) = parse_csv(
        &dir.run(&["predict", "tuned.json", "pima_test.csv"])
            .ok()
            .stdout(),
    );
    let yes = rows.iter().filter(|r| r[1] == "Yes").count() as u64;
    assert_eq!(yes, F1_BEST.1 + F1_BEST.2);
}

#[test]
fn threshold_command_may_replace_the_model_but_never_the_data() {
    let dir = pima();
    dir.run(&[
        "threshold",
        "m.json",
        "pima_test.csv",
        "--pick",
        "youden",
        "-o",
        "m.json",
        "-q",
    ])
    .ok();
    let m: Value = serde_json::from_str(&dir.read("m.json")).unwrap();
    close(&m["threshold"], YOUDEN_BEST.0, "in-place threshold");
    let data = dir.read("pima_test.csv");
    let listing = dir.listing();
    dir.run(&[
        "threshold",
        "m.json",
        "pima_test.csv",
        "--pick",
        "f1",
        "-o",
        "./pima_test.csv",
    ])
    .expect_code(2)
    .stderr_has(&["pima_test.csv", "same file as input"]);
    assert_eq!(dir.read("pima_test.csv"), data);
    assert_eq!(dir.listing(), listing);
    // -o is required.
    dir.run(&["threshold", "m.json", "pima_test.csv", "--pick", "f1"])
        .expect_code(2)
        .stderr_has(&["--output"]);
}

#[test]
fn failed_threshold_command_leaves_files_alone() {
    let dir = tiny();
    dir.write("out.json", "OLD");
    let listing = dir.listing();
    dir.run(&[
        "threshold",
        "t.json",
        "test.csv",
        "--pick",
        "precision>=0.9",
        "-o",
        "out.json",
    ])
    .expect_code(2)
    .stderr_has(&["no threshold reaches precision >= 0.9"]);
    assert_eq!(dir.read("out.json"), "OLD");
    dir.run(&[
        "threshold",
        "t.json",
        "missing.csv",
        "--pick",
        "f1",
        "-o",
        "new.json",
    ])
    .expect_code(2)
    .stderr_has(&["missing.csv"]);
    assert_eq!(dir.listing(), listing);
}

#[test]
fn train_pick_threshold_on_validation_data() {
    let dir = pima();
    let run = dir.run(&[
        "train",
        "pima_train.csv",
        "--target",
        "type",
        "--l2",
        "0",
        "-o",
        "v.json",
        "--pick-threshold",
        "recall>=0.9",
        "--validation",
        "pima_test.csv",
    ]);
    run.ok()
        .stderr_has(&["threshold chosen by recall>=0.9 on pima_test.csv"]);
    let v: Value = serde_json::from_str(&dir.read("v.json")).unwrap();
    close(&v["threshold"], RECALL_90.0, "trained threshold");
    // Exactly what `logit threshold` picks on the same model.
    dir.run(&[
        "threshold",
        "m.json",
        "pima_test.csv",
        "--pick",
        "recall>=0.9",
        "-o",
        "t.json",
        "-q",
    ])
    .ok();
    let t: Value = serde_json::from_str(&dir.read("t.json")).unwrap();
    assert_eq!(v["threshold"], t["threshold"]);
    // The validation file is an input: -o may not overwrite it; and the flags go together.
    let data = dir.read("pima_test.csv");
    dir.run(&[
        "train",
        "pima_train.csv",
        "--target",
        "type",
        "-o",
        "pima_test.csv",
        "--pick-threshold",
        "f1",
        "--validation",
        "pima_test.csv",
    ])
    .expect_code(2)
    .stderr_has(&["same file as input"]);
    assert_eq!(dir.read("pima_test.csv"), data);
    dir.run(&[
        "train",
        "pima_train.csv",
        "--target",
        "type",
        "--pick-threshold",
        "f1",
    ])
    .expect_code(2)
    .stderr_has(&["--validation"]);
    dir.run(&[
        "train",
        "pima_train.csv",
        "--target",
        "type",
        "--pick-threshold",
        "f1",
        "--validation",
        "pima_test.csv",
        "--threshold",
        "0.3",
    ])
    .expect_code(2)
    .stderr_has(&["--threshold"]);
}

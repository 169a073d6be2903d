//! Error paths: exit 2, one line naming file, line and column, and nothing clobbered.

use crate::util::Dir;

const OLD: &str = "OLD MODEL - a failed run must leave these bytes alone\n";

/// A directory with a small training file and an existing model file that must survive.
fn setup() -> Dir {
    let dir = Dir::new();
    let mut csv = String::from("a,b,y\n");
    for i in 0..30 {
        csv += &format!(
            "{},{},{}\n",
            i as f64 / 7.0,
            (i * 13 % 17) as f64,
            (i * 5 % 3 == 0) as u8
        );
    }
    dir.write("train.csv", csv);
    dir.write("model.json", OLD);
    dir
}

/// Runs a failing train and checks exit 2, the message words, and that model.json is untouched
/// with no stray files.
fn train_fails(dir: &Dir, args: &[&str], words: &[&str]) {
    let before = dir.listing();
    let mut full = vec!["train"];
    full.extend_from_slice(args);
    dir.run(&full).expect_code(2).stderr_has(words);
    assert_eq!(dir.read("model.json"), OLD, "the old model was clobbered");
    assert_eq!(dir.listing(), before, "a failed run left files behind");
}

#[test]
fn non_numeric_cell_names_file_line_column_and_value() {
    let dir = setup();
    dir.write("bad.csv", "a,b,y\n1,2,0\n3,4,1\n5,abc,0\n");
    train_fails(
        &dir,
        &["bad.csv", "--target", "y", "-o", "model.json"],
        &["bad.csv", "line 4", "\"b\"", "\"abc\""],
    );
}

#[test]
fn missing_cell_and_non_finite_values_are_refused() {
    let dir = setup();
    dir.write("empty.csv", "a,b,y\n1,2,0\n3,,1\n");
    train_fails(
        &dir,
        &["empty.csv", "--target", "y", "-o", "model.json"],
        &["line 3", "\"b\"", "empty"],
    );
    for bad in ["inf", "-inf", "1e400", "nan"] {
        dir.write("nf.csv", format!("a,b,y\n1,2,0\n3,{bad},1\n"));
        train_fails(
            &dir,
            &["nf.csv", "--target", "y", "-o", "model.json"],
            &["line 3", "\"b\"", "finite"],
        );
    }
    // "NaN" is one of the default missing-value markers.
    dir.write("nan.csv", "a,b,y\n1,2,0\n3,NaN,1\n");
    train_fails(
        &dir,
        &["nan.csv", "--target", "y", "-o", "model.json"],
        &["line 3", "\"b\"", "missing-value marker"],
    );
}

#[test]
fn label_errors_name_the_target_column() {
    let dir = setup();
    dir.write("one.csv", "a,y\n1,1\n2,1\n");
    train_fails(
        &dir,
        &["one.csv", "--target", "y", "-o", "model.json"],
        &["one.csv", "\"y\"", "two classes"],
    );
    dir.write("three.csv", "a,y\n1,yes\n2,no\n3,Yes\n");
    train_fails(
        &dir,
        &["three.csv", "--target", "y", "-o", "model.json"],
        &["line 4", "\"Yes\"", "letter case"],
    );
    dir.write("pets.csv", "a,y\n1,cat\n2,dog\n");
    train_fails(
        &dir,
        &["pets.csv", "--target", "y", "-o", "model.json"],
        &["\"cat\"", "\"dog\"", "--positive"],
    );
    train_fails(
        &dir,
        &[
            "train.csv",
            "--target",
            "y",
            "--positive",
            "maybe",
            "-o",
            "model.json",
        ],
        &["\"maybe\""],
    );
    train_fails(
        &dir,
        &["train.csv", "--target", "nope", "-o", "model.json"],
        &["train.csv", "\"nope\""],
    );
}

#[test]
fn column_selection_errors_name_the_column() {
    let dir = setup();
    train_fails(
        &dir,
        &[
            "train.csv",
            "--target",
            "y",
            "--features",
            "a,zz",
            "-o",
            "model.json",
        ],
        &["\"zz\""],
    );
    train_fails(
        &dir,
        &[
            "train.csv",
            "--target",
            "y",
            "--features",
            "a,y",
            "-o",
            "model.json",
        ],
        &["\"y\""],
    );
    dir.write("dup.csv", "a,a,y\n1,2,0\n3,4,1\n");
    train_fails(
        &dir,
        &["dup.csv", "--target", "y", "-o", "model.json"],
        &["dup.csv", "\"a\"", "more than once"],
    );
}

#[test]
fn malformed_files_are_refused_with_their_line() {
    let dir = setup();
    dir.write("ragged.csv", "a,b,y\n1,2,0\n3,1\n");
    train_fails(
        &dir,
        &["ragged.csv", "--target", "y", "-o", "model.json"],
        &["ragged.csv", "line 3"],
    );
    dir.write("latin1.csv", b"a,c,y\n1,x,0\n2,caf\xe9,1\n".as_slice());
    train_fails(
        &dir,
        &["latin1.csv", "--target", "y", "-o", "model.json"],
        &["latin1.csv", "line 3", "UTF-8"],
    );
    dir.write("empty.csv", "");
    train_fails(
        &dir,
        &["empty.csv", "--target", "y", "-o", "model.json"],
        &["empty.csv", "empty"],
    );
    dir.write("header.csv", "a,b,y\n");
    train_fails(
        &dir,
        &["header.csv", "--target", "y", "-o", "model.json"],
        &["header.csv", "no data rows"],
    );
    train_fails(
        &dir,
        &["missing.csv", "--target", "y", "-o", "model.json"],
        &["missing.csv"],
    );
}

#[test]
fn bad_option_values_are_usage_errors() {
    let dir = setup();
    for (args, word) in [
        (&["--l2", "-1"][..], "l2"),
        (&["--l2", "nan"][..], "l2"),
        (&["--threshold", "1.5"][..], "threshold"),
        (&["--max-iter", "0"][..], "max-iter"),
        (&["--tol", "-1"][..], "tol"),
        (&["--solver", "sgd"][..], "solver"),
    ] {
        let mut full = vec!["train", "train.csv", "--target", "y", "-o", "model.json"];
        full.extend_from_slice(args);
        let run = dir.run(&full);
        assert_eq!(run.code(), 2, "{args:?}: {}", run.stderr());
        assert!(run.stderr().contains(word), "{args:?}: {}", run.stderr());
        assert_eq!(dir.read("model.json"), OLD);
    }
    dir.run(&["predict", "model.json", "train.csv", "--threshold", "nan"])
        .expect_code(2);
}

#[test]
fn output_paths_that_would_lose_data_are_refused() {
    let dir = setup();
    train_fails(
        &dir,
        &["train.csv", "--target", "y", "-o", "no_such_dir/model.json"],
        &["no_such_dir"],
    );
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let before = dir.read("train.csv");
    dir.run(&[
        "train",
        "train.csv",
        "--target",
        "y",
        "-o",
        "./sub/../train.csv",
    ])
    .expect_code(2)
    .stderr_has(&["same file"]);
    assert_eq!(dir.read("train.csv"), before);
    dir.run(&["train", "train.csv", "--target", "y", "-o", "m2.json", "-q"])
        .ok();
    dir.run(&["predict", "m2.json", "train.csv", "-o", "train.csv"])
        .expect_code(2);
    assert_eq!(dir.read("train.csv"), before);
}

#[test]
fn failed_predict_leaves_the_old_output_and_no_partial_file() {
    let dir = setup();
    dir.run(&["train", "train.csv", "--target", "y", "-o", "m.json", "-q"])
        .ok();
    dir.write("out.csv", "OLD OUTPUT\n");
    let mut csv = String::from("a,b\n");
    for i in 0..5000 {
        csv += &format!("{},{}\n", i, i % 7);
    }
    csv += "1,high\n";
    dir.write("score.csv", csv);
    let before = dir.listing();
    dir.run(&["predict", "m.json", "score.csv", "-o", "out.csv"])
        .expect_code(2)
        .stderr_has(&["score.csv", "line 5002", "\"b\"", "\"high\""]);
    assert_eq!(dir.read("out.csv"), "OLD OUTPUT\n");
    assert_eq!(dir.listing(), before);
}

#[test]
fn predict_lists_every_missing_column_and_unseen_category() {
    let dir = Dir::new();
    dir.write("t.csv", "a,c,y\n1,red,0\n2,blue,1\n3,red,1\n4,blue,0\n");
    dir.run(&[
        "train", "t.csv", "--target", "y", "--l2", "1", "-o", "m.json", "-q",
    ])
    .ok();
    dir.write("x.csv", "z\n1\n");
    dir.run(&["predict", "m.json", "x.csv"])
        .expect_code(2)
        .stderr_has(&["x.csv", "\"a\", \"c\""]);
    dir.write("g.csv", "a,c\n1,red\n2,green\n");
    dir.run(&["predict", "m.json", "g.csv"])
        .expect_code(2)
        .stderr_has(&["g.csv", "line 3", "\"c\"", "\"green\""]);
}

#[test]
fn damaged_model_files_are_refused_naming_the_file() {
    let dir = setup();
    dir.run(&[
        "train",
        "train.csv",
        "--target",
        "y",
        "-o",
        "good.json",
        "-q",
    ])
    .ok();
    let good = dir.read("good.json");
    dir.write("trunc.json", &good[..good.len() / 2]);
    dir.write("empty.json", "");
    dir.write("obj.json", "{}");
    dir.write(
        "v999.json",
        good.replace("\"version\": 2", "\"version\": 999"),
    );
    dir.write("other.json", good.replace("\"logit-model\"", "\"sklearn\""));
    let nulled = good.replacen("\"coefficient\": ", "\"coefficient\": null, \"x\": ", 1);
    dir.write("null.json", nulled);
    dir.write("random.json", [0x89u8, 0x50, 0x4e, 0x47, 0x00, 0xff]);
    std::fs::create_dir(dir.path().join("dir.json")).unwrap();
    for (model, word) in [
        ("trunc.json", "JSON"),
        ("empty.json", "empty"),
        ("obj.json", "format"),
        ("v999.json", "version 999"),
        ("other.json", "format"),
        ("null.json", "null"),
        ("random.json", "JSON"),
        ("dir.json", "directory"),
        ("none.json", "none.json"),
    ] {
        dir.run(&["predict", model, "train.csv"])
            .expect_code(2)
            .stderr_has(&[model, word]);
        dir.run(&["eval", model, "train.csv", "--min", "accuracy=0"])
            .expect_code(2)
            .stderr_has(&[model]);
    }
}

#[test]
fn eval_errors_beat_gates_and_unknown_metrics_are_usage_errors() {
    let dir = setup();
    dir.run(&["train", "train.csv", "--target", "y", "-o", "m.json", "-q"])
        .ok();
    dir.write("nan.csv", "a,b,y\n1,2,0\n1,2,1\nnan,2,0\n");
    dir.run(&["eval", "m.json", "nan.csv", "--min", "accuracy=0"])
        .expect_code(2)
        .stderr_has(&["nan.csv", "line 4", "\"a\""]);
    dir.write("lab.csv", "a,b,y\n1,2,0\n1,2,maybe\n");
    dir.run(&["eval", "m.json", "lab.csv"])
        .expect_code(2)
        .stderr_has(&["line 3", "\"y\"", "\"maybe\""]);
    let run = dir.run(&["eval", "m.json", "train.csv", "--min", "bogus_metric=0.5"]);
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("bogus_metric"));
    assert_eq!(
        dir.run(&["eval", "m.json", "train.csv", "--min", "accuracy=abc"])
            .code(),
        2
    );
}

#[test]
fn empty_stdin_is_an_error() {
    let dir = setup();
    dir.run(&["train", "train.csv", "--target", "y", "-o", "m.json", "-q"])
        .ok();
    dir.run_with_stdin(
        &["train", "-", "--target", "y", "-o", "model.json"],
        Some(b""),
    )
    .expect_code(2)
    .stderr_has(&["<stdin>", "empty"]);
    assert_eq!(dir.read("model.json"), OLD);
    dir.run_with_stdin(&["predict", "m.json", "-"], Some(b""))
        .expect_code(2)
        .stderr_has(&["<stdin>"]);
}

#[test]
fn usage_errors_exit_2() {
    let dir = setup();
    assert_eq!(dir.run(&[]).code(), 2);
    assert_eq!(dir.run(&["fit", "train.csv"]).code(), 2);
    assert_eq!(dir.run(&["train", "train.csv"]).code(), 2);
    assert_eq!(
        dir.run(&[
            "train",
            "train.csv",
            "--target",
            "y",
            "--features",
            "a",
            "--exclude",
            "b"
        ])
        .code(),
        2
    );
    assert_eq!(dir.read("model.json"), OLD);
}

#[test]
fn missing_header_and_case_only_labels_are_explained() {
    let dir = setup();
    dir.write("noheader.csv", "1.5,2,0\n2.5,3,1\n");
    train_fails(
        &dir,
        &["noheader.csv", "--target", "y", "-o", "model.json"],
        &["noheader.csv", "line 1", "header row"],
    );
    dir.write("case.csv", "a,y\n1,yes\n2,Yes\n3,yes\n");
    train_fails(
        &dir,
        &["case.csv", "--target", "y", "-o", "model.json"],
        &["case.csv", "\"y\"", "differ only by letter case"],
    );
    // Three labels are a multiclass target (issue 9); a thousand and one are no class label.
    let mut csv = String::from("a,y\n");
    for i in 0..=1000 {
        csv += &format!("{i},id{i}\n");
    }
    dir.write("ids.csv", csv);
    train_fails(
        &dir,
        &["ids.csv", "--target", "y", "-o", "model.json"],
        &[
            "line 1002",
            "\"y\"",
            "more than 1000 distinct values",
            "\"id1000\"",
        ],
    );
}

#[test]
fn text_in_a_numeric_column_deep_in_the_file_is_found() {
    let dir = setup();
    let mut csv = String::from("a,b,y\n");
    for i in 0..100_000 {
        csv += &format!("{},{},{}\n", i % 13, i % 7, i % 2);
    }
    csv += "3,oops,1\n";
    dir.write("deep.csv", csv);
    train_fails(
        &dir,
        &["deep.csv", "--target", "y", "-o", "model.json"],
        &["deep.csv", "line 100002", "\"b\"", "\"oops\""],
    );
}

#[test]
fn unterminated_quote_and_multiline_records_report_the_record_start_line() {
    let dir = setup();
    dir.write("multi.csv", "a,c,y\n1,\"x\ny\",0\n2,z,1\nabc,w,0\n");
    train_fails(
        &dir,
        &["multi.csv", "--target", "y", "-o", "model.json"],
        &["line 5", "\"a\"", "\"abc\""],
    );
    dir.write("open.csv", "a,c,y\n1,x,0\n2,\"y,1\n3,z,0\n4,w,1\n");
    train_fails(
        &dir,
        &["open.csv", "--target", "y", "-o", "model.json"],
        &["open.csv", "line 3"],
    );
}

#[test]
fn a_model_with_nan_or_inconsistent_numbers_is_refused() {
    let dir = setup();
    dir.run(&[
        "train",
        "train.csv",
        "--target",
        "y",
        "-o",
        "good.json",
        "-q",
    ])
    .ok();
    let good = dir.read("good.json");
    let mut model: serde_json::Value = serde_json::from_str(&good).unwrap();
    model["threshold"] = serde_json::json!(1.5);
    dir.write("thr.json", model.to_string());
    dir.run(&["predict", "thr.json", "train.csv"])
        .expect_code(2)
        .stderr_has(&["thr.json", "threshold"]);
    let mut model: serde_json::Value = serde_json::from_str(&good).unwrap();
    model["features"].as_array_mut().unwrap().pop();
    dir.write("short.json", model.to_string());
    dir.run(&["predict", "short.json", "train.csv"])
        .expect_code(2)
        .stderr_has(&["short.json", "damaged"]);
    dir.write(
        "nan.json",
        good.replacen("\"coefficient\": ", "\"coefficient\": NaN, \"x\": ", 1),
    );
    dir.run(&["predict", "nan.json", "train.csv"])
        .expect_code(2)
        .stderr_has(&["nan.json"]);
}

#[test]
fn predict_output_directory_must_exist_and_must_not_be_created() {
    let dir = setup();
    dir.run(&["train", "train.csv", "--target", "y", "-o", "m.json", "-q"])
        .ok();
    let before = dir.listing();
    dir.run(&["predict", "m.json", "train.csv", "-o", "nowhere/out.csv"])
        .expect_code(2)
        .stderr_has(&["nowhere"]);
    assert_eq!(dir.listing(), before);
    dir.run(&["predict", "m.json", "train.csv", "-o", "m.json"])
        .expect_code(2)
        .stderr_has(&["same file"]);
}

#[test]
fn data_path_that_is_a_directory_is_refused() {
    let dir = setup();
    std::fs::create_dir(dir.path().join("data_dir")).unwrap();
    train_fails(
        &dir,
        &["data_dir", "--target", "y", "-o", "model.json"],
        &["data_dir", "directory"],
    );
}

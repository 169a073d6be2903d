//! Reading: class order, weight cells, the fast and csv readers, refusals.

use logit::data::encode::{read_training, read_training_from, TrainingData, TrainingSelection};
use logit::data::input::Source;

use super::multi;
use crate::util::Dir;

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
            let wanted = "bad.csv: line 17, column \"w\": expected a row weight";
            run.stderr_has(&[wanted, &format!("{value:?}"), why]);
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
        fast.dense_x()
            .iter()
            .zip(slow.dense_x().iter())
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

//! Unit tests of the csv training reader.

use super::*;

#[test]
fn number_like_cells_are_told_from_text() {
    for cell in ["1", " 2.5 ", "-0"] {
        assert!(looks(cell) == Looks::Finite, "{cell:?}");
    }
    for cell in [
        "inf",
        "-Infinity",
        "nan",
        "1e400",
        "1\0",
        "\u{1}7",
        "3,5",
        "21,800",
    ] {
        assert!(looks(cell) == Looks::NumberLike, "{cell:?}");
    }
    for cell in ["red", "1st", "A1", "\0", "1-2", "$5"] {
        assert!(looks(cell) == Looks::Text, "{cell:?}");
    }
}

#[test]
fn level_limits_are_checked_from_the_level_counts() {
    let column = |n: usize| ColumnSpec {
        name: "id".into(),
        kind: ColumnKind::Categorical {
            levels: (0..n).map(|i| i.to_string()).collect(),
            fill: None,
        },
    };
    assert!(level_checks("f", &[column(20)], 40).unwrap().is_empty());
    let warned = level_checks("f", &[column(30)], 100).unwrap();
    assert!(
        warned[0].contains("30 distinct values over 100 rows"),
        "{warned:?}"
    );
    assert!(level_checks("f", &[column(30)], 1000).unwrap().is_empty());
    let err = level_checks("f", &[column(MAX_LEVELS + 1)], 20_000).unwrap_err();
    assert!(err.to_string().contains("limit is 10000 levels"), "{err}");
    // 4,000 levels x 70,000 rows x 8 bytes = 2.1 GiB.
    let err = level_checks("f", &[column(4000)], 70_000).unwrap_err();
    assert!(err.to_string().contains("2.1 GiB"), "{err}");
}

fn read(csv_text: &str, selection: &TrainingSelection) -> Result<TrainingData> {
    let mut reader = crate::data::input::csv_reader(csv_text.as_bytes(), b',');
    read_training_from("t.csv", &mut reader, selection)
}

fn target_y() -> TrainingSelection<'static> {
    TrainingSelection {
        target: "y",
        ..Default::default()
    }
}

#[test]
fn string_columns_are_one_hot_encoded_with_sorted_levels() {
    let data = read("a,c,y\n1,red,1\n2,blue,0\n3,red,0\n", &target_y()).unwrap();
    assert_eq!(data.feature_names, vec!["a", "c=blue", "c=red"]);
    assert_eq!(data.dense_x().row(0).to_vec(), vec![1.0, 0.0, 1.0]);
    assert_eq!(data.dense_x().row(1).to_vec(), vec![2.0, 1.0, 0.0]);
    assert_eq!(data.y.to_vec(), vec![1.0, 0.0, 0.0]);
    assert_eq!(data.class_counts, vec![2, 1]);
}

#[test]
fn bad_cell_is_reported_at_its_physical_line_and_column() {
    let text = "a,b,y\n1,\"x\ny\",1\n2,3,0\n";
    // b's first cell is text, so b is categorical; a is numeric.
    let data = read(text, &target_y()).unwrap();
    assert_eq!(data.feature_names, vec!["a", "b=3", "b=x\ny"]);
    let err = read("a,b,y\n1,2,1\n\"q\nr\",3,0\nzz,4,1\n", &target_y()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("line 3") && text.contains("\"a\""), "{text}");
    let err = read("a,b,y\n1,2,1\n2,3,0\n4,abc,1\n", &target_y()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "t.csv: line 4, column \"b\": expected a number (the column is numeric), found \"abc\""
    );
}

#[test]
fn label_problems_are_typed() {
    let err = read("a,y\n1,1\n2,1\n", &target_y()).unwrap_err();
    assert!(
        matches!(err, crate::error::Error::Data(e) if matches!(e.kind, DataErrorKind::OneClass { .. }))
    );
    let err = read("a,y\n1,yes\n2,no\n3,Yes\n", &target_y()).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("line 4") && text.contains("letter case"),
        "{text}"
    );
    let err = read("a,y\n1,\n2,1\n", &target_y()).unwrap_err();
    assert!(err.to_string().contains("line 2, column \"y\""));
    let err = read("a,y\n1,Yes\n2,yes\n", &target_y()).unwrap_err();
    assert!(
        matches!(err, Error::Data(e) if matches!(e.kind, DataErrorKind::LabelsDifferOnlyByCase { .. }))
    );
}

fn with_policy(policy: MissingPolicy) -> TrainingSelection<'static> {
    TrainingSelection {
        target: "y",
        missing: policy,
        ..Default::default()
    }
}

const WITH_GAPS: &str = "a,c,y\nNA,red,1\n2,,0\n4,blue,1\n9,blue,0\n";

#[test]
fn missing_cells_are_errors_by_default_with_advice() {
    let err = read(WITH_GAPS, &target_y()).unwrap_err().to_string();
    assert!(
        err.contains("line 2, column \"a\": found \"NA\", a missing-value marker"),
        "{err}"
    );
    assert!(err.contains("--missing"), "{err}");
}

#[test]
fn drop_leaves_out_rows_with_missing_cells() {
    let data = read(WITH_GAPS, &with_policy(MissingPolicy::Drop)).unwrap();
    assert_eq!(data.rows_dropped, 2);
    assert_eq!(data.dense_x().column(0).to_vec(), vec![4.0, 9.0]);
    // Only blue remains among present rows.
    assert_eq!(data.feature_names, vec!["a", "c=blue"]);
}

#[test]
fn mean_and_median_fill_numeric_cells_and_the_mode_fills_categories() {
    let data = read(WITH_GAPS, &with_policy(MissingPolicy::Mean)).unwrap();
    assert_eq!(data.dense_x().column(0).to_vec(), vec![5.0, 2.0, 4.0, 9.0]);
    assert_eq!(
        data.columns[0].kind,
        ColumnKind::Numeric { fill: Some(5.0) }
    );
    // blue appears twice, red once: the missing cell becomes blue.
    assert_eq!(data.dense_x().row(1).to_vec(), vec![2.0, 1.0, 0.0]);
    assert!(
        matches!(&data.columns[1].kind, ColumnKind::Categorical { fill: Some(f), .. } if f == "blue")
    );
    let data = read(WITH_GAPS, &with_policy(MissingPolicy::Median)).unwrap();
    assert_eq!(data.dense_x()[[0, 0]], 4.0);
    let err = read("a,b,y\nNA,1,1\n,2,0\n", &with_policy(MissingPolicy::Mean)).unwrap_err();
    assert!(
        err.to_string()
            .contains("every cell of this column is missing"),
        "{err}"
    );
}

fn weighted(policy: MissingPolicy) -> TrainingSelection<'static> {
    TrainingSelection {
        target: "y",
        weight: Some("w"),
        missing: policy,
        ..Default::default()
    }
}

#[test]
fn the_weight_column_is_read_as_weights_not_as_a_feature() {
    let data = read(
        "a,w,y\n1,2,1\n2,0,0\n3,0.5,1\n",
        &weighted(MissingPolicy::Error),
    )
    .unwrap();
    assert_eq!(data.feature_names, vec!["a"]);
    assert_eq!(data.weights.unwrap().to_vec(), vec![2.0, 0.0, 0.5]);
    assert_eq!(data.weight_column.as_deref(), Some("w"));
}

#[test]
fn a_bad_weight_cell_names_line_column_and_value_whatever_the_missing_policy() {
    for policy in [
        MissingPolicy::Error,
        MissingPolicy::Drop,
        MissingPolicy::Mean,
    ] {
        for (cell, why) in [
            ("-0.5", "negative"),
            ("heavy", "not a number"),
            ("inf", "not finite"),
            ("", "a missing value"),
        ] {
            let text = format!("a,w,y\n1,1,1\n\"2\n\",1,0\n3,{cell},1\n");
            let err = read(&text, &weighted(policy)).unwrap_err().to_string();
            assert!(
                err.starts_with("t.csv: line 5, column \"w\": expected a row weight")
                    && err.contains(&format!("{cell:?}"))
                    && err.contains(why),
                "{policy:?} {cell:?}: {err}"
            );
        }
    }
}

#[test]
fn multiclass_labels_become_class_indices_in_model_order() {
    let data = read("a,y\n1,b\n2,c\n3,a\n4,c\n", &target_y()).unwrap();
    assert_eq!(data.classes, vec!["a", "b", "c"]);
    assert_eq!(data.y.to_vec(), vec![1.0, 2.0, 0.0, 2.0]);
    assert_eq!(data.class_counts, vec![1, 1, 2]);
    assert!(data.labels.is_none());
    let err = read("a,y\n1,b\n2,c\n3,a\n4,C\n", &target_y()).unwrap_err();
    assert!(err.to_string().contains("line 5"), "{err}");
}

#[test]
fn weights_stay_aligned_with_the_rows_that_missing_drop_keeps() {
    let text = "a,w,y\n1,2,1\nNA,3,0\n4,5,\n6,7,0\n";
    let data = read(text, &weighted(MissingPolicy::Drop)).unwrap();
    assert_eq!(data.dense_x().column(0).to_vec(), vec![1.0, 6.0]);
    assert_eq!(data.weights.unwrap().to_vec(), vec![2.0, 7.0]);
    assert_eq!(data.rows_dropped, 2);
}

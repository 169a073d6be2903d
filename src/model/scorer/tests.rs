//! Unit tests of the row scorer: the rescaled sum, errors naming cells, K scores.

use super::*;

fn scorer(weights: &[f64], intercept: f64) -> RowScorer {
    let names: Vec<String> = (0..weights.len()).map(|i| format!("c{i}")).collect();
    let columns: Vec<ColumnSpec> = names
        .iter()
        .map(|n| ColumnSpec {
            name: n.clone(),
            kind: ColumnKind::Numeric { fill: None },
        })
        .collect();
    RowScorer::new(
        "s.csv",
        &names,
        &columns,
        weights,
        intercept,
        Markers::default(),
        MissingPolicy::Error,
    )
    .unwrap()
}

fn score(s: &RowScorer, cells: &[&str]) -> Result<f64> {
    s.score(&csv::StringRecord::from(cells.to_vec()), 5)
}

#[test]
fn an_overflowing_sum_is_rescaled_to_its_exact_value_or_refused() {
    let s = scorer(&[1.0; 4], 0.0);
    // Left to right this is inf; exactly it is -5e307.
    let z = score(&s, &["1e308", "1e308", "-1e308", "-1.5e308"]).unwrap();
    assert!((z / -5e307 - 1.0).abs() < 1e-15, "{z}");
    // Terms beyond f64::MAX whose exact sum is beyond it too: an error naming them.
    let s = scorer(&[10.0, 10.0], 1.0);
    for cells in [["1e308", "1e308"], ["-1e308", "-1e307"]] {
        let err = score(&s, &cells).unwrap_err().to_string();
        assert!(
            err.starts_with("s.csv: line 5: the linear score is beyond the range"),
            "{err}"
        );
        assert!(err.contains("\"c0\""), "{err}");
    }
    let z = score(&s, &["1e308", "-9e307"]).unwrap(); // exactly 1e308 + 1
    assert!((z / 1e308 - 1.0).abs() < 1e-15, "{z}");
}

#[test]
fn terms_that_cancel_within_rounding_are_an_error_naming_their_columns() {
    let s = scorer(&[10.0, 10.0, 1.0], 0.0);
    let err = score(&s, &["1e308", "-1e308", "3"])
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "s.csv: line 5: the linear score is undefined: the terms of \"c0\", \"c1\" exceed \
         the range of a 64-bit float and cancel, so the probability could be anything; \
         check these values"
    );
    // The fast path declines such a row instead of returning a score.
    assert_eq!(s.score_bytes(&[b"1e308", b"-1e308", b"3"]), None);
    assert_eq!(s.score_bytes(&[b"1", b"2", b"3"]), Some(33.0));
}

#[test]
fn row_scorer_matches_columns_by_name_and_rejects_unseen_levels() {
    let columns = vec![
        ColumnSpec {
            name: "a".into(),
            kind: ColumnKind::Numeric { fill: None },
        },
        ColumnSpec {
            name: "c".into(),
            kind: ColumnKind::Categorical {
                levels: vec!["blue".into(), "red".into()],
                fill: Some("red".into()),
            },
        },
    ];
    let header: Vec<String> = ["c", "extra", "a"].iter().map(|s| s.to_string()).collect();
    let scorer = RowScorer::new(
        "p.csv",
        &header,
        &columns,
        &[2.0, -1.0, 1.0],
        0.5,
        Markers::default(),
        MissingPolicy::Mean,
    )
    .unwrap();
    let rec = csv::StringRecord::from(vec!["red", "zzz", " 3 "]);
    assert_eq!(scorer.score(&rec, 2).unwrap(), 0.5 + 6.0 + 1.0);
    let rec = csv::StringRecord::from(vec!["green", "zzz", "3"]);
    let err = scorer.score(&rec, 7).unwrap_err();
    assert!(
        err.to_string()
            .contains("line 7, column \"c\": category \"green\""),
        "{err}"
    );
    // A missing categorical cell takes the fill level; a missing numeric one has no fill.
    let rec = csv::StringRecord::from(vec!["NA", "zzz", "3"]);
    assert_eq!(scorer.score(&rec, 8).unwrap(), 0.5 + 6.0 + 1.0);
    let rec = csv::StringRecord::from(vec!["red", "zzz", ""]);
    let err = scorer.score(&rec, 9).unwrap_err();
    assert!(
        err.to_string()
            .contains("line 9, column \"a\": the cell is empty"),
        "{err}"
    );
    let err = RowScorer::new(
        "p.csv",
        &["x".to_string()],
        &columns,
        &[2.0, -1.0, 1.0],
        0.5,
        Markers::default(),
        MissingPolicy::Error,
    )
    .unwrap_err();
    assert!(err.to_string().contains("\"a\", \"c\""), "{err}");
}

/// Three scores over a numeric column `a` and a categorical `c` (levels blue, red).
fn three_scores() -> RowScorer {
    let columns = vec![
        ColumnSpec {
            name: "a".into(),
            kind: ColumnKind::Numeric { fill: Some(0.5) },
        },
        ColumnSpec {
            name: "c".into(),
            kind: ColumnKind::Categorical {
                levels: vec!["blue".into(), "red".into()],
                fill: None,
            },
        },
    ];
    let header: Vec<String> = ["c", "a"].iter().map(|s| s.to_string()).collect();
    // Rows: weights of (a, c=blue, c=red) for each score.
    let weights = vec![
        vec![1.0, 10.0, 20.0],
        vec![-2.0, 30.0, 40.0],
        vec![1e308, 0.0, -1e308],
    ];
    RowScorer::multi(
        "m.csv",
        1,
        &header,
        &columns,
        &weights,
        &[0.5, -0.5, 0.0],
        Markers::default(),
        MissingPolicy::Mean,
    )
    .unwrap()
}

#[test]
fn score_into_gives_each_class_its_own_row_of_weights() {
    let s = three_scores();
    assert_eq!(s.n_scores(), 3);
    let mut z = [0.0; 3];
    let rec = csv::StringRecord::from(vec!["red", "0.25"]);
    s.score_into(&rec, 2, &mut z).unwrap();
    let expected = [
        0.5 + 1.0 * 0.25 + 20.0,
        -0.5 + -2.0 * 0.25 + 40.0,
        0.0 + 1e308 * 0.25 + -1e308,
    ];
    assert_eq!(z.map(f64::to_bits), expected.map(f64::to_bits));
    let mut fast = [0.0; 3];
    assert!(s.score_bytes_into(&[b"red", b"0.25"], &mut fast));
    assert_eq!(fast.map(f64::to_bits), z.map(f64::to_bits));
    // A fill value on the csv path; the fast path declines the empty cell.
    let rec = csv::StringRecord::from(vec!["blue", ""]);
    s.score_into(&rec, 3, &mut z).unwrap();
    assert_eq!(z, [0.5 + 0.5 + 10.0, -0.5 - 1.0 + 30.0, 1e308 * 0.5]);
    assert!(!s.score_bytes_into(&[b"blue", b""], &mut fast));
    // Each score is what a one-score scorer with that row gives, to the bit.
    let one = RowScorer::new(
        "m.csv",
        &["c".to_string(), "a".to_string()],
        &[
            ColumnSpec {
                name: "a".into(),
                kind: ColumnKind::Numeric { fill: Some(0.5) },
            },
            ColumnSpec {
                name: "c".into(),
                kind: ColumnKind::Categorical {
                    levels: vec!["blue".into(), "red".into()],
                    fill: None,
                },
            },
        ],
        &[-2.0, 30.0, 40.0],
        -0.5,
        Markers::default(),
        MissingPolicy::Mean,
    )
    .unwrap();
    let rec = csv::StringRecord::from(vec!["red", "0.1"]);
    s.score_into(&rec, 4, &mut z).unwrap();
    assert_eq!(z[1].to_bits(), one.score(&rec, 4).unwrap().to_bits());
}

#[test]
fn score_into_rescales_or_refuses_each_overflowing_score_alone() {
    let s = three_scores();
    let mut z = [0.0; 3];
    // Score 2 with red: 1.8 * 1e308 overflows, the exact sum 1.8e308 - 1e308 does not.
    let rec = csv::StringRecord::from(vec!["red", "1.8"]);
    s.score_into(&rec, 5, &mut z).unwrap();
    assert!((z[2] / 0.8e308 - 1.0).abs() < 1e-15, "{z:?}");
    assert_eq!(z[..2], [0.5 + 1.8 + 20.0, -0.5 + -2.0 * 1.8 + 40.0]);
    let mut fast = [0.0; 3];
    assert!(!s.score_bytes_into(&[b"red", b"1.8"], &mut fast));
    // 3 * 1e308 is beyond f64 even exactly: an error naming the column, at its line.
    let rec = csv::StringRecord::from(vec!["blue", "3"]);
    let err = s.score_into(&rec, 6, &mut z).unwrap_err().to_string();
    assert!(
        err.starts_with("m.csv: line 6: the linear score is beyond the range"),
        "{err}"
    );
    assert!(err.contains("\"a\""), "{err}");
    assert!(!s.score_bytes_into(&[b"blue", b"3"], &mut fast));
    // An unseen level is an error naming the cell, on every path.
    let rec = csv::StringRecord::from(vec!["green", "1"]);
    let err = s.score_into(&rec, 7, &mut z).unwrap_err().to_string();
    assert!(
        err.contains("line 7, column \"c\": category \"green\""),
        "{err}"
    );
    assert!(!s.score_bytes_into(&[b"green", b"1"], &mut fast));
}

//! Bodies of the fuzz targets, with the invariants they check.
//!
//! Shared by the libFuzzer binaries in `fuzz_targets/` and by the main crate's
//! `tests/fuzz_regressions.rs` (which includes this file with `#[path]`), so `cargo test`
//! exercises the same harness on the seed corpus and on known nasty inputs. It uses only
//! `logit`, `csv` and `std`. Every check is an `assert!`: a failed invariant is a crash.
//!
//! Input layout of `csv_design`: the first byte chooses the missing-value policy (bits 0-1:
//! error, drop, mean, median) and the delimiter (`(byte >> 2) % 3`: ',' ';' '\t'); the rest is
//! the CSV text, whose target column is `y`. So the ASCII digits `0`-`3` mean ','
//! with error/drop/mean/median, `4`-`7` mean ';' and `8`, `9`, `:`, `;` mean tab.

use logit::data::encode::{
    read_training_from, ColumnKind, ColumnSpec, TrainingData, TrainingSelection,
};
use logit::data::missing::{Markers, MissingPolicy};
use logit::model::scorer::RowScorer;
use logit::model::Model;

/// Display name of the fuzzed CSV source.
const CSV_NAME: &str = "fuzz.csv";

/// The policy and delimiter that the first input byte selects.
pub fn csv_mode(byte: u8) -> (MissingPolicy, u8) {
    let policy = [
        MissingPolicy::Error,
        MissingPolicy::Drop,
        MissingPolicy::Mean,
        MissingPolicy::Median,
    ][usize::from(byte & 3)];
    let delimiter = [b',', b';', b'\t'][usize::from((byte >> 2) % 3)];
    (policy, delimiter)
}

fn csv_reader(csv: &[u8], delimiter: u8) -> csv::Reader<logit::data::lines::Tracked<&[u8]>> {
    logit::data::input::csv_reader(csv, delimiter)
}

/// Target 1: CSV bytes to design matrix, then scoring the same records.
///
/// Returns the training result (for tests); the fuzz binary ignores it.
pub fn csv_design(data: &[u8]) -> Option<logit::error::Result<TrainingData>> {
    let (&mode, csv) = data.split_first()?;
    let (missing, delimiter) = csv_mode(mode);
    let selection = TrainingSelection {
        target: "y",
        missing,
        ..Default::default()
    };
    let result = read_training_from(CSV_NAME, &mut csv_reader(csv, delimiter), &selection);
    match &result {
        Ok(training) => {
            check_training(training, missing);
            score_like_training(training, csv, delimiter, missing);
        }
        Err(e) => {
            // Rendering the message must not panic either.
            let _ = e.to_string();
        }
    }
    score_with_fixed_model(csv, delimiter);
    Some(result)
}

/// Invariants of a successful read.
fn check_training(d: &TrainingData, policy: MissingPolicy) {
    let n = d.y.len();
    assert!(n > 0, "no rows");
    assert_eq!(d.dense_x().nrows(), n, "x rows vs y length");
    assert_eq!(
        d.dense_x().ncols(),
        d.feature_names.len(),
        "x columns vs feature names"
    );
    let names: Vec<String> = d
        .columns
        .iter()
        .flat_map(ColumnSpec::design_names)
        .collect();
    assert_eq!(names, d.feature_names, "feature names vs columns");
    assert!(
        d.columns.iter().all(|c| c.name != d.target),
        "target used as a feature"
    );
    for (i, v) in d.dense_x().iter().enumerate() {
        assert!(v.is_finite(), "x value {v} at flat index {i} is not finite");
    }
    let k = d.classes.len();
    assert!(k >= 2, "fewer than two classes");
    let mut sorted = d.classes.clone();
    logit::data::schema::sort_classes(&mut sorted);
    assert_eq!(sorted, d.classes, "classes not in model order");
    match &d.labels {
        Some(labels) => {
            assert_eq!(k, 2, "labels of a multiclass target");
            assert!(d.y.iter().all(|&v| v == 0.0 || v == 1.0), "y not 0/1");
            assert_ne!(labels.positive, labels.negative, "labels");
            assert!(d.classes.contains(&labels.positive) && d.classes.contains(&labels.negative));
        }
        None => {
            assert!(k > 2, "a binary target without labels");
            assert!(
                d.y.iter()
                    .all(|&v| v >= 0.0 && v < k as f64 && v.fract() == 0.0),
                "y not a class index"
            );
        }
    }
    let mut counts = vec![0usize; k];
    (0..n).for_each(|i| counts[d.class_of_row(i)] += 1);
    assert_eq!(counts, d.class_counts, "class counts");
    assert!(counts.iter().all(|&c| c > 0), "every class must be present");
    if policy != MissingPolicy::Drop {
        assert_eq!(d.rows_dropped, 0, "rows dropped without --missing drop");
    }
    let mut offset = 0;
    for column in &d.columns {
        match &column.kind {
            ColumnKind::Numeric { fill } => {
                assert_eq!(fill.is_some(), policy.imputes(), "numeric fill vs policy");
                if let Some(f) = fill {
                    // The model loader refuses a non-finite fill, so training must not make one.
                    assert!(f.is_finite(), "column {:?} has fill {f}", column.name);
                }
            }
            ColumnKind::Categorical { levels, fill } => {
                assert!(!levels.is_empty(), "categorical column without levels");
                assert!(
                    levels.windows(2).all(|w| w[0] < w[1]),
                    "levels not sorted and distinct"
                );
                assert_eq!(
                    fill.is_some(),
                    policy.imputes(),
                    "categorical fill vs policy"
                );
                if let Some(f) = fill {
                    assert!(levels.contains(f), "fill level not among the levels");
                }
                // One-hot: exactly one indicator set in every row.
                for row in d.dense_x().rows() {
                    let block: Vec<f64> = row
                        .iter()
                        .skip(offset)
                        .take(levels.len())
                        .copied()
                        .collect();
                    assert!(
                        block.iter().all(|&v| v == 0.0 || v == 1.0),
                        "indicator not 0/1"
                    );
                    assert_eq!(
                        block.iter().sum::<f64>(),
                        1.0,
                        "one-hot block of {:?}",
                        column.name
                    );
                }
            }
        }
        offset += column.width();
    }
    assert_eq!(offset, d.feature_names.len(), "column widths");
}

/// Scores every record of the same bytes with a `RowScorer` built from the trained columns and
/// weights `1, 2, 3, ...`: each row that training kept must score exactly its design row's dot
/// product with the weights (training and scoring encode alike), and the rows that training
/// dropped must be exactly those with a missing label or feature cell.
fn score_like_training(d: &TrainingData, csv: &[u8], delimiter: u8, policy: MissingPolicy) {
    let markers = Markers::default();
    let weights: Vec<f64> = (1..=d.feature_names.len()).map(|j| j as f64).collect();
    let mut reader = csv_reader(csv, delimiter);
    let header: Vec<String> = reader
        .headers()
        .expect("training read this header")
        .iter()
        .map(str::to_string)
        .collect();
    let scorer = RowScorer::new(
        CSV_NAME,
        &header,
        &d.columns,
        &weights,
        0.0,
        markers.clone(),
        policy,
    )
    .expect("the header has every trained column");
    let target = header
        .iter()
        .position(|h| h == "y")
        .expect("training found y");
    let features: Vec<usize> = d
        .columns
        .iter()
        .map(|c| {
            header
                .iter()
                .position(|h| *h == c.name)
                .expect("trained column in header")
        })
        .collect();
    let mut row = 0;
    let mut dropped = 0;
    for (i, record) in reader.records().enumerate() {
        let record = record.expect("training read every record");
        let line = record.position().map_or(i as u64 + 2, |p| p.line());
        let label_missing = markers.is_missing(&record[target]);
        let feature_missing = features.iter().any(|&f| markers.is_missing(&record[f]));
        let score = scorer.score(&record, line);
        check_score_bytes(&scorer, &record, &score);
        if policy == MissingPolicy::Drop && label_missing {
            // Training skips such a row unread, so its cells may be anything.
            dropped += 1;
            continue;
        }
        if feature_missing && !policy.imputes() {
            assert!(score.is_err(), "record {i} has a missing cell but no fill");
        } else {
            assert!(score.is_ok(), "record {i} scores: {:?}", score.err());
        }
        if policy == MissingPolicy::Drop && feature_missing {
            dropped += 1;
            continue;
        }
        assert!(!label_missing, "a row without label was kept");
        let score = score.expect("checked above");
        let expected: f64 = d
            .dense_x()
            .row(row)
            .iter()
            .zip(&weights)
            .fold(0.0, |z, (x, w)| z + w * x);
        assert!(
            score == expected || (score.is_nan() && expected.is_nan()),
            "record {i} (row {row}) scores {score} but its design row gives {expected}"
        );
        assert_eq!(
            d.classes[d.class_of_row(row)],
            record[target].trim(),
            "label of row {row}"
        );
        row += 1;
    }
    assert_eq!(row, d.y.len(), "rows kept");
    assert_eq!(dropped, d.rows_dropped, "rows dropped");
}

/// `predict`'s fast path, `RowScorer::score_bytes`, may decline a record (`None`) but when it
/// scores one it must agree bit for bit with `RowScorer::score` on the same fields.
fn check_score_bytes<E: std::fmt::Debug>(
    scorer: &RowScorer,
    record: &csv::StringRecord,
    score: &Result<f64, E>,
) {
    let fields: Vec<&[u8]> = record.iter().map(str::as_bytes).collect();
    if let Some(fast) = scorer.score_bytes(&fields) {
        match score {
            Ok(z) => assert!(
                fast.to_bits() == z.to_bits() || (fast.is_nan() && z.is_nan()),
                "score_bytes gives {fast} but score gives {z} for {record:?}"
            ),
            Err(e) => panic!("score_bytes gives {fast} but score fails for {record:?}: {e:?}"),
        }
    }
}

/// Scores the records with a fixed small model (`a` numeric, `c` categorical) whenever the
/// header has those columns; scoring must never panic, and never give `NaN`.
fn score_with_fixed_model(csv: &[u8], delimiter: u8) {
    let columns = [
        ColumnSpec {
            name: "a".into(),
            kind: ColumnKind::Numeric { fill: Some(0.5) },
        },
        ColumnSpec {
            name: "c".into(),
            kind: ColumnKind::Categorical {
                levels: vec!["blue".into(), "red".into()],
                fill: Some("red".into()),
            },
        },
    ];
    let mut reader = csv_reader(csv, delimiter);
    let Ok(header) = reader.headers() else { return };
    let header: Vec<String> = header.iter().map(str::to_string).collect();
    let scorer = match RowScorer::new(
        CSV_NAME,
        &header,
        &columns,
        &[2.0, -1.0, 1.0],
        0.25,
        Markers::default(),
        MissingPolicy::Mean,
    ) {
        Ok(s) => s,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    for (i, record) in reader.records().enumerate() {
        let Ok(record) = record else { break };
        let score = scorer.score(&record, i as u64 + 2);
        check_score_bytes(&scorer, &record, &score);
        match score {
            Ok(z) => assert!(!z.is_nan(), "record {i} scores NaN"),
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
}

/// Target 2: model file bytes. A model that loads must survive `to_json` and load again equal,
/// and its columns must make a `RowScorer` against a header of its own column names. Errors are
/// returned rendered (rendering must not panic).
pub fn model_load(data: &[u8]) -> Result<Model, String> {
    let result = Model::from_slice("fuzz.json", data).map_err(|e| e.to_string());
    match &result {
        Ok(model) => {
            let json = model.to_json();
            let again = Model::from_slice("x", json.as_bytes())
                .unwrap_or_else(|e| panic!("a loaded model's own JSON does not load: {e}\n{json}"));
            // Written in the current version whatever version was read; nothing else changes.
            let mut read = model.clone();
            read.version = again.version;
            assert_eq!(again, read, "model changed in a JSON round trip");
            assert_eq!(again.to_json(), json, "JSON not stable");
            let header: Vec<String> = model.columns.iter().map(|c| c.name.clone()).collect();
            let scorer = model.scorer("fuzz.csv", 1, &header);
            assert!(
                scorer.is_ok(),
                "a loaded model cannot score: {:?}",
                scorer.err()
            );
        }
        Err(message) => assert!(!message.is_empty(), "empty error message"),
    }
    result
}

/// Target 3: the fast training reader (`logit::data::fast::read_training_fast`, used by
/// `train` on large plain numeric files) against the csv path on the same bytes. The input
/// layout is `csv_design`'s. The fast path may decline (`Ok(None)`); when it reads the file,
/// the csv path must read the same data, bit for bit; when it fails, the csv path must fail
/// with the same message. Returns `None` for an empty input or when both paths fail,
/// `Some(None)` when the fast path declines, `Some(Some(data))` when both read the data.
#[cfg(unix)]
pub fn csv_fast(data: &[u8]) -> Option<Option<TrainingData>> {
    use std::io::Write;
    let (&mode, csv) = data.split_first()?;
    let (missing, delimiter) = csv_mode(mode);
    let selection = TrainingSelection {
        target: "y",
        missing,
        ..Default::default()
    };
    let mut file = tempfile::NamedTempFile::new().expect("temporary file");
    file.write_all(csv).expect("write the temporary file");
    let path = file
        .path()
        .to_str()
        .expect("UTF-8 temporary path")
        .to_string();
    let fast = logit::data::fast::read_training_fast(&path, delimiter, &selection, 0);
    let slow = read_training_from(&path, &mut csv_reader(csv, delimiter), &selection);
    match (fast, slow) {
        (Ok(None), _) => Some(None),
        (Ok(Some(f)), Ok(s)) => {
            check_training(&f, missing);
            assert_eq!(f.columns, s.columns, "columns");
            assert_eq!(f.feature_names, s.feature_names, "feature names");
            assert_eq!(f.labels, s.labels, "labels");
            assert_eq!(f.y, s.y, "y");
            assert_eq!(f.dense_x().dim(), s.dense_x().dim(), "shape of x");
            for ((i, a), b) in f.dense_x().indexed_iter().zip(s.dense_x().iter()) {
                assert_eq!(a.to_bits(), b.to_bits(), "x{i:?}: fast {a}, csv {b}");
            }
            assert_eq!(
                (&f.classes, &f.class_counts, f.rows_dropped),
                (&s.classes, &s.class_counts, s.rows_dropped),
                "counts"
            );
            Some(Some(f))
        }
        (Ok(Some(f)), Err(e)) => panic!(
            "the fast path read {} rows x {} features but the csv path fails: {e}",
            f.y.len(),
            f.feature_names.len()
        ),
        (Err(f), Ok(_)) => panic!("the fast path fails ({f}) but the csv path reads the file"),
        (Err(f), Err(s)) => {
            assert_eq!(
                f.to_string(),
                s.to_string(),
                "the two paths fail differently"
            );
            None
        }
    }
}

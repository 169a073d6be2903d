//! Property tests that hunt for what we did not think of: random bytes and random tables through
//! the reader, the trainer and the scorer never panic, and fail only with typed errors.

use logit::commands::train::{train, TrainConfig};
use logit::data::encode::{read_training_from, RowScorer, TrainingSelection};
use logit::data::missing::{Markers, MissingPolicy};
use logit::error::Error;
use logit::model::Model;
use logit::solvers::{FitOptions, SolverKind};
use proptest::prelude::*;

use crate::util::Dir;

fn selection(policy: MissingPolicy) -> TrainingSelection<'static> {
    TrainingSelection { target: "y", missing: policy, ..Default::default() }
}

fn read_bytes(bytes: &[u8], policy: MissingPolicy) -> Result<logit::data::encode::TrainingData, Error> {
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    read_training_from("fuzz.csv", &mut reader, &selection(policy))
}

/// Bytes that look like CSV: mostly digits, separators, quotes, line ends, letters, some junk.
fn csvish() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"a,b,y\n".to_vec()),
        Just(b",".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"0".to_vec()),
        Just(b"1".to_vec()),
        Just(b"-2.5e3".to_vec()),
        Just(b"NA".to_vec()),
        Just(b"inf".to_vec()),
        Just(b"yes".to_vec()),
        Just(b" ".to_vec()),
        Just(vec![0xef, 0xbb, 0xbf]),
        any::<u8>().prop_map(|b| vec![b]),
    ];
    prop::collection::vec(piece, 0..60).prop_map(|parts| parts.concat())
}

fn config(dir: &Dir, l2: f64, solver: SolverKind) -> TrainConfig {
    let data = dir.path().join("t.csv").to_string_lossy().into_owned();
    let output = dir.path().join("m.json").to_string_lossy().into_owned();
    let mut config = TrainConfig::new(&data, "y", &output).expect("default configuration");
    config.l2 = l2;
    config.fit = FitOptions { solver, max_iter: Some(200), tol: 1e-8, learning_rate: None };
    config
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn reader_never_panics_on_csvish_bytes(bytes in csvish(), policy in prop_oneof![
        Just(MissingPolicy::Error), Just(MissingPolicy::Drop), Just(MissingPolicy::Mean), Just(MissingPolicy::Median)
    ]) {
        // Either a design matrix of the right shape or a typed error; never a panic.
        if let Ok(data) = read_bytes(&bytes, policy) {
            prop_assert_eq!(data.x.nrows(), data.y.len());
            prop_assert_eq!(data.x.ncols(), data.feature_names.len());
            prop_assert!(data.x.iter().all(|v| v.is_finite()));
            prop_assert!(data.n_positive > 0 && data.n_negative > 0);
        }
    }

    #[test]
    fn scorer_never_panics_on_random_records(cells in prop::collection::vec(".{0,6}", 3)) {
        let columns = vec![
            logit::data::encode::ColumnSpec { name: "a".into(), kind: logit::data::encode::ColumnKind::Numeric { fill: None } },
            logit::data::encode::ColumnSpec { name: "c".into(), kind: logit::data::encode::ColumnKind::Categorical { levels: vec!["x".into(), "y".into()], fill: None } },
        ];
        let header: Vec<String> = vec!["c".into(), "a".into(), "other".into()];
        let scorer = RowScorer::new("p.csv", &header, &columns, &[1.0, 2.0, 3.0], 0.1, Markers::default(), MissingPolicy::Error).unwrap();
        let record = csv::StringRecord::from(cells);
        if let Ok(z) = scorer.score(&record, 2) {
            prop_assert!(z.is_finite());
        }
    }

    #[test]
    fn training_on_random_tables_succeeds_or_fails_with_a_typed_error(
        rows in prop::collection::vec((-1e6f64..1e6, -3i32..3, prop::bool::ANY), 1..40),
        l2 in prop_oneof![Just(0.0), Just(1e-3), Just(1.0)],
        solver in prop_oneof![Just(SolverKind::Lbfgs), Just(SolverKind::Newton), Just(SolverKind::Gd)],
    ) {
        let dir = Dir::new();
        let mut text = String::from("a,b,y\n");
        for (a, b, y) in &rows {
            text += &format!("{a},{b},{}\n", u8::from(*y));
        }
        dir.write("t.csv", &text);
        match train(&config(&dir, l2, solver)) {
            Ok((model, _, _)) => {
                // Whatever the data, the model is finite and survives a save/load round trip.
                let json = model.to_json();
                let back = Model::from_slice("m.json", json.as_bytes());
                prop_assert!(back.is_ok(), "{:?}", back.err());
                prop_assert!(model.features.iter().all(|f| f.coefficient.is_finite()));
            }
            Err(Error::Data(_)) | Err(Error::Fit(_)) => {}
            Err(other) => prop_assert!(false, "unexpected error kind: {other}"),
        }
    }
}

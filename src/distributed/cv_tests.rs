//! The distributed cv between threads ([`ThreadGroup`], 1 to 3 ranks) against the
//! single-process cv: the folds' metrics and the curve bit for bit, and the written model
//! byte for byte (the same lambda chosen, the same refit), with seeded folds, a fold column,
//! weights and a multinomial target.

use std::sync::Arc;

use clap::Parser;

use super::comm::Comm;
use super::eval_tests::{nn_fixture, with_weights};
use super::tests::fixture;
use super::{silent_unless_lead, ThreadGroup, Timed};
use crate::cli::{Cli, Command, CvArgs};
use crate::commands::cv::Setup;
use crate::select::cv::{cross_validate, CrossValidation};

fn cv_args(argv: &[&str]) -> CvArgs {
    let mut full = vec!["logit", "cv"];
    full.extend_from_slice(argv);
    full.push("--quiet");
    let Command::Cv(args) = Cli::try_parse_from(full).unwrap().command else {
        unreachable!()
    };
    args
}

fn single_cv(args: &CvArgs) -> CrossValidation {
    let setup = Setup::read(args).unwrap();
    let (sequence, _) = setup.full_path(&|_, _| {}).unwrap();
    cross_validate(
        &setup.problem(),
        &setup.folds,
        &sequence,
        &setup.path_options(),
        setup.metric,
        2,
        &|_, _, _| {},
    )
    .unwrap()
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn assert_same_cv(a: &CrossValidation, b: &CrossValidation, at: &str) {
    assert_eq!(a.fold_values.len(), b.fold_values.len(), "{at}");
    for (x, y) in a.fold_values.iter().zip(&b.fold_values) {
        assert_eq!(bits(x), bits(y), "{at}: fold values");
    }
    assert_eq!(bits(&a.fold_weights), bits(&b.fold_weights), "{at}");
    assert_eq!(bits(&a.curve.cvm), bits(&b.curve.cvm), "{at}: cvm");
    assert_eq!(bits(&a.curve.cvsd), bits(&b.curve.cvsd), "{at}: cvsd");
    assert_eq!(a.unconverged, b.unconverged, "{at}");
}

/// The cases: data and options (without `-o`).
fn cases(dir: &std::path::Path) -> Vec<Vec<String>> {
    let rings_w = with_weights(&nn_fixture("rings3_train.csv"), &dir.join("rings_w.csv"));
    let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        own(&[
            &fixture("pima_train.csv"),
            "--target",
            "type",
            "--folds",
            "5",
            "--seed",
            "7",
            "--n-lambda",
            "15",
        ]),
        own(&[
            &fixture("pima_train_folds.csv"),
            "--target",
            "type",
            "--fold-column",
            "fold",
            "--l1-ratio",
            "0.5",
            "--n-lambda",
            "12",
            "--metric",
            "roc_auc",
            "--choose",
            "1se",
        ]),
        own(&[
            &rings_w,
            "--target",
            "y",
            "--weight",
            "w",
            "--folds",
            "4",
            "--lambdas",
            "0.2,0.05,0.01,0.002",
            "--metric",
            "log_loss",
        ]),
    ]
}

#[test]
fn folds_across_1_to_3_ranks_are_the_single_process_cv() {
    let dir = tempfile::tempdir().unwrap();
    for case in cases(dir.path()) {
        let mut argv: Vec<&str> = case.iter().map(String::as_str).collect();
        let single_out = dir
            .path()
            .join("single.json")
            .to_string_lossy()
            .into_owned();
        argv.extend(["-o", &single_out]);
        let args = cv_args(&argv);
        let want = single_cv(&args);
        crate::commands::cv::run(&args).unwrap();
        let want_model = std::fs::read(&single_out).unwrap();
        for size in 1..=3 {
            let out = dir.path().join(format!("d{size}.json"));
            let out = out.to_string_lossy().into_owned();
            let mut argv: Vec<&str> = case.iter().map(String::as_str).collect();
            argv.extend(["-o", &out, "--distributed"]);
            let args = cv_args(&argv);
            let group = ThreadGroup::new(size);
            let results: Vec<_> = std::thread::scope(|scope| {
                let handles: Vec<_> = group
                    .into_iter()
                    .map(|member| {
                        let args = &args;
                        scope.spawn(move || {
                            let setup = Setup::read_as(args, true).unwrap();
                            let (sequence, _) = setup.full_path(&|_, _| {}).unwrap();
                            let cv = super::cv::cross_validate(
                                &member,
                                &setup,
                                &sequence,
                                1,
                                &|_, _, _| {},
                            )
                            .unwrap();
                            let comm = Arc::new(Timed::new(member));
                            let rank = comm.rank();
                            let status = silent_unless_lead(rank, super::cv::cv(args, comm));
                            (cv, status.unwrap())
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            let at = format!("{case:?} np {size}");
            for (cv, status) in &results {
                assert_same_cv(cv, &want, &at);
                assert_eq!(*status, crate::exit::ExitStatus::Success, "{at}");
            }
            let got = std::fs::read(&out).unwrap();
            let text = |b: &[u8]| String::from_utf8_lossy(b).replace(&out, &single_out);
            assert_eq!(text(&got), text(&want_model), "{at}: the model file");
        }
    }
}

#[test]
fn folds_are_dealt_round_robin_and_refused_options_name_themselves() {
    assert_eq!(super::cv::folds_of(0, 3, 10), vec![0, 3, 6, 9]);
    assert_eq!(super::cv::folds_of(2, 3, 10), vec![2, 5, 8]);
    assert!(super::cv::folds_of(4, 5, 3).is_empty());
    let data = fixture("pima_train.csv");
    let args = cv_args(&[&data, "--target", "type", "-o", "-", "--distributed"]);
    let group = ThreadGroup::new(2);
    let errors: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = group
            .into_iter()
            .map(|member| {
                let args = &args;
                scope.spawn(move || {
                    super::cv::cv(args, Arc::new(Timed::new(member)))
                        .unwrap_err()
                        .to_string()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for e in errors {
        assert!(
            e.contains("-o - is not supported with --distributed"),
            "{e}"
        );
    }
}

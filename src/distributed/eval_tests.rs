//! The distributed eval between threads ([`ThreadGroup`], 1 to 3 ranks) against the
//! single-process eval of the same file: binary, multinomial and one-vs-rest models, with and
//! without weights. Every count (confusion cells, bins, cut points) and the unweighted ROC AUC
//! must be equal exactly; every floating sum to 1e-14 relative (only the summation order
//! differs). Then whole runs: the gates give the single-process exit status.

use std::path::Path;
use std::sync::Arc;

use clap::Parser;
use serde_json::{json, Value};

use super::comm::Comm;
use super::eval::{binary_tally, merged, multiclass_tally};
use super::tests::{fixture, single};
use super::{silent_unless_lead, split, ThreadGroup, Timed};
use crate::cli::{Cli, Command, EvalArgs};
use crate::commands::eval::{score_labelled_multiclass, score_labelled_with, EvalConfig};
use crate::evaluate::metrics::{roc_points_of_groups, BinaryTally, MulticlassTally};
use crate::exit::ExitStatus;
use crate::model::Model;

pub(super) fn nn_fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/nn")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// `data` with a weight column `w` appended: 0, 0.5, 1, ... 2.5 in turn, and 3.75 every 7th row.
pub(super) fn with_weights(data: &str, out: &Path) -> String {
    let text = std::fs::read_to_string(data).unwrap();
    let mut lines = text.lines();
    let mut s = format!("{},w\n", lines.next().unwrap());
    for (i, line) in lines.enumerate() {
        let w = if i % 7 == 3 {
            3.75
        } else {
            0.5 * (i % 6) as f64
        };
        s.push_str(&format!("{line},{w}\n"));
    }
    std::fs::write(out, s).unwrap();
    out.to_string_lossy().into_owned()
}

fn eval_args(model: &str, data: &str, extra: &[&str]) -> EvalArgs {
    let mut argv = vec!["logit", "eval", model, data];
    argv.extend_from_slice(extra);
    let Command::Eval(args) = Cli::try_parse_from(argv).unwrap().command else {
        unreachable!()
    };
    args
}

fn binary_json(t: &BinaryTally) -> Value {
    json!({
        "metrics": t.metrics(),
        "calibration": t.calibration(),
        "cuts": t.sweep().map(|s| s.cut_points()),
    })
}

fn multiclass_json(t: &MulticlassTally, labels: &[String]) -> Value {
    let roc: Vec<Vec<(f64, f64)>> = (0..labels.len())
        .map(|c| roc_points_of_groups(&t.class_ranked(c).groups_f64()))
        .collect();
    json!({
        "metrics": t.metrics(labels),
        "calibration": t.top_label_calibration(),
        "roc": roc,
    })
}

/// The single-process eval's tally of the whole file, as JSON.
fn single_json(config: &EvalConfig, model: &Model) -> Value {
    let (target, weight) = (config.target.as_deref(), config.weight.as_deref());
    if model.is_binary() {
        let rows =
            score_labelled_with(model, &config.data, target, weight, config.reading()).unwrap();
        let threshold = crate::commands::eval::threshold_of(config, model).unwrap();
        binary_json(&BinaryTally::of(
            &rows.scores,
            &rows.positive,
            rows.weights.as_deref(),
            threshold,
        ))
    } else {
        let rows = score_labelled_multiclass(model, &config.data, target, weight, config.reading())
            .unwrap();
        let t = MulticlassTally::of(&rows.probabilities, &rows.classes, rows.weights.as_deref());
        multiclass_json(&t, &model.classes)
    }
}

/// The ranks' tallies, gathered and merged on rank 0 as `eval --distributed` does, as JSON.
fn distributed_json(size: usize, config: &EvalConfig, model: &Model) -> Value {
    let group = ThreadGroup::new(size);
    let gathered: Vec<Option<Vec<Vec<u8>>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = group
            .into_iter()
            .map(|member| {
                scope.spawn(move || {
                    let part = split::part_of(&config.data, member.rank(), size).unwrap();
                    let bytes = if model.is_binary() {
                        binary_tally(config, model, &part).unwrap().to_bytes()
                    } else {
                        multiclass_tally(config, model, &part).unwrap().to_bytes()
                    };
                    member.gather(&bytes)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(gathered[1..].iter().all(Option::is_none));
    let parts = gathered.into_iter().next().flatten().unwrap();
    if model.is_binary() {
        binary_json(&merged(parts, BinaryTally::from_bytes, BinaryTally::merge).unwrap())
    } else {
        let t = merged(parts, MulticlassTally::from_bytes, MulticlassTally::merge).unwrap();
        multiclass_json(&t, &model.classes)
    }
}

/// Integers (and nulls, strings, booleans) equal; floats to `rtol` relative.
fn assert_close(a: &Value, b: &Value, rtol: f64, at: &str) {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            let err = (x - y).abs() / x.abs().max(y.abs()).max(1e-300);
            assert!(err <= rtol || x == y, "{at}: {x} vs {y} ({err:e})");
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{at}: lengths");
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                assert_close(u, v, rtol, &format!("{at}[{i}]"));
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            let keys = |m: &serde_json::Map<String, Value>| m.keys().cloned().collect::<Vec<_>>();
            assert_eq!(keys(x), keys(y), "{at}: keys");
            for (k, u) in x {
                assert_close(u, &y[k], rtol, &format!("{at}.{k}"));
            }
        }
        _ => assert_eq!(a, b, "{at}"),
    }
}

/// The models and data sets of the cases: (model, data, extra eval options, weighted).
fn cases(dir: &Path) -> Vec<(String, String, Vec<&'static str>)> {
    let model = |name: &str, data: &str, extra: &[&str]| {
        let path = dir.join(name).to_string_lossy().into_owned();
        single(data, &path, extra).save(&path, &[]).unwrap();
        path
    };
    let binary = model(
        "pima.json",
        &fixture("pima_train.csv"),
        &["--target", "type"],
    );
    let multinomial = model(
        "rings3.json",
        &nn_fixture("rings3_train.csv"),
        &["--target", "y", "--quiet"],
    );
    let ovr = model(
        "rings3_ovr.json",
        &nn_fixture("rings3_train.csv"),
        &["--target", "y", "--multiclass", "ovr", "--quiet"],
    );
    let pima = fixture("pima_test.csv");
    let pima_w = with_weights(&pima, &dir.join("pima_w.csv"));
    let rings = nn_fixture("rings3_test.csv");
    let rings_w = with_weights(&rings, &dir.join("rings_w.csv"));
    vec![
        (binary.clone(), pima.clone(), vec!["--target", "type"]),
        (
            binary.clone(),
            pima,
            vec!["--target", "type", "--threshold", "0.3"],
        ),
        (binary, pima_w, vec!["--target", "type", "--weight", "w"]),
        (multinomial.clone(), rings.clone(), vec!["--target", "y"]),
        (
            multinomial,
            rings_w.clone(),
            vec!["--target", "y", "--weight", "w"],
        ),
        (ovr.clone(), rings, vec!["--target", "y"]),
        (ovr, rings_w, vec!["--target", "y", "--weight", "w"]),
    ]
}

#[test]
fn merged_tallies_of_1_to_3_ranks_are_the_single_process_eval() {
    let dir = tempfile::tempdir().unwrap();
    for (model_path, data, extra) in cases(dir.path()) {
        let config = EvalConfig::from_args(&eval_args(&model_path, &data, &extra));
        let model = Model::load(&model_path).unwrap();
        let want = single_json(&config, &model);
        for size in 1..=3 {
            let got = distributed_json(size, &config, &model);
            let at = format!("{model_path} {data} {extra:?} np {size}");
            assert_close(&got, &want, 1e-14, &at);
            if config.weight.is_none() {
                // Unweighted: every count and the exact ROC AUC bit for bit.
                assert_eq!(
                    got["metrics"]["roc_auc"], want["metrics"]["roc_auc"],
                    "{at}"
                );
                assert_eq!(got["cuts"], want["cuts"], "{at}");
            }
            if size == 1 {
                assert_eq!(got, want, "{at}: one rank merges nothing");
            }
        }
    }
}

/// Runs `logit eval ARGS --distributed` on `size` threads; every rank's exit status.
fn run_threads(size: usize, args: &EvalArgs) -> Vec<ExitStatus> {
    let group = ThreadGroup::new(size);
    std::thread::scope(|scope| {
        let handles: Vec<_> = group
            .into_iter()
            .map(|member| {
                scope.spawn(move || {
                    let comm = Arc::new(Timed::new(member));
                    let rank = comm.rank();
                    silent_unless_lead(rank, super::eval::eval(args, comm))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap().unwrap())
            .collect()
    })
}

#[test]
fn gates_give_the_single_process_exit_status_on_every_rank() {
    let dir = tempfile::tempdir().unwrap();
    let all = cases(dir.path());
    for (i, gates) in [
        &["--min", "roc_auc=0.5", "--max", "log_loss=5"][..],
        &["--min", "roc_auc=0.999"][..],
        &["--min", "accuracy=0.5", "--max", "brier=0.01", "--json"][..],
    ]
    .iter()
    .enumerate()
    {
        for (model, data, extra) in [&all[0], &all[2], &all[3], &all[6]] {
            let mut opts = extra.clone();
            opts.extend_from_slice(gates);
            opts.push("--distributed");
            let args = eval_args(model, data, &opts);
            let want = crate::commands::eval::run(&args).unwrap();
            assert_eq!(
                want,
                if i == 0 {
                    ExitStatus::Success
                } else {
                    ExitStatus::GateFailed
                },
                "{model} {opts:?}"
            );
            for size in [2, 3] {
                assert_eq!(run_threads(size, &args), vec![want; size], "{opts:?}");
            }
        }
    }
}

#[test]
fn a_bad_row_on_the_last_rank_stops_every_rank_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.json").to_string_lossy().into_owned();
    single(&fixture("pima_train.csv"), &model, &["--target", "type"])
        .save(&model, &[])
        .unwrap();
    let text = std::fs::read_to_string(fixture("pima_test.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let bad = lines.len() - 2;
    lines[bad] = {
        let mut cells: Vec<&str> = lines[bad].split(',').collect();
        cells[1] = "oops";
        cells.join(",")
    };
    let data = dir.path().join("bad.csv");
    std::fs::write(&data, lines.join("\n") + "\n").unwrap();
    let data = data.to_string_lossy().into_owned();
    let args = eval_args(&model, &data, &["--target", "type", "--distributed"]);
    let single_err = crate::commands::eval::run(&args).unwrap_err().to_string();
    let group = ThreadGroup::new(3);
    let errors: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = group
            .into_iter()
            .map(|member| {
                let args = &args;
                scope.spawn(move || {
                    super::eval::eval(args, Arc::new(Timed::new(member)))
                        .unwrap_err()
                        .to_string()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let line = format!("{data}: line {}, column \"glu\"", bad + 1);
    assert!(single_err.contains(&line), "{single_err}");
    for e in &errors {
        assert!(e.starts_with("rank 2 of 3: ") && e.contains(&line), "{e}");
    }
}

/// What a rank sends: the fixed sums plus a few bytes per distinct score (per class for a
/// multiclass model), never a row's worth of scores (the bound is the wire format's, see
/// `evaluate::metrics::wire`).
#[test]
fn a_rank_sends_a_few_bytes_per_distinct_score() {
    let dir = tempfile::tempdir().unwrap();
    let all = cases(dir.path());
    for (i, limit) in [(0, 10.0), (2, 18.0), (3, 11.0), (4, 19.0)] {
        let (model_path, data, extra) = &all[i];
        let config = EvalConfig::from_args(&eval_args(model_path, data, extra));
        let model = Model::load(model_path).unwrap();
        let whole = split::Part::Shards(vec![data.clone()]);
        let none = split::Part::Shards(vec![]);
        let (bytes, fixed, distinct) = if model.is_binary() {
            let t = binary_tally(&config, &model, &whole).unwrap();
            let d = t.ranked().distinct();
            let empty = binary_tally(&config, &model, &none).unwrap();
            (t.to_bytes().len(), empty.to_bytes().len(), d)
        } else {
            let t = multiclass_tally(&config, &model, &whole).unwrap();
            let d: usize = (0..model.n_classes())
                .map(|c| t.class_ranked(c).distinct())
                .sum();
            let empty = multiclass_tally(&config, &model, &none).unwrap();
            (t.to_bytes().len(), empty.to_bytes().len(), d)
        };
        let per = (bytes - fixed) as f64 / distinct as f64;
        eprintln!("{data} {extra:?}: {bytes} bytes, {fixed} fixed, {distinct} distinct scores, {per:.2} bytes each");
        assert!(
            per <= limit,
            "{data} {extra:?}: {per} bytes per distinct score"
        );
    }
}

//! The distributed train between threads ([`ThreadGroup`]) against the single-process train on
//! the same rows: objective to 1e-14 relative, probabilities to 1e-12, with byte ranges and
//! shards, binary and multinomial, weights and a categorical column whose levels differ
//! between parts.

use std::path::Path;
use std::sync::Arc;

use clap::Parser;

use super::{silent_unless_lead, ThreadGroup, Timed};
use crate::cli::{Cli, Command};
use crate::commands::train::{train, TrainConfig};
use crate::error::Result;
use crate::exit::ExitStatus;
use crate::model::Model;

pub(super) fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/l1")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// Runs `logit train ARGS --distributed` on `size` threads; rank 0's result.
fn run_threads(size: usize, args: &[&str]) -> Result<ExitStatus> {
    let mut argv = vec!["logit", "train"];
    argv.extend_from_slice(args);
    argv.extend_from_slice(&["--distributed", "--quiet"]);
    let cli = Cli::try_parse_from(&argv).unwrap();
    let Command::Train(train_args) = cli.command else {
        unreachable!()
    };
    let group = ThreadGroup::new(size);
    let results: Vec<Result<ExitStatus>> = std::thread::scope(|scope| {
        let handles: Vec<_> = group
            .into_iter()
            .map(|member| {
                let train_args = &train_args;
                scope.spawn(move || {
                    let comm = Arc::new(Timed::new(member));
                    let rank = super::Comm::rank(comm.as_ref());
                    silent_unless_lead(rank, super::train::train(train_args, comm))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for r in &results[1..] {
        assert!(r.is_ok(), "the other ranks exit quietly");
    }
    results.into_iter().next().unwrap()
}

/// The single-process model of `data` with `extra` options.
pub(super) fn single(data: &str, out: &str, extra: &[&str]) -> Model {
    let mut argv = vec!["logit", "train", data, "-o", out];
    argv.extend_from_slice(extra);
    let Command::Train(args) = Cli::try_parse_from(&argv).unwrap().command else {
        unreachable!()
    };
    let config = TrainConfig::from_args(&args).unwrap();
    train(&config).unwrap().0
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

/// Probabilities of every row of `rows` (design rows in original units) under both models.
fn assert_same_model(a: &Model, b: &Model, rows: &[Vec<f64>]) {
    assert!(
        rel(a.fit.objective, b.fit.objective) <= 1e-14,
        "objective {} vs {}",
        a.fit.objective,
        b.fit.objective
    );
    assert_eq!(a.training.n_rows, b.training.n_rows);
    assert_eq!(a.training.class_counts, b.training.class_counts);
    assert_eq!(
        a.training.weight_sum.to_bits(),
        b.training.weight_sum.to_bits()
    );
    let names = |m: &Model| {
        m.features
            .iter()
            .map(|f| f.name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(a), names(b));
    for (fa, fb) in a.features.iter().zip(&b.features) {
        assert!(rel(fa.mean, fb.mean) <= 1e-14 || (fa.mean - fb.mean).abs() < 1e-14);
        assert!(rel(fa.std, fb.std) <= 1e-14);
    }
    let k = a.coefficients.len();
    let mut worst = 0.0f64;
    for x in rows {
        let scores = |m: &Model| -> Vec<f64> {
            (0..k)
                .map(|c| {
                    m.intercepts[c]
                        + m.coefficients[c]
                            .iter()
                            .zip(x)
                            .map(|(w, v)| w * v)
                            .sum::<f64>()
                })
                .collect()
        };
        let (mut pa, mut pb) = (vec![0.0; a.n_classes()], vec![0.0; b.n_classes()]);
        a.probabilities(&scores(a), &mut pa);
        b.probabilities(&scores(b), &mut pb);
        for (u, v) in pa.iter().zip(&pb) {
            worst = worst.max((u - v).abs());
        }
    }
    assert!(worst <= 1e-12, "probabilities differ by {worst:e}");
}

/// Design rows (original units) of a numeric CSV without its target column `skip`.
fn numeric_rows(path: &str, skip: &str) -> Vec<Vec<f64>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|l| {
            l.split(',')
                .zip(&header)
                .filter(|(_, h)| **h != skip)
                .map(|(v, _)| v.parse().unwrap())
                .collect()
        })
        .collect()
}

#[test]
fn byte_ranges_of_one_csv_give_the_single_process_fit() {
    let dir = tempfile::tempdir().unwrap();
    // pima without a penalty (not separated), breast cancer (separated without one) with one.
    for (name, target, extra) in [
        ("pima_train.csv", "type", &[][..]),
        (
            "breast_cancer_train.csv",
            "diagnosis",
            &["--l2", "0.1", "--positive", "malignant"][..],
        ),
    ] {
        let data = fixture(name);
        let mut opts = vec!["--target", target];
        opts.extend_from_slice(extra);
        let want = single(&data, &dir.path().join("s.json").to_string_lossy(), &opts);
        let rows = numeric_rows(&data, target);
        for size in [1, 2, 3] {
            let out = dir.path().join(format!("d{size}.json"));
            let out = out.to_string_lossy();
            let mut args = vec![data.as_str(), "-o", &out];
            args.extend_from_slice(&opts);
            run_threads(size, &args).unwrap();
            assert_same_model(&Model::load(&out).unwrap(), &want, &rows);
        }
    }
}

/// A multinomial target, a weight column and a categorical column with a level only in the
/// last rows (so the first shard never sees it), split into three shards.
#[test]
fn shards_with_weights_and_categorical_levels_give_the_single_process_fit() {
    let dir = tempfile::tempdir().unwrap();
    let mut all = String::from("x1,x2,colour,w,y\n");
    let mut shards = vec![String::from("x1,x2,colour,w,y\n"); 3];
    let mut state = 12345u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let n = 300;
    for i in 0..n {
        let (x1, x2) = (next() * 4.0 - 2.0, next() * 10.0);
        let colour = if i > 250 && i % 3 == 0 {
            "violet"
        } else {
            ["red", "green", "blue"][(next() * 3.0) as usize]
        };
        let w = 0.5 + (i % 4) as f64;
        let t = x1 + 0.3 * x2 - 1.5 + next() * 2.0;
        let y = if t < 0.0 {
            "a"
        } else if t < 1.5 {
            "b"
        } else {
            "c"
        };
        let line = format!("{x1},{x2},{colour},{w},{y}\n");
        all.push_str(&line);
        shards[i * 3 / n].push_str(&line);
    }
    let data = dir.path().join("all.csv");
    std::fs::write(&data, &all).unwrap();
    let shard_dir = dir.path().join("shards");
    std::fs::create_dir(&shard_dir).unwrap();
    for (i, s) in shards.iter().enumerate() {
        std::fs::write(shard_dir.join(format!("part-{i}.csv")), s).unwrap();
    }
    let opts = ["--target", "y", "--weight", "w", "--l2", "0.01"];
    let want = single(
        &data.to_string_lossy(),
        &dir.path().join("s.json").to_string_lossy(),
        &opts,
    );
    assert_eq!(want.coefficients.len(), 3);
    let rows: Vec<Vec<f64>> = all
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            let mut r = vec![c[0].parse().unwrap(), c[1].parse().unwrap()];
            for level in ["blue", "green", "red", "violet"] {
                r.push(f64::from(u8::from(c[2] == level)));
            }
            r
        })
        .collect();
    for (size, input) in [
        (1, shard_dir.to_string_lossy().into_owned()),
        (2, shard_dir.to_string_lossy().into_owned()),
        (3, format!("{}/part-*.csv", shard_dir.to_string_lossy())),
        (2, data.to_string_lossy().into_owned()),
    ] {
        let out = dir.path().join(format!("d{size}.json"));
        let out = out.to_string_lossy();
        let mut args = vec![input.as_str(), "-o", &out];
        args.extend_from_slice(&opts);
        run_threads(size, &args).unwrap();
        assert_same_model(&Model::load(&out).unwrap(), &want, &rows);
    }
}

#[test]
fn a_bad_cell_on_one_rank_stops_every_rank_with_its_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("a,b,y\n");
    for i in 0..40 {
        let b = if i == 33 {
            "oops".to_string()
        } else {
            (i % 7).to_string()
        };
        text.push_str(&format!("{},{b},{}\n", i % 5, i % 2));
    }
    let data = dir.path().join("d.csv");
    std::fs::write(&data, &text).unwrap();
    let out = dir.path().join("m.json");
    let err = run_threads(
        3,
        &[
            &data.to_string_lossy(),
            "--target",
            "y",
            "-o",
            &out.to_string_lossy(),
        ],
    )
    .unwrap_err()
    .to_string();
    // Row 33 is on line 35 (after the header), in the last third of the file.
    assert!(err.starts_with("rank 2 of 3: "), "{err}");
    assert!(err.contains("line 35"), "{err}");
    assert!(err.contains("oops"), "{err}");
    assert!(!out.exists(), "nothing written");
}

#[test]
fn options_that_need_all_rows_in_one_place_are_refused() {
    let data = fixture("pima_train.csv");
    for extra in [
        &["--solver", "cd"][..],
        &["--l1", "0.1"],
        &["--class-weight", "balanced"],
    ] {
        let mut args = vec![
            data.as_str(),
            "--target",
            "type",
            "-o",
            "/nonexistent/m.json",
        ];
        args.extend_from_slice(extra);
        let err = run_threads(2, &args).unwrap_err().to_string();
        assert!(err.contains("not supported with --distributed"), "{err}");
    }
}

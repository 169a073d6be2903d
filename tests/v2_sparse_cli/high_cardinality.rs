//! A one-hot column of 50,000 levels over 60,000 rows (23.5 GB as a dense design): the CSV
//! reader builds its CSR design straight from the level codes, so `train` stays far under 2 GiB
//! (asserted on the child's peak RSS), and predict/eval score it by level lookup. Smaller cases
//! check the dense and sparse fits of such data agree and that the level limits are the dense
//! design's only.

use std::fmt::Write as _;
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use super::{assert_models_within, train};
use crate::util::{column_f64, parse_csv, Dir, Run};

/// splitmix64: a fixed pseudo-random stream, so the data are the same on every run.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `rows` rows of `site` (level `i % levels`, so every level occurs), a numeric `x` (zero in
/// a third of the rows) and a label `y` that depends on both.
fn site_csv(rows: usize, levels: usize) -> String {
    let mut text = String::from("site,x,y\n");
    for i in 0..rows {
        let level = i % levels;
        let x = match mix(i as u64) % 3 {
            0 => 0.0,
            k => (mix(i as u64 + 7) % 1000) as f64 / 100.0 - k as f64,
        };
        let bias = if mix(level as u64 + 1_000_003).is_multiple_of(2) {
            30
        } else {
            70
        };
        let y = u8::from((mix(i as u64 + 99) % 100) < bias);
        writeln!(text, "s{level:05},{x},{y}").unwrap();
    }
    text
}

/// Runs `logit args` in `dir` and returns the run and the child's peak resident set in bytes
/// (`wait4`'s `ru_maxrss`, the kernel's VmHWM of that process).
// The child is reaped by `libc::wait4` (which also gives its peak RSS), not `Child::wait`.
#[allow(clippy::zombie_processes)]
fn run_measured(dir: &Dir, args: &[&str]) -> (Run, u64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_logit"))
        .args(args)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn logit");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        out.read_to_end(&mut buf).unwrap();
        buf
    });
    let mut stderr = Vec::new();
    err.read_to_end(&mut stderr).unwrap();
    let stdout = reader.join().unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value, and wait4 writes only into the two
    // out-parameters; the child is ours and not yet waited for.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4");
    let run = Run {
        description: format!(
            "command: logit {}\ncwd: {}",
            args.join(" "),
            dir.path().display()
        ),
        output: Output {
            status: std::process::ExitStatus::from_raw(status),
            stdout,
            stderr,
        },
    };
    // Linux reports ru_maxrss in kibibytes.
    (run, usage.ru_maxrss as u64 * 1024)
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

#[test]
fn a_50000_level_column_over_60000_rows_trains_sparse_under_2_gib_and_scores_by_level() {
    let dir = Dir::new();
    dir.write("sites.csv", site_csv(60_000, 50_000));
    let (run, peak) = run_measured(
        &dir,
        &[
            "train",
            "sites.csv",
            "--target",
            "y",
            "--l2",
            "1e-3",
            "-o",
            "m.json",
        ],
    );
    run.ok().stderr_has(&[
        "design: sparse (CSR), 60000 rows x 50001 columns",
        "--design auto chose it",
    ]);
    assert!(peak < 2 << 30, "peak RSS {peak} bytes");
    let model: Value = serde_json::from_str(&dir.read("m.json")).unwrap();
    assert_eq!(model["features"].as_array().unwrap().len(), 50_001);
    assert_eq!(model["fit"]["converged"], true, "{}", model["fit"]);

    // predict scores each row by its level's coefficient: recomputed here from the model file.
    let (run, peak) = run_measured(&dir, &["predict", "m.json", "sites.csv", "-o", "p.csv"]);
    run.ok();
    assert!(peak < 1 << 30, "predict peak RSS {peak} bytes");
    let coefficient: std::collections::HashMap<&str, f64> = model["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap(),
                f["coefficient"].as_f64().unwrap(),
            )
        })
        .collect();
    let intercept = model["intercept"].as_f64().unwrap();
    let (_, rows) = parse_csv(&dir.read("sites.csv"));
    let probabilities = column_f64(&dir.read("p.csv"), "probability");
    assert_eq!(probabilities.len(), rows.len());
    for i in (0..rows.len()).step_by(997) {
        let x: f64 = rows[i][1].parse().unwrap();
        let z =
            intercept + coefficient["x"] * x + coefficient[format!("site={}", rows[i][0]).as_str()];
        assert!(
            (probabilities[i] - sigmoid(z)).abs() < 1e-12,
            "row {i}: {} vs {}",
            probabilities[i],
            sigmoid(z)
        );
    }
    let (run, _) = run_measured(&dir, &["eval", "m.json", "sites.csv", "--json"]);
    run.ok();
    let metrics: Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(metrics["n"].as_u64(), Some(60_000), "{metrics}");
}

#[test]
fn high_cardinality_data_give_the_same_model_on_the_dense_and_the_sparse_design() {
    let dir = Dir::new();
    // 3,000 rows x 2,001 columns: --design auto picks sparse (6e6 cells, density 7e-4).
    dir.write("sites.csv", site_csv(3_000, 2_000));
    let args = vec![
        "sites.csv",
        "--target",
        "y",
        "--l2",
        "1e-2",
        "--tol",
        "1e-13",
    ];
    let dense = train(&dir, &args, "dense", "dense.json");
    let auto = train(&dir, &args, "auto", "auto.json");
    assert_models_within(&dense, &auto, "2000 levels", 1e-9);
    let mut all = vec!["train"];
    all.extend(&args);
    all.extend(["-o", "auto.json"]);
    dir.run(&all)
        .ok()
        .stderr_has(&["design: sparse (CSR)", "--design auto chose it"]);
    // Other solvers: the same optimum, to their stopping rule (gd and L-BFGS converge linearly
    // near the end, so 1e-13 on the gradient leaves about 1e-11 on the coefficients).
    for solver in ["gd", "cd"] {
        let mut with = args.clone();
        with.extend(["--solver", solver]);
        let dense = train(&dir, &with, "dense", "dense.json");
        let sparse = train(&dir, &with, "sparse", "sparse.json");
        assert_models_within(&dense, &sparse, solver, 1e-9);
    }
}

#[test]
fn the_level_limits_refuse_a_dense_design_only() {
    let dir = Dir::new();
    dir.write("ids.csv", site_csv(10_001, 10_001));
    let base = [
        "train", "ids.csv", "--target", "y", "--l2", "1", "-o", "m.json",
    ];
    let mut dense = base.to_vec();
    dense.extend(["--design", "dense"]);
    dir.run(&dense).expect_code(2).stderr_has(&[
        "ids.csv",
        "\"site\"",
        "10000 levels",
        "--design sparse",
    ]);
    assert!(!dir.exists("m.json"));
    dir.run(&base)
        .ok()
        .stderr_has(&["design: sparse (CSR), 10001 rows x 10002 columns"]);
    assert!(dir.exists("m.json"));
}

#[test]
fn small_data_stay_dense_and_the_report_says_why() {
    let dir = Dir::new();
    dir.write("small.csv", site_csv(500, 50));
    let run = dir.run(&[
        "train",
        "small.csv",
        "--target",
        "y",
        "--l2",
        "1",
        "-o",
        "m.json",
    ]);
    run.ok().stderr_has(&[
        "design: dense, 500 rows x 51 columns",
        "--design auto chose it",
    ]);
    let run = dir.run(&[
        "train",
        "small.csv",
        "--target",
        "y",
        "--l2",
        "1",
        "--design",
        "sparse",
        "-o",
        "m.json",
    ]);
    run.ok().stderr_has(&[
        "design: sparse (CSR), 500 rows x 51 columns",
        "as --design sparse asks",
    ]);
}

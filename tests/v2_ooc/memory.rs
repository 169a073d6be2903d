//! Peak anonymous memory of out-of-core training, and the cache's removal on a signal.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::Dir;

/// `RssAnon` of process `pid` in bytes (the private memory; the mapped cache is file-backed
/// and counted in `RssFile` instead), or `None` once it has exited.
fn rss_anon(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("RssAnon:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Runs `logit args` in `dir`, polling the child's `RssAnon` every millisecond; returns the
/// exit code, stderr and the largest value seen.
fn peak_rss_anon(dir: &Dir, args: &[&str]) -> (i32, String, u64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_logit"))
        .args(args)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn logit");
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        err.read_to_string(&mut s).unwrap();
        s
    });
    let mut peak = 0;
    loop {
        if let Some(rss) = rss_anon(child.id()) {
            peak = peak.max(rss);
        }
        if let Some(status) = child.try_wait().unwrap() {
            return (status.code().unwrap_or(-1), reader.join().unwrap(), peak);
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Numeric CSV: `rows` x `cols` features and a binary label.
fn numeric_csv(rows: usize, cols: usize) -> String {
    let mut state = 42u64;
    let mut text: String = (0..cols).map(|j| format!("x{j},")).collect();
    text.push_str("y\n");
    for _ in 0..rows {
        let mut z = 0.0;
        for j in 0..cols {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let v = ((state >> 11) as f64) / ((1u64 << 53) as f64) - 0.5;
            z += if j % 3 == 0 { v } else { -0.5 * v };
            text.push_str(&format!("{v:.5},"));
        }
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let u = ((state >> 11) as f64) / ((1u64 << 53) as f64);
        text.push_str(if u < 1.0 / (1.0 + (-4.0 * z).exp()) {
            "1\n"
        } else {
            "0\n"
        });
    }
    text
}

#[test]
fn a_design_larger_than_the_limit_trains_within_bounded_anonymous_memory() {
    let dir = Dir::new();
    // 150,000 x 30: a 36 MB dense design (34 MB of text), against a 6 MiB limit.
    let (rows, cols) = (150_000, 30);
    dir.write("big.csv", numeric_csv(rows, cols));
    let design_bytes = (rows * cols * 8) as u64;
    let (code, stderr, in_memory) =
        peak_rss_anon(&dir, &["train", "big.csv", "--target", "y", "-o", "m.json"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, stderr, cached) = peak_rss_anon(
        &dir,
        &[
            "train",
            "big.csv",
            "--target",
            "y",
            "-o",
            "c.json",
            "--max-memory",
            "6M",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("out-of-core row cache"), "{stderr}");
    // In memory the design alone is 36 MB; from the cache what is left is the per-row vectors
    // (labels, scores, residuals: a few n-long f64 vectors, 1.2 MB each) and small buffers.
    assert!(in_memory > design_bytes, "in memory: {in_memory} bytes");
    assert!(
        cached < 16 << 20,
        "out of core: peak RssAnon {cached} bytes (in memory {in_memory})"
    );
    let a: serde_json::Value = serde_json::from_str(&dir.read("m.json")).unwrap();
    let b: serde_json::Value = serde_json::from_str(&dir.read("c.json")).unwrap();
    assert_eq!(a["coefficients"], b["coefficients"]);
    assert_eq!(a["fit"]["objective"], b["fit"]["objective"]);
}

#[test]
fn an_interrupted_run_removes_its_cache() {
    let dir = Dir::new();
    let mut child = Command::new(env!("CARGO_BIN_EXE_logit"))
        .args([
            "train",
            "-",
            "--target",
            "y",
            "-o",
            "m.json",
            "--max-memory",
            "1M",
        ])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn logit");
    // Half the rows, then the input stays open: the run waits inside the streaming pass.
    let mut input = child.stdin.take().unwrap();
    input.write_all(numeric_csv(2000, 5).as_bytes()).unwrap();
    input.flush().unwrap();
    let started = Instant::now();
    let cache = loop {
        let found = dir
            .listing()
            .into_iter()
            .find(|n| n.ends_with(".logitcache"));
        if let Some(name) = found {
            break name;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no cache appeared"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) },
        0
    );
    let status = child.wait().unwrap();
    drop(input);
    assert_eq!(status.code(), Some(130));
    assert!(!dir.exists(&cache), "{:?}", dir.listing());
    assert!(!dir.exists("m.json"));
}

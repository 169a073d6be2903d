//! Issue 12, out-of-core training: `train --max-memory` streams the rows into a row cache on
//! disk and fits from it block by block. Every fit must be the in-memory fit (objective 1e-12
//! relative, coefficients 1e-10 relative: the references are the in-memory runs of the same
//! command), the anonymous memory must stay bounded on data larger than the limit, and the
//! cache must never be left behind (unless kept) nor used when damaged.

mod memory;

use serde_json::Value;

use crate::util::Dir;

/// A deterministic table with what the streaming reader must get right: numeric columns, a
/// categorical column whose levels appear out of order, missing cells in both, a weight
/// column with zeros, a binary and a three-class target.
pub fn mixed_csv(rows: usize, seed: u64) -> String {
    let mut state = seed;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64) / ((1u64 << 53) as f64)
    };
    let levels = ["teal", "red", "green", "blue"];
    let mut text = String::from("a,b,color,c,w,y3,y2\n");
    for _ in 0..rows {
        let a = next() * 4.0 - 2.0;
        let b = 2.0 + 6.0 * (next() - 0.5);
        let level = (next() * 4.0) as usize % 4;
        let c = (next() * 6.0) as u32;
        let w = [0.0, 0.5, 1.0, 2.0, 3.0][(next() * 5.0) as usize % 5];
        let z = 0.8 * a - 0.3 * b + [1.0, 0.5, -0.5, 0.0][level] + 0.2 * f64::from(c);
        let u = next();
        let y2 = if u < 1.0 / (1.0 + (-z).exp()) {
            "yes"
        } else {
            "no"
        };
        let y3 = if u < 0.3 {
            "lo"
        } else if z > 0.3 {
            "hi"
        } else {
            "mid"
        };
        let a = if next() < 0.05 {
            String::new()
        } else {
            format!("{a:.4}")
        };
        let color = if next() < 0.05 { "NA" } else { levels[level] };
        text.push_str(&format!("{a},{b:.3},{color},{c},{w},{y3},{y2}\n"));
    }
    text
}

fn f64s(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(items) => items.iter().flat_map(f64s).collect(),
        Value::Number(n) => vec![n.as_f64().unwrap()],
        _ => Vec::new(),
    }
}

fn assert_close(what: &str, a: &[f64], b: &[f64], rel: f64) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    let scale = a.iter().fold(1e-300f64, |m, v| m.max(v.abs()));
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= rel * x.abs().max(scale * 1e-3),
            "{what}[{i}]: in memory {x}, out of core {y}"
        );
    }
}

/// The cache files left in `dir`.
fn caches(dir: &Dir) -> Vec<String> {
    dir.listing()
        .into_iter()
        .filter(|n| n.contains(".logitcache") || n.ends_with(".columns"))
        .collect()
}

/// Trains `args` in memory and with `--max-memory` small enough for blocks of a few rows, and
/// checks that both give the same model.
fn same_fit(dir: &Dir, args: &[&str]) {
    let mut memory = vec!["train", "mixed.csv", "-o", "memory.json"];
    memory.extend(args);
    dir.run(&memory).ok();
    let mut cached = vec![
        "train",
        "mixed.csv",
        "-o",
        "cached.json",
        "--max-memory",
        "4K",
    ];
    cached.extend(args);
    let run = dir.run(&cached);
    run.ok()
        .stderr_has(&["out-of-core row cache", "blocks of 1 rows"]);
    let a: Value = serde_json::from_str(&dir.read("memory.json")).unwrap();
    let b: Value = serde_json::from_str(&dir.read("cached.json")).unwrap();
    let what = args.join(" ");
    // One fit's objective, or one per class (one-vs-rest).
    let objective = |m: &Value| -> Vec<f64> {
        match &m["fit"] {
            Value::Array(fits) => fits
                .iter()
                .map(|f| f["objective"].as_f64().unwrap())
                .collect(),
            fit => match fit["objective"].as_f64() {
                Some(v) => vec![v],
                None => m["fits"].as_array().map_or_else(Vec::new, |fits| {
                    fits.iter()
                        .map(|f| f["objective"].as_f64().unwrap())
                        .collect()
                }),
            },
        }
    };
    assert!(!objective(&a).is_empty(), "{what}: no objective in {a}");
    assert_close(
        &format!("{what}: objective"),
        &objective(&a),
        &objective(&b),
        1e-12,
    );
    for key in [
        "coefficients",
        "intercepts",
        "coefficients_standardized",
        "intercepts_standardized",
        "features",
    ] {
        assert_close(
            &format!("{what}: {key}"),
            &f64s(&a[key]),
            &f64s(&b[key]),
            1e-10,
        );
    }
    for key in ["classes", "columns", "missing", "training", "multiclass"] {
        assert_eq!(a[key], b[key], "{what}: {key}");
    }
    assert!(
        caches(dir).is_empty(),
        "cache left behind: {:?}",
        dir.listing()
    );
}

#[test]
fn every_solver_family_and_weighting_fits_the_in_memory_model_from_the_cache() {
    let dir = Dir::new();
    dir.write("mixed.csv", mixed_csv(300, 7));
    let binary = ["--target", "y2", "--exclude", "y3,w"];
    let cases: Vec<Vec<&str>> = vec![
        vec!["--missing", "mean"],
        vec!["--missing", "drop", "--solver", "newton", "--l2", "0.01"],
        vec![
            "--missing",
            "drop",
            "--solver",
            "gd",
            "--l2",
            "0.01",
            "--max-iter",
            "200",
        ],
        vec!["--missing", "drop", "--l1", "0.01"],
        vec!["--missing", "drop", "--no-intercept", "--l2", "0.1"],
        vec!["--missing", "drop", "--no-standardize", "--l2", "0.1"],
    ];
    for case in &cases {
        let mut args = binary.to_vec();
        args.extend(case);
        same_fit(&dir, &args);
    }
    // Row weights (zeros among them) and class weights, with L1 + L2 by coordinate descent.
    same_fit(
        &dir,
        &[
            "--target",
            "y2",
            "--exclude",
            "y3",
            "--weight",
            "w",
            "--missing",
            "drop",
            "--l2",
            "0.1",
        ],
    );
    same_fit(
        &dir,
        &[
            "--target",
            "y2",
            "--exclude",
            "y3",
            "--weight",
            "w",
            "--missing",
            "drop",
            "--l1",
            "0.01",
            "--l2",
            "0.01",
            "--class-weight",
            "balanced",
        ],
    );
    let multi = ["--target", "y3", "--exclude", "y2,w", "--missing", "drop"];
    for case in [
        vec!["--l2", "0.01"],
        vec!["--solver", "newton", "--l2", "0.01"],
        vec!["--l1", "0.005"],
        vec!["--multiclass", "ovr", "--l2", "0.01"],
        vec!["--multiclass", "ovr", "--l1", "0.01"],
    ] {
        let mut args = multi.to_vec();
        args.extend(case);
        same_fit(&dir, &args);
    }
    same_fit(
        &dir,
        &[
            "--target",
            "y3",
            "--exclude",
            "y2",
            "--weight",
            "w",
            "--missing",
            "mean",
            "--l2",
            "0.01",
        ],
    );
}

#[test]
fn the_warnings_and_summary_are_the_in_memory_ones() {
    let dir = Dir::new();
    dir.write("mixed.csv", mixed_csv(200, 3));
    let args = [
        "--target",
        "y2",
        "--exclude",
        "y3,w",
        "--missing",
        "mean",
        "--summary",
        "-q",
    ];
    let mut memory = vec!["train", "mixed.csv", "-o", "m.json"];
    memory.extend(args);
    let mut cached = vec!["train", "mixed.csv", "-o", "c.json", "--max-memory", "1K"];
    cached.extend(args);
    let a = dir.run(&memory);
    let b = dir.run(&cached);
    a.ok();
    b.ok();
    // Separation and identifiability checks, fill notes and the summary table, all from
    // passes over the cache.
    assert!(
        a.stderr().contains("--missing mean filled"),
        "{}",
        a.stderr()
    );
    assert_eq!(a.stderr(), b.stderr());
}

#[test]
fn stdin_and_compressed_input_are_streamed_and_kept_caches_are_checked_when_opened() {
    let dir = Dir::new();
    let text = mixed_csv(120, 11);
    dir.write("mixed.csv", &text);
    std::fs::create_dir(dir.path().join("cachedir")).unwrap();
    let args = [
        "--target",
        "y2",
        "--exclude",
        "y3,w",
        "--missing",
        "drop",
        "-q",
    ];
    let mut memory = vec!["train", "mixed.csv", "-o", "m.json"];
    memory.extend(args);
    dir.run(&memory).ok();
    // Standard input: its size is unknown, so the cache is used whatever the limit.
    let mut piped = vec!["train", "-", "-o", "s.json", "--max-memory", "1G"];
    piped.extend(args);
    piped.extend(["--cache", "cachedir", "--keep-cache"]);
    let run = dir.run_with_stdin(&piped, Some(text.as_bytes()));
    run.ok();
    let a: Value = serde_json::from_str(&dir.read("m.json")).unwrap();
    let b: Value = serde_json::from_str(&dir.read("s.json")).unwrap();
    assert_close(
        "stdin",
        &f64s(&a["coefficients"]),
        &f64s(&b["coefficients"]),
        1e-10,
    );
    // The kept cache is in --cache DIR, complete, and refused once damaged.
    let kept: Vec<_> = std::fs::read_dir(dir.path().join("cachedir"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let path = &kept[0];
    let cache = logit::data::cache::CachedMatrix::open(path, true).expect("a complete cache");
    assert_eq!(
        cache.n_rows(),
        a["training"]["n_rows"].as_u64().unwrap() as usize
    );
    assert!(cache.schema().scaler.is_some());
    drop(cache);
    let good = std::fs::read(path).unwrap();
    let refused = |bytes: &[u8], why: &str| {
        std::fs::write(path, bytes).unwrap();
        let err = logit::data::cache::CachedMatrix::open(path, true).unwrap_err();
        let message = err.to_string();
        assert!(message.contains(why), "{message}");
        assert!(message.contains("cannot be used"), "{message}");
    };
    refused(&good[..good.len() - 100], "truncated");
    let mut flipped = good.clone();
    flipped[128 + 8 * 17] ^= 0x10;
    refused(&flipped, "data checksum");
    refused(&good[..100], "truncated");
    // gzip input: decompressed as a stream into the cache.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, text.as_bytes()).unwrap();
    dir.write("mixed.csv.gz", gz.finish().unwrap());
    let mut zipped = vec![
        "train",
        "mixed.csv.gz",
        "-o",
        "z.json",
        "--max-memory",
        "1G",
    ];
    zipped.extend(args);
    dir.run(&zipped).ok();
    let z: Value = serde_json::from_str(&dir.read("z.json")).unwrap();
    assert_close(
        "gzip",
        &f64s(&a["coefficients"]),
        &f64s(&z["coefficients"]),
        1e-10,
    );
    assert!(caches(&dir).is_empty(), "{:?}", dir.listing());
}

#[test]
fn bad_data_and_options_that_need_memory_fail_cleanly_without_a_cache_left() {
    let dir = Dir::new();
    let mut text = mixed_csv(50, 5);
    text.push_str("1.5,oops,red,1,1,lo,yes\n");
    dir.write("bad.csv", &text);
    dir.write("good.csv", mixed_csv(50, 5));
    let train = |data: &str, extra: &[&str]| {
        let mut args = vec![
            "train",
            data,
            "-o",
            "m.json",
            "--target",
            "y2",
            "--exclude",
            "y3,w",
        ];
        args.extend(["--max-memory", "1K"]);
        args.extend(extra);
        if !extra.contains(&"--missing") {
            args.extend(["--missing", "drop"]);
        }
        dir.run(&args)
    };
    train("bad.csv", &[])
        .expect_code(2)
        .stderr_has(&["bad.csv", "line 52", "\"b\"", "oops"]);
    train("good.csv", &["--missing", "median"])
        .expect_code(2)
        .stderr_has(&["--missing median", "--max-memory"]);
    train("good.csv", &["--solver", "linfa"])
        .expect_code(2)
        .stderr_has(&["linfa", "--max-memory"]);
    train("good.csv", &["--design", "sparse"])
        .expect_code(2)
        .stderr_has(&["--design sparse"]);
    train("good.csv", &["--cache", "no-such-dir"])
        .expect_code(2)
        .stderr_has(&["no-such-dir", "not a directory"]);
    dir.run(&["train", "good.csv", "--target", "y2", "--cache", "."])
        .expect_code(2)
        .stderr_has(&["--max-memory"]);
    assert!(!dir.exists("m.json"));
    assert!(caches(&dir).is_empty(), "{:?}", dir.listing());
}

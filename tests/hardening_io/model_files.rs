//! Issue 8, model files: endless or binary inputs as MODEL stop at once within bounded memory
//! (item 5, model side); duplicate keys and numbers that disagree are refused naming the key
//! or field (item 11). Each test failed on 1.0.

use std::io::Write;
use std::process::{Command, Stdio};

use super::{describe, finish, pima_dir};
use crate::util::Dir;

/// Runs `logit` under a virtual-memory limit (KiB): an unbounded read fails there instead of
/// exhausting the machine.
fn limited(dir: &Dir, kib: u64, args: &[&str]) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("ulimit -v {kib} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_logit"))
        .args(args)
        .current_dir(dir.path())
        .stdin(Stdio::null());
    cmd
}

#[test]
fn dev_zero_and_dev_urandom_as_model_fail_at_once_with_bounded_memory() {
    let dir = pima_dir();
    for model in ["/dev/zero", "/dev/urandom"] {
        for command in ["predict", "eval", "summary"] {
            let args: Vec<&str> = if command == "summary" {
                vec![command, model]
            } else {
                vec![command, model, "pima_test.csv"]
            };
            // 1 GiB of address space: far below what an unbounded read would take.
            let out = limited(&dir, 1 << 20, &args).output().expect("run");
            let stderr = String::from_utf8_lossy(&out.stderr);
            let what = describe(&args, out.status, &stderr);
            assert_eq!(out.status.code(), Some(2), "{what}");
            assert!(
                stderr.starts_with(&format!(
                    "logit: error: {model}: not a logit model file: byte 0x"
                )),
                "{what}"
            );
            assert!(stderr.contains("is binary data, not JSON text"), "{what}");
        }
    }
}

#[test]
fn an_endless_text_stream_as_model_stops_at_the_documented_256_mib_bound() {
    let dir = pima_dir();
    // Spaces are valid JSON whitespace, so only the size bound can stop the read.
    let mut child = limited(&dir, 1 << 20, &["summary", "/dev/stdin"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let feeder = std::thread::spawn(move || {
        let block = vec![b' '; 1 << 20];
        let mut sent: u64 = 0;
        while stdin.write_all(&block).is_ok() {
            sent += block.len() as u64;
        }
        sent
    });
    let (status, stderr) = finish(child);
    let sent = feeder.join().expect("feeder");
    let what = describe(&["summary", "/dev/stdin"], status, &stderr);
    assert_eq!(status.code(), Some(2), "{what}");
    assert_eq!(
        stderr,
        "logit: error: /dev/stdin: larger than 256 MiB, the most logit reads as a model file; \
         is this a model file?\n",
        "{what}"
    );
    // It read the bound and stopped (the pipe holds at most a few MiB more).
    assert!((256 << 20..300 << 20).contains(&sent), "{sent} bytes sent");
}

/// The trained pima model as JSON text, edited by `edit` and written as `bad.json`.
fn edited_model(dir: &Dir, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut model: serde_json::Value = serde_json::from_str(&dir.read("m.json")).unwrap();
    edit(&mut model);
    dir.write("bad.json", serde_json::to_string_pretty(&model).unwrap());
}

fn refused(dir: &Dir, words: &[&str]) {
    for args in [
        &["summary", "bad.json"][..],
        &["predict", "bad.json", "pima_test.csv"],
        &["eval", "bad.json", "pima_test.csv"],
    ] {
        let run = dir.run(args);
        run.expect_code(2)
            .stderr_has(&["bad.json: damaged model file: "]);
        run.stderr_has(words);
        assert!(run.stdout().is_empty());
    }
}

#[test]
fn model_files_with_duplicate_keys_are_refused_naming_the_key_at_any_depth() {
    let dir = pima_dir();
    let text = dir.read("m.json");
    // serde_json would keep the last of each pair; a reader would see the first.
    let top = text.replacen(
        "  \"threshold\": 0.5,",
        "  \"threshold\": 0.5,\n  \"threshold\": 0.9,",
        1,
    );
    assert_ne!(top, text);
    dir.write("bad.json", &top);
    refused(
        &dir,
        &["the key \"threshold\" appears twice at the top level"],
    );
    let first = text.find("\"coefficient\": ").expect("a coefficient");
    let mut nested = text.clone();
    nested.insert_str(first, "\"coefficient\": 100.0,\n      ");
    dir.write("bad.json", &nested);
    refused(
        &dir,
        &["the key \"coefficient\" appears twice in features[0]"],
    );
}

#[test]
fn model_files_whose_numbers_disagree_are_refused_naming_the_field() {
    let dir = pima_dir();
    let scale = |v: &serde_json::Value, k: f64| serde_json::json!(v.as_f64().unwrap() * k);
    edited_model(&dir, |m| {
        m["features"][2]["coefficient"] = scale(&m["features"][2]["coefficient"], 2.0)
    });
    refused(
        &dir,
        &[
            "features[2] (\"bp\"): coefficient",
            "coefficient_standardized / std",
        ],
    );
    edited_model(&dir, |m| {
        m["features"][0]["coefficient_standardized"] =
            scale(&m["features"][0]["coefficient_standardized"], 1.001)
    });
    refused(&dir, &["features[0] (\"npreg\"): coefficient"]);
    edited_model(&dir, |m| {
        m["features"][1]["std"] = scale(&m["features"][1]["std"], 3.0)
    });
    refused(&dir, &["features[1] (\"glu\"): coefficient"]);
    edited_model(&dir, |m| {
        m["intercept"] = scale(&m["intercept"], 1.0 + 1e-6)
    });
    refused(
        &dir,
        &[
            "intercept",
            "does not match intercept_standardized - sum(coefficient * mean)",
        ],
    );
    edited_model(&dir, |m| {
        m["features"][3]["mean"] = scale(&m["features"][3]["mean"], 2.0)
    });
    refused(&dir, &["intercept"]);
    edited_model(&dir, |m| m["training"]["n_rows"] = serde_json::json!(371));
    refused(
        &dir,
        &["training.n_rows is 371 but training.n_positive + training.n_negative is 124 + 248"],
    );
    edited_model(&dir, |m| {
        m["training"]["n_positive"] = serde_json::json!(0);
        m["training"]["n_rows"] = serde_json::json!(248);
    });
    refused(&dir, &["training.n_positive (0)"]);
    // Counts that add up but are not the data the stored log-likelihood was computed on.
    edited_model(&dir, |m| {
        m["training"]["n_negative"] = serde_json::json!(249);
        m["training"]["n_rows"] = serde_json::json!(373);
        // Version 2 records the objective's divisor S beside n_rows (equal without weights).
        m["training"]["weight_sum"] = serde_json::json!(373.0);
    });
    refused(
        &dir,
        &[
            "fit.objective",
            "-inference.log_likelihood / training.n_rows",
        ],
    );
    edited_model(&dir, |m| {
        let ll = m["inference"]["log_likelihood"].clone();
        m["inference"]["log_likelihood"] = scale(&ll, 1.01);
    });
    refused(&dir, &["fit.objective"]);
    edited_model(&dir, |m| {
        m["objective"]["fit_intercept"] = serde_json::json!(false)
    });
    refused(&dir, &["mean", "objective.fit_intercept is false"]);
    edited_model(&dir, |m| m["fit"]["converged"] = serde_json::json!(false));
    refused(
        &dir,
        &["fit.converged is false but fit.stop_reason is Converged"],
    );
    // The untouched model loads, and so does one edited consistently in both scales:
    // doubling w_0 (both scales) moves the intercept by -w_0 mean_0.
    edited_model(&dir, |m| {
        let f = m["features"][0].clone();
        let (w, w_std, mean) = (
            f["coefficient"].as_f64().unwrap(),
            f["coefficient_standardized"].as_f64().unwrap(),
            f["mean"].as_f64().unwrap(),
        );
        m["features"][0]["coefficient"] = serde_json::json!(2.0 * w);
        m["features"][0]["coefficient_standardized"] = serde_json::json!(2.0 * w_std);
        m["intercept"] = serde_json::json!(m["intercept"].as_f64().unwrap() - w * mean);
        // Inference was computed for the original coefficients; summary would not be honest.
        m.as_object_mut().unwrap().remove("inference");
    });
    dir.run(&["predict", "bad.json", "pima_test.csv"]).ok();
    dir.run(&["summary", "m.json"]).ok();
}

#[test]
fn a_model_file_is_parsed_in_memory_proportional_to_its_size() {
    // 20 MB of numbers in a field logit does not know: skipped, never stored (1.0 built a JSON
    // tree of them, about 32 bytes a number, and aborted under this limit).
    let dir = pima_dir();
    let text = dir.read("m.json");
    let zeros = vec!["0"; 10 << 20].join(",");
    dir.write(
        "padded.json",
        format!("{{\"extra\": [{zeros}],{}", &text[1..]),
    );
    let out = limited(&dir, 160_000, &["summary", "padded.json"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let plain = dir.run(&["summary", "m.json"]).ok().stdout();
    assert_eq!(String::from_utf8_lossy(&out.stdout), plain);
}

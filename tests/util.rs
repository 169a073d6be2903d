//! Test helpers: a scratch directory per test, fixture copying, and running the `logit` binary
//! with everything needed to debug a failure printed (command, cwd, status, stdout, stderr).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value};

/// The repository's fixtures folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// A scratch directory that runs `logit` in itself and is removed at the end of the test.
pub struct Dir {
    tmp: tempfile::TempDir,
}

/// What a run produced.
pub struct Run {
    pub description: String,
    pub output: Output,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    fn context(&self) -> String {
        format!(
            "{}\nstatus: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.description,
            self.output.status,
            self.stdout(),
            self.stderr()
        )
    }

    /// Asserts the exit code and that no panic text appeared.
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code(),
            code,
            "unexpected exit code\n{}",
            self.context()
        );
        let all = self.stdout() + &self.stderr();
        assert!(
            !all.contains("panicked"),
            "panic output\n{}",
            self.context()
        );
        if code == 2 {
            assert!(
                self.stderr().starts_with("logit: error:") || self.stderr().starts_with("error:"),
                "an error must be reported on stderr with a prefix\n{}",
                self.context()
            );
            // Our own errors are one line; clap's usage errors add a "try --help" hint.
            if self.stderr().starts_with("logit: error:") {
                assert_eq!(
                    self.stderr().trim_end().lines().count(),
                    1,
                    "an error must be one line\n{}",
                    self.context()
                );
            }
        }
        self
    }

    pub fn ok(&self) -> &Self {
        self.expect_code(0)
    }

    /// Asserts that stderr contains every one of `words`.
    pub fn stderr_has(&self, words: &[&str]) -> &Self {
        let err = self.stderr();
        for w in words {
            assert!(err.contains(w), "stderr lacks {w:?}\n{}", self.context());
        }
        self
    }
}

impl Dir {
    pub fn new() -> Dir {
        Dir {
            tmp: tempfile::Builder::new()
                .prefix("logit-test-")
                .tempdir()
                .expect("tempdir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// Copies `fixtures/name` into the directory under the same name.
    pub fn fixture(&self, name: &str) -> &Self {
        fs::copy(fixtures().join(name), self.path().join(name)).expect("copy fixture");
        self
    }

    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> &Self {
        fs::write(self.path().join(name), contents).expect("write file");
        self
    }

    pub fn read(&self, name: &str) -> String {
        fs::read_to_string(self.path().join(name)).expect("read file")
    }

    pub fn read_bytes(&self, name: &str) -> Vec<u8> {
        fs::read(self.path().join(name)).expect("read file")
    }

    #[allow(dead_code)]
    pub fn exists(&self, name: &str) -> bool {
        self.path().join(name).exists()
    }

    /// Names of the files in the directory, sorted (to detect stray temporary files).
    pub fn listing(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.path())
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, None)
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: Option<&[u8]>) -> Run {
        let bin = env!("CARGO_BIN_EXE_logit");
        let mut cmd = Command::new(bin);
        cmd.args(args)
            .current_dir(self.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let mut child = cmd.spawn().expect("spawn logit");
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().expect("stdin");
            // The child may stop reading early (an error); a broken pipe here is fine.
            let _ = pipe.write_all(input);
        }
        let output = child.wait_with_output().expect("wait for logit");
        let description = format!(
            "command: logit {}\ncwd: {}",
            args.join(" "),
            self.path().display()
        );
        Run {
            description,
            output,
        }
    }
}

/// Copies `name`'s train and test fixtures into `dir` and trains `m.json` on the train split.
pub fn trained(dir: &Dir, name: &str, target: &str, positive: &str, l2: &str) {
    let train = format!("{name}_train.csv");
    dir.fixture(&train).fixture(&format!("{name}_test.csv"));
    dir.run(&[
        "train",
        &train,
        "--target",
        target,
        "--positive",
        positive,
        "--l2",
        l2,
        "-o",
        "m.json",
        "-q",
    ])
    .ok();
}

/// Parses CSV text into a header and rows.
pub fn parse_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.expect("record").iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

/// The column named `name` of CSV text, as f64.
pub fn column_f64(text: &str, name: &str) -> Vec<f64> {
    let (header, rows) = parse_csv(text);
    let j = header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    rows.iter().map(|r| r[j].parse().expect("number")).collect()
}

/// The reference results for a fixture dataset (made by scikit-learn/statsmodels).
pub fn expected(name: &str) -> serde_json::Value {
    let text = fs::read_to_string(fixtures().join(format!("{name}.expected.json")))
        .expect("expected json");
    serde_json::from_str(&text).expect("parse expected json")
}

/// The reference fit of `name` at lambda `l2`.
pub fn expected_fit(name: &str, l2: f64) -> serde_json::Value {
    let e = expected(name);
    e["fits"]
        .as_array()
        .expect("fits")
        .iter()
        .find(|f| f["lambda"].as_f64() == Some(l2))
        .unwrap_or_else(|| panic!("no fit with lambda {l2} for {name}"))
        .clone()
}

pub fn f64s(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

/// A multiclass model file for reference fit `fit` of `case` (fixtures/multi) (original-unit and standardised coefficients
/// from the reference), as train would write it.
pub fn reference_multiclass_model(case: &Value, fit: &Value) -> Value {
    let classes = case["classes"].clone();
    let k = classes.as_array().unwrap().len();
    let names: Vec<String> = case["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect();
    let mean = f64s(&case["standardization"]["mean"]);
    let std = f64s(&case["standardization"]["std"]);
    let features: Vec<Value> = (0..names.len())
        .map(|j| json!({"name": names[j], "mean": mean[j], "std": std[j]}))
        .collect();
    let columns: Vec<Value> = names
        .iter()
        .map(|n| json!({"name": n, "kind": "numeric"}))
        .collect();
    let train = std::fs::read_to_string(
        fixtures()
            .join("multi")
            .join(case["train_file"].as_str().unwrap()),
    )
    .unwrap();
    let (header, rows) = parse_csv(&train);
    let t = header
        .iter()
        .position(|h| h == case["target"].as_str().unwrap())
        .unwrap();
    let counts: Vec<usize> = classes
        .as_array()
        .unwrap()
        .iter()
        .map(|c| rows.iter().filter(|r| r[t] == c.as_str().unwrap()).count())
        .collect();
    let report = |objective: f64| {
        json!({"solver": "lbfgs", "converged": true, "stop_reason": "converged", "iterations": 30,
               "objective": objective, "gradient_norm": 1e-13, "tol": 1e-10, "max_iter": 1000})
    };
    let ovr = fit["mode"] == "ovr";
    let mut model = json!({
        "format": "logit-model",
        "version": 2,
        "tool_version": "test",
        "target": case["target"],
        "classes": classes,
        "multiclass": fit["mode"],
        "objective": {
            "definition": "test",
            "family": if ovr { "binomial" } else { "multinomial" },
            "l2": fit["lambda"], "fit_intercept": true, "standardize": true,
            "weight": null, "class_weight": null
        },
        "missing": {"policy": "error", "na_values": ["NA"], "rows_dropped": 0},
        "columns": columns,
        "features": features,
        "coefficients": fit["coefficients"],
        "coefficients_standardized": fit["coefficients_standardized"],
        "intercepts": fit["intercepts"],
        "intercepts_standardized": fit["intercepts_standardized"],
        "training": {"n_rows": rows.len(), "class_counts": counts, "weight_sum": rows.len() as f64, "n_zero_weight": 0},
    });
    if ovr {
        let per_class = f64s(&fit["objective_per_class"]);
        assert_eq!(per_class.len(), k);
        model["fits"] = per_class.iter().map(|&o| report(o)).collect();
    } else {
        model["fit"] = report(fit["objective"].as_f64().unwrap());
    }
    model
}

//! Issue 10, `train --l1`: lasso and elastic-net fits against the glmnet references
//! (tests/fixtures/l1, made by R glmnet 4.1-6 at thresh 1e-24, see
//! ../shared/reference/l1/README.md: objective, test probabilities, exact zero patterns),
//! a multinomial lasso checked by its optimality (KKT) conditions recomputed here from the
//! model file, weights against duplicated rows, the closed form above lambda_max, the
//! refusals, and the commands that read L1 models (predict, eval, threshold, summary).

mod commands;
mod fits;

use serde_json::Value;

use crate::util::Dir;

/// A file of tests/fixtures/l1.
fn l1_fixture(name: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/l1")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn reference(case: &str) -> Value {
    let text = std::fs::read_to_string(l1_fixture(&format!("{case}.expected.json")))
        .expect("reference file");
    serde_json::from_str(&text).expect("reference json")
}

/// Trains `m.json` in `dir` (quietly) and returns the model JSON.
fn train(dir: &Dir, args: &[&str]) -> Value {
    let mut all = vec!["train"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-o", "m.json", "-q"]);
    dir.run(&all).ok();
    serde_json::from_str(&dir.read("m.json")).expect("model json")
}

fn number(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// The binary model's coefficients of one field (`coefficient` or `coefficient_standardized`).
fn coefficients(model: &Value, field: &str) -> Vec<f64> {
    model["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| number(&f[field]))
        .collect()
}

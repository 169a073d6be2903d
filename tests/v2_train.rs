//! Issue 9, `train`: classes in model order, row and class weights, multinomial and
//! one-vs-rest fits. Reading (class order, weight cells, the two readers, refusals) is in
//! [`reading`]; the fits, checked against the shared references (fixtures/multi, made with
//! scikit-learn and polished by Newton steps, see fixtures/multi/README.md) or against
//! mathematics (a weight of 2 is a duplicated row; a weight of 0 is a missing row), in [`fits`].

mod fits;
mod reading;

use serde_json::Value;

use crate::util::{fixtures, Dir};

/// A file of fixtures/multi.
fn multi(name: &str) -> String {
    fixtures()
        .join("multi")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// A shared reference file of fixtures/multi.
fn expected(case: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(multi(&format!("{case}.expected.json"))).unwrap())
        .unwrap()
}

/// Trains in `dir` and returns the model JSON.
fn train(dir: &Dir, args: &[&str]) -> Value {
    let mut all = vec!["train"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-o", "m.json", "-q"]);
    dir.run(&all).ok();
    serde_json::from_str(&dir.read("m.json")).expect("model json")
}

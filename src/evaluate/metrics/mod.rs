//! Evaluation metrics, as pure `f64` functions of the linear scores.

mod binary;

pub use binary::*;

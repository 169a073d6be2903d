//! Evaluation metrics, as pure `f64` functions of the linear scores.
//!
//! This module owns the definitions behind `eval` and its `--min`/`--max` gates:
//! [`binary`] (confusion counts at a threshold, rates, losses), [`multiclass`] (confusion
//! matrix, macro/weighted averages, losses from the log-probabilities, one-vs-rest AUC) and
//! [`ranking`] (ROC AUC and average precision, shared by both). Every metric can be weighted by
//! row weights with scikit-learn's `sample_weight` semantics.

mod binary;
pub mod multiclass;
mod multiclass_tally;
mod ranking;
pub mod tally;
mod wire;

pub use binary::*;
pub use multiclass::{
    evaluate_multiclass, ClassProbabilities, MulticlassMetrics, MulticlassTally, PerClass,
    MULTICLASS_METRIC_NAMES,
};
pub use ranking::{
    average_precision, roc_auc, roc_points, roc_points_of_groups, weighted_average_precision,
    weighted_roc_auc, ScoreGroups, TieGroup,
};
pub use tally::{BinaryTally, Ranked};

/// Neumaier's compensated sum: error independent of the number of terms (to first order), so
/// means over millions of rows keep full precision.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(crate) struct CompensatedSum {
    sum: f64,
    compensation: f64,
}

impl CompensatedSum {
    pub(crate) fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.compensation += (self.sum - t) + x;
        } else {
            self.compensation += (x - t) + self.sum;
        }
        self.sum = t;
    }

    /// Adds another sum's terms (its sum, then its compensation): the sum of two parts of
    /// the rows, as accurate as one sum over both.
    pub(crate) fn merge(&mut self, other: &CompensatedSum) {
        self.add(other.sum);
        self.compensation += other.compensation;
    }

    pub(crate) fn total(&self) -> f64 {
        // With an infinite term the compensation is inf - inf = NaN: the sum itself is the answer.
        if self.sum.is_finite() {
            self.sum + self.compensation
        } else {
            self.sum
        }
    }
}

/// A count or weighted sum as JSON: a whole number below 2^53 as an integer (so unweighted
/// counts print as before weights existed), anything else as a float.
pub(crate) fn serialize_count<S: serde::Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if v.fract() == 0.0 && v.abs() < EXACT {
        s.serialize_i64(*v as i64)
    } else {
        s.serialize_f64(*v)
    }
}

/// Lengths of the two per-row slices must agree; a mismatch is a bug in the caller.
fn check_lengths(scores: &[f64], positive: &[bool]) {
    assert_eq!(
        scores.len(),
        positive.len(),
        "metrics: {} scores but {} labels",
        scores.len(),
        positive.len()
    );
}

/// Named scalar metrics a gate can judge (binary and multiclass evaluations).
pub trait MetricValues {
    /// None if the name is unknown, Some(None) if the metric is undefined on this data.
    fn value_of(&self, name: &str) -> Option<Option<f64>>;
    /// Why a metric is undefined, None when defined or unknown.
    fn reason_undefined(&self, name: &str) -> Option<String>;
}

impl MetricValues for Metrics {
    fn value_of(&self, name: &str) -> Option<Option<f64>> {
        self.value(name)
    }
    fn reason_undefined(&self, name: &str) -> Option<String> {
        self.undefined_reason(name)
    }
}

impl MetricValues for MulticlassMetrics {
    fn value_of(&self, name: &str) -> Option<Option<f64>> {
        self.value(name)
    }
    fn reason_undefined(&self, name: &str) -> Option<String> {
        self.undefined_reason(name)
    }
}

/// The gate names valid for a model: binary ([`METRIC_NAMES`]) or multiclass
/// ([`MULTICLASS_METRIC_NAMES`]), each with `weight_sum`.
pub fn gate_names(multiclass: bool) -> Vec<&'static str> {
    let base = if multiclass {
        MULTICLASS_METRIC_NAMES
    } else {
        METRIC_NAMES
    };
    let mut names = base.to_vec();
    names.insert(1, "weight_sum");
    names
}

#[cfg(test)]
mod binary_tests;
#[cfg(test)]
mod golden_tests;
#[cfg(test)]
mod multiclass_tests;

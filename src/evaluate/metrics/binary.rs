//! Metrics of a binary classifier: the confusion counts at a probability threshold and the
//! ratios built on them, the ranking metrics and the probabilistic losses, unweighted or with
//! scikit-learn's `sample_weight` semantics.
//!
//! Every function takes the linear scores `z = x.w + b` (probability `sigmoid(z)`) and the true
//! classes as `bool` (`true` = positive class). The definitions match scikit-learn's; a metric that
//! is undefined on the data (a ratio with a zero denominator, AUC with one class, ...) is `None`,
//! never `NaN` and never a conventional 0.
//!
//! Weighted (`eval --weight COL`): tp/fp/tn/fn are sums of the rows' weights, every rate is
//! computed from them, log loss and Brier are `sum(w term) / sum(w)`, and ROC AUC / average
//! precision weight each row as in scikit-learn. `n` stays the row count; `weight_sum` is
//! reported beside it. Without weights every number is computed exactly as before weights
//! existed (integer counts and the exact integer ROC area), so it is bit for bit v1's.

use serde::Serialize;

use super::tally::BinaryTally;
use super::{check_lengths, serialize_count, CompensatedSum};
use crate::fit::numerics::{log_loss, sigmoid};

/// Names accepted by --min/--max gates on a binary model and printed in reports, in this
/// order (the JSON keys, plus `weight_sum` with `--weight`).
pub const METRIC_NAMES: &[&str] = &[
    "n",
    "accuracy",
    "precision",
    "recall",
    "f1",
    "specificity",
    "balanced_accuracy",
    "roc_auc",
    "pr_auc",
    "log_loss",
    "brier",
    "tp",
    "fp",
    "tn",
    "fn",
    "threshold",
];

/// Every metric of a binary classifier on one data set at one threshold.
///
/// Serialises (field order = [`METRIC_NAMES`]) with the false-negative count under the key `"fn"`,
/// an undefined metric as `null`, counts that are whole numbers as JSON integers, and
/// `weight_sum` only when weighted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    /// Number of rows (weighted or not).
    pub n: usize,
    /// Sum of the row weights; `None` (and absent from the JSON) when unweighted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight_sum: Option<f64>,
    /// `(tp + tn) / n`.
    pub accuracy: Option<f64>,
    /// `tp / (tp + fp)`; undefined when no row is predicted positive.
    pub precision: Option<f64>,
    /// `tp / (tp + fn)` (sensitivity, true-positive rate); undefined with no positive rows.
    pub recall: Option<f64>,
    /// `2 tp / (2 tp + fp + fn)`; undefined when that denominator is 0.
    pub f1: Option<f64>,
    /// `tn / (tn + fp)` (true-negative rate); undefined with no negative rows.
    pub specificity: Option<f64>,
    /// `(recall + specificity) / 2`; undefined when either is.
    pub balanced_accuracy: Option<f64>,
    /// Area under the ROC curve, see [`super::roc_auc`].
    pub roc_auc: Option<f64>,
    /// Step-wise average precision, see [`super::average_precision`].
    pub pr_auc: Option<f64>,
    /// Mean log loss, see [`mean_log_loss`].
    pub log_loss: Option<f64>,
    /// Mean squared error of the probabilities, see [`brier`].
    pub brier: Option<f64>,
    /// Positive rows predicted positive (their weight sum when weighted).
    #[serde(serialize_with = "serialize_count")]
    pub tp: f64,
    /// Negative rows predicted positive.
    #[serde(serialize_with = "serialize_count")]
    pub fp: f64,
    /// Negative rows predicted negative.
    #[serde(serialize_with = "serialize_count")]
    pub tn: f64,
    /// Positive rows predicted negative.
    #[serde(rename = "fn", serialize_with = "serialize_count")]
    pub fn_: f64,
    /// The probability threshold of the counts: positive iff `sigmoid(z) >= threshold`.
    pub threshold: f64,
}

/// The confusion matrix of a binary classifier at one threshold, in row counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ConfusionCounts {
    /// Positive rows predicted positive.
    pub tp: usize,
    /// Negative rows predicted positive.
    pub fp: usize,
    /// Negative rows predicted negative.
    pub tn: usize,
    /// Positive rows predicted negative.
    #[serde(rename = "fn")]
    pub fn_: usize,
}

/// The confusion matrix as (possibly weighted) sums; the rates of [`Metrics`] are computed
/// from it. Counts below 2^53 are exact in `f64`, so unweighted rates are the correctly
/// rounded ratios of the integer counts, as from [`ConfusionCounts`].
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct WeightedCounts {
    pub tp: f64,
    pub fp: f64,
    pub tn: f64,
    #[serde(rename = "fn")]
    pub fn_: f64,
}

/// The classification rule shared with `predict`: a row is predicted positive iff
/// `sigmoid(z) >= threshold`.
///
/// The probability is computed with [`crate::fit::numerics::sigmoid`], so labels here are bit-for-bit
/// the labels `predict` writes. A `NaN` score (or threshold) predicts negative.
pub fn predicts_positive(z: f64, threshold: f64) -> bool {
    sigmoid(z) >= threshold
}

/// `num / den`, or `None` when `den = 0`. Counts below 2^53 convert to `f64` exactly, so the
/// result is the correctly rounded ratio.
fn ratio(num: usize, den: usize) -> Option<f64> {
    (den != 0).then(|| num as f64 / den as f64)
}

/// `num / den`, or `None` when `den = 0` (a weight sum is never negative).
fn ratio_f(num: f64, den: f64) -> Option<f64> {
    (den != 0.0).then(|| num / den)
}

impl ConfusionCounts {
    /// Counts of the true classes `positive[i]` against the predictions
    /// [`predicts_positive`]`(scores[i], threshold)`.
    ///
    /// # Panics
    /// If `scores` and `positive` differ in length (a caller bug, not a data error).
    pub fn at_threshold(scores: &[f64], positive: &[bool], threshold: f64) -> Self {
        check_lengths(scores, positive);
        let mut c = ConfusionCounts::default();
        for (&z, &pos) in scores.iter().zip(positive) {
            match (pos, predicts_positive(z, threshold)) {
                (true, true) => c.tp += 1,
                (false, true) => c.fp += 1,
                (false, false) => c.tn += 1,
                (true, false) => c.fn_ += 1,
            }
        }
        c
    }

    /// The counts as `f64` (exact below 2^53).
    pub fn to_weighted(&self) -> WeightedCounts {
        WeightedCounts {
            tp: self.tp as f64,
            fp: self.fp as f64,
            tn: self.tn as f64,
            fn_: self.fn_ as f64,
        }
    }

    /// Number of rows, `tp + fp + tn + fn`.
    pub fn n(&self) -> usize {
        self.tp + self.fp + self.tn + self.fn_
    }

    /// Rows whose true class is positive, `tp + fn`.
    pub fn positives(&self) -> usize {
        self.tp + self.fn_
    }

    /// Rows whose true class is negative, `tn + fp`.
    pub fn negatives(&self) -> usize {
        self.tn + self.fp
    }

    /// Rows predicted positive, `tp + fp`.
    pub fn predicted_positives(&self) -> usize {
        self.tp + self.fp
    }

    /// `(tp + tn) / n` (sklearn `accuracy_score`); undefined when `n = 0`.
    pub fn accuracy(&self) -> Option<f64> {
        ratio(self.tp + self.tn, self.n())
    }

    /// `tp / (tp + fp)` (sklearn `precision_score`); undefined when nothing is predicted positive
    /// (sklearn returns 0 there with a warning; we report it as undefined).
    pub fn precision(&self) -> Option<f64> {
        ratio(self.tp, self.predicted_positives())
    }

    /// `tp / (tp + fn)` (sklearn `recall_score`); undefined with no positive rows.
    pub fn recall(&self) -> Option<f64> {
        ratio(self.tp, self.positives())
    }

    /// `tn / (tn + fp)` (recall of the negative class); undefined with no negative rows.
    pub fn specificity(&self) -> Option<f64> {
        ratio(self.tn, self.negatives())
    }

    /// `2 tp / (2 tp + fp + fn)`, the harmonic mean of precision and recall written without them
    /// (sklearn `f1_score`); undefined when `2 tp + fp + fn = 0`, i.e. every row is a true
    /// negative.
    pub fn f1(&self) -> Option<f64> {
        ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn_)
    }

    /// `(recall + specificity) / 2` (sklearn `balanced_accuracy_score`); undefined when either is.
    pub fn balanced_accuracy(&self) -> Option<f64> {
        Some((self.recall()? + self.specificity()?) / 2.0)
    }
}

impl WeightedCounts {
    /// Weighted counts of the true classes against the predictions at `threshold`:
    /// each row adds its weight to its cell (compensated sums).
    ///
    /// # Panics
    /// If the slices differ in length (a caller bug).
    pub fn at_threshold(
        scores: &[f64],
        positive: &[bool],
        weights: &[f64],
        threshold: f64,
    ) -> Self {
        check_lengths(scores, positive);
        assert_eq!(weights.len(), scores.len(), "metrics: weights and scores");
        let mut cells = [CompensatedSum::default(); 4];
        for ((&z, &pos), &w) in scores.iter().zip(positive).zip(weights) {
            let cell = match (pos, predicts_positive(z, threshold)) {
                (true, true) => 0,
                (false, true) => 1,
                (false, false) => 2,
                (true, false) => 3,
            };
            cells[cell].add(w);
        }
        WeightedCounts {
            tp: cells[0].total(),
            fp: cells[1].total(),
            tn: cells[2].total(),
            fn_: cells[3].total(),
        }
    }

    /// Total weight, `tp + fp + tn + fn`.
    pub fn total(&self) -> f64 {
        self.tp + self.fp + self.tn + self.fn_
    }

    /// Weight of the rows whose true class is positive, `tp + fn`.
    pub fn positives(&self) -> f64 {
        self.tp + self.fn_
    }

    /// Weight of the rows whose true class is negative, `tn + fp`.
    pub fn negatives(&self) -> f64 {
        self.tn + self.fp
    }

    /// Weight predicted positive, `tp + fp`.
    pub fn predicted_positives(&self) -> f64 {
        self.tp + self.fp
    }

    /// `(tp + tn) / total`.
    pub fn accuracy(&self) -> Option<f64> {
        ratio_f(self.tp + self.tn, self.total())
    }

    /// `tp / (tp + fp)`.
    pub fn precision(&self) -> Option<f64> {
        ratio_f(self.tp, self.predicted_positives())
    }

    /// `tp / (tp + fn)`.
    pub fn recall(&self) -> Option<f64> {
        ratio_f(self.tp, self.positives())
    }

    /// `tn / (tn + fp)`.
    pub fn specificity(&self) -> Option<f64> {
        ratio_f(self.tn, self.negatives())
    }

    /// `2 tp / (2 tp + fp + fn)`.
    pub fn f1(&self) -> Option<f64> {
        ratio_f(2.0 * self.tp, 2.0 * self.tp + self.fp + self.fn_)
    }

    /// `(recall + specificity) / 2`.
    pub fn balanced_accuracy(&self) -> Option<f64> {
        Some((self.recall()? + self.specificity()?) / 2.0)
    }
}

/// Compensated mean of `term(z, y)` over the rows, weighted by `weights` when given
/// (`sum w term / sum w`); `None` when there are no rows (or no weight) or the mean is `NaN`.
fn mean_of(
    scores: &[f64],
    positive: &[bool],
    weights: Option<&[f64]>,
    term: impl Fn(f64, f64) -> f64,
) -> Option<f64> {
    check_lengths(scores, positive);
    if scores.is_empty() {
        return None;
    }
    let mut acc = CompensatedSum::default();
    let y = |pos: bool| if pos { 1.0 } else { 0.0 };
    let mean = match weights {
        None => {
            for (&z, &pos) in scores.iter().zip(positive) {
                acc.add(term(z, y(pos)));
            }
            acc.total() / scores.len() as f64
        }
        Some(w) => {
            assert_eq!(w.len(), scores.len(), "metrics: weights and scores");
            let mut total = CompensatedSum::default();
            for ((&z, &pos), &w) in scores.iter().zip(positive).zip(w) {
                // A zero-weight row takes no part, even with an infinite term.
                if w != 0.0 {
                    acc.add(w * term(z, y(pos)));
                }
                total.add(w);
            }
            acc.total() / total.total()
        }
    };
    (!mean.is_nan()).then_some(mean)
}

/// Mean log loss `(1/n) sum_i -[y_i log p_i + (1 - y_i) log(1 - p_i)]`, `p_i = sigmoid(z_i)`
/// (sklearn `log_loss`).
///
/// Each term is computed from `z` by [`crate::fit::numerics::log_loss`] (`log(1 + e^-z)` for a positive
/// row, `log(1 + e^z)` for a negative one), never as the log of a computed probability, so it is
/// exact to rounding for every finite `z` and needs no clipping. It equals sklearn's `log_loss` on
/// `sigmoid(z)` except where sklearn clips probabilities to `[eps, 1 - eps]`
/// (`eps` = machine epsilon, 2.2e-16), i.e. for rows with `|z|` above about 36: there sklearn caps
/// a wrong confident row at `-log(eps) = 36.04` and gives a right one `eps` instead of `e^-|z|`,
/// while this function keeps the exact value. Undefined when `n = 0` or a score is `NaN`; `+inf`
/// when a row has an infinite score on the wrong side.
///
/// # Panics
/// If `scores` and `positive` differ in length.
pub fn mean_log_loss(scores: &[f64], positive: &[bool]) -> Option<f64> {
    mean_of(scores, positive, None, |z, y| log_loss(y, z))
}

/// Brier score `(1/n) sum_i (sigmoid(z_i) - y_i)^2`, `y_i` in {0, 1} (Brier 1950; sklearn
/// `brier_score_loss`). Undefined when `n = 0` or a score is `NaN`.
///
/// # Panics
/// If `scores` and `positive` differ in length.
pub fn brier(scores: &[f64], positive: &[bool]) -> Option<f64> {
    mean_of(scores, positive, None, brier_term)
}

pub(super) fn brier_term(z: f64, y: f64) -> f64 {
    let d = sigmoid(z) - y;
    d * d
}

/// Every metric of [`Metrics`] for the linear scores `scores` (`z = x.w + b`, probability
/// `sigmoid(z)`) against the true classes `positive`; a row is predicted positive iff
/// `sigmoid(z) >= threshold`.
///
/// Sorts the scores once for both ranking metrics; `O(n log n)` time, `O(n)` extra memory.
///
/// # Panics
/// If `scores` and `positive` differ in length.
pub fn evaluate(scores: &[f64], positive: &[bool], threshold: f64) -> Metrics {
    evaluate_weighted(scores, positive, None, threshold)
}

/// [`evaluate`] with optional row weights (`None` = [`evaluate`], bit for bit). Weights are
/// finite and `>= 0` (the caller has checked the column).
///
/// # Panics
/// If the slices differ in length.
pub fn evaluate_weighted(
    scores: &[f64],
    positive: &[bool],
    weights: Option<&[f64]>,
    threshold: f64,
) -> Metrics {
    BinaryTally::of(scores, positive, weights, threshold).metrics()
}

impl Metrics {
    /// The confusion counts the ratios were computed from.
    pub fn counts(&self) -> WeightedCounts {
        WeightedCounts {
            tp: self.tp,
            fp: self.fp,
            tn: self.tn,
            fn_: self.fn_,
        }
    }

    /// Value of a named metric: None if the name is unknown, Some(None) if undefined on this data.
    ///
    /// Names are those of [`METRIC_NAMES`] (the false-negative count is `"fn"`) and
    /// `weight_sum`; counts and `n` are returned as `f64` (exact below 2^53).
    pub fn value(&self, name: &str) -> Option<Option<f64>> {
        let v = match name {
            "n" => Some(self.n as f64),
            "weight_sum" => self.weight_sum,
            "accuracy" => self.accuracy,
            "precision" => self.precision,
            "recall" => self.recall,
            "f1" => self.f1,
            "specificity" => self.specificity,
            "balanced_accuracy" => self.balanced_accuracy,
            "roc_auc" => self.roc_auc,
            "pr_auc" => self.pr_auc,
            "log_loss" => self.log_loss,
            "brier" => self.brier,
            "tp" => Some(self.tp),
            "fp" => Some(self.fp),
            "tn" => Some(self.tn),
            "fn" => Some(self.fn_),
            "threshold" => Some(self.threshold),
            _ => return None,
        };
        Some(v)
    }

    /// Why a metric is undefined (e.g. "roc_auc is undefined: the data has no negative rows"),
    /// None when defined or unknown.
    pub fn undefined_reason(&self, name: &str) -> Option<String> {
        if self.value(name)?.is_some() {
            return None;
        }
        let c = self.counts();
        let rows = if self.weight_sum.is_some() {
            "weight"
        } else {
            "rows"
        };
        let no_pos = c.positives() == 0.0;
        let no_neg = c.negatives() == 0.0;
        let why = if name == "weight_sum" {
            "eval ran without --weight".to_string()
        } else if self.n == 0 {
            "the data has no rows".to_string()
        } else if self.weight_sum == Some(0.0) {
            "every row has weight 0".to_string()
        } else {
            match name {
                "precision" if c.predicted_positives() == 0.0 => format!(
                    "no row is predicted positive at threshold {} (tp + fp = 0)",
                    self.threshold
                ),
                "f1" if c.tp + c.fp + c.fn_ == 0.0 => format!(
                    "the data has no positive rows and no row is predicted positive at \
                     threshold {} (2 tp + fp + fn = 0)",
                    self.threshold
                ),
                "recall" | "balanced_accuracy" | "roc_auc" | "pr_auc" if no_pos => {
                    format!("the data has no positive {rows}")
                }
                "specificity" | "balanced_accuracy" | "roc_auc" if no_neg => {
                    format!("the data has no negative {rows}")
                }
                // The only other way a metric is undefined (see `tie_groups` and `mean_of`).
                _ => "some scores are NaN".to_string(),
            }
        };
        Some(format!("{name} is undefined: {why}"))
    }
}

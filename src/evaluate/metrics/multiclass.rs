//! Metrics of a K-class classifier (K > 2): the confusion matrix, accuracy, balanced accuracy,
//! per-class and macro/weighted precision, recall and F1, log loss, Brier score and the macro
//! one-vs-rest ROC AUC, unweighted or with scikit-learn's `sample_weight` semantics.
//!
//! Input is [`ClassProbabilities`]: per row the probabilities of the K classes (model order)
//! and their logarithms computed in log space from the linear scores (log-softmax for a
//! multinomial model, normalised log-sigmoids for one-vs-rest), so the log loss is exact even
//! where a probability rounds to 0 or 1. The prediction of a row is its most probable class,
//! the first in class order on a tie (as `predict`).
//!
//! Conventions (scikit-learn with `labels` = the model's classes, `zero_division=0`):
//! a class never predicted has precision 0, a class without support recall 0, F1 is
//! `2 tp / (2 tp + fp + fn)` (0 when that is 0); macro averages run over all K classes;
//! `balanced_accuracy` is the mean recall over the classes with support (scikit-learn drops the
//! others with a warning); `roc_auc` is undefined unless every class has rows of its own and
//! rows of another class.

use serde::{Serialize, Serializer};

pub use super::multiclass_tally::MulticlassTally;
use super::serialize_count;
use crate::fit::numerics::log_sigmoid;

/// The JSON keys of a multiclass evaluation that are scalars (gate names), in output order
/// (the JSON also has `confusion` and `per_class`, and `weight_sum` with `--weight`).
pub const MULTICLASS_METRIC_NAMES: &[&str] = &[
    "n",
    "accuracy",
    "balanced_accuracy",
    "macro_precision",
    "macro_recall",
    "macro_f1",
    "weighted_f1",
    "log_loss",
    "brier",
    "roc_auc",
];

/// Class probabilities of scored rows, row-major (`n x k`), with their logarithms.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassProbabilities {
    k: usize,
    probs: Vec<f64>,
    log_probs: Vec<f64>,
}

/// `log softmax(z)` into `out`, in the stable form `z_k - max - log sum exp(z_j - max)`.
pub fn log_softmax_into(z: &[f64], out: &mut [f64]) {
    let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    for &v in z {
        sum += (v - max).exp();
    }
    let lse = sum.ln();
    for (o, &v) in out.iter_mut().zip(z) {
        *o = (v - max) - lse;
    }
}

/// The logarithms of one-vs-rest probabilities `sigmoid(z_k) / sum_j sigmoid(z_j)`
/// (scikit-learn's and LIBLINEAR's normalisation), computed from `log sigmoid(z_k)` with a
/// log-sum-exp, so exact where `sigmoid` would round to 0.
pub fn ovr_log_probabilities_into(z: &[f64], out: &mut [f64]) {
    for (o, &v) in out.iter_mut().zip(z) {
        *o = log_sigmoid(v);
    }
    let ls: Vec<f64> = out.to_vec();
    log_softmax_into(&ls, out);
}

impl ClassProbabilities {
    /// Probabilities and their logs as given (`probs` as the model computes them, so that the
    /// predicted class is `predict`'s; `log_probs` from the scores).
    ///
    /// # Panics
    /// If the lengths are not multiples of `k` and equal, or `k` is 0 (caller bugs).
    pub fn new(k: usize, probs: Vec<f64>, log_probs: Vec<f64>) -> Self {
        assert!(k > 0, "metrics: no classes");
        assert_eq!(
            probs.len(),
            log_probs.len(),
            "metrics: probabilities and logs"
        );
        assert_eq!(probs.len() % k, 0, "metrics: probabilities not n x k");
        ClassProbabilities {
            k,
            probs,
            log_probs,
        }
    }

    /// From the linear scores (`n x k`) of a multinomial model: log-softmax, then `exp`.
    pub fn from_multinomial_scores(k: usize, scores: &[f64]) -> Self {
        Self::from_logs(k, scores, log_softmax_into)
    }

    /// From the linear scores (`n x k`) of a one-vs-rest model.
    pub fn from_ovr_scores(k: usize, scores: &[f64]) -> Self {
        Self::from_logs(k, scores, ovr_log_probabilities_into)
    }

    fn from_logs(k: usize, scores: &[f64], f: fn(&[f64], &mut [f64])) -> Self {
        let mut log_probs = vec![0.0; scores.len()];
        for (z, out) in scores.chunks(k).zip(log_probs.chunks_mut(k)) {
            f(z, out);
        }
        let probs = log_probs.iter().map(|l| l.exp()).collect();
        Self::new(k, probs, log_probs)
    }

    /// From probabilities alone (logs by `ln`): for probabilities computed elsewhere.
    pub fn from_probabilities(k: usize, probs: Vec<f64>) -> Self {
        let log_probs = probs.iter().map(|p| p.ln()).collect();
        Self::new(k, probs, log_probs)
    }

    /// Number of classes.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.probs.len() / self.k
    }

    /// The class probabilities of row `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.probs[i * self.k..(i + 1) * self.k]
    }

    /// The log-probabilities of row `i`.
    pub fn log_row(&self, i: usize) -> &[f64] {
        &self.log_probs[i * self.k..(i + 1) * self.k]
    }

    /// The most probable class of row `i`, the first on a tie (`predict`'s rule); a `NaN`
    /// never wins.
    pub fn predicted(&self, i: usize) -> usize {
        let mut best = 0;
        for (c, &p) in self.row(i).iter().enumerate() {
            if p > self.row(i)[best] || (self.row(i)[best].is_nan() && !p.is_nan()) {
                best = c;
            }
        }
        best
    }

    /// Column `c` of the log-probabilities (the one-vs-rest ranking score of class `c`).
    pub fn log_column(&self, c: usize) -> Vec<f64> {
        self.log_probs
            .iter()
            .skip(c)
            .step_by(self.k)
            .copied()
            .collect()
    }
}

/// One class's row of the per-class table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PerClass {
    pub label: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Rows whose true class this is (their weight sum when weighted).
    #[serde(serialize_with = "serialize_count")]
    pub support: f64,
}

/// Every metric of a multiclass classifier on one data set; serialises to the contract's
/// `eval --json` keys (undefined metrics as `null`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MulticlassMetrics {
    /// Number of rows (weighted or not).
    pub n: usize,
    /// Sum of the row weights; absent when unweighted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight_sum: Option<f64>,
    pub accuracy: Option<f64>,
    pub balanced_accuracy: Option<f64>,
    pub macro_precision: Option<f64>,
    pub macro_recall: Option<f64>,
    pub macro_f1: Option<f64>,
    pub weighted_f1: Option<f64>,
    pub log_loss: Option<f64>,
    pub brier: Option<f64>,
    pub roc_auc: Option<f64>,
    /// K x K: rows the true class, columns the predicted one, model class order.
    #[serde(serialize_with = "serialize_matrix")]
    pub confusion: Vec<Vec<f64>>,
    pub per_class: Vec<PerClass>,
    /// Why `roc_auc` is undefined, when it is (not serialised).
    #[serde(skip)]
    pub roc_auc_reason: Option<String>,
}

fn serialize_matrix<S: Serializer>(m: &[Vec<f64>], s: S) -> Result<S::Ok, S::Error> {
    struct Count(f64);
    impl Serialize for Count {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            serialize_count(&self.0, s)
        }
    }
    s.collect_seq(
        m.iter()
            .map(|row| row.iter().map(|&v| Count(v)).collect::<Vec<_>>()),
    )
}

/// `num / den`, 0 when `den` is 0 (scikit-learn's `zero_division=0`).
pub(super) fn rate0(num: f64, den: f64) -> f64 {
    if den == 0.0 {
        0.0
    } else {
        num / den
    }
}

pub(super) fn mean(v: impl Iterator<Item = f64>) -> Option<f64> {
    let (mut s, mut n) = (0.0, 0usize);
    for x in v {
        s += x;
        n += 1;
    }
    (n > 0).then(|| s / n as f64)
}

/// Every metric of [`MulticlassMetrics`] for the rows `p` against the true classes `y` (index in
/// `labels`, model order), weighted by `weights` when given (finite, `>= 0`).
///
/// # Panics
/// If the lengths disagree or a class index is out of range (caller bugs).
pub fn evaluate_multiclass(
    p: &ClassProbabilities,
    y: &[usize],
    weights: Option<&[f64]>,
    labels: &[String],
) -> MulticlassMetrics {
    assert_eq!(
        labels.len(),
        p.k(),
        "metrics: {} classes but {} labels",
        p.k(),
        labels.len()
    );
    MulticlassTally::of(p, y, weights).metrics(labels)
}

impl MulticlassMetrics {
    /// Value of a named scalar metric: None if the name is unknown, Some(None) if undefined.
    pub fn value(&self, name: &str) -> Option<Option<f64>> {
        let v = match name {
            "n" => Some(self.n as f64),
            "weight_sum" => self.weight_sum,
            "accuracy" => self.accuracy,
            "balanced_accuracy" => self.balanced_accuracy,
            "macro_precision" => self.macro_precision,
            "macro_recall" => self.macro_recall,
            "macro_f1" => self.macro_f1,
            "weighted_f1" => self.weighted_f1,
            "log_loss" => self.log_loss,
            "brier" => self.brier,
            "roc_auc" => self.roc_auc,
            _ => return None,
        };
        Some(v)
    }

    /// Why a metric is undefined, None when defined or unknown.
    pub fn undefined_reason(&self, name: &str) -> Option<String> {
        if self.value(name)?.is_some() {
            return None;
        }
        let why = if name == "weight_sum" {
            "eval ran without --weight".to_string()
        } else if self.n == 0 {
            "the data has no rows".to_string()
        } else if self.weight_sum == Some(0.0) {
            "every row has weight 0".to_string()
        } else if name == "roc_auc" {
            self.roc_auc_reason
                .clone()
                .unwrap_or_else(|| "some scores are NaN".to_string())
        } else {
            "some scores are NaN".to_string()
        };
        Some(format!("{name} is undefined: {why}"))
    }
}

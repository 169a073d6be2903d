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

use super::ranking::{roc_auc, weighted_roc_auc};
use super::{serialize_count, CompensatedSum};
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
fn rate0(num: f64, den: f64) -> f64 {
    if den == 0.0 {
        0.0
    } else {
        num / den
    }
}

fn mean(v: impl Iterator<Item = f64>) -> Option<f64> {
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
    let (n, k) = (p.n_rows(), p.k());
    assert_eq!(y.len(), n, "metrics: {} rows but {} labels", n, y.len());
    assert_eq!(
        labels.len(),
        k,
        "metrics: {k} classes but {} labels",
        labels.len()
    );
    if let Some(w) = weights {
        assert_eq!(w.len(), n, "metrics: weights and rows");
    }
    let weight = |i: usize| weights.map_or(1.0, |w| w[i]);

    let mut cells = vec![CompensatedSum::default(); k * k];
    let mut total = CompensatedSum::default();
    let mut log_loss = CompensatedSum::default();
    let mut brier = CompensatedSum::default();
    for (i, &t) in y.iter().enumerate() {
        assert!(t < k, "metrics: class index {t} out of range");
        let w = weight(i);
        total.add(w);
        if w == 0.0 {
            // A zero-weight row takes no part, even with an infinite loss.
            continue;
        }
        cells[t * k + p.predicted(i)].add(w);
        log_loss.add(w * -p.log_row(i)[t]);
        let mut sq = 0.0;
        for (c, &q) in p.row(i).iter().enumerate() {
            let d = q - if c == t { 1.0 } else { 0.0 };
            sq += d * d;
        }
        brier.add(w * sq);
    }
    let total = total.total();
    let confusion: Vec<Vec<f64>> = (0..k)
        .map(|r| (0..k).map(|c| cells[r * k + c].total()).collect())
        .collect();
    let support: Vec<f64> = confusion.iter().map(|row| row.iter().sum()).collect();
    let predicted: Vec<f64> = (0..k)
        .map(|c| confusion.iter().map(|row| row[c]).sum())
        .collect();
    let per_class: Vec<PerClass> = (0..k)
        .map(|c| {
            let tp = confusion[c][c];
            let (fp, fn_) = (predicted[c] - tp, support[c] - tp);
            PerClass {
                label: labels[c].clone(),
                precision: rate0(tp, predicted[c]),
                recall: rate0(tp, support[c]),
                f1: rate0(2.0 * tp, 2.0 * tp + fp + fn_),
                support: support[c],
            }
        })
        .collect();
    let defined = total > 0.0;
    let trace: f64 = (0..k).map(|c| confusion[c][c]).sum();
    let per_row = |s: &CompensatedSum| {
        let v = s.total() / total;
        (defined && !v.is_nan()).then_some(v)
    };
    let (roc_auc, roc_auc_reason) = ovr_roc_auc(p, y, weights, labels);
    MulticlassMetrics {
        n,
        weight_sum: weights.map(|_| total),
        accuracy: defined.then(|| trace / total),
        balanced_accuracy: mean(
            per_class
                .iter()
                .filter(|c| c.support > 0.0)
                .map(|c| c.recall),
        ),
        macro_precision: defined
            .then(|| per_class.iter().map(|c| c.precision).sum::<f64>() / k as f64),
        macro_recall: defined.then(|| per_class.iter().map(|c| c.recall).sum::<f64>() / k as f64),
        macro_f1: defined.then(|| per_class.iter().map(|c| c.f1).sum::<f64>() / k as f64),
        weighted_f1: defined.then(|| {
            per_class.iter().map(|c| c.support * c.f1).sum::<f64>()
                / per_class.iter().map(|c| c.support).sum::<f64>()
        }),
        log_loss: per_row(&log_loss),
        brier: per_row(&brier),
        roc_auc,
        roc_auc_reason,
        confusion,
        per_class,
    }
}

/// Macro average over the classes of the one-vs-rest ROC AUC of each class's probability
/// (scikit-learn `roc_auc_score(multi_class="ovr", average="macro")`), ranked by the
/// log-probabilities (the same order as the probabilities, without their rounding ties).
fn ovr_roc_auc(
    p: &ClassProbabilities,
    y: &[usize],
    weights: Option<&[f64]>,
    labels: &[String],
) -> (Option<f64>, Option<String>) {
    let mut sum = 0.0;
    for (c, label) in labels.iter().enumerate() {
        let positive: Vec<bool> = y.iter().map(|&t| t == c).collect();
        let scores = p.log_column(c);
        let auc = match weights {
            None => roc_auc(&scores, &positive),
            Some(w) => weighted_roc_auc(&scores, &positive, w),
        };
        match auc {
            Some(a) => sum += a,
            None => {
                let why = if scores.iter().any(|s| s.is_nan()) {
                    "some scores are NaN".to_string()
                } else {
                    let rows = if weights.is_some() { "weight" } else { "rows" };
                    format!(
                        "class {label:?} has no {rows} of its own or no {rows} of other classes \
                         (one-vs-rest AUC needs both)"
                    )
                };
                return (None, Some(why));
            }
        }
    }
    (Some(sum / labels.len() as f64), None)
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

//! Evaluation metrics of a binary classifier, as pure `f64` functions of the linear scores.
//!
//! This module owns the definitions behind `eval` and its `--min`/`--max` gates: the confusion
//! counts at a probability threshold and the ratios built on them, the threshold-free ranking
//! metrics (ROC AUC, average precision) and the probabilistic losses (mean log loss, Brier score).
//! Every function takes the linear scores `z = x.w + b` (probability `sigmoid(z)`) and the true
//! classes as `bool` (`true` = positive class). The definitions match scikit-learn's; a metric that
//! is undefined on the data (a ratio with a zero denominator, AUC with one class, ...) is `None`,
//! never `NaN` and never a conventional 0.

use serde::Serialize;

use crate::fit::numerics::{log_loss, sigmoid};

/// Names accepted by --min/--max gates and printed in reports, in this order.
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
/// Serialises (field order = [`METRIC_NAMES`]) with the false-negative count under the key `"fn"`
/// and an undefined metric as `null`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    /// Number of rows.
    pub n: usize,
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
    /// Area under the ROC curve, see [`roc_auc`].
    pub roc_auc: Option<f64>,
    /// Step-wise average precision, see [`average_precision`].
    pub pr_auc: Option<f64>,
    /// Mean log loss, see [`mean_log_loss`].
    pub log_loss: Option<f64>,
    /// Mean squared error of the probabilities, see [`brier`].
    pub brier: Option<f64>,
    /// Positive rows predicted positive.
    pub tp: usize,
    /// Negative rows predicted positive.
    pub fp: usize,
    /// Negative rows predicted negative.
    pub tn: usize,
    /// Positive rows predicted negative.
    #[serde(rename = "fn")]
    pub fn_: usize,
    /// The probability threshold of the counts: positive iff `sigmoid(z) >= threshold`.
    pub threshold: f64,
}

/// The confusion matrix of a binary classifier at one threshold.
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

/// Neumaier's compensated sum: error independent of the number of terms (to first order), so
/// means over millions of rows keep full precision.
#[derive(Debug, Default, Clone, Copy)]
struct CompensatedSum {
    sum: f64,
    compensation: f64,
}

impl CompensatedSum {
    fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.compensation += (self.sum - t) + x;
        } else {
            self.compensation += (x - t) + self.sum;
        }
        self.sum = t;
    }

    fn total(&self) -> f64 {
        // With an infinite term the compensation is inf - inf = NaN: the sum itself is the answer.
        if self.sum.is_finite() {
            self.sum + self.compensation
        } else {
            self.sum
        }
    }
}

/// Compensated mean of `term(z, y)` over the rows; `None` when there are no rows or the mean is
/// `NaN` (a `NaN` score).
fn mean_of(scores: &[f64], positive: &[bool], term: impl Fn(f64, f64) -> f64) -> Option<f64> {
    check_lengths(scores, positive);
    if scores.is_empty() {
        return None;
    }
    let mut acc = CompensatedSum::default();
    for (&z, &pos) in scores.iter().zip(positive) {
        acc.add(term(z, if pos { 1.0 } else { 0.0 }));
    }
    let mean = acc.total() / scores.len() as f64;
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
    mean_of(scores, positive, |z, y| log_loss(y, z))
}

/// Brier score `(1/n) sum_i (sigmoid(z_i) - y_i)^2`, `y_i` in {0, 1} (Brier 1950; sklearn
/// `brier_score_loss`). Undefined when `n = 0` or a score is `NaN`.
///
/// # Panics
/// If `scores` and `positive` differ in length.
pub fn brier(scores: &[f64], positive: &[bool]) -> Option<f64> {
    mean_of(scores, positive, |z, y| {
        let d = sigmoid(z) - y;
        d * d
    })
}

/// Rows sharing one score value: how many are positive and how many negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TieGroup {
    pos: u64,
    neg: u64,
}

/// The rows grouped by equal score, in increasing score order, from one `O(n log n)` sort.
///
/// `None` when a score is `NaN` (no meaningful rank). `-0.0` and `0.0` are one group; `-inf` and
/// `+inf` are ordinary extreme scores. Sorting uses `f64::total_cmp`, which is a total order and
/// cannot panic.
fn tie_groups(scores: &[f64], positive: &[bool]) -> Option<Vec<TieGroup>> {
    check_lengths(scores, positive);
    if scores.iter().any(|z| z.is_nan()) {
        return None;
    }
    // `+ 0.0` maps -0.0 to 0.0 so that equal scores are equal under total_cmp too.
    let mut rows: Vec<(f64, bool)> = scores
        .iter()
        .zip(positive)
        .map(|(&z, &pos)| (z + 0.0, pos))
        .collect();
    rows.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let mut groups: Vec<TieGroup> = Vec::new();
    let mut previous: Option<f64> = None;
    for (z, pos) in rows {
        if previous != Some(z) {
            groups.push(TieGroup { pos: 0, neg: 0 });
            previous = Some(z);
        }
        if let Some(group) = groups.last_mut() {
            if pos {
                group.pos += 1;
            } else {
                group.neg += 1;
            }
        }
    }
    Some(groups)
}

/// ROC AUC from the tie groups (increasing score): `U / (n_pos n_neg)` with the Mann-Whitney
/// count `U = sum over positive rows of (#negatives below + #negatives tied / 2)`, accumulated
/// exactly as the integer `2U`.
fn roc_auc_of_groups(groups: &[TieGroup]) -> Option<f64> {
    let n_pos: u64 = groups.iter().map(|g| g.pos).sum();
    let n_neg: u64 = groups.iter().map(|g| g.neg).sum();
    if n_pos == 0 || n_neg == 0 {
        return None;
    }
    let mut twice_u: u128 = 0;
    let mut neg_below: u128 = 0;
    for g in groups {
        twice_u += u128::from(g.pos) * (2 * neg_below + u128::from(g.neg));
        neg_below += u128::from(g.neg);
    }
    let twice_pairs = 2 * u128::from(n_pos) * u128::from(n_neg);
    Some(twice_u as f64 / twice_pairs as f64)
}

/// Average precision from the tie groups (walked in decreasing score):
/// `(1/n_pos) sum_k pos_k * tp_k / (tp_k + fp_k)` with `tp_k`, `fp_k` cumulative through group `k`.
fn average_precision_of_groups(groups: &[TieGroup]) -> Option<f64> {
    let n_pos: u64 = groups.iter().map(|g| g.pos).sum();
    if n_pos == 0 {
        return None;
    }
    let (mut tp, mut fp) = (0u64, 0u64);
    let mut acc = CompensatedSum::default();
    for g in groups.iter().rev() {
        tp += g.pos;
        fp += g.neg;
        if g.pos > 0 {
            // tp + fp >= tp > 0 here.
            acc.add(g.pos as f64 * (tp as f64 / (tp + fp) as f64));
        }
    }
    Some(acc.total() / n_pos as f64)
}

/// Area under the ROC curve (sklearn `roc_auc_score`, binary case).
///
/// The area under the trapezoidal ROC curve through every distinct threshold equals the
/// Mann-Whitney statistic `U / (n_pos n_neg)`, where `U` counts the (positive, negative) pairs in
/// which the positive scores higher, a tie counting 1/2 (Hanley & McNeil 1982; the average-rank
/// form). Computed from one sort (`O(n log n)`) with `U` accumulated exactly in integers.
///
/// Rows are ranked by the linear score `z`, not by `sigmoid(z)`: the ranking is the same
/// (the sigmoid is increasing) except that this avoids artificial ties where the probability
/// rounds to 0 or 1 (`|z|` above about 36.7). Undefined when either class is absent or a score is
/// `NaN`.
///
/// # Panics
/// If `scores` and `positive` differ in length.
pub fn roc_auc(scores: &[f64], positive: &[bool]) -> Option<f64> {
    roc_auc_of_groups(&tie_groups(scores, positive)?)
}

/// Step-wise average precision, the area under the precision-recall curve as computed by sklearn
/// `average_precision_score`: `AP = sum_n (R_n - R_{n-1}) P_n` over the distinct score thresholds
/// in decreasing order, `P_n`, `R_n` the precision and recall of "predict positive iff
/// score >= threshold n", `R_0 = 0`. Rows with equal scores enter at one threshold (one step), no
/// interpolation. Equivalently `(1/n_pos) sum_n (#positives at threshold n) P_n`, which is the
/// form computed (one sort, compensated sum).
///
/// Ranked by the linear score `z` like [`roc_auc`]. Undefined with no positive rows (sklearn
/// returns a meaningless value with a warning there) or a `NaN` score.
///
/// # Panics
/// If `scores` and `positive` differ in length.
pub fn average_precision(scores: &[f64], positive: &[bool]) -> Option<f64> {
    average_precision_of_groups(&tie_groups(scores, positive)?)
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
    let counts = ConfusionCounts::at_threshold(scores, positive, threshold);
    let groups = tie_groups(scores, positive);
    let groups = groups.as_deref();
    Metrics {
        n: counts.n(),
        accuracy: counts.accuracy(),
        precision: counts.precision(),
        recall: counts.recall(),
        f1: counts.f1(),
        specificity: counts.specificity(),
        balanced_accuracy: counts.balanced_accuracy(),
        roc_auc: groups.and_then(roc_auc_of_groups),
        pr_auc: groups.and_then(average_precision_of_groups),
        log_loss: mean_log_loss(scores, positive),
        brier: brier(scores, positive),
        tp: counts.tp,
        fp: counts.fp,
        tn: counts.tn,
        fn_: counts.fn_,
        threshold,
    }
}

impl Metrics {
    /// The confusion counts the ratios were computed from.
    pub fn counts(&self) -> ConfusionCounts {
        ConfusionCounts {
            tp: self.tp,
            fp: self.fp,
            tn: self.tn,
            fn_: self.fn_,
        }
    }

    /// Value of a named metric: None if the name is unknown, Some(None) if undefined on this data.
    ///
    /// Names are those of [`METRIC_NAMES`] (the false-negative count is `"fn"`); counts and `n`
    /// are returned as `f64` (exact below 2^53).
    pub fn value(&self, name: &str) -> Option<Option<f64>> {
        let v = match name {
            "n" => Some(self.n as f64),
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
            "tp" => Some(self.tp as f64),
            "fp" => Some(self.fp as f64),
            "tn" => Some(self.tn as f64),
            "fn" => Some(self.fn_ as f64),
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
        let no_pos = c.positives() == 0;
        let no_neg = c.negatives() == 0;
        let why = if self.n == 0 {
            "the data has no rows".to_string()
        } else {
            match name {
                "precision" if c.predicted_positives() == 0 => format!(
                    "no row is predicted positive at threshold {} (tp + fp = 0)",
                    self.threshold
                ),
                "f1" if c.tp + c.fp + c.fn_ == 0 => format!(
                    "the data has no positive rows and no row is predicted positive at \
                     threshold {} (2 tp + fp + fn = 0)",
                    self.threshold
                ),
                "recall" | "balanced_accuracy" | "roc_auc" | "pr_auc" if no_pos => {
                    "the data has no positive rows".to_string()
                }
                "specificity" | "balanced_accuracy" | "roc_auc" if no_neg => {
                    "the data has no negative rows".to_string()
                }
                // The only other way a metric is undefined (see `tie_groups` and `mean_of`).
                _ => "some scores are NaN".to_string(),
            }
        };
        Some(format!("{name} is undefined: {why}"))
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    fn assert_close(got: Option<f64>, want: f64, tol: f64, what: &str) {
        match got {
            Some(g) => assert!(close(g, want, tol), "{what}: got {g:e}, want {want:e}"),
            None => panic!("{what}: undefined, want {want}"),
        }
    }

    fn labels(bits: &[u8]) -> Vec<bool> {
        bits.iter().map(|&b| b == 1).collect()
    }

    /// The linear score of a probability, `ln(p / (1 - p))`, written so `1 - p` is not rounded.
    fn logit_of(p: f64) -> f64 {
        p.ln() - (-p).ln_1p()
    }

    // ---- hand-computed cases -------------------------------------------------------------

    #[test]
    fn counts_and_ratios_hand_computed() {
        // z:      3    2    1   -1   -2   -3     threshold 0.5 <=> z >= 0
        // y:      1    0    1    0    1    0
        // pred:   1    1    1    0    0    0
        // tp = 2 (z=3, 1), fp = 1 (z=2), tn = 2 (z=-1, -3), fn = 1 (z=-2)
        let z = [3.0, 2.0, 1.0, -1.0, -2.0, -3.0];
        let y = labels(&[1, 0, 1, 0, 1, 0]);
        let m = evaluate(&z, &y, 0.5);
        assert_eq!((m.n, m.tp, m.fp, m.tn, m.fn_), (6, 2, 1, 2, 1));
        assert_eq!(m.accuracy, Some(4.0 / 6.0)); // (2 + 2) / 6
        assert_eq!(m.precision, Some(2.0 / 3.0)); // 2 / (2 + 1)
        assert_eq!(m.recall, Some(2.0 / 3.0)); // 2 / (2 + 1)
        assert_eq!(m.specificity, Some(2.0 / 3.0)); // 2 / (2 + 1)
        assert_eq!(m.f1, Some(4.0 / 6.0)); // 2*2 / (2*2 + 1 + 1)
        assert_eq!(m.balanced_accuracy, Some(2.0 / 3.0)); // (2/3 + 2/3) / 2
        assert_eq!(m.threshold, 0.5);
        // ROC: positives {3, 1, -2} vs negatives {2, -1, -3}:
        // 3 beats all 3, 1 beats {-1, -3} = 2, -2 beats {-3} = 1  ->  U = 6, AUC = 6/9.
        assert_close(m.roc_auc, 6.0 / 9.0, 1e-15, "roc_auc");
        // AP, thresholds in decreasing order:
        // z=3 (pos): tp=1 fp=0 P=1,   dR=1/3
        // z=2 (neg): dR=0
        // z=1 (pos): tp=2 fp=1 P=2/3, dR=1/3
        // z=-1 (neg): dR=0
        // z=-2 (pos): tp=3 fp=2 P=3/5, dR=1/3
        // AP = (1 + 2/3 + 3/5) / 3 = (15 + 10 + 9) / 45 = 34/45
        assert_close(m.pr_auc, 34.0 / 45.0, 1e-15, "pr_auc");
    }

    #[test]
    fn threshold_is_inclusive_and_uses_the_sigmoid() {
        // sigmoid(0) = 0.5 exactly, and 0.5 >= 0.5: predicted positive.
        let c = ConfusionCounts::at_threshold(&[0.0, -0.0], &[true, false], 0.5);
        assert_eq!((c.tp, c.fp, c.tn, c.fn_), (1, 1, 0, 0));
        // ln 3 -> p = 3/4 (up to rounding): positive at 0.7, negative at 0.8.
        let z = [3f64.ln()];
        assert_eq!(ConfusionCounts::at_threshold(&z, &[true], 0.7).tp, 1);
        assert_eq!(ConfusionCounts::at_threshold(&z, &[true], 0.8).fn_, 1);
        // Threshold 0 predicts everything positive, even z = -inf (sigmoid = 0 >= 0).
        let c = ConfusionCounts::at_threshold(&[f64::NEG_INFINITY, -800.0], &[false, false], 0.0);
        assert_eq!(c.fp, 2);
        // Threshold 1 needs sigmoid(z) == 1.0, which only saturated scores reach.
        let c = ConfusionCounts::at_threshold(&[30.0, 40.0], &[true, true], 1.0);
        assert_eq!((c.tp, c.fn_), (1, 1));
    }

    #[test]
    fn ranking_metrics_with_ties_hand_computed() {
        // z: 1 1 0 0 0 -1 ; y: 1 0 1 1 0 0. Positives {1, 0, 0}, negatives {1, 0, -1}.
        // ROC: pos z=1: tie with neg 1 (1/2) + beats 0, -1 (2) = 2.5
        //      pos z=0 (x2): loses to 1, tie with 0 (1/2), beats -1 (1) = 1.5 each
        //      U = 2.5 + 3 = 5.5, AUC = 5.5 / 9 = 11/18
        let z = [1.0, 1.0, 0.0, 0.0, 0.0, -1.0];
        let y = labels(&[1, 0, 1, 1, 0, 0]);
        assert_close(roc_auc(&z, &y), 11.0 / 18.0, 1e-15, "roc_auc");
        // AP, one step per distinct score, decreasing:
        // z=1:  +1 pos, +1 neg -> tp=1 fp=1, P=1/2, dR=1/3
        // z=0:  +2 pos, +1 neg -> tp=3 fp=2, P=3/5, dR=2/3
        // z=-1: +1 neg         -> dR=0
        // AP = 1/6 + 2/5 = 17/30
        assert_close(average_precision(&z, &y), 17.0 / 30.0, 1e-15, "pr_auc");
        // Permuting rows changes nothing.
        let z2 = [0.0, -1.0, 1.0, 0.0, 1.0, 0.0];
        let y2 = labels(&[1, 0, 0, 0, 1, 1]);
        assert_eq!(roc_auc(&z2, &y2), roc_auc(&z, &y));
        assert_eq!(average_precision(&z2, &y2), average_precision(&z, &y));
    }

    #[test]
    fn all_scores_equal() {
        // One tie group: every pair is a tie -> AUC 1/2; AP has one step: dR = 1, P = 2/5.
        let z = [0.3; 5];
        let y = labels(&[1, 0, 1, 0, 0]);
        assert_eq!(roc_auc(&z, &y), Some(0.5));
        assert_close(average_precision(&z, &y), 0.4, 1e-15, "pr_auc");
    }

    #[test]
    fn negative_zero_ties_with_zero() {
        // -0.0 and 0.0 are the same score (probability 1/2): one tie, AUC 1/2.
        assert_eq!(roc_auc(&[-0.0, 0.0], &[true, false]), Some(0.5));
        assert_eq!(roc_auc(&[0.0, -0.0], &[true, false]), Some(0.5));
        assert_eq!(average_precision(&[0.0, -0.0], &[false, true]), Some(0.5));
    }

    #[test]
    fn perfect_and_inverted_rankings() {
        let z = [-2.0, -1.0, 1.0, 2.0, 3.0];
        let y = labels(&[0, 0, 1, 1, 1]);
        assert_eq!(roc_auc(&z, &y), Some(1.0));
        assert_eq!(average_precision(&z, &y), Some(1.0));
        let m = evaluate(&z, &y, 0.5);
        assert_eq!(m.accuracy, Some(1.0));
        assert_eq!(m.f1, Some(1.0));

        // Inverted: every positive below every negative -> AUC 0.
        let inv: Vec<bool> = y.iter().map(|b| !b).collect();
        assert_eq!(roc_auc(&z, &inv), Some(0.0));
        // AP: positives at z = -1, -2 come after 3 negatives:
        // z=-1: tp=1 fp=3 P=1/4, dR=1/2 ; z=-2: tp=2 fp=3 P=2/5, dR=1/2
        // AP = (1/4 + 2/5) / 2 = 13/40
        assert_close(average_precision(&z, &inv), 13.0 / 40.0, 1e-15, "pr_auc");
        let m = evaluate(&z, &inv, 0.5);
        assert_eq!((m.tp, m.fp, m.tn, m.fn_), (0, 3, 0, 2));
        assert_eq!(m.accuracy, Some(0.0));
        assert_eq!(m.precision, Some(0.0));
        assert_eq!(m.f1, Some(0.0)); // 0 / (0 + 3 + 2): defined, zero
    }

    #[test]
    fn ranks_by_score_not_by_saturated_probability() {
        // sigmoid(40) == sigmoid(50) == 1.0 in f64, but the scores still rank.
        assert_eq!(
            crate::fit::numerics::sigmoid(40.0),
            crate::fit::numerics::sigmoid(50.0)
        );
        assert_eq!(roc_auc(&[40.0, 50.0], &[false, true]), Some(1.0));
        assert_eq!(average_precision(&[40.0, 50.0], &[false, true]), Some(1.0));
    }

    #[test]
    fn log_loss_and_brier_hand_computed() {
        // z = ln 3 -> p = 3/4. Positive row: loss -ln(3/4) = ln(4/3), squared error (1/4)^2;
        // negative row: loss -ln(1/4) = ln 4, squared error (3/4)^2.
        // mean log loss = (ln(4/3) + ln 4) / 2 = ln(16/3) / 2 ; Brier = (1/16 + 9/16) / 2 = 5/16.
        let z = [3f64.ln(), 3f64.ln()];
        let y = [true, false];
        assert_close(
            mean_log_loss(&z, &y),
            (16.0f64 / 3.0).ln() / 2.0,
            1e-15,
            "log_loss",
        );
        assert_close(brier(&z, &y), 5.0 / 16.0, 1e-15, "brier");
        // z = 0: p = 1/2, every row loses ln 2 and has squared error 1/4.
        let z = [0.0; 3];
        let y = [true, false, true];
        assert_close(
            mean_log_loss(&z, &y),
            std::f64::consts::LN_2,
            1e-16,
            "log_loss",
        );
        assert_eq!(brier(&z, &y), Some(0.25));
    }

    #[test]
    fn log_loss_exact_for_extreme_scores() {
        // A right confident row: loss log(1 + e^-50) = e^-50 to rounding (sklearn would clip to
        // eps); a wrong one: log(1 + e^50) = 50 + e^-50 (sklearn would cap at -ln(eps) = 36.04).
        let right = mean_log_loss(&[50.0], &[true]).unwrap_or(f64::NAN);
        assert!(close(right / (-50f64).exp(), 1.0, 1e-15), "{right:e}");
        assert_eq!(mean_log_loss(&[50.0], &[false]), Some(50.0));
        // Infinite scores: exact 0 or +inf, no NaN from the compensated sum.
        assert_eq!(
            mean_log_loss(&[f64::INFINITY, 1.0], &[true, true]),
            mean_log_loss(&[1.0], &[true]).map(|l| l / 2.0)
        );
        assert_eq!(
            mean_log_loss(&[f64::INFINITY, 1.0], &[false, true]),
            Some(f64::INFINITY)
        );
        assert_eq!(
            brier(&[f64::INFINITY, f64::NEG_INFINITY], &[false, false]),
            Some(0.5)
        );
    }

    #[test]
    fn compensated_mean_over_a_million_rows() {
        // The mean of n copies of one value v must come back as v; a naive running sum of a
        // million terms drifts by ~1e-11 relative.
        let n = 1_000_000;
        let z = vec![0.1; n];
        let y = vec![true; n];
        let v = crate::fit::numerics::log_loss(1.0, 0.1);
        let got = mean_log_loss(&z, &y).unwrap_or(f64::NAN);
        assert!(close(got, v, 2.0 * f64::EPSILON * v), "{got:e} vs {v:e}");
        let s = crate::fit::numerics::sigmoid(0.1) - 1.0;
        let got = brier(&z, &y).unwrap_or(f64::NAN);
        assert!(close(got, s * s, 2.0 * f64::EPSILON * s * s), "{got:e}");
        // Ranking on a million rows: rows 2k (positive) and 2k + 1 (negative) share the score
        // k mod 1000.
        let z: Vec<f64> = (0..n).map(|i| ((i / 2) % 1000) as f64).collect();
        let y: Vec<bool> = (0..n).map(|i| i % 2 == 0).collect();
        // Each score value holds 500 positives and 500 negatives: every positive beats the
        // negatives of the lower values and ties those of its own -> AUC exactly 1/2.
        assert_eq!(roc_auc(&z, &y), Some(0.5));
        assert_close(average_precision(&z, &y), 0.5, 1e-15, "pr_auc");
    }

    // ---- undefined cases ------------------------------------------------------------------

    #[test]
    fn empty_data_every_ratio_undefined() {
        let m = evaluate(&[], &[], 0.5);
        assert_eq!(m.n, 0);
        for name in METRIC_NAMES {
            match *name {
                "n" | "tp" | "fp" | "tn" | "fn" => assert_eq!(m.value(name), Some(Some(0.0))),
                "threshold" => assert_eq!(m.value(name), Some(Some(0.5))),
                _ => {
                    assert_eq!(m.value(name), Some(None), "{name}");
                    assert_eq!(
                        m.undefined_reason(name),
                        Some(format!("{name} is undefined: the data has no rows"))
                    );
                }
            }
        }
        assert_eq!(roc_auc(&[], &[]), None);
        assert_eq!(average_precision(&[], &[]), None);
        assert_eq!(mean_log_loss(&[], &[]), None);
        assert_eq!(brier(&[], &[]), None);
    }

    #[test]
    fn only_negative_rows() {
        // z: 1 -1 -2, all negative; tp = fn = 0, fp = 1, tn = 2.
        let m = evaluate(&[1.0, -1.0, -2.0], &[false; 3], 0.5);
        assert_eq!((m.tp, m.fp, m.tn, m.fn_), (0, 1, 2, 0));
        assert_eq!(m.accuracy, Some(2.0 / 3.0));
        assert_eq!(m.precision, Some(0.0)); // 0 / (0 + 1)
        assert_eq!(m.specificity, Some(2.0 / 3.0));
        assert_eq!(m.f1, Some(0.0)); // 0 / (0 + 1 + 0)
        for name in ["recall", "balanced_accuracy", "roc_auc", "pr_auc"] {
            assert_eq!(m.value(name), Some(None), "{name}");
            assert_eq!(
                m.undefined_reason(name),
                Some(format!(
                    "{name} is undefined: the data has no positive rows"
                ))
            );
        }
        assert!(m.log_loss.is_some() && m.brier.is_some());
        assert_eq!(m.undefined_reason("accuracy"), None);
    }

    #[test]
    fn only_positive_rows() {
        let m = evaluate(&[1.0, -1.0], &[true; 2], 0.5);
        assert_eq!((m.tp, m.fp, m.tn, m.fn_), (1, 0, 0, 1));
        assert_eq!(m.recall, Some(0.5));
        assert_eq!(m.precision, Some(1.0));
        // AP is defined with one class: z=1: tp=1 fp=0 P=1, z=-1: tp=2 P=1 -> 1.
        assert_eq!(m.pr_auc, Some(1.0));
        for name in ["specificity", "balanced_accuracy", "roc_auc"] {
            assert_eq!(m.value(name), Some(None), "{name}");
            assert_eq!(
                m.undefined_reason(name),
                Some(format!(
                    "{name} is undefined: the data has no negative rows"
                ))
            );
        }
    }

    #[test]
    fn no_predicted_positives() {
        // Every sigmoid(z) < 0.9: nothing predicted positive, tp + fp = 0.
        let m = evaluate(&[0.5, -0.5, 1.0], &[true, false, false], 0.9);
        assert_eq!((m.tp, m.fp, m.tn, m.fn_), (0, 0, 2, 1));
        assert_eq!(m.precision, None);
        let why = m.undefined_reason("precision").unwrap_or_default();
        assert!(why.starts_with("precision is undefined: "), "{why}");
        assert!(
            why.contains("no row is predicted positive at threshold 0.9"),
            "{why}"
        );
        assert_eq!(m.recall, Some(0.0));
        assert_eq!(m.f1, Some(0.0)); // 0 / (0 + 0 + 1)
        assert_eq!(m.balanced_accuracy, Some(0.5)); // (0 + 1) / 2

        // All true negatives: f1's denominator 2tp + fp + fn is 0 too.
        let m = evaluate(&[-1.0, -2.0], &[false, false], 0.5);
        assert_eq!(m.f1, None);
        let why = m.undefined_reason("f1").unwrap_or_default();
        assert!(
            why.starts_with("f1 is undefined: the data has no positive rows and no row"),
            "{why}"
        );
    }

    #[test]
    fn nan_scores_make_score_metrics_undefined_without_panicking() {
        let z = [1.0, f64::NAN, -1.0];
        let y = [true, false, false];
        let m = evaluate(&z, &y, 0.5);
        // sigmoid(NaN) >= t is false: predicted negative, as `predict` would label it.
        assert_eq!((m.tp, m.fp, m.tn, m.fn_), (1, 0, 2, 0));
        for name in ["roc_auc", "pr_auc", "log_loss", "brier"] {
            assert_eq!(m.value(name), Some(None), "{name}");
            assert_eq!(
                m.undefined_reason(name),
                Some(format!("{name} is undefined: some scores are NaN"))
            );
        }
    }

    #[test]
    #[should_panic(expected = "2 scores but 1 labels")]
    fn length_mismatch_is_a_caller_bug() {
        let _ = evaluate(&[0.0, 1.0], &[true], 0.5);
    }

    // ---- names and output -----------------------------------------------------------------

    #[test]
    fn gate_name_lookup() {
        let z = [3.0, 2.0, 1.0, -1.0, -2.0, -3.0];
        let y = labels(&[1, 0, 1, 0, 1, 0]);
        let m = evaluate(&z, &y, 0.5);
        for name in METRIC_NAMES {
            assert!(matches!(m.value(name), Some(Some(_))), "{name}");
            assert_eq!(m.undefined_reason(name), None, "{name}");
        }
        assert_eq!(m.value("n"), Some(Some(6.0)));
        assert_eq!(m.value("fn"), Some(Some(1.0)));
        assert_eq!(m.value("tp"), Some(Some(2.0)));
        assert_eq!(m.value("threshold"), Some(Some(0.5)));
        assert_eq!(m.value("f1"), Some(m.f1));
        assert_eq!(m.value("pr_auc"), Some(m.pr_auc));
        for unknown in ["fn_", "auc", "Accuracy", "", "logloss"] {
            assert_eq!(m.value(unknown), None, "{unknown}");
            assert_eq!(m.undefined_reason(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn json_keys_in_metric_names_order_with_fn_and_null() {
        let m = evaluate(&[-1.0, -2.0], &[false, false], 0.5);
        let json = serde_json::to_string(&m).unwrap_or_default();
        // Keys appear in METRIC_NAMES order; "fn" not "fn_"; undefined -> null.
        let mut at = 0;
        for name in METRIC_NAMES {
            let key = format!("\"{name}\":");
            let pos = json[at..].find(&key).map(|p| p + at);
            assert!(pos.is_some(), "{key} missing or out of order in {json}");
            at = pos.unwrap_or(at);
        }
        assert!(!json.contains("fn_"), "{json}");
        let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(v["fn"], serde_json::json!(0));
        assert_eq!(v["tn"], serde_json::json!(2));
        assert_eq!(v["n"], serde_json::json!(2));
        assert!(v["recall"].is_null() && v["roc_auc"].is_null() && v["pr_auc"].is_null());
        assert!(v["f1"].is_null() && v["precision"].is_null());
        assert_eq!(v["accuracy"], serde_json::json!(1.0));
        assert_eq!(v["threshold"], serde_json::json!(0.5));
        assert_eq!(v.as_object().map(|o| o.len()), Some(METRIC_NAMES.len()));
        // ConfusionCounts also serialises its false negatives as "fn".
        let c = serde_json::to_value(m.counts()).unwrap_or_default();
        assert_eq!(c["fn"], serde_json::json!(0));
    }

    // ---- properties against direct implementations of sklearn's algorithms -----------------

    /// sklearn's `roc_auc_score` algorithm: ROC points at each distinct threshold (decreasing),
    /// starting from (0, 0), area by the trapezoidal rule.
    fn trapezoid_auc(z: &[f64], y: &[bool]) -> f64 {
        let (p, n) = (
            y.iter().filter(|&&b| b).count() as f64,
            y.iter().filter(|&&b| !b).count() as f64,
        );
        let mut t: Vec<f64> = z.to_vec();
        t.sort_by(|a, b| b.total_cmp(a));
        t.dedup();
        let (mut area, mut fpr0, mut tpr0) = (0.0, 0.0, 0.0);
        for &th in &t {
            let tp = z.iter().zip(y).filter(|(&s, &b)| b && s >= th).count() as f64;
            let fp = z.iter().zip(y).filter(|(&s, &b)| !b && s >= th).count() as f64;
            let (fpr, tpr) = (fp / n, tp / p);
            area += (fpr - fpr0) * (tpr + tpr0) / 2.0;
            (fpr0, tpr0) = (fpr, tpr);
        }
        area
    }

    /// Mann-Whitney by brute force over all (positive, negative) pairs.
    fn pairwise_auc(z: &[f64], y: &[bool]) -> f64 {
        let (mut u, mut pairs) = (0.0, 0.0);
        for (a, &ya) in z.iter().zip(y) {
            for (b, &yb) in z.iter().zip(y) {
                if ya && !yb {
                    pairs += 1.0;
                    u += if a > b {
                        1.0
                    } else if a == b {
                        0.5
                    } else {
                        0.0
                    };
                }
            }
        }
        u / pairs
    }

    /// sklearn's `average_precision_score`: sum_n (R_n - R_{n-1}) P_n over distinct thresholds.
    fn stepwise_ap(z: &[f64], y: &[bool]) -> f64 {
        let p = y.iter().filter(|&&b| b).count() as f64;
        let mut t: Vec<f64> = z.to_vec();
        t.sort_by(|a, b| b.total_cmp(a));
        t.dedup();
        let (mut ap, mut r0) = (0.0, 0.0);
        for &th in &t {
            let tp = z.iter().zip(y).filter(|(&s, &b)| b && s >= th).count() as f64;
            let fp = z.iter().zip(y).filter(|(&s, &b)| !b && s >= th).count() as f64;
            let r = tp / p;
            ap += (r - r0) * (tp / (tp + fp));
            r0 = r;
        }
        ap
    }

    fn rows() -> impl Strategy<Value = Vec<(i8, bool)>> {
        // Few distinct scores, so ties are common.
        prop::collection::vec((-4i8..=4, any::<bool>()), 0..60)
    }

    proptest! {
        #[test]
        fn prop_roc_auc_matches_trapezoid_and_pairs(r in rows(), scale in 0.01f64..10.0) {
            let z: Vec<f64> = r.iter().map(|&(s, _)| f64::from(s) * scale).collect();
            let y: Vec<bool> = r.iter().map(|&(_, b)| b).collect();
            let has_both = y.iter().any(|&b| b) && y.iter().any(|&b| !b);
            match roc_auc(&z, &y) {
                None => prop_assert!(!has_both),
                Some(auc) => {
                    prop_assert!(has_both);
                    prop_assert!((auc - trapezoid_auc(&z, &y)).abs() <= 1e-12);
                    prop_assert!((auc - pairwise_auc(&z, &y)).abs() <= 1e-12);
                    // Reversing the ranking reflects the AUC.
                    let neg: Vec<f64> = z.iter().map(|v| -v).collect();
                    let flipped = roc_auc(&neg, &y).unwrap_or(f64::NAN);
                    prop_assert!((flipped - (1.0 - auc)).abs() <= 1e-12);
                }
            }
        }

        #[test]
        fn prop_average_precision_matches_stepwise_definition(r in rows()) {
            let z: Vec<f64> = r.iter().map(|&(s, _)| f64::from(s)).collect();
            let y: Vec<bool> = r.iter().map(|&(_, b)| b).collect();
            match average_precision(&z, &y) {
                None => prop_assert!(!y.iter().any(|&b| b)),
                Some(ap) => {
                    prop_assert!((ap - stepwise_ap(&z, &y)).abs() <= 1e-12);
                    prop_assert!((0.0..=1.0).contains(&ap));
                }
            }
        }

        #[test]
        fn prop_counts_partition_rows(r in rows(), t in 0.0f64..=1.0) {
            let z: Vec<f64> = r.iter().map(|&(s, _)| f64::from(s) / 2.0).collect();
            let y: Vec<bool> = r.iter().map(|&(_, b)| b).collect();
            let m = evaluate(&z, &y, t);
            prop_assert_eq!(m.tp + m.fp + m.tn + m.fn_, m.n);
            prop_assert_eq!(m.n, z.len());
            prop_assert_eq!(m.tp + m.fn_, y.iter().filter(|&&b| b).count());
            let predicted = z.iter().filter(|&&s| crate::fit::numerics::sigmoid(s) >= t).count();
            prop_assert_eq!(m.tp + m.fp, predicted);
            for name in METRIC_NAMES {
                let v = m.value(name);
                prop_assert!(v.is_some());
                prop_assert_eq!(m.undefined_reason(name).is_some(), v == Some(None));
            }
        }
    }

    // ---- golden values from scikit-learn ----------------------------------------------------

    /// The `test_metrics` object of a fit in `../shared/reference/<case>.expected.json`.
    struct Golden {
        accuracy: f64,
        precision: f64,
        recall: f64,
        f1: f64,
        specificity: f64,
        balanced_accuracy: f64,
        roc_auc: f64,
        pr_auc: f64,
        log_loss: f64,
        brier: f64,
        n: usize,
        tp: usize,
        fp: usize,
        tn: usize,
        fn_: usize,
        threshold: f64,
    }

    /// Evaluates the reference probabilities (as scores `ln(p/(1-p))`) and returns the largest
    /// absolute difference from the reference metrics; counts must match exactly.
    fn check_golden(probs: &[f64], label_bits: &[u8], want: &Golden, what: &str) -> f64 {
        let z: Vec<f64> = probs.iter().map(|&p| logit_of(p)).collect();
        let y = labels(label_bits);
        let m = evaluate(&z, &y, want.threshold);
        assert_eq!(
            (m.n, m.tp, m.fp, m.tn, m.fn_),
            (want.n, want.tp, want.fp, want.tn, want.fn_),
            "{what}"
        );
        let pairs = [
            (m.accuracy, want.accuracy, "accuracy"),
            (m.precision, want.precision, "precision"),
            (m.recall, want.recall, "recall"),
            (m.f1, want.f1, "f1"),
            (m.specificity, want.specificity, "specificity"),
            (
                m.balanced_accuracy,
                want.balanced_accuracy,
                "balanced_accuracy",
            ),
            (m.roc_auc, want.roc_auc, "roc_auc"),
            (m.pr_auc, want.pr_auc, "pr_auc"),
            (m.log_loss, want.log_loss, "log_loss"),
            (m.brier, want.brier, "brier"),
        ];
        let mut worst = 0.0f64;
        for (got, want, name) in pairs {
            assert_close(got, want, 1e-9, &format!("{what} {name}"));
            worst = worst.max((got.unwrap_or(f64::NAN) - want).abs());
        }
        worst
    }

    #[test]
    fn golden_spector() {
        let mut worst = 0.0f64;
        worst = worst.max(check_golden(
            &SPECTOR_L0_PROBS,
            &SPECTOR_LABELS,
            &SPECTOR_L0_METRICS,
            "spector l2=0",
        ));
        worst = worst.max(check_golden(
            &SPECTOR_L1E_2_PROBS,
            &SPECTOR_LABELS,
            &SPECTOR_L1E_2_METRICS,
            "spector l2=0.01",
        ));
        worst = worst.max(check_golden(
            &SPECTOR_L1E_4_PROBS,
            &SPECTOR_LABELS,
            &SPECTOR_L1E_4_METRICS,
            "spector l2=1e-4",
        ));
        eprintln!("spector: max |metric - sklearn| = {worst:e}");
    }

    #[test]
    fn golden_pima() {
        let mut worst = 0.0f64;
        worst = worst.max(check_golden(
            &PIMA_L0_PROBS,
            &PIMA_LABELS,
            &PIMA_L0_METRICS,
            "pima l2=0",
        ));
        worst = worst.max(check_golden(
            &PIMA_L1E_4_PROBS,
            &PIMA_LABELS,
            &PIMA_L1E_4_METRICS,
            "pima l2=1e-4",
        ));
        eprintln!("pima: max |metric - sklearn| = {worst:e}");
    }

    /// Every fit of every `../shared/reference/*.expected.json`, when that folder exists next to
    /// the repository (it does in the project workspace, not in a plain clone: then this is a
    /// no-op and the constants above carry the check).
    #[test]
    fn golden_all_reference_files_when_present() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            eprintln!("skipped: no {}", dir.display());
            return;
        };
        let mut files: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with(".expected.json"))
            .collect();
        files.sort();
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let d: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            let positive = d["positive"].as_str().unwrap_or_default();
            let bits: Vec<u8> = d["test_labels"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|l| u8::from(l.as_str() == Some(positive)))
                        .collect()
                })
                .unwrap_or_default();
            let fits = d["fits"].as_array().cloned().unwrap_or_default();
            assert!(!bits.is_empty() && !fits.is_empty(), "{}", path.display());
            let mut worst = 0.0f64;
            for fit in &fits {
                let probs: Vec<f64> = fit["test_probabilities"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|v| v.as_f64()).collect())
                    .unwrap_or_default();
                let m = &fit["test_metrics"];
                let f = |k: &str| m[k].as_f64().unwrap_or(f64::NAN);
                let u = |k: &str| m[k].as_u64().unwrap_or(u64::MAX) as usize;
                let want = Golden {
                    accuracy: f("accuracy"),
                    precision: f("precision"),
                    recall: f("recall"),
                    f1: f("f1"),
                    specificity: f("specificity"),
                    balanced_accuracy: f("balanced_accuracy"),
                    roc_auc: f("roc_auc"),
                    pr_auc: f("pr_auc"),
                    log_loss: f("log_loss"),
                    brier: f("brier"),
                    n: u("n"),
                    tp: u("tp"),
                    fp: u("fp"),
                    tn: u("tn"),
                    fn_: u("fn"),
                    threshold: f("threshold"),
                };
                let what = format!("{} lambda={}", path.display(), fit["lambda"]);
                worst = worst.max(check_golden(&probs, &bits, &want, &what));
            }
            eprintln!(
                "{}: {} fits, max |metric - sklearn| = {worst:e}",
                path.display(),
                fits.len()
            );
        }
    }

    /// `test_labels` of `spector.expected.json` as 1 = positive ("1"), 0 = negative.
    #[rustfmt::skip]
    const SPECTOR_LABELS: [u8; 10] = [
        1, 0, 1, 0, 1, 0, 0, 0, 0, 0,
    ];
    /// `fits[0].test_probabilities` (lambda = 0.0) of `spector.expected.json`.
    #[rustfmt::skip]
    const SPECTOR_L0_PROBS: [f64; 10] = [
        0.6893144020133677, 0.2804053304420529, 0.24281368803622122,
        0.0826083515469087, 0.7975345800769544, 0.06654985863743862,
        0.7386671115996754, 0.10017205651620965, 0.4981395861236716,
        0.78101724888792,
    ];
    /// `fits[0].test_metrics` (lambda = 0.0) of `spector.expected.json` (scikit-learn 1.9.1).
    const SPECTOR_L0_METRICS: Golden = Golden {
        accuracy: 0.7,
        precision: 0.5,
        recall: 0.6666666666666666,
        f1: 0.5714285714285714,
        specificity: 0.7142857142857143,
        balanced_accuracy: 0.6904761904761905,
        roc_auc: 0.7142857142857143,
        pr_auc: 0.6428571428571428,
        log_loss: 0.6153611968535642,
        brier: 0.2214523603846125,
        n: 10,
        tp: 2,
        fp: 2,
        tn: 5,
        fn_: 1,
        threshold: 0.5,
    };
    /// `fits[1].test_probabilities` (lambda = 0.01) of `spector.expected.json`.
    #[rustfmt::skip]
    const SPECTOR_L1E_2_PROBS: [f64; 10] = [
        0.6736016339366306, 0.2944356849768775, 0.2595325674856721,
        0.09345534842885754, 0.7801616364843308, 0.0775153272562067,
        0.7140334973913356, 0.10964618906996398, 0.49703250916723896,
        0.7455808969263827,
    ];
    /// `fits[1].test_metrics` (lambda = 0.01) of `spector.expected.json` (scikit-learn 1.9.1).
    const SPECTOR_L1E_2_METRICS: Golden = Golden {
        accuracy: 0.7,
        precision: 0.5,
        recall: 0.6666666666666666,
        f1: 0.5714285714285714,
        specificity: 0.7142857142857143,
        balanced_accuracy: 0.6904761904761905,
        roc_auc: 0.7142857142857143,
        pr_auc: 0.6428571428571428,
        log_loss: 0.5943819543559001,
        brier: 0.21293900299589447,
        n: 10,
        tp: 2,
        fp: 2,
        tn: 5,
        fn_: 1,
        threshold: 0.5,
    };
    /// `fits[2].test_probabilities` (lambda = 0.0001) of `spector.expected.json`.
    #[rustfmt::skip]
    const SPECTOR_L1E_4_PROBS: [f64; 10] = [
        0.6891400631660036, 0.2805765679073046, 0.2430071113692324,
        0.08272696342369906, 0.7973436496621354, 0.06666881369466073,
        0.7383886116668655, 0.10027565772792979, 0.49813699506098463,
        0.7806185956278973,
    ];
    /// `fits[2].test_metrics` (lambda = 0.0001) of `spector.expected.json` (scikit-learn 1.9.1).
    const SPECTOR_L1E_4_METRICS: Golden = Golden {
        accuracy: 0.7,
        precision: 0.5,
        recall: 0.6666666666666666,
        f1: 0.5714285714285714,
        specificity: 0.7142857142857143,
        balanced_accuracy: 0.6904761904761905,
        roc_auc: 0.7142857142857143,
        pr_auc: 0.6428571428571428,
        log_loss: 0.6151028841293448,
        brier: 0.2213532228814203,
        n: 10,
        tp: 2,
        fp: 2,
        tn: 5,
        fn_: 1,
        threshold: 0.5,
    };
    /// `test_labels` of `pima.expected.json` as 1 = positive ("Yes"), 0 = negative.
    #[rustfmt::skip]
    const PIMA_LABELS: [u8; 160] = [
        0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
        0, 0, 0, 0, 1, 1, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0,
        1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1,
        0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1, 1,
        0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0,
        1, 0, 1, 1, 0, 0, 0, 0, 1, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 0,
        0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1,
        1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    /// `fits[0].test_probabilities` (lambda = 0.0) of `pima.expected.json`.
    #[rustfmt::skip]
    const PIMA_L0_PROBS: [f64; 160] = [
        0.18813838011495335, 0.8513434345909809, 0.41090807883871006,
        0.22787172986502668, 0.3013334441215326, 0.12517035700959322,
        0.0885748498299491, 0.06902816322130113, 0.13223706328714446,
        0.27847251929505973, 0.28892100377058555, 0.19176269658750644,
        0.030096589741823904, 0.32338634625190954, 0.6627822074442863,
        0.0697252797000462, 0.302177026062474, 0.31636444356611754,
        0.03746884545242314, 0.1684791121398376, 0.5274784953168776,
        0.21015398147240577, 0.5892987559157953, 0.12276483238809506,
        0.7181183500037241, 0.173615643649385, 0.5356589296431478,
        0.43805313896693643, 0.3098019764723988, 0.0787487952004458,
        0.9650187617924202, 0.014567832884540706, 0.36303384515665554,
        0.24337717835041317, 0.052688756286471496, 0.022229887851323488,
        0.6492974141510354, 0.29713682266830016, 0.3798935136739653,
        0.588178601200933, 0.05575687791531807, 0.030046511053106125,
        0.5376247295193484, 0.5336042909953697, 0.2794863935931225,
        0.7172549729112198, 0.7232103873076207, 0.38531853137435673,
        0.5511507140935431, 0.11597632988123066, 0.42158875574556187,
        0.03414548486726632, 0.1241802227405071, 0.0676384689218384,
        0.15670031760658773, 0.11381064134028433, 0.022072621961438447,
        0.3467796427213517, 0.38908448754425357, 0.7012396349667669,
        0.014404276211103888, 0.03554124318587314, 0.5060366840165128,
        0.7387337401020692, 0.19778485167263238, 0.1601190357479748,
        0.2984274765284097, 0.20253115617572676, 0.18997984746435428,
        0.7823015753062277, 0.03315894846532061, 0.5069392346923377,
        0.11587356152620529, 0.784077013964514, 0.47753913343091575,
        0.03721714290118514, 0.2030176167671776, 0.022332060334693062,
        0.4558223730259932, 0.09820095393640992, 0.13059691383257413,
        0.9207125027403387, 0.5935650008224537, 0.17418337148978538,
        0.11925103278015572, 0.09466512457343515, 0.17032737125260894,
        0.17657461025708407, 0.4588146124427422, 0.06653437072354319,
        0.5861077660809791, 0.09501522604099223, 0.8676628878135428,
        0.04418777136999346, 0.57018000589054, 0.30514372484581953,
        0.1338477168878968, 0.8508551379479343, 0.1905691222012417,
        0.27296258329814965, 0.31557724210376936, 0.7061814718979875,
        0.13496947693783326, 0.9676677665574752, 0.03870520858790881,
        0.125687388412793, 0.1088074078104399, 0.2773349594833101,
        0.31769210061780295, 0.34694891428227514, 0.42771295539881893,
        0.4631734738897388, 0.5693513108215744, 0.19006713674576484,
        0.8459837742341975, 0.7431912272013883, 0.19258880589334818,
        0.946187995614743, 0.3846826490667166, 0.03835091686059707,
        0.13917460827127393, 0.938853129762543, 0.7816923552510597,
        0.4631703546409714, 0.7753939942577676, 0.6277125312565126,
        0.19924361706268903, 0.23421075679260925, 0.5117400760215154,
        0.17313856734131386, 0.23369023164555414, 0.7452819181573221,
        0.3583497026097869, 0.732045126357986, 0.05476777687488455,
        0.057765436208611014, 0.306826591373482, 0.34941374106799916,
        0.0845627517869686, 0.9340348954033323, 0.8443400404106213,
        0.15271400943628313, 0.06848515687400253, 0.05598766546149759,
        0.07067875292886598, 0.3892155748129734, 0.547890519287907,
        0.1350219979507823, 0.08866284920795978, 0.4574560319721758,
        0.06280865086943122, 0.08881521938183, 0.05433557202674502,
        0.039906728019900556, 0.026331869014941986, 0.031454259721005906,
        0.1278947287399022, 0.0913913214711718, 0.028606487403427815,
        0.17527879305303457,
    ];
    /// `fits[0].test_metrics` (lambda = 0.0) of `pima.expected.json` (scikit-learn 1.9.1).
    const PIMA_L0_METRICS: Golden = Golden {
        accuracy: 0.76875,
        precision: 0.6904761904761905,
        recall: 0.5471698113207547,
        f1: 0.6105263157894737,
        specificity: 0.8785046728971962,
        balanced_accuracy: 0.7128372421089755,
        roc_auc: 0.8515253041791572,
        pr_auc: 0.7416982978664952,
        log_loss: 0.44757094219883964,
        brier: 0.14485758181015446,
        n: 160,
        tp: 29,
        fp: 13,
        tn: 94,
        fn_: 24,
        threshold: 0.5,
    };
    /// `fits[2].test_probabilities` (lambda = 0.0001) of `pima.expected.json`.
    #[rustfmt::skip]
    const PIMA_L1E_4_PROBS: [f64; 160] = [
        0.1882913114706014, 0.8511207618745351, 0.41085520344567056,
        0.22786419589274454, 0.30150753508891937, 0.1253247812974869,
        0.08857434205758376, 0.06911804064431804, 0.13239851923108836,
        0.27873121542969953, 0.28904136227236926, 0.1917725047850585,
        0.030150276917091306, 0.32351392311324056, 0.6628158864300143,
        0.06983539799737278, 0.3022078535289948, 0.3164947961844385,
        0.03755564528688395, 0.16857443036778455, 0.5272495810763372,
        0.21022859724340195, 0.589185723250478, 0.1228433698867628,
        0.7177861270225253, 0.17380495726085163, 0.5354805800383124,
        0.4382541134646466, 0.3099001474987491, 0.07892879477502268,
        0.9649038422502, 0.014605693635457802, 0.36333609209060397,
        0.24337591854590296, 0.05274901791634999, 0.02229352802395974,
        0.6491123144989869, 0.2972285398380297, 0.3798021293405975,
        0.5881298883484036, 0.05586821530580483, 0.030114700713309482,
        0.5375400696767036, 0.5334216633368616, 0.27952038034873594,
        0.7170142254983338, 0.7230694933274676, 0.3850286303199095,
        0.5509454446096977, 0.11610766719446589, 0.4215951968392506,
        0.03423818897184081, 0.12431381247655436, 0.06775107950832072,
        0.15677146798051286, 0.11394989119893263, 0.02214257307940482,
        0.3468882603398557, 0.38906903145417066, 0.7011147891232296,
        0.014436978977405849, 0.03563016951590061, 0.5061820145711536,
        0.7386219548638863, 0.19790873923338867, 0.1602337497803643,
        0.29825967761128647, 0.20267383938358918, 0.19001141167519212,
        0.7820655968255839, 0.033236809401122364, 0.5068724921937471,
        0.11590609820082871, 0.7837303001484416, 0.47738326800566777,
        0.037304719908671784, 0.2033082806120753, 0.022389201932214733,
        0.4556101216979112, 0.09836358034255577, 0.13066562578539379,
        0.9204892091556048, 0.5933313280766163, 0.174237659476826,
        0.11929959464395444, 0.0948042637192533, 0.1702774048595368,
        0.1767972012375317, 0.4588003520179308, 0.06659629412359006,
        0.5859874776223469, 0.09513835270676871, 0.8674767013825144,
        0.044253817491935674, 0.5700964432831427, 0.30512986458229635,
        0.13399390299075764, 0.8506262701868833, 0.19071268616626375,
        0.2731068738085255, 0.3155849071875831, 0.705953359825163,
        0.1351448778481099, 0.9675517386149973, 0.03878183814528914,
        0.1258983778220445, 0.10891839956084044, 0.2774997364644353,
        0.3176495900199846, 0.3473234060921848, 0.42773762409656757,
        0.4630088875268429, 0.5692536074065787, 0.19016544054861648,
        0.845708785913055, 0.7430856563779785, 0.19272053686153692,
        0.9460436513271331, 0.3848437911976182, 0.03847196510112236,
        0.1393379949133713, 0.9387198353215621, 0.7814502981944917,
        0.46305147878636466, 0.7751311420832003, 0.6276830499704775,
        0.19938925684659004, 0.23436264181012811, 0.5116170434248851,
        0.17322648587400172, 0.2337346542197463, 0.7451378011688712,
        0.35839056556493853, 0.7317344638241225, 0.05485618694400652,
        0.0578706892046063, 0.3068127318245965, 0.3494715497885408,
        0.08464811807245705, 0.9338136883227494, 0.844110910568206,
        0.15286398114765246, 0.0685782790901364, 0.05605783415823763,
        0.07078314630466871, 0.3890802117505742, 0.5476274279179703,
        0.135145064334871, 0.08877296619951358, 0.4575303902423106,
        0.0629055452603951, 0.08894002731475974, 0.05442012832723754,
        0.039981414169710856, 0.026404039222863263, 0.031518381945901466,
        0.12807387312211055, 0.0914356467207289, 0.028677992362115153,
        0.17548553645510973,
    ];
    /// `fits[2].test_metrics` (lambda = 0.0001) of `pima.expected.json` (scikit-learn 1.9.1).
    const PIMA_L1E_4_METRICS: Golden = Golden {
        accuracy: 0.76875,
        precision: 0.6904761904761905,
        recall: 0.5471698113207547,
        f1: 0.6105263157894737,
        specificity: 0.8785046728971962,
        balanced_accuracy: 0.7128372421089755,
        roc_auc: 0.8515253041791572,
        pr_auc: 0.7416982978664952,
        log_loss: 0.44757217977385644,
        brier: 0.14486158020431872,
        n: 160,
        tp: 29,
        fp: 13,
        tn: 94,
        fn_: 24,
        threshold: 0.5,
    };
}

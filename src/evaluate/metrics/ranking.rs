//! Threshold-free ranking metrics of a binary split: ROC AUC and average precision, unweighted
//! (exact integer counts) and weighted (scikit-learn's `sample_weight`).
//!
//! Both come from one sort of the rows into groups of equal score. Unweighted, the counts are
//! integers and the ROC area is accumulated exactly; weighted, every count becomes the sum of
//! the group's weights and the same formulas hold (scikit-learn's `_binary_clf_curve` forms
//! `tps = cumsum(y w)`, `fps = cumsum((1 - y) w)` at each distinct threshold; its trapezoidal
//! area and step-wise AP are the group sums below).

use super::{check_lengths, CompensatedSum};

/// Rows sharing one score value: how many (or how much weight) are positive and negative.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TieGroup<T> {
    pub pos: T,
    pub neg: T,
}

/// Rows grouped by equal score: the distinct scores (none `NaN`, no `-0.0`) in increasing
/// order, each one's group, and how many rows had a `NaN` score (left out of the groups).
/// Parts of the rows grouped apart [`merge`](ScoreGroups::merge) into the groups of all rows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScoreGroups<T> {
    pub z: Vec<f64>,
    pub groups: Vec<TieGroup<T>>,
    /// Rows with a `NaN` score: positive, negative.
    pub nan: TieGroup<u64>,
}

impl<T: Copy + Default + std::ops::AddAssign> ScoreGroups<T> {
    /// The rows grouped by equal score from one `O(n log n)` sort; each row adds `weight(i)`
    /// to its group's positive or negative side. `-0.0` and `0.0` are one group; `-inf` and
    /// `+inf` are ordinary extreme scores. Sorting uses `f64::total_cmp`, a total order that
    /// cannot panic.
    pub fn of(scores: &[f64], positive: &[bool], weight: impl Fn(usize) -> T) -> Self {
        check_lengths(scores, positive);
        let mut nan = TieGroup::default();
        // `+ 0.0` maps -0.0 to 0.0 so that equal scores are equal under total_cmp too.
        let mut rows: Vec<(f64, usize)> = Vec::with_capacity(scores.len());
        for (i, &z) in scores.iter().enumerate() {
            if z.is_nan() {
                if positive[i] {
                    nan.pos += 1;
                } else {
                    nan.neg += 1;
                }
            } else {
                rows.push((z + 0.0, i));
            }
        }
        rows.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        let mut out = ScoreGroups {
            z: Vec::new(),
            groups: Vec::new(),
            nan,
        };
        for (z, i) in rows {
            if out.z.last() != Some(&z) {
                out.z.push(z);
                out.groups.push(TieGroup::default());
            }
            if let Some(group) = out.groups.last_mut() {
                if positive[i] {
                    group.pos += weight(i);
                } else {
                    group.neg += weight(i);
                }
            }
        }
        out
    }

    /// Whether some row has a `NaN` score (then the ranking metrics are undefined).
    pub fn has_nan(&self) -> bool {
        self.nan.pos + self.nan.neg > 0
    }

    /// The groups of `parts`' rows together: sorted lists merged pairwise in a balanced tree
    /// (`O(D log K)` for `D` distinct scores in `K` parts), equal scores' groups added.
    pub fn merge(mut parts: Vec<ScoreGroups<T>>) -> ScoreGroups<T> {
        while parts.len() > 1 {
            let mut next = Vec::with_capacity(parts.len().div_ceil(2));
            let mut it = parts.into_iter();
            while let Some(a) = it.next() {
                next.push(match it.next() {
                    Some(b) => a.merge_two(b),
                    None => a,
                });
            }
            parts = next;
        }
        parts.pop().unwrap_or_default()
    }

    fn merge_two(self, other: ScoreGroups<T>) -> ScoreGroups<T> {
        let n = self.z.len() + other.z.len();
        let mut out = ScoreGroups {
            z: Vec::with_capacity(n),
            groups: Vec::with_capacity(n),
            nan: TieGroup {
                pos: self.nan.pos + other.nan.pos,
                neg: self.nan.neg + other.nan.neg,
            },
        };
        let (mut i, mut j) = (0, 0);
        while i < self.z.len() || j < other.z.len() {
            let take_a = j == other.z.len() || (i < self.z.len() && self.z[i] <= other.z[j]);
            let take_b = i == self.z.len() || (j < other.z.len() && other.z[j] <= self.z[i]);
            let z = if take_a { self.z[i] } else { other.z[j] };
            let mut g = TieGroup::default();
            if take_a {
                g.pos += self.groups[i].pos;
                g.neg += self.groups[i].neg;
                i += 1;
            }
            if take_b {
                g.pos += other.groups[j].pos;
                g.neg += other.groups[j].neg;
                j += 1;
            }
            out.z.push(z);
            out.groups.push(g);
        }
        out
    }
}

/// The rows grouped by equal score, in increasing score order; `None` when a score is `NaN`
/// (no meaningful rank). See [`ScoreGroups::of`].
fn groups_by<T: Copy + Default + std::ops::AddAssign>(
    scores: &[f64],
    positive: &[bool],
    weight: impl Fn(usize) -> T,
) -> Option<Vec<TieGroup<T>>> {
    check_lengths(scores, positive);
    if scores.iter().any(|z| z.is_nan()) {
        return None;
    }
    Some(ScoreGroups::of(scores, positive, weight).groups)
}

/// Unweighted tie groups (integer counts).
pub(super) fn tie_groups(scores: &[f64], positive: &[bool]) -> Option<Vec<TieGroup<u64>>> {
    groups_by(scores, positive, |_| 1u64)
}

/// Weighted tie groups (sums of `weights`).
///
/// # Panics
/// If `weights` is shorter than `scores` (a caller bug).
pub(super) fn weighted_groups(
    scores: &[f64],
    positive: &[bool],
    weights: &[f64],
) -> Option<Vec<TieGroup<f64>>> {
    assert_eq!(weights.len(), scores.len(), "metrics: weights and scores");
    groups_by(scores, positive, |i| weights[i])
}

/// ROC AUC from the tie groups (increasing score): `U / (n_pos n_neg)` with the Mann-Whitney
/// count `U = sum over positive rows of (#negatives below + #negatives tied / 2)`, accumulated
/// exactly as the integer `2U`.
pub(super) fn roc_auc_of_groups(groups: &[TieGroup<u64>]) -> Option<f64> {
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

/// Weighted ROC AUC from the tie groups: the same Mann-Whitney sum with weights,
/// `sum_g pos_g (neg_below_g + neg_g / 2) / (P N)`, which is the trapezoidal area under
/// scikit-learn's weighted ROC curve. Undefined when the positive or negative weight is 0.
pub(super) fn weighted_roc_auc_of_groups(groups: &[TieGroup<f64>]) -> Option<f64> {
    let (mut p, mut n) = (CompensatedSum::default(), CompensatedSum::default());
    for g in groups {
        p.add(g.pos);
        n.add(g.neg);
    }
    let (p, n) = (p.total(), n.total());
    if p <= 0.0 || n <= 0.0 {
        return None;
    }
    let mut u = CompensatedSum::default();
    let mut neg_below = CompensatedSum::default();
    for g in groups {
        u.add(g.pos * (neg_below.total() + g.neg / 2.0));
        neg_below.add(g.neg);
    }
    Some(u.total() / p / n)
}

/// Average precision from the tie groups (walked in decreasing score):
/// `(1/n_pos) sum_k pos_k * tp_k / (tp_k + fp_k)` with `tp_k`, `fp_k` cumulative through group `k`.
pub(super) fn average_precision_of_groups(groups: &[TieGroup<u64>]) -> Option<f64> {
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

/// Weighted average precision: the same sum with weights (scikit-learn's
/// `average_precision_score(sample_weight=w)`). Undefined when the positive weight is 0.
pub(super) fn weighted_average_precision_of_groups(groups: &[TieGroup<f64>]) -> Option<f64> {
    let mut p = CompensatedSum::default();
    for g in groups {
        p.add(g.pos);
    }
    let p = p.total();
    if p <= 0.0 {
        return None;
    }
    let (mut tp, mut fp) = (CompensatedSum::default(), CompensatedSum::default());
    let mut acc = CompensatedSum::default();
    for g in groups.iter().rev() {
        tp.add(g.pos);
        fp.add(g.neg);
        if g.pos > 0.0 {
            let (t, f) = (tp.total(), fp.total());
            acc.add(g.pos * (t / (t + f)));
        }
    }
    Some(acc.total() / p)
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

/// [`roc_auc`] with row weights, as sklearn `roc_auc_score(sample_weight=weights)`; with every
/// weight 1 it equals [`roc_auc`] up to rounding.
///
/// # Panics
/// If the three slices differ in length.
pub fn weighted_roc_auc(scores: &[f64], positive: &[bool], weights: &[f64]) -> Option<f64> {
    weighted_roc_auc_of_groups(&weighted_groups(scores, positive, weights)?)
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

/// [`average_precision`] with row weights (sklearn `sample_weight`).
///
/// # Panics
/// If the three slices differ in length.
pub fn weighted_average_precision(
    scores: &[f64],
    positive: &[bool],
    weights: &[f64],
) -> Option<f64> {
    weighted_average_precision_of_groups(&weighted_groups(scores, positive, weights)?)
}

/// The ROC curve's points `(fpr, tpr)` from `(0, 0)` through every distinct score in
/// decreasing order (ties enter together), weighted when `weights` is given; empty when the
/// positive or negative weight is 0 or a score is `NaN`. For drawing.
pub fn roc_points(scores: &[f64], positive: &[bool], weights: Option<&[f64]>) -> Vec<(f64, f64)> {
    let groups = match weights {
        Some(w) => weighted_groups(scores, positive, w),
        None => groups_by(scores, positive, |_| 1.0),
    };
    match groups {
        Some(groups) => roc_points_of_groups(&groups),
        None => Vec::new(),
    }
}

/// [`roc_points`] from the tie groups (increasing score; counts or weights as `f64`).
pub fn roc_points_of_groups(groups: &[TieGroup<f64>]) -> Vec<(f64, f64)> {
    let p: f64 = groups.iter().map(|g| g.pos).sum();
    let n: f64 = groups.iter().map(|g| g.neg).sum();
    if p <= 0.0 || n <= 0.0 {
        return Vec::new();
    }
    let mut points = vec![(0.0, 0.0)];
    let (mut tp, mut fp) = (0.0, 0.0);
    for g in groups.iter().rev() {
        tp += g.pos;
        fp += g.neg;
        points.push((fp / n, tp / p));
    }
    points
}

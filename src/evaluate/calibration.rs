//! Calibration of predicted probabilities: a reliability table and the expected calibration
//! error (ECE), plus the base rate against the mean predicted probability.
//!
//! This module owns the definitions behind the `calibration` part of `eval`'s report and the
//! calibration chart; printing is left to [`crate::evaluate::report`], drawing to [`crate::evaluate::plot`].
//!
//! # Definitions
//!
//! The probabilities `p_i = sigmoid(z_i)` are put in `B` equal-width bins of `[0, 1]`:
//! bin `b` (0-based) holds `b/B <= p < (b+1)/B`, the last bin also holds `p = 1` (the edges are
//! `b/B` computed as a division; scikit-learn's `calibration_curve(strategy="uniform")` uses the
//! same half-open bins). For a bin with `n_b > 0` rows, `mean_predicted_b` is the mean of its
//! `p_i` and `observed_rate_b` the fraction of its rows that are positive. Then
//!
//! ```text
//! ECE = sum_b (n_b / n) |observed_rate_b - mean_predicted_b|      (empty bins contribute 0)
//! MCE = max_b            |observed_rate_b - mean_predicted_b|      (over non-empty bins)
//! ```
//!
//! as in Naeini, Cooper & Hauskrecht, "Obtaining well calibrated probabilities using Bayesian
//! binning", AAAI 2015, and Guo, Pleiss, Sun & Weinberger, "On calibration of modern neural
//! networks", ICML 2017 (eq. 3 and 5), with the predicted probability of the positive class in
//! place of the confidence of the predicted class. Since `n_b (observed_rate_b -
//! mean_predicted_b) = positives_b - sum_b p_i`, the ECE is computed as
//! `sum_b |positives_b - sum_b p_i| / n` from exact counts and compensated sums.
//!
//! Rows whose score is `NaN` have no probability and are left out of every number here.

use serde::Serialize;

use crate::fit::numerics::sigmoid;

/// Number of bins of the reliability table.
pub const DEFAULT_BINS: usize = 10;

/// One bin of the reliability table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bin {
    /// The bin holds `lower <= p < upper` (`<= 1` for the last bin).
    pub lower: f64,
    pub upper: f64,
    /// Rows in the bin.
    pub count: usize,
    /// Sum of the bin's row weights; absent when unweighted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
    /// Positive rows in the bin.
    pub n_positive: usize,
    /// Mean predicted probability of the rows in the bin; `null` when the bin is empty.
    pub mean_predicted: Option<f64>,
    /// Fraction of the bin's rows that are positive; `null` when the bin is empty.
    pub observed_rate: Option<f64>,
}

/// The reliability table and summary numbers of one data set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    /// Rows with a probability (all rows unless some score is `NaN`).
    pub n: usize,
    /// Sum of the row weights; absent when unweighted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight_sum: Option<f64>,
    /// Fraction of rows that are positive; `null` with no rows.
    pub base_rate: Option<f64>,
    /// Mean predicted probability over all rows; `null` with no rows.
    pub mean_predicted: Option<f64>,
    /// Expected calibration error over the bins, see the module documentation.
    pub ece: Option<f64>,
    /// Maximum calibration error: the largest |observed - predicted| of a non-empty bin.
    pub mce: Option<f64>,
    /// The bins, from `[0, 1/B)` up.
    pub bins: Vec<Bin>,
}

/// Neumaier's compensated sum, so means over millions of rows keep full precision.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Sum {
    sum: f64,
    compensation: f64,
}

impl Sum {
    fn add(&mut self, x: f64) {
        let t = self.sum + x;
        self.compensation += if self.sum.abs() >= x.abs() {
            (self.sum - t) + x
        } else {
            (x - t) + self.sum
        };
        self.sum = t;
    }

    fn total(&self) -> f64 {
        self.sum + self.compensation
    }

    /// Adds another sum's terms (its sum, then its compensation).
    fn merge(&mut self, other: &Sum) {
        self.add(other.sum);
        self.compensation += other.compensation;
    }
}

/// The index of the bin of probability `p` among `n_bins` equal-width bins.
fn bin_of(p: f64, n_bins: usize) -> usize {
    // Count the interior edges b/B that are <= p; p = 1 lands in the last bin.
    let guess = ((p * n_bins as f64) as usize).min(n_bins - 1);
    let edge = |b: usize| b as f64 / n_bins as f64;
    if guess > 0 && p < edge(guess) {
        guess - 1
    } else if guess + 1 < n_bins && p >= edge(guess + 1) {
        guess + 1
    } else {
        guess
    }
}

/// The reliability table of the probabilities `sigmoid(scores[i])` against the true classes,
/// with `n_bins` equal-width bins.
///
/// # Panics
/// If `scores` and `positive` differ in length or `n_bins` is 0 (caller bugs).
pub fn reliability(scores: &[f64], positive: &[bool], n_bins: usize) -> Calibration {
    assert_eq!(
        scores.len(),
        positive.len(),
        "calibration: {} scores but {} labels",
        scores.len(),
        positive.len()
    );
    let probs: Vec<f64> = scores.iter().map(|&z| sigmoid(z)).collect();
    reliability_weighted(&probs, positive, None, n_bins)
}

/// The reliability table of probabilities given directly (e.g. the top-label confidence of a
/// multiclass model against "the prediction is right"), weighted by `weights` when given: then
/// every mean, rate and the ECE weigh each row by its weight (`count` and `n_positive` stay row
/// counts, and `weight` holds the bin's weight). Unweighted it is [`reliability`]'s table.
///
/// # Panics
/// If the slices differ in length or `n_bins` is 0 (caller bugs).
pub fn reliability_weighted(
    probs: &[f64],
    positive: &[bool],
    weights: Option<&[f64]>,
    n_bins: usize,
) -> Calibration {
    CalibrationTally::of(probs, positive, weights, n_bins).table()
}

/// The sums behind a reliability table, per bin: parts of the rows tallied apart (the ranks
/// of `eval --distributed`) [`merge`](CalibrationTally::merge) into the tally of all rows.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationTally {
    weighted: bool,
    counts: Vec<usize>,
    positives: Vec<usize>,
    // Sums of the weights, the positive weights and the weighted probabilities, per bin
    // (unweighted: every weight is 1, so these are the exact counts and the plain sums).
    bin_weight: Vec<Sum>,
    bin_positive: Vec<Sum>,
    sums: Vec<Sum>,
    total: Sum,
    total_weight: Sum,
    total_positive: Sum,
    n: usize,
}

impl CalibrationTally {
    /// The tally of `probs` against `positive`, weighted when `weights` is given.
    ///
    /// # Panics
    /// If the slices differ in length or `n_bins` is 0 (caller bugs).
    pub fn of(
        probs: &[f64],
        positive: &[bool],
        weights: Option<&[f64]>,
        n_bins: usize,
    ) -> CalibrationTally {
        assert_eq!(probs.len(), positive.len(), "calibration: lengths");
        if let Some(w) = weights {
            assert_eq!(w.len(), probs.len(), "calibration: weights");
        }
        assert!(n_bins > 0, "calibration needs at least one bin");
        let mut t = CalibrationTally {
            weighted: weights.is_some(),
            counts: vec![0; n_bins],
            positives: vec![0; n_bins],
            bin_weight: vec![Sum::default(); n_bins],
            bin_positive: vec![Sum::default(); n_bins],
            sums: vec![Sum::default(); n_bins],
            total: Sum::default(),
            total_weight: Sum::default(),
            total_positive: Sum::default(),
            n: 0,
        };
        for (i, (&p, &is_positive)) in probs.iter().zip(positive).enumerate() {
            if p.is_nan() {
                continue;
            }
            let w = weights.map_or(1.0, |w| w[i]);
            let b = bin_of(p, n_bins);
            t.counts[b] += 1;
            t.positives[b] += usize::from(is_positive);
            t.bin_weight[b].add(w);
            t.sums[b].add(if t.weighted { w * p } else { p });
            t.total.add(if t.weighted { w * p } else { p });
            t.total_weight.add(w);
            if is_positive {
                t.bin_positive[b].add(w);
                t.total_positive.add(w);
            }
            t.n += 1;
        }
        t
    }

    /// Adds `other`'s rows (same bins, same weighting).
    ///
    /// # Panics
    /// If the two tallies differ in bins or weighting (a caller bug).
    pub fn merge(&mut self, other: &CalibrationTally) {
        assert_eq!(self.counts.len(), other.counts.len(), "calibration: bins");
        assert_eq!(self.weighted, other.weighted, "calibration: weighting");
        for b in 0..self.counts.len() {
            self.counts[b] += other.counts[b];
            self.positives[b] += other.positives[b];
            self.bin_weight[b].merge(&other.bin_weight[b]);
            self.bin_positive[b].merge(&other.bin_positive[b]);
            self.sums[b].merge(&other.sums[b]);
        }
        self.total.merge(&other.total);
        self.total_weight.merge(&other.total_weight);
        self.total_positive.merge(&other.total_positive);
        self.n += other.n;
    }

    /// The tally as numbers (counts exact below 2^53; each sum as its two parts), for sending.
    pub fn to_f64s(&self) -> Vec<f64> {
        let mut v = vec![f64::from(u8::from(self.weighted)), self.n as f64];
        v.push(self.counts.len() as f64);
        for b in 0..self.counts.len() {
            v.extend([self.counts[b] as f64, self.positives[b] as f64]);
            for s in [&self.bin_weight[b], &self.bin_positive[b], &self.sums[b]] {
                v.extend([s.sum, s.compensation]);
            }
        }
        for s in [&self.total, &self.total_weight, &self.total_positive] {
            v.extend([s.sum, s.compensation]);
        }
        v
    }

    /// The inverse of [`to_f64s`](Self::to_f64s) from the front of `v`, and how many numbers
    /// it took; `None` when `v` is not such a tally.
    pub fn from_f64s(v: &[f64]) -> Option<(CalibrationTally, usize)> {
        let bins = *v.get(2)? as usize;
        let len = 3 + 8 * bins + 6;
        if bins == 0 || v.len() < len {
            return None;
        }
        let sum = |at: usize| Sum {
            sum: v[at],
            compensation: v[at + 1],
        };
        let mut t = CalibrationTally {
            weighted: v[0] == 1.0,
            counts: Vec::with_capacity(bins),
            positives: Vec::with_capacity(bins),
            bin_weight: Vec::with_capacity(bins),
            bin_positive: Vec::with_capacity(bins),
            sums: Vec::with_capacity(bins),
            total: sum(3 + 8 * bins),
            total_weight: sum(5 + 8 * bins),
            total_positive: sum(7 + 8 * bins),
            n: v[1] as usize,
        };
        for b in 0..bins {
            let at = 3 + 8 * b;
            t.counts.push(v[at] as usize);
            t.positives.push(v[at + 1] as usize);
            t.bin_weight.push(sum(at + 2));
            t.bin_positive.push(sum(at + 4));
            t.sums.push(sum(at + 6));
        }
        Some((t, len))
    }

    /// The reliability table and summary numbers of the tallied rows.
    pub fn table(&self) -> Calibration {
        let n_bins = self.counts.len();
        let mut gap_sum = Sum::default();
        let mut mce: Option<f64> = None;
        let bins = (0..n_bins)
            .map(|b| {
                let count = self.counts[b];
                let wb = self.bin_weight[b].total();
                let (mean_predicted, observed_rate) = if count == 0 || wb == 0.0 {
                    (None, None)
                } else {
                    let mean = self.sums[b].total() / wb;
                    let rate = self.bin_positive[b].total() / wb;
                    gap_sum.add((self.bin_positive[b].total() - self.sums[b].total()).abs());
                    let gap = (rate - mean).abs();
                    mce = Some(mce.map_or(gap, |m| m.max(gap)));
                    (Some(mean), Some(rate))
                };
                Bin {
                    lower: b as f64 / n_bins as f64,
                    upper: (b + 1) as f64 / n_bins as f64,
                    count,
                    weight: self.weighted.then_some(wb),
                    n_positive: self.positives[b],
                    mean_predicted,
                    observed_rate,
                }
            })
            .collect();
        let w = self.total_weight.total();
        let n = self.n;
        let per_row = |v: f64| (n > 0 && w > 0.0).then(|| v / w);
        Calibration {
            n,
            weight_sum: self.weighted.then_some(w),
            base_rate: per_row(self.total_positive.total()),
            mean_predicted: per_row(self.total.total()),
            ece: per_row(gap_sum.total()),
            mce,
            bins,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logit_of(p: f64) -> f64 {
        p.ln() - (-p).ln_1p()
    }

    #[test]
    fn hand_computed_table_and_ece() {
        // Bin 0 ([0, .1)): p 0.05, 0.05, labels 0, 1 -> mean 0.05, rate 0.5, gap 0.45
        // Bin 7 ([.7, .8)): p 0.75 x 4, labels 1 1 1 0 -> mean 0.75, rate 0.75, gap 0
        // Bin 9 ([.9, 1]): p 0.95, 1.0, labels 1 1 -> mean 0.975, rate 1, gap 0.025
        // ECE = (2 x 0.45 + 4 x 0 + 2 x 0.025) / 8 = 0.95 / 8 = 0.11875; MCE = 0.45.
        let probs = [0.05, 0.05, 0.75, 0.75, 0.75, 0.75, 0.95, 1.0];
        let labels = [false, true, true, true, true, false, true, true];
        let z: Vec<f64> = probs
            .iter()
            .map(|&p| if p == 1.0 { f64::INFINITY } else { logit_of(p) })
            .collect();
        let c = reliability(&z, &labels, 10);
        assert_eq!(c.n, 8);
        let counts: Vec<usize> = c.bins.iter().map(|b| b.count).collect();
        assert_eq!(counts, vec![2, 0, 0, 0, 0, 0, 0, 4, 0, 2]);
        assert_eq!(c.bins[1].mean_predicted, None);
        assert!((c.bins[0].observed_rate.unwrap() - 0.5).abs() < 1e-15);
        assert!((c.bins[9].mean_predicted.unwrap() - 0.975).abs() < 1e-15);
        assert!((c.ece.unwrap() - 0.11875).abs() < 1e-15, "{:?}", c.ece);
        assert!((c.mce.unwrap() - 0.45).abs() < 1e-15);
        assert_eq!(c.base_rate, Some(6.0 / 8.0));
        assert!((c.mean_predicted.unwrap() - 5.05 / 8.0).abs() < 1e-15);
        assert_eq!((c.bins[3].lower, c.bins[3].upper), (0.3, 0.4));
    }

    #[test]
    fn edges_are_half_open_and_one_is_in_the_last_bin() {
        for (p, want) in [
            (0.0, 0),
            (0.1, 1),
            (0.3, 3),
            (0.7, 7),
            (0.7 - 1e-12, 6),
            (0.9, 9),
            (1.0, 9),
            (0.999, 9),
        ] {
            assert_eq!(bin_of(p, 10), want, "p = {p}");
        }
        // Exhaustive over the edges of several bin counts: p = b/B goes to bin b.
        for n_bins in 1..=20 {
            for b in 0..n_bins {
                let edge = b as f64 / n_bins as f64;
                assert_eq!(bin_of(edge, n_bins), b);
                if b > 0 {
                    assert_eq!(bin_of(f64::from_bits(edge.to_bits() - 1), n_bins), b - 1);
                }
            }
        }
    }

    #[test]
    fn perfectly_calibrated_bins_have_zero_ece_and_empty_data_is_undefined() {
        // Each bin's observed rate equals its probability exactly: p = 0.25 with 1 of 4 positive.
        let z = vec![logit_of(0.25); 4];
        let c = reliability(&z, &[true, false, false, false], 10);
        assert!(c.ece.unwrap() < 1e-15);
        let e = reliability(&[], &[], 10);
        assert_eq!((e.n, e.ece, e.mce, e.base_rate), (0, None, None, None));
        assert_eq!(e.bins.len(), 10);
    }

    #[test]
    fn integer_weights_equal_duplicated_rows() {
        let p = [0.05, 0.15, 0.15, 0.42, 0.55, 0.61, 0.61, 0.93, 1.0];
        let y = [false, true, false, true, false, true, true, true, false];
        let w = [2.0, 1.0, 0.0, 3.0, 1.0, 2.0, 1.0, 4.0, 1.0];
        let (mut pd, mut yd) = (Vec::new(), Vec::new());
        for i in 0..p.len() {
            for _ in 0..w[i] as usize {
                pd.push(p[i]);
                yd.push(y[i]);
            }
        }
        let a = reliability_weighted(&p, &y, Some(&w), 10);
        let b = reliability_weighted(&pd, &yd, None, 10);
        assert_eq!(a.weight_sum, Some(15.0));
        let close = |x: Option<f64>, y: Option<f64>| match (x, y) {
            (Some(x), Some(y)) => (x - y).abs() <= 1e-15,
            (None, None) => true,
            _ => false,
        };
        assert!(close(a.ece, b.ece) && close(a.mce, b.mce));
        assert!(close(a.base_rate, b.base_rate) && close(a.mean_predicted, b.mean_predicted));
        for (x, y) in a.bins.iter().zip(&b.bins) {
            assert_eq!(x.weight.unwrap_or(0.0), y.count as f64);
            assert!(close(x.mean_predicted, y.mean_predicted), "{x:?} {y:?}");
            assert!(close(x.observed_rate, y.observed_rate), "{x:?} {y:?}");
        }
        // Unweighted, the table is the scores' table exactly, without weight fields.
        let z: Vec<f64> = p.iter().map(|&q| logit_of(q.min(0.999))).collect();
        let probs: Vec<f64> = z.iter().map(|&v| sigmoid(v)).collect();
        assert_eq!(
            reliability(&z, &y, 10),
            reliability_weighted(&probs, &y, None, 10)
        );
        let json = serde_json::to_value(reliability(&z, &y, 10)).unwrap_or_default();
        assert!(json.get("weight_sum").is_none() && json["bins"][0].get("weight").is_none());
    }
}

//! The sums every binary metric is computed from, kept apart from the metrics so that parts of
//! the rows can be tallied apart and merged: `eval` tallies all its rows at once,
//! `eval --distributed` tallies each rank's rows and merges the tallies on rank 0.
//!
//! A tally holds the confusion cells at the threshold, the log-loss and Brier sums and the
//! weight total (compensated sums, merged with their compensations), the calibration bins
//! ([`CalibrationTally`]) and the rows grouped by distinct score ([`ScoreGroups`]: counts, or
//! weight sums when weighted). The ranking metrics need the groups of all rows: merged, they
//! are exactly the groups one sort of all rows gives, so ROC AUC and average precision are
//! exact (unweighted: the integer Mann-Whitney count), and the threshold sweep has every
//! distinct probability. Unweighted counts are exact; a floating sum merged from parts differs
//! from the one-pass sum only by rounding (a different summation order).

use super::binary::{brier_term, Metrics, WeightedCounts};
use super::ranking::{
    average_precision_of_groups, roc_auc_of_groups, weighted_average_precision_of_groups,
    weighted_roc_auc_of_groups, ScoreGroups,
};
use super::wire::{Reader, Writer};
use super::{check_lengths, predicts_positive, CompensatedSum};
use crate::evaluate::calibration::{Calibration, CalibrationTally, DEFAULT_BINS};
use crate::evaluate::threshold::Sweep;
use crate::fit::numerics::{log_loss, sigmoid};

/// The rows grouped by score: counts (unweighted) or weight sums.
#[derive(Debug, Clone, PartialEq)]
pub enum Ranked {
    Counts(ScoreGroups<u64>),
    Weights(ScoreGroups<f64>),
}

impl Ranked {
    pub(super) fn of(scores: &[f64], positive: &[bool], weights: Option<&[f64]>) -> Ranked {
        match weights {
            None => Ranked::Counts(ScoreGroups::of(scores, positive, |_| 1u64)),
            Some(w) => {
                assert_eq!(w.len(), scores.len(), "metrics: weights and scores");
                Ranked::Weights(ScoreGroups::of(scores, positive, |i| w[i]))
            }
        }
    }

    /// ROC AUC and average precision, undefined when a score is `NaN`.
    pub fn roc_and_ap(&self) -> (Option<f64>, Option<f64>) {
        match self {
            Ranked::Counts(g) if !g.has_nan() => (
                roc_auc_of_groups(&g.groups),
                average_precision_of_groups(&g.groups),
            ),
            Ranked::Weights(g) if !g.has_nan() => (
                weighted_roc_auc_of_groups(&g.groups),
                weighted_average_precision_of_groups(&g.groups),
            ),
            _ => (None, None),
        }
    }

    /// ROC AUC alone.
    pub fn roc_auc(&self) -> Option<f64> {
        match self {
            Ranked::Counts(g) if !g.has_nan() => roc_auc_of_groups(&g.groups),
            Ranked::Weights(g) if !g.has_nan() => weighted_roc_auc_of_groups(&g.groups),
            _ => None,
        }
    }

    /// The number of distinct (non-`NaN`) scores.
    pub fn distinct(&self) -> usize {
        match self {
            Ranked::Counts(g) => g.z.len(),
            Ranked::Weights(g) => g.z.len(),
        }
    }

    /// Whether some row has a `NaN` score.
    pub fn has_nan(&self) -> bool {
        match self {
            Ranked::Counts(g) => g.has_nan(),
            Ranked::Weights(g) => g.has_nan(),
        }
    }

    /// The groups with counts or weights as `f64` (for curves); empty with a `NaN` score.
    pub fn groups_f64(&self) -> Vec<super::TieGroup<f64>> {
        match self {
            _ if self.has_nan() => Vec::new(),
            Ranked::Counts(g) => g
                .groups
                .iter()
                .map(|t| super::TieGroup {
                    pos: t.pos as f64,
                    neg: t.neg as f64,
                })
                .collect(),
            Ranked::Weights(g) => g.groups.clone(),
        }
    }

    /// The ranked rows of several parts together.
    ///
    /// # Panics
    /// If the parts mix counts and weights (a caller bug).
    pub fn merge(parts: Vec<Ranked>) -> Ranked {
        if matches!(parts.first(), Some(Ranked::Weights(_))) {
            Ranked::Weights(ScoreGroups::merge(
                parts
                    .into_iter()
                    .map(|p| match p {
                        Ranked::Weights(g) => g,
                        Ranked::Counts(_) => panic!("metrics: merging counts with weights"),
                    })
                    .collect(),
            ))
        } else {
            Ranked::Counts(ScoreGroups::merge(
                parts
                    .into_iter()
                    .map(|p| match p {
                        Ranked::Counts(g) => g,
                        Ranked::Weights(_) => panic!("metrics: merging weights with counts"),
                    })
                    .collect(),
            ))
        }
    }

    pub(crate) fn write(&self, out: &mut Writer) {
        match self {
            Ranked::Counts(g) => {
                out.varint(0);
                out.counts(g);
            }
            Ranked::Weights(g) => {
                out.varint(1);
                out.weights(g);
            }
        }
    }

    pub(crate) fn read(r: &mut Reader) -> Option<Ranked> {
        match r.varint()? {
            0 => Some(Ranked::Counts(r.counts()?)),
            1 => Some(Ranked::Weights(r.weights()?)),
            _ => None,
        }
    }
}

/// The sums behind [`Metrics`], the calibration table and the threshold sweep of a binary
/// classifier's scored rows at one threshold (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct BinaryTally {
    threshold: f64,
    n: usize,
    weighted: bool,
    /// tp, fp, tn, fn: row counts or weight sums.
    cells: [CompensatedSum; 4],
    /// Every row's weight (the denominator of the weighted means).
    weight_total: CompensatedSum,
    log_loss: CompensatedSum,
    brier: CompensatedSum,
    calibration: CalibrationTally,
    ranked: Ranked,
}

impl BinaryTally {
    /// The tally of the linear scores `scores` against the true classes `positive`, weighted by
    /// `weights` when given (finite, `>= 0`); a row is predicted positive iff
    /// `sigmoid(z) >= threshold`.
    ///
    /// # Panics
    /// If the slices differ in length.
    pub fn of(
        scores: &[f64],
        positive: &[bool],
        weights: Option<&[f64]>,
        threshold: f64,
    ) -> BinaryTally {
        check_lengths(scores, positive);
        if let Some(w) = weights {
            assert_eq!(w.len(), scores.len(), "metrics: weights and scores");
        }
        let weight = |i: usize| weights.map_or(1.0, |w| w[i]);
        let mut cells = [CompensatedSum::default(); 4];
        let (mut weight_total, mut ll, mut br) = Default::default();
        let add_terms = |ll: &mut CompensatedSum, br: &mut CompensatedSum, w: f64, z, y| {
            if weights.is_none() {
                ll.add(log_loss(y, z));
                br.add(brier_term(z, y));
            } else if w != 0.0 {
                // A zero-weight row takes no part, even with an infinite term.
                ll.add(w * log_loss(y, z));
                br.add(w * brier_term(z, y));
            }
        };
        for (i, (&z, &pos)) in scores.iter().zip(positive).enumerate() {
            let w = weight(i);
            let cell = match (pos, predicts_positive(z, threshold)) {
                (true, true) => 0,
                (false, true) => 1,
                (false, false) => 2,
                (true, false) => 3,
            };
            cells[cell].add(w);
            CompensatedSum::add(&mut weight_total, w);
            add_terms(&mut ll, &mut br, w, z, if pos { 1.0 } else { 0.0 });
        }
        let probs: Vec<f64> = scores.iter().map(|&z| sigmoid(z)).collect();
        BinaryTally {
            threshold,
            n: scores.len(),
            weighted: weights.is_some(),
            cells,
            weight_total,
            log_loss: ll,
            brier: br,
            calibration: CalibrationTally::of(&probs, positive, weights, DEFAULT_BINS),
            ranked: Ranked::of(scores, positive, weights),
        }
    }

    /// The tally of all the parts' rows (in part order), `None` without parts.
    ///
    /// # Panics
    /// If the parts differ in threshold or weighting (a caller bug).
    pub fn merge(parts: Vec<BinaryTally>) -> Option<BinaryTally> {
        let mut parts = parts.into_iter();
        let mut all = parts.next()?;
        let mut ranked = vec![all.ranked.clone()];
        for p in parts {
            assert_eq!(p.weighted, all.weighted, "metrics: weighting of parts");
            assert_eq!(
                p.threshold.to_bits(),
                all.threshold.to_bits(),
                "metrics: thresholds of parts"
            );
            all.n += p.n;
            for (a, b) in all.cells.iter_mut().zip(&p.cells) {
                a.merge(b);
            }
            all.weight_total.merge(&p.weight_total);
            all.log_loss.merge(&p.log_loss);
            all.brier.merge(&p.brier);
            all.calibration.merge(&p.calibration);
            ranked.push(p.ranked);
        }
        if ranked.len() > 1 {
            all.ranked = Ranked::merge(ranked);
        }
        Some(all)
    }

    /// Every metric of the tallied rows, as [`super::evaluate_weighted`] computes it.
    pub fn metrics(&self) -> Metrics {
        let counts = WeightedCounts {
            tp: self.cells[0].total(),
            fp: self.cells[1].total(),
            tn: self.cells[2].total(),
            fn_: self.cells[3].total(),
        };
        let (roc_auc, pr_auc) = self.ranked.roc_and_ap();
        let mean = |s: &CompensatedSum| {
            if self.n == 0 {
                return None;
            }
            let den = if self.weighted {
                self.weight_total.total()
            } else {
                self.n as f64
            };
            let m = s.total() / den;
            (!m.is_nan()).then_some(m)
        };
        Metrics {
            n: self.n,
            weight_sum: self.weighted.then(|| counts.total()),
            accuracy: counts.accuracy(),
            precision: counts.precision(),
            recall: counts.recall(),
            f1: counts.f1(),
            specificity: counts.specificity(),
            balanced_accuracy: counts.balanced_accuracy(),
            roc_auc,
            pr_auc,
            log_loss: mean(&self.log_loss),
            brier: mean(&self.brier),
            tp: counts.tp,
            fp: counts.fp,
            tn: counts.tn,
            fn_: counts.fn_,
            threshold: self.threshold,
        }
    }

    /// The reliability table of the probabilities `sigmoid(z)` (weighted like the metrics).
    pub fn calibration(&self) -> Calibration {
        self.calibration.table()
    }

    /// The threshold sweep over the rows' distinct probabilities; `None` when weighted (the
    /// sweep counts rows).
    pub fn sweep(&self) -> Option<Sweep> {
        let Ranked::Counts(g) = &self.ranked else {
            return None;
        };
        let mut levels: Vec<(f64, usize, usize)> = Vec::with_capacity(g.z.len());
        let (mut n_pos, mut n_neg) = (g.nan.pos as usize, g.nan.neg as usize);
        for (&z, t) in g.z.iter().zip(&g.groups) {
            let (pos, neg) = (t.pos as usize, t.neg as usize);
            n_pos += pos;
            n_neg += neg;
            let p = sigmoid(z);
            match levels.last_mut() {
                // Distinct scores can share a probability (it rounds to 0 or 1).
                Some(last) if last.0 == p => {
                    last.1 += pos;
                    last.2 += neg;
                }
                _ => levels.push((p, pos, neg)),
            }
        }
        Some(Sweep::from_levels(levels, n_pos, n_neg))
    }

    /// The rows ranked by score.
    pub fn ranked(&self) -> &Ranked {
        &self.ranked
    }

    /// The tally as bytes (see [`super::wire`]), for a tally made in another process.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Writer::default();
        out.f64(self.threshold);
        out.varint(self.n as u64);
        out.varint(u64::from(self.weighted));
        for s in self
            .cells
            .iter()
            .chain([&self.weight_total, &self.log_loss, &self.brier])
        {
            out.sum(s);
        }
        out.f64s(&self.calibration.to_f64s());
        self.ranked.write(&mut out);
        out.bytes
    }

    /// The inverse of [`to_bytes`](Self::to_bytes); `None` when `bytes` are not a tally.
    pub fn from_bytes(bytes: &[u8]) -> Option<BinaryTally> {
        let mut r = Reader::new(bytes);
        let threshold = r.f64()?;
        let n = usize::try_from(r.varint()?).ok()?;
        let weighted = r.varint()? == 1;
        let mut sums = [CompensatedSum::default(); 7];
        for s in &mut sums {
            *s = r.sum()?;
        }
        let (calibration, _) = CalibrationTally::from_f64s(&r.f64s()?)?;
        let ranked = Ranked::read(&mut r)?;
        let consistent = matches!(ranked, Ranked::Weights(_)) == weighted;
        (r.done() && consistent).then_some(BinaryTally {
            threshold,
            n,
            weighted,
            cells: [sums[0], sums[1], sums[2], sums[3]],
            weight_total: sums[4],
            log_loss: sums[5],
            brier: sums[6],
            calibration,
            ranked,
        })
    }
}

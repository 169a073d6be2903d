//! The sums every multiclass metric is computed from (the [`super::tally`] of a K-class
//! model): the confusion cells, the weight total, the log-loss and Brier sums, each class's
//! one-vs-rest ranking (its log-probability column grouped by distinct value) and the
//! top-label calibration bins. Parts of the rows tallied apart merge into the tally of all
//! rows; the one-vs-rest AUCs stay exact because the merged groups are one sort's groups.

use super::multiclass::{mean, rate0, ClassProbabilities, MulticlassMetrics, PerClass};
use super::tally::Ranked;
use super::wire::{Reader, Writer};
use super::CompensatedSum;
use crate::evaluate::calibration::{Calibration, CalibrationTally, DEFAULT_BINS};

/// The sums behind [`MulticlassMetrics`] and the top-label calibration of scored rows.
#[derive(Debug, Clone, PartialEq)]
pub struct MulticlassTally {
    n: usize,
    k: usize,
    weighted: bool,
    /// `cells[t * k + c]`: rows (weight) of true class `t` predicted `c`.
    cells: Vec<CompensatedSum>,
    total: CompensatedSum,
    log_loss: CompensatedSum,
    brier: CompensatedSum,
    /// Per class: its log-probability column, positive = the row is of that class.
    ranked: Vec<Ranked>,
    top_label: CalibrationTally,
}

impl MulticlassTally {
    /// The tally of rows `p` against the true classes `y` (indices `0 .. p.k()`), weighted by
    /// `weights` when given (finite, `>= 0`).
    ///
    /// # Panics
    /// If the lengths disagree or a class index is out of range (caller bugs).
    pub fn of(p: &ClassProbabilities, y: &[usize], weights: Option<&[f64]>) -> MulticlassTally {
        let (n, k) = (p.n_rows(), p.k());
        assert_eq!(y.len(), n, "metrics: {} rows but {} labels", n, y.len());
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
        let ranked = (0..k)
            .map(|c| {
                let positive: Vec<bool> = y.iter().map(|&t| t == c).collect();
                Ranked::of(&p.log_column(c), &positive, weights)
            })
            .collect();
        // Top-label calibration (Guo et al. 2017): the predicted class's probability against
        // "the prediction is right".
        let (confidence, right): (Vec<f64>, Vec<bool>) = y
            .iter()
            .enumerate()
            .map(|(i, &t)| {
                let c = p.predicted(i);
                (p.row(i)[c], c == t)
            })
            .unzip();
        MulticlassTally {
            n,
            k,
            weighted: weights.is_some(),
            cells,
            total,
            log_loss,
            brier,
            ranked,
            top_label: CalibrationTally::of(&confidence, &right, weights, DEFAULT_BINS),
        }
    }

    /// The tally of all the parts' rows (in part order), `None` without parts.
    ///
    /// # Panics
    /// If the parts differ in classes or weighting (a caller bug).
    pub fn merge(parts: Vec<MulticlassTally>) -> Option<MulticlassTally> {
        let mut parts = parts.into_iter();
        let mut all = parts.next()?;
        let mut ranked: Vec<Vec<Ranked>> = all.ranked.iter().map(|r| vec![r.clone()]).collect();
        let mut merged = false;
        for p in parts {
            assert!(
                p.k == all.k && p.weighted == all.weighted,
                "metrics: parts of different models"
            );
            all.n += p.n;
            for (a, b) in all.cells.iter_mut().zip(&p.cells) {
                a.merge(b);
            }
            all.total.merge(&p.total);
            all.log_loss.merge(&p.log_loss);
            all.brier.merge(&p.brier);
            all.top_label.merge(&p.top_label);
            for (list, r) in ranked.iter_mut().zip(p.ranked) {
                list.push(r);
            }
            merged = true;
        }
        if merged {
            all.ranked = ranked.into_iter().map(Ranked::merge).collect();
        }
        Some(all)
    }

    /// Every metric of the tallied rows (`labels`: the model's classes, in order).
    ///
    /// # Panics
    /// If `labels` is not one label per class (a caller bug).
    pub fn metrics(&self, labels: &[String]) -> MulticlassMetrics {
        let (n, k) = (self.n, self.k);
        assert_eq!(
            labels.len(),
            k,
            "metrics: {k} classes but {} labels",
            labels.len()
        );
        let total = self.total.total();
        let confusion: Vec<Vec<f64>> = (0..k)
            .map(|r| (0..k).map(|c| self.cells[r * k + c].total()).collect())
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
        let (roc_auc, roc_auc_reason) = self.ovr_roc_auc(labels);
        MulticlassMetrics {
            n,
            weight_sum: self.weighted.then_some(total),
            accuracy: defined.then(|| trace / total),
            balanced_accuracy: mean(
                per_class
                    .iter()
                    .filter(|c| c.support > 0.0)
                    .map(|c| c.recall),
            ),
            macro_precision: defined
                .then(|| per_class.iter().map(|c| c.precision).sum::<f64>() / k as f64),
            macro_recall: defined
                .then(|| per_class.iter().map(|c| c.recall).sum::<f64>() / k as f64),
            macro_f1: defined.then(|| per_class.iter().map(|c| c.f1).sum::<f64>() / k as f64),
            weighted_f1: defined.then(|| {
                per_class.iter().map(|c| c.support * c.f1).sum::<f64>()
                    / per_class.iter().map(|c| c.support).sum::<f64>()
            }),
            log_loss: per_row(&self.log_loss),
            brier: per_row(&self.brier),
            roc_auc,
            roc_auc_reason,
            confusion,
            per_class,
        }
    }

    /// Macro average over the classes of the one-vs-rest ROC AUC of each class's probability
    /// (scikit-learn `roc_auc_score(multi_class="ovr", average="macro")`), ranked by the
    /// log-probabilities (the same order as the probabilities, without their rounding ties).
    fn ovr_roc_auc(&self, labels: &[String]) -> (Option<f64>, Option<String>) {
        let mut sum = 0.0;
        for (ranked, label) in self.ranked.iter().zip(labels) {
            match ranked.roc_auc() {
                Some(a) => sum += a,
                None => {
                    let why = if ranked.has_nan() {
                        "some scores are NaN".to_string()
                    } else {
                        let rows = if self.weighted { "weight" } else { "rows" };
                        format!(
                            "class {label:?} has no {rows} of its own or no {rows} of other \
                             classes (one-vs-rest AUC needs both)"
                        )
                    };
                    return (None, Some(why));
                }
            }
        }
        (Some(sum / labels.len() as f64), None)
    }

    /// The reliability table of the predicted class's probability against "the prediction is
    /// right" (top-label calibration, Guo et al. 2017), weighted like the metrics.
    pub fn top_label_calibration(&self) -> Calibration {
        self.top_label.table()
    }

    /// Class `c`'s one-vs-rest ranking (its log-probabilities; positive = rows of class `c`).
    pub fn class_ranked(&self, c: usize) -> &Ranked {
        &self.ranked[c]
    }

    /// The tally as bytes (see [`super::wire`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Writer::default();
        for v in [self.n, self.k, usize::from(self.weighted)] {
            out.varint(v as u64);
        }
        for s in self
            .cells
            .iter()
            .chain([&self.total, &self.log_loss, &self.brier])
        {
            out.sum(s);
        }
        out.f64s(&self.top_label.to_f64s());
        for r in &self.ranked {
            r.write(&mut out);
        }
        out.bytes
    }

    /// The inverse of [`to_bytes`](Self::to_bytes); `None` when `bytes` are not a tally.
    pub fn from_bytes(bytes: &[u8]) -> Option<MulticlassTally> {
        let mut r = Reader::new(bytes);
        let n = usize::try_from(r.varint()?).ok()?;
        let k = usize::try_from(r.varint()?).ok()?;
        let weighted = r.varint()? == 1;
        if k == 0 || k > bytes.len() {
            return None;
        }
        let cells = (0..k * k).map(|_| r.sum()).collect::<Option<Vec<_>>>()?;
        let (total, log_loss, brier) = (r.sum()?, r.sum()?, r.sum()?);
        let (top_label, _) = CalibrationTally::from_f64s(&r.f64s()?)?;
        let ranked = (0..k)
            .map(|_| Ranked::read(&mut r))
            .collect::<Option<Vec<_>>>()?;
        let consistent = ranked
            .iter()
            .all(|x| matches!(x, Ranked::Weights(_)) == weighted);
        (r.done() && consistent).then_some(MulticlassTally {
            n,
            k,
            weighted,
            cells,
            total,
            log_loss,
            brier,
            ranked,
            top_label,
        })
    }
}

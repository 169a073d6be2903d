//! The metric of one held-out fold at one lambda, as cv.glmnet computes it (`cv.lognet`,
//! `cv.multnet`, glmnet 4.1-6), from the fold's linear scores.
//!
//! - `deviance`: the weighted mean of `-2 log p_{y_i}` with every probability clipped to
//!   `[1e-5, 1 - 1e-5]` first (binary: `-2 [y log p + (1 - y) log(1 - p)]`, `p` the positive
//!   probability; multinomial: each class probability clipped, no renormalisation), as
//!   cv.glmnet's `type.measure = "deviance"`.
//! - `log_loss`: the weighted mean of `-log p_{y_i}`, exact from the scores (no clipping), as
//!   `logit eval`.
//! - `roc_auc`: the fold's AUC (ties 1/2), weighted by the row weights as scikit-learn's
//!   `sample_weight`; multinomial: the macro average of the one-vs-rest AUCs. Undefined when
//!   the fold lacks a class.
//! - `accuracy`: the weighted fraction classified correctly (binary: `P(positive) >= 0.5`,
//!   `logit predict`'s default threshold; multinomial: the most probable class, ties to the
//!   first).
//!
//! Every row's term is weighted by its `s_i`; the fold's weight (the `N_k` of [`super::stats`]) is
//! `sum s_i` over its rows.

use crate::evaluate::metrics::multiclass::log_softmax_into;
use crate::evaluate::metrics::{predicts_positive, roc_auc, weighted_roc_auc};
use crate::fit::numerics::{log_loss, sigmoid};

/// cv.glmnet's probability clip for the deviance.
pub const DEVIANCE_CLIP: f64 = 1e-5;

/// A cross-validation metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Deviance,
    LogLoss,
    RocAuc,
    Accuracy,
}

impl Metric {
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Deviance => "deviance",
            Metric::LogLoss => "log_loss",
            Metric::RocAuc => "roc_auc",
            Metric::Accuracy => "accuracy",
        }
    }

    /// True for AUC and accuracy (the best lambda maximises them).
    pub fn higher_is_better(self) -> bool {
        matches!(self, Metric::RocAuc | Metric::Accuracy)
    }

    /// The metric over held-out rows with scores `z` (`n x n_scores`, row-major; one score per
    /// row for a binary target), labels `y` (0/1, or class indices) and weights `s` (`None`: 1).
    /// `None` when undefined (no weight, or AUC without both classes).
    pub fn score(self, n_scores: usize, z: &[f64], y: &[f64], s: Option<&[f64]>) -> Option<f64> {
        let n = y.len();
        assert_eq!(z.len(), n * n_scores, "one score per row and class");
        let w = |i: usize| s.map_or(1.0, |s| s[i]);
        let total: f64 = (0..n).map(w).sum();
        if total <= 0.0 {
            return None;
        }
        let mean = |term: &dyn Fn(usize) -> f64| -> f64 {
            let mut sum = 0.0;
            for i in 0..n {
                let wi = w(i);
                if wi != 0.0 {
                    sum += wi * term(i);
                }
            }
            sum / total
        };
        if n_scores == 1 {
            let positive: Vec<bool> = y.iter().map(|&v| v > 0.5).collect();
            return match self {
                Metric::Deviance => Some(mean(&|i| {
                    let p = sigmoid(z[i]).clamp(DEVIANCE_CLIP, 1.0 - DEVIANCE_CLIP);
                    if positive[i] {
                        -2.0 * p.ln()
                    } else {
                        -2.0 * (1.0 - p).ln()
                    }
                })),
                Metric::LogLoss => Some(mean(&|i| log_loss(y[i], z[i]))),
                Metric::Accuracy => Some(mean(&|i| {
                    f64::from(u8::from(predicts_positive(z[i], 0.5) == positive[i]))
                })),
                Metric::RocAuc => match s {
                    None => roc_auc(z, &positive),
                    Some(s) => weighted_roc_auc(z, &positive, s),
                },
            };
        }
        let k = n_scores;
        let mut log_p = vec![0.0; n * k];
        for (zr, lr) in z.chunks_exact(k).zip(log_p.chunks_exact_mut(k)) {
            log_softmax_into(zr, lr);
        }
        let class = |i: usize| y[i] as usize;
        match self {
            Metric::Deviance => Some(mean(&|i| {
                let p = log_p[i * k + class(i)]
                    .exp()
                    .clamp(DEVIANCE_CLIP, 1.0 - DEVIANCE_CLIP);
                -2.0 * p.ln()
            })),
            Metric::LogLoss => Some(mean(&|i| -log_p[i * k + class(i)])),
            Metric::Accuracy => Some(mean(&|i| {
                let row = &log_p[i * k..(i + 1) * k];
                let best = (0..k).fold(0, |b, c| if row[c] > row[b] { c } else { b });
                f64::from(u8::from(best == class(i)))
            })),
            Metric::RocAuc => {
                let mut sum = 0.0;
                for c in 0..k {
                    let ranked: Vec<f64> = (0..n).map(|i| log_p[i * k + c]).collect();
                    let is_c: Vec<bool> = (0..n).map(|i| class(i) == c).collect();
                    sum += match s {
                        None => roc_auc(&ranked, &is_c),
                        Some(s) => weighted_roc_auc(&ranked, &is_c, s),
                    }?;
                }
                Some(sum / k as f64)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_deviance_clips_and_is_twice_the_log_loss_otherwise() {
        let z = [0.3, -1.2, 2.0];
        let y = [1.0, 0.0, 0.0];
        let dev = Metric::Deviance.score(1, &z, &y, None).unwrap();
        let ll = Metric::LogLoss.score(1, &z, &y, None).unwrap();
        assert!((dev - 2.0 * ll).abs() < 1e-14);
        // A confident wrong row costs -2 log(1e-5), not its exact loss of 2 * 40.
        let dev = Metric::Deviance.score(1, &[-40.0], &[1.0], None).unwrap();
        assert!((dev + 2.0 * 1e-5f64.ln()).abs() < 1e-12);
        let ll = Metric::LogLoss.score(1, &[-40.0], &[1.0], None).unwrap();
        assert!((ll - 40.0).abs() < 1e-12);
    }

    #[test]
    fn weights_enter_every_mean() {
        let z = [0.3, -1.2, 2.0];
        let y = [1.0, 0.0, 0.0];
        // Weight 2 on the first row = that row twice.
        let w = Metric::LogLoss
            .score(1, &z, &y, Some(&[2.0, 1.0, 0.0]))
            .unwrap();
        let d = Metric::LogLoss
            .score(1, &[0.3, 0.3, -1.2], &[1.0, 1.0, 0.0], None)
            .unwrap();
        assert!((w - d).abs() < 1e-15);
        assert_eq!(Metric::Accuracy.score(1, &z, &y, Some(&[0.0; 3])), None);
    }

    #[test]
    fn auc_counts_ties_half_and_accuracy_uses_one_half() {
        let y = [1.0, 0.0, 1.0, 0.0];
        assert_eq!(Metric::RocAuc.score(1, &[0.0; 4], &y, None), Some(0.5));
        assert_eq!(
            Metric::RocAuc.score(1, &[2.0, 1.0, 1.0, 0.0], &y, None),
            Some(0.875)
        );
        assert_eq!(
            Metric::RocAuc.score(1, &[1.0, 2.0], &[1.0, 1.0], None),
            None
        );
        assert_eq!(
            Metric::Accuracy.score(1, &[0.0, 0.1, -0.1, -1.0], &y, None),
            Some(0.5)
        );
    }

    #[test]
    fn multinomial_metrics_use_the_softmax() {
        // Three classes, two rows.
        let z = [1.0, 0.0, -1.0, 0.0, 2.0, 0.0];
        let y = [0.0, 2.0];
        let lse = |r: &[f64]| r.iter().map(|v| v.exp()).sum::<f64>().ln();
        let ll = ((lse(&z[..3]) - 1.0) + (lse(&z[3..]) - 0.0)) / 2.0;
        let got = Metric::LogLoss.score(3, &z, &y, None).unwrap();
        assert!((got - ll).abs() < 1e-14);
        let dev = Metric::Deviance.score(3, &z, &y, None).unwrap();
        assert!((dev - 2.0 * ll).abs() < 1e-14);
        assert_eq!(Metric::Accuracy.score(3, &z, &y, None), Some(0.5));
        // Class 1 never occurs: its one-vs-rest AUC is undefined.
        assert_eq!(Metric::RocAuc.score(3, &z, &y, None), None);
    }
}

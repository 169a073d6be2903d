//! Adam (Kingma & Ba 2015) over shuffled mini-batches, as scikit-learn's `MLPClassifier`
//! runs it: `beta1 = 0.9`, `beta2 = 0.999`, `eps = 1e-8`, the bias correction folded into the
//! step size, a fresh permutation of the rows every epoch.
//!
//! A batch's gradient is that of its weighted mean loss plus the full `l2 W`: an unbiased
//! estimate of the objective's gradient. (scikit-learn divides its penalty by the batch size
//! instead of the row count, which makes its mini-batch fits more strongly penalised than its
//! objective says; we keep the objective the model file states.)
//!
//! # Stopping (scikit-learn's `n_iter_no_change` rule)
//!
//! After every epoch, with `loss` the epoch's objective ([`Epoch::objective`]: the batches'
//! objectives, each its weighted mean loss plus *our* `(l2/2) ||W||^2` at the parameters the
//! batch was evaluated at, averaged with the batches' weight sums as weights), as
//! `MLPClassifier._update_no_improvement_count` without a validation set:
//!
//! ```text
//! if loss > best_loss - tol: no_improvement_count += 1 else: no_improvement_count = 0
//! best_loss = min(best_loss, loss)          (best_loss starts at +infinity)
//! stop when no_improvement_count > n_iter_no_change
//! ```
//!
//! scikit-learn's `loss` is the same epoch mean but of *its* batch objective (penalty
//! `alpha / (2 b) ||W||^2`, see above), so with `alpha = l2 n` the two losses differ by the
//! penalty's scale; the rule is applied to our objective, consistently with what is minimised.
//! The earliest stop is after `n_iter_no_change + 2` epochs (the first epoch always sets
//! `best_loss`). `epochs` stays the cap.

use super::backprop::{evaluate, Evaluation, Problem, Rows};
use super::init::Rng;
use super::Network;

pub const BETA1: f64 = 0.9;
pub const BETA2: f64 = 0.999;
pub const EPSILON: f64 = 1e-8;

/// One epoch's summary: the batches' mean objective (weighted by their weight sums), the mean
/// of their gradients' infinity norms, and per layer the root mean square of the batches'
/// RMS loss gradients.
#[derive(Debug, Clone, PartialEq)]
pub struct Epoch {
    pub objective: f64,
    pub gradient_norm: f64,
    pub layer_rms: Vec<f64>,
}

/// scikit-learn's default `n_iter_no_change`.
pub const DEFAULT_N_ITER_NO_CHANGE: usize = 10;

/// The module docs' stopping rule: `tol` and `n_iter_no_change`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoImprovement {
    pub tol: f64,
    pub n_iter_no_change: usize,
    best: f64,
    count: usize,
}

impl NoImprovement {
    pub fn new(tol: f64, n_iter_no_change: usize) -> NoImprovement {
        NoImprovement {
            tol,
            n_iter_no_change,
            best: f64::INFINITY,
            count: 0,
        }
    }

    /// Takes an epoch's loss; whether training stops after it.
    pub fn update(&mut self, loss: f64) -> bool {
        if loss > self.best - self.tol {
            self.count += 1;
        } else {
            self.count = 0;
        }
        if loss < self.best {
            self.best = loss;
        }
        self.count > self.n_iter_no_change
    }
}

/// How a run ended: the epochs done and whether the no-improvement rule stopped it (else
/// it ran all `epochs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct End {
    pub epochs: usize,
    pub no_improvement: bool,
}

/// Runs up to `epochs` epochs from `network`'s parameters, calling `observe(epoch, summary)`
/// after each, and stops early by `stop` (see the module docs).
#[allow(clippy::too_many_arguments)]
pub fn run(
    problem: &Problem,
    network: &mut Network,
    epochs: usize,
    batch_size: usize,
    learning_rate: f64,
    mut stop: NoImprovement,
    rng: &mut Rng,
    observe: &mut dyn FnMut(usize, &Epoch),
) -> End {
    let n = problem.n_rows();
    let batch_size = batch_size.clamp(1, n.max(1));
    let mut theta = network.params();
    let mut m = vec![0.0; theta.len()];
    let mut v = vec![0.0; theta.len()];
    let mut order: Vec<usize> = (0..n).collect();
    let mut t = 0i32;
    for epoch in 1..=epochs {
        rng.shuffle(&mut order);
        let layers = network.layers.len();
        let (mut value, mut weight, mut norms, mut batches) = (0.0, 0.0, 0.0, 0usize);
        let mut rms2 = vec![0.0; layers];
        for batch in order.chunks(batch_size) {
            let e: Evaluation = evaluate(problem, network, Rows::Batch(batch));
            t += 1;
            let lr = learning_rate * (1.0 - BETA2.powi(t)).sqrt() / (1.0 - BETA1.powi(t));
            for (((x, g), m), v) in theta.iter_mut().zip(&e.grad).zip(&mut m).zip(&mut v) {
                *m = BETA1 * *m + (1.0 - BETA1) * g;
                *v = BETA2 * *v + (1.0 - BETA2) * g * g;
                *x -= lr * *m / (v.sqrt() + EPSILON);
            }
            network.set_params(&theta);
            value += e.value * e.weight_sum;
            weight += e.weight_sum;
            norms += e.grad_inf();
            batches += 1;
            for (r, l) in rms2.iter_mut().zip(&e.layer_rms) {
                *r += l * l;
            }
        }
        let b = batches.max(1) as f64;
        let summary = Epoch {
            objective: if weight > 0.0 { value / weight } else { 0.0 },
            gradient_norm: norms / b,
            layer_rms: rms2.iter().map(|r| (r / b).sqrt()).collect(),
        };
        observe(epoch, &summary);
        if stop.update(summary.objective) {
            return End {
                epochs: epoch,
                no_improvement: true,
            };
        }
    }
    End {
        epochs,
        no_improvement: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_no_improvement_rule_counts_as_scikit_learn() {
        // tol 0.1, n_iter_no_change 2: 1.0 sets the best; 0.95 and 0.92 improve by less than
        // tol on the best so far (counts 1, 2); so does 0.85 (> 0.92 - 0.1): 3 > 2, stop.
        let mut r = NoImprovement::new(0.1, 2);
        assert!(!r.update(1.0));
        assert!(!r.update(0.95));
        assert!(!r.update(0.92));
        assert!(r.update(0.85));
        // An improvement by more than tol resets the count.
        let mut r = NoImprovement::new(0.1, 2);
        for loss in [1.0, 0.95, 0.92, 0.8, 0.79, 0.78] {
            assert!(!r.update(loss), "{loss}");
        }
        assert!(r.update(0.77));
        // A worse epoch counts and does not move the best; with tol 0 an equal loss is no
        // "loss > best - tol", so it resets the count.
        let mut r = NoImprovement::new(0.0, 1);
        assert!(!r.update(1.0));
        assert!(!r.update(2.0));
        assert!(!r.update(0.5));
        assert!(!r.update(0.5));
        assert!(!r.update(0.6));
        assert!(r.update(0.7));
    }
}

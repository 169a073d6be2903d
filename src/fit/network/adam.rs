//! Adam (Kingma & Ba 2015) over shuffled mini-batches, as scikit-learn's `MLPClassifier`
//! runs it: `beta1 = 0.9`, `beta2 = 0.999`, `eps = 1e-8`, the bias correction folded into the
//! step size, a fresh permutation of the rows every epoch.
//!
//! A batch's gradient is that of its weighted mean loss plus the full `l2 W`: an unbiased
//! estimate of the objective's gradient. (scikit-learn divides its penalty by the batch size
//! instead of the row count, which makes its mini-batch fits more strongly penalised than its
//! objective says; we keep the objective the model file states.)

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

/// Runs `epochs` epochs from `network`'s parameters, calling `observe(epoch, summary)` after
/// each.
#[allow(clippy::too_many_arguments)]
pub fn run(
    problem: &Problem,
    network: &mut Network,
    epochs: usize,
    batch_size: usize,
    learning_rate: f64,
    rng: &mut Rng,
    observe: &mut dyn FnMut(usize, &Epoch),
) {
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
    }
}

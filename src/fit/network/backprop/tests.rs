use super::*;
use crate::fit::network::init::{glorot, Rng};
use crate::fit::network::Activation;

/// A small problem: `n` rows of `p` standard-normal-ish inputs, labels from a non-linear rule.
fn data(n: usize, p: usize, classes: usize, seed: u64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut rng = Rng::new(seed);
    let x: Vec<f64> = (0..n * p).map(|_| 4.0 * rng.unit() - 2.0).collect();
    let y = (0..n)
        .map(|i| {
            let r = &x[i * p..(i + 1) * p];
            let v = (r[0] * r[1] + r[p - 1]).sin();
            if classes == 1 {
                f64::from(u8::from(v > 0.0))
            } else {
                ((v + 1.0) / 2.0 * classes as f64)
                    .floor()
                    .min(classes as f64 - 1.0)
            }
        })
        .collect();
    let s = (0..n).map(|i| [0.5, 2.0, 0.0, 1.25][i % 4]).collect();
    (x, y, s)
}

fn activations() -> [Activation; 4] {
    [
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Relu,
        Activation::LeakyRelu { slope: 0.05 },
    ]
}

#[test]
fn gradient_matches_central_differences_for_every_activation_and_family() {
    let (n, p) = (150, 3);
    for n_scores in [1, 3] {
        let (x, y, s) = data(n, p, n_scores, 11);
        let weight_sum: f64 = s.iter().sum();
        let problem = Problem {
            x: &x,
            n_cols: p,
            y: &y,
            weights: Some(&s),
            n_scores,
            l2: 0.03,
            weight_sum,
            threads: Some(1),
        };
        for activation in activations() {
            let net = glorot(p, &[5, 4], n_scores, activation, &mut Rng::new(3));
            let e = evaluate(&problem, &net, Rows::All);
            let theta = net.params();
            let mut worst: f64 = 0.0;
            for j in 0..theta.len() {
                let h = 1e-6;
                let at = |d: f64| {
                    let mut t = theta.clone();
                    t[j] += d;
                    let mut m = net.clone();
                    m.set_params(&t);
                    evaluate(&problem, &m, Rows::All).value
                };
                let numeric = (at(h) - at(-h)) / (2.0 * h);
                let err = (numeric - e.grad[j]).abs() / (1.0 + e.grad[j].abs());
                worst = worst.max(err);
            }
            // ReLU's kink: no unit sits within 1e-6 of 0 on this data (checked by the bound).
            assert!(worst < 1e-7, "{activation:?} K={n_scores}: {worst:e}");
        }
    }
}

#[test]
fn the_result_does_not_depend_on_the_thread_count() {
    let (n, p) = (1000, 4);
    let (x, y, s) = data(n, p, 3, 5);
    let mut problem = Problem {
        x: &x,
        n_cols: p,
        y: &y,
        weights: Some(&s),
        n_scores: 3,
        l2: 0.01,
        weight_sum: s.iter().sum(),
        threads: Some(1),
    };
    let net = glorot(p, &[8, 6], 3, Activation::Tanh, &mut Rng::new(1));
    let one = evaluate(&problem, &net, Rows::All);
    let batch: Vec<usize> = (0..n).rev().step_by(3).collect();
    let one_batch = evaluate(&problem, &net, Rows::Batch(&batch));
    for threads in [2, 3, 7] {
        problem.threads = Some(threads);
        assert_eq!(evaluate(&problem, &net, Rows::All), one);
        assert_eq!(evaluate(&problem, &net, Rows::Batch(&batch)), one_batch);
    }
}

#[test]
fn the_loss_is_the_forward_pass_by_hand() {
    // One row, 2 inputs -> 2 relu units -> 1 score: z = -6.75 (as mod.rs's test).
    let net = crate::fit::network::Network {
        activation: Activation::Relu,
        layers: vec![
            crate::fit::network::Layer {
                n_in: 2,
                n_out: 2,
                weights: vec![1.0, -1.0, 0.5, 2.0],
                bias: vec![0.0, -1.0],
            },
            crate::fit::network::Layer {
                n_in: 2,
                n_out: 1,
                weights: vec![3.0, -2.0],
                bias: vec![0.25],
            },
        ],
    };
    let (x, y) = ([1.0, 2.0], [1.0]);
    let problem = Problem {
        x: &x,
        n_cols: 2,
        y: &y,
        weights: None,
        n_scores: 1,
        l2: 0.5,
        weight_sum: 1.0,
        threads: None,
    };
    let e = evaluate(&problem, &net, Rows::All);
    let loss = (1.0 + 6.75f64.exp()).ln();
    let penalty = 0.25 * (1.0 + 1.0 + 0.25 + 4.0 + 9.0 + 4.0);
    assert!((e.value - (loss + penalty)).abs() < 1e-12, "{}", e.value);
    // Output layer: dL/dz = s(z) - 1; dW2 = (s - 1) h with h = [0, 3.5].
    let r = crate::fit::numerics::sigmoid(-6.75) - 1.0;
    let (at, _) = net.weight_ranges()[1];
    assert!((e.grad[at] - 0.5 * 3.0).abs() < 1e-12);
    assert!((e.grad[at + 1] - (r * 3.5 + 0.5 * -2.0)).abs() < 1e-12);
}

//! Initial weights as scikit-learn's `MLPClassifier` draws them (Glorot & Bengio 2010, uniform):
//! every weight and bias of a layer from `U(-b, b)` with `b = sqrt(f / (fan_in + fan_out))`,
//! `f = 2` for the sigmoid and 6 otherwise. The draws come from SplitMix64 seeded with
//! `--seed` (not numpy's generator), so a seed fixes the network but does not give
//! scikit-learn's numbers.

use super::{Activation, Layer, Network};

/// SplitMix64 (Steele, Lea, Flood 2014; Vigna's constants): a whole state of one `u64`, so a
/// seed fixes every draw (the same generator as `select::folds`, which `fit` may not import).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `0 .. n` (`n >= 1`), Lemire's multiply-shift with rejection.
    pub fn below(&mut self, n: usize) -> usize {
        let n = n as u64;
        loop {
            let m = (self.next_u64() as u128) * (n as u128);
            if (m as u64) >= n.wrapping_neg() % n {
                return (m >> 64) as usize;
            }
        }
    }

    /// Fisher-Yates shuffle of `v`.
    pub fn shuffle(&mut self, v: &mut [usize]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

/// scikit-learn's Glorot bound of a layer.
pub fn glorot_bound(activation: Activation, fan_in: usize, fan_out: usize) -> f64 {
    let factor = match activation {
        Activation::Sigmoid => 2.0,
        _ => 6.0,
    };
    (factor / (fan_in + fan_out) as f64).sqrt()
}

/// A network of `n_inputs` inputs, `hidden` widths and `n_scores` outputs with Glorot-uniform
/// weights and biases drawn from `rng` (layer by layer: weights row by row, then biases).
pub fn glorot(
    n_inputs: usize,
    hidden: &[usize],
    n_scores: usize,
    activation: Activation,
    rng: &mut Rng,
) -> Network {
    let mut widths = vec![n_inputs];
    widths.extend_from_slice(hidden);
    widths.push(n_scores);
    let layers = widths
        .windows(2)
        .map(|w| {
            let (n_in, n_out) = (w[0], w[1]);
            let b = glorot_bound(activation, n_in, n_out);
            let mut draw = || (2.0 * rng.unit() - 1.0) * b;
            let weights = (0..n_in * n_out).map(|_| draw()).collect();
            let bias = (0..n_out).map(|_| draw()).collect();
            Layer {
                n_in,
                n_out,
                weights,
                bias,
            }
        })
        .collect();
    Network { activation, layers }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_matches_the_reference_sequence() {
        // Vigna's splitmix64.c from state 0 (as select::folds checks).
        let mut r = Rng::new(0);
        assert_eq!(r.next_u64(), 0xe220a8397b1dcdaf);
        assert_eq!(r.next_u64(), 0x6e789e6aa1b965f4);
    }

    #[test]
    fn weights_lie_within_scikit_learns_bounds_and_follow_the_seed() {
        let mut rng = Rng::new(7);
        let net = glorot(5, &[4, 3], 1, Activation::Sigmoid, &mut rng);
        assert_eq!(net.widths(), vec![5, 4, 3, 1]);
        for l in &net.layers {
            let b = (2.0 / (l.n_in + l.n_out) as f64).sqrt();
            assert!(l.weights.iter().chain(&l.bias).all(|w| w.abs() <= b));
            // Spread over the interval, not all at one end.
            assert!(l.weights.iter().any(|w| *w > b / 4.0));
            assert!(l.weights.iter().any(|w| *w < -b / 4.0));
        }
        let again = glorot(5, &[4, 3], 1, Activation::Sigmoid, &mut Rng::new(7));
        assert_eq!(again, net);
        let other = glorot(5, &[4, 3], 1, Activation::Sigmoid, &mut Rng::new(8));
        assert_ne!(other, net);
        let relu = glorot(5, &[4], 2, Activation::Relu, &mut Rng::new(7));
        let b = (6.0f64 / 9.0).sqrt();
        assert!(relu.layers[0]
            .weights
            .iter()
            .any(|w| w.abs() > (2.0f64 / 9.0).sqrt()));
        assert!(relu.layers[0].weights.iter().all(|w| w.abs() <= b));
    }
}

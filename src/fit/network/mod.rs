//! Feed-forward networks whose output is the linear model's sigmoid (binary) or softmax
//! (multiclass): the hidden layers' activations, the layers themselves and the forward pass.
//!
//! The input of the first layer is the standardised (and one-hot encoded) design row, exactly
//! the linear model's; the last layer has one unit per score (1 for binary, K for multiclass)
//! and no activation: its outputs are the scores that `Model::probabilities` turns into
//! probabilities, as it does for the linear model's.

use serde::{Deserialize, Serialize};

use crate::fit::numerics;

pub mod adam;
pub mod backprop;
pub mod init;
pub mod lbfgs;
pub mod train;

pub use backprop::{Evaluation, Problem, Rows, UNIT_ROWS};
pub use train::{fit_network, LayerRms, NetSolver, NetworkFit, NetworkOptions, NetworkStep};

/// A hidden layer's non-linearity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "kebab-case")]
pub enum Activation {
    Sigmoid,
    Tanh,
    Relu,
    /// `max(slope * z, z)`; scikit-learn has no such option, Keras' default slope is 0.3, ours
    /// 0.01 (the usual one in the literature).
    LeakyRelu {
        slope: f64,
    },
}

/// Leaky ReLU's slope when `--activation leaky-relu` gives none.
pub const DEFAULT_LEAKY_SLOPE: f64 = 0.01;

impl Activation {
    /// Parses `sigmoid|tanh|relu|leaky-relu[:SLOPE]` (the `--activation` syntax).
    pub fn parse(text: &str) -> Result<Activation, String> {
        let (name, slope) = match text.split_once(':') {
            Some((name, slope)) => (name, Some(slope)),
            None => (text, None),
        };
        let activation = match name {
            "sigmoid" => Activation::Sigmoid,
            "tanh" => Activation::Tanh,
            "relu" => Activation::Relu,
            "leaky-relu" => {
                let slope = match slope {
                    None => DEFAULT_LEAKY_SLOPE,
                    Some(s) => match s.trim().parse::<f64>() {
                        Ok(v) if v.is_finite() && (0.0..1.0).contains(&v) => v,
                        _ => {
                            return Err(format!(
                                "leaky-relu's slope must be a number in [0, 1), not {s:?}"
                            ))
                        }
                    },
                };
                return Ok(Activation::LeakyRelu { slope });
            }
            _ => {
                return Err(format!(
                    "unknown activation {text:?}: expected sigmoid, tanh, relu or \
                     leaky-relu[:SLOPE]"
                ))
            }
        };
        match slope {
            Some(_) => Err(format!("only leaky-relu takes a slope (got {text:?})")),
            None => Ok(activation),
        }
    }

    /// The `--activation` spelling (`leaky-relu:0.01`).
    pub fn label(&self) -> String {
        match self {
            Activation::Sigmoid => "sigmoid".to_string(),
            Activation::Tanh => "tanh".to_string(),
            Activation::Relu => "relu".to_string(),
            Activation::LeakyRelu { slope } => format!("leaky-relu:{slope}"),
        }
    }

    /// `a = f(z)` in place over a whole layer (the stable sigmoid for `Sigmoid`).
    pub fn apply_slice(&self, z: &mut [f64]) {
        match *self {
            Activation::Sigmoid => z.iter_mut().for_each(|v| *v = numerics::sigmoid(*v)),
            Activation::Tanh => z.iter_mut().for_each(|v| *v = v.tanh()),
            Activation::Relu => z.iter_mut().for_each(|v| *v = v.max(0.0)),
            Activation::LeakyRelu { slope } => z
                .iter_mut()
                .for_each(|v| *v = if *v > 0.0 { *v } else { slope * *v }),
        }
    }

    /// `f'(z)` from the activation's output `a = f(z)` (every supported activation's
    /// derivative is a function of its output): `s(1 - s)`, `1 - tanh^2`, and the ReLU
    /// subgradients (0 at the kink, as scikit-learn).
    pub fn derivative_from_output(&self, a: f64) -> f64 {
        match *self {
            Activation::Sigmoid => a * (1.0 - a),
            Activation::Tanh => 1.0 - a * a,
            Activation::Relu => {
                if a > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::LeakyRelu { slope } => {
                if a > 0.0 {
                    1.0
                } else {
                    slope
                }
            }
        }
    }
}

/// One dense layer `z = W a + b`: `weights` row-major `n_out x n_in` (row `o` holds the
/// weights into unit `o`), `bias` `n_out` long.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Layer {
    pub n_in: usize,
    pub n_out: usize,
    pub weights: Vec<f64>,
    pub bias: Vec<f64>,
}

impl Layer {
    /// `out = W a + b` for one input vector `a` (`n_in` long) into `out` (`n_out` long).
    pub fn forward_into(&self, a: &[f64], out: &mut [f64]) {
        debug_assert_eq!(a.len(), self.n_in);
        debug_assert_eq!(out.len(), self.n_out);
        for ((o, row), b) in out
            .iter_mut()
            .zip(self.weights.chunks_exact(self.n_in.max(1)))
            .zip(&self.bias)
        {
            *o = b + row.iter().zip(a).map(|(w, x)| w * x).sum::<f64>();
        }
    }
}

/// A fitted network: hidden layers (each followed by `activation`) then the output layer
/// (`layers.last()`, `n_out` = number of scores, no activation). `layers[0].n_in` is the
/// number of design columns, on the standardised scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Network {
    pub activation: Activation,
    pub layers: Vec<Layer>,
}

impl Network {
    /// Inputs: design columns (standardised).
    pub fn n_inputs(&self) -> usize {
        self.layers.first().map_or(0, |l| l.n_in)
    }

    /// Outputs: scores (1 for binary, K for multiclass).
    pub fn n_scores(&self) -> usize {
        self.layers.last().map_or(0, |l| l.n_out)
    }

    /// The hidden layers' widths (`--hidden`).
    pub fn hidden(&self) -> Vec<usize> {
        let n = self.layers.len().saturating_sub(1);
        self.layers[..n].iter().map(|l| l.n_out).collect()
    }

    /// The scores of one standardised design row `x` into `scores` (`n_scores` long): the
    /// reference forward pass, one row at a time (predict's path; training runs the same
    /// arithmetic over blocks of rows).
    pub fn scores_into(&self, x: &[f64], scores: &mut [f64]) {
        let mut a = x.to_vec();
        let last = self.layers.len() - 1;
        for (l, layer) in self.layers.iter().enumerate() {
            let mut z = vec![0.0; layer.n_out];
            layer.forward_into(&a, &mut z);
            if l < last {
                self.activation.apply_slice(&mut z);
            }
            a = z;
        }
        scores.copy_from_slice(&a);
    }

    /// Widths of every layer's input and of the output: `[n_inputs, hidden.., n_scores]`.
    pub fn widths(&self) -> Vec<usize> {
        let mut w: Vec<usize> = self.layers.iter().map(|l| l.n_in).collect();
        w.push(self.n_scores());
        w
    }

    /// Parameters: per layer its weights (row-major) then its biases, layer after layer (the
    /// layout the solvers see).
    pub fn n_params(&self) -> usize {
        self.layers
            .iter()
            .map(|l| l.weights.len() + l.bias.len())
            .sum()
    }

    /// The parameters in [`Network::n_params`]'s layout.
    pub fn params(&self) -> Vec<f64> {
        let mut theta = Vec::with_capacity(self.n_params());
        for l in &self.layers {
            theta.extend_from_slice(&l.weights);
            theta.extend_from_slice(&l.bias);
        }
        theta
    }

    /// Sets the parameters from `theta` ([`Network::n_params`]'s layout and length).
    pub fn set_params(&mut self, theta: &[f64]) {
        assert_eq!(theta.len(), self.n_params(), "one value per parameter");
        let mut at = 0;
        for l in &mut self.layers {
            let (w, b) = (l.weights.len(), l.bias.len());
            l.weights.copy_from_slice(&theta[at..at + w]);
            l.bias.copy_from_slice(&theta[at + w..at + w + b]);
            at += w + b;
        }
    }

    /// Where each layer's weights are in the parameter vector: `(start, len)`.
    pub fn weight_ranges(&self) -> Vec<(usize, usize)> {
        let mut at = 0;
        self.layers
            .iter()
            .map(|l| {
                let r = (at, l.weights.len());
                at += l.weights.len() + l.bias.len();
                r
            })
            .collect()
    }

    /// Whether every weight and bias is a finite number.
    pub fn is_finite(&self) -> bool {
        self.layers
            .iter()
            .all(|l| l.weights.iter().chain(&l.bias).all(|v| v.is_finite()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_activation_and_refuses_the_rest() {
        assert_eq!(Activation::parse("relu"), Ok(Activation::Relu));
        assert_eq!(Activation::parse("tanh"), Ok(Activation::Tanh));
        assert_eq!(Activation::parse("sigmoid"), Ok(Activation::Sigmoid));
        assert_eq!(
            Activation::parse("leaky-relu"),
            Ok(Activation::LeakyRelu { slope: 0.01 })
        );
        assert_eq!(
            Activation::parse("leaky-relu:0.2"),
            Ok(Activation::LeakyRelu { slope: 0.2 })
        );
        for bad in [
            "",
            "elu",
            "relu:0.1",
            "leaky-relu:1.5",
            "leaky-relu:x",
            "leaky-relu:nan",
        ] {
            assert!(Activation::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn derivatives_match_finite_differences_of_the_activation() {
        let activations = [
            Activation::Sigmoid,
            Activation::Tanh,
            Activation::Relu,
            Activation::LeakyRelu { slope: 0.05 },
        ];
        for f in activations {
            for z in [-3.0, -0.7, 0.4, 2.5] {
                let h = 1e-6;
                let mut v = [z + h, z - h, z];
                f.apply_slice(&mut v);
                let numeric = (v[0] - v[1]) / (2.0 * h);
                let analytic = f.derivative_from_output(v[2]);
                assert!((numeric - analytic).abs() < 1e-8, "{f:?} at {z}");
            }
        }
    }

    #[test]
    fn forward_pass_by_hand() {
        // 2 inputs -> 2 relu units -> 1 score.
        let net = Network {
            activation: Activation::Relu,
            layers: vec![
                Layer {
                    n_in: 2,
                    n_out: 2,
                    weights: vec![1.0, -1.0, 0.5, 2.0],
                    bias: vec![0.0, -1.0],
                },
                Layer {
                    n_in: 2,
                    n_out: 1,
                    weights: vec![3.0, -2.0],
                    bias: vec![0.25],
                },
            ],
        };
        let mut s = [0.0];
        // h = relu([1 - 2, 0.5 + 4 - 1]) = [0, 3.5]; z = 0.25 + 0 - 7.
        net.scores_into(&[1.0, 2.0], &mut s);
        assert_eq!(s[0], -6.75);
        assert_eq!(net.hidden(), vec![2]);
        assert_eq!((net.n_inputs(), net.n_scores()), (2, 1));
        let json = serde_json::to_string(&net).unwrap();
        let back: Network = serde_json::from_str(&json).unwrap();
        assert_eq!(back, net);
    }
}

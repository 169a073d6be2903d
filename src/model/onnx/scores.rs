//! The graph from its input to the scores (`[N, n_scores]`): missing cells, standardisation,
//! the linear or network layers; and the elementwise sigmoid and activations.
//!
//! float64 graphs compute what `predict` computes, in its order: fill, then for a linear model
//! `b + x w` with the original-units coefficients, for a network `(x - mean) / std` and the
//! layers. float32 graphs centre first. `b + x w` in float32 sums terms `w_j x_j` that are
//! large wherever a column's mean is large against its spread (breast_cancer's `area`, ~650 ±
//! 350), and cancel against the intercept: each term's float32 rounding is relative to
//! `|w_j x_j|`, not to the score. `d = x - c`, with `c` the training mean rounded to float32,
//! is exact for most cells (Sterbenz: `x` within a factor 2 of `c`), and then
//! `z = (b + w c) + d w` has terms of the size of the standardised coefficients times the
//! standardised values, with the new intercept `b + w c` computed in float64. Measured on
//! breast_cancer at `--l2 1e-4` (tract): 1.2e-6 from `predict` before, 4.9e-7 after, of which
//! the float32 rounding of the input itself is most (the README's ONNX section has the
//! figures). A network's first layer takes `d` the same way, with `1 / std` and the shift
//! `(c - mean) / std` folded into its weights and bias (float64), so the graph has no
//! division whose rounding would add to the input's.

use crate::data::encode::ColumnKind;
use crate::fit::network::{Activation, Network};
use crate::model::Model;

use super::graph::{Attr, Builder};
use super::Precision;

/// The `[N, n_scores]` scores of the graph input `x`.
pub fn scores(b: &mut Builder, model: &Model, x: &str, precision: Precision) -> String {
    match precision {
        Precision::F64 => {
            let x = filled(b, model, x);
            match &model.network {
                Some(network) => network_scores(b, model, network, &x),
                None => linear_scores(b, model, &x),
            }
        }
        Precision::F32 => {
            let d = centred(b, model, x);
            match &model.network {
                Some(network) => centred_network_scores(b, model, network, &d),
                None => centred_linear_scores(b, model, &d),
            }
        }
    }
}

/// The training fill value of each input column, `None` where it has none.
pub fn fills(model: &Model) -> Vec<Option<f64>> {
    model
        .columns
        .iter()
        .map(|c| match c.kind {
            ColumnKind::Numeric { fill } => fill,
            ColumnKind::Categorical { .. } => None,
        })
        .collect()
}

/// float64: `Where(Equal(x, x), x, fill)` (`x == x` is false exactly for NaN; `IsNaN` is
/// float32-only in some runtimes), when the model has fill values.
fn filled(b: &mut Builder, model: &Model, x: &str) -> String {
    let fills = fills(model);
    if fills.iter().all(Option::is_none) {
        return x.to_string();
    }
    let values: Vec<f64> = fills.iter().map(|f| f.unwrap_or(f64::NAN)).collect();
    let fill = b.constant("fill", &[values.len()], &values);
    let present = b.node("Equal", &[x, x], &[], None);
    b.node("Where", &[&present, x, &fill], &[], None)
}

/// The float32 centre of each input column: its training mean rounded to float32.
fn centres(model: &Model) -> Vec<f64> {
    model
        .features
        .iter()
        .map(|f| f64::from(f.mean as f32))
        .collect()
}

/// float32: `d = x - c`; a missing cell (NaN, still NaN in `d`) takes `fill - c`, computed in
/// float64 and rounded once, so a filled cell is nearer the fill value than `fill` in float32.
fn centred(b: &mut Builder, model: &Model, x: &str) -> String {
    let c = centres(model);
    let centre = b.constant("centre", &[c.len()], &c);
    let d = b.node("Sub", &[x, &centre], &[], None);
    let fills = fills(model);
    if fills.iter().all(Option::is_none) {
        return d;
    }
    let values: Vec<f64> = fills
        .iter()
        .zip(&c)
        .map(|(f, c)| f.map_or(f64::NAN, |f| f - c))
        .collect();
    let fill = b.constant("centred_fill", &[values.len()], &values);
    let missing = b.node("IsNaN", &[&d], &[], None);
    b.node("Where", &[&missing, &fill, &d], &[], None)
}

/// The `p x n_scores` matrix of the original-units coefficients (column k = score k).
fn coefficient_matrix(model: &Model) -> Vec<f64> {
    let p = model.features.len();
    let mut w = Vec::with_capacity(p * model.n_scores());
    for j in 0..p {
        w.extend(model.coefficients.iter().map(|row| row[j]));
    }
    w
}

/// `x W + b` with `predict`'s original-units coefficients and intercepts.
fn linear_scores(b: &mut Builder, model: &Model, x: &str) -> String {
    let (p, k) = (model.features.len(), model.n_scores());
    let w = b.constant("coefficients", &[p, k], &coefficient_matrix(model));
    let bias = b.constant("intercepts", &[k], &model.intercepts);
    let xw = b.node("MatMul", &[x, &w], &[], None);
    b.node("Add", &[&xw, &bias], &[], None)
}

/// `d W + (b + c W)`: the same function of `x = d + c` as [`linear_scores`].
fn centred_linear_scores(b: &mut Builder, model: &Model, d: &str) -> String {
    let (p, k) = (model.features.len(), model.n_scores());
    let c = centres(model);
    let intercepts: Vec<f64> = model
        .coefficients
        .iter()
        .zip(&model.intercepts)
        .map(|(row, b0)| b0 + row.iter().zip(&c).map(|(w, c)| w * c).sum::<f64>())
        .collect();
    let w = b.constant("coefficients", &[p, k], &coefficient_matrix(model));
    let bias = b.constant("intercepts", &[k], &intercepts);
    let dw = b.node("MatMul", &[d, &w], &[], None);
    b.node("Add", &[&dw, &bias], &[], None)
}

/// One layer, `a W^T + bias` (`weights` row-major `n_out x n_in`, as [`Network`] stores them).
fn layer(b: &mut Builder, l: usize, a: &str, n_in: usize, weights: &[f64], bias: &[f64]) -> String {
    let n_out = bias.len();
    let mut wt = vec![0.0; n_in * n_out];
    for o in 0..n_out {
        for i in 0..n_in {
            wt[i * n_out + o] = weights[o * n_in + i];
        }
    }
    let w = b.constant(&format!("layer{l}_weights"), &[n_in, n_out], &wt);
    let bias = b.constant(&format!("layer{l}_bias"), &[n_out], bias);
    let aw = b.node("MatMul", &[a, &w], &[], None);
    b.node("Add", &[&aw, &bias], &[], None)
}

/// The layers from the first layer's output `a`: the activation between layers, none after the
/// last.
fn remaining_layers(
    b: &mut Builder,
    network: &Network,
    mut a: String,
    precision: Precision,
) -> String {
    for (l, lay) in network.layers.iter().enumerate().skip(1) {
        a = activation(b, network.activation, &a, precision);
        a = layer(b, l, &a, lay.n_in, &lay.weights, &lay.bias);
    }
    a
}

/// float64 network: `(x - mean) / std` as `predict`, then the layers.
fn network_scores(b: &mut Builder, model: &Model, network: &Network, x: &str) -> String {
    let p = model.features.len();
    let mean: Vec<f64> = model.features.iter().map(|f| f.mean).collect();
    let std: Vec<f64> = model.features.iter().map(|f| f.std).collect();
    let mean = b.constant("mean", &[p], &mean);
    let std = b.constant("std", &[p], &std);
    let centred = b.node("Sub", &[x, &mean], &[], None);
    let s = b.node("Div", &[&centred, &std], &[], None);
    let first = &network.layers[0];
    let a = layer(b, 0, &s, first.n_in, &first.weights, &first.bias);
    remaining_layers(b, network, a, Precision::F64)
}

/// float32 network from `d = x - c`: the first layer on `(x - mean) / std = d / std + (c -
/// mean) / std` has weights `W / std` and bias `bias + W (c - mean) / std`.
fn centred_network_scores(b: &mut Builder, model: &Model, network: &Network, d: &str) -> String {
    let c = centres(model);
    let first = &network.layers[0];
    let n_in = first.n_in;
    let mut weights = first.weights.clone();
    let mut bias = first.bias.clone();
    for (row, bias) in weights.chunks_mut(n_in).zip(&mut bias) {
        for ((w, f), c) in row.iter_mut().zip(&model.features).zip(&c) {
            *bias += *w * ((c - f.mean) / f.std);
            *w /= f.std;
        }
    }
    let a = layer(b, 0, d, n_in, &weights, &bias);
    remaining_layers(b, network, a, Precision::F32)
}

/// `s(z)`, elementwise, as `exp(min(z, 0)) / (1 + exp(-|z|))`: neither overflows, and the
/// small tail keeps its relative accuracy. Not the `Sigmoid` operator: it is float32-only in
/// some runtimes (tract among them), and tract's float32 kernel clamps its input to ±14.5, so
/// a saturated score gives 4.8e-7 instead of 0 (or 1 - 4.8e-7 instead of 1), half of the
/// float32 graphs' 1e-6 budget on separable data.
pub fn sigmoid(b: &mut Builder, z: &str) -> String {
    let zero = b.scalar(0.0);
    let one = b.scalar(1.0);
    let min = b.node("Min", &[z, &zero], &[], None);
    let numerator = b.node("Exp", &[&min], &[], None);
    let abs = b.node("Abs", &[z], &[], None);
    let neg = b.node("Neg", &[&abs], &[], None);
    let exp = b.node("Exp", &[&neg], &[], None);
    let denominator = b.node("Add", &[&exp, &one], &[], None);
    b.node("Div", &[&numerator, &denominator], &[], None)
}

/// One hidden layer's activation over `z`.
fn activation(b: &mut Builder, activation: Activation, z: &str, precision: Precision) -> String {
    match activation {
        Activation::Sigmoid => sigmoid(b, z),
        Activation::Tanh => b.node("Tanh", &[z], &[], None),
        Activation::Relu => b.node("Relu", &[z], &[], None),
        Activation::LeakyRelu { slope } => match precision {
            Precision::F32 => b.node(
                "LeakyRelu",
                &[z],
                &[Attr::Float("alpha", slope as f32)],
                None,
            ),
            // `alpha` is a float32 attribute (0.01 is not one), and float-only in tract:
            // max(z, slope z) = z for z > 0, slope z otherwise (slope in [0, 1)), exactly.
            Precision::F64 => {
                let s = b.scalar(slope);
                let sz = b.node("Mul", &[z, &s], &[], None);
                b.node("Max", &[z, &sz], &[], None)
            }
        },
    }
}

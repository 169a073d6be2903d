//! The network objective and its gradient by backpropagation, over fixed units of rows.
//!
//! `f = (1/S) sum_i s_i loss_i + (l2/2) sum_layers ||W_l||^2` (biases unpenalised), `loss_i`
//! the binomial log loss of the one output score or the multinomial loss of the K scores, on
//! the standardised design row: the linear model's objective with the linear score replaced by
//! the network's.
//!
//! # Determinism
//!
//! The rows (all of them, or a mini-batch's list) are cut into units of [`UNIT_ROWS`]; each
//! unit sums its rows' loss and gradient, in row order, into its own buffer, and the units'
//! buffers are added in unit order. Threads only share out the units, so the result is the
//! same bit for bit whatever the thread count; the unit is fixed (`LOGIT_BLOCK_ROWS` does not
//! apply to networks), so nothing else changes it either.

use super::Network;
use crate::data::design::kernel::kernel_copies;
use crate::fit::loss;
use crate::fit::numerics;
use crate::fit::objective::{for_each_unit, Exec};

/// Rows per unit of work (see the module docs).
pub const UNIT_ROWS: usize = 64;

/// Rows x parameters below which an evaluation runs on one thread (unless `LOGIT_THREADS`
/// says otherwise).
const PARALLEL_WORK: usize = 1 << 21;

/// Unit buffers held at once at most (floats); more units are summed in waves.
const WAVE_FLOATS: usize = 8 << 20;

/// The rows a network is fitted on.
#[derive(Debug, Clone, Copy)]
pub struct Problem<'a> {
    /// Standardised design, row-major, `n_rows x n_cols`.
    pub x: &'a [f64],
    pub n_cols: usize,
    /// 0/1 (1 = the positive class) for one score, the class index for K scores.
    pub y: &'a [f64],
    /// Row weights `s_i` (`None`: all 1).
    pub weights: Option<&'a [f64]>,
    /// 1 (sigmoid) or K (softmax).
    pub n_scores: usize,
    pub l2: f64,
    /// `S = sum_i s_i`.
    pub weight_sum: f64,
    /// Threads (`None`: automatic, as the linear objective's `LOGIT_THREADS`).
    pub threads: Option<usize>,
}

impl Problem<'_> {
    pub fn n_rows(&self) -> usize {
        self.y.len()
    }

    fn weight(&self, i: usize) -> f64 {
        self.weights.map_or(1.0, |s| s[i])
    }
}

/// Which rows an evaluation sums over.
#[derive(Debug, Clone, Copy)]
pub enum Rows<'a> {
    /// Every row (divisor `S`).
    All,
    /// A mini-batch (divisor: the batch's weight sum).
    Batch(&'a [usize]),
}

/// Objective, gradient and the per-layer RMS of the loss's weight gradient at one point.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub value: f64,
    /// In [`Network::params`]' layout, penalty included.
    pub grad: Vec<f64>,
    /// Per layer, `sqrt(mean_j g_j^2)` over the layer's weights of the gradient of the mean
    /// loss alone (the backpropagated signal; the penalty's `l2 W` is left out, as it does not
    /// depend on depth).
    pub layer_rms: Vec<f64>,
    /// The weight sum the loss was divided by (0 for a batch of zero-weight rows, whose
    /// gradient is then the penalty's alone).
    pub weight_sum: f64,
}

impl Evaluation {
    /// Infinity norm of the gradient.
    pub fn grad_inf(&self) -> f64 {
        self.grad.iter().fold(0.0, |m, g| m.max(g.abs()))
    }
}

/// `network`'s objective and gradient over `rows` of `problem`.
pub fn evaluate(problem: &Problem, network: &Network, rows: Rows) -> Evaluation {
    let n_params = network.n_params();
    let width = n_params + 2;
    let n_rows = match rows {
        Rows::All => problem.n_rows(),
        Rows::Batch(b) => b.len(),
    };
    let units = n_rows.div_ceil(UNIT_ROWS);
    // Transposed weights (n_in x n_out) for the forward pass's row-times-matrix loops.
    let transposed: Vec<Vec<f64>> = network
        .layers
        .iter()
        .map(|l| {
            let mut t = vec![0.0; l.weights.len()];
            for o in 0..l.n_out {
                for i in 0..l.n_in {
                    t[i * l.n_out + o] = l.weights[o * l.n_in + i];
                }
            }
            t
        })
        .collect();
    let work = n_rows.saturating_mul(n_params);
    let exec = Exec::from_env();
    let threads = match (problem.threads, exec.threads) {
        (Some(t), _) | (None, Some(t)) => t.max(1),
        // A mini-batch is too little work to share out: starting threads for each of Adam's
        // thousands of steps costs more than it saves.
        (None, None) if work < PARALLEL_WORK => 1,
        (None, None) => exec.threads_for(work),
    };
    let wave = (WAVE_FLOATS / width).max(threads).max(1);
    let mut total = vec![0.0; width];
    let mut buffer = Vec::new();
    let mut first = 0;
    while first < units {
        let count = wave.min(units - first);
        buffer.clear();
        buffer.resize(count * width, 0.0);
        for_each_unit(threads, count, width, &mut buffer, |u0, out| {
            let mut scratch = Scratch::new(network);
            for (k, chunk) in out.chunks_mut(width).enumerate() {
                let u = first + u0 + k;
                let start = u * UNIT_ROWS;
                let end = (start + UNIT_ROWS).min(n_rows);
                unit_with(
                    exec.kernel,
                    problem,
                    network,
                    &transposed,
                    rows,
                    start..end,
                    &mut scratch,
                    chunk,
                );
            }
        });
        for chunk in buffer.chunks(width) {
            for (t, v) in total.iter_mut().zip(chunk) {
                *t += v;
            }
        }
        first += count;
    }
    let weight_sum = match rows {
        Rows::All => problem.weight_sum,
        Rows::Batch(_) => total[n_params + 1],
    };
    let loss_sum = total[n_params];
    let mut grad = total;
    grad.truncate(n_params);
    let scale = if weight_sum > 0.0 {
        1.0 / weight_sum
    } else {
        0.0
    };
    grad.iter_mut().for_each(|g| *g *= scale);
    let mut penalty = 0.0;
    let mut layer_rms = Vec::with_capacity(network.layers.len());
    for ((at, len), layer) in network.weight_ranges().into_iter().zip(&network.layers) {
        let g = &mut grad[at..at + len];
        let sq: f64 = g.iter().map(|v| v * v).sum();
        layer_rms.push((sq / len.max(1) as f64).sqrt());
        for (g, w) in g.iter_mut().zip(&layer.weights) {
            *g += problem.l2 * w;
            penalty += w * w;
        }
    }
    Evaluation {
        value: loss_sum * scale + 0.5 * problem.l2 * penalty,
        grad,
        layer_rms,
        weight_sum,
    }
}

/// One unit's activations and deltas.
struct Scratch {
    /// `a[l]`: the unit's inputs of layer `l` (`a[0]` the design rows), then the output scores.
    a: Vec<Vec<f64>>,
    delta: Vec<f64>,
    back: Vec<f64>,
    /// A layer's weight gradient, transposed (`n_in x n_out`).
    dwt: Vec<f64>,
    probabilities: Vec<f64>,
}

impl Scratch {
    fn new(network: &Network) -> Scratch {
        let widths = network.widths();
        let widest = widths.iter().copied().max().unwrap_or(1);
        Scratch {
            a: widths.iter().map(|w| vec![0.0; w * UNIT_ROWS]).collect(),
            delta: vec![0.0; widest * UNIT_ROWS],
            back: vec![0.0; widest * UNIT_ROWS],
            dwt: vec![
                0.0;
                network
                    .layers
                    .iter()
                    .map(|l| l.weights.len())
                    .max()
                    .unwrap_or(0)
            ],
            probabilities: vec![0.0; network.n_scores()],
        }
    }
}

/// Layers with fewer outputs than this compute each output as a dot product (in [`LANES`]
/// interleaved partial sums) rather than row-times-matrix updates, which would run along
/// the short output axis.
const NARROW: usize = 8;
/// Partial sums of [`dot_lanes`].
const LANES: usize = 4;

/// `sum_i a_i w_i` in [`LANES`] interleaved partial sums, combined pairwise: a fixed order, so
/// the same result in every kernel copy.
#[inline(always)]
fn dot_lanes(a: &[f64], w: &[f64]) -> f64 {
    let mut acc = [0.0; LANES];
    let (ca, ta) = a.split_at(a.len() - a.len() % LANES);
    let (cw, tw) = w.split_at(ca.len());
    for (x, y) in ca.chunks_exact(LANES).zip(cw.chunks_exact(LANES)) {
        for k in 0..LANES {
            acc[k] += x[k] * y[k];
        }
    }
    let mut sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (x, y) in ta.iter().zip(tw) {
        sum += x * y;
    }
    sum
}

// The unit's loops compiled for each kernel (scalar, AVX2, AVX-512): the same operations in
// the same order (Rust never fuses a multiply and an add), so the same result in every copy.
kernel_copies!(fn unit_with(
    problem: &Problem<'_>,
    network: &Network,
    transposed: &[Vec<f64>],
    rows: Rows<'_>,
    range: std::ops::Range<usize>,
    scratch: &mut Scratch,
    out: &mut [f64],
) = unit);

/// The sums of positions `range` of `rows` into `out`: the gradient of the weighted loss sum in
/// the parameter layout, then the loss sum, then the weight sum.
#[inline(always)]
fn unit(
    problem: &Problem,
    network: &Network,
    transposed: &[Vec<f64>],
    rows: Rows,
    range: std::ops::Range<usize>,
    scratch: &mut Scratch,
    out: &mut [f64],
) {
    let b = range.len();
    let p = problem.n_cols;
    let index = |r: usize| match rows {
        Rows::All => range.start + r,
        Rows::Batch(list) => list[range.start + r],
    };
    // Forward.
    {
        let a0 = &mut scratch.a[0];
        for r in 0..b {
            let i = index(r);
            a0[r * p..(r + 1) * p].copy_from_slice(&problem.x[i * p..(i + 1) * p]);
        }
    }
    let last = network.layers.len() - 1;
    for (l, layer) in network.layers.iter().enumerate() {
        let (inputs, outputs) = scratch.a.split_at_mut(l + 1);
        let (a_in, z) = (&inputs[l], &mut outputs[0]);
        let (n_in, n_out) = (layer.n_in, layer.n_out);
        let wt = &transposed[l];
        for r in 0..b {
            let zr = &mut z[r * n_out..(r + 1) * n_out];
            let ar = &a_in[r * n_in..(r + 1) * n_in];
            if n_out < NARROW {
                // A narrow layer (the output): one dot product per unit, in lanes.
                for (o, zo) in zr.iter_mut().enumerate() {
                    *zo = layer.bias[o] + dot_lanes(ar, &layer.weights[o * n_in..(o + 1) * n_in]);
                }
                continue;
            }
            zr.copy_from_slice(&layer.bias);
            for (i, &v) in ar.iter().enumerate() {
                if v != 0.0 {
                    for (zo, w) in zr.iter_mut().zip(&wt[i * n_out..(i + 1) * n_out]) {
                        *zo += v * w;
                    }
                }
            }
        }
        if l < last {
            network.activation.apply_slice(&mut z[..b * n_out]);
        }
    }
    // Loss and the output deltas (weighted residuals).
    let k = network.n_scores();
    let (mut loss_sum, mut weight_sum) = (0.0, 0.0);
    {
        let scores = &scratch.a[last + 1];
        let delta = &mut scratch.delta[..b * k];
        for r in 0..b {
            let i = index(r);
            let s = problem.weight(i);
            weight_sum += s;
            let d = &mut delta[r * k..(r + 1) * k];
            if s == 0.0 {
                d.fill(0.0);
                continue;
            }
            let z = &scores[r * k..(r + 1) * k];
            let y = problem.y[i];
            if k == 1 {
                let (l, res) = numerics::log_loss_and_residual(y, z[0]);
                loss_sum += s * l;
                d[0] = s * res;
            } else {
                let class = y as usize;
                loss_sum += s * loss::softmax_loss(class, z);
                loss::softmax(z, &mut scratch.probabilities);
                for (c, (dc, pc)) in d.iter_mut().zip(&scratch.probabilities).enumerate() {
                    let target = if c == class { 1.0 } else { 0.0 };
                    *dc = s * (pc - target);
                }
            }
        }
    }
    // Backward.
    let ranges = network.weight_ranges();
    for (l, layer) in network.layers.iter().enumerate().rev() {
        let (n_in, n_out) = (layer.n_in, layer.n_out);
        let (at, len) = ranges[l];
        let a_in = &scratch.a[l];
        let delta = &scratch.delta[..b * n_out];
        {
            let (dw, rest) = out[at..].split_at_mut(len);
            let db = &mut rest[..n_out];
            for r in 0..b {
                for (g, d) in db.iter_mut().zip(&delta[r * n_out..(r + 1) * n_out]) {
                    *g += d;
                }
            }
            // dW[o][i] = sum_r delta[r][o] a[r][i], summed over r in order either way; the
            // loops run along the longer of the two axes (wide layers: along the outputs, into
            // a transposed buffer folded in at the end).
            if n_out > n_in {
                let dwt = &mut scratch.dwt[..len];
                dwt.fill(0.0);
                for r in 0..b {
                    let dr = &delta[r * n_out..(r + 1) * n_out];
                    for (i, &x) in a_in[r * n_in..(r + 1) * n_in].iter().enumerate() {
                        if x != 0.0 {
                            for (g, d) in dwt[i * n_out..(i + 1) * n_out].iter_mut().zip(dr) {
                                *g += d * x;
                            }
                        }
                    }
                }
                for o in 0..n_out {
                    for i in 0..n_in {
                        dw[o * n_in + i] += dwt[i * n_out + o];
                    }
                }
            } else {
                for r in 0..b {
                    let dr = &delta[r * n_out..(r + 1) * n_out];
                    let ar = &a_in[r * n_in..(r + 1) * n_in];
                    for (o, &d) in dr.iter().enumerate() {
                        if d != 0.0 {
                            for (g, x) in dw[o * n_in..(o + 1) * n_in].iter_mut().zip(ar) {
                                *g += d * x;
                            }
                        }
                    }
                }
            }
        }
        if l == 0 {
            break;
        }
        let back = &mut scratch.back[..b * n_in];
        back.fill(0.0);
        for r in 0..b {
            let dr = &delta[r * n_out..(r + 1) * n_out];
            let br = &mut back[r * n_in..(r + 1) * n_in];
            for (o, &d) in dr.iter().enumerate() {
                if d != 0.0 {
                    for (g, w) in br.iter_mut().zip(&layer.weights[o * n_in..(o + 1) * n_in]) {
                        *g += d * w;
                    }
                }
            }
        }
        for (g, &a) in back.iter_mut().zip(&a_in[..b * n_in]) {
            *g *= network.activation.derivative_from_output(a);
        }
        std::mem::swap(&mut scratch.delta, &mut scratch.back);
    }
    let n = out.len();
    out[n - 2] = loss_sum;
    out[n - 1] = weight_sum;
}

#[cfg(test)]
mod tests;

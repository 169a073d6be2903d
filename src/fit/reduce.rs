//! The hook through which a fit sums over rows held by other processes (`--distributed`).
//!
//! Every quantity the solvers see is a sum over rows divided by the weight sum, so a fit over
//! rows split among processes is the same fit when each pass's summed partials are added across
//! the processes before they are used: [`Reduce::sum`] does that, once per value-and-gradient
//! pass and once per Hessian. Without a reducer (one process) nothing changes.

use ndarray::{ArrayView1, ArrayView2, Axis};

use crate::data::design::Scaler;

/// Sums vectors across the processes of a fit, in place.
///
/// Every process calls `sum` the same number of times with vectors of the same length (the
/// solvers run identically everywhere); afterwards every process holds the same values, bit for
/// bit (the implementation must make that so: the solvers' branches depend on them).
pub trait Reduce: Sync + std::fmt::Debug {
    /// Elementwise sum across the processes.
    fn sum(&self, v: &mut [f64]);
    /// Elementwise minimum across the processes (the scaler's constant-column rule).
    fn min(&self, v: &mut [f64]);
}

/// [`Scaler::fit_weighted`]'s statistics over the rows of every process: weighted means, then
/// weighted mean squared deviations from them, each a local sum added by `reducer`; a column
/// constant over the rows that count (on every process) keeps scale 1 and its value as mean.
/// Without weights, as [`Scaler::fit`]: no constant rule, scale 1 only for a zero deviation.
/// (The single-process path's fallbacks for sums that overflow near `f64::MAX` are not
/// repeated: such data fails here with a non-finite scale instead.)
pub fn fit_scaler(
    x: ArrayView2<f64>,
    center: bool,
    weights: Option<ArrayView1<f64>>,
    reducer: &dyn Reduce,
) -> Scaler {
    let p = x.ncols();
    let weight = |i: usize| weights.map_or(1.0, |s| s[i]);
    let mut total = [weights.map_or(x.nrows() as f64, |s| s.sum())];
    reducer.sum(&mut total);
    let total = total[0];
    let mut mean = vec![0.0; p];
    if center {
        for (i, row) in x.axis_iter(Axis(0)).enumerate() {
            let si = weight(i);
            if si != 0.0 {
                for (m, v) in mean.iter_mut().zip(row) {
                    *m += if weights.is_some() { si * v } else { *v };
                }
            }
        }
        reducer.sum(&mut mean);
        mean.iter_mut().for_each(|m| *m /= total);
    }
    let mut var = vec![0.0; p];
    for (i, row) in x.axis_iter(Axis(0)).enumerate() {
        let si = weight(i);
        if si != 0.0 {
            for ((acc, v), m) in var.iter_mut().zip(row).zip(&mean) {
                let d = v - m;
                *acc += if weights.is_some() {
                    si * (d * d)
                } else {
                    d * d
                };
            }
        }
    }
    reducer.sum(&mut var);
    let mut std: Vec<f64> = var.iter().map(|v| (v / total).sqrt()).collect();
    if weights.is_some() {
        // A column is constant over the rows of positive weight when its smallest and largest
        // values there agree, across every process.
        let mut lo = vec![f64::INFINITY; p];
        let mut hi = vec![f64::NEG_INFINITY; p];
        for (i, row) in x.axis_iter(Axis(0)).enumerate() {
            if weight(i) != 0.0 {
                for ((l, h), &v) in lo.iter_mut().zip(hi.iter_mut()).zip(row) {
                    *l = l.min(v);
                    *h = h.max(v);
                }
            }
        }
        let mut neg_hi: Vec<f64> = hi.iter().map(|h| -h).collect();
        reducer.min(&mut lo);
        reducer.min(&mut neg_hi);
        for j in 0..p {
            if lo[j] == -neg_hi[j] && lo[j].is_finite() {
                std[j] = 1.0;
                if center {
                    mean[j] = lo[j];
                }
            }
        }
    }
    let std = std
        .into_iter()
        .map(|s| if s > 0.0 && s.is_finite() { s } else { 1.0 })
        .collect();
    Scaler { mean, std }
}

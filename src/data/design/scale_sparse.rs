//! Standardisation of a sparse matrix without densifying it: the same statistics as
//! [`Scaler::fit_weighted`] (the means are summed in the same row order, so they are the dense
//! ones bit for bit; the variances add the implicit zeros' share `mean^2 (S - S_stored)` in one
//! term), and scaling that touches only the stored values. Centring is not applied to the
//! values (it would fill the matrix): [`Scaler::shift`] gives the per-column shift that
//! [`super::CsrDesign`] folds into every operation instead.

use ndarray::ArrayView1;

use super::sparse::CsrMatrix;
use super::Scaler;

impl Scaler {
    /// [`Scaler::fit_weighted`] of the dense matrix `x` stands for (weighted mean, weighted
    /// population std, a column constant over the rows of positive weight keeps scale 1 and,
    /// when centring, that constant as its mean; means 0 and the root mean square without
    /// centring).
    ///
    /// # Panics
    /// If `weights` does not have one entry per row.
    pub fn fit_weighted_sparse(
        x: &CsrMatrix,
        center: bool,
        weights: Option<ArrayView1<f64>>,
    ) -> Scaler {
        let (n, p) = (x.n_rows, x.n_cols);
        if let Some(s) = weights {
            assert_eq!(s.len(), n, "one weight per row");
        }
        let weight = |i: usize| weights.map_or(1.0, |s| s[i]);
        let total: f64 = match weights {
            None => n as f64,
            Some(s) => s.iter().sum(),
        };
        let entries = || {
            (0..n).flat_map(move |i| {
                let (idx, val) = x.row(i);
                idx.iter().zip(val).map(move |(&j, &v)| (i, j as usize, v))
            })
        };
        let counts = |i: usize| weights.is_none_or(|s| s[i] != 0.0);
        let mut mean = vec![0.0; p];
        if center && total > 0.0 {
            match weights {
                None => entries().for_each(|(_, j, v)| mean[j] += v),
                Some(s) => entries()
                    .filter(|&(i, _, _)| s[i] != 0.0)
                    .for_each(|(i, j, v)| mean[j] += s[i] * v),
            }
            mean.iter_mut().for_each(|m| *m /= total);
            if mean.iter().any(|m| !m.is_finite()) {
                // A sum overflowed: average with the weights scaled first (as the dense fit).
                mean = vec![0.0; p];
                entries()
                    .filter(|&(i, _, _)| counts(i))
                    .for_each(|(i, j, v)| match weights {
                        None => mean[j] += v / total,
                        Some(_) => mean[j] += (weight(i) / total) * v,
                    });
            }
        }
        // Stored entries' squared deviations and weight; the implicit zeros add
        // `mean^2 (S - stored weight)`.
        let mut var = vec![0.0; p];
        let mut stored = vec![0.0; p];
        entries()
            .filter(|&(i, _, _)| counts(i))
            .for_each(|(i, j, v)| {
                let d = v - mean[j];
                let si = weight(i);
                var[j] += si * (d * d);
                stored[j] += si;
            });
        let mut std: Vec<f64> = (0..p)
            .map(|j| {
                let rest = (total - stored[j]).max(0.0);
                ((var[j] + mean[j] * mean[j] * rest) / total).sqrt()
            })
            .collect();
        for j in 0..p {
            if !std[j].is_finite() && total > 0.0 {
                std[j] = overflowed_std(x, j, mean[j], total, &weight, &counts);
            }
        }
        let constant = constant_columns(x, weights);
        let std = std
            .into_iter()
            .zip(&constant)
            .map(|(s, c)| {
                // Unweighted, as the dense `Scaler::fit`: only a zero (or broken) scale is 1.
                let constant = weights.is_some() && c.is_some();
                if s > 0.0 && s.is_finite() && !constant {
                    s
                } else {
                    1.0
                }
            })
            .collect();
        if center && weights.is_some() {
            for (m, c) in mean.iter_mut().zip(&constant) {
                if let Some(v) = c {
                    *m = *v;
                }
            }
        }
        Scaler { mean, std }
    }

    /// Divides the stored values by the scales in place (zeros stay zeros; no centring, see
    /// [`Scaler::shift`]).
    pub fn apply_sparse(&self, x: &mut CsrMatrix) {
        for (v, &j) in x.values.iter_mut().zip(&x.indices) {
            *v /= self.std[j as usize];
        }
    }

    /// `mean_j / std_j`: the centring that [`super::CsrDesign`] folds in (all zeros when the
    /// means are).
    pub fn shift(&self) -> Vec<f64> {
        self.mean
            .iter()
            .zip(&self.std)
            .map(|(m, s)| m / s)
            .collect()
    }
}

/// The std of column `j` when the squares overflow: deviations scaled by the largest first.
fn overflowed_std(
    x: &CsrMatrix,
    j: usize,
    mean: f64,
    total: f64,
    weight: &dyn Fn(usize) -> f64,
    counts: &dyn Fn(usize) -> bool,
) -> f64 {
    let mut column = Vec::new();
    let mut stored = 0.0;
    for i in (0..x.n_rows).filter(|&i| counts(i)) {
        let (idx, val) = x.row(i);
        if let Ok(t) = idx.binary_search(&(j as u32)) {
            column.push((weight(i), val[t]));
            stored += weight(i);
        }
    }
    let rest = (total - stored).max(0.0);
    let mut scale = column
        .iter()
        .fold(0.0f64, |a, &(_, v)| a.max((v - mean).abs()));
    if rest > 0.0 {
        scale = scale.max(mean.abs());
    }
    let sum: f64 = column
        .iter()
        .map(|&(s, v)| s * ((v - mean) / scale).powi(2))
        .sum::<f64>()
        + rest * (mean / scale).powi(2);
    scale * (sum / total).sqrt()
}

/// Per column, the value it takes on every row of positive weight, if it is constant there
/// (implicit zeros included).
fn constant_columns(x: &CsrMatrix, weights: Option<ArrayView1<f64>>) -> Vec<Option<f64>> {
    let p = x.n_cols;
    let counting: Vec<usize> = (0..x.n_rows)
        .filter(|&i| weights.is_none_or(|s| s[i] != 0.0))
        .collect();
    // Per column: stored entries on counted rows, and whether they all equal the first.
    let mut first: Vec<Option<f64>> = vec![None; p];
    let mut same = vec![true; p];
    let mut seen = vec![0usize; p];
    for &i in &counting {
        let (idx, val) = x.row(i);
        for (&j, &v) in idx.iter().zip(val) {
            let j = j as usize;
            seen[j] += 1;
            match first[j] {
                None => first[j] = Some(v),
                Some(f) if f != v => same[j] = false,
                Some(_) => {}
            }
        }
    }
    (0..p)
        .map(|j| {
            if counting.is_empty() || !same[j] {
                return None;
            }
            match first[j] {
                None => Some(0.0),
                Some(v) if seen[j] == counting.len() => Some(v),
                Some(v) if v == 0.0 => Some(0.0),
                Some(_) => None,
            }
        })
        .collect()
}

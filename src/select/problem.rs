//! The regression problem `path` and `cv` fit: the raw design, labels and sample weights of the
//! rows read, and how to standardise them (on all rows, or on a fold's training rows).

use ndarray::{Array1, ArrayView1, Axis};

use crate::data::design::{CsrDesign, DenseDesign, Design, Matrix, Scaler};
use crate::fit::objective::{Family, Objective};

/// The rows as read: raw design (original units), labels, sample weights `s_i`.
#[derive(Debug, Clone, Copy)]
pub struct Problem<'a> {
    pub x: &'a Matrix,
    /// 0/1 for a binary target, class indices for a multinomial one.
    pub y: ArrayView1<'a, f64>,
    /// `s_i` = row weight x class weight; `None` when all are 1.
    pub s: Option<ArrayView1<'a, f64>>,
    pub family: Family,
    pub fit_intercept: bool,
    pub standardize: bool,
}

/// Rows standardised with their own (weighted) statistics, ready for an [`Objective`]. A dense
/// matrix is centred and scaled in place; a sparse one only scaled (zeros stay zeros), its
/// centring `scaler.mean / scaler.std` folded in by [`CsrDesign`].
#[derive(Debug, Clone)]
pub struct Standardized {
    pub x: Matrix,
    pub y: Array1<f64>,
    pub s: Option<Array1<f64>>,
    pub scaler: Scaler,
    family: Family,
    fit_intercept: bool,
}

impl Problem<'_> {
    /// `rows` (all rows for `None`), standardised as `train` standardises: the weighted mean
    /// (centred only with an intercept) and weighted population std of these rows.
    pub fn standardized(&self, rows: Option<&[usize]>) -> Standardized {
        let (mut x, y, s) = match rows {
            None => (
                self.x.clone(),
                self.y.to_owned(),
                self.s.map(|s| s.to_owned()),
            ),
            Some(rows) => (
                self.x.select_rows(rows),
                self.y.select(Axis(0), rows),
                self.s.map(|s| s.select(Axis(0), rows)),
            ),
        };
        let weights = s.as_ref().map(|s| s.view());
        let scaler = match &mut x {
            Matrix::Dense(x) => {
                let scaler = if self.standardize {
                    Scaler::fit_weighted(x.view(), self.fit_intercept, weights)
                } else {
                    Scaler::identity(x.ncols())
                };
                scaler.apply(x);
                scaler
            }
            Matrix::Sparse(x) => {
                let scaler = if self.standardize {
                    Scaler::fit_weighted_sparse(x, self.fit_intercept, weights)
                } else {
                    Scaler::identity(x.n_cols)
                };
                scaler.apply_sparse(x);
                scaler
            }
            Matrix::Cached(x) => {
                if self.standardize {
                    x.fit_scaler(
                        self.fit_intercept,
                        weights.as_ref().and_then(|s| s.as_slice()),
                    )
                } else {
                    Scaler::identity(x.n_cols())
                }
            }
        };
        Standardized {
            x,
            y,
            s,
            scaler,
            family: self.family,
            fit_intercept: self.fit_intercept,
        }
    }

    pub fn n_scores(&self) -> usize {
        self.family.n_scores()
    }
}

impl Standardized {
    /// The standardised design of these rows, for [`Standardized::objective`].
    pub fn design(&self) -> Box<dyn Design + '_> {
        match &self.x {
            Matrix::Dense(x) => Box::new(DenseDesign::new(x.view())),
            Matrix::Sparse(x) => Box::new(CsrDesign::new(x, self.scaler.shift())),
            Matrix::Cached(x) => Box::new(crate::data::cache::CachedDesign::new(x, &self.scaler)),
        }
    }

    /// The unpenalised objective on these rows (the path adds the penalties), on `design`
    /// (this value's [`Standardized::design`]).
    pub fn objective<'a>(&'a self, design: &'a dyn Design) -> Objective<'a> {
        let objective =
            Objective::with_design(design, self.y.view(), self.family, 0.0, self.fit_intercept);
        match &self.s {
            Some(s) => objective.with_weights(s.view()),
            None => objective,
        }
    }
}

/// Linear scores `W x + b` (`n x K`, row-major) of the raw rows `rows` of `x`, standardised
/// with `scaler`, at `theta = [W row-major, b]` (standardised scale). A sparse row's score is
/// `b - sum_j w_j mean_j / std_j + sum_(stored j) w_j x_ij / std_j`, the same sum regrouped.
pub fn held_out_scores(
    x: &Matrix,
    rows: &[usize],
    scaler: &Scaler,
    theta: &[f64],
    n_scores: usize,
    fit_intercept: bool,
) -> Vec<f64> {
    if let Matrix::Cached(_) = x {
        // The held-out rows of a row cache, brought into memory as a dense matrix.
        let dense = x.select_rows(rows);
        let all: Vec<usize> = (0..rows.len()).collect();
        return held_out_scores(&dense, &all, scaler, theta, n_scores, fit_intercept);
    }
    let p = x.n_cols();
    let intercept = |c: usize| {
        if fit_intercept {
            theta[n_scores * p + c]
        } else {
            0.0
        }
    };
    let mut z = vec![0.0; rows.len() * n_scores];
    match x {
        Matrix::Dense(x) => {
            let mut xs = vec![0.0; p];
            for (r, &i) in rows.iter().enumerate() {
                for ((v, raw), (m, sd)) in xs
                    .iter_mut()
                    .zip(x.row(i))
                    .zip(scaler.mean.iter().zip(&scaler.std))
                {
                    *v = (raw - m) / sd;
                }
                for c in 0..n_scores {
                    let w = &theta[c * p..(c + 1) * p];
                    let mut acc = intercept(c);
                    for (wj, xj) in w.iter().zip(&xs) {
                        acc += wj * xj;
                    }
                    z[r * n_scores + c] = acc;
                }
            }
        }
        Matrix::Sparse(x) => {
            let shift = scaler.shift();
            let base: Vec<f64> = (0..n_scores)
                .map(|c| {
                    let w = &theta[c * p..(c + 1) * p];
                    intercept(c) - w.iter().zip(&shift).map(|(w, s)| w * s).sum::<f64>()
                })
                .collect();
            for (r, &i) in rows.iter().enumerate() {
                let (indices, values) = x.row(i);
                for c in 0..n_scores {
                    let w = &theta[c * p..(c + 1) * p];
                    let mut acc = base[c];
                    for (&j, &v) in indices.iter().zip(values) {
                        let j = j as usize;
                        acc += w[j] * (v / scaler.std[j]);
                    }
                    z[r * n_scores + c] = acc;
                }
            }
        }
        Matrix::Cached(_) => unreachable!("read into memory above"),
    }
    z
}

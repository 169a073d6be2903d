//! The regression problem `path` and `cv` fit: the raw design, labels and sample weights of the
//! rows read, and how to standardise them (on all rows, or on a fold's training rows).

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};

use crate::data::design::Scaler;
use crate::fit::objective::{Family, Objective};

/// The rows as read: raw design (original units), labels, sample weights `s_i`.
#[derive(Debug, Clone, Copy)]
pub struct Problem<'a> {
    pub x: ArrayView2<'a, f64>,
    /// 0/1 for a binary target, class indices for a multinomial one.
    pub y: ArrayView1<'a, f64>,
    /// `s_i` = row weight x class weight; `None` when all are 1.
    pub s: Option<ArrayView1<'a, f64>>,
    pub family: Family,
    pub fit_intercept: bool,
    pub standardize: bool,
}

/// Rows standardised with their own (weighted) statistics, ready for an [`Objective`].
#[derive(Debug, Clone)]
pub struct Standardized {
    pub x: Array2<f64>,
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
                self.x.to_owned(),
                self.y.to_owned(),
                self.s.map(|s| s.to_owned()),
            ),
            Some(rows) => (
                self.x.select(Axis(0), rows),
                self.y.select(Axis(0), rows),
                self.s.map(|s| s.select(Axis(0), rows)),
            ),
        };
        let scaler = if self.standardize {
            Scaler::fit_weighted(x.view(), self.fit_intercept, s.as_ref().map(|s| s.view()))
        } else {
            Scaler::identity(x.ncols())
        };
        scaler.apply(&mut x);
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
    /// The unpenalised objective on these rows (the path adds the penalties).
    pub fn objective(&self) -> Objective<'_> {
        let objective = match self.family {
            Family::Binomial => {
                Objective::new(self.x.view(), self.y.view(), 0.0, self.fit_intercept)
            }
            Family::Multinomial { classes } => Objective::multinomial(
                self.x.view(),
                self.y.view(),
                classes,
                0.0,
                self.fit_intercept,
            ),
        };
        match &self.s {
            Some(s) => objective.with_weights(s.view()),
            None => objective,
        }
    }
}

/// Linear scores `W x + b` (`n x K`, row-major) of the raw rows `rows` of `x`, standardised
/// with `scaler`, at `theta = [W row-major, b]` (standardised scale).
pub fn held_out_scores(
    x: ArrayView2<f64>,
    rows: &[usize],
    scaler: &Scaler,
    theta: &[f64],
    n_scores: usize,
    fit_intercept: bool,
) -> Vec<f64> {
    let p = x.ncols();
    let mut z = vec![0.0; rows.len() * n_scores];
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
            let mut acc = if fit_intercept {
                theta[n_scores * p + c]
            } else {
                0.0
            };
            for (wj, xj) in w.iter().zip(&xs) {
                acc += wj * xj;
            }
            z[r * n_scores + c] = acc;
        }
    }
    z
}

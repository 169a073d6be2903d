//! The penalised mean log loss, its gradient and Hessian: the one definition every solver uses.
//!
//! `f(w, b) = (1/n) sum_i logloss(y_i, x_i.w + b) + (l2/2) ||w||^2`, intercept `b` unpenalised.
//! Parameters are packed as one vector `theta = [w_1 .. w_p, b]` (the trailing `b` only when the
//! model has an intercept), so solvers can treat them as a plain point in R^k.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};

use crate::numerics;

/// A logistic regression problem on an already-encoded (and usually standardised) design matrix.
#[derive(Debug, Clone, Copy)]
pub struct Objective<'a> {
    /// Design matrix, `n_rows x n_features`, row-major.
    pub x: ArrayView2<'a, f64>,
    /// Labels as 0.0 / 1.0 (1.0 = positive class).
    pub y: ArrayView1<'a, f64>,
    /// The L2 penalty `lambda` in `(lambda/2) ||w||^2`.
    pub l2: f64,
    /// Whether `theta` carries a trailing intercept.
    pub fit_intercept: bool,
}

impl<'a> Objective<'a> {
    pub fn new(x: ArrayView2<'a, f64>, y: ArrayView1<'a, f64>, l2: f64, fit_intercept: bool) -> Self {
        assert_eq!(x.nrows(), y.len(), "design matrix and labels disagree on the number of rows");
        Objective { x, y, l2, fit_intercept }
    }

    pub fn n_rows(&self) -> usize {
        self.x.nrows()
    }

    pub fn n_features(&self) -> usize {
        self.x.ncols()
    }

    /// Length of `theta`: one weight per feature, plus the intercept when fitted.
    pub fn n_params(&self) -> usize {
        self.n_features() + usize::from(self.fit_intercept)
    }

    fn split<'t>(&self, theta: &'t [f64]) -> (&'t [f64], f64) {
        assert_eq!(theta.len(), self.n_params(), "theta has the wrong length");
        let p = self.n_features();
        let b = if self.fit_intercept { theta[p] } else { 0.0 };
        (&theta[..p], b)
    }

    /// Linear scores `z = X w + b` for every row.
    pub fn scores(&self, theta: &[f64]) -> Array1<f64> {
        let (w, b) = self.split(theta);
        let w = ArrayView1::from(w);
        let mut z = self.x.dot(&w);
        z += b;
        z
    }

    fn penalty(&self, w: &[f64]) -> f64 {
        0.5 * self.l2 * w.iter().map(|v| v * v).sum::<f64>()
    }

    /// Objective value at `theta`.
    pub fn value(&self, theta: &[f64]) -> f64 {
        let (w, _) = self.split(theta);
        let z = self.scores(theta);
        let n = self.n_rows() as f64;
        let loss: f64 = z
            .iter()
            .zip(self.y.iter())
            .map(|(&z, &y)| numerics::log_loss(y, z))
            .sum();
        loss / n + self.penalty(w)
    }

    /// Objective value at `theta`, with its gradient written into `grad`.
    pub fn value_and_gradient(&self, theta: &[f64], grad: &mut [f64]) -> f64 {
        assert_eq!(grad.len(), self.n_params(), "gradient buffer has the wrong length");
        let (w, _) = self.split(theta);
        let mut z = self.scores(theta);
        let n = self.n_rows() as f64;
        let mut loss = 0.0;
        // Reuse the score buffer for the residuals (s(z) - y) / n.
        for (zi, &yi) in z.iter_mut().zip(self.y.iter()) {
            let (l, r) = numerics::log_loss_and_residual(yi, *zi);
            loss += l;
            *zi = r / n;
        }
        let p = self.n_features();
        let gw = self.x.t().dot(&z);
        for j in 0..p {
            grad[j] = gw[j] + self.l2 * w[j];
        }
        if self.fit_intercept {
            grad[p] = z.sum();
        }
        loss / n + self.penalty(w)
    }

    /// Gradient at `theta` (allocating convenience wrapper).
    pub fn gradient(&self, theta: &[f64]) -> Array1<f64> {
        let mut g = Array1::zeros(self.n_params());
        self.value_and_gradient(theta, g.as_slice_mut().expect("contiguous"));
        g
    }

    /// Hessian at `theta`: `(1/n) X1^T diag(s(1-s)) X1 + l2 * I_w`, with `X1 = [X, 1]` when the
    /// intercept is fitted (its row and column carry no penalty).
    pub fn hessian(&self, theta: &[f64]) -> Array2<f64> {
        let z = self.scores(theta);
        let n = self.n_rows() as f64;
        let p = self.n_features();
        let k = self.n_params();
        let weights: Array1<f64> = z.mapv(|z| numerics::sigmoid_derivative(z) / n);
        let mut h = Array2::<f64>::zeros((k, k));
        // X^T diag(weights) X, one row at a time (upper triangle, mirrored below).
        for (row, &wt) in self.x.axis_iter(Axis(0)).zip(weights.iter()) {
            if wt == 0.0 {
                continue;
            }
            for a in 0..p {
                let xa = row[a] * wt;
                if xa == 0.0 {
                    continue;
                }
                for b in a..p {
                    h[[a, b]] += xa * row[b];
                }
                if self.fit_intercept {
                    h[[a, p]] += xa;
                }
            }
            if self.fit_intercept {
                h[[p, p]] += wt;
            }
        }
        for a in 0..k {
            for b in 0..a {
                h[[a, b]] = h[[b, a]];
            }
        }
        for j in 0..p {
            h[[j, j]] += self.l2;
        }
        h
    }
}

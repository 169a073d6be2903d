//! The quadratic model of the loss at the current point, and coordinate descent on it.
//!
//! At `theta = (W, b)` with scores `eta`, the smooth loss `L` is replaced by its second-order
//! Taylor model in the step `d`: `L + g.d + (1/2) d' H d`. Coordinate `(c, j)` of the model has
//! gradient `-x_j . rho_c` with the *model residual*
//!
//! * binomial: `rho_i = r_i - v_i (X d)_i`, `r_i = s_i (y_i - p_i) / S`,
//!   `v_i = s_i p_i (1 - p_i) / S` (glmnet's lognet, LIBLINEAR's newGLMNET);
//! * multinomial: `rho_ic = r_ic - a_ic ((X d)_ic - m_i)` with `r_ic = s_i ([y_i = c] - p_ic) / S`,
//!   `a_ic = s_i p_ic / S` and `m_i = sum_c p_ic (X d)_ic`: the exact multinomial Hessian
//!   `(1/S) sum_i s_i (diag(p_i) - p_i p_i') (x) x_i x_i'` applied to `d`, so the outer loop is a
//!   true proximal Newton method (quadratic convergence) rather than glmnet's class-by-class
//!   approximation.
//!
//! The model residual is never stored: `(X d)` (and `m`) are updated after each coordinate step
//! (`O(n)`, [`Columns::axpy`]) and `rho` is formed inside the next column's dot product
//! ([`Columns::dot_model`]). The coordinate minimiser of model + `(l2/2) u^2 + l1 |u|` is the
//! soft-thresholded Newton step `u = S(H_jj u_0 + x_j . rho, l1) / (H_jj + l2)` with
//! `H_jj = sum_i h_i x_ij^2` (`h = v`, or `a_c (1 - p_c)`); intercepts are unpenalised
//! coordinates with `x = 1`.

use crate::data::design::columns::lane_sum;
use std::sync::atomic::AtomicUsize;

use crate::data::design::{Columns, Design, Kernel};
use crate::fit::loss;
use crate::fit::numerics;

/// The problem as coordinate descent sees it: columns, labels, weights and penalties.
pub(crate) struct Problem<'a> {
    pub cols: &'a dyn Columns,
    /// The row-major design (the Gram inner solve's blocked kernel reads it).
    pub design: &'a dyn Design,
    pub kernel: Kernel,
    pub threads: usize,
    /// Threads for the Gram matrix, and its row-block size (fixed: the sums' order).
    pub gram_threads: usize,
    pub block_rows: usize,
    /// Which inner solve runs ([`InnerMode`]).
    pub inner: InnerMode,
    /// Sweeps the last inner solve needed (the cost estimate of the next; carried along a path).
    pub last_sweeps: AtomicUsize,
    pub n: usize,
    pub p: usize,
    /// Score columns (1 binomial, `K` multinomial).
    pub k: usize,
    pub multinomial: bool,
    pub intercept: bool,
    pub l1: f64,
    pub l2: f64,
    pub inv_s: f64,
    pub y: Vec<f64>,
    pub s: Option<Vec<f64>>,
}

impl Problem<'_> {
    pub fn kp(&self) -> usize {
        self.k * self.p
    }

    /// `(l2/2) ||W||^2 + l1 ||W||_1`.
    pub fn penalty(&self, w: &[f64]) -> f64 {
        let sq: f64 = w.iter().map(|v| v * v).sum();
        let mut pen = 0.5 * self.l2 * sq;
        if self.l1 != 0.0 {
            pen += self.l1 * w.iter().map(|v| v.abs()).sum::<f64>();
        }
        pen
    }

    /// Mean loss at class-major scores `eta` (`k x n`), with the weighted residuals
    /// (`s_i (p - y)`) left in `z` (row-major, `n x k`).
    pub fn loss(&self, eta: &[f64], z: &mut Vec<f64>) -> f64 {
        self.rows_from(eta, None, 0.0, z);
        self.loss_of_rows(z)
    }

    /// Mean loss at `eta + t d`.
    pub fn loss_along(&self, eta: &[f64], d: &[f64], t: f64, z: &mut Vec<f64>) -> f64 {
        self.rows_from(eta, Some(d), t, z);
        self.loss_of_rows(z)
    }

    fn rows_from(&self, eta: &[f64], d: Option<&[f64]>, t: f64, z: &mut Vec<f64>) {
        let (n, k) = (self.n, self.k);
        z.resize(n * k, 0.0);
        if k == 1 {
            match d {
                None => z.copy_from_slice(&eta[..n]),
                Some(d) => {
                    for ((o, &e), &di) in z.iter_mut().zip(eta).zip(d) {
                        *o = e + t * di;
                    }
                }
            }
            return;
        }
        for c in 0..k {
            let e = &eta[c * n..(c + 1) * n];
            match d {
                None => {
                    for (i, &v) in e.iter().enumerate() {
                        z[i * k + c] = v;
                    }
                }
                Some(d) => {
                    let dc = &d[c * n..(c + 1) * n];
                    for (i, (&v, &di)) in e.iter().zip(dc).enumerate() {
                        z[i * k + c] = v + t * di;
                    }
                }
            }
        }
    }

    fn loss_of_rows(&self, z: &mut [f64]) -> f64 {
        let sum = if self.multinomial {
            loss::softmax_loss_and_residual_slice_with(
                self.kernel,
                &self.y,
                self.s.as_deref(),
                self.k,
                z,
            )
        } else {
            match &self.s {
                None => numerics::log_loss_and_residual_slice_with(self.kernel, &self.y, z),
                Some(s) => loss::weighted_log_loss_and_residual_with(self.kernel, &self.y, s, z),
            }
        };
        sum * self.inv_s
    }
}

/// The inner solve: naive sweeps over the columns, sweeps through the Gram matrix
/// ([`super::gram`]), or whichever is estimated cheaper per outer iteration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InnerMode {
    Naive,
    Gram,
    Auto,
}

impl InnerMode {
    /// The hidden knob `LOGIT_CD_INNER=naive|gram|auto` (default `auto`), for tests and
    /// benchmarks.
    pub fn from_env() -> InnerMode {
        match std::env::var("LOGIT_CD_INNER").as_deref() {
            Ok("naive") => InnerMode::Naive,
            Ok("gram") => InnerMode::Gram,
            _ => InnerMode::Auto,
        }
    }
}

/// The quadratic model at one point: class-major `k x n` arrays.
#[derive(Debug, Default)]
pub(crate) struct Model {
    /// `r_ic = s_i (y_ic - p_ic) / S`.
    pub r: Vec<f64>,
    /// Binomial `v_i`; multinomial `a_ic = s_i p_ic / S`.
    pub a: Vec<f64>,
    /// Curvature weights of the diagonal: binomial `v_i`; multinomial `a_ic (1 - p_ic)`.
    pub h: Vec<f64>,
    /// Multinomial probabilities `p_ic` (empty for binomial).
    pub prob: Vec<f64>,
    /// Mean loss at the point.
    pub loss: f64,
}

impl Model {
    /// The model at scores `eta`; `z` is scratch.
    pub fn at(problem: &Problem, eta: &[f64], z: &mut Vec<f64>) -> Model {
        let (n, k) = (problem.n, problem.k);
        let loss = problem.loss(eta, z);
        let inv_s = problem.inv_s;
        let mut r = vec![0.0; n * k];
        for c in 0..k {
            for i in 0..n {
                r[c * n + i] = -z[i * k + c] * inv_s;
            }
        }
        let weight = |i: usize| problem.s.as_ref().map_or(1.0, |s| s[i]);
        let mut a = vec![0.0; n * k];
        let mut prob = Vec::new();
        let h;
        if problem.multinomial {
            problem.rows_from(eta, None, 0.0, z);
            loss::softmax_rows_slice_with(problem.kernel, k, z);
            prob = vec![0.0; n * k];
            let mut hh = vec![0.0; n * k];
            for i in 0..n {
                let si = weight(i) * inv_s;
                for c in 0..k {
                    let pc = z[i * k + c];
                    prob[c * n + i] = pc;
                    let ac = if si == 0.0 { 0.0 } else { si * pc };
                    a[c * n + i] = ac;
                    hh[c * n + i] = ac * (1.0 - pc);
                }
            }
            h = hh;
        } else {
            numerics::sigmoid_derivative_slice_with(problem.kernel, &eta[..n], &mut a);
            for (i, ai) in a.iter_mut().enumerate() {
                let si = weight(i);
                *ai = if si == 0.0 { 0.0 } else { si * *ai * inv_s };
            }
            h = a.clone();
        }
        Model {
            r,
            a,
            h,
            prob,
            loss,
        }
    }

    /// Gradient of the smooth objective along column `j` of class `c`: `-x_j . r_c + l2 w`.
    pub fn gradient(&self, problem: &Problem, c: usize, j: usize, w: f64) -> f64 {
        let n = problem.n;
        -problem
            .cols
            .dot(problem.kernel, j, &self.r[c * n..(c + 1) * n])
            + problem.l2 * w
    }

    /// Gradient along intercept `c`: `-sum_i r_ic`.
    pub fn intercept_gradient(&self, problem: &Problem, c: usize) -> f64 {
        let n = problem.n;
        let r = &self.r[c * n..(c + 1) * n];
        -lane_sum(n, |i| r[i])
    }
}

/// `sign(z) max(|z| - l, 0)`.
#[inline]
pub(crate) fn soft_threshold(z: f64, l: f64) -> f64 {
    if z > l {
        z - l
    } else if z < -l {
        z + l
    } else {
        0.0
    }
}

/// Result of coordinate descent on the model: the minimiser `u` (full `theta` layout) and
/// `X (u - theta)` class-major.
pub(crate) struct Inner {
    pub u: Vec<f64>,
    pub deta: Vec<f64>,
    /// Sweeps taken.
    pub sweeps: usize,
}

/// Cyclic coordinate descent on the model over the working set `set[c]` (column indices per
/// class) and the intercepts, starting from `theta`: a sweep over the whole set, then sweeps
/// over its non-zero coordinates until the largest `(H_jj + l2) |step|` is at most `eps`, then
/// the whole set again, until a whole-set sweep is within `eps` (glmnet's active-set cycling).
pub(crate) fn descend(
    problem: &Problem,
    model: &Model,
    theta: &[f64],
    set: &[Vec<usize>],
    eps: f64,
    max_sweeps: usize,
) -> Inner {
    let (n, p, k) = (problem.n, problem.p, problem.k);
    let kp = k * p;
    let kernel = problem.kernel;
    let cols = problem.cols;
    let mut u = theta.to_vec();
    let mut deta = vec![0.0; n * k];
    let mut m = if problem.multinomial {
        vec![0.0; n]
    } else {
        Vec::new()
    };
    let diag: Vec<Vec<f64>> = (0..k)
        .map(|c| {
            set[c]
                .iter()
                .map(|&j| cols.weighted_sq(kernel, j, &model.h[c * n..(c + 1) * n]))
                .collect()
        })
        .collect();
    let hb: Vec<f64> = (0..k)
        .map(|c| {
            let h = &model.h[c * n..(c + 1) * n];
            lane_sum(n, |i| h[i])
        })
        .collect();
    let mut sweeps = 0;
    let mut whole = true;
    loop {
        let mut largest = 0.0f64;
        if problem.intercept {
            for c in 0..k {
                if hb[c] <= 0.0 {
                    continue;
                }
                let (r, a) = (&model.r[c * n..(c + 1) * n], &model.a[c * n..(c + 1) * n]);
                let dc = &deta[c * n..(c + 1) * n];
                let g = if problem.multinomial {
                    lane_sum(n, |i| r[i] - a[i] * (dc[i] - m[i]))
                } else {
                    lane_sum(n, |i| r[i] - a[i] * dc[i])
                };
                let step = g / hb[c];
                if step != 0.0 && step.is_finite() {
                    u[kp + c] += step;
                    deta[c * n..(c + 1) * n].iter_mut().for_each(|v| *v += step);
                    if problem.multinomial {
                        let pc = &model.prob[c * n..(c + 1) * n];
                        m.iter_mut().zip(pc).for_each(|(v, &pi)| *v += step * pi);
                    }
                    largest = largest.max(hb[c] * step.abs());
                }
            }
        }
        for c in 0..k {
            let (r, a) = (&model.r[c * n..(c + 1) * n], &model.a[c * n..(c + 1) * n]);
            for (t, &j) in set[c].iter().enumerate() {
                let idx = c * p + j;
                let u0 = u[idx];
                if !whole && u0 == 0.0 {
                    continue;
                }
                let hjj = diag[c][t];
                let denom = hjj + problem.l2;
                if denom.is_nan() || denom <= 0.0 {
                    continue;
                }
                let mm = if problem.multinomial {
                    Some(&m[..])
                } else {
                    None
                };
                let g = cols.dot_model(kernel, j, r, a, &deta[c * n..(c + 1) * n], mm);
                let un = soft_threshold(hjj * u0 + g, problem.l1) / denom;
                let step = un - u0;
                if step != 0.0 && un.is_finite() {
                    u[idx] = un;
                    cols.axpy(kernel, j, step, &mut deta[c * n..(c + 1) * n]);
                    if problem.multinomial {
                        cols.axpy_scaled(kernel, j, step, &model.prob[c * n..(c + 1) * n], &mut m);
                    }
                    largest = largest.max(denom * step.abs());
                }
            }
        }
        sweeps += 1;
        if sweeps >= max_sweeps {
            break;
        }
        if largest <= eps {
            if whole {
                break;
            }
            whole = true;
        } else {
            whole = false;
        }
    }
    Inner { u, deta, sweeps }
}

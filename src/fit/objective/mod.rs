//! The penalised mean loss, its gradient and Hessian: the one definition every solver uses, for
//! every loss family.
//!
//! `f(W, b) = (1/S) sum_i s_i loss_i(W x_i + b) + (l2/2) ||W||^2`, intercepts unpenalised, with
//! row weights `s_i >= 0` (`S = sum_i s_i`; all 1 without weights, so `S = n` and the objective is
//! v1's mean log loss). `loss_i` is the binomial log loss of the one score (`K = 1` score column)
//! or the multinomial loss `-log softmax(z_i)_{y_i}` of `K` scores ([`Family`]). Parameters are
//! packed as one vector `theta = [W row-major (K x p), b_0 .. b_{K-1}]` (the `b` part only with
//! an intercept), so solvers treat them as a plain point in `R^k`; binary is `[w_1 .. w_p, b]`
//! exactly as in v1.
//!
//! The design matrix is seen only through [`Design`]'s block operations, so a sparse design can
//! replace the dense one without touching the objective or the solvers.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use crate::data::design::{DenseDesign, Design};
use crate::fit::loss;
use crate::fit::numerics;

mod exec;
#[cfg(test)]
mod tests;

pub use crate::fit::reduce::Reduce;
pub(crate) use exec::for_each_unit;
pub use exec::{Exec, BLOCK_ROWS};

/// The loss family of an objective.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Binary labels 0/1, one score per row, the sigmoid (v1).
    Binomial,
    /// Labels `0 .. classes - 1`, one score per class, the softmax (scikit-learn's symmetric
    /// parametrisation, no reference class).
    Multinomial { classes: usize },
}

impl Family {
    /// Score columns per row: 1 for binomial, `K` for multinomial.
    pub fn n_scores(self) -> usize {
        match self {
            Family::Binomial => 1,
            Family::Multinomial { classes } => classes,
        }
    }
}

/// The design an objective reads: a dense view held by value (so [`Objective::new`] needs no
/// storage of its own), or any [`Design`] by reference.
#[derive(Debug, Clone, Copy)]
enum DesignRef<'a> {
    Dense(DenseDesign<'a>),
    Dyn(&'a dyn Design),
}

impl DesignRef<'_> {
    fn get(&self) -> &dyn Design {
        match self {
            DesignRef::Dense(d) => d,
            DesignRef::Dyn(d) => *d,
        }
    }
}

/// A regression problem on an already-encoded (and usually standardised) design matrix.
#[derive(Debug, Clone, Copy)]
pub struct Objective<'a> {
    design: DesignRef<'a>,
    /// Labels: 0.0 / 1.0 for binomial (1.0 = positive class), the class index for multinomial.
    pub y: ArrayView1<'a, f64>,
    /// The L2 penalty `lambda` in `(lambda/2) ||W||^2`.
    pub l2: f64,
    /// The L1 penalty `a` in `a ||W||_1` (elementwise, `W` only; 0 = none). Only `--solver cd`
    /// fits it; the smooth solvers refuse it.
    pub l1: f64,
    /// Whether `theta` carries the intercepts.
    pub fit_intercept: bool,
    family: Family,
    weights: Option<ArrayView1<'a, f64>>,
    weight_sum: f64,
    /// Adds each pass's summed partials across processes (`--distributed`); `None`: this
    /// process holds every row.
    reducer: Option<&'a dyn Reduce>,
    /// How the passes over the rows run (never changes the result beyond `block_rows`).
    #[doc(hidden)]
    pub exec: Exec,
}

impl<'a> Objective<'a> {
    /// Binomial on a dense matrix (the v1 constructor).
    pub fn new(
        x: ArrayView2<'a, f64>,
        y: ArrayView1<'a, f64>,
        l2: f64,
        fit_intercept: bool,
    ) -> Self {
        Self::build(
            DesignRef::Dense(DenseDesign::new(x)),
            y,
            Family::Binomial,
            l2,
            fit_intercept,
        )
    }

    /// Multinomial with `classes` classes on a dense matrix; `y` holds class indices.
    pub fn multinomial(
        x: ArrayView2<'a, f64>,
        y: ArrayView1<'a, f64>,
        classes: usize,
        l2: f64,
        fit_intercept: bool,
    ) -> Self {
        Self::build(
            DesignRef::Dense(DenseDesign::new(x)),
            y,
            Family::Multinomial { classes },
            l2,
            fit_intercept,
        )
    }

    /// Any family on any design.
    pub fn with_design(
        design: &'a dyn Design,
        y: ArrayView1<'a, f64>,
        family: Family,
        l2: f64,
        fit_intercept: bool,
    ) -> Self {
        Self::build(DesignRef::Dyn(design), y, family, l2, fit_intercept)
    }

    fn build(
        design: DesignRef<'a>,
        y: ArrayView1<'a, f64>,
        family: Family,
        l2: f64,
        fit_intercept: bool,
    ) -> Self {
        assert_eq!(
            design.get().n_rows(),
            y.len(),
            "design matrix and labels disagree on the number of rows"
        );
        Objective {
            design,
            y,
            l2,
            l1: 0.0,
            fit_intercept,
            family,
            weights: None,
            weight_sum: y.len() as f64,
            reducer: None,
            exec: Exec::from_env(),
        }
    }

    /// The same problem with row weights `s` (finite, `>= 0`, positive sum; the solvers' entry
    /// point checks that and reports bad weights as errors). Rows of weight 0 take no part.
    ///
    /// # Panics
    /// If `s` does not have one entry per row.
    pub fn with_weights(self, s: ArrayView1<'a, f64>) -> Self {
        assert_eq!(s.len(), self.n_rows(), "one weight per row");
        Objective {
            weights: Some(s),
            weight_sum: self.reduced(s.iter().sum()),
            ..self
        }
    }

    /// The same problem over rows split among processes: this objective's rows are this
    /// process's share, and `reducer` adds the weight sum and every pass's summed partials
    /// across the processes, so value, gradient and Hessian are those of all the rows. Solvers
    /// that read the design directly (coordinate descent, gradient descent's step bound) are
    /// not covered: `--distributed` refuses them.
    pub fn with_reducer(self, reducer: &'a dyn Reduce) -> Self {
        let local = match self.weights {
            Some(s) => s.iter().sum(),
            None => self.n_rows() as f64,
        };
        let with = Objective {
            reducer: Some(reducer),
            ..self
        };
        Objective {
            weight_sum: with.reduced(local),
            ..with
        }
    }

    /// `v` summed across processes (itself without a reducer).
    fn reduced(&self, v: f64) -> f64 {
        match self.reducer {
            Some(r) => {
                let mut one = [v];
                r.sum(&mut one);
                one[0]
            }
            None => v,
        }
    }

    /// The same problem, run with `exec` (tests force threads, blocks and kernels with it).
    #[doc(hidden)]
    pub fn with_exec(self, exec: Exec) -> Self {
        assert!(exec.block_rows > 0, "blocks need at least one row");
        Objective { exec, ..self }
    }

    /// The same problem with other labels, penalty or family (OvR fits, the summary's
    /// unpenalised refit), keeping the design, weights and execution settings.
    pub fn with_labels(self, y: ArrayView1<'a, f64>, family: Family, l2: f64) -> Self {
        assert_eq!(y.len(), self.n_rows(), "one label per row");
        Objective {
            y,
            family,
            l2,
            ..self
        }
    }

    /// The same problem with penalties `l1 sum|W| + (l2/2) ||W||^2` (`W` only, on the design's
    /// scale, i.e. standardised in `train`), keeping everything else.
    pub fn with_penalty(self, l1: f64, l2: f64) -> Self {
        Objective { l1, l2, ..self }
    }

    pub fn family(&self) -> Family {
        self.family
    }

    /// Score columns per row: 1 for binomial, `K` for multinomial.
    pub fn n_scores(&self) -> usize {
        self.family.n_scores()
    }

    pub fn n_rows(&self) -> usize {
        self.design.get().n_rows()
    }

    pub fn n_features(&self) -> usize {
        self.design.get().n_cols()
    }

    /// Length of `theta`: `n_scores x n_features` coefficients, plus `n_scores` intercepts when
    /// fitted.
    pub fn n_params(&self) -> usize {
        self.n_scores() * (self.n_features() + usize::from(self.fit_intercept))
    }

    /// `S = sum_i s_i` (`n` without weights).
    pub fn weight_sum(&self) -> f64 {
        self.weight_sum
    }

    /// The reducer of a fit over rows split among processes ([`Objective::with_reducer`]).
    pub fn reducer(&self) -> Option<&'a dyn Reduce> {
        self.reducer
    }

    /// The row weights, if any.
    pub fn weights(&self) -> Option<ArrayView1<'a, f64>> {
        self.weights
    }

    /// The design matrix.
    pub fn design(&self) -> &dyn Design {
        self.design.get()
    }

    /// The design as a dense matrix, when it is one.
    pub fn dense(&self) -> Option<ArrayView2<'_, f64>> {
        self.design.get().as_dense()
    }

    /// Rows per block of the passes: `exec.block_rows`, or more for a sparse design whose
    /// per-block `O(k p)` bookkeeping would otherwise outweigh its stored entries
    /// ([`Design::block_rows`]).
    fn block_rows(&self) -> usize {
        self.design.get().block_rows(self.exec.block_rows).max(1)
    }

    /// `(W, b)` of `theta`: `W` row-major `n_scores x p`, `b` the intercepts (zeros without).
    fn split<'t>(&self, theta: &'t [f64]) -> (&'t [f64], Vec<f64>) {
        assert_eq!(theta.len(), self.n_params(), "theta has the wrong length");
        let kp = self.n_scores() * self.n_features();
        let b = if self.fit_intercept {
            theta[kp..].to_vec()
        } else {
            vec![0.0; self.n_scores()]
        };
        (&theta[..kp], b)
    }

    /// Linear scores `z_i = W x_i + b` for every row, `n_rows x n_scores`.
    pub fn scores(&self, theta: &[f64]) -> Array2<f64> {
        let (w, b) = self.split(theta);
        let n = self.n_rows();
        let k = self.n_scores();
        let rows = self.block_rows();
        let mut z = Array2::zeros((n, k));
        let out = z.as_slice_mut().expect("new arrays are contiguous");
        let design = self.design.get();
        let kernel = self.exec.kernel;
        let n_blocks = n.div_ceil(rows);
        let threads = self
            .exec
            .threads_for(n * k * self.n_features().max(1))
            .min(n_blocks);
        // Contiguous runs of whole blocks per thread; every score is computed the same way
        // whatever the split.
        let per_thread = n_blocks.div_ceil(threads.max(1)).max(1);
        let run = |first_block: usize, chunk: &mut [f64]| {
            for (j, part) in chunk.chunks_mut(rows * k).enumerate() {
                let start = (first_block + j) * rows;
                let end = start + part.len() / k.max(1);
                design.scores_block(kernel, start..end, w, &b, part);
            }
        };
        if threads <= 1 || k == 0 {
            run(0, out);
        } else {
            std::thread::scope(|scope| {
                for (t, chunk) in out.chunks_mut(per_thread * rows * k).enumerate() {
                    let run = &run;
                    scope.spawn(move || run(t * per_thread, chunk));
                }
            });
        }
        z
    }

    fn penalty(&self, w: &[f64]) -> f64 {
        0.5 * self.l2 * w.iter().map(|v| v * v).sum::<f64>()
    }

    /// `l1 ||W||_1` (0 without an L1 penalty; callers skip it then so that fits without `--l1`
    /// stay bit-identical to earlier versions).
    fn l1_penalty(&self, w: &[f64]) -> f64 {
        self.l1 * w.iter().map(|v| v.abs()).sum::<f64>()
    }

    /// Infinity norm of the minimum-norm subgradient of the full objective at `theta`, given
    /// the smooth part's gradient `grad` there: for a coefficient `w_j != 0`,
    /// `|g_j + l1 sign(w_j)|`; at `w_j = 0`, `max(|g_j| - l1, 0)` (the distance of `-g_j` to the
    /// subdifferential `[-l1, l1]`); for an intercept `|g_b|`. Equals `norm_inf(grad)` when
    /// `l1 == 0`. This is the convergence measure of every fit (`tol`).
    pub fn subgradient_norm(&self, theta: &[f64], grad: &[f64]) -> f64 {
        assert_eq!(theta.len(), grad.len(), "theta and gradient lengths differ");
        let kp = self.n_scores() * self.n_features();
        let mut worst = 0.0f64;
        for (j, (&t, &g)) in theta.iter().zip(grad).enumerate() {
            let v = if j >= kp || self.l1 == 0.0 {
                g.abs()
            } else if t > 0.0 {
                (g + self.l1).abs()
            } else if t < 0.0 {
                (g - self.l1).abs()
            } else {
                (g.abs() - self.l1).max(0.0)
            };
            // NaN stays visible (max would drop it).
            if v.is_nan() {
                return f64::NAN;
            }
            worst = worst.max(v);
        }
        worst
    }

    /// Mean deviance `2 (1/S) sum_i s_i loss_i` at `theta` (no penalty): glmnet's deviance
    /// divided by `S`.
    pub fn deviance(&self, theta: &[f64]) -> f64 {
        let unpenalised = Objective {
            l1: 0.0,
            l2: 0.0,
            ..*self
        };
        2.0 * unpenalised.value(theta)
    }

    /// Objective value at `theta` (through the same fused pass as the gradient, so the two
    /// always agree to the last bit).
    pub fn value(&self, theta: &[f64]) -> f64 {
        let mut scratch = vec![0.0; self.n_params()];
        self.value_and_gradient(theta, &mut scratch)
    }

    /// Objective value at `theta` (the L1 term included), with the gradient of its smooth part
    /// (loss and L2 term) written into `grad`.
    ///
    /// One fused pass over the rows (the dominant cost of every solver): for each block of
    /// `exec.block_rows` rows ([`BLOCK_ROWS`] by default), the scores, then loss and residuals
    /// (`s(z) - y`, or `softmax(z) - onehot(y)`, times `s_i` with weights), then the residuals
    /// times the rows added into a per-block gradient. Blocks are shared out among threads and
    /// their partial sums added in block order, so the result is bit-identical whatever the
    /// number of threads.
    pub fn value_and_gradient(&self, theta: &[f64], grad: &mut [f64]) -> f64 {
        assert_eq!(
            grad.len(),
            self.n_params(),
            "gradient buffer has the wrong length"
        );
        let (w, b) = self.split(theta);
        let n = self.n_rows();
        let p = self.n_features();
        let k = self.n_scores();
        let kp = k * p;
        let rows = self.block_rows();
        let n_blocks = n.div_ceil(rows);
        // Per block: [loss, grad_W (k x p), grad_b (k)].
        let width = 1 + kp + k;
        let mut partials = vec![0.0; n_blocks * width];
        let y = self.y.as_standard_layout();
        let y = y.as_slice().expect("standard layout is contiguous");
        let s = self.weights.as_ref().map(|s| s.as_standard_layout());
        let s = s.as_ref().map(|s| s.as_slice().expect("contiguous"));
        let kernel = self.exec.kernel;
        let design = self.design.get();
        let family = self.family;
        let work = |first_block: usize, out: &mut [f64]| {
            let mut z = vec![0.0; rows * k];
            for (j, part) in out.chunks_mut(width).enumerate() {
                let start = (first_block + j) * rows;
                let end = (start + rows).min(n);
                let z = &mut z[..(end - start) * k];
                design.scores_block(kernel, start..end, w, &b, z);
                let yb = &y[start..end];
                let sb = s.map(|s| &s[start..end]);
                part[0] = match (family, sb) {
                    (Family::Binomial, None) => {
                        numerics::log_loss_and_residual_slice_with(kernel, yb, z)
                    }
                    (Family::Binomial, Some(sb)) => {
                        loss::weighted_log_loss_and_residual_with(kernel, yb, sb, z)
                    }
                    (Family::Multinomial { .. }, sb) => {
                        loss::softmax_loss_and_residual_slice_with(kernel, yb, sb, k, z)
                    }
                };
                let (gw, gb) = part[1..].split_at_mut(kp);
                design.add_xt_r_block(kernel, start..end, z, gw);
                if k == 1 {
                    gb[0] = z.iter().sum();
                } else {
                    for zr in z.chunks_exact(k) {
                        for (g, r) in gb.iter_mut().zip(zr) {
                            *g += r;
                        }
                    }
                }
            }
        };
        let threads = self.exec.threads_for(n * kp.max(1));
        for_each_unit(threads, n_blocks, width, &mut partials, work);
        let mut total = vec![0.0; width];
        for part in partials.chunks(width) {
            for (t, v) in total.iter_mut().zip(part) {
                *t += v;
            }
        }
        if let Some(r) = self.reducer {
            r.sum(&mut total);
        }
        let inv_s = 1.0 / self.weight_sum;
        for j in 0..kp {
            grad[j] = total[1 + j] * inv_s + self.l2 * w[j];
        }
        if self.fit_intercept {
            for c in 0..k {
                grad[kp + c] = total[1 + kp + c] * inv_s;
            }
        }
        let value = total[0] * inv_s + self.penalty(w);
        if self.l1 == 0.0 {
            value
        } else {
            value + self.l1_penalty(w)
        }
    }

    /// Gradient at `theta` (allocating convenience wrapper).
    pub fn gradient(&self, theta: &[f64]) -> Array1<f64> {
        let mut g = Array1::zeros(self.n_params());
        self.value_and_gradient(theta, g.as_slice_mut().expect("contiguous"));
        g
    }

    /// Bytes of the Hessian matrix ([`Objective::hessian`]) for this problem.
    pub fn hessian_bytes(&self) -> f64 {
        let k = self.n_params() as f64;
        k * k * 8.0
    }

    /// Hessian at `theta`, `n_params x n_params`.
    ///
    /// Binomial: `(1/S) X1^T diag(s_i s(z_i)(1 - s(z_i))) X1 + l2 I_w` with `X1 = [X, 1]` when the
    /// intercept is fitted. Multinomial: the block `(c, c')` is
    /// `(1/S) sum_i s_i (delta_cc' p_ic - p_ic p_ic') x1_i x1_i^T` (+ `l2 I` on the `W` entries),
    /// singular along the class-sum directions (always for `b`, for `W` at `l2 = 0`), which the
    /// Newton solver handles. Intercept rows and columns carry no penalty.
    ///
    /// Accumulated per block of rows into one `(p+1) x (p+1)` upper triangle per pair of classes
    /// `c <= c'` (contiguous row slices, so the inner loop vectorises); blocks are grouped into a
    /// fixed number of slots, shared among threads and added in slot order, like the gradient.
    pub fn hessian(&self, theta: &[f64]) -> Array2<f64> {
        let (w, b) = self.split(theta);
        let n = self.n_rows();
        let p = self.n_features();
        let k = self.n_scores();
        let q = p + usize::from(self.fit_intercept);
        let pairs = k * (k + 1) / 2;
        let s = self.weights.as_ref().map(|s| s.as_standard_layout());
        let s = s.as_ref().map(|s| s.as_slice().expect("contiguous"));
        let rows = self.block_rows();
        let kernel = self.exec.kernel;
        let n_blocks = n.div_ceil(rows);
        let cells = pairs * q * q;
        let fit_intercept = self.fit_intercept;
        let design = self.design.get();
        let family = self.family;
        // Partial matrices cost memory (`cells` per slot), so group blocks into at most a few
        // dozen slots, fewer for big matrices: still a fixed partition, independent of the
        // thread count.
        let max_slots = (HESSIAN_SLOT_BYTES / (cells.max(1) * 8)).clamp(1, 64);
        let slots = n_blocks.clamp(1, max_slots);
        let blocks_per_slot = n_blocks.div_ceil(slots).max(1);
        let slots = n_blocks.div_ceil(blocks_per_slot).max(1);
        let mut partials = vec![0.0; slots * cells];
        let slot_work = |first_slot: usize, out: &mut [f64]| {
            let mut z = vec![0.0; rows * k];
            let mut d = vec![0.0; rows * pairs];
            for (t, slot) in out.chunks_mut(cells).enumerate() {
                let first_block = (first_slot + t) * blocks_per_slot;
                let last_block = (first_block + blocks_per_slot).min(n_blocks);
                for block in first_block..last_block {
                    let start = block * rows;
                    let end = (start + rows).min(n);
                    let m = end - start;
                    let z = &mut z[..m * k];
                    let d = &mut d[..m * pairs];
                    design.scores_block(kernel, start..end, w, &b, z);
                    curvature_weights(kernel, family, z, s.map(|s| &s[start..end]), d);
                    design.add_gram_block(kernel, start..end, d, pairs, fit_intercept, slot);
                }
            }
        };
        let threads = self.exec.threads_for(n * k * k * q * q / 2);
        for_each_unit(threads, slots, cells, &mut partials, slot_work);
        let mut total = vec![0.0; cells];
        for part in partials.chunks(cells) {
            for (t, v) in total.iter_mut().zip(part) {
                *t += v;
            }
        }
        if let Some(r) = self.reducer {
            r.sum(&mut total);
        }
        let inv_s = 1.0 / self.weight_sum;
        let mut h = scatter_pair_grams(&total, k, p, fit_intercept, inv_s);
        for j in 0..k * p {
            h[[j, j]] += self.l2;
        }
        h
    }
}

/// Budget for the Hessian's per-slot partial matrices.
const HESSIAN_SLOT_BYTES: usize = 256 << 20;

/// Per row, the Gram weights of every pair of classes `c <= c'` (row-major, `pairs` per row):
/// `s_i s'(z_i)` for binomial; `s_i (delta_cc' p_c - p_c p_c')` for multinomial.
fn curvature_weights(
    kernel: numerics::Kernel,
    family: Family,
    z: &mut [f64],
    s: Option<&[f64]>,
    d: &mut [f64],
) {
    match family {
        Family::Binomial => {
            for (di, &zi) in d.iter_mut().zip(z.iter()) {
                *di = numerics::sigmoid_derivative(zi);
            }
        }
        Family::Multinomial { classes: k } => {
            loss::softmax_rows_slice_with(kernel, k, z);
            let pairs = k * (k + 1) / 2;
            for (pr, dr) in z.chunks_exact(k).zip(d.chunks_exact_mut(pairs)) {
                let mut t = 0;
                for c in 0..k {
                    for c2 in c..k {
                        let cross = pr[c] * pr[c2];
                        dr[t] = if c == c2 { pr[c] - cross } else { -cross };
                        t += 1;
                    }
                }
            }
        }
    }
    if let Some(s) = s {
        let pairs = d.len() / s.len().max(1);
        for (dr, &si) in d.chunks_exact_mut(pairs.max(1)).zip(s) {
            // Weight 0: exactly no curvature (the Gram blocks skip zero weights).
            dr.iter_mut()
                .for_each(|v| *v = if si == 0.0 { 0.0 } else { *v * si });
        }
    }
}

/// The full symmetric matrix in `theta`'s layout from the upper triangles of the pair Grams
/// (`(c, c')`, `c <= c'`, in row-major pair order, each `q x q`), scaled by `scale`. Parameter
/// `(c, a)` is `W[c][a]` at `c p + a` for `a < p`, and the intercept `b_c` at `K p + c`.
pub(crate) fn scatter_pair_grams(
    total: &[f64],
    k: usize,
    p: usize,
    fit_intercept: bool,
    scale: f64,
) -> Array2<f64> {
    let q = p + usize::from(fit_intercept);
    let n_params = k * q;
    let index = |c: usize, a: usize| if a < p { c * p + a } else { k * p + c };
    let mut h = Array2::<f64>::zeros((n_params, n_params));
    let mut t = 0;
    for c in 0..k {
        for c2 in c..k {
            let g = &total[t * q * q..(t + 1) * q * q];
            for a in 0..q {
                for a2 in 0..q {
                    let (lo, hi) = if a <= a2 { (a, a2) } else { (a2, a) };
                    if c == c2 && a > a2 {
                        continue;
                    }
                    let v = g[lo * q + hi] * scale;
                    let (i, j) = (index(c, a), index(c2, a2));
                    h[[i, j]] = v;
                    h[[j, i]] = v;
                }
            }
            t += 1;
        }
    }
    h
}

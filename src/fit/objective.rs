//! The penalised mean log loss, its gradient and Hessian: the one definition every solver uses.
//!
//! `f(w, b) = (1/n) sum_i logloss(y_i, x_i.w + b) + (l2/2) ||w||^2`, intercept `b` unpenalised.
//! Parameters are packed as one vector `theta = [w_1 .. w_p, b]` (the trailing `b` only when the
//! model has an intercept), so solvers can treat them as a plain point in R^k.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use crate::fit::numerics::{self, kernel_copies, Kernel};

/// Rows per block of the fused loss-and-gradient pass: small enough for a block's scores and
/// rows to stay in cache, large enough to amortise the per-block bookkeeping.
pub const BLOCK_ROWS: usize = 256;

/// Work (rows x features) below which a single thread is faster than starting threads.
const PARALLEL_WORK: usize = 1 << 17;

/// How the passes over the rows are run: threads, rows per block and kernel copy.
///
/// The result depends only on `block_rows` (the partition of the rows and so the order of the
/// sums), never on `threads` or `kernel`: that is the promise the tests check bit for bit. The
/// defaults come from [`Exec::from_env`]; tests force each path with [`Objective::with_exec`].
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exec {
    /// Threads to use; `None` for automatic (one for small problems, else every core).
    pub threads: Option<usize>,
    /// Rows per block (at least 1).
    pub block_rows: usize,
    /// Which compiled copy of the block loops runs.
    pub kernel: Kernel,
}

impl Exec {
    /// The simple path: one thread, the scalar kernel, the default blocks.
    pub fn reference() -> Exec {
        Exec {
            threads: Some(1),
            block_rows: BLOCK_ROWS,
            kernel: Kernel::Scalar,
        }
    }

    /// Automatic threads and the widest kernel, unless overridden by the test and benchmarking
    /// knobs `LOGIT_THREADS`, `LOGIT_BLOCK_ROWS` and `LOGIT_KERNEL` (positive integers and
    /// `scalar|avx2|avx512`; read once per process; a value that cannot be used is ignored with a
    /// note on stderr).
    pub fn from_env() -> Exec {
        static FROM_ENV: std::sync::OnceLock<Exec> = std::sync::OnceLock::new();
        *FROM_ENV.get_or_init(|| Exec {
            threads: positive_env("LOGIT_THREADS"),
            block_rows: positive_env("LOGIT_BLOCK_ROWS").unwrap_or(BLOCK_ROWS),
            kernel: Kernel::active(),
        })
    }

    /// Threads for `work` multiply-adds.
    fn threads_for(&self, work: usize) -> usize {
        match self.threads {
            Some(t) => t.max(1),
            None if work < PARALLEL_WORK => 1,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// A positive integer from the environment variable `name`, if set and valid.
fn positive_env(name: &str) -> Option<usize> {
    let value = std::env::var_os(name)?;
    match value.to_str().and_then(|v| v.trim().parse::<usize>().ok()) {
        Some(n) if n > 0 => Some(n),
        _ => {
            numerics::knob_note(&format!(
                "{name}={} is not a positive integer; ignored",
                value.to_string_lossy()
            ));
            None
        }
    }
}

/// Runs `work(first_unit, out)` over `units` equal chunks of `out` (each `width` long), shared
/// out among `threads` threads in contiguous runs of units. Every unit writes only its own
/// chunk, so the result does not depend on the number of threads.
fn for_each_unit<F>(threads: usize, units: usize, width: usize, out: &mut [f64], work: F)
where
    F: Fn(usize, &mut [f64]) + Sync,
{
    debug_assert_eq!(out.len(), units * width);
    if threads <= 1 || units < 2 {
        work(0, out);
        return;
    }
    let per_thread = units.div_ceil(threads);
    std::thread::scope(|scope| {
        for (t, chunk) in out.chunks_mut(per_thread * width).enumerate() {
            let work = &work;
            scope.spawn(move || work(t * per_thread, chunk));
        }
    });
}

/// `sum_j a_j b_j` with four independent accumulators, so the compiler can vectorise it.
#[inline(always)]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; 4];
    let chunks_a = a.chunks_exact(4);
    let chunks_b = b.chunks_exact(4);
    let tail: f64 = chunks_a
        .remainder()
        .iter()
        .zip(chunks_b.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (ca, cb) in chunks_a.zip(chunks_b) {
        for k in 0..4 {
            acc[k] += ca[k] * cb[k];
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// `out += alpha * x`.
#[inline(always)]
fn axpy(alpha: f64, x: &[f64], out: &mut [f64]) {
    for (o, v) in out.iter_mut().zip(x) {
        *o += alpha * v;
    }
}

/// One block of rows and the parameters to score them with.
#[derive(Clone, Copy)]
struct Block<'a> {
    /// Rows, row-major, `y.len() x w.len()`.
    x: &'a [f64],
    y: &'a [f64],
    w: &'a [f64],
    b: f64,
}

// Loss sum and gradient sums of one block into `part = [loss, grad_w.., grad_b]`, using `z`
// (one slot per row) as scratch, compiled once per kernel (same source, bit-identical results).
kernel_copies!(fn block_loss_and_gradient(block: Block<'_>, z: &mut [f64], part: &mut [f64]) = block_kernel);

#[inline(always)]
fn block_kernel(block: Block, z: &mut [f64], part: &mut [f64]) {
    let Block { x, y, w, b } = block;
    let p = w.len();
    if p == 0 {
        z.iter_mut().for_each(|zi| *zi = b);
    } else {
        for (zi, row) in z.iter_mut().zip(x.chunks_exact(p)) {
            *zi = b + dot(row, w);
        }
    }
    part[0] = numerics::log_loss_and_residual_slice(y, z);
    let (gw, gb) = part[1..].split_at_mut(p);
    if p > 0 {
        for (&r, row) in z.iter().zip(x.chunks_exact(p)) {
            axpy(r, row, gw);
        }
    }
    gb[0] = z.iter().sum();
}

// Adds `sum_i s'(z_i) x1_i x1_i^T` over one block of rows to the upper triangle of `part`
// (row-major `k x k`, `x1 = [x, 1]` with the intercept), compiled once per kernel.
kernel_copies!(fn block_hessian(block: Block<'_>, fit_intercept: bool, part: &mut [f64]) = hessian_kernel);

#[inline(always)]
fn hessian_kernel(block: Block, fit_intercept: bool, part: &mut [f64]) {
    let Block { x, y, w, b } = block;
    let p = w.len();
    let k = p + usize::from(fit_intercept);
    for i in 0..y.len() {
        let row = &x[i * p..(i + 1) * p];
        let wt = numerics::sigmoid_derivative(b + if p == 0 { 0.0 } else { dot(row, w) });
        if wt == 0.0 {
            continue;
        }
        for a in 0..p {
            let xa = row[a] * wt;
            let target = &mut part[a * k + a..a * k + p];
            axpy(xa, &row[a..], target);
            if fit_intercept {
                part[a * k + p] += xa;
            }
        }
        if fit_intercept {
            part[p * k + p] += wt;
        }
    }
}

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
    /// How the passes over the rows run (never changes the result beyond `block_rows`).
    #[doc(hidden)]
    pub exec: Exec,
}

impl<'a> Objective<'a> {
    pub fn new(
        x: ArrayView2<'a, f64>,
        y: ArrayView1<'a, f64>,
        l2: f64,
        fit_intercept: bool,
    ) -> Self {
        assert_eq!(
            x.nrows(),
            y.len(),
            "design matrix and labels disagree on the number of rows"
        );
        Objective {
            x,
            y,
            l2,
            fit_intercept,
            exec: Exec::from_env(),
        }
    }

    /// The same problem, run with `exec` (tests force threads, blocks and kernels with it).
    #[doc(hidden)]
    pub fn with_exec(self, exec: Exec) -> Self {
        assert!(exec.block_rows > 0, "blocks need at least one row");
        Objective { exec, ..self }
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

    /// Objective value at `theta` (through the same fused pass as the gradient, so the two
    /// always agree to the last bit).
    pub fn value(&self, theta: &[f64]) -> f64 {
        let mut scratch = vec![0.0; self.n_params()];
        self.value_and_gradient(theta, &mut scratch)
    }

    /// Objective value at `theta`, with its gradient written into `grad`.
    ///
    /// One fused pass over the rows (the dominant cost of every solver): for each block of
    /// `exec.block_rows` rows ([`BLOCK_ROWS`] by default), the scores, then loss and residual `s(z) - y`, then the residuals
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
        let rows = self.exec.block_rows;
        let n_blocks = n.div_ceil(rows);
        // Per block: [loss, grad_w_1 .. grad_w_p, grad_b].
        let width = p + 2;
        let mut partials = vec![0.0; n_blocks * width];
        let x = self.x.as_standard_layout();
        let x = x.as_slice().expect("standard layout is contiguous");
        let y = self.y.as_standard_layout();
        let y = y.as_slice().expect("standard layout is contiguous");
        let kernel = self.exec.kernel;
        let work = |first_block: usize, out: &mut [f64]| {
            let mut z = vec![0.0; rows];
            for (k, part) in out.chunks_mut(width).enumerate() {
                let start = (first_block + k) * rows;
                let end = (start + rows).min(n);
                let block = Block {
                    x: &x[start * p..end * p],
                    y: &y[start..end],
                    w,
                    b,
                };
                block_loss_and_gradient(kernel, block, &mut z[..end - start], part);
            }
        };
        let threads = self.exec.threads_for(n * p.max(1));
        for_each_unit(threads, n_blocks, width, &mut partials, work);
        let mut total = vec![0.0; width];
        for part in partials.chunks(width) {
            for (t, v) in total.iter_mut().zip(part) {
                *t += v;
            }
        }
        let inv_n = 1.0 / n as f64;
        for j in 0..p {
            grad[j] = total[1 + j] * inv_n + self.l2 * w[j];
        }
        if self.fit_intercept {
            grad[p] = total[1 + p] * inv_n;
        }
        total[0] * inv_n + self.penalty(w)
    }

    /// Gradient at `theta` (allocating convenience wrapper).
    pub fn gradient(&self, theta: &[f64]) -> Array1<f64> {
        let mut g = Array1::zeros(self.n_params());
        self.value_and_gradient(theta, g.as_slice_mut().expect("contiguous"));
        g
    }

    /// Hessian at `theta`: `(1/n) X1^T diag(s(1-s)) X1 + l2 * I_w`, with `X1 = [X, 1]` when the
    /// intercept is fitted (its row and column carry no penalty).
    ///
    /// Accumulated per block of rows into the upper triangle (contiguous row slices, so the inner
    /// loop vectorises), blocks shared among threads and added in block order, like the gradient.
    pub fn hessian(&self, theta: &[f64]) -> Array2<f64> {
        let (w, b) = self.split(theta);
        let n = self.n_rows();
        let p = self.n_features();
        let k = self.n_params();
        let x = self.x.as_standard_layout();
        let x = x.as_slice().expect("standard layout is contiguous");
        let y = self.y.as_standard_layout();
        let y = y.as_slice().expect("standard layout is contiguous");
        let rows = self.exec.block_rows;
        let kernel = self.exec.kernel;
        let n_blocks = n.div_ceil(rows);
        let cells = k * k;
        let fit_intercept = self.fit_intercept;
        // Partial matrices cost memory (k^2 per slot), so group blocks into at most a few
        // dozen slots: still a fixed partition, independent of the thread count.
        let slots = n_blocks.clamp(1, 64);
        let blocks_per_slot = n_blocks.div_ceil(slots).max(1);
        let slots = n_blocks.div_ceil(blocks_per_slot).max(1);
        let mut partials = vec![0.0; slots * cells];
        let slot_work = |first_slot: usize, out: &mut [f64]| {
            for (t, slot) in out.chunks_mut(cells).enumerate() {
                let first_block = (first_slot + t) * blocks_per_slot;
                let last_block = (first_block + blocks_per_slot).min(n_blocks);
                for block in first_block..last_block {
                    let start = block * rows;
                    let end = (start + rows).min(n);
                    let block = Block {
                        x: &x[start * p..end * p],
                        y: &y[start..end],
                        w,
                        b,
                    };
                    block_hessian(kernel, block, fit_intercept, slot);
                }
            }
        };
        let threads = self.exec.threads_for(n * k * k / 2);
        for_each_unit(threads, slots, cells, &mut partials, slot_work);
        let mut h = Array2::<f64>::zeros((k, k));
        let inv_n = 1.0 / n as f64;
        for part in partials.chunks(cells) {
            for a in 0..k {
                for c in a..k {
                    h[[a, c]] += part[a * k + c];
                }
            }
        }
        for a in 0..k {
            for c in a..k {
                h[[a, c]] *= inv_n;
                h[[c, a]] = h[[a, c]];
            }
        }
        for j in 0..p {
            h[[j, j]] += self.l2;
        }
        h
    }
}

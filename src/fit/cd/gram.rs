//! Covariance ("Gram") inner solve for the binomial model, as glmnet's
//! `type.gaussian = "covariance"`.
//!
//! Naive coordinate descent ([`super::model::descend`], [`super::binomial::descend_centred`])
//! streams `X_S` through every sweep (a dot product and an axpy per coordinate). On correlated
//! designs the inner solve needs hundreds of sweeps, so instead the weighted Gram
//! `X1^T diag(v) X1` is formed once (the row-major design's blocked kernel, threaded over a fixed
//! partition of the rows, so the sums do not depend on the thread count), the intercept is
//! eliminated exactly (the Schur complement: the model minimiser over `b` for every `w`, the same
//! fixed point the curvature-centred steps reach) and the sweeps run in `|S|`-space: the model
//! gradient `q` is kept up to date by `q -= step * A[:, j]`, `O(|S|)` per coordinate. The change
//! in scores `X d` costs one more pass at the end.

use super::model::{soft_threshold, Inner, Model, Problem};
use crate::data::design::columns::lane_sum;
use crate::fit::objective::for_each_unit;

/// Budget for the per-slot partial Gram matrices (as the Newton Hessian's).
const SLOT_BYTES: usize = 256 << 20;

/// The upper triangle of `X1^T diag(h) X1` (`q x q`, `q = p + intercept`), summed per block of
/// rows into a fixed number of slots, added in slot order.
fn gram(problem: &Problem, h: &[f64]) -> Vec<f64> {
    let n = problem.n;
    let q = problem.p + usize::from(problem.intercept);
    let cells = q * q;
    let rows = problem.block_rows.max(1);
    let n_blocks = n.div_ceil(rows);
    let max_slots = (SLOT_BYTES / (cells.max(1) * 8)).clamp(1, 64);
    let slots = n_blocks.clamp(1, max_slots);
    let per_slot = n_blocks.div_ceil(slots).max(1);
    let slots = n_blocks.div_ceil(per_slot).max(1);
    let mut partials = vec![0.0; slots * cells];
    let design = problem.design;
    let work = |first: usize, out: &mut [f64]| {
        for (t, slot) in out.chunks_mut(cells).enumerate() {
            let first_block = (first + t) * per_slot;
            let last_block = (first_block + per_slot).min(n_blocks);
            for block in first_block..last_block {
                let start = block * rows;
                let end = (start + rows).min(n);
                design.add_gram_block(
                    problem.kernel,
                    start..end,
                    &h[start..end],
                    1,
                    problem.intercept,
                    slot,
                );
            }
        }
    };
    for_each_unit(problem.gram_threads, slots, cells, &mut partials, work);
    let mut total = vec![0.0; cells];
    for part in partials.chunks(cells) {
        for (t, v) in total.iter_mut().zip(part) {
            *t += v;
        }
    }
    total
}

/// Coordinate descent on the binomial model over `set` from `theta`, through the Gram matrix,
/// with the same sweep schedule and stopping rule as the naive solves. `None` when the
/// intercept's curvature vanishes (the naive path handles that case).
pub(crate) fn descend_gram(
    problem: &Problem,
    model: &Model,
    theta: &[f64],
    set: &[usize],
    eps: f64,
    max_sweeps: usize,
) -> Option<Inner> {
    debug_assert!(!problem.multinomial);
    let (n, p) = (problem.n, problem.p);
    let q = p + usize::from(problem.intercept);
    let (r, h) = (&model.r[..n], &model.h[..n]);
    let total = gram(problem, h);
    let at = |a: usize, c: usize| {
        if a <= c {
            total[a * q + c]
        } else {
            total[c * q + a]
        }
    };
    let s = set.len();
    let mut a = vec![0.0; s * s];
    for (t, &j) in set.iter().enumerate() {
        for (l, &i) in set.iter().enumerate() {
            a[t * s + l] = at(j, i);
        }
    }
    // The model's gradient at d = 0 along each column: x_j . r.
    let mut g: Vec<f64> = set
        .iter()
        .map(|&j| problem.cols.dot(problem.kernel, j, r))
        .collect();
    let mut intercept = None;
    if problem.intercept {
        let hb = at(p, p);
        if hb.is_nan() || hb <= 0.0 {
            return None;
        }
        let total_r = lane_sum(n, |i| r[i]);
        let xv: Vec<f64> = set.iter().map(|&j| at(j, p)).collect();
        for t in 0..s {
            g[t] -= xv[t] * total_r / hb;
            for l in 0..s {
                a[t * s + l] -= xv[t] * xv[l] / hb;
            }
        }
        intercept = Some((hb, total_r, xv));
    }
    let mut u = theta.to_vec();
    let mut dw = vec![0.0; s];
    let mut sweeps = 0;
    let mut whole = true;
    loop {
        let mut largest = 0.0f64;
        for (t, &j) in set.iter().enumerate() {
            let u0 = u[j];
            if !whole && u0 == 0.0 {
                continue;
            }
            let hjj = a[t * s + t].max(0.0);
            let denom = hjj + problem.l2;
            if denom.is_nan() || denom <= 0.0 {
                continue;
            }
            let un = soft_threshold(hjj * u0 + g[t], problem.l1) / denom;
            let step = un - u0;
            if step != 0.0 && un.is_finite() {
                u[j] = un;
                dw[t] += step;
                let col = &a[t * s..(t + 1) * s];
                g.iter_mut().zip(col).for_each(|(gi, &ai)| *gi -= step * ai);
                largest = largest.max(denom * step.abs());
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
    let mut deta = vec![0.0; n];
    for (t, &j) in set.iter().enumerate() {
        if dw[t] != 0.0 {
            problem.cols.axpy(problem.kernel, j, dw[t], &mut deta);
        }
    }
    if let Some((hb, total_r, xv)) = intercept {
        let moved: f64 = xv.iter().zip(&dw).map(|(x, d)| x * d).sum();
        let db = (total_r - moved) / hb;
        if db.is_finite() {
            u[p] += db;
            deta.iter_mut().for_each(|v| *v += db);
        }
    }
    Some(Inner { u, deta, sweeps })
}

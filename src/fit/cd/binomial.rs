//! Coordinate descent on the binomial model with each coefficient moved together with the
//! intercept.
//!
//! With an intercept, a column's coordinate step is taken along `x_j - c_j 1` with
//! `c_j = (x_j . v) / sum v` (the column centred in the curvature metric), i.e. `w_j` and `b`
//! move together, `b` by `-c_j` times `w_j`'s step. Once `b` is at its model optimum
//! (`sum_i rho_i = 0`) such steps keep it there exactly, so the coupling between the intercept
//! and every column (strong whenever the curvature weights `v_i` vary with the column, i.e. for
//! every informative feature) no longer slows the sweeps down; on the 100k x 200 benchmark this
//! halves the sweeps per outer iteration. The model is the same as in [`super::model`]; only
//! the path through it differs. The intercept's share of `X d` is kept as one scalar `beta`
//! (`(X d)_i = d_i + beta`), and the sums the centred step needs are updated as scalars too, so
//! a step still costs one fused dot product and one axpy.

use super::model::{soft_threshold, Inner, Model, Problem};
use crate::data::design::columns::lane_sum;

/// [`super::model::descend`] for a binomial model with an intercept.
pub(crate) fn descend_centred(
    problem: &Problem,
    model: &Model,
    theta: &[f64],
    set: &[usize],
    eps: f64,
    max_sweeps: usize,
) -> Inner {
    let (n, p) = (problem.n, problem.p);
    let kernel = problem.kernel;
    let cols = problem.cols;
    let (r, v) = (&model.r[..n], &model.a[..n]);
    let mut u = theta.to_vec();
    let mut d = vec![0.0; n];
    let total_v = lane_sum(n, |i| v[i]);
    let total_r = lane_sum(n, |i| r[i]);
    // Per column: x.v and the curvature of the centred direction.
    let moments: Vec<(f64, f64, f64)> = set
        .iter()
        .map(|&j| {
            let (xv, xvx) = cols.weighted_moments(kernel, j, v);
            let c = if total_v > 0.0 { xv / total_v } else { 0.0 };
            let h = (xvx - c * xv).max(0.0);
            (xv, c, h)
        })
        .collect();
    // beta: intercept part of X d; vd = sum_i v_i d_i.
    let mut beta = 0.0;
    let mut vd = 0.0;
    let mut sweeps = 0;
    let mut whole = true;
    loop {
        let mut largest = 0.0f64;
        // The intercept alone: sum_i rho_i = R - vd - beta V.
        if total_v > 0.0 {
            let g = total_r - vd - beta * total_v;
            let step = g / total_v;
            if step != 0.0 && step.is_finite() {
                beta += step;
                u[p] += step;
                largest = largest.max(total_v * step.abs());
            }
        }
        // A step's axpy is deferred into the next coordinate's dot product (one pass each).
        let mut pending: Option<(usize, f64)> = None;
        for (t, &j) in set.iter().enumerate() {
            let u0 = u[j];
            if !whole && u0 == 0.0 {
                continue;
            }
            let (xv, c, h) = moments[t];
            let denom = h + problem.l2;
            if denom.is_nan() || denom <= 0.0 {
                continue;
            }
            let sum_rho = total_r - vd - beta * total_v;
            let g = cols.step_then_dot_model(kernel, pending.take(), j, r, v, &mut d)
                - beta * xv
                - c * sum_rho;
            let un = soft_threshold(h * u0 + g, problem.l1) / denom;
            let step = un - u0;
            if step != 0.0 && un.is_finite() {
                u[j] = un;
                pending = Some((j, step));
                vd += step * xv;
                beta -= c * step;
                u[p] -= c * step;
                largest = largest.max(denom * step.abs());
            }
        }
        if let Some((k, alpha)) = pending {
            cols.axpy(kernel, k, alpha, &mut d);
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
    d.iter_mut().for_each(|x| *x += beta);
    Inner { u, deta: d, sweeps }
}

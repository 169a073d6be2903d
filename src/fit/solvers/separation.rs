//! Detecting (quasi-)complete separation, where the unpenalised maximum-likelihood estimate does
//! not exist.
//!
//! # Theory
//!
//! Write `a_i = (2 y_i - 1) x~_i` with `x~_i = [x_i, 1]` (the `1` only with an intercept), so the
//! margin of row `i` at `theta` is `m_i = a_i . theta` and its log loss `log(1 + e^{-m_i})` is
//! decreasing in `m_i`. Albert & Anderson (1984, "On the existence of maximum likelihood
//! estimates in logistic regression models", Biometrika 71(1)) show that with `l2 = 0` the MLE
//! fails to exist exactly when the data are *completely separated* (some `d` has `a_i . d > 0` for
//! every row) or *quasi-completely separated* (some `d` has `a_i . d >= 0` for every row, with
//! equality for some and `A d != 0`). In both cases `d` is a direction of recession: moving along it
//! never increases any row's loss and strictly decreases at least one, so no point can be a
//! minimiser and every descent method sends `||theta||` to infinity while the objective levels off.
//!
//! # The rule used here (only when `l2 = 0`; with `l2 > 0` a minimiser always exists, except for
//! the single-class-with-intercept case handled upfront in [`super::fit`])
//!
//! Separation is reported only when a *certificate* — a direction `d` satisfying the condition
//! above — has been found and checked; the solvers' behaviour only decides where to look:
//!
//! 1. **Complete separation, every iteration.** If the current iterate classifies every row with a
//!    strictly positive margin (`min_i m_i > 0`), `d = theta` itself is a certificate. This is
//!    statsmodels' perfect-prediction check (`BinaryModel._check_perfect_pred`: all fitted
//!    probabilities equal to the labels within `np.allclose` tolerance; it then raises
//!    `PerfectSeparationError` or warns), made exact.
//! 2. **Quasi-complete separation, at geometrically spaced iterations and when the solver stops.**
//!    Under quasi-separation `theta_k ~ t_k d + c` with `t_k -> infinity`: the rows with `a_i . d > 0`
//!    get huge margins while the rest ("overlap" rows, `a_i . d = 0`) stay bounded. For several
//!    thresholds `M` the rows with `m_i > M` are set aside and `d` is taken as the projection of
//!    `theta` onto the null space of the Gram matrix of the remaining rows (so that `a_i . d = 0`
//!    on them to rounding); the certificate is accepted when `max_i a_i . d > 0` and
//!    `min_i a_i . d >= -1e-6 max_i a_i . d` over ALL rows. The displacement since the previous
//!    check is also tried as a complete-separation certificate (gradient descent approaches a
//!    separating direction only slowly).
//!    statsmodels only *warns* ("Possibly complete quasi-separation") when more than 10% of the
//!    fitted probabilities are within 1e-4 of the labels; that heuristic flags many ordinary fits,
//!    so here the heuristic threshold only proposes the candidate and the certificate decides.
//!
//! Step 2 matters because the gradient does go to zero along a recession direction: Newton or
//! L-BFGS meet a gradient tolerance of 1e-8 after the separated rows' margins reach ~20, with
//! finite but meaningless coefficients. The final check stops that from being reported as
//! convergence.

use ndarray::ArrayView1;
use ndarray::{Array1, Array2, ArrayView2};

use super::linalg::{norm2, symmetric_eigen};
use super::{centre, Point};
use crate::data::design::CsrMatrix;
use crate::fit::objective::{for_each_unit, scatter_pair_grams, Family, Objective};

mod single;
pub use single::{
    separating_features, single_feature_separation, single_feature_separation_sparse,
    SingleFeatureSeparation,
};

/// Whether all labels are equal (including no rows).
#[cfg(test)]
pub(crate) fn single_class(y: ArrayView1<f64>) -> bool {
    let mut it = y.iter().map(|&v| v > 0.5);
    match it.next() {
        None => true,
        Some(first) => it.all(|v| v == first),
    }
}

/// Whether some class has no row of positive weight (binary: all such rows share one label).
/// With an intercept there is then no finite minimiser, whatever the penalty.
pub(crate) fn missing_class(objective: &Objective) -> bool {
    let k = match objective.family() {
        Family::Binomial => 2,
        Family::Multinomial { classes } => classes,
    };
    let mut seen = vec![false; k];
    let weights = objective.weights();
    for (i, &y) in objective.y.iter().enumerate() {
        if weights.is_some_and(|s| s[i] == 0.0) {
            continue;
        }
        let class = match objective.family() {
            Family::Binomial => usize::from(y > 0.5),
            Family::Multinomial { .. } => (y as usize).min(k - 1),
        };
        seen[class] = true;
    }
    if let Some(r) = objective.reducer() {
        // Rows split among processes: a class is missing only when no process has it.
        let mut counts: Vec<f64> = seen.iter().map(|&s| f64::from(u8::from(s))).collect();
        r.sum(&mut counts);
        return counts.contains(&0.0);
    }
    seen.iter().any(|&s| !s)
}

/// The pairs `(row, other class)` whose margins the certificates constrain: one per row of
/// positive weight for binary (`other` unused), `K - 1` per such row for multinomial.
#[derive(Debug, Clone)]
struct Pairs {
    row: Vec<usize>,
    other: Vec<usize>,
}

impl Pairs {
    fn new(objective: &Objective) -> Pairs {
        let weights = objective.weights();
        let mut row = Vec::new();
        let mut other = Vec::new();
        for (i, &y) in objective.y.iter().enumerate() {
            if weights.is_some_and(|s| s[i] == 0.0) {
                continue;
            }
            match objective.family() {
                Family::Binomial => {
                    row.push(i);
                    other.push(0);
                }
                Family::Multinomial { classes } => {
                    for c in (0..classes).filter(|&c| c as f64 != y) {
                        row.push(i);
                        other.push(c);
                    }
                }
            }
        }
        Pairs { row, other }
    }
}

/// Signed margins of every pair at `theta`: `(2 y_i - 1) z_i` (binary), `z_{i y_i} - z_{ic}`
/// (multinomial).
fn pair_margins(objective: &Objective, pairs: &Pairs, theta: &[f64]) -> Vec<f64> {
    let z = objective.scores(theta);
    let y = objective.y;
    pairs
        .row
        .iter()
        .zip(&pairs.other)
        .map(|(&i, &c)| match objective.family() {
            Family::Binomial => {
                if y[i] > 0.5 {
                    z[[i, 0]]
                } else {
                    -z[[i, 0]]
                }
            }
            Family::Multinomial { .. } => z[[i, y[i] as usize]] - z[[i, c]],
        })
        .collect()
}

/// Signed margins of every pair (rows of positive weight only) at `theta`.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn margins(objective: &Objective, theta: &[f64]) -> Vec<f64> {
    pair_margins(objective, &Pairs::new(objective), theta)
}

/// Thresholds on the margin that split rows into "running off to infinity" and "overlap"
/// candidates (a margin of 3 is a fitted probability within 5% of the label, 36 within 2e-16).
const MARGIN_THRESHOLDS: [f64; 8] = [3.0, 5.0, 8.0, 12.0, 17.0, 23.0, 30.0, 36.0];
/// Eigenvalues of the overlap Gram matrix below this fraction of the largest count as zero.
const NULL_RTOL: f64 = 1e-11;
/// Largest Gram matrix the quasi-complete probe forms (step 2 is skipped beyond it: about
/// 11,500 parameters, as Newton's Hessian limit).
const MAX_PROBE_GRAM_BYTES: f64 = 1024.0 * 1024.0 * 1024.0;
/// A candidate direction may lower a margin by at most this fraction of the largest increase.
const CERTIFICATE_RTOL: f64 = 1e-6;
/// First iteration at which the (more expensive) quasi-separation probe runs; later probes
/// follow at doubling iteration counts.
const FIRST_PROBE: usize = 8;

/// Slots of the probe's Gram matrices: partial sums per group of blocks, for threads.
const GRAM_SLOTS: usize = 16;

/// Why separation was concluded.
#[derive(Debug, Clone, PartialEq)]
pub enum Certificate {
    /// `theta` (or a direction found from the iterates) has a positive margin on every row.
    Complete { direction: Vec<f64> },
    /// A direction `d` with `a_i . d >= 0` on every row and `> 0` on some.
    QuasiComplete { direction: Vec<f64> },
}

/// [`complete`] on this process's margins and, for a fit over rows split among processes, on
/// every other process's too (one reduction, so all processes take the same branch).
fn complete_everywhere(objective: &Objective, m: &[f64]) -> bool {
    agree_complete(objective, m.iter().all(|&v| v > 0.0), !m.is_empty())
}

/// Whether every margin is positive over all processes and there is at least one: `positive`
/// and `any` are this process's answers (one reduction when the rows are split).
fn agree_complete(objective: &Objective, positive: bool, any: bool) -> bool {
    match objective.reducer() {
        Some(r) => {
            let mut flags = [f64::from(u8::from(positive)), -f64::from(u8::from(any))];
            r.min(&mut flags);
            flags[0] == 1.0 && flags[1] == -1.0
        }
        None => positive && any,
    }
}

/// `v` summed over the processes (itself in one process).
fn global_sum(objective: &Objective, v: f64) -> f64 {
    let mut one = [v];
    if let Some(r) = objective.reducer() {
        r.sum(&mut one);
    }
    one[0]
}

/// `(min, max)` of `lo` and `hi` over the processes (one reduction).
fn global_min_max(objective: &Objective, lo: f64, hi: f64) -> (f64, f64) {
    let mut v = [lo, -hi];
    if let Some(r) = objective.reducer() {
        r.min(&mut v);
    }
    (v[0], -v[1])
}

/// Separation watch used by the shared solver loop (and after linfa returns). Inactive when
/// `l2 > 0`, where a finite minimiser always exists.
pub(crate) struct Monitor {
    active: bool,
    next_probe: usize,
    last_probe_theta: Option<Vec<f64>>,
    /// The constrained pairs, listed on first use.
    pairs: Option<Pairs>,
    /// `sum a a^T` over all pairs, computed on first use.
    gram_all: Option<Array2<f64>>,
    /// The first column that separates a class alone, looked for on first use.
    single: Option<Option<Vec<f64>>>,
    pub certificate: Option<Certificate>,
}

impl Monitor {
    pub fn new(objective: &Objective) -> Monitor {
        Monitor {
            active: objective.l2 == 0.0,
            next_probe: FIRST_PROBE,
            last_probe_theta: None,
            pairs: None,
            gram_all: None,
            single: None,
            certificate: None,
        }
    }

    fn margins(&mut self, objective: &Objective, theta: &[f64]) -> Vec<f64> {
        let pairs = self.pairs.get_or_insert_with(|| Pairs::new(objective));
        pair_margins(objective, pairs, theta)
    }

    /// Check at the start of iteration `iteration`; `true` = separation certified, stop.
    pub fn during(&mut self, objective: &Objective, point: &Point, iteration: usize) -> bool {
        if !self.active {
            return false;
        }
        if iteration < self.next_probe {
            // No probe due: only whether every margin is positive matters, which the first
            // non-positive margin settles (in the first block of almost any fit); over rows
            // split among processes, every process's answer.
            let (positive, any) = complete_at(objective, &point.theta);
            if agree_complete(objective, positive, any) {
                self.certificate = Some(Certificate::Complete {
                    direction: point.theta.clone(),
                });
                return true;
            }
            return false;
        }
        let m = self.margins(objective, &point.theta);
        if complete_everywhere(objective, &m) {
            self.certificate = Some(Certificate::Complete {
                direction: point.theta.clone(),
            });
            return true;
        }
        // Over rows split among processes every quantity the probe decides on (counts, the
        // overlap Gram matrix, margin extremes, column extremes) is reduced first, so every
        // process finds the same certificate after the same reductions.
        self.next_probe = iteration.saturating_mul(2);
        self.probe(objective, &point.theta, &m)
    }

    /// Final check at the point the solver stopped at.
    pub fn at_end(&mut self, objective: &Objective, point: &Point) -> bool {
        if !self.active {
            return false;
        }
        if self.certificate.is_some() {
            return true;
        }
        let m = self.margins(objective, &point.theta);
        if complete_everywhere(objective, &m) {
            self.certificate = Some(Certificate::Complete {
                direction: point.theta.clone(),
            });
            return true;
        }
        self.probe(objective, &point.theta, &m)
    }

    fn probe(&mut self, objective: &Objective, theta: &[f64], m: &[f64]) -> bool {
        // Displacement since the previous probe as a complete-separation certificate.
        if let Some(prev) = self.last_probe_theta.replace(theta.to_vec()) {
            let d: Vec<f64> = theta.iter().zip(&prev).map(|(a, b)| a - b).collect();
            if d.iter().any(|&v| v != 0.0)
                && complete_everywhere(objective, &self.margins(objective, &d))
            {
                self.certificate = Some(Certificate::Complete { direction: d });
                return true;
            }
        }
        if let Some(c) = self.quasi_certificate(objective, theta, m) {
            self.certificate = Some(c);
            return true;
        }
        // A column that separates a class alone is a certificate whatever the iterates do
        // (with many other columns the null-space projection above can miss it).
        let single = self
            .single
            .get_or_insert_with(|| single_column_certificate(objective))
            .clone();
        if let Some(direction) = single {
            let m = self.margins(objective, &direction);
            self.certificate = Some(if complete_everywhere(objective, &m) {
                Certificate::Complete { direction }
            } else {
                Certificate::QuasiComplete { direction }
            });
            return true;
        }
        false
    }

    fn quasi_certificate(
        &mut self,
        objective: &Objective,
        theta: &[f64],
        m: &[f64],
    ) -> Option<Certificate> {
        let n = global_sum(objective, m.len() as f64) as usize;
        if objective.hessian_bytes() > MAX_PROBE_GRAM_BYTES {
            // A wide (sparse) design: the Gram of the overlap rows would not fit; the
            // complete-separation and single-column certificates still run.
            return None;
        }
        let max_margin = m.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let (_, max_margin) = global_min_max(objective, f64::INFINITY, max_margin);
        if max_margin.is_nan() || max_margin <= MARGIN_THRESHOLDS[0] {
            return None;
        }
        let theta_norm = norm2(theta);
        let mut last_count = usize::MAX;
        for &threshold in &MARGIN_THRESHOLDS {
            let far: Vec<bool> = m.iter().map(|&v| v > threshold).collect();
            let n_far = far.iter().filter(|&&f| f).count();
            let n_far = global_sum(objective, n_far as f64) as usize;
            if n_far == 0 {
                break;
            }
            if n_far == last_count || n_far == n {
                last_count = n_far;
                continue;
            }
            last_count = n_far;
            let (gram, scale) = self.overlap_gram(objective, &far, n_far, n);
            let (values, vectors) = symmetric_eigen(gram.view());
            let cutoff = NULL_RTOL * scale;
            let k = theta.len();
            let mut d = vec![0.0; k];
            let mut any_null = false;
            for (j, &lambda) in values.iter().enumerate() {
                if lambda <= cutoff {
                    any_null = true;
                    let v = vectors.column(j);
                    let coef: f64 = v.iter().zip(theta).map(|(a, b)| a * b).sum();
                    for (di, vi) in d.iter_mut().zip(v.iter()) {
                        *di += coef * vi;
                    }
                }
            }
            // Class-sum directions are in every null space and move no margin.
            centre(objective, &mut d);
            if !any_null || norm2(&d) <= 1e-8 * theta_norm {
                continue;
            }
            let u = self.margins(objective, &d);
            let max_u = u.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let min_u = u.iter().cloned().fold(f64::INFINITY, f64::min);
            let (min_u, max_u) = global_min_max(objective, min_u, max_u);
            if max_u > 0.0 && min_u >= -CERTIFICATE_RTOL * max_u {
                return Some(Certificate::QuasiComplete { direction: d });
            }
        }
        None
    }

    /// Gram matrix `sum a a^T` over the pairs not marked `far`, and the size against which
    /// its eigenvalues are judged to be zero; `n_far` and `n` count the pairs of every process.
    fn overlap_gram(
        &mut self,
        objective: &Objective,
        far: &[bool],
        n_far: usize,
        n: usize,
    ) -> (Array2<f64>, f64) {
        let pairs = self
            .pairs
            .get_or_insert_with(|| Pairs::new(objective))
            .clone();
        if n_far < n / 2 {
            // Cheaper: all pairs minus the far ones. Rounding of the subtraction is relative to
            // the full Gram matrix, so judge zero eigenvalues against it.
            let all = self
                .gram_all
                .get_or_insert_with(|| pair_gram(objective, &pairs, |_| true, 1.0))
                .clone();
            let far_gram = pair_gram(objective, &pairs, |t| far[t], -1.0);
            let scale = max_abs_diag(self.gram_all.as_ref().expect("computed above"));
            (all + far_gram, scale)
        } else {
            let g = pair_gram(objective, &pairs, |t| !far[t], 1.0);
            let scale = max_abs_diag(&g);
            (g, scale)
        }
    }
}

/// Whether every margin of this process is positive, and whether it has any, at `theta`,
/// without forming every margin: scores block by block, stopping at the first pair (rows of
/// positive weight) whose margin is not positive.
fn complete_at(objective: &Objective, theta: &[f64]) -> (bool, bool) {
    let n = objective.n_rows();
    let k = objective.n_scores();
    let kp = k * objective.n_features();
    let w = &theta[..kp];
    let b = if objective.fit_intercept {
        theta[kp..].to_vec()
    } else {
        vec![0.0; k]
    };
    let design = objective.design();
    // The blocks `Objective::scores` uses, so every score is the one it computes.
    let rows = design.block_rows(objective.exec.block_rows).max(1);
    let weights = objective.weights();
    let y = objective.y;
    let mut z = vec![0.0; rows * k];
    let mut any_pair = false;
    for start in (0..n).step_by(rows) {
        let end = (start + rows).min(n);
        let z = &mut z[..(end - start) * k];
        design.scores_block(objective.exec.kernel, start..end, w, &b, z);
        for (i, zi) in (start..end).zip(z.chunks_exact(k.max(1))) {
            if weights.is_some_and(|s| s[i] == 0.0) {
                continue;
            }
            let positive = match objective.family() {
                Family::Binomial => {
                    any_pair = true;
                    let m = if y[i] > 0.5 { zi[0] } else { -zi[0] };
                    m > 0.0
                }
                Family::Multinomial { .. } => {
                    let c_y = y[i] as usize;
                    let mut all = true;
                    for (c, &zc) in zi.iter().enumerate() {
                        if c as f64 != y[i] {
                            any_pair = true;
                            all &= zi[c_y] - zc > 0.0;
                        }
                    }
                    all
                }
            };
            if !positive {
                return (false, true);
            }
        }
    }
    (true, any_pair)
}

fn max_abs_diag(g: &Array2<f64>) -> f64 {
    (0..g.nrows()).map(|i| g[[i, i]].abs()).fold(0.0, f64::max)
}

/// `sign * sum_{pairs t: include(t)} a_t a_t^T` in `theta`'s layout, through the design's
/// weighted Gram blocks: per row, the class-pair weights of
/// `sum_c (e_y - e_c)(e_y - e_c)^T` over its included pairs (binary: 1 per included row).
fn pair_gram(
    objective: &Objective,
    pairs: &Pairs,
    include: impl Fn(usize) -> bool,
    sign: f64,
) -> Array2<f64> {
    let n = objective.n_rows();
    let k = objective.n_scores();
    let p = objective.n_features();
    let q = p + usize::from(objective.fit_intercept);
    let class_pairs = k * (k + 1) / 2;
    // Offset of class pair (c, c2), c <= c2, in the row-major upper triangle.
    let offset = |c: usize, c2: usize| c * k - c * (c + 1) / 2 + c2;
    let mut d = vec![0.0; n * class_pairs];
    for (t, (&i, &c)) in pairs.row.iter().zip(&pairs.other).enumerate() {
        if !include(t) {
            continue;
        }
        let row = &mut d[i * class_pairs..(i + 1) * class_pairs];
        match objective.family() {
            Family::Binomial => row[0] += sign,
            Family::Multinomial { .. } => {
                let y = objective.y[i] as usize;
                row[offset(y, y)] += sign;
                row[offset(c, c)] += sign;
                row[offset(y.min(c), y.max(c))] -= sign;
            }
        }
    }
    let cells = class_pairs * q * q;
    let rows = objective.exec.block_rows.max(1);
    let design = objective.design();
    // A fixed partition of the blocks into slots (a function of the shape only), summed in slot
    // order, shared among threads: the same matrix whatever the number of threads.
    let n_blocks = n.div_ceil(rows);
    let slots = n_blocks.clamp(1, GRAM_SLOTS);
    let blocks_per_slot = n_blocks.div_ceil(slots).max(1);
    let slots = n_blocks.div_ceil(blocks_per_slot).max(1);
    let mut partials = vec![0.0; slots * cells];
    let work = |first_slot: usize, out: &mut [f64]| {
        for (t, slot) in out.chunks_mut(cells).enumerate() {
            let first_block = (first_slot + t) * blocks_per_slot;
            let last_block = (first_block + blocks_per_slot).min(n_blocks);
            for block in first_block..last_block {
                let start = block * rows;
                let end = (start + rows).min(n);
                design.add_gram_block(
                    objective.exec.kernel,
                    start..end,
                    &d[start * class_pairs..end * class_pairs],
                    class_pairs,
                    objective.fit_intercept,
                    slot,
                );
            }
        }
    };
    let threads = objective.exec.threads_for(n * class_pairs * q * q / 2);
    for_each_unit(threads, slots, cells, &mut partials, work);
    let mut total = vec![0.0; cells];
    for part in partials.chunks(cells) {
        for (t, v) in total.iter_mut().zip(part) {
            *t += v;
        }
    }
    if let Some(r) = objective.reducer() {
        r.sum(&mut total);
    }
    scatter_pair_grams(&total, k, p, objective.fit_intercept, 1.0)
}

/// A direction of recession along one column that separates one class from the rest by
/// itself (binary: the classes), in `theta`'s layout; see [`single_feature_separation`].
fn single_column_certificate(objective: &Objective) -> Option<Vec<f64>> {
    let n = objective.n_rows();
    let p = objective.n_features();
    let weights = objective.weights();
    let design = objective.design();
    let all_count = weights.is_none_or(|s| s.iter().all(|&v| v != 0.0));
    let classes = match objective.family() {
        Family::Binomial => 2,
        Family::Multinomial { classes } => classes,
    };
    if let (Some(r), None) = (objective.reducer(), design.as_sparse()) {
        // Rows split among processes: the check on every process's label extremes.
        let (m, labels) = reduced_label_extremes(design, objective.y, weights, classes, r);
        return certificate_from(objective, m.view(), labels);
    }
    if let Some((x, shift)) = design.as_sparse() {
        return sparse_certificate(objective, x, shift);
    }
    // The rows that count: the design itself when it is dense and every row counts (no copy),
    // otherwise a dense copy of those rows.
    let copy;
    let (x, y) = match design.as_dense() {
        Some(x) if all_count => (x, objective.y.to_vec()),
        // Neither dense nor sparse (the out-of-core design, which cannot be copied): the check
        // only looks at each label's minimum and maximum per column, so it runs on a matrix
        // of those, two rows per label present, gathered row by row.
        None => {
            let (m, labels) = label_extremes(design, objective.y, weights);
            copy = m;
            (copy.view(), labels)
        }
        Some(_) => {
            let keep: Vec<usize> = (0..n)
                .filter(|&i| !weights.is_some_and(|s| s[i] == 0.0))
                .collect();
            let mut m = Array2::zeros((keep.len(), p));
            for (r, &i) in keep.iter().enumerate() {
                design.row_into(i, m.row_mut(r).as_slice_mut().expect("contiguous row"));
            }
            copy = m;
            (copy.view(), keep.iter().map(|&i| objective.y[i]).collect())
        }
    };
    certificate_from(objective, x, y)
}

/// [`single_column_certificate`] on the rows `x` with labels `y` (all the rows, or a matrix
/// with each label's column extremes).
fn certificate_from(objective: &Objective, x: ArrayView2<f64>, y: Vec<f64>) -> Option<Vec<f64>> {
    let p = objective.n_features();
    let intercept = objective.fit_intercept;
    match objective.family() {
        Family::Binomial => {
            let labels = Array1::from(y);
            single_feature_separation(x, labels.view(), intercept)
                .first()
                .map(|s| s.direction(objective.n_params()))
        }
        Family::Multinomial { classes: k } => (0..k).find_map(|class| {
            let labels =
                Array1::from_iter(y.iter().map(|&v| f64::from(u8::from(v == class as f64))));
            let s = *single_feature_separation(x, labels.view(), intercept).first()?;
            let binary = s.direction(p + usize::from(intercept));
            let mut d = vec![0.0; objective.n_params()];
            d[class * p..(class + 1) * p].copy_from_slice(&binary[..p]);
            if intercept {
                d[k * p + class] = binary[p];
            }
            centre(objective, &mut d);
            Some(d)
        }),
    }
}

/// [`label_extremes`] over the rows of every process: the extremes of each label `0..classes`
/// reduced (one reduction), labels without a row anywhere left out.
fn reduced_label_extremes(
    design: &dyn crate::data::design::Design,
    y: ArrayView1<f64>,
    weights: Option<ArrayView1<f64>>,
    classes: usize,
    reducer: &dyn crate::fit::reduce::Reduce,
) -> (Array2<f64>, Vec<f64>) {
    let p = design.n_cols();
    let (local, labels) = label_extremes(design, y, weights);
    // [low of label 0, -high of label 0, low of label 1, ...], +inf where absent here.
    let mut v = vec![f64::INFINITY; 2 * classes * p];
    for (k, &label) in labels.iter().step_by(2).enumerate() {
        let c = label as usize;
        if c < classes {
            for j in 0..p {
                v[2 * c * p + j] = local[[2 * k, j]];
                v[(2 * c + 1) * p + j] = -local[[2 * k + 1, j]];
            }
        }
    }
    reducer.min(&mut v);
    let present: Vec<usize> = (0..classes)
        .filter(|&c| v[2 * c * p..(2 * c + 1) * p].iter().all(|l| l.is_finite()))
        .collect();
    let mut m = Array2::zeros((2 * present.len(), p));
    let mut out = Vec::with_capacity(2 * present.len());
    for (k, &c) in present.iter().enumerate() {
        for j in 0..p {
            m[[2 * k, j]] = v[2 * c * p + j];
            m[[2 * k + 1, j]] = -v[(2 * c + 1) * p + j];
        }
        out.extend([c as f64; 2]);
    }
    (m, out)
}

/// Per label value (in increasing order) two rows: the columns' minima and maxima over the
/// rows of that label with non-zero weight; and the labels of those rows.
fn label_extremes(
    design: &dyn crate::data::design::Design,
    y: ArrayView1<f64>,
    weights: Option<ArrayView1<f64>>,
) -> (Array2<f64>, Vec<f64>) {
    let (n, p) = (design.n_rows(), design.n_cols());
    let mut extremes: Vec<(f64, Vec<f64>, Vec<f64>)> = Vec::new();
    let mut row = vec![0.0; p];
    for i in 0..n {
        if weights.is_some_and(|s| s[i] == 0.0) {
            continue;
        }
        let label = y[i];
        let at = match extremes.iter().position(|e| e.0 == label) {
            Some(at) => at,
            None => {
                extremes.push((label, vec![f64::INFINITY; p], vec![f64::NEG_INFINITY; p]));
                extremes.len() - 1
            }
        };
        design.row_into(i, &mut row);
        let (_, low, high) = &mut extremes[at];
        for ((l, h), &v) in low.iter_mut().zip(high.iter_mut()).zip(&row) {
            *l = l.min(v);
            *h = h.max(v);
        }
    }
    extremes.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut m = Array2::zeros((2 * extremes.len(), p));
    let mut labels = Vec::with_capacity(2 * extremes.len());
    for (k, (label, low, high)) in extremes.iter().enumerate() {
        m.row_mut(2 * k)
            .iter_mut()
            .zip(low)
            .for_each(|(o, v)| *o = *v);
        m.row_mut(2 * k + 1)
            .iter_mut()
            .zip(high)
            .for_each(|(o, v)| *o = *v);
        labels.extend([*label; 2]);
    }
    (m, labels)
}

/// [`single_column_certificate`] on a sparse design (no dense copy): the rows of weight 0 are
/// left out by selecting the others.
fn sparse_certificate(objective: &Objective, x: &CsrMatrix, shift: &[f64]) -> Option<Vec<f64>> {
    let weights = objective.weights();
    let keep: Option<Vec<usize>> = weights
        .filter(|s| s.iter().any(|&v| v == 0.0))
        .map(|s| (0..s.len()).filter(|&i| s[i] != 0.0).collect());
    let selected;
    let (x, y): (&CsrMatrix, Array1<f64>) = match &keep {
        None => (x, objective.y.to_owned()),
        Some(rows) => {
            selected = x.select_rows(rows);
            (&selected, rows.iter().map(|&i| objective.y[i]).collect())
        }
    };
    let (p, intercept) = (objective.n_features(), objective.fit_intercept);
    match objective.family() {
        Family::Binomial => single_feature_separation_sparse(x, shift, y.view(), intercept)
            .first()
            .map(|s| s.direction(objective.n_params())),
        Family::Multinomial { classes: k } => (0..k).find_map(|class| {
            let labels = y.mapv(|v| f64::from(u8::from(v == class as f64)));
            let s =
                *single_feature_separation_sparse(x, shift, labels.view(), intercept).first()?;
            let binary = s.direction(p + usize::from(intercept));
            let mut d = vec![0.0; objective.n_params()];
            d[class * p..(class + 1) * p].copy_from_slice(&binary[..p]);
            if intercept {
                d[k * p + class] = binary[p];
            }
            centre(objective, &mut d);
            Some(d)
        }),
    }
}

#[cfg(test)]
mod tests;

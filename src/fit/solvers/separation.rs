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

use ndarray::{Array2, ArrayView1, Axis};

use super::linalg::{norm2, symmetric_eigen};
use super::Point;
use crate::fit::objective::Objective;

mod single;
pub use single::{separating_features, single_feature_separation, SingleFeatureSeparation};

/// Whether all labels are equal (including no rows).
pub(crate) fn single_class(y: ArrayView1<f64>) -> bool {
    let mut it = y.iter().map(|&v| v > 0.5);
    match it.next() {
        None => true,
        Some(first) => it.all(|v| v == first),
    }
}

/// Signed margins `m_i = (2 y_i - 1) x~_i . theta`.
fn margins(objective: &Objective, theta: &[f64]) -> Vec<f64> {
    objective
        .scores(theta)
        .iter()
        .zip(objective.y.iter())
        .map(|(&z, &y)| if y > 0.5 { z } else { -z })
        .collect()
}

/// Thresholds on the margin that split rows into "running off to infinity" and "overlap"
/// candidates (a margin of 3 is a fitted probability within 5% of the label, 36 within 2e-16).
const MARGIN_THRESHOLDS: [f64; 8] = [3.0, 5.0, 8.0, 12.0, 17.0, 23.0, 30.0, 36.0];
/// Eigenvalues of the overlap Gram matrix below this fraction of the largest count as zero.
const NULL_RTOL: f64 = 1e-11;
/// A candidate direction may lower a margin by at most this fraction of the largest increase.
const CERTIFICATE_RTOL: f64 = 1e-6;
/// First iteration at which the (more expensive) quasi-separation probe runs; later probes
/// follow at doubling iteration counts.
const FIRST_PROBE: usize = 8;

/// Why separation was concluded.
#[derive(Debug, Clone, PartialEq)]
pub enum Certificate {
    /// `theta` (or a direction found from the iterates) has a positive margin on every row.
    Complete { direction: Vec<f64> },
    /// A direction `d` with `a_i . d >= 0` on every row and `> 0` on some.
    QuasiComplete { direction: Vec<f64> },
}

/// Separation watch used by the shared solver loop (and after linfa returns). Inactive when
/// `l2 > 0`, where a finite minimiser always exists.
pub(crate) struct Monitor {
    active: bool,
    next_probe: usize,
    last_probe_theta: Option<Vec<f64>>,
    /// `X~^T X~`, computed on first use.
    gram_all: Option<Array2<f64>>,
    /// The first column that separates the classes alone, looked for on first use.
    single: Option<Option<SingleFeatureSeparation>>,
    pub certificate: Option<Certificate>,
}

impl Monitor {
    pub fn new(objective: &Objective) -> Monitor {
        Monitor {
            active: objective.l2 == 0.0,
            next_probe: FIRST_PROBE,
            last_probe_theta: None,
            gram_all: None,
            single: None,
            certificate: None,
        }
    }

    /// Check at the start of iteration `iteration`; `true` = separation certified, stop.
    pub fn during(&mut self, objective: &Objective, point: &Point, iteration: usize) -> bool {
        if !self.active {
            return false;
        }
        let m = margins(objective, &point.theta);
        if complete(&m) {
            self.certificate = Some(Certificate::Complete {
                direction: point.theta.clone(),
            });
            return true;
        }
        if iteration >= self.next_probe {
            self.next_probe = iteration.saturating_mul(2);
            return self.probe(objective, &point.theta, &m);
        }
        false
    }

    /// Final check at the point the solver stopped at.
    pub fn at_end(&mut self, objective: &Objective, point: &Point) -> bool {
        if !self.active {
            return false;
        }
        if self.certificate.is_some() {
            return true;
        }
        let m = margins(objective, &point.theta);
        if complete(&m) {
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
            if d.iter().any(|&v| v != 0.0) && complete(&margins(objective, &d)) {
                self.certificate = Some(Certificate::Complete { direction: d });
                return true;
            }
        }
        if let Some(c) = self.quasi_certificate(objective, theta, m) {
            self.certificate = Some(c);
            return true;
        }
        // A column that separates the classes alone is a certificate whatever the iterates do
        // (with many other columns the null-space projection above can miss it).
        let single = *self.single.get_or_insert_with(|| {
            single_feature_separation(objective.x, objective.y, objective.fit_intercept)
                .first()
                .copied()
        });
        if let Some(s) = single {
            let direction = s.direction(objective.n_params());
            self.certificate = Some(if s.complete() {
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
        let n = m.len();
        let max_margin = m.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        if max_margin.is_nan() || max_margin <= MARGIN_THRESHOLDS[0] {
            return None;
        }
        let theta_norm = norm2(theta);
        let mut last_count = usize::MAX;
        for &threshold in &MARGIN_THRESHOLDS {
            let far: Vec<bool> = m.iter().map(|&v| v > threshold).collect();
            let n_far = far.iter().filter(|&&f| f).count();
            if n_far == 0 {
                break;
            }
            if n_far == last_count || n_far == n {
                last_count = n_far;
                continue;
            }
            last_count = n_far;
            let (gram, scale) = self.overlap_gram(objective, &far, n_far);
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
            if !any_null || norm2(&d) <= 1e-8 * theta_norm {
                continue;
            }
            let u = margins(objective, &d);
            let max_u = u.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let min_u = u.iter().cloned().fold(f64::INFINITY, f64::min);
            if max_u > 0.0 && min_u >= -CERTIFICATE_RTOL * max_u {
                return Some(Certificate::QuasiComplete { direction: d });
            }
        }
        None
    }

    /// Gram matrix `sum x~_i x~_i^T` over the rows not marked `far`, and the size against which
    /// its eigenvalues are judged to be zero.
    fn overlap_gram(
        &mut self,
        objective: &Objective,
        far: &[bool],
        n_far: usize,
    ) -> (Array2<f64>, f64) {
        let k = objective.n_params();
        let n = far.len();
        if n_far < n / 2 {
            // Cheaper: all rows minus the far ones. Rounding of the subtraction is relative to the
            // full Gram matrix, so judge zero eigenvalues against it.
            let all = self
                .gram_all
                .get_or_insert_with(|| gram(objective, |_| true))
                .clone();
            let mut g = all;
            accumulate(objective, &mut g, |i| far[i], -1.0);
            let scale = max_abs_diag(self.gram_all.as_ref().expect("computed above"));
            (g, scale)
        } else {
            let g = gram(objective, |i| !far[i]);
            let scale = max_abs_diag(&g);
            debug_assert_eq!(g.nrows(), k);
            (g, scale)
        }
    }
}

fn complete(m: &[f64]) -> bool {
    !m.is_empty() && m.iter().all(|&v| v > 0.0)
}

fn max_abs_diag(g: &Array2<f64>) -> f64 {
    (0..g.nrows()).map(|i| g[[i, i]].abs()).fold(0.0, f64::max)
}

fn gram(objective: &Objective, include: impl Fn(usize) -> bool) -> Array2<f64> {
    let k = objective.n_params();
    let mut g = Array2::zeros((k, k));
    accumulate(objective, &mut g, include, 1.0);
    g
}

/// `g += sign * sum_{i: include(i)} x~_i x~_i^T`.
fn accumulate(
    objective: &Objective,
    g: &mut Array2<f64>,
    include: impl Fn(usize) -> bool,
    sign: f64,
) {
    let p = objective.n_features();
    let k = objective.n_params();
    let mut row = vec![1.0; k];
    for (i, xi) in objective.x.axis_iter(Axis(0)).enumerate() {
        if !include(i) {
            continue;
        }
        for (r, &v) in row.iter_mut().zip(xi.iter()) {
            *r = v;
        }
        debug_assert!(p == k || row[p] == 1.0);
        for a in 0..k {
            let ra = sign * row[a];
            if ra == 0.0 {
                continue;
            }
            for b in 0..k {
                g[[a, b]] += ra * row[b];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_data;
    use super::super::{fit, FitOptions, SolverKind, StopReason};
    use super::*;
    use ndarray::{array, Array1};
    use std::time::{Duration, Instant};

    /// Quasi-complete separation by one count column (`y = 1` wherever `actdays > 3`, mixed at
    /// 3), as in the VietNamI data, among many overlapping columns, raw or standardised: the
    /// certificate exists at any point, even before the first iteration, and every solver stops
    /// with it.
    #[test]
    fn one_separating_count_column_among_many_is_certified() {
        let n = 400;
        let p = 12;
        let mut unif = rng(0x51_7cc1_b727_220a);
        let mut x = Array2::zeros((n, p));
        let mut y = Array1::zeros(n);
        let counts = [0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 3.0, 4.0, 7.0, 14.0];
        for i in 0..n {
            for j in 1..p {
                x[[i, j]] = unif() * 2.0 - 1.0;
            }
            let act = counts[(unif() * counts.len() as f64) as usize];
            x[[i, 0]] = act;
            y[i] = if act > 3.0 {
                1.0
            } else if act < 3.0 {
                0.0
            } else {
                f64::from(u8::from(unif() < 0.5 + 0.4 * x[[i, 1]]))
            };
        }
        let mut standardised = x.clone();
        standardise(&mut standardised);
        for (design, what) in [(&x, "raw"), (&standardised, "standardised")] {
            let found = single_feature_separation(design.view(), y.view(), true);
            assert_eq!(found.len(), 1, "{what}");
            assert!(!found[0].complete() && found[0].feature == 0, "{what}");
            let obj = Objective::new(design.view(), y.view(), 0.0, true);
            let start = Point::at(&obj, vec![0.0; p + 1]);
            let mut monitor = Monitor::new(&obj);
            assert!(monitor.at_end(&obj, &start), "{what}");
            let Some(Certificate::QuasiComplete { direction }) = monitor.certificate else {
                panic!("{what}: {:?}", monitor.certificate);
            };
            // The certificate's defining property: no margin decreases, some increase.
            let m = margins(&obj, &direction);
            assert!(
                m.iter().all(|&v| v >= 0.0) && m.iter().any(|&v| v > 0.0),
                "{what}"
            );
            for kind in SolverKind::ALL {
                let f = fit(&obj, &FitOptions::with_solver(kind)).unwrap();
                assert_eq!(
                    f.report.stop_reason,
                    StopReason::Separation,
                    "{what}, {kind}"
                );
                assert!(!f.report.converged && f.theta.iter().all(|v| v.is_finite()));
            }
        }
    }

    #[test]
    fn single_class_means_all_labels_equal() {
        assert!(single_class(array![1.0, 1.0, 1.0].view()));
        assert!(single_class(Array1::<f64>::zeros(0).view()));
        assert!(!single_class(array![0.0, 0.0, 1.0, 1.0].view()));
    }

    #[test]
    fn breast_cancer_columns_do_not_separate_alone() {
        // The set is separable only by a combination of columns.
        let d = test_data::breast_cancer();
        assert!(separating_features(d.x.view(), d.y.view()).is_empty());
        let s = test_data::spector();
        assert!(separating_features(s.x.view(), s.y.view()).is_empty());
    }

    fn assert_separation_quickly(x: &Array2<f64>, y: &Array1<f64>, intercept: bool, what: &str) {
        let obj = Objective::new(x.view(), y.view(), 0.0, intercept);
        for kind in SolverKind::ALL {
            let start = Instant::now();
            let f = fit(&obj, &FitOptions::with_solver(kind)).unwrap();
            let took = start.elapsed();
            eprintln!(
                "SEP {what} {kind}: {:?} iterations={} took={took:?} |theta|={:.1}",
                f.report.stop_reason,
                f.report.iterations,
                f.theta.iter().map(|v| v * v).sum::<f64>().sqrt()
            );
            assert_eq!(
                f.report.stop_reason,
                StopReason::Separation,
                "{what}, {kind}: {:?}",
                f.report
            );
            assert!(!f.report.converged);
            // Unloaded, the slowest case (10^4 rows) takes < 1.5 s; the bound leaves room for a
            // busy CI machine.
            assert!(took < Duration::from_secs(10), "{what}, {kind}: {took:?}");
            assert!(f.theta.iter().all(|v| v.is_finite()));
        }
    }

    #[test]
    fn complete_separation_toy_data_all_solvers() {
        let x = array![[-2.0], [-1.0], [-0.5], [0.5], [1.0], [2.0]];
        let y = array![0.0, 0.0, 0.0, 1.0, 1.0, 1.0];
        assert_separation_quickly(&x, &y, true, "1-d complete");
        assert_separation_quickly(&x, &y, false, "1-d complete, no intercept");
        // Separated by a combination of two columns only.
        let x2 = array![
            [1.0, 0.0],
            [0.0, 1.0],
            [2.0, -0.5],
            [-1.0, 2.5],
            [0.0, -1.0],
            [-1.0, 0.0],
            [-2.0, 0.5],
            [1.0, -2.5]
        ];
        let y2 = array![1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0];
        assert!(separating_features(x2.view(), y2.view()).is_empty());
        assert_separation_quickly(&x2, &y2, true, "2-d complete");
    }

    #[test]
    fn quasi_complete_separation_toy_data_all_solvers() {
        // x <= 0 -> y = 0, x >= 0 -> y = 1, with both labels at x = 0 (Albert & Anderson's
        // quasi-complete case): the slope diverges, the intercept stays finite.
        let x = array![[-2.0], [-1.0], [0.0], [0.0], [0.0], [0.0], [1.0], [2.0]];
        let y = array![0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0];
        assert_separation_quickly(&x, &y, true, "1-d quasi-complete");
        // A second, overlapping feature plus the separating one.
        let x2 = array![
            [-1.0, 0.3],
            [-2.0, -1.0],
            [0.0, 0.5],
            [0.0, -0.7],
            [0.0, 1.2],
            [0.0, 0.1],
            [0.0, -0.4],
            [1.5, 0.9],
            [0.5, -0.2]
        ];
        let y2 = array![0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0];
        assert_separation_quickly(&x2, &y2, true, "2-d quasi-complete");
    }

    #[test]
    fn separable_real_data_without_penalty() {
        // breast_cancer is separable (by a combination of its 30 columns).
        let d = test_data::breast_cancer();
        let obj = d.objective(0.0);
        for kind in SolverKind::ALL {
            let start = Instant::now();
            let f = fit(&obj, &FitOptions::with_solver(kind)).unwrap();
            eprintln!(
                "SEP breast_cancer {kind}: {:?} iterations={} took={:?}",
                f.report.stop_reason,
                f.report.iterations,
                start.elapsed()
            );
            assert_eq!(
                f.report.stop_reason,
                StopReason::Separation,
                "{kind}: {:?}",
                f.report
            );
            assert!(start.elapsed() < Duration::from_secs(10));
        }
    }

    #[test]
    fn large_separable_data_stops_in_bounded_time() {
        // 10^4 rows, 5 features, separated by a combination of columns with a small margin.
        let n = 10_000;
        let p = 5;
        let mut x = Array2::zeros((n, p));
        let mut y = Array1::zeros(n);
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut unif = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        };
        for i in 0..n {
            for j in 0..p {
                x[[i, j]] = unif();
            }
            let s = x[[i, 0]] + 0.5 * x[[i, 1]] - 0.25 * x[[i, 2]];
            y[i] = if s > 0.0 { 1.0 } else { 0.0 };
        }
        assert_separation_quickly(&x, &y, true, "10^4 rows");
    }

    #[test]
    fn no_separation_reported_on_overlapping_data() {
        for d in [test_data::spector(), test_data::pima()] {
            let obj = d.objective(0.0);
            let mut monitor = Monitor::new(&obj);
            let f = fit(&obj, &FitOptions::with_solver(SolverKind::Newton)).unwrap();
            let point = Point::at(&obj, f.theta.clone());
            assert!(!monitor.at_end(&obj, &point), "{}", d.name);
            assert_eq!(f.report.stop_reason, StopReason::Converged);
        }
    }

    /// Deterministic pseudo-random numbers in [0, 1) (xorshift64).
    fn rng(seed: u64) -> impl FnMut() -> f64 {
        let mut state = seed;
        move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    fn standardise(x: &mut Array2<f64>) {
        let n = x.nrows() as f64;
        for mut col in x.columns_mut() {
            let mean = col.sum() / n;
            let sd = (col.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt();
            if sd > 0.0 {
                col.mapv_inplace(|v| (v - mean) / sd);
            }
        }
    }

    /// Small random problems, many of them (quasi-)separated: every solver reaches the same
    /// verdict, and when one exists the same optimum. Rows whose binary feature level has a single
    /// label are quasi-complete separation (Albert & Anderson) and must be reported as such.
    #[test]
    fn solvers_agree_on_random_small_problems() {
        let mut unif = rng(0x9e37_79b9_7f4a_7c15);
        let mut separated = 0;
        for case in 0..300 {
            let n = 4 + (unif() * 40.0) as usize;
            let p = 1 + (unif() * 4.0) as usize;
            let binary = unif() < 0.4;
            let mut x = Array2::zeros((n, p));
            for i in 0..n {
                for j in 0..p {
                    x[[i, j]] = if binary && j == 0 {
                        f64::from(u8::from(unif() < 0.2))
                    } else {
                        unif() * 2.0 - 1.0
                    };
                }
            }
            let noise = unif() + 0.01;
            let y = Array1::from_iter((0..n).map(|i| {
                let s = 3.0 * x[[i, 0]] - if p > 1 { x[[i, 1]] } else { 0.0 };
                f64::from(u8::from(unif() < 1.0 / (1.0 + (-s / noise).exp())))
            }));
            if single_class(y.view()) {
                continue;
            }
            let pure_level = binary
                && [0.0, 1.0].iter().any(|&level| {
                    let labels: Vec<f64> = (0..n)
                        .filter(|&i| x[[i, 0]] == level)
                        .map(|i| y[i])
                        .collect();
                    !labels.is_empty() && labels.iter().all(|&l| l == labels[0])
                });
            let obj = Objective::new(x.view(), y.view(), 0.0, true);
            let fits: Vec<_> = SolverKind::ALL
                .into_iter()
                .map(|k| fit(&obj, &FitOptions::with_solver(k)).unwrap())
                .collect();
            let sep = fits[0].report.stop_reason == StopReason::Separation;
            for f in &fits {
                assert_eq!(
                    f.report.stop_reason == StopReason::Separation,
                    sep,
                    "case {case}: {:?}",
                    f.report
                );
            }
            if pure_level {
                assert!(sep, "case {case}: quasi-complete separation missed");
            }
            if sep {
                separated += 1;
            } else {
                for f in &fits[..3] {
                    assert!(f.report.converged, "case {case}: {:?}", f.report);
                    let scale = fits[2].theta.iter().map(|v| v.abs()).fold(1.0, f64::max);
                    let diff = f
                        .theta
                        .iter()
                        .zip(&fits[2].theta)
                        .map(|(a, b)| (a - b).abs())
                        .fold(0.0, f64::max);
                    assert!(
                        diff <= 1e-5 * scale,
                        "case {case}: {:?} differs by {diff}",
                        f.report.solver
                    );
                }
            }
        }
        assert!(separated > 50, "{separated}");
    }

    /// 10^4 overlapping rows plus a rare indicator level whose rows are all positive: quasi-complete
    /// separation (the indicator's coefficient diverges) on realistic data, found in bounded time;
    /// without the indicator the same data converge normally.
    #[test]
    fn quasi_separation_on_large_data() {
        let n = 10_000;
        let p = 4;
        let mut unif = rng(0x2545_f491_4f6c_dd1d);
        let mut x = Array2::zeros((n, p + 1));
        let mut y = Array1::zeros(n);
        for i in 0..n {
            for j in 0..p {
                x[[i, j]] = unif() * 2.0 - 1.0;
            }
            let s = x[[i, 0]] - 0.5 * x[[i, 1]];
            y[i] = f64::from(u8::from(unif() < 1.0 / (1.0 + (-2.0 * s).exp())));
        }
        let mut marked = 0;
        for i in 0..n {
            if y[i] == 1.0 && marked < 20 {
                x[[i, p]] = 1.0;
                marked += 1;
            }
        }
        standardise(&mut x);
        let overlap = x.slice(ndarray::s![.., ..p]).to_owned();
        let obj = Objective::new(overlap.view(), y.view(), 0.0, true);
        for kind in [SolverKind::Lbfgs, SolverKind::Newton, SolverKind::Gd] {
            let f = fit(&obj, &FitOptions::with_solver(kind)).unwrap();
            assert!(f.report.converged, "{kind}: {:?}", f.report);
        }
        assert_separation_quickly(&x, &y, true, "10^4 rows, quasi-complete");
    }
}

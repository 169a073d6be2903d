//! Issue 10, CORE: the coordinate-descent solver and the regularisation path through the
//! library API, against glmnet's reference fits (tests/fixtures/l1/*.expected.json, made by
//! R glmnet 4.1-6 at thresh 1e-24; see /shared/reference/l1/README.md) and against the
//! optimality conditions.

use std::path::{Path, PathBuf};

use logit::data::design::Scaler;
use logit::fit::objective::Objective;
use logit::fit::path::{
    default_lambda_min_ratio, fit_path, lambda_max, lambda_sequence, PathOptions,
};
use logit::fit::solvers::{fit, fit_from, FitError, FitOptions, SolverKind, StopReason};
use ndarray::{Array1, Array2};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/l1")
        .join(name)
}

/// A case: standardised design (training mean, population std), labels, the reference file.
struct Case {
    x: Array2<f64>,
    y: Array1<f64>,
    expected: Value,
}

fn case(name: &str) -> Case {
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture(&format!("{name}.expected.json"))).unwrap(),
    )
    .unwrap();
    let positive = expected["positive"].as_str().unwrap().to_string();
    let text = std::fs::read_to_string(fixture(&format!("{name}_train.csv"))).unwrap();
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let p = lines.next().unwrap().split(',').count() - 1;
    let (mut values, mut y) = (Vec::new(), Vec::new());
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        for c in &cells[..p] {
            values.push(c.trim().parse::<f64>().unwrap());
        }
        y.push(f64::from(u8::from(cells[p].trim() == positive)));
    }
    let mut x = Array2::from_shape_vec((y.len(), p), values).unwrap();
    let scaler = Scaler::fit(x.view(), true);
    for (j, m) in expected["train_mean"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let m = m.as_f64().unwrap();
        assert!((scaler.mean[j] - m).abs() <= 1e-12 * m.abs().max(1.0));
    }
    scaler.apply(&mut x);
    Case {
        x,
        y: Array1::from(y),
        expected,
    }
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn bools(v: &Value) -> Vec<bool> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_bool().unwrap())
        .collect()
}

fn cd() -> FitOptions {
    FitOptions::with_solver(SolverKind::Cd)
}

/// Every fixed (l1, l2) pair of both shared cases: coefficients (standardised) within 1e-7,
/// objective within 1e-10, the exact zero pattern (no shared fixed fit has a fragile entry).
#[test]
fn fixed_pairs_match_glmnet() {
    for name in ["pima", "breast_cancer"] {
        let c = case(name);
        for pair in c.expected["fits"].as_array().unwrap() {
            let (l1, l2) = (pair["l1"].as_f64().unwrap(), pair["l2"].as_f64().unwrap());
            let obj = Objective::new(c.x.view(), c.y.view(), 0.0, true).with_penalty(l1, l2);
            let f = fit(&obj, &cd()).unwrap();
            assert!(f.report.converged, "{name} {l1} {l2}: {:?}", f.report);
            let coef = floats(&pair["coefficients_standardized"]);
            let p = coef.len();
            let b = pair["intercept_standardized"].as_f64().unwrap();
            let worst = coef
                .iter()
                .zip(&f.theta)
                .map(|(a, b)| (a - b).abs())
                .fold((f.theta[p] - b).abs(), f64::max);
            let objective = pair["objective"].as_f64().unwrap();
            eprintln!(
                "{name} l1={l1} l2={l2}: {} iterations, subgradient {:.1e}, max|coef diff| {worst:.1e}, objective diff {:.1e}",
                f.report.iterations,
                f.report.gradient_norm,
                (f.report.objective - objective).abs()
            );
            assert!(
                worst <= 1e-7,
                "{name} {l1} {l2}: coefficients off by {worst:e}"
            );
            assert!((f.report.objective - objective).abs() <= 1e-10);
            let zero = bools(&pair["zero"]);
            let fragile = bools(&pair["fragile"]);
            for j in 0..p {
                if !fragile[j] {
                    assert_eq!(
                        f.theta[j] == 0.0,
                        zero[j],
                        "{name} {l1} {l2}: coefficient {j}"
                    );
                }
            }
        }
    }
}

fn path_options(alpha: f64, early_stop: bool) -> PathOptions {
    PathOptions {
        alpha,
        fit: cd(),
        early_stop,
    }
}

/// glmnet's default sequences (alpha 1, 0.5 and 0, the last through the 1e-3 floor): the first
/// ten values within 1e-12 relative; lambda_max itself is the first.
#[test]
fn default_sequences_match_glmnet() {
    let c = case("pima");
    let obj = Objective::new(c.x.view(), c.y.view(), 0.0, true);
    let (n, p) = c.x.dim();
    assert_eq!(default_lambda_min_ratio(n, p), 1e-4);
    assert_eq!(default_lambda_min_ratio(3, 4), 1e-2);
    for (alpha, key) in [
        (1.0, "default_alpha1_first10"),
        (0.5, "default_alpha05_first10"),
        (0.0, "default_alpha0_first10"),
    ] {
        let lmax = lambda_max(&obj, alpha);
        let seq = lambda_sequence(lmax, 100, default_lambda_min_ratio(n, p));
        assert_eq!(seq.len(), 100);
        assert_eq!(seq[0], lmax);
        assert!((seq[99] - 1e-4 * lmax).abs() <= 1e-12 * lmax);
        for (got, want) in seq.iter().zip(floats(&c.expected["path"][key])) {
            assert!(
                (got - want).abs() <= 1e-12 * want,
                "alpha {alpha}: {got} against {want}"
            );
        }
    }
}

/// The lasso path at glmnet's own lambdas: standardised coefficients within 1e-7, objectives
/// within 1e-10, the non-fragile zero pattern exactly and the non-zero counts; with the default
/// sequence and the early stop, glmnet's 60 lambdas.
#[test]
fn pima_lasso_path_matches_glmnet() {
    let c = case("pima");
    let obj = Objective::new(c.x.view(), c.y.view(), 0.0, true);
    let path = &c.expected["path"];
    let lambdas = floats(&path["lambdas"]);
    let mut calls = Vec::new();
    let points = fit_path(
        &obj,
        &lambdas,
        &path_options(1.0, false),
        &mut |i, total| calls.push((i, total)),
    )
    .unwrap();
    assert_eq!(points.len(), lambdas.len());
    assert_eq!(
        calls,
        (0..lambdas.len())
            .map(|i| (i, lambdas.len()))
            .collect::<Vec<_>>()
    );
    let mut worst = 0.0f64;
    for (point, want) in points.iter().zip(path["fits"].as_array().unwrap()) {
        assert_eq!(point.lambda, want["lambda"].as_f64().unwrap());
        assert_eq!((point.l1, point.l2), (point.lambda, 0.0));
        assert!(point.fit.report.converged, "{:?}", point.fit.report);
        let coef = floats(&want["coefficients_standardized"]);
        let p = coef.len();
        for (a, b) in coef.iter().zip(&point.fit.theta) {
            worst = worst.max((a - b).abs());
        }
        let objective = want["objective"].as_f64().unwrap();
        assert!(
            (point.fit.report.objective - objective).abs() <= 1e-10,
            "lambda {}: objective {} against {objective}",
            point.lambda,
            point.fit.report.objective
        );
        let zero = bools(&want["zero"]);
        let fragile = bools(&want["fragile"]);
        for j in 0..p {
            if !fragile[j] {
                assert_eq!(
                    point.fit.theta[j] == 0.0,
                    zero[j],
                    "lambda {}: {j}",
                    point.lambda
                );
            }
        }
        let nonzero = point.fit.theta[..p].iter().filter(|v| **v != 0.0).count();
        assert_eq!(point.nonzero, nonzero);
        if !fragile.iter().any(|f| *f) {
            assert_eq!(nonzero as u64, want["nonzero"].as_u64().unwrap());
        }
        let dev = obj.deviance(&point.fit.theta);
        assert!(
            (point.deviance - dev).abs() <= 1e-12,
            "{} {dev}",
            point.deviance
        );
    }
    eprintln!("pima path: max|coef diff| {worst:.1e}");
    assert!(worst <= 1e-7, "path coefficients off by {worst:e}");
    // The first point is the null model: deviance ratio 0.
    assert!(
        points[0].dev_ratio.abs() <= 1e-12,
        "{}",
        points[0].dev_ratio
    );
    assert!(points
        .windows(2)
        .all(|w| w[1].dev_ratio >= w[0].dev_ratio - 1e-12));

    let (n, p) = c.x.dim();
    let seq = lambda_sequence(lambda_max(&obj, 1.0), 100, default_lambda_min_ratio(n, p));
    let stopped = fit_path(&obj, &seq, &path_options(1.0, true), &mut |_, _| {}).unwrap();
    assert_eq!(
        stopped.len() as u64,
        path["checks"]["n_lambda_returned"].as_u64().unwrap()
    );
}

/// The smooth solvers refuse an L1 penalty, naming --l1 and pointing to cd.
#[test]
fn smooth_solvers_refuse_l1() {
    let c = case("pima");
    let obj = Objective::new(c.x.view(), c.y.view(), 0.0, true).with_penalty(0.01, 0.0);
    for kind in [
        SolverKind::Lbfgs,
        SolverKind::Gd,
        SolverKind::Newton,
        SolverKind::Linfa,
    ] {
        let e = fit(&obj, &FitOptions::with_solver(kind)).unwrap_err();
        assert!(matches!(e, FitError::L1NotSupported { solver } if solver == kind));
        let text = e.to_string();
        assert!(
            text.contains("--l1") && text.contains("--solver cd") && text.contains(kind.as_str()),
            "{text}"
        );
    }
    let bad = Objective::new(c.x.view(), c.y.view(), 0.0, true).with_penalty(-1.0, 0.0);
    let e = fit(&bad, &cd()).unwrap_err().to_string();
    assert!(e.starts_with("--l1 must be"), "{e}");
    let start = vec![0.0; 3];
    assert!(fit_from(&obj, &cd(), &start, &mut |_| {}).is_err());
    let _ = StopReason::Converged;
}

/// A random problem: `n x p` standard-normal-ish design (some columns informative), labels
/// from a logistic / softmax model, optional weights in [0, 3) (some exactly 0).
struct Random {
    x: Array2<f64>,
    y: Array1<f64>,
    s: Option<Array1<f64>>,
    classes: usize,
}

/// xorshift64*: a tiny deterministic generator, so a seed fixes the problem.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        // Sum of uniforms: close enough to normal for a design.
        (0..6).map(|_| self.next()).sum::<f64>() - 3.0
    }
}

fn random(seed: u64, n: usize, p: usize, classes: usize, weighted: bool) -> Random {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let x = Array2::from_shape_fn((n, p), |_| rng.normal());
    let k = if classes == 2 { 1 } else { classes };
    let truth: Vec<f64> = (0..k * p)
        .map(|i| if i % p < 3 { 1.5 * rng.normal() } else { 0.0 })
        .collect();
    let y = (0..n)
        .map(|i| {
            let z: Vec<f64> = (0..k)
                .map(|c| (0..p).map(|j| truth[c * p + j] * x[[i, j]]).sum())
                .collect();
            let u = rng.next();
            if k == 1 {
                f64::from(u8::from(u < 1.0 / (1.0 + (-z[0]).exp())))
            } else {
                let m = z.iter().cloned().fold(f64::MIN, f64::max);
                let e: Vec<f64> = z.iter().map(|v| (v - m).exp()).collect();
                let total: f64 = e.iter().sum();
                let mut acc = 0.0;
                let mut label = k - 1;
                for (c, v) in e.iter().enumerate() {
                    acc += v / total;
                    if u < acc {
                        label = c;
                        break;
                    }
                }
                label as f64
            }
        })
        .collect::<Array1<f64>>();
    let s = weighted.then(|| {
        (0..n)
            .map(|_| {
                let v = 3.0 * rng.next();
                if v < 0.3 {
                    0.0
                } else {
                    v
                }
            })
            .collect::<Array1<f64>>()
    });
    Random { x, y, s, classes }
}

impl Random {
    fn objective(&self) -> Objective<'_> {
        let obj = if self.classes == 2 {
            Objective::new(self.x.view(), self.y.view(), 0.0, true)
        } else {
            Objective::multinomial(self.x.view(), self.y.view(), self.classes, 0.0, true)
        };
        match &self.s {
            Some(s) => obj.with_weights(s.view()),
            None => obj,
        }
    }
}

/// The optimality conditions at a returned solution, from the objective's own gradient
/// (independent of the solver's column arithmetic).
fn assert_kkt(obj: &Objective, theta: &[f64], what: &str) {
    let g = obj.gradient(theta);
    let kp = obj.n_scores() * obj.n_features();
    let eps = 1e-9;
    for (j, (&w, &gj)) in theta.iter().zip(g.iter()).enumerate() {
        if j >= kp {
            assert!(gj.abs() <= eps, "{what}: intercept gradient {gj:e}");
        } else if w == 0.0 {
            assert!(
                gj.abs() <= obj.l1 + eps,
                "{what}: zero {j} with |g| {} > l1 {}",
                gj.abs(),
                obj.l1
            );
        } else {
            let r = gj + obj.l1 * w.signum();
            assert!(
                r.abs() <= eps,
                "{what}: non-zero {j} with g + l1 sign(w) = {r:e}"
            );
        }
    }
    assert!(obj.subgradient_norm(theta, g.as_slice().unwrap()) <= 1e-10 + 1e-13);
}

/// KKT conditions at every returned solution: binomial and multinomial, with and without
/// weights, lasso and elastic net, several seeds and penalties (fractions of lambda_max).
#[test]
fn kkt_conditions_hold_on_random_problems() {
    let mut checked = 0;
    for seed in 1..=4u64 {
        for classes in [2, 3] {
            for weighted in [false, true] {
                let data = random(seed, 120 + 20 * seed as usize, 8, classes, weighted);
                let base = data.objective();
                for alpha in [1.0, 0.5] {
                    let lmax = lambda_max(&base, alpha);
                    for fraction in [0.5, 0.1, 0.01] {
                        let lambda = fraction * lmax;
                        let obj = base.with_penalty(alpha * lambda, (1.0 - alpha) * lambda);
                        let f = fit(&obj, &cd()).unwrap();
                        let what = format!(
                            "seed {seed} classes {classes} weighted {weighted} alpha {alpha} fraction {fraction}"
                        );
                        assert!(f.report.converged, "{what}: {:?}", f.report);
                        assert!(f.report.gradient_norm <= 1e-10);
                        assert!((f.report.objective - obj.value(&f.theta)).abs() <= 1e-13);
                        assert_kkt(&obj, &f.theta, &what);
                        if classes > 2 {
                            let b = &f.theta[obj.n_scores() * obj.n_features()..];
                            assert!(b.iter().sum::<f64>().abs() <= 1e-12, "{what}: {b:?}");
                        }
                        checked += 1;
                    }
                }
            }
        }
    }
    assert_eq!(checked, 96);
}

/// Above lambda_max (alpha = 1) every coefficient is 0; just below it one is not. Binomial and
/// multinomial, weighted.
#[test]
fn lambda_max_is_the_first_all_zero_penalty() {
    for classes in [2, 4] {
        let data = random(7, 200, 6, classes, true);
        let base = data.objective();
        let lmax = lambda_max(&base, 1.0);
        let kp = base.n_scores() * base.n_features();
        let at = fit(&base.with_penalty(lmax * (1.0 + 1e-9), 0.0), &cd()).unwrap();
        assert!(at.report.converged);
        assert!(at.theta[..kp].iter().all(|v| *v == 0.0), "{:?}", at.theta);
        let below = fit(&base.with_penalty(lmax * (1.0 - 1e-3), 0.0), &cd()).unwrap();
        assert!(below.report.converged);
        assert!(below.theta[..kp].iter().any(|v| *v != 0.0));
        // alpha scales it; the floor at 1e-3 keeps alpha = 0 finite.
        assert!((lambda_max(&base, 0.5) - 2.0 * lmax).abs() <= 1e-12 * lmax);
        assert!((lambda_max(&base, 0.0) - 1e3 * lmax).abs() <= 1e-9 * lmax);
    }
}

/// With l1 = 0, cd is a Newton-CD method for the L2 problem and agrees with L-BFGS.
#[test]
fn cd_agrees_with_lbfgs_without_l1() {
    for (classes, weighted, l2) in [
        (2, false, 1e-3),
        (2, true, 0.05),
        (3, false, 1e-2),
        (3, true, 1e-3),
    ] {
        let data = random(11, 300, 7, classes, weighted);
        let obj = data.objective().with_penalty(0.0, l2);
        let a = fit(&obj, &cd()).unwrap();
        let b = fit(&obj, &FitOptions::with_solver(SolverKind::Lbfgs)).unwrap();
        assert!(a.report.converged && b.report.converged);
        let rel = (a.report.objective - b.report.objective).abs() / b.report.objective;
        assert!(rel <= 1e-12, "classes {classes}: objectives {rel:e} apart");
        let worst = a
            .theta
            .iter()
            .zip(&b.theta)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max);
        assert!(
            worst <= 1e-7,
            "classes {classes}: coefficients {worst:e} apart"
        );
    }
    // The reference fits of the solver tests (l1 = l2 = 0 included).
    let c = case("pima");
    let obj = Objective::new(c.x.view(), c.y.view(), 0.0, true);
    let a = fit(&obj, &cd()).unwrap();
    let b = fit(&obj, &FitOptions::with_solver(SolverKind::Newton)).unwrap();
    assert!(a.report.converged, "{:?}", a.report);
    assert!((a.report.objective - b.report.objective).abs() <= 1e-12 * b.report.objective);
}

/// Warm starts reach the same optimum as a cold start.
#[test]
fn warm_start_reaches_the_same_optimum() {
    let data = random(5, 250, 9, 3, true);
    let base = data.objective();
    let lmax = lambda_max(&base, 1.0);
    let obj = base.with_penalty(0.05 * lmax, 0.0);
    let cold = fit(&obj, &cd()).unwrap();
    let start = fit(&base.with_penalty(0.2 * lmax, 0.0), &cd())
        .unwrap()
        .theta;
    let mut seen = 0;
    let warm = fit_from(&obj, &cd(), &start, &mut |_| seen += 1).unwrap();
    assert!(warm.report.converged && seen >= 1);
    let worst = cold
        .theta
        .iter()
        .zip(&warm.theta)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max);
    assert!(worst <= 1e-8, "{worst:e}");
    assert_kkt(&obj, &warm.theta, "warm");
}

/// The same fit and path, bit for bit, for 1, 2 and 3 threads and every kernel this CPU runs.
#[test]
fn fits_and_paths_do_not_depend_on_threads_or_kernel() {
    use logit::data::design::Kernel;
    use logit::fit::objective::{Exec, BLOCK_ROWS};
    for classes in [2, 3] {
        let data = random(3, 400, 12, classes, true);
        let base = data.objective();
        let lmax = lambda_max(&base, 0.8);
        let lambdas = lambda_sequence(lmax, 12, 0.01);
        let run = |exec: Exec| {
            let obj = base.with_exec(exec);
            let single = fit(&obj.with_penalty(0.03 * lmax, 0.01), &cd()).unwrap();
            let path = fit_path(&obj, &lambdas, &path_options(0.8, false), &mut |_, _| {}).unwrap();
            let mut bits: Vec<u64> = single.theta.iter().map(|v| v.to_bits()).collect();
            bits.push(single.report.objective.to_bits());
            for point in &path {
                assert!(point.fit.report.converged);
                bits.extend(point.fit.theta.iter().map(|v| v.to_bits()));
                bits.push(point.fit.report.objective.to_bits());
                bits.push(point.deviance.to_bits());
            }
            bits
        };
        let reference = run(Exec::reference());
        for kernel in Kernel::ALL.into_iter().filter(|k| k.supported()) {
            for threads in 1..=3 {
                let exec = Exec {
                    threads: Some(threads),
                    block_rows: BLOCK_ROWS,
                    kernel,
                };
                assert!(
                    run(exec) == reference,
                    "classes {classes}, {kernel:?}, {threads} threads"
                );
            }
        }
    }
}

/// A weighted multinomial elastic-net path: every point satisfies the optimality conditions,
/// the non-zero counts grow from 0 and the intercepts stay centred.
#[test]
fn multinomial_weighted_path_is_optimal_at_every_lambda() {
    let data = random(9, 300, 10, 3, true);
    let base = data.objective();
    let lambdas = lambda_sequence(lambda_max(&base, 0.7), 15, 0.01);
    let points = fit_path(&base, &lambdas, &path_options(0.7, false), &mut |_, _| {}).unwrap();
    assert_eq!(points.len(), 15);
    assert_eq!(points[0].nonzero, 0);
    assert!(points[14].nonzero > 0);
    for point in &points {
        assert!(point.fit.report.converged, "{:?}", point.fit.report);
        let obj = base.with_penalty(point.l1, point.l2);
        assert_kkt(&obj, &point.fit.theta, &format!("lambda {}", point.lambda));
        assert!((point.l1 - 0.7 * point.lambda).abs() <= 1e-15 * point.lambda);
    }
}

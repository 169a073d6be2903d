//! Issue 11, SPARSE-LIB: the sparse design (CSR values scaled in place, centring folded in
//! implicitly) through the library API. Every fit on a forced sparse design must equal the
//! dense centred fit of the same data (probabilities 1e-12, objective 1e-14 relative): every
//! solver, both families, weights (with zeros), L1 / elastic net, without an intercept, on a
//! regularisation path, and for every thread count, block size and kernel (sparse fits are then
//! bit-identical among themselves).

use std::path::Path;

use logit::data::design::{CsrDesign, CsrMatrix, DenseDesign, Design, Kernel, Scaler};
use logit::fit::objective::{Exec, Family, Objective};
use logit::fit::path::{fit_path, PathOptions};
use logit::fit::solvers::{fit, FitError, FitOptions, SolverKind, StopReason};
use ndarray::{Array1, Array2};

/// The reference data sets: the shared pima / breast_cancer training sets (dense, stored as
/// CSR) and a one-hot heavy table (sparse for real).
fn read_csv(name: &str) -> (Array2<f64>, Array1<f64>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/l1")
        .join(name);
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let p = lines.next().unwrap().split(',').count() - 1;
    let (mut values, mut labels) = (Vec::new(), Vec::new());
    for line in lines {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        values.extend(cells[..p].iter().map(|c| c.parse::<f64>().unwrap()));
        labels.push(cells[p].to_string());
    }
    // The first label seen is the negative class (pima: 0/1, breast cancer: its two labels).
    let first = labels[0].clone();
    let y = labels
        .iter()
        .map(|l| f64::from(u8::from(*l != first)))
        .collect();
    (
        Array2::from_shape_vec((labels.len(), p), values).unwrap(),
        y,
    )
}

/// 640 rows: a 40-level one-hot column, a 12-level one, two numeric columns (one of them with
/// many zeros) and labels from a logistic model (binary) or three classes.
fn one_hot(classes: usize) -> (Array2<f64>, Array1<f64>) {
    let n = 640;
    let p = 40 + 12 + 2;
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut x = Array2::zeros((n, p));
    let mut y = Array1::zeros(n);
    for i in 0..n {
        let a = (next() * 40.0) as usize;
        let b = (next() * 12.0) as usize;
        x[[i, a]] = 1.0;
        x[[i, 40 + b]] = 1.0;
        x[[i, 52]] = 3.0 * next() - 1.0;
        x[[i, 53]] = if next() < 0.7 { 0.0 } else { 10.0 + next() };
        let z = 0.08 * a as f64 - 1.5 + 0.3 * (b % 3) as f64 + 0.8 * x[[i, 52]];
        let u = next();
        y[i] = if classes == 2 {
            f64::from(u8::from(u < 1.0 / (1.0 + (-z).exp())))
        } else {
            ((z + 2.0 + 2.0 * u) as usize).min(classes - 1) as f64
        };
    }
    (x, y)
}

fn weights(n: usize) -> Array1<f64> {
    Array1::from_shape_fn(n, |i| match i % 9 {
        0 => 0.0,
        4 => 3.0,
        _ => 0.5 + (i % 4) as f64 * 0.25,
    })
}

/// One problem, both ways.
struct Pair {
    dense: Array2<f64>,
    csr: CsrMatrix,
    shift: Vec<f64>,
    y: Array1<f64>,
    w: Option<Array1<f64>>,
}

fn pair(x: &Array2<f64>, y: &Array1<f64>, w: Option<Array1<f64>>, center: bool) -> Pair {
    let scaler = Scaler::fit_weighted(x.view(), center, w.as_ref().map(|w| w.view()));
    let mut dense = x.clone();
    scaler.apply(&mut dense);
    let mut csr = CsrMatrix::from_dense(x.view());
    let sparse_scaler = Scaler::fit_weighted_sparse(&csr, center, w.as_ref().map(|w| w.view()));
    assert_eq!(sparse_scaler.mean, scaler.mean, "the means, bit for bit");
    for (a, b) in sparse_scaler.std.iter().zip(&scaler.std) {
        assert!((a - b).abs() <= 1e-14 * b, "std {a} vs {b}");
    }
    sparse_scaler.apply_sparse(&mut csr);
    Pair {
        dense,
        csr,
        shift: sparse_scaler.shift(),
        y: y.clone(),
        w,
    }
}

/// Settings of one fit.
#[derive(Clone, Copy)]
struct Setting {
    family: Family,
    l1: f64,
    l2: f64,
    intercept: bool,
    solver: SolverKind,
}

fn objective<'a>(design: &'a dyn Design, p: &'a Pair, s: Setting) -> Objective<'a> {
    let obj = Objective::with_design(design, p.y.view(), s.family, s.l2, s.intercept)
        .with_penalty(s.l1, s.l2);
    match &p.w {
        Some(w) => obj.with_weights(w.view()),
        None => obj,
    }
}

fn options(solver: SolverKind) -> FitOptions {
    FitOptions {
        tol: match solver {
            SolverKind::Linfa => 1e-8,
            _ => 1e-12,
        },
        max_iter: Some(20_000),
        ..FitOptions::with_solver(solver)
    }
}

/// Row-major probabilities of every class (binary: the positive class).
fn probabilities(obj: &Objective, theta: &[f64]) -> Vec<f64> {
    let z = obj.scores(theta);
    match obj.family() {
        Family::Binomial => z.iter().map(|v| 1.0 / (1.0 + (-v).exp())).collect(),
        Family::Multinomial { .. } => z
            .rows()
            .into_iter()
            .flat_map(|r| {
                let m = r.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let e: Vec<f64> = r.iter().map(|v| (v - m).exp()).collect();
                let total: f64 = e.iter().sum();
                e.into_iter().map(move |v| v / total)
            })
            .collect(),
    }
}

/// Fits both designs and checks they agree; returns the sparse fit's parameters.
fn check(p: &Pair, s: Setting, what: &str) -> Vec<f64> {
    let dd = DenseDesign::new(p.dense.view());
    let sd = CsrDesign::new(&p.csr, p.shift.clone());
    let (od, os) = (objective(&dd, p, s), objective(&sd, p, s));
    let opts = options(s.solver);
    let fd = fit(&od, &opts).unwrap_or_else(|e| panic!("{what}: dense: {e}"));
    let fs = fit(&os, &opts).unwrap_or_else(|e| panic!("{what}: sparse: {e}"));
    if s.solver != SolverKind::Linfa {
        assert!(
            fd.report.converged,
            "{what}: dense {:?}",
            fd.report.stop_reason
        );
        assert!(
            fs.report.converged,
            "{what}: sparse {:?}",
            fs.report.stop_reason
        );
    }
    // The same function: equal values at the same point.
    let (vd, vs) = (od.value(&fd.theta), os.value(&fd.theta));
    assert!(
        (vd - vs).abs() <= 1e-14 * vd.abs(),
        "{what}: objective at one point {vd} vs {vs}"
    );
    // The same minimiser.
    let (vd, vs) = (od.value(&fd.theta), os.value(&fs.theta));
    let rtol = if s.solver == SolverKind::Linfa {
        1e-12
    } else {
        1e-14
    };
    assert!(
        (vd - vs).abs() <= rtol * vd.abs(),
        "{what}: objective {vd} vs {vs}"
    );
    let (pd, ps) = (probabilities(&od, &fd.theta), probabilities(&os, &fs.theta));
    // Newton and cd converge quadratically: both fits reach the optimum to rounding. The
    // first-order solvers stop anywhere within `tol` of it, and rounding sends the two runs to
    // different such points (1e-12 to 1e-10 apart in probabilities here).
    let ptol = match s.solver {
        SolverKind::Newton | SolverKind::Cd => 1e-12,
        SolverKind::Lbfgs | SolverKind::Gd | SolverKind::Adam => 1e-9,
        SolverKind::Linfa => 1e-7,
    };
    let worst = pd
        .iter()
        .zip(&ps)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(worst <= ptol, "{what}: probabilities differ by {worst:e}");
    fs.theta
}

fn setting(family: Family, solver: SolverKind) -> Setting {
    Setting {
        family,
        l1: 0.0,
        l2: 1e-3,
        intercept: true,
        solver,
    }
}

const SMOOTH: [SolverKind; 4] = [
    SolverKind::Lbfgs,
    SolverKind::Newton,
    SolverKind::Gd,
    SolverKind::Cd,
];

#[test]
fn every_solver_fits_the_reference_data_alike() {
    for name in ["pima_train.csv", "breast_cancer_train.csv"] {
        let (x, y) = read_csv(name);
        let plain = pair(&x, &y, None, true);
        for solver in SMOOTH {
            if solver == SolverKind::Gd && name.starts_with("breast") {
                continue; // gradient descent needs ~10^5 iterations on this conditioning
            }
            let s = setting(Family::Binomial, solver);
            check(&plain, s, &format!("{name} {solver:?}"));
        }
        let s = setting(Family::Binomial, SolverKind::Linfa);
        check(&plain, s, &format!("{name} linfa"));
        // Weights with zeros, and the elastic net by cd.
        let weighted = pair(&x, &y, Some(weights(y.len())), true);
        for solver in [SolverKind::Lbfgs, SolverKind::Newton, SolverKind::Cd] {
            let s = setting(Family::Binomial, solver);
            check(&weighted, s, &format!("{name} weighted {solver:?}"));
        }
        let s = Setting {
            l1: 0.01,
            ..setting(Family::Binomial, SolverKind::Cd)
        };
        check(&weighted, s, &format!("{name} weighted l1"));
    }
}

#[test]
fn one_hot_designs_fit_alike_binary_and_multinomial() {
    let (x, y) = one_hot(2);
    let (x3, y3) = one_hot(3);
    let three = Family::Multinomial { classes: 3 };
    for center in [true, false] {
        for w in [None, Some(weights(y.len()))] {
            let p = pair(&x, &y, w.clone(), center);
            let p3 = pair(&x3, &y3, w.clone(), center);
            let tag = format!("center {center} weighted {}", w.is_some());
            for solver in SMOOTH {
                let s = Setting {
                    intercept: center,
                    ..setting(Family::Binomial, solver)
                };
                check(&p, s, &format!("binary {tag} {solver:?}"));
                if solver != SolverKind::Gd {
                    let s = Setting {
                        intercept: center,
                        ..setting(three, solver)
                    };
                    check(&p3, s, &format!("multinomial {tag} {solver:?}"));
                }
            }
            for (family, data) in [(Family::Binomial, &p), (three, &p3)] {
                let s = Setting {
                    l1: 0.004,
                    l2: 0.001,
                    intercept: center,
                    ..setting(family, SolverKind::Cd)
                };
                let theta = check(data, s, &format!("{family:?} {tag} l1"));
                let k = family.n_scores();
                let zeros = theta[..k * 54].iter().filter(|&&v| v == 0.0).count();
                assert!(zeros > 0, "{tag}: the L1 fit has zero coefficients");
            }
        }
    }
    // Unpenalised: some levels hold one class only, and the separation monitor finds it on the
    // sparse design as on the dense one (without a dense copy).
    let p = pair(&x, &y, None, true);
    let dd = DenseDesign::new(p.dense.view());
    let sd = CsrDesign::new(&p.csr, p.shift.clone());
    for solver in [SolverKind::Newton, SolverKind::Lbfgs] {
        let s = Setting {
            l2: 0.0,
            ..setting(Family::Binomial, solver)
        };
        let fd = fit(&objective(&dd, &p, s), &options(solver)).unwrap();
        let fs = fit(&objective(&sd, &p, s), &options(solver)).unwrap();
        assert_eq!(fd.report.stop_reason, StopReason::Separation, "{solver:?}");
        assert_eq!(fs.report.stop_reason, StopReason::Separation, "{solver:?}");
    }
}

#[test]
fn sparse_fits_do_not_depend_on_threads_blocks_or_kernels() {
    let (x, y) = one_hot(3);
    let p = pair(&x, &y, Some(weights(y.len())), true);
    let sd = CsrDesign::new(&p.csr, p.shift.clone());
    for solver in [SolverKind::Lbfgs, SolverKind::Newton, SolverKind::Cd] {
        let s = Setting {
            l1: if solver == SolverKind::Cd { 0.002 } else { 0.0 },
            ..setting(Family::Multinomial { classes: 3 }, solver)
        };
        for block_rows in [256, 7] {
            let mut reference: Option<Vec<f64>> = None;
            for kernel in Kernel::ALL.into_iter().filter(|k| k.supported()) {
                for threads in [1, 2, 3] {
                    let exec = Exec {
                        threads: Some(threads),
                        block_rows,
                        kernel,
                    };
                    let obj = objective(&sd, &p, s).with_exec(exec);
                    let theta = fit(&obj, &options(solver)).unwrap().theta;
                    match &reference {
                        None => reference = Some(theta),
                        Some(r) => assert!(
                            *r == theta,
                            "{solver:?} {} threads {threads} blocks {block_rows}",
                            kernel.name()
                        ),
                    }
                }
            }
        }
    }
}

#[test]
fn regularisation_paths_agree() {
    let (x, y) = one_hot(2);
    let p = pair(&x, &y, Some(weights(y.len())), true);
    let dd = DenseDesign::new(p.dense.view());
    let sd = CsrDesign::new(&p.csr, p.shift.clone());
    let s = setting(Family::Binomial, SolverKind::Cd);
    let lambdas = [0.05, 0.02, 0.01, 0.005, 0.002, 0.001];
    let opts = PathOptions {
        alpha: 0.9,
        fit: options(SolverKind::Cd),
        early_stop: false,
    };
    let run = |design: &dyn Design| {
        fit_path(&objective(design, &p, s), &lambdas, &opts, &mut |_, _| {}).unwrap()
    };
    let (a, b) = (run(&dd), run(&sd));
    assert_eq!(a.len(), b.len());
    let obj = objective(&sd, &p, s);
    for (u, v) in a.iter().zip(&b) {
        assert!((u.deviance - v.deviance).abs() <= 1e-13 * u.deviance);
        let (pu, pv) = (
            probabilities(&obj, &u.fit.theta),
            probabilities(&obj, &v.fit.theta),
        );
        let worst = pu
            .iter()
            .zip(&pv)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(worst <= 1e-12, "lambda {}: {worst:e}", u.lambda);
    }
}

#[test]
fn linfa_refuses_a_sparse_design_too_large_to_densify() {
    // 400,000 x 1,000,000 with one entry per row: 3 GiB dense.
    let n = 400_000;
    let csr = CsrMatrix::new(
        n,
        1_000_000,
        (0..=n).collect(),
        (0..n as u32).map(|i| i * 2).collect(),
        vec![1.0; n],
    )
    .unwrap();
    let y = Array1::from_shape_fn(n, |i| (i % 2) as f64);
    let design = CsrDesign::new(&csr, vec![0.0; 1_000_000]);
    let obj = Objective::with_design(&design, y.view(), Family::Binomial, 1.0, true);
    match fit(&obj, &FitOptions::with_solver(SolverKind::Linfa)) {
        Err(FitError::LinfaUnavailable(msg)) => {
            assert!(
                msg.contains("GiB dense") && msg.contains("--solver"),
                "{msg}"
            )
        }
        other => panic!("expected a refusal, got {:?}", other.map(|f| f.report)),
    }
}

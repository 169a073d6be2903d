use super::super::test_data;
use super::super::{fit, FitOptions, SolverKind, StopReason};
use super::*;
use ndarray::{array, Array1};

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
        let f = fit(&obj, &FitOptions::with_solver(kind)).unwrap();
        assert_eq!(
            f.report.stop_reason,
            StopReason::Separation,
            "{what}, {kind}: {:?}",
            f.report
        );
        assert!(!f.report.converged);
        // Stopped by the monitor, well before the iteration cap (no wall-clock bound: timed
        // tests are flaky on shared machines).
        let cap = FitOptions::with_solver(kind).effective_max_iter();
        assert!(
            f.report.iterations < cap / 2,
            "{what}, {kind}: {:?}",
            f.report
        );
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
        let f = fit(&obj, &FitOptions::with_solver(kind)).unwrap();
        assert_eq!(
            f.report.stop_reason,
            StopReason::Separation,
            "{kind}: {:?}",
            f.report
        );
        let cap = FitOptions::with_solver(kind).effective_max_iter();
        assert!(f.report.iterations < cap / 2, "{kind}: {:?}", f.report);
    }
}

#[test]
fn large_separable_data_stops_early() {
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

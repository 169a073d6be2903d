//! The objective of every family against mathematics: central finite differences, direct sums,
//! duplicated rows, and the same bits whatever the threads, blocks and kernel.

use super::*;
use crate::fit::numerics::Kernel;
use ndarray::{Array1, Array2};
use proptest::prelude::*;

/// A small problem: design, labels (binary or class indices), weights, l2, theta, intercept.
#[derive(Debug, Clone)]
struct Problem {
    x: Array2<f64>,
    y: Array1<f64>,
    s: Option<Array1<f64>>,
    family: Family,
    l2: f64,
    theta: Vec<f64>,
    intercept: bool,
}

impl Problem {
    fn objective(&self) -> Objective<'_> {
        let obj =
            Objective::with_design(&self.x, self.y.view(), self.family, self.l2, self.intercept);
        match &self.s {
            Some(s) => obj.with_weights(s.view()),
            None => obj,
        }
    }
}

/// Random small problems of either family, with or without weights (some of them 0).
fn problem() -> impl Strategy<Value = Problem> {
    (
        2usize..8,
        1usize..4,
        any::<bool>(),
        0.0f64..0.5,
        1usize..5,
        any::<bool>(),
    )
        .prop_flat_map(|(n, p, intercept, l2, k, weighted)| {
            let family = if k == 1 {
                Family::Binomial
            } else {
                Family::Multinomial { classes: k + 1 }
            };
            let scores = family.n_scores();
            let n_params = scores * (p + usize::from(intercept));
            (
                proptest::collection::vec(-2.0f64..2.0, n * p),
                proptest::collection::vec(0..scores.max(2), n),
                proptest::collection::vec(prop_oneof![Just(0.0), 0.1f64..3.0], n),
                proptest::collection::vec(-3.0f64..3.0, n_params),
            )
                .prop_map(move |(xs, ys, ws, theta)| {
                    let x = Array2::from_shape_vec((n, p), xs).unwrap();
                    let y = Array1::from_iter(ys.into_iter().map(|v| v as f64));
                    // Keep the weight sum positive.
                    let mut ws = ws;
                    ws[0] += 0.5;
                    let s = weighted.then(|| Array1::from(ws));
                    Problem {
                        x,
                        y,
                        s,
                        family,
                        l2,
                        theta,
                        intercept,
                    }
                })
        })
}

/// Value, gradient and Hessian by direct summation over rows, with the scalar reference loss.
fn naive(pr: &Problem) -> (f64, Vec<f64>, Array2<f64>) {
    let (n, p) = pr.x.dim();
    let k = pr.family.n_scores();
    let np = k * (p + usize::from(pr.intercept));
    let idx = |c: usize, a: usize| if a < p { c * p + a } else { k * p + c };
    let (mut value, mut grad, mut h) = (0.0, vec![0.0; np], Array2::zeros((np, np)));
    let total: f64 = pr.s.as_ref().map_or(n as f64, |s| s.sum());
    for i in 0..n {
        let si = pr.s.as_ref().map_or(1.0, |s| s[i]);
        if si == 0.0 {
            continue;
        }
        let mut x1 = pr.x.row(i).to_vec();
        if pr.intercept {
            x1.push(1.0);
        }
        let z: Vec<f64> = (0..k)
            .map(|c| (0..x1.len()).map(|a| x1[a] * pr.theta[idx(c, a)]).sum())
            .collect();
        // r = d loss / d z, c = d^2 loss / d z d z.
        let (loss, r, curv) = match pr.family {
            Family::Binomial => {
                let y = pr.y[i];
                let s = numerics::sigmoid(z[0]);
                (
                    numerics::log_loss(y, z[0]),
                    vec![s - y],
                    vec![vec![numerics::sigmoid_derivative(z[0])]],
                )
            }
            Family::Multinomial { .. } => {
                let y = pr.y[i] as usize;
                let mut prob = vec![0.0; k];
                loss::softmax(&z, &mut prob);
                let r = (0..k)
                    .map(|c| prob[c] - f64::from(u8::from(c == y)))
                    .collect();
                let curv = (0..k)
                    .map(|c| {
                        (0..k)
                            .map(|c2| {
                                if c == c2 {
                                    prob[c] - prob[c] * prob[c2]
                                } else {
                                    -prob[c] * prob[c2]
                                }
                            })
                            .collect()
                    })
                    .collect();
                (loss::softmax_loss(y, &z), r, curv)
            }
        };
        value += si * loss;
        for c in 0..k {
            for a in 0..x1.len() {
                grad[idx(c, a)] += si * r[c] * x1[a];
                for c2 in 0..k {
                    for a2 in 0..x1.len() {
                        h[[idx(c, a), idx(c2, a2)]] += si * curv[c][c2] * x1[a] * x1[a2];
                    }
                }
            }
        }
    }
    value /= total;
    grad.iter_mut().for_each(|g| *g /= total);
    h.mapv_inplace(|v| v / total);
    for j in 0..k * p {
        value += 0.5 * pr.l2 * pr.theta[j] * pr.theta[j];
        grad[j] += pr.l2 * pr.theta[j];
        h[[j, j]] += pr.l2;
    }
    (value, grad, h)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// The analytic gradient and Hessian of every family, weighted or not, match central finite
    /// differences of the value (and of the gradient), and the direct sums.
    #[test]
    fn gradient_and_hessian_match_finite_differences(pr in problem()) {
        let obj = pr.objective();
        let theta = &pr.theta;
        let k = obj.n_params();
        let g = obj.gradient(theta);
        let h = obj.hessian(theta);
        let eps = 1e-5;
        for j in 0..k {
            let mut tp = theta.clone();
            let mut tm = theta.clone();
            tp[j] += eps;
            tm[j] -= eps;
            let fd = (obj.value(&tp) - obj.value(&tm)) / (2.0 * eps);
            prop_assert!((fd - g[j]).abs() <= 1e-7 * (1.0 + g[j].abs()), "grad {}: fd {} vs {}", j, fd, g[j]);
            let gp = obj.gradient(&tp);
            let gm = obj.gradient(&tm);
            for i in 0..k {
                let fdh = (gp[i] - gm[i]) / (2.0 * eps);
                prop_assert!((fdh - h[[i, j]]).abs() <= 1e-7 * (1.0 + h[[i, j]].abs()), "hess {},{}: fd {} vs {}", i, j, fdh, h[[i, j]]);
            }
        }
        let (value, grad, hn) = naive(&pr);
        prop_assert!((obj.value(theta) - value).abs() <= 1e-13 * value.abs().max(1.0));
        for j in 0..k {
            prop_assert!((g[j] - grad[j]).abs() <= 1e-13 * (1.0 + grad[j].abs()));
            for i in 0..k {
                prop_assert_eq!(h[[i, j]], h[[j, i]]);
                prop_assert!((h[[i, j]] - hn[[i, j]]).abs() <= 1e-13 * (1.0 + hn[[i, j]].abs()));
            }
        }
        // Scores are W x + b, one column per class.
        let z = obj.scores(theta);
        prop_assert_eq!(z.dim(), (obj.n_rows(), obj.n_scores()));
    }

    /// A weight of 2 is the row written twice; a weight of 0 is the row left out.
    #[test]
    fn weight_two_duplicates_the_row_and_zero_removes_it(pr in problem()) {
        let (n, p) = pr.x.dim();
        let s: Vec<f64> = (0..n).map(|i| [1.0, 2.0, 0.0][i % 3]).collect();
        if s.iter().sum::<f64>() == 0.0 { return Ok(()); }
        let rows: Vec<usize> = (0..n).flat_map(|i| std::iter::repeat_n(i, s[i] as usize)).collect();
        let xd = Array2::from_shape_fn((rows.len(), p), |(r, j)| pr.x[[rows[r], j]]);
        let yd = Array1::from_iter(rows.iter().map(|&i| pr.y[i]));
        let sw = Array1::from(s);
        let weighted = Objective::with_design(&pr.x, pr.y.view(), pr.family, pr.l2, pr.intercept).with_weights(sw.view());
        let duplicated = Objective::with_design(&xd, yd.view(), pr.family, pr.l2, pr.intercept);
        prop_assert_eq!(weighted.weight_sum(), rows.len() as f64);
        let (a, b) = (weighted.value(&pr.theta), duplicated.value(&pr.theta));
        prop_assert!((a - b).abs() <= 1e-13 * a.abs().max(1.0), "{} vs {}", a, b);
        let (ga, gb) = (weighted.gradient(&pr.theta), duplicated.gradient(&pr.theta));
        for (u, v) in ga.iter().zip(gb.iter()) {
            prop_assert!((u - v).abs() <= 1e-13 * (1.0 + v.abs()));
        }
        let (ha, hb) = (weighted.hessian(&pr.theta), duplicated.hessian(&pr.theta));
        for (u, v) in ha.iter().zip(hb.iter()) {
            prop_assert!((u - v).abs() <= 1e-13 * (1.0 + v.abs()));
        }
    }
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Multinomial and weighted objectives give the single-thread scalar bits for every thread
/// count and kernel (for each block size), as the binary one does (tests/hardening_kernels.rs).
#[test]
fn threads_and_kernels_do_not_change_a_bit() {
    let (n, p, k) = (1037, 5, 4);
    let mut state = 7u64;
    let mut unif = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let x = Array2::from_shape_fn((n, p), |(_, j)| (unif() - 0.5) * (1.0 + j as f64));
    let y = Array1::from_shape_fn(n, |_| (unif() * k as f64).floor());
    let yb = y.mapv(|v| f64::from(u8::from(v >= 2.0)));
    let s = Array1::from_shape_fn(n, |i| if i % 5 == 0 { 0.0 } else { unif() * 3.0 });
    let kernels: Vec<Kernel> = Kernel::ALL.into_iter().filter(|k| k.supported()).collect();
    for (labels, family) in [
        (&y, Family::Multinomial { classes: k }),
        (&yb, Family::Binomial),
    ] {
        for weighted in [false, true] {
            for intercept in [true, false] {
                let base = Objective::with_design(&x, labels.view(), family, 0.3, intercept);
                let obj = if weighted {
                    base.with_weights(s.view())
                } else {
                    base
                };
                let theta: Vec<f64> = (0..obj.n_params()).map(|_| unif() - 0.5).collect();
                for block_rows in [BLOCK_ROWS, 1, 100, n + 5] {
                    let reference = obj.with_exec(Exec {
                        block_rows,
                        ..Exec::reference()
                    });
                    let mut g0 = vec![0.0; theta.len()];
                    let v0 = reference.value_and_gradient(&theta, &mut g0);
                    let h0 = reference.hessian(&theta);
                    for &kernel in &kernels {
                        for threads in [1, 2, 3, 7] {
                            let fast = obj.with_exec(Exec {
                                threads: Some(threads),
                                block_rows,
                                kernel,
                            });
                            let mut g = vec![0.0; theta.len()];
                            let v = fast.value_and_gradient(&theta, &mut g);
                            let what = format!("{family:?} weighted={weighted} intercept={intercept} {block_rows} rows {threads} threads {}", kernel.name());
                            assert_eq!(v.to_bits(), v0.to_bits(), "{what}");
                            assert_eq!(bits(&g), bits(&g0), "{what}");
                            let h = fast.hessian(&theta);
                            assert_eq!(
                                bits(h.as_slice().unwrap()),
                                bits(h0.as_slice().unwrap()),
                                "{what}"
                            );
                        }
                    }
                }
            }
        }
    }
}

/// The binomial objective is v1's: the dense constructor and `with_design` agree bit for bit,
/// and unit weights change nothing but the bits of an exact multiplication by 1.
#[test]
fn binomial_forms_agree() {
    let x = Array2::from_shape_fn((300, 3), |(i, j)| ((i * 7 + j * 3) % 11) as f64 / 5.0 - 1.0);
    let y = Array1::from_shape_fn(300, |i| f64::from(u8::from(i % 3 == 0)));
    let theta = [0.3, -0.2, 0.5, 0.1];
    let a = Objective::new(x.view(), y.view(), 0.1, true);
    let design = DenseDesign::new(x.view());
    let b = Objective::with_design(&design, y.view(), Family::Binomial, 0.1, true);
    assert_eq!(a.value(&theta).to_bits(), b.value(&theta).to_bits());
    assert_eq!(a.n_scores(), 1);
    assert_eq!(a.family(), Family::Binomial);
    assert_eq!(a.weight_sum(), 300.0);
    let ones = Array1::from_elem(300, 1.0);
    let c = a.with_weights(ones.view());
    assert!((a.value(&theta) - c.value(&theta)).abs() <= 1e-15 * a.value(&theta));
    let m = Objective::multinomial(x.view(), y.view(), 3, 0.1, false);
    assert_eq!((m.n_scores(), m.n_params(), m.n_features()), (3, 9, 3));
    assert_eq!(m.hessian(&[0.0; 9]).dim(), (9, 9));
    assert_eq!(m.scores(&[0.0; 9]).dim(), (300, 3));
}

/// Ad-hoc timing of the multinomial passes (500,000 x 50, 5 classes), for a release-like build:
/// `cargo test --lib objective::tests::throughput -- --ignored --nocapture`.
#[test]
#[ignore]
fn throughput() {
    let (n, p, k) = (500_000, 50, 5);
    let mut state = 11u64;
    let mut unif = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let x = Array2::from_shape_fn((n, p), |_| unif() * 2.0 - 1.0);
    let y = Array1::from_shape_fn(n, |_| (unif() * k as f64).floor());
    let yb = y.mapv(|v| f64::from(u8::from(v >= 2.0)));
    for (labels, family) in [
        (&y, Family::Multinomial { classes: k }),
        (&yb, Family::Binomial),
    ] {
        let obj = Objective::with_design(&x, labels.view(), family, 1e-4, true);
        let theta: Vec<f64> = (0..obj.n_params()).map(|_| unif() * 0.1).collect();
        let mut g = vec![0.0; theta.len()];
        for threads in [1, 2] {
            let o = obj.with_exec(Exec {
                threads: Some(threads),
                ..Exec::from_env()
            });
            let t = std::time::Instant::now();
            for _ in 0..5 {
                std::hint::black_box(o.value_and_gradient(&theta, &mut g));
            }
            println!(
                "{family:?} {threads} threads: value_and_gradient {:.1} ms",
                t.elapsed().as_secs_f64() * 200.0
            );
        }
        let t = std::time::Instant::now();
        let f =
            crate::fit::solvers::fit(&obj, &crate::fit::solvers::FitOptions::default()).unwrap();
        println!(
            "{family:?}: lbfgs {:?} in {:.2} s",
            f.report.stop_reason,
            t.elapsed().as_secs_f64()
        );
    }
}

/// Where the multinomial pass spends its time (ad hoc, `--ignored --nocapture`).
#[test]
#[ignore]
fn breakdown() {
    use crate::data::design::Design;
    let (n, p, k) = (200_000, 50, 5);
    let x = Array2::from_shape_fn((n, p), |(i, j)| {
        ((i * 31 + j * 17) % 97) as f64 / 48.0 - 1.0
    });
    let y: Vec<f64> = (0..n).map(|i| (i % k) as f64).collect();
    let w: Vec<f64> = (0..k * p).map(|i| ((i * 13) % 7) as f64 / 70.0).collect();
    let b = vec![0.1; k];
    let kernel = Kernel::active();
    let rows = BLOCK_ROWS;
    let mut z = vec![0.0; rows * k];
    let mut g = vec![0.0; k * p];
    let (mut bs, mut bl, mut bg) = (1e9f64, 1e9f64, 1e9f64);
    for _ in 0..15 {
        let (mut ts, mut tl, mut tg) = (0.0, 0.0, 0.0);
        for start in (0..n).step_by(rows) {
            let end = (start + rows).min(n);
            let zb = &mut z[..(end - start) * k];
            let t = std::time::Instant::now();
            x.scores_block(kernel, start..end, &w, &b, zb);
            ts += t.elapsed().as_secs_f64();
            let t = std::time::Instant::now();
            std::hint::black_box(loss::softmax_loss_and_residual_slice_with(
                kernel,
                &y[start..end],
                None,
                k,
                zb,
            ));
            tl += t.elapsed().as_secs_f64();
            let t = std::time::Instant::now();
            x.add_xt_r_block(kernel, start..end, zb, &mut g);
            tg += t.elapsed().as_secs_f64();
        }
        bs = bs.min(ts);
        bl = bl.min(tl);
        bg = bg.min(tg);
    }
    println!(
        "best pass: scores {:.1} ms, softmax {:.1} ms, gradient {:.1} ms ({})",
        bs * 1e3,
        bl * 1e3,
        bg * 1e3,
        kernel.name()
    );
}

/// A row of weight 0 has no influence even when its scores are not finite (a huge value that
/// standardisation, which ignores the row, leaves huge).
#[test]
fn zero_weight_rows_with_huge_values_have_no_influence() {
    let x = Array2::from_shape_vec((4, 2), vec![0.5, -1.0, 1.0, 0.3, -0.2, 0.8, 1e308, -1e308])
        .unwrap();
    let s = Array1::from(vec![1.0, 2.0, 1.0, 0.0]);
    let x3 = x.slice(ndarray::s![..3, ..]).to_owned();
    let s3 = Array1::from(vec![1.0, 2.0, 1.0]);
    for (y, family, n_params) in [
        (
            Array1::from(vec![0.0, 1.0, 2.0, 1.0]),
            Family::Multinomial { classes: 3 },
            9,
        ),
        (Array1::from(vec![0.0, 1.0, 1.0, 0.0]), Family::Binomial, 3),
    ] {
        let theta: Vec<f64> = (0..n_params).map(|i| 0.7 - 0.3 * i as f64).collect();
        let y3 = y.slice(ndarray::s![..3]).to_owned();
        let all = Objective::with_design(&x, y.view(), family, 0.1, true).with_weights(s.view());
        let kept =
            Objective::with_design(&x3, y3.view(), family, 0.1, true).with_weights(s3.view());
        assert_eq!(all.value(&theta), kept.value(&theta), "{family:?}");
        assert_eq!(all.gradient(&theta), kept.gradient(&theta), "{family:?}");
        assert_eq!(all.hessian(&theta), kept.hessian(&theta), "{family:?}");
    }
}

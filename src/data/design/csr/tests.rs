//! Every operation of the sparse design against the dense centred matrix built from the same
//! data (the dense path is the reference), for every kernel and several block partitions.

use super::*;
use crate::data::design::{DenseDesign, Scaler};
use ndarray::{Array1, Array2};

/// A deterministic sparse-ish matrix: ~30% stored entries, an all-zero column, a column
/// constant at 2.5, a fully stored column with a large mean, and negative values.
pub(crate) fn sample(n: usize, p: usize, seed: u64) -> Array2<f64> {
    let mut state = seed;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    Array2::from_shape_fn((n, p), |(_, j)| {
        let u = next();
        let v = next();
        match j {
            0 => 0.0,
            1 => 2.5,
            2 => 40.0 + 3.0 * v,
            _ if u < 0.3 => (v - 0.4) * (j as f64),
            _ => 0.0,
        }
    })
}

pub(crate) fn sample_weights(n: usize) -> Array1<f64> {
    Array1::from_shape_fn(n, |i| match i % 7 {
        0 => 0.0,
        3 => 2.5,
        _ => 1.0 + (i % 3) as f64 * 0.25,
    })
}

fn close(a: f64, b: f64, scale: f64) -> bool {
    (a - b).abs() <= 1e-12 * scale.max(1.0)
}

fn assert_all_close(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    let scale = want.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    for (t, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(close(*g, *w, scale), "{what}[{t}]: {g} vs {w}");
    }
}

fn kernels() -> Vec<Kernel> {
    Kernel::ALL.into_iter().filter(|k| k.supported()).collect()
}

#[test]
fn sparse_scaler_has_the_dense_statistics() {
    let x = sample(211, 8, 7);
    let csr = CsrMatrix::from_dense(x.view());
    let s = sample_weights(211);
    for center in [true, false] {
        for weights in [None, Some(s.view())] {
            let dense = Scaler::fit_weighted(x.view(), center, weights);
            let sparse = Scaler::fit_weighted_sparse(&csr, center, weights);
            // The means are summed in the same order: the same bits.
            assert_eq!(sparse.mean, dense.mean, "center {center} {weights:?}");
            for (a, b) in sparse.std.iter().zip(&dense.std) {
                assert!((a - b).abs() <= 1e-14 * b, "{a} vs {b}");
            }
            assert_eq!(sparse.std[0], 1.0);
        }
    }
    // The constant column keeps scale 1 and its value as the mean (weighted, as the dense).
    let w = Scaler::fit_weighted_sparse(&csr, true, Some(s.view()));
    assert_eq!((w.mean[1], w.std[1]), (2.5, 1.0));
    // Zero-weight rows do not count, even with a huge value there.
    let mut y = x.clone();
    y[[0, 3]] = 1e300;
    let big = CsrMatrix::from_dense(y.view());
    let a = Scaler::fit_weighted_sparse(&big, true, Some(s.view()));
    assert_eq!(
        a.mean,
        Scaler::fit_weighted(y.view(), true, Some(s.view())).mean
    );
    assert!(a.std.iter().all(|v| v.is_finite()));
}

#[test]
fn scaling_touches_only_the_stored_values() {
    let x = sample(50, 6, 3);
    let mut csr = CsrMatrix::from_dense(x.view());
    let scaler = Scaler::fit_weighted_sparse(&csr, true, None);
    let before = (csr.indptr.clone(), csr.indices.clone());
    scaler.apply_sparse(&mut csr);
    assert_eq!((csr.indptr.clone(), csr.indices.clone()), before);
    let mut dense = x.clone();
    scaler.apply(&mut dense);
    let design = CsrDesign::new(&csr, scaler.shift());
    let mut row = vec![0.0; 6];
    for i in 0..50 {
        design.row_into(i, &mut row);
        assert_all_close(&row, dense.row(i).as_slice().unwrap(), "row");
    }
}

/// The dense standardised matrix and the sparse design of the same data.
fn pair(x: &Array2<f64>, center: bool) -> (Array2<f64>, CsrMatrix, Vec<f64>) {
    let mut csr = CsrMatrix::from_dense(x.view());
    let scaler = Scaler::fit_weighted_sparse(&csr, center, None);
    scaler.apply_sparse(&mut csr);
    let mut dense = x.clone();
    scaler.apply(&mut dense);
    (dense, csr, scaler.shift())
}

#[test]
fn scores_and_gradients_equal_the_dense_ones() {
    let (n, p) = (203, 7);
    let x = sample(n, p, 11);
    for center in [true, false] {
        let (dense, csr, shift) = pair(&x, center);
        let sparse = CsrDesign::new(&csr, shift);
        let dd = DenseDesign::new(dense.view());
        for k in [1usize, 3] {
            let w: Vec<f64> = (0..k * p)
                .map(|t| ((t * 5) % 7) as f64 * 0.3 - 0.8)
                .collect();
            let b: Vec<f64> = (0..k).map(|c| 0.2 * c as f64 - 0.1).collect();
            let r: Vec<f64> = (0..n * k)
                .map(|t| ((t * 3) % 11) as f64 * 0.1 - 0.5)
                .collect();
            for rows in [64usize, 1, 203, 50] {
                let mut reference: Option<(Vec<f64>, Vec<f64>)> = None;
                for kernel in kernels() {
                    let (mut z, mut zd) = (vec![0.0; n * k], vec![0.0; n * k]);
                    let (mut g, mut gd) = (vec![0.0; k * p], vec![0.0; k * p]);
                    for start in (0..n).step_by(rows) {
                        let end = (start + rows).min(n);
                        let block = start * k..end * k;
                        sparse.scores_block(kernel, start..end, &w, &b, &mut z[block.clone()]);
                        dd.scores_block(kernel, start..end, &w, &b, &mut zd[block.clone()]);
                        sparse.add_xt_r_block(kernel, start..end, &r[block.clone()], &mut g);
                        dd.add_xt_r_block(kernel, start..end, &r[block], &mut gd);
                    }
                    assert_all_close(&z, &zd, "scores");
                    assert_all_close(&g, &gd, "X^T r");
                    // Every kernel: the same bits.
                    match &reference {
                        None => reference = Some((z, g)),
                        Some((z0, g0)) => assert!(z == *z0 && g == *g0, "{}", kernel.name()),
                    }
                }
            }
        }
    }
}

#[test]
fn gram_blocks_equal_the_dense_ones() {
    let (n, p) = (157, 6);
    let x = sample(n, p, 5);
    for center in [true, false] {
        let (dense, csr, shift) = pair(&x, center);
        let sparse = CsrDesign::new(&csr, shift);
        let dd = DenseDesign::new(dense.view());
        for m in [1usize, 3] {
            // Some rows of weight exactly 0.
            let d: Vec<f64> = (0..n * m)
                .map(|t| {
                    if t % 5 == 0 {
                        0.0
                    } else {
                        0.05 + (t % 9) as f64 * 0.02
                    }
                })
                .collect();
            for intercept in [true, false] {
                let q = p + usize::from(intercept);
                let mut reference = None;
                for kernel in kernels() {
                    let mut parts = vec![0.0; m * q * q];
                    let mut want = vec![0.0; m * q * q];
                    for start in (0..n).step_by(40) {
                        let end = (start + 40).min(n);
                        let dv = &d[start * m..end * m];
                        sparse.add_gram_block(kernel, start..end, dv, m, intercept, &mut parts);
                        dd.add_gram_block(kernel, start..end, dv, m, intercept, &mut want);
                    }
                    // Only the upper triangles are defined.
                    for t in 0..m {
                        for a in 0..q {
                            for c in a..q {
                                let at = t * q * q + a * q + c;
                                assert!(
                                    close(parts[at], want[at], 1e2),
                                    "gram {t} {a} {c}: {} vs {}",
                                    parts[at],
                                    want[at]
                                );
                            }
                        }
                    }
                    match &reference {
                        None => reference = Some(parts),
                        Some(p0) => assert!(parts == *p0, "{}", kernel.name()),
                    }
                }
            }
        }
    }
}

#[test]
fn sums_of_squares_and_non_finite_entries() {
    let (n, p) = (90, 5);
    let x = sample(n, p, 9);
    let s = sample_weights(n);
    let (dense, csr, shift) = pair(&x, true);
    let sparse = CsrDesign::new(&csr, shift.clone());
    let dd = DenseDesign::new(dense.view());
    for weights in [None, Some(s.as_slice().unwrap())] {
        let (a, b) = (sparse.sum_of_squares(weights), dd.sum_of_squares(weights));
        assert!((a - b).abs() <= 1e-12 * b, "{a} vs {b}");
    }
    assert_eq!(sparse.first_non_finite(), None);
    let mut bad = csr.clone();
    let at = bad.indptr[17];
    bad.values[at] = f64::NAN;
    let found = CsrDesign::new(&bad, shift).first_non_finite().unwrap();
    assert_eq!((found.0, found.1), (17, bad.indices[at] as usize));
    assert!(found.2.is_nan());
    assert!(sparse.as_dense().is_none() && sparse.as_sparse().is_some());
}

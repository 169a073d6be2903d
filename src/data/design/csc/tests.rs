//! Every column operation of the sparse copy against the dense column-major copy of the same
//! standardised matrix, for every kernel.

use super::*;
use crate::data::design::csr::tests::sample;
use crate::data::design::{DenseDesign, Scaler};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

#[test]
fn column_operations_equal_the_dense_ones() {
    let (n, p) = (133, 7);
    let x = sample(n, p, 21);
    let v: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
    let h: Vec<f64> = (0..n).map(|i| 0.1 + (i % 5) as f64 * 0.2).collect();
    let m: Vec<f64> = (0..n).map(|i| (i as f64 * 0.11).cos()).collect();
    for center in [true, false] {
        let mut csr = CsrMatrix::from_dense(x.view());
        let scaler = Scaler::fit_weighted_sparse(&csr, center, None);
        scaler.apply_sparse(&mut csr);
        let mut dense = x.clone();
        scaler.apply(&mut dense);
        let design = CsrDesign::new(&csr, scaler.shift());
        let sparse = columns_of(&design);
        let reference = DenseColumns::from_design(&DenseDesign::new(dense.view()));
        assert_eq!((sparse.n_rows(), sparse.n_cols()), (n, p));
        let mut first: Option<Vec<f64>> = None;
        for kernel in Kernel::ALL.into_iter().filter(|k| k.supported()) {
            let mut bits = Vec::new();
            for j in 0..p {
                let (a, b) = (sparse.dot(kernel, j, &v), reference.dot(kernel, j, &v));
                assert!(close(a, b), "dot {j}: {a} vs {b}");
                bits.push(a);
                let (a, b) = (
                    sparse.weighted_moments(kernel, j, &h),
                    reference.weighted_moments(kernel, j, &h),
                );
                assert!(close(a.0, b.0) && close(a.1, b.1), "moments {j}");
                assert!(close(
                    sparse.weighted_sq(kernel, j, &h),
                    reference.weighted_sq(kernel, j, &h)
                ));
                for mm in [None, Some(&m[..])] {
                    let a = sparse.dot_model(kernel, j, &v, &h, &m, mm);
                    let b = reference.dot_model(kernel, j, &v, &h, &m, mm);
                    assert!(close(a, b), "dot_model {j}: {a} vs {b}");
                    bits.push(a);
                }
                let (mut a, mut b) = (v.clone(), v.clone());
                sparse.axpy(kernel, j, 0.7, &mut a);
                reference.axpy(kernel, j, 0.7, &mut b);
                assert!(a.iter().zip(&b).all(|(x, y)| close(*x, *y)), "axpy {j}");
                bits.extend(&a);
                let (mut a, mut b) = (v.clone(), v.clone());
                sparse.axpy_scaled(kernel, j, -1.3, &h, &mut a);
                reference.axpy_scaled(kernel, j, -1.3, &h, &mut b);
                assert!(
                    a.iter().zip(&b).all(|(x, y)| close(*x, *y)),
                    "axpy_scaled {j}"
                );
                let (mut a, mut b) = (m.clone(), m.clone());
                let k = (j + 2) % p;
                let ga = sparse.step_then_dot_model(kernel, Some((k, 0.4)), j, &v, &h, &mut a);
                let gb = reference.step_then_dot_model(kernel, Some((k, 0.4)), j, &v, &h, &mut b);
                assert!(close(ga, gb), "fused {j}: {ga} vs {gb}");
                assert!(a.iter().zip(&b).all(|(x, y)| close(*x, *y)), "fused d {j}");
                // The fused step is the plain axpy then dot_model, bit for bit.
                let mut c = m.clone();
                sparse.axpy(kernel, k, 0.4, &mut c);
                let gc = sparse.dot_model(kernel, j, &v, &h, &c, None);
                assert_eq!((ga.to_bits(), &a), (gc.to_bits(), &c));
            }
            match &first {
                None => first = Some(bits),
                Some(f) => assert!(bits == *f, "{} differs from scalar", kernel.name()),
            }
        }
    }
}

#[test]
fn dense_designs_get_the_dense_copy() {
    let x = sample(20, 4, 2);
    let cols = columns_of(&DenseDesign::new(x.view()));
    let reference = DenseColumns::from_design(&x);
    let v: Vec<f64> = (0..20).map(|i| i as f64).collect();
    for j in 0..4 {
        let (a, b) = (
            cols.dot(Kernel::Scalar, j, &v),
            reference.dot(Kernel::Scalar, j, &v),
        );
        assert_eq!(a.to_bits(), b.to_bits());
    }
}

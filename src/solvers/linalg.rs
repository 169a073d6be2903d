//! Small dense linear algebra for the solvers: Cholesky factorisation (with an added-identity
//! fallback for matrices that are singular or indefinite in floating point), triangular solves and
//! a symmetric eigen-decomposition (cyclic Jacobi).
//!
//! The matrices involved are `k x k` with `k` = number of parameters (tens, at most a few hundred),
//! so plain `O(k^3)` loops are adequate and there is no need for BLAS/LAPACK.
//!
//! References: Golub & Van Loan, *Matrix Computations*, 4th ed., Alg. 4.2.1 (Cholesky) and
//! Sec. 8.5 (cyclic Jacobi); Nocedal & Wright, *Numerical Optimization*, 2nd ed., Alg. 3.3
//! (Cholesky with added multiple of the identity).

use ndarray::{Array2, ArrayView2};

/// Relative size below which a Cholesky pivot counts as zero.
///
/// A pivot `d_j` is accepted only when `d_j > PIVOT_RTOL * max_i a_ii`. An exactly singular
/// matrix (a duplicated column, an intercept plus a constant column) produces pivots of the order
/// of rounding error (~1e-16 relative) rather than exact zeros; accepting those would give
/// meaningless, enormous solutions, so they are treated as a failed factorisation instead.
const PIVOT_RTOL: f64 = 1e-13;

/// The factorisation failed: the matrix is not (numerically) positive definite.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NotPositiveDefinite {
    /// Index of the first pivot that was not safely positive.
    pub column: usize,
}

/// Lower-triangular Cholesky factor `L` with `A = L L^T`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cholesky {
    n: usize,
    /// Row-major `n x n`; only the lower triangle is used.
    l: Vec<f64>,
}

impl Cholesky {
    /// Factor a symmetric positive definite matrix (only its lower triangle is read).
    pub fn factor(a: ArrayView2<f64>) -> Result<Cholesky, NotPositiveDefinite> {
        Self::factor_shifted(a, 0.0)
    }

    /// Factor `A + shift * I`.
    pub fn factor_shifted(a: ArrayView2<f64>, shift: f64) -> Result<Cholesky, NotPositiveDefinite> {
        let n = a.nrows();
        assert_eq!(n, a.ncols(), "Cholesky needs a square matrix");
        let max_diag = (0..n)
            .map(|i| (a[[i, i]] + shift).abs())
            .fold(0.0_f64, f64::max);
        let floor = PIVOT_RTOL * max_diag;
        let mut l = vec![0.0; n * n];
        for j in 0..n {
            // Golub & Van Loan Alg. 4.2.1 (gaxpy form), one column at a time.
            let mut d = a[[j, j]] + shift;
            for k in 0..j {
                d -= l[j * n + k] * l[j * n + k];
            }
            if !(d.is_finite() && d > floor) {
                return Err(NotPositiveDefinite { column: j });
            }
            let djj = d.sqrt();
            l[j * n + j] = djj;
            for i in (j + 1)..n {
                let mut s = a[[i, j]];
                for k in 0..j {
                    s -= l[i * n + k] * l[j * n + k];
                }
                l[i * n + j] = s / djj;
            }
        }
        Ok(Cholesky { n, l })
    }

    /// Dimension of the factored matrix.
    pub fn dim(&self) -> usize {
        self.n
    }

    /// The factor `L` as a dense matrix (upper triangle zero).
    pub fn lower(&self) -> Array2<f64> {
        Array2::from_shape_vec((self.n, self.n), self.l.clone()).expect("square")
    }

    /// Solve `A x = b` in place (`b` becomes `x`) by forward and back substitution.
    #[allow(clippy::needless_range_loop)] // index form mirrors the textbook recurrences
    pub fn solve_in_place(&self, b: &mut [f64]) {
        let n = self.n;
        assert_eq!(b.len(), n, "right-hand side has the wrong length");
        // L y = b
        for i in 0..n {
            let mut s = b[i];
            for k in 0..i {
                s -= self.l[i * n + k] * b[k];
            }
            b[i] = s / self.l[i * n + i];
        }
        // L^T x = y
        for i in (0..n).rev() {
            let mut s = b[i];
            for k in (i + 1)..n {
                s -= self.l[k * n + i] * b[k];
            }
            b[i] = s / self.l[i * n + i];
        }
    }

    /// Solve `A x = b`.
    pub fn solve(&self, b: &[f64]) -> Vec<f64> {
        let mut x = b.to_vec();
        self.solve_in_place(&mut x);
        x
    }
}

/// Cholesky factorisation of `A + tau I` with the smallest `tau` in the sequence
/// `0, tau0, 10 tau0, 100 tau0, ...` that succeeds (Nocedal & Wright Alg. 3.3, with a growth
/// factor of 10 instead of 2 so that the number of attempts stays small).
///
/// `tau0 = 1e-10 * max(1, max_i |a_ii|)`: small enough to leave a well-posed Newton step
/// essentially unchanged, large enough to make an exactly singular Hessian (l2 = 0 with a
/// duplicated or constant column) factorisable. Returns the factor and the `tau` used, or `None`
/// when even `tau = 1e10 * scale` fails (only possible with non-finite entries).
pub fn factor_with_ridge(a: ArrayView2<f64>) -> Option<(Cholesky, f64)> {
    if let Ok(c) = Cholesky::factor(a) {
        return Some((c, 0.0));
    }
    let n = a.nrows();
    let scale = (0..n).map(|i| a[[i, i]].abs()).fold(1.0_f64, f64::max);
    if !scale.is_finite() {
        return None;
    }
    // Start from the amount that makes the diagonal positive (N&W Alg. 3.3, tau_0 = -min a_ii + beta).
    let min_diag = (0..n).map(|i| a[[i, i]]).fold(f64::INFINITY, f64::min);
    let beta = 1e-10 * scale;
    let mut tau = if min_diag > 0.0 {
        beta
    } else {
        beta - min_diag
    };
    for _ in 0..22 {
        if let Ok(c) = Cholesky::factor_shifted(a, tau) {
            return Some((c, tau));
        }
        tau *= 10.0;
    }
    None
}

/// Eigen-decomposition of a symmetric matrix by the cyclic Jacobi method
/// (Golub & Van Loan Sec. 8.5.3). Returns the eigenvalues and a matrix whose COLUMNS are the
/// corresponding orthonormal eigenvectors. Only used on small `k x k` Gram matrices by the
/// separation diagnostics, where its robustness (no rank assumptions) matters more than speed.
pub fn symmetric_eigen(a: ArrayView2<f64>) -> (Vec<f64>, Array2<f64>) {
    let n = a.nrows();
    assert_eq!(n, a.ncols(), "eigen-decomposition needs a square matrix");
    let mut m = a.to_owned();
    // Symmetrise from the lower triangle to remove rounding asymmetry.
    for i in 0..n {
        for j in 0..i {
            let v = 0.5 * (m[[i, j]] + m[[j, i]]);
            m[[i, j]] = v;
            m[[j, i]] = v;
        }
    }
    let mut v = Array2::<f64>::eye(n);
    let total: f64 = m.iter().map(|x| x * x).sum::<f64>().sqrt();
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[[i, j]] * m[[i, j]])
            .sum::<f64>()
            .sqrt();
        if off <= 1e-15 * total || off == 0.0 {
            break;
        }
        for p in 0..n {
            for q in (p + 1)..n {
                let apq = m[[p, q]];
                if apq == 0.0 {
                    continue;
                }
                // Symmetric Schur decomposition of the 2x2 block (G&VL Alg. 8.5.1).
                let tau = (m[[q, q]] - m[[p, p]]) / (2.0 * apq);
                let t = if tau >= 0.0 {
                    1.0 / (tau + (1.0 + tau * tau).sqrt())
                } else {
                    -1.0 / (-tau + (1.0 + tau * tau).sqrt())
                };
                let c = 1.0 / (1.0 + t * t).sqrt();
                let s = t * c;
                // m <- J^T m J with J the rotation in the (p, q) plane.
                for k in 0..n {
                    let mkp = m[[k, p]];
                    let mkq = m[[k, q]];
                    m[[k, p]] = c * mkp - s * mkq;
                    m[[k, q]] = s * mkp + c * mkq;
                }
                for k in 0..n {
                    let mpk = m[[p, k]];
                    let mqk = m[[q, k]];
                    m[[p, k]] = c * mpk - s * mqk;
                    m[[q, k]] = s * mpk + c * mqk;
                }
                for k in 0..n {
                    let vkp = v[[k, p]];
                    let vkq = v[[k, q]];
                    v[[k, p]] = c * vkp - s * vkq;
                    v[[k, q]] = s * vkp + c * vkq;
                }
            }
        }
    }
    let values = (0..n).map(|i| m[[i, i]]).collect();
    (values, v)
}

/// Dot product of two equally long slices.
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    debug_assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Euclidean norm.
pub fn norm2(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

/// Max-abs (infinity) norm; NaN if any entry is NaN, 0 for an empty slice.
pub fn norm_inf(a: &[f64]) -> f64 {
    let mut m = 0.0_f64;
    for &v in a {
        if v.is_nan() {
            return f64::NAN;
        }
        m = m.max(v.abs());
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn matvec(a: &Array2<f64>, x: &[f64]) -> Vec<f64> {
        (0..a.nrows())
            .map(|i| (0..a.ncols()).map(|j| a[[i, j]] * x[j]).sum())
            .collect()
    }

    #[test]
    fn cholesky_reconstructs_and_solves() {
        let a = array![
            [4.0, 12.0, -16.0],
            [12.0, 37.0, -43.0],
            [-16.0, -43.0, 98.0]
        ];
        let c = Cholesky::factor(a.view()).unwrap();
        let l = c.lower();
        // Textbook example: L = [[2,0,0],[6,1,0],[-8,5,3]].
        let expected = array![[2.0, 0.0, 0.0], [6.0, 1.0, 0.0], [-8.0, 5.0, 3.0]];
        for (x, y) in l.iter().zip(expected.iter()) {
            assert!((x - y).abs() < 1e-12);
        }
        let llt = l.dot(&l.t());
        for (x, y) in llt.iter().zip(a.iter()) {
            assert!((x - y).abs() < 1e-12);
        }
        let b = [1.0, -2.0, 3.0];
        let x = c.solve(&b);
        let ax = matvec(&a, &x);
        for (u, v) in ax.iter().zip(b.iter()) {
            assert!((u - v).abs() < 1e-10, "{ax:?}");
        }
        assert_eq!(c.dim(), 3);
    }

    #[test]
    fn cholesky_rejects_indefinite_and_singular() {
        let indefinite = array![[1.0, 2.0], [2.0, 1.0]];
        assert_eq!(
            Cholesky::factor(indefinite.view()),
            Err(NotPositiveDefinite { column: 1 })
        );
        // Exactly singular: a duplicated column.
        let singular = array![[2.0, 2.0, 1.0], [2.0, 2.0, 1.0], [1.0, 1.0, 3.0]];
        assert!(Cholesky::factor(singular.view()).is_err());
        let nan = array![[f64::NAN]];
        assert!(Cholesky::factor(nan.view()).is_err());
        let empty = Array2::<f64>::zeros((0, 0));
        let c = Cholesky::factor(empty.view()).unwrap();
        assert!(c.solve(&[]).is_empty());
    }

    #[test]
    fn ridge_fallback_factors_singular_matrix_and_keeps_consistent_solution() {
        let singular = array![[2.0, 2.0, 1.0], [2.0, 2.0, 1.0], [1.0, 1.0, 3.0]];
        let (c, tau) = factor_with_ridge(singular.view()).unwrap();
        assert!(tau > 0.0 && tau < 1e-6, "tau = {tau}");
        // b is in the range of A, so the regularised solution solves A x = b closely.
        let b = [3.0, 3.0, 4.0];
        let x = c.solve(&b);
        let ax = matvec(&singular, &x);
        for (u, v) in ax.iter().zip(b.iter()) {
            assert!((u - v).abs() < 1e-6, "{ax:?}");
        }
        // Positive definite input: no ridge.
        let spd = array![[2.0, 0.5], [0.5, 1.0]];
        assert_eq!(factor_with_ridge(spd.view()).unwrap().1, 0.0);
        // Indefinite input gets shifted until positive definite.
        let indefinite = array![[1.0, 2.0], [2.0, 1.0]];
        let (_, tau) = factor_with_ridge(indefinite.view()).unwrap();
        assert!(tau > 1.0, "tau = {tau}");
        assert!(factor_with_ridge(array![[f64::INFINITY]].view()).is_none());
    }

    #[test]
    fn jacobi_eigen_decomposes() {
        let a = array![[2.0, 1.0, 0.0], [1.0, 2.0, 1.0], [0.0, 1.0, 2.0]];
        let (vals, vecs) = symmetric_eigen(a.view());
        let mut sorted = vals.clone();
        sorted.sort_by(f64::total_cmp);
        let s2 = 2.0_f64.sqrt();
        let expected = [2.0 - s2, 2.0, 2.0 + s2];
        for (x, y) in sorted.iter().zip(expected.iter()) {
            assert!((x - y).abs() < 1e-12, "{sorted:?}");
        }
        // A v = lambda v and V orthonormal.
        for (j, &lambda) in vals.iter().enumerate() {
            let v: Vec<f64> = vecs.column(j).to_vec();
            let av = matvec(&a, &v);
            for (u, w) in av.iter().zip(v.iter()) {
                assert!((u - lambda * w).abs() < 1e-12);
            }
        }
        let vtv = vecs.t().dot(&vecs);
        for i in 0..3 {
            for j in 0..3 {
                let e = if i == j { 1.0 } else { 0.0 };
                assert!((vtv[[i, j]] - e).abs() < 1e-12);
            }
        }
        // Rank-deficient Gram matrix: one zero eigenvalue.
        let g = array![[1.0, 1.0], [1.0, 1.0]];
        let (vals, _) = symmetric_eigen(g.view());
        let min = vals.iter().cloned().fold(f64::INFINITY, f64::min);
        assert!(min.abs() < 1e-15);
    }

    #[test]
    fn norms() {
        assert_eq!(norm_inf(&[1.0, -3.0, 2.0]), 3.0);
        assert!(norm_inf(&[1.0, f64::NAN]).is_nan());
        assert_eq!(norm_inf(&[]), 0.0);
        assert_eq!(norm2(&[3.0, 4.0]), 5.0);
        assert_eq!(dot(&[1.0, 2.0], &[3.0, 4.0]), 11.0);
    }
}

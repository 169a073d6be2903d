//! Small dense linear algebra for the solvers, on top of nalgebra: a Cholesky factorisation of the
//! diagonally scaled matrix (with an added-identity fallback for matrices that are singular or
//! indefinite in floating point) and a symmetric eigen-decomposition.
//!
//! Why scaled: the Hessian of an unstandardised fit mixes columns whose scales differ by many
//! orders of magnitude (a column in micro-units beside one in millions gives diagonal entries
//! 1e-8 and 1e12). A pivot test relative to the largest diagonal then calls a perfectly
//! well-posed matrix singular. Factoring `M = S A S` with `S = diag(a_ii^-1/2)` (unit diagonal)
//! makes every test and every ridge relative to each column's own scale (van der Sluis: this
//! scaling is within a factor `n` of the best diagonal scaling for the condition number).
//!
//! References: Golub & Van Loan, *Matrix Computations*, 4th ed., Sec. 4.2 and 3.5.2 (scaling);
//! Nocedal & Wright, *Numerical Optimization*, 2nd ed., Alg. 3.3 (Cholesky with added multiple of
//! the identity); Marquardt (1963) for damping proportional to the diagonal.

use nalgebra::{DMatrix, DVector};
use ndarray::{Array2, ArrayView2};

/// Relative size below which a Cholesky pivot of the scaled matrix counts as zero.
///
/// A pivot `d_j` of `M = S A S` (unit diagonal) is accepted only when `d_j > PIVOT_RTOL`. An
/// exactly singular matrix (a duplicated column, an intercept plus a constant column) produces
/// pivots of the order of rounding error (~1e-16) rather than exact zeros; accepting those would
/// give meaningless, enormous solutions, so they are treated as a failed factorisation instead.
/// Because `M` has a unit diagonal, the test does not depend on the units of the columns.
const PIVOT_RTOL: f64 = 1e-13;

/// The factorisation failed: the matrix is not (numerically) positive definite.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NotPositiveDefinite {
    /// Index of the first pivot that was not safely positive.
    pub column: usize,
}

/// Cholesky factor of a symmetric positive definite `A`, held as `S A S = L L^T` with the
/// diagonal scaling `S`.
pub struct Cholesky {
    /// `s_i = a_ii^-1/2` (1 where `a_ii` is not positive).
    scale: Vec<f64>,
    llt: nalgebra::Cholesky<f64, nalgebra::Dyn>,
}

impl std::fmt::Debug for Cholesky {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cholesky")
            .field("dim", &self.dim())
            .finish_non_exhaustive()
    }
}

/// `S = diag(a_ii^-1/2)`, 1 where the diagonal is not positive and finite.
fn unit_diagonal_scale(a: ArrayView2<f64>) -> Vec<f64> {
    (0..a.nrows())
        .map(|i| {
            let d = a[[i, i]];
            if d > 0.0 && d.is_finite() {
                1.0 / d.sqrt()
            } else {
                1.0
            }
        })
        .collect()
}

impl Cholesky {
    /// Factor a symmetric positive definite matrix (only its lower triangle is read).
    pub fn factor(a: ArrayView2<f64>) -> Result<Cholesky, NotPositiveDefinite> {
        Self::factor_shifted(a, 0.0)
    }

    /// Factor `A + shift * D` with `D = diag(a_ii)` (where positive; 1 elsewhere): the shift is
    /// relative to each column's own scale, i.e. `S A S + shift * I` is factored.
    pub fn factor_shifted(a: ArrayView2<f64>, shift: f64) -> Result<Cholesky, NotPositiveDefinite> {
        let n = a.nrows();
        assert_eq!(n, a.ncols(), "Cholesky needs a square matrix");
        let scale = unit_diagonal_scale(a);
        let lower = |i: usize, j: usize| if i >= j { a[[i, j]] } else { a[[j, i]] };
        let m = DMatrix::<f64>::from_fn(n, n, |i, j| {
            lower(i, j) * scale[i] * scale[j] + if i == j { shift } else { 0.0 }
        });
        if let Some(j) = (0..n).find(|&j| (0..n).any(|i| !m[(i, j)].is_finite())) {
            return Err(NotPositiveDefinite { column: j });
        }
        let max_diag = (0..n).map(|i| m[(i, i)].abs()).fold(0.0_f64, f64::max);
        let floor = (PIVOT_RTOL * max_diag).max(f64::MIN_POSITIVE);
        // A pivot that is not positive is replaced by a tiny one so that the factorisation runs
        // to the end; the first pivot under the floor then names the failing column.
        let llt = nalgebra::Cholesky::new_with_substitute(m, f64::MIN_POSITIVE)
            .ok_or(NotPositiveDefinite { column: 0 })?;
        let l = llt.l_dirty();
        let too_small = |j: usize| {
            let pivot = l[(j, j)] * l[(j, j)];
            pivot.is_nan() || pivot <= floor
        };
        if let Some(j) = (0..n).find(|&j| too_small(j)) {
            return Err(NotPositiveDefinite { column: j });
        }
        Ok(Cholesky { scale, llt })
    }

    /// Dimension of the factored matrix.
    pub fn dim(&self) -> usize {
        self.scale.len()
    }

    /// A lower-triangular `L` with `A = L L^T` (for the unshifted factorisation).
    pub fn lower(&self) -> Array2<f64> {
        let l = self.llt.l_dirty();
        let n = self.dim();
        Array2::from_shape_fn((n, n), |(i, j)| {
            if i >= j {
                l[(i, j)] / self.scale[i]
            } else {
                0.0
            }
        })
    }

    /// Solve `A x = b` in place (`b` becomes `x`): `x = S (S A S)^-1 S b`.
    pub fn solve_in_place(&self, b: &mut [f64]) {
        let n = self.dim();
        assert_eq!(b.len(), n, "right-hand side has the wrong length");
        let mut rhs = DVector::<f64>::from_fn(n, |i, _| b[i] * self.scale[i]);
        self.llt.solve_mut(&mut rhs);
        for (i, v) in b.iter_mut().enumerate() {
            *v = rhs[i] * self.scale[i];
        }
    }

    /// Solve `A x = b`.
    pub fn solve(&self, b: &[f64]) -> Vec<f64> {
        let mut x = b.to_vec();
        self.solve_in_place(&mut x);
        x
    }
}

/// Cholesky factorisation of `A + tau D` (see [`Cholesky::factor_shifted`]) with the smallest
/// `tau` in the sequence `0, tau0, 10 tau0, 100 tau0, ...` that succeeds (Nocedal & Wright
/// Alg. 3.3 on the unit-diagonal `S A S`, with a growth factor of 10 instead of 2 so that the
/// number of attempts stays small).
///
/// `tau0 = 1e-9`: small enough to leave a well-posed Newton step essentially unchanged, large
/// enough to make an exactly singular Hessian (l2 = 0 with a duplicated or constant column)
/// factorisable. Returns the factor and the `tau` used (relative to the diagonal), or `None`
/// when even `tau = 1e12` fails (only possible with non-finite entries).
pub fn factor_with_ridge(a: ArrayView2<f64>) -> Option<(Cholesky, f64)> {
    if let Ok(c) = Cholesky::factor(a) {
        return Some((c, 0.0));
    }
    let n = a.nrows();
    if a.iter().any(|v| !v.is_finite()) {
        return None;
    }
    // Start from the amount that makes the scaled diagonal positive (N&W Alg. 3.3,
    // tau_0 = -min m_ii + beta); a non-positive a_ii keeps scale 1, so m_ii = a_ii there.
    let min_diag = (0..n)
        .map(|i| if a[[i, i]] > 0.0 { 1.0 } else { a[[i, i]] })
        .fold(f64::INFINITY, f64::min);
    let beta = 1e-9;
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

/// Eigen-decomposition of a symmetric matrix (only its lower triangle is read). Returns the
/// eigenvalues in nondecreasing order and a matrix whose COLUMNS are the corresponding
/// orthonormal eigenvectors. Used on small `k x k` Gram matrices by the separation diagnostics
/// and the summary's rank test. Non-finite entries give NaN eigenvalues.
pub fn symmetric_eigen(a: ArrayView2<f64>) -> (Vec<f64>, Array2<f64>) {
    let n = a.nrows();
    assert_eq!(n, a.ncols(), "eigen-decomposition needs a square matrix");
    if a.iter().any(|v| !v.is_finite()) {
        return (vec![f64::NAN; n], Array2::from_elem((n, n), f64::NAN));
    }
    let lower = |i: usize, j: usize| if i >= j { a[[i, j]] } else { a[[j, i]] };
    let eigen = DMatrix::<f64>::from_fn(n, n, lower).symmetric_eigen();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| eigen.eigenvalues[i].total_cmp(&eigen.eigenvalues[j]));
    let values = order.iter().map(|&i| eigen.eigenvalues[i]).collect();
    let vectors = Array2::from_shape_fn((n, n), |(i, j)| eigen.eigenvectors[(i, order[j])]);
    (values, vectors)
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
            Cholesky::factor(indefinite.view()).err(),
            Some(NotPositiveDefinite { column: 1 })
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
    fn symmetric_eigen_decomposes() {
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
    fn badly_scaled_positive_definite_matrix_is_not_called_singular() {
        // A well-conditioned matrix seen in units that differ by 1e10 per column: the diagonal
        // runs from 1e12 to 1e-8, far beyond a pivot floor relative to the largest diagonal.
        let base = array![[2.0, 0.6, -0.3], [0.6, 1.5, 0.4], [-0.3, 0.4, 1.0]];
        let units = [1e6, 1.0, 1e-4];
        let a = Array2::from_shape_fn((3, 3), |(i, j)| base[[i, j]] * units[i] * units[j]);
        let c = Cholesky::factor(a.view()).expect("positive definite");
        let (_, tau) = factor_with_ridge(a.view()).unwrap();
        assert_eq!(tau, 0.0);
        // Exact solution x of A x = b chosen first, b computed from it.
        let x_true = [3e-6, -2.0, 5e4];
        let b = matvec(&a, &x_true);
        let x = c.solve(&b);
        for (u, v) in x.iter().zip(x_true.iter()) {
            assert!((u - v).abs() <= 1e-12 * v.abs(), "{x:?}");
        }
        let l = c.lower();
        let llt = l.dot(&l.t());
        for (u, v) in llt.iter().zip(a.iter()) {
            assert!((u - v).abs() <= 1e-12 * v.abs().max(1e-20), "{llt:?}");
        }
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

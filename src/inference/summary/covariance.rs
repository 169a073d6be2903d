//! From the information matrix of the reported parameters (fit scale) to their covariance in
//! original units, with a status per parameter (identifiable, collinear, near separation,
//! converged). Knows nothing of loss families: [`super::compute`] builds the information of the
//! parametrisation the summary reports (binary `[w, b]`, or the multinomial reference-class
//! contrasts) and this module inverts and judges it.
//!
//! The covariance is the inverse of the observed information at the optimum (Greene,
//! *Econometric Analysis*, 7th ed., Sec. 17.3 and 17.4.2; statsmodels `Logit.cov_params`),
//! mapped to original units by the linear map `A` of
//! [`crate::data::design::Scaler::to_original`] as `A Cov A^T`.

use ndarray::Array2;

use crate::fit::solvers::linalg::{symmetric_eigen, Cholesky};
use crate::model::inference::ParameterStatus;

/// Eigenvalues of the unit-diagonal information matrix at or below this fraction of the
/// largest count as zero: the matching directions are not identified by the data.
pub(super) const NULL_RTOL: f64 = 1e-10;
/// A parameter is identifiable when its coefficient vector has at most this relative length
/// in the null space (rounding leaves about 1e-12 there; a true dependence leaves O(1/k)).
const IDENTIFIABLE_RTOL: f64 = 1e-6;
/// Variance inflation beyond which a coefficient counts as collinear: its column is a linear
/// combination of the others up to `R^2 > 1 - 1e-6`, so the data barely determine it.
const COLLINEAR_VIF: f64 = 1e6;
/// A coefficient on the scale of one standard deviation of its column beyond which the fit is
/// close to separation: the Wald statistic is then unreliable (Hauck & Donner 1977, JASA 72).
const NEAR_SEPARATION: f64 = 10.0;
/// The estimate must be accurate (given the final gradient) to this fraction of its standard
/// error, or the fit stopped too early for its inference to mean anything.
const ACCURACY_RTOL: f64 = 0.01;

/// The information of the `m` reported parameters, in the fit (standardised) scale.
pub(super) struct Information {
    /// Of the objective that was fitted: `S` times the Hessian of the penalised mean loss (for
    /// a multinomial model with `l2 > 0`, the precision of the contrasts, see
    /// [`super::compute`]).
    pub fitted: Array2<f64>,
    /// Of the log-likelihood alone (equal to `fitted` when `l2 = 0`).
    pub log_likelihood: Array2<f64>,
    /// `A`: fit-scale parameters to original units (block diagonal, one block per equation).
    pub to_original: Array2<f64>,
    /// Per parameter: its fit-scale estimate times the (weighted) standard deviation of its
    /// design column, `None` for an intercept.
    pub per_sd: Vec<Option<f64>>,
    /// `S`: the information is `S` times the Hessian of the mean objective.
    pub weight_sum: f64,
}

/// The covariance and what the data say about each parameter.
pub(super) struct Judged {
    /// In original units, exactly symmetric.
    pub covariance: Array2<f64>,
    pub status: Vec<ParameterStatus>,
    pub rank: usize,
    pub condition_number: Option<f64>,
    pub effective_parameters: f64,
}

/// Inverts and judges the information; `gradient_norm` is the fit's final max-norm gradient
/// (of the mean objective). `Err` says why there is no covariance.
pub(super) fn judge(info: &Information, gradient_norm: f64) -> Result<Judged, String> {
    let fitted = &info.fitted;
    let k = fitted.nrows();
    if fitted.iter().any(|v| !v.is_finite()) {
        return Err("the Hessian at the optimum is not finite".into());
    }
    // Scale to unit diagonal, M = D I D with D = diag(I_ii^-1/2): the eigenvalues then measure
    // collinearity, not units. A zero diagonal (a constant column) keeps scale 1 and is null.
    let scale: Vec<f64> = (0..k)
        .map(|i| {
            if fitted[[i, i]] > 0.0 {
                1.0 / fitted[[i, i]].sqrt()
            } else {
                1.0
            }
        })
        .collect();
    let m = Array2::from_shape_fn((k, k), |(i, j)| fitted[[i, j]] * scale[i] * scale[j]);
    let (values, vectors) = symmetric_eigen(m.view());
    let largest = values.iter().copied().fold(0.0_f64, f64::max);
    if largest.is_nan() || largest <= 0.0 {
        return Err("the Hessian at the optimum is zero: the data carry no information".into());
    }
    let null: Vec<usize> = (0..k)
        .filter(|&i| values[i] <= NULL_RTOL * largest)
        .collect();
    let smallest = values.iter().copied().fold(f64::INFINITY, f64::min);
    let condition_number = null.is_empty().then(|| largest / smallest);

    // M^-1 by Cholesky when M is regular; otherwise the Moore-Penrose inverse from the
    // eigen-decomposition, a generalised inverse that gives the right variance for every
    // identifiable combination of parameters (Searle, *Linear Models*, Sec. 5.4).
    let m_inv = match null.is_empty().then(|| Cholesky::factor(m.view()).ok()) {
        Some(Some(chol)) => inverse_from_cholesky(&chol),
        _ => pseudo_inverse(&values, &vectors, NULL_RTOL * largest),
    };
    // Covariance in the fit scale, then the map to original units.
    let cov_fit = Array2::from_shape_fn((k, k), |(i, j)| m_inv[[i, j]] * scale[i] * scale[j]);
    let a = &info.to_original;
    let cov = a.dot(&cov_fit).dot(&a.t());
    // Exactly symmetric in the file, whatever the rounding of the products.
    let cov = Array2::from_shape_fn((k, k), |(i, j)| 0.5 * (cov[[i, j]] + cov[[j, i]]));

    // How far the estimates can be from the optimum given the final gradient:
    // |delta theta_orig| <= |A H^-1|_rows,1 * |g|_inf with H^-1 = S Cov_fit (mean objective).
    let error_map = a.dot(&cov_fit) * info.weight_sum;
    let status: Vec<ParameterStatus> = (0..k)
        .map(|i| {
            // The parameter's coefficient vector in the unit-diagonal coordinates: D a_i.
            let w: Vec<f64> = (0..k).map(|j| scale[j] * a[[i, j]]).collect();
            let norm2: f64 = w.iter().map(|v| v * v).sum();
            let in_null: f64 = null
                .iter()
                .map(|&e| (0..k).map(|j| vectors[[j, e]] * w[j]).sum::<f64>().powi(2))
                .sum();
            if norm2.is_nan()
                || norm2 <= 0.0
                || in_null > IDENTIFIABLE_RTOL * IDENTIFIABLE_RTOL * norm2
            {
                return ParameterStatus::NotIdentifiable;
            }
            let inflation: f64 = (0..k)
                .flat_map(|r| (0..k).map(move |c| (r, c)))
                .map(|(r, c)| w[r] * m_inv[[r, c]] * w[c])
                .sum::<f64>()
                / norm2;
            let variance = cov[[i, i]];
            let error_bound: f64 =
                (0..k).map(|j| error_map[[i, j]].abs()).sum::<f64>() * gradient_norm;
            if inflation > COLLINEAR_VIF {
                ParameterStatus::Collinear
            } else if info.per_sd[i].is_some_and(|v| v.abs() > NEAR_SEPARATION) {
                ParameterStatus::NearSeparation
            } else if error_bound.is_nan() || error_bound > ACCURACY_RTOL * variance.max(0.0).sqrt()
            {
                ParameterStatus::NotConverged
            } else {
                ParameterStatus::Ok
            }
        })
        .collect();
    // Effective number of parameters tr(Cov_fit I_ll).
    let effective_parameters = (0..k)
        .flat_map(|i| (0..k).map(move |j| (i, j)))
        .map(|(i, j)| cov_fit[[i, j]] * info.log_likelihood[[j, i]])
        .sum();
    Ok(Judged {
        covariance: cov,
        status,
        rank: k - null.len(),
        condition_number,
        effective_parameters,
    })
}

/// `A^-1` column by column from a Cholesky factor.
fn inverse_from_cholesky(chol: &Cholesky) -> Array2<f64> {
    let k = chol.dim();
    let mut inv = Array2::<f64>::zeros((k, k));
    for j in 0..k {
        let mut e = vec![0.0; k];
        e[j] = 1.0;
        chol.solve_in_place(&mut e);
        for (i, v) in e.into_iter().enumerate() {
            inv[[i, j]] = v;
        }
    }
    inv
}

/// The Moore-Penrose inverse `sum_e v_e v_e^T / lambda_e` over the eigenvalues above `cutoff`.
fn pseudo_inverse(values: &[f64], vectors: &Array2<f64>, cutoff: f64) -> Array2<f64> {
    let k = values.len();
    let kept: Vec<usize> = (0..k).filter(|&e| values[e] > cutoff).collect();
    Array2::from_shape_fn((k, k), |(i, j)| {
        kept.iter()
            .map(|&e| vectors[[i, e]] * vectors[[j, e]] / values[e])
            .sum()
    })
}

/// A generalised inverse of the symmetric positive semi-definite `a`, scaled to unit diagonal
/// first (so the cut-off is relative to the best-determined direction, not to units):
/// `D (D a D)^+ D`. For every `c` orthogonal to the null space of `a`, `c^T G c` is the same as
/// with any other generalised inverse (Searle, *Linear Models*, Sec. 5.4), which is all the
/// multinomial contrasts need.
pub(super) fn generalised_inverse(a: &Array2<f64>) -> Array2<f64> {
    let k = a.nrows();
    let scale: Vec<f64> = (0..k)
        .map(|i| {
            if a[[i, i]] > 0.0 {
                1.0 / a[[i, i]].sqrt()
            } else {
                1.0
            }
        })
        .collect();
    let m = Array2::from_shape_fn((k, k), |(i, j)| a[[i, j]] * scale[i] * scale[j]);
    let (values, vectors) = symmetric_eigen(m.view());
    let largest = values.iter().copied().fold(0.0_f64, f64::max);
    let inv = pseudo_inverse(&values, &vectors, NULL_RTOL * largest);
    Array2::from_shape_fn((k, k), |(i, j)| inv[[i, j]] * scale[i] * scale[j])
}

/// The inverse of a symmetric positive definite matrix (Cholesky), or its generalised inverse
/// when it is singular.
pub(super) fn symmetric_inverse(a: &Array2<f64>) -> Array2<f64> {
    match Cholesky::factor(a.view()) {
        Ok(chol) => inverse_from_cholesky(&chol),
        Err(_) => generalised_inverse(a),
    }
}

//! The inference statistics computed at training time from the data: the log-likelihood and
//! the covariance of the estimates in original units, with a status per parameter.

use ndarray::Array2;

use crate::fit::objective::Objective;
use crate::fit::solvers::linalg::{symmetric_eigen, Cholesky};
use crate::fit::solvers::{FitReport, StopReason};
use crate::model::inference::{
    Covariance, CovarianceSource, Inference, ParameterStatus, INTERCEPT_NAME,
};

use super::MAX_COVARIANCE_PARAMETERS;

/// Eigenvalues of the unit-diagonal information matrix at or below this fraction of the
/// largest count as zero: the matching directions are not identified by the data.
const NULL_RTOL: f64 = 1e-10;
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

// ---------------------------------------------------------------------------------------------
// Computed at training time
// ---------------------------------------------------------------------------------------------

/// Computes the log-likelihood and (when meaningful and small enough) the covariance at the
/// fitted `theta` (fit scale, `[w, b]`). `mean` and `std` are the scaler statistics
/// (`x_fit = (x - mean) / std`), `names` the feature names, `report` the fit's report.
pub fn compute_inference(
    objective: &Objective,
    theta: &[f64],
    mean: &[f64],
    std: &[f64],
    names: &[String],
    report: &FitReport,
) -> Inference {
    let n = objective.n_rows() as f64;
    let unpenalised = Objective::new(objective.x, objective.y, 0.0, objective.fit_intercept);
    let log_likelihood = -n * unpenalised.value(theta);
    let k = objective.n_params();
    let omitted = |why: String| Inference {
        log_likelihood,
        covariance: None,
        covariance_omitted: Some(why),
    };
    if report.stop_reason == StopReason::Separation {
        return omitted(
            "the classes are separated, so the maximum-likelihood estimate does not exist".into(),
        );
    }
    if k == 0 {
        return omitted("the model has no parameters".into());
    }
    if k > MAX_COVARIANCE_PARAMETERS {
        return omitted(format!(
            "the model has {k} parameters; logit stores the covariance only for at most \
             {MAX_COVARIANCE_PARAMETERS} to keep the model file small"
        ));
    }
    match covariance(objective, &unpenalised, theta, mean, std, names, report) {
        Ok(c) => Inference {
            log_likelihood,
            covariance: Some(c),
            covariance_omitted: None,
        },
        Err(why) => omitted(why),
    }
}

/// The covariance in original units with per-parameter statuses; `Err` says why none exists.
fn covariance(
    objective: &Objective,
    unpenalised: &Objective,
    theta: &[f64],
    mean: &[f64],
    std: &[f64],
    names: &[String],
    report: &FitReport,
) -> Result<Covariance, String> {
    let n = objective.n_rows() as f64;
    let p = objective.n_features();
    let k = objective.n_params();
    // Observed information of the log-likelihood, and of the penalised objective that was fitted.
    let info_ll = unpenalised.hessian(theta) * n;
    let column_sd = crate::data::design::Scaler::fit(unpenalised.x, true).std;
    let mut info = info_ll.clone();
    for j in 0..p {
        info[[j, j]] += n * objective.l2;
    }
    if info.iter().any(|v| !v.is_finite()) {
        return Err("the Hessian at the optimum is not finite".into());
    }
    // Scale to unit diagonal, M = S I S with S = diag(I_ii^-1/2): the eigenvalues then measure
    // collinearity, not units. A zero diagonal (a constant column) keeps scale 1 and is null.
    let scale: Vec<f64> = (0..k)
        .map(|i| {
            if info[[i, i]] > 0.0 {
                1.0 / info[[i, i]].sqrt()
            } else {
                1.0
            }
        })
        .collect();
    let m = Array2::from_shape_fn((k, k), |(i, j)| info[[i, j]] * scale[i] * scale[j]);
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
    let regular_inverse = if null.is_empty() {
        Cholesky::factor(m.view()).ok()
    } else {
        None
    };
    let m_inv = match regular_inverse {
        Some(chol) => {
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
        None => Array2::from_shape_fn((k, k), |(i, j)| {
            (0..k)
                .filter(|&e| values[e] > NULL_RTOL * largest)
                .map(|e| vectors[[i, e]] * vectors[[j, e]] / values[e])
                .sum()
        }),
    };
    // Covariance in the fit scale, then the map to original units: row j < p of A is
    // e_j / std_j, the intercept's row is (-mean_1/std_1, ..., -mean_p/std_p, 1).
    let cov_fit = Array2::from_shape_fn((k, k), |(i, j)| m_inv[[i, j]] * scale[i] * scale[j]);
    let a = Array2::from_shape_fn((k, k), |(i, j)| match (i < p, j < p) {
        (true, _) => f64::from(u8::from(i == j)) / std[i],
        (false, true) => -mean[j] / std[j],
        (false, false) => 1.0,
    });
    let cov = a.dot(&cov_fit).dot(&a.t());
    // Exactly symmetric in the file, whatever the rounding of the products.
    let cov = Array2::from_shape_fn((k, k), |(i, j)| 0.5 * (cov[[i, j]] + cov[[j, i]]));

    // How far the estimates can be from the optimum given the final gradient:
    // |delta theta_orig| <= |A H^-1|_rows,1 * |g|_inf with H^-1 = n Cov_fit (mean objective).
    let error_map = a.dot(&cov_fit) * n;
    let status: Vec<ParameterStatus> = (0..k)
        .map(|i| {
            // The parameter's coefficient vector in the unit-diagonal coordinates: S a_i.
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
                (0..k).map(|j| error_map[[i, j]].abs()).sum::<f64>() * report.gradient_norm;
            if inflation > COLLINEAR_VIF {
                ParameterStatus::Collinear
            } else if i < p && (theta[i] * column_sd[i]).abs() > NEAR_SEPARATION {
                ParameterStatus::NearSeparation
            } else if error_bound.is_nan() || error_bound > ACCURACY_RTOL * variance.max(0.0).sqrt()
            {
                ParameterStatus::NotConverged
            } else {
                ParameterStatus::Ok
            }
        })
        .collect();
    let identified = |i: usize| status[i] != ParameterStatus::NotIdentifiable;
    let matrix = (0..k)
        .map(|i| {
            (0..k)
                .map(|j| (identified(i) && identified(j)).then(|| cov[[i, j]]))
                .collect()
        })
        .collect();
    // Effective number of parameters tr(Cov_fit I_ll).
    let effective_parameters = (0..k)
        .flat_map(|i| (0..k).map(move |j| (i, j)))
        .map(|(i, j)| cov_fit[[i, j]] * info_ll[[j, i]])
        .sum();
    let mut parameters = names.to_vec();
    if objective.fit_intercept {
        parameters.push(INTERCEPT_NAME.to_string());
    }
    Ok(Covariance {
        scale: "original".to_string(),
        source: if objective.l2 > 0.0 {
            CovarianceSource::InversePenalizedHessian
        } else {
            CovarianceSource::InverseHessian
        },
        parameters,
        status,
        matrix,
        rank: k - null.len(),
        condition_number,
        effective_parameters,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::solvers::SolverKind;
    use ndarray::{Array1, Array2};

    fn report() -> FitReport {
        FitReport {
            solver: SolverKind::Newton,
            converged: true,
            stop_reason: StopReason::Converged,
            iterations: 1,
            objective: 0.0,
            gradient_norm: 0.0,
            tol: 1e-10,
            max_iter: 100,
        }
    }

    /// One binary feature and an intercept: the MLE reproduces the 2 x 2 table,
    /// `b = ln(a1/a0)`, `w = ln(c1/c0) - ln(a1/a0)`, and the covariance is Woolf's (1955):
    /// `Var w = 1/a1 + 1/a0 + 1/c1 + 1/c0`, `Var b = 1/a1 + 1/a0`, `Cov(w, b) = -Var b`.
    /// Checked on the raw and on the standardised scale (which must map back to the same).
    #[test]
    fn covariance_of_a_two_by_two_table_is_woolfs() {
        let (a1, a0, c1, c0) = (3usize, 9usize, 8usize, 4usize);
        let mut x = Vec::new();
        let mut y = Vec::new();
        for (xv, yv, count) in [
            (0.0, 1.0, a1),
            (0.0, 0.0, a0),
            (1.0, 1.0, c1),
            (1.0, 0.0, c0),
        ] {
            x.extend(std::iter::repeat_n(xv, count));
            y.extend(std::iter::repeat_n(yv, count));
        }
        let n = y.len();
        let f = |v: usize| v as f64;
        let b = (f(a1) / f(a0)).ln();
        let w = (f(c1) / f(c0)).ln() - b;
        let var_b = 1.0 / f(a1) + 1.0 / f(a0);
        let var_w = var_b + 1.0 / f(c1) + 1.0 / f(c0);
        let ll = f(a1) * (f(a1) / f(a1 + a0)).ln()
            + f(a0) * (f(a0) / f(a1 + a0)).ln()
            + f(c1) * (f(c1) / f(c1 + c0)).ln()
            + f(c0) * (f(c0) / f(c1 + c0)).ln();
        let mean = x.iter().sum::<f64>() / n as f64;
        let std = (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        let y = Array1::from(y);
        for (m, s) in [(0.0, 1.0), (mean, std)] {
            let design = Array2::from_shape_fn((n, 1), |(i, _)| (x[i] - m) / s);
            let objective = Objective::new(design.view(), y.view(), 0.0, true);
            let theta = [w * s, b + w * m];
            let names = ["x".to_string()];
            let inf = compute_inference(&objective, &theta, &[m], &[s], &names, &report());
            assert!(
                (inf.log_likelihood - ll).abs() < 1e-12,
                "{} vs {ll}",
                inf.log_likelihood
            );
            let c = inf.covariance.clone().expect("a covariance");
            let got = |i: usize, j: usize| c.matrix[i][j].unwrap();
            assert!(
                (got(0, 0) - var_w).abs() < 1e-12 * var_w,
                "{} vs {var_w}",
                got(0, 0)
            );
            assert!(
                (got(1, 1) - var_b).abs() < 1e-12 * var_b,
                "{} vs {var_b}",
                got(1, 1)
            );
            assert!((got(0, 1) + var_b).abs() < 1e-12 * var_b && got(0, 1) == got(1, 0));
            assert_eq!(c.status, [ParameterStatus::Ok, ParameterStatus::Ok]);
            assert_eq!((c.rank, c.parameters[1].as_str()), (2, INTERCEPT_NAME));
            assert!((c.effective_parameters - 2.0).abs() < 1e-12);
            assert!(inf.check(&["x"], true).is_ok());
            assert!(inf.check(&["z"], true).is_err());
        }
    }

    #[test]
    fn separation_and_empty_models_store_no_covariance_but_say_why() {
        let x = Array2::from_shape_vec((4, 1), vec![0.0, 1.0, 2.0, 3.0]).unwrap();
        let y = Array1::from(vec![0.0, 0.0, 1.0, 1.0]);
        let objective = Objective::new(x.view(), y.view(), 0.0, true);
        let separated = FitReport {
            stop_reason: StopReason::Separation,
            converged: false,
            ..report()
        };
        let inf = compute_inference(
            &objective,
            &[30.0, -45.0],
            &[0.0],
            &[1.0],
            &["x".into()],
            &separated,
        );
        assert!(inf.covariance.is_none() && inf.covariance_omitted.unwrap().contains("separated"));
        assert!(inf.log_likelihood < 0.0 && inf.log_likelihood > -1e-5);
    }
}

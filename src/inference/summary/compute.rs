//! The inference statistics computed at training time from the data: the log-likelihood (and
//! the null model's), and the covariance of the estimates in original units with a status per
//! parameter, for binary (optionally frequency-weighted) and multinomial fits.
//!
//! A multinomial model is fitted in the symmetric parametrisation (every class has `w_k`, `b_k`,
//! centred); its summary reports statsmodels `MNLogit`'s reference-class parametrisation, the
//! contrasts `w_k - w_0`, `b_k - b_0` for `k = 1..K-1`. The likelihood is invariant under adding
//! the same vector to every class, so the reference parametrisation's log-likelihood is the
//! symmetric one restricted to `w_0 = 0, b_0 = 0`, and its Hessian is the submatrix of the
//! symmetric Hessian for classes `1..K-1`, at the same probabilities.
//!
//! Frequency weights (statsmodels GLM `freq_weights`, R's `glm` prior weights for 0/1 data):
//! a row of weight `s` counts as `s` rows, so the information is `S` times the Hessian of the
//! weighted mean loss, the log-likelihood is `sum_i s_i ln p_i(y_i)`, and rows of weight 0
//! count nowhere.

use ndarray::{Array2, ArrayView1};

use crate::data::design::{ChunkedSums, CsrMatrix, Design};
use crate::fit::objective::{Family, Objective, Reduce};
use crate::fit::solvers::{FitReport, StopReason};
use crate::model::inference::{
    Covariance, CovarianceSource, Inference, ParameterStatus, INTERCEPT_NAME,
};

use super::covariance::{generalised_inverse, judge, symmetric_inverse, Information};
use super::MAX_COVARIANCE_PARAMETERS;

/// How the linear scores relate to the classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// One score, `theta = [w_1..w_p, b]`.
    Binary,
    /// `classes` scores, `theta = [W row-major (classes x p), b_0..b_{classes-1}]`.
    Multinomial { classes: usize },
}

/// What the inference needs to know about a fit, whatever computed it.
pub(crate) struct Fitted {
    pub layout: Layout,
    pub n_features: usize,
    pub fit_intercept: bool,
    pub l2: f64,
    /// Hessian of the unpenalised weighted mean loss `(1/S) sum_i s_i loss_i` at `theta`.
    pub hessian: Array2<f64>,
    /// `sum_i s_i ln p_i(y_i)` at `theta`.
    pub log_likelihood: f64,
    /// `S` (the row count when unweighted).
    pub weight_sum: f64,
    /// Whether the rows carry weights: only then is the null log-likelihood stored (the class
    /// counts in the model give it otherwise, and an unweighted binary model's inference stays
    /// exactly version 1's).
    pub weighted: bool,
    /// `S_c`, the weight of each class in model order (binary: negative, positive).
    pub class_weights: Vec<f64>,
    /// The (weighted) population standard deviation of each fit-scale design column.
    pub column_sd: Vec<f64>,
}

/// Computes the log-likelihood and (when meaningful and small enough) the covariance at the
/// fitted `theta` (fit scale, CORE's layout `[W row-major, b]`; binary `[w, b]`) of any family,
/// with the objective's row weights as frequency weights. `mean` and `std` are the scaler
/// statistics (`x_fit = (x - mean) / std`), `names` the feature names, `report` the fit's
/// report, `classes` the class labels in model order (they name the multinomial equations; a
/// binary fit ignores them).
pub fn compute_inference(
    objective: &Objective,
    theta: &[f64],
    mean: &[f64],
    std: &[f64],
    names: &[String],
    report: &FitReport,
    classes: &[String],
) -> Inference {
    let s = objective.weight_sum();
    let family = objective.family();
    let unpenalised = objective.with_labels(objective.y, family, 0.0);
    let (layout, n_classes) = match family {
        Family::Binomial => (Layout::Binary, 2),
        Family::Multinomial { classes } => (Layout::Multinomial { classes }, classes),
    };
    let weights = objective.weights();
    let mut class_weights = vec![0.0; n_classes];
    for (i, &y) in objective.y.iter().enumerate() {
        // Labels are 0/1 or class indices (checked by the objective's constructor's callers).
        if let Some(total) = class_weights.get_mut(y as usize) {
            *total += weights.map_or(1.0, |w| w[i]);
        }
    }
    // Rows split among processes (`--distributed`): every process's class weights.
    if let Some(r) = objective.reducer() {
        r.sum(&mut class_weights);
    }
    let fitted = Fitted {
        layout,
        n_features: objective.n_features(),
        fit_intercept: objective.fit_intercept,
        l2: objective.l2,
        // Only when a covariance will be computed: the Hessian of a wide model is large.
        hessian: match no_covariance(
            layout,
            objective.n_features(),
            objective.fit_intercept,
            report,
        ) {
            None => unpenalised.hessian(theta),
            Some(_) => Array2::zeros((0, 0)),
        },
        log_likelihood: -s * unpenalised.value(theta),
        weight_sum: s,
        weighted: weights.is_some(),
        class_weights,
        column_sd: design_column_sd(objective.design(), weights, objective.reducer()),
    };
    inference_of(&fitted, theta, mean, std, names, report, classes)
}

/// [`column_sd`] of any design: of the dense matrix when it is one, else row by row; over the
/// rows of every process when they are split among processes (`reducer`: the two passes' sums
/// are added across them).
fn design_column_sd(
    design: &dyn Design,
    weights: Option<ArrayView1<f64>>,
    reducer: Option<&dyn Reduce>,
) -> Vec<f64> {
    let reduce = |v: &mut [f64]| {
        if let Some(r) = reducer {
            r.sum(v);
        }
    };
    if reducer.is_none() {
        if let Some(x) = design.as_dense() {
            return column_sd(x, weights);
        }
        if let Some((x, _)) = design.as_sparse() {
            // A shift does not change a spread: the stored values' columns, implicit zeros
            // included.
            return sparse_column_sd(x, weights);
        }
    }
    // Row by row, without a copy of the matrix (an out-of-core design does not fit): the
    // operations of `column_sd` in the same order (its chunks: `ChunkedSums`).
    let (n, p) = (design.n_rows(), design.n_cols());
    let weight = |i: usize| weights.map_or(1.0, |s| s[i]);
    let mut total = [(0..n).map(weight).sum::<f64>()];
    reduce(&mut total);
    let total = total[0];
    let mut row = vec![0.0; p];
    let mut sums = ChunkedSums::new(p, n);
    for i in 0..n {
        design.row_into(i, &mut row);
        let s = weight(i);
        for (m, v) in sums.part().iter_mut().zip(&row) {
            *m += s * v;
        }
        sums.end_row(i);
    }
    let mut mean = sums.finish();
    reduce(&mut mean);
    mean.iter_mut().for_each(|m| *m /= total);
    let mut sums = ChunkedSums::new(p, n);
    for i in 0..n {
        let s = weight(i);
        if s != 0.0 {
            design.row_into(i, &mut row);
            for ((acc, v), m) in sums.part().iter_mut().zip(&row).zip(&mean) {
                *acc += s * (v - m) * (v - m);
            }
        }
        sums.end_row(i);
    }
    let mut var = sums.finish();
    reduce(&mut var);
    var.into_iter().map(|v| (v / total).sqrt()).collect()
}

pub(crate) use crate::data::design::column_sd;

/// [`column_sd`] of a sparse matrix without densifying it: the stored entries' two passes, plus
/// the implicit zeros' share `mean^2 (S - stored weight)`.
fn sparse_column_sd(x: &CsrMatrix, weights: Option<ArrayView1<f64>>) -> Vec<f64> {
    let weight = |i: usize| weights.map_or(1.0, |s| s[i]);
    let total: f64 = (0..x.n_rows).map(weight).sum();
    let mut mean = vec![0.0; x.n_cols];
    for i in 0..x.n_rows {
        let (idx, val) = x.row(i);
        let s = weight(i);
        for (&j, &v) in idx.iter().zip(val) {
            mean[j as usize] += s * v;
        }
    }
    mean.iter_mut().for_each(|m| *m /= total);
    let mut var = vec![0.0; x.n_cols];
    let mut stored = vec![0.0; x.n_cols];
    for i in 0..x.n_rows {
        let s = weight(i);
        if s == 0.0 {
            continue;
        }
        let (idx, val) = x.row(i);
        for (&j, &v) in idx.iter().zip(val) {
            let (j, m) = (j as usize, mean[j as usize]);
            var[j] += s * (v - m) * (v - m);
            stored[j] += s;
        }
    }
    var.iter()
        .zip(&stored)
        .zip(&mean)
        .map(|((v, st), m)| ((v + m * m * (total - st).max(0.0)) / total).sqrt())
        .collect()
}

/// Equations the summary reports: 1 (binary) or `K - 1` (contrasts against the first class).
fn n_blocks(layout: Layout) -> usize {
    match layout {
        Layout::Binary => 1,
        Layout::Multinomial { classes } => classes.saturating_sub(1),
    }
}

/// Why no covariance is computed, decided before the Hessian is (a model too large for a
/// stored covariance may be far too large for its Hessian too).
fn no_covariance(
    layout: Layout,
    n_features: usize,
    fit_intercept: bool,
    report: &FitReport,
) -> Option<String> {
    let k = (n_features + usize::from(fit_intercept)) * n_blocks(layout);
    if report.stop_reason == StopReason::Separation {
        Some("the classes are separated, so the maximum-likelihood estimate does not exist".into())
    } else if k == 0 {
        Some("the model has no parameters".into())
    } else if k > MAX_COVARIANCE_PARAMETERS {
        Some(format!(
            "the model has {k} parameters; logit stores the covariance only for at most \
             {MAX_COVARIANCE_PARAMETERS} to keep the model file small"
        ))
    } else {
        None
    }
}

/// The intercept-only model's log-likelihood: `sum_c S_c ln(S_c / S)`, or `S ln(1/K)` (every
/// class equally likely, as R's `glm` for a binary model) without an intercept.
fn null_log_likelihood(class_weights: &[f64], weight_sum: f64, fit_intercept: bool) -> f64 {
    if fit_intercept {
        class_weights
            .iter()
            .filter(|&&s| s > 0.0)
            .map(|&s| s * (s / weight_sum).ln())
            .sum()
    } else {
        weight_sum * (1.0 / class_weights.len().max(2) as f64).ln()
    }
}

/// The inference of a fit: see [`compute_inference`]. `classes` (model order) names the
/// multinomial blocks; a binary fit ignores it.
pub(crate) fn inference_of(
    fitted: &Fitted,
    theta: &[f64],
    mean: &[f64],
    std: &[f64],
    names: &[String],
    report: &FitReport,
    classes: &[String],
) -> Inference {
    let log_likelihood = fitted.log_likelihood;
    let null = null_log_likelihood(
        &fitted.class_weights,
        fitted.weight_sum,
        fitted.fit_intercept,
    );
    let omitted = |why: String| Inference {
        log_likelihood,
        null_log_likelihood: fitted.weighted.then_some(null),
        covariance: None,
        covariance_omitted: Some(why),
    };
    if let Some(why) = no_covariance(
        fitted.layout,
        fitted.n_features,
        fitted.fit_intercept,
        report,
    ) {
        return omitted(why);
    }
    let q = fitted.n_features + usize::from(fitted.fit_intercept);
    let k = q * n_blocks(fitted.layout);
    let info = match fitted.layout {
        Layout::Binary => binary_information(fitted, theta, mean, std),
        Layout::Multinomial { classes } => {
            multinomial_information(fitted, classes, theta, mean, std)
        }
    };
    let judged = match judge(&info, report.gradient_norm) {
        Ok(judged) => judged,
        Err(why) => return omitted(why),
    };
    let identified = |i: usize| judged.status[i] != ParameterStatus::NotIdentifiable;
    let matrix = (0..k)
        .map(|i| {
            (0..k)
                .map(|j| (identified(i) && identified(j)).then(|| judged.covariance[[i, j]]))
                .collect()
        })
        .collect();
    let mut parameters = names.to_vec();
    if fitted.fit_intercept {
        parameters.push(INTERCEPT_NAME.to_string());
    }
    let equations = match fitted.layout {
        Layout::Binary => Vec::new(),
        Layout::Multinomial { .. } => classes.iter().skip(1).cloned().collect(),
    };
    Inference {
        log_likelihood,
        null_log_likelihood: fitted.weighted.then_some(null),
        covariance: Some(Covariance {
            scale: "original".to_string(),
            source: if fitted.l2 > 0.0 {
                CovarianceSource::InversePenalizedHessian
            } else {
                CovarianceSource::InverseHessian
            },
            equations,
            parameters,
            status: judged.status,
            matrix,
            rank: judged.rank,
            condition_number: judged.condition_number,
            effective_parameters: judged.effective_parameters,
        }),
        covariance_omitted: None,
    }
}

/// The map of one block `[w_1..w_p, (b)]` from the fit scale to original units: row `j < p` is
/// `e_j / std_j`, the intercept's row is `(-mean_1/std_1, ..., -mean_p/std_p, 1)`.
fn block_to_original(mean: &[f64], std: &[f64], fit_intercept: bool) -> Array2<f64> {
    let p = std.len();
    let q = p + usize::from(fit_intercept);
    Array2::from_shape_fn((q, q), |(i, j)| match (i < p, j < p) {
        (true, _) => f64::from(u8::from(i == j)) / std[i],
        (false, true) => -mean[j] / std[j],
        (false, false) => 1.0,
    })
}

/// Binary `[w, b]`: the information is `S H` (plus `S l2` on the coefficients when penalised).
fn binary_information(fitted: &Fitted, theta: &[f64], mean: &[f64], std: &[f64]) -> Information {
    let s = fitted.weight_sum;
    let p = fitted.n_features;
    let info_ll = &fitted.hessian * s;
    let mut info = info_ll.clone();
    for j in 0..p {
        info[[j, j]] += s * fitted.l2;
    }
    let k = info.nrows();
    Information {
        fitted: info,
        log_likelihood: info_ll,
        to_original: block_to_original(mean, std, fitted.fit_intercept),
        per_sd: (0..k)
            .map(|i| (i < p).then(|| theta[i] * fitted.column_sd[i]))
            .collect(),
        weight_sum: s,
    }
}

/// Multinomial: the information of the reference-class contrasts `(w_k - w_0, b_k - b_0)`,
/// `k = 1..K-1`, block by block.
///
/// At `l2 = 0` it is the submatrix of `S H` for classes `1..K-1` (see the module doc). With
/// `l2 > 0` the penalty `(l2/2) sum_k ||w_k||^2` is not a function of the contrasts, so the
/// Laplace approximation of the symmetric parameters, `N(theta, G)` with `G` a generalised
/// inverse of `S H_pen` (singular only along the unpenalised common intercept shift, to which
/// the contrasts are blind), is carried to the contrasts: `Cov = C G C^T`, information
/// `(C G C^T)^-1`.
fn multinomial_information(
    fitted: &Fitted,
    classes: usize,
    theta: &[f64],
    mean: &[f64],
    std: &[f64],
) -> Information {
    let s = fitted.weight_sum;
    let p = fitted.n_features;
    let q = p + usize::from(fitted.fit_intercept);
    let m = q * (classes - 1);
    // Index in the symmetric theta of parameter j of class c.
    let index = |c: usize, j: usize| if j < p { c * p + j } else { classes * p + c };
    // Reported parameter a = (class c >= 1, parameter j).
    let split = |a: usize| (a / q + 1, a % q);
    let sub = |h: &Array2<f64>| {
        Array2::from_shape_fn((m, m), |(a, b)| {
            let ((ca, ja), (cb, jb)) = (split(a), split(b));
            h[[index(ca, ja), index(cb, jb)]]
        })
    };
    let info_ll = sub(&(&fitted.hessian * s));
    let info = if fitted.l2 > 0.0 {
        let mut full = &fitted.hessian * s;
        for i in 0..classes * p {
            full[[i, i]] += s * fitted.l2;
        }
        let g = generalised_inverse(&full);
        let contrast_cov = Array2::from_shape_fn((m, m), |(a, b)| {
            let ((ca, ja), (cb, jb)) = (split(a), split(b));
            g[[index(ca, ja), index(cb, jb)]]
                - g[[index(ca, ja), index(0, jb)]]
                - g[[index(0, ja), index(cb, jb)]]
                + g[[index(0, ja), index(0, jb)]]
        });
        symmetric_inverse(&contrast_cov)
    } else {
        info_ll.clone()
    };
    let block = block_to_original(mean, std, fitted.fit_intercept);
    let to_original = Array2::from_shape_fn((m, m), |(a, b)| {
        let ((ca, ja), (cb, jb)) = (split(a), split(b));
        if ca == cb {
            block[[ja, jb]]
        } else {
            0.0
        }
    });
    let per_sd = (0..m)
        .map(|a| {
            let (c, j) = split(a);
            (j < p).then(|| (theta[index(c, j)] - theta[index(0, j)]) * fitted.column_sd[j])
        })
        .collect();
    Information {
        fitted: info,
        log_likelihood: info_ll,
        to_original,
        per_sd,
        weight_sum: s,
    }
}

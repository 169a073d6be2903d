//! Tests of the training-time inference: closed forms (Woolf's 2 x 2 table), the shared
//! references (statsmodels `MNLogit` on iris, GLM `freq_weights` on pima), frequency weights
//! against duplicated rows, and the flags of a separated multinomial fit.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use super::compute::{column_sd, compute_inference, inference_of, Fitted, Layout};
use crate::fit::objective::Objective;
use crate::fit::solvers::{FitReport, SolverKind, StopReason};
use crate::model::inference::{Inference, ParameterStatus, INTERCEPT_NAME};

pub(super) fn report() -> FitReport {
    FitReport {
        solver: SolverKind::Newton,
        converged: true,
        stop_reason: StopReason::Converged,
        iterations: 1,
        objective: 0.0,
        gradient_norm: 0.0,
        tol: 1e-10,
        max_iter: 100,
        newton_steps: 0,
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
        let inf = compute_inference(&objective, &theta, &[m], &[s], &names, &report(), &[]);
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
        &[],
    );
    assert!(inf.covariance.is_none() && inf.covariance_omitted.unwrap().contains("separated"));
    assert!(inf.log_likelihood < 0.0 && inf.log_likelihood > -1e-5);
}

// ---------------------------------------------------------------------------------------------
// Multinomial and weighted fits, checked on plain arrays (the likelihood written out here).
// ---------------------------------------------------------------------------------------------

/// Softmax probabilities of one row's scores, stably.
fn softmax(scores: &[f64]) -> Vec<f64> {
    let top = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = scores.iter().map(|z| (z - top).exp()).collect();
    let total: f64 = e.iter().sum();
    e.into_iter().map(|v| v / total).collect()
}

/// The weighted multinomial log-likelihood and the Hessian of the unpenalised weighted mean
/// loss at `theta = [W (K x p) row-major, b]`, written out from the formula
/// `d2 / dz_k dz_l = p_k (delta_kl - p_l)` per row, times `x1 x1^T`, `x1 = [x, 1]`.
fn multinomial_by_hand(
    x: ArrayView2<f64>,
    y: &[usize],
    s: &[f64],
    classes: usize,
    theta: &[f64],
) -> (f64, Array2<f64>) {
    let (n, p) = x.dim();
    let k = classes * p + classes;
    let index = |c: usize, j: usize| if j < p { c * p + j } else { classes * p + c };
    let mut h = Array2::<f64>::zeros((k, k));
    let mut ll = 0.0;
    for i in 0..n {
        let x1: Vec<f64> = x.row(i).iter().copied().chain([1.0]).collect();
        let scores: Vec<f64> = (0..classes)
            .map(|c| (0..=p).map(|j| theta[index(c, j)] * x1[j]).sum())
            .collect();
        let pr = softmax(&scores);
        ll += s[i] * pr[y[i]].ln();
        for c in 0..classes {
            for d in 0..classes {
                let curvature = pr[c] * (f64::from(u8::from(c == d)) - pr[d]);
                for a in 0..=p {
                    for b in 0..=p {
                        h[[index(c, a), index(d, b)]] += s[i] * curvature * x1[a] * x1[b];
                    }
                }
            }
        }
    }
    let total: f64 = s.iter().sum();
    (ll, h / total)
}

/// The same for the binomial model, `theta = [w, b]`, `y` in {0, 1}.
fn binomial_by_hand(
    x: ArrayView2<f64>,
    y: &[usize],
    s: &[f64],
    theta: &[f64],
) -> (f64, Array2<f64>) {
    let (n, p) = x.dim();
    let mut h = Array2::<f64>::zeros((p + 1, p + 1));
    let mut ll = 0.0;
    for i in 0..n {
        let x1: Vec<f64> = x.row(i).iter().copied().chain([1.0]).collect();
        let z: f64 = (0..=p).map(|j| theta[j] * x1[j]).sum();
        let q = 1.0 / (1.0 + (-z).exp());
        ll += s[i] * if y[i] == 1 { q.ln() } else { (1.0 - q).ln() };
        for a in 0..=p {
            for b in 0..=p {
                h[[a, b]] += s[i] * q * (1.0 - q) * x1[a] * x1[b];
            }
        }
    }
    let total: f64 = s.iter().sum();
    (ll, h / total)
}

/// The inputs of [`inference_of`] for a fit on `x`.
pub(super) fn fitted(
    x: ArrayView2<f64>,
    y: &[usize],
    s: Option<&[f64]>,
    layout: Layout,
    theta: &[f64],
    l2: f64,
) -> Fitted {
    let ones = vec![1.0; y.len()];
    let weights = s.unwrap_or(&ones);
    let (classes, (log_likelihood, hessian)) = match layout {
        Layout::Binary => (2, binomial_by_hand(x, y, weights, theta)),
        Layout::Multinomial { classes } => {
            (classes, multinomial_by_hand(x, y, weights, classes, theta))
        }
    };
    let mut class_weights = vec![0.0; classes];
    for (&c, &w) in y.iter().zip(weights) {
        class_weights[c] += w;
    }
    Fitted {
        layout,
        n_features: x.ncols(),
        fit_intercept: true,
        l2,
        hessian,
        log_likelihood,
        weight_sum: weights.iter().sum(),
        weighted: s.is_some(),
        class_weights,
        column_sd: column_sd(x, s.map(ArrayView1::from)),
    }
}

/// A reference case from `fixtures/multi/<name>.expected.json` (copies of the shared references:
/// the exact optimum of the l2 = 0 fit and statsmodels' summary of it) with its training data:
/// the standardised design, class indices, weights, and the reference optimum as `theta`.
pub(super) struct Case {
    pub reference: serde_json::Value,
    pub x: Array2<f64>,
    pub y: Vec<usize>,
    pub weights: Option<Vec<f64>>,
    pub theta: Vec<f64>,
    pub classes: Vec<String>,
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
    pub names: Vec<String>,
}

pub(super) fn case(name: &str, file: &str) -> Case {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/multi");
    let text = std::fs::read_to_string(dir.join(format!("{name}.expected.json"))).unwrap();
    let all: serde_json::Value = serde_json::from_str(&text).unwrap();
    let fit = all["fits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f.get("summary").is_some())
        .expect("an l2 = 0 fit with a summary")
        .clone();
    let reference = serde_json::json!({
        "target": all["target"],
        "weight": all["weight"],
        "classes": all["classes"],
        "features": all["features"],
        "mean": all["standardization"]["mean"],
        "std": all["standardization"]["std"],
        "coefficients_standardized": fit["coefficients_standardized"],
        "intercepts_standardized": fit["intercepts_standardized"],
        "summary": fit["summary"],
    });
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    let numbers = |v: &serde_json::Value| -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_f64().unwrap())
            .collect()
    };
    let names = strings(&reference["features"]);
    let classes = strings(&reference["classes"]);
    let (mean, std) = (numbers(&reference["mean"]), numbers(&reference["std"]));
    let text = std::fs::read_to_string(dir.join(file)).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let target = column(reference["target"].as_str().unwrap());
    let weight = reference["weight"].as_str().map(column);
    let features: Vec<usize> = names.iter().map(|n| column(n)).collect();
    let (mut rows, mut y, mut weights) = (Vec::new(), Vec::new(), Vec::new());
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        for (j, &c) in features.iter().enumerate() {
            rows.push((cells[c].parse::<f64>().unwrap() - mean[j]) / std[j]);
        }
        y.push(classes.iter().position(|c| c == cells[target]).unwrap());
        if let Some(w) = weight {
            weights.push(cells[w].parse::<f64>().unwrap());
        }
    }
    let x = Array2::from_shape_vec((y.len(), names.len()), rows).unwrap();
    let mut theta: Vec<f64> = reference["coefficients_standardized"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(&numbers)
        .collect();
    theta.extend(numbers(&reference["intercepts_standardized"]));
    Case {
        reference,
        x,
        y,
        weights: weight.map(|_| weights),
        theta,
        classes,
        mean,
        std,
        names,
    }
}

pub(super) fn assert_rel(what: &str, got: f64, want: f64, rtol: f64) {
    let err = ((got - want) / want).abs();
    assert!(
        err <= rtol,
        "{what}: got {got}, want {want} (relative {err:e})"
    );
}

/// The standard error of parameter `i` of the stored covariance.
pub(super) fn se(inference: &Inference, i: usize) -> f64 {
    let c = inference.covariance.as_ref().expect("a covariance");
    c.matrix[i][i].expect("a variance").sqrt()
}

#[test]
fn multinomial_standard_errors_match_statsmodels_mnlogit_on_iris() {
    let c = case("iris_sl", "iris_train.csv");
    let f = fitted(
        c.x.view(),
        &c.y,
        None,
        Layout::Multinomial { classes: 3 },
        &c.theta,
        0.0,
    );
    let inf = inference_of(
        &f,
        &c.theta,
        &c.mean,
        &c.std,
        &c.names,
        &report(),
        &c.classes,
    );
    let r = &c.reference["summary"];
    assert_rel(
        "log_likelihood",
        inf.log_likelihood,
        r["log_likelihood"].as_f64().unwrap(),
        1e-9,
    );
    // Unweighted: the model's class counts give the null model (see the summary's tests).
    assert_eq!(inf.null_log_likelihood, None);
    let cov = inf.covariance.as_ref().unwrap();
    assert_eq!(cov.equations, ["versicolor", "virginica"]);
    assert_eq!(cov.parameters, ["Sepal.Length", INTERCEPT_NAME]);
    assert_eq!((cov.rank, cov.status.len()), (4, 4));
    assert!(
        cov.status.iter().all(|s| *s == ParameterStatus::Ok),
        "{:?}",
        cov.status
    );
    for (block, equation) in r["equations"].as_array().unwrap().iter().enumerate() {
        let slope = &equation["coefficients"][0];
        assert_rel(
            "slope se",
            se(&inf, 2 * block),
            slope["std_error"].as_f64().unwrap(),
            1e-9,
        );
        assert_rel(
            "intercept se",
            se(&inf, 2 * block + 1),
            equation["intercept"]["std_error"].as_f64().unwrap(),
            1e-9,
        );
    }
    assert!(inf.check(&["Sepal.Length"], true).is_ok());
    assert!(inf.check_classes(&c.classes, true).is_ok());
    assert!(inf.check_classes(&c.classes, false).is_err());
}

#[test]
fn weighted_binary_standard_errors_match_glm_with_frequency_weights_on_pima() {
    let c = case("pima_w", "pima_w_train.csv");
    let weights = c.weights.clone().unwrap();
    let f = fitted(
        c.x.view(),
        &c.y,
        Some(&weights),
        Layout::Binary,
        &c.theta,
        0.0,
    );
    let inf = inference_of(&f, &c.theta, &c.mean, &c.std, &c.names, &report(), &[]);
    let r = &c.reference["summary"];
    assert_rel(
        "log_likelihood",
        inf.log_likelihood,
        r["log_likelihood"].as_f64().unwrap(),
        1e-9,
    );
    for (j, term) in r["coefficients"].as_array().unwrap().iter().enumerate() {
        assert_rel(
            term["name"].as_str().unwrap(),
            se(&inf, j),
            term["std_error"].as_f64().unwrap(),
            1e-9,
        );
    }
    assert_rel(
        "intercept se",
        se(&inf, 7),
        r["intercept"]["std_error"].as_f64().unwrap(),
        1e-9,
    );
    assert!(inf.covariance.unwrap().equations.is_empty());
}

/// Integer weights are frequency weights: a row of weight 2 is the row twice, weight 0 is no
/// row. Every stored statistic must agree (to rounding: the sums run in another order).
#[test]
fn frequency_weights_equal_duplicated_rows() {
    let c = case("iris_sl", "iris_train.csv");
    let weights: Vec<f64> = (0..c.y.len()).map(|i| (i % 4) as f64).collect();
    let mut rows = Vec::new();
    let mut y = Vec::new();
    for (i, &w) in weights.iter().enumerate() {
        for _ in 0..w as usize {
            rows.extend(c.x.row(i).iter().copied());
            y.push(c.y[i]);
        }
    }
    let x = Array2::from_shape_vec((y.len(), 1), rows).unwrap();
    for (classes, theta) in [(3, c.theta.clone()), (2, vec![0.8, -0.3])] {
        let (y_w, y_d): (Vec<usize>, Vec<usize>) = if classes == 2 {
            (
                c.y.iter().map(|&v| usize::from(v == 2)).collect(),
                y.iter().map(|&v| usize::from(v == 2)).collect(),
            )
        } else {
            (c.y.clone(), y.clone())
        };
        let names = c.names.clone();
        let labels: Vec<String> = c.classes[..classes].to_vec();
        let layout = if classes == 2 {
            Layout::Binary
        } else {
            Layout::Multinomial { classes }
        };
        let weighted = fitted(c.x.view(), &y_w, Some(&weights), layout, &theta, 0.0);
        let duplicated = fitted(x.view(), &y_d, None, layout, &theta, 0.0);
        let a = inference_of(
            &weighted,
            &theta,
            &c.mean,
            &c.std,
            &names,
            &report(),
            &labels,
        );
        let b = inference_of(
            &duplicated,
            &theta,
            &c.mean,
            &c.std,
            &names,
            &report(),
            &labels,
        );
        assert_rel("ll", a.log_likelihood, b.log_likelihood, 1e-12);
        assert_rel(
            "null",
            a.null_log_likelihood.unwrap(),
            counted_null(&y_d, classes),
            1e-12,
        );
        assert_eq!(b.null_log_likelihood, None);
        let (ca, cb) = (a.covariance.unwrap(), b.covariance.unwrap());
        assert_eq!((ca.status, ca.rank), (cb.status, cb.rank));
        for (ra, rb) in ca.matrix.iter().zip(&cb.matrix) {
            for (va, vb) in ra.iter().zip(rb) {
                assert_rel("covariance", va.unwrap(), vb.unwrap(), 1e-10);
            }
        }
    }
}

/// A multinomial model with two classes is the binary model of `w_1 - w_0`: at `l2 = 0` the
/// same covariance; with `l2 > 0` the centred symmetric penalty `(l2/2)(w_0^2 + w_1^2)` is
/// `(l2/4) (w_1 - w_0)^2`, the binary penalty at `l2 / 2`, so the Laplace covariance of the
/// contrast must be the binary one at `l2 / 2`.
#[test]
fn two_class_multinomial_contrasts_are_the_binary_model() {
    let c = case("pima_w", "pima_w_train.csv");
    let weights = c.weights.clone().unwrap();
    let p = c.names.len();
    let binary_theta = &c.theta;
    // Symmetric, centred: w_1 = -w_0 = w / 2.
    let mut theta = vec![0.0; 2 * p + 2];
    for j in 0..p {
        theta[j] = -binary_theta[j] / 2.0;
        theta[p + j] = binary_theta[j] / 2.0;
    }
    theta[2 * p] = -binary_theta[p] / 2.0;
    theta[2 * p + 1] = binary_theta[p] / 2.0;
    let classes = ["No".to_string(), "Yes".to_string()];
    for l2 in [0.0, 0.05] {
        let two = Layout::Multinomial { classes: 2 };
        let multi = fitted(c.x.view(), &c.y, Some(&weights), two, &theta, l2);
        let binary = fitted(
            c.x.view(),
            &c.y,
            Some(&weights),
            Layout::Binary,
            binary_theta,
            l2 / 2.0,
        );
        let a = inference_of(
            &multi,
            &theta,
            &c.mean,
            &c.std,
            &c.names,
            &report(),
            &classes,
        );
        let b = inference_of(
            &binary,
            binary_theta,
            &c.mean,
            &c.std,
            &c.names,
            &report(),
            &[],
        );
        assert_rel("ll", a.log_likelihood, b.log_likelihood, 1e-12);
        let (ca, cb) = (a.covariance.unwrap(), b.covariance.unwrap());
        assert_eq!(ca.equations, ["Yes"]);
        for (ra, rb) in ca.matrix.iter().zip(&cb.matrix) {
            for (va, vb) in ra.iter().zip(rb) {
                let (va, vb) = (va.unwrap(), vb.unwrap());
                assert!(
                    (va - vb).abs() <= 1e-8 * vb.abs().max(1e-6),
                    "l2 {l2}: {va} vs {vb}"
                );
            }
        }
        assert!((ca.effective_parameters - cb.effective_parameters).abs() < 1e-8);
    }
}

/// Three classes ordered along one feature: the likelihood has no maximum. Where the solver
/// stopped on separation the covariance is omitted with the reason; where it stopped on a
/// large but finite estimate, every slope is flagged as near separation.
#[test]
fn separated_multinomial_fit_is_flagged() {
    let x = Array2::from_shape_fn((30, 1), |(i, _)| (i as f64 - 14.5) / 8.6);
    let y: Vec<usize> = (0..30).map(|i| i / 10).collect();
    let classes: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
    // Class scores growing along x without bound: t (-x - 0.58, 0, x - 0.58), whose class
    // boundaries x = -/+0.58 fall in the gaps between the groups.
    let t = 400.0;
    let theta = [-t, 0.0, t, -0.58 * t, 0.0, -0.58 * t];
    let f = fitted(
        x.view(),
        &y,
        None,
        Layout::Multinomial { classes: 3 },
        &theta,
        0.0,
    );
    let names = ["x".to_string()];
    let inf = inference_of(&f, &theta, &[0.0], &[1.0], &names, &report(), &classes);
    let cov = inf
        .covariance
        .expect("a covariance at a finite stopping point");
    assert_eq!(cov.status[0], ParameterStatus::NearSeparation);
    assert_eq!(cov.status[2], ParameterStatus::NearSeparation);
    let separated = FitReport {
        stop_reason: StopReason::Separation,
        converged: false,
        ..report()
    };
    let inf = inference_of(&f, &theta, &[0.0], &[1.0], &names, &separated, &classes);
    assert!(inf.covariance.is_none());
    assert!(inf.covariance_omitted.unwrap().contains("separated"));
    assert!(inf.log_likelihood < 0.0 && inf.log_likelihood > -1e-3);
}

#[test]
fn weighted_column_sd_ignores_rows_of_weight_zero() {
    let x = ndarray::array![[1.0], [3.0], [100.0], [3.0]];
    let sd = column_sd(x.view(), Some(ArrayView1::from(&[1.0, 2.0, 0.0, 1.0])));
    // The rows 1, 3, 3, 3 (mean 2.5): population sd sqrt(0.75).
    assert!((sd[0] - 0.75f64.sqrt()).abs() < 1e-15);
}

/// `sum_c n_c ln(n_c / n)`: the intercept-only log-likelihood of unweighted labels.
pub(super) fn counted_null(y: &[usize], classes: usize) -> f64 {
    let n = y.len() as f64;
    (0..classes)
        .map(|c| y.iter().filter(|&&v| v == c).count() as f64)
        .filter(|&count| count > 0.0)
        .map(|count| count * (count / n).ln())
        .sum()
}

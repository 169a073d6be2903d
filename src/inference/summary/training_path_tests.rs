//! Tests of the training path: `compute_inference` on CORE's objective (its Hessian, row
//! weights and design) against the shared references, against the hand-written likelihood of
//! [`super::compute_tests`], and with frequency weights against duplicated rows.

use ndarray::{Array1, Array2};

use super::compute::{compute_inference, inference_of, Layout};
use super::compute_tests::{assert_rel, case, counted_null, fitted, report, se};
use crate::fit::objective::Objective;
use crate::model::inference::Inference;

/// The class indices of a case as the objective's labels.
fn labels(y: &[usize]) -> Array1<f64> {
    y.iter().map(|&v| v as f64).collect()
}

/// `a` and `b` agree: log-likelihoods, null models (where both store one), statuses,
/// covariance to `rtol`.
fn assert_same_inference(a: &Inference, b: &Inference, rtol: f64) {
    assert_rel("ll", a.log_likelihood, b.log_likelihood, rtol);
    if let (Some(na), Some(nb)) = (a.null_log_likelihood, b.null_log_likelihood) {
        assert_rel("null", na, nb, rtol);
    }
    let (ca, cb) = (
        a.covariance.as_ref().unwrap(),
        b.covariance.as_ref().unwrap(),
    );
    assert_eq!(
        (&ca.status, ca.rank, &ca.equations),
        (&cb.status, cb.rank, &cb.equations)
    );
    for (ra, rb) in ca.matrix.iter().zip(&cb.matrix) {
        for (va, vb) in ra.iter().zip(rb) {
            assert_rel("covariance", va.unwrap(), vb.unwrap(), rtol);
        }
    }
}

#[test]
fn training_path_matches_mnlogit_and_the_hand_written_hessian_on_iris() {
    let c = case("iris_sl", "iris_train.csv");
    let y = labels(&c.y);
    let objective = Objective::multinomial(c.x.view(), y.view(), 3, 0.0, true);
    let inf = compute_inference(
        &objective,
        &c.theta,
        &c.mean,
        &c.std,
        &c.names,
        &report(),
        &c.classes,
    );
    let r = &c.reference["summary"];
    for (block, equation) in r["equations"].as_array().unwrap().iter().enumerate() {
        let slope = &equation["coefficients"][0];
        assert_rel(
            "slope se",
            se(&inf, 2 * block),
            slope["std_error"].as_f64().unwrap(),
            1e-9,
        );
        let intercept = equation["intercept"]["std_error"].as_f64().unwrap();
        assert_rel("intercept se", se(&inf, 2 * block + 1), intercept, 1e-9);
    }
    let layout = Layout::Multinomial { classes: 3 };
    let by_hand = fitted(c.x.view(), &c.y, None, layout, &c.theta, 0.0);
    let expected = inference_of(
        &by_hand,
        &c.theta,
        &c.mean,
        &c.std,
        &c.names,
        &report(),
        &c.classes,
    );
    assert_same_inference(&inf, &expected, 1e-10);
    // Penalised: the same path (the penalty added by the objective, undone for the likelihood).
    let penalised = Objective::multinomial(c.x.view(), y.view(), 3, 0.05, true);
    let inf = compute_inference(
        &penalised,
        &c.theta,
        &c.mean,
        &c.std,
        &c.names,
        &report(),
        &c.classes,
    );
    let by_hand = fitted(c.x.view(), &c.y, None, layout, &c.theta, 0.05);
    let expected = inference_of(
        &by_hand,
        &c.theta,
        &c.mean,
        &c.std,
        &c.names,
        &report(),
        &c.classes,
    );
    assert_same_inference(&inf, &expected, 1e-9);
}

#[test]
fn training_path_matches_glm_frequency_weights_on_pima() {
    let c = case("pima_w", "pima_w_train.csv");
    let y = labels(&c.y);
    let weights = Array1::from(c.weights.clone().unwrap());
    let objective = Objective::new(c.x.view(), y.view(), 0.0, true).with_weights(weights.view());
    let inf = compute_inference(
        &objective,
        &c.theta,
        &c.mean,
        &c.std,
        &c.names,
        &report(),
        &[],
    );
    let r = &c.reference["summary"];
    assert_rel(
        "ll",
        inf.log_likelihood,
        r["log_likelihood"].as_f64().unwrap(),
        1e-9,
    );
    for (j, term) in r["coefficients"].as_array().unwrap().iter().enumerate() {
        let name = term["name"].as_str().unwrap();
        assert_rel(name, se(&inf, j), term["std_error"].as_f64().unwrap(), 1e-9);
    }
    assert_rel(
        "intercept se",
        se(&inf, 7),
        r["intercept"]["std_error"].as_f64().unwrap(),
        1e-9,
    );
}

/// Weights 0..3 through CORE's objective against the rows repeated that often, for binomial
/// and multinomial fits, unpenalised and penalised.
#[test]
fn training_path_frequency_weights_equal_duplicated_rows() {
    let c = case("iris_sl", "iris_train.csv");
    let weights: Array1<f64> = (0..c.y.len()).map(|i| ((i * 7) % 4) as f64).collect();
    let (mut rows, mut y) = (Vec::new(), Vec::new());
    for (i, &w) in weights.iter().enumerate() {
        for _ in 0..w as usize {
            rows.extend(c.x.row(i).iter().copied());
            y.push(c.y[i]);
        }
    }
    let x = Array2::from_shape_vec((y.len(), 1), rows).unwrap();
    let (y_w, y_d) = (labels(&c.y), labels(&y));
    let (b_w, b_d): (Array1<f64>, Array1<f64>) = (
        y_w.mapv(|v| f64::from(u8::from(v == 2.0))),
        y_d.mapv(|v| f64::from(u8::from(v == 2.0))),
    );
    for l2 in [0.0, 0.02] {
        let weighted = Objective::multinomial(c.x.view(), y_w.view(), 3, l2, true)
            .with_weights(weights.view());
        let duplicated = Objective::multinomial(x.view(), y_d.view(), 3, l2, true);
        let a = compute_inference(
            &weighted,
            &c.theta,
            &c.mean,
            &c.std,
            &c.names,
            &report(),
            &c.classes,
        );
        let b = compute_inference(
            &duplicated,
            &c.theta,
            &c.mean,
            &c.std,
            &c.names,
            &report(),
            &c.classes,
        );
        assert_same_inference(&a, &b, 1e-10);
        assert_rel(
            "null",
            a.null_log_likelihood.unwrap(),
            counted_null(&y, 3),
            1e-12,
        );
        assert_eq!(b.null_log_likelihood, None);
        let theta = [0.8, -0.3];
        let weighted =
            Objective::new(c.x.view(), b_w.view(), l2, true).with_weights(weights.view());
        let duplicated = Objective::new(x.view(), b_d.view(), l2, true);
        let a = compute_inference(&weighted, &theta, &c.mean, &c.std, &c.names, &report(), &[]);
        let b = compute_inference(
            &duplicated,
            &theta,
            &c.mean,
            &c.std,
            &c.names,
            &report(),
            &[],
        );
        assert_same_inference(&a, &b, 1e-10);
        let binary: Vec<usize> = y.iter().map(|&v| usize::from(v == 2)).collect();
        let null = a.null_log_likelihood.unwrap();
        assert_rel("binary null", null, counted_null(&binary, 2), 1e-12);
    }
}

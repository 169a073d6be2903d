//! Tests of the summaries built from a model: the multinomial (statsmodels `MNLogit`) and the
//! frequency-weighted binary (GLM `freq_weights`) references, estimates to notes.

use serde_json::Value;

use super::compute::{inference_of, Layout};
use super::compute_tests::{case, fitted, report, Case};
use super::table::ModelView;
use super::{Flag, MultinomialSummary, Summary};
use crate::fit::solvers::{FitReport, StopReason};
use crate::model::inference::Inference;

/// The model's coefficients in original units from the fit-scale `theta` of `scores` rows:
/// `w = w' / std`, `b = b' - sum_j w'_j mean_j / std_j`.
fn original(c: &Case, scores: usize) -> (Vec<Vec<f64>>, Vec<Vec<f64>>, Vec<f64>) {
    let p = c.names.len();
    let standardized: Vec<Vec<f64>> = (0..scores)
        .map(|k| c.theta[k * p..(k + 1) * p].to_vec())
        .collect();
    let coefficients = standardized
        .iter()
        .map(|w| w.iter().zip(&c.std).map(|(w, s)| w / s).collect())
        .collect();
    let intercepts = (0..scores)
        .map(|k| {
            let b = c.theta[scores * p + k];
            b - (0..p)
                .map(|j| standardized[k][j] * c.mean[j] / c.std[j])
                .sum::<f64>()
        })
        .collect();
    (coefficients, standardized, intercepts)
}

fn view<'a>(
    c: &'a Case,
    scores: usize,
    fit: &'a FitReport,
    inference: &'a Inference,
) -> ModelView<'a> {
    let (coefficients, coefficients_standardized, intercepts) = original(c, scores);
    let mut class_counts = vec![0; c.classes.len()];
    for &y in &c.y {
        class_counts[y] += 1;
    }
    ModelView {
        target: "y",
        classes: c.classes.clone(),
        class_counts,
        names: c.names.iter().map(String::as_str).collect(),
        multinomial: scores > 1,
        coefficients,
        coefficients_standardized,
        intercepts,
        l2: 0.0,
        fit_intercept: true,
        standardize: true,
        n_rows: c.y.len(),
        weight_sum: c
            .weights
            .as_ref()
            .map_or(c.y.len() as f64, |w| w.iter().sum()),
        weighted: c.weights.is_some(),
        fit,
        inference: Some(inference),
    }
}

fn assert_close(what: &str, got: Option<f64>, want: &Value) {
    let want = want
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: no reference"));
    let got = got.unwrap_or_else(|| panic!("{what}: missing"));
    let err = ((got - want) / want).abs();
    assert!(
        err <= 1e-8,
        "{what}: got {got}, want {want} (relative {err:e})"
    );
}

/// Estimate, standard error, z, p-value and interval of one term against the reference.
fn assert_term(what: &str, got: &Value, want: &Value) {
    for key in ["estimate", "std_error", "z", "p_value", "ci_low", "ci_high"] {
        assert_close(&format!("{what}.{key}"), got[key].as_f64(), &want[key]);
    }
}

#[test]
fn multinomial_summary_matches_statsmodels_mnlogit_on_iris() {
    let c = case("iris_sl", "iris_train.csv");
    let layout = Layout::Multinomial { classes: 3 };
    let f = fitted(c.x.view(), &c.y, None, layout, &c.theta, 0.0);
    let fit = report();
    let inf = inference_of(&f, &c.theta, &c.mean, &c.std, &c.names, &fit, &c.classes);
    let summary = MultinomialSummary::of_view(&view(&c, 3, &fit, &inf));
    let got = serde_json::to_value(&summary).unwrap();
    let want = &c.reference["summary"];
    for key in [
        "log_likelihood",
        "null_log_likelihood",
        "aic",
        "bic",
        "pseudo_r2",
    ] {
        assert_close(key, got[key].as_f64(), &want[key]);
    }
    assert_eq!(got["classes"], want["classes"]);
    assert_eq!(got["reference_class"], want["reference_class"]);
    assert_eq!((summary.df_model, summary.df_residuals), (2, 101.0));
    let equations = got["equations"].as_array().unwrap();
    assert_eq!(equations.len(), 2);
    for (g, w) in equations.iter().zip(want["equations"].as_array().unwrap()) {
        assert_eq!(g["class"], w["class"]);
        assert_term("intercept", &g["intercept"], &w["intercept"]);
        for (gt, wt) in g["coefficients"]
            .as_array()
            .unwrap()
            .iter()
            .zip(w["coefficients"].as_array().unwrap())
        {
            assert_eq!(gt["name"], wt["name"]);
            assert_term(wt["name"].as_str().unwrap(), gt, wt);
            let mut keys: Vec<&str> = gt.as_object().unwrap().keys().map(|k| k.as_str()).collect();
            keys.sort_unstable();
            assert_eq!(
                keys,
                [
                    "ci_high",
                    "ci_low",
                    "estimate",
                    "flag",
                    "name",
                    "p_value",
                    "std_error",
                    "z"
                ]
            );
        }
    }
    assert!(summary.notes.is_empty(), "{:?}", summary.notes);
}

#[test]
fn weighted_binary_summary_matches_glm_with_frequency_weights_on_pima() {
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
    let fit = report();
    let inf = inference_of(&f, &c.theta, &c.mean, &c.std, &c.names, &fit, &[]);
    let summary = Summary::of_view(&view(&c, 1, &fit, &inf));
    let got = serde_json::to_value(&summary).unwrap();
    let want = &c.reference["summary"];
    for key in ["log_likelihood", "aic", "bic"] {
        assert_close(key, got[key].as_f64(), &want[key]);
    }
    assert_term("intercept", &got["intercept"], &want["intercept"]);
    for (g, w) in got["coefficients"]
        .as_array()
        .unwrap()
        .iter()
        .zip(want["coefficients"].as_array().unwrap())
    {
        assert_eq!(g["name"], w["name"]);
        assert_term(w["name"].as_str().unwrap(), g, w);
    }
    // n = S in the degrees of freedom; the row count stays beside it.
    assert_eq!(
        (got["n_weighted"].as_f64(), got["n"].as_u64()),
        (Some(557.0), Some(372))
    );
    assert_eq!(got["df_residuals"], serde_json::json!(549));
    assert!(
        summary.notes[0].contains("frequency weights"),
        "{:?}",
        summary.notes
    );
}

#[test]
fn separated_multinomial_summary_hides_estimates_and_says_why() {
    let c = case("iris_sl", "iris_train.csv");
    let layout = Layout::Multinomial { classes: 3 };
    let f = fitted(c.x.view(), &c.y, None, layout, &c.theta, 0.0);
    let fit = FitReport {
        stop_reason: StopReason::Separation,
        converged: false,
        ..report()
    };
    let inf = inference_of(&f, &c.theta, &c.mean, &c.std, &c.names, &fit, &c.classes);
    let summary = MultinomialSummary::of_view(&view(&c, 3, &fit, &inf));
    for equation in &summary.equations {
        for term in equation.intercept.iter().chain(&equation.coefficients) {
            assert_eq!(term.flag, Some(Flag::Separation));
            assert!(term.estimate.is_none() && term.std_error.is_none());
        }
    }
    assert!(summary.log_likelihood.is_none() && summary.aic.is_none());
    assert!(
        summary.notes[0].contains("separated"),
        "{:?}",
        summary.notes
    );
}

//! `logit summary` of v2 models (issue 9): multinomial models in statsmodels `MNLogit`'s view and
//! frequency-weighted binary models (GLM `freq_weights`), checked end to end against the shared
//! references in `fixtures/multi` (copies of `../shared/reference/multi`, made with statsmodels
//! on the exact optimum, see its README), against duplicated rows, and on separated data.

use serde_json::Value;

use crate::util::{fixtures, Dir};

/// The reference summary of the `l2 = 0` fit of a case.
fn reference(case: &str) -> Value {
    let path = fixtures().join(format!("multi/{case}.expected.json"));
    let all: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    all["fits"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|f| f.get("summary").cloned())
        .expect("a fit with a summary")
}

fn data(name: &str) -> String {
    fixtures().join("multi").join(name).display().to_string()
}

/// Trains into `m.json` with `args` and returns `summary m.json --json`, parsed.
fn summary_json(dir: &Dir, args: &[&str]) -> Value {
    let mut all = vec!["train", "-o", "m.json", "-q"];
    all.extend_from_slice(args);
    dir.run(&all).ok();
    let run = dir.run(&["summary", "m.json", "--json"]);
    run.ok();
    serde_json::from_str(&run.stdout()).expect("summary --json prints one JSON object")
}

fn assert_close(what: &str, got: &Value, want: &Value, rtol: f64) {
    let (g, w) = (
        got.as_f64().unwrap_or_else(|| panic!("{what}: got {got}")),
        want.as_f64().unwrap(),
    );
    let err = ((g - w) / w).abs();
    assert!(err <= rtol, "{what}: got {g}, want {w} (relative {err:e})");
}

/// Estimates, standard errors, z, p-values and intervals of one term.
fn assert_term(what: &str, got: &Value, want: &Value) {
    for key in ["estimate", "std_error", "z", "p_value", "ci_low", "ci_high"] {
        assert_close(&format!("{what}.{key}"), &got[key], &want[key], 1e-6);
    }
}

#[test]
fn multinomial_summary_matches_statsmodels_mnlogit_on_iris() {
    let dir = Dir::new();
    let iris = data("iris_train.csv");
    let got = summary_json(
        &dir,
        &[
            &iris,
            "--target",
            "Species",
            "--features",
            "Sepal.Length",
            "--l2",
            "0",
        ],
    );
    let want = reference("iris_sl");
    for key in [
        "log_likelihood",
        "null_log_likelihood",
        "aic",
        "bic",
        "pseudo_r2",
    ] {
        assert_close(key, &got[key], &want[key], 1e-6);
    }
    assert_eq!(got["classes"], want["classes"]);
    assert_eq!(got["reference_class"], "setosa");
    let equations = got["equations"].as_array().unwrap();
    assert_eq!(equations.len(), 2, "{got}");
    for (g, w) in equations.iter().zip(want["equations"].as_array().unwrap()) {
        assert_eq!(g["class"], w["class"]);
        assert_term("intercept", &g["intercept"], &w["intercept"]);
        let (gc, wc) = (&g["coefficients"][0], &w["coefficients"][0]);
        assert_eq!(gc["name"], "Sepal.Length");
        assert_term("Sepal.Length", gc, wc);
        assert!(
            gc["flag"].is_null() && gc.get("odds_ratio").is_none(),
            "{gc}"
        );
    }
    assert_eq!(got["standard_errors"], "inverse_hessian");

    // The text: one table per non-reference class, headed `target=class`, MNLogit's columns.
    let text = dir.run(&["summary", "m.json"]).ok().stdout();
    for words in [
        "Multinomial logistic regression",
        "reference class \"setosa\"",
        "Species=versicolor",
        "Species=virginica",
        "P>|z|",
        "-61.214",
    ] {
        assert!(text.contains(words), "no {words:?} in\n{text}");
    }
    assert!(!text.contains("odds ratio"), "{text}");
}

#[test]
fn weighted_binary_summary_matches_glm_with_frequency_weights_on_pima() {
    let dir = Dir::new();
    let pima = data("pima_w_train.csv");
    let got = summary_json(
        &dir,
        &[
            &pima,
            "--target",
            "type",
            "--positive",
            "Yes",
            "--weight",
            "w",
            "--l2",
            "0",
        ],
    );
    let want = reference("pima_w");
    for key in ["log_likelihood", "aic", "bic"] {
        assert_close(key, &got[key], &want[key], 1e-6);
    }
    assert_term("intercept", &got["intercept"], &want["intercept"]);
    let coefficients = got["coefficients"].as_array().unwrap();
    let wanted = want["coefficients"].as_array().unwrap();
    assert_eq!(coefficients.len(), wanted.len());
    for (g, w) in coefficients.iter().zip(wanted) {
        assert_eq!(g["name"], w["name"]);
        assert_term(w["name"].as_str().unwrap(), g, w);
    }
    // n = S (557) in the degrees of freedom and BIC; the 372 rows stay beside it.
    assert_eq!(
        (got["n"].as_u64(), got["n_weighted"].as_f64()),
        (Some(372), Some(557.0))
    );
    assert_eq!(got["df_residuals"], 549);
    assert!(
        got["notes"].to_string().contains("frequency weights"),
        "{got}"
    );
}

/// Two summaries agree in every statistic and term (binary or multinomial).
fn assert_same_summary(a: &Value, b: &Value) {
    for key in [
        "log_likelihood",
        "null_log_likelihood",
        "aic",
        "bic",
        "pseudo_r2",
    ] {
        assert_close(key, &a[key], &b[key], 1e-8);
    }
    assert_eq!(a["df_residuals"], b["df_residuals"]);
    let equations = |s: &Value| -> Vec<Value> {
        match s["equations"].as_array() {
            Some(e) => e.clone(),
            None => vec![s.clone()],
        }
    };
    for (ea, eb) in equations(a).iter().zip(&equations(b)) {
        assert_term("intercept", &ea["intercept"], &eb["intercept"]);
        let (ta, tb) = (&ea["coefficients"], &eb["coefficients"]);
        assert_eq!(ta.as_array().unwrap().len(), tb.as_array().unwrap().len());
        for (ta, tb) in ta.as_array().unwrap().iter().zip(tb.as_array().unwrap()) {
            assert_term(tb["name"].as_str().unwrap(), ta, tb);
        }
    }
}

/// Integer weights are frequency weights: a row of weight 2 is the row twice and a row of
/// weight 0 is no row, so the summaries agree (to the solvers' tolerance), multinomial and
/// binary.
#[test]
fn frequency_weights_equal_duplicated_rows() {
    let dir = Dir::new();
    let text = std::fs::read_to_string(fixtures().join("multi/iris_train.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let (mut weighted, mut duplicated) = (format!("{header},w\n"), format!("{header}\n"));
    let (mut weighted2, mut duplicated2) = (weighted.clone(), duplicated.clone());
    for (i, line) in lines.enumerate() {
        let w = [1, 2, 0][i % 3];
        weighted.push_str(&format!("{line},{w}\n"));
        duplicated.push_str(&format!("{line}\n").repeat(w));
        // The binary case: versicolor against virginica.
        if !line.ends_with("setosa") {
            weighted2.push_str(&format!("{line},{w}\n"));
            duplicated2.push_str(&format!("{line}\n").repeat(w));
        }
    }
    dir.write("weighted.csv", weighted)
        .write("duplicated.csv", duplicated)
        .write("weighted2.csv", weighted2)
        .write("duplicated2.csv", duplicated2);
    let common = ["--target", "Species", "--l2", "0"];
    // Setosa is separable from the rest on the two sepal columns: the multinomial fit uses one.
    for (weighted, duplicated, extra) in [
        (
            "weighted.csv",
            "duplicated.csv",
            vec!["--features", "Sepal.Length"],
        ),
        (
            "weighted2.csv",
            "duplicated2.csv",
            vec![
                "--features",
                "Sepal.Length,Sepal.Width",
                "--positive",
                "virginica",
            ],
        ),
    ] {
        let mut runs = Vec::new();
        for (file, weight) in [(weighted, vec!["--weight", "w"]), (duplicated, vec![])] {
            let mut args = vec![file];
            args.extend(common);
            args.extend(&extra);
            args.extend(weight);
            runs.push(summary_json(&dir, &args));
        }
        assert_same_summary(&runs[0], &runs[1]);
    }
}

/// Three classes ordered along one column: no maximum-likelihood estimate exists. Whatever
/// the solver reports (separation, or a large finite stopping point), no classical standard
/// error is shown without a flag, and the notes say why.
#[test]
fn separated_multinomial_fit_is_flagged() {
    let dir = Dir::new();
    let mut csv = String::from("x,z,y\n");
    for i in 0..30 {
        let class = ["a", "b", "c"][i / 10];
        csv.push_str(&format!("{},{},{class}\n", i, (i * 7) % 5));
    }
    dir.write("separated.csv", csv);
    let got = summary_json(&dir, &["separated.csv", "--target", "y", "--l2", "0"]);
    let mut flagged = 0;
    for equation in got["equations"].as_array().unwrap() {
        let terms = std::iter::once(&equation["intercept"])
            .chain(equation["coefficients"].as_array().unwrap());
        for term in terms {
            if term["flag"].is_null() {
                continue;
            }
            flagged += 1;
            assert!(term["std_error"].is_null(), "{term}");
        }
        let x = &equation["coefficients"][0];
        assert!(
            !x["flag"].is_null(),
            "the separating column is not flagged: {got}"
        );
    }
    assert!(flagged >= 2, "{got}");
    let notes = got["notes"].to_string();
    assert!(notes.contains("separat"), "{notes}");
    let text = dir.run(&["summary", "m.json"]).ok().stdout();
    assert!(text.contains("separation]"), "{text}");
}

#[test]
fn penalised_multinomial_summary_says_its_standard_errors_are_not_classical() {
    let dir = Dir::new();
    let iris = data("iris_train.csv");
    let got = summary_json(&dir, &[&iris, "--target", "Species", "--l2", "0.01"]);
    assert_eq!(got["standard_errors"], "inverse_penalized_hessian");
    let notes = got["notes"].to_string();
    assert!(
        notes.contains("NOT the classical") && notes.contains("--l2 0"),
        "{notes}"
    );
    let equation = &got["equations"][0];
    assert!(equation["coefficients"][0]["std_error"].as_f64().unwrap() > 0.0);
}

#[test]
fn one_vs_rest_models_are_refused_with_the_reason() {
    let dir = Dir::new();
    let iris = data("iris_train.csv");
    dir.run(&[
        "train",
        &iris,
        "--target",
        "Species",
        "--multiclass",
        "ovr",
        "-o",
        "m.json",
        "-q",
    ])
    .ok();
    dir.run(&["summary", "m.json"])
        .expect_code(2)
        .stderr_has(&["one-vs-rest", "--multiclass multinomial"]);
}

#[test]
fn a_multinomial_model_with_damaged_inference_blocks_is_an_error() {
    let dir = Dir::new();
    let iris = data("iris_train.csv");
    let args = [
        &iris,
        "--target",
        "Species",
        "--features",
        "Sepal.Length",
        "--l2",
        "0",
    ];
    summary_json(&dir, &args);
    let mut model: Value = serde_json::from_str(&dir.read("m.json")).unwrap();
    model["inference"]["covariance"]["equations"] = serde_json::json!(["virginica", "versicolor"]);
    dir.write("swapped.json", model.to_string());
    dir.run(&["summary", "swapped.json"])
        .expect_code(2)
        .stderr_has(&["swapped.json", "damaged", "non-reference classes"]);
    model["inference"]["covariance"]["equations"] = serde_json::json!(["versicolor"]);
    dir.write("short.json", model.to_string());
    dir.run(&["summary", "short.json"])
        .expect_code(2)
        .stderr_has(&["short.json", "damaged"]);
}

//! `logit summary` and `train --summary`: the coefficient table agrees with statsmodels `Logit`
//! on the reference data, reproduces Greene's published spector table, and says clearly when the
//! classical numbers do not apply (penalised fits, separation, non-identifiable coefficients).

use serde_json::Value;

use crate::util::Dir;

/// Reference numbers of the lambda = 0 fits on the training splits, copied from
/// `fixtures/<name>.expected.json` (statsmodels 0.15.0 `Logit(y, add_constant(X)).fit()` on the
/// raw features: `params`, `bse`, `llf`; they agree with the exact optimum to 3e-14). The
/// derived columns were computed from those in Python: `z = coef / se`, `p = math.erfc(|z| /
/// sqrt(2))` (what statsmodels' `pvalues` computes, `2 * norm.sf(|z|)`), `aic = -2 llf + 2 k`,
/// `bic = -2 llf + k ln n`, with k = features + 1.
struct Reference {
    name: &'static str,
    target: &'static str,
    positive: &'static str,
    n: usize,
    /// Features in model order, then the intercept.
    coef: &'static [f64],
    se: &'static [f64],
    z: &'static [f64],
    p: &'static [f64],
    log_likelihood: f64,
    aic: f64,
    bic: f64,
}

const SPECTOR: Reference = Reference {
    name: "spector",
    target: "GRADE",
    positive: "1",
    n: 22,
    coef: &[
        1.8208248190555913,
        -0.08784645002259496,
        2.9666719924931892,
        -5.727401148677084,
    ],
    se: &[
        1.3778831521996335,
        0.16928545428103095,
        1.2318395058381932,
        5.011249749610898,
    ],
    z: &[
        1.321465333362159,
        -0.5189249743617133,
        2.4083267166160143,
        -1.1429087422996214,
    ],
    p: &[
        0.18634625417430356,
        0.6038130611883672,
        0.016025832076567,
        0.25307648244001874,
    ],
    log_likelihood: -9.291975853849198,
    aic: 26.583951707698397,
    bic: 30.94812152113166,
};

const PIMA: Reference = Reference {
    name: "pima",
    target: "type",
    positive: "Yes",
    n: 372,
    coef: &[
        0.1237855652583854,
        0.03402917668164751,
        -0.01945686460457705,
        0.016132029626492454,
        0.07722759237279152,
        1.0557350406149753,
        0.033156709405818906,
        -8.756461473702508,
    ],
    se: &[
        0.05215208308626986,
        0.004995907792306617,
        0.012988690953245674,
        0.017323031229509296,
        0.0265760491576414,
        0.4458999476797373,
        0.01745355755133056,
        1.154508742079284,
    ],
    z: &[
        2.373549778512578,
        6.811410077273703,
        -1.4979850297935589,
        0.9312475058644468,
        2.9059094493203217,
        2.367650066138257,
        1.8997106640468968,
        -7.584577885423386,
    ],
    p: &[
        0.01761801808621612,
        9.664670132883324e-12,
        0.13413713995450513,
        0.3517255491986483,
        0.003661874027270968,
        0.01790145858773597,
        0.057471100098789016,
        3.335712464610184e-14,
    ],
    log_likelihood: -162.7913066862556,
    aic: 341.5826133725112,
    bic: 372.93376420669637,
};

/// Trains on `data` with `args` into `m.json` and returns `summary m.json --json`, parsed.
fn summary_json(dir: &Dir, data: &str, args: &[&str]) -> Value {
    let mut all = vec!["train", data, "-o", "m.json", "-q"];
    all.extend_from_slice(args);
    dir.run(&all).ok();
    let run = dir.run(&["summary", "m.json", "--json"]);
    run.ok();
    serde_json::from_str(&run.stdout()).expect("summary --json prints one JSON object")
}

fn num(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number in {v}"))
}

/// The terms in reference order: coefficients, then the intercept.
fn terms(summary: &Value) -> Vec<Value> {
    let mut t = summary["coefficients"]
        .as_array()
        .expect("coefficients")
        .clone();
    t.push(summary["intercept"].clone());
    t
}

fn relative(got: f64, want: f64) -> f64 {
    ((got - want) / want).abs()
}

#[test]
fn summary_matches_statsmodels_on_spector_and_pima_at_lambda_0() {
    for r in [SPECTOR, PIMA] {
        let dir = Dir::new();
        let train = format!("{}_train.csv", r.name);
        dir.fixture(&train);
        let s = summary_json(
            &dir,
            &train,
            &["--target", r.target, "--positive", r.positive],
        );
        assert_eq!(s["n"], r.n);
        assert_eq!(s["converged"], true);
        assert_eq!(s["standard_errors"], "inverse_hessian");
        let mut worst = [0.0f64; 4];
        for (i, term) in terms(&s).iter().enumerate() {
            assert!(term["flag"].is_null(), "{}: {term}", r.name);
            for (w, (key, want)) in [
                ("estimate", r.coef[i]),
                ("std_error", r.se[i]),
                ("z", r.z[i]),
                ("p_value", r.p[i]),
            ]
            .iter()
            .enumerate()
            {
                let e = relative(num(term, key), *want);
                worst[w] = worst[w].max(e);
                assert!(
                    e <= 1e-6,
                    "{} {} {key}: {} vs statsmodels {want} (relative {e:e})",
                    r.name,
                    term["name"],
                    term[key]
                );
            }
            // The interval and odds ratio follow from estimate and standard error.
            let (b, se) = (num(term, "estimate"), num(term, "std_error"));
            assert!(relative(num(term, "ci_low"), b - 1.959963984540054 * se) < 1e-12);
            assert!(relative(num(term, "ci_high"), b + 1.959963984540054 * se) < 1e-12);
            assert!(relative(num(term, "odds_ratio"), b.exp()) < 1e-12);
        }
        for (key, want) in [
            ("log_likelihood", r.log_likelihood),
            ("aic", r.aic),
            ("bic", r.bic),
        ] {
            let e = relative(num(&s, key), want);
            assert!(
                e <= 1e-6,
                "{} {key}: {} vs statsmodels {want} (relative {e:e})",
                r.name,
                s[key]
            );
        }
        assert!(relative(num(&s, "deviance"), -2.0 * r.log_likelihood) <= 1e-6);
        eprintln!("{}: max relative error estimate/se/z/p = {worst:?}", r.name);
    }
}

/// statsmodels' spector example (`sm.datasets.spector`, all 32 rows, `Logit(endog,
/// add_constant(exog)).fit().summary()`), which reproduces Greene, *Econometric Analysis*,
/// Table 21.1. Printed there: LL -12.890, LL-Null -20.592, Pseudo R-squ. 0.3740, LLR p-value
/// 0.001502, and
///
/// ```text
///              coef    std err          z      P>|z|      [0.025      0.975]
/// const    -13.0213      4.931     -2.641      0.008     -22.687      -3.356
/// x1         2.8261      1.263      2.238      0.025       0.351       5.301
/// x2         0.0952      0.142      0.672      0.501      -0.182       0.373
/// x3         2.3787      1.065      2.234      0.025       0.292       4.465
/// ```
#[test]
fn spector_on_all_32_rows_reproduces_greenes_table() {
    let dir = Dir::new();
    dir.fixture("spector.csv");
    let s = summary_json(&dir, "spector.csv", &["--target", "GRADE"]);
    // Equal to the printed precision: |got - printed| <= half a unit in the last printed digit.
    let close = |got: f64, printed: f64, decimals: i32, what: &str| {
        let half = 0.5 * 10f64.powi(-decimals);
        assert!(
            (got - printed).abs() <= half,
            "{what}: {got} does not print as {printed}"
        );
    };
    close(num(&s, "log_likelihood"), -12.890, 3, "log-likelihood");
    close(num(&s, "null_log_likelihood"), -20.592, 3, "LL-null");
    close(num(&s, "pseudo_r2"), 0.3740, 4, "pseudo R-squared");
    close(num(&s, "llr_p_value"), 0.001502, 6, "LLR p-value");
    assert_eq!(s["n"], 32);
    assert_eq!(s["df_model"], 3);
    // const, GPA (x1), TUCE (x2), PSI (x3): coef, std err, z, P>|z|, [0.025, 0.975].
    let table: [(&Value, [f64; 6]); 4] = [
        (
            &s["intercept"],
            [-13.0213, 4.931, -2.641, 0.008, -22.687, -3.356],
        ),
        (
            &s["coefficients"][0],
            [2.8261, 1.263, 2.238, 0.025, 0.351, 5.301],
        ),
        (
            &s["coefficients"][1],
            [0.0952, 0.142, 0.672, 0.501, -0.182, 0.373],
        ),
        (
            &s["coefficients"][2],
            [2.3787, 1.065, 2.234, 0.025, 0.292, 4.465],
        ),
    ];
    for (term, printed) in table {
        let name = term["name"].as_str().unwrap();
        for (i, key) in ["estimate", "std_error", "z", "p_value", "ci_low", "ci_high"]
            .iter()
            .enumerate()
        {
            close(
                num(term, key),
                printed[i],
                if i == 0 { 4 } else { 3 },
                &format!("{name} {key}"),
            );
        }
    }
    assert_eq!(s["coefficients"][1]["name"], "TUCE");
}

#[test]
fn text_table_has_the_statsmodels_layout_with_odds_ratios() {
    let dir = Dir::new();
    dir.fixture("spector.csv");
    dir.run(&[
        "train",
        "spector.csv",
        "--target",
        "GRADE",
        "-o",
        "m.json",
        "-q",
    ])
    .ok();
    let out = dir.run(&["summary", "m.json"]).ok().stdout();
    for words in [
        "No. observations:",
        "Log-likelihood:",
        "-12.890",
        "LL-null:",
        "-20.592",
        "Pseudo R-squ. (McFadden):",
        "0.3740",
        "LLR p-value:",
        "0.001502",
        "AIC:",
        "BIC:",
        "Converged:",
        "coef",
        "std err",
        "P>|z|",
        "[0.025",
        "0.975]",
        "odds ratio",
    ] {
        assert!(out.contains(words), "no {words:?} in\n{out}");
    }
    let gpa = out
        .lines()
        .find(|l| l.starts_with("GPA"))
        .expect("a GPA row");
    let cells: Vec<&str> = gpa.split_whitespace().collect();
    assert_eq!(
        cells[1..5],
        ["2.8261", "1.2629", "2.238", "0.0252"],
        "{gpa}"
    );
    assert!(
        !out.contains("Notes:"),
        "a plain maximum-likelihood fit needs no notes:\n{out}"
    );
}

#[test]
fn train_summary_prints_the_table_to_stderr_and_leaves_stdout_to_the_model() {
    let dir = Dir::new();
    dir.fixture("spector.csv");
    let run = dir.run(&[
        "train",
        "spector.csv",
        "--target",
        "GRADE",
        "-o",
        "-",
        "--summary",
    ]);
    run.ok()
        .stderr_has(&["trained on 32 rows", "Log-likelihood:", "-12.890", "P>|z|"]);
    let model: Value = serde_json::from_str(&run.stdout()).expect("stdout carries only the model");
    let inference = &model["inference"];
    assert_eq!(inference["covariance"]["scale"], "original");
    assert_eq!(
        inference["covariance"]["parameters"],
        serde_json::json!(["GPA", "TUCE", "PSI", "(intercept)"])
    );
    // The stored variance of the intercept is Greene's 4.931^2.
    let var = inference["covariance"]["matrix"][3][3].as_f64().unwrap();
    assert!((var.sqrt() - 4.931).abs() < 5e-4, "{var}");
    // The report comes before the summary; --quiet drops the report but not the asked-for summary.
    let err = run.stderr();
    assert!(err.find("trained on").unwrap() < err.find("Log-likelihood").unwrap());
    let quiet = dir.run(&[
        "train",
        "spector.csv",
        "--target",
        "GRADE",
        "-o",
        "q.json",
        "-q",
        "--summary",
    ]);
    assert!(
        quiet.ok().stderr().contains("Log-likelihood") && !quiet.stderr().contains("trained on")
    );
}

#[test]
fn penalised_fit_states_that_its_standard_errors_are_not_classical() {
    let dir = Dir::new();
    dir.fixture("pima_train.csv");
    let s = summary_json(
        &dir,
        "pima_train.csv",
        &["--target", "type", "--l2", "0.01"],
    );
    assert_eq!(s["standard_errors"], "inverse_penalized_hessian");
    let notes = s["notes"].to_string();
    assert!(
        notes.contains("NOT the classical") && notes.contains("N(0, 1/(n l2))"),
        "{notes}"
    );
    let effective = num(&s, "effective_parameters");
    assert!(
        effective > 1.0 && effective < 8.0,
        "shrinkage lowers the effective number: {effective}"
    );
    // Still numbers (clearly labelled), smaller than the classical ones.
    let se = num(&s["coefficients"][1], "std_error");
    assert!(se > 0.0 && se < PIMA.se[1], "{se}");
    let text = dir.run(&["summary", "m.json"]).ok().stdout();
    assert!(
        text.contains("penalised maximum likelihood, l2 = 0.01"),
        "{text}"
    );
    let line = text
        .lines()
        .find(|l| l.starts_with("Std. errors:"))
        .expect("a Std. errors line");
    assert!(line.contains("penalised"), "{text}");
    assert!(
        text.contains("Notes:") && text.contains("NOT the classical"),
        "{text}"
    );

    // As l2 -> 0 the penalised standard errors tend to the classical ones.
    let tiny = summary_json(
        &dir,
        "pima_train.csv",
        &["--target", "type", "--l2", "1e-9"],
    );
    for (term, want) in terms(&tiny).iter().zip(PIMA.se) {
        assert!(relative(num(term, "std_error"), *want) < 1e-5, "{term}");
    }
}

#[test]
fn separated_data_flag_every_coefficient_and_show_no_numbers() {
    let dir = Dir::new();
    dir.write(
        "sep.csv",
        "x,z,y\n1,0.5,0\n2,0.1,0\n3,0.9,0\n4,0.3,1\n5,0.7,1\n6,0.2,1\n",
    );
    let run = dir.run(&["train", "sep.csv", "--target", "y", "-o", "m.json", "-q"]);
    run.ok().stderr_has(&["separation"]);
    let out = dir.run(&["summary", "m.json", "--json"]).ok().stdout();
    let s: Value = serde_json::from_str(&out).unwrap();
    for term in terms(&s) {
        assert_eq!(term["flag"], "separation", "{term}");
        for key in [
            "estimate",
            "std_error",
            "z",
            "p_value",
            "ci_low",
            "ci_high",
            "odds_ratio",
        ] {
            assert!(
                term[key].is_null(),
                "{key} shown for a separated fit: {term}"
            );
        }
    }
    assert!(
        s["notes"][0].as_str().unwrap().contains("does not exist"),
        "{}",
        s["notes"]
    );
    // Nor is the likelihood at the stopping point a maximum: no LL, AIC, BIC or LR test.
    for key in [
        "log_likelihood",
        "deviance",
        "aic",
        "bic",
        "pseudo_r2",
        "llr",
        "llr_p_value",
    ] {
        assert!(
            s[key].is_null(),
            "{key} shown for a separated fit: {}",
            s[key]
        );
    }
    assert!(s["null_log_likelihood"].is_number());
    let text = dir.run(&["summary", "m.json"]).ok().stdout();
    let x = text
        .lines()
        .find(|l| l.starts_with("x "))
        .expect("a row for x");
    assert!(
        x.contains("[separation]") && !x.chars().any(|c| c.is_ascii_digit()),
        "{x}"
    );
}

/// A categorical column with every level plus the intercept makes the information matrix
/// singular at l2 = 0: the levels and the intercept are not identifiable, but the numeric
/// feature is, and its standard error equals the one from the same model coded without the
/// redundant level (an estimable function has the same variance under any generalised inverse).
#[test]
fn rank_deficient_one_hot_design_says_which_coefficients_are_not_identifiable() {
    let mut full = String::from("x,colour,y\n");
    let mut dropped = String::from("x,green,blue,y\n");
    let colours = ["red", "green", "blue"];
    let mut state = 12345u64;
    for i in 0..90 {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let x = (state >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0;
        let colour = colours[i % 3];
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let u = (state >> 11) as f64 / (1u64 << 53) as f64;
        let score = 0.8 * x + [0.0, 0.7, -0.5][i % 3];
        let y = u8::from(u < 1.0 / (1.0 + (-score).exp()));
        full.push_str(&format!("{x},{colour},{y}\n"));
        dropped.push_str(&format!(
            "{x},{},{},{y}\n",
            u8::from(colour == "green"),
            u8::from(colour == "blue")
        ));
    }
    let dir = Dir::new();
    dir.write("full.csv", full).write("dropped.csv", dropped);
    let s = summary_json(&dir, "full.csv", &["--target", "y"]);
    assert_eq!(s["n_parameters"], 5);
    assert_eq!(s["rank"], 4);
    let names: Vec<&str> = s["coefficients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["x", "colour=blue", "colour=green", "colour=red"]);
    for term in terms(&s).iter().skip(1) {
        assert_eq!(term["flag"], "not_identifiable", "{term}");
        assert!(
            term["estimate"].is_null() && term["std_error"].is_null(),
            "{term}"
        );
    }
    let x = &s["coefficients"][0];
    assert!(x["flag"].is_null(), "{x}");
    assert!(
        s["notes"].to_string().contains("not identifiable"),
        "{}",
        s["notes"]
    );
    let text = dir.run(&["summary", "m.json"]).ok().stdout();
    assert!(text.contains("[not identifiable]"), "{text}");
    let reference = summary_json(&dir, "dropped.csv", &["--target", "y"]);
    let rx = &reference["coefficients"][0];
    for key in ["estimate", "std_error", "z", "p_value"] {
        assert!(
            relative(num(x, key), num(rx, key)) < 1e-6,
            "{key}: {} vs {}",
            x[key],
            rx[key]
        );
    }
    for key in ["log_likelihood", "aic", "bic"] {
        assert!(relative(num(&s, key), num(&reference, key)) < 1e-9, "{key}");
    }
}

#[test]
fn nearly_identical_columns_are_flagged_as_collinear() {
    let mut csv = String::from("a,b,y\n");
    let mut state = 99u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for _ in 0..200 {
        let a = next() * 2.0 - 1.0;
        let b = a + 1e-4 * (next() - 0.5);
        let y = u8::from(next() < 1.0 / (1.0 + (-2.0 * a).exp()));
        csv.push_str(&format!("{a},{b},{y}\n"));
    }
    let dir = Dir::new();
    dir.write("c.csv", csv);
    let s = summary_json(&dir, "c.csv", &["--target", "y", "--solver", "newton"]);
    for term in &s["coefficients"].as_array().unwrap()[..2] {
        assert_eq!(term["flag"], "collinear", "{term}");
        assert!(
            term["estimate"].is_number() && term["std_error"].is_null(),
            "{term}"
        );
    }
    assert!(s["intercept"]["flag"].is_null(), "{}", s["intercept"]);
}

#[test]
fn unconverged_fit_is_noted() {
    let dir = Dir::new();
    dir.fixture("pima_train.csv");
    let s = summary_json(
        &dir,
        "pima_train.csv",
        &["--target", "type", "--max-iter", "2"],
    );
    assert_eq!(s["converged"], false);
    assert!(
        s["notes"].to_string().contains("did not converge"),
        "{}",
        s["notes"]
    );
    assert!(
        terms(&s).iter().any(|t| t["flag"] == "not_converged"),
        "{s}"
    );
}

#[test]
fn model_without_fit_intercept_has_no_intercept_row_and_a_fair_coin_null_model() {
    let dir = Dir::new();
    dir.fixture("spector.csv");
    let s = summary_json(
        &dir,
        "spector.csv",
        &["--target", "GRADE", "--no-intercept"],
    );
    assert!(s["intercept"].is_null());
    assert!(relative(num(&s, "null_log_likelihood"), 32.0 * 0.5f64.ln()) < 1e-15);
    assert_eq!(s["df_model"], 3);
}

#[test]
fn model_without_stored_covariance_explains_why_there_are_no_standard_errors() {
    let dir = Dir::new();
    dir.fixture("spector.csv");
    let with = summary_json(&dir, "spector.csv", &["--target", "GRADE"]);
    // A model written before `inference` existed: the same file without that field.
    let mut model: Value = serde_json::from_str(&dir.read("m.json")).unwrap();
    model.as_object_mut().unwrap().remove("inference");
    dir.write("old.json", serde_json::to_string_pretty(&model).unwrap());
    let out = dir.run(&["summary", "old.json", "--json"]).ok().stdout();
    let s: Value = serde_json::from_str(&out).unwrap();
    assert!(
        s["coefficients"][0]["std_error"].is_null() && s["coefficients"][0]["estimate"].is_number()
    );
    assert!(
        s["notes"][0]
            .as_str()
            .unwrap()
            .contains("no standard errors"),
        "{}",
        s["notes"]
    );
    // The log-likelihood is recovered from the stored objective.
    assert!(relative(num(&s, "log_likelihood"), num(&with, "log_likelihood")) < 1e-12);
    let text = dir.run(&["summary", "old.json"]).ok().stdout();
    assert!(text.contains("no standard errors"), "{text}");
}

#[test]
fn too_many_parameters_for_a_stored_covariance_is_explained() {
    let p = 130;
    let mut csv: String = (0..p).map(|j| format!("f{j},")).collect::<String>() + "y\n";
    let mut state = 7u64;
    for i in 0..200 {
        for _ in 0..p {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            csv.push_str(&format!("{},", (state >> 40) % 100));
        }
        csv.push_str(&format!("{}\n", i % 2));
    }
    let dir = Dir::new();
    dir.write("wide.csv", csv);
    let s = summary_json(&dir, "wide.csv", &["--target", "y", "--l2", "0.1"]);
    assert!(
        s["notes"].to_string().contains("at most 128"),
        "{}",
        s["notes"]
    );
    assert!(s["coefficients"][0]["std_error"].is_null());
    assert_eq!(s["coefficients"].as_array().unwrap().len(), p);
}

#[test]
fn damaged_covariance_and_missing_models_are_errors() {
    let dir = Dir::new();
    dir.fixture("spector.csv");
    dir.run(&[
        "train",
        "spector.csv",
        "--target",
        "GRADE",
        "-o",
        "m.json",
        "-q",
    ])
    .ok();
    let mut model: Value = serde_json::from_str(&dir.read("m.json")).unwrap();
    model["inference"]["covariance"]["matrix"][0] = serde_json::json!([1.0, 2.0]);
    dir.write("bad.json", serde_json::to_string(&model).unwrap());
    dir.run(&["summary", "bad.json"])
        .expect_code(2)
        .stderr_has(&["bad.json", "damaged model file", "covariance"]);
    dir.run(&["summary", "absent.json", "--json"])
        .expect_code(2)
        .stderr_has(&["absent.json"]);
}

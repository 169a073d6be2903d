//! The fits: glmnet's objective, probabilities and zeros; the report; the closed form above
//! lambda_max; the multinomial KKT conditions; weights as duplicated rows.

use serde_json::Value;

use super::{coefficients, l1_fixture, number, reference, train};
use crate::util::{column_f64, f64s, fixtures, parse_csv, Dir};

/// (case, target, positive): the two shared glmnet cases.
const CASES: [(&str, &str, &str); 2] = [
    ("pima", "type", "Yes"),
    ("breast_cancer", "diagnosis", "malignant"),
];

#[test]
fn lasso_and_elastic_net_fits_match_glmnet_objective_probabilities_and_zeros() {
    let dir = Dir::new();
    for (case, target, positive) in CASES {
        let train_csv = l1_fixture(&format!("{case}_train.csv"));
        let test_csv = l1_fixture(&format!("{case}_test.csv"));
        let r = reference(case);
        let names: Vec<&str> = r["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap())
            .collect();
        for fit in r["fits"].as_array().unwrap() {
            let (l1, l2) = (number(&fit["l1"]), number(&fit["l2"]));
            let what = format!("{case} --l1 {l1} --l2 {l2}");
            let (l1_arg, l2_arg) = (l1.to_string(), l2.to_string());
            let m = train(
                &dir,
                &[
                    &train_csv,
                    "--target",
                    target,
                    "--positive",
                    positive,
                    "--l1",
                    &l1_arg,
                    "--l2",
                    &l2_arg,
                ],
            );
            assert_eq!(m["fit"]["solver"], "cd", "{what}: the default solver");
            assert_eq!(m["fit"]["converged"], true, "{what}");
            assert_eq!(number(&m["objective"]["l1"]), l1, "{what}");
            assert!(
                m["objective"]["definition"]
                    .as_str()
                    .unwrap()
                    .contains("l1 ||w||_1"),
                "{what}: {}",
                m["objective"]["definition"]
            );
            // The objective, l1 term included.
            let objective = number(&m["fit"]["objective"]);
            let want = number(&fit["objective"]);
            assert!(
                (objective - want).abs() <= 1e-9,
                "{what}: objective {objective} vs glmnet {want}"
            );
            // Test probabilities.
            dir.run(&["predict", "m.json", &test_csv, "-o", "p.csv"])
                .ok();
            let p = column_f64(&dir.read("p.csv"), "probability");
            let p_ref = f64s(&fit["test_probabilities"]);
            assert_eq!(p.len(), p_ref.len(), "{what}");
            let worst = p
                .iter()
                .zip(&p_ref)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            assert!(worst <= 1e-7, "{what}: max |p - p_glmnet| = {worst:e}");
            // Zeros: exact 0.0 in both scales where glmnet has a (non-fragile) zero, non-zero
            // elsewhere; matched by name.
            let features = m["features"].as_array().unwrap();
            assert_eq!(features.len(), names.len(), "{what}");
            let (w, w_std) = (
                coefficients(&m, "coefficient"),
                coefficients(&m, "coefficient_standardized"),
            );
            let mut nonzero = 0;
            for (j, name) in names.iter().enumerate() {
                assert_eq!(features[j]["name"], *name, "{what}");
                if fit["fragile"][j] == true {
                    continue;
                }
                if fit["zero"][j] == true {
                    assert!(
                        w[j] == 0.0 && w_std[j] == 0.0,
                        "{what}: {name} is {} ({} standardised), glmnet 0",
                        w[j],
                        w_std[j]
                    );
                } else {
                    assert!(w[j] != 0.0 && w_std[j] != 0.0, "{what}: {name} is 0");
                }
            }
            nonzero += w_std.iter().filter(|v| **v != 0.0).count();
            assert_eq!(
                m["nonzero_coefficients"].as_u64(),
                Some(nonzero as u64),
                "{what}"
            );
            assert_eq!(
                nonzero as u64,
                fit["nonzero"].as_u64().unwrap(),
                "{what}: glmnet's df (no shared fit has a fragile coefficient)"
            );
        }
    }
}

#[test]
fn the_report_states_both_penalties_and_the_non_zero_count() {
    // glmnet keeps 6 of pima's 7 coefficients at l1 = 0.05 (bp is 0).
    let dir = Dir::new();
    let data = l1_fixture("pima_train.csv");
    let run = dir.run(&[
        "train",
        &data,
        "--target",
        "type",
        "--positive",
        "Yes",
        "--l1",
        "0.05",
        "-o",
        "m.json",
    ]);
    run.ok().stderr_has(&[
        "objective: mean log loss + 0.05 ||w||_1 on standardised features",
        "penalty: l1 = 0.05, l2 = 0; 6 of 7 coefficients are non-zero\n",
        "solver cd: converged after",
        "min-norm subgradient max-norm",
    ]);
    // Lasso on separable data has a finite optimum: no separation warning.
    let bc = l1_fixture("breast_cancer_train.csv");
    let run = dir.run(&[
        "train",
        &bc,
        "--target",
        "diagnosis",
        "--positive",
        "malignant",
        "--l1",
        "0.001",
        "-o",
        "m.json",
    ]);
    let err = run.ok().stderr();
    assert!(
        !err.contains("separat") && !err.contains("warning"),
        "{err}"
    );
}

#[test]
fn an_l1_above_lambda_max_gives_all_zeros_and_the_intercept_only_fit() {
    // lambda_max = max_j |sum_i (y_i - ybar) x~_ij| / n; above it every w_j = 0 and the
    // intercept is the log-odds of the positive rate.
    let dir = Dir::new();
    let data = l1_fixture("pima_train.csv");
    let m = train(
        &dir,
        &[&data, "--target", "type", "--positive", "Yes", "--l1", "10"],
    );
    assert!(coefficients(&m, "coefficient").iter().all(|w| *w == 0.0));
    assert!(coefficients(&m, "coefficient_standardized")
        .iter()
        .all(|w| *w == 0.0));
    assert_eq!(m["nonzero_coefficients"], 0);
    let n_pos = number(&m["training"]["n_positive"]);
    let n = number(&m["training"]["n_rows"]);
    let ybar = n_pos / n;
    let b = number(&m["intercept"]);
    assert!((b - (ybar / (1.0 - ybar)).ln()).abs() < 1e-9, "{b}");
    // Then the objective is the null mean log loss.
    let null = -(ybar * ybar.ln() + (1.0 - ybar) * (1.0 - ybar).ln());
    assert!((number(&m["fit"]["objective"]) - null).abs() < 1e-12);
}

/// The rows of iris_train.csv standardised with the model's scaler: (x~, class index).
fn standardised_rows(model: &Value, csv: &str) -> (Vec<Vec<f64>>, Vec<usize>) {
    let (header, rows) = parse_csv(csv);
    let classes: Vec<&str> = model["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let features = model["features"].as_array().unwrap();
    let target = header.iter().position(|h| h == "Species").unwrap();
    let columns: Vec<usize> = features
        .iter()
        .map(|f| header.iter().position(|h| *h == f["name"]).unwrap())
        .collect();
    let x = rows
        .iter()
        .map(|r| {
            columns
                .iter()
                .zip(features)
                .map(|(&c, f)| {
                    (r[c].parse::<f64>().unwrap() - number(&f["mean"])) / number(&f["std"])
                })
                .collect()
        })
        .collect();
    let y = rows
        .iter()
        .map(|r| classes.iter().position(|c| *c == r[target]).unwrap())
        .collect();
    (x, y)
}

#[test]
fn multinomial_lasso_has_exact_zeros_and_satisfies_the_kkt_conditions() {
    let dir = Dir::new();
    let data = fixtures().join("multi/iris_train.csv");
    let data = data.to_str().unwrap();
    for (l1, l2) in [(0.02, 0.0), (0.01, 0.01)] {
        let (l1_arg, l2_arg) = (l1.to_string(), l2.to_string());
        let m = train(
            &dir,
            &[
                data, "--target", "Species", "--l1", &l1_arg, "--l2", &l2_arg,
            ],
        );
        let what = format!("iris --l1 {l1} --l2 {l2}");
        assert_eq!(m["multiclass"], "multinomial", "{what}");
        assert_eq!(m["fit"]["converged"], true, "{what}");
        let w: Vec<Vec<f64>> = m["coefficients_standardized"]
            .as_array()
            .unwrap()
            .iter()
            .map(f64s)
            .collect();
        let b = f64s(&m["intercepts_standardized"]);
        let (k, p) = (w.len(), w[0].len());
        let zeros = w.iter().flatten().filter(|v| **v == 0.0).count();
        assert!(
            zeros > 0 && zeros < k * p,
            "{what}: {zeros} zeros of {}",
            k * p
        );
        assert_eq!(m["nonzero_coefficients"], k * p - zeros, "{what}");
        // Original-unit zeros at the same places.
        let w_orig: Vec<f64> = m["coefficients"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(f64s)
            .collect();
        for (a, c) in w.iter().flatten().zip(&w_orig) {
            assert_eq!(*a == 0.0, *c == 0.0, "{what}");
        }
        assert!(b.iter().sum::<f64>().abs() < 1e-12, "{what}: b centred");
        // The smooth part's gradient at the stored point, from the data: g_kj = (1/n) sum_i
        // (p_ik - [y_i = k]) x~_ij + l2 w_kj, and for the intercepts the same without x~.
        let (x, y) = standardised_rows(&m, &std::fs::read_to_string(data).unwrap());
        let n = x.len() as f64;
        let mut g = vec![vec![0.0; p]; k];
        let mut g_b = vec![0.0; k];
        for (xi, &yi) in x.iter().zip(&y) {
            let z: Vec<f64> = (0..k)
                .map(|c| b[c] + (0..p).map(|j| w[c][j] * xi[j]).sum::<f64>())
                .collect();
            let top = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let e: Vec<f64> = z.iter().map(|v| (v - top).exp()).collect();
            let total: f64 = e.iter().sum();
            for c in 0..k {
                let r = e[c] / total - f64::from(u8::from(c == yi));
                g_b[c] += r / n;
                for j in 0..p {
                    g[c][j] += r * xi[j] / n;
                }
            }
        }
        // KKT: w != 0 -> g + l1 sign(w) = 0; w = 0 -> |g| <= l1; intercepts: g_b = 0.
        let tol = 1e-8;
        for c in 0..k {
            assert!(g_b[c].abs() <= tol, "{what}: intercept gradient {}", g_b[c]);
            for j in 0..p {
                let gj = g[c][j] + l2 * w[c][j];
                if w[c][j] != 0.0 {
                    let r = gj + l1 * w[c][j].signum();
                    assert!(r.abs() <= tol, "{what}: w[{c}][{j}] stationarity {r:e}");
                } else {
                    assert!(
                        gj.abs() <= l1 + tol,
                        "{what}: w[{c}][{j}] = 0 but |g| = {gj}"
                    );
                }
            }
        }
        // The stored objective is the full one at that point.
        let loss: f64 = x
            .iter()
            .zip(&y)
            .map(|(xi, &yi)| {
                let z: Vec<f64> = (0..k)
                    .map(|c| b[c] + (0..p).map(|j| w[c][j] * xi[j]).sum::<f64>())
                    .collect();
                let top = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                top + z.iter().map(|v| (v - top).exp()).sum::<f64>().ln() - z[yi]
            })
            .sum::<f64>()
            / n;
        let flat = w.iter().flatten();
        let penalty = l1 * flat.clone().map(|v| v.abs()).sum::<f64>()
            + l2 / 2.0 * flat.map(|v| v * v).sum::<f64>();
        let objective = number(&m["fit"]["objective"]);
        assert!(
            (objective - (loss + penalty)).abs() < 1e-12,
            "{what}: {objective} vs {}",
            loss + penalty
        );
    }
    // One-vs-rest: K lasso fits, each with zeros counted.
    let m = train(
        &dir,
        &[
            data,
            "--target",
            "Species",
            "--multiclass",
            "ovr",
            "--l1",
            "0.02",
        ],
    );
    let fits = m["fits"].as_array().unwrap();
    assert!(fits
        .iter()
        .all(|f| f["solver"] == "cd" && f["converged"] == true));
    let zeros = m["coefficients_standardized"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(f64s)
        .filter(|v| *v == 0.0)
        .count();
    assert!(zeros > 0, "ovr lasso has zeros");
    assert_eq!(m["nonzero_coefficients"], 12 - zeros);
}

#[test]
fn with_l1_a_weight_of_two_equals_a_duplicated_row() {
    let dir = Dir::new();
    let text = std::fs::read_to_string(l1_fixture("pima_train.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let (mut weighted, mut duplicated) = (format!("{header},w\n"), format!("{header},w\n"));
    for (i, line) in lines.enumerate() {
        let twice = i % 3 == 0;
        weighted += &format!("{line},{}\n", if twice { 2 } else { 1 });
        duplicated += &format!("{line},1\n");
        if twice {
            duplicated += &format!("{line},1\n");
        }
    }
    dir.write("weighted.csv", weighted)
        .write("duplicated.csv", duplicated);
    for (l1, l2) in [("0.01", "0"), ("0.005", "0.005")] {
        let common = [
            "--target",
            "type",
            "--positive",
            "Yes",
            "--weight",
            "w",
            "--l1",
            l1,
            "--l2",
            l2,
        ];
        let a = train(&dir, &[&["weighted.csv"][..], &common].concat());
        let b = train(&dir, &[&["duplicated.csv"][..], &common].concat());
        let what = format!("--l1 {l1} --l2 {l2}");
        let (wa, wb) = (
            coefficients(&a, "coefficient_standardized"),
            coefficients(&b, "coefficient_standardized"),
        );
        for (x, y) in wa.iter().zip(&wb) {
            assert_eq!(*x == 0.0, *y == 0.0, "{what}: the same zeros");
            assert!((x - y).abs() < 1e-8, "{what}: {wa:?} vs {wb:?}");
        }
        let (oa, ob) = (
            number(&a["fit"]["objective"]),
            number(&b["fit"]["objective"]),
        );
        assert!((oa - ob).abs() < 1e-13, "{what}: {oa} vs {ob}");
        // And the weights changed the fit.
        let u = train(
            &dir,
            &[
                "weighted.csv",
                "--target",
                "type",
                "--positive",
                "Yes",
                "--exclude",
                "w",
                "--l1",
                l1,
                "--l2",
                l2,
            ],
        );
        let wu = coefficients(&u, "coefficient_standardized");
        assert!(
            wu.iter().zip(&wa).any(|(u, a)| (u - a).abs() > 1e-4),
            "{what}"
        );
    }
}

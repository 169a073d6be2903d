//! Unit tests of the multiclass metrics: hand-computed cases, weights as duplicated rows,
//! log-space probabilities at extreme scores, and the shared references (scikit-learn's
//! metrics on `../shared/reference/multi/*.expected.json`).

use super::multiclass::{log_softmax_into, ovr_log_probabilities_into};
use super::*;

fn labels3() -> Vec<String> {
    ["a", "b", "c"].iter().map(|s| s.to_string()).collect()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

fn assert_close(got: Option<f64>, want: f64, tol: f64, what: &str) {
    match got {
        Some(g) => assert!(close(g, want, tol), "{what}: got {g:e}, want {want:e}"),
        None => panic!("{what}: undefined, want {want}"),
    }
}

/// Five rows, three classes, probabilities given:
///
/// ```text
/// row  p(a) p(b) p(c)  true  predicted
///  0   .7   .2   .1    a     a
///  1   .1   .6   .3    b     b
///  2   .2   .5   .3    c     b
///  3   .3   .3   .4    c     c
///  4   .5   .4   .1    b     a
/// ```
fn five_rows() -> (ClassProbabilities, Vec<usize>) {
    let p = vec![
        0.7, 0.2, 0.1, 0.1, 0.6, 0.3, 0.2, 0.5, 0.3, 0.3, 0.3, 0.4, 0.5, 0.4, 0.1,
    ];
    (
        ClassProbabilities::from_probabilities(3, p),
        vec![0, 1, 2, 2, 1],
    )
}

#[test]
fn hand_computed_five_rows() {
    let (p, y) = five_rows();
    let m = evaluate_multiclass(&p, &y, None, &labels3());
    // confusion rows true, columns predicted: a: [1,0,0]; b: [1,1,0]; c: [0,1,1].
    assert_eq!(
        m.confusion,
        vec![
            vec![1.0, 0.0, 0.0],
            vec![1.0, 1.0, 0.0],
            vec![0.0, 1.0, 1.0]
        ]
    );
    assert_eq!(m.n, 5);
    assert_eq!(m.accuracy, Some(3.0 / 5.0));
    // precision: a 1/2, b 1/2, c 1/1; recall: a 1/1, b 1/2, c 1/2.
    // f1 = 2tp/(2tp+fp+fn): a 2/3, b 2/4, c 2/3.
    let pc = &m.per_class;
    assert_eq!(
        (pc[0].precision, pc[1].precision, pc[2].precision),
        (0.5, 0.5, 1.0)
    );
    assert_eq!((pc[0].recall, pc[1].recall, pc[2].recall), (1.0, 0.5, 0.5));
    assert_eq!((pc[0].f1, pc[1].f1, pc[2].f1), (2.0 / 3.0, 0.5, 2.0 / 3.0));
    assert_eq!(
        (pc[0].support, pc[1].support, pc[2].support),
        (1.0, 2.0, 2.0)
    );
    assert_close(m.macro_precision, 2.0 / 3.0, 1e-14, "macro_precision");
    assert_close(m.macro_recall, 2.0 / 3.0, 1e-14, "macro_recall");
    assert_close(m.balanced_accuracy, 2.0 / 3.0, 1e-14, "balanced");
    assert_close(m.macro_f1, (2.0 / 3.0 + 0.5 + 2.0 / 3.0) / 3.0, 1e-14, "f1");
    // weighted f1: (1 * 2/3 + 2 * 1/2 + 2 * 2/3) / 5 = 3/5.
    assert_close(m.weighted_f1, 0.6, 1e-14, "weighted_f1");
    // log loss: -(ln .7 + ln .6 + ln .3 + ln .4 + ln .4) / 5.
    let ll = -(0.7f64.ln() + 0.6f64.ln() + 0.3f64.ln() + 0.4f64.ln() + 0.4f64.ln()) / 5.0;
    assert_close(m.log_loss, ll, 1e-14, "log_loss");
    // brier per row: .09+.04+.01 = .14; .01+.16+.09 = .26; .04+.25+.49 = .78;
    // .09+.09+.36 = .54; .25+.36+.01 = .62 -> 2.34 / 5.
    assert_close(m.brier, 2.34 / 5.0, 1e-14, "brier");
    // OvR AUC. a: pos {.7} vs neg {.1,.2,.3,.5}: 1. b: pos {.6,.4} vs neg {.2,.5,.3}:
    // .6 beats 3, .4 beats 2 -> 5/6. c: pos {.3,.4} vs neg {.1,.3,.1}: .3 beats 2 ties 1 -> 2.5,
    // .4 beats 3 -> 5.5/6. Macro: (1 + 5/6 + 11/12) / 3 = 11/12.
    assert_close(m.roc_auc, 11.0 / 12.0, 1e-14, "roc_auc");
}

#[test]
fn json_keys_are_the_contracts() {
    let (p, y) = five_rows();
    let m = evaluate_multiclass(&p, &y, None, &labels3());
    let v = serde_json::to_value(&m).unwrap_or_default();
    let mut keys: Vec<&str> = v
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let mut want: Vec<&str> = MULTICLASS_METRIC_NAMES.to_vec();
    want.extend(["confusion", "per_class"]);
    keys.sort_unstable();
    want.sort_unstable();
    assert_eq!(keys, want);
    assert_eq!(v["confusion"][1], serde_json::json!([1, 1, 0]));
    assert_eq!(v["per_class"][2]["label"], serde_json::json!("c"));
    assert_eq!(v["per_class"][2]["support"], serde_json::json!(2));
    let w = evaluate_multiclass(&p, &y, Some(&[0.5; 5]), &labels3());
    let v = serde_json::to_value(&w).unwrap_or_default();
    assert_eq!(v["weight_sum"], serde_json::json!(2.5));
    assert_eq!(v["confusion"][1], serde_json::json!([0.5, 0.5, 0]));
}

#[test]
fn never_predicted_class_has_precision_zero_and_counts_in_macro() {
    // Class c never predicted, class b never true.
    let p = ClassProbabilities::from_probabilities(3, vec![0.8, 0.1, 0.1, 0.3, 0.6, 0.1]);
    let m = evaluate_multiclass(&p, &[0, 2], None, &labels3());
    assert_eq!(m.per_class[2].precision, 0.0);
    assert_eq!(m.per_class[2].recall, 0.0);
    assert_eq!(m.per_class[1].recall, 0.0); // no support: zero_division = 0
    assert_eq!(m.per_class[1].precision, 0.0);
    assert_close(m.macro_precision, 1.0 / 3.0, 1e-14, "macro_precision");
    // Balanced accuracy over the classes with support only: (1 + 0) / 2.
    assert_eq!(m.balanced_accuracy, Some(0.5));
    // Class b has no rows of its own: one-vs-rest AUC undefined, with the reason.
    assert_eq!(m.roc_auc, None);
    let why = m.undefined_reason("roc_auc").unwrap_or_default();
    assert!(why.contains("\"b\""), "{why}");
    assert_eq!(m.undefined_reason("accuracy"), None);
    assert_eq!(m.value("nope"), None);
}

#[test]
fn integer_weights_equal_duplicated_rows() {
    let (p, y) = five_rows();
    let w = [2.0, 0.0, 1.0, 3.0, 1.0];
    let (mut probs, mut yd) = (Vec::new(), Vec::new());
    for i in 0..5 {
        for _ in 0..w[i] as usize {
            probs.extend_from_slice(p.row(i));
            yd.push(y[i]);
        }
    }
    let dup = evaluate_multiclass(
        &ClassProbabilities::from_probabilities(3, probs),
        &yd,
        None,
        &labels3(),
    );
    let m = evaluate_multiclass(&p, &y, Some(&w), &labels3());
    assert_eq!(m.n, 5);
    assert_eq!(m.weight_sum, Some(7.0));
    for name in MULTICLASS_METRIC_NAMES.iter().filter(|n| **n != "n") {
        let (a, b) = (m.value(name).flatten(), dup.value(name).flatten());
        assert!(
            matches!((a, b), (Some(x), Some(y)) if (x - y).abs() <= 1e-14),
            "{name}: weighted {a:?}, duplicated {b:?}"
        );
    }
    assert_eq!(m.confusion, dup.confusion);
    assert_eq!(m.per_class, dup.per_class);
}

#[test]
fn log_softmax_and_ovr_are_exact_at_extreme_scores() {
    // log softmax(1000, 0, -1000) = (-e^-1000 ~ 0, -1000, -2000): finite, no overflow.
    let mut out = [0.0; 3];
    log_softmax_into(&[1000.0, 0.0, -1000.0], &mut out);
    assert_eq!(out, [0.0, -1000.0, -2000.0]);
    // (0, ln 2, ln 3) -> probabilities (1, 2, 3) / 6.
    log_softmax_into(&[0.0, 2f64.ln(), 3f64.ln()], &mut out);
    for (o, want) in out.iter().zip([1.0f64 / 6.0, 2.0 / 6.0, 3.0 / 6.0]) {
        assert!(close(*o, want.ln(), 1e-15), "{o} {}", want.ln());
    }
    // OvR: sigmoid(0) = 1/2 each: probabilities 1/3.
    ovr_log_probabilities_into(&[0.0, 0.0, 0.0], &mut out);
    for o in out {
        assert!(close(o, -(3f64.ln()), 1e-15));
    }
    // OvR with one class far below: log sigmoid(-800) = -800 exactly, sigmoid would be 0.
    // p_c = e^-800 / (1/2 + 1/2 + ~0) -> log p_c = -800 (to rounding).
    ovr_log_probabilities_into(&[0.0, 0.0, -800.0], &mut out);
    assert!(close(out[2], -800.0, 1e-12), "{}", out[2]);
    assert!(close(out[0], -(2f64.ln()), 1e-15));
    // The log loss of a row whose true class has probability e^-800 is 800, not inf.
    let p = ClassProbabilities::from_ovr_scores(3, &[0.0, 0.0, -800.0]);
    let m = evaluate_multiclass(&p, &[2], None, &labels3());
    assert_close(m.log_loss, 800.0, 1e-9, "log_loss");
}

/// Reads a numeric CSV's `features` columns and its `target` column.
fn read_csv(
    path: &std::path::Path,
    features: &[String],
    target: &str,
) -> (Vec<Vec<f64>>, Vec<String>) {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = r.headers().cloned().unwrap_or_default();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or(usize::MAX);
    let idx: Vec<usize> = features.iter().map(|f| col(f)).collect();
    let t = col(target);
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for rec in r.records() {
        let rec = rec.unwrap_or_default();
        x.push(
            idx.iter()
                .map(|&i| rec[i].parse::<f64>().unwrap_or(f64::NAN))
                .collect(),
        );
        y.push(rec[t].to_string());
    }
    (x, y)
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .map(|a| a.iter().filter_map(serde_json::Value::as_f64).collect())
        .unwrap_or_default()
}

/// Every metric against scikit-learn's, at the runner's tolerances (counts 1e-9 relative,
/// rates 1e-6, log_loss / brier / roc_auc 1e-5; the differences seen are ~1e-13).
fn check_reference(m: &MulticlassMetrics, want: &serde_json::Value, what: &str) -> f64 {
    let mut worst = 0.0f64;
    for name in MULTICLASS_METRIC_NAMES {
        let r = want[*name].as_f64().unwrap_or(f64::NAN);
        let got = m.value(name).flatten().unwrap_or(f64::NAN);
        let tol = match *name {
            "n" => 1e-9 * r.abs(),
            "log_loss" | "brier" | "roc_auc" => 1e-5,
            _ => 1e-6,
        };
        assert!((got - r).abs() <= tol, "{what} {name}: got {got}, want {r}");
        worst = worst.max((got - r).abs());
    }
    for (i, row) in m.confusion.iter().enumerate() {
        assert_eq!(
            row,
            &floats(&want["confusion"][i]),
            "{what} confusion row {i}"
        );
    }
    for (i, c) in m.per_class.iter().enumerate() {
        let r = &want["per_class"][i];
        for (got, key) in [
            (c.precision, "precision"),
            (c.recall, "recall"),
            (c.f1, "f1"),
        ] {
            let r = r[key].as_f64().unwrap_or(f64::NAN);
            assert!(
                (got - r).abs() <= 1e-6,
                "{what} per_class[{i}].{key}: {got} vs {r}"
            );
            worst = worst.max((got - r).abs());
        }
        assert_eq!(Some(c.support), r["support"].as_f64(), "{what} support {i}");
    }
    worst
}

/// The multiclass reference cases: scores from the stored original-unit coefficients and the
/// test CSV through log-softmax / normalised log-sigmoids, then every metric; also the
/// reference probabilities fed in directly. Skipped when the folder is absent (plain clone).
#[test]
fn reference_multiclass_cases_when_present() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/multi");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("skipped: no {}", dir.display());
        return;
    };
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".expected.json"))
        .collect();
    files.sort();
    let mut fits = 0;
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let d: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        if d["kind"] != "multiclass" {
            continue;
        }
        let classes = strings(&d["classes"]);
        let k = classes.len();
        let features = strings(&d["features"]);
        let target = d["target"].as_str().unwrap_or_default();
        let test = dir.join(d["test_file"].as_str().unwrap_or_default());
        let (x, labels) = read_csv(&test, &features, target);
        assert_eq!(labels, strings(&d["test_labels"]));
        let y: Vec<usize> = labels
            .iter()
            .map(|l| classes.iter().position(|c| c == l).unwrap_or(usize::MAX))
            .collect();
        let weights = d["test_eval_weights"]
            .as_array()
            .map(|_| floats(&d["test_eval_weights"]));
        for fit in d["fits"].as_array().cloned().unwrap_or_default() {
            let what = format!("{} {} l2={}", path.display(), fit["mode"], fit["lambda"]);
            let b = floats(&fit["intercepts"]);
            let w: Vec<Vec<f64>> = fit["coefficients"]
                .as_array()
                .map(|a| a.iter().map(floats).collect())
                .unwrap_or_default();
            let mut scores = Vec::new();
            for row in &x {
                for c in 0..k {
                    scores.push(b[c] + w[c].iter().zip(row).map(|(a, v)| a * v).sum::<f64>());
                }
            }
            let p = if fit["mode"] == "ovr" {
                ClassProbabilities::from_ovr_scores(k, &scores)
            } else {
                ClassProbabilities::from_multinomial_scores(k, &scores)
            };
            let ref_probs: Vec<Vec<f64>> = fit["test_probabilities"]
                .as_array()
                .map(|a| a.iter().map(floats).collect())
                .unwrap_or_default();
            for (i, r) in ref_probs.iter().enumerate() {
                assert_eq!(r.len(), k, "{what}");
                for (c, (&got, &want)) in p.row(i).iter().zip(r).enumerate() {
                    assert!(close(got, want, 1e-9), "{what} p[{i}][{c}]");
                }
            }
            let m = evaluate_multiclass(&p, &y, weights.as_deref(), &classes);
            let worst = check_reference(&m, &fit["test_metrics"], &what);
            let direct = ClassProbabilities::from_probabilities(k, ref_probs.concat());
            let md = evaluate_multiclass(&direct, &y, weights.as_deref(), &classes);
            check_reference(&md, &fit["test_metrics"], &format!("{what} (reference p)"));
            eprintln!("{what}: max |metric - sklearn| = {worst:e}");
            fits += 1;
        }
    }
    eprintln!("{fits} multiclass fits checked");
}

//! Unit tests of the binary metrics: hand-computed cases, undefined cases, names, and
//! properties against direct implementations of scikit-learn's algorithms.

use super::*;
use proptest::prelude::*;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

fn assert_close(got: Option<f64>, want: f64, tol: f64, what: &str) {
    match got {
        Some(g) => assert!(close(g, want, tol), "{what}: got {g:e}, want {want:e}"),
        None => panic!("{what}: undefined, want {want}"),
    }
}

fn labels(bits: &[u8]) -> Vec<bool> {
    bits.iter().map(|&b| b == 1).collect()
}

// ---- hand-computed cases -------------------------------------------------------------

#[test]
fn counts_and_ratios_hand_computed() {
    // z:      3    2    1   -1   -2   -3     threshold 0.5 <=> z >= 0
    // y:      1    0    1    0    1    0
    // pred:   1    1    1    0    0    0
    // tp = 2 (z=3, 1), fp = 1 (z=2), tn = 2 (z=-1, -3), fn = 1 (z=-2)
    let z = [3.0, 2.0, 1.0, -1.0, -2.0, -3.0];
    let y = labels(&[1, 0, 1, 0, 1, 0]);
    let m = evaluate(&z, &y, 0.5);
    assert_eq!((m.n, m.tp, m.fp, m.tn, m.fn_), (6, 2.0, 1.0, 2.0, 1.0));
    assert_eq!(m.accuracy, Some(4.0 / 6.0)); // (2 + 2) / 6
    assert_eq!(m.precision, Some(2.0 / 3.0)); // 2 / (2 + 1)
    assert_eq!(m.recall, Some(2.0 / 3.0)); // 2 / (2 + 1)
    assert_eq!(m.specificity, Some(2.0 / 3.0)); // 2 / (2 + 1)
    assert_eq!(m.f1, Some(4.0 / 6.0)); // 2*2 / (2*2 + 1 + 1)
    assert_eq!(m.balanced_accuracy, Some(2.0 / 3.0)); // (2/3 + 2/3) / 2
    assert_eq!(m.threshold, 0.5);
    // ROC: positives {3, 1, -2} vs negatives {2, -1, -3}:
    // 3 beats all 3, 1 beats {-1, -3} = 2, -2 beats {-3} = 1  ->  U = 6, AUC = 6/9.
    assert_close(m.roc_auc, 6.0 / 9.0, 1e-15, "roc_auc");
    // AP, thresholds in decreasing order:
    // z=3 (pos): tp=1 fp=0 P=1,   dR=1/3
    // z=2 (neg): dR=0
    // z=1 (pos): tp=2 fp=1 P=2/3, dR=1/3
    // z=-1 (neg): dR=0
    // z=-2 (pos): tp=3 fp=2 P=3/5, dR=1/3
    // AP = (1 + 2/3 + 3/5) / 3 = (15 + 10 + 9) / 45 = 34/45
    assert_close(m.pr_auc, 34.0 / 45.0, 1e-15, "pr_auc");
}

#[test]
fn threshold_is_inclusive_and_uses_the_sigmoid() {
    // sigmoid(0) = 0.5 exactly, and 0.5 >= 0.5: predicted positive.
    let c = ConfusionCounts::at_threshold(&[0.0, -0.0], &[true, false], 0.5);
    assert_eq!((c.tp, c.fp, c.tn, c.fn_), (1, 1, 0, 0));
    // ln 3 -> p = 3/4 (up to rounding): positive at 0.7, negative at 0.8.
    let z = [3f64.ln()];
    assert_eq!(ConfusionCounts::at_threshold(&z, &[true], 0.7).tp, 1);
    assert_eq!(ConfusionCounts::at_threshold(&z, &[true], 0.8).fn_, 1);
    // Threshold 0 predicts everything positive, even z = -inf (sigmoid = 0 >= 0).
    let c = ConfusionCounts::at_threshold(&[f64::NEG_INFINITY, -800.0], &[false, false], 0.0);
    assert_eq!(c.fp, 2);
    // Threshold 1 needs sigmoid(z) == 1.0, which only saturated scores reach.
    let c = ConfusionCounts::at_threshold(&[30.0, 40.0], &[true, true], 1.0);
    assert_eq!((c.tp, c.fn_), (1, 1));
}

#[test]
fn ranking_metrics_with_ties_hand_computed() {
    // z: 1 1 0 0 0 -1 ; y: 1 0 1 1 0 0. Positives {1, 0, 0}, negatives {1, 0, -1}.
    // ROC: pos z=1: tie with neg 1 (1/2) + beats 0, -1 (2) = 2.5
    //      pos z=0 (x2): loses to 1, tie with 0 (1/2), beats -1 (1) = 1.5 each
    //      U = 2.5 + 3 = 5.5, AUC = 5.5 / 9 = 11/18
    let z = [1.0, 1.0, 0.0, 0.0, 0.0, -1.0];
    let y = labels(&[1, 0, 1, 1, 0, 0]);
    assert_close(roc_auc(&z, &y), 11.0 / 18.0, 1e-15, "roc_auc");
    // AP, one step per distinct score, decreasing:
    // z=1:  +1 pos, +1 neg -> tp=1 fp=1, P=1/2, dR=1/3
    // z=0:  +2 pos, +1 neg -> tp=3 fp=2, P=3/5, dR=2/3
    // z=-1: +1 neg         -> dR=0
    // AP = 1/6 + 2/5 = 17/30
    assert_close(average_precision(&z, &y), 17.0 / 30.0, 1e-15, "pr_auc");
    // Permuting rows changes nothing.
    let z2 = [0.0, -1.0, 1.0, 0.0, 1.0, 0.0];
    let y2 = labels(&[1, 0, 0, 0, 1, 1]);
    assert_eq!(roc_auc(&z2, &y2), roc_auc(&z, &y));
    assert_eq!(average_precision(&z2, &y2), average_precision(&z, &y));
}

#[test]
fn all_scores_equal() {
    // One tie group: every pair is a tie -> AUC 1/2; AP has one step: dR = 1, P = 2/5.
    let z = [0.3; 5];
    let y = labels(&[1, 0, 1, 0, 0]);
    assert_eq!(roc_auc(&z, &y), Some(0.5));
    assert_close(average_precision(&z, &y), 0.4, 1e-15, "pr_auc");
}

#[test]
fn negative_zero_ties_with_zero() {
    // -0.0 and 0.0 are the same score (probability 1/2): one tie, AUC 1/2.
    assert_eq!(roc_auc(&[-0.0, 0.0], &[true, false]), Some(0.5));
    assert_eq!(roc_auc(&[0.0, -0.0], &[true, false]), Some(0.5));
    assert_eq!(average_precision(&[0.0, -0.0], &[false, true]), Some(0.5));
}

#[test]
fn perfect_and_inverted_rankings() {
    let z = [-2.0, -1.0, 1.0, 2.0, 3.0];
    let y = labels(&[0, 0, 1, 1, 1]);
    assert_eq!(roc_auc(&z, &y), Some(1.0));
    assert_eq!(average_precision(&z, &y), Some(1.0));
    let m = evaluate(&z, &y, 0.5);
    assert_eq!(m.accuracy, Some(1.0));
    assert_eq!(m.f1, Some(1.0));

    // Inverted: every positive below every negative -> AUC 0.
    let inv: Vec<bool> = y.iter().map(|b| !b).collect();
    assert_eq!(roc_auc(&z, &inv), Some(0.0));
    // AP: positives at z = -1, -2 come after 3 negatives:
    // z=-1: tp=1 fp=3 P=1/4, dR=1/2 ; z=-2: tp=2 fp=3 P=2/5, dR=1/2
    // AP = (1/4 + 2/5) / 2 = 13/40
    assert_close(average_precision(&z, &inv), 13.0 / 40.0, 1e-15, "pr_auc");
    let m = evaluate(&z, &inv, 0.5);
    assert_eq!((m.tp, m.fp, m.tn, m.fn_), (0.0, 3.0, 0.0, 2.0));
    assert_eq!(m.accuracy, Some(0.0));
    assert_eq!(m.precision, Some(0.0));
    assert_eq!(m.f1, Some(0.0)); // 0 / (0 + 3 + 2): defined, zero
}

#[test]
fn ranks_by_score_not_by_saturated_probability() {
    // sigmoid(40) == sigmoid(50) == 1.0 in f64, but the scores still rank.
    assert_eq!(
        crate::fit::numerics::sigmoid(40.0),
        crate::fit::numerics::sigmoid(50.0)
    );
    assert_eq!(roc_auc(&[40.0, 50.0], &[false, true]), Some(1.0));
    assert_eq!(average_precision(&[40.0, 50.0], &[false, true]), Some(1.0));
}

#[test]
fn log_loss_and_brier_hand_computed() {
    // z = ln 3 -> p = 3/4. Positive row: loss -ln(3/4) = ln(4/3), squared error (1/4)^2;
    // negative row: loss -ln(1/4) = ln 4, squared error (3/4)^2.
    // mean log loss = (ln(4/3) + ln 4) / 2 = ln(16/3) / 2 ; Brier = (1/16 + 9/16) / 2 = 5/16.
    let z = [3f64.ln(), 3f64.ln()];
    let y = [true, false];
    assert_close(
        mean_log_loss(&z, &y),
        (16.0f64 / 3.0).ln() / 2.0,
        1e-15,
        "log_loss",
    );
    assert_close(brier(&z, &y), 5.0 / 16.0, 1e-15, "brier");
    // z = 0: p = 1/2, every row loses ln 2 and has squared error 1/4.
    let z = [0.0; 3];
    let y = [true, false, true];
    assert_close(
        mean_log_loss(&z, &y),
        std::f64::consts::LN_2,
        1e-16,
        "log_loss",
    );
    assert_eq!(brier(&z, &y), Some(0.25));
}

#[test]
fn log_loss_exact_for_extreme_scores() {
    // A right confident row: loss log(1 + e^-50) = e^-50 to rounding (sklearn would clip to
    // eps); a wrong one: log(1 + e^50) = 50 + e^-50 (sklearn would cap at -ln(eps) = 36.04).
    let right = mean_log_loss(&[50.0], &[true]).unwrap_or(f64::NAN);
    assert!(close(right / (-50f64).exp(), 1.0, 1e-15), "{right:e}");
    assert_eq!(mean_log_loss(&[50.0], &[false]), Some(50.0));
    // Infinite scores: exact 0 or +inf, no NaN from the compensated sum.
    assert_eq!(
        mean_log_loss(&[f64::INFINITY, 1.0], &[true, true]),
        mean_log_loss(&[1.0], &[true]).map(|l| l / 2.0)
    );
    assert_eq!(
        mean_log_loss(&[f64::INFINITY, 1.0], &[false, true]),
        Some(f64::INFINITY)
    );
    assert_eq!(
        brier(&[f64::INFINITY, f64::NEG_INFINITY], &[false, false]),
        Some(0.5)
    );
}

#[test]
fn compensated_mean_over_a_million_rows() {
    // The mean of n copies of one value v must come back as v; a naive running sum of a
    // million terms drifts by ~1e-11 relative.
    let n = 1_000_000;
    let z = vec![0.1; n];
    let y = vec![true; n];
    let v = crate::fit::numerics::log_loss(1.0, 0.1);
    let got = mean_log_loss(&z, &y).unwrap_or(f64::NAN);
    assert!(close(got, v, 2.0 * f64::EPSILON * v), "{got:e} vs {v:e}");
    let s = crate::fit::numerics::sigmoid(0.1) - 1.0;
    let got = brier(&z, &y).unwrap_or(f64::NAN);
    assert!(close(got, s * s, 2.0 * f64::EPSILON * s * s), "{got:e}");
    // Ranking on a million rows: rows 2k (positive) and 2k + 1 (negative) share the score
    // k mod 1000.
    let z: Vec<f64> = (0..n).map(|i| ((i / 2) % 1000) as f64).collect();
    let y: Vec<bool> = (0..n).map(|i| i % 2 == 0).collect();
    // Each score value holds 500 positives and 500 negatives: every positive beats the
    // negatives of the lower values and ties those of its own -> AUC exactly 1/2.
    assert_eq!(roc_auc(&z, &y), Some(0.5));
    assert_close(average_precision(&z, &y), 0.5, 1e-15, "pr_auc");
}

// ---- undefined cases ------------------------------------------------------------------

#[test]
fn empty_data_every_ratio_undefined() {
    let m = evaluate(&[], &[], 0.5);
    assert_eq!(m.n, 0);
    for name in METRIC_NAMES {
        match *name {
            "n" | "tp" | "fp" | "tn" | "fn" => assert_eq!(m.value(name), Some(Some(0.0))),
            "threshold" => assert_eq!(m.value(name), Some(Some(0.5))),
            _ => {
                assert_eq!(m.value(name), Some(None), "{name}");
                assert_eq!(
                    m.undefined_reason(name),
                    Some(format!("{name} is undefined: the data has no rows"))
                );
            }
        }
    }
    assert_eq!(roc_auc(&[], &[]), None);
    assert_eq!(average_precision(&[], &[]), None);
    assert_eq!(mean_log_loss(&[], &[]), None);
    assert_eq!(brier(&[], &[]), None);
}

#[test]
fn only_negative_rows() {
    // z: 1 -1 -2, all negative; tp = fn = 0, fp = 1, tn = 2.
    let m = evaluate(&[1.0, -1.0, -2.0], &[false; 3], 0.5);
    assert_eq!((m.tp, m.fp, m.tn, m.fn_), (0.0, 1.0, 2.0, 0.0));
    assert_eq!(m.accuracy, Some(2.0 / 3.0));
    assert_eq!(m.precision, Some(0.0)); // 0 / (0 + 1)
    assert_eq!(m.specificity, Some(2.0 / 3.0));
    assert_eq!(m.f1, Some(0.0)); // 0 / (0 + 1 + 0)
    for name in ["recall", "balanced_accuracy", "roc_auc", "pr_auc"] {
        assert_eq!(m.value(name), Some(None), "{name}");
        assert_eq!(
            m.undefined_reason(name),
            Some(format!(
                "{name} is undefined: the data has no positive rows"
            ))
        );
    }
    assert!(m.log_loss.is_some() && m.brier.is_some());
    assert_eq!(m.undefined_reason("accuracy"), None);
}

#[test]
fn only_positive_rows() {
    let m = evaluate(&[1.0, -1.0], &[true; 2], 0.5);
    assert_eq!((m.tp, m.fp, m.tn, m.fn_), (1.0, 0.0, 0.0, 1.0));
    assert_eq!(m.recall, Some(0.5));
    assert_eq!(m.precision, Some(1.0));
    // AP is defined with one class: z=1: tp=1 fp=0 P=1, z=-1: tp=2 P=1 -> 1.
    assert_eq!(m.pr_auc, Some(1.0));
    for name in ["specificity", "balanced_accuracy", "roc_auc"] {
        assert_eq!(m.value(name), Some(None), "{name}");
        assert_eq!(
            m.undefined_reason(name),
            Some(format!(
                "{name} is undefined: the data has no negative rows"
            ))
        );
    }
}

#[test]
fn no_predicted_positives() {
    // Every sigmoid(z) < 0.9: nothing predicted positive, tp + fp = 0.
    let m = evaluate(&[0.5, -0.5, 1.0], &[true, false, false], 0.9);
    assert_eq!((m.tp, m.fp, m.tn, m.fn_), (0.0, 0.0, 2.0, 1.0));
    assert_eq!(m.precision, None);
    let why = m.undefined_reason("precision").unwrap_or_default();
    assert!(why.starts_with("precision is undefined: "), "{why}");
    assert!(
        why.contains("no row is predicted positive at threshold 0.9"),
        "{why}"
    );
    assert_eq!(m.recall, Some(0.0));
    assert_eq!(m.f1, Some(0.0)); // 0 / (0 + 0 + 1)
    assert_eq!(m.balanced_accuracy, Some(0.5)); // (0 + 1) / 2

    // All true negatives: f1's denominator 2tp + fp + fn is 0 too.
    let m = evaluate(&[-1.0, -2.0], &[false, false], 0.5);
    assert_eq!(m.f1, None);
    let why = m.undefined_reason("f1").unwrap_or_default();
    assert!(
        why.starts_with("f1 is undefined: the data has no positive rows and no row"),
        "{why}"
    );
}

#[test]
fn nan_scores_make_score_metrics_undefined_without_panicking() {
    let z = [1.0, f64::NAN, -1.0];
    let y = [true, false, false];
    let m = evaluate(&z, &y, 0.5);
    // sigmoid(NaN) >= t is false: predicted negative, as `predict` would label it.
    assert_eq!((m.tp, m.fp, m.tn, m.fn_), (1.0, 0.0, 2.0, 0.0));
    for name in ["roc_auc", "pr_auc", "log_loss", "brier"] {
        assert_eq!(m.value(name), Some(None), "{name}");
        assert_eq!(
            m.undefined_reason(name),
            Some(format!("{name} is undefined: some scores are NaN"))
        );
    }
}

#[test]
#[should_panic(expected = "2 scores but 1 labels")]
fn length_mismatch_is_a_caller_bug() {
    let _ = evaluate(&[0.0, 1.0], &[true], 0.5);
}

// ---- names and output -----------------------------------------------------------------

#[test]
fn gate_name_lookup() {
    let z = [3.0, 2.0, 1.0, -1.0, -2.0, -3.0];
    let y = labels(&[1, 0, 1, 0, 1, 0]);
    let m = evaluate(&z, &y, 0.5);
    for name in METRIC_NAMES {
        assert!(matches!(m.value(name), Some(Some(_))), "{name}");
        assert_eq!(m.undefined_reason(name), None, "{name}");
    }
    assert_eq!(m.value("n"), Some(Some(6.0)));
    assert_eq!(m.value("fn"), Some(Some(1.0)));
    assert_eq!(m.value("tp"), Some(Some(2.0)));
    assert_eq!(m.value("threshold"), Some(Some(0.5)));
    assert_eq!(m.value("f1"), Some(m.f1));
    assert_eq!(m.value("pr_auc"), Some(m.pr_auc));
    for unknown in ["fn_", "auc", "Accuracy", "", "logloss"] {
        assert_eq!(m.value(unknown), None, "{unknown}");
        assert_eq!(m.undefined_reason(unknown), None, "{unknown}");
    }
}

#[test]
fn json_keys_in_metric_names_order_with_fn_and_null() {
    let m = evaluate(&[-1.0, -2.0], &[false, false], 0.5);
    let json = serde_json::to_string(&m).unwrap_or_default();
    // Keys appear in METRIC_NAMES order; "fn" not "fn_"; undefined -> null.
    let mut at = 0;
    for name in METRIC_NAMES {
        let key = format!("\"{name}\":");
        let pos = json[at..].find(&key).map(|p| p + at);
        assert!(pos.is_some(), "{key} missing or out of order in {json}");
        at = pos.unwrap_or(at);
    }
    assert!(!json.contains("fn_"), "{json}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
    assert_eq!(v["fn"], serde_json::json!(0));
    assert_eq!(v["tn"], serde_json::json!(2));
    assert_eq!(v["n"], serde_json::json!(2));
    assert!(v["recall"].is_null() && v["roc_auc"].is_null() && v["pr_auc"].is_null());
    assert!(v["f1"].is_null() && v["precision"].is_null());
    assert_eq!(v["accuracy"], serde_json::json!(1.0));
    assert_eq!(v["threshold"], serde_json::json!(0.5));
    assert_eq!(v.as_object().map(|o| o.len()), Some(METRIC_NAMES.len()));
    // ConfusionCounts also serialises its false negatives as "fn".
    let counts = ConfusionCounts::at_threshold(&[-1.0, -2.0], &[false, false], 0.5);
    let c = serde_json::to_value(counts).unwrap_or_default();
    assert_eq!(c["fn"], serde_json::json!(0));
}

// ---- properties against direct implementations of sklearn's algorithms -----------------

/// sklearn's `roc_auc_score` algorithm: ROC points at each distinct threshold (decreasing),
/// starting from (0, 0), area by the trapezoidal rule.
fn trapezoid_auc(z: &[f64], y: &[bool]) -> f64 {
    let (p, n) = (
        y.iter().filter(|&&b| b).count() as f64,
        y.iter().filter(|&&b| !b).count() as f64,
    );
    let mut t: Vec<f64> = z.to_vec();
    t.sort_by(|a, b| b.total_cmp(a));
    t.dedup();
    let (mut area, mut fpr0, mut tpr0) = (0.0, 0.0, 0.0);
    for &th in &t {
        let tp = z.iter().zip(y).filter(|(&s, &b)| b && s >= th).count() as f64;
        let fp = z.iter().zip(y).filter(|(&s, &b)| !b && s >= th).count() as f64;
        let (fpr, tpr) = (fp / n, tp / p);
        area += (fpr - fpr0) * (tpr + tpr0) / 2.0;
        (fpr0, tpr0) = (fpr, tpr);
    }
    area
}

/// Mann-Whitney by brute force over all (positive, negative) pairs.
fn pairwise_auc(z: &[f64], y: &[bool]) -> f64 {
    let (mut u, mut pairs) = (0.0, 0.0);
    for (a, &ya) in z.iter().zip(y) {
        for (b, &yb) in z.iter().zip(y) {
            if ya && !yb {
                pairs += 1.0;
                u += if a > b {
                    1.0
                } else if a == b {
                    0.5
                } else {
                    0.0
                };
            }
        }
    }
    u / pairs
}

/// sklearn's `average_precision_score`: sum_n (R_n - R_{n-1}) P_n over distinct thresholds.
fn stepwise_ap(z: &[f64], y: &[bool]) -> f64 {
    let p = y.iter().filter(|&&b| b).count() as f64;
    let mut t: Vec<f64> = z.to_vec();
    t.sort_by(|a, b| b.total_cmp(a));
    t.dedup();
    let (mut ap, mut r0) = (0.0, 0.0);
    for &th in &t {
        let tp = z.iter().zip(y).filter(|(&s, &b)| b && s >= th).count() as f64;
        let fp = z.iter().zip(y).filter(|(&s, &b)| !b && s >= th).count() as f64;
        let r = tp / p;
        ap += (r - r0) * (tp / (tp + fp));
        r0 = r;
    }
    ap
}

fn rows() -> impl Strategy<Value = Vec<(i8, bool)>> {
    // Few distinct scores, so ties are common.
    prop::collection::vec((-4i8..=4, any::<bool>()), 0..60)
}

proptest! {
    #[test]
    fn prop_roc_auc_matches_trapezoid_and_pairs(r in rows(), scale in 0.01f64..10.0) {
        let z: Vec<f64> = r.iter().map(|&(s, _)| f64::from(s) * scale).collect();
        let y: Vec<bool> = r.iter().map(|&(_, b)| b).collect();
        let has_both = y.iter().any(|&b| b) && y.iter().any(|&b| !b);
        match roc_auc(&z, &y) {
            None => prop_assert!(!has_both),
            Some(auc) => {
                prop_assert!(has_both);
                prop_assert!((auc - trapezoid_auc(&z, &y)).abs() <= 1e-12);
                prop_assert!((auc - pairwise_auc(&z, &y)).abs() <= 1e-12);
                // Reversing the ranking reflects the AUC.
                let neg: Vec<f64> = z.iter().map(|v| -v).collect();
                let flipped = roc_auc(&neg, &y).unwrap_or(f64::NAN);
                prop_assert!((flipped - (1.0 - auc)).abs() <= 1e-12);
            }
        }
    }

    #[test]
    fn prop_average_precision_matches_stepwise_definition(r in rows()) {
        let z: Vec<f64> = r.iter().map(|&(s, _)| f64::from(s)).collect();
        let y: Vec<bool> = r.iter().map(|&(_, b)| b).collect();
        match average_precision(&z, &y) {
            None => prop_assert!(!y.iter().any(|&b| b)),
            Some(ap) => {
                prop_assert!((ap - stepwise_ap(&z, &y)).abs() <= 1e-12);
                prop_assert!((0.0..=1.0).contains(&ap));
            }
        }
    }

    #[test]
    fn prop_counts_partition_rows(r in rows(), t in 0.0f64..=1.0) {
        let z: Vec<f64> = r.iter().map(|&(s, _)| f64::from(s) / 2.0).collect();
        let y: Vec<bool> = r.iter().map(|&(_, b)| b).collect();
        let m = evaluate(&z, &y, t);
        prop_assert_eq!(m.tp + m.fp + m.tn + m.fn_, m.n as f64);
        prop_assert_eq!(m.n, z.len());
        prop_assert_eq!(m.tp + m.fn_, y.iter().filter(|&&b| b).count() as f64);
        let predicted = z.iter().filter(|&&s| crate::fit::numerics::sigmoid(s) >= t).count();
        prop_assert_eq!(m.tp + m.fp, predicted as f64);
        for name in METRIC_NAMES {
            let v = m.value(name);
            prop_assert!(v.is_some());
            prop_assert_eq!(m.undefined_reason(name).is_some(), v == Some(None));
        }
    }
}

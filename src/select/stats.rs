//! The cross-validation curve and the choice of lambda, exactly as cv.glmnet 4.1-6 computes
//! them (`cvstats`, `getOptcv.glmnet`).
//!
//! With `m_k` the metric of fold `k` and `N_k` its weight (rows, or the sum of the row weights),
//! `cvm = sum_k N_k m_k / sum_k N_k` and
//! `cvsd = sqrt( (sum_k N_k (m_k - cvm)^2 / sum_k N_k) / (K - 1) )`.
//! `lambda_min` is the largest lambda whose `cvm` is the best (lowest; highest for AUC and
//! accuracy); `lambda_1se` the largest lambda whose `cvm` is within `cvsd(lambda_min)` of it.

/// Mean and standard error of a metric per lambda.
#[derive(Debug, Clone, PartialEq)]
pub struct CvCurve {
    pub cvm: Vec<f64>,
    pub cvsd: Vec<f64>,
}

/// The curve from `fold_values[k][l]` (fold `k`, lambda `l`) and the fold weights.
///
/// # Panics
/// With fewer than two folds or rows of different lengths.
pub fn curve(fold_values: &[Vec<f64>], fold_weights: &[f64]) -> CvCurve {
    let k = fold_values.len();
    assert!(k >= 2, "a curve needs two folds");
    assert_eq!(fold_weights.len(), k, "one weight per fold");
    let n_lambda = fold_values[0].len();
    let total: f64 = fold_weights.iter().sum();
    let mut cvm = Vec::with_capacity(n_lambda);
    let mut cvsd = Vec::with_capacity(n_lambda);
    for l in 0..n_lambda {
        let m: f64 = fold_values
            .iter()
            .zip(fold_weights)
            .map(|(v, w)| v[l] * w)
            .sum::<f64>()
            / total;
        let var: f64 = fold_values
            .iter()
            .zip(fold_weights)
            .map(|(v, w)| (v[l] - m).powi(2) * w)
            .sum::<f64>()
            / total;
        cvm.push(m);
        cvsd.push((var / (k - 1) as f64).sqrt());
    }
    CvCurve { cvm, cvsd }
}

/// Indices of lambda_min and lambda_1se (see the module doc); `lambdas` descending.
pub fn choose(lambdas: &[f64], curve: &CvCurve, higher_is_better: bool) -> (usize, usize) {
    // cv.glmnet negates AUC and minimises; negation is exact, so this is its arithmetic.
    let sign = if higher_is_better { -1.0 } else { 1.0 };
    let cvm: Vec<f64> = curve.cvm.iter().map(|v| sign * v).collect();
    let best = cvm.iter().copied().fold(f64::INFINITY, f64::min);
    let largest = |ok: &dyn Fn(usize) -> bool| -> usize {
        (0..lambdas.len())
            .filter(|&l| ok(l))
            .fold(None, |b: Option<usize>, l| match b {
                Some(b) if lambdas[b] >= lambdas[l] => Some(b),
                _ => Some(l),
            })
            .expect("the best lambda qualifies")
    };
    let min = largest(&|l| cvm[l] <= best);
    let bound = cvm[min] + curve.cvsd[min];
    let one_se = largest(&|l| cvm[l] <= bound);
    (min, one_se)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curve_weights_folds_by_size_and_divides_by_k_minus_one() {
        let folds = vec![vec![1.0, 4.0], vec![3.0, 4.0]];
        let c = curve(&folds, &[1.0, 3.0]);
        assert_eq!(c.cvm, vec![2.5, 4.0]);
        // (1 (1 - 2.5)^2 + 3 (3 - 2.5)^2) / 4 / 1 = 0.75.
        assert!((c.cvsd[0] - 0.75f64.sqrt()).abs() < 1e-15);
        assert_eq!(c.cvsd[1], 0.0);
    }

    /// cv.glmnet's own cvm, cvsd, lambda.min and lambda.1se on pima (glmnet 4.1-6, five folds of
    /// 75, 75, 74, 74, 74 rows), recomputed from its stored fold means.
    #[test]
    fn curve_and_choices_reproduce_cv_glmnet_on_pima() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/l1/pima.expected.json"
        );
        let text = std::fs::read_to_string(path).expect("fixture");
        let expected: serde_json::Value = serde_json::from_str(&text).expect("json");
        let numbers = |v: &serde_json::Value| -> Vec<f64> {
            v.as_array()
                .expect("array")
                .iter()
                .map(|x| x.as_f64().expect("number"))
                .collect()
        };
        let configs = expected["cv"].as_array().expect("cv configs");
        assert_eq!(configs.len(), 3);
        for config in configs {
            let folds: Vec<Vec<f64>> = config["fold_means"]
                .as_array()
                .expect("folds")
                .iter()
                .map(numbers)
                .collect();
            let c = curve(&folds, &[75.0, 75.0, 74.0, 74.0, 74.0]);
            for (got, want) in c.cvm.iter().zip(numbers(&config["cvm"])) {
                assert!((got / want - 1.0).abs() < 1e-12, "cvm {got} vs {want}");
            }
            for (got, want) in c.cvsd.iter().zip(numbers(&config["cvsd"])) {
                assert!((got / want - 1.0).abs() < 1e-9, "cvsd {got} vs {want}");
            }
            let lambdas = numbers(&config["lambdas"]);
            let auc = config["metric"] == "roc_auc";
            let (min, one_se) = choose(&lambdas, &c, auc);
            assert_eq!(lambdas[min], config["lambda_min"].as_f64().unwrap());
            assert_eq!(lambdas[one_se], config["lambda_1se"].as_f64().unwrap());
        }
    }

    #[test]
    fn choices_take_the_largest_qualifying_lambda() {
        let lambdas = [0.5, 0.4, 0.3, 0.2, 0.1];
        let c = CvCurve {
            cvm: vec![2.0, 1.5, 1.2, 1.0, 1.0],
            cvsd: vec![0.1, 0.1, 0.1, 0.25, 0.1],
        };
        // Tie for the minimum: the larger lambda; within 0.25: 1.2 at 0.3.
        assert_eq!(choose(&lambdas, &c, false), (3, 2));
        let auc = CvCurve {
            cvm: vec![0.6, 0.8, 0.85, 0.84, 0.7],
            cvsd: vec![0.1, 0.1, 0.06, 0.1, 0.1],
        };
        assert_eq!(choose(&lambdas, &auc, true), (2, 1));
    }
}

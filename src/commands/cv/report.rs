//! The report of `logit cv`: text for stderr and the `--json` object.
//!
//! `--json`: `{metric, alpha, folds, fold_names, lambdas, cvm, cvsd, nonzero, lambda_min,
//! lambda_1se, chosen, choice, l1, l2, chosen_nonzero, fold_values, fold_weights}`:
//! `nonzero[l]` is the full-data path's non-zero count at lambda `l` (cv.glmnet's `nzero`),
//! `chosen_nonzero` that of the written model; `fold_values[k][l]` the metric of fold `k` at
//! lambda `l`, `fold_weights[k]` its held-out weight (rows when unweighted).

use serde_json::json;

use crate::select::cv::CrossValidation;
use crate::select::{Folds, Metric};

/// Everything the report shows.
pub struct CvSummary<'a> {
    pub metric: Metric,
    pub alpha: f64,
    pub folds: &'a Folds,
    pub fold_column: Option<&'a str>,
    pub lambdas: &'a [f64],
    pub cv: &'a CrossValidation,
    pub nonzero: &'a [usize],
    pub min: usize,
    pub one_se: usize,
    pub chosen: usize,
    pub l1: f64,
    pub l2: f64,
    /// The written model's coefficients that are not exactly 0.
    pub model_nonzero: usize,
}

impl CvSummary<'_> {
    pub fn text(&self) -> String {
        let c = &self.cv.curve;
        let folds = match self.fold_column {
            Some(column) => format!("{} folds from column {column:?}", self.folds.k()),
            None => format!("{} stratified folds", self.folds.k()),
        };
        let line = |name: &str, i: usize| {
            format!(
                "  {name:<10} = {:<12.6e} {} {:.6} +- {:.6}  ({} non-zero)\n",
                self.lambdas[i],
                self.metric.as_str(),
                c.cvm[i],
                c.cvsd[i],
                self.nonzero[i]
            )
        };
        let which = if self.chosen == self.min && self.chosen != self.one_se {
            "lambda_min"
        } else if self.chosen == self.one_se && self.chosen != self.min {
            "lambda_1se"
        } else {
            "lambda_min = lambda_1se"
        };
        format!(
            "cross-validation: {folds}, l1-ratio {}, {} lambdas, metric {}\n{}{}chosen: {which} \
             = {} (l1 {}, l2 {}); the refitted model has {} non-zero coefficients\n",
            self.alpha,
            self.lambdas.len(),
            self.metric.as_str(),
            line("lambda_min", self.min),
            line("lambda_1se", self.one_se),
            self.lambdas[self.chosen],
            self.l1,
            self.l2,
            self.model_nonzero
        )
    }

    pub fn json(&self) -> String {
        let c = &self.cv.curve;
        let value = json!({
            "metric": self.metric.as_str(),
            "alpha": self.alpha,
            "folds": self.folds.k(),
            "fold_names": self.folds.names,
            "lambdas": self.lambdas,
            "cvm": c.cvm,
            "cvsd": c.cvsd,
            "nonzero": self.nonzero,
            "lambda_min": self.lambdas[self.min],
            "lambda_1se": self.lambdas[self.one_se],
            "chosen": self.lambdas[self.chosen],
            "l1": self.l1,
            "l2": self.l2,
            "chosen_nonzero": self.model_nonzero,
            "fold_values": self.cv.fold_values,
            "fold_weights": self.cv.fold_weights,
        });
        let mut s = serde_json::to_string_pretty(&value).expect("a cv report serialises");
        s.push('\n');
        s
    }
}

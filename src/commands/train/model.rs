//! The model `train` writes: classes, kind, the objective with the weights used, the scaler
//! statistics, and every score's coefficients in both scales.
//!
//! Back to original units per score row k: `w_kj = w'_kj / std_j` and
//! `b_k = b'_k - sum_j w'_kj mean_j / std_j` (the scaler's `to_original`), so every linear score,
//! and so every probability, is the same in both scales. An L1 zero (`w'_kj = 0`) stays exactly
//! 0 in both.

use super::fit::{Fitted, FittedKind};
use super::{TrainConfig, DEFAULT_THRESHOLD};
use crate::data::design::Scaler;
use crate::data::encode::{SampleWeights, TrainingData};
use crate::data::missing::MissingSpec;
use crate::data::schema::ClassWeight;
use crate::model::{
    ovr_fit_report, ClassWeightMode, ClassWeightSpec, FeatureScale, LossFamily, Model, ModelKind,
    ObjectiveSpec, TrainingCounts, FORMAT, VERSION,
};

pub fn build(
    config: &TrainConfig,
    data: &TrainingData,
    weights: &SampleWeights,
    scaler: &Scaler,
    fitted: &Fitted,
) -> Model {
    let p = data.feature_names.len();
    let (mut w_std, b_std) = fitted.standardized(p, config.fit_intercept);
    if config.l1 > 0.0 {
        // A lasso zero is stored as 0.0 whatever sign the solver's soft-threshold left on it
        // (-0.0 + 0.0 is +0.0); `to_original` then keeps it exactly 0 (0 / std).
        for w in w_std.iter_mut().flatten() {
            *w += 0.0;
        }
    }
    let (coefficients, intercepts): (Vec<Vec<f64>>, Vec<f64>) = w_std
        .iter()
        .zip(&b_std)
        .map(|(w, &b)| scaler.to_original(w, b))
        .unzip();
    let features = (0..p)
        .map(|j| FeatureScale {
            name: data.feature_names[j].clone(),
            mean: scaler.mean[j],
            std: scaler.std[j],
        })
        .collect();
    let (kind, family) = match fitted.kind {
        FittedKind::Binary => (
            ModelKind::Binary {
                labels: data
                    .labels
                    .clone()
                    .expect("a binary fit has positive and negative labels"),
                threshold: config.threshold.unwrap_or(DEFAULT_THRESHOLD),
            },
            LossFamily::Binomial,
        ),
        FittedKind::Multinomial => (ModelKind::Multinomial, LossFamily::Multinomial),
        FittedKind::Ovr => (ModelKind::Ovr, LossFamily::Binomial),
    };
    let class_weight = class_weight_spec(config, weights);
    let weighted = config.weight.is_some() || class_weight.is_some();
    let reports: Vec<_> = fitted.fits.iter().map(|f| f.report.clone()).collect();
    let (fit, fits) = match fitted.kind {
        FittedKind::Ovr => (ovr_fit_report(&reports), reports),
        FittedKind::Binary | FittedKind::Multinomial => (reports[0].clone(), Vec::new()),
    };
    Model {
        format: FORMAT.to_string(),
        version: VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        target: data.target.clone(),
        classes: data.classes.clone(),
        kind,
        objective: ObjectiveSpec {
            definition: ObjectiveSpec::definition_with(family, weighted, config.l1),
            family,
            l1: config.l1,
            l2: config.l2,
            fit_intercept: config.fit_intercept,
            standardize: config.standardize,
            weight: config.weight.clone(),
            class_weight,
        },
        missing: MissingSpec {
            policy: config.missing,
            na_values: config.markers.values().to_vec(),
            rows_dropped: data.rows_dropped,
        },
        columns: data.columns.clone(),
        features,
        coefficients,
        coefficients_standardized: w_std,
        intercepts,
        intercepts_standardized: b_std,
        training: TrainingCounts {
            n_rows: data.y.len(),
            class_counts: data.class_counts.clone(),
            weight_sum: weights.weight_sum,
            n_zero_weight: weights.n_zero_weight,
        },
        fit,
        fits,
        inference: fitted.inference.clone(),
        network: None,
        layer_gradients: Vec::new(),
    }
}

/// The model's record of `--class-weight` (`None` without it).
pub fn class_weight_spec(config: &TrainConfig, weights: &SampleWeights) -> Option<ClassWeightSpec> {
    config.class_weight.as_ref().map(|cw| ClassWeightSpec {
        mode: match cw {
            ClassWeight::Balanced => ClassWeightMode::Balanced,
            ClassWeight::Explicit(_) => ClassWeightMode::Given,
        },
        weights: weights
            .class_weights
            .clone()
            .expect("class weights resolved with --class-weight"),
    })
}

//! The model file's versions, mapped to and from the in-memory [`Model`].
//!
//! * Version 1 (logit 1.x, binary only): read, never written.
//! * Version 2, binary: every version 1 field, unchanged (`labels`, `threshold`, `features[]`
//!   with `name, mean, std, coefficient, coefficient_standardized`, `intercept`,
//!   `intercept_standardized`, `training.n_positive/n_negative`, `fit`, `inference`), plus
//!   `classes`, the objective's `family`, `weight` and `class_weight`, and the training's
//!   `weight_sum` and `n_zero_weight`. A version 1 reader's fields mean what they meant.
//! * Version 2, multiclass (marked by `multiclass`: `"multinomial"` or `"ovr"`): `classes`,
//!   `features[]` with `name, mean, std`, `coefficients` (K rows of p, one per class in
//!   `classes` order, original units), `coefficients_standardized`, `intercepts` (K),
//!   `intercepts_standardized`, `training.class_counts` (K), and `fit` (multinomial) or `fits`
//!   (one-vs-rest: one binary fit report per class).
//!
//! * Issue 10 adds, to both shapes, `objective.l1` (the L1 weight; read as 0 when absent) and
//!   `nonzero_coefficients` (entries of the coefficients that are not exactly 0; written for
//!   readers, recomputed from the coefficients on reading).
//!
//! Fields are written in a fixed order and numbers in their shortest round-trip form, so the
//! same model gives the same bytes. Unknown fields are skipped (never stored), so a reader of
//! this version reads a file a later one annotated.

use serde::{Deserialize, Serialize};

use super::text::{self, not_text, not_utf8, Header, Scalar};
use super::{
    class_order, ovr_fit_report, FeatureScale, LossFamily, Model, ModelKind, ObjectiveSpec,
    TrainingCounts, FORMAT, READABLE_VERSIONS, VERSION,
};
use crate::data::encode::ColumnSpec;
use crate::data::missing::MissingSpec;
use crate::data::schema::Labels;
use crate::fit::solvers::FitReport;
use crate::model::inference::Inference;

/// A binary model's design column: scaler statistics and its coefficient in both scales.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct BinaryFeature {
    name: String,
    mean: f64,
    std: f64,
    /// Weight on the feature in its original units.
    coefficient: f64,
    /// Weight on the standardised feature (the scale the penalty applies to).
    coefficient_standardized: f64,
}

#[derive(Debug, Deserialize)]
struct ObjectiveV1 {
    definition: String,
    l2: f64,
    fit_intercept: bool,
    standardize: bool,
}

#[derive(Debug, Deserialize)]
struct TrainingV1 {
    n_rows: usize,
    n_positive: usize,
    n_negative: usize,
}

#[derive(Debug, Serialize, Deserialize)]
struct BinaryTraining {
    n_rows: usize,
    n_positive: usize,
    n_negative: usize,
    weight_sum: f64,
    n_zero_weight: usize,
}

#[derive(Debug, Serialize, Deserialize)]
struct MultiTraining {
    n_rows: usize,
    /// Rows per class, in `classes` order.
    class_counts: Vec<usize>,
    weight_sum: f64,
    n_zero_weight: usize,
}

/// Version 1: logit 1.x's binary model.
#[derive(Debug, Deserialize)]
struct FileV1 {
    format: String,
    version: u64,
    tool_version: String,
    target: String,
    labels: Labels,
    threshold: f64,
    objective: ObjectiveV1,
    missing: MissingSpec,
    columns: Vec<ColumnSpec>,
    features: Vec<BinaryFeature>,
    intercept: f64,
    intercept_standardized: f64,
    training: TrainingV1,
    fit: FitReport,
    #[serde(default)]
    inference: Option<Inference>,
}

/// Version 2, binary: version 1's fields and the new ones beside them.
#[derive(Debug, Serialize, Deserialize)]
struct BinaryV2 {
    format: String,
    version: u64,
    tool_version: String,
    target: String,
    classes: Vec<String>,
    labels: Labels,
    /// A row is predicted positive iff P(positive) >= threshold.
    threshold: f64,
    objective: ObjectiveSpec,
    missing: MissingSpec,
    columns: Vec<ColumnSpec>,
    features: Vec<BinaryFeature>,
    intercept: f64,
    intercept_standardized: f64,
    /// Coefficients (not the intercept) that are not exactly 0 (absent before issue 10).
    /// Written for readers; on reading, the count is taken from the coefficients themselves,
    /// so a file whose coefficients were edited by hand stays usable.
    #[serde(default)]
    nonzero_coefficients: Option<usize>,
    training: BinaryTraining,
    fit: FitReport,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    inference: Option<Inference>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Multiclass {
    Multinomial,
    Ovr,
}

/// Version 2, multiclass: K rows of coefficients and K intercepts.
#[derive(Debug, Serialize, Deserialize)]
struct MultiV2 {
    format: String,
    version: u64,
    tool_version: String,
    target: String,
    classes: Vec<String>,
    multiclass: Multiclass,
    objective: ObjectiveSpec,
    missing: MissingSpec,
    columns: Vec<ColumnSpec>,
    features: Vec<FeatureScale>,
    coefficients: Vec<Vec<f64>>,
    coefficients_standardized: Vec<Vec<f64>>,
    intercepts: Vec<f64>,
    intercepts_standardized: Vec<f64>,
    /// Entries of the K x p coefficients that are not exactly 0 (absent before issue 10).
    #[serde(default)]
    nonzero_coefficients: Option<usize>,
    training: MultiTraining,
    /// Multinomial: the one fit's report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fit: Option<FitReport>,
    /// One-vs-rest: each class's binary fit report, in `classes` order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fits: Option<Vec<FitReport>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    inference: Option<Inference>,
}

/// The model as pretty JSON in format version [`VERSION`], with a trailing newline. The model
/// must have passed [`Model::check`] (its shapes agree).
pub(super) fn to_json(model: &Model) -> String {
    let mut text = match (&model.kind, &model.network) {
        (_, Some(network)) => super::network::to_json(model, network),
        (kind, None) => linear_json(model, kind),
    }
    .expect("a model always serialises");
    text.push('\n');
    text
}

/// A linear model's version 2 JSON.
fn linear_json(model: &Model, kind: &ModelKind) -> serde_json::Result<String> {
    match kind {
        ModelKind::Binary { labels, threshold } => {
            let (n_positive, n_negative) = model.binary_counts().expect("a checked binary model");
            let file = BinaryV2 {
                format: model.format.clone(),
                version: VERSION,
                tool_version: model.tool_version.clone(),
                target: model.target.clone(),
                classes: model.classes.clone(),
                labels: labels.clone(),
                threshold: *threshold,
                objective: model.objective.clone(),
                missing: model.missing.clone(),
                columns: model.columns.clone(),
                features: model
                    .features
                    .iter()
                    .zip(&model.coefficients[0])
                    .zip(&model.coefficients_standardized[0])
                    .map(|((f, &w), &w_std)| BinaryFeature {
                        name: f.name.clone(),
                        mean: f.mean,
                        std: f.std,
                        coefficient: w,
                        coefficient_standardized: w_std,
                    })
                    .collect(),
                intercept: model.intercepts[0],
                intercept_standardized: model.intercepts_standardized[0],
                nonzero_coefficients: Some(model.nonzero_coefficients()),
                training: BinaryTraining {
                    n_rows: model.training.n_rows,
                    n_positive,
                    n_negative,
                    weight_sum: model.training.weight_sum,
                    n_zero_weight: model.training.n_zero_weight,
                },
                fit: model.fit.clone(),
                inference: model.inference.clone(),
            };
            serde_json::to_string_pretty(&file)
        }
        ModelKind::Multinomial | ModelKind::Ovr => {
            let ovr = model.kind == ModelKind::Ovr;
            let file = MultiV2 {
                format: model.format.clone(),
                version: VERSION,
                tool_version: model.tool_version.clone(),
                target: model.target.clone(),
                classes: model.classes.clone(),
                multiclass: if ovr {
                    Multiclass::Ovr
                } else {
                    Multiclass::Multinomial
                },
                objective: model.objective.clone(),
                missing: model.missing.clone(),
                columns: model.columns.clone(),
                features: model.features.clone(),
                coefficients: model.coefficients.clone(),
                coefficients_standardized: model.coefficients_standardized.clone(),
                intercepts: model.intercepts.clone(),
                intercepts_standardized: model.intercepts_standardized.clone(),
                nonzero_coefficients: Some(model.nonzero_coefficients()),
                training: MultiTraining {
                    n_rows: model.training.n_rows,
                    class_counts: model.training.class_counts.clone(),
                    weight_sum: model.training.weight_sum,
                    n_zero_weight: model.training.n_zero_weight,
                },
                fit: (!ovr).then(|| model.fit.clone()),
                fits: ovr.then(|| model.fits.clone()),
                inference: model.inference.clone(),
            };
            serde_json::to_string_pretty(&file)
        }
    }
}

/// Parses model JSON of any readable version into a [`Model`] (not yet checked); the error is
/// the message for `path: message`.
pub(super) fn from_slice(bytes: &[u8]) -> Result<Model, String> {
    if let Some(why) = not_text(bytes, 0) {
        return Err(why);
    }
    if let Err(e) = std::str::from_utf8(bytes) {
        return Err(not_utf8(e.valid_up_to()));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err("the model file is empty".into());
    }
    text::refuse_duplicate_keys(bytes)?;
    // Straight into the typed structs, never through serde_json::Value: a Value costs tens of
    // bytes per number, so a crafted 256 MiB file could take gigabytes.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err("not a logit model file (expected a JSON object)".into());
    }
    let header: Header =
        serde_json::from_slice(bytes).map_err(|e| format!("not a logit model file ({e})"))?;
    match header.format {
        Scalar::Str(f) if f == FORMAT => {}
        Scalar::Str(other) => return Err(format!("unknown format {other:?}; expected {FORMAT:?}")),
        _ => {
            return Err(format!(
                "not a logit model file (no \"format\": {FORMAT:?} field)"
            ))
        }
    }
    let damaged = |e: serde_json::Error| format!("damaged model file: {e}");
    match header.version {
        Scalar::U64(1) => Ok(from_v1(serde_json::from_slice(bytes).map_err(damaged)?)),
        Scalar::U64(2) => match header.multiclass {
            Scalar::Absent => Ok(from_binary_v2(
                serde_json::from_slice(bytes).map_err(damaged)?,
            )),
            Scalar::Str(m) if m == "multinomial" || m == "ovr" => {
                from_multi_v2(serde_json::from_slice(bytes).map_err(damaged)?)
            }
            _ => {
                Err("damaged model file: \"multiclass\" must be \"multinomial\" or \"ovr\"".into())
            }
        },
        Scalar::U64(3) => super::network::from_slice(bytes),
        Scalar::U64(other) => Err(format!(
            "model format version {other} is not supported; this logit {} reads versions {}",
            env!("CARGO_PKG_VERSION"),
            READABLE_VERSIONS.map(|v| v.to_string()).join(", ")
        )),
        _ => Err("the model has no integer \"version\" field".into()),
    }
}

/// The two labels of a binary model in model order.
fn binary_classes(labels: &Labels) -> Vec<String> {
    let mut classes = vec![labels.negative.clone(), labels.positive.clone()];
    class_order(&mut classes);
    classes
}

/// Per-class counts in `classes` order from a binary file's positive and negative counts.
fn binary_class_counts(
    classes: &[String],
    labels: &Labels,
    n_positive: usize,
    n_negative: usize,
) -> Vec<usize> {
    classes
        .iter()
        .map(|c| {
            if *c == labels.positive {
                n_positive
            } else {
                n_negative
            }
        })
        .collect()
}

/// The coefficient rows of a binary file's features: (original, standardised, scales).
fn split_features(features: Vec<BinaryFeature>) -> (Vec<f64>, Vec<f64>, Vec<FeatureScale>) {
    let mut w = Vec::with_capacity(features.len());
    let mut w_std = Vec::with_capacity(features.len());
    let scales = features
        .into_iter()
        .map(|f| {
            w.push(f.coefficient);
            w_std.push(f.coefficient_standardized);
            FeatureScale {
                name: f.name,
                mean: f.mean,
                std: f.std,
            }
        })
        .collect();
    (w, w_std, scales)
}

fn from_v1(file: FileV1) -> Model {
    let classes = binary_classes(&file.labels);
    let class_counts = binary_class_counts(
        &classes,
        &file.labels,
        file.training.n_positive,
        file.training.n_negative,
    );
    let (w, w_std, features) = split_features(file.features);
    Model {
        format: file.format,
        version: file.version,
        tool_version: file.tool_version,
        target: file.target,
        classes,
        kind: ModelKind::Binary {
            labels: file.labels,
            threshold: file.threshold,
        },
        objective: ObjectiveSpec {
            definition: file.objective.definition,
            family: LossFamily::Binomial,
            l1: 0.0,
            l2: file.objective.l2,
            fit_intercept: file.objective.fit_intercept,
            standardize: file.objective.standardize,
            weight: None,
            class_weight: None,
        },
        missing: file.missing,
        columns: file.columns,
        features,
        coefficients: vec![w],
        coefficients_standardized: vec![w_std],
        intercepts: vec![file.intercept],
        intercepts_standardized: vec![file.intercept_standardized],
        training: TrainingCounts {
            n_rows: file.training.n_rows,
            class_counts,
            weight_sum: file.training.n_rows as f64,
            n_zero_weight: 0,
        },
        fit: file.fit,
        fits: Vec::new(),
        inference: file.inference,
        network: None,
        layer_gradients: Vec::new(),
    }
}

fn from_binary_v2(file: BinaryV2) -> Model {
    let class_counts = binary_class_counts(
        &file.classes,
        &file.labels,
        file.training.n_positive,
        file.training.n_negative,
    );
    let (w, w_std, features) = split_features(file.features);
    Model {
        format: file.format,
        version: file.version,
        tool_version: file.tool_version,
        target: file.target,
        classes: file.classes,
        kind: ModelKind::Binary {
            labels: file.labels,
            threshold: file.threshold,
        },
        objective: file.objective,
        missing: file.missing,
        columns: file.columns,
        features,
        coefficients: vec![w],
        coefficients_standardized: vec![w_std],
        intercepts: vec![file.intercept],
        intercepts_standardized: vec![file.intercept_standardized],
        training: TrainingCounts {
            n_rows: file.training.n_rows,
            class_counts,
            weight_sum: file.training.weight_sum,
            n_zero_weight: file.training.n_zero_weight,
        },
        fit: file.fit,
        fits: Vec::new(),
        inference: file.inference,
        network: None,
        layer_gradients: Vec::new(),
    }
}

fn from_multi_v2(file: MultiV2) -> Result<Model, String> {
    let (kind, fit, fits) = match (file.multiclass, file.fit, file.fits) {
        (Multiclass::Multinomial, Some(fit), None) => (ModelKind::Multinomial, fit, Vec::new()),
        (Multiclass::Ovr, None, Some(fits)) => {
            // The count is checked with the other shapes (Model::check).
            if fits.is_empty() {
                return Err(
                    "damaged model file: an ovr model has one fit report per class in \"fits\", not none"
                        .into(),
                );
            }
            (ModelKind::Ovr, ovr_fit_report(&fits), fits)
        }
        (Multiclass::Multinomial, _, _) => {
            return Err(
                "damaged model file: a multinomial model has one \"fit\" report and no \"fits\""
                    .into(),
            )
        }
        (Multiclass::Ovr, _, _) => return Err(
            "damaged model file: an ovr model has \"fits\" (one report per class) and no \"fit\""
                .into(),
        ),
    };
    Ok(Model {
        format: file.format,
        version: file.version,
        tool_version: file.tool_version,
        target: file.target,
        classes: file.classes,
        kind,
        objective: file.objective,
        missing: file.missing,
        columns: file.columns,
        features: file.features,
        coefficients: file.coefficients,
        coefficients_standardized: file.coefficients_standardized,
        intercepts: file.intercepts,
        intercepts_standardized: file.intercepts_standardized,
        training: TrainingCounts {
            n_rows: file.training.n_rows,
            class_counts: file.training.class_counts,
            weight_sum: file.training.weight_sum,
            n_zero_weight: file.training.n_zero_weight,
        },
        fit,
        fits,
        inference: file.inference,
        network: None,
        layer_gradients: Vec::new(),
    })
}

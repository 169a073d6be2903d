//! The model file: a versioned, deterministic JSON document, saved atomically and checked on load.
//!
//! Everything `predict` and `eval` need is in the file (columns and their encodings, scaler
//! statistics, coefficients in both scales, labels, threshold), and so is everything a reader
//! needs to trust it (objective definition, lambda, solver and its convergence report, class
//! counts). Same data and flags give byte-identical files, so models diff cleanly in git.

use std::io::Write;

use serde::{Deserialize, Serialize};

use crate::data::encode::{ColumnKind, ColumnSpec};
use crate::data::input::Output;
use crate::data::missing::MissingSpec;
use crate::data::schema::Labels;
use crate::error::{Error, Result};
use crate::solvers::FitReport;
use crate::summary::Inference;

/// Value of the top-level `format` field.
pub const FORMAT: &str = "logit-model";
/// The model format version this build writes and reads.
pub const VERSION: u64 = 1;
/// The objective, spelled out in every model file.
pub const OBJECTIVE_DEFINITION: &str = "(1/n) sum_i logloss(y_i, x_i.w + b) + (l2/2) ||w||^2; \
     intercept b unpenalised; x standardised with the training mean and population std when standardize is true";

/// The objective a model was fitted with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectiveSpec {
    pub definition: String,
    pub l2: f64,
    pub fit_intercept: bool,
    pub standardize: bool,
}

/// One design column: its scaler statistics and coefficient in both scales.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feature {
    /// `column` or `column=level` for a one-hot indicator.
    pub name: String,
    pub mean: f64,
    pub std: f64,
    /// Weight on the feature in its original units.
    pub coefficient: f64,
    /// Weight on the standardised feature (the scale the penalty applies to).
    pub coefficient_standardized: f64,
}

/// Size and class balance of the training data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingCounts {
    pub n_rows: usize,
    pub n_positive: usize,
    pub n_negative: usize,
}

/// A fitted binary logistic regression model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub format: String,
    pub version: u64,
    pub tool_version: String,
    pub target: String,
    pub labels: Labels,
    /// A row is predicted positive iff P(positive) >= threshold.
    pub threshold: f64,
    pub objective: ObjectiveSpec,
    /// How missing cells were handled; numeric and categorical fill values are in `columns`.
    pub missing: MissingSpec,
    /// Input columns used, in the order of `features`.
    pub columns: Vec<ColumnSpec>,
    pub features: Vec<Feature>,
    /// Intercept in original units.
    pub intercept: f64,
    pub intercept_standardized: f64,
    pub training: TrainingCounts,
    pub fit: FitReport,
    /// Log-likelihood and covariance of the estimates for `logit summary`, computed at training
    /// time (absent in models written before it; optional, so version 1 files stay readable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inference: Option<Inference>,
}

impl Model {
    /// Coefficients in original units, in design order.
    pub fn coefficients(&self) -> Vec<f64> {
        self.features.iter().map(|f| f.coefficient).collect()
    }

    /// Serialises the model as pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a model always serialises");
        text.push('\n');
        text
    }

    /// Writes the model to `path` (`-` for stdout) through a temporary file and a rename, so a
    /// failure never leaves a partial or clobbered file. `inputs` may not be overwritten.
    pub fn save(&self, path: &str, inputs: &[&str]) -> Result<()> {
        self.check("<new model>")?;
        let mut out = Output::create(path, inputs)?;
        out.write_all(self.to_json().as_bytes())
            .map_err(|e| Error::io(path, "write it", e))?;
        out.commit()
    }

    /// Reads and checks a model file.
    pub fn load(path: &str) -> Result<Model> {
        let bad = |message: String| Error::Model {
            path: path.to_string(),
            message,
        };
        if std::path::Path::new(path).is_dir() {
            return Err(bad("is a directory, expected a model file".into()));
        }
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, "read the model", e))?;
        Model::from_slice(path, &bytes)
    }

    /// Parses and checks model JSON; `path` names it in messages.
    pub fn from_slice(path: &str, bytes: &[u8]) -> Result<Model> {
        let bad = |message: String| Error::Model {
            path: path.to_string(),
            message,
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(bad("the model file is empty".into()));
        }
        let value: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| bad(format!("not a logit model file (invalid JSON: {e})")))?;
        let object = value
            .as_object()
            .ok_or_else(|| bad("not a logit model file (expected a JSON object)".into()))?;
        match object.get("format").and_then(|f| f.as_str()) {
            Some(FORMAT) => {}
            Some(other) => {
                return Err(bad(format!(
                    "unknown format {other:?}; expected {FORMAT:?}"
                )));
            }
            None => {
                return Err(bad(format!(
                    "not a logit model file (no \"format\": {FORMAT:?} field)"
                )))
            }
        }
        match object.get("version").and_then(|v| v.as_u64()) {
            Some(VERSION) => {}
            Some(other) => {
                return Err(bad(format!(
                    "model format version {other} is not supported; this logit {} reads version {VERSION}",
                    env!("CARGO_PKG_VERSION")
                )));
            }
            None => return Err(bad("the model has no integer \"version\" field".into())),
        }
        let model: Model =
            serde_json::from_value(value).map_err(|e| bad(format!("damaged model file: {e}")))?;
        model.check(path)?;
        Ok(model)
    }

    /// Internal consistency: finite numbers, sizes that agree, a usable threshold.
    fn check(&self, path: &str) -> Result<()> {
        let bad = |message: String| Error::Model {
            path: path.to_string(),
            message,
        };
        let width: usize = self.columns.iter().map(ColumnSpec::width).sum();
        if width != self.features.len() {
            return Err(bad(format!(
                "damaged model file: its columns expand to {width} features but it has {} coefficients",
                self.features.len()
            )));
        }
        let mut offset = 0;
        for column in &self.columns {
            let expected = column.design_names();
            let names: Vec<&str> = self.features[offset..offset + expected.len()]
                .iter()
                .map(|f| f.name.as_str())
                .collect();
            if names != expected {
                return Err(bad(format!(
                    "damaged model file: features {names:?} do not match column {:?}",
                    column.name
                )));
            }
            match &column.kind {
                ColumnKind::Categorical { levels, fill } => {
                    if levels.is_empty() || !levels.windows(2).all(|w| w[0] < w[1]) {
                        return Err(bad(format!(
                            "damaged model file: levels of column {:?} must be sorted and distinct",
                            column.name
                        )));
                    }
                    if fill.as_ref().is_some_and(|f| !levels.contains(f)) {
                        return Err(bad(format!(
                            "damaged model file: the fill level of column {:?} is not one of its levels",
                            column.name
                        )));
                    }
                }
                ColumnKind::Numeric { fill } => {
                    if fill.is_some_and(|f| !f.is_finite()) {
                        return Err(bad(format!(
                            "damaged model file: the fill value of column {:?} is not finite",
                            column.name
                        )));
                    }
                }
            }
            offset += expected.len();
        }
        for f in &self.features {
            for (what, v) in [
                ("mean", f.mean),
                ("std", f.std),
                ("coefficient", f.coefficient),
                ("coefficient_standardized", f.coefficient_standardized),
            ] {
                if !v.is_finite() {
                    return Err(bad(format!(
                        "feature {:?} has a non-finite {what} ({v})",
                        f.name
                    )));
                }
            }
            if f.std <= 0.0 {
                return Err(bad(format!(
                    "feature {:?} has a non-positive std ({})",
                    f.name, f.std
                )));
            }
        }
        if !self.intercept.is_finite() || !self.intercept_standardized.is_finite() {
            return Err(bad("the intercept is not a finite number".into()));
        }
        if !(0.0..=1.0).contains(&self.threshold) {
            return Err(bad(format!(
                "threshold {} is outside [0, 1]",
                self.threshold
            )));
        }
        if self.labels.positive == self.labels.negative {
            return Err(bad("the positive and negative labels are the same".into()));
        }
        if !(self.objective.l2.is_finite() && self.objective.l2 >= 0.0) {
            return Err(bad(format!(
                "l2 {} is not a finite number >= 0",
                self.objective.l2
            )));
        }
        if !self.fit.objective.is_finite() || !self.fit.gradient_norm.is_finite() {
            return Err(bad("the fit report has non-finite numbers".into()));
        }
        if let Some(inference) = &self.inference {
            let names: Vec<&str> = self.features.iter().map(|f| f.name.as_str()).collect();
            inference
                .check(&names, self.objective.fit_intercept)
                .map_err(|e| bad(format!("damaged model file: {e}")))?;
        }
        Ok(())
    }
}

//! The model file: a versioned, deterministic JSON document, saved atomically and checked on load.
//!
//! Everything `predict` and `eval` need is in the file (columns and their encodings, scaler
//! statistics, coefficients in both scales, labels, threshold), and so is everything a reader
//! needs to trust it (objective definition, lambda, solver and its convergence report, class
//! counts). Same data and flags give byte-identical files, so models diff cleanly in git.
//!
//! Beside the format: [`inference`], the statistics `train` stores for `logit summary`, and
//! [`scorer`], which resolves a model's columns against an input header and scores each record
//! (`predict`, `eval`).

use std::io::Write;

use serde::{Deserialize, Serialize};

use crate::data::encode::{ColumnKind, ColumnSpec};
use crate::data::input::Output;
use crate::data::missing::MissingSpec;
use crate::data::schema::Labels;
use crate::error::{Error, Result};
use crate::fit::solvers::FitReport;

pub mod inference;
mod text;
pub mod scorer;

use inference::Inference;
use text::{not_text, not_utf8, read_text};

/// Value of the top-level `format` field.
pub const FORMAT: &str = "logit-model";
/// The model format version this build writes and reads.
pub const VERSION: u64 = 1;
/// Largest model file `load` reads (256 MiB). A model holds one entry of about 200 bytes per
/// design column, so this allows about a million one-hot columns, far more than a dense fit can
/// use; the bound keeps an endless input (a device, a FIFO) from exhausting memory.
pub const MAX_MODEL_BYTES: u64 = 256 << 20;
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
        let text = self.to_json();
        if text.len() as u64 > MAX_MODEL_BYTES {
            return Err(Error::Model {
                path: path.to_string(),
                message: format!(
                    "the model would take {} MiB, more than the {} MiB logit reads back; \
                     use fewer features (--exclude)",
                    text.len() >> 20,
                    MAX_MODEL_BYTES >> 20
                ),
            });
        }
        let mut out = Output::create(path, inputs)?;
        let written = out
            .write_all(text.as_bytes())
            .map_err(|e| Error::io(path, "write it", e))
            .and_then(|()| out.commit());
        match written {
            // `-o - | head`: the reader has what it wanted (see `console`).
            Err(e) if e.is_broken_pipe() => Ok(()),
            other => other,
        }
    }

    /// Reads and checks a model file. At most [`MAX_MODEL_BYTES`] are read, and bytes that
    /// cannot be JSON text stop the read at once, so `/dev/zero` or `/dev/urandom` fail fast.
    pub fn load(path: &str) -> Result<Model> {
        let bad = |message: String| Error::Model {
            path: path.to_string(),
            message,
        };
        if std::path::Path::new(path).is_dir() {
            return Err(bad("is a directory, expected a model file".into()));
        }
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, "open the model", e))?;
        let bytes = read_text(path, file)?;
        Model::from_slice(path, &bytes)
    }

    /// Parses and checks model JSON; `path` names it in messages.
    pub fn from_slice(path: &str, bytes: &[u8]) -> Result<Model> {
        let bad = |message: String| Error::Model {
            path: path.to_string(),
            message,
        };
        if let Some(why) = not_text(bytes, 0) {
            return Err(bad(why));
        }
        if let Err(e) = std::str::from_utf8(bytes) {
            return Err(bad(not_utf8(e.valid_up_to())));
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(bad("the model file is empty".into()));
        }
        text::refuse_duplicate_keys(bytes).map_err(bad)?;
        // Straight into the typed struct, never through serde_json::Value: a Value costs tens
        // of bytes per number, so a crafted 256 MiB file could take gigabytes.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(bad("not a logit model file (expected a JSON object)".into()));
        }
        let header: text::Header = serde_json::from_slice(bytes)
            .map_err(|e| bad(format!("not a logit model file ({e})")))?;
        match header.format {
            text::Scalar::Str(f) if f == FORMAT => {}
            text::Scalar::Str(other) => {
                return Err(bad(format!(
                    "unknown format {other:?}; expected {FORMAT:?}"
                )));
            }
            _ => {
                return Err(bad(format!(
                    "not a logit model file (no \"format\": {FORMAT:?} field)"
                )))
            }
        }
        match header.version {
            text::Scalar::U64(VERSION) => {}
            text::Scalar::U64(other) => {
                return Err(bad(format!(
                    "model format version {other} is not supported; this logit {} reads version {VERSION}",
                    env!("CARGO_PKG_VERSION")
                )));
            }
            _ => return Err(bad("the model has no integer \"version\" field".into())),
        }
        let model: Model =
            serde_json::from_slice(bytes).map_err(|e| bad(format!("damaged model file: {e}")))?;
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
        self.consistency()
            .map_err(|e| bad(format!("damaged model file: {e}")))?;
        if let Some(inference) = &self.inference {
            let names: Vec<&str> = self.features.iter().map(|f| f.name.as_str()).collect();
            inference
                .check(&names, self.objective.fit_intercept)
                .map_err(|e| bad(format!("damaged model file: {e}")))?;
        }
        Ok(())
    }
}

/// Relative tolerance of the back-transformation checks: `to_original` rounds once per
/// coefficient and once per term of the intercept's sum, far below this.
const ALGEBRA_RTOL: f64 = 1e-9;

/// `a` and `b` agree to [`ALGEBRA_RTOL`] of `scale` (plus the smallest normal number, so
/// subnormal coefficients that lost digits still pass).
fn close(a: f64, b: f64, scale: f64) -> bool {
    (a - b).abs() <= ALGEBRA_RTOL * scale + f64::MIN_POSITIVE
}

impl Model {
    /// What a damaged or hand-edited file can break beyond types and finiteness: the two scales
    /// of the coefficients and the intercept must be the same model (`w_j std_j = w'_j`,
    /// `b = b' - sum_j w_j mean_j`, see `Scaler::to_original`), the class counts must add up,
    /// and names must be unique. Each message names the field.
    fn consistency(&self) -> std::result::Result<(), String> {
        let t = &self.training;
        if t.n_positive == 0 || t.n_negative == 0 {
            return Err(format!(
                "training.n_positive ({}) and training.n_negative ({}) must both be at least 1",
                t.n_positive, t.n_negative
            ));
        }
        if t.n_positive.checked_add(t.n_negative) != Some(t.n_rows) {
            return Err(format!(
                "training.n_rows is {} but training.n_positive + training.n_negative is {} + {}",
                t.n_rows, t.n_positive, t.n_negative
            ));
        }
        let mut names = std::collections::HashSet::new();
        for column in &self.columns {
            if column.name == self.target {
                return Err(format!(
                    "the target {:?} is also listed in columns",
                    self.target
                ));
            }
            if !names.insert(column.name.as_str()) {
                return Err(format!(
                    "column {:?} is listed twice in columns",
                    column.name
                ));
            }
        }
        let (standardize, intercept) = (self.objective.standardize, self.objective.fit_intercept);
        let mut shift_scale = self.intercept_standardized.abs();
        let mut shift = 0.0;
        for (j, f) in self.features.iter().enumerate() {
            let at = format!("features[{j}] ({:?})", f.name);
            if !standardize && (f.mean != 0.0 || f.std != 1.0) {
                return Err(format!(
                    "{at}: mean {} and std {} must be 0 and 1, as objective.standardize is false",
                    f.mean, f.std
                ));
            }
            if !intercept && f.mean != 0.0 {
                return Err(format!(
                    "{at}: mean {} must be 0, as objective.fit_intercept is false (no centring)",
                    f.mean
                ));
            }
            let rescaled = f.coefficient * f.std;
            let scale = rescaled.abs().max(f.coefficient_standardized.abs());
            if !close(rescaled, f.coefficient_standardized, scale) {
                return Err(format!(
                    "{at}: coefficient {} does not match coefficient_standardized / std = {} / {}",
                    f.coefficient, f.coefficient_standardized, f.std
                ));
            }
            shift += f.coefficient * f.mean;
            shift_scale += (f.coefficient * f.mean).abs();
        }
        if !intercept && (self.intercept != 0.0 || self.intercept_standardized != 0.0) {
            return Err(format!(
                "intercept {} and intercept_standardized {} must be 0, as objective.fit_intercept is false",
                self.intercept, self.intercept_standardized
            ));
        }
        let expected = self.intercept_standardized - shift;
        if shift.is_finite() && !close(self.intercept, expected, shift_scale) {
            return Err(format!(
                "intercept {} does not match intercept_standardized - sum(coefficient * mean) = {expected}",
                self.intercept
            ));
        }
        let fit = &self.fit;
        if let Some(inference) = &self.inference {
            // fit.objective is the penalised mean loss at the stored parameters, so it must be
            // -log_likelihood / n_rows plus the penalty on the fit-scale coefficients.
            let penalty: f64 = self
                .features
                .iter()
                .map(|f| f.coefficient_standardized.powi(2))
                .sum::<f64>()
                * self.objective.l2
                / 2.0;
            let mean_loss = -inference.log_likelihood / t.n_rows as f64;
            let expected = mean_loss + penalty;
            let scale = mean_loss.abs() + penalty + fit.objective.abs();
            if expected.is_finite() && !close(fit.objective, expected, scale) {
                return Err(format!(
                    "fit.objective {} does not match -inference.log_likelihood / training.n_rows \
                     + (l2/2) sum(coefficient_standardized^2) = {expected}",
                    fit.objective
                ));
            }
        }
        if fit.converged != (fit.stop_reason == crate::fit::solvers::StopReason::Converged) {
            return Err(format!(
                "fit.converged is {} but fit.stop_reason is {:?}",
                fit.converged, fit.stop_reason
            ));
        }
        if !(fit.tol.is_finite() && fit.tol > 0.0) {
            return Err(format!("fit.tol {} is not a finite number > 0", fit.tol));
        }
        if fit.objective < 0.0 || fit.gradient_norm < 0.0 {
            return Err(format!(
                "fit.objective {} and fit.gradient_norm {} must be >= 0",
                fit.objective, fit.gradient_norm
            ));
        }
        Ok(())
    }
}

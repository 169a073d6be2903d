//! The fitted model: one general in-memory [`Model`] for binary, multinomial and one-vs-rest
//! fits, saved as a versioned, deterministic JSON document, written atomically and checked on load.
//!
//! Everything `predict` and `eval` need is in the file (columns and their encodings, scaler
//! statistics, coefficients in both scales, classes, the binary threshold), and so is everything
//! a reader needs to trust it (objective definition, lambda, weights used, solver and its
//! convergence report, class counts). Same data and flags give byte-identical files, so models
//! diff cleanly in git.
//!
//! The file versions (1: binary only; 2: every kind) are mapped to and from [`Model`] by
//! [`json`]; [`check`](Model::check) validates a model however it was made. Beside the format:
//! [`inference`], the statistics `train` stores for `logit summary`; [`probability`], the
//! class probabilities from linear scores; and [`scorer`], which resolves a model's columns
//! against an input header and scores each record (`predict`, `eval`).

use std::io::Write;

use serde::{Deserialize, Serialize};

use crate::data::encode::ColumnSpec;
use crate::data::input::Output;
use crate::data::missing::{Markers, MissingSpec};
use crate::data::schema::Labels;
use crate::error::{Error, Result};
use crate::fit::solvers::{FitReport, StopReason};

mod check;
pub mod inference;
mod json;
pub mod network;
pub mod onnx;
pub mod probability;
pub mod scorer;
pub mod svmlight;
mod text;

use inference::Inference;
use scorer::RowScorer;
use text::read_text;

/// Value of the top-level `format` field.
pub const FORMAT: &str = "logit-model";
/// The model format version this build writes. It reads this one and every earlier one.
pub const VERSION: u64 = 2;
/// The format versions this build reads (3: network models, [`network::NETWORK_VERSION`]).
pub const READABLE_VERSIONS: [u64; 3] = [1, 2, 3];
/// Largest model file `load` reads (256 MiB). A model holds one entry of about 200 bytes per
/// design column (per class), so this allows about a million one-hot columns, far more than a
/// dense fit can use; the bound keeps an endless input (a device, a FIFO) from exhausting memory.
pub const MAX_MODEL_BYTES: u64 = 256 << 20;
/// The binary objective without weights, spelled out in every such model file (version 1's text).
pub const OBJECTIVE_DEFINITION: &str = "(1/n) sum_i logloss(y_i, x_i.w + b) + (l2/2) ||w||^2; \
     intercept b unpenalised; x standardised with the training mean and population std when standardize is true";
/// The binary objective with row or class weights `s_i`.
pub const WEIGHTED_OBJECTIVE_DEFINITION: &str =
    "(1/S) sum_i s_i logloss(y_i, x_i.w + b) + (l2/2) ||w||^2, S = sum_i s_i; \
     intercept b unpenalised; x standardised with the s-weighted training mean and population std when standardize is true";
/// The multinomial objective (`s_i = 1` without weights, so `S = n`).
pub const MULTINOMIAL_OBJECTIVE_DEFINITION: &str =
    "(1/S) sum_i s_i (-log softmax(W x_i + b)_{y_i}) + (l2/2) ||W||^2, S = sum_i s_i; \
     W is K x p, one row per class, centred over classes; intercepts b unpenalised; \
     x standardised with the s-weighted training mean and population std when standardize is true";

/// The loss of the fit: `binomial` (sigmoid; binary models and each one-vs-rest fit) or
/// `multinomial` (softmax over the K classes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LossFamily {
    Binomial,
    Multinomial,
}

/// How the class weights were chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClassWeightMode {
    /// `--class-weight balanced`: class c gets `S_raw / (K S_c)`.
    Balanced,
    /// `--class-weight LABEL=W,...`: given by the user (unlisted classes 1).
    Given,
}

/// The class weights a model was fitted with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassWeightSpec {
    pub mode: ClassWeightMode,
    /// The weight of each class, in model order (the order of `classes`).
    pub weights: Vec<f64>,
}

/// The objective a model was fitted with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectiveSpec {
    pub definition: String,
    /// Binomial for binary and one-vs-rest models, multinomial for softmax models.
    pub family: LossFamily,
    /// Weight of the lasso term `l1 * sum |W|` (standardised scale); 0 in files written before
    /// issue 10 (read as 0), and whenever `--l1` was not given.
    #[serde(default)]
    pub l1: f64,
    pub l2: f64,
    pub fit_intercept: bool,
    pub standardize: bool,
    /// The `--weight` column (row weights; not a feature), or `None` for unit row weights.
    pub weight: Option<String>,
    /// `--class-weight`, or `None` for unit class weights.
    pub class_weight: Option<ClassWeightSpec>,
}

impl ObjectiveSpec {
    /// Whether the rows were weighted at all (row or class weights).
    pub fn is_weighted(&self) -> bool {
        self.weight.is_some() || self.class_weight.is_some()
    }

    /// The definition text for a family, with or without weights, without an L1 term.
    pub fn definition_for(family: LossFamily, weighted: bool) -> &'static str {
        match (family, weighted) {
            (LossFamily::Binomial, false) => OBJECTIVE_DEFINITION,
            (LossFamily::Binomial, true) => WEIGHTED_OBJECTIVE_DEFINITION,
            (LossFamily::Multinomial, _) => MULTINOMIAL_OBJECTIVE_DEFINITION,
        }
    }

    /// The definition text of a fit: [`ObjectiveSpec::definition_for`] when `l1` is 0 (so
    /// such models say exactly what they said before issue 10), else the same with the lasso
    /// term `l1 ||w||_1` (multinomial: elementwise, and W not centred, since centring would
    /// change the L1 term).
    pub fn definition_with(family: LossFamily, weighted: bool, l1: f64) -> String {
        let base = Self::definition_for(family, weighted);
        if l1 == 0.0 {
            return base.to_string();
        }
        match family {
            LossFamily::Binomial => {
                base.replacen(" + (l2/2) ||w||^2", " + l1 ||w||_1 + (l2/2) ||w||^2", 1)
            }
            LossFamily::Multinomial => base
                .replacen(
                    " + (l2/2) ||W||^2",
                    " + l1 sum_kj |W_kj| + (l2/2) ||W||^2",
                    1,
                )
                .replacen(
                    "one row per class, centred over classes; intercepts b unpenalised",
                    "one row per class, not centred (centring would change the L1 term); \
                     intercepts b unpenalised and centred",
                    1,
                ),
        }
    }
}

/// One design column's scaler statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureScale {
    /// `column` or `column=level` for a one-hot indicator.
    pub name: String,
    pub mean: f64,
    pub std: f64,
}

/// Size, class balance and weight of the training data.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingCounts {
    /// Rows in the fit, zero-weight rows included (rows `--missing drop` left out are not).
    pub n_rows: usize,
    /// Rows of each class, in model order; they add up to `n_rows`.
    pub class_counts: Vec<usize>,
    /// `S = sum_i s_i` (row weight times class weight), the objective's divisor; `n_rows` when
    /// the rows are not weighted.
    pub weight_sum: f64,
    /// Rows whose weight `s_i` is 0 (they take no part in the fit).
    pub n_zero_weight: usize,
}

/// What kind of model: one score (binary) or one per class.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelKind {
    /// Two classes, one score `z` = log-odds of `labels.positive`; a row is predicted positive
    /// iff `P(positive) >= threshold`.
    Binary { labels: Labels, threshold: f64 },
    /// K classes, K scores, `P = softmax(z)`.
    Multinomial,
    /// K independent binary fits, `P(k) = sigmoid(z_k) / sum_j sigmoid(z_j)`.
    Ovr,
}

/// A fitted logistic regression model (binary, multinomial or one-vs-rest).
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub format: String,
    /// The format version of the file the model was read from ([`VERSION`] for a new model);
    /// [`Model::to_json`] always writes [`VERSION`].
    pub version: u64,
    pub tool_version: String,
    pub target: String,
    /// The class labels in model order: numeric order when every label is a number, otherwise
    /// byte order (see [`class_order`]). Binary: the two labels, in that order too.
    pub classes: Vec<String>,
    pub kind: ModelKind,
    pub objective: ObjectiveSpec,
    /// How missing cells were handled; numeric and categorical fill values are in `columns`.
    pub missing: MissingSpec,
    /// Input columns used, in the order of `features`.
    pub columns: Vec<ColumnSpec>,
    /// One per design column, in design order.
    pub features: Vec<FeatureScale>,
    /// `n_scores x p` weights in original units: one row for a binary model (the positive
    /// class's log-odds), one per class (model order) otherwise.
    pub coefficients: Vec<Vec<f64>>,
    /// The same on the standardised features (the scale the penalty applies to).
    pub coefficients_standardized: Vec<Vec<f64>>,
    /// One per score, original units.
    pub intercepts: Vec<f64>,
    pub intercepts_standardized: Vec<f64>,
    pub training: TrainingCounts,
    /// The fit's report. One-vs-rest: the aggregate of `fits` ([`ovr_fit_report`]).
    pub fit: FitReport,
    /// One-vs-rest only: the report of each class's binary fit, in model order; empty otherwise.
    pub fits: Vec<FitReport>,
    /// Log-likelihood and covariance of the estimates for `logit summary`, computed at training
    /// time (absent in models written before it).
    pub inference: Option<Inference>,
    /// A network model's layers (issue 13): the scores come from
    /// [`crate::fit::network::Network::scores_into`] on the standardised design row instead of
    /// `coefficients`/`intercepts` (which are then empty). `None` for the linear models.
    pub network: Option<crate::fit::network::Network>,
    /// A network model's per-layer RMS loss gradient at the start and end of training (first
    /// layer first); empty for the linear models.
    pub layer_gradients: Vec<crate::fit::network::LayerRms>,
}

/// The one report of K one-vs-rest fits: converged iff all did (else the first failure's
/// reason), iterations summed, objective summed (the K fits are independent, so together they
/// minimise the sum), the largest gradient norm; solver, tolerance and limit as the first fit.
pub fn ovr_fit_report(fits: &[FitReport]) -> FitReport {
    let first = fits.first().expect("one-vs-rest has at least two fits");
    let failed = fits.iter().find(|f| f.stop_reason != StopReason::Converged);
    FitReport {
        converged: failed.is_none(),
        stop_reason: failed.map_or(StopReason::Converged, |f| f.stop_reason),
        iterations: fits.iter().map(|f| f.iterations).sum(),
        newton_steps: fits.iter().map(|f| f.newton_steps).sum(),
        objective: fits.iter().map(|f| f.objective).sum(),
        gradient_norm: fits.iter().map(|f| f.gradient_norm).fold(0.0, f64::max),
        ..first.clone()
    }
}

/// Sorts class labels into model order: numerically when every label parses as a finite
/// number (ties between spellings of one number, such as `1` and `1.0`, by bytes), otherwise
/// by bytes.
pub fn class_order(labels: &mut [String]) {
    let numbers: Option<Vec<f64>> = labels
        .iter()
        .map(|l| l.trim().parse::<f64>().ok().filter(|v| v.is_finite()))
        .collect();
    if numbers.is_some() {
        labels.sort_by(|a, b| {
            let (x, y): (f64, f64) = (a.trim().parse().unwrap(), b.trim().parse().unwrap());
            x.total_cmp(&y).then_with(|| a.cmp(b))
        });
    } else {
        labels.sort();
    }
}

impl Model {
    /// Coefficients (entries of W, intercepts not counted) that are not exactly 0, over every
    /// score row: at most `n_scores x p`. The lasso's zeros are exact, so this is its model size.
    pub fn nonzero_coefficients(&self) -> usize {
        self.coefficients_standardized
            .iter()
            .flatten()
            .filter(|w| **w != 0.0)
            .count()
    }

    /// The input columns with at least one non-zero coefficient (any level of a one-hot column,
    /// any class), in model order: the features an L1 fit selected.
    pub fn selected_columns(&self) -> Vec<&str> {
        let mut j = 0;
        let mut selected = Vec::new();
        for column in &self.columns {
            let width = column.design_names().len();
            let used =
                (j..j + width).any(|c| self.coefficients_standardized.iter().any(|w| w[c] != 0.0));
            if used {
                selected.push(column.name.as_str());
            }
            j += width;
        }
        selected
    }

    /// Whether the fit had an L1 (lasso or elastic-net) term.
    pub fn is_lasso(&self) -> bool {
        self.objective.l1 > 0.0
    }

    /// K, the number of classes (2 for a binary model).
    pub fn n_classes(&self) -> usize {
        self.classes.len()
    }

    /// Whether this is a network model (issue 13) rather than a linear one.
    pub fn is_network(&self) -> bool {
        self.network.is_some()
    }

    /// Linear scores per row: 1 for a binary model, K otherwise.
    pub fn n_scores(&self) -> usize {
        match self.kind {
            ModelKind::Binary { .. } => 1,
            ModelKind::Multinomial | ModelKind::Ovr => self.classes.len(),
        }
    }

    pub fn is_binary(&self) -> bool {
        matches!(self.kind, ModelKind::Binary { .. })
    }

    /// A binary model's labels and threshold; `None` for a multiclass model.
    pub fn binary(&self) -> Option<(&Labels, f64)> {
        match &self.kind {
            ModelKind::Binary { labels, threshold } => Some((labels, *threshold)),
            _ => None,
        }
    }

    /// A binary model's threshold, to change it (`logit threshold`, `train --pick-threshold`);
    /// `None` for a multiclass model.
    pub fn threshold_mut(&mut self) -> Option<&mut f64> {
        match &mut self.kind {
            ModelKind::Binary { threshold, .. } => Some(threshold),
            _ => None,
        }
    }

    /// The kind's name in files and messages: `binary`, `multinomial` or `ovr`.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            ModelKind::Binary { .. } => "binary",
            ModelKind::Multinomial => "multinomial",
            ModelKind::Ovr => "ovr",
        }
    }

    /// `multinomial model of 3 classes (a, b, c)`, for messages (at most 10 classes named).
    pub fn describe(&self) -> String {
        const NAMED: usize = 10;
        let mut names: Vec<String> = self
            .classes
            .iter()
            .take(NAMED)
            .map(|c| format!("{c:?}"))
            .collect();
        if self.classes.len() > NAMED {
            names.push(format!("and {} more", self.classes.len() - NAMED));
        }
        format!(
            "{} model of {} classes ({})",
            self.kind_name(),
            self.n_classes(),
            names.join(", ")
        )
    }

    /// A binary model's labels and threshold, or an error saying that `what` (a command or a
    /// flag) applies to binary models only, for the model read from `path`.
    pub fn require_binary(&self, path: &str, what: &str) -> Result<(&Labels, f64)> {
        self.binary().ok_or_else(|| {
            Error::Usage(format!(
                "{path}: {what} applies to binary models only; this is a {}",
                self.describe()
            ))
        })
    }

    /// The index in `classes` of a label; `None` when it is not a class of the model.
    pub fn class_index(&self, label: &str) -> Option<usize> {
        self.classes.iter().position(|c| c == label)
    }

    /// Rows of the positive and the negative class of a binary model.
    pub fn binary_counts(&self) -> Option<(usize, usize)> {
        let (labels, _) = self.binary()?;
        let count = |l: &str| self.class_index(l).map(|i| self.training.class_counts[i]);
        Some((count(&labels.positive)?, count(&labels.negative)?))
    }

    /// Class probabilities, in model order (`out[k]` is P(`classes[k]`)), from the `n_scores`
    /// linear scores of one row.
    ///
    /// Binary: `scores[0]` is the log-odds `z` of the positive label; the positive class gets
    /// `sigmoid(z)` (exactly what `predict` prints) and the negative one `sigmoid(-z)` (not
    /// `1 - sigmoid(z)`, which loses every digit of a small probability), at the positions of
    /// the two labels in `classes`. Multinomial: the max-subtracted softmax. One-vs-rest:
    /// sigmoids normalised to sum 1, formed from log-sigmoids so extreme scores stay exact.
    /// See [`probability`].
    pub fn probabilities(&self, scores: &[f64], out: &mut [f64]) {
        assert_eq!(scores.len(), self.n_scores(), "one score per model score");
        assert_eq!(out.len(), self.n_classes(), "one probability per class");
        match &self.kind {
            ModelKind::Binary { labels, .. } => {
                let z = scores[0];
                for (o, c) in out.iter_mut().zip(&self.classes) {
                    *o = if *c == labels.positive {
                        crate::fit::numerics::sigmoid(z)
                    } else {
                        crate::fit::numerics::sigmoid(-z)
                    };
                }
            }
            ModelKind::Multinomial => probability::softmax(scores, out),
            ModelKind::Ovr => probability::ovr(scores, out),
        }
    }

    /// The most probable class (its index in `classes`) given the probabilities of one row;
    /// ties go to the first in model order.
    pub fn predicted_class(&self, probabilities: &[f64]) -> usize {
        probability::argmax(probabilities)
    }

    /// A scorer of this model's `n_scores` linear scores for a file with `header` (on physical
    /// line `header_line`).
    pub fn scorer(&self, file: &str, header_line: u64, header: &[String]) -> Result<RowScorer> {
        if let Some(network) = &self.network {
            return RowScorer::network(
                file,
                header_line,
                header,
                &self.columns,
                &self.features,
                network,
                Markers::new(self.missing.na_values.clone()),
                self.missing.policy,
            );
        }
        RowScorer::multi(
            file,
            header_line,
            header,
            &self.columns,
            &self.coefficients,
            &self.intercepts,
            Markers::new(self.missing.na_values.clone()),
            self.missing.policy,
        )
    }

    /// Serialises the model as pretty JSON (format version [`VERSION`]) with a trailing newline.
    pub fn to_json(&self) -> String {
        json::to_json(self)
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
        if std::path::Path::new(path).is_dir() {
            return Err(Error::Model {
                path: path.to_string(),
                message: "is a directory, expected a model file".into(),
            });
        }
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, "open the model", e))?;
        let bytes = read_text(path, file)?;
        Model::from_slice(path, &bytes)
    }

    /// Parses and checks model JSON of any readable version; `path` names it in messages.
    pub fn from_slice(path: &str, bytes: &[u8]) -> Result<Model> {
        let model = json::from_slice(bytes).map_err(|message| Error::Model {
            path: path.to_string(),
            message,
        })?;
        model.check(path)?;
        Ok(model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ordered(labels: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = labels.iter().map(|s| s.to_string()).collect();
        class_order(&mut v);
        v
    }

    #[test]
    fn binary_probabilities_follow_the_class_order_whichever_label_is_positive() {
        // Written by logit 1.0: labels yes (positive) and no; model order no, yes.
        let v1 = include_bytes!("../../tests/fixtures/v1/computers_v1.json");
        let mut model = Model::from_slice("computers_v1.json", v1).unwrap();
        assert_eq!(model.version, 1);
        assert_eq!(model.classes, ["no", "yes"]);
        assert_eq!((model.n_classes(), model.n_scores()), (2, 1));
        assert_eq!(model.binary_counts(), Some((3953, 428)));
        let mut p = [0.0; 2];
        model.probabilities(&[2.0], &mut p);
        let s = crate::fit::numerics::sigmoid;
        assert_eq!(p, [s(-2.0), s(2.0)]);
        assert_eq!(model.predicted_class(&p), 1);
        // The smaller probability keeps its digits (1 - s(40) would be 0).
        model.probabilities(&[40.0], &mut p);
        assert!(p[0] > 0.0 && (p[0] / (-40f64).exp() - 1.0).abs() < 1e-14);
        // Positive label first in class order: the positive probability comes first.
        if let ModelKind::Binary { labels, .. } = &mut model.kind {
            std::mem::swap(&mut labels.positive, &mut labels.negative);
        }
        model.probabilities(&[2.0], &mut p);
        assert_eq!(p, [s(2.0), s(-2.0)]);
        // A version 2 file of it reads back equal but for the version.
        let again = Model::from_slice("m.json", model.to_json().as_bytes()).unwrap();
        assert_eq!(again.version, VERSION);
        assert_eq!(
            Model {
                version: 1,
                ..again
            },
            model
        );
    }

    #[test]
    fn classes_are_ordered_numerically_when_all_are_numbers_else_by_bytes() {
        assert_eq!(ordered(&["10", "2", "-1", "1.5"]), ["-1", "1.5", "2", "10"]);
        assert_eq!(ordered(&["10", "2", "b"]), ["10", "2", "b"]);
        assert_eq!(
            ordered(&["virginica", "setosa", "Versicolor"]),
            ["Versicolor", "setosa", "virginica"]
        );
        // Not finite: not a number for the order.
        assert_eq!(ordered(&["inf", "2", "1"]), ["1", "2", "inf"]);
        assert_eq!(ordered(&["nan", "2", "10"]), ["10", "2", "nan"]);
        assert_eq!(ordered(&["1.0", "1", "0"]), ["0", "1", "1.0"]);
    }
}

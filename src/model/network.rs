//! Network models (issue 13) in the model file, and their checks.
//!
//! A network model is written as format version [`NETWORK_VERSION`] (3), so a logit that reads
//! versions 1 and 2 refuses it ("model format version 3 is not supported") instead of reading
//! its empty coefficients as a linear model; linear models stay version 2. The shape:
//! `kind` (`"binary"` or `"multinomial"`), `classes`, for binary `labels` and `threshold`,
//! `objective`, `missing`, `columns`, `features` (`name, mean, std`: the design columns the
//! network reads, standardised as `(x - mean) / std`), `network` (activation and layers, see
//! [`Network`]), `layer_gradients` (per layer, the RMS gradient of the loss in its weights at
//! the start and the end of training), `training` and `fit`.

use serde::{Deserialize, Serialize};

use super::{FeatureScale, LossFamily, Model, ModelKind, ObjectiveSpec, TrainingCounts};
use crate::data::encode::ColumnSpec;
use crate::data::missing::MissingSpec;
use crate::data::schema::Labels;
use crate::fit::network::{LayerRms, Network};
use crate::fit::solvers::{FitReport, SolverKind};

/// The format version of network models.
pub const NETWORK_VERSION: u64 = 3;

/// The objective of a network model (`s_i = 1` without weights).
pub const NETWORK_OBJECTIVE_DEFINITION: &str =
    "(1/S) sum_i s_i loss(y_i, f(x_i)) + (l2/2) sum_layers ||W_l||^2, S = sum_i s_i; \
     f the network's output scores (binomial: log-odds, loss the log loss; multinomial: \
     softmax scores, loss -log softmax); biases unpenalised; x standardised with the \
     s-weighted training mean and population std";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Binary,
    Multinomial,
}

#[derive(Debug, Serialize, Deserialize)]
struct Training {
    n_rows: usize,
    class_counts: Vec<usize>,
    weight_sum: f64,
    n_zero_weight: usize,
}

#[derive(Debug, Serialize, Deserialize)]
struct NetworkFile {
    format: String,
    version: u64,
    tool_version: String,
    target: String,
    kind: Kind,
    classes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    labels: Option<Labels>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    threshold: Option<f64>,
    objective: ObjectiveSpec,
    missing: MissingSpec,
    columns: Vec<ColumnSpec>,
    features: Vec<FeatureScale>,
    network: Network,
    layer_gradients: Vec<LayerRms>,
    training: Training,
    fit: FitReport,
}

/// A network model as pretty JSON (without the trailing newline).
pub(super) fn to_json(model: &Model, network: &Network) -> serde_json::Result<String> {
    let (kind, labels, threshold) = match &model.kind {
        ModelKind::Binary { labels, threshold } => {
            (Kind::Binary, Some(labels.clone()), Some(*threshold))
        }
        _ => (Kind::Multinomial, None, None),
    };
    let file = NetworkFile {
        format: model.format.clone(),
        version: NETWORK_VERSION,
        tool_version: model.tool_version.clone(),
        target: model.target.clone(),
        kind,
        classes: model.classes.clone(),
        labels,
        threshold,
        objective: model.objective.clone(),
        missing: model.missing.clone(),
        columns: model.columns.clone(),
        features: model.features.clone(),
        network: network.clone(),
        layer_gradients: model.layer_gradients.clone(),
        training: Training {
            n_rows: model.training.n_rows,
            class_counts: model.training.class_counts.clone(),
            weight_sum: model.training.weight_sum,
            n_zero_weight: model.training.n_zero_weight,
        },
        fit: model.fit.clone(),
    };
    serde_json::to_string_pretty(&file)
}

/// Reads a version 3 (network) file.
pub(super) fn from_slice(bytes: &[u8]) -> Result<Model, String> {
    let file: NetworkFile =
        serde_json::from_slice(bytes).map_err(|e| format!("damaged model file: {e}"))?;
    let kind = match (file.kind, file.labels, file.threshold) {
        (Kind::Binary, Some(labels), Some(threshold)) => ModelKind::Binary { labels, threshold },
        (Kind::Multinomial, None, None) => ModelKind::Multinomial,
        (Kind::Binary, _, _) => {
            return Err(
                "damaged model file: a binary network has \"labels\" and \"threshold\"".into(),
            )
        }
        (Kind::Multinomial, _, _) => {
            return Err(
                "damaged model file: a multinomial network has no \"labels\" or \"threshold\""
                    .into(),
            )
        }
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
        coefficients: Vec::new(),
        coefficients_standardized: Vec::new(),
        intercepts: Vec::new(),
        intercepts_standardized: Vec::new(),
        training: TrainingCounts {
            n_rows: file.training.n_rows,
            class_counts: file.training.class_counts,
            weight_sum: file.training.weight_sum,
            n_zero_weight: file.training.n_zero_weight,
        },
        fit: file.fit,
        fits: Vec::new(),
        inference: None,
        network: Some(file.network),
        layer_gradients: file.layer_gradients,
    })
}

/// The network's own shape rules: layers chained from the features to the scores, weights and
/// biases of the right lengths and finite, a per-layer gradient record, no linear parts.
pub(super) fn check(model: &Model, network: &Network) -> Result<(), String> {
    if model.kind == ModelKind::Ovr {
        return Err("a network model is binary or multinomial, never ovr".into());
    }
    let family = if model.is_binary() {
        LossFamily::Binomial
    } else {
        LossFamily::Multinomial
    };
    if model.objective.family != family {
        return Err(format!(
            "objective.family does not match a {} network",
            model.kind_name()
        ));
    }
    if !(model.coefficients.is_empty() && model.intercepts.is_empty() && model.fits.is_empty()) {
        return Err("a network model has no linear coefficients, intercepts or fits".into());
    }
    if model.objective.l1 != 0.0 {
        return Err("a network model has no L1 term (objective.l1 must be 0)".into());
    }
    if network.layers.is_empty() {
        return Err("network.layers is empty".into());
    }
    let p = model.features.len();
    if network.n_inputs() != p {
        return Err(format!(
            "network.layers[0] takes {} inputs but the model has {p} features",
            network.n_inputs()
        ));
    }
    if network.n_scores() != model.n_scores() {
        return Err(format!(
            "the network's last layer has {} outputs but a {} has {} score(s)",
            network.n_scores(),
            model.describe(),
            model.n_scores()
        ));
    }
    for (l, layer) in network.layers.iter().enumerate() {
        if layer.n_in == 0 || layer.n_out == 0 {
            return Err(format!("network.layers[{l}] has a width of 0"));
        }
        if l > 0 && layer.n_in != network.layers[l - 1].n_out {
            return Err(format!(
                "network.layers[{l}] takes {} inputs but layers[{}] has {} outputs",
                layer.n_in,
                l - 1,
                network.layers[l - 1].n_out
            ));
        }
        if layer.weights.len() != layer.n_in * layer.n_out || layer.bias.len() != layer.n_out {
            return Err(format!(
                "network.layers[{l}] has {} weights and {} biases for {} x {} units",
                layer.weights.len(),
                layer.bias.len(),
                layer.n_out,
                layer.n_in
            ));
        }
        if let Some(v) = layer
            .weights
            .iter()
            .chain(&layer.bias)
            .find(|v| !v.is_finite())
        {
            return Err(format!(
                "network.layers[{l}] holds a non-finite number ({v})"
            ));
        }
    }
    if let crate::fit::network::Activation::LeakyRelu { slope } = network.activation {
        if !(slope.is_finite() && (0.0..1.0).contains(&slope)) {
            return Err(format!("the leaky-relu slope {slope} is not in [0, 1)"));
        }
    }
    if model.layer_gradients.len() != network.layers.len() {
        return Err(format!(
            "layer_gradients has {} entries for {} layers",
            model.layer_gradients.len(),
            network.layers.len()
        ));
    }
    if model
        .layer_gradients
        .iter()
        .any(|g| !(g.start.is_finite() && g.end.is_finite() && g.start >= 0.0 && g.end >= 0.0))
    {
        return Err("layer_gradients holds a negative or non-finite number".into());
    }
    if !matches!(model.fit.solver, SolverKind::Lbfgs | SolverKind::Adam) {
        return Err(format!(
            "fit.solver {} does not fit networks (lbfgs or adam)",
            model.fit.solver
        ));
    }
    Ok(())
}

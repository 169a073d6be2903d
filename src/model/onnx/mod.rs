//! `logit export`: a model as a self-contained ONNX graph (opset 13, standard `ai.onnx`
//! operators only) that any ONNX runtime scores without logit.
//!
//! The graph takes one input, `features`: the raw values of the model's input columns in model
//! order (`[N, p]`, float64 or float32), NaN meaning a missing cell. It has two outputs:
//! `probabilities` (`[N, K]`, column k = P(class k) in model class order; K = 2 for a binary
//! model) and `label` (`[N]` int64, an index into the classes, whose names are in the metadata
//! entry `classes`). The arithmetic is `predict`'s:
//!
//! - Missing cells: the training fill values (`--missing mean|median`); a column without a
//!   fill keeps its NaN, which makes that row's outputs NaN (where `predict` stops with an
//!   error).
//! - Linear models, float64: `predict`'s expression, `z = b + sum_j w_j x_j` with the
//!   original-units coefficients (`MatMul` + `Add`, the same numbers). float32: centred first,
//!   `z = (b + w c) + (x - c) w` with `c` the means rounded to float32, which keeps float32 from
//!   summing large terms that cancel (see [`scores`] for why and by how much).
//! - Network models: `(x - mean) / std`, then per layer `MatMul` + `Add` and the activation
//!   (`Sigmoid`, `Tanh`, `Relu`, `LeakyRelu`); float32 folds `1 / std` into the first layer.
//! - Binary: `[s(-z), s(z)]` in class order (as `predict`, never `1 - p`), label
//!   `P(positive) >= threshold` (the model's threshold). Multinomial: `Softmax`. One-vs-rest:
//!   the normalised sigmoids `s(z_k) / sum_j s(z_j)` as `Softmax(log s(z))` with the stable
//!   `log s(z) = min(z, 0) - log(1 + exp(-|z|))`, as `predict` computes them. Multiclass label:
//!   `ArgMax` (ties to the first class, as `predict`).
//! - Every graph writes the sigmoid as `exp(min(z, 0)) / (1 + exp(-|z|))`: the `Sigmoid`
//!   operator is float32-only in some runtimes and clamped in tract's float32 kernel. float64
//!   graphs also avoid `LeakyRelu` and `IsNaN` (float32-only in tract): leaky ReLU is
//!   `Max(z, slope * z)` (also exact in the slope, which ONNX's float32 `alpha` is not), the NaN
//!   test `Equal(x, x)`.
//!
//! One-hot categorical columns are refused, naming them: their encoding would need string
//! inputs and the `ai.onnx.ml` `OneHotEncoder`, which many runtimes (tract among them) lack; encode such
//! columns as 0/1 numeric columns before training instead.

use serde_json::json;

use crate::data::encode::ColumnKind;
use crate::error::{Error, Result};
use crate::model::{Model, ModelKind};

mod graph;
pub mod proto;
mod scores;

use graph::{value_info, Attr, Builder, Dim};
use proto::{data_type, ModelProto, OperatorSetIdProto, StringStringEntryProto};
use scores::{fills, sigmoid};

/// The ONNX opset the graphs use (`Softmax` over one axis, `GreaterOrEqual`).
pub const OPSET: i64 = 13;
/// The IR version of opset 13 (ONNX 1.8).
pub const IR_VERSION: i64 = 7;
/// Name of the graph input.
pub const INPUT: &str = "features";
/// Name of the `[N, K]` probability output.
pub const PROBABILITIES: &str = "probabilities";
/// Name of the `[N]` class-index output.
pub const LABEL: &str = "label";

/// Element type of the graph's floating-point tensors (`--precision`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// float64 everywhere: the same numbers as `predict`.
    F64,
    /// float32, for runtimes or devices without float64: within 1e-6 of `predict` on the
    /// reference data (the README's ONNX section).
    F32,
}

impl Precision {
    /// `f64` or `f32`.
    pub fn name(self) -> &'static str {
        match self {
            Precision::F64 => "f64",
            Precision::F32 => "f32",
        }
    }

    /// The ONNX element type's name.
    fn onnx_name(self) -> &'static str {
        match self {
            Precision::F64 => "double",
            Precision::F32 => "float",
        }
    }
}

/// The model as ONNX protobuf bytes. `path` names the model in errors.
pub fn export(model: &Model, path: &str, precision: Precision) -> Result<Vec<u8>> {
    check_exportable(model, path)?;
    let doc = description(model, precision);
    let graph = build_graph(model, precision, doc.clone());
    let onnx = ModelProto {
        ir_version: IR_VERSION,
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: OPSET,
        }],
        producer_name: "logit".to_string(),
        producer_version: env!("CARGO_PKG_VERSION").to_string(),
        domain: String::new(),
        model_version: 1,
        doc_string: doc,
        graph: Some(graph),
        metadata_props: metadata(model, precision),
    };
    Ok(prost::Message::encode_to_vec(&onnx))
}

/// What `export --describe` prints (also the graph's doc string): input, column order,
/// missing values, outputs, classes.
pub fn describe(model: &Model, path: &str, precision: Precision) -> Result<String> {
    check_exportable(model, path)?;
    Ok(description(model, precision))
}

/// Refuses what the graph cannot express: categorical (one-hot) columns, and a model without
/// features.
fn check_exportable(model: &Model, path: &str) -> Result<()> {
    let categorical: Vec<&str> = model
        .columns
        .iter()
        .filter(|c| matches!(c.kind, ColumnKind::Categorical { .. }))
        .map(|c| c.name.as_str())
        .collect();
    if !categorical.is_empty() {
        return Err(Error::Usage(format!(
            "{path}: export takes numeric input columns only, and this model one-hot encodes \
             categorical column{} {}; encode {} as 0/1 numeric columns and retrain",
            if categorical.len() == 1 { "" } else { "s" },
            categorical.join(", "),
            if categorical.len() == 1 { "it" } else { "them" },
        )));
    }
    if model.features.is_empty() {
        return Err(Error::Usage(format!(
            "{path}: the model has no feature columns, so there is no graph input to export"
        )));
    }
    Ok(())
}

/// The input column names in graph order (numeric columns only: one design column each).
fn feature_names(model: &Model) -> Vec<&str> {
    model.columns.iter().map(|c| c.name.as_str()).collect()
}

fn build_graph(model: &Model, precision: Precision, doc: String) -> proto::GraphProto {
    let mut b = Builder::new(precision);
    let p = model.features.len();
    let scores = scores::scores(&mut b, model, INPUT, precision);
    let k = model.n_classes();
    match &model.kind {
        ModelKind::Binary { labels, threshold } => {
            let pos = model.class_index(&labels.positive).unwrap_or(1);
            let p_pos = sigmoid(&mut b, &scores);
            let neg_z = b.node("Neg", &[&scores], &[], None);
            let p_neg = sigmoid(&mut b, &neg_z);
            let columns: [&str; 2] = if pos == 1 {
                [&p_neg, &p_pos]
            } else {
                [&p_pos, &p_neg]
            };
            b.node(
                "Concat",
                &columns,
                &[Attr::Int("axis", 1)],
                Some(PROBABILITIES),
            );
            let t = b.constant("threshold", &[1], &[*threshold]);
            let positive = b.node("GreaterOrEqual", &[&p_pos, &t], &[], None);
            let pos_i = b.constant_i64("positive_index", &[1], &[pos as i64]);
            let neg_i = b.constant_i64("negative_index", &[1], &[1 - pos as i64]);
            let column = b.node("Where", &[&positive, &pos_i, &neg_i], &[], None);
            let flat = b.constant_i64("flat", &[1], &[-1]);
            b.node("Reshape", &[&column, &flat], &[], Some(LABEL));
        }
        ModelKind::Multinomial => {
            b.node(
                "Softmax",
                &[&scores],
                &[Attr::Int("axis", 1)],
                Some(PROBABILITIES),
            );
            argmax(&mut b);
        }
        ModelKind::Ovr => {
            // log s(z) = min(z, 0) - log(1 + exp(-|z|)): no overflow, no log of 0.
            let abs = b.node("Abs", &[&scores], &[], None);
            let neg = b.node("Neg", &[&abs], &[], None);
            let exp = b.node("Exp", &[&neg], &[], None);
            let one = b.scalar(1.0);
            let sum = b.node("Add", &[&exp, &one], &[], None);
            let log = b.node("Log", &[&sum], &[], None);
            let zero = b.scalar(0.0);
            let min = b.node("Min", &[&scores, &zero], &[], None);
            let log_s = b.node("Sub", &[&min, &log], &[], None);
            b.node(
                "Softmax",
                &[&log_s],
                &[Attr::Int("axis", 1)],
                Some(PROBABILITIES),
            );
            argmax(&mut b);
        }
    }
    let float = b.float_type();
    let names = feature_names(model).join(", ");
    let inputs = vec![value_info(
        INPUT,
        float,
        &[Dim::Batch, Dim::Fixed(p)],
        &format!("raw feature values, columns in this order: {names}; NaN = missing"),
    )];
    let outputs = vec![
        value_info(
            PROBABILITIES,
            float,
            &[Dim::Batch, Dim::Fixed(k)],
            "P(class k) in the order of metadata `classes`",
        ),
        value_info(
            LABEL,
            data_type::INT64,
            &[Dim::Batch],
            "predicted class: an index into metadata `classes`",
        ),
    ];
    b.finish("logit", doc, inputs, outputs)
}

/// `label = ArgMax(probabilities, axis 1)`: the first of equal maxima, as `predict`.
fn argmax(b: &mut Builder) {
    b.node(
        "ArgMax",
        &[PROBABILITIES],
        &[Attr::Int("axis", 1), Attr::Int("keepdims", 0)],
        Some(LABEL),
    );
}

/// `metadata_props`: what a consumer needs besides the tensors, as JSON values.
fn metadata(model: &Model, precision: Precision) -> Vec<StringStringEntryProto> {
    let mut props = vec![
        ("classes", json!(model.classes).to_string()),
        ("features", json!(feature_names(model)).to_string()),
        ("target", model.target.clone()),
        ("kind", model.kind_name().to_string()),
        ("precision", precision.name().to_string()),
        ("logit_version", env!("CARGO_PKG_VERSION").to_string()),
    ];
    if let Some((labels, threshold)) = model.binary() {
        props.push(("positive_class", labels.positive.clone()));
        props.push(("threshold", json!(threshold).to_string()));
    }
    if let Some(network) = &model.network {
        props.push(("hidden", json!(network.hidden()).to_string()));
        props.push(("activation", network.activation.label()));
    }
    props
        .into_iter()
        .map(|(key, value)| StringStringEntryProto {
            key: key.to_string(),
            value,
        })
        .collect()
}

/// The human-readable contract of the graph (doc string and `--describe`).
fn description(model: &Model, precision: Precision) -> String {
    use std::fmt::Write;
    let ty = precision.onnx_name();
    let names = feature_names(model);
    let fills = fills(model);
    let mut s = String::new();
    let kind = match &model.network {
        Some(n) => format!(
            "network ({} hidden, {}) {}",
            n.hidden()
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(","),
            n.activation.label(),
            model.describe()
        ),
        None => model.describe(),
    };
    let _ = writeln!(s, "logit {kind}, target {:?}", model.target);
    let _ = writeln!(
        s,
        "ONNX opset {OPSET}, {ty} ({}); operators from the default ai.onnx domain only",
        precision.name()
    );
    let _ = writeln!(
        s,
        "input `{INPUT}`: {ty} [N, {}], raw values (original units), columns in this order:",
        names.len()
    );
    for (j, (name, fill)) in names.iter().zip(&fills).enumerate() {
        match fill {
            Some(v) => {
                let _ = writeln!(s, "  {j}: {name} (NaN = missing, filled with {v})");
            }
            None => {
                let _ = writeln!(s, "  {j}: {name}");
            }
        }
    }
    if fills.iter().any(Option::is_none) {
        let _ = writeln!(
            s,
            "  a NaN in a column without a fill value makes that row's outputs NaN"
        );
    }
    let _ = writeln!(
        s,
        "output `{PROBABILITIES}`: {ty} [N, {}], column k = P(class k):",
        model.n_classes()
    );
    for (k, c) in model.classes.iter().enumerate() {
        let _ = writeln!(s, "  {k}: {c:?}");
    }
    match model.binary() {
        Some((labels, t)) => {
            let _ = writeln!(
                s,
                "output `{LABEL}`: int64 [N], class index: P({:?}) >= {t} gives {:?}, else {:?}",
                labels.positive,
                model.class_index(&labels.positive).unwrap_or(1),
                model.class_index(&labels.negative).unwrap_or(0)
            );
        }
        None => {
            let _ = writeln!(
                s,
                "output `{LABEL}`: int64 [N], index of the most probable class (ties: the first)"
            );
        }
    }
    let _ = write!(
        s,
        "metadata_props: classes (JSON list, index = label), features, target, kind, precision"
    );
    if model.binary().is_some() {
        s.push_str(", positive_class, threshold");
    }
    if model.network.is_some() {
        s.push_str(", hidden, activation");
    }
    s.push('\n');
    s
}

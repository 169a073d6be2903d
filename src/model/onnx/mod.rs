//! `logit export`: a model as a self-contained ONNX graph (opset 13, standard `ai.onnx`
//! operators only) that any ONNX runtime scores without logit.
//!
//! The graph takes one input, `features`: the raw values of the model's input columns in model
//! order (`[N, p]`, float64 or float32), NaN meaning a missing cell. It has two outputs:
//! `probabilities` (`[N, K]`, column k = P(class k) in model class order; K = 2 for a binary
//! model) and `label` (`[N]` int64, an index into the classes, whose names are in the metadata
//! entry `classes`). The arithmetic is `predict`'s:
//!
//! - Missing cells: `Where(IsNaN(x), fill, x)` (f64: `Where(Equal(x, x), x, fill)`) with the training fill values (`--missing
//!   mean|median`); a column without a fill keeps its NaN, which makes that row's outputs NaN
//!   (where `predict` stops with an error).
//! - Linear models: standardisation is folded into the weights. `predict` scores with the
//!   original-units coefficients (`z = b + sum_j w_j x_j`), so the graph does the same
//!   `MatMul` + `Add` with the same numbers; a `Sub`/`Div` in front of the standardised
//!   coefficients would be a different rounding of the same function, equal to `predict` only
//!   to about 1e-15 relative per term instead of the same expression.
//! - Network models: `predict` standardises the row (`(x - mean) / std`) and runs the layers,
//!   so the graph does exactly that: `Sub`, `Div`, then per layer `MatMul` + `Add` and the
//!   activation (`Sigmoid`, `Tanh`, `Relu`, `LeakyRelu` with `alpha` = the slope).
//! - Binary: `[s(-z), s(z)]` in class order (as `predict`, never `1 - p`), label
//!   `P(positive) >= threshold` (the model's threshold). Multinomial: `Softmax`. One-vs-rest:
//!   the normalised sigmoids `s(z_k) / sum_j s(z_j)` as `Softmax(log s(z))` with the stable
//!   `log s(z) = min(z, 0) - log(1 + exp(-|z|))`, as `predict` computes them. Multiclass label:
//!   `ArgMax` (ties to the first class, as `predict`).
//! - float64 graphs use only operators that runtimes implement for float64: `Sigmoid`,
//!   `LeakyRelu` and `IsNaN` are float32-only in some (tract among them), so there the sigmoid
//!   is `exp(min(z, 0)) / (1 + exp(-|z|))`, leaky ReLU `Max(z, slope * z)` (also exact in the
//!   slope, which ONNX's float32 `alpha` is not) and the NaN test `Equal(x, x)`. float32
//!   graphs use the operators themselves.
//!
//! One-hot categorical columns are refused, naming them: their encoding would need string
//! inputs and `ai.onnx.ml` operators that many runtimes (tract among them) lack; encode such
//! columns as 0/1 numeric columns before training instead.

use serde_json::json;

use crate::data::encode::ColumnKind;
use crate::error::{Error, Result};
use crate::fit::network::{Activation, Network};
use crate::model::{Model, ModelKind};

mod graph;
pub mod proto;

use graph::{value_info, Attr, Builder, Dim};
use proto::{data_type, ModelProto, OperatorSetIdProto, StringStringEntryProto};

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
    /// float32: weights rounded to nearest float32, for runtimes or devices without float64.
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

/// The training fill value of each input column, `None` where it has none.
fn fills(model: &Model) -> Vec<Option<f64>> {
    model
        .columns
        .iter()
        .map(|c| match c.kind {
            ColumnKind::Numeric { fill } => fill,
            ColumnKind::Categorical { .. } => None,
        })
        .collect()
}

fn build_graph(model: &Model, precision: Precision, doc: String) -> proto::GraphProto {
    let mut b = Builder::new(precision);
    let p = model.features.len();
    let mut x = INPUT.to_string();
    let fills = fills(model);
    if fills.iter().any(Option::is_some) {
        let values: Vec<f64> = fills.iter().map(|f| f.unwrap_or(f64::NAN)).collect();
        let fill = b.constant("fill", &[p], &values);
        x = match precision {
            Precision::F32 => {
                let missing = b.node("IsNaN", &[&x], &[], None);
                b.node("Where", &[&missing, &fill, &x], &[], None)
            }
            // x == x is false exactly for NaN.
            Precision::F64 => {
                let present = b.node("Equal", &[&x, &x], &[], None);
                b.node("Where", &[&present, &x, &fill], &[], None)
            }
        };
    }
    let scores = match &model.network {
        Some(network) => network_scores(&mut b, model, network, &x, precision),
        None => linear_scores(&mut b, model, &x),
    };
    let k = model.n_classes();
    match &model.kind {
        ModelKind::Binary { labels, threshold } => {
            let pos = model.class_index(&labels.positive).unwrap_or(1);
            let p_pos = sigmoid(&mut b, &scores, precision);
            let neg_z = b.node("Neg", &[&scores], &[], None);
            let p_neg = sigmoid(&mut b, &neg_z, precision);
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

/// `z = x W + b` with the original-units coefficients (`[N, n_scores]`).
fn linear_scores(b: &mut Builder, model: &Model, x: &str) -> String {
    let p = model.features.len();
    let k = model.n_scores();
    let mut w = Vec::with_capacity(p * k);
    for j in 0..p {
        w.extend(model.coefficients.iter().map(|row| row[j]));
    }
    let w = b.constant("coefficients", &[p, k], &w);
    let bias = b.constant("intercepts", &[k], &model.intercepts);
    let xw = b.node("MatMul", &[x, &w], &[], None);
    b.node("Add", &[&xw, &bias], &[], None)
}

/// The network's scores: standardise, then each layer (`MatMul` by the transposed weights,
/// `Add` the bias) and, between layers, the activation.
fn network_scores(
    b: &mut Builder,
    model: &Model,
    network: &Network,
    x: &str,
    precision: Precision,
) -> String {
    let p = model.features.len();
    let mean: Vec<f64> = model.features.iter().map(|f| f.mean).collect();
    let std: Vec<f64> = model.features.iter().map(|f| f.std).collect();
    let mean = b.constant("mean", &[p], &mean);
    let std = b.constant("std", &[p], &std);
    let centred = b.node("Sub", &[x, &mean], &[], None);
    let mut a = b.node("Div", &[&centred, &std], &[], None);
    let last = network.layers.len() - 1;
    for (l, layer) in network.layers.iter().enumerate() {
        let (n_in, n_out) = (layer.n_in, layer.n_out);
        let mut wt = vec![0.0; n_in * n_out];
        for o in 0..n_out {
            for i in 0..n_in {
                wt[i * n_out + o] = layer.weights[o * n_in + i];
            }
        }
        let w = b.constant(&format!("layer{l}_weights"), &[n_in, n_out], &wt);
        let bias = b.constant(&format!("layer{l}_bias"), &[n_out], &layer.bias);
        let aw = b.node("MatMul", &[&a, &w], &[], None);
        a = b.node("Add", &[&aw, &bias], &[], None);
        if l < last {
            a = activation(b, network.activation, &a, precision);
        }
    }
    a
}

/// `s(z)`, elementwise. float32: the `Sigmoid` operator. float64: `Sigmoid`, like `LeakyRelu`
/// and `IsNaN`, is float-only in some runtimes (tract among them), so it is written with
/// operators every runtime has for float64, in the form that neither overflows nor loses the
/// small tail: `exp(min(z, 0)) / (1 + exp(-|z|))`.
fn sigmoid(b: &mut Builder, z: &str, precision: Precision) -> String {
    if precision == Precision::F32 {
        return b.node("Sigmoid", &[z], &[], None);
    }
    let zero = b.scalar(0.0);
    let one = b.scalar(1.0);
    let min = b.node("Min", &[z, &zero], &[], None);
    let numerator = b.node("Exp", &[&min], &[], None);
    let abs = b.node("Abs", &[z], &[], None);
    let neg = b.node("Neg", &[&abs], &[], None);
    let exp = b.node("Exp", &[&neg], &[], None);
    let denominator = b.node("Add", &[&exp, &one], &[], None);
    b.node("Div", &[&numerator, &denominator], &[], None)
}

/// One hidden layer's activation over `z`.
fn activation(b: &mut Builder, activation: Activation, z: &str, precision: Precision) -> String {
    match activation {
        Activation::Sigmoid => sigmoid(b, z, precision),
        Activation::Tanh => b.node("Tanh", &[z], &[], None),
        Activation::Relu => b.node("Relu", &[z], &[], None),
        Activation::LeakyRelu { slope } => match precision {
            Precision::F32 => b.node(
                "LeakyRelu",
                &[z],
                &[Attr::Float("alpha", slope as f32)],
                None,
            ),
            // `alpha` is a float32 attribute (0.01 is not one), and float-only in tract:
            // max(z, slope z) = z for z > 0, slope z otherwise (slope in [0, 1)), exactly.
            Precision::F64 => {
                let s = b.scalar(slope);
                let sz = b.node("Mul", &[z, &s], &[], None);
                b.node("Max", &[z, &sz], &[], None)
            }
        },
    }
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

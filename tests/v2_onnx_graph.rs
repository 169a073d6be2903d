//! Issue 14: network graphs (built in memory, every activation) run by tract-onnx against the reference forward pass (standardise, then
//! `Network::scores_into`, then `Model::probabilities`: what `predict` computes), for every
//! activation, binary and multiclass, f64 and f32; and the graph structure of linear models.

use tract_onnx::prelude::*;

use logit::data::encode::ColumnKind;
use logit::fit::network::{Activation, Layer, Network};
use logit::model::onnx::proto::ModelProto;
use logit::model::onnx::{export, Precision};
use logit::model::{Model, ModelKind};

/// The training fill value of each input column.
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

/// A numeric binary model (pima, 7 columns, fill values) written by logit 1.0.
fn pima_model() -> Model {
    let bytes = include_bytes!("fixtures/v1/pima_missing_v1.json");
    Model::from_slice("pima_missing_v1.json", bytes).unwrap()
}

/// The numeric columns of the pima test rows, in model column order.
fn pima_rows(model: &Model) -> Vec<Vec<f64>> {
    let text = include_str!("../fixtures/pima_test.csv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at: Vec<usize> = model
        .columns
        .iter()
        .map(|c| header.iter().position(|h| *h == c.name).unwrap())
        .collect();
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            at.iter().map(|&j| cells[j].parse().unwrap()).collect()
        })
        .collect()
}

/// Deterministic weights in about [-scale, scale] (a linear congruential generator).
fn weights(n: usize, scale: f64, seed: &mut u64) -> Vec<f64> {
    (0..n)
        .map(|_| {
            *seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((*seed >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) * scale
        })
        .collect()
}

fn network(activation: Activation, sizes: &[usize], seed: u64) -> Network {
    let mut s = seed;
    let layers = sizes
        .windows(2)
        .map(|w| Layer {
            n_in: w[0],
            n_out: w[1],
            weights: weights(w[0] * w[1], 2.0 / (w[0] as f64).sqrt(), &mut s),
            bias: weights(w[1], 0.5, &mut s),
        })
        .collect();
    Network { activation, layers }
}

/// `predict`'s probabilities for one raw row of a network model.
fn reference(model: &Model, x: &[f64]) -> Vec<f64> {
    let net = model.network.as_ref().unwrap();
    let z: Vec<f64> = x
        .iter()
        .zip(&model.features)
        .zip(fills(model))
        .map(|((&v, f), fill)| {
            let v = if v.is_nan() { fill.unwrap() } else { v };
            (v - f.mean) / f.std
        })
        .collect();
    let mut scores = vec![0.0; net.n_scores()];
    net.scores_into(&z, &mut scores);
    let mut p = vec![0.0; model.n_classes()];
    model.probabilities(&scores, &mut p);
    p
}

/// tract's `probabilities` and `label` for `rows`.
fn run(bytes: &[u8], rows: &[Vec<f64>], precision: Precision) -> (Vec<Vec<f64>>, Vec<i64>) {
    let (n, p) = (rows.len(), rows[0].len());
    let flat: Vec<f64> = rows.iter().flatten().copied().collect();
    let (fact, input): (InferenceFact, Tensor) = match precision {
        Precision::F64 => (
            f64::fact([n, p]).into(),
            tract_ndarray::Array2::from_shape_vec((n, p), flat)
                .unwrap()
                .into(),
        ),
        Precision::F32 => (
            f32::fact([n, p]).into(),
            tract_ndarray::Array2::from_shape_vec((n, p), flat.iter().map(|&v| v as f32).collect())
                .unwrap()
                .into(),
        ),
    };
    let plan = tract_onnx::onnx()
        .model_for_read(&mut &bytes[..])
        .unwrap()
        .with_input_fact(0, fact)
        .unwrap()
        .into_optimized()
        .unwrap()
        .into_runnable()
        .unwrap();
    let out = plan.run(tvec!(input.into())).unwrap();
    let k = out[0].shape()[1];
    let probs: Vec<f64> = match precision {
        Precision::F64 => out[0]
            .to_plain_array_view::<f64>()
            .unwrap()
            .iter()
            .copied()
            .collect(),
        Precision::F32 => out[0]
            .to_plain_array_view::<f32>()
            .unwrap()
            .iter()
            .map(|&v| f64::from(v))
            .collect(),
    };
    let labels = out[1]
        .to_plain_array_view::<i64>()
        .unwrap()
        .iter()
        .copied()
        .collect();
    (probs.chunks(k).map(<[f64]>::to_vec).collect(), labels)
}

/// Largest |tract - reference| over every probability of `rows`; labels must agree (f32: but
/// within the tolerance of the boundary).
fn worst(model: &Model, rows: &[Vec<f64>], precision: Precision, tol: f64) -> f64 {
    let bytes = export(model, "m.json", precision).unwrap();
    let (got, labels) = run(&bytes, rows, precision);
    let mut worst = 0.0f64;
    for (r, x) in rows.iter().enumerate() {
        let want = reference(model, x);
        for (a, b) in got[r].iter().zip(&want) {
            worst = worst.max((a - b).abs());
        }
        let label = match model.binary() {
            Some((labels, t)) => {
                let pos = model.class_index(&labels.positive).unwrap();
                if want[pos] >= t {
                    pos
                } else {
                    1 - pos
                }
            }
            None => model.predicted_class(&want),
        };
        if labels[r] as usize != label {
            let p = &got[r];
            assert!(
                precision == Precision::F32
                    && (p[labels[r] as usize] - p[label]).abs() <= 2.0 * tol,
                "row {r}: label {} vs {label}",
                labels[r]
            );
        }
    }
    assert!(worst <= tol, "{precision:?}: {worst:e} > {tol:e}");
    worst
}

#[test]
fn network_graphs_equal_the_forward_pass_for_every_activation() {
    let mut model = pima_model();
    let mut rows = pima_rows(&model);
    // A missing cell takes the column's fill value (the model has them: --missing mean).
    let mut missing = rows[0].clone();
    missing[1] = f64::NAN;
    rows.push(missing);
    let p = model.features.len();
    let activations = [
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Relu,
        Activation::LeakyRelu { slope: 0.01 },
        Activation::LeakyRelu { slope: 0.25 },
    ];
    for (i, activation) in activations.into_iter().enumerate() {
        // Binary: one score.
        model.network = Some(network(activation, &[p, 6, 4, 1], i as u64));
        let w64 = worst(&model, &rows, Precision::F64, 1e-12);
        let w32 = worst(&model, &rows, Precision::F32, 1e-6);
        // Multinomial over 3 classes: three scores.
        let mut multi = model.clone();
        multi.kind = ModelKind::Multinomial;
        multi.classes = vec!["a".into(), "b".into(), "c".into()];
        multi.network = Some(network(activation, &[p, 5, 3], 10 + i as u64));
        let m64 = worst(&multi, &rows, Precision::F64, 1e-12);
        let m32 = worst(&multi, &rows, Precision::F32, 1e-6);
        eprintln!(
            "network {}: binary f64 {w64:e} f32 {w32:e}; multinomial f64 {m64:e} f32 {m32:e}",
            activation.label()
        );
    }
}

#[test]
fn float64_graphs_use_no_float32_only_operator() {
    let mut model = pima_model();
    let p = model.features.len();
    model.network = Some(network(
        Activation::LeakyRelu { slope: 0.01 },
        &[p, 3, 1],
        1,
    ));
    let ops = |precision| {
        let bytes = export(&model, "m.json", precision).unwrap();
        let graph: ModelProto = prost::Message::decode(&bytes[..]).unwrap();
        let mut ops: Vec<String> = graph
            .graph
            .unwrap()
            .node
            .into_iter()
            .map(|n| n.op_type)
            .collect();
        ops.sort();
        ops.dedup();
        ops
    };
    let f64_ops = ops(Precision::F64);
    for op in ["Sigmoid", "LeakyRelu", "IsNaN"] {
        assert!(!f64_ops.iter().any(|o| o == op), "{op} in {f64_ops:?}");
    }
    let f32_ops = ops(Precision::F32);
    for op in ["LeakyRelu", "IsNaN"] {
        assert!(f32_ops.iter().any(|o| o == op), "{op} not in {f32_ops:?}");
    }
    // Neither precision uses `Sigmoid`: tract's float32 kernel clamps at ±14.5 (an error of
    // 4.8e-7 on saturated scores).
    assert!(!f32_ops.iter().any(|o| o == "Sigmoid"), "{f32_ops:?}");
}

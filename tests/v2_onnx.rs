//! Issue 14: `logit export` graphs run by an independent ONNX runtime (tract-onnx) give
//! `logit predict`'s probabilities and labels on the reference data: float64 graphs within
//! 1e-12, float32 graphs within 1e-6 (absolute, per probability; both against `predict` on the
//! data and on the data rounded to float32, the graph's actual input), for binary,
//! multinomial, one-vs-rest, weighted, imputing and network models; categorical models are
//! refused.

use std::collections::HashMap;
use std::path::Path;

use tract_onnx::prelude::*;

use crate::util::{parse_csv, Dir};

/// f64 graphs: `predict` within this (absolute, per probability).
const F64_TOL: f64 = 1e-12;
/// f32 graphs (the figure). Their input is the data rounded to float32, which alone
/// moves `predict`'s probabilities by up to 4.6e-7 here (breast_cancer, `--l2 1e-4`).
const F32_TOL: f64 = 1e-6;

/// What tract computed for one graph: `probabilities` row by row, `label` indices.
struct Scored {
    probabilities: Vec<Vec<f64>>,
    labels: Vec<i64>,
}

/// The graph's `metadata_props`, decoded with tract's own protobuf types (onnx.proto compiled
/// by tract), not with logit's.
fn metadata(path: &Path) -> HashMap<String, String> {
    let proto = tract_onnx::onnx()
        .proto_model_for_path(path)
        .expect("tract reads the ONNX protobuf");
    assert_eq!(proto.producer_name, "logit");
    proto
        .metadata_props
        .into_iter()
        .map(|e| (e.key, e.value))
        .collect()
}

/// The rows of `csv` (text) as the graph input: the columns `features` in that order, an
/// empty or `NA` cell as NaN.
fn inputs(csv: &str, features: &[String]) -> Vec<Vec<f64>> {
    let (header, rows) = parse_csv(csv);
    let at: Vec<usize> = features
        .iter()
        .map(|f| header.iter().position(|h| h == f).expect("feature column"))
        .collect();
    rows.iter()
        .map(|r| {
            at.iter()
                .map(|&j| match r[j].trim() {
                    "" | "NA" => f64::NAN,
                    v => v.parse().expect("number"),
                })
                .collect()
        })
        .collect()
}

/// Runs the graph at `path` on `x` with tract (optimised, as a deployment would), feeding
/// float32 when `f32`.
fn run_tract(path: &Path, x: &[Vec<f64>], f32: bool) -> Scored {
    let (n, p) = (x.len(), x[0].len());
    let flat: Vec<f64> = x.iter().flatten().copied().collect();
    let input: Tensor = if f32 {
        let v: Vec<f32> = flat.iter().map(|&v| v as f32).collect();
        tract_ndarray::Array2::from_shape_vec((n, p), v)
            .unwrap()
            .into()
    } else {
        tract_ndarray::Array2::from_shape_vec((n, p), flat)
            .unwrap()
            .into()
    };
    let fact = if f32 {
        f32::fact([n, p])
    } else {
        f64::fact([n, p])
    };
    let model = tract_onnx::onnx()
        .model_for_path(path)
        .expect("tract loads the graph")
        .with_input_fact(0, fact.into())
        .expect("input fact")
        .into_optimized()
        .expect("tract optimises the graph")
        .into_runnable()
        .expect("runnable");
    let out = model
        .run(tvec!(input.into()))
        .expect("tract runs the graph");
    let probs: Vec<f64> = if f32 {
        let v = out[0]
            .to_plain_array_view::<f32>()
            .expect("float32 probabilities");
        v.iter().map(|&p| f64::from(p)).collect()
    } else {
        let v = out[0]
            .to_plain_array_view::<f64>()
            .expect("float64 probabilities");
        v.iter().copied().collect()
    };
    assert_eq!(out[0].shape()[0], n);
    let k = out[0].shape()[1];
    let labels = out[1].to_plain_array_view::<i64>().expect("int64 labels");
    assert_eq!(labels.shape(), &[n]);
    Scored {
        probabilities: probs.chunks(k).map(<[f64]>::to_vec).collect(),
        labels: labels.iter().copied().collect(),
    }
}

/// `predict`'s probabilities of every class (model class order) and its labels. Binary:
/// `probability` is P(positive); the other class gets `1 - p` (exact to 1.1e-16 absolute).
fn predicted(
    out: &str,
    classes: &[String],
    positive: Option<&str>,
) -> (Vec<Vec<f64>>, Vec<String>) {
    let (header, rows) = parse_csv(out);
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let pred = col("prediction");
    let probs = rows
        .iter()
        .map(|r| match positive {
            Some(pos) => {
                let p: f64 = r[col("probability")].parse().unwrap();
                classes
                    .iter()
                    .map(|c| if c == pos { p } else { 1.0 - p })
                    .collect()
            }
            None => classes
                .iter()
                .map(|c| r[col(&format!("probability_{c}"))].parse().unwrap())
                .collect(),
        })
        .collect();
    (probs, rows.iter().map(|r| r[pred].clone()).collect())
}

/// Exports `m.json` (in `dir`) at both precisions, scores `data` with tract and with
/// `logit predict`, and asserts the tolerances; returns the largest differences (f64, f32).
fn check(dir: &Dir, data: &str) -> (f64, f64) {
    dir.run(&["export", "m.json", "-o", "m64.onnx"]).ok();
    dir.run(&["export", "m.json", "-o", "m32.onnx", "--precision", "f32"])
        .ok();
    let meta = metadata(&dir.path().join("m64.onnx"));
    let classes: Vec<String> = serde_json::from_str(&meta["classes"]).unwrap();
    let features: Vec<String> = serde_json::from_str(&meta["features"]).unwrap();
    assert_eq!(meta["precision"], "f64");
    assert_eq!(metadata(&dir.path().join("m32.onnx"))["precision"], "f32");
    let positive = meta.get("positive_class").map(String::as_str);
    let threshold: Option<f64> = meta.get("threshold").map(|t| t.parse().unwrap());
    let run = dir.run(&["predict", "m.json", data]);
    run.ok();
    let (want, want_labels) = predicted(&run.stdout(), &classes, positive);
    let x = inputs(&dir.read(data), &features);
    assert_eq!(x.len(), want.len());
    // The f32 graph's input is the data rounded to float32: `predict` on those values (written
    // exactly) separates the graph's own float32 arithmetic from the rounding of its input,
    // which no graph can undo.
    let x32: Vec<Vec<f64>> = x
        .iter()
        .map(|r| r.iter().map(|&v| f64::from(v as f32)).collect())
        .collect();
    dir.write("rounded.csv", csv_of(&features, &x32));
    let run = dir.run(&["predict", "m.json", "rounded.csv"]);
    run.ok();
    let (want32, _) = predicted(&run.stdout(), &classes, positive);
    let rounding = largest_difference(&want32, &want);
    // Largest |tract - predict|: f64 graph, f32 graph, f32 graph against predict on x32.
    let mut worst = [0.0f64; 3];
    for (i, (file, tol)) in [("m64.onnx", F64_TOL), ("m32.onnx", F32_TOL)]
        .into_iter()
        .enumerate()
    {
        let got = run_tract(&dir.path().join(file), &x, i == 1);
        for (r, (g, w)) in got.probabilities.iter().zip(&want).enumerate() {
            assert_eq!(g.len(), classes.len());
            for (k, (a, b)) in g.iter().zip(w).enumerate() {
                let d = (a - b).abs();
                assert!(
                    d <= tol,
                    "{file} row {r}: tract {g:?} vs predict {w:?} ({d:e})"
                );
                worst[i] = worst[i].max(d);
                if i == 1 {
                    let d32 = (a - want32[r][k]).abs();
                    assert!(
                        d32 <= tol,
                        "{file} row {r}: tract {g:?} vs predict on the float32-rounded row {:?} \
                         ({d32:e})",
                        want32[r]
                    );
                    worst[2] = worst[2].max(d32);
                }
            }
            let label = &classes[got.labels[r] as usize];
            if label != &want_labels[r] {
                // Only a float32 probability within its tolerance of the decision boundary may
                // fall on the other side.
                let close = match (positive, threshold) {
                    (Some(pos), Some(t)) => {
                        let k = classes.iter().position(|c| c == pos).unwrap();
                        (w[k] - t).abs() <= tol
                    }
                    _ => {
                        let mut s = w.clone();
                        s.sort_by(|a, b| b.total_cmp(a));
                        s[0] - s[1] <= 2.0 * tol
                    }
                };
                assert!(
                    i == 1 && close,
                    "{file} row {r}: label {label} vs {}",
                    want_labels[r]
                );
            }
        }
    }
    let leftovers: Vec<String> = dir
        .listing()
        .into_iter()
        .filter(|f| f.starts_with(".logit-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    eprintln!(
        "onnx {data} {} {}: max |tract - predict| f64 {:.2e}, f32 {:.2e}; f32 against predict \
         on the float32-rounded input {:.2e}; that rounding alone moves predict by {rounding:.2e}",
        meta["kind"],
        meta.get("activation").map_or("", String::as_str),
        worst[0],
        worst[1],
        worst[2]
    );
    (worst[0], worst[1])
}

/// Largest absolute difference between two tables of probabilities.
fn largest_difference(a: &[Vec<f64>], b: &[Vec<f64>]) -> f64 {
    a.iter()
        .flatten()
        .zip(b.iter().flatten())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// `rows` as CSV text with header `names`, each value written exactly (shortest round trip),
/// NaN as an empty cell.
fn csv_of(names: &[String], rows: &[Vec<f64>]) -> String {
    let mut s = names.join(",");
    s.push('\n');
    for r in rows {
        let cells: Vec<String> = r
            .iter()
            .map(|v| {
                if v.is_nan() {
                    String::new()
                } else {
                    format!("{v:?}")
                }
            })
            .collect();
        s.push_str(&cells.join(","));
        s.push('\n');
    }
    s
}

fn train(dir: &Dir, args: &[&str]) {
    let mut all = vec!["train"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-o", "m.json", "-q"]);
    dir.run(&all).ok();
}

#[test]
fn binary_pima_and_breast_cancer_graphs_equal_predict() {
    let dir = Dir::new();
    dir.fixture("pima_train.csv").fixture("pima_test.csv");
    train(
        &dir,
        &["pima_train.csv", "--target", "type", "--positive", "Yes"],
    );
    check(&dir, "pima_test.csv");
    // A threshold of the model's own goes into the label.
    train(
        &dir,
        &[
            "pima_train.csv",
            "--target",
            "type",
            "--positive",
            "No",
            "--l2",
            "0",
        ],
    );
    dir.run(&[
        "threshold",
        "m.json",
        "pima_train.csv",
        "--pick",
        "f1",
        "-o",
        "m.json",
        "-q",
    ])
    .ok();
    check(&dir, "pima_test.csv");

    let dir = Dir::new();
    dir.fixture("breast_cancer_train.csv")
        .fixture("breast_cancer_test.csv");
    // The data are separable: the reference fits' lambdas (fixtures/breast_cancer.expected.json).
    for l2 in ["0.01", "0.0001"] {
        train(
            &dir,
            &[
                "breast_cancer_train.csv",
                "--target",
                "diagnosis",
                "--positive",
                "malignant",
                "--l2",
                l2,
            ],
        );
        check(&dir, "breast_cancer_test.csv");
    }
}

#[test]
fn multinomial_and_ovr_graphs_equal_predict() {
    let dir = Dir::new();
    for f in [
        "iris_train.csv",
        "iris_test.csv",
        "wine_train.csv",
        "wine_test.csv",
    ] {
        std::fs::copy(
            crate::util::fixtures().join("multi").join(f),
            dir.path().join(f),
        )
        .unwrap();
    }
    train(&dir, &["iris_train.csv", "--target", "Species"]);
    check(&dir, "iris_test.csv");
    train(
        &dir,
        &[
            "iris_train.csv",
            "--target",
            "Species",
            "--multiclass",
            "ovr",
        ],
    );
    check(&dir, "iris_test.csv");
    train(&dir, &["wine_train.csv", "--target", "cultivar"]);
    check(&dir, "wine_test.csv");
    train(
        &dir,
        &[
            "wine_train.csv",
            "--target",
            "cultivar",
            "--multiclass",
            "ovr",
        ],
    );
    check(&dir, "wine_test.csv");
}

#[test]
fn weighted_and_imputing_graphs_equal_predict() {
    let dir = Dir::new();
    for f in ["pima_w_train.csv", "pima_w_test.csv"] {
        std::fs::copy(
            crate::util::fixtures().join("multi").join(f),
            dir.path().join(f),
        )
        .unwrap();
    }
    // The weight column is not a feature: the graph's input leaves it out.
    train(
        &dir,
        &["pima_w_train.csv", "--target", "type", "--weight", "w"],
    );
    check(&dir, "pima_w_test.csv");
    let meta = metadata(&dir.path().join("m64.onnx"));
    assert!(!meta["features"].contains("\"w\""), "{}", meta["features"]);

    // Missing cells are NaN in the graph input and take the training fill values.
    let dir = Dir::new();
    dir.fixture("pima_with_missing.csv");
    train(
        &dir,
        &[
            "pima_with_missing.csv",
            "--target",
            "type",
            "--missing",
            "median",
        ],
    );
    check(&dir, "pima_with_missing.csv");
    let text = dir.read("pima_with_missing.csv");
    assert!(
        text.contains(",,") || text.contains(",NA"),
        "the data has missing cells"
    );
}

#[test]
fn describe_states_the_input_order_outputs_and_classes() {
    let dir = Dir::new();
    dir.fixture("pima_train.csv");
    train(
        &dir,
        &["pima_train.csv", "--target", "type", "--exclude", "skin"],
    );
    let run = dir.run(&["export", "m.json", "--describe"]);
    run.ok();
    let text = run.stdout();
    let order = ["npreg", "glu", "bp", "bmi", "ped", "age"];
    for (j, name) in order.iter().enumerate() {
        assert!(text.contains(&format!("  {j}: {name}\n")), "{text}");
    }
    assert!(!text.contains("skin"), "{text}");
    for word in [
        "double [N, 6]",
        "probabilities",
        "label",
        "\"No\"",
        "\"Yes\"",
        ">= 0.5",
    ] {
        assert!(text.contains(word), "{word} in {text}");
    }
    // No file without -o; with -o the graph's doc string is the same text.
    assert!(!dir.exists("m.onnx"));
    let f32 = dir.run(&[
        "export",
        "m.json",
        "-o",
        "m.onnx",
        "--describe",
        "--precision",
        "f32",
    ]);
    f32.ok();
    assert!(f32.stdout().contains("float [N, 6]"));
    let proto = tract_onnx::onnx()
        .proto_model_for_path(dir.path().join("m.onnx"))
        .unwrap();
    assert_eq!(proto.doc_string, f32.stdout());
    assert_eq!(proto.graph.unwrap().input[0].name, "features");
}

#[test]
fn categorical_models_and_bad_destinations_are_refused() {
    let dir = Dir::new();
    dir.fixture("computers_train.csv");
    train(&dir, &["computers_train.csv", "--target", "premium"]);
    dir.run(&["export", "m.json", "-o", "m.onnx"])
        .expect_code(2)
        .stderr_has(&["m.json", "categorical", "cd, multi", "numeric"]);
    assert!(!dir.exists("m.onnx"));
    // The graph may not replace the model, nor go to stdout beside the description.
    dir.fixture("pima_train.csv");
    train(&dir, &["pima_train.csv", "--target", "type"]);
    let before = dir.read("m.json");
    dir.run(&["export", "m.json", "-o", "m.json"])
        .expect_code(2);
    assert_eq!(dir.read("m.json"), before);
    dir.run(&["export", "m.json", "-o", "-", "--describe"])
        .expect_code(2);
    dir.run(&["export", "m.json"]).expect_code(2);
    dir.run(&["export", "nope.json", "-o", "m.onnx"])
        .expect_code(2)
        .stderr_has(&["nope.json"]);
    dir.run(&["export", "pima_train.csv", "-o", "m.onnx"])
        .expect_code(2);
    assert!(!dir.exists("m.onnx"));
}

#[test]
fn network_graphs_equal_predict() {
    let dir = Dir::new();
    dir.fixture("pima_train.csv").fixture("pima_test.csv");
    for activation in ["relu", "tanh", "sigmoid", "leaky-relu:0.05"] {
        train(
            &dir,
            &[
                "pima_train.csv",
                "--target",
                "type",
                "--hidden",
                "6,3",
                "--activation",
                activation,
                "--l2",
                "0.01",
                "--seed",
                "3",
                "--max-iter",
                "200",
            ],
        );
        let meta_hidden = {
            check(&dir, "pima_test.csv");
            metadata(&dir.path().join("m64.onnx"))["hidden"].clone()
        };
        assert_eq!(meta_hidden, "[6,3]");
    }
    for f in ["iris_train.csv", "iris_test.csv"] {
        std::fs::copy(
            crate::util::fixtures().join("multi").join(f),
            dir.path().join(f),
        )
        .unwrap();
    }
    train(
        &dir,
        &[
            "iris_train.csv",
            "--target",
            "Species",
            "--hidden",
            "5",
            "--activation",
            "tanh",
            "--l2",
            "0.01",
            "--seed",
            "1",
            "--max-iter",
            "200",
        ],
    );
    check(&dir, "iris_test.csv");
}

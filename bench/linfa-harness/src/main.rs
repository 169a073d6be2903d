//! linfa-logistic 0.8.1 peer for `logit train`.
//!
//! Reads the CSV with the csv crate and `str::parse::<f64>`, standardises every feature with
//! its mean and population std (as logit does), fits `LogisticRegression` with
//! `alpha = l2 * n` (linfa minimises the SUM of log losses + (alpha/2)||w||^2, intercept
//! unpenalised, so its minimiser is logit's) and `gradient_tolerance = tol * n` (its test is
//! the Euclidean norm of the summed gradient), then prints one JSON line with logit's objective
//! at the fitted parameters and the phase times, and writes the parameters (standardised scale)
//! as JSON to --params-out.
//!
//! Usage: linfa-harness DATA.csv --target y --l2 L --tol T --max-iter N --params-out P.json

use std::time::Instant;

use linfa::dataset::DatasetBase;
use linfa::traits::Fit;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2};

fn arg(args: &[String], name: &str) -> String {
    let i = args
        .iter()
        .position(|a| a == name)
        .unwrap_or_else(|| panic!("missing {name}"));
    args[i + 1].clone()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = &args[1];
    let target = arg(&args, "--target");
    let l2: f64 = arg(&args, "--l2").parse().unwrap();
    let tol: f64 = arg(&args, "--tol").parse().unwrap();
    let max_iter: u64 = arg(&args, "--max-iter").parse().unwrap();
    let params_out = arg(&args, "--params-out");

    let t0 = Instant::now();
    let mut reader = csv::Reader::from_path(path).expect("open data");
    let header = reader.headers().expect("header").clone();
    let ty = header.iter().position(|h| h == target).expect("target column");
    let p = header.len() - 1;
    let mut values: Vec<f64> = Vec::new();
    let mut labels: Vec<bool> = Vec::new();
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).expect("read record") {
        for (j, field) in record.iter().enumerate() {
            let v: f64 = field.trim().parse().expect("number");
            if j == ty {
                labels.push(v == 1.0);
            } else {
                values.push(v);
            }
        }
    }
    let n = labels.len();
    let mut x = Array2::from_shape_vec((n, p), values).expect("shape");
    let y = Array1::from_vec(labels);
    let t1 = Instant::now();

    for mut col in x.columns_mut() {
        let mean = col.sum() / n as f64;
        let var = col.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
        let std = if var > 0.0 { var.sqrt() } else { 1.0 };
        col.mapv_inplace(|v| (v - mean) / std);
    }
    let t2 = Instant::now();

    let nf = n as f64;
    let fitted = LogisticRegression::<f64>::default()
        .alpha(l2 * nf)
        .max_iterations(max_iter)
        .gradient_tolerance(tol * nf)
        .fit(&DatasetBase::new(x.view(), y.view()))
        .expect("fit");
    let t3 = Instant::now();

    // linfa makes the more frequent label its positive class: flip to "positive = true".
    let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
    let w: Vec<f64> = fitted.params().iter().map(|v| sign * v).collect();
    let b = sign * fitted.intercept();
    let mut loss = 0.0;
    for (row, &yi) in x.rows().into_iter().zip(y.iter()) {
        let z: f64 = row.iter().zip(&w).map(|(a, c)| a * c).sum::<f64>() + b;
        // log(1 + exp(z)) - y z, computed stably.
        let softplus = z.max(0.0) + (-z.abs()).exp().ln_1p();
        loss += softplus - if yi { z } else { 0.0 };
    }
    let objective = loss / nf + 0.5 * l2 * w.iter().map(|v| v * v).sum::<f64>();

    let list = |v: &[f64]| {
        v.iter()
            .map(|c| format!("{c:?}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    std::fs::write(&params_out, format!("{{\"w\":[{}],\"b\":{b:?}}}\n", list(&w)))
        .expect("write params");
    println!(
        "{{\"objective\":{objective:?},\"phases\":{{\"read\":{:?},\"scale\":{:?},\"fit\":{:?}}}}}",
        (t1 - t0).as_secs_f64(),
        (t2 - t1).as_secs_f64(),
        (t3 - t2).as_secs_f64()
    );
}

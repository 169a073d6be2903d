//! `logit predict` on svmlight input: each row scored straight from its `idx:value` pairs by
//! [`PairScorer`] (a model whose features are all `f<idx>`), chunks of lines parsed and scored
//! in parallel and written in input order. The output is CSV as for CSV input; `--keep label`
//! copies each line's label in front (svmlight data has no other column).
//!
//! Blank and comment lines give no output row. Bad input stops with one message naming the
//! line and token, and the output file is never left half written.

use std::io::Write;

use super::{finish, format_probability, push_field, Decision, PredictConfig};
use crate::data::input::{Output, Source};
use crate::data::svmlight::chunks::{for_each_chunk, ChunkError};
use crate::data::svmlight::TARGET;
use crate::error::{Error, Result};
use crate::fit::numerics;
use crate::model::probability::argmax;
use crate::model::svmlight::PairScorer;
use crate::model::Model;

/// [`super::predict_with`] for svmlight input.
pub fn predict(config: &PredictConfig, model: &Model, source: Source) -> Result<u64> {
    let keep_label = match config.keep.as_slice() {
        [] => false,
        [only] if only == TARGET => true,
        _ => {
            return Err(Error::Usage(format!(
                "{}: --keep {}: svmlight data has no columns but its label; --keep {TARGET} \
                 copies each line's label into the output",
                source.name,
                config.keep.join(",")
            )))
        }
    };
    let scorer = PairScorer::new(model, &source.name)?;
    let decision = match model.binary() {
        Some((labels, stored)) => Decision::Binary {
            threshold: config.threshold.unwrap_or(stored),
            positive: labels.positive.clone(),
            negative: labels.negative.clone(),
        },
        None => Decision::Classes { model },
    };
    let mut out = Output::create_data(&config.output, &[&config.data, &config.model])?;
    let out_name = out.name().to_string();
    let write_err = |e: std::io::Error| Error::io(&out_name, "write it", e);
    let mut header = Vec::new();
    if keep_label {
        header.extend_from_slice(TARGET.as_bytes());
        header.push(b',');
    }
    match &decision {
        Decision::Binary { .. } => header.extend_from_slice(b"probability,"),
        Decision::Classes { model } => {
            for class in &model.classes {
                push_field(&mut header, format!("probability_{class}").as_bytes());
                header.push(b',');
            }
        }
    }
    header.extend_from_slice(b"prediction\n");
    out.write_all(&header).map_err(write_err)?;

    let (file, input) = source.into_reader();
    let n_probabilities = match decision {
        Decision::Binary { .. } => 1,
        Decision::Classes { model } => model.n_classes(),
    };
    let score_chunk = |chunk: &[u8]| -> Result<(Vec<u8>, u64), ChunkError> {
        let mut bytes = Vec::with_capacity(chunk.len() / 8 + 64);
        let mut buffer = ryu::Buffer::new();
        let mut scores = vec![0.0; scorer.n_scores()];
        let mut probabilities = vec![0.0; n_probabilities];
        let mut rows = 0u64;
        scorer.for_each_row(chunk, |_, label, pairs| {
            scorer.score_into(pairs, &mut scores)?;
            let predicted = match &decision {
                Decision::Binary {
                    threshold,
                    positive,
                    negative,
                } => {
                    probabilities[0] = numerics::sigmoid(scores[0]);
                    if probabilities[0] >= *threshold {
                        positive
                    } else {
                        negative
                    }
                }
                Decision::Classes { model } => {
                    model.probabilities(&scores, &mut probabilities);
                    &model.classes[argmax(&probabilities)]
                }
            };
            if keep_label {
                push_field(&mut bytes, label.as_bytes());
                bytes.push(b',');
            }
            for &p in &probabilities {
                bytes.extend_from_slice(format_probability(p, &mut buffer).as_bytes());
                bytes.push(b',');
            }
            push_field(&mut bytes, predicted.as_bytes());
            bytes.push(b'\n');
            rows += 1;
            Ok(())
        })?;
        Ok((bytes, rows))
    };
    let mut rows = 0u64;
    for_each_chunk(&file, input, score_chunk, |(bytes, n), _| {
        rows += n;
        out.write_all(&bytes).map_err(write_err)
    })?;
    finish(out, &out_name, rows)
}

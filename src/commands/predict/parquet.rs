//! `logit predict` on Parquet input, and `-o out.parquet` for any input.
//!
//! Each Parquet row is scored as the CSV row holding the same cells would be
//! ([`crate::data::parquet::rows`]), so the probabilities and labels equal the CSV path's bit
//! for bit. The output is CSV text, as for a CSV input, or Parquet when `-o` ends in `.parquet`
//! (kept columns with their input types, `probability[_<class>]` as Float64, `prediction`).
//! Memory is bounded by one batch of rows.

use std::sync::Arc;

use arrow_array::{ArrayRef, StringArray};
use arrow_schema::{DataType, Field};

use super::{format_probability, PredictConfig};
use crate::data::encode::ColumnKind;
use crate::data::input::{missing_columns, Output, Source};
use crate::data::parquet::rows::{line_of, ParquetRows, HEADER_LINE};
use crate::data::parquet::write::{is_parquet_path, PredictionWriter, BATCH_ROWS};
use crate::error::{Error, Result};
use crate::fit::numerics;
use crate::model::probability::argmax;
use crate::model::Model;

/// How scores become probabilities and a label.
struct Decide<'m> {
    model: &'m Model,
    /// Binary: (threshold, positive, negative).
    binary: Option<(f64, String, String)>,
}

impl Decide<'_> {
    fn new<'m>(model: &'m Model, config: &PredictConfig) -> Decide<'m> {
        let binary = model.binary().map(|(labels, stored)| {
            (
                config.threshold.unwrap_or(stored),
                labels.positive.clone(),
                labels.negative.clone(),
            )
        });
        Decide { model, binary }
    }

    /// Output column names of the probabilities.
    fn names(&self) -> Vec<String> {
        match self.binary {
            Some(_) => vec!["probability".to_string()],
            None => self
                .model
                .classes
                .iter()
                .map(|c| format!("probability_{c}"))
                .collect(),
        }
    }

    fn n_scores(&self) -> usize {
        if self.binary.is_some() {
            1
        } else {
            self.model.n_classes()
        }
    }

    /// The probabilities of `scores` into `p`; returns the predicted label.
    fn decide(&self, scores: &[f64], p: &mut [f64]) -> &str {
        match &self.binary {
            Some((threshold, positive, negative)) => {
                p[0] = numerics::sigmoid(scores[0]);
                if p[0] >= *threshold {
                    positive
                } else {
                    negative
                }
            }
            None => {
                self.model.probabilities(scores, p);
                &self.model.classes[argmax(p)]
            }
        }
    }
}

/// Appends `bytes` as one CSV field (quoted when it holds a comma, quote or line break), as
/// the CSV path writes it.
fn push_field(out: &mut Vec<u8>, bytes: &[u8]) {
    if bytes
        .iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
    {
        out.push(b'"');
        for &b in bytes {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(bytes);
    }
}

/// Scores the opened Parquet input `source`; returns the number of rows written.
pub fn predict(config: &PredictConfig, model: &Model, source: Source) -> Result<u64> {
    let rows = ParquetRows::open(source)?;
    let name = rows.name().to_string();
    let header = rows.header().to_vec();
    let scorer = model
        .scorer(&name, HEADER_LINE, &header)
        .map_err(|e| rows.relocate(e))?;
    let position = |n: &str| header.iter().position(|h| h == n);
    let absent: Vec<String> = config
        .keep
        .iter()
        .filter(|k| position(k).is_none())
        .cloned()
        .collect();
    if !absent.is_empty() {
        return Err(rows.relocate(missing_columns(&name, HEADER_LINE, &header, absent).into()));
    }
    let keep: Vec<usize> = config
        .keep
        .iter()
        .map(|k| position(k).expect("checked"))
        .collect();
    let features: Vec<usize> = model
        .columns
        .iter()
        .filter_map(|c| position(&c.name))
        .collect();
    let numeric: Vec<usize> = model
        .columns
        .iter()
        .filter(|c| matches!(c.kind, ColumnKind::Numeric { .. }))
        .filter_map(|c| position(&c.name))
        .collect();
    let mut needed: Vec<usize> = features.iter().chain(&keep).copied().collect();
    needed.sort_unstable();
    needed.dedup();
    let decide = Decide::new(model, config);
    let mut out = Output::create_data(&config.output, &[&config.data, &config.model])?;
    let out_name = out.name().to_string();
    let write_err = |e: std::io::Error| Error::io(&out_name, "write it", e);
    let mut scores = vec![0.0; decide.n_scores()];
    let mut p = vec![0.0; scores.len()];
    let mut n = 0u64;

    if is_parquet_path(&config.output) {
        let fields: Vec<Field> = keep
            .iter()
            .map(|&c| Field::new(&header[c], rows.file.data_type(c).clone(), true))
            .collect();
        let mut writer = PredictionWriter::new(out, fields, &decide.names())?;
        let (mut probs, mut labels): (Vec<f64>, Vec<String>) = (Vec::new(), Vec::new());
        rows.for_each(&needed, &numeric, |record, row, batch, k| {
            scorer.score_into(record, line_of(row), &mut scores)?;
            let label = decide.decide(&scores, &mut p);
            probs.extend_from_slice(&p);
            labels.push(label.to_string());
            n += 1;
            if k + 1 == batch.num_rows() {
                let kept: Vec<ArrayRef> = keep
                    .iter()
                    .map(|c| {
                        batch
                            .column(needed.binary_search(c).expect("needed"))
                            .clone()
                    })
                    .collect();
                let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
                writer.write(kept, &probs, &refs)?;
                probs.clear();
                labels.clear();
            }
            Ok(())
        })?;
        writer.finish()?;
        return Ok(n);
    }

    let mut line = Vec::new();
    for &c in &keep {
        push_field(&mut line, header[c].as_bytes());
        line.push(b',');
    }
    for name in decide.names() {
        push_field(&mut line, name.as_bytes());
        line.push(b',');
    }
    line.extend_from_slice(b"prediction\n");
    std::io::Write::write_all(&mut out, &line).map_err(write_err)?;
    let mut buffer = ryu::Buffer::new();
    rows.for_each(&needed, &numeric, |record, row, _, _| {
        scorer.score_into(record, line_of(row), &mut scores)?;
        let label = decide.decide(&scores, &mut p);
        line.clear();
        for &c in &keep {
            push_field(&mut line, record[c].as_bytes());
            line.push(b',');
        }
        for &v in &p {
            line.extend_from_slice(format_probability(v, &mut buffer).as_bytes());
            line.push(b',');
        }
        push_field(&mut line, label.as_bytes());
        line.push(b'\n');
        std::io::Write::write_all(&mut out, &line).map_err(write_err)?;
        n += 1;
        Ok(())
    })?;
    std::io::Write::flush(&mut out).map_err(write_err)?;
    out.commit()?;
    Ok(n)
}

/// `-o out.parquet` from a text input (CSV, svmlight): `text_predict` writes its usual CSV output
/// to a temporary file beside the target, which is then turned into Parquet (kept columns as
/// text).
pub fn csv_to_parquet_output(
    config: &PredictConfig,
    model: &Model,
    source: Source,
    text_predict: fn(&PredictConfig, &Model, Source) -> Result<u64>,
) -> Result<u64> {
    let out = Output::create(&config.output, &[&config.data, &config.model])?;
    let dir = std::path::Path::new(&config.output)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let temp = tempfile::Builder::new()
        .prefix(".logit-")
        .suffix(".csv.tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io(&config.output, "create a temporary file beside it", e))?;
    let temp_path = temp.path().to_string_lossy().into_owned();
    let mut csv_config = config.clone();
    csv_config.output = temp_path.clone();
    let n = text_predict(&csv_config, model, source)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(&temp_path)
        .map_err(|e| Error::io(&temp_path, "read it", std::io::Error::other(e.to_string())))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| Error::io(&temp_path, "read it", std::io::Error::other(e.to_string())))?
        .iter()
        .map(str::to_string)
        .collect();
    let n_keep = config.keep.len();
    let n_probs = header.len() - n_keep - 1;
    let fields: Vec<Field> = header[..n_keep]
        .iter()
        .map(|h| Field::new(h, DataType::Utf8, true))
        .collect();
    let mut writer = PredictionWriter::new(out, fields, &header[n_keep..n_keep + n_probs])?;
    let mut kept: Vec<Vec<String>> = vec![Vec::new(); n_keep];
    let (mut probs, mut labels): (Vec<f64>, Vec<String>) = (Vec::new(), Vec::new());
    let flush = |kept: &mut Vec<Vec<String>>,
                 probs: &mut Vec<f64>,
                 labels: &mut Vec<String>,
                 writer: &mut PredictionWriter|
     -> Result<()> {
        let arrays: Vec<ArrayRef> = kept
            .iter_mut()
            .map(|k| Arc::new(StringArray::from(std::mem::take(k))) as ArrayRef)
            .collect();
        let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
        writer.write(arrays, probs, &refs)?;
        probs.clear();
        labels.clear();
        Ok(())
    };
    let mut record = csv::StringRecord::new();
    while reader
        .read_record(&mut record)
        .map_err(|e| Error::io(&temp_path, "read it", std::io::Error::other(e.to_string())))?
    {
        for (j, k) in kept.iter_mut().enumerate() {
            k.push(record[j].to_string());
        }
        for j in 0..n_probs {
            let v: f64 = record[n_keep + j].parse().map_err(|_| {
                Error::io(
                    &temp_path,
                    "read it",
                    std::io::Error::other("a bad probability"),
                )
            })?;
            probs.push(v);
        }
        labels.push(record[n_keep + n_probs].to_string());
        if labels.len() == BATCH_ROWS {
            flush(&mut kept, &mut probs, &mut labels, &mut writer)?;
        }
    }
    if !labels.is_empty() || n == 0 {
        flush(&mut kept, &mut probs, &mut labels, &mut writer)?;
    }
    drop(temp);
    writer.finish()?;
    Ok(n)
}

//! `logit predict`: stream a CSV through a model, one output row per input record, in order.
//!
//! Memory does not grow with the input: one reused record buffer in, one buffered writer out.
//! A file output is written to a temporary file and renamed at the end, so a failure halfway
//! never leaves a partial file or clobbers an old one.

use std::io::Write;

use crate::cli::PredictArgs;
use crate::data::encode::RowScorer;
use crate::data::input::{csv_error, delimiter_for, read_header, Output, Source};
use crate::data::missing::Markers;
use crate::error::{DataError, DataErrorKind, Error, Location, Result};
use crate::exit::ExitStatus;
use crate::model::Model;
use crate::numerics;

/// A validated predict configuration.
#[derive(Debug, Clone)]
pub struct PredictConfig {
    pub model: String,
    pub data: String,
    pub output: String,
    pub threshold: Option<f64>,
    pub keep: Vec<String>,
    pub delimiter: u8,
}

impl PredictConfig {
    pub fn from_args(args: &PredictArgs) -> PredictConfig {
        PredictConfig {
            model: args.model.clone(),
            data: args.data.clone(),
            output: args.output.clone(),
            threshold: args.threshold,
            keep: args.keep.clone(),
            delimiter: delimiter_for(&args.data, args.delimiter),
        }
    }
}

pub fn run(args: &PredictArgs) -> Result<ExitStatus> {
    predict(&PredictConfig::from_args(args))?;
    Ok(ExitStatus::Success)
}

/// Formats a probability as the shortest decimal that parses back to the same f64.
pub fn format_probability(p: f64, buffer: &mut ryu::Buffer) -> &str {
    buffer.format_finite(p)
}

/// Scores `config.data` and writes `[kept columns...],probability,prediction`.
/// Returns the number of rows written.
pub fn predict(config: &PredictConfig) -> Result<u64> {
    let model = Model::load(&config.model)?;
    let threshold = config.threshold.unwrap_or(model.threshold);
    let source = Source::open(&config.data)?;
    let mut out = Output::create(&config.output, &[&config.data, &config.model])?;
    let out_name = out.name().to_string();
    let (file, mut reader) = source.csv_reader(config.delimiter);
    let header = read_header(&file, &mut reader)?;
    let scorer = RowScorer::new(
        &file,
        &header,
        &model.columns,
        &model.coefficients(),
        model.intercept,
        Markers::new(model.missing.na_values.clone()),
        model.missing.policy,
    )?;
    let keep = keep_indices(&file, &header, &config.keep)?;

    let write_err = |e: csv::Error| -> Error {
        match e.into_kind() {
            csv::ErrorKind::Io(io) => Error::io(&out_name, "write it", io),
            other => Error::io(&out_name, "write it", std::io::Error::other(format!("{other:?}"))),
        }
    };
    let mut writer = csv::WriterBuilder::new().buffer_capacity(1 << 16).from_writer(&mut out);
    for &i in &keep {
        writer.write_field(&header[i]).map_err(write_err)?;
    }
    writer.write_record(["probability", "prediction"]).map_err(write_err)?;

    let mut record = csv::StringRecord::new();
    let mut buffer = ryu::Buffer::new();
    let mut rows = 0u64;
    let mut line = 1;
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(&file, e).into()),
        }
        line = record.position().map_or(line + 1, |p| p.line());
        let z = scorer.score(&record, line)?;
        let p = numerics::sigmoid(z);
        for &i in &keep {
            writer.write_field(&record[i]).map_err(write_err)?;
        }
        writer.write_field(format_probability(p, &mut buffer)).map_err(write_err)?;
        let label = if p >= threshold { &model.labels.positive } else { &model.labels.negative };
        writer.write_field(label).map_err(write_err)?;
        writer.write_record(None::<&[u8]>).map_err(write_err)?;
        rows += 1;
    }
    writer.flush().map_err(|e| Error::io(&out_name, "write it", e))?;
    drop(writer);
    out.flush().map_err(|e| Error::io(&out_name, "write it", e))?;
    out.commit()?;
    Ok(rows)
}

/// Header indices of the `--keep` columns, failing with every name the header lacks.
fn keep_indices(file: &str, header: &[String], keep: &[String]) -> Result<Vec<usize>> {
    let missing: Vec<String> = keep.iter().filter(|k| !header.contains(k)).cloned().collect();
    if !missing.is_empty() {
        return Err(DataError::new(
            Location { file: file.to_string(), line: Some(1), column: missing.first().cloned() },
            DataErrorKind::MissingColumns { names: missing },
        )
        .into());
    }
    Ok(keep.iter().map(|k| header.iter().position(|h| h == k).expect("checked")).collect())
}

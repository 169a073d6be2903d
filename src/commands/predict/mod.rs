//! `logit predict`: stream a CSV through a model, one output row per input record, in order.
//!
//! A binary model writes `probability,prediction` (P(positive), and the label the threshold
//! picks); a multiclass model writes `probability_<label>` per class in model order, then
//! `prediction`, the most probable class (ties: the first in class order).
//!
//! Memory does not grow with the input: one reused record buffer in, one buffered writer out.
//! A file output is written to a temporary file and renamed at the end, so a failure halfway
//! never leaves a partial file or clobbers an old one.

mod parquet;
mod svmlight;

use std::collections::HashMap;
use std::io::{Read, Write};

use crate::cli::PredictArgs;
use crate::data::format::InputFormat;
use crate::data::input::{delimiter_for, missing_columns, read_error, Output, Source};
use crate::data::limits::MAX_RECORD_BYTES;
use crate::data::parquet::write::is_parquet_path;
use crate::data::records::{self, Records};
use crate::error::{Error, Result};
use crate::exit::ExitStatus;
use crate::fit::numerics;
use crate::model::probability::argmax;
use crate::model::scorer::RowScorer;
use crate::model::Model;

/// A validated predict configuration.
#[derive(Debug, Clone)]
pub struct PredictConfig {
    pub model: String,
    pub data: String,
    pub output: String,
    pub threshold: Option<f64>,
    pub keep: Vec<String>,
    pub delimiter: u8,
    /// `--format` (`None`: detected from the name and first bytes).
    pub format: Option<InputFormat>,
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
            format: args.format.map(InputFormat::from),
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

/// Input bytes handed to one worker at a time (whole lines).
const CHUNK_BYTES: usize = 1 << 20;

/// Scores `config.data` and writes `[kept columns...],probability,prediction` (binary) or
/// `[kept columns...],probability_<class>...,prediction` (multiclass).
/// Returns the number of rows written.
///
/// The header is read by [`Records`]. Records then go through a fast path while the input is
/// plain (no quotes, no lone `\r`, UTF-8, every cell a number or a known level): chunks of
/// whole lines are scored in parallel and written in input order. At the first chunk the fast
/// path is unsure of, the rest of the input goes through [`Records`], which handles every
/// dialect and reports errors with their line. Both follow the rules of
/// [`crate::data::records`] (blank lines, line ends, limits), so the switch changes nothing in
/// the output. Memory stays bounded by a few chunks and the record limit whatever the input size.
pub fn predict(config: &PredictConfig) -> Result<u64> {
    let model = Model::load(&config.model)?;
    let rows = predict_with(config, &model)?;
    // After success only, so that an error stays the one line on stderr.
    super::eval::warn_about_fit(&config.model, &model);
    Ok(rows)
}

/// [`predict`] with the model loaded.
fn predict_with(config: &PredictConfig, model: &Model) -> Result<u64> {
    if config.threshold.is_some() && !model.is_binary() {
        return Err(Error::Usage(format!(
            "{}: --threshold applies to binary models only: this {} predicts the most probable class",
            config.model,
            model.describe()
        )));
    }
    let source = Source::open_any(&config.data)?;
    match source.format(config.format) {
        InputFormat::Csv if is_parquet_path(&config.output) => {
            parquet::csv_to_parquet_output(config, model, source, predict_csv)
        }
        InputFormat::Svmlight if is_parquet_path(&config.output) => {
            parquet::csv_to_parquet_output(config, model, source, svmlight::predict)
        }
        InputFormat::Csv => predict_csv(config, model, source),
        InputFormat::Svmlight => svmlight::predict(config, model, source),
        InputFormat::Parquet => parquet::predict(config, model, source),
    }
}

/// [`predict_with`] for CSV input.
fn predict_csv(config: &PredictConfig, model: &Model, source: Source) -> Result<u64> {
    source.check_csv()?;
    let mut out = Output::create_data(&config.output, &[&config.data, &config.model])?;
    let out_name = out.name().to_string();
    let write_err = |e: std::io::Error| Error::io(&out_name, "write it", e);
    let (file, input) = source.into_reader();
    let mut records = Records::new(&file, input, config.delimiter);
    let header = records.read_header()?;
    let ctx = Context::new(&file, &header, records.header_line(), model, config)?;
    write_header(&mut out, &ctx, &header).map_err(write_err)?;
    // `pending` starts at a line start, on physical line `next_line`.
    let (mut pending, mut input, mut next_line) = records.into_raw()?;
    let read_err = |e: std::io::Error| read_error(&file, e);

    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut rows = 0u64;
    let mut eof = false;
    loop {
        // Gather up to one chunk per thread, each ending at a line end (or the input's end).
        let mut chunks: Vec<Vec<u8>> = Vec::with_capacity(threads);
        // Bytes at the front of `pending` known to hold no line end (a long line is read in
        // pieces; each piece is searched once).
        let mut scanned = 0;
        while chunks.len() < threads && !(eof && pending.is_empty()) {
            while !eof && pending.len() < CHUNK_BYTES {
                if read_more(&mut input, &mut pending, CHUNK_BYTES).map_err(read_err)? == 0 {
                    eof = true;
                }
            }
            let cut = if eof {
                pending.len()
            } else {
                match memchr::memrchr(b'\n', &pending[scanned..]) {
                    Some(i) => scanned + i + 1,
                    // A line over the limit: its chunk is declined and `Records` reports it.
                    None if pending.len() > MAX_RECORD_BYTES => pending.len(),
                    None => {
                        // A line longer than a chunk: read until it ends.
                        scanned = pending.len();
                        if read_more(&mut input, &mut pending, CHUNK_BYTES).map_err(read_err)? == 0
                        {
                            eof = true;
                        }
                        continue;
                    }
                }
            };
            scanned = 0;
            if cut == 0 {
                break;
            }
            let rest = pending.split_off(cut);
            chunks.push(std::mem::replace(&mut pending, rest));
        }
        if chunks.is_empty() {
            break;
        }
        let results: Vec<Option<(Vec<u8>, u64)>> = if chunks.len() == 1 {
            vec![score_chunk(&ctx, &chunks[0])]
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = chunks
                    .iter()
                    .map(|c| scope.spawn(|| score_chunk(&ctx, c)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("scoring thread panicked"))
                    .collect()
            })
        };
        let mut declined = None;
        for (k, result) in results.into_iter().enumerate() {
            match result {
                Some((bytes, n)) => {
                    out.write_all(&bytes).map_err(write_err)?;
                    rows += n;
                    next_line += records::line_breaks(b'\n', &chunks[k]);
                }
                None => {
                    declined = Some(k);
                    break;
                }
            }
        }
        if let Some(k) = declined {
            // This chunk and everything after it go through `Records`, which starts at this
            // chunk's first line. The chunk is moved, not copied (it may be a 16 MiB line).
            let later = chunks.split_off(k);
            let mut later = later.into_iter();
            let mut tail = later.next().expect("the declined chunk");
            for c in later {
                tail.extend_from_slice(&c);
            }
            tail.extend_from_slice(&pending);
            let rest = std::io::Cursor::new(tail).chain(input);
            let records = Records::resume(&file, rest, config.delimiter, header, next_line);
            rows += slow_records(&ctx, records, &mut out, &out_name)?;
            return finish(out, &out_name, rows);
        }
    }
    finish(out, &out_name, rows)
}

/// How a row's scores become its output columns.
enum Decision<'m> {
    /// One score: `probability` = P(positive), positive iff it reaches the threshold.
    Binary {
        threshold: f64,
        positive: String,
        negative: String,
    },
    /// K scores: one probability per class (model order), the most probable class.
    Classes { model: &'m Model },
}

/// Everything needed to score and write one record, resolved once from the model and header.
struct Context<'m> {
    scorer: RowScorer,
    keep: Vec<usize>,
    n_fields: usize,
    delimiter: u8,
    decision: Decision<'m>,
}

impl<'m> Context<'m> {
    fn new(
        file: &str,
        header: &[String],
        header_line: u64,
        model: &'m Model,
        config: &PredictConfig,
    ) -> Result<Context<'m>> {
        let scorer = model.scorer(file, header_line, header)?;
        let decision = match model.binary() {
            Some((labels, stored)) => Decision::Binary {
                threshold: config.threshold.unwrap_or(stored),
                positive: labels.positive.clone(),
                negative: labels.negative.clone(),
            },
            None => Decision::Classes { model },
        };
        Ok(Context {
            scorer,
            keep: keep_indices(file, header_line, header, &config.keep)?,
            n_fields: header.len(),
            delimiter: config.delimiter,
            decision,
        })
    }

    /// Buffers for one row's scores and probabilities.
    fn scratch(&self) -> Scratch {
        let k = match &self.decision {
            Decision::Binary { .. } => 1,
            Decision::Classes { model } => model.n_classes(),
        };
        Scratch {
            scores: vec![0.0; self.scorer.n_scores()],
            probabilities: vec![0.0; k],
        }
    }

    /// The probabilities of `scratch.scores` into `scratch.probabilities`.
    fn probabilities(&self, scratch: &mut Scratch) {
        match &self.decision {
            Decision::Binary { .. } => {
                scratch.probabilities[0] = numerics::sigmoid(scratch.scores[0]);
            }
            Decision::Classes { model } => {
                model.probabilities(&scratch.scores, &mut scratch.probabilities)
            }
        }
    }

    /// Appends one output row: the kept input fields (`field(i)` is input column `i`), the
    /// probabilities and the predicted label. Both the fast and the csv path write through here.
    fn push_row<'a>(
        &self,
        out: &mut Vec<u8>,
        field: impl Fn(usize) -> &'a [u8],
        probabilities: &[f64],
        buffer: &mut ryu::Buffer,
    ) {
        for &i in &self.keep {
            push_field(out, field(i));
            out.push(b',');
        }
        for &p in probabilities {
            out.extend_from_slice(format_probability(p, buffer).as_bytes());
            out.push(b',');
        }
        push_field(out, self.label(probabilities).as_bytes());
        out.push(b'\n');
    }

    fn label(&self, probabilities: &[f64]) -> &str {
        match &self.decision {
            Decision::Binary {
                threshold,
                positive,
                negative,
            } => {
                if probabilities[0] >= *threshold {
                    positive
                } else {
                    negative
                }
            }
            Decision::Classes { model } => &model.classes[argmax(probabilities)],
        }
    }
}

/// One row's scores and probabilities, reused from row to row.
struct Scratch {
    scores: Vec<f64>,
    probabilities: Vec<f64>,
}

/// Appends `bytes` as one CSV field (quoted when it holds a comma, quote or line break).
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

fn write_header(out: &mut Output, ctx: &Context, header: &[String]) -> std::io::Result<()> {
    let mut line = Vec::new();
    for &i in &ctx.keep {
        push_field(&mut line, header[i].as_bytes());
        line.push(b',');
    }
    match &ctx.decision {
        Decision::Binary { .. } => line.extend_from_slice(b"probability,"),
        Decision::Classes { model } => {
            for class in &model.classes {
                push_field(&mut line, format!("probability_{class}").as_bytes());
                line.push(b',');
            }
        }
    }
    line.extend_from_slice(b"prediction\n");
    out.write_all(&line)
}

/// Scores a chunk of whole lines on the fast path; `None` when any line needs [`Records`]
/// ([`records::for_each_plain_record`] decides which lines the fast path may read, and a
/// score the fast path cannot compute declines too).
fn score_chunk(ctx: &Context, chunk: &[u8]) -> Option<(Vec<u8>, u64)> {
    let mut out = Vec::with_capacity(chunk.len() / 2 + 64);
    let mut buffer = ryu::Buffer::new();
    let mut rows = 0;
    let mut scratch = ctx.scratch();
    let binary = matches!(ctx.decision, Decision::Binary { .. });
    let plain = records::for_each_plain_record(chunk, ctx.n_fields, ctx.delimiter, |fields| {
        if binary {
            // The one-score form: v1's loop exactly.
            let Some(z) = ctx.scorer.score_bytes(fields) else {
                return false;
            };
            scratch.probabilities[0] = numerics::sigmoid(z);
        } else {
            if !ctx.scorer.score_bytes_into(fields, &mut scratch.scores) {
                return false;
            }
            ctx.probabilities(&mut scratch);
        }
        ctx.push_row(&mut out, |i| fields[i], &scratch.probabilities, &mut buffer);
        rows += 1;
        true
    });
    plain.then_some((out, rows))
}

/// The [`Records`] path: every remaining record, each reported at its physical line.
fn slow_records<R: Read>(
    ctx: &Context,
    mut records: Records<R>,
    out: &mut Output,
    out_name: &str,
) -> Result<u64> {
    let mut record = csv::StringRecord::new();
    let mut buffer = ryu::Buffer::new();
    let mut line_bytes = Vec::with_capacity(256);
    let mut rows = 0u64;
    let mut scratch = ctx.scratch();
    while let Some(line) = records.read(&mut record)? {
        ctx.scorer.score_into(&record, line, &mut scratch.scores)?;
        ctx.probabilities(&mut scratch);
        line_bytes.clear();
        ctx.push_row(
            &mut line_bytes,
            |i| record[i].as_bytes(),
            &scratch.probabilities,
            &mut buffer,
        );
        out.write_all(&line_bytes)
            .map_err(|e| Error::io(out_name, "write it", e))?;
        rows += 1;
    }
    Ok(rows)
}

/// Reads up to `max` more bytes onto the end of `buf`; returns how many (0 at the end).
fn read_more(input: &mut dyn Read, buf: &mut Vec<u8>, max: usize) -> std::io::Result<usize> {
    let start = buf.len();
    buf.resize(start + max, 0);
    let got = loop {
        match input.read(&mut buf[start..]) {
            Ok(n) => break n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                buf.truncate(start);
                return Err(e);
            }
        }
    };
    buf.truncate(start + got);
    Ok(got)
}

fn finish(mut out: Output, out_name: &str, rows: u64) -> Result<u64> {
    out.flush()
        .map_err(|e| Error::io(out_name, "write it", e))?;
    out.commit()?;
    Ok(rows)
}

/// Header indices of the `--keep` columns, failing with every name the header lacks.
fn keep_indices(
    file: &str,
    header_line: u64,
    header: &[String],
    keep: &[String],
) -> Result<Vec<usize>> {
    let position: HashMap<&str, usize> = header
        .iter()
        .enumerate()
        .map(|(i, h)| (h.as_str(), i))
        .collect();
    let missing: Vec<String> = keep
        .iter()
        .filter(|k| !position.contains_key(k.as_str()))
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(missing_columns(file, header_line, header, missing).into());
    }
    Ok(keep.iter().map(|k| position[k.as_str()]).collect())
}

//! `logit predict`: stream a CSV through a model, one output row per input record, in order.
//!
//! Memory does not grow with the input: one reused record buffer in, one buffered writer out.
//! A file output is written to a temporary file and renamed at the end, so a failure halfway
//! never leaves a partial file or clobbers an old one.

use std::io::{Read, Write};

use crate::cli::PredictArgs;
use crate::data::encode::RowScorer;
use crate::data::input::{
    csv_reader, delimiter_for, next_record, read_header, read_tracked_header, Output, Source,
};
use crate::data::lines::Tracked;
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

/// Input bytes handed to one worker at a time (whole lines).
const CHUNK_BYTES: usize = 1 << 20;

/// Scores `config.data` and writes `[kept columns...],probability,prediction`.
/// Returns the number of rows written.
///
/// Records go through a fast path while the input is plain (no quotes, UTF-8, every cell a
/// number or a known level): chunks of whole lines are scored in parallel and written in input
/// order. At the first chunk the fast path is unsure of, the rest of the input goes through the
/// csv crate, which handles every dialect and reports errors with their line. Memory stays
/// bounded by a few chunks whatever the input size.
pub fn predict(config: &PredictConfig) -> Result<u64> {
    let model = Model::load(&config.model)?;
    let threshold = config.threshold.unwrap_or(model.threshold);
    let source = Source::open(&config.data)?;
    let mut out = Output::create(&config.output, &[&config.data, &config.model])?;
    let out_name = out.name().to_string();
    let write_err = |e: std::io::Error| Error::io(&out_name, "write it", e);
    let (file, mut input) = source.into_reader();

    // The header line, read by hand so the bytes after it can be streamed; the csv crate
    // parses it (BOM, quotes, CRLF) exactly as in the slow path.
    let mut pending: Vec<u8> = Vec::with_capacity(2 * CHUNK_BYTES);
    let header_end = loop {
        if let Some(i) = memchr::memchr(b'\n', &pending) {
            break Some(i + 1);
        }
        if read_more(&mut input, &mut pending, CHUNK_BYTES)
            .map_err(|e| Error::io(&file, "read it", e))?
            == 0
        {
            break None;
        }
    };
    let header_bytes = pending[..header_end.unwrap_or(pending.len())].to_vec();
    let simple_header = header_end.is_some() && !header_bytes.contains(&b'"');
    if !simple_header {
        // Quoted or unterminated header: the csv crate reads everything.
        let rest = std::io::Cursor::new(std::mem::take(&mut pending)).chain(input);
        let (reader, header) = csv_tail(&file, config.delimiter, rest)?;
        let ctx = Context::new(&file, &header, &model, config, threshold)?;
        write_header(&mut out, &ctx, &header).map_err(write_err)?;
        let rows = slow_records(&ctx, reader, 0, &mut out, &out_name)?;
        return finish(out, &out_name, rows);
    }
    pending.drain(..header_bytes.len());
    let mut header_reader = csv::ReaderBuilder::new()
        .delimiter(config.delimiter)
        .from_reader(header_bytes.as_slice());
    let header = read_header(&file, &mut header_reader)?;
    let ctx = Context::new(&file, &header, &model, config, threshold)?;
    write_header(&mut out, &ctx, &header).map_err(write_err)?;

    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut rows = 0u64;
    let mut next_line = 2u64; // physical line of the first byte in `pending`
    let mut eof = false;
    loop {
        // Gather up to one chunk per thread, each ending at a line end (or the input's end).
        let mut chunks: Vec<Vec<u8>> = Vec::with_capacity(threads);
        while chunks.len() < threads && !(eof && pending.is_empty()) {
            while !eof && pending.len() < CHUNK_BYTES {
                if read_more(&mut input, &mut pending, CHUNK_BYTES)
                    .map_err(|e| Error::io(&file, "read it", e))?
                    == 0
                {
                    eof = true;
                }
            }
            let cut = if eof {
                pending.len()
            } else {
                match memchr::memrchr(b'\n', &pending) {
                    Some(i) => i + 1,
                    None => {
                        // A line longer than a chunk: read until it ends.
                        if read_more(&mut input, &mut pending, CHUNK_BYTES)
                            .map_err(|e| Error::io(&file, "read it", e))?
                            == 0
                        {
                            eof = true;
                        }
                        continue;
                    }
                }
            };
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
        for (k, result) in results.into_iter().enumerate() {
            match result {
                Some((bytes, n)) => {
                    out.write_all(&bytes).map_err(write_err)?;
                    rows += n;
                    next_line += memchr::memchr_iter(b'\n', &chunks[k]).count() as u64;
                }
                None => {
                    // Hand this chunk and everything after it to the csv crate, with the
                    // header in front so it checks field counts; lines stay physical.
                    let mut tail = header_bytes.clone();
                    for c in &chunks[k..] {
                        tail.extend_from_slice(c);
                    }
                    tail.extend_from_slice(&pending);
                    let rest = std::io::Cursor::new(tail).chain(input);
                    let (reader, _) = csv_tail(&file, config.delimiter, rest)?;
                    rows += slow_records(&ctx, reader, next_line - 2, &mut out, &out_name)?;
                    return finish(out, &out_name, rows);
                }
            }
        }
    }
    finish(out, &out_name, rows)
}

/// Everything needed to score and write one record, resolved once from the model and header.
struct Context {
    file: String,
    scorer: RowScorer,
    keep: Vec<usize>,
    n_fields: usize,
    delimiter: u8,
    threshold: f64,
    positive: String,
    negative: String,
}

impl Context {
    fn new(
        file: &str,
        header: &[String],
        model: &Model,
        config: &PredictConfig,
        threshold: f64,
    ) -> Result<Context> {
        let scorer = RowScorer::new(
            file,
            header,
            &model.columns,
            &model.coefficients(),
            model.intercept,
            Markers::new(model.missing.na_values.clone()),
            model.missing.policy,
        )?;
        Ok(Context {
            file: file.to_string(),
            scorer,
            keep: keep_indices(file, header, &config.keep)?,
            n_fields: header.len(),
            delimiter: config.delimiter,
            threshold,
            positive: model.labels.positive.clone(),
            negative: model.labels.negative.clone(),
        })
    }

    /// Appends one output row: the kept input fields (`field(i)` is input column `i`), the
    /// probability and the predicted label. Both the fast and the csv path write through here.
    fn push_row<'a>(
        &self,
        out: &mut Vec<u8>,
        field: impl Fn(usize) -> &'a [u8],
        p: f64,
        buffer: &mut ryu::Buffer,
    ) {
        for &i in &self.keep {
            push_field(out, field(i));
            out.push(b',');
        }
        out.extend_from_slice(format_probability(p, buffer).as_bytes());
        out.push(b',');
        push_field(out, self.label(p).as_bytes());
        out.push(b'\n');
    }

    fn label(&self, p: f64) -> &str {
        if p >= self.threshold {
            &self.positive
        } else {
            &self.negative
        }
    }
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
    line.extend_from_slice(b"probability,prediction\n");
    out.write_all(&line)
}

/// Scores a chunk of whole lines on the fast path; `None` when any line needs the csv crate.
fn score_chunk(ctx: &Context, chunk: &[u8]) -> Option<(Vec<u8>, u64)> {
    if memchr::memchr(b'"', chunk).is_some() || std::str::from_utf8(chunk).is_err() {
        return None;
    }
    let mut out = Vec::with_capacity(chunk.len() / 2 + 64);
    let mut fields: Vec<&[u8]> = Vec::with_capacity(ctx.n_fields);
    let mut buffer = ryu::Buffer::new();
    let mut rows = 0;
    let mut line_start = 0;
    let ends = memchr::memchr_iter(b'\n', chunk)
        .chain((chunk.last() != Some(&b'\n')).then_some(chunk.len()));
    for line_end in ends {
        let line = &chunk[line_start..line_end];
        line_start = line_end + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        if memchr::memchr(b'\r', line).is_some() {
            return None; // a lone carriage return ends a record for the csv crate
        }
        fields.clear();
        let mut field_start = 0;
        for field_end in memchr::memchr_iter(ctx.delimiter, line).chain(std::iter::once(line.len()))
        {
            fields.push(&line[field_start..field_end]);
            field_start = field_end + 1;
        }
        if fields.len() != ctx.n_fields {
            return None;
        }
        let p = numerics::sigmoid(ctx.scorer.score_bytes(&fields)?);
        ctx.push_row(&mut out, |i| fields[i], p, &mut buffer);
        rows += 1;
    }
    Some((out, rows))
}

/// A csv reader over `input`, whose first line is the header, and that header. The reader
/// tracks physical lines and bounds record length (see [`crate::data::lines`]).
fn csv_tail<R: Read>(
    file: &str,
    delimiter: u8,
    input: R,
) -> Result<(csv::Reader<Tracked<R>>, Vec<String>)> {
    let mut reader = csv_reader(input, delimiter);
    let header = read_tracked_header(file, &mut reader)?;
    Ok((reader, header))
}

/// The csv crate path: every record, with lines reported `line_offset` further down the file.
fn slow_records<R: Read>(
    ctx: &Context,
    mut reader: csv::Reader<Tracked<R>>,
    line_offset: u64,
    out: &mut Output,
    out_name: &str,
) -> Result<u64> {
    let mut record = csv::StringRecord::new();
    let mut buffer = ryu::Buffer::new();
    let mut line_bytes = Vec::with_capacity(256);
    let mut rows = 0u64;
    loop {
        // The physical line within the stream the reader sees.
        let tail_line = match next_record(&ctx.file, &mut reader, &mut record) {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(Error::Data(mut err)) => {
                if let Some(l) = err.location.line.as_mut() {
                    *l += line_offset;
                }
                return Err(Error::Data(err));
            }
            Err(e) => return Err(e),
        };
        let p = numerics::sigmoid(ctx.scorer.score(&record, tail_line + line_offset)?);
        line_bytes.clear();
        ctx.push_row(&mut line_bytes, |i| record[i].as_bytes(), p, &mut buffer);
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
fn keep_indices(file: &str, header: &[String], keep: &[String]) -> Result<Vec<usize>> {
    let missing: Vec<String> = keep
        .iter()
        .filter(|k| !header.contains(k))
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(DataError::new(
            Location {
                file: file.to_string(),
                line: Some(1),
                column: missing.first().cloned(),
            },
            DataErrorKind::MissingColumns { names: missing },
        )
        .into());
    }
    Ok(keep
        .iter()
        .map(|k| header.iter().position(|h| h == k).expect("checked"))
        .collect())
}

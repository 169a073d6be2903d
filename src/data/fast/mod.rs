//! The fast training reader: plain numeric CSV files straight from bytes into the design matrix.
//!
//! Most large training files are simple: no quotes, ASCII, every feature a number, no missing
//! cells. For those, the csv crate's general reader (records of strings, then `str::parse`)
//! costs more than the fit. This reader handles exactly that case and nothing else, reading the
//! file once: threads take blocks of whole lines in file order, each block's records are
//! counted as it is taken so it gets the next rows of a matrix allocated for the most rows the
//! bytes can hold (pages never written are never touched, and the allocation is cut to the
//! rows at the end), and the block is parsed into them while the next block is taken
//! (`blocks.rs`). Plain decimals are read by Clinger's exact fast path, every other spelling by
//! `fast-float2` (correctly rounded), so the values equal `str::parse`'s bit for bit. When the
//! bound's address space is refused (or the bound was wrong) the records are counted first and
//! the matrix allocated exactly. The bytes are a regular file read by offset, or the whole
//! decompressed text of a gzip/zstd file held in memory ([`ByteSource`]).
//!
//! Anything unusual (a quote, a non-ASCII byte, a missing or non-numeric cell, a ragged row, a
//! bad weight cell, labels the csv path would refuse...) makes it give up and return `None`; the caller then reads the file again with
//! the csv crate path in [`super::encode`], which accepts every dialect and reports errors with
//! their line and column. So this path never decides what is valid; it only goes faster when the
//! answer is "all of it". A property test checks both paths give identical matrices.

mod blocks;
mod bytes;
mod parse;
#[cfg(test)]
mod tests;

use std::fs::File;

use ndarray::{Array1, Array2};

use super::encode::{ColumnKind, ColumnSpec, TrainingData, TrainingSelection};
use super::input::read_header;
use super::limits::MAX_RECORD_BYTES;
use super::schema::select_features;
use super::training::labels;
use crate::error::{Error, Result};
use blocks::{read_blocks, Parsed, Stop, BLOCK_BYTES};
use bytes::split_ranges;
pub use bytes::ByteSource;
use parse::{count_records, marker_is_plain_number, Layout, RangeOut, Role};

/// Files smaller than this go straight to the csv path: the fast path would save little.
pub const MIN_FAST_BYTES: u64 = 1 << 20;

/// Why the fast path gave up (for tests and debugging; the caller only needs "not handled").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GiveUp {
    Quote,
    NonAscii,
    FieldCount,
    NotANumber,
    Missing,
    Labels,
    /// A weight cell that is missing, not a number, negative or not finite.
    Weight,
    Header,
    /// A line longer than [`MAX_RECORD_BYTES`] (the csv path reports it).
    LongLine,
    /// A `--fold-column` (`logit cv`): its names and checks are the csv path's.
    FoldColumn,
}

/// Reads `path` with the fast path when the file is large and simple enough; `Ok(None)` means
/// "use the csv path". `Err` only for errors the csv path would report identically (I/O on
/// open, a bad header). `train` opens its input once and calls [`read_training_fast_file`].
pub fn read_training_fast(
    path: &str,
    delimiter: u8,
    selection: &TrainingSelection,
    min_bytes: u64,
) -> Result<Option<TrainingData>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(_) => return Ok(None),
    };
    let len = match file.metadata() {
        Ok(m) if m.is_file() => m.len(),
        _ => return Ok(None),
    };
    read_training_fast_file(&file, len, path, delimiter, selection, min_bytes)
}

/// Decompressed bytes [`may_take`] looks at before a compressed file is decompressed whole.
pub const PROBE_BYTES: u64 = 1 << 22;

/// Whether text that begins with `head` may be taken by the fast reader: false when the complete
/// lines of `head` already make it give up (quotes, text or missing cells, a bad header...), so
/// a large compressed file the csv path will read anyway is not first decompressed into memory.
/// Labels are not judged (the head may hold one class only).
pub fn may_take(
    head: &[u8],
    path: &str,
    delimiter: u8,
    selection: &TrainingSelection,
) -> Result<bool> {
    let end = memchr::memrchr(b'\n', head).map_or(0, |i| i + 1);
    if memchr::memchr_iter(b'\n', &head[..end]).count() < 2 {
        // No complete data line yet: only the whole text can tell.
        return Ok(true);
    }
    let head = &head[..end];
    Ok(match read(head, end as u64, path, delimiter, selection) {
        Ok(Ok(_)) | Ok(Err(GiveUp::Labels)) => true,
        Ok(Err(_)) | Err(_) => false,
    })
}

/// [`read_training_fast`] on the whole text of an input already in memory (a decompressed
/// gzip/zstd file), named `path` in messages.
pub fn read_training_fast_bytes(
    bytes: &[u8],
    path: &str,
    delimiter: u8,
    selection: &TrainingSelection,
    min_bytes: u64,
) -> Result<Option<TrainingData>> {
    let len = bytes.len() as u64;
    if len < min_bytes {
        return Ok(None);
    }
    match read(bytes, len, path, delimiter, selection) {
        Ok(Ok(data)) => Ok(Some(data)),
        Ok(Err(_give_up)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// [`read_training_fast`] on an open regular file of `len` bytes, named `path` in messages.
/// Reads by offset only, so the file's cursor stays where it was for the csv path.
pub fn read_training_fast_file(
    file: &File,
    len: u64,
    path: &str,
    delimiter: u8,
    selection: &TrainingSelection,
    min_bytes: u64,
) -> Result<Option<TrainingData>> {
    if len < min_bytes {
        return Ok(None);
    }
    match read(file, len, path, delimiter, selection) {
        Ok(Ok(data)) => Ok(Some(data)),
        Ok(Err(_give_up)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The header: its byte length (including the line end) and the column names.
fn header<S: ByteSource + ?Sized>(
    file: &S,
    path: &str,
    delimiter: u8,
) -> Result<Option<(u64, Vec<String>)>> {
    let mut buf = vec![0u8; 1 << 16];
    let mut filled = 0;
    loop {
        let got = file
            .read_at(&mut buf[filled..], filled as u64)
            .map_err(|e| Error::io(path, "read it", e))?;
        filled += got;
        if let Some(end) = memchr::memchr(b'\n', &buf[..filled]) {
            let line = &buf[..end + 1];
            let content = line[..end].strip_suffix(b"\r").unwrap_or(&line[..end]);
            let content = content.strip_prefix(b"\xef\xbb\xbf").unwrap_or(content);
            // Quotes, a lone carriage return or a blank first line (which the csv crate skips)
            // are the csv path's business.
            if content.is_empty() || content.contains(&b'"') || content.contains(&b'\r') {
                return Ok(None);
            }
            // Let the csv crate parse the header line, so names (BOM, CR, spaces) match the
            // csv path exactly; any problem is declined and reported by the csv path.
            let mut reader = csv::ReaderBuilder::new()
                .delimiter(delimiter)
                .has_headers(true)
                .from_reader(line);
            return Ok(read_header(path, &mut reader)
                .ok()
                .map(|names| ((end + 1) as u64, names)));
        }
        if got == 0 || buf.len() > MAX_RECORD_BYTES {
            return Ok(None);
        }
        if filled == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
    }
}

/// How [`read_tuned`] splits the work; tests force several threads, small blocks and wrong
/// row bounds.
#[derive(Debug, Clone, Copy)]
struct Tuning {
    threads: usize,
    block_bytes: usize,
    /// Rows allocated for the one-read attempt instead of [`row_bound`]'s.
    row_bound: Option<usize>,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            block_bytes: BLOCK_BYTES,
            row_bound: None,
        }
    }
}

fn read<S: ByteSource + ?Sized>(
    file: &S,
    len: u64,
    path: &str,
    delimiter: u8,
    selection: &TrainingSelection,
) -> Result<Result<TrainingData, GiveUp>> {
    read_tuned(file, len, path, delimiter, selection, &Tuning::default())
}

fn read_tuned<S: ByteSource + ?Sized>(
    file: &S,
    len: u64,
    path: &str,
    delimiter: u8,
    selection: &TrainingSelection,
    tuning: &Tuning,
) -> Result<Result<TrainingData, GiveUp>> {
    let io = |e: std::io::Error| Error::io(path, "read it", e);
    let Some((header_len, header)) = header(file, path, delimiter)? else {
        return Ok(Err(GiveUp::Header));
    };
    if selection.fold.is_some() {
        return Ok(Err(GiveUp::FoldColumn));
    }
    if selection.missing.imputes() {
        // Fill values are learned by the csv path (this one never sees a missing cell, but
        // the model must still record them).
        return Ok(Err(GiveUp::Missing));
    }
    let target = selection.target;
    let Ok(selected) = select_features(
        path,
        &header,
        target,
        selection.weight,
        selection.features,
        selection.exclude,
    ) else {
        return Ok(Err(GiveUp::Header));
    };
    let mut roles = vec![Role::Ignore; header.len()];
    for (j, &col) in selected.iter().enumerate() {
        roles[col] = Role::Feature(j);
    }
    let target_index = header
        .iter()
        .position(|h| h == target)
        .expect("checked by select_features");
    roles[target_index] = Role::Target;
    if let Some(w) = selection.weight {
        let Some(col) = header.iter().position(|h| h == w) else {
            return Ok(Err(GiveUp::Header));
        };
        roles[col] = Role::Weight;
    }
    let weighted = selection.weight.is_some();
    let markers: Vec<Vec<u8>> = selection
        .markers
        .values()
        .iter()
        .map(|m| m.as_bytes().to_vec())
        .collect();
    let p = selected.len();

    if !delimiter.is_ascii() {
        return Ok(Err(GiveUp::NonAscii));
    }
    let layout = Layout {
        roles: &roles,
        delimiter,
        markers: &markers,
        plain_numbers: !markers.iter().any(|m| marker_is_plain_number(m)),
        p,
    };
    let data = (header_len, len);
    // One read of the file into a matrix allocated for the most rows its bytes can hold (the
    // pages never written are never touched, so they cost address space, not memory); when
    // that much address space is refused or the bound was wrong, count the records first.
    let one_read = match tuning
        .row_bound
        .or_else(|| row_bound(len - header_len, &roles))
    {
        Some(bound) => read_rows(file, data, &layout, bound, weighted, tuning, true).map_err(io)?,
        None => None,
    };
    let rows = match one_read {
        Some(Ok(rows)) => rows,
        Some(Err(Stop::GiveUp(g))) => return ranked(file, data, tuning, g).map_err(io),
        None | Some(Err(Stop::TooManyRows)) => {
            let exact = match count_all(file, data, tuning.threads).map_err(io)? {
                Ok(n) => n,
                Err(g) => return Ok(Err(g)),
            };
            match read_rows(file, data, &layout, exact, weighted, tuning, false).map_err(io)? {
                Some(Ok(rows)) => rows,
                Some(Err(Stop::GiveUp(g))) => return ranked(file, data, tuning, g).map_err(io),
                // The file changed between the two reads.
                Some(Err(Stop::TooManyRows)) | None => return Ok(Err(GiveUp::FieldCount)),
            }
        }
    };
    let Rows {
        x,
        mut codes,
        weights,
        blocks,
    } = rows;
    let n_rows = codes.len();
    if n_rows == 0 {
        return Ok(Err(GiveUp::FieldCount));
    }

    // Merge each block's local label codes into labels in order of first appearance, checked
    // as the csv path checks them (so both see the same first appearances).
    let mut seen: Vec<String> = Vec::with_capacity(2);
    for block in blocks {
        let mut remap = vec![0u32; block.labels.len()];
        for (k, label) in block.labels.into_iter().enumerate() {
            let Ok(label) = String::from_utf8(label) else {
                return ranked(file, data, tuning, GiveUp::Labels).map_err(io);
            };
            remap[k] = match seen.iter().position(|s| *s == label) {
                Some(c) => c as u32,
                None => {
                    if labels::check_new_label(&seen, &label).is_err() {
                        return ranked(file, data, tuning, GiveUp::Labels).map_err(io);
                    }
                    seen.push(label);
                    (seen.len() - 1) as u32
                }
            };
        }
        for c in &mut codes[block.first_row..block.first_row + block.rows] {
            *c = remap[*c as usize];
        }
    }
    let Ok(classes) = labels::resolve(&seen, &codes, selection.positive) else {
        return ranked(file, data, tuning, GiveUp::Labels).map_err(io);
    };
    drop(codes);

    let columns: Vec<ColumnSpec> = selected
        .iter()
        .map(|&col| ColumnSpec {
            name: header[col].clone(),
            kind: ColumnKind::Numeric { fill: None },
        })
        .collect();
    let feature_names = columns.iter().map(|c| c.name.clone()).collect();
    let x = crate::data::design::Matrix::Dense(
        Array2::from_shape_vec((n_rows, p), x).expect("rows * p values"),
    );
    Ok(Ok(TrainingData {
        source: path.to_string(),
        target: target.to_string(),
        columns,
        feature_names,
        x,
        y: classes.y,
        classes: classes.classes,
        labels: classes.labels,
        class_counts: classes.class_counts,
        weight_column: selection.weight.map(str::to_string),
        folds: None,
        weights: weighted.then(|| Array1::from(weights)),
        rows_dropped: 0,
        warnings: Vec::new(),
    }))
}

/// The most records `bytes` of data can hold when the fast path takes them all: each has a
/// delimiter between cells, at least one byte in every cell it uses (an empty feature, target
/// or weight cell makes it give up) and a line end, but the last. `None` if beyond usize.
fn row_bound(bytes: u64, roles: &[Role]) -> Option<usize> {
    let used = roles.iter().filter(|r| !matches!(r, Role::Ignore)).count() as u64;
    let min_line = roles.len() as u64 - 1 + used + 1;
    usize::try_from((bytes + 1) / min_line).ok()
}

/// What [`read_rows`] parsed: exactly its rows (the allocation cut to them), and its blocks.
struct Rows {
    x: Vec<f64>,
    codes: Vec<u32>,
    weights: Vec<f64>,
    blocks: Vec<Parsed>,
}

/// Allocates room for `rows` records and parses `data` into it; `None` when `fallible` and the
/// allocation is refused.
fn read_rows<S: ByteSource + ?Sized>(
    file: &S,
    data: (u64, u64),
    layout: &Layout,
    rows: usize,
    weighted: bool,
    tuning: &Tuning,
    fallible: bool,
) -> std::io::Result<Option<Result<Rows, Stop>>> {
    let Some(cells) = rows.checked_mul(layout.p) else {
        return Ok(None);
    };
    if fallible {
        // `vec!` aborts when refused: ask first. The zeroed allocation below is fresh pages
        // from the kernel (calloc), touched only where rows are written.
        let mut probe: Vec<f64> = Vec::new();
        let mut probe_codes: Vec<u32> = Vec::new();
        if probe.try_reserve_exact(cells).is_err() || probe_codes.try_reserve_exact(rows).is_err() {
            return Ok(None);
        }
    }
    let mut x = vec![0.0f64; cells];
    let mut codes = vec![0u32; rows];
    let mut weights = vec![0.0f64; if weighted { rows } else { 0 }];
    let out = RangeOut {
        x: &mut x,
        codes: &mut codes,
        weights: &mut weights,
    };
    let blocks = match read_blocks(file, data, layout, out, tuning.threads, tuning.block_bytes)? {
        Ok(blocks) => blocks,
        Err(stop) => return Ok(Some(Err(stop))),
    };
    let n = blocks.last().map_or(0, |b| b.first_row + b.rows);
    // Shrinking gives the untouched tail back without copying (mremap for large blocks).
    x.truncate(n * layout.p);
    x.shrink_to_fit();
    codes.truncate(n);
    codes.shrink_to_fit();
    if weighted {
        weights.truncate(n);
        weights.shrink_to_fit();
    }
    Ok(Some(Ok(Rows {
        x,
        codes,
        weights,
        blocks,
    })))
}

/// Records in `data`, counted in parallel ranges, giving up on quotes, carriage returns and
/// non-ASCII bytes anywhere.
fn count_all<S: ByteSource + ?Sized>(
    file: &S,
    (start, len): (u64, u64),
    threads: usize,
) -> std::io::Result<Result<usize, GiveUp>> {
    let ranges = split_ranges(file, start, len, threads)?;
    let counts: Vec<std::io::Result<Result<usize, GiveUp>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = ranges
            .iter()
            .map(|&(s, e)| scope.spawn(move || count_records(file, s, e)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("counting thread panicked"))
            .collect()
    });
    let mut n = 0;
    for c in counts {
        match c? {
            Ok(k) => n += k,
            Err(g) => return Ok(Err(g)),
        }
    }
    Ok(Ok(n))
}

/// The give-up reported for `g`: the checks of [`count_all`] used to run over the whole file
/// before any parsing, so a quote, carriage return or non-ASCII byte anywhere outranks a
/// parsing give-up. Only [`GiveUp::Labels`] is told apart by a caller ([`may_take`]), so only
/// it pays for a second look.
fn ranked<S: ByteSource + ?Sized>(
    file: &S,
    data: (u64, u64),
    tuning: &Tuning,
    g: GiveUp,
) -> std::io::Result<Result<TrainingData, GiveUp>> {
    if g != GiveUp::Labels {
        return Ok(Err(g));
    }
    Ok(Err(count_all(file, data, tuning.threads)?
        .err()
        .unwrap_or(g)))
}

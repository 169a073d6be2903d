//! The fast training reader: plain numeric CSV files straight from bytes into the design matrix.
//!
//! Most large training files are simple: no quotes, ASCII, every feature a number, no missing
//! cells. For those, the csv crate's general reader (records of strings, then `str::parse`)
//! costs more than the fit. This reader handles exactly that case and nothing else: it splits
//! the file into one byte range per core at line boundaries, counts the records of each range
//! (so the matrix is allocated once, at its final size), then parses every range in parallel
//! with `memchr` field scanning and `fast-float2` (correctly rounded, so the values equal
//! `str::parse`'s bit for bit) directly into its rows of the matrix. The bytes are a regular
//! file read by offset, or the whole decompressed text of a gzip/zstd file held in memory
//! ([`ByteSource`]).
//!
//! Anything unusual (a quote, a non-ASCII byte, a missing or non-numeric cell, a ragged row, a
//! bad weight cell, labels the csv path would refuse...) makes it give up and return `None`; the caller then reads the file again with
//! the csv crate path in [`super::encode`], which accepts every dialect and reports errors with
//! their line and column. So this path never decides what is valid; it only goes faster when the
//! answer is "all of it". A property test checks both paths give identical matrices.

mod bytes;
mod parse;

use std::fs::File;

use ndarray::{Array1, Array2};

use super::encode::{ColumnKind, ColumnSpec, TrainingData, TrainingSelection};
use super::input::read_header;
use super::limits::MAX_RECORD_BYTES;
use super::schema::select_features;
use super::training::labels;
use crate::error::{Error, Result};
use bytes::split_ranges;
pub use bytes::ByteSource;
use parse::{count_records, parse_range, RangeOut, Role};

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

fn read<S: ByteSource + ?Sized>(
    file: &S,
    len: u64,
    path: &str,
    delimiter: u8,
    selection: &TrainingSelection,
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

    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let ranges = split_ranges(file, header_len, len, threads).map_err(io)?;
    // Pass 1: records per range, so every range knows where its rows start.
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
    let mut per_range = Vec::with_capacity(ranges.len());
    for c in counts {
        match c.map_err(io)? {
            Ok(n) => per_range.push(n),
            Err(g) => return Ok(Err(g)),
        }
    }
    let n_rows: usize = per_range.iter().sum();
    if n_rows == 0 {
        return Ok(Err(GiveUp::FieldCount));
    }

    // Pass 2: parse every range into its slice of the matrix.
    let mut x = vec![0.0f64; n_rows * p];
    let mut codes = vec![0u32; n_rows];
    let mut weights = vec![0.0f64; if weighted { n_rows } else { 0 }];
    let results: Vec<std::io::Result<Result<Vec<Vec<u8>>, GiveUp>>> = std::thread::scope(|scope| {
        let mut x_rest = x.as_mut_slice();
        let mut codes_rest = codes.as_mut_slice();
        let mut weights_rest = weights.as_mut_slice();
        let mut handles = Vec::with_capacity(ranges.len());
        for (&range, &rows) in ranges.iter().zip(&per_range) {
            let (x_here, x_next) = x_rest.split_at_mut(rows * p);
            let (codes_here, codes_next) = codes_rest.split_at_mut(rows);
            let (weights_here, weights_next) =
                weights_rest.split_at_mut(if weighted { rows } else { 0 });
            x_rest = x_next;
            codes_rest = codes_next;
            weights_rest = weights_next;
            let (roles, markers) = (&roles, &markers);
            let out = RangeOut {
                x: x_here,
                codes: codes_here,
                weights: weights_here,
            };
            handles.push(
                scope.spawn(move || parse_range(file, range, roles, delimiter, markers, out, p)),
            );
        }
        handles
            .into_iter()
            .map(|h| h.join().expect("parsing thread panicked"))
            .collect()
    });

    // Merge each range's local label codes into labels in order of first appearance, checked
    // as the csv path checks them (so both see the same first appearances).
    let mut seen: Vec<String> = Vec::with_capacity(2);
    let mut row = 0;
    for (result, &rows) in results.into_iter().zip(&per_range) {
        let local = match result.map_err(io)? {
            Ok(labels) => labels,
            Err(g) => return Ok(Err(g)),
        };
        let mut remap = vec![0u32; local.len()];
        for (k, label) in local.into_iter().enumerate() {
            let Ok(label) = String::from_utf8(label) else {
                return Ok(Err(GiveUp::Labels));
            };
            remap[k] = match seen.iter().position(|s| *s == label) {
                Some(c) => c as u32,
                None => {
                    if labels::check_new_label(&seen, &label).is_err() {
                        return Ok(Err(GiveUp::Labels));
                    }
                    seen.push(label);
                    (seen.len() - 1) as u32
                }
            };
        }
        for c in &mut codes[row..row + rows] {
            *c = remap[*c as usize];
        }
        row += rows;
    }
    let Ok(classes) = labels::resolve(&seen, &codes, selection.positive) else {
        return Ok(Err(GiveUp::Labels));
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

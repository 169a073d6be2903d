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

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

use ndarray::{Array1, Array2};

use super::encode::{ColumnKind, ColumnSpec, TrainingData, TrainingSelection};
use super::input::read_header;
use super::limits::MAX_RECORD_BYTES;
use super::schema::{select_features, MAX_CLASSES};
use super::training::labels;
use crate::error::{Error, Result};

/// Files smaller than this go straight to the csv path: the fast path would save little.
pub const MIN_FAST_BYTES: u64 = 1 << 20;

/// Bytes read per `pread` while scanning a range.
const BUFFER_BYTES: usize = 1 << 22;

/// Bytes the fast reader reads by offset, from several threads at once: an open regular file
/// (`pread`, the file's cursor untouched) or text already in memory (read in place).
pub trait ByteSource: Sync {
    /// Reads up to `buf.len()` bytes at `offset`; 0 at the end.
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;

    /// Calls `each_line` with every line (without `\n` and a trailing `\r`) of `[start, end)`.
    /// Stops early with the callback's error, or [`GiveUp::LongLine`].
    fn lines(
        &self,
        start: u64,
        end: u64,
        each_line: &mut dyn FnMut(&[u8]) -> Result<(), GiveUp>,
    ) -> io::Result<Result<(), GiveUp>> {
        for_each_line_buffered(self, start, end, each_line)
    }
}

impl ByteSource for File {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        FileExt::read_at(self, buf, offset)
    }
}

impl ByteSource for [u8] {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let from = usize::try_from(offset).map_or(self.len(), |o| o.min(self.len()));
        let n = buf.len().min(self.len() - from);
        buf[..n].copy_from_slice(&self[from..from + n]);
        Ok(n)
    }

    /// The lines straight from memory, without copying them through a buffer.
    fn lines(
        &self,
        start: u64,
        end: u64,
        each_line: &mut dyn FnMut(&[u8]) -> Result<(), GiveUp>,
    ) -> io::Result<Result<(), GiveUp>> {
        let to = usize::try_from(end).map_or(self.len(), |e| e.min(self.len()));
        let from = usize::try_from(start).map_or(to, |s| s.min(to));
        let bytes = &self[from..to];
        let mut line_start = 0;
        let ends = memchr::memchr_iter(b'\n', bytes).chain(
            // The last line when the range does not end with a line end.
            (bytes.last() != Some(&b'\n') && !bytes.is_empty()).then_some(bytes.len()),
        );
        for nl in ends {
            let mut line = &bytes[line_start..nl];
            // The buffered reader gives up on a line it cannot hold; so does this one.
            if line.len() >= MAX_RECORD_BYTES {
                return Ok(Err(GiveUp::LongLine));
            }
            if let [rest @ .., b'\r'] = line {
                line = rest;
            }
            if let Err(e) = each_line(line) {
                return Ok(Err(e));
            }
            line_start = nl + 1;
        }
        Ok(Ok(()))
    }
}

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

/// Splits `[start, len)` into up to `parts` ranges that begin right after a `\n`.
fn split_ranges<S: ByteSource + ?Sized>(
    file: &S,
    start: u64,
    len: u64,
    parts: usize,
) -> std::io::Result<Vec<(u64, u64)>> {
    let mut cuts = vec![start];
    let mut probe = vec![0u8; 1 << 16];
    for i in 1..parts {
        let mut at = start + (len - start) * i as u64 / parts as u64;
        if at <= *cuts.last().expect("non-empty") {
            continue;
        }
        // Move forward to just after the next newline.
        loop {
            let got = file.read_at(&mut probe, at)?;
            if got == 0 {
                at = len;
                break;
            }
            if let Some(k) = memchr::memchr(b'\n', &probe[..got]) {
                at += k as u64 + 1;
                break;
            }
            at += got as u64;
        }
        if at < len && at > *cuts.last().expect("non-empty") {
            cuts.push(at);
        }
    }
    cuts.push(len);
    Ok(cuts.windows(2).map(|w| (w[0], w[1])).collect())
}

/// [`ByteSource::lines`] through `read_at` in large blocks.
fn for_each_line_buffered<S: ByteSource + ?Sized>(
    file: &S,
    start: u64,
    end: u64,
    each_line: &mut dyn FnMut(&[u8]) -> Result<(), GiveUp>,
) -> std::io::Result<Result<(), GiveUp>> {
    let mut buf = vec![0u8; BUFFER_BYTES];
    let mut kept = 0; // bytes of an unfinished line carried over at the front of buf
    let mut pos = start;
    loop {
        let want = ((end - pos) as usize).min(buf.len() - kept);
        let got = if want == 0 {
            0
        } else {
            file.read_at(&mut buf[kept..kept + want], pos)?
        };
        pos += got as u64;
        let filled = kept + got;
        let at_end = got == 0 || pos >= end;
        let mut line_start = 0;
        for nl in memchr::memchr_iter(b'\n', &buf[..filled]) {
            let mut line = &buf[line_start..nl];
            if let [rest @ .., b'\r'] = line {
                line = rest;
            }
            if let Err(e) = each_line(line) {
                return Ok(Err(e));
            }
            line_start = nl + 1;
        }
        if at_end {
            if line_start < filled {
                let mut line = &buf[line_start..filled];
                if let [rest @ .., b'\r'] = line {
                    line = rest;
                }
                if let Err(e) = each_line(line) {
                    return Ok(Err(e));
                }
            }
            return Ok(Ok(()));
        }
        buf.copy_within(line_start..filled, 0);
        kept = filled - line_start;
        if kept == buf.len() {
            if kept >= MAX_RECORD_BYTES {
                return Ok(Err(GiveUp::LongLine));
            }
            buf.resize(buf.len() * 2, 0); // a line longer than the buffer
        }
    }
}

/// Counts the records (non-empty lines) of a range, giving up on quotes and non-ASCII bytes.
fn count_records<S: ByteSource + ?Sized>(
    file: &S,
    start: u64,
    end: u64,
) -> std::io::Result<Result<usize, GiveUp>> {
    let mut n = 0usize;
    let outcome = file.lines(start, end, &mut |line| {
        if line.is_empty() {
            return Ok(());
        }
        if memchr::memchr(b'"', line).is_some() {
            return Err(GiveUp::Quote);
        }
        if memchr::memchr(b'\r', line).is_some() {
            // A lone carriage return ends a record for the csv crate.
            return Err(GiveUp::FieldCount);
        }
        if !line.is_ascii() {
            return Err(GiveUp::NonAscii);
        }
        n += 1;
        Ok(())
    })?;
    Ok(outcome.map(|()| n))
}

/// What a column of the file is used for.
#[derive(Clone, Copy)]
enum Role {
    Ignore,
    Target,
    Weight,
    Feature(usize),
}

/// ASCII whitespace trimmed (a subset of what `str::trim` removes, so at worst the fast path
/// gives up on a cell the csv path accepts).
fn trim(cell: &[u8]) -> &[u8] {
    cell.trim_ascii()
}

/// The rows of one range: its slices of the matrix, the label codes and the weights.
struct RangeOut<'a> {
    x: &'a mut [f64],
    codes: &'a mut [u32],
    /// Empty without a weight column.
    weights: &'a mut [f64],
}

/// Parses one range into its rows of `x`, label codes and weights; returns the labels it saw,
/// in order.
fn parse_range<S: ByteSource + ?Sized>(
    file: &S,
    (start, end): (u64, u64),
    roles: &[Role],
    delimiter: u8,
    markers: &[Vec<u8>],
    out: RangeOut,
    p: usize,
) -> std::io::Result<Result<Vec<Vec<u8>>, GiveUp>> {
    let RangeOut { x, codes, weights } = out;
    let mut labels: Vec<Vec<u8>> = Vec::with_capacity(2);
    let mut row = 0usize;
    let is_missing = |cell: &[u8]| cell.is_empty() || markers.iter().any(|m| m.as_slice() == cell);
    let outcome = file.lines(start, end, &mut |line| {
        if line.is_empty() {
            return Ok(());
        }
        let out = x
            .get_mut(row * p..(row + 1) * p)
            .ok_or(GiveUp::FieldCount)?;
        let mut field = 0usize;
        let mut cell_start = 0usize;
        for cell_end in memchr::memchr_iter(delimiter, line).chain(std::iter::once(line.len())) {
            let role = *roles.get(field).ok_or(GiveUp::FieldCount)?;
            let cell = trim(&line[cell_start..cell_end]);
            match role {
                Role::Ignore => {}
                Role::Weight => {
                    if is_missing(cell) {
                        return Err(GiveUp::Weight);
                    }
                    let v: f64 = fast_float2::parse(cell).map_err(|_| GiveUp::Weight)?;
                    if !v.is_finite() || v < 0.0 {
                        return Err(GiveUp::Weight);
                    }
                    weights[row] = v + 0.0;
                }
                Role::Feature(j) => {
                    if is_missing(cell) {
                        return Err(GiveUp::Missing);
                    }
                    let v: f64 = fast_float2::parse(cell).map_err(|_| GiveUp::NotANumber)?;
                    if !v.is_finite() {
                        return Err(GiveUp::NotANumber);
                    }
                    out[j] = v;
                }
                Role::Target => {
                    if is_missing(cell) {
                        return Err(GiveUp::Missing);
                    }
                    let code = match labels.iter().position(|l| l.as_slice() == cell) {
                        Some(c) => c,
                        None if labels.len() < MAX_CLASSES => {
                            labels.push(cell.to_vec());
                            labels.len() - 1
                        }
                        None => return Err(GiveUp::Labels),
                    };
                    codes[row] = code as u32;
                }
            }
            field += 1;
            cell_start = cell_end + 1;
        }
        if field != roles.len() {
            return Err(GiveUp::FieldCount);
        }
        row += 1;
        Ok(())
    })?;
    Ok(outcome.map(|()| labels))
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

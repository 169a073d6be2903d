//! Records and physical lines: the one set of rules every scoring reader follows.
//!
//! predict's fast path, predict's csv path and eval all find records by the rules here, so they
//! agree on which rows exist, in which order, and on which line each starts:
//!
//! - A line ends at `\n`, `\r\n` or a lone `\r` (the csv crate's record terminators). Physical
//!   line numbers count exactly these ([`line_breaks`]), inside quoted cells too; the first
//!   line of the file is line 1.
//! - A UTF-8 byte-order mark at the very start of the input is ignored.
//! - Blank lines before the header are skipped: the header is the first non-blank line.
//! - After the header, a blank line is a record with one empty cell in a one-column file (RFC
//!   4180: the line holds one field, and it is empty, i.e. a missing value), and holds no cell
//!   in a wider file, where it is skipped ([`blank_line_is_record`]). The csv crate skips it in
//!   both cases, which silently loses a row of a one-column file; that is why this module drives
//!   `csv_core` itself instead of using `csv::Reader`.
//! - Fields are split and unquoted by `csv_core` with the csv crate's defaults (RFC 4180 quotes,
//!   doubled quotes inside them, no escape byte, no comments), so every non-blank record is
//!   exactly the csv crate's record.
//! - Every record must have the header's number of fields, be UTF-8, and stay within
//!   [`MAX_RECORD_BYTES`] and [`MAX_CELL_BYTES`].

use std::collections::HashSet;
use std::io::Read;

use super::limits::{MAX_CELL_BYTES, MAX_RECORD_BYTES};
use crate::error::{DataError, DataErrorKind, Error, Location, Result};

/// Whether a blank line after the header is a record (of one empty cell) or is skipped.
pub fn blank_line_is_record(n_fields: usize) -> bool {
    n_fields == 1
}

/// Physical line breaks in `bytes`, given the byte just before them (`prev`, or any other byte
/// at the start of the input): every `\r`, and every `\n` that does not end a `\r\n`.
pub fn line_breaks(prev: u8, bytes: &[u8]) -> u64 {
    let mut n = 0;
    for i in memchr::memchr2_iter(b'\r', b'\n', bytes) {
        let before = if i == 0 { prev } else { bytes[i - 1] };
        if bytes[i] == b'\r' || before != b'\r' {
            n += 1;
        }
    }
    n
}

/// The fast path's reading of a chunk of whole lines that starts at a line start: calls `each`
/// with the fields of every record in order, and returns `true` when the chunk is plain enough
/// that these are exactly the records [`Records`] reads from it. It returns `false` (and the
/// caller reads the chunk with [`Records`] instead) at a quote, a `\r` other than the one of a
/// `\r\n`, bytes that are not UTF-8, a field count other than `n_fields`, a line or cell
/// over the limits, or when `each` returns `false`.
///
/// Lines are split at `\n` (a `\r` before it dropped) and fields at `delimiter`; a blank line
/// follows [`blank_line_is_record`].
pub fn for_each_plain_record<'a>(
    chunk: &'a [u8],
    n_fields: usize,
    delimiter: u8,
    mut each: impl FnMut(&[&'a [u8]]) -> bool,
) -> bool {
    if memchr::memchr(b'"', chunk).is_some() || std::str::from_utf8(chunk).is_err() {
        return false;
    }
    let mut fields: Vec<&[u8]> = Vec::with_capacity(n_fields);
    let mut line_start = 0;
    let ends = memchr::memchr_iter(b'\n', chunk)
        .chain((!chunk.is_empty() && chunk.last() != Some(&b'\n')).then_some(chunk.len()));
    for line_end in ends {
        let line = &chunk[line_start..line_end];
        line_start = line_end + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if memchr::memchr(b'\r', line).is_some() || line.len() > MAX_RECORD_BYTES {
            return false;
        }
        fields.clear();
        if line.is_empty() {
            if !blank_line_is_record(n_fields) {
                continue;
            }
            fields.push(line);
        } else {
            let mut field_start = 0;
            for field_end in memchr::memchr_iter(delimiter, line).chain(std::iter::once(line.len()))
            {
                fields.push(&line[field_start..field_end]);
                field_start = field_end + 1;
            }
        }
        if fields.len() != n_fields || fields.iter().any(|f| f.len() > MAX_CELL_BYTES) {
            return false;
        }
        if !each(&fields) {
            return false;
        }
    }
    true
}

/// Checks that no column name appears twice (a hash set: headers may have 100,000 columns).
pub fn check_unique_names(file: &str, line: u64, names: &[String]) -> Result<()> {
    let mut seen = HashSet::with_capacity(names.len());
    for name in names {
        if !seen.insert(name.as_str()) {
            return Err(DataError::new(
                Location::cell(file, line, name),
                DataErrorKind::DuplicateColumn,
            )
            .into());
        }
    }
    Ok(())
}

/// Bytes read from the input at a time.
const BUFFER_BYTES: usize = 1 << 16;

/// A streaming CSV record reader that follows the module's rules and knows the physical line
/// of every record.
pub struct Records<R> {
    file: String,
    input: R,
    core: csv_core::Reader,
    buf: Vec<u8>,
    /// `buf[pos..len]` is read but not yet consumed.
    pos: usize,
    len: usize,
    eof: bool,
    /// Physical line of `buf[pos]`.
    line: u64,
    /// The last byte consumed (decides whether a `\n` ends a `\r\n`).
    prev: u8,
    /// `csv_core` has not been fed yet (it strips a BOM from its first input; we do that
    /// ourselves, once, at the start of the file only).
    fed: bool,
    /// Set once the header is read (or given to [`Records::resume`]).
    header: Option<Vec<String>>,
    header_line: u64,
    /// The current record's unquoted bytes and the end offset of each field in them.
    out: Vec<u8>,
    ends: Vec<usize>,
    n_ends: usize,
}

impl<R: Read> Records<R> {
    /// A reader at the start of an input; call [`Records::read_header`] first.
    pub fn new(file: &str, input: R, delimiter: u8) -> Records<R> {
        Records::at(file, input, delimiter, None, 1, 0)
    }

    /// A reader that continues an input right after a line end (`line` is the physical line of
    /// the first byte of `input`), with the header already read.
    pub fn resume(
        file: &str,
        input: R,
        delimiter: u8,
        header: Vec<String>,
        line: u64,
    ) -> Records<R> {
        Records::at(file, input, delimiter, Some(header), line, b'\n')
    }

    fn at(
        file: &str,
        input: R,
        delimiter: u8,
        header: Option<Vec<String>>,
        line: u64,
        prev: u8,
    ) -> Records<R> {
        Records {
            file: file.to_string(),
            input,
            core: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            buf: vec![0; BUFFER_BYTES],
            pos: 0,
            len: 0,
            eof: false,
            line,
            prev,
            fed: false,
            header,
            header_line: 1,
            out: vec![0; 1024],
            ends: vec![0; 64],
            n_ends: 0,
        }
    }

    /// Reads the header: the first non-blank line after an optional BOM. Fails on an empty
    /// input and on duplicate names.
    pub fn read_header(&mut self) -> Result<Vec<String>> {
        while self.len - self.pos < 3 && !self.eof {
            self.read_more()?;
        }
        if self.buf[self.pos..self.len].starts_with(b"\xef\xbb\xbf") {
            self.advance(3);
        }
        let line = match self.next_fields()? {
            Some(line) => line,
            None => {
                return Err(DataError::new(Location::file(&self.file), DataErrorKind::Empty).into())
            }
        };
        let mut names = Vec::with_capacity(self.n_ends);
        let mut start = 0;
        for &end in &self.ends[..self.n_ends] {
            let cell = &self.out[start..end];
            start = end;
            match std::str::from_utf8(cell) {
                Ok(name) if cell.len() <= MAX_CELL_BYTES => names.push(name.to_string()),
                Ok(_) => return Err(self.cell_too_long(line, None, cell.len())),
                Err(_) => {
                    return Err(DataError::new(
                        Location::line(&self.file, line),
                        DataErrorKind::NotUtf8,
                    )
                    .into())
                }
            }
        }
        check_unique_names(&self.file, line, &names)?;
        self.header = Some(names.clone());
        self.header_line = line;
        Ok(names)
    }

    /// The physical line the header started on.
    pub fn header_line(&self) -> u64 {
        self.header_line
    }

    /// Reads the next record into `record`; returns the physical line it starts on, or `None`
    /// at the end of the input.
    pub fn read(&mut self, record: &mut csv::StringRecord) -> Result<Option<u64>> {
        let Some(line) = self.next_fields()? else {
            return Ok(None);
        };
        let header = self.header.as_ref().expect("the header is read first");
        if self.n_ends != header.len() {
            let kind = DataErrorKind::FieldCount {
                expected: header.len(),
                found: self.n_ends,
            };
            return Err(DataError::new(Location::line(&self.file, line), kind).into());
        }
        let mut bytes = std::mem::take(record).into_byte_record();
        bytes.clear();
        let mut start = 0;
        for (i, &end) in self.ends[..self.n_ends].iter().enumerate() {
            if end - start > MAX_CELL_BYTES {
                return Err(self.cell_too_long(line, Some(i), end - start));
            }
            bytes.push_field(&self.out[start..end]);
            start = end;
        }
        *record = csv::StringRecord::from_byte_record(bytes).map_err(|e| {
            let column = e.utf8_error().field();
            DataError::new(
                Location::cell(&self.file, line, &header[column]),
                DataErrorKind::NotUtf8,
            )
        })?;
        Ok(Some(line))
    }

    /// Gives back the bytes read but not consumed, the input, and the physical line of the first
    /// of those bytes. They start at a line start: the `\n` of a `\r\n` that ended the last
    /// record is consumed first.
    pub fn into_raw(mut self) -> Result<(Vec<u8>, R, u64)> {
        if self.prev == b'\r' && self.fill()? && self.buf[self.pos] == b'\n' {
            self.advance(1);
        }
        let rest = self.buf[self.pos..self.len].to_vec();
        Ok((rest, self.input, self.line))
    }

    /// Parses the next record (or header) into `out` / `ends`; returns its first line.
    fn next_fields(&mut self) -> Result<Option<u64>> {
        // Between records: the rest of a `\r\n`, and blank lines.
        loop {
            if !self.fill()? {
                return Ok(None);
            }
            let b = self.buf[self.pos];
            if b == b'\n' && self.prev == b'\r' {
                self.advance(1);
                continue;
            }
            if b != b'\r' && b != b'\n' {
                break;
            }
            let line = self.line;
            self.advance(1);
            if self
                .header
                .as_ref()
                .is_some_and(|h| blank_line_is_record(h.len()))
            {
                self.ends[0] = 0;
                self.n_ends = 1;
                return Ok(Some(line));
            }
        }
        let line = self.line;
        let (mut n_out, mut n_ends) = (0, 0);
        loop {
            self.fill()?;
            let mut end = self.len;
            if !self.fed {
                // One byte first, so csv_core does not strip a second BOM.
                end = end.min(self.pos + 1);
            }
            let (result, n_in, o, e) = self.core.read_record(
                &self.buf[self.pos..end],
                &mut self.out[n_out..],
                &mut self.ends[n_ends..],
            );
            self.fed = true;
            self.advance(n_in);
            n_out += o;
            n_ends += e;
            let done = result == csv_core::ReadRecordResult::Record;
            // Content so far: the field bytes plus one delimiter after each finished field but
            // the last one of a finished record.
            if n_out + n_ends - usize::from(done && n_ends > 0) > MAX_RECORD_BYTES {
                let kind = DataErrorKind::RecordTooLong {
                    limit: MAX_RECORD_BYTES,
                };
                return Err(DataError::new(Location::line(&self.file, line), kind).into());
            }
            match result {
                csv_core::ReadRecordResult::InputEmpty => {}
                csv_core::ReadRecordResult::OutputFull => grow(&mut self.out),
                csv_core::ReadRecordResult::OutputEndsFull => grow(&mut self.ends),
                csv_core::ReadRecordResult::Record => {
                    self.n_ends = n_ends;
                    return Ok(Some(line));
                }
                csv_core::ReadRecordResult::End => return Ok(None),
            }
        }
    }

    fn cell_too_long(&self, line: u64, column: Option<usize>, length: usize) -> Error {
        let kind = DataErrorKind::CellTooLong {
            limit: MAX_CELL_BYTES,
            bytes: length,
        };
        let location = match (column, &self.header) {
            (Some(i), Some(h)) => Location::cell(&self.file, line, &h[i]),
            _ => Location::line(&self.file, line),
        };
        DataError::new(location, kind).into()
    }

    /// Consumes `n` bytes, counting the line breaks among them.
    fn advance(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        let bytes = &self.buf[self.pos..self.pos + n];
        self.line += line_breaks(self.prev, bytes);
        self.prev = bytes[n - 1];
        self.pos += n;
    }

    /// Makes sure an unconsumed byte is buffered; `false` at the end of the input.
    fn fill(&mut self) -> Result<bool> {
        while self.pos == self.len && !self.eof {
            self.pos = 0;
            self.len = 0;
            self.read_more()?;
        }
        Ok(self.pos < self.len)
    }

    /// Reads more bytes after `buf[..len]` (moving the unconsumed ones to the front first).
    fn read_more(&mut self) -> Result<()> {
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.len, 0);
            self.len -= self.pos;
            self.pos = 0;
        }
        loop {
            match self.input.read(&mut self.buf[self.len..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.len += n;
                    return Ok(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(super::input::read_error(&self.file, e)),
            }
        }
    }
}

/// Doubles a parse buffer, up to just past the record limit (a longer record is refused).
fn grow<T: Default + Clone>(v: &mut Vec<T>) {
    let n = (v.len() * 2).min(MAX_RECORD_BYTES + 2).max(v.len() + 1);
    v.resize(n, T::default());
}

#[cfg(test)]
mod tests;

//! A byte stream wrapper for the csv crate that knows physical lines and bounds record length.
//! A line ends at `\n`, `\r\n` or a lone `\r` (the record ends the csv crate knows).
//!
//! The csv crate reports a record's line as the number of `\n` it has consumed when the record
//! begins, which is one short in CRLF files (the `\n` of the previous `\r\n` is consumed later)
//! and names the first of any blank lines skipped before the record. [`Tracked`] sees every byte
//! on its way to the parser and remembers, for each run of line-end bytes, where the next text
//! starts and how many `\n` precede it; a record's physical line (header = 1) is then the line
//! of the first text byte at or after the position the csv crate gives. Entries older than the
//! last record are dropped, so memory follows the read-ahead buffer and one record.
//!
//! The same wrapper refuses a record longer than [`MAX_RECORD_BYTES`] (an endless line from
//! `/dev/zero`, an unclosed quote), before the csv crate's record buffer grows without bound.

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, Read};

use super::limits::MAX_RECORD_BYTES;

/// Read-ahead of the csv reader built over a [`Tracked`] stream (bytes the wrapper has passed
/// on beyond what the parser has consumed).
pub const CSV_BUFFER_BYTES: usize = 1 << 16;

/// The error a [`Tracked`] stream returns for an over-long record; carried inside an
/// `io::Error` through the csv crate and recognised by [`super::input::csv_error`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordTooLong {
    pub line: u64,
    pub limit: usize,
}

impl fmt::Display for RecordTooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a record longer than {} bytes", self.limit)
    }
}

impl std::error::Error for RecordTooLong {}

/// A reader that tracks physical lines (see the module doc).
pub struct Tracked<R> {
    inner: R,
    /// Bytes passed on so far.
    offset: u64,
    /// `\n` bytes passed on so far.
    newlines: u64,
    /// Whether the last byte passed on was `\r` or `\n` (true at the start of the stream).
    after_line_end: bool,
    /// Whether the last byte passed on was `\r` (a line end unless a `\n` follows).
    cr_pending: bool,
    /// (offset of a text byte that follows line-end bytes, `\n` count before it), ascending.
    starts: VecDeque<(u64, u64)>,
    /// Where the record being parsed begins (the end of the last one handed out).
    record_start: u64,
    limit: usize,
}

impl<R: Read> Tracked<R> {
    pub fn new(inner: R) -> Tracked<R> {
        Tracked::with_limit(inner, MAX_RECORD_BYTES)
    }

    /// A tracked stream with another record limit (for tests).
    pub fn with_limit(inner: R, limit: usize) -> Tracked<R> {
        Tracked {
            inner,
            offset: 0,
            newlines: 0,
            after_line_end: true,
            cr_pending: false,
            starts: VecDeque::new(),
            record_start: 0,
            limit,
        }
    }

    /// The physical line (1-based) of the first text byte at or after byte `at`; entries before
    /// `at` are forgotten, so `at` must not decrease between calls.
    pub fn line_at(&mut self, at: u64) -> u64 {
        while self.starts.front().is_some_and(|s| s.0 < at) {
            self.starts.pop_front();
        }
        match self.starts.front() {
            Some(&(offset, newlines)) if offset >= at => newlines + 1,
            // Only line ends follow `at` (the end of the input, or not read yet).
            _ => self.newlines + 1,
        }
    }

    /// Called after each record with the parser's position: the next record starts there, and
    /// the entries inside the finished record are forgotten.
    pub fn record_done(&mut self, end: u64) {
        self.record_start = end;
        while self.starts.front().is_some_and(|s| s.0 < end) {
            self.starts.pop_front();
        }
    }

    /// Keeps the entry list short inside a record of very many lines: the first entry is where
    /// the record being parsed starts; an entry this far down the list lies more than the csv
    /// reader's buffer behind the read position (every entry follows a line end, so they are at
    /// least 2 bytes apart), so it is inside that record and never asked for.
    fn push_start(&mut self, entry: (u64, u64)) {
        self.starts.push_back(entry);
        if self.starts.len() > CSV_BUFFER_BYTES + 2 {
            self.starts.remove(1);
        }
    }

    /// Notes the line ends of the next bytes of the stream: `\n`, `\r\n` and a lone `\r` (which
    /// also ends a record for the csv crate) each end a line.
    fn scan(&mut self, bytes: &[u8]) {
        if self.cr_pending && !bytes.is_empty() {
            self.newlines += u64::from(bytes[0] != b'\n');
            self.cr_pending = false;
        }
        let mut text_from = 0;
        for i in memchr::memchr2_iter(b'\r', b'\n', bytes) {
            if i > text_from && self.after_line_end {
                self.push_start((self.offset + text_from as u64, self.newlines));
            }
            if i > text_from {
                self.after_line_end = false;
            }
            if bytes[i] == b'\n' {
                self.newlines += 1;
            } else if let Some(&next) = bytes.get(i + 1) {
                self.newlines += u64::from(next != b'\n');
            } else {
                self.cr_pending = true;
            }
            self.after_line_end = true;
            text_from = i + 1;
        }
        if bytes.len() > text_from && self.after_line_end {
            self.push_start((self.offset + text_from as u64, self.newlines));
            self.after_line_end = false;
        }
        self.offset += bytes.len() as u64;
    }
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let pending = self.offset - self.record_start;
        if pending > (self.limit + CSV_BUFFER_BYTES) as u64 {
            let line = self.line_at(self.record_start);
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                RecordTooLong {
                    line,
                    limit: self.limit,
                },
            ));
        }
        let n = self.inner.read(buf)?;
        self.scan(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(text: &[u8]) -> Vec<u64> {
        let mut reader = super::super::input::csv_reader(text, b',');
        super::super::input::read_tracked_header("t", &mut reader).unwrap();
        let mut record = csv::StringRecord::new();
        let mut lines = Vec::new();
        while let Some(line) =
            super::super::input::next_record("t", &mut reader, &mut record).expect("valid csv")
        {
            lines.push(line);
        }
        lines
    }

    #[test]
    fn lines_are_physical_with_crlf_blank_lines_and_multi_line_records() {
        assert_eq!(lines_of(b"a,b\n1,2\n3,4\n"), vec![2, 3]);
        assert_eq!(lines_of(b"a,b\r\n1,2\r\n3,4\r\n"), vec![2, 3]);
        assert_eq!(lines_of(b"a,b\n1,2\n\n\n3,4\n"), vec![2, 5]);
        assert_eq!(lines_of(b"a,b\r\n\r\n1,2\r\n\r\n\r\n3,4"), vec![3, 6]);
        assert_eq!(lines_of(b"a,b\n\"x\ny\nz\",2\n3,4\n"), vec![2, 5]);
        assert_eq!(lines_of(b"\n\na,b\n1,2\n"), vec![4]);
        // A lone carriage return ends a line (and a record) too.
        assert_eq!(lines_of(b"a,b\r1,2\r\r3,4\r\n5,6"), vec![2, 4, 5]);
    }

    #[test]
    fn a_record_of_very_many_lines_keeps_the_line_list_short_and_the_lines_right() {
        let mut text = b"a,b\n1,\"".to_vec();
        for _ in 0..200_000 {
            text.extend_from_slice(b"x\n");
        }
        text.extend_from_slice(b"\"\n\n3,4\n");
        let mut reader = super::super::input::csv_reader(text.as_slice(), b',');
        super::super::input::read_tracked_header("t", &mut reader).unwrap();
        let mut record = csv::StringRecord::new();
        let mut lines = Vec::new();
        while let Some(line) =
            super::super::input::next_record("t", &mut reader, &mut record).unwrap()
        {
            assert!(reader.get_ref().starts.len() <= CSV_BUFFER_BYTES + 2);
            lines.push(line);
        }
        assert_eq!(lines, vec![2, 200_004]);
    }

    #[test]
    fn small_reads_give_the_same_lines() {
        struct OneByte<'a>(&'a [u8]);
        impl Read for OneByte<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0.is_empty() || buf.is_empty() {
                    return Ok(0);
                }
                buf[0] = self.0[0];
                self.0 = &self.0[1..];
                Ok(1)
            }
        }
        let text = b"a,b\r\n\r\n1,2\r\n\"p\r\nq\",3\n\n4,5\r\r6,7\n";
        let mut reader = csv::ReaderBuilder::new().from_reader(Tracked::new(OneByte(text)));
        let mut record = csv::StringRecord::new();
        let mut lines = Vec::new();
        super::super::input::read_tracked_header("t", &mut reader).unwrap();
        while let Some(line) =
            super::super::input::next_record("t", &mut reader, &mut record).unwrap()
        {
            lines.push(line);
        }
        assert_eq!(lines, vec![3, 4, 7, 9]);
    }

    #[test]
    fn an_endless_record_is_refused_at_the_limit() {
        let zeros = io::repeat(0).take(1 << 30);
        let reader = Tracked::with_limit(zeros, 1000);
        let mut csv = csv::ReaderBuilder::new().from_reader(reader);
        let err = super::super::input::read_tracked_header("zero", &mut csv).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("zero: line 1:") && text.contains("longer than 1000 bytes"),
            "{text}"
        );
    }
}

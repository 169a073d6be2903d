//! Opening inputs: a path or `-` (stdin), CSV reader setup and the source's display name for
//! error messages. Outputs (never clobbered on failure) live in [`super::output`], re-exported
//! here.

use std::fs::File;
use std::io::{self, Read, Seek};
use std::path::Path;

use super::format::{detect_format, InputFormat};
use super::limits::SNIFF_BYTES;
use super::lines::{RecordTooLong, Tracked, CSV_BUFFER_BYTES};
use crate::error::{DataError, DataErrorKind, Error, Location, Result};

pub use super::output::{check_destination, Output};

/// Name used for standard input and output in messages.
pub const STDIN_NAME: &str = "<stdin>";

/// A readable input: a file or standard input, with the name shown in messages.
///
/// Every input is opened once and read once (a FIFO or a pipe cannot be reopened or rewound):
/// a regular file is kept as a [`File`] that a reader may also read by offset (the fast training
/// reader) before handing it to the csv path from its start; anything else is a stream whose
/// first bytes, sniffed to recognise compressed or binary input, are put back in front of it.
pub struct Source {
    pub name: String,
    input: Input,
    /// The first bytes (at most [`SNIFF_BYTES`]), which tell the format.
    prefix: Vec<u8>,
}

enum Input {
    /// A regular file, positioned at its start, and its length.
    File { file: File, len: u64 },
    /// Standard input, a FIFO or a device, with the sniffed bytes chained in front.
    Stream(Box<dyn Read>),
}

impl Source {
    /// Opens `path`, or standard input for `-`, as CSV. Fails on a directory and on input whose
    /// first bytes show a compressed or binary format.
    pub fn open(path: &str) -> Result<Source> {
        let source = Source::open_any(path)?;
        source.check_csv()?;
        Ok(source)
    }

    /// Opens `path`, or standard input for `-`, whatever its format (see [`Source::format`]);
    /// fails on a directory. Call [`Source::check_csv`] before reading it as CSV.
    pub fn open_any(path: &str) -> Result<Source> {
        if path == "-" {
            return Source::from_stream_any(STDIN_NAME, Box::new(io::stdin().lock()));
        }
        if Path::new(path).is_dir() {
            return Err(Error::io(
                path,
                "read it",
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "it is a directory, expected a CSV file",
                ),
            ));
        }
        let mut file = File::open(path).map_err(|e| Error::io(path, "open it", e))?;
        let meta = file.metadata().map_err(|e| Error::io(path, "read it", e))?;
        if !meta.is_file() {
            return Source::from_stream_any(path, Box::new(file));
        }
        let mut prefix = Vec::with_capacity(SNIFF_BYTES);
        (&mut file)
            .take(SNIFF_BYTES as u64)
            .read_to_end(&mut prefix)
            .and_then(|_| file.rewind())
            .map_err(|e| Error::io(path, "read it", e))?;
        Ok(Source {
            name: path.to_string(),
            input: Input::File {
                file,
                len: meta.len(),
            },
            prefix,
        })
    }

    /// A CSV source over any stream (the first bytes are sniffed and put back).
    pub fn from_stream(name: &str, stream: Box<dyn Read>) -> Result<Source> {
        let source = Source::from_stream_any(name, stream)?;
        source.check_csv()?;
        Ok(source)
    }

    /// [`Source::from_stream`] without the CSV check.
    pub fn from_stream_any(name: &str, mut stream: Box<dyn Read>) -> Result<Source> {
        let mut prefix = Vec::with_capacity(SNIFF_BYTES);
        (&mut stream)
            .take(SNIFF_BYTES as u64)
            .read_to_end(&mut prefix)
            .map_err(|e| Error::io(name, "read it", e))?;
        Ok(Source {
            name: name.to_string(),
            input: Input::Stream(Box::new(io::Cursor::new(prefix.clone()).chain(stream))),
            prefix,
        })
    }

    /// The input's format: `flag` when given, else from the name and the first bytes
    /// ([`detect_format`]).
    pub fn format(&self, flag: Option<InputFormat>) -> InputFormat {
        detect_format(&self.name, flag, &self.prefix)
    }

    /// The first bytes of the input (at most [`SNIFF_BYTES`]).
    pub fn prefix(&self) -> &[u8] {
        &self.prefix
    }

    /// Refuses input whose first bytes show a compressed or binary format that the CSV
    /// readers cannot take.
    pub fn check_csv(&self) -> Result<()> {
        check_format(&self.name, &self.prefix)
    }

    /// The open regular file and its length, when the source is one (for readers that read
    /// by offset); the csv path still reads it from the start afterwards.
    pub fn regular_file(&self) -> Option<(&File, u64)> {
        match &self.input {
            Input::File { file, len } => Some((file, *len)),
            Input::Stream(_) => None,
        }
    }

    /// The raw byte stream.
    pub fn into_reader(self) -> (String, Box<dyn Read>) {
        let reader: Box<dyn Read> = match self.input {
            Input::File { file, .. } => Box::new(file),
            Input::Stream(s) => s,
        };
        (self.name, reader)
    }

    /// A CSV reader over this source (see [`csv_reader`]).
    pub fn csv_reader(self, delimiter: u8) -> (String, csv::Reader<Tracked<Box<dyn Read>>>) {
        let (name, reader) = self.into_reader();
        (name, csv_reader(reader, delimiter))
    }
}

/// Refuses input whose first bytes show a compressed or binary format (see [`super::sniff`]).
fn check_format(name: &str, prefix: &[u8]) -> Result<()> {
    match super::sniff::not_csv(prefix, name) {
        Some((format, advice)) => Err(DataError::new(
            Location::file(name),
            DataErrorKind::NotCsv { format, advice },
        )
        .into()),
        None => Ok(()),
    }
}

/// A CSV reader over `input`: header row, `\n`/`\r\n` line ends, RFC 4180 quoting, a UTF-8
/// byte-order mark ignored. Records must all have the header's number of fields. Physical lines
/// are tracked and records longer than [`super::limits::MAX_RECORD_BYTES`] refused; read it
/// with [`read_tracked_header`] and [`next_record`].
pub fn csv_reader<R: Read>(input: R, delimiter: u8) -> csv::Reader<Tracked<R>> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(false)
        .buffer_capacity(CSV_BUFFER_BYTES)
        .from_reader(Tracked::new(input))
}

/// The field delimiter for `path`: the `--delimiter` flag when given, otherwise tab for
/// `.tsv`/`.tab` files and comma for everything else (including stdin).
pub fn delimiter_for(path: &str, flag: Option<u8>) -> u8 {
    if let Some(d) = flag {
        return d;
    }
    let ext = Path::new(path)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("tsv") | Some("tab") => b'\t',
        _ => b',',
    }
}

/// Turns a csv crate error into our located data error. The csv crate knows the record's
/// starting line (one short in CRLF files; see [`tracked_error`] for the physical line) but
/// not the file name.
pub fn csv_error(file: &str, err: csv::Error) -> DataError {
    let line = err.position().map(|p| p.line());
    located(file, err, line)
}

/// [`csv_error`] for a tracked reader: the location is the physical line.
pub fn tracked_error<R: Read>(
    file: &str,
    reader: &mut csv::Reader<Tracked<R>>,
    err: csv::Error,
) -> DataError {
    let line = err.position().map(|p| reader.get_mut().line_at(p.byte()));
    located(file, err, line)
}

fn located(file: &str, err: csv::Error, line: Option<u64>) -> DataError {
    let mut line = line;
    let kind = match err.kind() {
        csv::ErrorKind::Utf8 { .. } => DataErrorKind::NotUtf8,
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => DataErrorKind::FieldCount {
            expected: *expected_len as usize,
            found: *len as usize,
        },
        csv::ErrorKind::Io(e) => {
            match e.get_ref().and_then(|r| r.downcast_ref::<RecordTooLong>()) {
                Some(too_long) => {
                    line = Some(too_long.line);
                    DataErrorKind::RecordTooLong {
                        limit: too_long.limit,
                    }
                }
                None => DataErrorKind::Io {
                    message: e.to_string(),
                },
            }
        }
        _ => DataErrorKind::Csv {
            message: err.to_string(),
        },
    };
    let location = match line {
        Some(line) => Location::line(file, line),
        None => Location::file(file),
    };
    DataError::new(location, kind)
}

/// Reads the next record of a tracked reader into `record`; returns the physical line it starts
/// on, or `None` at the end. Errors name the file and the physical line.
pub fn next_record<R: Read>(
    file: &str,
    reader: &mut csv::Reader<Tracked<R>>,
    record: &mut csv::StringRecord,
) -> Result<Option<u64>> {
    match reader.read_record(record) {
        Ok(true) => {}
        Ok(false) => return Ok(None),
        Err(e) => return Err(tracked_error(file, reader, e).into()),
    }
    let start = record.position().map_or(0, |p| p.byte());
    let end = reader.position().byte();
    let tracked = reader.get_mut();
    let line = tracked.line_at(start);
    tracked.record_done(end);
    Ok(Some(line))
}

/// [`read_header`] for a tracked reader: errors name the physical line, and the record limit
/// starts counting after the header.
pub fn read_tracked_header<R: Read>(
    file: &str,
    reader: &mut csv::Reader<Tracked<R>>,
) -> Result<Vec<String>> {
    let header = match reader.headers().cloned() {
        Ok(h) => h,
        Err(e) => return Err(tracked_error(file, reader, e).into()),
    };
    let line = reader.get_mut().line_at(0);
    let names = check_header(file, &header, line)?;
    let end = reader.position().byte();
    reader.get_mut().record_done(end);
    Ok(names)
}

/// Reads the header row and checks it (see [`check_header`]).
pub fn read_header<R: Read>(file: &str, reader: &mut csv::Reader<R>) -> Result<Vec<String>> {
    let header = reader.headers().map_err(|e| csv_error(file, e))?.clone();
    check_header(file, &header, 1)
}

/// Checks the header row (on physical line `line`) is present and has no duplicate names.
fn check_header(file: &str, header: &csv::StringRecord, line: u64) -> Result<Vec<String>> {
    if header.is_empty() {
        return Err(DataError::new(Location::file(file), DataErrorKind::Empty).into());
    }
    let names: Vec<String> = header.iter().map(str::to_string).collect();
    super::records::check_unique_names(file, line, &names)?;
    Ok(names)
}

/// The error for columns a command needs that `header` lacks: when the header is one column
/// whose name holds another delimiter (a semicolon- or tab-separated file read with commas),
/// the message says so and suggests `--delimiter`.
pub fn missing_columns(
    file: &str,
    header_line: u64,
    header: &[String],
    names: Vec<String>,
) -> DataError {
    let location = Location {
        file: file.to_string(),
        line: Some(header_line),
        column: names.first().cloned(),
    };
    let kind = match header {
        [only] => match other_delimiter(only) {
            Some(delimiter) => DataErrorKind::OtherDelimiter { names, delimiter },
            None => DataErrorKind::MissingColumns { names },
        },
        _ => DataErrorKind::MissingColumns { names },
    };
    DataError::new(location, kind)
}

/// The delimiter a one-column header seems to use instead: `;`, tab, `|` or `,` separating at
/// least two non-empty names (a comma only when it is not the delimiter, or it would have split).
fn other_delimiter(name: &str) -> Option<char> {
    [';', '\t', '|', ',']
        .into_iter()
        .find(|&d| name.split(d).filter(|part| !part.trim().is_empty()).count() >= 2)
}

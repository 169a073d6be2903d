//! Opening inputs: a path or `-` (stdin), CSV reader setup and the source's display name for
//! error messages. gzip and zstd input is recognised by its first bytes and decoded on the way
//! in ([`super::compress`]), so every reader sees text. Outputs (never clobbered on failure)
//! live in [`super::output`], re-exported here.

use std::fs::File;
use std::io::{self, Read, Seek};
use std::path::Path;

use super::compress::{self, Codec};
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
/// Compressed input (gzip, zstd) is sniffed twice: the compressed bytes say which decoder to
/// use, and the first decoded bytes are the prefix that tells the format and must look like
/// text for the CSV readers, as plain input's must.
pub struct Source {
    pub name: String,
    input: Input,
    /// The first bytes (at most [`SNIFF_BYTES`]) of the decompressed text, which tell the format.
    prefix: Vec<u8>,
    /// The input's compression, if any.
    codec: Option<Codec>,
}

enum Input {
    /// A regular file, positioned at its start, and its length.
    File { file: File, len: u64 },
    /// A regular file of gzip or zstd data, positioned at its start, and its (compressed)
    /// length: decoded from its start by whichever reader reads it.
    Compressed { file: File, len: u64, codec: Codec },
    /// Standard input, a FIFO or a device, with the sniffed bytes chained in front (decoded
    /// when compressed).
    Stream(Box<dyn Read>),
}

impl Source {
    /// Opens `path`, or standard input for `-`, as CSV. Fails on a directory and on input whose
    /// first bytes (after decompression) show a binary format.
    pub fn open(path: &str) -> Result<Source> {
        let source = Source::open_any(path)?;
        source.check_csv()?;
        Ok(source)
    }

    /// Opens `path`, or standard input for `-`, whatever its format (see [`Source::format`]);
    /// fails on a directory and on a compressed stream broken within its first bytes. Call
    /// [`Source::check_csv`] before reading it as CSV.
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
        if let Some(codec) = Codec::sniff(&prefix) {
            let decoded = codec
                .decoder(Box::new(&file))
                .and_then(read_prefix)
                .and_then(|(p, _)| (&file).rewind().map(|()| p))
                .map_err(|e| read_error(path, e))?;
            return Ok(Source {
                name: path.to_string(),
                input: Input::Compressed {
                    file,
                    len: meta.len(),
                    codec,
                },
                prefix: decoded,
                codec: Some(codec),
            });
        }
        Ok(Source {
            name: path.to_string(),
            input: Input::File {
                file,
                len: meta.len(),
            },
            prefix,
            codec: None,
        })
    }

    /// A CSV source over any stream (the first bytes are sniffed and put back).
    pub fn from_stream(name: &str, stream: Box<dyn Read>) -> Result<Source> {
        let source = Source::from_stream_any(name, stream)?;
        source.check_csv()?;
        Ok(source)
    }

    /// [`Source::from_stream`] without the CSV check (compressed data is decoded).
    pub fn from_stream_any(name: &str, stream: Box<dyn Read>) -> Result<Source> {
        let (prefix, stream) = read_prefix(stream).map_err(|e| Error::io(name, "read it", e))?;
        let codec = Codec::sniff(&prefix);
        let (prefix, stream) = match codec {
            Some(codec) => codec
                .decoder(stream)
                .and_then(read_prefix)
                .map_err(|e| read_error(name, e))?,
            None => (prefix, stream),
        };
        Ok(Source {
            name: name.to_string(),
            input: Input::Stream(stream),
            prefix,
            codec,
        })
    }

    /// The input's format: `flag` when given, else from the name and the first (decompressed)
    /// bytes ([`detect_format`]).
    pub fn format(&self, flag: Option<InputFormat>) -> InputFormat {
        detect_format(&self.name, flag, &self.prefix)
    }

    /// The first bytes of the input's text (at most [`SNIFF_BYTES`], decompressed).
    pub fn prefix(&self) -> &[u8] {
        &self.prefix
    }

    /// The input's compression (gzip, zstd), if any.
    pub fn compression(&self) -> Option<Codec> {
        self.codec
    }

    /// Refuses input whose first bytes show a compressed or binary format that the CSV
    /// readers cannot take (after decompression: compressed twice is named).
    pub fn check_csv(&self) -> Result<()> {
        if let (Some(outer), Some(inner)) = (self.codec, Codec::sniff(&self.prefix)) {
            let format = match (outer, inner) {
                (Codec::Gzip, Codec::Gzip) => "gzip data compressed again with gzip",
                (Codec::Gzip, Codec::Zstd) => "zstd data compressed again with gzip",
                (Codec::Zstd, Codec::Gzip) => "gzip data compressed again with zstd",
                (Codec::Zstd, Codec::Zstd) => "zstd data compressed again with zstd",
            };
            return Err(DataError::new(
                Location::file(&self.name),
                DataErrorKind::NotCsv {
                    format,
                    advice: "decompress it once first".to_string(),
                },
            )
            .into());
        }
        check_format(&self.name, &self.prefix)
    }

    /// The open regular file and its length, when the source is an uncompressed one (for
    /// readers that read by offset); the csv path still reads it from the start afterwards.
    pub fn regular_file(&self) -> Option<(&File, u64)> {
        match &self.input {
            Input::File { file, len } => Some((file, *len)),
            Input::Compressed { .. } | Input::Stream(_) => None,
        }
    }

    /// The first `limit` bytes (fewer at the end) of the decompressed text of a compressed
    /// regular file; `None` for any other input. The file is left at its start.
    pub fn decompress_head(&self, limit: u64) -> Option<Result<Vec<u8>>> {
        let Input::Compressed { file, codec, .. } = &self.input else {
            return None;
        };
        let mut file: &File = file;
        let head = file
            .rewind()
            .and_then(|()| codec.decoder(Box::new(file)))
            .and_then(|d| {
                let mut head = Vec::new();
                d.take(limit).read_to_end(&mut head).map(|_| head)
            })
            .and_then(|head| file.rewind().map(|()| head));
        Some(head.map_err(|e| read_error(&self.name, e)))
    }

    /// The whole decompressed text of a compressed regular file, for readers that parse it in
    /// place (the fast training reader); `None` for any other input. The file is left at its
    /// start, so the stream from [`Self::into_reader`] decodes it again from the beginning.
    pub fn decompress_whole(&self) -> Option<Result<Vec<u8>>> {
        let Input::Compressed { file, len, codec } = &self.input else {
            return None;
        };
        let mut file: &File = file;
        let whole = file
            .rewind()
            .and_then(|()| codec.decoder(Box::new(file)))
            .and_then(|d| compress::read_all(d, *len))
            .and_then(|bytes| file.rewind().map(|()| bytes));
        Some(whole.map_err(|e| read_error(&self.name, e)))
    }

    /// The byte stream (decompressed).
    pub fn into_reader(self) -> (String, Box<dyn Read>) {
        let reader: Box<dyn Read> = match self.input {
            Input::File { file, .. } => Box::new(file),
            Input::Compressed { file, codec, .. } => match codec.decoder(Box::new(file)) {
                Ok(decoder) => decoder,
                Err(e) => Box::new(Failed(Some(e))),
            },
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

/// Reads up to [`SNIFF_BYTES`] from `stream`; returns them and the stream with them put back.
fn read_prefix<'a>(mut stream: Box<dyn Read + 'a>) -> io::Result<(Vec<u8>, Box<dyn Read + 'a>)> {
    let mut prefix = Vec::with_capacity(SNIFF_BYTES);
    (&mut stream)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut prefix)?;
    let put_back = io::Cursor::new(prefix.clone()).chain(stream);
    Ok((prefix, Box::new(put_back)))
}

/// The error for a failed read of input `file`: a gzip/zstd stream that cannot be decoded is
/// named as such ([`compress::StreamError`]), anything else is the operating system's reason.
pub fn read_error(file: &str, err: io::Error) -> Error {
    match compress::stream_error(&err) {
        Some(stream) => DataError::new(
            Location::file(file),
            DataErrorKind::Compressed {
                message: stream.to_string(),
            },
        )
        .into(),
        None => Error::io(file, "read it", err),
    }
}

/// A stream whose first read fails with the error kept (a decoder that could not be set up).
struct Failed(Option<io::Error>);

impl Read for Failed {
    fn read(&mut self, _buf: &mut [u8]) -> io::Result<usize> {
        Err(self
            .0
            .take()
            .unwrap_or_else(|| io::Error::other("the decoder could not be set up")))
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
        csv::ErrorKind::Io(e) if compress::stream_error(e).is_some() => {
            // Where in the decompressed text the stream broke says nothing useful.
            line = None;
            DataErrorKind::Compressed {
                message: compress::stream_error(e)
                    .map(|s| s.to_string())
                    .unwrap_or_default(),
            }
        }
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

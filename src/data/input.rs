//! Opening inputs: a path or `-` (stdin), CSV reader setup and the source's display name for
//! error messages. Outputs (never clobbered on failure) live in [`super::output`], re-exported
//! here.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use crate::error::{DataError, DataErrorKind, Error, Location, Result};

pub use super::output::{check_destination, Output};

/// Name used for standard input and output in messages.
pub const STDIN_NAME: &str = "<stdin>";

/// A readable input: a file or standard input, with the name shown in messages.
pub struct Source {
    pub name: String,
    reader: Box<dyn Read>,
}

impl Source {
    /// Opens `path`, or standard input for `-`.
    pub fn open(path: &str) -> Result<Source> {
        if path == "-" {
            return Ok(Source {
                name: STDIN_NAME.to_string(),
                reader: Box::new(io::stdin().lock()),
            });
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
        let file = File::open(path).map_err(|e| Error::io(path, "open it", e))?;
        Ok(Source {
            name: path.to_string(),
            reader: Box::new(file),
        })
    }

    /// The raw byte stream.
    pub fn into_reader(self) -> (String, Box<dyn Read>) {
        (self.name, self.reader)
    }

    /// A CSV reader over this source: header row, `\n`/`\r\n` line ends, RFC 4180 quoting,
    /// a UTF-8 byte-order mark ignored. Records must all have the header's number of fields.
    pub fn csv_reader(self, delimiter: u8) -> (String, csv::Reader<Box<dyn Read>>) {
        let reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(true)
            .flexible(false)
            .buffer_capacity(1 << 16)
            .from_reader(self.reader);
        (self.name, reader)
    }
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
/// starting line but not the file name.
pub fn csv_error(file: &str, err: csv::Error) -> DataError {
    let line = err.position().map(|p| p.line());
    let kind = match err.kind() {
        csv::ErrorKind::Utf8 { .. } => DataErrorKind::NotUtf8,
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => DataErrorKind::FieldCount {
            expected: *expected_len as usize,
            found: *len as usize,
        },
        csv::ErrorKind::Io(e) => DataErrorKind::Io {
            message: e.to_string(),
        },
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

/// Reads the header row and checks it is present and has no duplicate names.
pub fn read_header<R: Read>(file: &str, reader: &mut csv::Reader<R>) -> Result<Vec<String>> {
    let header = reader.headers().map_err(|e| csv_error(file, e))?.clone();
    if header.is_empty() {
        return Err(DataError::new(Location::file(file), DataErrorKind::Empty).into());
    }
    let names: Vec<String> = header.iter().map(str::to_string).collect();
    super::records::check_unique_names(file, 1, &names)?;
    Ok(names)
}

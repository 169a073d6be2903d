//! Opening inputs and outputs: a path or `-` (stdin/stdout), CSV reader and writer setup, the
//! source's display name for error messages, and atomic output files.
//!
//! Outputs never clobber on failure: a file output is written to a temporary file in the target
//! directory and renamed into place only by [`Output::commit`]; dropping an uncommitted output
//! removes the temporary file and leaves any existing file byte-identical.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};

use super::limits::SNIFF_BYTES;
use super::lines::{RecordTooLong, Tracked, CSV_BUFFER_BYTES};
use crate::error::{DataError, DataErrorKind, Error, Location, Result};

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
}

enum Input {
    /// A regular file, positioned at its start, and its length.
    File { file: File, len: u64 },
    /// Standard input, a FIFO or a device, with the sniffed bytes chained in front.
    Stream(Box<dyn Read>),
}

impl Source {
    /// Opens `path`, or standard input for `-`. Fails on a directory and on input whose first
    /// bytes show a compressed or binary format.
    pub fn open(path: &str) -> Result<Source> {
        if path == "-" {
            return Source::from_stream(STDIN_NAME, Box::new(io::stdin().lock()));
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
            return Source::from_stream(path, Box::new(file));
        }
        let mut prefix = Vec::with_capacity(SNIFF_BYTES);
        (&mut file)
            .take(SNIFF_BYTES as u64)
            .read_to_end(&mut prefix)
            .and_then(|_| file.rewind())
            .map_err(|e| Error::io(path, "read it", e))?;
        check_format(path, &prefix)?;
        Ok(Source {
            name: path.to_string(),
            input: Input::File {
                file,
                len: meta.len(),
            },
        })
    }

    /// A source over any stream (the first bytes are sniffed and put back).
    pub fn from_stream(name: &str, mut stream: Box<dyn Read>) -> Result<Source> {
        let mut prefix = Vec::with_capacity(SNIFF_BYTES);
        (&mut stream)
            .take(SNIFF_BYTES as u64)
            .read_to_end(&mut prefix)
            .map_err(|e| Error::io(name, "read it", e))?;
        check_format(name, &prefix)?;
        Ok(Source {
            name: name.to_string(),
            input: Input::Stream(Box::new(io::Cursor::new(prefix).chain(stream))),
        })
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
    let mut seen = std::collections::HashSet::with_capacity(names.len());
    for name in &names {
        if !seen.insert(name.as_str()) {
            return Err(DataError::new(
                Location {
                    file: file.to_string(),
                    line: Some(line),
                    column: Some(name.clone()),
                },
                DataErrorKind::DuplicateColumn,
            )
            .into());
        }
    }
    Ok(names)
}

/// The error for columns a command needs that `header` lacks: when the header is one column
/// whose name holds another delimiter (a semicolon- or tab-separated file read with commas),
/// the message says so and suggests `--delimiter`.
pub fn missing_columns(file: &str, header: &[String], names: Vec<String>) -> DataError {
    let location = Location {
        file: file.to_string(),
        line: Some(1),
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

/// Resolves a path that may not exist yet to an absolute, symlink-free form (the parent is
/// canonicalised, the file name kept), so `./sub/../data.csv` and `data.csv` compare equal.
fn resolve(path: &Path) -> Option<PathBuf> {
    if let Ok(p) = path.canonicalize() {
        return Some(p);
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Some(parent.canonicalize().ok()?.join(path.file_name()?))
}

/// Checks that `path` can become an output: its directory exists, it is not a directory, and
/// it is not the same file as any of `inputs` under another spelling. Returns the directory.
/// Commands call this before doing any work, so a bad `-o` fails fast.
pub fn check_destination(path: &str, inputs: &[&str]) -> Result<PathBuf> {
    if path == "-" {
        return Ok(PathBuf::from("."));
    }
    let p = Path::new(path);
    let dir = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(Error::io(
            path,
            "write it",
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("directory {} does not exist", dir.display()),
            ),
        ));
    }
    if p.is_dir() {
        return Err(Error::io(
            path,
            "write it",
            io::Error::new(io::ErrorKind::InvalidInput, "it is a directory"),
        ));
    }
    if let Some(out) = resolve(p) {
        for input in inputs.iter().filter(|i| **i != "-") {
            if resolve(Path::new(input)).as_deref() == Some(out.as_path()) {
                return Err(Error::Usage(format!(
                    "output {path:?} is the same file as input {input:?}; writing it would destroy the input"
                )));
            }
        }
    }
    Ok(dir)
}

/// A destination being written: standard output, or a temporary file that becomes `path` on
/// [`Output::commit`].
pub struct Output {
    target: Target,
}

enum Target {
    Stdout(BufWriter<io::Stdout>),
    File {
        path: String,
        temp: BufWriter<tempfile::NamedTempFile>,
    },
}

impl Output {
    /// Prepares to write `path` (`-` is standard output). Fails before any work is done when
    /// the directory is missing or the path is one of `inputs` (which the output would destroy).
    pub fn create(path: &str, inputs: &[&str]) -> Result<Output> {
        if path == "-" {
            return Ok(Output {
                target: Target::Stdout(BufWriter::with_capacity(1 << 16, io::stdout())),
            });
        }
        let dir = check_destination(path, inputs)?;
        let temp = tempfile::Builder::new()
            .prefix(".logit-")
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(|e| Error::io(path, "create a temporary file beside it", e))?;
        Ok(Output {
            target: Target::File {
                path: path.to_string(),
                temp: BufWriter::with_capacity(1 << 16, temp),
            },
        })
    }

    /// The name shown in messages.
    pub fn name(&self) -> &str {
        match &self.target {
            Target::Stdout(_) => "<stdout>",
            Target::File { path, .. } => path,
        }
    }

    /// Flushes and, for a file, renames the temporary file over `path` (atomic on one file
    /// system). An existing file's permissions are kept; a new file gets 0644 (less umask is
    /// not applied by tempfile, which creates 0600).
    pub fn commit(self) -> Result<()> {
        match self.target {
            Target::Stdout(mut w) => w.flush().map_err(|e| Error::io("<stdout>", "write it", e)),
            Target::File { path, temp } => {
                let temp = temp
                    .into_inner()
                    .map_err(|e| Error::io(&path, "write it", e.into_error()))?;
                temp.as_file()
                    .sync_all()
                    .map_err(|e| Error::io(&path, "write it", e))?;
                set_permissions(temp.path(), Path::new(&path));
                temp.persist(&path)
                    .map_err(|e| Error::io(&path, "replace it", e.error))?;
                Ok(())
            }
        }
    }
}

#[cfg(unix)]
fn set_permissions(temp: &Path, target: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(target)
        .map(|m| m.permissions().mode())
        .unwrap_or(0o644);
    // Best effort: a failure here leaves the file readable by its owner, which is still correct.
    let _ = std::fs::set_permissions(temp, std::fs::Permissions::from_mode(mode & 0o7777));
}

#[cfg(not(unix))]
fn set_permissions(_temp: &Path, _target: &Path) {}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.target {
            Target::Stdout(w) => w.write(buf),
            Target::File { temp, .. } => temp.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match &mut self.target {
            Target::Stdout(w) => w.write_all(buf),
            Target::File { temp, .. } => temp.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.target {
            Target::Stdout(w) => w.flush(),
            Target::File { temp, .. } => temp.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncommitted_output_leaves_existing_file_and_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        std::fs::write(&path, "old").unwrap();
        {
            let mut out = Output::create(path.to_str().unwrap(), &[]).unwrap();
            out.write_all(b"new partial").unwrap();
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn committed_output_replaces_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        std::fs::write(&path, "old").unwrap();
        let mut out = Output::create(path.to_str().unwrap(), &[]).unwrap();
        out.write_all(b"new").unwrap();
        out.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn output_in_a_missing_directory_is_refused_up_front() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("out.csv");
        let err = Output::create(path.to_str().unwrap(), &[]).err().unwrap();
        assert!(err.to_string().contains("does not exist"), "{err}");
    }

    #[test]
    fn output_equal_to_an_input_under_another_spelling_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let data = dir.path().join("data.csv");
        std::fs::write(&data, "a\n1\n").unwrap();
        let alias = dir.path().join("sub").join("..").join("data.csv");
        let err = Output::create(alias.to_str().unwrap(), &[data.to_str().unwrap()])
            .err()
            .unwrap();
        assert!(matches!(err, Error::Usage(_)), "{err}");
        assert_eq!(std::fs::read_to_string(&data).unwrap(), "a\n1\n");
    }
}

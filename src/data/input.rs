//! Opening inputs and outputs: a path or `-` (stdin/stdout), CSV reader and writer setup, the
//! source's display name for error messages, and atomic output files.
//!
//! Outputs never clobber on failure: a file output is written to a temporary file in the target
//! directory and renamed into place only by [`Output::commit`]; dropping an uncommitted output
//! removes the temporary file and leaves any existing file byte-identical.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{DataError, DataErrorKind, Error, Location, Result};

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

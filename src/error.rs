//! Typed, user-facing errors of the library.
//!
//! Every data error carries where it happened (file, physical line, column name) and what was
//! expected, so the binary can print one line that lets a user fix the input without guessing.
//! The binary adds the `logit: error:` prefix; nothing here prints.

use std::fmt;
use std::io;

use crate::solvers::FitError;

/// Where in an input a problem was found. `line` is the 1-based physical line on which the
/// record starts (the header is line 1), as a text editor shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: Option<u64>,
    pub column: Option<String>,
}

impl Location {
    pub fn file(file: &str) -> Self {
        Location {
            file: file.to_string(),
            line: None,
            column: None,
        }
    }

    pub fn line(file: &str, line: u64) -> Self {
        Location {
            file: file.to_string(),
            line: Some(line),
            column: None,
        }
    }

    pub fn cell(file: &str, line: u64, column: &str) -> Self {
        Location {
            file: file.to_string(),
            line: Some(line),
            column: Some(column.to_string()),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ": line {line}")?;
        }
        if let Some(column) = &self.column {
            write!(f, ", column {column:?}")?;
        }
        Ok(())
    }
}

/// What was wrong with the data.
#[derive(Debug, Clone, PartialEq)]
pub enum DataErrorKind {
    /// The input has no bytes at all (not even a header).
    Empty,
    /// A header but no data rows.
    NoDataRows,
    /// The same column name appears twice in the header.
    DuplicateColumn,
    /// Columns the command needs are not in the header.
    MissingColumns { names: Vec<String> },
    /// The first line holds numbers, not column names: the file has no header row.
    HeaderLooksLikeData { target: String },
    /// Bytes that are not UTF-8.
    NotUtf8,
    /// A record with a different number of fields than the header.
    FieldCount { expected: usize, found: usize },
    /// Any other CSV syntax problem reported by the csv crate.
    Csv { message: String },
    /// A missing cell (empty or a missing-value marker) where a value is required, with advice.
    MissingValue { found: String, hint: String },
    /// A feature column in which every cell is missing, so no fill value can be learned.
    NoValues,
    /// Text in a numeric column.
    NotANumber { value: String },
    /// A number that is NaN or infinite (or overflows f64, like 1e400).
    NotFinite { value: String },
    /// A category level that the model did not see in training.
    UnseenCategory { value: String, known: Vec<String> },
    /// A target value that is neither of the model's two labels.
    UnknownLabel { value: String, labels: [String; 2] },
    /// A third distinct value in the target column of a binary fit.
    TooManyLabels { labels: Vec<String> },
    /// The two labels are the same word in different letter case (almost always a typo).
    LabelsDifferOnlyByCase { labels: [String; 2] },
    /// Only one distinct label in the target column.
    OneClass { label: String },
    /// `--positive` names a label that is not in the data.
    PositiveAbsent {
        positive: String,
        labels: [String; 2],
    },
    /// Neither label looks positive (1/true/yes) and no `--positive` was given.
    AmbiguousPositive { labels: [String; 2] },
    /// Reading failed at the operating-system level.
    Io { message: String },
    // Record and score limits (issue 8, items 5 and 10: predict's row path).
    /// A record longer than `limit` bytes: an endless or binary input, or a missing line end.
    RecordTooLong { limit: usize },
    /// A cell longer than `limit` bytes (`length` bytes read before giving up or in all).
    CellTooLong { limit: usize, length: usize },
    /// The linear score has no defined value: terms beyond the range of f64 cancel.
    ScoreUndefined { columns: Vec<String> },
}

fn quoted_list(items: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut out: Vec<String> = items.iter().take(SHOWN).map(|s| format!("{s:?}")).collect();
    if items.len() > SHOWN {
        out.push(format!("... ({} in all)", items.len()));
    }
    out.join(", ")
}

/// Pairs of labels that differ only by letter case, as `"Yes" and "yes"`.
fn case_clashes(labels: &[String]) -> Vec<String> {
    let mut clashes = Vec::new();
    for (i, a) in labels.iter().enumerate() {
        for b in &labels[i + 1..] {
            if a != b && a.to_lowercase() == b.to_lowercase() {
                clashes.push(format!("{a:?} and {b:?}"));
            }
        }
    }
    clashes
}

impl fmt::Display for DataErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use DataErrorKind::*;
        match self {
            Empty => write!(f, "the input is empty; expected a CSV header row"),
            NoDataRows => write!(f, "the header is there but there are no data rows"),
            DuplicateColumn => write!(f, "this column name appears more than once in the header"),
            MissingColumns { names } => {
                write!(f, "the header has no column named {}", quoted_list(names))
            }
            HeaderLooksLikeData { target } => write!(
                f,
                "the first line looks like data, not a header (no column named {target:?}); \
                 the CSV needs a header row naming its columns"
            ),
            NotUtf8 => write!(f, "the bytes are not valid UTF-8; save the file as UTF-8"),
            FieldCount { expected, found } => write!(
                f,
                "the record has {found} field(s) but the header has {expected}"
            ),
            Csv { message } => write!(f, "malformed CSV: {message}"),
            MissingValue { found, hint } => {
                if found.trim().is_empty() {
                    write!(f, "the cell is empty (a missing value); {hint}")
                } else {
                    write!(f, "found {found:?}, a missing-value marker; {hint}")
                }
            }
            NoValues => write!(
                f,
                "every cell of this column is missing, so no value can be learned for it"
            ),
            NotANumber { value } => write!(
                f,
                "expected a number (the column is numeric), found {value:?}"
            ),
            NotFinite { value } => write!(f, "expected a finite number, found {value:?}"),
            UnseenCategory { value, known } => write!(
                f,
                "category {value:?} was not seen in training; known levels: {}",
                quoted_list(known)
            ),
            UnknownLabel { value, labels } => write!(
                f,
                "label {value:?} is not one of the model's labels {:?} and {:?}",
                labels[0], labels[1]
            ),
            TooManyLabels { labels } => {
                write!(
                    f,
                    "the target has more than two distinct values ({}); a binary fit needs exactly two",
                    quoted_list(labels)
                )?;
                let clashes = case_clashes(labels);
                if !clashes.is_empty() {
                    write!(
                        f,
                        "; note that {} differ only by letter case",
                        clashes.join(", ")
                    )?;
                }
                Ok(())
            }
            LabelsDifferOnlyByCase { labels } => write!(
                f,
                "the labels {:?} and {:?} differ only by letter case; make them consistent \
                 (a binary target needs two genuinely different labels)",
                labels[0], labels[1]
            ),
            OneClass { label } => write!(
                f,
                "every row has the label {label:?}; a binary fit needs two classes"
            ),
            PositiveAbsent { positive, labels } => write!(
                f,
                "--positive {positive:?} is not a label in the data; the labels are {:?} and {:?}",
                labels[0], labels[1]
            ),
            AmbiguousPositive { labels } => write!(
                f,
                "cannot tell which label is positive: {:?} or {:?}; pass --positive LABEL",
                labels[0], labels[1]
            ),
            Io { message } => write!(f, "read failed: {message}"),
            RecordTooLong { limit } => write!(
                f,
                "the record is longer than {} MiB, the limit; is this a CSV file with line ends?",
                limit >> 20
            ),
            CellTooLong { limit, length } => write!(
                f,
                "the cell is {length} bytes long, more than the limit of {limit} bytes"
            ),
            ScoreUndefined { columns } => write!(
                f,
                "the linear score is undefined: the terms of {} exceed the range of a 64-bit \
                 float and cancel, so the probability could be anything; check these values",
                quoted_list(columns)
            ),
        }
    }
}

/// A problem with an input CSV, with its location.
#[derive(Debug, Clone, PartialEq)]
pub struct DataError {
    pub location: Location,
    pub kind: DataErrorKind,
}

impl DataError {
    pub fn new(location: Location, kind: DataErrorKind) -> Self {
        DataError { location, kind }
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.kind)
    }
}

impl std::error::Error for DataError {}

/// Everything the library can fail with.
#[derive(Debug)]
pub enum Error {
    /// Bad data in an input file (boxed: it carries a location and values, and errors should
    /// keep `Result`s small on the success path).
    Data(Box<DataError>),
    /// A model file that cannot be used.
    Model { path: String, message: String },
    /// An invalid combination of options (flag names in the message).
    Usage(String),
    /// Solver options or a solver failure.
    Fit(Box<FitError>),
    /// Our fit and linfa-logistic's disagree.
    CrossCheck(String),
    /// Opening, creating or writing a file or stream.
    Io {
        path: String,
        action: &'static str,
        source: io::Error,
    },
}

impl Error {
    pub fn io(path: &str, action: &'static str, source: io::Error) -> Self {
        Error::Io {
            path: path.to_string(),
            action,
            source,
        }
    }

    /// True when the error is a write to a closed pipe (e.g. `logit predict ... | head`):
    /// the reader has all it wanted, so the binary ends quietly.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Data(e) => write!(f, "{e}"),
            Error::Model { path, message } => write!(f, "{path}: {message}"),
            Error::Usage(message) => write!(f, "{message}"),
            Error::Fit(e) => write!(f, "{e}"),
            Error::CrossCheck(message) => write!(f, "cross-check failed: {message}"),
            Error::Io {
                path,
                action,
                source,
            } => write!(f, "{path}: cannot {action}: {source}"),
        }
    }
}

/// No `source()`: each variant's Display already ends with its cause (the operating system's
/// reason for `Io`), and the binary prints the chain with `{:#}`, which would print it twice.
impl std::error::Error for Error {}

impl From<DataError> for Error {
    fn from(e: DataError) -> Self {
        Error::Data(Box::new(e))
    }
}

impl From<FitError> for Error {
    fn from(e: FitError) -> Self {
        Error::Fit(Box::new(e))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_error_names_file_line_and_column() {
        let e = DataError::new(
            Location::cell("data.csv", 9, "beta_feat"),
            DataErrorKind::NotANumber {
                value: "abc".into(),
            },
        );
        assert_eq!(
            e.to_string(),
            "data.csv: line 9, column \"beta_feat\": expected a number (the column is numeric), found \"abc\""
        );
    }

    #[test]
    fn too_many_labels_points_out_case_only_differences() {
        let kind = DataErrorKind::TooManyLabels {
            labels: vec!["yes".into(), "no".into(), "Yes".into()],
        };
        let text = kind.to_string();
        assert!(
            text.contains("\"yes\" and \"Yes\" differ only by letter case"),
            "{text}"
        );
    }
}

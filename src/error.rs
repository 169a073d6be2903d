//! Typed, user-facing errors of the library.
//!
//! Every data error carries where it happened (file, physical line, column name) and what was
//! expected, so the binary can print one line that lets a user fix the input without guessing.
//! The binary adds the `logit: error:` prefix; nothing here prints.

use std::fmt;
use std::io;

use crate::fit::solvers::FitError;

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
            write!(f, ", column {}", shown(column))?;
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
    /// More distinct values in the target column than a classifier takes (`limit`): the first
    /// few labels, then the one beyond the limit.
    TooManyLabels { labels: Vec<String>, limit: usize },
    /// Two labels are the same word in different letter case (almost always a typo).
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
    // Issue 8, reading data: limits, formats, column typing, dropped rows.
    /// A record longer than the limit (an endless line, a binary file, an unclosed quote).
    RecordTooLong { limit: usize },
    /// A cell longer than the limit.
    CellTooLong { bytes: usize, limit: usize },
    /// The first bytes show a compressed or binary format (`format` says which).
    NotCsv {
        format: &'static str,
        advice: String,
    },
    /// A gzip or zstd input stream that cannot be decoded (truncated, corrupt); the message
    /// names the format and says which.
    Compressed { message: String },
    /// Columns are missing and the header is one column whose name contains another likely
    /// delimiter.
    OtherDelimiter { names: Vec<String>, delimiter: char },
    /// A column whose present cells are mostly numbers but whose first one is not a finite
    /// number (`inf`, `1e400`, `1\0`, `21,800`, a word).
    MostlyNumeric {
        value: String,
        numbers: usize,
        present: usize,
    },
    /// `--missing drop` left no rows; `columns` counts the dropped rows missing each column.
    AllRowsDropped {
        rows: usize,
        columns: Vec<(String, usize)>,
    },
    /// A categorical column with too many levels to one-hot encode densely.
    TooManyLevels {
        levels: usize,
        rows: usize,
        why: String,
    },
    /// The linear score has no defined value: terms beyond the range of f64 cancel.
    ScoreUndefined { columns: Vec<String> },
    /// The exact linear score is beyond the range of f64 (its terms are too large).
    ScoreOutOfRange { columns: Vec<String> },
    // Issue 9, multiclass targets and row weights.
    /// A `--weight` cell that is not a finite number >= 0 (`why`: missing, negative, ...).
    BadWeight { value: String, why: &'static str },
    /// Every row weight (times its class weight) is 0.
    ZeroWeights,
    /// Every row of this class has weight 0, so the class takes no part in the fit.
    ClassWithoutWeight { label: String },
    /// The weights sum (or a weight times its class weight) beyond the range of f64.
    WeightOverflow,
    /// `--positive` given for a target with more than two classes.
    PositiveMulticlass { classes: Vec<String> },
    /// A label in eval's data that is not one of a multiclass model's classes.
    UnknownClass { value: String, classes: Vec<String> },
    // Issue 10, cross-validation.
    /// A `--fold-column` cell that is empty or a missing-value marker.
    MissingFold { found: String },
    /// The `--fold-column` names fewer than two folds.
    OneFold { fold: String },
    // Issue 11, input formats.
    /// A Parquet file that cannot be read or a column of a type logit cannot use (the message
    /// says what was expected).
    Parquet { message: String },
    // Issue 12, out-of-core training.
    /// A row cache file (`train --max-memory`) that cannot be used (the message says why).
    Cache { message: String },
    // Issue 11, svmlight input.
    /// A token of an svmlight line that the format does not allow (`problem` says why).
    SvmlightToken { token: String, problem: String },
    /// An svmlight input with no row (only blank or comment lines).
    NoSvmlightRows,
}

/// Advice for a cell that looks like a number written with a decimal comma or thousands
/// separators (`3,5`, `21,800`, `1.234,5`, `1 234`), or empty.
pub fn separator_hint(value: &str) -> &'static str {
    if looks_separated(value.trim()) {
        "; it looks like a number written with a decimal comma or thousands separators: write \
         numbers with '.' as the decimal point and no separators"
    } else {
        ""
    }
}

/// Whether trimmed text is digits with `,`, `.`, space or `'` separators and at least one of
/// the first three (so `3,5` and `21,800` but not `3.5`).
pub fn looks_separated(t: &str) -> bool {
    let t = t.strip_prefix(['-', '+']).unwrap_or(t);
    let digits = t.bytes().filter(u8::is_ascii_digit).count();
    let separators = t
        .bytes()
        .filter(|b| matches!(b, b',' | b'.' | b' ' | b'\''))
        .count();
    digits > 0
        && digits + separators == t.len()
        && t.contains([',', ' ', '\''])
        && t.starts_with(|c: char| c.is_ascii_digit())
        && t.ends_with(|c: char| c.is_ascii_digit())
}

/// Characters of a value echoed in a message; longer values are cut (a 10 MB cell must not
/// become a 10 MB error line).
pub const SHOWN_CHARS: usize = 60;

/// `value` quoted as Rust debug text, cut after [`SHOWN_CHARS`] characters with its length in
/// bytes appended: `"aaaa..."... (10485760 bytes)`.
pub fn shown(value: &str) -> String {
    match value.char_indices().nth(SHOWN_CHARS) {
        None => format!("{value:?}"),
        Some((cut, _)) => format!("{:?}... ({} bytes)", &value[..cut], value.len()),
    }
}

fn quoted_list(items: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut out: Vec<String> = items.iter().take(SHOWN).map(|s| shown(s)).collect();
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
                clashes.push(format!("{} and {}", shown(a), shown(b)));
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
                "the first line looks like data, not a header (no column named {}); \
                 the CSV needs a header row naming its columns",
                shown(target)
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
                    write!(f, "found {}, a missing-value marker; {hint}", shown(found))
                }
            }
            NoValues => write!(
                f,
                "every cell of this column is missing, so no value can be learned for it"
            ),
            NotANumber { value } => write!(
                f,
                "expected a number (the column is numeric), found {}{}",
                shown(value),
                separator_hint(value)
            ),
            NotFinite { value } => write!(f, "expected a finite number, found {}", shown(value)),
            UnseenCategory { value, known } => write!(
                f,
                "category {} was not seen in training; known levels: {}",
                shown(value),
                quoted_list(known)
            ),
            UnknownLabel { value, labels } => write!(
                f,
                "label {} is not one of the model's labels {} and {}",
                shown(value),
                shown(&labels[0]),
                shown(&labels[1])
            ),
            TooManyLabels { labels, limit } => {
                // The first labels seen, then the one beyond the limit.
                let (new, first) = labels.split_last().map_or(("", &labels[..]), |(n, f)| (n.as_str(), f));
                write!(
                    f,
                    "the target has more than {limit} distinct values ({} is one more than {}), \
                     more than a classifier takes; is it a class label (not a measurement or an \
                     ID)?",
                    shown(new),
                    quoted_list(first)
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
                "the labels {} and {} differ only by letter case; make them consistent \
                 (classes must be genuinely different labels)",
                shown(&labels[0]),
                shown(&labels[1])
            ),
            OneClass { label } => write!(
                f,
                "every row has the label {}; a classifier needs at least two classes",
                shown(label)
            ),
            PositiveAbsent { positive, labels } => write!(
                f,
                "--positive {} is not a label in the data; the labels are {} and {}",
                shown(positive),
                shown(&labels[0]),
                shown(&labels[1])
            ),
            AmbiguousPositive { labels } => write!(
                f,
                "cannot tell which label is positive: {} or {}; pass --positive LABEL",
                shown(&labels[0]),
                shown(&labels[1])
            ),
            Io { message } => write!(f, "read failed: {message}"),
            RecordTooLong { limit } => write!(
                f,
                "a record longer than {limit} bytes, the limit (an endless line, an unclosed \
                 quote or a binary file, not CSV text)"
            ),
            CellTooLong { bytes, limit } => write!(
                f,
                "a cell of {bytes} bytes, longer than the limit of {limit} bytes (not a number or a \
                 category level; --exclude the column if it is free text)"
            ),
            NotCsv { format, advice } => write!(f, "the input looks like {format}, not CSV text; {advice}"),
            Compressed { message } => write!(f, "{message}"),
            OtherDelimiter { names, delimiter } => write!(
                f,
                "the header has no column named {}: it is one column whose name contains \
                 {delimiter:?}; if the file is separated by {delimiter:?}, pass --delimiter {}",
                quoted_list(names),
                match delimiter {
                    '\t' => "$'\\t'".to_string(),
                    ';' | '|' => format!("'{delimiter}'"),
                    d => d.to_string(),
                }
            ),
            MostlyNumeric {
                value,
                numbers,
                present,
            } => {
                // A cell that parses is a non-finite number (inf, nan, 1e400).
                let parses = value.trim().parse::<f64>().is_ok();
                write!(
                    f,
                    "expected a {}number ({numbers} of the column's {present} present cells are \
                     numbers, so it is numeric), found {}{}",
                    if parses { "finite " } else { "" },
                    shown(value),
                    separator_hint(value)
                )?;
                if !parses && separator_hint(value).is_empty() && value.contains(char::is_control) {
                    write!(f, "; the cell contains a control character (such as NUL)")?;
                } else if !parses && separator_hint(value).is_empty() {
                    write!(
                        f,
                        "; if such cells mean \"missing\", name them with --na-values, or \
                         --exclude the column"
                    )?;
                }
                Ok(())
            }
            AllRowsDropped { rows, columns } => {
                write!(
                    f,
                    "--missing drop left out every one of the {rows} data rows, as each has a \
                     missing cell ("
                )?;
                let shown_columns: Vec<String> = columns
                    .iter()
                    .take(10)
                    .map(|(name, n)| format!("{}: {n} row(s)", shown(name)))
                    .collect();
                write!(
                    f,
                    "{}{}); nothing is left to fit: use --missing mean|median, fill the cells, or \
                     --exclude a column that is mostly missing",
                    shown_columns.join(", "),
                    if columns.len() > 10 { ", ..." } else { "" }
                )
            }
            TooManyLevels { levels, rows, why } => write!(
                f,
                "this text column has {levels} distinct values over {rows} rows, too many to \
                 one-hot encode ({why}); it looks like an ID, a date or free text: --exclude it \
                 (or make it numeric)"
            ),
            ScoreUndefined { columns } => write!(
                f,
                "the linear score is undefined: the terms of {} exceed the range of a 64-bit \
                 float and cancel, so the probability could be anything; check these values",
                quoted_list(columns)
            ),
            ScoreOutOfRange { columns } => write!(
                f,
                "the linear score is beyond the range of a 64-bit float (|z| > 1.8e308): the \
                 terms of {} are too large; check these values",
                quoted_list(columns)
            ),
            MissingFold { found } => write!(
                f,
                "expected a fold name, found {}; every row needs its fold (folds are never \
                 guessed or dropped)",
                shown(found)
            ),
            OneFold { fold } => write!(
                f,
                "every row is in fold {}; cross-validation needs at least two folds (each \
                 fold is scored by a fit on the others)",
                shown(fold)
            ),
            Parquet { message } => write!(f, "{message}"),
            Cache { message } => write!(f, "{message}"),
            BadWeight { value, why } => write!(
                f,
                "expected a row weight, a finite number >= 0 (0 leaves the row out of the fit), \
                 found {} ({why}); weights are never filled in or dropped",
                shown(value)
            ),
            ZeroWeights => write!(
                f,
                "every row has weight 0, so no row takes part in the fit; at least one weight \
                 must be > 0"
            ),
            ClassWithoutWeight { label } => write!(
                f,
                "every row of class {} has weight 0, so the class takes no part in the fit \
                 (its probability would be fitted to 0); give some of its rows a weight > 0 or \
                 remove the class",
                shown(label)
            ),
            WeightOverflow => write!(
                f,
                "the row weights (times their class weights) sum beyond the range of a 64-bit \
                 float; rescale the weights"
            ),
            PositiveMulticlass { classes } => write!(
                f,
                "--positive applies only to a binary target, but the target has {} classes ({}): \
                 a multiclass model has no positive class, every class gets its own probability",
                classes.len(),
                quoted_list(classes)
            ),
            UnknownClass { value, classes } => write!(
                f,
                "label {} is not one of the model's classes {}",
                shown(value),
                quoted_list(classes)
            ),
            // No token: a problem of the whole file.
            SvmlightToken { token, problem } if token.is_empty() => write!(f, "{problem}"),
            SvmlightToken { token, problem } => write!(f, "token {}: {problem}", shown(token)),
            NoSvmlightRows => write!(
                f,
                "no data rows: expected svmlight lines `label idx:value ...` (blank lines and \
                 `#` comments are skipped)"
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
    fn long_values_are_cut_in_messages_on_a_character_boundary() {
        assert_eq!(shown("abc"), "\"abc\"");
        let long = "é".repeat(100);
        let text = shown(&long);
        assert_eq!(
            text,
            format!("{:?}... (200 bytes)", "é".repeat(SHOWN_CHARS))
        );
        let e = DataError::new(
            Location::cell("d.csv", 3, &"c".repeat(1000)),
            DataErrorKind::NotANumber {
                value: "z".repeat(1 << 20),
            },
        );
        assert!(e.to_string().len() < 250, "{}", e.to_string().len());
    }

    #[test]
    fn decimal_commas_and_thousands_separators_are_recognised() {
        for t in ["3,5", "21,800", "-1.234,5", "1 234", "1'000"] {
            assert!(looks_separated(t), "{t}");
        }
        for t in ["3.5", "abc", ",", "1,", "a,b", "12"] {
            assert!(!looks_separated(t), "{t}");
        }
    }

    #[test]
    fn too_many_labels_points_out_case_only_differences() {
        let kind = DataErrorKind::TooManyLabels {
            labels: vec!["yes".into(), "no".into(), "Yes".into()],
            limit: 2,
        };
        let text = kind.to_string();
        assert!(
            text.contains("\"yes\" and \"Yes\" differ only by letter case"),
            "{text}"
        );
    }
}

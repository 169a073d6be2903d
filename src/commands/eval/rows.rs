//! Labelled rows scored by a model, for `eval`, `logit threshold` and `train --pick-threshold`:
//! the scores (binary) or class probabilities (multiclass), the true classes, and the
//! `--weight` column's values.

mod parquet;

use crate::data::format::InputFormat;
use crate::data::input::{missing_columns, Source};
use crate::data::missing::Markers;
use crate::data::records::Records;
use crate::data::training::weights::parse_weight;
use crate::error::{DataError, DataErrorKind, Location, Result};
use crate::evaluate::metrics::multiclass::{log_softmax_into, ovr_log_probabilities_into};
use crate::evaluate::metrics::ClassProbabilities;
use crate::model::scorer::RowScorer;
use crate::model::{Model, ModelKind};

/// How a labelled data file is read: its format (`None`: detected from the name and first
/// bytes) and, for CSV, the field delimiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    pub format: Option<InputFormat>,
    pub delimiter: u8,
}

/// Labelled rows scored by a binary model: the linear score `z` of each row and whether its
/// true label is the model's positive one, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub scores: Vec<f64>,
    pub positive: Vec<bool>,
    /// The `--weight` column's values, when one was named.
    pub weights: Option<Vec<f64>>,
}

/// Labelled rows scored by a multiclass model.
#[derive(Debug, Clone, PartialEq)]
pub struct MultiScored {
    /// Per row the class probabilities ([`Model::probabilities`], as `predict` prints them)
    /// and their logarithms from the scores in log space.
    pub probabilities: ClassProbabilities,
    /// The true class of each row (index in the model's classes).
    pub classes: Vec<usize>,
    pub weights: Option<Vec<f64>>,
}

/// Reads the labelled CSV `data` (label column `target`, default the model's) and scores every
/// row with the binary `model`. Used by `eval`, `logit threshold` and `train --pick-threshold`.
pub fn score_labelled(
    model: &Model,
    data: &str,
    target: Option<&str>,
    reading: Reading,
) -> Result<Scored> {
    score_labelled_with(model, data, target, None, reading)
}

/// [`score_labelled`], also reading the row weights from the column `weight` when given
/// (a bad cell is an error naming file, line, column and value).
pub fn score_labelled_with(
    model: &Model,
    data: &str,
    target: Option<&str>,
    weight: Option<&str>,
    reading: Reading,
) -> Result<Scored> {
    let (labels, _) = model.require_binary(data, "scoring labelled rows")?;
    let (mut scores, mut positive) = (Vec::new(), Vec::new());
    let weights = read_labelled(model, data, target, weight, reading, |row| {
        let is_positive = labels.is_positive(row.label).ok_or_else(|| {
            row.error(DataErrorKind::UnknownLabel {
                value: row.label.to_string(),
                labels: [labels.positive.clone(), labels.negative.clone()],
            })
        })?;
        // Never NaN: a score beyond f64's range is rescaled or refused (RowScorer::score).
        scores.push(row.scores.score()?);
        positive.push(is_positive);
        Ok(())
    })?;
    Ok(Scored {
        scores,
        positive,
        weights,
    })
}

/// Reads and scores the labelled rows of a multiclass `model`: probabilities as
/// [`Model::probabilities`] computes them (so predictions are `predict`'s), log-probabilities
/// from the scores (log-softmax; normalised log-sigmoids for one-vs-rest).
pub fn score_labelled_multiclass(
    model: &Model,
    data: &str,
    target: Option<&str>,
    weight: Option<&str>,
    reading: Reading,
) -> Result<MultiScored> {
    let k = model.n_classes();
    let log_of: fn(&[f64], &mut [f64]) = match model.kind {
        ModelKind::Ovr => ovr_log_probabilities_into,
        _ => log_softmax_into,
    };
    let (mut probs, mut logs, mut classes) = (Vec::new(), Vec::new(), Vec::new());
    let (mut z, mut p, mut l) = (vec![0.0; k], vec![0.0; k], vec![0.0; k]);
    let weights = read_labelled(model, data, target, weight, reading, |row| {
        let class = model.class_index(row.label).ok_or_else(|| {
            row.error(DataErrorKind::UnknownClass {
                value: row.label.to_string(),
                classes: model.classes.clone(),
            })
        })?;
        row.scores.score_into(&mut z)?;
        model.probabilities(&z, &mut p);
        log_of(&z, &mut l);
        probs.extend_from_slice(&p);
        logs.extend_from_slice(&l);
        classes.push(class);
        Ok(())
    })?;
    Ok(MultiScored {
        probabilities: ClassProbabilities::new(k, probs, logs),
        classes,
        weights,
    })
}

/// One data row as [`read_labelled`] hands it over, whatever the input format.
pub struct Row<'a> {
    /// Line (text formats) or row number (Parquet) for messages.
    pub line: u64,
    /// The trimmed, present label cell.
    pub label: &'a str,
    pub scores: &'a dyn RowScores,
    pub file: &'a str,
    pub target: &'a str,
}

/// The model's linear scores of the current row (each input format scores its own rows).
pub trait RowScores {
    /// The binary score `z` (never NaN: out-of-range scores are rescaled or refused).
    fn score(&self) -> Result<f64>;
    /// One score per score column of the model.
    fn score_into(&self, out: &mut [f64]) -> Result<()>;
}

/// A text record (a CSV row, or a Parquet row as the CSV row with the same cells) and the
/// scorer built on its header.
struct RecordRow<'a> {
    scorer: &'a RowScorer,
    record: &'a csv::StringRecord,
    line: u64,
}

/// The positions of the target and `--weight` columns in `header`; absent ones are named in
/// one error.
fn label_columns(
    file: &str,
    header_line: u64,
    header: &[String],
    target: &str,
    weight: Option<&str>,
) -> Result<(usize, Option<usize>)> {
    let find = |name: &str| header.iter().position(|h| *h == name);
    let (target_index, weight_index) = (find(target), weight.map(find));
    let mut absent: Vec<String> = Vec::new();
    if target_index.is_none() {
        absent.push(target.to_string());
    }
    if let (Some(None), Some(name)) = (weight_index, weight) {
        absent.push(name.to_string());
    }
    match (target_index, absent.is_empty()) {
        (Some(target_index), true) => Ok((target_index, weight_index.flatten())),
        _ => Err(missing_columns(file, header_line, header, absent).into()),
    }
}

/// The reading state of the readers whose rows are text records (CSV, Parquet): where the
/// target and weight columns are, and the weights read so far.
struct RecordLabels<'a> {
    file: &'a str,
    target: &'a str,
    target_index: usize,
    /// The `--weight` column's index and name.
    weight: Option<(usize, &'a str)>,
    markers: Markers,
    weights: Option<Vec<f64>>,
}

impl RecordLabels<'_> {
    /// Reads `record`'s weight (when asked for) and returns its trimmed label, which must be
    /// present.
    fn label<'r>(&mut self, record: &'r csv::StringRecord, line: u64) -> Result<&'r str> {
        if let (Some((i, name)), Some(w)) = (self.weight, self.weights.as_mut()) {
            let value = parse_weight(&record[i], &self.markers)
                .map_err(|kind| DataError::new(Location::cell(self.file, line, name), kind))?;
            w.push(value);
        }
        let label = record[self.target_index].trim();
        if self.markers.is_missing(label) {
            let hint = "eval needs the true label of every row".to_string();
            let kind = DataErrorKind::MissingValue {
                found: label.to_string(),
                hint,
            };
            return Err(DataError::new(Location::cell(self.file, line, self.target), kind).into());
        }
        Ok(label)
    }
}

impl RowScores for RecordRow<'_> {
    fn score(&self) -> Result<f64> {
        self.scorer.score(self.record, self.line)
    }

    fn score_into(&self, out: &mut [f64]) -> Result<()> {
        self.scorer.score_into(self.record, self.line, out)
    }
}

impl Row<'_> {
    /// An error in this row's label cell.
    pub fn error(&self, kind: DataErrorKind) -> DataError {
        DataError::new(Location::cell(self.file, self.line, self.target), kind)
    }
}

/// The shared reader: dispatches on the input format; each reader checks the target and weight
/// columns, builds the model's scorer, then calls `each` on every row with a present label and
/// returns the weights.
fn read_labelled(
    model: &Model,
    data: &str,
    target: Option<&str>,
    weight: Option<&str>,
    reading: Reading,
    each: impl FnMut(&Row) -> Result<()>,
) -> Result<Option<Vec<f64>>> {
    let source = Source::open_any(data)?;
    match source.format(reading.format) {
        InputFormat::Csv => {
            read_labelled_csv(model, source, target, weight, reading.delimiter, each)
        }
        InputFormat::Svmlight => {
            super::svmlight::read_labelled(model, source, target, weight, each)
        }
        InputFormat::Parquet => parquet::read_labelled_parquet(model, source, target, weight, each),
    }
}

/// [`read_labelled`] for CSV input.
fn read_labelled_csv(
    model: &Model,
    source: Source,
    target: Option<&str>,
    weight: Option<&str>,
    delimiter: u8,
    mut each: impl FnMut(&Row) -> Result<()>,
) -> Result<Option<Vec<f64>>> {
    let target = target.map_or_else(|| model.target.clone(), str::to_string);
    source.check_csv()?;
    let (file, input) = source.into_reader();
    // The same record rules as predict (blank lines, line ends, physical lines, limits).
    let mut records = Records::new(&file, input, delimiter);
    let header = records.read_header()?;
    let header_line = records.header_line();
    let (target_index, weight_index) = label_columns(&file, header_line, &header, &target, weight)?;
    let scorer = model.scorer(&file, header_line, &header)?;

    let mut labels = RecordLabels {
        file: &file,
        target: &target,
        target_index,
        weight: weight_index.zip(weight),
        markers: Markers::new(model.missing.na_values.clone()),
        weights: weight_index.map(|_| Vec::new()),
    };
    let mut record = csv::StringRecord::new();
    let mut n = 0usize;
    while let Some(line) = records.read(&mut record)? {
        let label = labels.label(&record, line)?;
        each(&Row {
            line,
            label,
            scores: &RecordRow {
                scorer: &scorer,
                record: &record,
                line,
            },
            file: &file,
            target: &target,
        })?;
        n += 1;
    }
    if n == 0 {
        return Err(DataError::new(Location::file(&file), DataErrorKind::NoDataRows).into());
    }
    Ok(labels.weights)
}

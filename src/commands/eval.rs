//! `logit eval`: score labelled data, compute metrics, print them, and check CI gates.
//!
//! An error (bad data, bad model) always wins over a gate: exit 2 before any gate is judged.

use crate::cli::EvalArgs;
use crate::data::encode::RowScorer;
use crate::data::input::{csv_error, delimiter_for, read_header, Source};
use crate::data::missing::Markers;
use crate::error::{DataError, DataErrorKind, Error, Location, Result};
use crate::exit::ExitStatus;
use crate::metrics::{self, Metrics};
use crate::model::Model;
use crate::report;

/// Which way a gate bounds its metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bound {
    /// `--min`: the metric must be >= the bound.
    Min,
    /// `--max`: the metric must be <= the bound.
    Max,
}

/// A CI gate such as `--min roc_auc=0.9`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Gate {
    pub metric: String,
    pub bound: Bound,
    pub value: f64,
}

/// A gate's verdict on the data.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GateResult {
    #[serde(flatten)]
    pub gate: Gate,
    pub actual: Option<f64>,
    pub passed: bool,
    /// Why it failed, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Gate {
    /// Judges the gate; an undefined metric fails with the reason.
    pub fn check(&self, m: &Metrics) -> GateResult {
        let flag = match self.bound {
            Bound::Min => "--min",
            Bound::Max => "--max",
        };
        let actual = m.value(&self.metric).flatten();
        let (passed, reason) = match actual {
            None => (
                false,
                Some(m.undefined_reason(&self.metric).unwrap_or_else(|| format!("{} is undefined", self.metric))),
            ),
            Some(v) => {
                let ok = match self.bound {
                    Bound::Min => v >= self.value,
                    Bound::Max => v <= self.value,
                };
                let op = if self.bound == Bound::Min { "<" } else { ">" };
                (ok, (!ok).then(|| format!("{} = {v} {op} {} ({flag} {}={})", self.metric, self.value, self.metric, self.value)))
            }
        };
        GateResult { gate: self.clone(), actual, passed, reason }
    }
}

/// A validated eval configuration.
#[derive(Debug, Clone)]
pub struct EvalConfig {
    pub model: String,
    pub data: String,
    pub target: Option<String>,
    pub threshold: Option<f64>,
    pub json: bool,
    pub gates: Vec<Gate>,
    pub delimiter: u8,
}

impl EvalConfig {
    pub fn from_args(args: &EvalArgs) -> EvalConfig {
        let gate = |bound: Bound| move |(metric, value): &(String, f64)| Gate { metric: metric.clone(), bound, value: *value };
        let gates = args.min.iter().map(gate(Bound::Min)).chain(args.max.iter().map(gate(Bound::Max))).collect();
        EvalConfig {
            model: args.model.clone(),
            data: args.data.clone(),
            target: args.target.clone(),
            threshold: args.threshold,
            json: args.json,
            gates,
            delimiter: delimiter_for(&args.data, args.delimiter),
        }
    }
}

pub fn run(args: &EvalArgs) -> Result<ExitStatus> {
    let config = EvalConfig::from_args(args);
    let (model, m) = evaluate(&config)?;
    let results: Vec<GateResult> = config.gates.iter().map(|g| g.check(&m)).collect();
    if config.json {
        println!("{}", report::metrics_json(&m, &model, &results));
    } else {
        print!("{}", report::metrics_table(&m, &model));
    }
    let failed: Vec<&GateResult> = results.iter().filter(|r| !r.passed).collect();
    for r in &failed {
        eprintln!("logit: gate failed: {}", r.reason.as_deref().unwrap_or(&r.gate.metric));
    }
    Ok(if failed.is_empty() { ExitStatus::Success } else { ExitStatus::GateFailed })
}

/// Scores the labelled data and computes the metrics.
pub fn evaluate(config: &EvalConfig) -> Result<(Model, Metrics)> {
    let model = Model::load(&config.model)?;
    let threshold = config.threshold.unwrap_or(model.threshold);
    let target = config.target.clone().unwrap_or_else(|| model.target.clone());
    let (file, mut reader) = Source::open(&config.data)?.csv_reader(config.delimiter);
    let header = read_header(&file, &mut reader)?;
    let target_index = header.iter().position(|h| *h == target).ok_or_else(|| {
        Error::from(DataError::new(
            Location { file: file.clone(), line: Some(1), column: Some(target.clone()) },
            DataErrorKind::MissingColumns { names: vec![target.clone()] },
        ))
    })?;
    let scorer = RowScorer::new(
        &file,
        &header,
        &model.columns,
        &model.coefficients(),
        model.intercept,
        Markers::new(model.missing.na_values.clone()),
        model.missing.policy,
    )?;

    let markers = Markers::new(model.missing.na_values.clone());
    let mut scores = Vec::new();
    let mut positive = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut line = 1;
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(&file, e).into()),
        }
        line = record.position().map_or(line + 1, |p| p.line());
        let label = record[target_index].trim();
        let at = |kind| DataError::new(Location::cell(&file, line, &target), kind);
        if markers.is_missing(label) {
            let hint = "eval needs the true label of every row".to_string();
            return Err(at(DataErrorKind::MissingValue { found: label.to_string(), hint }).into());
        }
        let is_positive = model.labels.is_positive(label).ok_or_else(|| {
            at(DataErrorKind::UnknownLabel {
                value: label.to_string(),
                labels: [model.labels.positive.clone(), model.labels.negative.clone()],
            })
        })?;
        scores.push(scorer.score(&record, line)?);
        positive.push(is_positive);
    }
    if scores.is_empty() {
        return Err(DataError::new(Location::file(&file), DataErrorKind::NoDataRows).into());
    }
    Ok((model, metrics::evaluate(&scores, &positive, threshold)))
}

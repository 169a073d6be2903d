//! `logit eval`: score labelled data, compute metrics, print them, and check CI gates.
//!
//! An error (bad data, bad model) always wins over a gate: exit 2 before any gate is judged.
//! The threshold table, the chosen threshold, calibration and the charts are computed from the
//! same scored rows ([`score_labelled`]), and every file is written only once everything else
//! has succeeded.

use crate::cli::EvalArgs;
use crate::data::encode::RowScorer;
use crate::data::input::{csv_error, delimiter_for, read_header, Source};
use crate::data::missing::Markers;
use crate::error::{DataError, DataErrorKind, Error, Location, Result};
use crate::exit::ExitStatus;
use crate::metrics::{self, Metrics};
use crate::model::Model;
use crate::report;
use crate::threshold::{Grid, PickRule, Sweep, ThresholdPoint};
use crate::{calibration, plot};

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
    /// `--thresholds`: print the table over `grid` and the F1 / Youden optima.
    pub thresholds: bool,
    pub grid: Grid,
    /// `--pick`: report the threshold chosen by this rule.
    pub pick: Option<PickRule>,
    /// `--calibration`: print the reliability table in the text report.
    pub calibration: bool,
    /// `--plot DIR`: write the ROC, PR and calibration charts there.
    pub plot: Option<String>,
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
            thresholds: args.thresholds,
            grid: args.grid.clone().unwrap_or_default(),
            pick: args.pick,
            calibration: args.calibration,
            plot: args.plot.clone(),
        }
    }
}

pub fn run(args: &EvalArgs) -> Result<ExitStatus> {
    let config = EvalConfig::from_args(args);
    // Fail on a bad --plot before reading a possibly large input.
    let charts = match &config.plot {
        Some(dir) => Some(plot::ChartDir::check(dir, &[&config.model, &config.data])?),
        None => None,
    };
    let model = Model::load(&config.model)?;
    let threshold = config.threshold.unwrap_or(model.threshold);
    let rows = score_labelled(&model, &config.data, config.target.as_deref(), config.delimiter)?;
    let m = metrics::evaluate(&rows.scores, &rows.positive, threshold);
    let cal = calibration::reliability(&rows.scores, &rows.positive, calibration::DEFAULT_BINS);
    let sweep = Sweep::new(&rows.scores, &rows.positive);
    let cuts = sweep.cut_points();
    let table = config.thresholds.then(|| sweep.table(&config.grid));
    let best = |rule| crate::threshold::pick(&cuts, sweep.n_positive(), sweep.n_negative(), rule).ok();
    let (best_f1, best_youden) = (best(PickRule::F1), best(PickRule::Youden));
    let picked: Option<(PickRule, ThresholdPoint)> = match config.pick {
        Some(rule) => Some((
            rule,
            crate::threshold::pick(&cuts, sweep.n_positive(), sweep.n_negative(), rule)
                .map_err(|e| Error::Usage(format!("{}: {e}", config.data)))?,
        )),
        None => None,
    };
    if let Some(dir) = charts {
        let operating = sweep.at(threshold);
        dir.write(&[
            ("roc.svg", plot::roc_svg(&cuts, m.roc_auc, &operating)),
            ("pr.svg", plot::pr_svg(&cuts, m.pr_auc, cal.base_rate, &operating)),
            ("calibration.svg", plot::calibration_svg(&cal, threshold)),
        ])?;
    }

    let results: Vec<GateResult> = config.gates.iter().map(|g| g.check(&m)).collect();
    if config.json {
        let mut value = report::metrics_json_value(&m, &model, &results);
        if let Some(obj) = value.as_object_mut() {
            obj.insert("calibration".into(), json(&cal));
            if let Some(table) = &table {
                obj.insert("thresholds".into(), json(table));
                let mut optima = serde_json::Map::new();
                optima.insert("f1".into(), json(&best_f1));
                optima.insert("youden".into(), json(&best_youden));
                obj.insert("best_thresholds".into(), optima.into());
            }
            if let Some((rule, point)) = &picked {
                let mut p = json(point);
                if let Some(o) = p.as_object_mut() {
                    o.insert("rule".into(), rule.to_string().into());
                }
                obj.insert("pick".into(), p);
            }
        }
        println!("{}", serde_json::to_string_pretty(&value).expect("json"));
    } else {
        let mut text = report::metrics_table(&m, &model);
        text += &report::calibration_summary(&cal);
        if config.calibration {
            text += &report::calibration_table(&cal);
        }
        if let Some(table) = &table {
            text += &report::threshold_table(table, best_f1.as_ref(), best_youden.as_ref(), cuts.len(), &model);
        }
        if let Some((rule, point)) = &picked {
            text += &report::threshold_line(&format!("pick {rule}"), point);
        }
        print!("{text}");
    }
    let failed: Vec<&GateResult> = results.iter().filter(|r| !r.passed).collect();
    for r in &failed {
        eprintln!("logit: gate failed: {}", r.reason.as_deref().unwrap_or(&r.gate.metric));
    }
    Ok(if failed.is_empty() { ExitStatus::Success } else { ExitStatus::GateFailed })
}

/// A value of ours as JSON (our types always serialise).
fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).expect("report values serialise")
}

/// Scores the labelled data and computes the metrics.
pub fn evaluate(config: &EvalConfig) -> Result<(Model, Metrics)> {
    let model = Model::load(&config.model)?;
    let threshold = config.threshold.unwrap_or(model.threshold);
    let rows = score_labelled(&model, &config.data, config.target.as_deref(), config.delimiter)?;
    let m = metrics::evaluate(&rows.scores, &rows.positive, threshold);
    Ok((model, m))
}

/// Labelled rows scored by a model: the linear score `z` of each row and whether its true label
/// is the model's positive one, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub scores: Vec<f64>,
    pub positive: Vec<bool>,
}

/// Reads the labelled CSV `data` (label column `target`, default the model's) and scores every
/// row with `model`. Used by `eval`, `logit threshold` and `train --pick-threshold`.
pub fn score_labelled(model: &Model, data: &str, target: Option<&str>, delimiter: u8) -> Result<Scored> {
    let target = target.map_or_else(|| model.target.clone(), str::to_string);
    let (file, mut reader) = Source::open(data)?.csv_reader(delimiter);
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
    Ok(Scored { scores, positive })
}

//! `logit eval`: score labelled data, compute metrics, print them, and check CI gates.
//!
//! An error (bad data, bad model) always wins over a gate: exit 2 before any gate is judged.
//! The threshold table, the chosen threshold, calibration and the charts are computed from the
//! same scored rows ([`score_labelled`]), and every file is written only once everything else
//! has succeeded.

use crate::cli::EvalArgs;
use crate::console;
use crate::data::format::InputFormat;
use crate::data::input::delimiter_for;
use crate::error::{Error, Result};
use crate::evaluate::gate::{Bound, Gate, GateResult};
use crate::evaluate::metrics::{self, BinaryTally, Metrics, MulticlassTally};
use crate::evaluate::report;
use crate::evaluate::threshold::{Grid, PickRule, Sweep, ThresholdPoint};
use crate::evaluate::{calibration, plot};

use crate::exit::ExitStatus;
use crate::model::Model;

mod multiclass;
mod rows;
mod svmlight;

pub use multiclass::report as report_multiclass;
pub use rows::{
    score_labelled, score_labelled_multiclass, score_labelled_with, MultiScored, Reading,
    RowScores, Scored,
};

/// A validated eval configuration.
#[derive(Debug, Clone)]
pub struct EvalConfig {
    pub model: String,
    pub data: String,
    pub target: Option<String>,
    pub threshold: Option<f64>,
    /// `--weight COL`: weight every metric by this column.
    pub weight: Option<String>,
    pub json: bool,
    pub gates: Vec<Gate>,
    pub delimiter: u8,
    /// `--format` (`None`: detected).
    pub format: Option<InputFormat>,
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
    /// How DATA is read.
    pub fn reading(&self) -> Reading {
        Reading {
            format: self.format,
            delimiter: self.delimiter,
        }
    }

    pub fn from_args(args: &EvalArgs) -> EvalConfig {
        let gate = |bound: Bound| {
            move |(metric, value): &(String, f64)| Gate {
                metric: metric.clone(),
                bound,
                value: *value,
            }
        };
        let gates = args
            .min
            .iter()
            .map(gate(Bound::Min))
            .chain(args.max.iter().map(gate(Bound::Max)))
            .collect();
        EvalConfig {
            model: args.model.clone(),
            data: args.data.clone(),
            target: args.target.clone(),
            threshold: args.threshold,
            weight: args.weight.clone(),
            json: args.json,
            gates,
            delimiter: delimiter_for(&args.data, args.delimiter),
            format: args.format.map(InputFormat::from),
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
    let charts = check_charts(&config)?;
    let model = Model::load(&config.model)?;
    check_options(&config, &model)?;
    if !model.is_binary() {
        let rows = score_labelled_multiclass(
            &model,
            &config.data,
            config.target.as_deref(),
            config.weight.as_deref(),
            config.reading(),
        )?;
        let tally =
            MulticlassTally::of(&rows.probabilities, &rows.classes, rows.weights.as_deref());
        return multiclass::report(&config, &model, charts, &tally);
    }
    let rows = score_labelled_with(
        &model,
        &config.data,
        config.target.as_deref(),
        config.weight.as_deref(),
        config.reading(),
    )?;
    let tally = BinaryTally::of(
        &rows.scores,
        &rows.positive,
        rows.weights.as_deref(),
        threshold_of(&config, &model)?,
    );
    report_binary(&config, &model, charts, &tally)
}

/// The `--plot` directory, checked before any data is read.
pub fn check_charts(config: &EvalConfig) -> Result<Option<plot::ChartDir>> {
    match &config.plot {
        Some(dir) => Ok(Some(plot::ChartDir::check(
            dir,
            &[&config.model, &config.data],
        )?)),
        None => Ok(None),
    }
}

/// The checks of the options against the model, before any data is read: the gate names,
/// and the flags a binary (or multiclass) model cannot take.
pub fn check_options(config: &EvalConfig, model: &Model) -> Result<()> {
    if !model.is_binary() {
        check_gates(&config.gates, true)?;
        return multiclass::refuse_binary_only(config, model);
    }
    check_gates(&config.gates, false)?;
    if config.weight.is_some() {
        refuse_unweighted_only(config)?;
    }
    Ok(())
}

/// The threshold of a binary model's counts: `--threshold`, else the model's own.
pub fn threshold_of(config: &EvalConfig, model: &Model) -> Result<f64> {
    let (_, stored) = model.require_binary(&config.model, "eval")?;
    Ok(config.threshold.unwrap_or(stored))
}

/// Everything [`run`] does once a binary model's scored rows are tallied (`eval
/// --distributed` merges the ranks' tallies): metrics, analysis, charts, report and gates.
pub fn report_binary(
    config: &EvalConfig,
    model: &Model,
    charts: Option<plot::ChartDir>,
    tally: &BinaryTally,
) -> Result<ExitStatus> {
    let threshold = threshold_of(config, model)?;
    let m = tally.metrics();
    let sweep = tally.sweep();
    let analysis = Analysis::of(config, tally, sweep.as_ref())?;
    if let (Some(dir), Some(sweep)) = (charts, &sweep) {
        let (cuts, cal) = (&analysis.cuts, &analysis.calibration);
        let operating = sweep.at(threshold);
        dir.write(&[
            ("roc.svg", plot::roc_svg(cuts, m.roc_auc, &operating)),
            (
                "pr.svg",
                plot::pr_svg(cuts, m.pr_auc, cal.base_rate, &operating),
            ),
            ("calibration.svg", plot::calibration_svg(cal, threshold)),
        ])?;
    }

    // Once everything has succeeded, so that an error stays the one line on stderr.
    warn_about_fit(&config.model, model);
    let results: Vec<GateResult> = config.gates.iter().map(|g| g.check(&m)).collect();
    print_report(config, model, &m, &analysis, &results)?;
    Ok(gate_status(&results))
}

/// Gate names must be keys of this model's evaluation: an unknown one is a usage error
/// (exit 2) that lists the valid names.
pub fn check_gates(gates: &[Gate], multiclass: bool) -> Result<()> {
    let names = metrics::gate_names(multiclass);
    for g in gates {
        if !names.contains(&g.metric.as_str()) {
            let kind = if multiclass {
                "a multiclass"
            } else {
                "a binary"
            };
            return Err(Error::Usage(format!(
                "--{} {}: {:?} is not a metric of {kind} model; valid metrics: {}",
                match g.bound {
                    Bound::Min => "min",
                    Bound::Max => "max",
                },
                g.metric,
                g.metric,
                names.join(", ")
            )));
        }
    }
    Ok(())
}

/// The threshold table, `--pick` and the charts count rows; with `--weight` they are refused
/// rather than drawn unweighted beside weighted metrics.
fn refuse_unweighted_only(config: &EvalConfig) -> Result<()> {
    let flag = if config.thresholds {
        "--thresholds"
    } else if config.pick.is_some() {
        "--pick"
    } else if config.plot.is_some() {
        "--plot"
    } else {
        return Ok(());
    };
    Err(Error::Usage(format!(
        "{flag} does not take --weight on a binary model: its threshold sweep counts rows, \
         not weights; run it without --weight"
    )))
}

/// Prints every failed gate on stderr and returns the exit status of the gates.
fn gate_status(results: &[GateResult]) -> ExitStatus {
    let failed: Vec<&GateResult> = results.iter().filter(|r| !r.passed).collect();
    for r in &failed {
        console::eprint(format!(
            "logit: gate failed: {}\n",
            r.reason.as_deref().unwrap_or(&r.gate.metric)
        ));
    }
    if failed.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::GateFailed
    }
}

/// The binary report, text or JSON.
fn print_report(
    config: &EvalConfig,
    model: &Model,
    m: &Metrics,
    analysis: &Analysis,
    results: &[GateResult],
) -> Result<()> {
    if config.json {
        let mut value = report::metrics_json_value(m, model, results);
        if let Some(obj) = value.as_object_mut() {
            analysis.add_json(obj);
        }
        console::print(format!(
            "{}\n",
            serde_json::to_string_pretty(&value).expect("json")
        ))?;
    } else {
        console::print(format!(
            "{}{}",
            report::metrics_table(m, model),
            analysis.text(config, model)
        ))?;
    }
    Ok(())
}

/// What `eval` reports beside the metrics at one threshold: calibration always, and the
/// threshold table, optima and pick when asked for.
struct Analysis {
    calibration: calibration::Calibration,
    /// Every distinct predicted probability as a cut point, descending.
    cuts: Vec<ThresholdPoint>,
    table: Option<Vec<ThresholdPoint>>,
    best_f1: Option<ThresholdPoint>,
    best_youden: Option<ThresholdPoint>,
    picked: Option<(PickRule, ThresholdPoint)>,
}

impl Analysis {
    /// Fails only when `--pick` names a rule the data cannot satisfy. Without a sweep
    /// (weighted rows, which refuse the threshold flags) there are no cut points.
    fn of(config: &EvalConfig, tally: &BinaryTally, sweep: Option<&Sweep>) -> Result<Analysis> {
        let cuts = sweep.map(Sweep::cut_points).unwrap_or_default();
        let pick = |rule| match sweep {
            Some(s) => {
                crate::evaluate::threshold::pick(&cuts, s.n_positive(), s.n_negative(), rule)
                    .map_err(|e| Error::Usage(format!("{}: {e}", config.data)))
            }
            None => Err(Error::Usage(format!(
                "{}: --pick does not take --weight",
                config.data
            ))),
        };
        let picked = match config.pick {
            Some(rule) => Some((rule, pick(rule)?)),
            None => None,
        };
        Ok(Analysis {
            calibration: tally.calibration(),
            table: match sweep {
                Some(s) if config.thresholds => Some(s.table(&config.grid)),
                _ => None,
            },
            best_f1: pick(PickRule::F1).ok(),
            best_youden: pick(PickRule::Youden).ok(),
            picked,
            cuts,
        })
    }

    /// Adds `calibration`, and `thresholds` + `best_thresholds` and `pick` when asked for.
    fn add_json(&self, obj: &mut serde_json::Map<String, serde_json::Value>) {
        obj.insert("calibration".into(), json(&self.calibration));
        if let Some(table) = &self.table {
            obj.insert("thresholds".into(), json(table));
            let mut optima = serde_json::Map::new();
            optima.insert("f1".into(), json(&self.best_f1));
            optima.insert("youden".into(), json(&self.best_youden));
            obj.insert("best_thresholds".into(), optima.into());
        }
        if let Some((rule, point)) = &self.picked {
            let mut p = json(point);
            if let Some(o) = p.as_object_mut() {
                o.insert("rule".into(), rule.to_string().into());
            }
            obj.insert("pick".into(), p);
        }
    }

    /// The text sections after the metrics table.
    fn text(&self, config: &EvalConfig, model: &Model) -> String {
        let mut text = report::calibration_summary(&self.calibration);
        if config.calibration {
            text += &report::calibration_table(&self.calibration);
        }
        if let Some(table) = &self.table {
            text += &report::threshold_table(
                table,
                self.best_f1.as_ref(),
                self.best_youden.as_ref(),
                self.cuts.len(),
                model,
            );
        }
        if let Some((rule, point)) = &self.picked {
            text += &report::threshold_line(&format!("pick {rule}"), point);
        }
        text
    }
}

/// A value of ours as JSON (our types always serialise).
fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).expect("report values serialise")
}

/// Scores the labelled data and computes the metrics.
pub fn evaluate(config: &EvalConfig) -> Result<(Model, Metrics)> {
    let model = Model::load(&config.model)?;
    let threshold = threshold_of(config, &model)?;
    let rows = score_labelled_with(
        &model,
        &config.data,
        config.target.as_deref(),
        config.weight.as_deref(),
        config.reading(),
    )?;
    let m = metrics::evaluate_weighted(
        &rows.scores,
        &rows.positive,
        rows.weights.as_deref(),
        threshold,
    );
    Ok((model, m))
}

/// Prints [`report::fit_warning`] about the model read from `path`, if any, as one line on
/// stderr. A failure to write it is ignored: a warning must not turn a run into an error.
/// Commands call it once their work has succeeded, so that an error remains the only line.
pub fn warn_about_fit(path: &str, model: &Model) {
    if let Some(warning) = report::fit_warning(model) {
        crate::console::warning(format_args!("{path}: {warning}"));
    }
}

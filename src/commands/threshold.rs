//! `logit threshold`: choose a decision threshold on labelled data by a rule and write it into a
//! copy of the model, so `predict` and `eval` use it by default.
//!
//! The rules and the choice live in [`crate::evaluate::threshold`]; the rows are read and scored as `eval`
//! reads them ([`super::eval::score_labelled`]). The new model is the old one with only its
//! `threshold` changed, written atomically (temporary file, then rename).
//!
//! `-o` is required. It may name MODEL itself: the model has been read completely before
//! anything is written, and the replacement is atomic, so an in-place update is safe and, having
//! been typed out, deliberate. It may never name DATA (the project's rule for data files).

use crate::cli::ThresholdArgs;
use crate::console;
use crate::data::format::InputFormat;
use crate::data::input::{check_destination, delimiter_for};
use crate::error::{Error, Result};
use crate::evaluate::report;
use crate::evaluate::threshold::{PickRule, Sweep, ThresholdPoint};
use crate::exit::ExitStatus;
use crate::model::Model;

use super::eval::{score_labelled, Reading};

/// A validated `threshold` configuration.
#[derive(Debug, Clone)]
pub struct ThresholdConfig {
    pub model: String,
    pub data: String,
    pub pick: PickRule,
    pub output: String,
    pub target: Option<String>,
    pub delimiter: u8,
    /// `--format` (`None`: detected).
    pub format: Option<InputFormat>,
    pub quiet: bool,
}

impl ThresholdConfig {
    pub fn from_args(args: &ThresholdArgs) -> ThresholdConfig {
        ThresholdConfig {
            model: args.model.clone(),
            data: args.data.clone(),
            pick: args.pick,
            output: args.output.clone(),
            target: args.target.clone(),
            delimiter: delimiter_for(&args.data, args.delimiter),
            format: args.format.map(InputFormat::from),
            quiet: args.quiet,
        }
    }
}

pub fn run(args: &ThresholdArgs) -> Result<ExitStatus> {
    let config = ThresholdConfig::from_args(args);
    // DATA may not be overwritten; MODEL may (see the module documentation). Checked before
    // reading anything.
    check_destination(&config.output, &[&config.data])?;
    let mut model = Model::load(&config.model)?;
    refuse_multiclass(&model, &config.model)?;
    let chosen = choose(
        &model,
        &config.data,
        config.target.as_deref(),
        Reading {
            format: config.format,
            delimiter: config.delimiter,
        },
        config.pick,
    )?;
    let stored = model
        .threshold_mut()
        .expect("choose refuses a multiclass model");
    let previous = std::mem::replace(stored, chosen.threshold);
    if !config.quiet {
        console::eprint(choice_report(&config.data, config.pick, &chosen, previous));
    }
    model.save(&config.output, &[&config.data])?;
    super::eval::warn_about_fit(&config.model, &model);
    if !config.quiet && config.output != "-" {
        console::eprint(format!("model written to {}\n", config.output));
    }
    Ok(ExitStatus::Success)
}

/// Scores the labelled CSV `data` with `model` and applies `rule` over every distinct predicted
/// probability. An unsatisfiable rule is an error naming the data; a multiclass model is an
/// error saying why (a threshold decides between two classes; multiclass models predict the
/// most probable class).
pub fn choose(
    model: &Model,
    data: &str,
    target: Option<&str>,
    reading: Reading,
    rule: PickRule,
) -> Result<ThresholdPoint> {
    refuse_multiclass(model, "the model")?;
    let rows = score_labelled(model, data, target, reading)?;
    Sweep::new(&rows.scores, &rows.positive)
        .pick(rule)
        .map_err(|e| Error::Usage(format!("{data}: {e}")))
}

/// A decision threshold exists only between two classes; `name` is the model's file.
fn refuse_multiclass(model: &Model, name: &str) -> Result<()> {
    if model.is_binary() {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "{name}: a decision threshold applies to binary models only: this {} predicts the most \
         probable class, with no threshold to choose",
        model.describe()
    )))
}

/// What was chosen, on which data, and what it replaces (for stderr).
pub fn choice_report(data: &str, rule: PickRule, chosen: &ThresholdPoint, previous: f64) -> String {
    let n = chosen.tp + chosen.fp + chosen.tn + chosen.fn_;
    format!(
        "threshold chosen by {rule} on {data} ({n} rows; it was {previous}):\n{}",
        report::threshold_line(&format!("pick {rule}"), chosen)
    )
}

//! `logit eval` of a multiclass (multinomial or one-vs-rest) model: the contract's metrics,
//! the confusion matrix and per-class table, the top-label calibration, the one-vs-rest ROC
//! and reliability charts, and the gates on any scalar key.

use super::{gate_status, warn_about_fit, EvalConfig};
use crate::console;
use crate::error::{Error, Result};
use crate::evaluate::gate::GateResult;
use crate::evaluate::metrics::{roc_points_of_groups, MulticlassTally};
use crate::evaluate::plot::{self, ChartDir, RocCurve};
use crate::evaluate::report;
use crate::exit::ExitStatus;
use crate::model::Model;

/// Everything `eval` does once a multiclass model's scored rows are tallied (`eval
/// --distributed` merges the ranks' tallies): metrics, charts, report and gates. The options
/// were checked ([`super::check_options`]), the chart directory too.
pub fn report(
    config: &EvalConfig,
    model: &Model,
    charts: Option<ChartDir>,
    tally: &MulticlassTally,
) -> Result<ExitStatus> {
    let m = tally.metrics(&model.classes);
    let cal = tally.top_label_calibration();
    if let Some(dir) = charts {
        dir.write(&[
            (
                "roc.svg",
                plot::ovr_roc_svg(&ovr_curves(tally, &model.classes), m.roc_auc),
            ),
            ("calibration.svg", plot::multiclass_calibration_svg(&cal)),
        ])?;
    }

    // Once everything has succeeded, so that an error stays the one line on stderr.
    warn_about_fit(&config.model, model);
    let results: Vec<GateResult> = config.gates.iter().map(|g| g.check(&m)).collect();
    if config.json {
        let value = report::multiclass_json_value(&m, &cal, &results);
        console::print(format!(
            "{}\n",
            serde_json::to_string_pretty(&value).expect("json")
        ))?;
    } else {
        let mut text = report::multiclass_table(&m);
        text += &report::multiclass_calibration_summary(&cal);
        if config.calibration {
            text += &report::top_label_calibration_table(&cal);
        }
        console::print(text)?;
    }
    Ok(gate_status(&results))
}

/// The threshold flags have no meaning for a model that predicts the most probable class.
pub(super) fn refuse_binary_only(config: &EvalConfig, model: &Model) -> Result<()> {
    let flag = if config.threshold.is_some() {
        "--threshold"
    } else if config.thresholds {
        "--thresholds"
    } else if config.pick.is_some() {
        "--pick"
    } else {
        return Ok(());
    };
    Err(Error::Usage(format!(
        "{flag} applies to binary models only: {} is a multiclass model of {} classes ({}), \
         which predicts the most probable class, so it has no probability threshold",
        config.model,
        model.n_classes(),
        model.classes.join(", ")
    )))
}

/// Each class's one-vs-rest ROC curve and AUC (ranked by its log-probability).
fn ovr_curves(tally: &MulticlassTally, classes: &[String]) -> Vec<RocCurve> {
    classes
        .iter()
        .enumerate()
        .map(|(c, label)| {
            let ranked = tally.class_ranked(c);
            RocCurve {
                label: label.clone(),
                points: roc_points_of_groups(&ranked.groups_f64()),
                auc: ranked.roc_auc(),
            }
        })
        .collect()
}

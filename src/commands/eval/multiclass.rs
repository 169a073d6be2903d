//! `logit eval` of a multiclass (multinomial or one-vs-rest) model: the contract's metrics,
//! the confusion matrix and per-class table, the top-label calibration, the one-vs-rest ROC
//! and reliability charts, and the gates on any scalar key.

use super::rows::score_labelled_multiclass;
use super::{check_gates, gate_status, warn_about_fit, EvalConfig};
use crate::console;
use crate::error::{Error, Result};
use crate::evaluate::calibration::{self, Calibration};
use crate::evaluate::gate::GateResult;
use crate::evaluate::metrics::{
    evaluate_multiclass, roc_auc, roc_points, weighted_roc_auc, ClassProbabilities,
};
use crate::evaluate::plot::{self, ChartDir, RocCurve};
use crate::evaluate::report;
use crate::exit::ExitStatus;
use crate::model::Model;

/// Evaluates the multiclass `model` on the config's data (the model is loaded, the chart
/// directory checked).
pub(super) fn run(
    config: &EvalConfig,
    model: &Model,
    charts: Option<ChartDir>,
) -> Result<ExitStatus> {
    check_gates(&config.gates, true)?;
    refuse_binary_only(config, model)?;
    let rows = score_labelled_multiclass(
        model,
        &config.data,
        config.target.as_deref(),
        config.weight.as_deref(),
        config.reading(),
    )?;
    let (p, y, w) = (&rows.probabilities, &rows.classes, rows.weights.as_deref());
    let m = evaluate_multiclass(p, y, w, &model.classes);
    let cal = top_label_calibration(p, y, w);
    if let Some(dir) = charts {
        dir.write(&[
            (
                "roc.svg",
                plot::ovr_roc_svg(&ovr_curves(p, y, w, &model.classes), m.roc_auc),
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
fn refuse_binary_only(config: &EvalConfig, model: &Model) -> Result<()> {
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

/// The reliability table of the predicted class's probability against "the prediction is
/// right" (top-label calibration, Guo et al. 2017), weighted like the metrics.
fn top_label_calibration(p: &ClassProbabilities, y: &[usize], w: Option<&[f64]>) -> Calibration {
    let (confidence, right): (Vec<f64>, Vec<bool>) = y
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            let c = p.predicted(i);
            (p.row(i)[c], c == t)
        })
        .unzip();
    calibration::reliability_weighted(&confidence, &right, w, calibration::DEFAULT_BINS)
}

/// Each class's one-vs-rest ROC curve and AUC (ranked by its log-probability).
fn ovr_curves(
    p: &ClassProbabilities,
    y: &[usize],
    w: Option<&[f64]>,
    classes: &[String],
) -> Vec<RocCurve> {
    classes
        .iter()
        .enumerate()
        .map(|(c, label)| {
            let scores = p.log_column(c);
            let positive: Vec<bool> = y.iter().map(|&t| t == c).collect();
            let auc = match w {
                None => roc_auc(&scores, &positive),
                Some(w) => weighted_roc_auc(&scores, &positive, w),
            };
            RocCurve {
                label: label.clone(),
                points: roc_points(&scores, &positive, w),
                auc,
            }
        })
        .collect()
}

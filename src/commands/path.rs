//! `logit path`: the lasso / elastic-net regularisation path of a CSV file, as glmnet fits it
//! (standardised on all rows, warm starts from the previous lambda, glmnet's default sequence
//! with its early stop, or `--lambdas`), printed as a table or `--json`, and drawn with `--plot`.
//!
//! `--json`: `{alpha, features, classes, lambdas, fits: [{lambda, l1, l2, nonzero, objective,
//! deviance, dev_ratio, intercept, coefficients}]}`, coefficients in original units and model
//! feature order. A binary target gives one `intercept` number and a `coefficients` list per
//! fit; a multinomial one gives `intercept` as a list (one per class, `classes` order) and
//! `coefficients` as a list of lists (one row of features per class).

use serde_json::{json, Value};

use super::cv::setup::{self, Lambdas};
use super::progress::PathProgress;
use crate::cli::PathArgs;
use crate::console;
use crate::data::design::Scaler;
use crate::data::input::check_destination;
use crate::error::{Error, Result};
use crate::evaluate::plot;
use crate::exit::ExitStatus;
use crate::fit::path::{fit_path, PathOptions, PathPoint};

pub fn run(args: &PathArgs) -> Result<ExitStatus> {
    setup::refuse_ovr(&args.data, "path")?;
    let config = setup::train_config(&args.data, 0.0, 0.0, "-")?;
    let fit = setup::path_fit_options(&args.data)?;
    let lambdas = Lambdas::from_args(&args.lambda);
    let alpha = args.lambda.l1_ratio;
    if let Some(plot) = &args.plot {
        if plot == "-" {
            return Err(Error::Usage(
                "--plot - would mix the chart into the table (or JSON) on stdout; give a file"
                    .into(),
            ));
        }
        check_destination(plot, &[config.data.as_str()])?;
    }
    let data = super::train::read_training_data(&config, &config.selection())?;
    let (family, notes) = setup::family(&config, &data);
    for note in setup::data_notes(&data).iter().chain(&notes) {
        console::warning(note);
    }
    if !config.quiet {
        console::eprint(super::train::design::note(config.design, &data.x));
    }
    let weights = data.sample_weights(config.class_weight.as_ref())?;
    let problem = setup::problem(&config, &data, weights.s.as_ref(), family);
    let rows = problem.standardized(None);
    let design = rows.design();
    let objective = rows.objective(design.as_ref());
    let sequence = lambdas.sequence(&objective, alpha)?;
    let options = PathOptions {
        alpha,
        fit,
        early_stop: lambdas.early_stop(),
    };
    let progress = PathProgress::new(config.quiet, "path", 1);
    let points = fit_path(&objective, &sequence, &options, &mut |done, total| {
        progress.update(0, done + 1, total)
    })?;
    progress.finish();
    if let Some(note) = setup::unconverged_note(&points, "path") {
        console::warning(note);
    }
    let n_scores = family.n_scores();
    let p = data.feature_names.len();
    if let Some(path) = &args.plot {
        let (coefficients, names) =
            standardized_paths(&points, &data.feature_names, &data.classes, n_scores);
        let fitted: Vec<f64> = points.iter().map(|pt| pt.lambda).collect();
        let svg = plot::coefficient_paths_svg(&fitted, &coefficients, &names, alpha)
            .map_err(|e| e.at(path))?;
        plot::save_svg(path, &svg, &[config.data.as_str()])?;
    }
    let fits: Vec<Value> = points
        .iter()
        .map(|pt| fit_json(pt, &rows.scaler, p, n_scores, config.fit_intercept))
        .collect();
    let text = if args.json {
        let value = json!({
            "alpha": alpha,
            "features": data.feature_names,
            "classes": data.classes,
            "lambdas": points.iter().map(|pt| pt.lambda).collect::<Vec<_>>(),
            "fits": fits,
        });
        let mut s = serde_json::to_string_pretty(&value).expect("a path serialises");
        s.push('\n');
        s
    } else {
        if !config.quiet {
            // A title, not data: stderr, so stdout is the table alone.
            console::eprint(format!(
                "regularisation path, l1-ratio {alpha}: {} of {} lambdas fitted\n",
                points.len(),
                sequence.len()
            ));
        }
        table(&points)
    };
    console::print(text)?;
    if let (Some(path), false) = (&args.plot, config.quiet) {
        console::eprint(format!("coefficient paths written to {path}\n"));
    }
    Ok(ExitStatus::Success)
}

/// `(W, b)` in original units per class from a fit's standardised `theta`.
pub fn original_units(
    theta: &[f64],
    scaler: &Scaler,
    p: usize,
    n_scores: usize,
    fit_intercept: bool,
) -> Vec<(Vec<f64>, f64)> {
    (0..n_scores)
        .map(|c| {
            let b = if fit_intercept {
                theta[n_scores * p + c]
            } else {
                0.0
            };
            let (w, b) = scaler.to_original(&theta[c * p..(c + 1) * p], b);
            // An exact zero stays exactly zero (w / std of 0.0 is 0.0; -0.0 printed as 0).
            (w.into_iter().map(|v| v + 0.0).collect(), b)
        })
        .collect()
}

fn fit_json(
    pt: &PathPoint,
    scaler: &Scaler,
    p: usize,
    n_scores: usize,
    fit_intercept: bool,
) -> Value {
    let per_class = original_units(&pt.fit.theta, scaler, p, n_scores, fit_intercept);
    let (intercept, coefficients) = if n_scores == 1 {
        (json!(per_class[0].1), json!(per_class[0].0))
    } else {
        (
            json!(per_class.iter().map(|c| c.1).collect::<Vec<_>>()),
            json!(per_class.iter().map(|c| &c.0).collect::<Vec<_>>()),
        )
    };
    json!({
        "lambda": pt.lambda,
        "l1": pt.l1,
        "l2": pt.l2,
        "nonzero": pt.nonzero,
        "objective": pt.fit.report.objective,
        "deviance": pt.deviance,
        "dev_ratio": pt.dev_ratio,
        "converged": pt.fit.report.converged,
        "iterations": pt.fit.report.iterations,
        "intercept": intercept,
        "coefficients": coefficients,
    })
}

/// Standardised coefficients per lambda, one series per (class and) feature, with its label.
fn standardized_paths(
    points: &[PathPoint],
    features: &[String],
    classes: &[String],
    n_scores: usize,
) -> (Vec<Vec<f64>>, Vec<String>) {
    let p = features.len();
    let names: Vec<String> = if n_scores == 1 {
        features.to_vec()
    } else {
        classes
            .iter()
            .flat_map(|c| features.iter().map(move |f| format!("{c}: {f}")))
            .collect()
    };
    let coefficients = points
        .iter()
        .map(|pt| pt.fit.theta[..n_scores * p].to_vec())
        .collect();
    (coefficients, names)
}

/// The text table: a header, then one row per fitted lambda.
fn table(points: &[PathPoint]) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{:>12}  {:>7}  {:>12}  {:>9}  {:>12}\n",
        "lambda", "nonzero", "deviance", "dev_ratio", "objective"
    ));
    for pt in points {
        out.push_str(&format!(
            "{:>12.6e}  {:>7}  {:>12.6}  {:>9.5}  {:>12.8}{}\n",
            pt.lambda,
            pt.nonzero,
            pt.deviance,
            pt.dev_ratio,
            pt.fit.report.objective,
            if pt.fit.report.converged {
                ""
            } else {
                "  (not converged)"
            }
        ));
    }
    out
}

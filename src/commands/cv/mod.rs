//! `logit cv`: choose lambda by K-fold cross-validation, as cv.glmnet does, and write the model
//! refitted at the chosen lambda on all rows.
//!
//! 1. The rows are read as `train` reads them (with the `--fold-column`, if any).
//! 2. The lambda sequence comes from the full-data path, as cv.glmnet's: `--lambdas`, or
//!    glmnet's default sequence with its early stop (the lambdas the full path reached).
//! 3. Folds: the `--fold-column`'s values, or `--folds K` stratified by class from `--seed`
//!    ([`crate::select::folds`]). Sample weights (`--weight` x `--class-weight`) are computed
//!    once on all rows; a fold trains on its complement's weights and is scored with its own.
//!    Rows of weight 0 neither train nor score anywhere (they still belong to a fold).
//! 4. Each fold re-standardises on its training rows and fits the whole sequence
//!    ([`crate::select::cv`]), on parallel threads; the result does not depend on their number.
//! 5. cvm / cvsd, lambda_min / lambda_1se as cv.glmnet ([`crate::select::stats`]).
//! 6. The chosen lambda is refitted by `train` itself ([`train_on_data`], `l1 = A lambda`,
//!    `l2 = (1 - A) lambda`, the same data options), so MODEL is the one `logit train --l1 ..
//!    --l2 ..` writes, bit for bit.
//!
//! The report goes to stderr; `--json` prints `{lambdas, cvm, cvsd, lambda_min, lambda_1se,
//! chosen, metric, folds, nonzero, ...}` on stdout ([`report`]).

pub mod report;
pub mod setup;

use super::progress::PathProgress;
use super::train::{read_training_data, train_on_data};
use crate::cli::{ChooseArg, CvArgs, CvMetricArg};
use crate::console;
use crate::data::input::{check_destination, Output};
use crate::error::{Error, Result};
use crate::evaluate::plot;
use crate::exit::ExitStatus;
use crate::fit::objective::Exec;
use crate::fit::path::{fit_path, PathOptions};
use crate::select::cv::cross_validate;
use crate::select::{choose, Folds, Metric};
use setup::Lambdas;

/// Folds without `--folds` or `--fold-column` (cv.glmnet's nfolds).
pub const DEFAULT_FOLDS: usize = 10;

pub fn run(args: &CvArgs) -> Result<ExitStatus> {
    setup::refuse_ovr(&args.data, "cv")?;
    let data_path = args.data.data.as_str();
    if args.json && args.output == "-" {
        return Err(Error::Usage(
            "--json and -o - both write stdout; write the model to a file".into(),
        ));
    }
    check_destination(&args.output, &[data_path])?;
    if let Some(plot) = &args.plot {
        if plot == "-" || plot == &args.output {
            return Err(Error::Usage(format!(
                "--plot {plot:?} needs a file of its own (not stdout, not the -o model)"
            )));
        }
        check_destination(plot, &[data_path, args.output.as_str()])?;
    }
    let metric = match args.metric {
        CvMetricArg::Deviance => Metric::Deviance,
        CvMetricArg::LogLoss => Metric::LogLoss,
        CvMetricArg::RocAuc => Metric::RocAuc,
        CvMetricArg::Accuracy => Metric::Accuracy,
    };
    let alpha = args.lambda.l1_ratio;
    let lambdas = Lambdas::from_args(&args.lambda);
    let fit = setup::path_fit_options(&args.data)?;
    // Train's configuration for reading; the penalties are set at the refit.
    let reading = setup::train_config(&args.data, 0.0, 0.0, &args.output)?;
    let mut selection = reading.selection();
    selection.fold = args.fold_column.as_deref();
    let data = read_training_data(&reading, &selection)?;
    let (family, notes) = setup::family(&reading, &data);
    let weights = data.sample_weights(reading.class_weight.as_ref())?;
    let folds = match &data.folds {
        Some(column) => Folds::from_column(column),
        None => {
            let k = args.folds.unwrap_or(DEFAULT_FOLDS);
            if k > data.y.len() {
                return Err(Error::Usage(format!(
                    "--folds {k} is more than the {} rows of {}",
                    data.y.len(),
                    data.source
                )));
            }
            let classes: Vec<usize> = (0..data.y.len()).map(|i| data.class_of_row(i)).collect();
            Folds::stratified(&classes, data.classes.len(), k, args.seed)
        }
    };
    if !reading.quiet {
        console::eprint(super::train::design::note(reading.design, &data.x));
    }
    let k = folds.k();
    let progress = PathProgress::new(reading.quiet, "cv", k + 1);
    let (sequence, nonzero, cv) = {
        let problem = setup::problem(&reading, &data, weights.s.as_ref(), family);
        let rows = problem.standardized(None);
        let design = rows.design();
        let objective = rows.objective(design.as_ref());
        let sequence = lambdas.sequence(&objective, alpha)?;
        let options = PathOptions {
            alpha,
            fit,
            early_stop: lambdas.early_stop(),
        };
        // cv.glmnet's first step: the full-data path fixes the lambdas (after an early stop) and
        // gives the model size at each.
        let full = fit_path(&objective, &sequence, &options, &mut |done, total| {
            progress.update(0, done + 1, total)
        })?;
        if let Some(note) = setup::unconverged_note(&full, "full-data path") {
            console::warning(note);
        }
        let sequence: Vec<f64> = full.iter().map(|pt| pt.lambda).collect();
        let nonzero: Vec<usize> = full.iter().map(|pt| pt.nonzero).collect();
        let threads = Exec::from_env()
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let cv = cross_validate(
            &problem,
            &folds,
            &sequence,
            &options,
            metric,
            threads,
            &|fold, done, total| progress.update(fold + 1, done, total),
        )?;
        (sequence, nonzero, cv)
    };
    progress.finish();
    if cv.unconverged > 0 {
        console::warning(format_args!(
            "{} of the {} fold fits stopped before reaching the tolerance (see --max-iter, \
             --tol); their held-out scores are from the last iterate",
            cv.unconverged,
            k * sequence.len()
        ));
    }
    let (min, one_se) = choose(&sequence, &cv.curve, metric.higher_is_better());
    let chosen = match args.choose {
        ChooseArg::Min => min,
        ChooseArg::OneSe => one_se,
    };
    let lambda = sequence[chosen];
    let (l1, l2) = (alpha * lambda, (1.0 - alpha) * lambda);
    let config = setup::train_config(&args.data, l1, l2, &args.output)?;
    let (model, warnings, _) = train_on_data(&config, data, &mut |_| {})?;
    for w in notes.iter().chain(&warnings) {
        console::warning(w);
    }
    let summary = report::CvSummary {
        metric,
        alpha,
        folds: &folds,
        fold_column: args.fold_column.as_deref(),
        lambdas: &sequence,
        cv: &cv,
        nonzero: &nonzero,
        min,
        one_se,
        chosen,
        l1,
        l2,
        model_nonzero: model.nonzero_coefficients(),
    };
    // The chart is staged before the model is written and renamed into place after it.
    let chart = match &args.plot {
        Some(path) => {
            let svg = plot::cv_curve_svg(
                &sequence,
                &cv.curve.cvm,
                &cv.curve.cvsd,
                (min, one_se),
                metric.as_str(),
                metric.higher_is_better(),
            )
            .map_err(|e| e.at(path))?;
            let mut out = Output::create(path, &[data_path, args.output.as_str()])?;
            std::io::Write::write_all(&mut out, svg.as_bytes())
                .map_err(|e| Error::io(path, "write it", e))?;
            Some(out)
        }
        None => None,
    };
    if !config.quiet {
        console::eprint(summary.text());
    }
    model.save(&config.output, &[&config.data])?;
    if !config.quiet && config.output != "-" {
        console::eprint(format!("model written to {}\n", config.output));
    }
    if let (Some(out), Some(path)) = (chart, &args.plot) {
        out.commit()?;
        if !config.quiet {
            console::eprint(format!("cv curve written to {path}\n"));
        }
    }
    if args.json {
        console::print(summary.json())?;
    }
    Ok(ExitStatus::Success)
}

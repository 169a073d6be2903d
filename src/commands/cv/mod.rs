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
use crate::commands::train::TrainConfig;
use crate::console;
use crate::data::encode::TrainingData;
use crate::data::input::{check_destination, Output};
use crate::data::training::weights::SampleWeights;
use crate::error::{Error, Result};
use crate::evaluate::plot;
use crate::exit::ExitStatus;
use crate::fit::objective::Exec;
use crate::fit::objective::Family;
use crate::fit::path::{fit_path, PathOptions};
use crate::fit::solvers::FitOptions;
use crate::select::cv::{cross_validate, CrossValidation};
use crate::select::problem::Problem;
use crate::select::{choose, Folds, Metric};
use setup::Lambdas;

/// Folds without `--folds` or `--fold-column` (cv.glmnet's nfolds).
pub const DEFAULT_FOLDS: usize = 10;

pub fn run(args: &CvArgs) -> Result<ExitStatus> {
    let setup = Setup::read(args)?;
    let progress = PathProgress::new(setup.reading.quiet, "cv", setup.folds.k() + 1);
    let (sequence, nonzero) = setup.full_path(&|done, total| progress.update(0, done, total))?;
    let threads = Exec::from_env()
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let cv = cross_validate(
        &setup.problem(),
        &setup.folds,
        &sequence,
        &setup.path_options(),
        setup.metric,
        threads,
        &|fold, done, total| progress.update(fold + 1, done, total),
    )?;
    progress.finish();
    setup.finish(args, sequence, nonzero, cv)
}

/// What `cv` has read and decided before its first fit (the same on every rank of
/// `cv --distributed`).
pub struct Setup {
    pub metric: Metric,
    pub alpha: f64,
    pub lambdas: Lambdas,
    pub fit: FitOptions,
    /// Train's configuration for reading; the penalties are set at the refit.
    pub reading: TrainConfig,
    pub data: TrainingData,
    pub family: Family,
    pub notes: Vec<String>,
    pub weights: SampleWeights,
    pub folds: Folds,
}

impl Setup {
    /// Checks the options and destinations, reads the rows and assigns the folds.
    pub fn read(args: &CvArgs) -> Result<Setup> {
        Setup::read_as(args, args.data.quiet)
    }

    /// [`Setup::read`], without its note about the design when `quiet` (the ranks of
    /// `cv --distributed` other than rank 0).
    pub fn read_as(args: &CvArgs, quiet: bool) -> Result<Setup> {
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
        if !quiet {
            console::eprint(super::train::design::note(reading.design, &data.x));
        }
        Ok(Setup {
            metric,
            alpha,
            lambdas,
            fit,
            reading,
            data,
            family,
            notes,
            weights,
            folds,
        })
    }

    /// The problem of all rows.
    pub fn problem(&self) -> Problem<'_> {
        setup::problem(
            &self.reading,
            &self.data,
            self.weights.s.as_ref(),
            self.family,
        )
    }

    /// The path options of every fit.
    pub fn path_options(&self) -> PathOptions {
        PathOptions {
            alpha: self.alpha,
            fit: self.fit.clone(),
            early_stop: self.lambdas.early_stop(),
        }
    }

    /// cv.glmnet's first step: the full-data path fixes the lambdas (after an early stop)
    /// and gives the model size at each. `progress(done, total)` after each fit.
    pub fn full_path(&self, progress: &dyn Fn(usize, usize)) -> Result<(Vec<f64>, Vec<usize>)> {
        let problem = self.problem();
        let rows = problem.standardized(None);
        let design = rows.design();
        let objective = rows.objective(design.as_ref());
        let sequence = self.lambdas.sequence(&objective, self.alpha)?;
        let full = fit_path(
            &objective,
            &sequence,
            &self.path_options(),
            &mut |done, total| progress(done + 1, total),
        )?;
        if let Some(note) = setup::unconverged_note(&full, "full-data path") {
            console::warning(note);
        }
        let sequence: Vec<f64> = full.iter().map(|pt| pt.lambda).collect();
        let nonzero: Vec<usize> = full.iter().map(|pt| pt.nonzero).collect();
        Ok((sequence, nonzero))
    }

    /// Everything after the folds: the choice, the refit at the chosen lambda, the report,
    /// the chart and the model (written last, atomically).
    pub fn finish(
        self,
        args: &CvArgs,
        sequence: Vec<f64>,
        nonzero: Vec<usize>,
        cv: CrossValidation,
    ) -> Result<ExitStatus> {
        let Setup {
            metric,
            alpha,
            data,
            notes,
            folds,
            ..
        } = self;
        let data_path = args.data.data.as_str();
        let k = folds.k();
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
}

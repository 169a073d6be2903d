//! What `path` and `cv` share: their data options turned into train's configuration (so the
//! rows are read, weighed and standardised exactly as `logit train` would), the path's fit
//! options, and the lambda sequence (glmnet's default or `--lambdas`).

use clap::Parser;

use crate::cli::{Cli, Command, LambdaArgs, MulticlassArg, SelectDataArgs, TrainArgs};
use crate::commands::train::{Multiclass, TrainConfig};
use crate::data::encode::TrainingData;
use crate::error::{Error, Result};
use crate::fit::objective::{Family, Objective};
use crate::fit::path::{default_lambda_min_ratio, lambda_max, lambda_sequence, PathPoint};
use crate::fit::solvers::{FitOptions, SolverKind};
use crate::select::problem::Problem;

/// The lambdas to fit.
#[derive(Debug, Clone, PartialEq)]
pub enum Lambdas {
    /// `--lambdas`, sorted descending.
    Explicit(Vec<f64>),
    /// glmnet's default sequence: `n` values from lambda_max down to `min_ratio` x lambda_max
    /// (`None`: 1e-4 when rows >= features, else 1e-2); the path may stop early.
    Default { n: usize, min_ratio: Option<f64> },
}

impl Lambdas {
    pub fn from_args(args: &LambdaArgs) -> Lambdas {
        match &args.lambdas {
            Some(list) => {
                let mut list = list.clone();
                // Finite and > 0 (checked by clap), so total_cmp is the numeric order.
                list.sort_by(|a, b| b.total_cmp(a));
                Lambdas::Explicit(list)
            }
            None => Lambdas::Default {
                n: args.n_lambda,
                min_ratio: args.lambda_min_ratio,
            },
        }
    }

    /// glmnet stops a default path early, never an explicit one.
    pub fn early_stop(&self) -> bool {
        matches!(self, Lambdas::Default { .. })
    }

    /// The sequence for `objective` (standardised on all rows) and l1-ratio `alpha`.
    pub fn sequence(&self, objective: &Objective, alpha: f64) -> Result<Vec<f64>> {
        match self {
            Lambdas::Explicit(list) => Ok(list.clone()),
            Lambdas::Default { n, min_ratio } => {
                let max = lambda_max(objective, alpha);
                if !(max.is_finite() && max > 0.0) {
                    return Err(Error::Usage(format!(
                        "lambda_max is {max}: no feature is correlated with the target on these \
                         rows, so there is no default lambda sequence; give --lambdas"
                    )));
                }
                let ratio = min_ratio.unwrap_or_else(|| {
                    default_lambda_min_ratio(objective.n_rows(), objective.n_features())
                });
                Ok(lambda_sequence(max, *n, ratio))
            }
        }
    }
}

/// Train's configuration for the data options of `path` / `cv`, with penalties `l1`, `l2`
/// and model output `output`: built through train's own argument parser, so every default
/// (solver, tolerance) is the one `logit train --l1 L1 --l2 L2` gets.
pub fn train_config(data: &SelectDataArgs, l1: f64, l2: f64, output: &str) -> Result<TrainConfig> {
    let cli = Cli::try_parse_from(["logit", "train", &data.data, "--target", &data.target])
        .map_err(|e| Error::Usage(e.to_string()))?;
    let Command::Train(mut args) = cli.command else {
        unreachable!("parsed a train command")
    };
    set_data_options(&mut args, data);
    args.output = output.to_string();
    args.l1 = l1;
    args.l2 = l2;
    TrainConfig::from_args(&args)
}

fn set_data_options(args: &mut TrainArgs, data: &SelectDataArgs) {
    args.features = data.features.clone();
    args.exclude = data.exclude.clone();
    args.positive = data.positive.clone();
    args.multiclass = data.multiclass;
    args.weight = data.weight.clone();
    args.class_weight = data.class_weight.clone();
    args.no_intercept = data.no_intercept;
    args.no_standardize = data.no_standardize;
    args.max_iter = data.max_iter;
    args.tol = data.tol;
    args.missing = data.missing;
    args.na_values = data.na_values.clone();
    args.delimiter = data.delimiter;
    args.format = data.format;
    args.design = data.design;
    args.quiet = data.quiet;
}

/// `--multiclass ovr` is refused: one-vs-rest would be K paths, each with its own lambda_max
/// and sequence, and no one curve to choose from.
pub fn refuse_ovr(data: &SelectDataArgs, command: &str) -> Result<()> {
    if data.multiclass == Some(MulticlassArg::Ovr) {
        return Err(Error::Usage(format!(
            "--multiclass ovr is not available with `logit {command}`: one-vs-rest would be K \
             separate paths with K different lambda sequences; use --multiclass multinomial \
             (the default)"
        )));
    }
    Ok(())
}

/// The coordinate-descent options of every path fit (`--tol`, `--max-iter`).
pub fn path_fit_options(data: &SelectDataArgs) -> Result<FitOptions> {
    let fit = FitOptions {
        solver: SolverKind::Cd,
        max_iter: data.max_iter,
        tol: data.tol.unwrap_or(SolverKind::Cd.default_tol()),
        learning_rate: None,
    };
    fit.validate()?;
    Ok(fit)
}

/// The loss family of the data as read, with train's notes about it.
pub fn family(config: &TrainConfig, data: &TrainingData) -> (Family, Vec<String>) {
    let k = data.classes.len();
    let mut notes = Vec::new();
    if k <= 2 {
        if let Some(m) = config.multiclass {
            notes.push(format!(
                "--multiclass {} has no effect: the target has two classes, so the fits are \
                 binary",
                match m {
                    Multiclass::Multinomial => "multinomial",
                    Multiclass::Ovr => "ovr",
                }
            ));
        }
        (Family::Binomial, notes)
    } else {
        (Family::Multinomial { classes: k }, notes)
    }
}

/// The notes `train` gives about the rows read (dropped rows, filled cells, ID-like columns).
pub fn data_notes(data: &TrainingData) -> Vec<String> {
    let mut notes = Vec::new();
    if data.rows_dropped > 0 {
        notes.push(format!(
            "--missing drop left out {} of {} rows with a missing cell",
            data.rows_dropped,
            data.rows_dropped + data.y.len()
        ));
    }
    notes.extend(data.warnings.iter().cloned());
    notes
}

/// A warning when some fits of a path stopped before reaching the tolerance.
pub fn unconverged_note(points: &[PathPoint], what: &str) -> Option<String> {
    let stopped: Vec<&PathPoint> = points
        .iter()
        .filter(|pt| !pt.fit.report.converged)
        .collect();
    let first = stopped.first()?;
    Some(format!(
        "{} of the {} fits of the {what} stopped before reaching the tolerance (the first at \
         lambda {}: {}); raise --max-iter or loosen --tol",
        stopped.len(),
        points.len(),
        first.lambda,
        first.fit.report.stop_reason
    ))
}

/// The problem of `data` with sample weights `s`.
pub fn problem<'a>(
    config: &TrainConfig,
    data: &'a TrainingData,
    s: Option<&'a ndarray::Array1<f64>>,
    family: Family,
) -> Problem<'a> {
    Problem {
        x: data.dense_x().view(),
        y: data.y.view(),
        s: s.map(|s| s.view()),
        family,
        fit_intercept: config.fit_intercept,
        standardize: config.standardize,
    }
}

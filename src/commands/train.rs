//! `logit train`: read a CSV, standardise, fit, warn about anything doubtful, write the model.

use crate::cli::{MissingArg, SolverArg, TrainArgs};
use crate::console;
use crate::data::design::Scaler;
use crate::data::encode::{read_training, TrainingData, TrainingSelection};
use crate::data::input::{check_destination, delimiter_for, Source};
use crate::data::missing::{Markers, MissingPolicy, MissingSpec};
use crate::error::{Error, Result};
use crate::evaluate::report;
use crate::evaluate::threshold::PickRule;
use crate::exit::ExitStatus;
use crate::fit::objective::Objective;
use crate::fit::solvers::{self, separation, Fit, FitOptions, SolverKind, StopReason};
use crate::model::{
    FeatureScale, LossFamily, Model, ModelKind, ObjectiveSpec, TrainingCounts, FORMAT, VERSION,
};

/// Relative disagreement beyond which `--cross-check` fails.
const CROSS_CHECK_TOLERANCE: f64 = 1e-4;

/// A validated training configuration, independent of clap.
#[derive(Debug, Clone)]
pub struct TrainConfig {
    pub data: String,
    pub target: String,
    pub output: String,
    pub l2: f64,
    pub fit: FitOptions,
    pub features: Option<Vec<String>>,
    pub exclude: Vec<String>,
    pub positive: Option<String>,
    pub fit_intercept: bool,
    pub standardize: bool,
    pub threshold: f64,
    pub cross_check: bool,
    pub quiet: bool,
    pub missing: MissingPolicy,
    pub markers: Markers,
    pub delimiter: u8,
    /// `--pick-threshold RULE --validation FILE`: choose the stored threshold on FILE.
    pub pick_threshold: Option<PickRule>,
    pub validation: Option<String>,
    /// Field delimiter of the validation file.
    pub validation_delimiter: u8,
    /// `--plot FILE.svg`: write the training curve.
    pub plot: Option<String>,
}

impl TrainConfig {
    /// The configuration `logit train DATA --target TARGET -o OUTPUT` gets: every other option
    /// at its command-line default (for library users and tests).
    pub fn new(data: &str, target: &str, output: &str) -> Result<TrainConfig> {
        use clap::Parser;
        let cli = crate::cli::Cli::try_parse_from([
            "logit", "train", data, "--target", target, "-o", output,
        ])
        .map_err(|e| Error::Usage(e.to_string()))?;
        match cli.command {
            crate::cli::Command::Train(args) => TrainConfig::from_args(&args),
            _ => unreachable!("parsed a train command"),
        }
    }

    pub fn from_args(args: &TrainArgs) -> Result<TrainConfig> {
        let solver = match args.solver {
            SolverArg::Lbfgs => SolverKind::Lbfgs,
            SolverArg::Gd => SolverKind::Gd,
            SolverArg::Newton => SolverKind::Newton,
            SolverArg::Linfa => SolverKind::Linfa,
        };
        if args.learning_rate.is_some() && solver != SolverKind::Gd {
            return Err(Error::Usage(format!(
                "--learning-rate applies only to --solver gd (the {solver} solver chooses its own steps)"
            )));
        }
        let fit = FitOptions {
            solver,
            max_iter: args.max_iter,
            tol: args.tol.unwrap_or(solver.default_tol()),
            learning_rate: args.learning_rate,
        };
        fit.validate()?;
        Ok(TrainConfig {
            data: args.data.clone(),
            target: args.target.clone(),
            output: args.output.clone(),
            l2: args.l2,
            fit,
            features: args.features.clone(),
            exclude: args.exclude.clone(),
            positive: args.positive.clone(),
            fit_intercept: !args.no_intercept,
            standardize: !args.no_standardize,
            threshold: args.threshold,
            cross_check: args.cross_check,
            quiet: args.quiet,
            missing: match args.missing {
                MissingArg::Error => MissingPolicy::Error,
                MissingArg::Drop => MissingPolicy::Drop,
                MissingArg::Mean => MissingPolicy::Mean,
                MissingArg::Median => MissingPolicy::Median,
            },
            markers: Markers::new(args.na_values.clone()),
            delimiter: delimiter_for(&args.data, args.delimiter),
            pick_threshold: args.pick_threshold,
            validation: args.validation.clone(),
            validation_delimiter: args
                .validation
                .as_deref()
                .map_or(b',', |v| delimiter_for(v, args.delimiter)),
            plot: args.plot.clone(),
        })
    }
}

pub fn run(args: &TrainArgs) -> Result<ExitStatus> {
    let config = TrainConfig::from_args(args)?;
    // The solver's iterations feed the progress line and, with --plot, the training curve.
    let mut progress =
        super::progress::TrainingProgress::new(config.quiet, config.fit.solver.as_str());
    let mut history = Vec::new();
    let (mut model, warnings, cross) = train_observed(&config, &mut |it| {
        progress.update(it);
        if config.plot.is_some() {
            history.push(*it);
        }
    })?;
    progress.finish();
    let mut choice = None;
    if let (Some(rule), Some(validation)) = (config.pick_threshold, &config.validation) {
        let chosen =
            super::threshold::choose(&model, validation, None, config.validation_delimiter, rule)?;
        let stored = model
            .threshold_mut()
            .expect("choose refuses a multiclass model");
        let previous = std::mem::replace(stored, chosen.threshold);
        choice = Some(super::threshold::choice_report(
            validation, rule, &chosen, previous,
        ));
    }
    // Drawn and staged in a temporary file before the model is written; renamed into place after.
    let chart = match &config.plot {
        Some(path) => {
            let svg = crate::evaluate::plot::training_svg(
                &history,
                config.fit.tol,
                config.fit.solver.as_str(),
            )
            .map_err(|e| e.at(path))?;
            let mut out = crate::data::input::Output::create(path, &plot_inputs(&config))?;
            std::io::Write::write_all(&mut out, svg.as_bytes())
                .map_err(|e| Error::io(path, "write it", e))?;
            Some(out)
        }
        None => None,
    };
    for w in &warnings {
        console::warning(w);
    }
    if !config.quiet {
        console::eprint(report::training_report(&model, cross.as_ref()));
        if let Some(choice) = &choice {
            console::eprint(choice);
        }
    }
    if args.summary {
        // Asked for explicitly, so printed even with --quiet; stderr, as stdout may carry the model.
        if let Some(summary) = crate::inference::summary::ModelSummary::of(&model) {
            console::eprint(crate::commands::summary::render(&summary));
        }
    }
    model.save(&config.output, &[&config.data])?;
    if !config.quiet && config.output != "-" {
        console::eprint(format!("model written to {}\n", config.output));
    }
    if let (Some(out), Some(path)) = (chart, &config.plot) {
        out.commit()?;
        if !config.quiet && path != "-" {
            console::eprint(format!("training curve written to {path}\n"));
        }
    }
    Ok(ExitStatus::Success)
}

/// Files `--plot` may not overwrite: the inputs and the model output.
fn plot_inputs(config: &TrainConfig) -> Vec<&str> {
    let mut inputs = vec![config.data.as_str(), config.output.as_str()];
    inputs.extend(config.validation.as_deref());
    inputs
}

/// Fits a model as configured. Returns the model, warnings for the user, and the cross-check
/// result when one was asked for. Writes nothing.
pub fn train(
    config: &TrainConfig,
) -> Result<(Model, Vec<String>, Option<solvers::linfa::CrossCheck>)> {
    train_observed(config, &mut |_| {})
}

/// [`train`], passing every solver iteration to `observer` (see [`solvers::fit_observed`]).
pub fn train_observed(
    config: &TrainConfig,
    observer: &mut dyn FnMut(&solvers::Iteration),
) -> Result<(Model, Vec<String>, Option<solvers::linfa::CrossCheck>)> {
    // Fail on a bad -o or --plot before reading a possibly large input.
    let mut inputs = vec![config.data.as_str()];
    inputs.extend(config.validation.as_deref());
    check_destination(&config.output, &inputs)?;
    if let Some(plot) = &config.plot {
        if plot == &config.output && plot != "-" || plot == "-" && config.output == "-" {
            return Err(Error::Usage(format!(
                "--plot {plot:?} and -o {:?} name the same destination",
                config.output
            )));
        }
        check_destination(plot, &plot_inputs(config))?;
    }
    let selection = TrainingSelection {
        target: &config.target,
        features: config.features.as_deref(),
        exclude: &config.exclude,
        positive: config.positive.as_deref(),
        missing: config.missing,
        markers: config.markers.clone(),
    };
    let mut data = read_data(config, &selection)?;
    if data.rows_dropped > 0 {
        // Reported as a warning, not hidden in the report: rows vanished from the fit.
        console::warning(format_args!(
            "--missing drop left out {} of {} rows with a missing cell",
            data.rows_dropped,
            data.rows_dropped + data.y.len()
        ));
    }
    // Found on the raw columns, so that the warning shows values in the data's own units.
    let separating = if config.l2 == 0.0 {
        separation::single_feature_separation(data.x.view(), data.y.view(), config.fit_intercept)
    } else {
        Vec::new()
    };
    let scaler = if config.standardize {
        Scaler::fit(data.x.view(), config.fit_intercept)
    } else {
        Scaler::identity(data.x.ncols())
    };
    scaler.apply(&mut data.x);

    let objective = Objective::new(
        data.x.view(),
        data.y.view(),
        config.l2,
        config.fit_intercept,
    );
    let fit = solvers::fit_observed(&objective, &config.fit, observer)?;
    let mut warnings = std::mem::take(&mut data.warnings);
    warnings.extend(fit_warnings(config, &data, &separating, &fit));

    let cross = if config.cross_check {
        let separated = fit.report.stop_reason == StopReason::Separation;
        if separated {
            warnings.push(
                "cross-check skipped: the classes are separated, so no finite optimum exists to compare"
                    .to_string(),
            );
            None
        } else {
            let c = solvers::linfa::cross_check(&objective, &fit, &config.fit)?;
            let scale = 1.0f64.max(fit.report.objective.abs());
            if c.max_relative_coefficient_difference > CROSS_CHECK_TOLERANCE
                || c.objective_difference.abs() > CROSS_CHECK_TOLERANCE * scale
            {
                return Err(Error::CrossCheck(format!(
                    "{} and linfa-logistic disagree: max coefficient difference {:.3e} (relative {:.3e}), \
                     objective {} vs {} (tolerance {CROSS_CHECK_TOLERANCE:e} relative)",
                    config.fit.solver,
                    c.max_coefficient_difference,
                    c.max_relative_coefficient_difference,
                    c.objective_ours,
                    c.objective_linfa
                )));
            }
            Some(c)
        }
    } else {
        None
    };

    let model = build_model(config, &data, &scaler, &fit);
    Ok((model, warnings, cross))
}

/// Reads the training data: large plain numeric files through the fast parallel reader, and
/// everything else (or anything it is unsure of) through the csv crate. The input is opened
/// once: a FIFO or stdin cannot be opened or read a second time.
fn read_data(config: &TrainConfig, selection: &TrainingSelection) -> Result<TrainingData> {
    let source = Source::open(&config.data)?;
    #[cfg(unix)]
    if let Some((file, len)) = source.regular_file() {
        let fast = crate::data::fast::read_training_fast_file(
            file,
            len,
            &source.name,
            config.delimiter,
            selection,
            crate::data::fast::MIN_FAST_BYTES,
        )?;
        if let Some(data) = fast {
            return Ok(data);
        }
    }
    read_training(source, config.delimiter, selection)
}

/// Warnings about the fit: non-convergence and separation are never silent.
fn fit_warnings(
    config: &TrainConfig,
    data: &TrainingData,
    separating: &[separation::SingleFeatureSeparation],
    fit: &Fit,
) -> Vec<String> {
    let mut warnings = Vec::new();
    let r = &fit.report;
    if config.l2 == 0.0 {
        // The first few, with a count of the rest (rare one-hot levels can be many).
        const SHOWN: usize = 5;
        let mut described: Vec<String> = separating
            .iter()
            .take(SHOWN)
            .map(|s| {
                let name = format!(
                    "{:?}",
                    crate::evaluate::report::display_name(&data.feature_names[s.feature])
                );
                format!(
                    "feature {name} alone separates the classes {}({})",
                    if s.complete() {
                        ""
                    } else {
                        "quasi-completely "
                    },
                    s.describe(&name, &data.labels.positive, &data.labels.negative)
                )
            })
            .collect();
        if separating.len() > SHOWN {
            described.push(format!(
                "and {} more features alone",
                separating.len() - SHOWN
            ));
        }
        if !described.is_empty() {
            let kind = if separating.iter().any(|s| s.complete()) {
                "complete separation"
            } else {
                "quasi-complete separation"
            };
            warnings.push(format!(
                "{kind}: {}, so the unpenalised maximum-likelihood estimate does not exist \
                 (coefficients grow without bound); use --l2 > 0 or drop the feature",
                described.join("; ")
            ));
        } else if r.stop_reason == StopReason::Separation {
            warnings.push(
                "separation: the classes are (quasi-)perfectly separated by a combination of features, \
                 so the unpenalised maximum-likelihood estimate does not exist; the model's coefficients \
                 are not meaningful; use --l2 > 0"
                    .to_string(),
            );
        }
    }
    if config.l2 == 0.0 {
        warnings.extend(identifiability_warnings(config, data));
    }
    if !r.converged && r.stop_reason != StopReason::Separation {
        warnings.push(format!(
            "the {} solver did not converge ({}): after {} iterations the gradient norm is {:.3e} > tol {:.1e}; \
             try --max-iter, another --solver, or --l2 > 0",
            r.solver,
            match r.stop_reason {
                StopReason::MaxIterations => "iteration limit reached",
                StopReason::LineSearchFailed => "line search failed",
                _ => "stopped early",
            },
            r.iterations,
            r.gradient_norm,
            r.tol
        ));
    }
    warnings
}

/// Reasons the unpenalised coefficients are not uniquely determined (the fit still runs; the
/// predictions are fine, individual coefficients are not interpretable). `data.x` is the
/// design matrix as fitted.
fn identifiability_warnings(config: &TrainConfig, data: &TrainingData) -> Vec<String> {
    let mut warnings = Vec::new();
    let (n, p) = data.x.dim();
    let n_params = p + usize::from(config.fit_intercept);
    if n_params > n {
        warnings.push(format!(
            "ill-posed: {n_params} parameters but only {n} rows, so the coefficients are not unique with --l2 0; use --l2 > 0"
        ));
    }
    // Group columns by a hash of their bits, then confirm equality, without copying the data.
    let bits = |j: usize| data.x.column(j).into_iter().map(|v| (v + 0.0).to_bits());
    let mut constant = Vec::new();
    let mut by_hash: std::collections::HashMap<u64, Vec<usize>> = std::collections::HashMap::new();
    let mut duplicates = Vec::new();
    for j in 0..p {
        let first = (data.x[[0, j]] + 0.0).to_bits();
        if bits(j).all(|b| b == first) {
            constant.push(format!("{:?}", data.feature_names[j]));
            continue;
        }
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        bits(j).for_each(|b| std::hash::Hash::hash(&b, &mut hasher));
        let group = by_hash
            .entry(std::hash::Hasher::finish(&hasher))
            .or_default();
        match group.iter().find(|&&i| bits(i).eq(bits(j))) {
            Some(&i) => duplicates.push(format!(
                "{:?} = {:?}",
                data.feature_names[j], data.feature_names[i]
            )),
            None => group.push(j),
        }
    }
    if !constant.is_empty() {
        warnings.push(format!(
            "constant feature(s) {}: no information about the label; the coefficient stays 0",
            constant.join(", ")
        ));
    }
    if !duplicates.is_empty() {
        warnings.push(format!(
            "ill-posed: feature columns identical{} ({}); with --l2 0 only a combination of their coefficients is determined",
            if config.standardize { " after standardisation" } else { "" },
            duplicates.join(", ")
        ));
    }
    if config.fit_intercept {
        let all_levels: Vec<String> = data
            .columns
            .iter()
            .filter(|c| matches!(c.kind, crate::data::encode::ColumnKind::Categorical { .. }))
            .map(|c| format!("{:?}", c.name))
            .collect();
        if !all_levels.is_empty() {
            warnings.push(format!(
                "one-hot column(s) {} encode every level alongside the intercept, so with --l2 0 their \
                 coefficients are determined only up to a shared constant (predictions are unaffected); \
                 use --l2 > 0 for unique coefficients",
                all_levels.join(", ")
            ));
        }
    }
    warnings
}

fn build_model(config: &TrainConfig, data: &TrainingData, scaler: &Scaler, fit: &Fit) -> Model {
    let p = data.feature_names.len();
    let w_std = &fit.theta[..p];
    let b_std = if config.fit_intercept {
        fit.theta[p]
    } else {
        0.0
    };
    let (w, b) = scaler.to_original(w_std, b_std);
    let features = (0..p)
        .map(|j| FeatureScale {
            name: data.feature_names[j].clone(),
            mean: scaler.mean[j],
            std: scaler.std[j],
        })
        .collect();
    let mut classes = vec![data.labels.negative.clone(), data.labels.positive.clone()];
    crate::model::class_order(&mut classes);
    let class_counts = classes
        .iter()
        .map(|c| {
            if *c == data.labels.positive {
                data.n_positive
            } else {
                data.n_negative
            }
        })
        .collect();
    Model {
        format: FORMAT.to_string(),
        version: VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        target: data.target.clone(),
        classes,
        kind: ModelKind::Binary {
            labels: data.labels.clone(),
            threshold: config.threshold,
        },
        objective: ObjectiveSpec {
            definition: ObjectiveSpec::definition_for(LossFamily::Binomial, false).to_string(),
            family: LossFamily::Binomial,
            l2: config.l2,
            fit_intercept: config.fit_intercept,
            standardize: config.standardize,
            weight: None,
            class_weight: None,
        },
        missing: MissingSpec {
            policy: config.missing,
            na_values: config.markers.values().to_vec(),
            rows_dropped: data.rows_dropped,
        },
        columns: data.columns.clone(),
        features,
        coefficients: vec![w],
        coefficients_standardized: vec![w_std.to_vec()],
        intercepts: vec![b],
        intercepts_standardized: vec![b_std],
        training: TrainingCounts {
            n_rows: data.y.len(),
            class_counts,
            weight_sum: data.y.len() as f64,
            n_zero_weight: 0,
        },
        fit: fit.report.clone(),
        fits: Vec::new(),
        inference: Some(crate::inference::summary::compute_inference(
            &Objective::new(
                data.x.view(),
                data.y.view(),
                config.l2,
                config.fit_intercept,
            ),
            &fit.theta,
            &scaler.mean,
            &scaler.std,
            &data.feature_names,
            &fit.report,
            &[],
        )),
    }
}

//! `logit train`: read a CSV, weigh, standardise, fit, warn about anything doubtful, write the
//! model.
//!
//! A binary target gets one binomial fit (v1). A target with more than two labels gets one
//! multinomial fit (`--multiclass multinomial`, the default) or K binomial fits of each class
//! against the rest (`ovr`), see [`fit`]. Warnings (separation, non-convergence,
//! identifiability) are in [`warnings`]; the model is assembled in [`model`].

mod cache_checks;
pub mod design;
mod fit;
mod model;
pub mod network;

pub mod ooc;
mod sparse_checks;
mod warnings;

use crate::cli::{FormatArg, MissingArg, MulticlassArg, SolverArg, TrainArgs};
use crate::console;
use crate::data::design::{DesignChoice, Matrix, Scaler};
use crate::data::encode::{read_training, TrainingData, TrainingSelection};
use crate::data::format::{detect_format, InputFormat};
use crate::data::input::{check_destination, delimiter_for, Source};
use crate::data::missing::{Markers, MissingPolicy};
use crate::data::schema::ClassWeight;
use crate::data::svmlight;
use crate::error::{Error, Result};
use crate::evaluate::report;
use crate::evaluate::threshold::PickRule;
use crate::exit::ExitStatus;
use crate::fit::solvers::{self, FitOptions, SolverKind};
use crate::model::Model;

/// How a target with more than two labels is fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Multiclass {
    /// One softmax fit (`Family::Multinomial`), W centred.
    Multinomial,
    /// K binary fits, class k against the rest.
    Ovr,
}

impl Multiclass {
    pub fn as_str(self) -> &'static str {
        match self {
            Multiclass::Multinomial => "multinomial",
            Multiclass::Ovr => "ovr",
        }
    }
}

/// The threshold of a binary model without `--threshold`.
pub const DEFAULT_THRESHOLD: f64 = 0.5;

/// A validated training configuration, independent of clap.
#[derive(Debug, Clone)]
pub struct TrainConfig {
    pub data: String,
    pub target: String,
    pub output: String,
    /// `--l1`: weight of `sum |W|` in the objective (standardised scale); 0 = no L1 term.
    pub l1: f64,
    pub l2: f64,
    pub fit: FitOptions,
    pub features: Option<Vec<String>>,
    pub exclude: Vec<String>,
    pub positive: Option<String>,
    /// `--multiclass`; `None` = the default (multinomial) for targets with more than two labels.
    pub multiclass: Option<Multiclass>,
    /// `--weight COL`.
    pub weight: Option<String>,
    /// `--class-weight`.
    pub class_weight: Option<ClassWeight>,
    pub fit_intercept: bool,
    pub standardize: bool,
    /// `--threshold`; `None` = 0.5 for binary models (refused for multiclass ones when given).
    pub threshold: Option<f64>,
    pub cross_check: bool,
    pub quiet: bool,
    pub missing: MissingPolicy,
    pub markers: Markers,
    pub delimiter: u8,
    /// `--format` (`None`: detected from the name and first bytes).
    pub format: Option<InputFormat>,
    /// `--design`: dense, sparse or chosen from the data.
    pub design: DesignChoice,
    /// `--pick-threshold RULE --validation FILE`: choose the stored threshold on FILE.
    pub pick_threshold: Option<PickRule>,
    pub validation: Option<String>,
    /// Field delimiter of the validation file.
    pub validation_delimiter: u8,
    /// `--plot FILE.svg`: write the training curve.
    pub plot: Option<String>,
    /// `--hidden`: fit a network instead of the linear model (issue 13).
    pub network: Option<network::NetworkConfig>,

    /// `--max-memory`, `--cache`, `--keep-cache`: the out-of-core row cache.
    pub ooc: Option<ooc::OutOfCore>,

    /// `--distributed`: adds the scaler's and the objective's sums across the MPI ranks, each
    /// holding some of the rows (`None`: this process holds them all).
    pub reducer: Option<std::sync::Arc<dyn crate::fit::reduce::Reduce>>,
}

impl TrainConfig {
    /// The columns and rows DATA contributes, as [`read_training_data`] takes them.
    pub fn selection(&self) -> TrainingSelection<'_> {
        TrainingSelection {
            target: &self.target,
            weight: self.weight.as_deref(),
            features: self.features.as_deref(),
            exclude: &self.exclude,
            positive: self.positive.as_deref(),
            missing: self.missing,
            markers: self.markers.clone(),
            fold: None,
            design: self.design,
        }
    }

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
        let network = network::config(args)?;
        let solver = match args.solver {
            _ if network.is_some() => SolverKind::Lbfgs,
            Some(SolverArg::Adam) => unreachable!("refused without --hidden"),
            Some(SolverArg::Lbfgs) => SolverKind::Lbfgs,
            Some(SolverArg::Gd) => SolverKind::Gd,
            Some(SolverArg::Newton) => SolverKind::Newton,
            Some(SolverArg::Linfa) => SolverKind::Linfa,
            Some(SolverArg::Cd) => SolverKind::Cd,
            // Only coordinate descent handles the L1 term; without one, L-BFGS as before.
            None if args.l1 > 0.0 => SolverKind::Cd,
            None => SolverKind::Lbfgs,
        };
        if args.l1 > 0.0 && solver != SolverKind::Cd {
            // Refused before reading the data (the fit would refuse it too).
            return Err(solvers::FitError::L1NotSupported { solver }.into());
        }
        if args.l1 > 0.0 && args.cross_check {
            // As --weight is refused: linfa cannot fit the problem, so nothing is compared.
            return Err(Error::Usage(format!(
                "--cross-check refits with linfa-logistic, which has no L1 penalty, so it cannot \
                 check a fit with --l1 {}; leave out --cross-check",
                args.l1
            )));
        }
        if args.learning_rate.is_some() && solver != SolverKind::Gd && network.is_none() {
            return Err(Error::Usage(format!(
                "--learning-rate applies only to --solver gd (the {solver} solver chooses its own steps)"
            )));
        }
        let fit = FitOptions {
            solver,
            max_iter: args.max_iter,
            tol: args.tol.unwrap_or(solver.default_tol()),
            learning_rate: args.learning_rate.filter(|_| network.is_none()),
        };
        fit.validate()?;
        Ok(TrainConfig {
            data: args.data.clone(),
            target: target_of(args.target.as_deref(), &args.data, args.format)?,
            output: args.output.clone(),
            l1: args.l1,
            l2: args.l2,
            fit,
            features: args.features.clone(),
            exclude: args.exclude.clone(),
            positive: args.positive.clone(),
            multiclass: args.multiclass.map(|m| match m {
                MulticlassArg::Multinomial => Multiclass::Multinomial,
                MulticlassArg::Ovr => Multiclass::Ovr,
            }),
            weight: args.weight.clone(),
            class_weight: args.class_weight.clone(),
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
            format: args.format.map(InputFormat::from),
            design: args.design.into(),
            pick_threshold: args.pick_threshold,
            validation: args.validation.clone(),
            validation_delimiter: args
                .validation
                .as_deref()
                .map_or(b',', |v| delimiter_for(v, args.delimiter)),
            plot: args.plot.clone(),
            network,

            ooc: args.ooc.max_memory.map(|max_memory| ooc::OutOfCore {
                max_memory,
                dir: args.ooc.cache.clone(),
                keep: args.ooc.keep_cache,
            }),

            reducer: None,
        })
    }
}

/// The target column: `--target`, which only svmlight data (by `--format` or by name) may
/// leave out, its label being each line's first token ([`svmlight::TARGET`]).
pub fn target_of(target: Option<&str>, data: &str, format: Option<FormatArg>) -> Result<String> {
    match target {
        Some(t) => Ok(t.to_string()),
        None => match detect_format(data, format.map(InputFormat::from), b"") {
            InputFormat::Svmlight => Ok(svmlight::TARGET.to_string()),
            other => Err(Error::Usage(format!(
                "--target COL is required: name the label column of the {} data {data} \
                 (only svmlight data, whose label is each line's first token, needs none)",
                other.name()
            ))),
        },
    }
}

pub fn run(args: &TrainArgs) -> Result<ExitStatus> {
    let config = TrainConfig::from_args(args)?;
    if let Some(net) = &config.network {
        return network::run(args, &config, net);
    }
    // The solver's iterations feed the progress line and, with --plot, the training curve.
    let mut progress =
        super::progress::TrainingProgress::new(config.quiet, config.fit.solver.as_str());
    let mut history = Vec::new();
    let data = read_checked(&config)?;
    let design_note = design::note(config.design, &data.x);
    let (mut model, warnings, cross) = train_on_data(&config, data, &mut |it| {
        progress.update(it);
        if config.plot.is_some() {
            history.push(*it);
        }
    })?;
    progress.finish();
    if args.summary {
        // Refused as `logit summary` refuses it, naming the columns the fit selected; before
        // the report, and before anything is written.
        super::summary::refuse_lasso(&config.data, &model, "--summary", Some(&config.data))?;
    }
    let choice = pick_threshold(&config, &mut model)?;
    // Drawn and staged in a temporary file before the model is written; renamed into place after.
    let chart = match &config.plot {
        Some(path) => {
            let svg = crate::evaluate::plot::training_svg(
                &history,
                config.fit.tol,
                config.fit.solver.as_str(),
            )
            .map_err(|e| e.at(path))?;
            Some(stage_chart(&config, path, &svg)?)
        }
        None => None,
    };
    for w in &warnings {
        console::warning(w);
    }
    if !config.quiet {
        console::eprint(design_note);
        console::eprint(report::training_report(&model, cross.as_ref()));
        if let Some(choice) = &choice {
            console::eprint(choice);
        }
    }
    if args.summary {
        model.require_binary(&config.data, "--summary")?;
        // Asked for explicitly, so printed even with --quiet; stderr, as stdout may carry the model.
        match crate::inference::summary::ModelSummary::of(&model) {
            Some(summary) => console::eprint(crate::commands::summary::render(&summary)),
            None => console::eprint(
                "no summary: a one-vs-rest model is K separate binary fits with no joint \
                 likelihood; train with --multiclass multinomial for statsmodels MNLogit's table\n",
            ),
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

/// `--pick-threshold RULE --validation FILE`: stores the chosen threshold in the model and
/// returns the report of the choice.
fn pick_threshold(config: &TrainConfig, model: &mut Model) -> Result<Option<String>> {
    let (Some(rule), Some(validation)) = (config.pick_threshold, &config.validation) else {
        return Ok(None);
    };
    let chosen = super::threshold::choose(
        model,
        validation,
        None,
        super::eval::Reading {
            format: None,
            delimiter: config.validation_delimiter,
        },
        rule,
    )?;
    let stored = model
        .threshold_mut()
        .expect("--pick-threshold is refused for a multiclass target");
    let previous = std::mem::replace(stored, chosen.threshold);
    Ok(Some(super::threshold::choice_report(
        validation, rule, &chosen, previous,
    )))
}

/// Files `--plot` may not overwrite: the inputs and the model output.
/// `svg` written to a temporary file beside `path` (renamed into place with the model), refused
/// over any of the run's inputs.
fn stage_chart(config: &TrainConfig, path: &str, svg: &str) -> Result<crate::data::input::Output> {
    let mut out = crate::data::input::Output::create(path, &plot_inputs(config))?;
    std::io::Write::write_all(&mut out, svg.as_bytes())
        .map_err(|e| Error::io(path, "write it", e))?;
    Ok(out)
}

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
    let data = read_checked(config)?;
    train_on_data(config, data, observer)
}

/// Checks the destinations (`-o`, `--plot`), then reads DATA.
fn read_checked(config: &TrainConfig) -> Result<TrainingData> {
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
    read_training_data(config, &config.selection())
}

/// Everything `train` does after reading: weights, scaler, fit, warnings, model. Writes no file
/// (`logit cv` refits its chosen lambda through it, so that its model is train's bit for bit).
pub fn train_on_data(
    config: &TrainConfig,
    mut data: TrainingData,
    observer: &mut dyn FnMut(&solvers::Iteration),
) -> Result<(Model, Vec<String>, Option<solvers::linfa::CrossCheck>)> {
    if let Some(net) = &config.network {
        let (model, warnings, _) = network::train_network(config, net, data, &mut |step| {
            observer(&network::as_iteration(step))
        })?;
        return Ok((model, warnings, None));
    }
    let multiclass = check_multiclass(config, &data)?;
    let mut warnings = Vec::new();
    if data.rows_dropped > 0 {
        // Reported as a warning, not hidden in the report: rows vanished from the fit.
        warnings.push(format!(
            "--missing drop left out {} of {} rows with a missing cell",
            data.rows_dropped,
            data.rows_dropped + data.y.len()
        ));
    }
    warnings.append(&mut data.warnings);
    if let (None, Some(m)) = (multiclass, config.multiclass) {
        warnings.push(format!(
            "--multiclass {} has no effect: the target has two classes, so the model is the \
             binary one (as in scikit-learn)",
            m.as_str()
        ));
    }
    let weights = data.sample_weights(config.class_weight.as_ref())?;
    // Found on the raw columns, so that the warning shows values in the data's own units.
    // (Not over rows split among processes: this process's rows alone may be separated.)
    let separating = if config.l2 == 0.0 && config.l1 == 0.0 && config.reducer.is_none() {
        warnings::separation_before_fit(config, &data, &weights, multiclass)
    } else {
        Vec::new()
    };
    let s = weights.s.as_ref().map(|s| s.view());
    // A sparse design is only scaled (zeros stay zeros); its centring is folded into the
    // objective by `CsrDesign` (see `fit::fit_all`), the same matrix as the dense one's.
    let scaler = match &mut data.x {
        Matrix::Dense(x) => {
            let scaler = if let (true, Some(r)) = (config.standardize, &config.reducer) {
                crate::fit::reduce::fit_scaler(x.view(), config.fit_intercept, s, r.as_ref())
            } else if config.standardize {
                Scaler::fit_weighted(x.view(), config.fit_intercept, s)
            } else {
                Scaler::identity(x.ncols())
            };
            scaler.apply(x);
            scaler
        }
        Matrix::Sparse(x) => {
            let scaler = if config.standardize {
                Scaler::fit_weighted_sparse(x, config.fit_intercept, s)
            } else {
                Scaler::identity(x.n_cols)
            };
            scaler.apply_sparse(x);
            scaler
        }
        // Standardised block by block as the fit reads it; the scaler goes into the cache's
        // schema.
        Matrix::Cached(x) => {
            let scaler = if config.standardize {
                x.fit_scaler(config.fit_intercept, s.as_ref().and_then(|s| s.as_slice()))
            } else {
                Scaler::identity(x.n_cols())
            };
            if let Some(x) = std::sync::Arc::get_mut(x) {
                x.record_scaler(&scaler)?;
            }
            scaler
        }
    };

    let fitted = fit::fit_all(config, &data, &weights, &scaler, multiclass, observer)?;
    warnings.extend(fitted.warnings.iter().cloned());
    warnings.extend(warnings::fit_warnings(
        config,
        &data,
        &weights,
        &scaler,
        &separating,
        &fitted,
    ));
    let model = model::build(config, &data, &weights, &scaler, &fitted);
    Ok((model, warnings, fitted.cross))
}

/// The multiclass mode of a target with more than two classes (`None` for a binary target),
/// and the refusal of the options that only a binary model has.
pub(crate) fn check_multiclass(
    config: &TrainConfig,
    data: &TrainingData,
) -> Result<Option<Multiclass>> {
    let k = data.classes.len();
    if k <= 2 {
        return Ok(None);
    }
    let why = format!(
        "the target {:?} has {k} classes, and a multiclass model predicts the most probable \
         class (no positive class, no threshold)",
        data.target
    );
    if config.threshold.is_some() {
        return Err(Error::Usage(format!(
            "--threshold applies only to a binary target: {why}"
        )));
    }
    if config.pick_threshold.is_some() {
        return Err(Error::Usage(format!(
            "--pick-threshold applies only to a binary target: {why}"
        )));
    }
    if config.plot.is_some() && config.multiclass == Some(Multiclass::Ovr) {
        return Err(Error::Usage(format!(
            "--plot draws the curve of one fit, but --multiclass ovr runs {k} fits (one per \
             class); use --multiclass multinomial or leave out --plot"
        )));
    }
    Ok(Some(config.multiclass.unwrap_or(Multiclass::Multinomial)))
}

/// Reads DATA as train does, without fitting: large plain numeric files through the fast
/// parallel reader, and everything else (or anything it is unsure of) through the csv crate.
/// The input is opened once: a FIFO or stdin cannot be opened or read a second time. A gzip or
/// zstd regular file whose first 4 MiB of text suit the fast reader is decompressed into memory
/// for it; when that declines, the text is dropped and the csv path decodes the file again as a
/// stream (time for memory: the csv path is the slow one anyway).
pub fn read_training_data(
    config: &TrainConfig,
    selection: &TrainingSelection,
) -> Result<TrainingData> {
    let mut source = Some(Source::open_any(&config.data)?);
    let format = source.as_ref().expect("just opened").format(config.format);
    if format == InputFormat::Csv {
        if let Some(data) = ooc::read_if_too_large(config, selection, &mut source)? {
            return Ok(data);
        }
    } else if config.ooc.is_some() {
        return Err(Error::Usage(format!(
            "--max-memory streams CSV input (plain, .gz or .zst) into a row cache; {} input              is read in memory: convert it to CSV, or leave out --max-memory",
            format.name()
        )));
    }
    let source = source.expect("not taken");
    let data = match format {
        InputFormat::Csv => read_training_csv(config, selection, source)?,
        InputFormat::Svmlight => crate::data::svmlight::read_training(source, selection)?,
        InputFormat::Parquet => crate::data::parquet::read_training(source, selection)?,
    };
    Ok(data)
}

/// [`read_training_data`] for CSV input.
fn read_training_csv(
    config: &TrainConfig,
    selection: &TrainingSelection,
    source: Source,
) -> Result<TrainingData> {
    source.check_csv()?;
    #[cfg(unix)]
    {
        use crate::data::fast;
        if let Some((file, len)) = source.regular_file() {
            let data = fast::read_training_fast_file(
                file,
                len,
                &source.name,
                config.delimiter,
                selection,
                fast::MIN_FAST_BYTES,
            )?;
            if let Some(data) = data {
                // The fast reader builds the dense matrix of a numeric table; mostly zeros, or
                // --design sparse, make it CSR.
                return Ok(data.into_design(selection.design));
            }
        }
        // A compressed file is held in memory only when its first lines suit the fast reader.
        let suits = match source.decompress_head(fast::PROBE_BYTES) {
            Some(head) => fast::may_take(&head?, &source.name, config.delimiter, selection)?,
            None => false,
        };
        if suits {
            if let Some(text) = source.decompress_whole() {
                let data = fast::read_training_fast_bytes(
                    &text?,
                    &source.name,
                    config.delimiter,
                    selection,
                    fast::MIN_FAST_BYTES,
                )?;
                if let Some(data) = data {
                    return Ok(data.into_design(selection.design));
                }
            }
        }
    }
    read_training(source, config.delimiter, selection)
}

//! `train --hidden`: the network model (issue 13). The data are read, weighted, one-hot
//! encoded and standardised exactly as for the linear model (a sparse design is made dense:
//! the network's first layer reads every column), then [`fit_network`] fits the network and
//! the model carries its layers and per-layer gradient record.

use super::{check_multiclass, Multiclass, TrainConfig, DEFAULT_THRESHOLD};
use crate::cli::{SolverArg, TrainArgs};
use crate::data::design::{Matrix, Scaler};
use crate::data::encode::TrainingData;
use crate::data::missing::MissingSpec;
use crate::error::{Error, Result};
use crate::fit::network::train::{
    vanishes, DEFAULT_EPOCHS, DEFAULT_LEARNING_RATE, DEFAULT_MAX_ITER, DEFAULT_TOL, LBFGS_MAX_ROWS,
};
use crate::fit::network::{
    adam, fit_network, Activation, NetSolver, NetworkFit, NetworkOptions, NetworkStep, Problem,
};
use crate::fit::solvers::StopReason;
use crate::model::network::{NETWORK_OBJECTIVE_DEFINITION, NETWORK_VERSION};
use crate::model::{
    FeatureScale, LossFamily, Model, ModelKind, ObjectiveSpec, TrainingCounts, FORMAT,
};

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
/// Largest dense design a network is fitted on (a sparse design is made dense for it).
const MAX_DENSE_BYTES: f64 = 4.0 * GIB;

/// `train`'s network settings before the data are read (the default solver depends on the
/// number of rows).
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkConfig {
    pub options: NetworkOptions,
    /// `--solver` as given (`None`: lbfgs up to [`LBFGS_MAX_ROWS`] rows, else adam).
    pub solver: Option<NetSolver>,
    /// Which of Adam's own flags were given (refused with L-BFGS).
    pub adam_flags: Vec<&'static str>,
}

/// The network configuration of `args`, `None` without `--hidden`; refuses every option that
/// does not apply to a network (and the network flags without `--hidden`).
pub fn config(args: &TrainArgs) -> Result<Option<NetworkConfig>> {
    let net = &args.network;
    let mut adam_flags = Vec::new();
    if net.epochs.is_some() {
        adam_flags.push("--epochs");
    }
    if net.batch_size.is_some() {
        adam_flags.push("--batch-size");
    }
    if net.n_iter_no_change.is_some() {
        adam_flags.push("--n-iter-no-change");
    }
    let Some(hidden) = &net.hidden else {
        let given: Vec<&str> = [
            ("--activation", net.activation.is_some()),
            ("--epochs", net.epochs.is_some()),
            ("--batch-size", net.batch_size.is_some()),
            ("--n-iter-no-change", net.n_iter_no_change.is_some()),
            ("--seed", net.seed.is_some()),
            ("--solver adam", args.solver == Some(SolverArg::Adam)),
        ]
        .into_iter()
        .filter_map(|(f, on)| on.then_some(f))
        .collect();
        if let Some(flag) = given.first() {
            return Err(Error::Usage(format!(
                "{flag} applies only to a network: add --hidden WIDTHS (e.g. --hidden 32,16)"
            )));
        }
        return Ok(None);
    };
    let refuse = |what: &str, why: &str| {
        Err(Error::Usage(format!(
            "{what} does not apply to a network (--hidden): {why}"
        )))
    };
    if args.l1 > 0.0 {
        return refuse(
            "--l1",
            "a network is fitted with the L2 penalty only; leave out --l1",
        );
    }
    if args.multiclass == Some(crate::cli::MulticlassArg::Ovr) {
        return refuse(
            "--multiclass ovr",
            "a multiclass network has one softmax output layer; leave out --multiclass",
        );
    }
    if args.cross_check {
        return refuse("--cross-check", "linfa-logistic fits linear models only");
    }
    if args.no_intercept {
        return refuse("--no-intercept", "every layer of a network has biases");
    }
    let solver = match args.solver {
        None => None,
        Some(SolverArg::Lbfgs) => Some(NetSolver::Lbfgs),
        Some(SolverArg::Adam) => Some(NetSolver::Adam),
        Some(other) => {
            let name = format!("{other:?}").to_lowercase();
            return refuse(
                &format!("--solver {name}"),
                "networks are fitted with lbfgs or adam",
            );
        }
    };
    if solver == Some(NetSolver::Lbfgs) {
        if let Some(flag) = adam_flags.first() {
            return refuse(flag, "it is an adam setting; use --solver adam");
        }
        if args.learning_rate.is_some() {
            return refuse(
                "--learning-rate with --solver lbfgs",
                "L-BFGS chooses its own steps; use --solver adam",
            );
        }
    }
    if solver == Some(NetSolver::Adam) && args.max_iter.is_some() {
        return refuse(
            "--max-iter with --solver adam",
            "adam runs --epochs passes over the rows",
        );
    }
    let options = NetworkOptions {
        hidden: hidden.clone(),
        activation: net.activation.unwrap_or(Activation::Relu),
        solver: solver.unwrap_or(NetSolver::Lbfgs),
        max_iter: args.max_iter.unwrap_or(DEFAULT_MAX_ITER),
        tol: args.tol.unwrap_or(DEFAULT_TOL),
        epochs: net.epochs.unwrap_or(DEFAULT_EPOCHS),
        n_iter_no_change: net
            .n_iter_no_change
            .unwrap_or(adam::DEFAULT_N_ITER_NO_CHANGE),
        batch_size: net.batch_size,
        learning_rate: args.learning_rate.unwrap_or(DEFAULT_LEARNING_RATE),
        seed: net.seed.unwrap_or(0),
    };
    if args.learning_rate.is_some() {
        adam_flags.push("--learning-rate");
    }
    Ok(Some(NetworkConfig {
        options,
        solver,
        adam_flags,
    }))
}

/// Fits the network of `config` on `data` and builds its model; returns the model, the
/// warnings for the user and the training history (for `--plot`).
pub fn train_network(
    config: &TrainConfig,
    net: &NetworkConfig,
    mut data: TrainingData,
    observe: &mut dyn FnMut(&NetworkStep),
) -> Result<(Model, Vec<String>, Vec<NetworkStep>)> {
    let multiclass = check_multiclass(config, &data)?;
    let mut warnings = Vec::new();
    if data.rows_dropped > 0 {
        warnings.push(format!(
            "--missing drop left out {} of {} rows with a missing cell",
            data.rows_dropped,
            data.rows_dropped + data.y.len()
        ));
    }
    warnings.append(&mut data.warnings);
    let n = data.y.len();
    let mut options = net.options.clone();
    options.solver = match net.solver {
        Some(s) => s,
        None if n > LBFGS_MAX_ROWS => NetSolver::Adam,
        None => NetSolver::Lbfgs,
    };
    if options.solver == NetSolver::Lbfgs {
        if let Some(flag) = net.adam_flags.first() {
            return Err(Error::Usage(format!(
                "{flag} is an adam setting, but the default solver for {n} rows (at most \
                 {LBFGS_MAX_ROWS}) is lbfgs; add --solver adam"
            )));
        }
    }
    let weights = data.sample_weights(config.class_weight.as_ref())?;
    if let Matrix::Sparse(x) = &data.x {
        let bytes = x.n_rows as f64 * x.n_cols as f64 * 8.0;
        if bytes > MAX_DENSE_BYTES {
            return Err(Error::Usage(format!(
                "{}: a network reads every design column, so its {} rows x {} columns would \
                 take {:.1} GiB dense (at most {} GiB); use fewer one-hot levels or columns \
                 (--exclude, --features)",
                config.data,
                x.n_rows,
                x.n_cols,
                bytes / GIB,
                MAX_DENSE_BYTES / GIB
            )));
        }
    }
    let placeholder = Matrix::Dense(ndarray::Array2::zeros((0, 0)));
    let mut x =
        match std::mem::replace(&mut data.x, placeholder) {
            Matrix::Dense(x) => x,
            Matrix::Sparse(x) => x.to_dense(),
            Matrix::Cached(_) => return Err(Error::Usage(
                "--hidden trains in memory only: --max-memory (the out-of-core cache) applies to \
                 the linear model; leave out one of them"
                    .to_string(),
            )),
        };
    let s = weights.s.as_ref().map(|s| s.view());
    let scaler = if config.standardize {
        Scaler::fit_weighted(x.view(), true, s)
    } else {
        Scaler::identity(x.ncols())
    };
    scaler.apply(&mut x);
    let x = x.as_standard_layout().into_owned();
    let y = data.y.as_standard_layout().into_owned();
    let s_rows = weights
        .s
        .as_ref()
        .map(|s| s.as_standard_layout().into_owned());
    let n_scores = match multiclass {
        None => 1,
        Some(Multiclass::Multinomial) => data.classes.len(),
        Some(Multiclass::Ovr) => unreachable!("--multiclass ovr is refused for networks"),
    };
    let problem = Problem {
        x: x.as_slice().expect("standard layout"),
        n_cols: x.ncols(),
        y: y.as_slice().expect("standard layout"),
        weights: s_rows
            .as_ref()
            .map(|s| s.as_slice().expect("standard layout")),
        n_scores,
        l2: config.l2,
        weight_sum: weights.weight_sum,
        threads: None,
    };
    let fit = fit_network(&problem, &options, observe);
    warnings.extend(fit_warnings(&fit, &options));
    let model = build(config, &data, &weights, &scaler, &fit, multiclass.is_none());
    Ok((model, warnings, fit.history))
}

/// Non-convergence (the iteration or epoch cap, a failed line search), and vanishing
/// gradients at the start.
fn fit_warnings(fit: &NetworkFit, options: &NetworkOptions) -> Vec<String> {
    let mut warnings = Vec::new();
    let r = &fit.report;
    match (options.solver, r.stop_reason) {
        (NetSolver::Lbfgs, StopReason::MaxIterations) => warnings.push(format!(
            "the network did not converge in {} lbfgs iterations (gradient max-norm {:.2e} > \
             tol {:.0e}); raise --max-iter, or accept it as early stopping",
            r.iterations, r.gradient_norm, r.tol
        )),
        (NetSolver::Adam, StopReason::MaxIterations) => warnings.push(format!(
            "adam ran all {} epochs without the epoch objective levelling off (it improved by \
             more than tol {:.0e} within the last --n-iter-no-change epochs) and the gradient \
             max-norm is {:.2e} > tol; raise --epochs, or accept it as early stopping",
            r.iterations, r.tol, r.gradient_norm
        )),
        (NetSolver::Lbfgs, StopReason::LineSearchFailed) => warnings.push(format!(
            "lbfgs stopped after {} iterations: the line search found no better point \
             (gradient max-norm {:.2e} > tol {:.0e})",
            r.iterations, r.gradient_norm, r.tol
        )),
        _ => {}
    }
    let start: Vec<f64> = fit.rms.iter().map(|l| l.start).collect();
    if vanishes(&start) {
        let (first, last) = (start[0], start[start.len() - 1]);
        warnings.push(format!(
            "the gradients vanish: at the start of training the first layer's RMS gradient \
             ({first:.2e}) is {:.1e} times smaller than the last layer's ({last:.2e}), so the \
             early layers barely learn; use --activation relu or tanh, or fewer hidden layers",
            last / first
        ));
    }
    warnings
}

fn build(
    config: &TrainConfig,
    data: &TrainingData,
    weights: &crate::data::encode::SampleWeights,
    scaler: &Scaler,
    fit: &NetworkFit,
    binary: bool,
) -> Model {
    let (kind, family) = if binary {
        (
            ModelKind::Binary {
                labels: data
                    .labels
                    .clone()
                    .expect("a binary fit has positive and negative labels"),
                threshold: config.threshold.unwrap_or(DEFAULT_THRESHOLD),
            },
            LossFamily::Binomial,
        )
    } else {
        (ModelKind::Multinomial, LossFamily::Multinomial)
    };
    let features = data
        .feature_names
        .iter()
        .enumerate()
        .map(|(j, name)| FeatureScale {
            name: name.clone(),
            mean: scaler.mean[j],
            std: scaler.std[j],
        })
        .collect();
    Model {
        format: FORMAT.to_string(),
        version: NETWORK_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        target: data.target.clone(),
        classes: data.classes.clone(),
        kind,
        objective: ObjectiveSpec {
            definition: NETWORK_OBJECTIVE_DEFINITION.to_string(),
            family,
            l1: 0.0,
            l2: config.l2,
            fit_intercept: true,
            standardize: config.standardize,
            weight: config.weight.clone(),
            class_weight: super::model::class_weight_spec(config, weights),
        },
        missing: MissingSpec {
            policy: config.missing,
            na_values: config.markers.values().to_vec(),
            rows_dropped: data.rows_dropped,
        },
        columns: data.columns.clone(),
        features,
        coefficients: Vec::new(),
        coefficients_standardized: Vec::new(),
        intercepts: Vec::new(),
        intercepts_standardized: Vec::new(),
        training: TrainingCounts {
            n_rows: data.y.len(),
            class_counts: data.class_counts.clone(),
            weight_sum: weights.weight_sum,
            n_zero_weight: weights.n_zero_weight,
        },
        fit: fit.report.clone(),
        fits: Vec::new(),
        inference: None,
        network: Some(fit.network.clone()),
        layer_gradients: fit.rms.clone(),
    }
}

/// A network step as the linear solvers' iteration (the progress line).
pub fn as_iteration(step: &NetworkStep) -> crate::fit::solvers::Iteration {
    crate::fit::solvers::Iteration {
        iteration: step.iteration,
        objective: step.objective,
        gradient_norm: step.gradient_norm,
    }
}

/// `logit train --hidden ...`: read, fit the network, report, write the model (and with
/// `--plot` the per-layer gradient chart).
pub fn run(
    args: &TrainArgs,
    config: &TrainConfig,
    net: &NetworkConfig,
) -> Result<crate::exit::ExitStatus> {
    use crate::console;
    let mut progress = crate::commands::progress::TrainingProgress::new(config.quiet, "network");
    let data = super::read_checked(config)?;
    let design_note = super::design::note(config.design, &data.x);
    let (mut model, warnings, history) = train_network(config, net, data, &mut |step| {
        progress.update(&as_iteration(step))
    })?;
    progress.finish();
    let choice = super::pick_threshold(config, &mut model)?;
    let chart = match &config.plot {
        Some(path) => {
            let svg =
                crate::evaluate::plot::layer_gradients_svg(&history, model.fit.solver.as_str())
                    .map_err(|e| e.at(path))?;
            Some(super::stage_chart(config, path, &svg)?)
        }
        None => None,
    };
    for w in &warnings {
        console::warning(w);
    }
    if !config.quiet {
        console::eprint(design_note);
        console::eprint(crate::evaluate::report::training_report(&model, None));
        if let Some(choice) = &choice {
            console::eprint(choice);
        }
    }
    if args.summary {
        console::eprint(crate::commands::summary::network_text(&model));
    }
    model.save(&config.output, &[&config.data])?;
    if !config.quiet && config.output != "-" {
        console::eprint(format!("model written to {}\n", config.output));
    }
    if let (Some(out), Some(path)) = (chart, &config.plot) {
        out.commit()?;
        if !config.quiet && path != "-" {
            console::eprint(format!("per-layer gradient chart written to {path}\n"));
        }
    }
    Ok(crate::exit::ExitStatus::Success)
}

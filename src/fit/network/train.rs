//! Fitting a network: Glorot initialisation from the seed, then L-BFGS (full batch) or Adam
//! (mini-batches), with the per-layer RMS gradient recorded at every iteration (epoch), so the
//! report, the model file and `--plot` can show whether the gradients vanish.

use serde::{Deserialize, Serialize};

use super::backprop::{evaluate, Evaluation, Problem, Rows};
use super::init::{glorot, Rng};
use super::{adam, lbfgs, Activation, Network};
use crate::fit::solvers::{FitReport, SolverKind, StopReason};

/// scikit-learn's `MLPClassifier` defaults, which the network options take unless given.
pub const DEFAULT_TOL: f64 = 1e-4;
pub const DEFAULT_MAX_ITER: usize = 200;
pub const DEFAULT_EPOCHS: usize = 200;
pub const DEFAULT_BATCH_SIZE: usize = 200;
pub const DEFAULT_LEARNING_RATE: f64 = 1e-3;
/// Rows above which the default solver is Adam rather than L-BFGS.
pub const LBFGS_MAX_ROWS: usize = 100_000;
/// A first layer whose RMS gradient is this many times smaller than the last layer's has
/// vanishing gradients (the report warns).
pub const VANISHING_RATIO: f64 = 1000.0;

/// A network's solver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetSolver {
    Lbfgs,
    Adam,
}

impl NetSolver {
    pub fn kind(self) -> SolverKind {
        match self {
            NetSolver::Lbfgs => SolverKind::Lbfgs,
            NetSolver::Adam => SolverKind::Adam,
        }
    }
}

/// How a network is built and fitted.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkOptions {
    pub hidden: Vec<usize>,
    pub activation: Activation,
    pub solver: NetSolver,
    /// L-BFGS iterations at most.
    pub max_iter: usize,
    /// Gradient infinity-norm tolerance (L-BFGS stops there; both report convergence by it).
    pub tol: f64,
    /// Adam: epochs (passes over the shuffled rows).
    pub epochs: usize,
    /// Adam: rows per batch (`None`: `min(200, n)`, as scikit-learn).
    pub batch_size: Option<usize>,
    /// Adam's step size.
    pub learning_rate: f64,
    pub seed: u64,
}

impl Default for NetworkOptions {
    fn default() -> Self {
        NetworkOptions {
            hidden: vec![100],
            activation: Activation::Relu,
            solver: NetSolver::Lbfgs,
            max_iter: DEFAULT_MAX_ITER,
            tol: DEFAULT_TOL,
            epochs: DEFAULT_EPOCHS,
            batch_size: None,
            learning_rate: DEFAULT_LEARNING_RATE,
            seed: 0,
        }
    }
}

/// One point of the training history: L-BFGS iterations, or Adam epochs (0 = the start).
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkStep {
    pub iteration: usize,
    pub objective: f64,
    pub gradient_norm: f64,
    /// Per layer (first hidden layer first, output layer last), the RMS gradient of the loss
    /// in the layer's weights.
    pub layer_rms: Vec<f64>,
}

/// One layer's RMS loss gradient at the start and at the end of training (model file,
/// report).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LayerRms {
    pub start: f64,
    pub end: f64,
}

/// A fitted network with its report and history.
#[derive(Debug, Clone)]
pub struct NetworkFit {
    pub network: Network,
    pub report: FitReport,
    pub history: Vec<NetworkStep>,
    pub rms: Vec<LayerRms>,
}

/// Whether the first layer's RMS gradient is more than [`VANISHING_RATIO`] times smaller than
/// the last layer's (networks with hidden layers only).
pub fn vanishes(layer_rms: &[f64]) -> bool {
    match (layer_rms.first(), layer_rms.last()) {
        (Some(&first), Some(&last)) if layer_rms.len() >= 2 => first * VANISHING_RATIO < last,
        _ => false,
    }
}

fn step(iteration: usize, e: &Evaluation) -> NetworkStep {
    NetworkStep {
        iteration,
        objective: e.value,
        gradient_norm: e.grad_inf(),
        layer_rms: e.layer_rms.clone(),
    }
}

/// Fits a network to `problem` (inputs `problem.n_cols`, `problem.n_scores` outputs), calling
/// `observe` at the start and after every iteration (L-BFGS) or epoch (Adam).
pub fn fit_network(
    problem: &Problem,
    options: &NetworkOptions,
    observe: &mut dyn FnMut(&NetworkStep),
) -> NetworkFit {
    let mut rng = Rng::new(options.seed);
    let mut network = glorot(
        problem.n_cols,
        &options.hidden,
        problem.n_scores,
        options.activation,
        &mut rng,
    );
    let mut history = Vec::new();
    let mut record = |s: NetworkStep, history: &mut Vec<NetworkStep>| {
        observe(&s);
        history.push(s);
    };
    let start = evaluate(problem, &network, Rows::All);
    let (end, iterations, max_iter, reason) = match options.solver {
        NetSolver::Lbfgs => {
            let point = lbfgs::Point {
                theta: network.params(),
                eval: start,
            };
            let mut shape = network.clone();
            let mut eval = |theta: &[f64]| {
                shape.set_params(theta);
                evaluate(problem, &shape, Rows::All)
            };
            let (last, iterations, reason) = lbfgs::minimise(
                point,
                &mut eval,
                options.max_iter,
                options.tol,
                &mut |i, p| record(step(i, &p.eval), &mut history),
            );
            network.set_params(&last.theta);
            (last.eval, iterations, options.max_iter, reason)
        }
        NetSolver::Adam => {
            record(step(0, &start), &mut history);
            let batch = options
                .batch_size
                .unwrap_or(DEFAULT_BATCH_SIZE)
                .min(problem.n_rows());
            adam::run(
                problem,
                &mut network,
                options.epochs,
                batch,
                options.learning_rate,
                &mut rng,
                &mut |epoch, e| {
                    record(
                        NetworkStep {
                            iteration: epoch,
                            objective: e.objective,
                            gradient_norm: e.gradient_norm,
                            layer_rms: e.layer_rms.clone(),
                        },
                        &mut history,
                    )
                },
            );
            let end = evaluate(problem, &network, Rows::All);
            let reason = if end.grad_inf() <= options.tol {
                StopReason::Converged
            } else {
                StopReason::MaxIterations
            };
            (end, options.epochs, options.epochs, reason)
        }
    };
    let first = &history[0].layer_rms;
    let rms = first
        .iter()
        .zip(&end.layer_rms)
        .map(|(&start, &end)| LayerRms { start, end })
        .collect();
    NetworkFit {
        network,
        report: FitReport {
            solver: options.solver.kind(),
            converged: reason == StopReason::Converged,
            stop_reason: reason,
            iterations,
            objective: end.value,
            gradient_norm: end.grad_inf(),
            tol: options.tol,
            max_iter,
            newton_steps: 0,
        },
        history,
        rms,
    }
}

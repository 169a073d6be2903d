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
    /// scikit-learn's `tol`: L-BFGS's gradient infinity-norm tolerance (`gtol`), and Adam's
    /// least improvement of the epoch objective ([`adam`]'s stopping rule); an Adam run that
    /// reaches `epochs` without stopping converged when its full gradient's norm is within it.
    pub tol: f64,
    /// Adam: epochs (passes over the shuffled rows) at most.
    pub epochs: usize,
    /// Adam: epochs in a row without an improvement by `tol` after which it stops (more than
    /// this many; scikit-learn's `n_iter_no_change`).
    pub n_iter_no_change: usize,
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
            n_iter_no_change: adam::DEFAULT_N_ITER_NO_CHANGE,
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
                lbfgs::FTOL,
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
            let stop = adam::NoImprovement::new(options.tol, options.n_iter_no_change);
            let ran = adam::run(
                problem,
                &mut network,
                options.epochs,
                batch,
                options.learning_rate,
                stop,
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
            let reason = if ran.no_improvement {
                StopReason::NoImprovement
            } else if end.grad_inf() <= options.tol {
                StopReason::Converged
            } else {
                StopReason::MaxIterations
            };
            (end, ran.epochs, options.epochs, reason)
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
            converged: reason.is_converged(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::network::lbfgs::{relative_decrease, FTOL};

    /// Two noisy interleaved half circles (`n` rows, 2 columns, labels 0/1).
    fn moons(n: usize) -> (Vec<f64>, Vec<f64>) {
        let mut rng = Rng::new(7);
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for i in 0..n {
            let t = std::f64::consts::PI * rng.unit();
            let (a, b) = if i % 2 == 0 {
                (t.cos(), t.sin())
            } else {
                (1.0 - t.cos(), 0.5 - t.sin())
            };
            x.push(a + 0.2 * (rng.unit() - 0.5));
            x.push(b + 0.2 * (rng.unit() - 0.5));
            y.push((i % 2) as f64);
        }
        (x, y)
    }

    fn problem<'a>(x: &'a [f64], y: &'a [f64]) -> Problem<'a> {
        Problem {
            x,
            n_cols: 2,
            y,
            weights: None,
            n_scores: 1,
            l2: 1e-3,
            weight_sum: y.len() as f64,
            threads: Some(1),
        }
    }

    fn fit(x: &[f64], y: &[f64], options: &NetworkOptions) -> NetworkFit {
        fit_network(&problem(x, y), options, &mut |_| {})
    }

    #[test]
    fn lbfgs_stops_on_scipys_relative_decrease_exactly_when_it_first_holds() {
        let (x, y) = moons(200);
        let options = NetworkOptions {
            hidden: vec![8],
            max_iter: 5000,
            // Far below what the gradient reaches, so the decrease rule must stop it.
            tol: 1e-14,
            ..NetworkOptions::default()
        };
        let f = fit(&x, &y, &options);
        let r = &f.report;
        assert_eq!(r.stop_reason, StopReason::SmallDecrease, "{r:?}");
        assert!(
            r.converged && r.iterations < 5000 && r.gradient_norm > r.tol,
            "{r:?}"
        );
        let values: Vec<f64> = f.history.iter().map(|s| s.objective).collect();
        assert_eq!(values.len(), r.iterations + 1);
        assert_eq!(*values.last().unwrap(), r.objective);
        let n = values.len();
        let last = relative_decrease(values[n - 2], values[n - 1]);
        assert!(last <= FTOL, "the last relative decrease {last:e} > ftol");
        for k in 1..n - 1 {
            let d = relative_decrease(values[k - 1], values[k]);
            assert!(
                d > FTOL,
                "iteration {k} decreased by {d:e} <= ftol but did not stop"
            );
        }
        // With the gradient rule in reach it is the gradient that stops it (checked first).
        let loose = fit(
            &x,
            &y,
            &NetworkOptions {
                tol: 1e-2,
                ..options
            },
        );
        assert_eq!(loose.report.stop_reason, StopReason::Converged);
        assert!(loose.report.gradient_norm <= 1e-2);
    }

    /// scikit-learn's `_update_no_improvement_count`, replayed on the recorded epoch
    /// objectives: the counts after each epoch.
    fn counts(objectives: &[f64], tol: f64) -> Vec<usize> {
        let (mut best, mut count) = (f64::INFINITY, 0);
        objectives
            .iter()
            .map(|&loss| {
                count = if loss > best - tol { count + 1 } else { 0 };
                best = best.min(loss);
                count
            })
            .collect()
    }

    #[test]
    fn adam_stops_after_more_than_n_iter_no_change_epochs_without_improvement() {
        let (x, y) = moons(200);
        let options = NetworkOptions {
            hidden: vec![8],
            solver: NetSolver::Adam,
            epochs: 400,
            n_iter_no_change: 3,
            tol: 1e-3,
            batch_size: Some(20),
            learning_rate: 0.01,
            ..NetworkOptions::default()
        };
        let f = fit(&x, &y, &options);
        let r = &f.report;
        assert_eq!(r.stop_reason, StopReason::NoImprovement, "{r:?}");
        assert!(
            r.converged && r.iterations < 400 && r.max_iter == 400,
            "{r:?}"
        );
        // history[0] is the start; epochs 1..=iterations follow.
        let epochs: Vec<f64> = f.history[1..].iter().map(|s| s.objective).collect();
        assert_eq!(epochs.len(), r.iterations);
        let c = counts(&epochs, 1e-3);
        assert!(*c.last().unwrap() > 3, "{c:?}");
        assert!(c[..c.len() - 1].iter().all(|&k| k <= 3), "{c:?}");
        assert!(r.iterations >= 3 + 2);

        // n_iter_no_change = epochs can never be exceeded: every epoch runs.
        let all = fit(
            &x,
            &y,
            &NetworkOptions {
                epochs: 30,
                n_iter_no_change: 30,
                ..options
            },
        );
        assert_eq!(all.report.iterations, 30);
        assert_ne!(all.report.stop_reason, StopReason::NoImprovement);
        assert_eq!(
            all.report.converged,
            all.report.stop_reason == StopReason::Converged
        );
    }
}

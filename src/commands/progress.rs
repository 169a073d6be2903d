//! The progress line of a long training run: iteration, objective, gradient norm and elapsed
//! time on stderr, redrawn in place (indicatif).
//!
//! Shown only when stderr is a terminal, `--quiet` is off and the run has lasted more than
//! [`DELAY`], so short fits, pipes, CI logs and redirected stderr get nothing. No colour is used,
//! so there is nothing for `NO_COLOR` to turn off. The line is cleared before `train` prints its
//! report or any warning. A run of several fits (`--multiclass ovr`: one per class) shows which
//! fit is running: a new fit starts when the iteration count goes back down.
//!
//! `logit path` and `logit cv` get [`PathProgress`]: lambda i of n, the fold, the elapsed time.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::fit::solvers::Iteration;

/// How long a run must last before the line appears.
pub const DELAY: Duration = Duration::from_secs(1);
/// The message is rebuilt at most this often (the solver loop may run thousands of iterations
/// a second).
const REFRESH: Duration = Duration::from_millis(100);

/// Receives the solver's iterations and keeps the progress line up to date.
pub struct TrainingProgress {
    start: Instant,
    enabled: bool,
    solver: String,
    bar: Option<ProgressBar>,
    last_update: Option<Instant>,
    /// The iteration last seen, and the number of the fit it belongs to (1-based).
    last_iteration: usize,
    fit: usize,
    seen: bool,
}

impl TrainingProgress {
    /// Starts the clock. The line is enabled when stderr is a terminal (not `TERM=dumb`) and
    /// `quiet` is off.
    pub fn new(quiet: bool, solver: &str) -> Self {
        let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
        TrainingProgress {
            start: Instant::now(),
            enabled: !quiet && !dumb && std::io::stderr().is_terminal(),
            solver: solver.to_string(),
            bar: None,
            last_update: None,
            last_iteration: 0,
            fit: 1,
            seen: false,
        }
    }

    /// Called with every iteration of the fit.
    pub fn update(&mut self, it: &Iteration) {
        // Iterations increase within a fit, so one that does not starts the next fit.
        if self.seen && it.iteration <= self.last_iteration {
            self.fit += 1;
        }
        self.seen = true;
        self.last_iteration = it.iteration;
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        let elapsed = now.duration_since(self.start);
        if elapsed < DELAY
            || self
                .last_update
                .is_some_and(|t| now.duration_since(t) < REFRESH)
        {
            return;
        }
        self.last_update = Some(now);
        let bar = self.bar.get_or_insert_with(|| {
            let style =
                ProgressStyle::with_template("{spinner} training ({prefix}): {msg}, {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner());
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
                .with_style(style)
                .with_prefix(self.solver.clone())
                .with_elapsed(elapsed);
            // Keeps the spinner and the elapsed time moving during a slow iteration.
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        let fit = if self.fit > 1 {
            format!("fit {}, ", self.fit)
        } else {
            String::new()
        };
        bar.set_message(format!(
            "{fit}iteration {}, objective {:.10}, gradient max-norm {:.2e}",
            it.iteration, it.objective, it.gradient_norm
        ));
    }

    /// Clears the line (before anything else is printed).
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Drop for TrainingProgress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// The progress line of `logit path` and `logit cv`: which lambda of how many, which fold (cv:
/// the folds done and the one last heard from, as folds run in parallel), and the elapsed time.
/// Same rules as [`TrainingProgress`]: a terminal only, not with `--quiet`, after [`DELAY`].
/// Shared by the fold threads, so the state sits behind a mutex.
pub struct PathProgress {
    start: Instant,
    enabled: bool,
    what: &'static str,
    state: std::sync::Mutex<PathState>,
}

#[derive(Default)]
struct PathState {
    bar: Option<ProgressBar>,
    last_update: Option<Instant>,
    /// Lambdas done per fold (cv), or one entry (path).
    done: Vec<usize>,
}

impl PathProgress {
    /// `what` names the run ("path", "cv"); `parts` is 1 for a path and K + 1 for cv (the
    /// full-data path, then K folds).
    pub fn new(quiet: bool, what: &'static str, parts: usize) -> Self {
        let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
        PathProgress {
            start: Instant::now(),
            enabled: !quiet && !dumb && std::io::stderr().is_terminal(),
            what,
            state: std::sync::Mutex::new(PathState {
                done: vec![0; parts.max(1)],
                ..PathState::default()
            }),
        }
    }

    /// Part `part` (0 = the full-data path; cv folds 1 ..= K) has fitted `done` of `total`
    /// lambdas.
    pub fn update(&self, part: usize, done: usize, total: usize) {
        if !self.enabled {
            return;
        }
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        if let Some(d) = state.done.get_mut(part) {
            *d = done;
        }
        let now = Instant::now();
        let elapsed = now.duration_since(self.start);
        if elapsed < DELAY
            || state
                .last_update
                .is_some_and(|t| now.duration_since(t) < REFRESH)
        {
            return;
        }
        state.last_update = Some(now);
        let folds = state.done.len() - 1;
        let message = if folds == 0 || part == 0 {
            format!("lambda {done} of {total}")
        } else {
            let finished = state.done[1..].iter().filter(|&&d| d >= total).count();
            format!("fold {part} of {folds}: lambda {done} of {total} ({finished} folds done)")
        };
        let what = self.what;
        let bar = state.bar.get_or_insert_with(|| {
            let style = ProgressStyle::with_template("{spinner} {prefix}: {msg}, {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
                .with_style(style)
                .with_prefix(what)
                .with_elapsed(elapsed);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        bar.set_message(message);
    }

    /// Clears the line (before anything else is printed).
    pub fn finish(&self) {
        if let Ok(mut state) = self.state.lock() {
            if let Some(bar) = state.bar.take() {
                bar.finish_and_clear();
            }
        }
    }
}

impl Drop for PathProgress {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_fit_starts_when_the_iteration_count_does_not_increase() {
        let mut progress = TrainingProgress::new(true, "lbfgs");
        let it = |iteration| Iteration {
            iteration,
            objective: 1.0,
            gradient_norm: 1.0,
        };
        for i in [0, 1, 2, 0, 1, 0, 0, 1] {
            progress.update(&it(i));
        }
        assert_eq!(progress.fit, 4);
    }
}

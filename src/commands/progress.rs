//! The progress line of a long training run: iteration, objective, gradient norm and elapsed
//! time on stderr, redrawn in place (indicatif).
//!
//! Shown only when stderr is a terminal, `--quiet` is off and the run has lasted more than
//! [`DELAY`], so short fits, pipes, CI logs and redirected stderr get nothing. No colour is used,
//! so there is nothing for `NO_COLOR` to turn off. The line is cleared before `train` prints its
//! report or any warning.

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
        }
    }

    /// Called with every iteration of the fit.
    pub fn update(&mut self, it: &Iteration) {
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
        bar.set_message(format!(
            "iteration {}, objective {:.10}, gradient max-norm {:.2e}",
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

//! The single integration-test binary: every module drives the built `logit` executable.

mod util;

mod completions;
mod errors;
mod eval;
mod fuzz_regressions;
mod hardening_read;
mod input;
mod plots;
mod predict;
mod properties;
mod summary;
mod thresholds;
mod train;

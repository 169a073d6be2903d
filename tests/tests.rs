//! The single integration-test binary: every module drives the built `logit` executable.

mod util;

mod errors;
mod eval;
mod predict;
mod train;

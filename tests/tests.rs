//! The single integration-test binary: every module drives the built `logit` executable.

mod util;

mod errors;
mod eval;
mod input;
mod predict;
mod properties;
mod train;

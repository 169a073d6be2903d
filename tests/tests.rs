//! The single integration-test binary: every module drives the built `logit` executable.

mod completions;
mod errors;
mod eval;
mod fuzz_regressions;
mod hardening_eval;
mod hardening_io;
mod hardening_kernels;
mod hardening_predict;
mod hardening_read;
mod input;
mod plots;
mod predict;
mod properties;
mod readme;
mod summary;
mod thresholds;
mod train;
mod util;
mod v2_compress;
mod v2_core;
mod v2_eval;
mod v2_l1_core;
mod v2_l1_train;
mod v2_network;
mod v2_network_ref;
#[cfg(feature = "onnx-check")]
mod v2_onnx;
#[cfg(feature = "onnx-check")]
mod v2_onnx_graph;
mod v2_ooc;
mod v2_parquet;
mod v2_path_cv;
mod v2_predict;
mod v2_sparse_cli;
mod v2_sparse_core;
mod v2_summary;
mod v2_svmlight;
mod v2_train;

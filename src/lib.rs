//! logit: logistic regression on CSV files.
//!
//! The library holds the numerics, solvers, data handling and the subcommands' logic, so it can
//! be used without the CLI; `main.rs` only parses arguments and maps results to exit codes.
//! Data flow:
//!
//! ```text
//! train    DATA -> data::input -> data::schema -> data::encode -> data::design (X, y, scaler)
//!               -> solvers (objective, numerics) -> coefficients + FitReport
//!               -> summary::Inference (log-likelihood, covariance) -> model (atomic write)
//! predict  MODEL -> model; DATA -> data::records (header, then records and their lines)
//!               header -> encode::RowScorer (columns resolved once)
//!               each record -> linear score -> numerics::sigmoid -> output row, written at once
//! eval     same row path as predict, keeping (score, label) -> metrics -> report -> gates
//! summary  MODEL -> model (log-likelihood + covariance stored by train) -> summary -> table | JSON
//! ```

// stdout and stderr are written through `console` only: the std print macros panic when a
// stream is closed or full. (Unit tests may print.)
#![cfg_attr(not(test), warn(clippy::print_stdout, clippy::print_stderr))]

pub mod cli;
pub mod commands;
pub mod console;
pub mod data;
pub mod error;
pub mod evaluate;
pub mod exit;
pub mod fit;
pub mod inference;
pub mod model;

//! logit: logistic regression on CSV files.
//!
//! The library holds the data handling, numerics, solvers, evaluation and the subcommands' logic,
//! so it can be used without the CLI; `main.rs` only parses arguments and maps results to exit
//! codes. The modules follow the data flow, each depending only on those before it:
//!
//! - [`data`]: CSV in and out (records, schema, encoding, missing values, the design matrix);
//! - [`fit`]: numerical kernels, the objective and the solvers;
//! - [`model`]: the model file, the inference statistics stored in it, and the row scorer;
//! - [`evaluate`]: metrics, thresholds, calibration, gates, charts and text reports;
//! - [`inference`]: the statistical summary of a model;
//! - [`select`]: choosing the penalty: cross-validation folds, held-out metrics, the CV curve
//!   and cv.glmnet's lambda_min / lambda_1se;
//! - [`commands`]: one module per subcommand, wiring the above together; [`cli`] defines the
//!   arguments. [`console`], [`error`] and [`exit`] are shared by all;
//! - [`distributed`]: `--distributed`, the commands on data split among MPI ranks (above
//!   [`commands`], whose train it drives).
//!
//! ```text
//! train    DATA -> data::input -> data::schema -> data::encode -> data::design (X, y, scaler)
//!               -> fit::solvers (fit::objective, fit::numerics) -> coefficients + FitReport
//!               -> inference::summary::compute_inference -> model::inference::Inference
//!               (log-likelihood, covariance) -> model (atomic write)
//! predict  MODEL -> model; DATA -> data::records (header, then records and their lines)
//!               header -> model::scorer::RowScorer (columns resolved once)
//!               each record -> linear score -> fit::numerics::sigmoid -> output row (at once)
//! eval     same row path as predict, keeping (score, label) -> evaluate::metrics
//!               -> evaluate::gate -> evaluate::report
//! summary  MODEL -> model (log-likelihood + covariance stored by train) -> inference::summary
//!               -> table | JSON
//! path     DATA -> train's reader (commands::train::read_training_data) -> select::problem
//!               (standardised on all rows) -> fit::path (lambda_max, sequence, warm-started
//!               cd fits) -> table | JSON; --plot -> evaluate::plot::coefficient_paths_svg
//! cv       DATA (+ fold column) -> train's reader -> full-data fit::path (the lambdas)
//!               -> select::folds -> select::cv (per fold, in threads: standardise on its
//!               training rows, fit::path, select::metric on its held-out rows)
//!               -> select::stats (cvm, cvsd, lambda_min, lambda_1se)
//!               -> commands::train::train_on_data at the chosen lambda -> model (atomic write)
//! ```

// stdout and stderr are written through `console` only: the std print macros panic when a
// stream is closed or full. (Unit tests may print.)
#![cfg_attr(not(test), warn(clippy::print_stdout, clippy::print_stderr))]

pub mod cli;
pub mod commands;
pub mod console;
pub mod data;
pub mod distributed;
pub mod error;
pub mod evaluate;
pub mod exit;
pub mod fit;
pub mod inference;
pub mod model;
pub mod select;

//! Choosing the penalty: cross-validation folds, the held-out metrics, the CV curve and the
//! choice of lambda (cv.glmnet's lambda.min and lambda.1se).
//!
//! Sits between [`crate::inference`] and [`crate::commands`]: it fits through
//! [`crate::fit::path`] and scores with [`crate::evaluate::metrics`], and leaves reading the data,
//! the refit at the chosen lambda and all output to `commands::path` and `commands::cv`.

pub mod cv;
pub mod folds;
pub mod metric;
pub mod problem;
pub mod stats;

pub use folds::Folds;
pub use metric::Metric;
pub use stats::{choose, curve, CvCurve};

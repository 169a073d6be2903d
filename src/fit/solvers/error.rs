//! Why a fit could not run: options out of range, unusable data, and what linfa-logistic or
//! Newton's Hessian cannot do.

use std::fmt;

use super::GIB;

/// Why a fit could not run.
#[derive(Debug)]
pub enum FitError {
    /// An option is out of range; `name` is the command-line flag.
    InvalidOption {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
    /// An option whose value times the number of rows overflows, which linfa-logistic needs
    /// finite (it minimises the summed loss); `name` is the command-line flag.
    OutOfRangeForLinfa {
        name: &'static str,
        value: f64,
        /// The largest usable value, formatted.
        limit: String,
        n_rows: usize,
    },
    /// The training data cannot be fitted (no rows, non-finite values, labels not 0/1).
    InvalidData(String),
    /// linfa-logistic refused the problem or failed.
    Linfa(String),
    /// linfa-logistic cannot fit this problem at all (it has no sample weights).
    LinfaUnavailable(String),
    /// An L1 penalty was asked of a solver that needs a differentiable objective.
    L1NotSupported { solver: super::SolverKind },
    /// `--solver newton` would need a Hessian larger than [`super::NEWTON_MAX_HESSIAN_BYTES`].
    NewtonHessianTooLarge {
        n_params: usize,
        /// Bytes of the `n_params x n_params` matrix.
        bytes: f64,
        /// The bound it exceeds, in bytes.
        limit: f64,
    },
}

impl fmt::Display for FitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FitError::InvalidOption {
                name,
                value,
                expected,
            } => write!(f, "{name} must be {expected}, got {value}"),
            FitError::OutOfRangeForLinfa {
                name,
                value,
                limit,
                n_rows,
            } => write!(
                f,
                "{name} {value:e} is too large for linfa-logistic (--solver linfa, --cross-check): it \
                 minimises the summed loss, so {name} x {n_rows} rows must be a finite number; use \
                 {name} <= {limit} or another --solver"
            ),
            FitError::InvalidData(msg) => write!(f, "cannot fit: {msg}"),
            FitError::L1NotSupported { solver } => write!(
                f,
                "--solver {solver} cannot fit an --l1 penalty (it is not differentiable at 0); use \
                 --solver cd, the default with --l1"
            ),
            FitError::Linfa(msg) => write!(f, "linfa-logistic failed: {msg}"),
            FitError::LinfaUnavailable(msg) => write!(f, "linfa-logistic is not available: {msg}"),
            FitError::NewtonHessianTooLarge {
                n_params,
                bytes,
                limit,
            } => write!(
                f,
                "--solver newton needs the full {n_params} x {n_params} Hessian ({:.1} GiB), more \
                 than the {:.1} GiB it may use; use --solver lbfgs (the default), which needs no \
                 Hessian",
                bytes / GIB,
                limit / GIB
            ),
        }
    }
}

impl std::error::Error for FitError {}

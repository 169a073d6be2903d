//! Fitting: the numerical kernels, the penalised mean log loss over a design matrix, and the
//! solvers that minimise it (with separation detection and the linfa cross-check).

pub mod cd;
pub mod loss;
pub mod network;
pub mod numerics;
pub mod objective;
pub mod path;
pub mod reduce;
pub mod solvers;

pub mod metrics;
pub mod numerics;
pub mod objective;
pub mod solvers;

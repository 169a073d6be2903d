//! Judging a model on labelled data: metrics, threshold sweeps and choices, calibration, the
//! charts, and the text reports of train and eval.

pub mod calibration;
pub mod metrics;
pub mod plot;
pub mod report;
pub mod threshold;

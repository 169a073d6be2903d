//! Judging a model on labelled data: metrics, threshold sweeps and choices, calibration, CI
//! gates, the charts, and the text reports of train and eval.

pub mod calibration;
pub mod gate;
pub mod metrics;
pub mod plot;
pub mod report;
pub mod threshold;

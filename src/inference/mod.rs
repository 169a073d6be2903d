//! Classical inference for a fitted model: the summary table and fit statistics, and the tail
//! probabilities of its tests.

pub mod special;
pub mod summary;

//! Reading data (CSV, compressed CSV, svmlight, Parquet): inputs and outputs, column roles,
//! encoding, the design matrix and standardisation.

pub mod cache;
pub mod compress;
pub mod design;
pub mod encode;
#[cfg(unix)]
pub mod fast;
pub mod format;
pub mod input;
pub mod limits;
pub mod lines;
pub mod missing;
pub mod output;
#[cfg(unix)]
pub mod parquet;
pub mod records;
pub mod schema;
pub mod sniff;
pub mod svmlight;
pub mod training;

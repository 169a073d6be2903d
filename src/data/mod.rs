//! Reading CSV data: inputs and outputs, column roles, encoding and standardisation.

pub mod design;
pub mod encode;
#[cfg(unix)]
pub mod fast;
pub mod input;
pub mod limits;
pub mod lines;
pub mod missing;
pub mod output;
pub mod records;
pub mod schema;
pub mod sniff;
pub mod svmlight;
pub mod training;

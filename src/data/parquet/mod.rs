//! Parquet input and output, through the `parquet` crate's Arrow reader and writer.
//!
//! Training ([`read_training`]) decodes only the columns it needs, row groups in parallel, and
//! gives the same [`crate::data::encode::TrainingData`] as the CSV reader gives for the same
//! table: integer, float and boolean columns are numeric (a boolean is 0 or 1); string and
//! dictionary columns are categorical, with the CSV reader's level order and one-hot names;
//! nulls are missing cells handled by `--missing`. `predict` and `eval` read rows through
//! [`rows`]; `predict -o out.parquet` writes through [`write`].
//!
//! Messages name the file, the row and its row group (both counted from 0, as pyarrow and
//! pandas count them) and the column.

pub mod convert;
pub mod rows;
pub mod source;
mod training;
pub mod write;

pub use source::ParquetFile;
pub use training::read_training;

//! `predict -o out.parquet`: the kept columns (their own Arrow type when the input is Parquet,
//! text from a CSV), then `probability` (binary) or `probability_<class>` per class (Float64),
//! then `prediction` (text), snappy-compressed, written through [`Output`] so a failure never
//! leaves a partial file.

use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::data::input::Output;
use crate::error::{Error, Result};

/// Whether `-o path` asks for Parquet (by its extension).
pub fn is_parquet_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".parquet") || lower.ends_with(".pq")
}

/// Rows buffered before a batch is written (bounded memory, row groups of this size).
pub const BATCH_ROWS: usize = 65_536;

/// A Parquet predictions file being written.
pub struct PredictionWriter {
    writer: ArrowWriter<Output>,
    schema: SchemaRef,
    name: String,
    n_probabilities: usize,
}

impl PredictionWriter {
    /// Starts `out` with the kept columns `kept` (name and type) and the probability columns
    /// named `probabilities`.
    pub fn new(out: Output, kept: Vec<Field>, probabilities: &[String]) -> Result<Self> {
        let name = out.name().to_string();
        let mut fields = kept;
        fields.extend(
            probabilities
                .iter()
                .map(|p| Field::new(p, DataType::Float64, false)),
        );
        fields.push(Field::new("prediction", DataType::Utf8, false));
        let schema = Arc::new(Schema::new(fields));
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build();
        let writer = ArrowWriter::try_new(out, schema.clone(), Some(props))
            .map_err(|e| parquet_error(&name, e))?;
        Ok(PredictionWriter {
            writer,
            schema,
            name,
            n_probabilities: probabilities.len(),
        })
    }

    /// Writes one batch: the kept columns' arrays, then per row its probabilities (row-major,
    /// `n_probabilities` each) and its predicted label.
    pub fn write(
        &mut self,
        mut kept: Vec<ArrayRef>,
        probabilities: &[f64],
        predictions: &[&str],
    ) -> Result<()> {
        let k = self.n_probabilities;
        for j in 0..k {
            let column: Float64Array = probabilities.iter().skip(j).step_by(k).copied().collect();
            kept.push(Arc::new(column));
        }
        kept.push(Arc::new(StringArray::from_iter_values(predictions)));
        let batch = RecordBatch::try_new(self.schema.clone(), kept)
            .map_err(|e| parquet_error(&self.name, e))?;
        self.writer
            .write(&batch)
            .map_err(|e| parquet_error(&self.name, e))
    }

    /// Writes the footer and commits the output.
    pub fn finish(self) -> Result<()> {
        let name = self.name.clone();
        let out = self
            .writer
            .into_inner()
            .map_err(|e| parquet_error(&name, e))?;
        out.commit()
    }
}

fn parquet_error(name: &str, e: impl std::fmt::Display) -> Error {
    Error::io(
        name,
        "write it",
        std::io::Error::other(format!("writing Parquet: {e}")),
    )
}

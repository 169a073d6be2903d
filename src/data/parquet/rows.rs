//! Parquet rows as records for `predict` and `eval`: each row becomes a CSV-like record of
//! text cells (numbers as their shortest round-trip decimal, so the scorer parses back the same
//! f64; a null as the empty, missing cell), so scoring, missing values and unseen levels follow
//! exactly the CSV rules. Only the columns asked for are decoded; the others stay empty.

use arrow_array::RecordBatch;

use super::convert::{self, Kind};
use super::source::ParquetFile;
use crate::data::input::Source;
use crate::error::{DataError, DataErrorKind, Error, Location, Result};

/// Rows decoded per batch (bounded memory whatever the row group size).
const BATCH_ROWS: usize = 65_536;

/// The `line` handed to the scorer for row `row` (counted from 0): `row + 1`, so that line 0
/// stays the header (see [`ParquetRows::relocate`]).
pub fn line_of(row: u64) -> u64 {
    row + 1
}

/// The line of the header given to scorers (its errors name no row).
pub const HEADER_LINE: u64 = 0;

/// An open Parquet file read row by row.
pub struct ParquetRows {
    pub file: ParquetFile,
}

impl ParquetRows {
    pub fn open(source: Source) -> Result<ParquetRows> {
        Ok(ParquetRows {
            file: ParquetFile::from_source(source)?,
        })
    }

    pub fn name(&self) -> &str {
        &self.file.name
    }

    pub fn header(&self) -> &[String] {
        &self.file.header
    }

    /// Calls `each(record, row, batch, k)` on every row in file order: `record` has one field
    /// per header column, filled for `needed` (header indices) only; `row` counts from 0 over
    /// the file; `batch` holds the `needed` columns (in header order) and `k` is the row in it.
    /// A boolean reads `1` / `0` in the `numeric` columns (features), `true` / `false` elsewhere.
    pub fn for_each(
        &self,
        needed: &[usize],
        numeric: &[usize],
        mut each: impl FnMut(&csv::StringRecord, u64, &RecordBatch, usize) -> Result<()>,
    ) -> Result<()> {
        let pf = &self.file;
        let mut needed: Vec<usize> = needed.to_vec();
        needed.sort_unstable();
        needed.dedup();
        for &c in &needed {
            if convert::kind(pf.data_type(c)) == Kind::Unsupported {
                let location = Location {
                    file: pf.name.clone(),
                    line: None,
                    column: Some(pf.header[c].clone()),
                };
                let message = convert::unsupported(pf.data_type(c));
                return Err(DataError::new(location, DataErrorKind::Parquet { message }).into());
            }
        }
        let as_number: Vec<bool> = needed.iter().map(|c| numeric.contains(c)).collect();
        let mut cells: Vec<String> = vec![String::new(); pf.header.len()];
        let mut record = csv::StringRecord::new();
        for g in 0..pf.n_row_groups() {
            let reader = pf.reader(g, &needed, BATCH_ROWS)?;
            let mut row = pf.group_start(g);
            for batch in reader {
                let batch = batch.map_err(|e| pf.group_error(g, e))?;
                for k in 0..batch.num_rows() {
                    for ((j, &c), &number) in needed.iter().enumerate().zip(&as_number) {
                        cells[c].clear();
                        convert::cell_text(batch.column(j).as_ref(), k, number, &mut cells[c]);
                    }
                    record.clear();
                    for cell in &cells {
                        record.push_field(cell);
                    }
                    each(&record, row, &batch, k).map_err(|e| self.relocate(e))?;
                    row += 1;
                }
            }
        }
        Ok(())
    }

    /// An error located by the scorer at a "line" ([`line_of`]) as the row and row group of
    /// this file; one at [`HEADER_LINE`] names the file only.
    pub fn relocate(&self, e: Error) -> Error {
        match e {
            Error::Data(mut d) if d.location.file == self.file.name => {
                if let Some(line) = d.location.line {
                    let column = d.location.column.clone();
                    d.location = if line == HEADER_LINE {
                        Location {
                            file: self.file.name.clone(),
                            line: None,
                            column,
                        }
                    } else {
                        let mut at = self.file.row_location(line - 1, "");
                        at.column = column;
                        at
                    };
                }
                Error::Data(d)
            }
            other => other,
        }
    }
}

//! Labelled rows from a Parquet file: each row is scored as the CSV row with the same cells
//! ([`crate::data::parquet::rows`]); labels, weights and missing labels follow the CSV rules.

use super::{label_columns, RecordLabels, RecordRow, Row};
use crate::data::encode::ColumnKind;
use crate::data::input::Source;
use crate::data::missing::Markers;
use crate::data::parquet::rows::{line_of, ParquetRows, HEADER_LINE};
use crate::error::{DataError, DataErrorKind, Location, Result};
use crate::model::Model;

/// `read_labelled` for Parquet input.
pub(super) fn read_labelled_parquet(
    model: &Model,
    source: Source,
    target: Option<&str>,
    weight: Option<&str>,
    mut each: impl FnMut(&Row) -> Result<()>,
) -> Result<Option<Vec<f64>>> {
    let target = target.map_or_else(|| model.target.clone(), str::to_string);
    let rows = ParquetRows::open(source)?;
    let file = rows.name().to_string();
    let header = rows.header().to_vec();
    let find = |name: &str| header.iter().position(|h| *h == name);
    let (target_index, weight_index) = label_columns(&file, HEADER_LINE, &header, &target, weight)
        .map_err(|e| rows.relocate(e))?;
    let scorer = model
        .scorer(&file, HEADER_LINE, &header)
        .map_err(|e| rows.relocate(e))?;
    let numeric: Vec<usize> = model
        .columns
        .iter()
        .filter(|c| matches!(c.kind, ColumnKind::Numeric { .. }))
        .filter_map(|c| find(&c.name))
        .collect();
    let mut needed: Vec<usize> = model
        .columns
        .iter()
        .filter_map(|c| find(&c.name))
        .chain([target_index])
        .chain(weight_index)
        .collect();
    needed.sort_unstable();
    needed.dedup();

    let mut labels = RecordLabels {
        file: &file,
        target: &target,
        target_index,
        weight: weight_index.zip(weight),
        markers: Markers::new(model.missing.na_values.clone()),
        weights: weight_index.map(|_| Vec::new()),
    };
    let mut n = 0usize;
    rows.for_each(&needed, &numeric, |record, row, _, _| {
        let line = line_of(row);
        let label = labels.label(record, line)?;
        each(&Row {
            line,
            label,
            scores: &RecordRow {
                scorer: &scorer,
                record,
                line,
            },
            file: &file,
            target: &target,
        })?;
        n += 1;
        Ok(())
    })?;
    if n == 0 {
        return Err(DataError::new(Location::file(&file), DataErrorKind::NoDataRows).into());
    }
    Ok(labels.weights)
}

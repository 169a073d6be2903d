//! Labelled rows from a Parquet file: each row is scored as the CSV row with the same cells
//! ([`crate::data::parquet::rows`]); labels, weights and missing labels follow the CSV rules.

use super::{Row, RowScores};
use crate::data::encode::ColumnKind;
use crate::data::input::{missing_columns, Source};
use crate::data::missing::Markers;
use crate::data::parquet::rows::{line_of, ParquetRows, HEADER_LINE};
use crate::data::training::weights::parse_weight;
use crate::error::{DataError, DataErrorKind, Location, Result};
use crate::model::scorer::RowScorer;
use crate::model::Model;

/// A Parquet row as a record, and the scorer built on the file's columns.
struct ParquetRow<'a> {
    scorer: &'a RowScorer,
    record: &'a csv::StringRecord,
    line: u64,
}

impl RowScores for ParquetRow<'_> {
    fn score(&self) -> Result<f64> {
        self.scorer.score(self.record, self.line)
    }

    fn score_into(&self, out: &mut [f64]) -> Result<()> {
        self.scorer.score_into(self.record, self.line, out)
    }
}

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
    let (target_index, weight_index) = (find(&target), weight.map(find));
    let mut absent: Vec<String> = Vec::new();
    if target_index.is_none() {
        absent.push(target.clone());
    }
    if let (Some(None), Some(name)) = (weight_index, weight) {
        absent.push(name.to_string());
    }
    let (Some(target_index), true) = (target_index, absent.is_empty()) else {
        let e = missing_columns(&file, HEADER_LINE, &header, absent);
        return Err(rows.relocate(e.into()));
    };
    let weight_index = weight_index.flatten();
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

    let markers = Markers::new(model.missing.na_values.clone());
    let mut weights = weight_index.map(|_| Vec::new());
    let mut n = 0usize;
    rows.for_each(&needed, &numeric, |record, row, _, _| {
        let line = line_of(row);
        if let (Some(i), Some(w), Some(name)) = (weight_index, weights.as_mut(), weight) {
            let value = parse_weight(&record[i], &markers)
                .map_err(|kind| DataError::new(Location::cell(&file, line, name), kind))?;
            w.push(value);
        }
        let label = record[target_index].trim();
        if markers.is_missing(label) {
            let hint = "eval needs the true label of every row".to_string();
            let kind = DataErrorKind::MissingValue {
                found: label.to_string(),
                hint,
            };
            return Err(DataError::new(Location::cell(&file, line, &target), kind).into());
        }
        each(&Row {
            line,
            label,
            scores: &ParquetRow {
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
    Ok(weights)
}

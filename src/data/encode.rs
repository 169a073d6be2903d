//! From CSV records to numbers: how a column becomes design columns (numeric or one-hot), cell
//! parsing, and the per-row scorer shared by `predict` and `eval`. Reading a training file
//! (column typing, missing values, the design matrix) is in [`super::training`].

use super::missing::{Markers, MissingPolicy};
use crate::error::{DataError, DataErrorKind, Location, Result};

pub use super::training::{read_training, read_training_from, TrainingData, TrainingSelection};

/// How one input column becomes design-matrix columns.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ColumnKind {
    /// One design column holding the parsed number; `fill` replaces a missing cell.
    Numeric {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fill: Option<f64>,
    },
    /// One indicator design column per level (sorted), named `column=level`; `fill` is the
    /// level that replaces a missing cell.
    Categorical {
        levels: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fill: Option<String>,
    },
}

/// A feature column of the input CSV, by name.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ColumnSpec {
    pub name: String,
    #[serde(flatten)]
    pub kind: ColumnKind,
}

impl ColumnSpec {
    /// Names of the design columns this input column expands to.
    pub fn design_names(&self) -> Vec<String> {
        match &self.kind {
            ColumnKind::Numeric { .. } => vec![self.name.clone()],
            ColumnKind::Categorical { levels, .. } => levels
                .iter()
                .map(|l| format!("{}={}", self.name, l))
                .collect(),
        }
    }

    pub fn width(&self) -> usize {
        match &self.kind {
            ColumnKind::Numeric { .. } => 1,
            ColumnKind::Categorical { levels, .. } => levels.len(),
        }
    }
}

/// Parses a numeric cell that is not missing: surrounding spaces are ignored; the value must be
/// a finite f64 (`1e400` overflows to infinity and is refused, as are `inf` and `NaN`).
pub fn parse_number(cell: &str) -> Result<f64, DataErrorKind> {
    let t = cell.trim();
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(DataErrorKind::NotFinite {
            value: cell.to_string(),
        }),
        Err(_) => Err(DataErrorKind::NotANumber {
            value: cell.to_string(),
        }),
    }
}

/// One model column resolved against an input header: where to find it and its weights.
#[derive(Debug)]
enum Term {
    Numeric {
        index: usize,
        weight: f64,
        fill: Option<f64>,
    },
    /// Levels sorted, as stored in the model, so lookup is a binary search.
    Categorical {
        index: usize,
        levels: Vec<String>,
        weights: Vec<f64>,
        fill: Option<usize>,
    },
}

/// Computes the linear score `z = b + sum_j w_j x_j` of one CSV record, with the model's
/// columns located by name in this file's header once, up front. Missing cells take the
/// model's fill values, or fail when the model has none.
#[derive(Debug)]
pub struct RowScorer {
    file: String,
    header: Vec<String>,
    terms: Vec<Term>,
    intercept: f64,
    markers: Markers,
    /// The markers that parse as numbers, the only ones a parsed cell can be.
    numeric_markers: Vec<String>,
    policy: MissingPolicy,
}

impl RowScorer {
    /// `weights` are in original units, one per design column of `columns` in order.
    /// Fails listing every model column the header lacks.
    pub fn new(
        file: &str,
        header: &[String],
        columns: &[ColumnSpec],
        weights: &[f64],
        intercept: f64,
        markers: Markers,
        policy: MissingPolicy,
    ) -> Result<RowScorer> {
        let missing: Vec<String> = columns
            .iter()
            .filter(|c| !header.contains(&c.name))
            .map(|c| c.name.clone())
            .collect();
        if !missing.is_empty() {
            return Err(DataError::new(
                Location {
                    file: file.to_string(),
                    line: Some(1),
                    column: missing.first().cloned(),
                },
                DataErrorKind::MissingColumns { names: missing },
            )
            .into());
        }
        let mut terms = Vec::with_capacity(columns.len());
        let mut offset = 0;
        for column in columns {
            let index = header
                .iter()
                .position(|h| *h == column.name)
                .expect("checked above");
            let width = column.width();
            let w = &weights[offset..offset + width];
            terms.push(match &column.kind {
                ColumnKind::Numeric { fill } => Term::Numeric {
                    index,
                    weight: w[0],
                    fill: *fill,
                },
                ColumnKind::Categorical { levels, fill } => Term::Categorical {
                    index,
                    levels: levels.clone(),
                    weights: w.to_vec(),
                    fill: fill
                        .as_ref()
                        .and_then(|f| levels.iter().position(|l| l == f)),
                },
            });
            offset += width;
        }
        let numeric_markers = markers
            .values()
            .iter()
            .filter(|m| m.parse::<f64>().is_ok())
            .cloned()
            .collect();
        Ok(RowScorer {
            file: file.to_string(),
            header: header.to_vec(),
            terms,
            intercept,
            markers,
            numeric_markers,
            policy,
        })
    }

    /// The linear score of one record that starts on physical line `line`.
    pub fn score(&self, record: &csv::StringRecord, line: u64) -> Result<f64> {
        let mut z = self.intercept;
        for term in &self.terms {
            match term {
                Term::Numeric {
                    index,
                    weight,
                    fill,
                } => {
                    let cell = &record[*index];
                    let v = if self.markers.is_missing(cell) {
                        fill.ok_or_else(|| self.missing(line, *index, cell))?
                    } else {
                        parse_number(cell).map_err(|k| self.at(line, *index, k))?
                    };
                    z += weight * v;
                }
                Term::Categorical {
                    index,
                    levels,
                    weights,
                    fill,
                } => {
                    let cell = &record[*index];
                    let i = if self.markers.is_missing(cell) {
                        fill.ok_or_else(|| self.missing(line, *index, cell))?
                    } else {
                        let level = cell.trim();
                        levels
                            .binary_search_by(|l| l.as_str().cmp(level))
                            .map_err(|_| {
                                let kind = DataErrorKind::UnseenCategory {
                                    value: level.to_string(),
                                    known: levels.clone(),
                                };
                                self.at(line, *index, kind)
                            })?
                    };
                    z += weights[i];
                }
            }
        }
        Ok(z)
    }

    /// The score of a record given as raw byte fields, or `None` when any cell needs more than
    /// the common case (a missing cell, text that is not a plain number, an unseen level):
    /// the caller then scores the record with [`RowScorer::score`], which fills or reports it.
    /// Numbers are parsed with `fast-float2`, which rounds correctly, so the score is the same.
    pub fn score_bytes(&self, fields: &[&[u8]]) -> Option<f64> {
        let mut z = self.intercept;
        for term in &self.terms {
            match term {
                Term::Numeric { index, weight, .. } => {
                    let cell = trim_ascii(fields.get(*index)?);
                    // An empty cell or a marker like "NA" fails to parse; only a marker that
                    // is itself a number (say "-999") needs comparing.
                    let v: f64 = fast_float2::parse(cell).ok()?;
                    if !v.is_finite() || self.numeric_markers.iter().any(|m| m.as_bytes() == cell) {
                        return None;
                    }
                    z += weight * v;
                }
                Term::Categorical {
                    index,
                    levels,
                    weights,
                    ..
                } => {
                    let cell = trim_ascii(fields.get(*index)?);
                    let level = std::str::from_utf8(cell).ok()?;
                    if level.is_empty() || self.markers.values().iter().any(|m| m == level) {
                        return None;
                    }
                    z += weights[levels.binary_search_by(|l| l.as_str().cmp(level)).ok()?];
                }
            }
        }
        Some(z)
    }

    fn missing(&self, line: u64, index: usize, cell: &str) -> DataError {
        let kind = DataErrorKind::MissingValue {
            found: cell.to_string(),
            hint: self.policy.scoring_hint().to_string(),
        };
        self.at(line, index, kind)
    }

    fn at(&self, line: u64, index: usize, kind: DataErrorKind) -> DataError {
        DataError::new(Location::cell(&self.file, line, &self.header[index]), kind)
    }
}

/// ASCII whitespace trimmed from both ends (what `str::trim` removes from ASCII text).
pub fn trim_ascii(cell: &[u8]) -> &[u8] {
    cell.trim_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_parse_with_spaces_and_every_float_spelling() {
        for s in ["0.5", " +0.5 ", ".5", "5E-1", "0.5e+0"] {
            assert_eq!(parse_number(s).unwrap(), 0.5, "{s}");
        }
        assert!(matches!(
            parse_number("1e400"),
            Err(DataErrorKind::NotFinite { .. })
        ));
        assert!(matches!(
            parse_number("NaN"),
            Err(DataErrorKind::NotFinite { .. })
        ));
        assert!(matches!(
            parse_number("inf"),
            Err(DataErrorKind::NotFinite { .. })
        ));
        assert!(matches!(
            parse_number("abc"),
            Err(DataErrorKind::NotANumber { .. })
        ));
    }

    #[test]
    fn row_scorer_matches_columns_by_name_and_rejects_unseen_levels() {
        let columns = vec![
            ColumnSpec {
                name: "a".into(),
                kind: ColumnKind::Numeric { fill: None },
            },
            ColumnSpec {
                name: "c".into(),
                kind: ColumnKind::Categorical {
                    levels: vec!["blue".into(), "red".into()],
                    fill: Some("red".into()),
                },
            },
        ];
        let header: Vec<String> = ["c", "extra", "a"].iter().map(|s| s.to_string()).collect();
        let scorer = RowScorer::new(
            "p.csv",
            &header,
            &columns,
            &[2.0, -1.0, 1.0],
            0.5,
            Markers::default(),
            MissingPolicy::Mean,
        )
        .unwrap();
        let rec = csv::StringRecord::from(vec!["red", "zzz", " 3 "]);
        assert_eq!(scorer.score(&rec, 2).unwrap(), 0.5 + 6.0 + 1.0);
        let rec = csv::StringRecord::from(vec!["green", "zzz", "3"]);
        let err = scorer.score(&rec, 7).unwrap_err();
        assert!(
            err.to_string()
                .contains("line 7, column \"c\": category \"green\""),
            "{err}"
        );
        // A missing categorical cell takes the fill level; a missing numeric one has no fill.
        let rec = csv::StringRecord::from(vec!["NA", "zzz", "3"]);
        assert_eq!(scorer.score(&rec, 8).unwrap(), 0.5 + 6.0 + 1.0);
        let rec = csv::StringRecord::from(vec!["red", "zzz", ""]);
        let err = scorer.score(&rec, 9).unwrap_err();
        assert!(
            err.to_string()
                .contains("line 9, column \"a\": the cell is empty"),
            "{err}"
        );
        let err = RowScorer::new(
            "p.csv",
            &["x".to_string()],
            &columns,
            &[2.0, -1.0, 1.0],
            0.5,
            Markers::default(),
            MissingPolicy::Error,
        )
        .unwrap_err();
        assert!(err.to_string().contains("\"a\", \"c\""), "{err}");
    }
}

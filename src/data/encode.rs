//! From CSV records to numbers: cell parsing, column typing and one-hot encoding at training
//! time. The per-row scorer shared by `predict` and `eval` is [`super::scorer`], re-exported here.
//!
//! A feature column's type is decided on the training data by its first non-empty cell: numeric
//! when that parses as a number (every later cell must then be a finite number), otherwise
//! categorical, one-hot encoded with every level seen in training, in sorted order.

use std::collections::HashMap;
use std::io::Read;

use ndarray::{Array1, Array2};

use super::input::{csv_error, read_header, Source};
use super::missing::{mean_of_present, median_of_present, mode_of_present, Markers, MissingPolicy};
use super::schema::{select_features, Labels};
use crate::error::{DataError, DataErrorKind, Error, Location, Result};

pub use super::scorer::RowScorer;

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

/// The training data as read: typed feature columns, the raw (unstandardised) design matrix
/// and 0/1 labels.
#[derive(Debug)]
pub struct TrainingData {
    /// Display name of the source, for messages.
    pub source: String,
    pub target: String,
    pub columns: Vec<ColumnSpec>,
    /// Design column names, `column` or `column=level`, in design order.
    pub feature_names: Vec<String>,
    /// `n_rows x n_features`, row-major, original units, missing cells already filled.
    pub x: Array2<f64>,
    /// 1.0 for the positive label, 0.0 for the negative.
    pub y: Array1<f64>,
    pub labels: Labels,
    pub n_positive: usize,
    pub n_negative: usize,
    /// Rows left out by `--missing drop`.
    pub rows_dropped: usize,
}

/// What the user asked for when choosing columns, labels and missing-value handling.
#[derive(Debug, Clone, Default)]
pub struct TrainingSelection<'a> {
    pub target: &'a str,
    pub features: Option<&'a [String]>,
    pub exclude: &'a [String],
    pub positive: Option<&'a str>,
    pub missing: MissingPolicy,
    pub markers: Markers,
}

/// Code of a missing categorical cell while reading.
const MISSING_CODE: u32 = u32::MAX;

/// Values of one feature column while reading; missing cells are `NaN` / `MISSING_CODE`.
enum ColumnValues {
    /// No present cell seen yet (the column's type is decided by its first present cell).
    Undecided {
        missing: usize,
    },
    Numeric(Vec<f64>),
    Categorical {
        codes: Vec<u32>,
        levels: Vec<String>,
        index: HashMap<String, u32>,
    },
}

/// One parsed cell of the current record, before the row is accepted.
#[derive(Clone, Copy)]
enum Cell {
    Missing,
    Number(f64),
    Level(u32),
}

/// Reads a whole training CSV into a design matrix, checking every cell.
pub fn read_training(
    source: Source,
    delimiter: u8,
    selection: &TrainingSelection,
) -> Result<TrainingData> {
    let (file, mut reader) = source.csv_reader(delimiter);
    read_training_from(&file, &mut reader, selection)
}

/// Reads training data from any CSV reader; `file` names it in messages.
pub fn read_training_from<R: Read>(
    file: &str,
    reader: &mut csv::Reader<R>,
    selection: &TrainingSelection,
) -> Result<TrainingData> {
    let header = read_header(file, reader)?;
    let target = selection.target;
    let selected = select_features(file, &header, target, selection.features, selection.exclude)?;
    let target_index = header
        .iter()
        .position(|h| h == target)
        .expect("checked by select_features");
    let policy = selection.missing;
    let markers = &selection.markers;

    let mut values: Vec<ColumnValues> = selected
        .iter()
        .map(|_| ColumnValues::Undecided { missing: 0 })
        .collect();
    let mut seen_labels: Vec<String> = Vec::with_capacity(2);
    let mut label_codes: Vec<u8> = Vec::new();
    let mut row: Vec<Cell> = Vec::with_capacity(selected.len());
    let mut new_levels: Vec<usize> = Vec::new();
    let mut rows_dropped = 0;
    let mut record = csv::StringRecord::new();
    let mut line = 1;
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(file, e).into()),
        }
        line = record.position().map_or(line + 1, |p| p.line());
        let at = |column: &str, kind: DataErrorKind| -> DataError {
            DataError::new(Location::cell(file, line, column), kind)
        };

        let label_cell = &record[target_index];
        if markers.is_missing(label_cell) {
            if policy == MissingPolicy::Drop {
                rows_dropped += 1;
                continue;
            }
            let hint =
                "every training row needs a label; use --missing drop to leave such rows out";
            let kind = DataErrorKind::MissingValue {
                found: label_cell.to_string(),
                hint: hint.to_string(),
            };
            return Err(at(target, kind).into());
        }
        let label = label_cell.trim();

        // Parse the whole row first, so a dropped row leaves no trace in any column.
        row.clear();
        let mut any_missing = false;
        new_levels.clear();
        for (position, (column, &col)) in values.iter_mut().zip(&selected).enumerate() {
            let cell = &record[col];
            if markers.is_missing(cell) {
                if policy == MissingPolicy::Error {
                    let kind = DataErrorKind::MissingValue {
                        found: cell.to_string(),
                        hint: policy.training_hint().to_string(),
                    };
                    return Err(at(&header[col], kind).into());
                }
                any_missing = true;
                row.push(Cell::Missing);
                continue;
            }
            if let ColumnValues::Undecided { missing } = *column {
                // The first present cell decides the column's type.
                *column = if parse_number(cell).is_ok() {
                    ColumnValues::Numeric(vec![f64::NAN; missing])
                } else {
                    ColumnValues::Categorical {
                        codes: vec![MISSING_CODE; missing],
                        levels: Vec::new(),
                        index: HashMap::new(),
                    }
                };
            }
            row.push(match column {
                ColumnValues::Numeric(_) => {
                    Cell::Number(parse_number(cell).map_err(|k| at(&header[col], k))?)
                }
                ColumnValues::Categorical { levels, index, .. } => {
                    let level = cell.trim();
                    Cell::Level(match index.get(level) {
                        Some(&c) => c,
                        None => {
                            let c = levels.len() as u32;
                            levels.push(level.to_string());
                            index.insert(level.to_string(), c);
                            new_levels.push(position);
                            c
                        }
                    })
                }
                ColumnValues::Undecided { .. } => unreachable!("decided above"),
            });
        }
        if any_missing && policy == MissingPolicy::Drop {
            // A level seen only in a dropped row was not seen in training: take it back.
            for &position in &new_levels {
                if let ColumnValues::Categorical { levels, index, .. } = &mut values[position] {
                    if let Some(level) = levels.pop() {
                        index.remove(&level);
                    }
                }
            }
            rows_dropped += 1;
            continue;
        }

        let code = match seen_labels.iter().position(|l| l == label) {
            Some(c) => c,
            None if seen_labels.len() < 2 => {
                seen_labels.push(label.to_string());
                seen_labels.len() - 1
            }
            None => {
                let mut labels = seen_labels.clone();
                labels.push(label.to_string());
                return Err(at(target, DataErrorKind::TooManyLabels { labels }).into());
            }
        };
        label_codes.push(code as u8);
        for (column, cell) in values.iter_mut().zip(&row) {
            match (column, *cell) {
                (ColumnValues::Undecided { missing }, _) => *missing += 1,
                (ColumnValues::Numeric(v), Cell::Number(x)) => v.push(x),
                (ColumnValues::Numeric(v), _) => v.push(f64::NAN),
                (ColumnValues::Categorical { codes, .. }, Cell::Level(c)) => codes.push(c),
                (ColumnValues::Categorical { codes, .. }, _) => codes.push(MISSING_CODE),
            }
        }
    }

    let n_rows = label_codes.len();
    if n_rows == 0 {
        return Err(DataError::new(Location::file(file), DataErrorKind::NoDataRows).into());
    }
    let target_location = Location {
        file: file.to_string(),
        line: None,
        column: Some(target.to_string()),
    };
    if seen_labels.len() < 2 {
        let label = seen_labels.pop().unwrap_or_default();
        return Err(DataError::new(target_location, DataErrorKind::OneClass { label }).into());
    }
    let seen = [seen_labels[0].clone(), seen_labels[1].clone()];
    if seen[0].to_lowercase() == seen[1].to_lowercase() {
        return Err(DataError::new(
            target_location,
            DataErrorKind::LabelsDifferOnlyByCase { labels: seen },
        )
        .into());
    }
    let labels = Labels::choose(seen, selection.positive)
        .map_err(|kind| DataError::new(target_location, kind))?;
    let positive_code = u8::from(seen_labels[1] == labels.positive);
    let y: Array1<f64> = label_codes
        .iter()
        .map(|&c| f64::from(u8::from(c == positive_code)))
        .collect();
    let n_positive = y.iter().filter(|&&v| v == 1.0).count();

    // Columns in file order; categorical levels sorted so the model does not depend on row
    // order; missing cells filled with the statistic the policy names.
    let mut columns = Vec::with_capacity(selected.len());
    let mut encoded: Vec<ColumnValues> = Vec::with_capacity(selected.len());
    for (column, &col) in values.into_iter().zip(&selected) {
        let name = &header[col];
        let no_values = || -> Error {
            DataError::new(
                Location {
                    file: file.to_string(),
                    line: None,
                    column: Some(name.clone()),
                },
                DataErrorKind::NoValues,
            )
            .into()
        };
        let (kind, column) = match column {
            ColumnValues::Undecided { .. } => return Err(no_values()),
            ColumnValues::Numeric(mut v) => {
                let fill = match policy {
                    MissingPolicy::Mean => Some(mean_of_present(&v).ok_or_else(no_values)?),
                    MissingPolicy::Median => Some(median_of_present(&v).ok_or_else(no_values)?),
                    MissingPolicy::Error | MissingPolicy::Drop => None,
                };
                if let Some(f) = fill {
                    v.iter_mut().filter(|x| x.is_nan()).for_each(|x| *x = f);
                }
                (ColumnKind::Numeric { fill }, ColumnValues::Numeric(v))
            }
            ColumnValues::Categorical { codes, levels, .. } => {
                let mut order: Vec<u32> = (0..levels.len() as u32).collect();
                order.sort_by(|&a, &b| levels[a as usize].cmp(&levels[b as usize]));
                let mut remap = vec![0u32; levels.len()];
                for (new, &old) in order.iter().enumerate() {
                    remap[old as usize] = new as u32;
                }
                let mut codes: Vec<u32> = codes
                    .into_iter()
                    .map(|c| {
                        if c == MISSING_CODE {
                            c
                        } else {
                            remap[c as usize]
                        }
                    })
                    .collect();
                let sorted: Vec<String> =
                    order.iter().map(|&o| levels[o as usize].clone()).collect();
                let fill = if policy.imputes() {
                    let mode = mode_of_present(&codes, sorted.len()).ok_or_else(no_values)?;
                    codes
                        .iter_mut()
                        .filter(|c| **c == MISSING_CODE)
                        .for_each(|c| *c = mode);
                    Some(sorted[mode as usize].clone())
                } else {
                    None
                };
                (
                    ColumnKind::Categorical {
                        levels: sorted,
                        fill,
                    },
                    ColumnValues::Categorical {
                        codes,
                        levels: Vec::new(),
                        index: HashMap::new(),
                    },
                )
            }
        };
        columns.push(ColumnSpec {
            name: name.clone(),
            kind,
        });
        encoded.push(column);
    }
    let feature_names: Vec<String> = columns.iter().flat_map(ColumnSpec::design_names).collect();
    let n_features = feature_names.len();
    let mut x = Array2::<f64>::zeros((n_rows, n_features));
    let mut offset = 0;
    for (spec, column) in columns.iter().zip(&encoded) {
        match column {
            ColumnValues::Numeric(v) => {
                for (i, &value) in v.iter().enumerate() {
                    x[[i, offset]] = value;
                }
            }
            ColumnValues::Categorical { codes, .. } => {
                for (i, &code) in codes.iter().enumerate() {
                    x[[i, offset + code as usize]] = 1.0;
                }
            }
            ColumnValues::Undecided { .. } => unreachable!("rejected above"),
        }
        offset += spec.width();
    }

    Ok(TrainingData {
        source: file.to_string(),
        target: target.to_string(),
        columns,
        feature_names,
        x,
        y,
        labels,
        n_positive,
        n_negative: n_rows - n_positive,
        rows_dropped,
    })
}

/// ASCII whitespace trimmed from both ends (what `str::trim` removes from ASCII text).
pub fn trim_ascii(cell: &[u8]) -> &[u8] {
    cell.trim_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(csv_text: &str, selection: &TrainingSelection) -> Result<TrainingData> {
        let mut reader = csv::ReaderBuilder::new().from_reader(csv_text.as_bytes());
        read_training_from("t.csv", &mut reader, selection)
    }

    fn target_y() -> TrainingSelection<'static> {
        TrainingSelection {
            target: "y",
            ..Default::default()
        }
    }

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
    fn string_columns_are_one_hot_encoded_with_sorted_levels() {
        let data = read("a,c,y\n1,red,1\n2,blue,0\n3,red,0\n", &target_y()).unwrap();
        assert_eq!(data.feature_names, vec!["a", "c=blue", "c=red"]);
        assert_eq!(data.x.row(0).to_vec(), vec![1.0, 0.0, 1.0]);
        assert_eq!(data.x.row(1).to_vec(), vec![2.0, 1.0, 0.0]);
        assert_eq!(data.y.to_vec(), vec![1.0, 0.0, 0.0]);
        assert_eq!((data.n_positive, data.n_negative), (1, 2));
    }

    #[test]
    fn bad_cell_is_reported_at_its_physical_line_and_column() {
        let text = "a,b,y\n1,\"x\ny\",1\n2,3,0\n";
        // b's first cell is text, so b is categorical; a is numeric.
        let data = read(text, &target_y()).unwrap();
        assert_eq!(data.feature_names, vec!["a", "b=3", "b=x\ny"]);
        let err = read("a,b,y\n1,2,1\n\"q\nr\",3,0\nzz,4,1\n", &target_y()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("line 3") && text.contains("\"a\""), "{text}");
        let err = read("a,b,y\n1,2,1\n2,3,0\n4,abc,1\n", &target_y()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.csv: line 4, column \"b\": expected a number (the column is numeric), found \"abc\""
        );
    }

    #[test]
    fn label_problems_are_typed() {
        let err = read("a,y\n1,1\n2,1\n", &target_y()).unwrap_err();
        assert!(
            matches!(err, crate::error::Error::Data(e) if matches!(e.kind, DataErrorKind::OneClass { .. }))
        );
        let err = read("a,y\n1,yes\n2,no\n3,Yes\n", &target_y()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("line 4") && text.contains("letter case"),
            "{text}"
        );
        let err = read("a,y\n1,\n2,1\n", &target_y()).unwrap_err();
        assert!(err.to_string().contains("line 2, column \"y\""));
        let err = read("a,y\n1,Yes\n2,yes\n", &target_y()).unwrap_err();
        assert!(
            matches!(err, Error::Data(e) if matches!(e.kind, DataErrorKind::LabelsDifferOnlyByCase { .. }))
        );
    }

    fn with_policy(policy: MissingPolicy) -> TrainingSelection<'static> {
        TrainingSelection {
            target: "y",
            missing: policy,
            ..Default::default()
        }
    }

    const WITH_GAPS: &str = "a,c,y\nNA,red,1\n2,,0\n4,blue,1\n9,blue,0\n";

    #[test]
    fn missing_cells_are_errors_by_default_with_advice() {
        let err = read(WITH_GAPS, &target_y()).unwrap_err().to_string();
        assert!(
            err.contains("line 2, column \"a\": found \"NA\", a missing-value marker"),
            "{err}"
        );
        assert!(err.contains("--missing"), "{err}");
    }

    #[test]
    fn drop_leaves_out_rows_with_missing_cells() {
        let data = read(WITH_GAPS, &with_policy(MissingPolicy::Drop)).unwrap();
        assert_eq!(data.rows_dropped, 2);
        assert_eq!(data.x.column(0).to_vec(), vec![4.0, 9.0]);
        // Only blue remains among present rows.
        assert_eq!(data.feature_names, vec!["a", "c=blue"]);
    }

    #[test]
    fn mean_and_median_fill_numeric_cells_and_the_mode_fills_categories() {
        let data = read(WITH_GAPS, &with_policy(MissingPolicy::Mean)).unwrap();
        assert_eq!(data.x.column(0).to_vec(), vec![5.0, 2.0, 4.0, 9.0]);
        assert_eq!(
            data.columns[0].kind,
            ColumnKind::Numeric { fill: Some(5.0) }
        );
        // blue appears twice, red once: the missing cell becomes blue.
        assert_eq!(data.x.row(1).to_vec(), vec![2.0, 1.0, 0.0]);
        assert!(
            matches!(&data.columns[1].kind, ColumnKind::Categorical { fill: Some(f), .. } if f == "blue")
        );
        let data = read(WITH_GAPS, &with_policy(MissingPolicy::Median)).unwrap();
        assert_eq!(data.x[[0, 0]], 4.0);
        let err = read("a,b,y\nNA,1,1\n,2,0\n", &with_policy(MissingPolicy::Mean)).unwrap_err();
        assert!(
            err.to_string()
                .contains("every cell of this column is missing"),
            "{err}"
        );
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

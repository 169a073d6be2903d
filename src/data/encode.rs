//! From CSV records to numbers: how a column becomes design columns (numeric or one-hot) and
//! cell parsing. Reading a training file (column typing, missing values, the design matrix) is
//! in [`super::training`] and re-exported here; the per-row scorer shared by `predict` and `eval`
//! is [`crate::model::scorer`].

use crate::error::{DataErrorKind, Result};

pub use super::training::{
    read_training, read_training_from, SampleWeights, TrainingData, TrainingSelection,
};

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
}

//! Row weights (`--weight COL`) and class weights (`--class-weight`): the weight cell rules and
//! the sample weights s_i = row weight x class weight that the fit, the standardisation and
//! the model use.
//!
//! A weight cell must be a finite number >= 0. An empty cell or a missing-value marker is an
//! error whatever `--missing` says: a weight is never guessed, and a row is never dropped
//! because of its weight (a weight of 0 keeps the row in the file and out of the fit). Rows of
//! weight 0 still count in `n_rows`.

use ndarray::Array1;

use super::TrainingData;
use crate::data::missing::Markers;
use crate::data::schema::ClassWeight;
use crate::error::{DataError, DataErrorKind, Error, Location, Result};

/// Parses one weight cell (see the module doc). `-0` reads as 0.
pub fn parse_weight(cell: &str, markers: &Markers) -> Result<f64, DataErrorKind> {
    let bad = |why| DataErrorKind::BadWeight {
        value: cell.to_string(),
        why,
    };
    if markers.is_missing(cell) {
        return Err(bad("a missing value"));
    }
    match cell.trim().parse::<f64>() {
        Ok(v) if v.is_nan() || v.is_infinite() => Err(bad("not finite")),
        Ok(v) if v < 0.0 => Err(bad("negative")),
        Ok(v) => Ok(v + 0.0),
        Err(_) => Err(bad("not a number")),
    }
}

/// The weights of the fit, from the row weights and the class weights.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleWeights {
    /// s_i per row; `None` when every s_i is 1 (no `--weight`, no `--class-weight`).
    pub s: Option<Array1<f64>>,
    /// The weight of each class (model order) when `--class-weight` was given.
    pub class_weights: Option<Vec<f64>>,
    /// Sum of the row weights of each class, before class weights (rows when unweighted).
    pub class_weight_sums: Vec<f64>,
    /// S = sum of s_i.
    pub weight_sum: f64,
    /// Rows with s_i = 0.
    pub n_zero_weight: usize,
}

impl SampleWeights {
    /// s_i, or 1 without weights.
    pub fn get(&self, i: usize) -> f64 {
        self.s.as_ref().map_or(1.0, |s| s[i])
    }
}

impl TrainingData {
    /// The class index (model order) of row `i`.
    pub fn class_of_row(&self, i: usize) -> usize {
        match &self.labels {
            Some(labels) => {
                let positive = usize::from(self.classes[1] == labels.positive);
                if self.y[i] == 1.0 {
                    positive
                } else {
                    1 - positive
                }
            }
            None => self.y[i] as usize,
        }
    }

    /// The sample weights s_i = row weight x class weight. Errors: a class whose rows all have
    /// weight 0, all weights 0, a sum beyond f64, an unknown label in `--class-weight`.
    pub fn sample_weights(&self, class_weight: Option<&ClassWeight>) -> Result<SampleWeights> {
        let k = self.classes.len();
        let n = self.y.len();
        let mut class_weight_sums = vec![0.0; k];
        for i in 0..n {
            class_weight_sums[self.class_of_row(i)] += self.weights.as_ref().map_or(1.0, |w| w[i]);
        }
        let column_location = || Location {
            file: self.source.clone(),
            line: None,
            column: self.weight_column.clone(),
        };
        let fail = |kind| -> Error { DataError::new(column_location(), kind).into() };
        if class_weight_sums.iter().any(|s| !s.is_finite()) {
            return Err(fail(DataErrorKind::WeightOverflow));
        }
        if class_weight_sums.iter().all(|&s| s == 0.0) {
            return Err(fail(DataErrorKind::ZeroWeights));
        }
        if let Some(c) = class_weight_sums.iter().position(|&s| s == 0.0) {
            let label = self.classes[c].clone();
            return Err(fail(DataErrorKind::ClassWithoutWeight { label }));
        }
        let class_weights = class_weight
            .map(|cw| cw.resolve(&self.classes, &class_weight_sums))
            .transpose()
            .map_err(Error::Usage)?;
        let s: Option<Array1<f64>> = match (&self.weights, &class_weights) {
            (None, None) => None,
            (Some(w), None) => Some(w.clone()),
            (w, Some(cw)) => Some(
                (0..n)
                    .map(|i| w.as_ref().map_or(1.0, |w| w[i]) * cw[self.class_of_row(i)])
                    .collect(),
            ),
        };
        let (weight_sum, n_zero_weight) = match &s {
            None => (n as f64, 0),
            Some(s) => (s.sum(), s.iter().filter(|&&v| v == 0.0).count()),
        };
        if !weight_sum.is_finite() || s.as_ref().is_some_and(|s| s.iter().any(|v| !v.is_finite())) {
            return Err(fail(DataErrorKind::WeightOverflow));
        }
        Ok(SampleWeights {
            s,
            class_weights,
            class_weight_sums,
            weight_sum,
            n_zero_weight,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weight_cells_must_be_finite_and_not_negative() {
        let m = Markers::default();
        assert_eq!(parse_weight(" 2.5 ", &m), Ok(2.5));
        assert_eq!(parse_weight("0", &m), Ok(0.0));
        assert!(parse_weight("-0", &m).unwrap().is_sign_positive());
        for (cell, why) in [
            ("-0.5", "negative"),
            ("heavy", "not a number"),
            ("nan", "not finite"),
            ("inf", "not finite"),
            ("1e400", "not finite"),
            ("", "a missing value"),
            ("NA", "a missing value"),
        ] {
            match parse_weight(cell, &m) {
                Err(DataErrorKind::BadWeight { why: got, .. }) => assert_eq!(got, why, "{cell:?}"),
                other => panic!("{cell:?}: {other:?}"),
            }
        }
    }
}

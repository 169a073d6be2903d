//! Missing values: which cells count as missing, what training does with them (`--missing`),
//! and the fill values learned on the training data that `predict` and `eval` reuse.

use serde::{Deserialize, Serialize};

/// Markers recognised as missing besides the empty cell (after trimming spaces), by default.
pub const DEFAULT_NA_VALUES: &[&str] = &["NA", "NaN", "null"];

/// What `train` does with a missing feature cell; stored in the model so scoring agrees.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MissingPolicy {
    /// Stop at the first missing cell (the default: nothing is guessed silently).
    #[default]
    Error,
    /// Leave out training rows with a missing cell (scoring never drops rows: it errors).
    Drop,
    /// Fill numeric cells with the training mean, categorical cells with the most frequent level.
    Mean,
    /// Fill numeric cells with the training median, categorical cells with the most frequent level.
    Median,
}

impl MissingPolicy {
    pub fn name(self) -> &'static str {
        match self {
            MissingPolicy::Error => "error",
            MissingPolicy::Drop => "drop",
            MissingPolicy::Mean => "mean",
            MissingPolicy::Median => "median",
        }
    }

    /// Whether the policy learns fill values.
    pub fn imputes(self) -> bool {
        matches!(self, MissingPolicy::Mean | MissingPolicy::Median)
    }

    /// The advice appended to a missing-value error at training time.
    pub fn training_hint(self) -> &'static str {
        "use --missing drop|mean|median to handle missing values"
    }

    /// The advice appended to a missing-value error when scoring with a model trained this way.
    pub fn scoring_hint(self) -> &'static str {
        match self {
            MissingPolicy::Drop => {
                "the model was trained with --missing drop, but predict and eval never drop rows \
                 (a scored file keeps every row); fill the cell or retrain with --missing mean|median"
            }
            _ => {
                "the model was trained with --missing error, so it has no fill value; fill the \
                 cell or retrain with --missing mean|median"
            }
        }
    }
}

/// The set of cell texts that mean "missing": the empty cell plus the configured markers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Markers {
    values: Vec<String>,
}

impl Default for Markers {
    fn default() -> Self {
        Markers::new(DEFAULT_NA_VALUES.iter().map(|s| s.to_string()).collect())
    }
}

impl Markers {
    /// Markers compared exactly (case-sensitive) with the trimmed cell; empty is always missing.
    pub fn new(values: Vec<String>) -> Markers {
        Markers {
            values: values.into_iter().map(|v| v.trim().to_string()).collect(),
        }
    }

    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// Whether a cell (untrimmed) is missing.
    pub fn is_missing(&self, cell: &str) -> bool {
        let t = cell.trim();
        t.is_empty() || self.values.iter().any(|v| v == t)
    }
}

/// The model file's record of how missing values were handled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MissingSpec {
    pub policy: MissingPolicy,
    pub na_values: Vec<String>,
    /// Training rows left out by `--missing drop`.
    pub rows_dropped: usize,
}

impl Default for MissingSpec {
    fn default() -> Self {
        MissingSpec {
            policy: MissingPolicy::Error,
            na_values: Markers::default().values,
            rows_dropped: 0,
        }
    }
}

/// Mean of the finite values (`NaN` marks a missing one); `None` when there are none.
pub fn mean_of_present(values: &[f64]) -> Option<f64> {
    let (mut sum, mut count) = (0.0, 0usize);
    for v in values.iter().filter(|v| !v.is_nan()) {
        sum += v;
        count += 1;
    }
    if count == 0 {
        return None;
    }
    let mean = sum / count as f64;
    if mean.is_finite() {
        return Some(mean);
    }
    // The sum overflowed (values near f64::MAX): average the scaled values instead.
    let n = count as f64;
    Some(values.iter().filter(|v| !v.is_nan()).map(|v| v / n).sum())
}

/// Median of the present values (average of the two middle ones for an even count).
pub fn median_of_present(values: &[f64]) -> Option<f64> {
    let mut present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    if present.is_empty() {
        return None;
    }
    present.sort_by(f64::total_cmp);
    let m = present.len() / 2;
    Some(if present.len() % 2 == 1 {
        present[m]
    } else {
        (present[m - 1] + present[m]) / 2.0
    })
}

/// The most frequent code among present ones (`u32::MAX` marks missing); ties go to the
/// smallest code, i.e. the first level in sorted order.
pub fn mode_of_present(codes: &[u32], n_levels: usize) -> Option<u32> {
    let mut counts = vec![0usize; n_levels];
    for &c in codes.iter().filter(|&&c| c != u32::MAX) {
        counts[c as usize] += 1;
    }
    mode_of_counts(&counts)
}

/// The most frequent level given each level's count (ties to the first level), `None` when
/// every count is 0: [`mode_of_present`] of already counted cells (the row cache's tallies).
pub fn mode_of_counts(counts: &[usize]) -> Option<u32> {
    let (best, &count) = counts
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))?;
    (count > 0).then_some(best as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_match_trimmed_cells_exactly() {
        let m = Markers::default();
        for cell in ["", "  ", "NA", " NaN ", "null"] {
            assert!(m.is_missing(cell), "{cell:?}");
        }
        for cell in ["na", "0", "None", "nan"] {
            assert!(!m.is_missing(cell), "{cell:?}");
        }
        let custom = Markers::new(vec!["-999".into()]);
        assert!(custom.is_missing("-999") && custom.is_missing("") && !custom.is_missing("NA"));
    }

    #[test]
    fn fill_statistics_ignore_missing_values() {
        let v = [1.0, f64::NAN, 3.0, 10.0];
        assert_eq!(mean_of_present(&v), Some(14.0 / 3.0));
        assert_eq!(median_of_present(&v), Some(3.0));
        assert_eq!(
            median_of_present(&[4.0, 1.0, f64::NAN, 2.0, 3.0]),
            Some(2.5)
        );
        assert_eq!(mean_of_present(&[f64::NAN]), None);
        assert_eq!(mode_of_present(&[2, 0, u32::MAX, 2, 0, 1], 3), Some(0));
        assert_eq!(mode_of_present(&[2, 2, 1], 3), Some(2));
        assert_eq!(mode_of_present(&[u32::MAX], 3), None);
    }
}

//! The `--fold-column` of `logit cv`: each kept row's fold, named by the column's cell.
//!
//! The column is not a feature. A fold cell must be present in every row, whatever `--missing`
//! says (a fold is never guessed, and a row is never dropped because of its fold); rows dropped
//! for a missing feature cell take their fold with them. Folds are ordered like classes:
//! numerically when every name is a number, else by bytes, so fold 2 comes before fold 10.

use std::collections::HashMap;

use super::TrainingSelection;
use crate::data::missing::Markers;
use crate::error::{DataErrorKind, Error, Result};

/// `--exclude` plus the fold column (which is not a feature), after refusing a fold column that
/// is the target, the weight or one of `--features`.
pub(super) fn fold_excluded(selection: &TrainingSelection) -> Result<Vec<String>> {
    let mut exclude = selection.exclude.to_vec();
    let Some(fold) = selection.fold else {
        return Ok(exclude);
    };
    let refuse = |what: &str| {
        Err(Error::Usage(format!(
            "--fold-column names {what} {fold:?}; the folds must be a column of their own"
        )))
    };
    if fold == selection.target {
        return refuse("the target column");
    }
    if selection.weight == Some(fold) {
        return refuse("the weight column");
    }
    if selection
        .features
        .is_some_and(|f| f.iter().any(|c| c == fold))
    {
        return Err(Error::Usage(format!(
            "--features lists the fold column {fold:?}; a fold is not a feature"
        )));
    }
    exclude.push(fold.to_string());
    Ok(exclude)
}

/// Each kept row's fold: `codes[i]` indexes `names` (ordered as in the module doc).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoldColumn {
    /// The column's name.
    pub column: String,
    /// The distinct fold names, ordered.
    pub names: Vec<String>,
    /// The fold of each kept row, an index into `names`.
    pub codes: Vec<u32>,
}

/// Collects fold cells while reading, in first-seen codes.
#[derive(Debug, Default)]
pub(super) struct FoldCodes {
    seen: Vec<String>,
    index: HashMap<String, u32>,
    codes: Vec<u32>,
}

impl FoldCodes {
    /// The code of `cell` (trimmed), or the error for a missing cell. Does not record the row:
    /// the caller pushes the code once the row is kept.
    pub(super) fn code(&mut self, cell: &str, markers: &Markers) -> Result<u32, DataErrorKind> {
        if markers.is_missing(cell) {
            return Err(DataErrorKind::MissingFold {
                found: cell.to_string(),
            });
        }
        let name = cell.trim();
        if let Some(&c) = self.index.get(name) {
            return Ok(c);
        }
        let c = self.seen.len() as u32;
        self.seen.push(name.to_string());
        self.index.insert(name.to_string(), c);
        Ok(c)
    }

    pub(super) fn push(&mut self, code: u32) {
        self.codes.push(code);
    }

    /// The column with names ordered; [`DataErrorKind::OneFold`] when fewer than two folds
    /// have kept rows.
    pub(super) fn finish(self, column: &str) -> Result<FoldColumn, DataErrorKind> {
        // Names seen only on dropped rows are left out.
        let mut used = vec![false; self.seen.len()];
        for &c in &self.codes {
            used[c as usize] = true;
        }
        let mut kept: Vec<u32> = (0..self.seen.len() as u32)
            .filter(|&c| used[c as usize])
            .collect();
        let numbers: Option<Vec<f64>> = kept
            .iter()
            .map(|&c| self.seen[c as usize].parse::<f64>().ok())
            .collect();
        match numbers {
            Some(v) if v.iter().all(|x| x.is_finite()) => {
                let value = |c: u32| v[kept.iter().position(|&k| k == c).expect("kept")];
                let mut order = kept.clone();
                order.sort_by(|&a, &b| value(a).total_cmp(&value(b)));
                kept = order;
            }
            _ => kept.sort_by(|&a, &b| self.seen[a as usize].cmp(&self.seen[b as usize])),
        }
        if kept.len() < 2 {
            let fold = kept
                .first()
                .map_or(String::new(), |&c| self.seen[c as usize].clone());
            return Err(DataErrorKind::OneFold { fold });
        }
        let mut remap = vec![0u32; self.seen.len()];
        for (new, &old) in kept.iter().enumerate() {
            remap[old as usize] = new as u32;
        }
        Ok(FoldColumn {
            column: column.to_string(),
            names: kept
                .iter()
                .map(|&c| self.seen[c as usize].clone())
                .collect(),
            codes: self.codes.iter().map(|&c| remap[c as usize]).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(cells: &[&str]) -> Result<FoldColumn, DataErrorKind> {
        let mut codes = FoldCodes::default();
        for cell in cells {
            let c = codes.code(cell, &Markers::default())?;
            codes.push(c);
        }
        codes.finish("fold")
    }

    #[test]
    fn numeric_fold_names_sort_as_numbers_and_text_as_bytes() {
        let f = column(&["10", "2", "2", " 1 ", "10"]).unwrap();
        assert_eq!(f.names, vec!["1", "2", "10"]);
        assert_eq!(f.codes, vec![2, 1, 1, 0, 2]);
        let f = column(&["b", "a", "B"]).unwrap();
        assert_eq!(f.names, vec!["B", "a", "b"]);
        assert_eq!(f.codes, vec![2, 1, 0]);
    }

    #[test]
    fn a_missing_cell_or_a_single_fold_is_refused() {
        assert!(matches!(
            column(&["1", "", "2"]),
            Err(DataErrorKind::MissingFold { .. })
        ));
        assert!(matches!(
            column(&["NA"]),
            Err(DataErrorKind::MissingFold { .. })
        ));
        assert_eq!(
            column(&["3", "3"]),
            Err(DataErrorKind::OneFold { fold: "3".into() })
        );
    }
}

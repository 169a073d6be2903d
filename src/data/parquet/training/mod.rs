//! A training table from Parquet: only the needed columns are decoded, row groups (and, when
//! there are fewer row groups than cores, groups of columns) in parallel; then the rows are
//! checked and kept as the CSV reader keeps them, and [`columns::encode`] builds the design
//! exactly as for a CSV, so the same table gives the same model whatever its format.

mod decode;

use std::collections::HashMap;

use ndarray::Array1;

use super::convert::{self, CellError, Kind};
use super::source::ParquetFile;
use crate::data::encode::{TrainingData, TrainingSelection};
use crate::data::input::Source;
use crate::data::missing::{Markers, MissingPolicy};
use crate::data::schema::select_features;
use crate::data::training::columns::{self, column_location, FeatureValues, Folds, MISSING_CODE};
use crate::data::training::labels;
use crate::data::training::record::{no_rows_left, LABEL_NEEDED};
use crate::data::training::weights::parse_weight;
use crate::error::{DataError, DataErrorKind, Error, Result};
use decode::{decode, Cells, Role};

/// Reads the opened Parquet input `source` as training data (see the module doc).
pub fn read_training(source: Source, selection: &TrainingSelection) -> Result<TrainingData> {
    let pf = ParquetFile::from_source(source)?;
    let file = pf.name.clone();
    let header = &pf.header;
    let exclude = columns::excluded(selection)?;
    let selected = select_features(
        &file,
        header,
        selection.target,
        selection.weight,
        selection.features,
        &exclude,
    )?;
    let find = |name: &str| header.iter().position(|h| h == name);
    let target_index = find(selection.target).expect("checked by select_features");
    let weight_index = selection.weight.and_then(find);
    let fold_index = match selection.fold {
        Some(f) => Some(find(f).ok_or_else(|| {
            Error::from(crate::data::input::missing_columns(
                &file,
                1,
                header,
                vec![f.to_string()],
            ))
        })?),
        None => None,
    };
    let mut roles: Vec<Option<Role>> = vec![None; header.len()];
    for &c in &selected {
        let kind = convert::kind(pf.data_type(c));
        if kind == Kind::Unsupported {
            let message = convert::unsupported(pf.data_type(c));
            let location = column_location(&file, &header[c]);
            return Err(DataError::new(location, DataErrorKind::Parquet { message }).into());
        }
        roles[c] = Some(Role::Feature(kind));
    }
    roles[target_index] = Some(Role::Target);
    if let Some(w) = weight_index {
        roles[w] = Some(Role::Weight);
    }
    if let Some(f) = fold_index {
        roles[f] = Some(Role::Fold);
    }
    for (c, role) in roles.iter().enumerate() {
        if matches!(role, Some(Role::Target | Role::Weight | Role::Fold))
            && convert::kind(pf.data_type(c)) == Kind::Unsupported
        {
            let message = convert::unsupported(pf.data_type(c));
            let location = column_location(&file, &header[c]);
            return Err(DataError::new(location, DataErrorKind::Parquet { message }).into());
        }
    }
    let needed: Vec<usize> = (0..header.len()).filter(|&c| roles[c].is_some()).collect();
    let markers = &selection.markers;
    let cells = decode(&pf, &needed, &roles, markers)?;
    let mut by_column: HashMap<usize, Cells> = needed.iter().copied().zip(cells).collect();
    let n = pf.n_rows() as usize;
    let at = |row: usize, column: usize, kind: DataErrorKind| -> Error {
        DataError::new(pf.row_location(row as u64, &header[column]), kind).into()
    };

    // Every row needs a valid weight and fold, even one dropped for a missing cell.
    let weights = match weight_index {
        Some(w) => Some(weights(&by_column[&w], markers).map_err(|(i, k)| at(i, w, k))?),
        None => None,
    };
    let mut folds = Folds::default();
    let fold_codes = match fold_index {
        Some(f) => {
            let column = &by_column[&f];
            let mut codes = Vec::with_capacity(n);
            for i in 0..n {
                codes.push(
                    folds
                        .code(&column.text(i), markers)
                        .map_err(|k| at(i, f, k))?,
                );
            }
            Some(codes)
        }
        None => None,
    };

    // Rows kept: the label and (unless imputed) every feature present.
    let policy = selection.missing;
    let label = &by_column[&target_index];
    let label_missing = |i: usize| label.is_missing(i);
    let mut kept: Option<Vec<bool>> = None;
    let mut rows_dropped = 0;
    let mut dropped_for_label = 0;
    let mut dropped_by = vec![0usize; selected.len()];
    let missing_at = |i: usize, column: usize, cells: &Cells, hint: &str| -> Error {
        let kind = DataErrorKind::MissingValue {
            found: cells.text(i),
            hint: hint.to_string(),
        };
        at(i, column, kind)
    };
    match policy {
        MissingPolicy::Drop => {
            let with_missing: Vec<(usize, &Cells)> = selected
                .iter()
                .enumerate()
                .map(|(j, c)| (j, &by_column[c]))
                .filter(|(_, cells)| cells.first_missing().is_some())
                .collect();
            if label.first_missing().is_some() || !with_missing.is_empty() {
                let mut keep = vec![true; n];
                for (i, k) in keep.iter_mut().enumerate() {
                    if label_missing(i) {
                        dropped_for_label += 1;
                    } else {
                        let mut any = false;
                        for &(j, cells) in &with_missing {
                            if cells.is_missing(i) {
                                dropped_by[j] += 1;
                                any = true;
                            }
                        }
                        if !any {
                            continue;
                        }
                    }
                    *k = false;
                    rows_dropped += 1;
                }
                kept = Some(keep);
            }
        }
        _ => {
            let hint = LABEL_NEEDED;
            let first_label = label.first_missing();
            let first_feature = if policy == MissingPolicy::Error {
                selected
                    .iter()
                    .filter_map(|&c| by_column[&c].first_missing().map(|i| (i, c)))
                    .min()
            } else {
                None
            };
            match (first_label, first_feature) {
                (Some(i), f) if f.is_none_or(|(r, _)| i <= r) => {
                    return Err(missing_at(i, target_index, label, hint));
                }
                (_, Some((i, c))) => {
                    let hint = policy.training_hint();
                    return Err(missing_at(i, c, &by_column[&c], hint));
                }
                _ => {}
            }
        }
    }
    let keep = |i: usize| kept.as_ref().is_none_or(|k| k[i]);
    let n_rows = n - rows_dropped;
    if n_rows == 0 {
        let names = selected.iter().map(|&c| header[c].as_str());
        return Err(no_rows_left(
            &file,
            selection.target,
            rows_dropped,
            dropped_for_label,
            names.zip(dropped_by.iter().copied()),
        ));
    }

    // Labels in order of first appearance among kept rows, checked as the CSV reader checks
    // them, then classes.
    let Cells::Text {
        codes: label_codes,
        levels: label_levels,
    } = by_column.remove(&target_index).expect("decoded")
    else {
        unreachable!("a target is read as text")
    };
    let mut seen: Vec<String> = Vec::new();
    let mut remap = vec![u32::MAX; label_levels.levels.len()];
    let mut codes: Vec<u32> = Vec::with_capacity(n_rows);
    for (i, &c) in label_codes.iter().enumerate() {
        if !keep(i) {
            continue;
        }
        if remap[c as usize] == u32::MAX {
            let text = &label_levels.levels[c as usize];
            labels::check_new_label(&seen, text).map_err(|k| at(i, target_index, k))?;
            remap[c as usize] = seen.len() as u32;
            seen.push(text.clone());
        }
        codes.push(remap[c as usize]);
    }
    drop(label_codes);
    let target_location = column_location(&file, selection.target);
    let classes = labels::resolve(&seen, &codes, selection.positive)
        .map_err(|kind| DataError::new(target_location, kind))?;
    drop(codes);
    let folds = match (fold_codes, selection.fold) {
        (Some(codes), Some(column)) => {
            for (i, &c) in codes.iter().enumerate() {
                if keep(i) {
                    folds.push(c);
                }
            }
            Some(folds.finish(&file, column)?)
        }
        _ => None,
    };
    let weights = weights.map(|w| {
        let kept: Vec<f64> = match &kept {
            Some(k) => w
                .iter()
                .zip(k)
                .filter(|(_, &k)| k)
                .map(|(&v, _)| v)
                .collect(),
            None => w,
        };
        Array1::from(kept)
    });

    // The features, kept rows only, categorical levels reduced to those kept rows use.
    let names: Vec<String> = selected.iter().map(|&c| header[c].clone()).collect();
    let values: Vec<FeatureValues> = selected
        .iter()
        .map(|c| feature_values(by_column.remove(c).expect("decoded"), kept.as_deref()))
        .collect();
    drop(by_column);
    let encoded = columns::encode(&file, &names, values, policy, n_rows, selection.design)?;
    Ok(TrainingData {
        source: file,
        target: selection.target.to_string(),
        columns: encoded.columns,
        feature_names: encoded.feature_names,
        x: encoded.x,
        y: classes.y,
        classes: classes.classes,
        labels: classes.labels,
        class_counts: classes.class_counts,
        weight_column: selection.weight.map(str::to_string),
        weights,
        folds,
        rows_dropped,
        warnings: encoded.warnings,
    })
}

/// The weight of every row, checked as a CSV weight cell is.
fn weights(cells: &Cells, markers: &Markers) -> std::result::Result<Vec<f64>, CellError> {
    match cells {
        Cells::Numbers(v) => v
            .iter()
            .enumerate()
            .map(|(i, &w)| {
                if w.is_finite() && w >= 0.0 {
                    Ok(w + 0.0)
                } else {
                    parse_weight(&cells.text(i), markers).map_err(|k| (i, k))
                }
            })
            .collect(),
        Cells::Text { codes, levels } => {
            let values: Vec<std::result::Result<f64, DataErrorKind>> = levels
                .levels
                .iter()
                .map(|l| parse_weight(l, markers))
                .collect();
            codes
                .iter()
                .enumerate()
                .map(|(i, &c)| {
                    if c == MISSING_CODE {
                        parse_weight("", markers).map_err(|k| (i, k))
                    } else {
                        values[c as usize].clone().map_err(|k| (i, k))
                    }
                })
                .collect()
        }
    }
}

/// A feature column's kept cells; categorical levels that no kept row uses are left out.
fn feature_values(cells: Cells, kept: Option<&[bool]>) -> FeatureValues {
    match cells {
        Cells::Numbers(v) => FeatureValues::Numeric(match kept {
            Some(k) => v
                .iter()
                .zip(k)
                .filter(|(_, &k)| k)
                .map(|(&x, _)| x)
                .collect(),
            None => v,
        }),
        Cells::Text { codes, levels } => {
            let mut remap = vec![u32::MAX; levels.levels.len()];
            let mut used: Vec<String> = Vec::new();
            let mut out = Vec::with_capacity(codes.len());
            for (i, &c) in codes.iter().enumerate() {
                if kept.is_some_and(|k| !k[i]) {
                    continue;
                }
                if c == MISSING_CODE {
                    out.push(c);
                    continue;
                }
                if remap[c as usize] == u32::MAX {
                    remap[c as usize] = used.len() as u32;
                    used.push(levels.levels[c as usize].clone());
                }
                out.push(remap[c as usize]);
            }
            FeatureValues::Categorical {
                codes: out,
                levels: used,
            }
        }
    }
}

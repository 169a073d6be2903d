//! Agreeing on one schema across parts (the shards of a rank, then the ranks): the same
//! columns with the same types everywhere, categorical levels the sorted union of every part's,
//! the same classes; each part's design matrix is then re-laid in the agreed design columns.

use ndarray::Array2;

use crate::data::design::Matrix;
use crate::data::encode::{ColumnKind, ColumnSpec, TrainingData};
use crate::data::schema::Labels;
use crate::error::{Error, Result};

/// What a part says about its schema (exchanged as JSON).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Meta {
    /// Where the part comes from, for messages ("rank 1 (data.csv bytes 100..200)").
    pub name: String,
    pub columns: Vec<ColumnSpec>,
    pub classes: Vec<String>,
    pub labels: Option<Labels>,
    pub class_counts: Vec<usize>,
    pub rows: usize,
    pub rows_dropped: usize,
}

impl Meta {
    pub fn of(name: &str, data: &TrainingData) -> Meta {
        Meta {
            name: name.to_string(),
            columns: data.columns.clone(),
            classes: data.classes.clone(),
            labels: data.labels.clone(),
            class_counts: data.class_counts.clone(),
            rows: data.y.len(),
            rows_dropped: data.rows_dropped,
        }
    }
}

/// The schema every part agrees on: `Meta` with the merged columns and summed counts.
pub fn unify(parts: &[Meta]) -> Result<Meta> {
    let first = parts
        .first()
        .ok_or_else(|| Error::Usage("no data to train on".to_string()))?;
    let mut columns = first.columns.clone();
    let mut class_counts = vec![0usize; first.classes.len()];
    let (mut rows, mut rows_dropped) = (0, 0);
    for part in parts {
        let names = |m: &Meta| m.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
        if names(part) != names(first) {
            return Err(Error::Usage(format!(
                "{} has the feature columns {:?} but {} has {:?}: every part needs the same \
                 columns",
                part.name,
                names(part),
                first.name,
                names(first)
            )));
        }
        for (merged, col) in columns.iter_mut().zip(&part.columns) {
            match (&mut merged.kind, &col.kind) {
                (ColumnKind::Numeric { .. }, ColumnKind::Numeric { .. }) => {}
                (
                    ColumnKind::Categorical { levels, .. },
                    ColumnKind::Categorical { levels: l, .. },
                ) => {
                    levels.extend(l.iter().cloned());
                    levels.sort();
                    levels.dedup();
                }
                _ => {
                    let kind = |k: &ColumnKind| match k {
                        ColumnKind::Numeric { .. } => "numeric",
                        ColumnKind::Categorical { .. } => "categorical",
                    };
                    return Err(Error::Usage(format!(
                        "column {:?} is {} in {} but {} in {}: a column's type is decided on \
                         each part's rows, so every part must agree (make its cells numbers \
                         everywhere, or text everywhere)",
                        col.name,
                        kind(&col.kind),
                        part.name,
                        kind(&merged.kind),
                        first.name
                    )));
                }
            }
        }
        if part.classes != first.classes || part.labels != first.labels {
            return Err(Error::Usage(format!(
                "{} has the classes {:?} but {} has {:?}: with --distributed every part must \
                 hold rows of every class (shuffle the rows before splitting them)",
                part.name, part.classes, first.name, first.classes
            )));
        }
        for (t, c) in class_counts.iter_mut().zip(&part.class_counts) {
            *t += c;
        }
        rows += part.rows;
        rows_dropped += part.rows_dropped;
    }
    Ok(Meta {
        name: "all parts".to_string(),
        columns,
        classes: first.classes.clone(),
        labels: first.labels.clone(),
        class_counts,
        rows,
        rows_dropped,
    })
}

/// `data` with its design matrix in the design columns of `schema` (a level `data` never saw
/// is an all-zero indicator column), and the design column names of `schema`.
pub fn relayout(mut data: TrainingData, schema: &Meta) -> Result<TrainingData> {
    if data.columns == schema.columns {
        return Ok(data);
    }
    let x = match &data.x {
        Matrix::Dense(x) => x,
        Matrix::Sparse(_) | Matrix::Cached(_) => {
            return Err(Error::Usage(
                "--distributed builds a dense design matrix (leave out --design sparse)"
                    .to_string(),
            ))
        }
    };
    // Global design column of each local one.
    let mut target = Vec::with_capacity(x.ncols());
    let mut offset = 0;
    for (local, global) in data.columns.iter().zip(&schema.columns) {
        match (&local.kind, &global.kind) {
            (
                ColumnKind::Categorical { levels: l, .. },
                ColumnKind::Categorical { levels: g, .. },
            ) => {
                for level in l {
                    let at = g.binary_search(level).expect("the union holds every level");
                    target.push(offset + at);
                }
            }
            _ => target.push(offset),
        }
        offset += global.width();
    }
    let mut out = Array2::<f64>::zeros((x.nrows(), offset));
    for (i, row) in x.outer_iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            out[[i, target[j]]] = v;
        }
    }
    data.x = Matrix::Dense(out);
    data.columns = schema.columns.clone();
    data.feature_names = schema
        .columns
        .iter()
        .flat_map(|c| c.design_names())
        .collect();
    Ok(data)
}

/// Parts (already on one schema) one after another, in order.
pub fn concat(mut parts: Vec<TrainingData>) -> TrainingData {
    if parts.len() == 1 {
        return parts.pop().expect("one part");
    }
    let mut first = parts.remove(0);
    let dense = |d: &TrainingData| d.x.as_dense().expect("relaid parts are dense").clone();
    let mut x = dense(&first);
    let mut y = first.y.to_vec();
    let mut w = first.weights.as_ref().map(|w| w.to_vec());
    for part in &parts {
        x.append(ndarray::Axis(0), dense(part).view())
            .expect("the same design columns");
        y.extend(part.y.iter());
        if let (Some(w), Some(pw)) = (w.as_mut(), part.weights.as_ref()) {
            w.extend(pw.iter());
        }
        for (t, c) in first.class_counts.iter_mut().zip(&part.class_counts) {
            *t += c;
        }
        first.rows_dropped += part.rows_dropped;
        first.warnings.extend(part.warnings.iter().cloned());
    }
    first.x = Matrix::Dense(x);
    first.y = y.into();
    first.weights = w.map(Into::into);
    first
}

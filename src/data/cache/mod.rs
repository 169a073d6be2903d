//! The out-of-core row cache (`train --max-memory`): when the design matrix would not fit in
//! the memory allowed, the training rows are streamed once from the input into a binary cache
//! file ([`format`] documents its layout: header with magic, version, shape, block size and
//! checksums; the rows; the schema), which is then memory-mapped and read block by block by
//! every pass of the fit ([`CachedDesign`]).
//!
//! What is stored per kept row is one value per *input* column, not the one-hot design: a
//! number (`NaN` for a missing cell), or a categorical cell's level code in order of first
//! appearance (`NaN` when missing); then the label's code (first appearance) and the row weight
//! when there is a `--weight` column. Levels are only known once every row has been read, so
//! the codes are remapped to the sorted levels at the end (no second pass over the input; stdin
//! and pipes work): the design row is built on the fly, numbers with their fill, each level as
//! its 0/1 indicator, then standardised with exactly the expression of
//! [`Scaler::apply`](crate::data::design::Scaler::apply), so every block holds the bits the
//! in-memory matrix would hold and the fit is the in-memory fit, bit for bit.

pub mod csv;
mod design;
pub mod format;
mod stats;

use std::cell::RefCell;
use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use design::CachedDesign;
pub use format::{CacheWriter, MappedCache};

use crate::data::design::Scaler;
use crate::data::encode::{ColumnKind, ColumnSpec};
use crate::error::{DataError, DataErrorKind, Location, Result};

/// File name suffix of cache files.
pub const SUFFIX: &str = ".logitcache";

/// The schema stored after the rows: what each stored value means.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    /// The input the rows came from, and its target column.
    pub source: String,
    pub target: String,
    /// The feature columns, in stored order, levels in order of first appearance (the codes).
    pub columns: Vec<StoredColumn>,
    /// Labels in order of first appearance (the stored label codes).
    pub labels: Vec<String>,
    /// The `--weight` column, whose values follow the label code in each row.
    pub weight_column: Option<String>,
    /// Rows left out by `--missing drop` (not stored).
    pub rows_dropped: usize,
    /// The standardisation of the design columns, once computed.
    pub scaler: Option<StoredScaler>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredColumn {
    pub name: String,
    #[serde(flatten)]
    pub kind: StoredKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum StoredKind {
    Numeric {
        fill: Option<f64>,
    },
    Categorical {
        /// First-appearance order: the stored code of `levels[c]` is `c`.
        levels: Vec<String>,
        /// The sorted index of the level filling a missing cell.
        fill: Option<u32>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredScaler {
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
}

/// How one stored value becomes design columns.
#[derive(Debug, Clone)]
enum Expand {
    Numeric {
        fill: f64,
    },
    /// `remap[code]` is the level's index among the sorted levels (its indicator column).
    Categorical {
        remap: Vec<u32>,
        fill: u32,
    },
}

/// A training design held in a cache file: the memory-mapped rows and how to expand them.
/// The file is removed when this is dropped, unless it is to be kept.
#[derive(Debug)]
pub struct CachedMatrix {
    path: PathBuf,
    keep: bool,
    map: MappedCache,
    schema: Schema,
    expand: Vec<Expand>,
    /// Design columns (one per numeric column, one per level).
    n_features: usize,
    /// Stored values per row.
    stride: usize,
    /// Non-zero cells of the unstandardised design.
    nnz: usize,
}

impl PartialEq for CachedMatrix {
    /// The same cache file.
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path
    }
}

impl CachedMatrix {
    /// Opens a complete cache file and checks it (header, size, checksums, schema). The file
    /// is removed on drop unless `keep`.
    pub fn open(path: &Path, keep: bool) -> Result<CachedMatrix> {
        let name = path.display().to_string();
        let refuse = |why: String| -> crate::error::Error {
            DataError::new(
                Location::file(&name),
                DataErrorKind::Cache {
                    message: format!("this row cache cannot be used: {why}"),
                },
            )
            .into()
        };
        let file = File::open(path).map_err(|e| crate::error::Error::io(&name, "open it", e))?;
        let map = MappedCache::open(&file).map_err(refuse)?;
        let schema: Schema = serde_json::from_slice(map.schema())
            .map_err(|e| refuse(format!("its schema is not valid: {e}")))?;
        let expand = schema
            .columns
            .iter()
            .map(|c| match &c.kind {
                StoredKind::Numeric { fill } => Expand::Numeric {
                    fill: fill.unwrap_or(f64::NAN),
                },
                StoredKind::Categorical { levels, fill } => {
                    let mut order: Vec<u32> = (0..levels.len() as u32).collect();
                    order.sort_by(|&a, &b| levels[a as usize].cmp(&levels[b as usize]));
                    let mut remap = vec![0u32; levels.len()];
                    for (new, &old) in order.iter().enumerate() {
                        remap[old as usize] = new as u32;
                    }
                    Expand::Categorical {
                        remap,
                        fill: fill.unwrap_or(u32::MAX),
                    }
                }
            })
            .collect::<Vec<_>>();
        let n_features = schema.columns.iter().map(|c| c.width()).sum();
        let stride = schema.columns.len() + 1 + usize::from(schema.weight_column.is_some());
        if map.header.n_cols != stride as u64 {
            return Err(refuse(format!(
                "the header says {} values per row, the schema {stride}",
                map.header.n_cols
            )));
        }
        let mut cache = CachedMatrix {
            path: path.to_path_buf(),
            keep,
            map,
            schema,
            expand,
            n_features,
            stride,
            nnz: 0,
        };
        cache.check_values().map_err(refuse)?;
        Ok(cache)
    }

    /// Every stored code in range, every weight finite and >= 0, missing cells only where a
    /// fill exists; counts the design's non-zero cells on the way.
    fn check_values(&mut self) -> std::result::Result<(), String> {
        let n_labels = self.schema.labels.len() as f64;
        let mut nnz = 0usize;
        for (i, row) in self.map.values().chunks_exact(self.stride).enumerate() {
            for (c, (e, &v)) in self.expand.iter().zip(row).enumerate() {
                let ok = match e {
                    Expand::Numeric { fill } => {
                        let x = if v.is_nan() { *fill } else { v };
                        nnz += usize::from(x != 0.0);
                        x.is_finite()
                    }
                    Expand::Categorical { remap, fill } => {
                        nnz += 1;
                        if v.is_nan() {
                            (*fill as usize) < remap.len()
                        } else {
                            v >= 0.0 && v.fract() == 0.0 && (v as usize) < remap.len()
                        }
                    }
                };
                if !ok {
                    return Err(format!(
                        "row {i}: value {v} of column {:?} is not one its schema allows",
                        self.schema.columns[c].name
                    ));
                }
            }
            let label = row[self.expand.len()];
            if !(label >= 0.0 && label.fract() == 0.0 && label < n_labels) {
                return Err(format!("row {i}: label code {label} out of range"));
            }
            if self.schema.weight_column.is_some() {
                let w = row[self.expand.len() + 1];
                if !(w.is_finite() && w >= 0.0) {
                    return Err(format!("row {i}: weight {w} is not finite and >= 0"));
                }
            }
        }
        self.nnz = nnz;
        Ok(())
    }

    /// Whether the file stays after the run.
    pub fn is_kept(&self) -> bool {
        self.keep
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    pub fn n_rows(&self) -> usize {
        self.map.header.n_rows as usize
    }

    pub fn n_cols(&self) -> usize {
        self.n_features
    }

    pub fn nnz(&self) -> usize {
        self.nnz
    }

    /// Rows per block as written (the unit of the passes that are the cache's own).
    pub fn block_rows(&self) -> usize {
        (self.map.header.block_rows as usize).max(1)
    }

    /// Bytes of the stored rows.
    pub fn data_bytes(&self) -> u64 {
        self.map.header.data_bytes().unwrap_or(0)
    }

    /// The column specs as the model stores them (levels sorted, fills by name).
    pub fn column_specs(&self) -> Vec<ColumnSpec> {
        self.schema
            .columns
            .iter()
            .map(|c| ColumnSpec {
                name: c.name.clone(),
                kind: match &c.kind {
                    StoredKind::Numeric { fill } => ColumnKind::Numeric { fill: *fill },
                    StoredKind::Categorical { levels, fill } => {
                        let sorted = sorted_levels(levels);
                        ColumnKind::Categorical {
                            fill: fill.map(|f| sorted[f as usize].clone()),
                            levels: sorted,
                        }
                    }
                },
            })
            .collect()
    }

    /// The stored label code and weight of every row, in order.
    pub fn labels_and_weights(&self) -> (Vec<u32>, Option<Vec<f64>>) {
        let k = self.expand.len();
        let rows = self.map.values().chunks_exact(self.stride);
        let codes = rows.clone().map(|r| r[k] as u32).collect();
        let weights = self
            .schema
            .weight_column
            .is_some()
            .then(|| rows.map(|r| r[k + 1]).collect());
        (codes, weights)
    }

    /// The raw (unstandardised) design rows `rows`, row-major, into `out`.
    pub fn raw_rows_into(&self, rows: Range<usize>, out: &mut [f64]) {
        let p = self.n_features;
        if p == 0 {
            return;
        }
        let values = &self.map.values()[rows.start * self.stride..rows.end * self.stride];
        for (stored, row) in values
            .chunks_exact(self.stride)
            .zip(out.chunks_exact_mut(p))
        {
            let mut at = 0;
            for (e, &v) in self.expand.iter().zip(stored) {
                match e {
                    Expand::Numeric { fill } => {
                        row[at] = if v.is_nan() { *fill } else { v };
                        at += 1;
                    }
                    Expand::Categorical { remap, fill } => {
                        let width = remap.len();
                        row[at..at + width].fill(0.0);
                        let level = if v.is_nan() { *fill } else { remap[v as usize] };
                        row[at + level as usize] = 1.0;
                        at += width;
                    }
                }
            }
        }
    }

    /// The standardised design rows `rows` into `out`: the raw values, then
    /// `(x - mean) / std` as [`Scaler::apply`] computes it.
    pub fn standardised_rows_into(&self, scaler: &Scaler, rows: Range<usize>, out: &mut [f64]) {
        self.raw_rows_into(rows, out);
        for row in out.chunks_exact_mut(self.n_features.max(1)) {
            for ((v, m), s) in row.iter_mut().zip(&scaler.mean).zip(&scaler.std) {
                *v = (*v - m) / s;
            }
        }
    }

    /// Calls `visit(first_row, block)` for the raw (`scaler` `None`) or standardised design
    /// rows, block by block in row order.
    pub fn for_each_block(&self, scaler: Option<&Scaler>, visit: &mut dyn FnMut(usize, &[f64])) {
        let (n, p, b) = (self.n_rows(), self.n_features, self.block_rows());
        let mut buf = vec![0.0; b.min(n) * p];
        for start in (0..n).step_by(b) {
            let end = (start + b).min(n);
            let out = &mut buf[..(end - start) * p];
            match scaler {
                Some(s) => self.standardised_rows_into(s, start..end, out),
                None => self.raw_rows_into(start..end, out),
            }
            visit(start, out);
        }
    }

    /// Records the scaler in the file's schema (the header's checksum follows).
    pub fn record_scaler(&mut self, scaler: &Scaler) -> Result<()> {
        self.schema.scaler = Some(StoredScaler {
            mean: scaler.mean.clone(),
            std: scaler.std.clone(),
        });
        let json = serde_json::to_vec(&self.schema).expect("a schema serialises");
        let name = self.path.display().to_string();
        format::rewrite_schema(&self.path, &self.map.header, &json)
            .map_err(|e| crate::error::Error::io(&name, "write the cache's schema", e))
    }

    /// Keeps the file after the run (`--keep-cache`).
    pub fn keep(&mut self) {
        self.keep = true;
        crate::data::output::forget_temp_file(&self.path);
    }
}

impl Drop for CachedMatrix {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
            crate::data::output::forget_temp_file(&self.path);
        }
    }
}

impl StoredColumn {
    /// Design columns of this input column.
    pub fn width(&self) -> usize {
        match &self.kind {
            StoredKind::Numeric { .. } => 1,
            StoredKind::Categorical { levels, .. } => levels.len(),
        }
    }
}

/// Levels sorted as the in-memory readers sort them.
pub fn sorted_levels(levels: &[String]) -> Vec<String> {
    let mut sorted = levels.to_vec();
    sorted.sort();
    sorted
}

thread_local! {
    /// Each thread's block of standardised rows ([`CachedDesign`]'s passes).
    static BLOCK: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

/// Runs `work` on a thread-local buffer of `len` values.
fn with_block<T>(len: usize, work: impl FnOnce(&mut [f64]) -> T) -> T {
    BLOCK.with(|b| {
        let mut b = b.borrow_mut();
        if b.len() < len {
            b.resize(len, 0.0);
        }
        work(&mut b[..len])
    })
}

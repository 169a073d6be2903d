//! Decoding a Parquet table's needed columns into [`Cells`]: row groups (and, when there are
//! fewer row groups than cores, groups of columns) in parallel, pieces joined in file order, the
//! first bad cell in file order reported as a CSV reader would meet it.

use std::collections::HashMap;

use super::super::convert::{self, Floats, Kind, Levels};
use super::super::source::{file_error, ParquetFile};
use crate::data::missing::Markers;
use crate::data::training::columns::MISSING_CODE;
use crate::error::{DataError, DataErrorKind, Result};

/// What a decoded column is for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Feature(Kind),
    Target,
    Weight,
    Fold,
}

/// One column's cells over the rows read so far.
pub(super) enum Cells {
    Numbers(Vec<f64>),
    Text { codes: Vec<u32>, levels: Levels },
}

impl Cells {
    pub(super) fn is_missing(&self, i: usize) -> bool {
        match self {
            Cells::Numbers(v) => v[i].is_nan(),
            Cells::Text { codes, .. } => codes[i] == MISSING_CODE,
        }
    }

    pub(super) fn first_missing(&self) -> Option<usize> {
        match self {
            Cells::Numbers(v) => v.iter().position(|x| x.is_nan()),
            Cells::Text { codes, .. } => codes.iter().position(|&c| c == MISSING_CODE),
        }
    }

    /// The cell as the CSV would hold it (for messages and the text-based checks).
    pub(super) fn text(&self, i: usize) -> String {
        match self {
            Cells::Numbers(v) if v[i].is_nan() => String::new(),
            Cells::Numbers(v) => ryu::Buffer::new().format(v[i]).to_string(),
            Cells::Text { codes, .. } if codes[i] == MISSING_CODE => String::new(),
            Cells::Text { codes, levels } => levels.levels[codes[i] as usize].clone(),
        }
    }
}

/// A work item: one row group, some of the needed columns (header indices, ascending).
struct Item {
    group: usize,
    columns: Vec<usize>,
}

/// What decoding one work item gives.
type Decoded = std::result::Result<Vec<Cells>, Bad>;

/// A cell error at a row over the file.
struct Bad {
    row: u64,
    column: usize,
    kind: DataErrorKind,
}

/// Decodes the `needed` columns of every row group in parallel; returns their cells in
/// `needed` order, row groups concatenated in file order.
pub(super) fn decode(
    pf: &ParquetFile,
    needed: &[usize],
    roles: &[Option<Role>],
    markers: &Markers,
) -> Result<Vec<Cells>> {
    let threads = std::env::var("LOGIT_THREADS")
        .ok()
        .and_then(|t| t.parse::<usize>().ok())
        .filter(|&t| t > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let groups = pf.n_row_groups();
    // Fewer row groups than threads: split the columns too, so every core decodes.
    let parts = if groups >= threads {
        1
    } else {
        threads.div_ceil(groups.max(1)).min(needed.len().max(1))
    };
    let mut items: Vec<Item> = Vec::new();
    for group in 0..groups {
        for p in 0..parts {
            let columns: Vec<usize> = needed
                .iter()
                .enumerate()
                .filter(|(k, _)| k % parts == p)
                .map(|(_, &c)| c)
                .collect();
            if !columns.is_empty() {
                items.push(Item { group, columns });
            }
        }
    }
    let floats = Floats::new(markers);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<Vec<(usize, Decoded)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.min(items.len()).max(1))
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(k) else { break };
                        done.push((k, decode_item(pf, item, roles, markers, floats)));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("decoding thread panicked"))
            .collect()
    });
    let mut decoded: Vec<Option<Decoded>> = (0..items.len()).map(|_| None).collect();
    for (k, r) in results.into_iter().flatten() {
        decoded[k] = Some(r);
    }
    // The first bad cell in file order (then column order), as a CSV reader meets it.
    let mut first: Option<Bad> = None;
    let mut pieces: Vec<Option<Vec<Cells>>> = Vec::with_capacity(items.len());
    for r in decoded {
        match r.expect("every item decoded") {
            Ok(cells) => pieces.push(Some(cells)),
            Err(bad) => {
                if first
                    .as_ref()
                    .is_none_or(|f| (bad.row, bad.column) < (f.row, f.column))
                {
                    first = Some(bad);
                }
                pieces.push(None);
            }
        }
    }
    if let Some(bad) = first {
        if bad.column == usize::MAX {
            let DataErrorKind::Parquet { message } = bad.kind else {
                unreachable!("decoding errors are Parquet errors")
            };
            return Err(pf.group_error(bad.row as usize, message));
        }
        let location = pf.row_location(bad.row, &pf.header[bad.column]);
        return Err(DataError::new(location, bad.kind).into());
    }
    // Concatenate each column's pieces in row-group order.
    let mut out: Vec<Cells> = needed
        .iter()
        .map(|&c| match roles[c] {
            Some(Role::Feature(Kind::Numeric)) => Cells::Numbers(Vec::new()),
            Some(Role::Weight) if convert::kind(pf.data_type(c)) == Kind::Numeric => {
                Cells::Numbers(Vec::new())
            }
            _ => Cells::Text {
                codes: Vec::new(),
                levels: Levels::default(),
            },
        })
        .collect();
    let position: HashMap<usize, usize> = needed.iter().enumerate().map(|(k, &c)| (c, k)).collect();
    for (item, cells) in items.iter().zip(pieces) {
        for (&c, piece) in item.columns.iter().zip(cells.expect("no error")) {
            append(&mut out[position[&c]], piece, markers);
        }
    }
    if pf.n_rows() > 0 {
        for cells in &out {
            let len = match cells {
                Cells::Numbers(v) => v.len(),
                Cells::Text { codes, .. } => codes.len(),
            };
            if len as u64 != pf.n_rows() {
                let message = format!(
                    "the row groups hold {len} rows, the footer says {}",
                    pf.n_rows()
                );
                return Err(file_error(&pf.name, message));
            }
        }
    }
    Ok(out)
}

/// Appends a row group's piece of a column to the whole column.
fn append(whole: &mut Cells, piece: Cells, markers: &Markers) {
    match (whole, piece) {
        (Cells::Numbers(all), Cells::Numbers(mut v)) => {
            if all.is_empty() {
                *all = v;
            } else {
                all.append(&mut v);
            }
        }
        (
            Cells::Text { codes, levels },
            Cells::Text {
                codes: c,
                levels: l,
            },
        ) => {
            let remap: Vec<u32> = l
                .levels
                .iter()
                .map(|level| levels.code(level, markers).unwrap_or(MISSING_CODE))
                .collect();
            codes.extend(c.iter().map(|&k| {
                if k == MISSING_CODE {
                    k
                } else {
                    remap[k as usize]
                }
            }));
        }
        _ => unreachable!("a column keeps its kind across row groups"),
    }
}

/// Decodes one work item: its columns' cells over its row group.
fn decode_item(
    pf: &ParquetFile,
    item: &Item,
    roles: &[Option<Role>],
    markers: &Markers,
    floats: Floats,
) -> Decoded {
    let group_error = |e: String| Bad {
        row: item.group as u64,
        column: usize::MAX,
        kind: DataErrorKind::Parquet { message: e },
    };
    let rows = pf.group_rows(item.group);
    let reader = pf
        .reader(item.group, &item.columns, rows)
        .map_err(|e| group_error(e.to_string()))?;
    let mut cells: Vec<Cells> = item
        .columns
        .iter()
        .map(|&c| {
            let numeric = convert::kind(pf.data_type(c)) == Kind::Numeric;
            match roles[c] {
                Some(Role::Feature(Kind::Numeric)) | Some(Role::Weight) if numeric => {
                    Cells::Numbers(Vec::with_capacity(rows))
                }
                _ => Cells::Text {
                    codes: Vec::with_capacity(rows),
                    levels: Levels::default(),
                },
            }
        })
        .collect();
    let mut done = 0usize;
    for batch in reader {
        let batch = batch.map_err(|e| group_error(e.to_string()))?;
        if batch.num_columns() != item.columns.len() {
            return Err(group_error(format!(
                "expected {} columns in a batch, found {}",
                item.columns.len(),
                batch.num_columns()
            )));
        }
        let start = pf.group_start(item.group) + done as u64;
        for ((k, &c), out) in item.columns.iter().enumerate().zip(cells.iter_mut()) {
            let array = batch.column(k).as_ref();
            let result = match out {
                Cells::Numbers(v) => convert::numbers(array, floats, v),
                Cells::Text { codes, levels } => match roles[c] {
                    Some(Role::Feature(_)) => convert::texts(array, markers, levels, codes),
                    _ => convert::label_texts(array, markers, levels, codes),
                },
            };
            result.map_err(|(i, kind)| Bad {
                row: start + i as u64,
                column: c,
                kind,
            })?;
        }
        done += batch.num_rows();
    }
    Ok(cells)
}

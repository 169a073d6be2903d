//! [`CachedDesign`]: the [`Design`] of a cache file. Each block operation standardises its
//! rows into a small per-thread buffer, in chunks, and runs the dense kernels on it: the dense
//! kernels accumulate row by row, so chunking a block changes no sum and the results are the
//! in-memory [`DenseDesign`]'s bits.

use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;

use ndarray::ArrayView2;

use super::{with_block, CachedMatrix};
use crate::data::design::{Columns, DenseColumns, DenseDesign, Design, Kernel, Scaler};

/// Rows standardised at a time: a few hundred KiB for tens of columns.
const CHUNK_ROWS: usize = 1024;

/// The standardised design of a [`CachedMatrix`].
#[derive(Debug, Clone, Copy)]
pub struct CachedDesign<'a> {
    cache: &'a CachedMatrix,
    scaler: &'a Scaler,
}

impl<'a> CachedDesign<'a> {
    pub fn new(cache: &'a CachedMatrix, scaler: &'a Scaler) -> Self {
        CachedDesign { cache, scaler }
    }

    /// Runs `work(dense_chunk, offset_in_rows)` over `rows` in chunks of standardised rows.
    fn chunks(&self, rows: Range<usize>, mut work: impl FnMut(DenseDesign<'_>, usize)) {
        let p = self.cache.n_cols();
        let mut start = rows.start;
        while start < rows.end {
            let end = (start + CHUNK_ROWS).min(rows.end);
            with_block((end - start) * p, |buf| {
                self.cache
                    .standardised_rows_into(self.scaler, start..end, buf);
                let view = ArrayView2::from_shape((end - start, p), &*buf).expect("block shape");
                work(DenseDesign::new(view), start - rows.start);
            });
            start = end;
        }
    }
}

impl Design for CachedDesign<'_> {
    fn n_rows(&self) -> usize {
        self.cache.n_rows()
    }

    fn n_cols(&self) -> usize {
        self.cache.n_cols()
    }

    fn scores_block(
        &self,
        kernel: Kernel,
        rows: Range<usize>,
        w: &[f64],
        b: &[f64],
        z: &mut [f64],
    ) {
        let k = b.len();
        self.chunks(rows, |x, at| {
            let n = x.n_rows();
            x.scores_block(kernel, 0..n, w, b, &mut z[at * k..(at + n) * k]);
        });
    }

    fn add_xt_r_block(&self, kernel: Kernel, rows: Range<usize>, r: &[f64], g: &mut [f64]) {
        let p = self.cache.n_cols();
        let k = g.len().checked_div(p).unwrap_or(0);
        self.chunks(rows, |x, at| {
            let n = x.n_rows();
            x.add_xt_r_block(kernel, 0..n, &r[at * k..(at + n) * k], g);
        });
    }

    fn add_gram_block(
        &self,
        kernel: Kernel,
        rows: Range<usize>,
        d: &[f64],
        m: usize,
        intercept: bool,
        parts: &mut [f64],
    ) {
        self.chunks(rows, |x, at| {
            let n = x.n_rows();
            x.add_gram_block(kernel, 0..n, &d[at * m..(at + n) * m], m, intercept, parts);
        });
    }

    fn row_into(&self, i: usize, out: &mut [f64]) {
        self.cache
            .standardised_rows_into(self.scaler, i..i + 1, out);
    }

    fn sum_of_squares(&self, weights: Option<&[f64]>) -> f64 {
        let mut total = -0.0;
        self.chunks(0..self.n_rows(), |x, at| {
            let weights = weights.map(|s| &s[at..at + x.n_rows()]);
            x.add_sum_of_squares(weights, &mut total);
        });
        total
    }

    fn first_non_finite(&self) -> Option<(usize, usize, f64)> {
        let mut found = None;
        self.chunks(0..self.n_rows(), |x, at| {
            if found.is_none() {
                found = x.first_non_finite().map(|(i, j, v)| (at + i, j, v));
            }
        });
        found
    }

    fn column_copy(&self) -> Option<Box<dyn Columns>> {
        match column_file(self.cache, self.scaler) {
            Ok(columns) => Some(Box::new(columns)),
            // No room for the column file: the in-memory copy (the caller's fallback).
            Err(_) => None,
        }
    }
}

/// The column-major copy coordinate descent reads, as a second cache file beside the first
/// (memory-mapped, so it is file-backed as the rows are), removed when the copy is dropped.
fn column_file(cache: &CachedMatrix, scaler: &Scaler) -> std::io::Result<DenseColumns> {
    let (n, p) = (cache.n_rows(), cache.n_cols());
    let path = cache.path().with_extension("columns");
    crate::data::output::remember_temp_file(&path);
    let removed = RemoveOnDrop(path.clone());
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)?;
    file.set_len((n * p * 8) as u64)?;
    let mut column = Vec::new();
    let mut failed: Option<std::io::Error> = None;
    cache.for_each_block(Some(scaler), &mut |start, block| {
        let rows = block.len() / p.max(1);
        for j in 0..p {
            if failed.is_some() {
                return;
            }
            column.clear();
            for r in 0..rows {
                column.extend_from_slice(&block[r * p + j].to_le_bytes());
            }
            let at = ((j * n + start) * 8) as u64;
            failed = file.write_all_at(&column, at).err();
        }
    });
    if let Some(e) = failed {
        return Err(e);
    }
    // SAFETY: the file was written by this process just now and is private to it.
    let map = unsafe { memmap2::Mmap::map(&file)? };
    let mapped = Mapped {
        map,
        _removed: removed,
    };
    Ok(DenseColumns::shared(n, p, Arc::new(mapped)))
}

/// The mapped column file as the values of a [`DenseColumns`].
#[derive(Debug)]
struct Mapped {
    map: memmap2::Mmap,
    _removed: RemoveOnDrop,
}

impl AsRef<[f64]> for Mapped {
    fn as_ref(&self) -> &[f64] {
        let bytes: &[u8] = &self.map;
        assert_eq!(bytes.as_ptr() as usize % std::mem::align_of::<f64>(), 0);
        // SAFETY: page-aligned (asserted), in bounds, every bit pattern is an f64; written
        // little-endian on a little-endian target (see `format::MappedCache::values`).
        unsafe { std::slice::from_raw_parts(bytes.as_ptr().cast::<f64>(), bytes.len() / 8) }
    }
}

#[derive(Debug)]
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        crate::data::output::forget_temp_file(&self.0);
    }
}

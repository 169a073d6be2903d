//! Per-column sums over the rows of a dense matrix (the scaler's moments, the summary's column
//! deviations), on every core for a large matrix.
//!
//! The rows are cut into chunks of a fixed size (a function of nothing but the row count), each
//! chunk's sums are formed rows in order, and the chunks' sums are added in chunk order: the
//! result does not depend on the number of threads. Within a chunk (which stays in cache) the
//! columns go in tiles of up to 16 whose sums stay in registers; a loop over each row's slice
//! instead reloads and stores every sum once per row, which made these passes cost three times
//! a whole fitting pass.

use ndarray::{ArrayView2, Axis};

use super::parallel_threads;

/// Rows per chunk: 2048 rows of 50 features are 800 KB, inside a core's L2 cache, and a million
/// rows make 489 partial sums per column (their sum in order is also more accurate than one
/// long running sum).
const CHUNK_ROWS: usize = 2048;

/// `out[j] = sum_i term(f_i, x_ij, c_j)` for every column `j`, over the rows `i` whose
/// `factor(i)` is `Some(f_i)` (rows with `None` are skipped entirely); `c` is a per-column
/// constant (a mean; zeros when `None`), handed over by value so that the tiles vectorise.
pub(crate) fn column_sums<F, T>(
    x: ArrayView2<f64>,
    c: Option<&[f64]>,
    factor: F,
    term: T,
) -> Vec<f64>
where
    F: Fn(usize) -> Option<f64> + Sync,
    T: Fn(f64, f64, f64) -> f64 + Sync,
{
    let p = x.ncols();
    let zeros;
    let c = match c {
        Some(c) => c,
        None => {
            zeros = vec![0.0; p];
            &zeros
        }
    };
    assert_eq!(c.len(), p, "one constant per column");
    let Some(data) = x.as_slice().filter(|_| p > 0) else {
        // Not row-major (a view of another layout): row by row, in the same chunks.
        let mut out = vec![0.0; p];
        let mut part = vec![0.0; p];
        for (i, row) in x.axis_iter(Axis(0)).enumerate() {
            if let Some(f) = factor(i) {
                for ((o, v), cj) in part.iter_mut().zip(row).zip(c) {
                    *o += term(f, *v, *cj);
                }
            }
            if (i + 1).is_multiple_of(CHUNK_ROWS) || i + 1 == x.nrows() {
                for (o, v) in out.iter_mut().zip(&mut part) {
                    *o += std::mem::take(v);
                }
            }
        }
        return out;
    };
    let chunks = x.nrows().div_ceil(CHUNK_ROWS);
    let mut partial = vec![0.0; chunks * p];
    let threads = parallel_threads(x.len()).min(chunks.max(1));
    let per = chunks.div_ceil(threads.max(1)).max(1);
    let work = |first_chunk: usize, sums: &mut [f64]| {
        for (k, out) in sums.chunks_exact_mut(p).enumerate() {
            let first = (first_chunk + k) * CHUNK_ROWS;
            let rows = &data[first * p..((first + CHUNK_ROWS) * p).min(data.len())];
            add_chunk(rows, p, first, c, out, &factor, &term);
        }
    };
    if threads <= 1 {
        work(0, &mut partial);
    } else {
        std::thread::scope(|scope| {
            for (t, sums) in partial.chunks_mut(per * p).enumerate() {
                let work = &work;
                scope.spawn(move || work(t * per, sums));
            }
        });
    }
    let mut out = vec![0.0; p];
    for sums in partial.chunks_exact(p) {
        for (o, v) in out.iter_mut().zip(sums) {
            *o += v;
        }
    }
    out
}

/// [`column_sums`]'s order of additions for passes that see one row at a time (the row cache,
/// a design without a dense matrix), so that they give the in-memory sums bit for bit: add row
/// `i`'s terms into [`ChunkedSums::part`], then call [`ChunkedSums::end_row`] with `i` for every
/// row, skipped ones included.
pub(crate) struct ChunkedSums {
    total: Vec<f64>,
    part: Vec<f64>,
    n_rows: usize,
}

impl ChunkedSums {
    pub(crate) fn new(p: usize, n_rows: usize) -> ChunkedSums {
        ChunkedSums {
            total: vec![0.0; p],
            part: vec![0.0; p],
            n_rows,
        }
    }

    /// The current chunk's sums.
    pub(crate) fn part(&mut self) -> &mut [f64] {
        &mut self.part
    }

    /// Row `i` is done: at a chunk's end its sums join the total.
    pub(crate) fn end_row(&mut self, i: usize) {
        if (i + 1).is_multiple_of(CHUNK_ROWS) || i + 1 == self.n_rows {
            for (t, v) in self.total.iter_mut().zip(&mut self.part) {
                *t += std::mem::take(v);
            }
        }
    }

    pub(crate) fn finish(self) -> Vec<f64> {
        self.total
    }
}

/// One chunk's sums of every column into `out` (`p` long), tile by tile.
fn add_chunk<F, T>(
    rows: &[f64],
    p: usize,
    first: usize,
    c: &[f64],
    out: &mut [f64],
    factor: &F,
    term: &T,
) where
    F: Fn(usize) -> Option<f64>,
    T: Fn(f64, f64, f64) -> f64,
{
    let mut j = 0;
    while j + 16 <= p {
        tile::<16, _, _>(rows, p, first, (j, c), &mut out[j..], factor, term);
        j += 16;
    }
    if j + 8 <= p {
        tile::<8, _, _>(rows, p, first, (j, c), &mut out[j..], factor, term);
        j += 8;
    }
    if j + 4 <= p {
        tile::<4, _, _>(rows, p, first, (j, c), &mut out[j..], factor, term);
        j += 4;
    }
    while j < p {
        tile::<1, _, _>(rows, p, first, (j, c), &mut out[j..], factor, term);
        j += 1;
    }
}

/// Adds the block's terms of the `N` columns from `j0` to `out[..N]`, the sums in registers.
#[inline(always)]
fn tile<const N: usize, F, T>(
    block: &[f64],
    p: usize,
    first: usize,
    (j0, c): (usize, &[f64]),
    out: &mut [f64],
    factor: &F,
    term: &T,
) where
    F: Fn(usize) -> Option<f64>,
    T: Fn(f64, f64, f64) -> f64,
{
    let mut acc = [0.0f64; N];
    acc.copy_from_slice(&out[..N]);
    let mut cj = [0.0f64; N];
    cj.copy_from_slice(&c[j0..j0 + N]);
    for (r, row) in block.chunks_exact(p).enumerate() {
        let Some(f) = factor(first + r) else {
            continue;
        };
        let part = &row[j0..j0 + N];
        for k in 0..N {
            acc[k] += term(f, part[k], cj[k]);
        }
    }
    out[..N].copy_from_slice(&acc);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, ShapeBuilder};

    /// The sums by their definition: each chunk's rows in order, then the chunks in order.
    fn reference(
        x: &Array2<f64>,
        factor: impl Fn(usize) -> Option<f64>,
        c: &[f64],
        term: impl Fn(f64, f64, f64) -> f64,
    ) -> Vec<f64> {
        let mut out = vec![0.0; x.ncols()];
        for start in (0..x.nrows()).step_by(CHUNK_ROWS) {
            let mut part = vec![0.0; x.ncols()];
            for i in start..(start + CHUNK_ROWS).min(x.nrows()) {
                if let Some(f) = factor(i) {
                    for (j, v) in x.row(i).iter().enumerate() {
                        part[j] += term(f, *v, c[j]);
                    }
                }
            }
            for (o, v) in out.iter_mut().zip(part) {
                *o += v;
            }
        }
        out
    }

    fn matrix(n: usize, p: usize) -> Array2<f64> {
        // Values of very different sizes, so a different order of additions shows in the bits.
        Array2::from_shape_fn((n, p), |(i, j)| {
            let u = ((i * 7919 + j * 104_729) % 10_007) as f64 / 10_007.0 - 0.3;
            u * 10f64.powi((j % 7) as i32 - 3) + (i % 13) as f64 * 1e-9
        })
    }

    #[test]
    fn equals_the_chunked_definition_for_every_tile_and_thread_split() {
        let weight = |i: usize| (i % 5 != 3).then_some(((i % 11) as f64) * 0.25);
        let term = |f: f64, v: f64, c: f64| f * (v - c) * (v - c);
        // p covers 16 + 8 + 4 + 1 tiles and odd tails; n spans several chunks plus a rest; the
        // last two cross PARALLEL_VALUES, so the chunks are shared among threads.
        for (n, p) in [
            (1, 1),
            (7, 3),
            (300, 29),
            (1000, 50),
            (40_000, 31),
            (25_000, 53),
        ] {
            let x = matrix(n, p);
            let c: Vec<f64> = (0..p).map(|j| j as f64 * 0.01 - 0.1).collect();
            let got = column_sums(x.view(), Some(&c), weight, term);
            assert_eq!(got, reference(&x, weight, &c, term), "n {n} p {p}");
            let zeros = vec![0.0; p];
            let all = column_sums(x.view(), None, |_| Some(1.0), |_, v, _| v);
            let want = reference(&x, |_| Some(1.0), &zeros, |_, v, _| v);
            assert_eq!(all, want, "n {n} p {p}");
            // A column-major matrix takes the row-by-row path.
            let mut t = Array2::zeros((n, p).f());
            t.assign(&x);
            assert!(t.as_slice().is_none() || n == 1 || p == 1);
            let want = reference(&x, weight, &c, term);
            assert_eq!(column_sums(t.view(), Some(&c), weight, term), want);
        }
    }

    #[test]
    fn row_at_a_time_sums_equal_the_chunked_passes() {
        for (n, p) in [(1, 2), (2048, 3), (5000, 7), (40_000, 31)] {
            let x = matrix(n, p);
            let mut sums = ChunkedSums::new(p, n);
            for (i, row) in x.rows().into_iter().enumerate() {
                if i % 3 != 1 {
                    for (o, v) in sums.part().iter_mut().zip(row) {
                        *o += v * v;
                    }
                }
                sums.end_row(i);
            }
            let want = column_sums(
                x.view(),
                None,
                |i| (i % 3 != 1).then_some(1.0),
                |_, v, _| v * v,
            );
            assert_eq!(sums.finish(), want, "n {n} p {p}");
        }
    }

    #[test]
    fn skipped_rows_are_never_evaluated() {
        let mut x = matrix(600, 9);
        x[[5, 2]] = f64::MAX;
        let got = column_sums(x.view(), None, |i| (i != 5).then_some(1.0), |_, v, _| v * v);
        assert!(got.iter().all(|v| v.is_finite()));
    }
}

//! The dense weighted Gram kernel, `sum_i d_i x1_i x1_i^T` over a block of rows, as a
//! register-blocked micro-kernel: the rows of non-zero weight are packed, a chunk at a time, into
//! column panels (`x1` in panels of [`PANEL`] columns, `d_i x1_i` in panels of `MR` columns),
//! then each `MR x PANEL` tile of the result is held in registers over the whole chunk.
//!
//! Why: the row-at-a-time form (one `axpy` of length `p - a` per entry row) loads and stores
//! the triangle once per row (or per four rows) and spends much of its time in the scalar tails
//! of short inner loops; the tiles load and store each entry once per chunk and keep both
//! floating-point ports busy with independent chains.
//!
//! Every entry is still one chain of additions in row order,
//! `g_ac += (d_i x1_ia) * x1_ic` (no `mul_add`, no reassociation), so the result does not
//! depend on the tile height, the chunk size or the vector width: the kernels give the same bits,
//! and so does the plain triple loop the tests compare with.

use std::cell::RefCell;

use crate::data::design::kernel::Kernel;

/// Width of the column panels of `x1` (and of a tile): one AVX-512 register, two AVX2 ones.
const PANEL: usize = 8;

/// Rows packed at a time: two panels of a chunk stay in L1 (`2 x 128 x 8 x 8` bytes = 16 KiB) and
/// the whole packed chunk in L2 for `p` up to a few hundred.
const CHUNK_ROWS: usize = 128;

/// Distance between two packed panels of `width` columns: a chunk plus one cache line, so the
/// panels a row is packed into do not all fall in the same L1 set (their starts would otherwise
/// be multiples of 4 KiB apart, more of them than the cache has ways).
const fn panel_stride(width: usize) -> usize {
    CHUNK_ROWS * width + PANEL
}

thread_local! {
    /// The packed chunk (grown as needed, reused by every call on the thread).
    static SCRATCH: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

/// Tile height for a kernel's registers: 8 accumulators of 8 (AVX-512, 8 of its 32 registers),
/// 4 x 2 of 4 (AVX2, 8 of 16), 2 x 4 of 2 (SSE2, 8 of 16): at least 8 independent chains, enough
/// to cover the latency of an addition on two ports, without spilling.
pub(super) fn tile_rows(kernel: Kernel) -> usize {
    match kernel {
        Kernel::Avx512 => 8,
        Kernel::Avx2 => 4,
        Kernel::Scalar => 2,
    }
}

/// Adds `sum_i d[i m + t] x1_i x1_i^T` to the upper triangle of `part` (`q x q`, row-major,
/// `q = p + intercept`), where `x1_i = [x_i, 1]` with the intercept, `x` is `n x p` row-major and
/// rows of weight exactly 0 are skipped. `mr` is the tile height ([`tile_rows`]: 2, 4 or 8).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(super) fn gram_weighted(
    x: &[f64],
    p: usize,
    d: &[f64],
    m: usize,
    t: usize,
    intercept: bool,
    mr: usize,
    part: &mut [f64],
) {
    match mr {
        8 => gram_tiles::<8>(x, p, d, m, t, intercept, part),
        4 => gram_tiles::<4>(x, p, d, m, t, intercept, part),
        _ => gram_tiles::<2>(x, p, d, m, t, intercept, part),
    }
}

#[inline(always)]
fn gram_tiles<const MR: usize>(
    x: &[f64],
    p: usize,
    d: &[f64],
    m: usize,
    t: usize,
    intercept: bool,
    part: &mut [f64],
) {
    let q = p + usize::from(intercept);
    let n = d.len() / m.max(1);
    if q == 0 || n == 0 {
        return;
    }
    let panels = q.div_ceil(PANEL);
    let wide = panels * PANEL;
    let (xs_len, us_len) = (panels * panel_stride(PANEL), wide / MR * panel_stride(MR));
    // Taken out of the thread-local and put back, rather than used inside `with`: a closure
    // passed to `with` is compiled into `with` itself, without the kernel's target features.
    let mut scratch = SCRATCH.take();
    let need = xs_len + us_len + wide * wide;
    if scratch.len() < need {
        scratch.resize(need, 0.0);
    }
    let (xs, rest) = scratch.split_at_mut(xs_len);
    let (us, g) = rest.split_at_mut(us_len);
    let g = &mut g[..wide * wide];
    // The triangle in a zero-padded `wide x wide` copy, so every tile is loaded and stored
    // whole (the entries below the diagonal and past `q` are computed and dropped).
    g.fill(0.0);
    for a in 0..q {
        g[a * wide + a..a * wide + q].copy_from_slice(&part[a * q + a..a * q + q]);
    }
    let full = p / PANEL;
    let mut next = 0;
    while next < n {
        // Pack up to CHUNK_ROWS rows of non-zero weight: xs[panel][row][PANEL] holds x1,
        // us[panel][row][MR] holds d_i x1_i (both zero-padded to `wide` columns).
        let mut rows = 0;
        while next < n && rows < CHUNK_ROWS {
            let i = next;
            next += 1;
            let wt = d[i * m + t];
            if wt == 0.0 {
                continue;
            }
            let row = &x[i * p..(i + 1) * p];
            for (jp, v) in row.chunks_exact(PANEL).enumerate() {
                let v: &[f64; PANEL] = v.try_into().expect("a whole panel");
                pack_panel::<MR>(xs, us, jp, rows, v, wt);
            }
            if full < panels {
                pack_last_panel::<MR>(xs, us, full, rows, &row[full * PANEL..], intercept, wt);
            }
            rows += 1;
        }
        for a0 in (0..q).step_by(MR) {
            let u = &us[(a0 / MR) * panel_stride(MR)..][..rows * MR];
            for c0 in (a0 / PANEL * PANEL..q).step_by(PANEL) {
                let xp = &xs[(c0 / PANEL) * panel_stride(PANEL)..][..rows * PANEL];
                tile::<MR>(u, xp, g, wide, a0, c0);
            }
        }
    }
    for a in 0..q {
        part[a * q + a..a * q + q].copy_from_slice(&g[a * wide + a..a * wide + q]);
    }
    SCRATCH.set(scratch);
}

/// Packs one panel of a row: `v` (columns `jp PANEL ..`) into `xs` and `wt v` into the
/// `PANEL / MR` panels of `us`, at position `row` of the chunk.
#[inline(always)]
fn pack_panel<const MR: usize>(
    xs: &mut [f64],
    us: &mut [f64],
    jp: usize,
    row: usize,
    v: &[f64; PANEL],
    wt: f64,
) {
    xs[jp * panel_stride(PANEL) + row * PANEL..][..PANEL].copy_from_slice(v);
    for (h, vh) in v.chunks_exact(MR).enumerate() {
        let at = (jp * (PANEL / MR) + h) * panel_stride(MR) + row * MR;
        for (o, x) in us[at..at + MR].iter_mut().zip(vh) {
            *o = wt * x;
        }
    }
}

/// Packs the last panel of a row: the row's tail, the intercept's 1 and zeros, element by
/// element (a copy of variable length into a stack array and then a whole-panel load from it
/// would stall on the store forwarding, once per row).
#[inline(always)]
fn pack_last_panel<const MR: usize>(
    xs: &mut [f64],
    us: &mut [f64],
    jp: usize,
    row: usize,
    tail: &[f64],
    intercept: bool,
    wt: f64,
) {
    let xs = &mut xs[jp * panel_stride(PANEL) + row * PANEL..][..PANEL];
    for (j, o) in xs.iter_mut().enumerate() {
        let v = match tail.get(j) {
            Some(&v) => v,
            None if j == tail.len() && intercept => 1.0,
            None => 0.0,
        };
        *o = v;
        us[(jp * (PANEL / MR) + j / MR) * panel_stride(MR) + row * MR + j % MR] = wt * v;
    }
}

/// `g[a0 + r][c0 + c] += sum_i u[i][r] x[i][c]` (`g` is `wide` columns), rows in order, with
/// the `MR x PANEL` tile in registers.
#[inline(always)]
fn tile<const MR: usize>(u: &[f64], x: &[f64], g: &mut [f64], wide: usize, a0: usize, c0: usize) {
    let mut acc = [[0.0; PANEL]; MR];
    for (r, row) in acc.iter_mut().enumerate() {
        row.copy_from_slice(&g[(a0 + r) * wide + c0..][..PANEL]);
    }
    for (ur, xr) in u.chunks_exact(MR).zip(x.chunks_exact(PANEL)) {
        for r in 0..MR {
            for c in 0..PANEL {
                acc[r][c] += ur[r] * xr[c];
            }
        }
    }
    for (r, row) in acc.iter().enumerate() {
        g[(a0 + r) * wide + c0..][..PANEL].copy_from_slice(row);
    }
}

#[cfg(test)]
mod tests {
    use ndarray::Array2;

    use super::super::tests::values;
    use super::super::{gram_copies, DenseDesign};
    use crate::data::design::{Design, Kernel};

    /// The definition, entry by entry in row order: `parts[t][a][c] += (d_it x1_ia) x1_ic` for
    /// `a <= c`, rows of weight 0 skipped.
    fn plain(x: &[f64], p: usize, d: &[f64], m: usize, intercept: bool, parts: &mut [f64]) {
        let q = p + usize::from(intercept);
        for i in 0..d.len() / m {
            let at = |j: usize| if j < p { x[i * p + j] } else { 1.0 };
            for t in 0..m {
                let wt = d[i * m + t];
                if wt == 0.0 {
                    continue;
                }
                for a in 0..q {
                    let u = wt * at(a);
                    for c in a..q {
                        parts[t * q * q + a * q + c] += u * at(c);
                    }
                }
            }
        }
    }

    /// Rows of weight 0 (some holding an infinity, which must not reach the sums), a run of
    /// zero weights longer than a chunk, and weights of every size.
    fn weights_and_rows(n: usize, p: usize, m: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
        let mut x = values(n * p, seed);
        let mut d: Vec<f64> = values(n * m, seed + 5)
            .iter()
            .map(|v| v.abs() + 1e-3)
            .collect();
        for i in 0..n {
            for t in 0..m {
                if (i + t) % 3 == 1 || (140..290).contains(&i) {
                    d[i * m + t] = 0.0;
                }
            }
            if p > 0 && (140..290).contains(&i) {
                x[i * p + i % p] = f64::INFINITY;
            }
        }
        (x, d)
    }

    fn bits(v: &[f64]) -> Vec<u64> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    /// Every kernel copy with every tile height, over blocks of 97 rows, against the definition,
    /// bit for bit: p around the panel width and tile heights (tails, p not a multiple of the
    /// panel, a panel holding only the intercept), more rows than a chunk, zero weights, one and
    /// three weights per row; the triangle is added to (not overwritten) and the entries below
    /// the diagonal are left alone.
    #[test]
    fn every_kernel_and_tile_height_gives_the_plain_sums_bit_for_bit() {
        let kernels: Vec<Kernel> = Kernel::ALL.into_iter().filter(|k| k.supported()).collect();
        for p in [0usize, 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 23, 50, 51] {
            for n in [0usize, 1, 6, 130, 400] {
                for m in [1usize, 3] {
                    let (x, d) = weights_and_rows(n, p, m, 3 + p as u64 * 17 + n as u64);
                    for intercept in [false, true] {
                        let q = p + usize::from(intercept);
                        let start = values(m * q * q, 99);
                        let mut want = start.clone();
                        plain(&x, p, &d, m, intercept, &mut want);
                        for &kernel in &kernels {
                            for mr in [2, 4, 8] {
                                let mut got = start.clone();
                                for lo in (0..n).step_by(97) {
                                    let hi = (lo + 97).min(n);
                                    let (xb, db) = (&x[lo * p..hi * p], &d[lo * m..hi * m]);
                                    gram_copies(kernel, xb, p, db, m, intercept, mr, &mut got);
                                }
                                let what = format!(
                                    "{} mr {mr} p {p} n {n} m {m} intercept {intercept}",
                                    kernel.name()
                                );
                                assert_eq!(bits(&got), bits(&want), "{what}");
                            }
                        }
                    }
                }
            }
        }
    }

    /// The design's block operation (each kernel with its own tile height), on a row-major view
    /// and on a transposed one (the copied-block path), against the definition, bit for bit.
    #[test]
    fn gram_blocks_of_every_kernel_equal_the_plain_sums() {
        let (n, p, m) = (300, 13, 3);
        let (x, d) = weights_and_rows(n, p, m, 41);
        let x = Array2::from_shape_vec((n, p), x).unwrap();
        let xt = x.t().to_owned();
        let x_cols = xt.t();
        for intercept in [false, true] {
            let q = p + usize::from(intercept);
            for m in [1, m] {
                let d: Vec<f64> = d.chunks_exact(3).flat_map(|r| r[..m].to_vec()).collect();
                let mut want = vec![0.0; m * q * q];
                plain(x.as_slice().unwrap(), p, &d, m, intercept, &mut want);
                for kernel in Kernel::ALL.into_iter().filter(|k| k.supported()) {
                    for view in [x.view(), x_cols] {
                        let design = DenseDesign::new(view);
                        let mut got = vec![0.0; m * q * q];
                        for lo in (0..n).step_by(256) {
                            let hi = (lo + 256).min(n);
                            let db = &d[lo * m..hi * m];
                            design.add_gram_block(kernel, lo..hi, db, m, intercept, &mut got);
                        }
                        let what = format!("{} m {m} intercept {intercept}", kernel.name());
                        assert_eq!(bits(&got), bits(&want), "{what}");
                    }
                }
            }
        }
    }
}

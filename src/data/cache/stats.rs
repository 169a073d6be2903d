//! The standardisation statistics of a cached design, by passes over its blocks: the
//! operations of [`Scaler::fit`] and [`Scaler::fit_weighted`] in the same order (every
//! column's sums run over the rows in order), so the scaler is the in-memory one bit for bit.

use super::CachedMatrix;
use crate::data::design::{ChunkedSums, Scaler};

impl CachedMatrix {
    /// Calls `visit(i, row)` for every raw design row in order.
    fn each_row(&self, visit: &mut dyn FnMut(usize, &[f64])) {
        let p = self.n_cols();
        self.for_each_block(None, &mut |start, block| {
            if p == 0 {
                for i in start..start + block.len() {
                    visit(i, &[]);
                }
                return;
            }
            for (r, row) in block.chunks_exact(p).enumerate() {
                visit(start + r, row);
            }
        });
    }

    /// [`Scaler::fit_weighted`] of the raw design (`weights` one per row, or `None`).
    pub fn fit_scaler(&self, center: bool, weights: Option<&[f64]>) -> Scaler {
        match weights {
            None => self.fit_unweighted(center),
            Some(s) => self.fit_weighted(center, s),
        }
    }

    fn fit_unweighted(&self, center: bool) -> Scaler {
        let (n_rows, p) = (self.n_rows(), self.n_cols());
        let n = n_rows as f64;
        let mut mean = vec![0.0; p];
        if center {
            // In the in-memory scaler's order of additions (`ChunkedSums`): the same bits.
            let mut sums = ChunkedSums::new(p, n_rows);
            self.each_row(&mut |i, row| {
                for (m, v) in sums.part().iter_mut().zip(row) {
                    *m += v;
                }
                sums.end_row(i);
            });
            mean = sums.finish();
            mean.iter_mut().for_each(|m| *m /= n);
            if mean.iter().any(|m| !m.is_finite()) {
                mean = vec![0.0; p];
                self.each_row(&mut |_, row| {
                    for (m, v) in mean.iter_mut().zip(row) {
                        *m += v / n;
                    }
                });
            }
        }
        let mut sums = ChunkedSums::new(p, n_rows);
        self.each_row(&mut |i, row| {
            for ((s, v), m) in sums.part().iter_mut().zip(row).zip(&mean) {
                let d = v - m;
                *s += d * d;
            }
            sums.end_row(i);
        });
        let var = sums.finish();
        let mut std: Vec<f64> = var.iter().map(|s| (s / n).sqrt()).collect();
        let overflowed: Vec<usize> = (0..p).filter(|&j| !std[j].is_finite()).collect();
        if !overflowed.is_empty() {
            let mut scale = vec![0.0f64; p];
            self.each_row(&mut |_, row| {
                for &j in &overflowed {
                    scale[j] = scale[j].max((row[j] - mean[j]).abs());
                }
            });
            let mut sum = vec![0.0; p];
            self.each_row(&mut |_, row| {
                for &j in &overflowed {
                    sum[j] += ((row[j] - mean[j]) / scale[j]).powi(2);
                }
            });
            for &j in &overflowed {
                std[j] = scale[j] * (sum[j] / n).sqrt();
            }
        }
        Scaler::from_moments(mean, std, None, center)
    }

    fn fit_weighted(&self, center: bool, s: &[f64]) -> Scaler {
        assert_eq!(s.len(), self.n_rows(), "one weight per row");
        let p = self.n_cols();
        let total: f64 = s.iter().sum();
        let mut mean = vec![0.0; p];
        if center && total > 0.0 {
            let mut sums = ChunkedSums::new(p, self.n_rows());
            self.each_row(&mut |i, row| {
                let si = s[i];
                if si != 0.0 {
                    for (m, v) in sums.part().iter_mut().zip(row) {
                        *m += si * v;
                    }
                }
                sums.end_row(i);
            });
            mean = sums.finish();
            mean.iter_mut().for_each(|m| *m /= total);
            if mean.iter().any(|m| !m.is_finite()) {
                mean = vec![0.0; p];
                self.each_row(&mut |i, row| {
                    let si = s[i];
                    if si != 0.0 {
                        let f = si / total;
                        for (m, v) in mean.iter_mut().zip(row) {
                            *m += f * v;
                        }
                    }
                });
            }
        }
        let mut sums = ChunkedSums::new(p, self.n_rows());
        // A column constant over the rows that count (see `Scaler::fit_weighted`).
        let mut constant: Vec<Option<f64>> = vec![None; p];
        let mut first = true;
        self.each_row(&mut |i, row| {
            let si = s[i];
            if si == 0.0 {
                sums.end_row(i);
                return;
            }
            for ((acc, v), m) in sums.part().iter_mut().zip(row).zip(&mean) {
                let d = v - m;
                *acc += si * (d * d);
            }
            sums.end_row(i);
            for (c, &v) in constant.iter_mut().zip(row) {
                if first {
                    *c = Some(v);
                } else if *c != Some(v) {
                    *c = None;
                }
            }
            first = false;
        });
        let var = sums.finish();
        let mut std: Vec<f64> = var.iter().map(|v| (v / total).sqrt()).collect();
        let overflowed: Vec<usize> = (0..p)
            .filter(|&j| !std[j].is_finite() && total > 0.0)
            .collect();
        if !overflowed.is_empty() {
            let mut scale = vec![0.0f64; p];
            self.each_row(&mut |i, row| {
                if s[i] != 0.0 {
                    for &j in &overflowed {
                        scale[j] = scale[j].max((row[j] - mean[j]).abs());
                    }
                }
            });
            let mut sum = vec![0.0; p];
            self.each_row(&mut |i, row| {
                if s[i] != 0.0 {
                    for &j in &overflowed {
                        sum[j] += s[i] * ((row[j] - mean[j]) / scale[j]).powi(2);
                    }
                }
            });
            for &j in &overflowed {
                std[j] = scale[j] * (sum[j] / total).sqrt();
            }
        }
        Scaler::from_moments(mean, std, Some(&constant), center)
    }
}

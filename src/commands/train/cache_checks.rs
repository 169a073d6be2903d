//! `train`'s checks of the data on an out-of-core design, by passes over the row cache instead
//! of the in-memory matrix: single features that separate the classes (raw values, before the
//! fit) and constant or identical columns (standardised values). Each gives the dense check's
//! verdict on the same matrix.

use ndarray::{Array1, Array2};

use super::sparse_checks::Degenerate;
use crate::data::cache::CachedMatrix;
use crate::data::design::Scaler;
use crate::fit::solvers::separation::{single_feature_separation, SingleFeatureSeparation};

/// `keep[i]`: the row counts (every row when `rows` is `None`), from the sorted active rows.
fn counted(n: usize, rows: Option<&[usize]>) -> Vec<bool> {
    match rows {
        None => vec![true; n],
        Some(rows) => {
            let mut keep = vec![false; n];
            rows.iter().for_each(|&i| keep[i] = true);
            keep
        }
    }
}

/// [`single_feature_separation`] of the rows `rows` (all for `None`), the positive class being
/// the rows where `positive(i)`: the dense check only looks at each class's minimum and
/// maximum per column, so it runs on a matrix of those, two rows per class present.
pub fn separation(
    x: &CachedMatrix,
    rows: Option<&[usize]>,
    positive: impl Fn(usize) -> bool,
    fit_intercept: bool,
) -> Vec<SingleFeatureSeparation> {
    let p = x.n_cols();
    let keep = counted(x.n_rows(), rows);
    // Index 0: negative class, 1: positive.
    let mut low = [vec![f64::INFINITY; p], vec![f64::INFINITY; p]];
    let mut high = [vec![f64::NEG_INFINITY; p], vec![f64::NEG_INFINITY; p]];
    let mut n = [0usize; 2];
    x.for_each_block(None, &mut |start, block| {
        for (r, row) in block.chunks_exact(p.max(1)).enumerate() {
            let i = start + r;
            if !keep[i] {
                continue;
            }
            let c = usize::from(positive(i));
            n[c] += 1;
            for (j, &v) in row.iter().enumerate().take(p) {
                low[c][j] = low[c][j].min(v);
                high[c][j] = high[c][j].max(v);
            }
        }
    });
    let mut summary: Vec<f64> = Vec::with_capacity(4 * p);
    let mut labels: Vec<f64> = Vec::with_capacity(4);
    for c in [1, 0] {
        if n[c] == 0 {
            continue;
        }
        summary.extend(&low[c]);
        summary.extend(&high[c]);
        labels.extend([c as f64; 2]);
    }
    let m = Array2::from_shape_vec((labels.len(), p), summary).expect("two rows per class");
    single_feature_separation(m.view(), Array1::from(labels).view(), fit_intercept)
}

/// Constant and identical columns of the standardised design over `rows` (all for `None`),
/// comparing values by their bits (`-0` as `+0`) as the dense check does: one pass hashing
/// every column, then one comparing the columns whose hashes agree.
pub fn degenerate(x: &CachedMatrix, scaler: &Scaler, rows: Option<&[usize]>) -> Degenerate {
    use std::hash::{Hash, Hasher};
    let p = x.n_cols();
    let keep = counted(x.n_rows(), rows);
    let n = keep.iter().filter(|&&k| k).count();
    if n == 0 {
        return Degenerate::default();
    }
    let key = |v: f64| (v + 0.0).to_bits();
    let mut first: Option<Vec<u64>> = None;
    let mut constant = vec![true; p];
    let mut hashers = vec![std::collections::hash_map::DefaultHasher::new(); p];
    x.for_each_block(Some(scaler), &mut |start, block| {
        for (r, row) in block.chunks_exact(p.max(1)).enumerate() {
            if !keep[start + r] {
                continue;
            }
            let bits: Vec<u64> = row.iter().take(p).map(|&v| key(v)).collect();
            let f = first.get_or_insert_with(|| bits.clone());
            for j in 0..p {
                constant[j] &= bits[j] == f[j];
                bits[j].hash(&mut hashers[j]);
            }
        }
    });
    let hashes: Vec<u64> = hashers.iter().map(Hasher::finish).collect();
    // Pairs (j, i), i < j, non-constant, with equal hashes: compared value by value.
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for j in 0..p {
        for i in 0..j {
            if !constant[i] && !constant[j] && hashes[i] == hashes[j] {
                pairs.push((j, i));
            }
        }
    }
    let mut equal = vec![true; pairs.len()];
    if !pairs.is_empty() {
        x.for_each_block(Some(scaler), &mut |start, block| {
            for (r, row) in block.chunks_exact(p.max(1)).enumerate() {
                if keep[start + r] {
                    for (e, &(j, i)) in equal.iter_mut().zip(&pairs) {
                        *e &= key(row[j]) == key(row[i]);
                    }
                }
            }
        });
    }
    // The dense check's order: each column joins its hash group unless it equals a member.
    let mut degenerate = Degenerate {
        n,
        ..Degenerate::default()
    };
    let mut members: Vec<usize> = Vec::new();
    for j in 0..p {
        if constant[j] {
            degenerate.constant.push(j);
            continue;
        }
        let same = members.iter().copied().find(|&i| {
            hashes[i] == hashes[j]
                && pairs
                    .iter()
                    .position(|&pair| pair == (j, i))
                    .is_some_and(|at| equal[at])
        });
        match same {
            Some(i) => degenerate.duplicates.push((j, i)),
            None => members.push(j),
        }
    }
    degenerate
}

//! Which rows form each cross-validation fold: named by a `--fold-column`, or stratified by
//! class from a seed.
//!
//! Stratified folds (`--folds K --seed N`): the rows of each class, in file order, are shuffled
//! with a Fisher-Yates shuffle driven by SplitMix64 seeded with `N` (one generator, run over the
//! classes in model order), then dealt out round-robin, the deal continuing from class to class,
//! so every fold gets `floor` or `ceil` of each class's share and the fold sizes differ by at
//! most one. The assignment depends only on the labels, `K` and `N`: the same on every machine
//! and thread count. Rows of weight 0 are dealt like any other (they weigh nothing wherever they
//! land).

use crate::data::training::FoldColumn;

/// Each row's fold (`0 .. k`) and the folds' names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folds {
    /// The fold of each row.
    pub of_row: Vec<usize>,
    /// The fold names (the `--fold-column` values, or `1 .. K`).
    pub names: Vec<String>,
}

/// SplitMix64 (Steele, Lea, Flood 2014; Vigna's reference constants): a tiny, well-mixed
/// generator whose whole state is one `u64`, so a seed fixes every draw.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0 .. n` (`n >= 1`), by Lemire's multiply-shift with rejection (no modulo bias).
    pub fn below(&mut self, n: usize) -> usize {
        let n = n as u64;
        loop {
            let m = (self.next_u64() as u128) * (n as u128);
            let low = m as u64;
            if low >= n.wrapping_neg() % n {
                return (m >> 64) as usize;
            }
        }
    }
}

impl Folds {
    /// `k` folds stratified by `class_of_row` (classes `0 .. n_classes`), from `seed` (see the
    /// module doc).
    pub fn stratified(class_of_row: &[usize], n_classes: usize, k: usize, seed: u64) -> Folds {
        assert!(k >= 1, "at least one fold");
        let mut rng = SplitMix64::new(seed);
        let mut of_row = vec![0; class_of_row.len()];
        let mut next = 0;
        for class in 0..n_classes {
            let mut rows: Vec<usize> = (0..class_of_row.len())
                .filter(|&i| class_of_row[i] == class)
                .collect();
            for i in (1..rows.len()).rev() {
                rows.swap(i, rng.below(i + 1));
            }
            for &row in &rows {
                of_row[row] = next;
                next = (next + 1) % k;
            }
        }
        Folds {
            of_row,
            names: (1..=k).map(|f| f.to_string()).collect(),
        }
    }

    /// The folds a `--fold-column` names (its values, ordered as [`FoldColumn`] orders them).
    pub fn from_column(column: &FoldColumn) -> Folds {
        Folds {
            of_row: column.codes.iter().map(|&c| c as usize).collect(),
            names: column.names.clone(),
        }
    }

    pub fn k(&self) -> usize {
        self.names.len()
    }

    /// Rows of fold `f` (held out) and the others (trained on), each in row order.
    pub fn split(&self, f: usize) -> (Vec<usize>, Vec<usize>) {
        (0..self.of_row.len()).partition(|&i| self.of_row[i] == f)
    }

    /// Rows per fold.
    pub fn sizes(&self) -> Vec<usize> {
        let mut n = vec![0; self.k()];
        for &f in &self.of_row {
            n[f] += 1;
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_matches_the_reference_sequence() {
        // Vigna's splitmix64.c from state 0: the first outputs.
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(r.next_u64(), 0x06C4_5D18_8009_454F);
    }

    #[test]
    fn stratified_folds_balance_every_class_and_depend_only_on_the_seed() {
        // 23 rows of class 0, 9 of class 1, interleaved.
        let classes: Vec<usize> = (0..32).map(|i| usize::from(i % 7 < 2)).collect();
        let n1 = classes.iter().filter(|&&c| c == 1).count();
        let f = Folds::stratified(&classes, 2, 5, 42);
        assert_eq!(f, Folds::stratified(&classes, 2, 5, 42));
        assert_ne!(f.of_row, Folds::stratified(&classes, 2, 5, 43).of_row);
        let sizes = f.sizes();
        assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1);
        for fold in 0..5 {
            let ones = (0..32)
                .filter(|&i| f.of_row[i] == fold && classes[i] == 1)
                .count();
            assert!(ones == n1 / 5 || ones == n1 / 5 + 1, "fold {fold}: {ones}");
        }
        let (test, train) = f.split(0);
        assert_eq!(test.len() + train.len(), 32);
        assert!(test.iter().all(|&i| f.of_row[i] == 0));
    }

    #[test]
    fn below_stays_in_range() {
        let mut r = SplitMix64::new(7);
        let mut seen = [0usize; 3];
        for _ in 0..3000 {
            seen[r.below(3)] += 1;
        }
        assert!(seen.iter().all(|&n| n > 900), "{seen:?}");
    }
}

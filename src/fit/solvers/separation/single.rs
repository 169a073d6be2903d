//! Columns that separate the classes by themselves (Albert & Anderson's condition with a
//! direction along one column), found exactly in one pass over the rows. The shared loop's
//! [`super::Monitor`] uses them as certificates and `train` names them in its warning.

use ndarray::{ArrayView1, ArrayView2, Axis};

use crate::data::design::CsrMatrix;

/// A column that separates the classes by itself: every row of one class (the *upper* one) has a
/// value at or above every row of the other. With an intercept that makes the MLE nonexistent
/// (`d = s (e_j - c e_b)` is a direction of recession for a cut `c` between the classes, `s` the
/// side of the positive class); without one the cut must be 0 (`d = s e_j`), as nothing can shift
/// it. Order and sign are kept by standardisation (centring only happens with an intercept), so
/// the verdict is the same on raw and standardised columns.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SingleFeatureSeparation {
    /// The column's index in the design matrix.
    pub feature: usize,
    /// Whether the positive class is the upper one.
    pub positive_above: bool,
    /// The largest value of the lower class (`-inf` when it has no rows).
    pub lower_max: f64,
    /// The smallest value of the upper class (`+inf` when it has no rows).
    pub upper_min: f64,
    /// Whether the model has an intercept (the cut is then free, otherwise it is 0).
    pub fit_intercept: bool,
}

impl SingleFeatureSeparation {
    /// The value the classes meet at or are split by: with an intercept, the midpoint of the gap
    /// (the meeting value under quasi-complete separation); without one, 0.
    pub fn cut(&self) -> f64 {
        if !self.fit_intercept {
            0.0
        } else if self.lower_max == self.upper_min {
            self.upper_min
        } else {
            self.lower_max + (self.upper_min - self.lower_max) / 2.0
        }
    }

    /// Complete: no row lies on the cut, so every row is classified right with a margin.
    /// Otherwise quasi-complete: some rows (of either class) sit on the cut.
    pub fn complete(&self) -> bool {
        let c = self.cut();
        self.lower_max < c && c < self.upper_min
    }

    /// A direction of recession in the design's parameter layout (`k` parameters, the intercept
    /// last when there is one).
    pub(crate) fn direction(&self, k: usize) -> Vec<f64> {
        let s = if self.positive_above { 1.0 } else { -1.0 };
        let mut d = vec![0.0; k];
        d[self.feature] = s;
        if self.fit_intercept {
            d[k - 1] = -s * self.cut();
        }
        d
    }

    /// How the column splits the labels, in words, e.g. `every "Yes" row has actdays >= 1 and
    /// every "No" row actdays <= 0`; without an intercept the bound is 0. The values are in the
    /// units of the matrix the separation was found on.
    pub fn describe(&self, name: &str, positive: &str, negative: &str) -> String {
        let (upper, lower) = if self.positive_above {
            (positive, negative)
        } else {
            (negative, positive)
        };
        let (upper_bound, lower_bound) = if self.fit_intercept {
            (
                format!(">= {}", self.upper_min),
                format!("<= {}", self.lower_max),
            )
        } else if self.complete() {
            ("> 0".to_string(), "< 0".to_string())
        } else {
            (">= 0".to_string(), "<= 0".to_string())
        };
        // Without an intercept one class may be absent.
        match (self.upper_min.is_finite(), self.lower_max.is_finite()) {
            (true, true) => format!(
                "every {upper:?} row has {name} {upper_bound} and every {lower:?} row {name} {lower_bound}"
            ),
            (true, false) => format!("every {upper:?} row has {name} {upper_bound}"),
            _ => format!("every {lower:?} row has {name} {lower_bound}"),
        }
    }
}

/// Every column that alone separates the classes, completely or quasi-completely (see
/// [`SingleFeatureSeparation`]), in increasing column order. With an intercept both classes must
/// be present (one class alone is handled before fitting); columns holding a non-finite value are
/// skipped, as is a column constant on the cut (it separates nothing). One pass over the rows.
pub fn single_feature_separation(
    x: ArrayView2<f64>,
    y: ArrayView1<f64>,
    fit_intercept: bool,
) -> Vec<SingleFeatureSeparation> {
    assert_eq!(
        x.nrows(),
        y.len(),
        "design matrix and labels disagree on the number of rows"
    );
    let p = x.ncols();
    // Per column: (min, max) over the positive rows and over the negative rows.
    let mut pos = vec![(f64::INFINITY, f64::NEG_INFINITY); p];
    let mut neg = vec![(f64::INFINITY, f64::NEG_INFINITY); p];
    let mut finite = vec![true; p];
    for (row, &label) in x.axis_iter(Axis(0)).zip(y.iter()) {
        let range = if label > 0.5 { &mut pos } else { &mut neg };
        for ((r, ok), &v) in range.iter_mut().zip(finite.iter_mut()).zip(row.iter()) {
            *ok &= v.is_finite();
            r.0 = r.0.min(v);
            r.1 = r.1.max(v);
        }
    }
    let n_pos = y.iter().filter(|&&v| v > 0.5).count();
    let n_neg = y.len() - n_pos;
    from_ranges(&pos, &neg, &finite, n_pos, n_neg, fit_intercept)
}

/// [`single_feature_separation`] of a sparse design's matrix `x_ij - shift_j` (stored values
/// `x`, see `data::design::CsrDesign`), without densifying it: the implicit entries of a
/// column are `-shift_j`. One pass over the stored entries.
pub fn single_feature_separation_sparse(
    x: &CsrMatrix,
    shift: &[f64],
    y: ArrayView1<f64>,
    fit_intercept: bool,
) -> Vec<SingleFeatureSeparation> {
    assert_eq!(
        x.n_rows,
        y.len(),
        "design matrix and labels disagree on the number of rows"
    );
    let p = x.n_cols;
    let mut pos = vec![(f64::INFINITY, f64::NEG_INFINITY); p];
    let mut neg = vec![(f64::INFINITY, f64::NEG_INFINITY); p];
    let mut finite: Vec<bool> = shift.iter().map(|s| s.is_finite()).collect();
    // Stored entries per class and column: a class with fewer has implicit entries too.
    let mut stored = vec![(0usize, 0usize); p];
    for (i, &label) in y.iter().enumerate() {
        let positive = label > 0.5;
        let range = if positive { &mut pos } else { &mut neg };
        let (idx, val) = x.row(i);
        for (&j, &v) in idx.iter().zip(val) {
            let j = j as usize;
            let v = v - shift[j];
            finite[j] &= v.is_finite();
            range[j].0 = range[j].0.min(v);
            range[j].1 = range[j].1.max(v);
            if positive {
                stored[j].0 += 1;
            } else {
                stored[j].1 += 1;
            }
        }
    }
    let n_pos = y.iter().filter(|&&v| v > 0.5).count();
    let n_neg = y.len() - n_pos;
    for j in 0..p {
        let v = -shift[j];
        if stored[j].0 < n_pos {
            pos[j] = (pos[j].0.min(v), pos[j].1.max(v));
        }
        if stored[j].1 < n_neg {
            neg[j] = (neg[j].0.min(v), neg[j].1.max(v));
        }
    }
    from_ranges(&pos, &neg, &finite, n_pos, n_neg, fit_intercept)
}

/// The separating columns, from each column's `(min, max)` over the positive and the negative
/// rows.
fn from_ranges(
    pos: &[(f64, f64)],
    neg: &[(f64, f64)],
    finite: &[bool],
    n_pos: usize,
    n_neg: usize,
    fit_intercept: bool,
) -> Vec<SingleFeatureSeparation> {
    let p = pos.len();
    if fit_intercept && (n_pos == 0 || n_neg == 0) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for j in (0..p).filter(|&j| finite[j]) {
        for positive_above in [true, false] {
            let (upper, lower) = if positive_above {
                (pos[j], neg[j])
            } else {
                (neg[j], pos[j])
            };
            // Empty classes have min = +inf and max = -inf, which the tests below accept.
            let candidate = SingleFeatureSeparation {
                feature: j,
                positive_above,
                lower_max: lower.1,
                upper_min: upper.0,
                fit_intercept,
            };
            let c = candidate.cut();
            let ordered = if fit_intercept {
                lower.1 <= upper.0
            } else {
                lower.1 <= 0.0 && upper.0 >= 0.0
            };
            // Some row must lie off the cut, or the direction changes no margin.
            let off_cut = lower.0 < c || upper.1 > c;
            if ordered && off_cut {
                out.push(candidate);
                break;
            }
        }
    }
    out
}

/// Columns that alone separate the classes completely on the given design matrix (with an
/// intercept): the maximum over one class is strictly below the minimum over the other.
/// Returns the column indices in increasing order. See [`single_feature_separation`] for the
/// quasi-complete case and models without an intercept.
pub fn separating_features(x: ArrayView2<f64>, y: ArrayView1<f64>) -> Vec<usize> {
    single_feature_separation(x, y, true)
        .into_iter()
        .filter(SingleFeatureSeparation::complete)
        .map(|s| s.feature)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn single_columns_that_separate() {
        let x = array![
            [0.0, 5.0, 1.0],
            [1.0, 4.0, 1.0],
            [2.0, 3.0, 1.0],
            [3.0, 2.0, 1.0]
        ];
        let y = array![0.0, 0.0, 1.0, 1.0];
        assert_eq!(separating_features(x.view(), y.view()), vec![0, 1]);
        // Touching ranges: quasi, not complete.
        let x2 = array![[0.0], [1.0], [1.0], [2.0]];
        assert!(separating_features(x2.view(), y.view()).is_empty());
        // One class only.
        let y1 = array![1.0, 1.0, 1.0, 1.0];
        assert!(separating_features(x.view(), y1.view()).is_empty());
        // NaN column skipped.
        let x3 = array![[0.0], [f64::NAN], [2.0], [3.0]];
        assert!(separating_features(x3.view(), y.view()).is_empty());
    }

    #[test]
    fn single_columns_that_separate_quasi_completely_or_without_intercept() {
        // Ties at the cut: quasi-complete; the cut is the meeting value.
        let x = array![[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [2.0, 0.0], [3.0, 1.0]];
        let y = array![0.0, 0.0, 1.0, 1.0, 1.0];
        let found = single_feature_separation(x.view(), y.view(), true);
        assert_eq!(found.len(), 1);
        let s = found[0];
        assert_eq!(
            (s.feature, s.positive_above, s.complete()),
            (0, true, false)
        );
        assert_eq!((s.lower_max, s.upper_min, s.cut()), (1.0, 1.0, 1.0));
        assert_eq!(
            s.describe("a", "yes", "no"),
            "every \"yes\" row has a >= 1 and every \"no\" row a <= 1"
        );
        // The positive class below, completely: the cut is the midpoint.
        let yr = array![1.0, 1.0, 0.0, 0.0, 0.0];
        let x2 = array![[0.0], [0.5], [1.0], [2.0], [3.0]];
        let s = single_feature_separation(x2.view(), yr.view(), true)[0];
        assert_eq!(
            (s.positive_above, s.complete(), s.cut()),
            (false, true, 0.75)
        );
        // Without an intercept the cut must be 0: x2 (all >= 0) separates quasi-completely only
        // when the lower class sits at 0 ...
        let y0 = array![0.0, 1.0, 1.0, 1.0, 1.0];
        let s = single_feature_separation(x2.view(), y0.view(), false)[0];
        assert_eq!((s.complete(), s.cut()), (false, 0.0));
        // ... not when it lies above 0, where an intercept would be needed.
        assert!(single_feature_separation(x2.view(), yr.view(), false).is_empty());
        // One class only: separation without an intercept, handled upfront with one.
        let ones = array![1.0, 1.0, 1.0, 1.0, 1.0];
        assert_eq!(
            single_feature_separation(x2.view(), ones.view(), false).len(),
            1
        );
        assert!(single_feature_separation(x2.view(), ones.view(), true).is_empty());
        // A constant column separates nothing; neither does a column on which the classes overlap.
        let c = array![[2.0, 0.0], [2.0, 3.0], [2.0, 1.0], [2.0, 2.0]];
        let yc = array![0.0, 0.0, 1.0, 1.0];
        assert!(single_feature_separation(c.view(), yc.view(), true).is_empty());
        assert!(separating_features(c.view(), yc.view()).is_empty());
    }
}

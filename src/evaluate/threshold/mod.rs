//! Choosing a decision threshold: the confusion counts and the rates built on them at every
//! threshold, a grid of thresholds for a table, and the rules `--pick` understands.
//!
//! This module owns the threshold sweep behind `eval --thresholds`, `eval --pick`,
//! `logit threshold` and `train --pick-threshold`, and the ROC / precision-recall curves the plots
//! draw. It leaves the single-threshold metrics to [`crate::evaluate::metrics`] and the printing to
//! [`crate::evaluate::report`].
//!
//! # Semantics
//!
//! A row is predicted positive iff `p >= t`, with `p = sigmoid(z)` computed by
//! [`crate::fit::numerics::sigmoid`], exactly as `predict` and [`crate::evaluate::metrics::predicts_positive`]
//! do. The counts only change where `t` crosses a predicted probability, so the *cut points* are
//! the distinct predicted probabilities of the data, and every optimum over all thresholds is
//! attained at one of them. A chosen threshold is therefore **a predicted probability of the
//! data itself** (not a midpoint between two of them): with `>=` it reproduces the chosen counts
//! exactly on that data, and written to a model it is an f64 that round-trips through JSON.
//!
//! # Rules and ties
//!
//! Ratios are compared exactly (as fractions of the integer counts), so ties are real ties, not
//! rounding noise:
//!
//! * `f1`: the largest `2 tp / (2 tp + fp + fn)`; among equal F1, the highest threshold (fewest
//!   rows predicted positive).
//! * `youden`: the largest Youden's J = recall + specificity - 1 = TPR - FPR (Youden 1950); among
//!   equal J, the highest threshold.
//! * `precision>=X`: among thresholds whose precision is defined and `>= X`, the one with the
//!   highest recall; among equal recall, the highest precision (= the highest such threshold).
//! * `recall>=X`: among thresholds whose recall is `>= X`, the one with the highest precision;
//!   among equal precision, the highest recall.
//!
//! A rule that no threshold satisfies, or that is undefined on the data (one class only), is a
//! [`PickError`] saying why, never a silent fallback.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::evaluate::metrics::ConfusionCounts;
use crate::fit::numerics::sigmoid;

/// Default step of the threshold grid: 0.05, 0.10, ..., 0.95.
pub const DEFAULT_GRID_STEP: f64 = 0.05;

/// Most thresholds a `--grid` may hold (a step or a list). A finer table would have more rows
/// than there are distinct classifications for any data set a table is meant to be read on,
/// and an unbounded one exhausts memory (`--grid 1e-9` asked for 10^9 rows); `--grid all`
/// gives the whole curve, one row per distinct predicted probability.
pub const MAX_GRID_POINTS: usize = 10_000;

/// Smallest `--grid` step: `1 / MAX_GRID_POINTS`, whose grid has 9,999 thresholds in `(0, 1)`.
pub const MIN_GRID_STEP: f64 = 1.0 / MAX_GRID_POINTS as f64;

/// The counts and rates of the classifier at one threshold. Serialises with the false-negative
/// count under `"fn"` and an undefined rate as `null`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ThresholdPoint {
    /// A row is predicted positive iff its probability is `>= threshold`.
    pub threshold: f64,
    pub tp: usize,
    pub fp: usize,
    pub tn: usize,
    #[serde(rename = "fn")]
    pub fn_: usize,
    /// `tp / (tp + fp)`; undefined when nothing is predicted positive.
    pub precision: Option<f64>,
    /// `tp / (tp + fn)`; undefined with no positive rows.
    pub recall: Option<f64>,
    /// `2 tp / (2 tp + fp + fn)`; undefined when that denominator is 0.
    pub f1: Option<f64>,
    /// `tn / (tn + fp)`; undefined with no negative rows.
    pub specificity: Option<f64>,
    /// Youden's J, `recall + specificity - 1`; undefined when either is.
    pub youden_j: Option<f64>,
}

impl ThresholdPoint {
    /// The point for `counts` observed at `threshold`.
    pub fn new(threshold: f64, c: ConfusionCounts) -> Self {
        let recall = c.recall();
        let specificity = c.specificity();
        ThresholdPoint {
            threshold,
            tp: c.tp,
            fp: c.fp,
            tn: c.tn,
            fn_: c.fn_,
            precision: c.precision(),
            recall,
            f1: c.f1(),
            specificity,
            // tp/P - fp/N computed from the counts so that J is 0 exactly at the extremes.
            youden_j: match (recall, specificity) {
                (Some(_), Some(_)) => {
                    Some(c.tp as f64 / c.positives() as f64 - c.fp as f64 / c.negatives() as f64)
                }
                _ => None,
            },
        }
    }

    /// The confusion counts of this point.
    pub fn counts(&self) -> ConfusionCounts {
        ConfusionCounts {
            tp: self.tp,
            fp: self.fp,
            tn: self.tn,
            fn_: self.fn_,
        }
    }

    /// True-positive rate (recall) as a number for a curve; 0 when undefined.
    pub fn tpr(&self) -> f64 {
        self.recall.unwrap_or(0.0)
    }

    /// False-positive rate `fp / (fp + tn)` for a curve; 0 when undefined.
    pub fn fpr(&self) -> f64 {
        let negatives = self.fp + self.tn;
        if negatives == 0 {
            0.0
        } else {
            self.fp as f64 / negatives as f64
        }
    }
}

/// The distinct predicted probabilities of one labelled data set with their positive and
/// negative rows, so the counts at any threshold take one binary search.
#[derive(Debug, Clone)]
pub struct Sweep {
    /// `(p, positive rows, negative rows)` per distinct probability, ascending (`NaN` left out).
    levels: Vec<(f64, usize, usize)>,
    /// `at_or_above[i]`: positive and negative rows of the levels `i..` (one more entry).
    at_or_above: Vec<(usize, usize)>,
    /// All positive / negative rows, including any with a `NaN` score (never predicted positive).
    n_positive: usize,
    n_negative: usize,
}

impl Sweep {
    /// Sorts the probabilities `sigmoid(scores[i])` of the rows by class.
    ///
    /// # Panics
    /// If `scores` and `positive` differ in length (a caller bug).
    pub fn new(scores: &[f64], positive: &[bool]) -> Sweep {
        assert_eq!(
            scores.len(),
            positive.len(),
            "threshold sweep: {} scores but {} labels",
            scores.len(),
            positive.len()
        );
        let mut rows: Vec<(f64, bool)> = scores
            .iter()
            .zip(positive)
            .map(|(&z, &is_positive)| (sigmoid(z), is_positive))
            .filter(|(p, _)| !p.is_nan())
            .collect();
        rows.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        let mut levels: Vec<(f64, usize, usize)> = Vec::new();
        for (p, is_positive) in rows {
            match levels.last_mut() {
                Some(last) if last.0 == p => {}
                _ => levels.push((p, 0, 0)),
            }
            if let Some(last) = levels.last_mut() {
                if is_positive {
                    last.1 += 1;
                } else {
                    last.2 += 1;
                }
            }
        }
        let n_positive = positive.iter().filter(|&&b| b).count();
        Sweep::from_levels(levels, n_positive, positive.len() - n_positive)
    }

    /// The sweep of rows already grouped: `levels` are the distinct probabilities (ascending,
    /// none `NaN`) with their positive and negative rows; `n_positive` and `n_negative` count
    /// every row, including any with a `NaN` probability.
    ///
    /// # Panics
    /// If the levels hold more rows of a class than its total (a caller bug).
    pub fn from_levels(
        levels: Vec<(f64, usize, usize)>,
        n_positive: usize,
        n_negative: usize,
    ) -> Sweep {
        let mut at_or_above = vec![(0, 0); levels.len() + 1];
        for (i, &(_, pos, neg)) in levels.iter().enumerate().rev() {
            let (a, b) = at_or_above[i + 1];
            at_or_above[i] = (a + pos, b + neg);
        }
        assert!(
            at_or_above[0].0 <= n_positive && at_or_above[0].1 <= n_negative,
            "threshold sweep: levels hold more rows than the totals"
        );
        Sweep {
            levels,
            at_or_above,
            n_positive,
            n_negative,
        }
    }

    /// Rows whose true class is positive.
    pub fn n_positive(&self) -> usize {
        self.n_positive
    }

    /// Rows whose true class is negative.
    pub fn n_negative(&self) -> usize {
        self.n_negative
    }

    /// The counts when the levels `i..` are predicted positive.
    fn counts_from(&self, i: usize) -> ConfusionCounts {
        let (tp, fp) = self.at_or_above[i];
        ConfusionCounts {
            tp,
            fp,
            tn: self.n_negative - fp,
            fn_: self.n_positive - tp,
        }
    }

    /// The confusion counts at `threshold`; equal to
    /// [`ConfusionCounts::at_threshold`] on the same rows.
    pub fn counts_at(&self, threshold: f64) -> ConfusionCounts {
        // A NaN threshold predicts nothing positive, as `p >= NaN` is false.
        let i = if threshold.is_nan() {
            self.levels.len()
        } else {
            self.levels.partition_point(|l| l.0 < threshold)
        };
        self.counts_from(i)
    }

    /// The point at `threshold`.
    pub fn at(&self, threshold: f64) -> ThresholdPoint {
        ThresholdPoint::new(threshold, self.counts_at(threshold))
    }

    /// One point per distinct predicted probability, the threshold being that probability, in
    /// **descending** threshold order (so recall never decreases along the list). These are all
    /// the distinct classifications a threshold in `(0, 1]` can make, except "nothing positive".
    pub fn cut_points(&self) -> Vec<ThresholdPoint> {
        (0..self.levels.len())
            .rev()
            .map(|i| ThresholdPoint::new(self.levels[i].0, self.counts_from(i)))
            .collect()
    }

    /// The points at the thresholds of `grid`, ascending.
    pub fn table(&self, grid: &Grid) -> Vec<ThresholdPoint> {
        match grid.thresholds() {
            Some(ts) => ts.into_iter().map(|t| self.at(t)).collect(),
            None => {
                let mut points = self.cut_points();
                points.reverse();
                points
            }
        }
    }

    /// The threshold chosen by `rule` over every cut point.
    pub fn pick(&self, rule: PickRule) -> Result<ThresholdPoint, PickError> {
        pick(&self.cut_points(), self.n_positive, self.n_negative, rule)
    }
}

/// `a_num / a_den` compared with `b_num / b_den` exactly (denominators > 0).
fn cmp_ratio(a_num: u128, a_den: u128, b_num: u128, b_den: u128) -> Ordering {
    (a_num * b_den).cmp(&(b_num * a_den))
}

/// F1 of `a` compared with F1 of `b`, exactly; `None` when either is undefined.
fn cmp_f1(a: &ThresholdPoint, b: &ThresholdPoint) -> Option<Ordering> {
    let den = |p: &ThresholdPoint| (2 * p.tp + p.fp + p.fn_) as u128;
    (den(a) > 0 && den(b) > 0)
        .then(|| cmp_ratio(2 * a.tp as u128, den(a), 2 * b.tp as u128, den(b)))
}

/// Youden's J of `a` compared with `b`, exactly: `tp/P - fp/N` orders as `tp N - fp P`.
fn cmp_youden(a: &ThresholdPoint, b: &ThresholdPoint, n_pos: usize, n_neg: usize) -> Ordering {
    let key = |p: &ThresholdPoint| p.tp as i128 * n_neg as i128 - p.fp as i128 * n_pos as i128;
    key(a).cmp(&key(b))
}

/// Precision of `a` compared with `b`, exactly (both defined).
fn cmp_precision(a: &ThresholdPoint, b: &ThresholdPoint) -> Ordering {
    cmp_ratio(
        a.tp as u128,
        (a.tp + a.fp) as u128,
        b.tp as u128,
        (b.tp + b.fp) as u128,
    )
}

/// Applies `rule` to `cuts` (in the descending order of [`Sweep::cut_points`]) of data with
/// `n_pos` positive and `n_neg` negative rows. See the module documentation for the rules.
pub fn pick(
    cuts: &[ThresholdPoint],
    n_pos: usize,
    n_neg: usize,
    rule: PickRule,
) -> Result<ThresholdPoint, PickError> {
    let fail = |why: String| PickError { rule, why };
    if n_pos == 0 {
        return Err(fail("the data has no positive rows".into()));
    }
    if n_neg == 0 && rule == PickRule::Youden {
        return Err(fail(
            "the data has no negative rows (specificity is undefined)".into(),
        ));
    }
    // Scanning in descending threshold order and replacing only on a strict improvement keeps
    // the highest threshold among equals; the constrained rules order by (objective, tie-break).
    let better = |candidate: &ThresholdPoint, best: &ThresholdPoint| -> bool {
        match rule {
            PickRule::F1 => cmp_f1(candidate, best) == Some(Ordering::Greater),
            PickRule::Youden => cmp_youden(candidate, best, n_pos, n_neg) == Ordering::Greater,
            PickRule::MinPrecision(_) => {
                (candidate.tp, cmp_precision(candidate, best)) > (best.tp, Ordering::Equal)
            }
            PickRule::MinRecall(_) => {
                (cmp_precision(candidate, best), candidate.tp) > (Ordering::Equal, best.tp)
            }
        }
    };
    let eligible = |p: &ThresholdPoint| match rule {
        PickRule::F1 => p.f1.is_some(),
        PickRule::Youden => p.youden_j.is_some(),
        PickRule::MinPrecision(x) => p.precision.is_some_and(|v| v >= x),
        PickRule::MinRecall(x) => p.precision.is_some() && p.recall.is_some_and(|v| v >= x),
    };
    let mut best: Option<&ThresholdPoint> = None;
    for p in cuts.iter().filter(|p| eligible(p)) {
        if best.is_none_or(|b| better(p, b)) {
            best = Some(p);
        }
    }
    best.copied().ok_or_else(|| match rule {
        PickRule::MinPrecision(x) => {
            let top = cuts.iter().filter(|p| p.precision.is_some()).max_by(|a, b| cmp_precision(a, b));
            fail(match top {
                Some(t) => format!(
                    "no threshold reaches precision >= {x}; the highest precision is {} (at threshold {})",
                    t.precision.unwrap_or(0.0),
                    t.threshold
                ),
                None => format!("no threshold reaches precision >= {x}"),
            })
        }
        // Recall reaches 1 at the lowest cut point, so this needs X > 1, which parsing refuses.
        PickRule::MinRecall(x) => fail(format!("no threshold reaches recall >= {x}")),
        _ => fail("the data has no rows with a finite score".into()),
    })
}

/// A rule for choosing a threshold (`--pick`, `--pick-threshold`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PickRule {
    /// Maximise F1.
    F1,
    /// Maximise Youden's J = recall + specificity - 1.
    Youden,
    /// Highest recall with precision >= X.
    MinPrecision(f64),
    /// Highest precision with recall >= X.
    MinRecall(f64),
}

/// The syntax of a rule, for messages.
pub const PICK_SYNTAX: &str = "f1, youden, precision>=X or recall>=X (X in [0, 1])";

impl FromStr for PickRule {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let bound = |name: &str, value: &str| -> Result<f64, String> {
            let x: f64 = value
                .trim()
                .parse()
                .map_err(|_| format!("{name}>=X needs a number X in [0, 1], found {value:?}"))?;
            if (0.0..=1.0).contains(&x) {
                Ok(x)
            } else {
                Err(format!("{name}>=X needs X in [0, 1], found {value}"))
            }
        };
        match s.to_ascii_lowercase().as_str() {
            "f1" => return Ok(PickRule::F1),
            "youden" | "youden_j" | "j" => return Ok(PickRule::Youden),
            _ => {}
        }
        if let Some((name, value)) = s.split_once(">=") {
            match name.trim().to_ascii_lowercase().as_str() {
                "precision" => return Ok(PickRule::MinPrecision(bound("precision", value)?)),
                "recall" => return Ok(PickRule::MinRecall(bound("recall", value)?)),
                _ => {}
            }
        }
        Err(format!("unknown rule {s:?}; expected {PICK_SYNTAX}"))
    }
}

impl fmt::Display for PickRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PickRule::F1 => f.write_str("f1"),
            PickRule::Youden => f.write_str("youden"),
            PickRule::MinPrecision(x) => write!(f, "precision>={x}"),
            PickRule::MinRecall(x) => write!(f, "recall>={x}"),
        }
    }
}

impl Serialize for PickRule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A rule that cannot be applied to the data, with the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct PickError {
    pub rule: PickRule,
    pub why: String,
}

impl fmt::Display for PickError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot pick a threshold by {}: {}", self.rule, self.why)
    }
}

impl std::error::Error for PickError {}

/// The thresholds of the `--thresholds` table (`--grid`).
#[derive(Debug, Clone, PartialEq)]
pub enum Grid {
    /// `step, 2 step, ...` below 1 (`--grid 0.05`, the default).
    Step(f64),
    /// Exactly these thresholds (`--grid 0.2,0.5,0.8`), sorted, without duplicates.
    List(Vec<f64>),
    /// Every distinct predicted probability (`--grid all`): the whole curve.
    All,
}

impl Default for Grid {
    fn default() -> Self {
        Grid::Step(DEFAULT_GRID_STEP)
    }
}

impl Grid {
    /// The thresholds, ascending; `None` for [`Grid::All`], whose thresholds come from the data.
    pub fn thresholds(&self) -> Option<Vec<f64>> {
        match self {
            Grid::Step(step) => {
                let mut ts = Vec::new();
                let mut k = 1u32;
                loop {
                    // Rounded to 12 decimals so 3 x 0.05 prints as 0.15, not 0.15000000000000002.
                    let t = (f64::from(k) * step * 1e12).round() / 1e12;
                    if t >= 1.0 - 1e-9 {
                        break;
                    }
                    ts.push(t);
                    k += 1;
                }
                Some(ts)
            }
            Grid::List(ts) => Some(ts.clone()),
            Grid::All => None,
        }
    }
}

impl FromStr for Grid {
    type Err = String;

    /// `all`, a step `S` in `[MIN_GRID_STEP, 0.5]`, or a comma-separated list of two to
    /// [`MAX_GRID_POINTS`] thresholds in `[0, 1]`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("all") {
            return Ok(Grid::All);
        }
        let number = |v: &str| -> Result<f64, String> {
            v.trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| format!("expected a number, found {:?}", v.trim()))
        };
        if !s.contains(',') {
            let step = number(s)?;
            if (MIN_GRID_STEP..=0.5).contains(&step) {
                return Ok(Grid::Step(step));
            }
            return Err(format!(
                "a grid step must be in [{MIN_GRID_STEP}, 0.5] (at most {} thresholds), found {s}; \
                 for every distinct predicted probability use --grid all, for explicit thresholds \
                 give two or more, comma separated",
                MAX_GRID_POINTS - 1
            ));
        }
        let n = s.split(',').count();
        if n > MAX_GRID_POINTS {
            return Err(format!(
                "a grid holds at most {MAX_GRID_POINTS} thresholds, found {n}; for every distinct \
                 predicted probability use --grid all"
            ));
        }
        let mut ts = s
            .split(',')
            .map(number)
            .collect::<Result<Vec<f64>, String>>()?;
        if let Some(bad) = ts.iter().find(|t| !(0.0..=1.0).contains(*t)) {
            return Err(format!("thresholds must be in [0, 1], found {bad}"));
        }
        ts.sort_by(f64::total_cmp);
        ts.dedup();
        Ok(Grid::List(ts))
    }
}

#[cfg(test)]
mod tests;

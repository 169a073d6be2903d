//! The per-row scorer shared by `predict` and `eval`: the model's columns resolved against an
//! input header once, then the linear scores of each record (from a parsed record, or from raw
//! byte fields on predict's fast path, with the same result to the last bit).
//!
//! A model has `n_scores` linear scores per row: one for a binary model, one per class
//! otherwise. Score `k` is `b_k + sum_j w_kj x_j`, summed in design order whatever `k`, so each
//! score is exactly what a binary model with that row of weights would give.

use std::collections::HashMap;

use crate::data::encode::{parse_number, trim_ascii, ColumnKind, ColumnSpec};
use crate::data::input::missing_columns;
use crate::data::missing::{Markers, MissingPolicy};
use crate::error::{DataError, DataErrorKind, Location, Result};
use crate::fit::network::Network;
use crate::model::FeatureScale;

/// A network model's scoring: the design row (built by the terms, whose weight positions are
/// then the design positions), standardised, through the network.
#[derive(Debug)]
struct NetworkScores {
    network: Network,
    mean: Vec<f64>,
    std: Vec<f64>,
}

impl NetworkScores {
    fn new(network: &Network, features: &[FeatureScale]) -> NetworkScores {
        NetworkScores {
            network: network.clone(),
            mean: features.iter().map(|f| f.mean).collect(),
            std: features.iter().map(|f| f.std).collect(),
        }
    }

    /// `(x - mean) / std` in place (the training scaler's expression), then the scores.
    fn scores(&self, design: &mut [f64], out: &mut [f64]) {
        for ((v, m), s) in design.iter_mut().zip(&self.mean).zip(&self.std) {
            *v = (*v - m) / s;
        }
        self.network.scores_into(design, out);
    }
}

/// One model column resolved against an input header: where to find it and where its weights
/// are in [`RowScorer::weights`].
#[derive(Debug)]
enum Term {
    /// The `n_scores` weights of the column at `weights[at..at + n_scores]`.
    Numeric {
        index: usize,
        at: usize,
        fill: Option<f64>,
    },
    /// Levels sorted, as stored in the model, so lookup is a binary search; level `i`'s
    /// weights at `weights[at + i * n_scores..][..n_scores]`.
    Categorical {
        index: usize,
        at: usize,
        levels: Vec<String>,
        fill: Option<usize>,
    },
}

impl Term {
    /// The input column this term reads.
    fn index(&self) -> usize {
        match self {
            Term::Numeric { index, .. } | Term::Categorical { index, .. } => *index,
        }
    }
}

/// `2^-550`: two factors of it scale a term by `2^-1100`, below any overflow (see
/// [`RowScorer::score`]).
const SCALE_DOWN: f64 = f64::from_bits((1023 - 550) << 52);
/// `2^550`, undoing one factor of [`SCALE_DOWN`].
const SCALE_UP: f64 = f64::from_bits((1023 + 550) << 52);

/// Computes the linear scores `z_k = b_k + sum_j w_kj x_j` of one CSV record, with the model's
/// columns located by name in this file's header once, up front (a hash map: headers may have
/// 100,000 columns). Missing cells take the model's fill values, or fail when the model has none.
#[derive(Debug)]
pub struct RowScorer {
    file: String,
    header: Vec<String>,
    terms: Vec<Term>,
    n_scores: usize,
    /// Weights in original units, design column by design column, `n_scores` per design
    /// column (the scores of one column side by side, for the inner loop).
    weights: Vec<f64>,
    intercepts: Vec<f64>,
    markers: Markers,
    /// The markers that parse as numbers, the only ones a parsed cell can be.
    numeric_markers: Vec<String>,
    policy: MissingPolicy,
    /// A network model's scoring (then `n_scores` is 1 and the weights unused: terms give
    /// design positions).
    network: Option<Box<NetworkScores>>,
}

impl RowScorer {
    /// A one-score scorer. `weights` are in original units, one per design column of
    /// `columns` in order. Fails listing every model column the header lacks.
    pub fn new(
        file: &str,
        header: &[String],
        columns: &[ColumnSpec],
        weights: &[f64],
        intercept: f64,
        markers: Markers,
        policy: MissingPolicy,
    ) -> Result<RowScorer> {
        RowScorer::with_header_line(
            file, 1, header, columns, weights, intercept, markers, policy,
        )
    }

    /// [`RowScorer::new`] for a header on physical line `header_line` (after blank lines).
    #[allow(clippy::too_many_arguments)]
    pub fn with_header_line(
        file: &str,
        header_line: u64,
        header: &[String],
        columns: &[ColumnSpec],
        weights: &[f64],
        intercept: f64,
        markers: Markers,
        policy: MissingPolicy,
    ) -> Result<RowScorer> {
        RowScorer::multi(
            file,
            header_line,
            header,
            columns,
            std::slice::from_ref(&weights.to_vec()),
            &[intercept],
            markers,
            policy,
        )
    }

    /// A scorer of `weights.len()` scores: `weights[k]` (one per design column) and
    /// `intercepts[k]` make score `k`. See [`crate::model::Model::scorer`].
    #[allow(clippy::too_many_arguments)]
    pub fn multi(
        file: &str,
        header_line: u64,
        header: &[String],
        columns: &[ColumnSpec],
        weights: &[Vec<f64>],
        intercepts: &[f64],
        markers: Markers,
        policy: MissingPolicy,
    ) -> Result<RowScorer> {
        let n_scores = intercepts.len();
        assert!(
            n_scores >= 1 && weights.len() == n_scores,
            "one weight row per score"
        );
        let position: HashMap<&str, usize> = header
            .iter()
            .enumerate()
            .map(|(i, h)| (h.as_str(), i))
            .collect();
        let missing: Vec<String> = columns
            .iter()
            .filter(|c| !position.contains_key(c.name.as_str()))
            .map(|c| c.name.clone())
            .collect();
        if !missing.is_empty() {
            return Err(missing_columns(file, header_line, header, missing).into());
        }
        let p: usize = columns.iter().map(ColumnSpec::width).sum();
        let mut interleaved = Vec::with_capacity(p * n_scores);
        for j in 0..p {
            interleaved.extend(weights.iter().map(|row| row[j]));
        }
        let mut terms = Vec::with_capacity(columns.len());
        let mut offset = 0;
        for column in columns {
            let index = position[column.name.as_str()];
            let at = offset * n_scores;
            terms.push(match &column.kind {
                ColumnKind::Numeric { fill } => Term::Numeric {
                    index,
                    at,
                    fill: *fill,
                },
                ColumnKind::Categorical { levels, fill } => Term::Categorical {
                    index,
                    at,
                    levels: levels.clone(),
                    fill: fill
                        .as_ref()
                        .and_then(|f| levels.iter().position(|l| l == f)),
                },
            });
            offset += column.width();
        }
        let numeric_markers = markers
            .values()
            .iter()
            .filter(|m| m.parse::<f64>().is_ok())
            .cloned()
            .collect();
        Ok(RowScorer {
            file: file.to_string(),
            header: header.to_vec(),
            terms,
            n_scores,
            weights: interleaved,
            intercepts: intercepts.to_vec(),
            markers,
            numeric_markers,
            policy,
            network: None,
        })
    }

    /// A scorer of a network model's scores: the design row of `columns` (standardised with
    /// `features`' mean and std) through `network`.
    #[allow(clippy::too_many_arguments)]
    pub fn network(
        file: &str,
        header_line: u64,
        header: &[String],
        columns: &[ColumnSpec],
        features: &[FeatureScale],
        network: &Network,
        markers: Markers,
        policy: MissingPolicy,
    ) -> Result<RowScorer> {
        let p = features.len();
        let mut scorer = RowScorer::multi(
            file,
            header_line,
            header,
            columns,
            &[vec![0.0; p]],
            &[0.0],
            markers,
            policy,
        )?;
        scorer.network = Some(Box::new(NetworkScores::new(network, features)));
        Ok(scorer)
    }

    /// Scores per row (the length of `score_into`'s output).
    pub fn n_scores(&self) -> usize {
        match &self.network {
            Some(n) => n.network.n_scores(),
            None => self.n_scores,
        }
    }

    /// A network model's scores of one record into `out`; a non-finite score is an error
    /// naming the columns with the largest standardised values.
    fn network_score_into(
        &self,
        net: &NetworkScores,
        record: &csv::StringRecord,
        line: u64,
        out: &mut [f64],
    ) -> Result<()> {
        let mut design = vec![0.0; net.mean.len()];
        for term in &self.terms {
            let (at, x) = self.term_value(term, record, line)?;
            design[at] = x;
        }
        let k = net.network.n_scores();
        net.scores(&mut design, &mut out[..k]);
        if out[..k].iter().all(|z| z.is_finite()) {
            return Ok(());
        }
        let largest = design.iter().map(|v| v.abs()).fold(0.0, f64::max);
        let mut columns: Vec<String> = Vec::new();
        for term in &self.terms {
            let (at, _) = self.term_value(term, record, line)?;
            let v = design[at].abs();
            let name = &self.header[term.index()];
            if (v >= largest / 16.0 || !v.is_finite()) && !columns.contains(name) {
                columns.push(name.clone());
            }
        }
        Err(DataError::new(
            Location::line(&self.file, line),
            DataErrorKind::ScoreOutOfRange { columns },
        )
        .into())
    }

    /// [`RowScorer::network_score_into`] from raw bytes, `false` for anything uncommon.
    fn network_bytes_into(&self, net: &NetworkScores, fields: &[&[u8]], out: &mut [f64]) -> bool {
        let mut design = vec![0.0; net.mean.len()];
        for term in &self.terms {
            let Some((at, x)) = self.term_bytes(term, fields) else {
                return false;
            };
            design[at] = x;
        }
        let k = net.network.n_scores();
        net.scores(&mut design, &mut out[..k]);
        out[..k].iter().all(|z| z.is_finite())
    }

    /// The linear score of one record that starts on physical line `line`, for a one-score
    /// (binary) scorer.
    ///
    /// Every cell is a finite number and every weight is finite, but the f64 sum can still
    /// overflow: a term such as `10 * 1e308`, or a partial sum such as `1e308 + 1e308`. Then the
    /// plain sum is `NaN` (`inf - inf`) or an infinity whose sign the summation order decided
    /// (`1e308 + 1e308 - 1e308 - 1e308` gives `+inf`; the exact score is 0). The rule: when the
    /// plain sum is not finite, it is recomputed with every term scaled by `2^-1100`, where no
    /// term or partial sum can overflow. If that sum is more than twice its rounding-error bound
    /// (`n eps sum|t_j|`, plus underflow) away from 0, its sign and size are the exact score's:
    /// scaled back, it is returned when it is a finite f64, and is otherwise an error (a score
    /// beyond f64's range is not a number we can print or trust, and nearly always comes from a
    /// sentinel or garbage value). Otherwise the terms cancel within rounding, the exact score
    /// could be anything, and the row is an error. Both errors name the columns with the
    /// largest terms. So a score is always finite, and a non-finite one never reaches output.
    pub fn score(&self, record: &csv::StringRecord, line: u64) -> Result<f64> {
        debug_assert_eq!(self.n_scores, 1, "score is the one-score form");
        if let Some(net) = &self.network {
            let mut z = [0.0];
            self.network_score_into(net, record, line, &mut z)?;
            return Ok(z[0]);
        }
        let mut z = self.intercepts[0];
        for term in &self.terms {
            let (at, x) = self.term_value(term, record, line)?;
            z += self.weights[at] * x;
        }
        if z.is_finite() {
            return Ok(z);
        }
        self.score_beyond_range(record, line, 0)
    }

    /// The `n_scores` linear scores of one record into `out`, each by [`RowScorer::score`]'s
    /// rule (an overflowing score is rescaled to its exact value, or the row is an error).
    pub fn score_into(&self, record: &csv::StringRecord, line: u64, out: &mut [f64]) -> Result<()> {
        if let Some(net) = &self.network {
            return self.network_score_into(net, record, line, out);
        }
        let n = self.n_scores;
        let out = &mut out[..n];
        out.copy_from_slice(&self.intercepts);
        for term in &self.terms {
            let (at, x) = self.term_value(term, record, line)?;
            for (z, w) in out.iter_mut().zip(&self.weights[at..at + n]) {
                *z += w * x;
            }
        }
        for (k, z) in out.iter_mut().enumerate() {
            if !z.is_finite() {
                *z = self.score_beyond_range(record, line, k)?;
            }
        }
        Ok(())
    }

    /// Where the weights of one term's value are, and the value (a categorical term's value
    /// is 1 for its level).
    fn term_value(
        &self,
        term: &Term,
        record: &csv::StringRecord,
        line: u64,
    ) -> Result<(usize, f64)> {
        match term {
            Term::Numeric { index, at, fill } => {
                let cell = &record[*index];
                let v = if self.markers.is_missing(cell) {
                    fill.ok_or_else(|| self.missing(line, *index, cell))?
                } else {
                    parse_number(cell).map_err(|k| self.at(line, *index, k))?
                };
                Ok((*at, v))
            }
            Term::Categorical {
                index,
                at,
                levels,
                fill,
            } => {
                let cell = &record[*index];
                let i = if self.markers.is_missing(cell) {
                    fill.ok_or_else(|| self.missing(line, *index, cell))?
                } else {
                    let level = cell.trim();
                    levels
                        .binary_search_by(|l| l.as_str().cmp(level))
                        .map_err(|_| {
                            let kind = DataErrorKind::UnseenCategory {
                                value: level.to_string(),
                                known: levels.clone(),
                            };
                            self.at(line, *index, kind)
                        })?
                };
                Ok((at + i * self.n_scores, 1.0))
            }
        }
    }

    /// The rescaled sum of [`RowScorer::score`]'s rule for score `k`, whose plain sum overflowed.
    fn score_beyond_range(&self, record: &csv::StringRecord, line: u64, k: usize) -> Result<f64> {
        let scaled = |w: f64, x: f64| {
            let t = w * x;
            if t.is_finite() {
                t * SCALE_DOWN * SCALE_DOWN
            } else {
                // |t| > f64::MAX forces |w| > 1 and |x| > 1: neither factor underflows.
                (w * SCALE_DOWN) * (x * SCALE_DOWN)
            }
        };
        let mut sum = scaled(self.intercepts[k], 1.0);
        let mut sum_abs = sum.abs();
        let mut sizes = Vec::with_capacity(self.terms.len());
        for term in &self.terms {
            let (at, x) = self.term_value(term, record, line)?;
            let t = scaled(self.weights[at + k], x);
            sum += t;
            sum_abs += t.abs();
            sizes.push((term.index(), t.abs()));
        }
        let n = (self.terms.len() + 1) as f64;
        let bound = n * (f64::EPSILON * sum_abs + 4.0 * f64::from_bits(1));
        let known_sign = sum.abs() > 2.0 * bound;
        let z = sum * SCALE_UP * SCALE_UP;
        if known_sign && z.is_finite() {
            return Ok(z);
        }
        let largest = sizes.iter().map(|s| s.1).fold(0.0, f64::max);
        let columns = sizes
            .iter()
            .filter(|s| s.1 > 0.0 && s.1 >= largest / 16.0)
            .map(|s| self.header[s.0].clone())
            .collect();
        let kind = if known_sign {
            DataErrorKind::ScoreOutOfRange { columns }
        } else {
            DataErrorKind::ScoreUndefined { columns }
        };
        Err(DataError::new(Location::line(&self.file, line), kind).into())
    }

    /// The score of a record given as raw byte fields (one-score scorer), or `None` when any
    /// cell needs more than the common case (a missing cell, text that is not a plain number,
    /// an unseen level, a sum that overflows): the caller then scores the record with
    /// [`RowScorer::score`], which fills, rescales or reports it. Numbers are parsed with
    /// `fast-float2`, which rounds correctly, and summed in the same order, so the score is the
    /// same to the last bit.
    pub fn score_bytes(&self, fields: &[&[u8]]) -> Option<f64> {
        debug_assert_eq!(self.n_scores, 1, "score_bytes is the one-score form");
        if let Some(net) = &self.network {
            let mut z = [0.0];
            return self.network_bytes_into(net, fields, &mut z).then_some(z[0]);
        }
        let mut z = self.intercepts[0];
        for term in &self.terms {
            let (at, x) = self.term_bytes(term, fields)?;
            z += self.weights[at] * x;
        }
        z.is_finite().then_some(z)
    }

    /// [`RowScorer::score_bytes`] for every score, into `out`; `false` where `score_bytes`
    /// gives `None` (then `out` is unspecified and [`RowScorer::score_into`] decides).
    pub fn score_bytes_into(&self, fields: &[&[u8]], out: &mut [f64]) -> bool {
        if let Some(net) = &self.network {
            return self.network_bytes_into(net, fields, out);
        }
        let n = self.n_scores;
        let out = &mut out[..n];
        out.copy_from_slice(&self.intercepts);
        for term in &self.terms {
            let Some((at, x)) = self.term_bytes(term, fields) else {
                return false;
            };
            for (z, w) in out.iter_mut().zip(&self.weights[at..at + n]) {
                *z += w * x;
            }
        }
        out.iter().all(|z| z.is_finite())
    }

    /// A term's weight position and value from raw bytes, or `None` for anything uncommon.
    #[inline(always)]
    fn term_bytes(&self, term: &Term, fields: &[&[u8]]) -> Option<(usize, f64)> {
        match term {
            Term::Numeric { index, at, .. } => {
                let cell = trim_ascii(fields.get(*index)?);
                // An empty cell or a marker like "NA" fails to parse; only a marker that
                // is itself a number (say "-999") needs comparing.
                let v: f64 = fast_float2::parse(cell).ok()?;
                if !v.is_finite() || self.numeric_markers.iter().any(|m| m.as_bytes() == cell) {
                    return None;
                }
                Some((*at, v))
            }
            Term::Categorical {
                index, at, levels, ..
            } => {
                let cell = trim_ascii(fields.get(*index)?);
                let level = std::str::from_utf8(cell).ok()?;
                if level.is_empty() || self.markers.values().iter().any(|m| m == level) {
                    return None;
                }
                let i = levels.binary_search_by(|l| l.as_str().cmp(level)).ok()?;
                Some((at + i * self.n_scores, 1.0))
            }
        }
    }

    fn missing(&self, line: u64, index: usize, cell: &str) -> DataError {
        let kind = DataErrorKind::MissingValue {
            found: cell.to_string(),
            hint: self.policy.scoring_hint().to_string(),
        };
        self.at(line, index, kind)
    }

    fn at(&self, line: u64, index: usize, kind: DataErrorKind) -> DataError {
        DataError::new(Location::cell(&self.file, line, &self.header[index]), kind)
    }
}

#[cfg(test)]
mod tests;

//! Scoring svmlight rows (`idx:value` pairs) with a model whose columns are all numeric
//! features named `f<idx>`: a model trained on svmlight data, or on a CSV with such columns.
//!
//! Score `k` is `b_k + sum_j w_kj x_j` over the row's nonzero pairs in index order, which for a
//! model trained on svmlight data is design order: so the score equals, to the last bit, what
//! [`super::scorer::RowScorer`] gives for the same row written as a CSV (the terms of zero cells
//! add nothing). A sum that overflows follows the same rule as there: rescaled to its exact
//! value, or an error naming the largest terms' features.
//!
//! An index the model has no feature for is an error naming the line and token, unless its
//! value is 0 (absent and 0 are the same in svmlight): a feature the model never saw cannot be
//! given a weight silently.

use crate::data::encode::ColumnKind;
use crate::data::svmlight::chunks::{lines, ChunkError};
use crate::data::svmlight::line::{feature_tokens, parse_line};
use crate::data::svmlight::{feature_index, feature_name};
use crate::error::{DataErrorKind, Error, Result};

use super::Model;

/// No design column for this index.
const NONE: u32 = u32::MAX;

/// See the module doc. Built once per input from the model.
#[derive(Debug)]
pub struct PairScorer {
    /// The design position of each 1-based index (`NONE` when the model lacks it).
    position: Vec<u32>,
    n_scores: usize,
    /// `n_scores` weights per design column, side by side (original units).
    weights: Vec<f64>,
    intercepts: Vec<f64>,
    /// A network model: its network and the features' mean and std (then `weights` and
    /// `intercepts` are unused, `n_scores` is the network's).
    network: Option<Box<(crate::fit::network::Network, Vec<f64>, Vec<f64>)>>,
}

/// An index of a row that the model has no feature for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownIndex(pub u32);

/// `2^-550` and `2^550`, as in [`super::scorer`].
const SCALE_DOWN: f64 = f64::from_bits((1023 - 550) << 52);
const SCALE_UP: f64 = f64::from_bits((1023 + 550) << 52);

impl PairScorer {
    /// The scorer of `model` for the svmlight input `file`; refuses a model with a column that
    /// is not a numeric `f<idx>` feature.
    pub fn new(model: &Model, file: &str) -> Result<PairScorer> {
        let mut position = Vec::new();
        for (j, column) in model.columns.iter().enumerate() {
            let index = match (&column.kind, feature_index(&column.name)) {
                (ColumnKind::Numeric { .. }, Some(index)) => index as usize,
                _ => {
                    let kind = match column.kind {
                        ColumnKind::Numeric { .. } => "numeric",
                        ColumnKind::Categorical { .. } => "categorical",
                    };
                    return Err(Error::Usage(format!(
                        "{file}: cannot score svmlight data with this model: its {kind} column \
                         {:?} is not a feature f<idx> (svmlight features are named f1, f2, \
                         ...); score a CSV with the model's columns instead",
                        column.name
                    )));
                }
            };
            if position.len() <= index {
                position.resize(index + 1, NONE);
            }
            // Every column of a model is one design column here (all numeric), so j is the
            // design position; names are unique in a model.
            position[index] = j as u32;
        }
        if let Some(network) = &model.network {
            return Ok(PairScorer {
                position,
                n_scores: network.n_scores(),
                weights: Vec::new(),
                intercepts: Vec::new(),
                network: Some(Box::new((
                    network.clone(),
                    model.features.iter().map(|f| f.mean).collect(),
                    model.features.iter().map(|f| f.std).collect(),
                ))),
            });
        }
        let n_scores = model.intercepts.len();
        let p = model.columns.len();
        let mut weights = Vec::with_capacity(p * n_scores);
        for j in 0..p {
            weights.extend(model.coefficients.iter().map(|row| row[j]));
        }
        Ok(PairScorer {
            position,
            n_scores,
            weights,
            intercepts: model.intercepts.clone(),
            network: None,
        })
    }

    pub fn n_scores(&self) -> usize {
        self.n_scores
    }

    /// The design position of 1-based `index`, or the index the model lacks.
    fn at(&self, index: u32) -> Result<usize, UnknownIndex> {
        let stride = if self.network.is_some() {
            1
        } else {
            self.n_scores
        };
        match self.position.get(index as usize) {
            Some(&j) if j != NONE => Ok(j as usize * stride),
            _ => Err(UnknownIndex(index)),
        }
    }

    /// Checks that the model has every index of `pairs` (sorted, nonzero values).
    pub fn check(&self, pairs: &[(u32, f64)]) -> Result<(), UnknownIndex> {
        pairs.iter().try_for_each(|&(i, _)| self.at(i).map(|_| ()))
    }

    /// The `n_scores` linear scores of the row `pairs` (checked by [`PairScorer::check`]) into
    /// `out`; an overflowing score is rescaled or refused (the caller adds the line).
    pub fn score_into(&self, pairs: &[(u32, f64)], out: &mut [f64]) -> Result<(), DataErrorKind> {
        let n = self.n_scores;
        if let Some(net) = &self.network {
            // The dense design row (absent = 0), standardised as in training, then the network.
            let (network, mean, std) = &**net;
            let mut design = vec![0.0; mean.len()];
            for &(index, x) in pairs {
                design[self.at(index).expect("checked by the caller")] = x;
            }
            for ((v, m), s) in design.iter_mut().zip(mean).zip(std) {
                *v = (*v - m) / s;
            }
            network.scores_into(&design, &mut out[..n]);
            if out[..n].iter().all(|z| z.is_finite()) {
                return Ok(());
            }
            let columns = pairs
                .iter()
                .filter(|(_, x)| !(x.abs() < 1e150))
                .map(|&(i, _)| feature_name(i))
                .collect();
            return Err(DataErrorKind::ScoreOutOfRange { columns });
        }
        let out = &mut out[..n];
        out.copy_from_slice(&self.intercepts);
        for &(index, x) in pairs {
            let at = self.at(index).expect("checked by the caller");
            for (z, w) in out.iter_mut().zip(&self.weights[at..at + n]) {
                *z += w * x;
            }
        }
        for (k, z) in out.iter_mut().enumerate() {
            if !z.is_finite() {
                *z = self.score_beyond_range(pairs, k)?;
            }
        }
        Ok(())
    }

    /// [`super::scorer::RowScorer`]'s rescaled sum for score `k` of a row whose plain sum
    /// overflowed.
    fn score_beyond_range(&self, pairs: &[(u32, f64)], k: usize) -> Result<f64, DataErrorKind> {
        let scaled = |w: f64, x: f64| {
            let t = w * x;
            if t.is_finite() {
                t * SCALE_DOWN * SCALE_DOWN
            } else {
                (w * SCALE_DOWN) * (x * SCALE_DOWN)
            }
        };
        let mut sum = scaled(self.intercepts[k], 1.0);
        let mut sum_abs = sum.abs();
        let mut sizes = Vec::with_capacity(pairs.len());
        for &(index, x) in pairs {
            let at = self.at(index).expect("checked by the caller");
            let t = scaled(self.weights[at + k], x);
            sum += t;
            sum_abs += t.abs();
            sizes.push((index, t.abs()));
        }
        // Zero cells count in the CSV scorer's term count; the bound only grows with it, and
        // the model's width is the row's width there.
        let n = (self.weights.len() / self.n_scores + 1) as f64;
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
            .map(|s| feature_name(s.0))
            .collect();
        Err(if known_sign {
            DataErrorKind::ScoreOutOfRange { columns }
        } else {
            DataErrorKind::ScoreUndefined { columns }
        })
    }

    /// Calls `each(line, label, pairs)` for every row of a chunk of svmlight lines (`line`
    /// 0-based within the chunk), once the model is known to have every index of the row.
    pub fn for_each_row(
        &self,
        chunk: &[u8],
        mut each: impl FnMut(u64, &str, &[(u32, f64)]) -> Result<(), DataErrorKind>,
    ) -> Result<(), ChunkError> {
        let mut pairs = Vec::new();
        let mut max_index = 0;
        lines(chunk, |line, at| {
            let label = parse_line(line, &mut pairs, &mut max_index).map_err(|e| {
                DataErrorKind::SvmlightToken {
                    token: e.token_text(),
                    problem: e.problem.to_string(),
                }
            })?;
            let Some(label) = label else {
                return Ok(());
            };
            if let Err(unknown) = self.check(&pairs) {
                // Its one token (an index given twice is refused by the parser).
                let token = feature_tokens(line, unknown.0).next().unwrap_or_default();
                return Err(self.unknown(unknown, &String::from_utf8_lossy(token)));
            }
            each(at, label, &pairs)
        })
    }

    /// The message for an index the model lacks (`token` is the row's token for it).
    pub fn unknown(&self, index: UnknownIndex, token: &str) -> DataErrorKind {
        let n = self.position.iter().filter(|&&j| j != NONE).count();
        let highest = self.position.len().saturating_sub(1);
        let known = if n == highest {
            format!("its features are f1 to f{highest}")
        } else {
            format!("it has {n} features f<idx>, the highest f{highest}")
        };
        DataErrorKind::SvmlightToken {
            token: token.to_string(),
            problem: format!(
                "the model has no feature {} ({known}); a nonzero value for a feature the \
                 model never saw cannot be scored",
                feature_name(index.0)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::encode::ColumnSpec;
    use crate::error::{DataError, Location};

    /// A binary model over features f1..f<p> with these weights (original units).
    fn model(weights: &[f64], intercept: f64) -> Model {
        let v1 = include_bytes!("../../tests/fixtures/v1/computers_v1.json");
        let mut model = Model::from_slice("computers_v1.json", v1).unwrap();
        model.columns = (1..=weights.len() as u32)
            .map(|i| ColumnSpec {
                name: feature_name(i),
                kind: ColumnKind::Numeric { fill: None },
            })
            .collect();
        model.coefficients = vec![weights.to_vec()];
        model.intercepts = vec![intercept];
        model
    }

    /// The CSV scorer's score of the same row written densely.
    fn csv_score(model: &Model, pairs: &[(u32, f64)]) -> Result<f64> {
        let p = model.columns.len();
        let header: Vec<String> = (1..=p as u32).map(feature_name).collect();
        let mut cells = vec!["0".to_string(); p];
        for &(i, v) in pairs {
            cells[i as usize - 1] = format!("{v:e}");
        }
        let scorer = model.scorer("d.csv", 1, &header)?;
        scorer.score(&csv::StringRecord::from(cells), 7)
    }

    fn pair_score(model: &Model, pairs: &[(u32, f64)]) -> Result<f64> {
        let scorer = PairScorer::new(model, "d.svm")?;
        scorer.check(pairs).unwrap();
        let mut z = [0.0];
        scorer
            .score_into(pairs, &mut z)
            .map_err(|kind| DataError::new(Location::line("d.svm", 7), kind))?;
        Ok(z[0])
    }

    #[test]
    fn scores_equal_the_csv_scorer_on_the_same_row_to_the_last_bit() {
        let m = model(&[0.1, -2.5, 1e-3, 7.0, 0.3333], -0.7);
        for pairs in [
            vec![],
            vec![(1, 0.5), (4, 3.25)],
            vec![(1, 1.1), (2, -0.2), (3, 123.456), (4, 1e-7), (5, 9.0)],
        ] {
            let z = pair_score(&m, &pairs).unwrap();
            assert_eq!(
                z.to_bits(),
                csv_score(&m, &pairs).unwrap().to_bits(),
                "{pairs:?}"
            );
        }
        // Overflowing sums: rescaled to the same value, or refused alike.
        let m = model(&[1.0, 1.0, 1.0, 10.0, 10.0], 0.0);
        let pairs = [(1, 1e308), (2, 1e308), (3, -1.5e308)];
        assert_eq!(
            pair_score(&m, &pairs).unwrap(),
            csv_score(&m, &pairs).unwrap()
        );
        let pairs = [(4, 1e308), (5, -1e308)];
        let (a, b) = (pair_score(&m, &pairs), csv_score(&m, &pairs));
        let a = a.unwrap_err().to_string();
        assert_eq!(
            a.replace("d.svm", "d.csv"),
            b.unwrap_err().to_string(),
            "the same message but for the file"
        );
        assert!(
            a.starts_with(
                "d.svm: line 7: the linear score is undefined: the terms of \"f4\", \"f5\""
            ),
            "{a}"
        );
    }

    #[test]
    fn an_index_the_model_lacks_is_refused_and_other_models_are_refused_whole() {
        let m = model(&[1.0, 2.0], 0.0);
        let scorer = PairScorer::new(&m, "d.svm").unwrap();
        assert_eq!(scorer.check(&[(1, 1.0), (3, 1.0)]), Err(UnknownIndex(3)));
        assert_eq!(
            scorer.unknown(UnknownIndex(3), "3:1").to_string(),
            "token \"3:1\": the model has no feature f3 (its features are f1 to f2); a nonzero \
             value for a feature the model never saw cannot be scored"
        );
        let v1 = include_bytes!("../../tests/fixtures/v1/computers_v1.json");
        let computers = Model::from_slice("computers_v1.json", v1).unwrap();
        let err = PairScorer::new(&computers, "d.svm")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("d.svm: cannot score svmlight data with this model: its"),
            "{err}"
        );
        assert!(err.contains("is not a feature f<idx>"), "{err}");
    }
}

//! What `train` warns about: separation, non-convergence and coefficients that the data do not
//! determine (too few rows, constant or duplicate columns, one-hot blocks beside the
//! intercept). Never silent: each is a warning line on stderr, and the fit reports are in the
//! model. Only rows with a weight > 0 take part in the fit, so only they are examined.

use ndarray::{ArrayView1, ArrayView2, Axis};

use super::fit::{Fitted, FittedKind};
use super::sparse_checks::{self, Degenerate};
use super::{Multiclass, TrainConfig};
use crate::data::design::{Matrix, Scaler};
use crate::data::encode::{ColumnKind, SampleWeights, TrainingData};
use crate::fit::solvers::separation::{self, SingleFeatureSeparation};
use crate::fit::solvers::StopReason;

/// A feature that alone separates a class from the others (binary: `class` is `None`).
#[derive(Debug, Clone)]
pub struct Separating {
    pub class: Option<usize>,
    pub separation: SingleFeatureSeparation,
}

/// The rows with s_i > 0 when some have weight 0, else `None` (use all rows).
fn active_rows(weights: &SampleWeights) -> Option<Vec<usize>> {
    let s = weights.s.as_ref().filter(|_| weights.n_zero_weight > 0)?;
    Some((0..s.len()).filter(|&i| s[i] > 0.0).collect())
}

/// Single features that separate the classes (binary) or a class from the rest (multiclass:
/// then the multinomial and every OvR estimate fail to exist as well), on the raw columns, so
/// that the warning shows values in the data's own units. Called only with `--l2 0 --l1 0`.
pub fn separation_before_fit(
    config: &TrainConfig,
    data: &TrainingData,
    weights: &SampleWeights,
    multiclass: Option<Multiclass>,
) -> Vec<Separating> {
    let active = active_rows(weights);
    let classes: Vec<Option<usize>> = match multiclass {
        None => vec![None],
        Some(_) => (0..data.classes.len()).map(Some).collect(),
    };
    let intercept = config.fit_intercept;
    let found = |class: Option<usize>, found: Vec<SingleFeatureSeparation>| {
        found
            .into_iter()
            .map(move |separation| Separating { class, separation })
    };
    match &data.x {
        Matrix::Dense(x) => {
            let copy = active
                .as_ref()
                .map(|keep| (x.select(Axis(0), keep), data.y.select(Axis(0), keep)));
            let (x, y): (ArrayView2<f64>, ArrayView1<f64>) = match &copy {
                Some((x, y)) => (x.view(), y.view()),
                None => (x.view(), data.y.view()),
            };
            classes
                .into_iter()
                .flat_map(|class| {
                    let separations = match class {
                        None => separation::single_feature_separation(x, y, intercept),
                        Some(c) => {
                            let y_c = y.mapv(|v| f64::from(u8::from(v == c as f64)));
                            separation::single_feature_separation(x, y_c.view(), intercept)
                        }
                    };
                    found(class, separations)
                })
                .collect()
        }
        Matrix::Cached(m) => classes
            .into_iter()
            .flat_map(|class| {
                let positive = |i: usize| match class {
                    None => data.y[i] > 0.5,
                    Some(c) => data.y[i] == c as f64,
                };
                found(
                    class,
                    super::cache_checks::separation(m, active.as_deref(), positive, intercept),
                )
            })
            .collect(),
        Matrix::Sparse(m) => classes
            .into_iter()
            .flat_map(|class| {
                let positive = |i: usize| match class {
                    None => data.y[i] > 0.5,
                    Some(c) => data.y[i] == c as f64,
                };
                found(
                    class,
                    sparse_checks::separation(m, active.as_deref(), positive, intercept),
                )
            })
            .collect(),
    }
}

/// Warnings about the fits: separation, non-convergence, identifiability.
pub fn fit_warnings(
    config: &TrainConfig,
    data: &TrainingData,
    weights: &SampleWeights,
    scaler: &Scaler,
    separating: &[Separating],
    fitted: &Fitted,
) -> Vec<String> {
    let mut warnings = Vec::new();
    // Any penalty gives a finite optimum (with --l1 the lasso's, which is unique in its
    // predictions even where the coefficients are not): no separation to warn about.
    if config.l2 == 0.0 && config.l1 == 0.0 {
        warnings.extend(separation_warning(data, separating, fitted));
    }
    if config.l2 == 0.0 {
        // A pure lasso is not unique on identical columns or all-level one-hot blocks either
        // (an equal split of their effect has the same L1 norm); the elastic net is.
        warnings.extend(identifiability_warnings(
            config, data, weights, scaler, fitted,
        ));
    }
    for (k, fit) in fitted.fits.iter().enumerate() {
        let r = &fit.report;
        if r.converged || r.stop_reason == StopReason::Separation {
            continue;
        }
        let which = match fitted.kind {
            FittedKind::Ovr => format!(" (fit of class {:?} against the rest)", data.classes[k]),
            FittedKind::Multinomial => " (multinomial fit)".to_string(),
            FittedKind::Binary => String::new(),
        };
        let advice = if config.l1 > 0.0 {
            // cd is the one solver that fits an L1 term.
            "try a larger --max-iter or --tol"
        } else {
            "try --max-iter, another --solver, or --l2 > 0"
        };
        warnings.push(format!(
            "the {} solver did not converge{which} ({}): after {} iterations the gradient norm is {:.3e} > tol {:.1e}; \
             {advice}",
            r.solver,
            match r.stop_reason {
                StopReason::MaxIterations => "iteration limit reached",
                StopReason::LineSearchFailed => "line search failed",
                _ => "stopped early",
            },
            r.iterations,
            r.gradient_norm,
            r.tol
        ));
    }
    warnings
}

fn separation_warning(
    data: &TrainingData,
    separating: &[Separating],
    fitted: &Fitted,
) -> Option<String> {
    // The first few, with a count of the rest (rare one-hot levels can be many).
    const SHOWN: usize = 5;
    let mut described: Vec<String> = separating
        .iter()
        .take(SHOWN)
        .map(|s| {
            let name = format!(
                "{:?}",
                crate::evaluate::report::display_name(&data.feature_names[s.separation.feature])
            );
            let (positive, negative) = match (s.class, &data.labels) {
                (None, Some(labels)) => (labels.positive.clone(), labels.negative.clone()),
                (Some(c), _) => (data.classes[c].clone(), format!("not {}", data.classes[c])),
                (None, None) => unreachable!("binary separations come with labels"),
            };
            let what = match s.class {
                None => "the classes".to_string(),
                Some(c) => format!("class {:?} from the others", data.classes[c]),
            };
            format!(
                "feature {name} alone separates {what} {}({})",
                if s.separation.complete() {
                    ""
                } else {
                    "quasi-completely "
                },
                s.separation.describe(&name, &positive, &negative)
            )
        })
        .collect();
    if separating.len() > SHOWN {
        described.push(format!(
            "and {} more features alone",
            separating.len() - SHOWN
        ));
    }
    if !described.is_empty() {
        let kind = if separating.iter().any(|s| s.separation.complete()) {
            "complete separation"
        } else {
            "quasi-complete separation"
        };
        return Some(format!(
            "{kind}: {}, so the unpenalised maximum-likelihood estimate does not exist \
             (coefficients grow without bound); use --l2 > 0 or drop the feature",
            described.join("; ")
        ));
    }
    fitted
        .fits
        .iter()
        .any(|f| f.report.stop_reason == StopReason::Separation)
        .then(|| {
            "separation: the classes are (quasi-)perfectly separated by a combination of features, \
             so the unpenalised maximum-likelihood estimate does not exist; the model's coefficients \
             are not meaningful; use --l2 > 0"
                .to_string()
        })
}

/// Reasons the unpenalised coefficients are not uniquely determined (the fit still runs; the
/// predictions are fine, individual coefficients are not interpretable). `data.x` is the
/// design matrix as fitted (a sparse one with the centring `scaler.mean / scaler.std` held
/// apart, see [`sparse_checks::degenerate_columns`]).
fn identifiability_warnings(
    config: &TrainConfig,
    data: &TrainingData,
    weights: &SampleWeights,
    scaler: &Scaler,
    fitted: &Fitted,
) -> Vec<String> {
    let mut warnings = Vec::new();
    let active = active_rows(weights);
    let n = active.as_ref().map_or(data.y.len(), Vec::len);
    let p = data.feature_names.len();
    let lasso = config.l1 > 0.0;
    let with = if lasso {
        "with --l1 and --l2 0 (a pure lasso)"
    } else {
        "with --l2 0"
    };
    // Identified parameters: the multinomial's K x (p + 1) have K - 1 free rows.
    let per_fit = p + usize::from(config.fit_intercept);
    let n_params = match fitted.kind {
        FittedKind::Multinomial => (data.classes.len() - 1) * per_fit,
        FittedKind::Binary | FittedKind::Ovr => per_fit,
    };
    // The lasso is made for more parameters than rows (at most n are non-zero).
    if n_params > n && !lasso {
        warnings.push(format!(
            "ill-posed: {n_params} parameters but only {n} rows{}, so the coefficients are not unique with --l2 0; use --l2 > 0",
            if active.is_some() { " of weight > 0" } else { "" }
        ));
    }
    if n == 0 {
        return warnings;
    }
    let degenerate = match &data.x {
        Matrix::Dense(x) => match &active {
            Some(keep) => dense_degenerate(x.select(Axis(0), keep).view()),
            None => dense_degenerate(x.view()),
        },
        Matrix::Sparse(m) => {
            let shift: Vec<f64> = scaler
                .mean
                .iter()
                .zip(&scaler.std)
                .map(|(m, s)| m / s)
                .collect();
            sparse_checks::degenerate_columns(m, &shift, active.as_deref())
        }
        Matrix::Cached(m) => super::cache_checks::degenerate(m, scaler, active.as_deref()),
    };
    let constant: Vec<String> = degenerate
        .constant
        .iter()
        .map(|&j| format!("{:?}", data.feature_names[j]))
        .collect();
    let duplicates: Vec<String> = degenerate
        .duplicates
        .iter()
        .map(|&(j, i)| format!("{:?} = {:?}", data.feature_names[j], data.feature_names[i]))
        .collect();
    if !constant.is_empty() {
        warnings.push(format!(
            "constant feature(s) {}{}: no information about the label; the coefficient stays 0",
            constant.join(", "),
            if active.is_some() {
                " on the rows of weight > 0"
            } else {
                ""
            }
        ));
    }
    if !duplicates.is_empty() {
        warnings.push(format!(
            "ill-posed: feature columns identical{} ({}); {with} only a combination of their coefficients is determined",
            if config.standardize { " after standardisation" } else { "" },
            duplicates.join(", ")
        ));
    }
    if config.fit_intercept {
        let all_levels: Vec<String> = data
            .columns
            .iter()
            .filter(|c| matches!(c.kind, ColumnKind::Categorical { .. }))
            .map(|c| format!("{:?}", c.name))
            .collect();
        if !all_levels.is_empty() {
            let why = if lasso {
                "are not unique (splits of their effect that differ have the same L1 norm)"
            } else {
                "are determined only up to a shared constant"
            };
            warnings.push(format!(
                "one-hot column(s) {} encode every level alongside the intercept, so {with} their \
                 coefficients {why} (predictions are unaffected); use --l2 > 0 for unique coefficients",
                all_levels.join(", ")
            ));
        }
    }
    warnings
}

/// Constant and identical columns of a dense design (bits compared, `-0` as `+0`); grouped by
/// a hash of their bits, then confirmed equal, without copying the data. The constancy flags
/// and the hashes come from one pass over the rows in memory order (a column-by-column walk
/// of a row-major matrix with SipHash cost about a second on 1e6 x 50); any hash gives the same
/// groups of equal columns, so the result does not depend on which.
fn dense_degenerate(x: ArrayView2<f64>) -> Degenerate {
    let (n, p) = x.dim();
    let bits = |j: usize| x.column(j).into_iter().map(|v| (v + 0.0).to_bits());
    let mut degenerate = Degenerate {
        n,
        ..Degenerate::default()
    };
    if n == 0 {
        return degenerate;
    }
    let first: Vec<u64> = x.row(0).iter().map(|v| (v + 0.0).to_bits()).collect();
    let mut constant = vec![true; p];
    let mut hashes = vec![0u64; p];
    for row in x.rows() {
        for (((&v, h), c), &f) in row.iter().zip(&mut hashes).zip(&mut constant).zip(&first) {
            let b = (v + 0.0).to_bits();
            *c &= b == f;
            // FxHash's step: a rotate, an xor and a multiply per value.
            *h = (h.rotate_left(5) ^ b).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    let mut by_hash: std::collections::HashMap<u64, Vec<usize>> = std::collections::HashMap::new();
    for (j, (&is_constant, &hash)) in constant.iter().zip(&hashes).enumerate() {
        if is_constant {
            degenerate.constant.push(j);
            continue;
        }
        let group = by_hash.entry(hash).or_default();
        match group.iter().find(|&&i| bits(i).eq(bits(j))) {
            Some(&i) => degenerate.duplicates.push((j, i)),
            None => group.push(j),
        }
    }
    degenerate
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn degenerate_columns_found_in_one_pass() {
        // 0: varies; 1: constant (-0 counts as +0); 2 = 0; 3 distinct; 4 = 3 (a -0 for a +0);
        // 5 = 0 again (first equal column is reported).
        let x = array![
            [1.0, 0.0, 1.0, 0.0, 0.0, 1.0],
            [2.0, -0.0, 2.0, 5.0, 5.0, 2.0],
            [3.0, 0.0, 3.0, -1.0, -1.0, 3.0],
        ];
        let mut x4 = x.clone();
        x4[[0, 4]] = -0.0;
        let d = dense_degenerate(x4.view());
        assert_eq!(d.n, 3);
        assert_eq!(d.constant, vec![1]);
        assert_eq!(d.duplicates, vec![(2, 0), (4, 3), (5, 0)]);
        let none = dense_degenerate(array![[1.0, 2.0], [3.0, 4.0]].view());
        assert!(none.constant.is_empty() && none.duplicates.is_empty());
    }
}

//! [`Model::check`]: what a model must satisfy however it was made (read from any file
//! version, or built by `train`): shapes that agree (K classes, n_scores x p coefficients),
//! finite numbers, the two scales describing one model, counts that add up. Each message names
//! the field, in the file's own terms (`features[2]` in a binary file, `coefficients[1][2]` in
//! a multiclass one).

use std::collections::HashSet;

use super::{LossFamily, Model, ModelKind};
use crate::data::encode::{ColumnKind, ColumnSpec};
use crate::error::{Error, Result};
use crate::fit::solvers::{FitReport, SolverKind, StopReason};

/// Relative tolerance of the back-transformation checks: `to_original` rounds once per
/// coefficient and once per term of the intercept's sum, far below this.
const ALGEBRA_RTOL: f64 = 1e-9;

/// `a` and `b` agree to [`ALGEBRA_RTOL`] of `scale` (plus the smallest normal number, so
/// subnormal coefficients that lost digits still pass).
fn close(a: f64, b: f64, scale: f64) -> bool {
    (a - b).abs() <= ALGEBRA_RTOL * scale + f64::MIN_POSITIVE
}

impl Model {
    /// Internal consistency: shapes, finite numbers, a usable threshold, agreeing scales and
    /// counts. `path` names the model in the error.
    pub(super) fn check(&self, path: &str) -> Result<()> {
        let bad = |message: String| Error::Model {
            path: path.to_string(),
            message,
        };
        let damaged = |message: String| bad(format!("damaged model file: {message}"));
        self.check_classes().map_err(damaged)?;
        match &self.network {
            Some(network) => super::network::check(self, network).map_err(damaged)?,
            None => self.check_shapes().map_err(damaged)?,
        }
        self.check_columns().map_err(damaged)?;
        self.check_finite().map_err(bad)?;
        if let ModelKind::Binary { labels, threshold } = &self.kind {
            if !(0.0..=1.0).contains(threshold) {
                return Err(bad(format!("threshold {threshold} is outside [0, 1]")));
            }
            if labels.positive == labels.negative {
                return Err(bad("the positive and negative labels are the same".into()));
            }
            let mut expected = [&labels.negative, &labels.positive];
            expected.sort();
            let mut found: Vec<&String> = self.classes.iter().collect();
            found.sort();
            if found != expected {
                return Err(damaged(format!(
                    "classes {:?} are not the labels {:?} and {:?}",
                    self.classes, labels.positive, labels.negative
                )));
            }
        }
        if !(self.objective.l2.is_finite() && self.objective.l2 >= 0.0) {
            return Err(bad(format!(
                "l2 {} is not a finite number >= 0",
                self.objective.l2
            )));
        }
        if !(self.objective.l1.is_finite() && self.objective.l1 >= 0.0) {
            return Err(bad(format!(
                "l1 {} is not a finite number >= 0",
                self.objective.l1
            )));
        }
        for fit in std::iter::once(&self.fit).chain(&self.fits) {
            if !fit.objective.is_finite() || !fit.gradient_norm.is_finite() {
                return Err(bad("the fit report has non-finite numbers".into()));
            }
        }
        self.consistency().map_err(damaged)?;
        if let Some(inference) = &self.inference {
            // Binary and multinomial models store the statistics of their own likelihood
            // (multinomial: blocks per non-reference class); one-vs-rest has none of its own.
            if self.kind != ModelKind::Ovr {
                let names: Vec<&str> = self.features.iter().map(|f| f.name.as_str()).collect();
                inference
                    .check(&names, self.objective.fit_intercept)
                    .and_then(|()| {
                        inference.check_classes(&self.classes, self.kind == ModelKind::Multinomial)
                    })
                    .map_err(damaged)?;
            }
        }
        Ok(())
    }

    /// At least two classes, distinct and non-empty; the objective's family and weights
    /// match the kind.
    fn check_classes(&self) -> std::result::Result<(), String> {
        let k = self.classes.len();
        if k < 2 {
            return Err(format!(
                "classes lists {k} label(s); a model needs at least 2"
            ));
        }
        let mut seen = HashSet::new();
        for c in &self.classes {
            if !seen.insert(c.as_str()) {
                return Err(format!("class {c:?} is listed twice in classes"));
            }
        }
        if self.is_binary() && k != 2 {
            return Err(format!("a binary model has 2 classes, not {k}"));
        }
        let family = match self.kind {
            ModelKind::Multinomial => LossFamily::Multinomial,
            ModelKind::Binary { .. } | ModelKind::Ovr => LossFamily::Binomial,
        };
        if self.objective.family != family {
            let name = |f: LossFamily| match f {
                LossFamily::Binomial => "binomial",
                LossFamily::Multinomial => "multinomial",
            };
            return Err(format!(
                "objective.family is {:?} but a {} model is fitted with the {} loss",
                name(self.objective.family),
                self.kind_name(),
                name(family)
            ));
        }
        if let Some(cw) = &self.objective.class_weight {
            if cw.weights.len() != k {
                return Err(format!(
                    "objective.class_weight.weights has {} entries for {k} classes",
                    cw.weights.len()
                ));
            }
            if let Some(w) = cw.weights.iter().find(|w| !(w.is_finite() && **w >= 0.0)) {
                return Err(format!(
                    "objective.class_weight.weights holds {w}, not a finite number >= 0"
                ));
            }
        }
        if let Some(w) = &self.objective.weight {
            if *w == self.target || self.columns.iter().any(|c| c.name == *w) {
                return Err(format!(
                    "the weight column {w:?} is also the target or a feature"
                ));
            }
        }
        Ok(())
    }

    /// `n_scores` rows of `p` coefficients in both scales, `n_scores` intercepts, and for
    /// one-vs-rest one fit report per class that `fit` aggregates.
    fn check_shapes(&self) -> std::result::Result<(), String> {
        let (s, p) = (self.n_scores(), self.features.len());
        for (what, rows) in [
            ("coefficients", &self.coefficients),
            ("coefficients_standardized", &self.coefficients_standardized),
        ] {
            if rows.len() != s {
                return Err(format!(
                    "{what} has {} rows but the model has {s} score(s), one per class",
                    rows.len()
                ));
            }
            if let Some((k, row)) = rows.iter().enumerate().find(|(_, r)| r.len() != p) {
                return Err(format!(
                    "{what}[{k}] has {} entries but the model has {p} features",
                    row.len()
                ));
            }
        }
        for (what, v) in [
            ("intercepts", &self.intercepts),
            ("intercepts_standardized", &self.intercepts_standardized),
        ] {
            if v.len() != s {
                return Err(format!(
                    "{what} has {} entries but the model has {s} score(s)",
                    v.len()
                ));
            }
        }
        let expected_fits = if self.kind == ModelKind::Ovr { s } else { 0 };
        if self.fits.len() != expected_fits {
            return Err(format!(
                "fits holds {} per-class fit reports for a {} model of {} classes (expected {expected_fits})",
                self.fits.len(),
                self.kind_name(),
                self.n_classes()
            ));
        }
        if !self.fits.is_empty() && self.fit != super::ovr_fit_report(&self.fits) {
            return Err("fit is not the aggregate of the per-class fits".into());
        }
        Ok(())
    }

    /// Columns expand to the features, by name; categorical levels sorted and distinct.
    fn check_columns(&self) -> std::result::Result<(), String> {
        let width: usize = self.columns.iter().map(ColumnSpec::width).sum();
        if width != self.features.len() {
            return Err(format!(
                "its columns expand to {width} features but it has {} coefficients",
                self.features.len()
            ));
        }
        let mut offset = 0;
        for column in &self.columns {
            let expected = column.design_names();
            let names: Vec<&str> = self.features[offset..offset + expected.len()]
                .iter()
                .map(|f| f.name.as_str())
                .collect();
            if names != expected {
                return Err(format!(
                    "features {names:?} do not match column {:?}",
                    column.name
                ));
            }
            match &column.kind {
                ColumnKind::Categorical { levels, fill } => {
                    if levels.is_empty() || !levels.windows(2).all(|w| w[0] < w[1]) {
                        return Err(format!(
                            "levels of column {:?} must be sorted and distinct",
                            column.name
                        ));
                    }
                    if fill.as_ref().is_some_and(|f| !levels.contains(f)) {
                        return Err(format!(
                            "the fill level of column {:?} is not one of its levels",
                            column.name
                        ));
                    }
                }
                ColumnKind::Numeric { fill } => {
                    if fill.is_some_and(|f| !f.is_finite()) {
                        return Err(format!(
                            "the fill value of column {:?} is not finite",
                            column.name
                        ));
                    }
                }
            }
            offset += expected.len();
        }
        Ok(())
    }

    /// Where score `k`'s coefficient on feature `j` is in the file.
    fn coefficient_at(&self, k: usize, j: usize) -> String {
        let name = &self.features[j].name;
        if self.is_binary() {
            format!("features[{j}] ({name:?})")
        } else {
            format!(
                "coefficients[{k}][{j}] (class {:?}, feature {name:?})",
                self.classes[k]
            )
        }
    }

    /// Finite statistics, coefficients and intercepts; positive standard deviations.
    fn check_finite(&self) -> std::result::Result<(), String> {
        // A network's weights are checked with its shape (model::network).
        let binary = self.is_binary() && self.network.is_none();
        for (j, f) in self.features.iter().enumerate() {
            let mut values = vec![("mean", f.mean), ("std", f.std)];
            if binary {
                values.push(("coefficient", self.coefficients[0][j]));
                values.push((
                    "coefficient_standardized",
                    self.coefficients_standardized[0][j],
                ));
            }
            for (what, v) in values {
                if !v.is_finite() {
                    return Err(format!(
                        "feature {:?} has a non-finite {what} ({v})",
                        f.name
                    ));
                }
            }
            if f.std <= 0.0 {
                return Err(format!(
                    "feature {:?} has a non-positive std ({})",
                    f.name, f.std
                ));
            }
        }
        if binary {
            if !self.intercepts[0].is_finite() || !self.intercepts_standardized[0].is_finite() {
                return Err("the intercept is not a finite number".into());
            }
            return Ok(());
        }
        for (what, rows) in [
            ("", &self.coefficients),
            (" (standardised)", &self.coefficients_standardized),
        ] {
            for (k, row) in rows.iter().enumerate() {
                if let Some(j) = row.iter().position(|v| !v.is_finite()) {
                    return Err(format!(
                        "{}{what} is not a finite number ({})",
                        self.coefficient_at(k, j),
                        row[j]
                    ));
                }
            }
        }
        for (what, v) in [
            ("intercepts", &self.intercepts),
            ("intercepts_standardized", &self.intercepts_standardized),
        ] {
            if let Some(k) = v.iter().position(|b| !b.is_finite()) {
                return Err(format!(
                    "{what}[{k}] (class {:?}) is not a finite number ({})",
                    self.classes[k], v[k]
                ));
            }
        }
        Ok(())
    }

    /// What a damaged or hand-edited file can break beyond types and finiteness: the two scales
    /// of the coefficients and the intercepts must be the same model (`w_j std_j = w'_j`,
    /// `b = b' - sum_j w_j mean_j`, see `Scaler::to_original`), the class counts must add up,
    /// and names must be unique. Each message names the field.
    fn consistency(&self) -> std::result::Result<(), String> {
        self.count_consistency()?;
        let mut names = HashSet::new();
        for column in &self.columns {
            if column.name == self.target {
                return Err(format!(
                    "the target {:?} is also listed in columns",
                    self.target
                ));
            }
            if !names.insert(column.name.as_str()) {
                return Err(format!(
                    "column {:?} is listed twice in columns",
                    column.name
                ));
            }
        }
        let (standardize, intercept) = (self.objective.standardize, self.objective.fit_intercept);
        for (j, f) in self.features.iter().enumerate() {
            let at = format!("features[{j}] ({:?})", f.name);
            if !standardize && (f.mean != 0.0 || f.std != 1.0) {
                return Err(format!(
                    "{at}: mean {} and std {} must be 0 and 1, as objective.standardize is false",
                    f.mean, f.std
                ));
            }
            if !intercept && f.mean != 0.0 {
                return Err(format!(
                    "{at}: mean {} must be 0, as objective.fit_intercept is false (no centring)",
                    f.mean
                ));
            }
        }
        let binary = self.is_binary();
        let linear_scores = if self.network.is_some() {
            0
        } else {
            self.n_scores()
        };
        for k in 0..linear_scores {
            let (b, b_std) = (self.intercepts[k], self.intercepts_standardized[k]);
            let (intercept_name, std_name) = if binary {
                (
                    "intercept".to_string(),
                    "intercept_standardized".to_string(),
                )
            } else {
                (
                    format!("intercepts[{k}]"),
                    format!("intercepts_standardized[{k}]"),
                )
            };
            let mut shift_scale = b_std.abs();
            let mut shift = 0.0;
            for (j, f) in self.features.iter().enumerate() {
                let (w, w_std) = (
                    self.coefficients[k][j],
                    self.coefficients_standardized[k][j],
                );
                let rescaled = w * f.std;
                let scale = rescaled.abs().max(w_std.abs());
                if !close(rescaled, w_std, scale) {
                    return Err(format!(
                        "{}: coefficient {w} does not match coefficient_standardized / std = {w_std} / {}",
                        self.coefficient_at(k, j),
                        f.std
                    ));
                }
                shift += w * f.mean;
                shift_scale += (w * f.mean).abs();
            }
            if !intercept && (b != 0.0 || b_std != 0.0) {
                return Err(format!(
                    "{intercept_name} {b} and {std_name} {b_std} must be 0, as objective.fit_intercept is false"
                ));
            }
            let expected = b_std - shift;
            if shift.is_finite() && !close(b, expected, shift_scale) {
                return Err(format!(
                    "{intercept_name} {b} does not match {std_name} - sum(coefficient * mean) = {expected}"
                ));
            }
        }
        if let (Some(inference), false) = (&self.inference, self.kind == ModelKind::Ovr) {
            // fit.objective is the penalised mean loss at the stored parameters, so it must be
            // -log_likelihood / S plus the penalty on the fit-scale coefficients (binary or
            // multinomial; one-vs-rest's fit is the sum of K fits with no one likelihood).
            let fit = &self.fit;
            let w = || self.coefficients_standardized.iter().flatten();
            let mut penalty: f64 = w().map(|w| w.powi(2)).sum::<f64>() * self.objective.l2 / 2.0;
            if self.objective.l1 > 0.0 {
                penalty += self.objective.l1 * w().map(|w| w.abs()).sum::<f64>();
            }
            let mean_loss = -inference.log_likelihood / self.training.weight_sum;
            let expected = mean_loss + penalty;
            let scale = mean_loss.abs() + penalty + fit.objective.abs();
            if expected.is_finite() && !close(fit.objective, expected, scale) {
                let divisor = if self.objective.is_weighted() {
                    "training.weight_sum"
                } else {
                    "training.n_rows"
                };
                return Err(format!(
                    "fit.objective {} does not match -inference.log_likelihood / {divisor} \
                     + the penalty on coefficient_standardized = {expected}",
                    fit.objective
                ));
            }
        }
        for (i, fit) in std::iter::once(&self.fit).chain(&self.fits).enumerate() {
            let name = if i == 0 {
                "fit".to_string()
            } else {
                format!("fits[{}]", i - 1)
            };
            check_fit(&name, fit, self.network.is_some())?;
        }
        Ok(())
    }

    /// Class counts: one per class, each at least 1, adding up to `n_rows`; a weight sum that
    /// is `n_rows` for an unweighted fit. Binary messages in version 1's terms.
    fn count_consistency(&self) -> std::result::Result<(), String> {
        let t = &self.training;
        let k = self.n_classes();
        if t.class_counts.len() != k {
            return Err(format!(
                "training.class_counts has {} entries for {k} classes",
                t.class_counts.len()
            ));
        }
        if let Some((n_positive, n_negative)) = self.binary_counts() {
            if n_positive == 0 || n_negative == 0 {
                return Err(format!(
                    "training.n_positive ({n_positive}) and training.n_negative ({n_negative}) must both be at least 1"
                ));
            }
            if n_positive.checked_add(n_negative) != Some(t.n_rows) {
                return Err(format!(
                    "training.n_rows is {} but training.n_positive + training.n_negative is {n_positive} + {n_negative}",
                    t.n_rows
                ));
            }
        } else {
            if let Some(i) = t.class_counts.iter().position(|&c| c == 0) {
                return Err(format!(
                    "training.class_counts[{i}] (class {:?}) is 0; every class has at least one row",
                    self.classes[i]
                ));
            }
            let total = t
                .class_counts
                .iter()
                .try_fold(0usize, |a, &c| a.checked_add(c));
            if total != Some(t.n_rows) {
                return Err(format!(
                    "training.n_rows is {} but training.class_counts add up to {}",
                    t.n_rows,
                    total.map_or_else(|| "more".to_string(), |v| v.to_string())
                ));
            }
        }
        if !(t.weight_sum.is_finite() && t.weight_sum > 0.0) {
            return Err(format!(
                "training.weight_sum {} is not a finite number > 0",
                t.weight_sum
            ));
        }
        if t.n_zero_weight >= t.n_rows {
            return Err(format!(
                "training.n_zero_weight is {} of {} rows; some row must have a weight",
                t.n_zero_weight, t.n_rows
            ));
        }
        if !self.objective.is_weighted()
            && (t.weight_sum != t.n_rows as f64 || t.n_zero_weight != 0)
        {
            return Err(format!(
                "training.weight_sum {} and training.n_zero_weight {} must be n_rows ({}) and 0, \
                 as the fit has no weights",
                t.weight_sum, t.n_zero_weight, t.n_rows
            ));
        }
        Ok(())
    }
}

/// A fit report's own rules: `converged` iff stopped by convergence
/// ([`StopReason::is_converged`]), the networks' stopping rules only in network models and with
/// their solver (small_decrease: lbfgs, no_improvement: adam), a positive tolerance,
/// non-negative objective and gradient norm.
fn check_fit(name: &str, fit: &FitReport, network: bool) -> std::result::Result<(), String> {
    if fit.converged != fit.stop_reason.is_converged() {
        return Err(format!(
            "{name}.converged is {} but {name}.stop_reason is {:?}",
            fit.converged, fit.stop_reason
        ));
    }
    let rule_solver = match fit.stop_reason {
        StopReason::SmallDecrease => Some(SolverKind::Lbfgs),
        StopReason::NoImprovement => Some(SolverKind::Adam),
        _ => None,
    };
    if let Some(solver) = rule_solver {
        if !network || fit.solver != solver {
            return Err(format!(
                "{name}.stop_reason \"{}\" is a stopping rule of {solver} networks, but this is \
                 a {} fit{}",
                fit.stop_reason,
                fit.solver,
                if network { "" } else { " of a linear model" }
            ));
        }
    }
    if !(fit.tol.is_finite() && fit.tol > 0.0) {
        return Err(format!("{name}.tol {} is not a finite number > 0", fit.tol));
    }
    if fit.objective < 0.0 || fit.gradient_norm < 0.0 {
        return Err(format!(
            "{name}.objective {} and {name}.gradient_norm {} must be >= 0",
            fit.objective, fit.gradient_norm
        ));
    }
    Ok(())
}

//! Standardisation of the design matrix and the way back to original units.
//!
//! Features are centred on the training mean and divided by the population standard deviation
//! (ddof = 0), as glmnet and Spark do, so the L2 penalty treats every feature alike. A column
//! with zero variance keeps scale 1 (it is all zeros once centred and its weight stays 0).

use ndarray::{Array2, ArrayView2, Axis};

/// Per-column training mean and population standard deviation.
#[derive(Debug, Clone, PartialEq)]
pub struct Scaler {
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
}

impl Scaler {
    /// Statistics of each column of `x`. With `center` false the means are 0 (used without an
    /// intercept, where centring would smuggle one in) and the scale is the root mean square.
    pub fn fit(x: ArrayView2<f64>, center: bool) -> Scaler {
        let (n_rows, p) = x.dim();
        let n = n_rows as f64;
        // Two passes over the rows (contiguous in memory): the means, then the mean squared
        // deviations (no cancellation, unlike sum of squares minus squared sum).
        let mut mean = vec![0.0; p];
        if center {
            for row in x.axis_iter(Axis(0)) {
                for (m, v) in mean.iter_mut().zip(row) {
                    *m += v;
                }
            }
            mean.iter_mut().for_each(|m| *m /= n);
            if mean.iter().any(|m| !m.is_finite()) {
                // A column sum overflowed (values near f64::MAX): average scaled values instead.
                mean = vec![0.0; p];
                for row in x.axis_iter(Axis(0)) {
                    for (m, v) in mean.iter_mut().zip(row) {
                        *m += v / n;
                    }
                }
            }
        }
        let mut var = vec![0.0; p];
        for row in x.axis_iter(Axis(0)) {
            for ((s, v), m) in var.iter_mut().zip(row).zip(&mean) {
                let d = v - m;
                *s += d * d;
            }
        }
        let mut std: Vec<f64> = var.iter().map(|s| (s / n).sqrt()).collect();
        for j in 0..p {
            if !std[j].is_finite() {
                // Squares overflowed: scale the deviations by their largest magnitude first.
                let column = x.column(j);
                let scale = column
                    .iter()
                    .fold(0.0f64, |a, v| a.max((v - mean[j]).abs()));
                let sum: f64 = column.iter().map(|v| ((v - mean[j]) / scale).powi(2)).sum();
                std[j] = scale * (sum / n).sqrt();
            }
        }
        let std = std
            .into_iter()
            .map(|s| if s > 0.0 && s.is_finite() { s } else { 1.0 })
            .collect();
        Scaler { mean, std }
    }

    /// The identity scaling (for `--no-standardize`).
    pub fn identity(n_features: usize) -> Scaler {
        Scaler {
            mean: vec![0.0; n_features],
            std: vec![1.0; n_features],
        }
    }

    /// Standardises `x` in place.
    pub fn apply(&self, x: &mut Array2<f64>) {
        for mut row in x.axis_iter_mut(Axis(0)) {
            for ((v, m), s) in row.iter_mut().zip(&self.mean).zip(&self.std) {
                *v = (*v - m) / s;
            }
        }
    }

    /// Coefficients and intercept in original units from standardised ones:
    /// `w_j = w'_j / std_j`, `b = b' - sum_j w'_j mean_j / std_j`.
    pub fn to_original(&self, weights: &[f64], intercept: f64) -> (Vec<f64>, f64) {
        let w: Vec<f64> = weights.iter().zip(&self.std).map(|(w, s)| w / s).collect();
        let shift: f64 = w.iter().zip(&self.mean).map(|(w, m)| w * m).sum();
        (w, intercept - shift)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn standardises_with_population_std_and_maps_back() {
        let mut x = array![[1.0, 5.0, 2.0], [3.0, 5.0, 4.0], [5.0, 5.0, 9.0]];
        let raw = x.clone();
        let s = Scaler::fit(x.view(), true);
        assert_eq!(s.mean, vec![3.0, 5.0, 5.0]);
        // population std of 1,3,5 is sqrt(8/3); the constant column keeps scale 1.
        assert!((s.std[0] - (8.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert_eq!(s.std[1], 1.0);
        s.apply(&mut x);
        assert!(x.column(0).sum().abs() < 1e-15 && x.column(1).iter().all(|&v| v == 0.0));
        // The same linear score in both parameterisations.
        let (w_std, b_std) = ([0.7, 3.0, -1.2], 0.3);
        let (w, b) = s.to_original(&w_std, b_std);
        for i in 0..3 {
            let z_std: f64 = b_std + (0..3).map(|j| w_std[j] * x[[i, j]]).sum::<f64>();
            let z: f64 = b + (0..3).map(|j| w[j] * raw[[i, j]]).sum::<f64>();
            assert!((z - z_std).abs() < 1e-12);
        }
    }
}

//! Stable scalar forms of the logistic function and the log loss.
//!
//! Everything else in the crate evaluates the sigmoid through these functions, so the care taken
//! here (branching on the sign of `z`, `log1p`/`exp` forms, never the log of a computed sigmoid)
//! is taken once.

/// The logistic function `1 / (1 + e^-z)`, without overflow for any `z`.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// `log(1 + e^z)` (softplus), exact to rounding for every finite `z`.
pub fn log1p_exp(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

/// `log(sigmoid(z)) = -log(1 + e^-z)`.
pub fn log_sigmoid(z: f64) -> f64 {
    -log1p_exp(-z)
}

/// `sigmoid(z) * (1 - sigmoid(z))`.
pub fn sigmoid_derivative(z: f64) -> f64 {
    let e = (-z.abs()).exp();
    let d = 1.0 + e;
    e / (d * d)
}

/// Log loss of one row with label `y` in {0, 1} and linear score `z`:
/// `-[y log s(z) + (1 - y) log(1 - s(z))]`.
pub fn log_loss(y: f64, z: f64) -> f64 {
    if y > 0.5 {
        log1p_exp(-z)
    } else {
        log1p_exp(z)
    }
}

/// Log loss and its derivative with respect to `z` (`s(z) - y`) from one `exp` and one `log1p`.
pub fn log_loss_and_residual(y: f64, z: f64) -> (f64, f64) {
    let e = (-z.abs()).exp();
    let l = e.ln_1p();
    let (s, softplus_pos, softplus_neg) = if z >= 0.0 {
        (1.0 / (1.0 + e), z + l, l)
    } else {
        (e / (1.0 + e), l, -z + l)
    };
    if y > 0.5 {
        (softplus_neg, s - 1.0)
    } else {
        (softplus_pos, s)
    }
}

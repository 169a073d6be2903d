//! Line searches shared by the solvers: a strong-Wolfe search (bracketing + zoom, Nocedal &
//! Wright, *Numerical Optimization*, 2nd ed., Alg. 3.5 and 3.6) for L-BFGS, and Armijo
//! backtracking (N&W Alg. 3.1) for Newton.
//!
//! # Sufficient decrease in floating point
//!
//! Near the optimum the decrease the Armijo condition asks for, `c1 * alpha * g.d`, is of the order
//! of `|g|^2 / curvature`; with the gradient tolerance at 1e-8 that is 1e-16 or less, i.e. below the
//! rounding error of the objective value itself (about 1e-16 relative). The plain Armijo test then
//! rejects good steps at random and the search stalls before the gradient tolerance is reached.
//! Following Hager & Zhang (2005, "A new conjugate gradient method with guaranteed descent and an
//! efficient line search", SIAM J. Optim. 16(1), the "approximate Wolfe" conditions), a step is
//! also accepted as sufficiently decreasing when the value has not increased by more than a
//! rounding-level slack AND the directional derivative satisfies `phi'(alpha) <= (1 - 2 c1)
//! |phi'(0)|`, a derivative-based test that is equivalent to Armijo for a quadratic and does not
//! suffer from cancellation. Everything is still evaluated through [`Objective`].

use super::linalg::dot;
use super::Point;
use crate::fit::objective::Objective;

/// Relative slack on the objective value allowed by the approximate (derivative-based)
/// sufficient-decrease test: a generous multiple of the rounding error of a sum of `n` log losses.
const VALUE_SLACK_RTOL: f64 = 1e-12;

/// Rounding-level slack for comparing objective values near `f`.
pub(crate) fn value_slack(f: f64) -> f64 {
    VALUE_SLACK_RTOL * f.abs()
}

/// Evaluate the objective at `start.theta + alpha * d`.
pub(crate) fn point_along(objective: &Objective, start: &Point, d: &[f64], alpha: f64) -> Point {
    let theta: Vec<f64> = start
        .theta
        .iter()
        .zip(d)
        .map(|(x, di)| x + alpha * di)
        .collect();
    Point::at(objective, theta)
}

/// Sufficient decrease at step `alpha` with value `phi` and slope `dphi`, given `phi(0) = phi0`
/// and `phi'(0) = dphi0 < 0`: Armijo, or its approximate form (see the module docs).
fn sufficient_decrease(alpha: f64, phi: f64, dphi: f64, phi0: f64, dphi0: f64, c1: f64) -> bool {
    if !phi.is_finite() || !dphi.is_finite() {
        return false;
    }
    phi <= phi0 + c1 * alpha * dphi0
        || (phi <= phi0 + value_slack(phi0) && dphi <= (1.0 - 2.0 * c1) * (-dphi0))
}

/// Constants of the strong Wolfe conditions; N&W (p. 39 and Sec. 3.1) recommend `c1 = 1e-4` and
/// `c2 = 0.9` for quasi-Newton methods.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Wolfe {
    pub c1: f64,
    pub c2: f64,
    /// Maximum number of objective evaluations per search.
    pub max_evals: usize,
}

impl Default for Wolfe {
    fn default() -> Self {
        Wolfe {
            c1: 1e-4,
            c2: 0.9,
            max_evals: 40,
        }
    }
}

struct Trial {
    alpha: f64,
    phi: f64,
    dphi: f64,
}

/// Strong-Wolfe line search along the descent direction `d` from `start`, first trying `alpha0`.
///
/// When the evaluation budget runs out before a strong-Wolfe point is found, the best point
/// with sufficient decrease seen so far is returned (L-BFGS then skips the memory update if the
/// curvature `s.y` is not positive). Returns `None` when there is no such point (or `d` is not a
/// descent direction).
pub(crate) fn strong_wolfe(
    objective: &Objective,
    start: &Point,
    d: &[f64],
    alpha0: f64,
    params: Wolfe,
) -> Option<Point> {
    let Wolfe { c1, c2, max_evals } = params;
    let phi0 = start.value;
    let dphi0 = dot(&start.grad, d);
    if !(dphi0 < 0.0 && alpha0.is_finite() && alpha0 > 0.0) {
        return None;
    }
    let mut evals = 0usize;
    // Best point with sufficient decrease seen so far, as a fallback.
    let mut best: Option<Point> = None;
    let eval = |alpha: f64, evals: &mut usize, best: &mut Option<Point>| -> (Trial, Point) {
        *evals += 1;
        let p = point_along(objective, start, d, alpha);
        let dphi = dot(&p.grad, d);
        let t = Trial {
            alpha,
            phi: p.value,
            dphi,
        };
        if sufficient_decrease(alpha, t.phi, dphi, phi0, dphi0, c1)
            && t.phi < best.as_ref().map_or(phi0, |b| b.value)
        {
            *best = Some(p.clone());
        }
        (t, p)
    };
    let accept = |t: &Trial| {
        sufficient_decrease(t.alpha, t.phi, t.dphi, phi0, dphi0, c1) && t.dphi.abs() <= -c2 * dphi0
    };

    // Bracketing phase (N&W Alg. 3.5).
    let mut prev = Trial {
        alpha: 0.0,
        phi: phi0,
        dphi: dphi0,
    };
    let mut alpha = alpha0;
    let mut first = true;
    let (mut lo, mut hi) = loop {
        if evals >= max_evals {
            return best;
        }
        let (t, p) = eval(alpha, &mut evals, &mut best);
        if accept(&t) {
            return Some(p);
        }
        if !sufficient_decrease(t.alpha, t.phi, t.dphi, phi0, dphi0, c1)
            || (!first && t.phi >= prev.phi)
        {
            break (prev, t);
        }
        if t.dphi >= 0.0 {
            break (t, prev);
        }
        first = false;
        alpha = t.alpha * 4.0;
        prev = t;
        if !alpha.is_finite() {
            return best;
        }
    };

    // Zoom phase (N&W Alg. 3.6): `lo` satisfies sufficient decrease and has the lowest value so
    // far; the interval between `lo` and `hi` contains strong-Wolfe points.
    while evals < max_evals {
        let width = hi.alpha - lo.alpha;
        if width.abs() <= 1e-16 * lo.alpha.abs().max(hi.alpha.abs()) {
            break;
        }
        let alpha = interpolate(&lo, &hi);
        let (t, p) = eval(alpha, &mut evals, &mut best);
        if accept(&t) {
            return Some(p);
        }
        if !sufficient_decrease(t.alpha, t.phi, t.dphi, phi0, dphi0, c1) || t.phi >= lo.phi {
            hi = t;
        } else {
            if t.dphi * (hi.alpha - lo.alpha) >= 0.0 {
                hi = lo;
            }
            lo = t;
        }
    }
    best
}

/// Minimiser of the cubic interpolating values and slopes at `a` and `b` (N&W eq. 3.59),
/// safeguarded to lie in the middle 80% of the interval; bisection when the cubic is unusable
/// (non-finite values, no real minimiser).
fn interpolate(a: &Trial, b: &Trial) -> f64 {
    let (lo, hi) = if a.alpha <= b.alpha { (a, b) } else { (b, a) };
    let width = hi.alpha - lo.alpha;
    let mid = lo.alpha + 0.5 * width;
    if !(lo.phi.is_finite() && hi.phi.is_finite() && lo.dphi.is_finite() && hi.dphi.is_finite()) {
        return mid;
    }
    let d1 = lo.dphi + hi.dphi - 3.0 * (lo.phi - hi.phi) / (lo.alpha - hi.alpha);
    let disc = d1 * d1 - lo.dphi * hi.dphi;
    if disc < 0.0 {
        return mid;
    }
    let d2 = disc.sqrt();
    let denom = hi.dphi - lo.dphi + 2.0 * d2;
    if denom == 0.0 {
        return mid;
    }
    let x = hi.alpha - width * (hi.dphi + d2 - d1) / denom;
    let (min, max) = (lo.alpha + 0.1 * width, hi.alpha - 0.1 * width);
    if x.is_finite() && x >= min && x <= max {
        x
    } else {
        mid
    }
}

/// Armijo backtracking (N&W Alg. 3.1, contraction factor 1/2) along `d` from `start`, starting
/// at `alpha0`; uses the approximate sufficient-decrease test of the module docs.
pub(crate) fn backtracking(
    objective: &Objective,
    start: &Point,
    d: &[f64],
    alpha0: f64,
    c1: f64,
    max_evals: usize,
) -> Option<Point> {
    let phi0 = start.value;
    let dphi0 = dot(&start.grad, d);
    if dphi0.is_nan() || dphi0 >= 0.0 {
        return None;
    }
    let mut alpha = alpha0;
    for _ in 0..max_evals {
        let p = point_along(objective, start, d, alpha);
        let dphi = dot(&p.grad, d);
        if sufficient_decrease(alpha, p.value, dphi, phi0, dphi0, c1) {
            return Some(p);
        }
        alpha *= 0.5;
    }
    None
}

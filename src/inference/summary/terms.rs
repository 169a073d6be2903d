//! One row of a summary table: the estimate with its standard error, Wald test and interval,
//! or the flag that says why they are not shown.

use serde::Serialize;

use crate::inference::special::normal_two_sided_p;
use crate::model::inference::ParameterStatus;

use super::Z_975;

/// Why a term's inference is not shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// The fit stopped on separation: the maximum-likelihood estimate does not exist.
    Separation,
    /// See [`ParameterStatus::NotIdentifiable`].
    NotIdentifiable,
    /// See [`ParameterStatus::Collinear`].
    Collinear,
    /// See [`ParameterStatus::NearSeparation`].
    NearSeparation,
    /// See [`ParameterStatus::NotConverged`].
    NotConverged,
}

impl Flag {
    pub(super) fn of(status: ParameterStatus) -> Option<Flag> {
        match status {
            ParameterStatus::Ok => None,
            ParameterStatus::NotIdentifiable => Some(Flag::NotIdentifiable),
            ParameterStatus::Collinear => Some(Flag::Collinear),
            ParameterStatus::NearSeparation => Some(Flag::NearSeparation),
            ParameterStatus::NotConverged => Some(Flag::NotConverged),
        }
    }

    /// A short phrase for the table.
    pub fn describe(self) -> &'static str {
        match self {
            Flag::Separation => "separation",
            Flag::NotIdentifiable => ParameterStatus::NotIdentifiable.describe(),
            Flag::Collinear => ParameterStatus::Collinear.describe(),
            Flag::NearSeparation => ParameterStatus::NearSeparation.describe(),
            Flag::NotConverged => ParameterStatus::NotConverged.describe(),
        }
    }

    /// Whether the estimate itself is meaningless (not just its standard error).
    pub fn hides_estimate(self) -> bool {
        matches!(self, Flag::Separation | Flag::NotIdentifiable)
    }
}

/// One row of the coefficient table, in original units. `None` = not available or not
/// meaningful (then `flag` says why, or the model has no covariance).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Term {
    pub name: String,
    pub estimate: Option<f64>,
    pub std_error: Option<f64>,
    /// Wald statistic `estimate / std_error`.
    pub z: Option<f64>,
    /// Two-sided `P(|Z| >= |z|)`.
    pub p_value: Option<f64>,
    /// `estimate -/+ 1.959964 std_error`.
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// `exp(estimate)`: the factor on the odds per unit of the feature (for the intercept, the
    /// odds when every feature is 0).
    pub odds_ratio: Option<f64>,
    pub odds_ratio_ci_low: Option<f64>,
    pub odds_ratio_ci_high: Option<f64>,
    pub flag: Option<Flag>,
}

impl Term {
    pub(super) fn new(
        name: &str,
        estimate: f64,
        variance: Option<f64>,
        flag: Option<Flag>,
    ) -> Term {
        let finite = |v: f64| v.is_finite().then_some(v);
        let estimate = (!flag.is_some_and(Flag::hides_estimate)).then_some(estimate);
        let std_error = match (flag, variance) {
            (None, Some(v)) if v >= 0.0 => finite(v.sqrt()),
            _ => None,
        };
        let (z, ci) = match (estimate, std_error) {
            (Some(b), Some(se)) if se > 0.0 => {
                (Some(b / se), Some((b - Z_975 * se, b + Z_975 * se)))
            }
            _ => (None, None),
        };
        Term {
            name: name.to_string(),
            estimate,
            std_error,
            z,
            p_value: z.map(normal_two_sided_p),
            ci_low: ci.map(|c| c.0),
            ci_high: ci.map(|c| c.1),
            odds_ratio: estimate.and_then(|b| finite(b.exp())),
            odds_ratio_ci_low: ci.and_then(|c| finite(c.0.exp())),
            odds_ratio_ci_high: ci.and_then(|c| finite(c.1.exp())),
            flag,
        }
    }
}

/// One row of a multinomial equation: a [`Term`] without the odds ratios (`exp` of a contrast
/// is a relative-risk ratio, which statsmodels `MNLogit` does not print either).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContrastTerm {
    pub name: String,
    pub estimate: Option<f64>,
    pub std_error: Option<f64>,
    pub z: Option<f64>,
    pub p_value: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub flag: Option<Flag>,
}

impl From<Term> for ContrastTerm {
    fn from(t: Term) -> ContrastTerm {
        ContrastTerm {
            name: t.name,
            estimate: t.estimate,
            std_error: t.std_error,
            z: t.z,
            p_value: t.p_value,
            ci_low: t.ci_low,
            ci_high: t.ci_high,
            flag: t.flag,
        }
    }
}

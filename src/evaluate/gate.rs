//! CI gates on the metrics (`eval --min METRIC=V`, `--max METRIC=V`): a gate and its verdict,
//! which `eval` checks and the report prints.

use crate::evaluate::metrics::MetricValues;

/// Which way a gate bounds its metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bound {
    /// `--min`: the metric must be >= the bound.
    Min,
    /// `--max`: the metric must be <= the bound.
    Max,
}

/// A CI gate such as `--min roc_auc=0.9`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Gate {
    pub metric: String,
    pub bound: Bound,
    pub value: f64,
}

/// A gate's verdict on the data.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GateResult {
    #[serde(flatten)]
    pub gate: Gate,
    pub actual: Option<f64>,
    pub passed: bool,
    /// Why it failed, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Gate {
    /// Judges the gate; an undefined metric fails with the reason.
    pub fn check(&self, m: &dyn MetricValues) -> GateResult {
        let flag = match self.bound {
            Bound::Min => "--min",
            Bound::Max => "--max",
        };
        let actual = m.value_of(&self.metric).flatten();
        let (passed, reason) = match actual {
            None => (
                false,
                Some(
                    m.reason_undefined(&self.metric)
                        .unwrap_or_else(|| format!("{} is undefined", self.metric)),
                ),
            ),
            Some(v) => {
                let ok = match self.bound {
                    Bound::Min => v >= self.value,
                    Bound::Max => v <= self.value,
                };
                let op = if self.bound == Bound::Min { "<" } else { ">" };
                (
                    ok,
                    (!ok).then(|| {
                        format!(
                            "{} = {v} {op} {} ({flag} {}={})",
                            self.metric, self.value, self.metric, self.value
                        )
                    }),
                )
            }
        };
        GateResult {
            gate: self.clone(),
            actual,
            passed,
            reason,
        }
    }
}

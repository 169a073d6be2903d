//! Column roles from the header: which column is the target, which is the row weight, which
//! are features; the classes of the target in model order, and for a binary target which label
//! is positive; class weights (`--class-weight`).

use std::collections::HashSet;

use crate::error::{DataError, DataErrorKind, Error, Location, Result};

/// The two classes of a binary target, by their original text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Labels {
    pub positive: String,
    pub negative: String,
}

/// Labels that mean "positive" when the user does not say (compared case-insensitively).
const POSITIVE_WORDS: &[&str] = &["1", "true", "yes"];

fn looks_positive(label: &str) -> bool {
    let l = label.trim().to_lowercase();
    POSITIVE_WORDS.contains(&l.as_str()) || l.parse::<f64>().is_ok_and(|v| v == 1.0)
}

impl Labels {
    /// Picks the positive class among the two labels seen (in order of first appearance):
    /// `--positive` when given, otherwise the one label that reads as 1/true/yes.
    pub fn choose(seen: [String; 2], positive_flag: Option<&str>) -> Result<Labels, DataErrorKind> {
        let [a, b] = seen;
        match positive_flag {
            Some(p) if p == a => Ok(Labels {
                positive: a,
                negative: b,
            }),
            Some(p) if p == b => Ok(Labels {
                positive: b,
                negative: a,
            }),
            Some(p) => Err(DataErrorKind::PositiveAbsent {
                positive: p.to_string(),
                labels: [a, b],
            }),
            None => match (looks_positive(&a), looks_positive(&b)) {
                (true, false) => Ok(Labels {
                    positive: a,
                    negative: b,
                }),
                (false, true) => Ok(Labels {
                    positive: b,
                    negative: a,
                }),
                _ => Err(DataErrorKind::AmbiguousPositive { labels: [a, b] }),
            },
        }
    }

    /// Whether `value` is the positive label; `None` when it is neither label.
    pub fn is_positive(&self, value: &str) -> Option<bool> {
        if value == self.positive {
            Some(true)
        } else if value == self.negative {
            Some(false)
        } else {
            None
        }
    }
}

/// Most distinct labels a target may have. Beyond this the column is almost surely not a class
/// label (a measurement, an ID), and a K x p multinomial fit would be huge.
pub const MAX_CLASSES: usize = 1000;

/// Sorts labels into model order: numeric order when every label (trimmed) parses as a finite
/// number, compared as f64 (ties such as `1` and `1.0` by bytes), otherwise byte order. So `2`
/// comes before `10`, and `setosa` before `versicolor`, whatever the order of the rows.
pub fn sort_classes(labels: &mut [String]) {
    let numbers: Option<Vec<f64>> = labels
        .iter()
        .map(|l| l.trim().parse::<f64>().ok().filter(|v| v.is_finite()))
        .collect();
    match numbers {
        Some(_) => labels.sort_by(|a, b| {
            let (x, y) = (number(a), number(b));
            x.total_cmp(&y).then_with(|| a.as_bytes().cmp(b.as_bytes()))
        }),
        None => labels.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes())),
    }
}

fn number(label: &str) -> f64 {
    label.trim().parse::<f64>().unwrap_or(f64::NAN)
}

/// `--class-weight`: a weight per class, multiplied into every row weight of that class.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClassWeight {
    /// Class c gets S / (K * S_c): S the sum of the row weights, S_c that of class c's rows
    /// (scikit-learn >= 1.6's `class_weight="balanced"` with `sample_weight`; n / (K n_c)
    /// without `--weight`).
    Balanced,
    /// `LABEL=W,...`: the listed classes get W (finite, > 0), the others 1.
    Explicit(Vec<(String, f64)>),
}

impl ClassWeight {
    /// Parses `balanced` or `LABEL=W,LABEL=W...` (split at the last `=` of each item, so a
    /// label may contain `=`; it cannot contain `,`).
    pub fn parse(text: &str) -> Result<ClassWeight, String> {
        if text.trim() == "balanced" {
            return Ok(ClassWeight::Balanced);
        }
        let mut pairs: Vec<(String, f64)> = Vec::new();
        for item in text.split(',') {
            let Some((label, value)) = item.rsplit_once('=') else {
                return Err(format!(
                    "expected `balanced` or LABEL=W,LABEL=W..., found {item:?} (no '=')"
                ));
            };
            let label = label.trim();
            let weight = value
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|w| w.is_finite() && *w > 0.0)
                .ok_or_else(|| {
                    format!("the weight of class {label:?} must be a finite number > 0, found {value:?}")
                })?;
            if pairs.iter().any(|(l, _)| l == label) {
                return Err(format!("class {label:?} is given twice"));
            }
            pairs.push((label.to_string(), weight));
        }
        Ok(ClassWeight::Explicit(pairs))
    }

    /// The weight of every class (model order) given the sum of the row weights per class
    /// (`class_sums`, all > 0). An explicit label that is not a class is an error listing the
    /// classes.
    pub fn resolve(&self, classes: &[String], class_sums: &[f64]) -> Result<Vec<f64>, String> {
        match self {
            ClassWeight::Balanced => {
                let total: f64 = class_sums.iter().sum();
                let k = classes.len() as f64;
                Ok(class_sums.iter().map(|s| total / (k * s)).collect())
            }
            ClassWeight::Explicit(pairs) => {
                let mut weights = vec![1.0; classes.len()];
                for (label, w) in pairs {
                    let Some(c) = classes.iter().position(|c| c == label) else {
                        let known: Vec<String> = classes.iter().map(|c| format!("{c:?}")).collect();
                        return Err(format!(
                            "--class-weight names {label:?}, which is not a class of the target; \
                             the classes are {}",
                            known.join(", ")
                        ));
                    };
                    weights[c] = *w;
                }
                Ok(weights)
            }
        }
    }
}

/// Indices (into the header) of the feature columns, in file order: every column but the
/// target and the weight column, restricted to `features` when given, minus `exclude`.
pub fn select_features(
    file: &str,
    header: &[String],
    target: &str,
    weight: Option<&str>,
    features: Option<&[String]>,
    exclude: &[String],
) -> Result<Vec<usize>> {
    let missing = |names: Vec<String>| -> Error {
        super::input::missing_columns(file, 1, header, names).into()
    };
    if !header.iter().any(|h| h == target) {
        if header.iter().all(|h| h.trim().parse::<f64>().is_ok()) {
            return Err(DataError::new(
                Location {
                    file: file.to_string(),
                    line: Some(1),
                    column: Some(target.to_string()),
                },
                DataErrorKind::HeaderLooksLikeData {
                    target: target.to_string(),
                },
            )
            .into());
        }
        return Err(missing(vec![target.to_string()]));
    }
    // Sets, not list scans: a header or a --features list may have 100,000 names.
    let in_header: HashSet<&str> = header.iter().map(String::as_str).collect();
    let named = features.unwrap_or(&[]).iter().chain(exclude);
    let unknown: Vec<String> = named
        .map(String::as_str)
        .chain(weight)
        .filter(|n| !in_header.contains(n))
        .map(str::to_string)
        .collect();
    if !unknown.is_empty() {
        return Err(missing(unknown));
    }
    if weight == Some(target) {
        return Err(Error::Usage(format!(
            "--weight names the target column {target:?}; the row weights must be a column of their own"
        )));
    }
    if let Some(features) = features {
        if features.iter().any(|f| f == target) {
            return Err(Error::Usage(format!(
                "--features lists the target column {target:?}; a model cannot use its own target as a feature"
            )));
        }
        if let Some(w) = weight.filter(|w| features.iter().any(|f| f == w)) {
            return Err(Error::Usage(format!(
                "--features lists the weight column {w:?}; a row weight is not a feature"
            )));
        }
    }
    let wanted: Option<HashSet<&str>> = features.map(|f| f.iter().map(String::as_str).collect());
    let excluded: HashSet<&str> = exclude.iter().map(String::as_str).collect();
    let selected: Vec<usize> = header
        .iter()
        .enumerate()
        .filter(|(_, name)| *name != target && Some(name.as_str()) != weight)
        .filter(|(_, name)| wanted.as_ref().is_none_or(|f| f.contains(name.as_str())))
        .filter(|(_, name)| !excluded.contains(name.as_str()))
        .map(|(i, _)| i)
        .collect();
    if selected.is_empty() {
        return Err(Error::Usage(format!(
            "{file}: no feature columns left besides the target {target:?}"
        )));
    }
    Ok(selected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> String {
        v.to_string()
    }

    #[test]
    fn positive_defaults_to_one_true_or_yes() {
        for (a, b, pos) in [
            ("0", "1", "1"),
            ("no", "Yes", "Yes"),
            ("TRUE", "false", "TRUE"),
            ("1.0", "0.0", "1.0"),
        ] {
            let l = Labels::choose([s(a), s(b)], None).unwrap();
            assert_eq!(l.positive, pos);
        }
    }

    #[test]
    fn positive_must_be_given_for_other_labels() {
        let err = Labels::choose([s("cat"), s("dog")], None).unwrap_err();
        assert!(matches!(err, DataErrorKind::AmbiguousPositive { .. }));
        assert!(err.to_string().contains("--positive"));
        let l = Labels::choose([s("cat"), s("dog")], Some("dog")).unwrap();
        assert_eq!((l.positive.as_str(), l.negative.as_str()), ("dog", "cat"));
    }

    #[test]
    fn positive_flag_naming_an_absent_label_is_an_error() {
        let err = Labels::choose([s("0"), s("1")], Some("maybe")).unwrap_err();
        assert!(err.to_string().contains("\"maybe\""));
    }

    #[test]
    fn feature_selection_checks_names() {
        let header = vec![s("a"), s("b"), s("y"), s("c")];
        assert_eq!(
            select_features("f", &header, "y", None, None, &[]).unwrap(),
            vec![0, 1, 3]
        );
        assert_eq!(
            select_features("f", &header, "y", None, None, &[s("b")]).unwrap(),
            vec![0, 3]
        );
        let only = [s("c"), s("a")];
        assert_eq!(
            select_features("f", &header, "y", None, Some(&only), &[]).unwrap(),
            vec![0, 3]
        );
        let numbers = vec![s("1.5"), s("2"), s("0")];
        let err = select_features("f", &numbers, "y", None, None, &[]).unwrap_err();
        assert!(err.to_string().contains("header row"), "{err}");
        let err = select_features("f", &header, "nope", None, None, &[]).unwrap_err();
        assert!(err.to_string().contains("nope"));
        let err =
            select_features("f", &header, "y", None, Some(&[s("a"), s("zz")]), &[]).unwrap_err();
        assert!(err.to_string().contains("zz"));
        let err =
            select_features("f", &header, "y", None, Some(&[s("a"), s("y")]), &[]).unwrap_err();
        assert!(matches!(err, Error::Usage(_)));
    }

    #[test]
    fn the_weight_column_is_never_a_feature() {
        let header = vec![s("a"), s("w"), s("y"), s("c")];
        assert_eq!(
            select_features("f", &header, "y", Some("w"), None, &[]).unwrap(),
            vec![0, 3]
        );
        let err = select_features("f", &header, "y", Some("zz"), None, &[]).unwrap_err();
        assert!(err.to_string().contains("zz"), "{err}");
        let err = select_features("f", &header, "y", Some("y"), None, &[]).unwrap_err();
        assert!(err.to_string().contains("--weight"), "{err}");
        let err = select_features("f", &header, "y", Some("w"), Some(&[s("a"), s("w")]), &[])
            .unwrap_err();
        assert!(err.to_string().contains("weight column"), "{err}");
    }

    fn sorted(labels: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = labels.iter().map(|l| s(l)).collect();
        sort_classes(&mut v);
        v
    }

    #[test]
    fn classes_sort_numerically_when_every_label_is_a_number_else_by_bytes() {
        assert_eq!(sorted(&["10", "2", "1"]), vec!["1", "2", "10"]);
        assert_eq!(
            sorted(&["-1", "0.5", "1e1", "3"]),
            vec!["-1", "0.5", "3", "1e1"]
        );
        assert_eq!(sorted(&["1.0", "1"]), vec!["1", "1.0"]);
        // One label that is not a finite number makes the order bytewise.
        assert_eq!(sorted(&["10", "2", "x"]), vec!["10", "2", "x"]);
        assert_eq!(sorted(&["10", "2", "nan"]), vec!["10", "2", "nan"]);
        assert_eq!(
            sorted(&["virginica", "Setosa", "versicolor"]),
            vec!["Setosa", "versicolor", "virginica"]
        );
    }

    #[test]
    fn class_weights_parse_and_resolve() {
        assert_eq!(ClassWeight::parse("balanced"), Ok(ClassWeight::Balanced));
        let explicit = ClassWeight::parse("a=2, b = 0.5,x=y=3").unwrap();
        assert_eq!(
            explicit,
            ClassWeight::Explicit(vec![(s("a"), 2.0), (s("b"), 0.5), (s("x=y"), 3.0)])
        );
        for bad in ["a", "a=0", "a=-1", "a=inf", "a=x", "a=1,a=2"] {
            assert!(ClassWeight::parse(bad).is_err(), "{bad}");
        }
        let classes = [s("a"), s("b"), s("c")];
        // S = 10, K = 3: 10 / (3 * S_c).
        let balanced = ClassWeight::Balanced
            .resolve(&classes, &[5.0, 3.0, 2.0])
            .unwrap();
        for (got, want) in balanced.iter().zip([10.0 / 15.0, 10.0 / 9.0, 10.0 / 6.0]) {
            assert!((got - want).abs() < 1e-15);
        }
        let w = ClassWeight::parse("c=4")
            .unwrap()
            .resolve(&classes, &[1.0; 3])
            .unwrap();
        assert_eq!(w, vec![1.0, 1.0, 4.0]);
        let err = ClassWeight::parse("d=4")
            .unwrap()
            .resolve(&classes, &[1.0; 3])
            .unwrap_err();
        assert!(
            err.contains("\"d\"") && err.contains("\"a\", \"b\", \"c\""),
            "{err}"
        );
    }
}

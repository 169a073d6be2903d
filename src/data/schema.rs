//! Column roles from the header: which column is the target, which are features; the two
//! labels and which one is positive.

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

/// Indices (into the header) of the feature columns, in file order: every column but the
/// target, restricted to `features` when given, minus `exclude`.
pub fn select_features(
    file: &str,
    header: &[String],
    target: &str,
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
        .filter(|n| !in_header.contains(n.as_str()))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        return Err(missing(unknown));
    }
    if let Some(features) = features {
        if features.iter().any(|f| f == target) {
            return Err(Error::Usage(format!(
                "--features lists the target column {target:?}; a model cannot use its own target as a feature"
            )));
        }
    }
    let wanted: Option<HashSet<&str>> = features.map(|f| f.iter().map(String::as_str).collect());
    let excluded: HashSet<&str> = exclude.iter().map(String::as_str).collect();
    let selected: Vec<usize> = header
        .iter()
        .enumerate()
        .filter(|(_, name)| *name != target)
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
            select_features("f", &header, "y", None, &[]).unwrap(),
            vec![0, 1, 3]
        );
        assert_eq!(
            select_features("f", &header, "y", None, &[s("b")]).unwrap(),
            vec![0, 3]
        );
        let only = [s("c"), s("a")];
        assert_eq!(
            select_features("f", &header, "y", Some(&only), &[]).unwrap(),
            vec![0, 3]
        );
        let numbers = vec![s("1.5"), s("2"), s("0")];
        let err = select_features("f", &numbers, "y", None, &[]).unwrap_err();
        assert!(err.to_string().contains("header row"), "{err}");
        let err = select_features("f", &header, "nope", None, &[]).unwrap_err();
        assert!(err.to_string().contains("nope"));
        let err = select_features("f", &header, "y", Some(&[s("a"), s("zz")]), &[]).unwrap_err();
        assert!(err.to_string().contains("zz"));
        let err = select_features("f", &header, "y", Some(&[s("a"), s("y")]), &[]).unwrap_err();
        assert!(matches!(err, Error::Usage(_)));
    }
}

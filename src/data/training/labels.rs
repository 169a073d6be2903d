//! From the target cells to classes: the labels in model order, `y`, and the rows per class.
//! Shared by the csv reader and the fast reader, so both decide alike.
//!
//! Binary (two labels): exactly v1, `y` = 1.0 for the positive label (`--positive`, or the one
//! reading as 1/true/yes), 0.0 for the other. More labels: `y` = the class index in model order
//! (see [`sort_classes`]) as f64, and `--positive` is refused.

use std::collections::HashMap;

use ndarray::Array1;

use crate::data::schema::{sort_classes, Labels, MAX_CLASSES};
use crate::error::DataErrorKind;

/// Labels in order of first appearance while reading, with a code per kept row.
#[derive(Debug, Default)]
pub struct LabelCodes {
    pub seen: Vec<String>,
    index: HashMap<String, u32>,
    pub codes: Vec<u32>,
}

impl LabelCodes {
    /// Records one row's label. A new label that differs from a known one only by letter case,
    /// or one beyond [`MAX_CLASSES`], is an error (the caller adds the line).
    pub fn push(&mut self, label: &str) -> Result<(), DataErrorKind> {
        let code = match self.index.get(label) {
            Some(&c) => c,
            None => {
                check_new_label(&self.seen, label)?;
                let c = self.seen.len() as u32;
                self.seen.push(label.to_string());
                self.index.insert(label.to_string(), c);
                c
            }
        };
        self.codes.push(code);
        Ok(())
    }
}

/// The checks on a label not seen before, given the labels seen so far.
pub fn check_new_label(seen: &[String], label: &str) -> Result<(), DataErrorKind> {
    let lower = label.to_lowercase();
    if let Some(other) = seen.iter().find(|s| s.to_lowercase() == lower) {
        return Err(DataErrorKind::LabelsDifferOnlyByCase {
            labels: [other.clone(), label.to_string()],
        });
    }
    if seen.len() >= MAX_CLASSES {
        let mut labels: Vec<String> = seen.iter().take(5).cloned().collect();
        labels.push(label.to_string());
        return Err(DataErrorKind::TooManyLabels {
            labels,
            limit: MAX_CLASSES,
        });
    }
    Ok(())
}

/// The classes of a target and the response the fit uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Classes {
    /// Model order.
    pub classes: Vec<String>,
    /// Binary targets: which label is positive. `None` with more than two classes.
    pub labels: Option<Labels>,
    /// Binary: 1.0 positive, 0.0 negative. Multiclass: the class index in model order.
    pub y: Array1<f64>,
    /// Rows per class, model order.
    pub class_counts: Vec<usize>,
}

/// Classes from the labels seen (first-appearance order) and each row's code into `seen`.
pub fn resolve(
    seen: &[String],
    codes: &[u32],
    positive: Option<&str>,
) -> Result<Classes, DataErrorKind> {
    match seen {
        [] => Err(DataErrorKind::OneClass {
            label: String::new(),
        }),
        [only] => Err(DataErrorKind::OneClass {
            label: only.clone(),
        }),
        [a, b] => {
            let labels = Labels::choose([a.clone(), b.clone()], positive)?;
            let positive_code = u32::from(*b == labels.positive);
            let y: Array1<f64> = codes
                .iter()
                .map(|&c| f64::from(u8::from(c == positive_code)))
                .collect();
            let mut classes = vec![a.clone(), b.clone()];
            sort_classes(&mut classes);
            let n_positive = y.iter().filter(|&&v| v == 1.0).count();
            let counts = [codes.len() - n_positive, n_positive];
            // counts is [negative, positive]; put it in model order.
            let class_counts = if classes[1] == labels.positive {
                counts.to_vec()
            } else {
                vec![counts[1], counts[0]]
            };
            Ok(Classes {
                classes,
                labels: Some(labels),
                y,
                class_counts,
            })
        }
        _ => {
            let mut classes = seen.to_vec();
            sort_classes(&mut classes);
            if positive.is_some() {
                return Err(DataErrorKind::PositiveMulticlass { classes });
            }
            let rank: HashMap<&str, usize> = classes
                .iter()
                .enumerate()
                .map(|(k, c)| (c.as_str(), k))
                .collect();
            let of_code: Vec<usize> = seen.iter().map(|l| rank[l.as_str()]).collect();
            let mut class_counts = vec![0usize; classes.len()];
            let y: Array1<f64> = codes
                .iter()
                .map(|&c| {
                    let k = of_code[c as usize];
                    class_counts[k] += 1;
                    k as f64
                })
                .collect();
            Ok(Classes {
                classes,
                labels: None,
                y,
                class_counts,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes_of(labels: &[&str]) -> LabelCodes {
        let mut codes = LabelCodes::default();
        for l in labels {
            codes.push(l).unwrap();
        }
        codes
    }

    #[test]
    fn binary_targets_keep_the_v1_response_and_list_classes_in_model_order() {
        let c = codes_of(&["yes", "no", "no"]);
        let classes = resolve(&c.seen, &c.codes, None).unwrap();
        assert_eq!(classes.classes, vec!["no", "yes"]);
        assert_eq!(classes.y.to_vec(), vec![1.0, 0.0, 0.0]);
        assert_eq!(classes.class_counts, vec![2, 1]);
        // --positive naming the first class in model order: y still marks the positive rows.
        let classes = resolve(&c.seen, &c.codes, Some("no")).unwrap();
        assert_eq!(classes.classes, vec!["no", "yes"]);
        assert_eq!(classes.y.to_vec(), vec![0.0, 1.0, 1.0]);
        assert_eq!(classes.class_counts, vec![2, 1]);
    }

    #[test]
    fn multiclass_targets_get_class_indices_in_model_order() {
        let c = codes_of(&["10", "2", "1", "2", "10"]);
        let classes = resolve(&c.seen, &c.codes, None).unwrap();
        assert_eq!(classes.classes, vec!["1", "2", "10"]);
        assert_eq!(classes.y.to_vec(), vec![2.0, 1.0, 0.0, 1.0, 2.0]);
        assert_eq!(classes.class_counts, vec![1, 2, 2]);
        assert!(classes.labels.is_none());
        let err = resolve(&c.seen, &c.codes, Some("2")).unwrap_err();
        assert!(matches!(err, DataErrorKind::PositiveMulticlass { .. }));
        assert!(err.to_string().contains("--positive"), "{err}");
    }

    #[test]
    fn labels_differing_only_by_case_and_too_many_labels_are_refused() {
        let mut c = codes_of(&["a", "b"]);
        assert!(matches!(
            c.push("B"),
            Err(DataErrorKind::LabelsDifferOnlyByCase { .. })
        ));
        let mut c = LabelCodes::default();
        for i in 0..MAX_CLASSES {
            c.push(&i.to_string()).unwrap();
        }
        c.push("7").unwrap();
        let err = c.push("x").unwrap_err();
        assert!(matches!(err, DataErrorKind::TooManyLabels { .. }), "{err}");
        let err = resolve(&["a".into()], &[0, 0], None).unwrap_err();
        assert!(matches!(err, DataErrorKind::OneClass { .. }));
    }
}

//! Arrow arrays to logit's cells: integer, float and boolean columns are numbers (a boolean is
//! 0 or 1), string and dictionary-of-string columns are text (trimmed, with the missing-value
//! markers applied as to a CSV cell). A null is a missing cell; a float NaN is missing when
//! `NaN` is a missing-value marker (it is by default, as the CSV cell `NaN` is), and an
//! infinity is refused as the CSV cell `inf` is.

use std::collections::HashMap;

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrowPrimitiveType};
use arrow_schema::DataType;

use crate::data::limits::MAX_CELL_BYTES;
use crate::data::missing::Markers;
use crate::data::training::columns::MISSING_CODE;
use crate::error::DataErrorKind;

/// What logit makes of a column's Arrow type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Numeric,
    Text,
    Unsupported,
}

pub fn kind(data_type: &DataType) -> Kind {
    use DataType::*;
    match data_type {
        Boolean | Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64 | Float16
        | Float32 | Float64 => Kind::Numeric,
        Utf8 | LargeUtf8 | Utf8View => Kind::Text,
        Dictionary(_, value) if kind(value) == Kind::Text => Kind::Text,
        _ => Kind::Unsupported,
    }
}

/// Why a column cannot be used, for the message naming it.
pub fn unsupported(data_type: &DataType) -> String {
    format!(
        "the column has Arrow type {data_type}, which logit cannot use: expected an integer, \
         float or boolean column (numeric) or a string or dictionary column (categorical)"
    )
}

/// A bad cell: its row within the array and what is wrong.
pub type CellError = (usize, DataErrorKind);

/// How non-finite floats read: `NaN` is missing when it is a marker, infinities are refused.
#[derive(Clone, Copy)]
pub struct Floats {
    pub nan_missing: bool,
}

impl Floats {
    pub fn new(markers: &Markers) -> Floats {
        Floats {
            nan_missing: markers.is_missing("NaN"),
        }
    }

    /// The value of a present float cell: `NaN` marks a missing one.
    fn check(self, v: f64, row: usize) -> Result<f64, CellError> {
        if v.is_finite() || (v.is_nan() && self.nan_missing) {
            Ok(v)
        } else {
            Err((
                row,
                DataErrorKind::NotFinite {
                    value: format!("{v}"),
                },
            ))
        }
    }
}

fn primitive_numbers<T: ArrowPrimitiveType>(
    array: &dyn Array,
    to_f64: impl Fn(T::Native) -> f64,
    floats: Floats,
    out: &mut Vec<f64>,
) -> Result<(), CellError> {
    let a = array.as_primitive::<T>();
    let start = out.len();
    out.extend(a.values().iter().map(|&v| to_f64(v)));
    let written = &mut out[start..];
    if let Some(nulls) = a.nulls() {
        for i in nulls
            .iter()
            .enumerate()
            .filter(|(_, valid)| !valid)
            .map(|(i, _)| i)
        {
            written[i] = f64::NAN;
        }
        for (i, v) in written.iter_mut().enumerate() {
            if nulls.is_valid(i) {
                *v = floats.check(*v, i)?;
            }
        }
    } else {
        for (i, v) in written.iter_mut().enumerate() {
            *v = floats.check(*v, i)?;
        }
    }
    Ok(())
}

/// Appends the cells of a numeric array (`NaN` = missing) to `out`.
pub fn numbers(array: &dyn Array, floats: Floats, out: &mut Vec<f64>) -> Result<(), CellError> {
    use DataType::*;
    // Integers convert exactly or, beyond 2^53, to the nearest f64, as parsing their decimal
    // text does; floats widen exactly.
    match array.data_type() {
        Int8 => primitive_numbers::<Int8Type>(array, f64::from, floats, out),
        Int16 => primitive_numbers::<Int16Type>(array, f64::from, floats, out),
        Int32 => primitive_numbers::<Int32Type>(array, f64::from, floats, out),
        Int64 => primitive_numbers::<Int64Type>(array, |v| v as f64, floats, out),
        UInt8 => primitive_numbers::<UInt8Type>(array, f64::from, floats, out),
        UInt16 => primitive_numbers::<UInt16Type>(array, f64::from, floats, out),
        UInt32 => primitive_numbers::<UInt32Type>(array, f64::from, floats, out),
        UInt64 => primitive_numbers::<UInt64Type>(array, |v| v as f64, floats, out),
        Float16 => primitive_numbers::<Float16Type>(array, |v| v.to_f64(), floats, out),
        Float32 => primitive_numbers::<Float32Type>(array, f64::from, floats, out),
        Float64 => primitive_numbers::<Float64Type>(array, |v| v, floats, out),
        Boolean => {
            let a = array.as_boolean();
            out.extend((0..a.len()).map(|i| {
                if a.is_null(i) {
                    f64::NAN
                } else if a.value(i) {
                    1.0
                } else {
                    0.0
                }
            }));
            Ok(())
        }
        other => unreachable!("not numeric: {other}"),
    }
}

/// Text levels interned in order of first appearance (one table per row group and column).
#[derive(Debug, Default)]
pub struct Levels {
    pub levels: Vec<String>,
    index: HashMap<String, u32>,
}

impl Levels {
    /// The code of a cell (trimmed; a missing-value marker is [`MISSING_CODE`]).
    pub fn code(&mut self, cell: &str, markers: &Markers) -> Result<u32, DataErrorKind> {
        if cell.len() > MAX_CELL_BYTES {
            return Err(DataErrorKind::CellTooLong {
                bytes: cell.len(),
                limit: MAX_CELL_BYTES,
            });
        }
        if markers.is_missing(cell) {
            return Ok(MISSING_CODE);
        }
        let t = cell.trim();
        if let Some(&c) = self.index.get(t) {
            return Ok(c);
        }
        let c = self.levels.len() as u32;
        self.levels.push(t.to_string());
        self.index.insert(t.to_string(), c);
        Ok(c)
    }
}

/// Appends the codes of a text array's cells to `out` (nulls are [`MISSING_CODE`]).
/// A dictionary's values are interned once each, then its keys are mapped.
pub fn texts(
    array: &dyn Array,
    markers: &Markers,
    levels: &mut Levels,
    out: &mut Vec<u32>,
) -> Result<(), CellError> {
    if let Some(dict) = array.as_any_dictionary_opt() {
        let keys = dict.normalized_keys();
        let mut value_codes = Vec::with_capacity(dict.values().len());
        // A bad dictionary value is reported at the first row that uses it.
        texts(dict.values().as_ref(), markers, levels, &mut value_codes)
            .map_err(|(j, kind)| (keys.iter().position(|&k| k == j).unwrap_or(0), kind))?;
        let nulls = dict.keys().logical_nulls();
        out.extend(keys.iter().enumerate().map(|(i, &k)| {
            if nulls.as_ref().is_some_and(|n| n.is_null(i)) {
                MISSING_CODE
            } else {
                value_codes.get(k).copied().unwrap_or(MISSING_CODE)
            }
        }));
        return Ok(());
    }
    let mut push = |i: usize, cell: Option<&str>| -> Result<(), CellError> {
        out.push(match cell {
            None => MISSING_CODE,
            Some(s) => levels.code(s, markers).map_err(|k| (i, k))?,
        });
        Ok(())
    };
    match array.data_type() {
        DataType::Utf8 => {
            for (i, s) in array.as_string::<i32>().iter().enumerate() {
                push(i, s)?;
            }
        }
        DataType::LargeUtf8 => {
            for (i, s) in array.as_string::<i64>().iter().enumerate() {
                push(i, s)?;
            }
        }
        DataType::Utf8View => {
            for (i, s) in array.as_string_view().iter().enumerate() {
                push(i, s)?;
            }
        }
        other => unreachable!("not text: {other}"),
    }
    Ok(())
}

/// Appends one cell of any supported array as text: numbers as their shortest round-trip
/// decimal (so parsing the text gives the same f64), booleans as `true` / `false`, or as
/// `1` / `0` with `bool_as_number`; a null (or a NaN read as missing) as the empty cell.
pub fn cell_text(array: &dyn Array, i: usize, bool_as_number: bool, out: &mut String) {
    use std::fmt::Write;
    if array.is_null(i) {
        return;
    }
    if let Some(dict) = array.as_any_dictionary_opt() {
        let key = dict.normalized_keys()[i];
        cell_text(dict.values().as_ref(), key, bool_as_number, out);
        return;
    }
    let mut ryu = ryu::Buffer::new();
    let mut float = |v: f64, out: &mut String| {
        if v.is_finite() {
            out.push_str(ryu.format_finite(v));
        } else if v.is_nan() {
            out.push_str("NaN");
        } else {
            let _ = write!(out, "{v}");
        }
    };
    macro_rules! int {
        ($t:ty) => {{
            let _ = write!(out, "{}", array.as_primitive::<$t>().value(i));
        }};
    }
    match array.data_type() {
        DataType::Int8 => int!(Int8Type),
        DataType::Int16 => int!(Int16Type),
        DataType::Int32 => int!(Int32Type),
        DataType::Int64 => int!(Int64Type),
        DataType::UInt8 => int!(UInt8Type),
        DataType::UInt16 => int!(UInt16Type),
        DataType::UInt32 => int!(UInt32Type),
        DataType::UInt64 => int!(UInt64Type),
        DataType::Float16 => float(array.as_primitive::<Float16Type>().value(i).to_f64(), out),
        DataType::Float32 => float(f64::from(array.as_primitive::<Float32Type>().value(i)), out),
        DataType::Float64 => float(array.as_primitive::<Float64Type>().value(i), out),
        DataType::Boolean => {
            let v = array.as_boolean().value(i);
            out.push_str(match (v, bool_as_number) {
                (true, true) => "1",
                (false, true) => "0",
                (true, false) => "true",
                (false, false) => "false",
            });
        }
        DataType::Utf8 => out.push_str(array.as_string::<i32>().value(i)),
        DataType::LargeUtf8 => out.push_str(array.as_string::<i64>().value(i)),
        DataType::Utf8View => out.push_str(array.as_string_view().value(i)),
        _ => {}
    }
}

/// Appends the codes of any supported array read as text labels (a target or fold column):
/// text cells as [`texts`] reads them; numbers and booleans as the text [`cell_text`] writes.
pub fn label_texts(
    array: &dyn Array,
    markers: &Markers,
    levels: &mut Levels,
    out: &mut Vec<u32>,
) -> Result<(), CellError> {
    if kind(array.data_type()) == Kind::Text {
        return texts(array, markers, levels, out);
    }
    // Few distinct values: remember the code of each value's text by its rendering.
    let mut cell = String::new();
    for i in 0..array.len() {
        cell.clear();
        cell_text(array, i, false, &mut cell);
        let code = if array.is_null(i) {
            MISSING_CODE
        } else {
            levels.code(&cell, markers).map_err(|k| (i, k))?
        };
        out.push(code);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::builder::StringDictionaryBuilder;
    use arrow_array::{BooleanArray, Float64Array, Int64Array, StringArray};

    use super::*;

    #[test]
    fn numbers_read_nulls_as_nan_and_refuse_infinities() {
        let floats = Floats::new(&Markers::default());
        let mut out = Vec::new();
        let ints = Int64Array::from(vec![Some(3), None, Some(-(1 << 60))]);
        numbers(&ints, floats, &mut out).unwrap();
        let bools = BooleanArray::from(vec![Some(true), Some(false), None]);
        numbers(&bools, floats, &mut out).unwrap();
        let f = Float64Array::from(vec![0.5, f64::NAN]);
        numbers(&f, floats, &mut out).unwrap();
        let want = [
            3.0,
            f64::NAN,
            -(2f64.powi(60)),
            1.0,
            0.0,
            f64::NAN,
            0.5,
            f64::NAN,
        ];
        assert_eq!(out.len(), want.len());
        for (a, b) in out.iter().zip(&want) {
            assert!(a == b || (a.is_nan() && b.is_nan()), "{out:?}");
        }
        let inf = Float64Array::from(vec![1.0, f64::NEG_INFINITY]);
        let err = numbers(&inf, floats, &mut Vec::new()).unwrap_err();
        assert_eq!(err.0, 1);
        // Without the NaN marker a NaN is refused too.
        let strict = Floats::new(&Markers::new(vec![]));
        assert_eq!(numbers(&f, strict, &mut Vec::new()).unwrap_err().0, 1);
    }

    #[test]
    fn texts_trim_apply_markers_and_map_dictionary_keys() {
        let markers = Markers::default();
        let mut levels = Levels::default();
        let mut codes = Vec::new();
        let plain = StringArray::from(vec![Some(" a "), None, Some("NA"), Some("b"), Some("a")]);
        texts(&plain, &markers, &mut levels, &mut codes).unwrap();
        let mut d = StringDictionaryBuilder::<Int32Type>::new();
        for v in ["b", "c", "b"] {
            d.append_value(v);
        }
        d.append_null();
        let dict: Arc<dyn Array> = Arc::new(d.finish());
        texts(dict.as_ref(), &markers, &mut levels, &mut codes).unwrap();
        let m = MISSING_CODE;
        assert_eq!(codes, [0, m, m, 1, 0, 1, 2, 1, m]);
        assert_eq!(levels.levels, ["a", "b", "c"]);
        assert_eq!(kind(dict.data_type()), Kind::Text);
        assert_eq!(kind(&DataType::Date32), Kind::Unsupported);
    }

    #[test]
    fn cells_print_as_text_that_parses_back_to_the_same_value() {
        let f = Float64Array::from(vec![0.1 + 0.2, 1e300, 32.0]);
        for i in 0..f.len() {
            let mut s = String::new();
            cell_text(&f, i, true, &mut s);
            assert_eq!(s.parse::<f64>().unwrap(), f.value(i), "{s}");
        }
        let b = BooleanArray::from(vec![true]);
        let (mut n, mut t) = (String::new(), String::new());
        cell_text(&b, 0, true, &mut n);
        cell_text(&b, 0, false, &mut t);
        assert_eq!((n.as_str(), t.as_str()), ("1", "true"));
    }
}

//! Reading a model file's bytes before they are trusted as JSON: a size bound, a fast refusal
//! of bytes that cannot be JSON text (binary, compressed, not UTF-8), and duplicate keys.
//!
//! serde_json keeps the last of two equal keys without a word, so a hand-edited file with two
//! `"coefficient"` entries would be used with whichever came last; [`refuse_duplicate_keys`]
//! walks the document once and names the first repeated key and where it is.

use std::collections::HashSet;
use std::fmt;
use std::io::{self, Read};

use serde::de::{
    DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde::Deserialize;

use super::MAX_MODEL_BYTES;
use crate::error::{Error, Result};

/// Reads at most [`MAX_MODEL_BYTES`] from `reader`, stopping at the first chunk that holds
/// bytes JSON text cannot contain or is not UTF-8, so an endless or binary input fails at once.
pub(super) fn read_text(path: &str, reader: impl Read) -> Result<Vec<u8>> {
    let bad = |message: String| Error::Model {
        path: path.to_string(),
        message,
    };
    let mut limited = reader.take(MAX_MODEL_BYTES + 1);
    let mut bytes = Vec::new();
    let mut chunk = vec![0u8; 1 << 16];
    // Bytes known to be whole, valid UTF-8 (a character may straddle two chunks).
    let mut utf8_ok = 0;
    loop {
        let n = match limited.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(path, "read the model", e)),
        };
        if let Some(why) = not_text(&chunk[..n], bytes.len()) {
            return Err(bad(why));
        }
        // Checked before growing, so the buffer never outgrows the bound.
        if (bytes.len() + n) as u64 > MAX_MODEL_BYTES {
            return Err(bad(format!(
                "larger than {} MiB, the most logit reads as a model file; is this a model file?",
                MAX_MODEL_BYTES >> 20
            )));
        }
        bytes.extend_from_slice(&chunk[..n]);
        match std::str::from_utf8(&bytes[utf8_ok..]) {
            Ok(_) => utf8_ok = bytes.len(),
            Err(e) if e.error_len().is_some() => {
                return Err(bad(not_utf8(utf8_ok + e.valid_up_to())));
            }
            Err(e) => utf8_ok += e.valid_up_to(),
        }
    }
    Ok(bytes)
}

/// Why `chunk` (found at `offset` in the file) cannot be JSON text: compressed data, or a
/// control byte, which JSON allows only as whitespace (tab, newline, carriage return).
pub(super) fn not_text(chunk: &[u8], offset: usize) -> Option<String> {
    if offset == 0 && chunk.starts_with(&[0x1f, 0x8b]) {
        return Some("not a logit model file: it is gzip-compressed; decompress it first".into());
    }
    let at = chunk
        .iter()
        .position(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))?;
    Some(format!(
        "not a logit model file: byte 0x{:02x} at offset {} is binary data, not JSON text",
        chunk[at],
        offset + at
    ))
}

pub(super) fn not_utf8(offset: usize) -> String {
    format!("not a logit model file: the bytes at offset {offset} are not valid UTF-8 (JSON text)")
}

/// Fails on the first object (at any depth) that repeats a key, naming the key and its path
/// (`features[2]`); a syntax error is reported as invalid JSON.
pub(super) fn refuse_duplicate_keys(bytes: &[u8]) -> std::result::Result<(), String> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let walked = Walk::TOP.deserialize(&mut de).and_then(|()| de.end());
    walked.map_err(|e| {
        if e.classify() == serde_json::error::Category::Data {
            format!("damaged model file: {e}")
        } else {
            format!("not a logit model file (invalid JSON: {e})")
        }
    })
}

/// The fields read before the rest is trusted, as whatever JSON they hold; every other field
/// is skipped without being stored.
#[derive(Deserialize)]
pub(super) struct Header {
    #[serde(default)]
    pub format: Scalar,
    #[serde(default)]
    pub version: Scalar,
    /// Present (`"multinomial"` or `"ovr"`) in a version 2 multiclass file only.
    #[serde(default)]
    pub multiclass: Scalar,
}

/// A string, an unsigned integer, something else (skipped, not stored), or nothing.
#[derive(Debug, Default, PartialEq)]
pub(super) enum Scalar {
    #[default]
    Absent,
    Str(String),
    U64(u64),
    Other,
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(de: D) -> std::result::Result<Scalar, D::Error> {
        de.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_str<E>(self, v: &str) -> std::result::Result<Scalar, E> {
        Ok(Scalar::Str(v.to_string()))
    }

    fn visit_u64<E>(self, v: u64) -> std::result::Result<Scalar, E> {
        Ok(Scalar::U64(v))
    }

    fn visit_i64<E>(self, _: i64) -> std::result::Result<Scalar, E> {
        Ok(Scalar::Other)
    }

    fn visit_f64<E>(self, _: f64) -> std::result::Result<Scalar, E> {
        Ok(Scalar::Other)
    }

    fn visit_bool<E>(self, _: bool) -> std::result::Result<Scalar, E> {
        Ok(Scalar::Other)
    }

    fn visit_unit<E>(self) -> std::result::Result<Scalar, E> {
        Ok(Scalar::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Scalar, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Scalar, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }
}

/// A JSON value being walked: its place as a chain of steps up to the top, formatted only for
/// an error (a path string per value would dominate the walk of a large file).
#[derive(Clone, Copy)]
struct Walk<'p> {
    parent: Option<&'p Walk<'p>>,
    step: Step<'p>,
}

#[derive(Clone, Copy)]
enum Step<'p> {
    Top,
    Index(usize),
    Key(&'p str),
}

impl Walk<'_> {
    const TOP: Walk<'static> = Walk {
        parent: None,
        step: Step::Top,
    };

    /// `features[2].name`; empty at the top.
    fn path(&self) -> String {
        let mut steps = Vec::new();
        let mut at = Some(self);
        while let Some(w) = at {
            steps.push(w.step);
            at = w.parent;
        }
        let mut path = String::new();
        for step in steps.iter().rev() {
            match step {
                Step::Top => {}
                Step::Index(i) => path.push_str(&format!("[{i}]")),
                Step::Key(k) if path.is_empty() => path.push_str(k),
                Step::Key(k) => path.push_str(&format!(".{k}")),
            }
        }
        path
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> std::result::Result<(), D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> std::result::Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> std::result::Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> std::result::Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> std::result::Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> std::result::Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> std::result::Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        let mut i = 0usize;
        while seq
            .next_element_seed(Walk {
                parent: Some(&self),
                step: Step::Index(i),
            })?
            .is_some()
        {
            i += 1;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if seen.contains(&key) {
                let path = self.path();
                let place = if path.is_empty() {
                    "at the top level".to_string()
                } else {
                    format!("in {path}")
                };
                return Err(A::Error::custom(format!(
                    "the key {key:?} appears twice {place}; keep one"
                )));
            }
            map.next_value_seed(Walk {
                parent: Some(&self),
                step: Step::Key(&key),
            })?;
            seen.insert(key);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_key_is_named_with_its_path_at_any_depth() {
        let doc = br#"{"a": 1, "features": [{"x": 1}, {"x": 2, "y": [1, {"z": 0, "z": 1}]}]}"#;
        let err = refuse_duplicate_keys(doc).unwrap_err();
        assert!(
            err.contains("the key \"z\" appears twice in features[1].y[1]"),
            "{err}"
        );
        let top = refuse_duplicate_keys(br#"{"a": 1, "b": 2, "a": 3}"#).unwrap_err();
        assert!(
            top.contains("\"a\" appears twice at the top level"),
            "{top}"
        );
        assert!(refuse_duplicate_keys(br#"{"a": {"a": 1}, "b": [{"a": 2}]}"#).is_ok());
    }

    #[test]
    fn the_header_reads_format_and_version_of_any_type_and_skips_the_rest() {
        let h: Header =
            serde_json::from_str(r#"{"x": [1, {"y": 2}], "format": "f", "version": 3}"#).unwrap();
        assert_eq!(
            (h.format, h.version),
            (Scalar::Str("f".into()), Scalar::U64(3))
        );
        assert_eq!(h.multiclass, Scalar::Absent);
        let h: Header = serde_json::from_str(r#"{"format": ["f"], "version": 1.0}"#).unwrap();
        assert_eq!((h.format, h.version), (Scalar::Other, Scalar::Other));
        let h: Header = serde_json::from_str("{}").unwrap();
        assert_eq!((h.format, h.version), (Scalar::Absent, Scalar::Absent));
    }

    #[test]
    fn an_endless_zero_stream_stops_at_the_first_chunk() {
        let err = read_text("z", io::repeat(0)).unwrap_err();
        assert!(err.to_string().contains("byte 0x00 at offset 0"), "{err}");
    }

    #[test]
    fn an_endless_stream_of_spaces_stops_at_the_size_bound() {
        let err = read_text("s", io::repeat(b' ')).unwrap_err();
        assert!(err.to_string().contains("larger than 256 MiB"), "{err}");
    }

    #[test]
    fn a_character_split_across_chunks_is_valid_utf8() {
        let mut text = vec![b' '; (1 << 16) - 1];
        text.extend_from_slice("é".as_bytes());
        assert_eq!(read_text("u", &text[..]).unwrap(), text);
    }
}

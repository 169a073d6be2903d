//! Recognising inputs that are not CSV text from their first bytes (magic numbers), so a
//! compressed or binary file gets a message saying what it is instead of "not valid UTF-8".
//! gzip and zstd are not here: [`super::input::Source`] decodes them ([`super::compress`]) and
//! sniffs the decoded text again; xz, bzip2 and the archive formats are still refused.

/// What the first bytes of an input say it is, when that is not CSV text: a short name of the
/// format and what to do about it.
pub fn not_csv(prefix: &[u8], name: &str) -> Option<(&'static str, String)> {
    let decompress = |format: &'static str, tool: &str| {
        Some((
            format,
            format!(
                "decompress it first ({tool} {name} > data.csv, or {tool} {name} | logit ... -)"
            ),
        ))
    };
    match prefix {
        [0xfd, b'7', b'z', b'X', b'Z', 0x00, ..] => decompress("xz-compressed data", "xzcat"),
        // "BZh", a block size digit, then the block magic (the digits of pi in BCD).
        [b'B', b'Z', b'h', b'1'..=b'9', 0x31, 0x41, 0x59, 0x26, 0x53, 0x59, ..]
        | [b'B', b'Z', b'h', b'1'..=b'9', 0x17, 0x72, 0x45, 0x38, 0x50, 0x90, ..] => {
            decompress("bzip2-compressed data", "bzcat")
        }
        [b'P', b'K', 0x03, 0x04, ..] | [b'P', b'K', 0x05, 0x06, ..] => Some((
            "a zip archive (an .xlsx workbook is one)",
            "extract the CSV file (or export the sheet as CSV) first".to_string(),
        )),
        [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, ..] => Some((
            "an OLE document (an .xls workbook)",
            "export the sheet as CSV first".to_string(),
        )),
        // Parquet files start (and end) with "PAR1"; a CSV header could too, so the byte after
        // it must be binary (a thrift page header starts with 0x15).
        [b'P', b'A', b'R', b'1', b, ..] if is_binary(*b) => Some((
            "a Parquet file",
            "convert it to CSV first (reading Parquet is planned)".to_string(),
        )),
        [b'7', b'z', 0xbc, 0xaf, 0x27, 0x1c, ..] => {
            Some(("a 7-Zip archive", "extract the CSV file first".to_string()))
        }
        [0xff, 0xfe, ..] | [0xfe, 0xff, ..] => Some((
            "UTF-16 text",
            "save it as UTF-8 (iconv -f UTF-16 -t UTF-8)".to_string(),
        )),
        _ => None,
    }
}

/// A byte that does not occur in text: a control character other than tab and line ends.
fn is_binary(b: u8) -> bool {
    b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compressed_and_binary_formats_are_named() {
        let cases: [(&[u8], &str); 5] = [
            (&[0xfd, b'7', b'z', b'X', b'Z', 0], "xz"),
            (b"BZh91AY&SY", "bzip2"),
            (b"PK\x03\x04\x14\x00", "zip"),
            (b"PAR1\x15\x04", "Parquet"),
            (b"\xff\xfea\x00", "UTF-16"),
        ];
        for (bytes, word) in cases {
            let (format, advice) = not_csv(bytes, "f").unwrap();
            assert!(format.contains(word), "{format}");
            assert!(!advice.is_empty());
        }
    }

    #[test]
    fn gzip_and_zstd_are_left_to_the_decoder() {
        assert!(not_csv(&[0x1f, 0x8b, 8, 0], "f").is_none());
        assert!(not_csv(&[0x28, 0xb5, 0x2f, 0xfd, 0], "f").is_none());
    }

    #[test]
    fn csv_text_that_starts_like_a_magic_number_is_left_alone() {
        for text in [&b"PAR1,PAR2,y\n"[..], b"BZh,y\n", b"PK,y\n", b"a,b\n", b""] {
            assert!(not_csv(text, "f").is_none(), "{text:?}");
        }
    }
}

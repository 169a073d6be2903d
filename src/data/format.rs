//! Which reader an input goes to: CSV text (possibly gzip/zstd compressed), svmlight / libsvm
//! text, or Parquet. `--format` decides; otherwise the file name's extension (after a `.gz` /
//! `.zst` suffix), then the first bytes; everything else is CSV.

/// The table formats logit reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InputFormat {
    #[default]
    Csv,
    /// `label idx:val ...` lines (LIBLINEAR, Vowpal Wabbit's cousins, scikit-learn's
    /// load_svmlight_file).
    Svmlight,
    Parquet,
}

impl InputFormat {
    pub fn name(self) -> &'static str {
        match self {
            InputFormat::Csv => "csv",
            InputFormat::Svmlight => "svmlight",
            InputFormat::Parquet => "parquet",
        }
    }
}

/// Compression suffixes ignored when reading a name's extension.
const COMPRESSED_SUFFIXES: [&str; 3] = [".gz", ".zst", ".zstd"];

/// The format of the input `path` (whose first bytes are `prefix`): the flag, else the
/// extension, else Parquet's magic number, else CSV.
pub fn detect_format(path: &str, flag: Option<InputFormat>, prefix: &[u8]) -> InputFormat {
    if let Some(format) = flag {
        return format;
    }
    let lower = path.to_ascii_lowercase();
    let mut stem = lower.as_str();
    for suffix in COMPRESSED_SUFFIXES {
        if let Some(s) = stem.strip_suffix(suffix) {
            stem = s;
            break;
        }
    }
    let extension = std::path::Path::new(stem)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("");
    match extension {
        "svm" | "libsvm" | "svmlight" => InputFormat::Svmlight,
        "parquet" | "pq" => InputFormat::Parquet,
        _ if is_parquet_magic(prefix) => InputFormat::Parquet,
        _ => InputFormat::Csv,
    }
}

/// Parquet files start with "PAR1"; a CSV header could too, so the next byte must be binary
/// (a thrift page header starts with 0x15).
pub fn is_parquet_magic(prefix: &[u8]) -> bool {
    matches!(prefix, [b'P', b'A', b'R', b'1', b, ..] if *b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_then_extension_then_magic() {
        use InputFormat::*;
        assert_eq!(detect_format("a.csv", Some(Svmlight), b""), Svmlight);
        assert_eq!(detect_format("a.svm", None, b""), Svmlight);
        assert_eq!(detect_format("dir/a.LIBSVM.gz", None, b""), Svmlight);
        assert_eq!(detect_format("a.svmlight.zst", None, b""), Svmlight);
        assert_eq!(detect_format("a.parquet", None, b""), Parquet);
        assert_eq!(detect_format("a.pq", None, b""), Parquet);
        assert_eq!(detect_format("-", None, b"PAR1\x15\x04"), Parquet);
        assert_eq!(detect_format("a.csv", None, b"PAR1,x\n"), Csv);
        assert_eq!(detect_format("a.csv.gz", None, b"\x1f\x8b"), Csv);
        assert_eq!(detect_format("a.txt", None, b"1 3:1"), Csv);
    }
}

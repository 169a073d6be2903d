//! `train`'s out-of-core options (issue 12): `--max-memory`, `--cache`, `--keep-cache`.

use clap::Args;

#[derive(Debug, Clone, Default, Args)]
pub struct OocArgs {
    /// Memory the design matrix may take (e.g. 512M, 4G; K, M, G, T are powers of 1024): a
    /// larger one is streamed once into a row cache on disk that every pass of the fit reads
    /// block by block (same model as in memory) [default: no limit]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_memory: Option<u64>,
    /// Directory of the row cache [default: the model output's directory]
    #[arg(long, value_name = "DIR", requires = "max_memory")]
    pub cache: Option<String>,
    /// Keep the row cache file after training (its path is printed)
    #[arg(long, requires = "max_memory")]
    pub keep_cache: bool,
}

/// A size in bytes: a whole or decimal number with an optional unit K, M, G or T (powers of
/// 1024; `KB`, `KiB`, any letter case, also accepted) or B.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => {
            return Err(format!(
                "{s:?} is not a size: expected a number with an optional unit K, M, G or T \
                 (e.g. 512M, 4G)"
            ))
        }
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{s:?} is not a size: expected a number such as 512M or 4G"))?;
    let bytes =
        value * f64::from(1u32 << shift.min(30)) * f64::from(1u32 << (shift - shift.min(30)));
    if !(1.0..1.8e19).contains(&bytes) {
        return Err(format!(
            "{s:?} is not a usable size: expected at least 1 byte"
        ));
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_powers_of_1024_and_bad_ones_are_named() {
        assert_eq!(parse_size("100M"), Ok(100 << 20));
        assert_eq!(parse_size("4G"), Ok(4 << 30));
        assert_eq!(parse_size("1.5k"), Ok(1536));
        assert_eq!(parse_size("2 GiB"), Ok(2 << 30));
        assert_eq!(parse_size("1T"), Ok(1 << 40));
        assert_eq!(parse_size("4096"), Ok(4096));
        for bad in ["", "M", "12Q", "-5M", "0", "1e3M", "0.1"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}

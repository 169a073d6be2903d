//! `train --max-memory`: whether the design goes to a row cache on disk instead of memory,
//! where the cache goes, and the options that need the matrix in memory (refused then).
//!
//! The decision is made before reading, from what can be known then: a regular uncompressed
//! CSV file's size and the first lines' length and width give an estimate of its rows and so
//! of the dense design (8 bytes per cell); the in-memory readers also hold the text, so the
//! file's size counts too. When the estimate exceeds the limit, or the size cannot be known
//! (compressed input, a pipe), the rows are streamed into the cache.

use std::path::{Path, PathBuf};

use super::TrainConfig;
use crate::data::cache::{self, csv::CachePlan};
use crate::data::design::DesignChoice;
use crate::data::encode::{TrainingData, TrainingSelection};
use crate::data::input::Source;
use crate::data::missing::MissingPolicy;
use crate::error::{Error, Result};
use crate::fit::solvers::SolverKind;

/// The validated out-of-core options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutOfCore {
    /// `--max-memory`, bytes.
    pub max_memory: u64,
    /// `--cache DIR`.
    pub dir: Option<String>,
    /// `--keep-cache`.
    pub keep: bool,
}

/// Bytes per block of the cache: at most 1/64 of the limit (and at most 4 MiB), so a pass's
/// buffers stay far below it.
pub fn block_bytes(max_memory: u64) -> u64 {
    (max_memory / 64).min(4 << 20)
}

/// The estimated bytes of reading `source` in memory, or `None` when they cannot be known.
fn estimated_bytes(source: &Source, delimiter: u8) -> Option<u64> {
    let (_, len) = source.regular_file()?;
    if source.compression().is_some() {
        return None;
    }
    let prefix = source.prefix();
    let lines: Vec<&[u8]> = prefix.split(|&b| b == b'\n').collect();
    // The header and whole lines only (the last piece of the prefix may be cut).
    let whole = &lines[..lines.len().saturating_sub(1)];
    let fields = whole
        .first()
        .map_or(1, |h| h.iter().filter(|&&b| b == delimiter).count() + 1) as u64;
    let body: Vec<&&[u8]> = whole.iter().skip(1).collect();
    if body.is_empty() {
        // One very long line or less: as many rows as fields would not be known.
        return Some(len.saturating_mul(9));
    }
    let avg = body.iter().map(|l| l.len() as u64 + 1).sum::<u64>() / body.len() as u64;
    let rows = len / avg.max(1) + 1;
    Some(len.saturating_add(rows.saturating_mul(fields).saturating_mul(8)))
}

/// Reads DATA into a row cache when `--max-memory` says the design would not fit; `None` to
/// read it in memory as usual.
pub fn read_if_too_large(
    config: &TrainConfig,
    selection: &TrainingSelection,
    source: &mut Option<Source>,
) -> Result<Option<TrainingData>> {
    let Some(ooc) = &config.ooc else {
        return Ok(None);
    };
    let fits = source
        .as_ref()
        .and_then(|s| estimated_bytes(s, config.delimiter))
        .is_some_and(|bytes| bytes <= ooc.max_memory);
    if fits {
        return Ok(None);
    }
    refuse_in_memory_options(config, ooc.max_memory)?;
    let source = source.take().expect("the source is there");
    source.check_csv()?;
    let plan = CachePlan {
        path: cache_path(config, ooc)?,
        block_bytes: block_bytes(ooc.max_memory),
        keep: ooc.keep,
    };
    let data = cache::csv::read_training_cached(source, config.delimiter, selection, &plan)?;
    Ok(Some(data))
}

/// The options that need the design in memory, refused with the reason.
fn refuse_in_memory_options(config: &TrainConfig, limit: u64) -> Result<()> {
    let why = format!(
        "--max-memory {}: the design is streamed into a row cache on disk",
        shown_size(limit)
    );
    let refuse = |what: &str, instead: &str| -> Result<()> {
        Err(Error::Usage(format!("{what} with {why}; {instead}")))
    };
    if config.missing == MissingPolicy::Median {
        return refuse(
            "--missing median needs every value of a column at once, which it cannot have",
            "use --missing mean or drop, or a larger --max-memory",
        );
    }
    if config.fit.solver == SolverKind::Linfa || config.cross_check {
        return refuse(
            "linfa-logistic (--solver linfa, --cross-check) needs the matrix in memory, \
             which it cannot have",
            "use another solver, or a larger --max-memory",
        );
    }
    if config.design == DesignChoice::Sparse {
        return refuse(
            "--design sparse builds a CSR matrix in memory, which it cannot",
            "leave out --design (the cache stores categorical codes, not their one-hot \
             columns)",
        );
    }
    Ok(())
}

/// A new cache file's path: in `--cache DIR`, else the model output's directory.
fn cache_path(config: &TrainConfig, ooc: &OutOfCore) -> Result<PathBuf> {
    let dir = match &ooc.dir {
        Some(d) => PathBuf::from(d),
        None if config.output == "-" => PathBuf::from("."),
        None => Path::new(&config.output)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
    };
    if !dir.is_dir() {
        return Err(Error::Usage(format!(
            "--cache {}: not a directory (the row cache is written there)",
            dir.display()
        )));
    }
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    Ok(dir.join(format!(
        ".logit-{}-{stamp:x}{}",
        std::process::id(),
        cache::SUFFIX
    )))
}

/// `512 MiB`, `100.0 MiB`, `2.0 GiB`.
pub fn shown_size(bytes: u64) -> String {
    let b = bytes as f64;
    if bytes >= 1 << 30 {
        format!("{:.1} GiB", b / f64::from(1u32 << 30))
    } else if bytes >= 1 << 20 {
        format!("{:.1} MiB", b / f64::from(1u32 << 20))
    } else if bytes >= 1 << 10 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_a_small_share_of_the_limit_and_never_empty() {
        assert_eq!(block_bytes(100 << 20), (100 << 20) / 64);
        assert_eq!(block_bytes(1 << 40), 4 << 20);
        assert_eq!(shown_size(100 << 20), "100.0 MiB");
        assert_eq!(shown_size(1536), "1.5 KiB");
    }
}

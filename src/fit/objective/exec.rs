//! How the passes over the rows run: threads, rows per block, kernel copy.

use crate::fit::numerics::{self, Kernel};

/// Rows per block of the fused loss-and-gradient pass: small enough for a block's scores and
/// rows to stay in cache, large enough to amortise the per-block bookkeeping.
pub const BLOCK_ROWS: usize = 256;

/// Work (rows x features) below which a single thread is faster than starting threads.
const PARALLEL_WORK: usize = 1 << 17;

/// How the passes over the rows are run: threads, rows per block and kernel copy.
///
/// The result depends only on `block_rows` (the partition of the rows and so the order of the
/// sums), never on `threads` or `kernel`: that is the promise the tests check bit for bit. The
/// defaults come from [`Exec::from_env`]; tests force each path with
/// [`super::Objective::with_exec`].
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exec {
    /// Threads to use; `None` for automatic (one for small problems, else every core).
    pub threads: Option<usize>,
    /// Rows per block (at least 1).
    pub block_rows: usize,
    /// Which compiled copy of the block loops runs.
    pub kernel: Kernel,
}

impl Exec {
    /// The simple path: one thread, the scalar kernel, the default blocks.
    pub fn reference() -> Exec {
        Exec {
            threads: Some(1),
            block_rows: BLOCK_ROWS,
            kernel: Kernel::Scalar,
        }
    }

    /// Automatic threads and the widest kernel, unless overridden by the test and benchmarking
    /// knobs `LOGIT_THREADS`, `LOGIT_BLOCK_ROWS` and `LOGIT_KERNEL` (positive integers and
    /// `scalar|avx2|avx512`; read once per process; a value that cannot be used is ignored with a
    /// note on stderr).
    pub fn from_env() -> Exec {
        static FROM_ENV: std::sync::OnceLock<Exec> = std::sync::OnceLock::new();
        *FROM_ENV.get_or_init(|| Exec {
            threads: positive_env("LOGIT_THREADS"),
            block_rows: positive_env("LOGIT_BLOCK_ROWS").unwrap_or(BLOCK_ROWS),
            kernel: Kernel::active(),
        })
    }

    /// Threads for `work` multiply-adds.
    pub(crate) fn threads_for(&self, work: usize) -> usize {
        match self.threads {
            Some(t) => t.max(1),
            None if work < PARALLEL_WORK => 1,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// A positive integer from the environment variable `name`, if set and valid.
fn positive_env(name: &str) -> Option<usize> {
    let value = std::env::var_os(name)?;
    match value.to_str().and_then(|v| v.trim().parse::<usize>().ok()) {
        Some(n) if n > 0 => Some(n),
        _ => {
            numerics::knob_note(&format!(
                "{name}={} is not a positive integer; ignored",
                value.to_string_lossy()
            ));
            None
        }
    }
}

/// Runs `work(first_unit, out)` over `units` equal chunks of `out` (each `width` long), shared
/// out among `threads` threads in contiguous runs of units. Every unit writes only its own
/// chunk, so the result does not depend on the number of threads.
pub(crate) fn for_each_unit<F>(threads: usize, units: usize, width: usize, out: &mut [f64], work: F)
where
    F: Fn(usize, &mut [f64]) + Sync,
{
    debug_assert_eq!(out.len(), units * width);
    if threads <= 1 || units < 2 {
        work(0, out);
        return;
    }
    let per_thread = units.div_ceil(threads);
    std::thread::scope(|scope| {
        for (t, chunk) in out.chunks_mut(per_thread * width).enumerate() {
            let work = &work;
            scope.spawn(move || work(t * per_thread, chunk));
        }
    });
}

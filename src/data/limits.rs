//! Size limits on input records, so an endless input (`/dev/zero`, a file without line ends)
//! fails with a clear message instead of growing memory without bound.
//!
//! Both of predict's paths and eval apply them through [`super::records`]; the limits are far
//! above any real CSV (a 100,000-column numeric row is about 1 MB).

/// Longest record accepted: its fields' bytes plus one per delimiter (for a plain line, its
/// length without the line end).
pub const MAX_LINE_BYTES: usize = 64 << 20;

/// Longest single cell accepted, after unquoting.
pub const MAX_CELL_BYTES: usize = 1 << 20;

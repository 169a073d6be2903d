//! Size limits on input data, shared by every reader (train's csv and fast paths, eval, and
//! predict's csv and fast paths), so an endless or binary input (`/dev/zero`, `/dev/urandom`)
//! stops after a bounded amount of memory with a message naming the file and line.
//!
//! The limits are far above any sensible CSV: a 1,000,000-column row of short numbers fits in a
//! record; a cell of a mebibyte is already no number and no sensible category level.

/// Longest record (or physical line, for the readers that take one line per record) in bytes.
pub const MAX_RECORD_BYTES: usize = 16 << 20;

/// Longest cell that a command uses (feature, target or kept column), in bytes.
pub const MAX_CELL_BYTES: usize = 1 << 20;

/// Most levels a categorical column may have in a dense design: beyond this, one-hot encoding
/// into a dense matrix is refused (the matrix, its Hessian and the inference table grow with the
/// level count). Such a column is nearly always an ID, a date or free text. A sparse design
/// (`--design sparse`, or `auto` on mostly-zero data) has no level limit: it stores one entry
/// per row and categorical column, whatever the levels.
pub const MAX_LEVELS: usize = 10_000;

/// Largest dense one-hot block (rows x one-hot columns x 8 bytes) train builds, checked before
/// the matrix is allocated; for the dense design only (see [`MAX_LEVELS`]).
pub const MAX_ONE_HOT_BYTES: u64 = 2 << 30;

/// A categorical column gets a warning (ID-like or date-like) when it has more levels than this
/// and fewer than [`ROWS_PER_LEVEL_WARNING`] rows per level on average.
pub const LEVELS_WARNING: usize = 20;

/// See [`LEVELS_WARNING`]; also warned whatever the rows when levels exceed 1,000.
pub const ROWS_PER_LEVEL_WARNING: usize = 5;

/// Bytes sniffed from the start of an input to recognise compressed or binary formats.
pub const SNIFF_BYTES: usize = 16;

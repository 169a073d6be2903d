//! One read of the file: threads take blocks of whole lines in file order, each block's rows
//! are handed out as it is taken, and the block is parsed into them while the next is taken.
//!
//! Taking a block (reading it, finding its last line end, counting its records and cutting its
//! rows off the matrix) happens under one lock, so blocks get consecutive rows in file order
//! without a counting pass over the whole file first; parsing, most of the work, runs outside
//! it. The block stays in the thread's buffer (small enough to stay in its core's cache) from
//! the copy out of the page cache to the parse.

use std::sync::Mutex;

use super::bytes::ByteSource;
use super::parse::{count_block, parse_block, Layout, RangeOut};
use super::GiveUp;
use crate::data::limits::MAX_RECORD_BYTES;

/// Bytes taken per block: a few hundred lines of a wide file, and small next to a core's L2
/// cache, so the parse reads what the copy just wrote.
pub(super) const BLOCK_BYTES: usize = 1 << 19;

/// The rows of one parsed block and the labels its codes index.
pub(super) struct Parsed {
    /// Blocks are numbered in file order.
    pub index: usize,
    pub first_row: usize,
    pub rows: usize,
    pub labels: Vec<Vec<u8>>,
}

/// Why [`read_blocks`] stopped without parsing everything.
pub(super) enum Stop {
    GiveUp(GiveUp),
    /// More records than the rows allocated: the bound was wrong (the caller counts first and
    /// tries again).
    TooManyRows,
}

/// What is not yet taken: the next byte and the rows of the matrix not yet handed out.
struct Cursor<'a> {
    offset: u64,
    next_row: usize,
    index: usize,
    x: &'a mut [f64],
    codes: &'a mut [u32],
    weights: &'a mut [f64],
    /// Set when a thread stops, so the others stop at their next block.
    stop: bool,
}

/// Parses the records of `[start, end)` into consecutive rows of `out` (which has room for at
/// most `out.codes.len()` rows) on `threads` threads, in blocks of about `block_bytes`.
/// Returns the blocks in file order.
pub(super) fn read_blocks<S: ByteSource + ?Sized>(
    file: &S,
    (start, end): (u64, u64),
    layout: &Layout,
    out: RangeOut,
    threads: usize,
    block_bytes: usize,
) -> std::io::Result<Result<Vec<Parsed>, Stop>> {
    let weighted = !out.weights.is_empty();
    let cursor = Mutex::new(Cursor {
        offset: start,
        next_row: 0,
        index: 0,
        x: out.x,
        codes: out.codes,
        weights: out.weights,
        stop: false,
    });
    let cursor = &cursor;
    let results: Vec<std::io::Result<Result<Vec<Parsed>, Stop>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.max(1))
            .map(|_| {
                scope.spawn(move || {
                    let outcome = worker(file, end, layout, cursor, weighted, block_bytes);
                    if !matches!(outcome, Ok(Ok(_))) {
                        cursor.lock().expect("no panics under the lock").stop = true;
                    }
                    outcome
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("parsing thread panicked"))
            .collect()
    });
    let mut parsed = Vec::new();
    for r in results {
        match r? {
            Ok(blocks) => parsed.extend(blocks),
            Err(stop) => return Ok(Err(stop)),
        }
    }
    parsed.sort_unstable_by_key(|b| b.index);
    Ok(Ok(parsed))
}

/// One thread: takes blocks until none is left, parsing each.
fn worker<S: ByteSource + ?Sized>(
    file: &S,
    end: u64,
    layout: &Layout,
    cursor: &Mutex<Cursor>,
    weighted: bool,
    block_bytes: usize,
) -> std::io::Result<Result<Vec<Parsed>, Stop>> {
    let mut buf = Vec::new();
    let mut done = Vec::new();
    loop {
        let (block, out, parsed) = {
            let mut c = cursor.lock().expect("no panics under the lock");
            if c.stop || c.offset >= end {
                return Ok(Ok(done));
            }
            let len = match take_block(file, &mut buf, c.offset, end, block_bytes)? {
                Ok(len) => len,
                Err(g) => return Ok(Err(Stop::GiveUp(g))),
            };
            let block = file.filled(&buf, c.offset, len);
            let rows = match count_block(block) {
                Ok(rows) => rows,
                Err(g) => return Ok(Err(Stop::GiveUp(g))),
            };
            if rows > c.codes.len() {
                return Ok(Err(Stop::TooManyRows));
            }
            let (x, x_rest) = std::mem::take(&mut c.x).split_at_mut(rows * layout.p);
            let (codes, codes_rest) = std::mem::take(&mut c.codes).split_at_mut(rows);
            let (weights, weights_rest) =
                std::mem::take(&mut c.weights).split_at_mut(if weighted { rows } else { 0 });
            c.x = x_rest;
            c.codes = codes_rest;
            c.weights = weights_rest;
            let parsed = Parsed {
                index: c.index,
                first_row: c.next_row,
                rows,
                labels: Vec::new(),
            };
            c.offset += block.len() as u64;
            c.next_row += rows;
            c.index += 1;
            (block, RangeOut { x, codes, weights }, parsed)
        };
        match parse_block(block, layout, out) {
            Ok(labels) => done.push(Parsed { labels, ..parsed }),
            Err(g) => return Ok(Err(Stop::GiveUp(g))),
        }
    }
}

/// The whole lines from `offset`: about `block_bytes` (more for a longer line), up to the last
/// line end, or everything up to `end` (whose last line may lack its line end). Returns their
/// length; [`ByteSource::filled`] gives the bytes.
fn take_block<S: ByteSource + ?Sized>(
    file: &S,
    buf: &mut Vec<u8>,
    offset: u64,
    end: u64,
    block_bytes: usize,
) -> std::io::Result<Result<usize, GiveUp>> {
    let left = end - offset;
    let mut want = block_bytes.max(1);
    loop {
        let want_here = usize::try_from(left).map_or(want, |l| l.min(want));
        // A grown block is read again whole; rare (a line longer than a block).
        let got = file.fill(buf, offset, want_here)?;
        if want_here as u64 == left || got < want_here {
            // The end of the range, or of the file (it shrank): all of it.
            return Ok(Ok(got));
        }
        if let Some(last) = memchr::memrchr(b'\n', file.filled(buf, offset, got)) {
            return Ok(Ok(last + 1));
        }
        if want >= MAX_RECORD_BYTES {
            return Ok(Err(GiveUp::LongLine));
        }
        want *= 2;
    }
}

//! Any byte stream (a file, stdin, a decompressed stream) cut into chunks of whole lines that
//! are parsed in parallel, one chunk per thread at a time, and handed back in input order.
//!
//! svmlight lines are independent (no quoting, no header), so a chunk can start at any line
//! start. Chunks are cut at fixed byte counts, never by thread count, so the result does not
//! depend on the number of threads. Memory stays at one batch of chunks plus what the caller
//! keeps. Line numbers: each worker counts its chunk's `\n`, so a problem found at a line of
//! a chunk is reported at its physical line in the input.

use std::io::Read;

use crate::data::limits::MAX_RECORD_BYTES;
use crate::error::{DataError, DataErrorKind, Error, Location, Result};

/// Bytes per chunk (whole lines; a longer line makes a longer chunk).
pub const CHUNK_BYTES: usize = 4 << 20;

/// A problem found by a chunk's parser: the 0-based line within the chunk, and what.
pub type ChunkError = (u64, DataErrorKind);

/// Reads `input` to its end in chunks of whole lines, runs `parse` on up to one chunk per
/// thread at a time, and calls `consume` with each chunk's result and the physical line (1-based)
/// of its first line, in input order. `parse` sees the chunk's bytes, every line ending in
/// `\n` except perhaps the input's last. The first error in input order is returned, located
/// in `file`; a line longer than [`MAX_RECORD_BYTES`] is one.
pub fn for_each_chunk<R: Read, T: Send>(
    file: &str,
    mut input: R,
    parse: impl Fn(&[u8]) -> Result<T, ChunkError> + Sync,
    mut consume: impl FnMut(T, u64) -> Result<()>,
) -> Result<()> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let read_err = |e: std::io::Error| Error::io(file, "read it", e);
    let mut pending: Vec<u8> = Vec::new();
    let mut eof = false;
    let mut next_line = 1u64;
    loop {
        let mut chunks: Vec<Vec<u8>> = Vec::with_capacity(threads);
        // Bytes at the front of `pending` known to hold no `\n`.
        let mut scanned = 0;
        while chunks.len() < threads && !(eof && pending.is_empty()) {
            while !eof && pending.len() < CHUNK_BYTES.max(scanned + 1) {
                if read_more(&mut input, &mut pending).map_err(read_err)? == 0 {
                    eof = true;
                }
            }
            let cut = match memchr::memrchr(b'\n', &pending[scanned..]) {
                Some(i) => scanned + i + 1,
                None if eof => pending.len(),
                None => {
                    // One line longer than a chunk: read on until it ends.
                    scanned = pending.len();
                    if scanned > MAX_RECORD_BYTES {
                        // Lines before this one are in earlier chunks; count them.
                        let line = next_line
                            + chunks
                                .iter()
                                .map(|c| memchr::memchr_iter(b'\n', c).count() as u64)
                                .sum::<u64>();
                        let kind = DataErrorKind::RecordTooLong {
                            limit: MAX_RECORD_BYTES,
                        };
                        return Err(DataError::new(Location::line(file, line), kind).into());
                    }
                    continue;
                }
            };
            scanned = 0;
            let rest = pending.split_off(cut);
            chunks.push(std::mem::replace(&mut pending, rest));
        }
        if chunks.is_empty() {
            return Ok(());
        }
        let parse = &parse;
        let work = |chunk: &Vec<u8>| {
            let lines = memchr::memchr_iter(b'\n', chunk).count() as u64;
            (lines, parse(chunk))
        };
        let results: Vec<(u64, Result<T, ChunkError>)> = if chunks.len() == 1 {
            vec![work(&chunks[0])]
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = chunks
                    .iter()
                    .map(|c| scope.spawn(move || work(c)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("svmlight parsing thread panicked"))
                    .collect()
            })
        };
        drop(chunks);
        for (lines, result) in results {
            match result {
                Ok(value) => consume(value, next_line)?,
                Err((at, kind)) => {
                    let location = Location::line(file, next_line + at);
                    return Err(DataError::new(location, kind).into());
                }
            }
            next_line += lines;
        }
    }
}

/// Calls `each` with every line of a chunk (without `\n` and a trailing `\r`) and its 0-based
/// line number within the chunk.
pub fn lines(
    chunk: &[u8],
    mut each: impl FnMut(&[u8], u64) -> Result<(), DataErrorKind>,
) -> Result<(), ChunkError> {
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', chunk).chain(std::iter::once(chunk.len()));
    for (at, end) in (0u64..).zip(ends) {
        // The input's end right after a `\n` starts no line.
        if end == chunk.len() && start == end {
            break;
        }
        let mut line = &chunk[start..end];
        if let [rest @ .., b'\r'] = line {
            line = rest;
        }
        each(line, at).map_err(|kind| (at, kind))?;
        start = end + 1;
    }
    Ok(())
}

/// Reads up to a chunk more onto the end of `buf`; returns how many bytes (0 at the end).
fn read_more(input: &mut dyn Read, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    let start = buf.len();
    buf.resize(start + CHUNK_BYTES, 0);
    let got = loop {
        match input.read(&mut buf[start..]) {
            Ok(n) => break n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                buf.truncate(start);
                return Err(e);
            }
        }
    };
    buf.truncate(start + got);
    Ok(got)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line of `input` with its physical line, through chunks.
    fn all_lines(input: &[u8]) -> Vec<(u64, Vec<u8>)> {
        let mut out = Vec::new();
        for_each_chunk(
            "t.svm",
            input,
            |chunk| {
                let mut got = Vec::new();
                lines(chunk, |line, at| {
                    got.push((at, line.to_vec()));
                    Ok(())
                })?;
                Ok(got)
            },
            |got, first| {
                out.extend(got.into_iter().map(|(at, l)| (first + at, l)));
                Ok(())
            },
        )
        .unwrap();
        out
    }

    #[test]
    fn lines_keep_their_physical_numbers_across_chunks() {
        // Enough lines for several chunks and batches, some longer than a chunk.
        let mut input = Vec::new();
        let mut expected = Vec::new();
        for i in 0..40u64 {
            let line = if i % 13 == 5 {
                vec![b'x'; CHUNK_BYTES + 17]
            } else {
                format!("{i} 1:{i}\r").into_bytes()
            };
            input.extend_from_slice(&line);
            input.push(b'\n');
            let mut shown = line.clone();
            if shown.last() == Some(&b'\r') {
                shown.pop();
            }
            expected.push((i + 1, shown));
        }
        input.extend_from_slice(b"last 2:2");
        expected.push((41, b"last 2:2".to_vec()));
        let got = all_lines(&input);
        assert_eq!(got.len(), expected.len());
        assert!(got == expected);
        assert_eq!(all_lines(b""), vec![]);
        assert_eq!(all_lines(b"\n\n"), vec![(1, vec![]), (2, vec![])]);
    }

    #[test]
    fn an_error_names_its_physical_line_and_the_first_one_wins() {
        let mut input = Vec::new();
        for i in 0..3 * CHUNK_BYTES / 8 {
            input.extend_from_slice(if i == 400_000 || i == 500_000 {
                b"bad\n"
            } else {
                b"ok 1\n"
            });
        }
        let err = for_each_chunk(
            "t.svm",
            input.as_slice(),
            |chunk| {
                lines(chunk, |line, _| match line {
                    b"bad" => Err(DataErrorKind::NoDataRows),
                    _ => Ok(()),
                })
            },
            |(), _| Ok(()),
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("t.svm: line 400001: "), "{err}");
    }

    #[test]
    fn an_endless_line_is_refused_at_its_line() {
        let mut input = b"1 1:1\n2 1:2\n".to_vec();
        input.resize(input.len() + MAX_RECORD_BYTES + 10, b'7');
        let err =
            for_each_chunk("t.svm", input.as_slice(), |_| Ok(()), |(), _| Ok(())).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("t.svm: line 3: a record longer"),
            "{err}"
        );
    }
}

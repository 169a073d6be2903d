//! The bytes the fast reader scans ([`ByteSource`]): an open regular file read by offset, or
//! text already in memory; its lines, and its split into line-aligned ranges, one per thread.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

use super::GiveUp;
use crate::data::limits::MAX_RECORD_BYTES;

/// Bytes read per `pread` while scanning a range.
const BUFFER_BYTES: usize = 1 << 22;

/// Bytes the fast reader reads by offset, from several threads at once: an open regular file
/// (`pread`, the file's cursor untouched) or text already in memory (read in place).
pub trait ByteSource: Sync {
    /// Reads up to `buf.len()` bytes at `offset`; 0 at the end.
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;

    /// Calls `each_line` with every line (without `\n` and a trailing `\r`) of `[start, end)`.
    /// Stops early with the callback's error, or [`GiveUp::LongLine`].
    fn lines(
        &self,
        start: u64,
        end: u64,
        each_line: &mut dyn FnMut(&[u8]) -> Result<(), GiveUp>,
    ) -> io::Result<Result<(), GiveUp>> {
        for_each_line_buffered(self, start, end, each_line)
    }

    /// Makes the bytes `[offset, offset + len)` available to [`ByteSource::filled`], reading
    /// them into `buf`; returns how many there are (fewer at the end).
    fn fill(&self, buf: &mut Vec<u8>, offset: u64, len: usize) -> io::Result<usize> {
        buf.resize(len, 0);
        let mut filled = 0;
        while filled < len {
            let got = self.read_at(&mut buf[filled..], offset + filled as u64)?;
            if got == 0 {
                break;
            }
            filled += got;
        }
        Ok(filled)
    }

    /// The first `len` bytes made available by the last [`ByteSource::fill`] at `offset`.
    fn filled<'a>(&'a self, buf: &'a [u8], _offset: u64, len: usize) -> &'a [u8] {
        &buf[..len]
    }
}

impl ByteSource for File {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        FileExt::read_at(self, buf, offset)
    }
}

impl ByteSource for [u8] {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let from = usize::try_from(offset).map_or(self.len(), |o| o.min(self.len()));
        let n = buf.len().min(self.len() - from);
        buf[..n].copy_from_slice(&self[from..from + n]);
        Ok(n)
    }

    /// Nothing to read: the bytes are used in place.
    fn fill(&self, _: &mut Vec<u8>, offset: u64, len: usize) -> io::Result<usize> {
        let from = usize::try_from(offset).map_or(self.len(), |o| o.min(self.len()));
        Ok(len.min(self.len() - from))
    }

    fn filled<'a>(&'a self, _: &'a [u8], offset: u64, len: usize) -> &'a [u8] {
        let from = usize::try_from(offset).map_or(self.len(), |o| o.min(self.len()));
        &self[from..from + len]
    }

    /// The lines straight from memory, without copying them through a buffer.
    fn lines(
        &self,
        start: u64,
        end: u64,
        each_line: &mut dyn FnMut(&[u8]) -> Result<(), GiveUp>,
    ) -> io::Result<Result<(), GiveUp>> {
        let to = usize::try_from(end).map_or(self.len(), |e| e.min(self.len()));
        let from = usize::try_from(start).map_or(to, |s| s.min(to));
        let bytes = &self[from..to];
        let mut line_start = 0;
        let ends = memchr::memchr_iter(b'\n', bytes).chain(
            // The last line when the range does not end with a line end.
            (bytes.last() != Some(&b'\n') && !bytes.is_empty()).then_some(bytes.len()),
        );
        for nl in ends {
            let mut line = &bytes[line_start..nl];
            // The buffered reader gives up on a line it cannot hold; so does this one.
            if line.len() >= MAX_RECORD_BYTES {
                return Ok(Err(GiveUp::LongLine));
            }
            if let [rest @ .., b'\r'] = line {
                line = rest;
            }
            if let Err(e) = each_line(line) {
                return Ok(Err(e));
            }
            line_start = nl + 1;
        }
        Ok(Ok(()))
    }
}

/// Splits `[start, len)` into up to `parts` ranges that begin right after a `\n`.
pub(super) fn split_ranges<S: ByteSource + ?Sized>(
    file: &S,
    start: u64,
    len: u64,
    parts: usize,
) -> std::io::Result<Vec<(u64, u64)>> {
    let mut cuts = vec![start];
    let mut probe = vec![0u8; 1 << 16];
    for i in 1..parts {
        let mut at = start + (len - start) * i as u64 / parts as u64;
        if at <= *cuts.last().expect("non-empty") {
            continue;
        }
        // Move forward to just after the next newline.
        loop {
            let got = file.read_at(&mut probe, at)?;
            if got == 0 {
                at = len;
                break;
            }
            if let Some(k) = memchr::memchr(b'\n', &probe[..got]) {
                at += k as u64 + 1;
                break;
            }
            at += got as u64;
        }
        if at < len && at > *cuts.last().expect("non-empty") {
            cuts.push(at);
        }
    }
    cuts.push(len);
    Ok(cuts.windows(2).map(|w| (w[0], w[1])).collect())
}

/// [`ByteSource::lines`] through `read_at` in large blocks.
fn for_each_line_buffered<S: ByteSource + ?Sized>(
    file: &S,
    start: u64,
    end: u64,
    each_line: &mut dyn FnMut(&[u8]) -> Result<(), GiveUp>,
) -> std::io::Result<Result<(), GiveUp>> {
    let mut buf = vec![0u8; BUFFER_BYTES];
    let mut kept = 0; // bytes of an unfinished line carried over at the front of buf
    let mut pos = start;
    loop {
        let want = ((end - pos) as usize).min(buf.len() - kept);
        let got = if want == 0 {
            0
        } else {
            file.read_at(&mut buf[kept..kept + want], pos)?
        };
        pos += got as u64;
        let filled = kept + got;
        let at_end = got == 0 || pos >= end;
        let mut line_start = 0;
        for nl in memchr::memchr_iter(b'\n', &buf[..filled]) {
            let mut line = &buf[line_start..nl];
            if let [rest @ .., b'\r'] = line {
                line = rest;
            }
            if let Err(e) = each_line(line) {
                return Ok(Err(e));
            }
            line_start = nl + 1;
        }
        if at_end {
            if line_start < filled {
                let mut line = &buf[line_start..filled];
                if let [rest @ .., b'\r'] = line {
                    line = rest;
                }
                if let Err(e) = each_line(line) {
                    return Ok(Err(e));
                }
            }
            return Ok(Ok(()));
        }
        buf.copy_within(line_start..filled, 0);
        kept = filled - line_start;
        if kept == buf.len() {
            if kept >= MAX_RECORD_BYTES {
                return Ok(Err(GiveUp::LongLine));
            }
            buf.resize(buf.len() * 2, 0); // a line longer than the buffer
        }
    }
}

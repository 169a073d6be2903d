//! What each rank reads: a byte range of one CSV file cut at line starts, or its share of a
//! list, directory or glob of shard files (any format train reads).
//!
//! Byte ranges: the text after the header line is cut into `size` equal byte ranges, each
//! moved forward to the next line start; every rank reads the header and its own range, so the
//! ranks' rows in rank order are the file's rows in file order. (A quoted field holding a line
//! break would be cut: such files need shards.) Shards: sorted by name (a directory or a glob)
//! or in the order given (a comma-separated list), rank `r` of `K` takes the contiguous run
//! `[r m / K, (r + 1) m / K)` of the `m` shards, so the ranks' rows in rank order are the
//! shards' rows in shard order.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use crate::data::compress::Codec;
use crate::data::format::{detect_format, InputFormat};
use crate::error::{Error, Result};

/// The input of one rank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Bytes `[start, end)` of the CSV `path`, after its header (bytes `[0, header_end)`).
    Range {
        path: String,
        header_end: u64,
        start: u64,
        end: u64,
    },
    /// Whole files (possibly none), in order.
    Shards(Vec<String>),
}

/// The part of `data` that rank `rank` of `size` reads.
pub fn part_of(data: &str, rank: usize, size: usize) -> Result<Part> {
    if let Some(shards) = shard_list(data)? {
        let m = shards.len();
        let (a, b) = (rank * m / size, (rank + 1) * m / size);
        return Ok(Part::Shards(shards[a..b].to_vec()));
    }
    let mut file = File::open(data).map_err(|e| Error::io(data, "open it", e))?;
    let mut head = Vec::new();
    (&mut file)
        .take(8)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(data, "read it", e))?;
    if Codec::sniff(&head).is_some() || detect_format(data, None, &head) != InputFormat::Csv {
        return Err(Error::Usage(format!(
            "--distributed cuts one CSV file into byte ranges, but {data} is compressed or not \
             CSV: split it into shards (one file per part, any format) and give their \
             directory, a glob or a comma-separated list"
        )));
    }
    let len = file
        .metadata()
        .map_err(|e| Error::io(data, "read it", e))?
        .len();
    let header_end = line_start_at_or_after(&mut file, 0, len, data)?;
    if header_end == 0 || header_end > len {
        return Err(Error::Usage(format!("{data} has no header line")));
    }
    let mut cut = |r: usize| -> Result<u64> {
        if r == 0 {
            return Ok(header_end);
        }
        if r == size {
            return Ok(len);
        }
        let raw = header_end + (len - header_end) * r as u64 / size as u64;
        line_start_at_or_after(&mut file, raw, len, data)
    };
    let start = cut(rank)?;
    let end = cut(rank + 1)?.max(start);
    Ok(Part::Range {
        path: data.to_string(),
        header_end,
        start,
        end,
    })
}

/// The shard files `data` names, or `None` for a single file: a directory (its regular files
/// not starting with '.', sorted), a glob (`*` and `?` in the last component, sorted) or a
/// comma-separated list of existing files (in order).
pub fn shard_list(data: &str) -> Result<Option<Vec<String>>> {
    let path = Path::new(data);
    if path.is_dir() {
        let mut files = list_dir(path, data, |_| true)?;
        files.sort();
        if files.is_empty() {
            return Err(Error::Usage(format!(
                "the directory {data} holds no shard files"
            )));
        }
        return Ok(Some(files));
    }
    if data.contains('*') || data.contains('?') {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        let pattern = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let shown = dir.unwrap_or(Path::new("."));
        let mut files = list_dir(shown, &shown.to_string_lossy(), |name| {
            wildcard(pattern.as_bytes(), name.as_bytes())
        })?;
        if dir.is_none() {
            files = files
                .into_iter()
                .map(|f| f.trim_start_matches("./").to_string())
                .collect();
        }
        files.sort();
        if files.is_empty() {
            return Err(Error::Usage(format!("no file matches {data}")));
        }
        return Ok(Some(files));
    }
    if data.contains(',') && !path.exists() {
        let files: Vec<String> = data.split(',').map(str::to_string).collect();
        if let Some(missing) = files.iter().find(|f| !Path::new(f).is_file()) {
            return Err(Error::io(
                missing,
                "open it",
                io::Error::new(io::ErrorKind::NotFound, "no such shard file"),
            ));
        }
        return Ok(Some(files));
    }
    Ok(None)
}

fn list_dir(dir: &Path, shown: &str, keep: impl Fn(&str) -> bool) -> Result<Vec<String>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(shown, "list it", e))? {
        let entry = entry.map_err(|e| Error::io(shown, "list it", e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || !entry.path().is_file() || !keep(&name) {
            continue;
        }
        files.push(entry.path().to_string_lossy().into_owned());
    }
    Ok(files)
}

/// `*` (any run) and `?` (one byte) matching of a whole name.
fn wildcard(pattern: &[u8], name: &[u8]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some((b'*', rest)) => (0..=name.len()).any(|i| wildcard(rest, &name[i..])),
        Some((b'?', rest)) => !name.is_empty() && wildcard(rest, &name[1..]),
        Some((c, rest)) => name.first() == Some(c) && wildcard(rest, &name[1..]),
    }
}

/// The first line start at or after `pos`: `pos` itself when it is 0 or follows a `\n`, else
/// just after the next `\n` (`len` when there is none).
fn line_start_at_or_after(file: &mut File, pos: u64, len: u64, name: &str) -> Result<u64> {
    if pos == 0 && len == 0 {
        return Ok(0);
    }
    // From the byte before `pos`: a line break there makes `pos` a line start. (At 0: the
    // header's end, just after the first line break.)
    let from = pos.saturating_sub(1);
    let read_err = |e| Error::io(name, "read it", e);
    file.seek(SeekFrom::Start(from)).map_err(read_err)?;
    let mut at = from;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(read_err)?;
        if n == 0 {
            return Ok(len);
        }
        if let Some(i) = memchr::memchr(b'\n', &buf[..n]) {
            return Ok(at + i as u64 + 1);
        }
        at += n as u64;
    }
}

/// Header and range of a [`Part::Range`], as one CSV text.
pub fn read_range(path: &str, header_end: u64, start: u64, end: u64) -> Result<Vec<u8>> {
    let read_err = |e| Error::io(path, "read it", e);
    let mut file = File::open(path).map_err(|e| Error::io(path, "open it", e))?;
    let mut text = Vec::with_capacity((header_end + end - start) as usize);
    (&mut file)
        .take(header_end)
        .read_to_end(&mut text)
        .map_err(read_err)?;
    file.seek(SeekFrom::Start(start)).map_err(read_err)?;
    file.take(end - start)
        .read_to_end(&mut text)
        .map_err(read_err)?;
    Ok(text)
}

/// Line breaks in bytes `[0, upto)` of `path`: the line number of byte `upto` is this plus 1
/// (counted only to report an error at the right line).
pub fn lines_before(path: &str, upto: u64) -> Result<u64> {
    let read_err = |e| Error::io(path, "read it", e);
    let file = File::open(path).map_err(|e| Error::io(path, "open it", e))?;
    let mut reader = file.take(upto);
    let mut buf = vec![0u8; 1 << 20];
    let mut count = 0u64;
    loop {
        let n = reader.read(&mut buf).map_err(read_err)?;
        if n == 0 {
            return Ok(count);
        }
        count += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranges(text: &str, size: usize) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.csv");
        std::fs::write(&path, text).unwrap();
        let path = path.to_string_lossy().into_owned();
        (0..size)
            .map(|r| match part_of(&path, r, size).unwrap() {
                Part::Range {
                    header_end,
                    start,
                    end,
                    ..
                } => {
                    assert_eq!(&text[..header_end as usize], "a,y\n");
                    text[start as usize..end as usize].to_string()
                }
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn byte_ranges_cut_at_line_starts_and_cover_every_row_once() {
        let text = "a,y\n1,0\n22,1\n333,0\n4,1\n55555,0\n6,1";
        for size in 1..=9 {
            let parts = ranges(text, size);
            assert_eq!(parts.concat(), text[4..], "size {size}");
            for p in &parts[..size - 1] {
                assert!(p.is_empty() || p.ends_with('\n'), "{p:?}");
            }
        }
        assert_eq!(ranges(text, 2), ["1,0\n22,1\n333,0\n", "4,1\n55555,0\n6,1"]);
    }

    #[test]
    fn shards_are_shared_in_contiguous_runs() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.csv", "a.csv", "c.csv", ".hidden"] {
            std::fs::write(dir.path().join(name), "x,y\n").unwrap();
        }
        let d = dir.path().to_string_lossy().into_owned();
        let names = |p: Part| match p {
            Part::Shards(s) => s
                .iter()
                .map(|f| {
                    Path::new(f)
                        .file_name()
                        .unwrap()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        assert_eq!(names(part_of(&d, 0, 2).unwrap()), ["a.csv"]);
        assert_eq!(names(part_of(&d, 1, 2).unwrap()), ["b.csv", "c.csv"]);
        assert_eq!(names(part_of(&d, 3, 4).unwrap()), ["c.csv"]);
        assert!(names(part_of(&d, 0, 4).unwrap()).is_empty());
        let glob = format!("{d}/[ab]*");
        assert!(part_of(&glob, 0, 1).is_err(), "no file matches");
        let glob = format!("{d}/?.csv");
        assert_eq!(
            names(part_of(&glob, 0, 1).unwrap()),
            ["a.csv", "b.csv", "c.csv"]
        );
        let list = format!("{d}/c.csv,{d}/a.csv");
        assert_eq!(names(part_of(&list, 0, 1).unwrap()), ["c.csv", "a.csv"]);
        assert!(part_of(&format!("{d}/c.csv,{d}/zz.csv"), 0, 1).is_err());
    }

    #[test]
    fn counts_lines_before_an_offset() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.csv");
        std::fs::write(&path, "a\nb\nc\n").unwrap();
        let p = path.to_string_lossy();
        assert_eq!(lines_before(&p, 4).unwrap(), 2);
        assert_eq!(read_range(&p, 2, 4, 6).unwrap(), b"a\nc\n");
    }
}

//! The cache file itself: the fixed header, the checksum, the writer that streams rows in
//! blocks, and the memory-mapped reader that checks everything before a value is used.
//!
//! Layout (version 1; every integer little-endian, values IEEE 754 f64 little-endian):
//!
//! ```text
//! offset  size  field
//!      0     8  magic "LOGITRC\0"
//!      8     4  version (1)
//!     12     4  flags (0)
//!     16     8  n_rows
//!     24     8  n_cols: values per row
//!     32     8  block_rows: rows per block as written (the last block may be shorter)
//!     40     8  data_offset (= HEADER_BYTES)
//!     48     8  schema_offset (= data_offset + 8 n_rows n_cols)
//!     56     8  schema_len: bytes of the JSON schema after the data
//!     64     8  data checksum (of the n_rows n_cols values, see `checksum`)
//!     72     8  schema checksum
//!     80     8  header checksum (of bytes 0..80)
//!     88    40  zero
//!    128        data: row-major, row i at data_offset + 8 n_cols i
//!               schema: JSON (see `super::Schema`), to the end of the file
//! ```
//!
//! The schema is written last, so a file whose writer died is refused (its header checksum is
//! zero until the end, and its size does not match).

use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use memmap2::Mmap;

pub const MAGIC: &[u8; 8] = b"LOGITRC\0";
pub const VERSION: u32 = 1;
pub const HEADER_BYTES: u64 = 128;

/// A 64-bit checksum over 8-byte words: four lanes of multiply-xor-rotate (the mixing of
/// xxHash64's rounds, not its exact output), then the lanes and the length folded together.
/// Not cryptographic: it catches truncation, overwritten bytes and flipped bits.
#[derive(Debug, Clone)]
pub struct Checksum {
    lanes: [u64; 4],
    words: u64,
    /// Bytes of an incomplete word carried to the next update.
    pending: Vec<u8>,
}

const P1: u64 = 0x9E37_79B1_85EB_CA87;
const P2: u64 = 0xC2B2_AE3D_27D4_EB4F;

impl Default for Checksum {
    fn default() -> Self {
        Checksum {
            lanes: [P1, P2, P1 ^ P2, P2.rotate_left(17)],
            words: 0,
            pending: Vec::new(),
        }
    }
}

impl Checksum {
    #[inline(always)]
    fn round(lane: u64, word: u64) -> u64 {
        lane.wrapping_add(word.wrapping_mul(P2))
            .rotate_left(31)
            .wrapping_mul(P1)
    }

    /// Adds `bytes` (any length: an incomplete word waits for the next call or `finish`).
    pub fn update(&mut self, mut bytes: &[u8]) {
        if !self.pending.is_empty() {
            let take = (8 - self.pending.len()).min(bytes.len());
            self.pending.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.pending.len() < 8 {
                return;
            }
            let word = u64::from_le_bytes(self.pending[..8].try_into().expect("8 bytes"));
            self.pending.clear();
            self.push_word(word);
        }
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.push_word(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        }
        self.pending.extend_from_slice(chunks.remainder());
    }

    #[inline(always)]
    fn push_word(&mut self, word: u64) {
        let lane = (self.words & 3) as usize;
        self.lanes[lane] = Self::round(self.lanes[lane], word);
        self.words += 1;
    }

    /// Adds values as their little-endian bytes.
    pub fn update_f64(&mut self, values: &[f64]) {
        if self.pending.is_empty() {
            for &v in values {
                self.push_word(v.to_bits());
            }
        } else {
            for v in values {
                self.update(&v.to_le_bytes());
            }
        }
    }

    pub fn finish(&self) -> u64 {
        let mut tail = [0u8; 8];
        tail[..self.pending.len()].copy_from_slice(&self.pending);
        let mut h = self.lanes[0].rotate_left(1)
            ^ self.lanes[1].rotate_left(7)
            ^ self.lanes[2].rotate_left(12)
            ^ self.lanes[3].rotate_left(18);
        h = Self::round(h, u64::from_le_bytes(tail));
        h ^= (self.words * 8 + self.pending.len() as u64).wrapping_mul(P1);
        h ^= h >> 33;
        h = h.wrapping_mul(P2);
        h ^ (h >> 29)
    }
}

/// The checksum of `bytes` in one call.
pub fn checksum(bytes: &[u8]) -> u64 {
    let mut c = Checksum::default();
    c.update(bytes);
    c.finish()
}

/// The fixed header fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub n_rows: u64,
    pub n_cols: u64,
    pub block_rows: u64,
    pub schema_len: u64,
    pub data_checksum: u64,
    pub schema_checksum: u64,
}

impl Header {
    pub fn data_bytes(&self) -> Option<u64> {
        self.n_rows.checked_mul(self.n_cols)?.checked_mul(8)
    }

    fn encode(&self) -> [u8; HEADER_BYTES as usize] {
        let mut b = [0u8; HEADER_BYTES as usize];
        b[0..8].copy_from_slice(MAGIC);
        b[8..12].copy_from_slice(&VERSION.to_le_bytes());
        let data = self.data_bytes().unwrap_or(0);
        let fields = [
            self.n_rows,
            self.n_cols,
            self.block_rows,
            HEADER_BYTES,
            HEADER_BYTES + data,
            self.schema_len,
            self.data_checksum,
            self.schema_checksum,
        ];
        for (k, v) in fields.iter().enumerate() {
            b[16 + 8 * k..24 + 8 * k].copy_from_slice(&v.to_le_bytes());
        }
        let sum = checksum(&b[..80]);
        b[80..88].copy_from_slice(&sum.to_le_bytes());
        b
    }

    /// The header of a file of `file_len` bytes, or what is wrong with it.
    fn decode(b: &[u8], file_len: u64) -> Result<Header, String> {
        if b.len() < HEADER_BYTES as usize {
            return Err(format!(
                "{file_len} bytes, shorter than the {HEADER_BYTES}-byte header: truncated"
            ));
        }
        if &b[0..8] != MAGIC {
            return Err("not a logit row cache (wrong magic bytes)".to_string());
        }
        let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().expect("8 bytes"));
        let version = u32::from_le_bytes(b[8..12].try_into().expect("4 bytes"));
        if version != VERSION {
            return Err(format!(
                "cache format version {version}; this logit reads version {VERSION}"
            ));
        }
        if u64_at(80) != checksum(&b[..80]) {
            return Err(
                "header checksum mismatch: the header is corrupt or was never finished \
                        (the run that wrote it stopped)"
                    .to_string(),
            );
        }
        let h = Header {
            n_rows: u64_at(16),
            n_cols: u64_at(24),
            block_rows: u64_at(32),
            schema_len: u64_at(56),
            data_checksum: u64_at(64),
            schema_checksum: u64_at(72),
        };
        let data = h.data_bytes().ok_or("impossible shape in the header")?;
        if u64_at(40) != HEADER_BYTES || u64_at(48) != HEADER_BYTES + data {
            return Err("inconsistent offsets in the header".to_string());
        }
        let expected = HEADER_BYTES + data + h.schema_len;
        if file_len != expected {
            let what = if file_len < expected {
                "truncated"
            } else {
                "extra bytes at the end"
            };
            return Err(format!(
                "{file_len} bytes where the header says {expected} ({} rows x {} values plus \
                 the schema): {what}",
                h.n_rows, h.n_cols
            ));
        }
        Ok(h)
    }
}

/// Streams rows into a new cache file: a placeholder header, the rows block by block (each
/// block written, and added to the checksum, once it is full), then the schema and the real
/// header.
#[derive(Debug)]
pub struct CacheWriter {
    path: PathBuf,
    out: BufWriter<File>,
    n_cols: usize,
    block_rows: usize,
    block: Vec<f64>,
    bytes: Vec<u8>,
    n_rows: u64,
    checksum: Checksum,
}

impl CacheWriter {
    /// Creates (truncating) `path` for rows of `n_cols` values, written `block_rows` at a time.
    pub fn create(path: &Path, n_cols: usize, block_rows: usize) -> io::Result<CacheWriter> {
        let file = File::create(path)?;
        let mut out = BufWriter::with_capacity(1 << 16, file);
        out.write_all(&[0u8; HEADER_BYTES as usize])?;
        let block_rows = block_rows.max(1);
        Ok(CacheWriter {
            path: path.to_path_buf(),
            out,
            n_cols,
            block_rows,
            block: Vec::with_capacity(block_rows * n_cols),
            bytes: Vec::new(),
            n_rows: 0,
            checksum: Checksum::default(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn n_rows(&self) -> u64 {
        self.n_rows
    }

    /// Appends one row of `n_cols` values.
    pub fn push_row(&mut self, row: &[f64]) -> io::Result<()> {
        debug_assert_eq!(row.len(), self.n_cols);
        self.block.extend_from_slice(row);
        self.n_rows += 1;
        if self.block.len() >= self.block_rows * self.n_cols.max(1) {
            self.flush_block()?;
        }
        Ok(())
    }

    fn flush_block(&mut self) -> io::Result<()> {
        self.checksum.update_f64(&self.block);
        self.bytes.clear();
        for v in &self.block {
            self.bytes.extend_from_slice(&v.to_le_bytes());
        }
        self.out.write_all(&self.bytes)?;
        self.block.clear();
        Ok(())
    }

    /// Writes the last block, the schema and the header; the file is complete when this
    /// returns.
    pub fn finish(mut self, schema: &[u8]) -> io::Result<()> {
        self.flush_block()?;
        self.out.write_all(schema)?;
        let header = Header {
            n_rows: self.n_rows,
            n_cols: self.n_cols as u64,
            block_rows: self.block_rows as u64,
            schema_len: schema.len() as u64,
            data_checksum: self.checksum.finish(),
            schema_checksum: checksum(schema),
        };
        self.out.flush()?;
        let mut file = self.out.into_inner().map_err(|e| e.into_error())?;
        file.seek(SeekFrom::Start(0))?;
        file.write_all(&header.encode())?;
        file.sync_data()?;
        Ok(())
    }
}

/// Replaces the schema of a complete cache file (the scaler is known only after passes over
/// the rows): the data and its checksum stay, the schema and header are rewritten.
pub fn rewrite_schema(path: &Path, header: &Header, schema: &[u8]) -> io::Result<()> {
    let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
    let data = header.data_bytes().expect("checked when opened");
    file.set_len(HEADER_BYTES + data)?;
    file.seek(SeekFrom::Start(HEADER_BYTES + data))?;
    file.write_all(schema)?;
    let header = Header {
        schema_len: schema.len() as u64,
        schema_checksum: checksum(schema),
        ..*header
    };
    file.seek(SeekFrom::Start(0))?;
    file.write_all(&header.encode())?;
    file.sync_data()
}

/// A complete cache file, memory-mapped read-only: pages are read from the file as they are
/// touched and belong to the page cache (file-backed memory the kernel can evict), not to the
/// process's anonymous memory.
#[derive(Debug)]
pub struct MappedCache {
    map: Mmap,
    pub header: Header,
}

impl MappedCache {
    /// Maps `file` and checks the header, the size and both checksums (one pass over the
    /// data). The message says what is wrong.
    pub fn open(file: &File) -> Result<MappedCache, String> {
        let len = file
            .metadata()
            .map_err(|e| format!("cannot read its size: {e}"))?
            .len();
        if len < HEADER_BYTES {
            return Err(format!(
                "{len} bytes, shorter than the {HEADER_BYTES}-byte header: truncated"
            ));
        }
        // SAFETY: the file is private to this run (created by it, or named by the user as a
        // cache); were it changed underneath, values could change but not memory safety of
        // the f64 reads, which are plain loads of initialised mapped bytes.
        let map = unsafe { Mmap::map(file) }.map_err(|e| format!("cannot map it: {e}"))?;
        let header = Header::decode(&map[..HEADER_BYTES as usize], len)?;
        let cache = MappedCache { map, header };
        if checksum(cache.schema()) != header.schema_checksum {
            return Err("schema checksum mismatch: the schema is corrupt".to_string());
        }
        let mut sum = Checksum::default();
        sum.update(cache.data_bytes());
        if sum.finish() != header.data_checksum {
            return Err("data checksum mismatch: the rows are corrupt".to_string());
        }
        #[cfg(unix)]
        {
            // The passes read the rows in order.
            let _ = cache.map.advise(memmap2::Advice::Sequential);
        }
        Ok(cache)
    }

    fn data_bytes(&self) -> &[u8] {
        let end = HEADER_BYTES + self.header.data_bytes().expect("checked");
        &self.map[HEADER_BYTES as usize..end as usize]
    }

    pub fn schema(&self) -> &[u8] {
        let start = HEADER_BYTES + self.header.data_bytes().expect("checked");
        &self.map[start as usize..]
    }

    /// The values, row-major.
    pub fn values(&self) -> &[f64] {
        let bytes = self.data_bytes();
        // The map is page-aligned and the data starts at byte 128, so it is 8-aligned; the
        // file is little-endian, as the targets logit builds for (checked at compile time).
        const _: () = assert!(cfg!(target_endian = "little"), "the cache is little-endian");
        assert_eq!(bytes.as_ptr() as usize % std::mem::align_of::<f64>(), 0);
        // SAFETY: aligned (asserted), in bounds (length from the slice), and every bit
        // pattern is a valid f64.
        unsafe { std::slice::from_raw_parts(bytes.as_ptr().cast::<f64>(), bytes.len() / 8) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checksum_sees_every_byte_and_the_length_whatever_the_split() {
        let bytes: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
        let whole = checksum(&bytes);
        let mut split = Checksum::default();
        split.update(&bytes[..13]);
        split.update(&bytes[13..500]);
        split.update(&bytes[500..]);
        assert_eq!(split.finish(), whole);
        let mut flipped = bytes.clone();
        flipped[777] ^= 4;
        assert_ne!(checksum(&flipped), whole);
        assert_ne!(checksum(&bytes[..999]), whole);
        let mut zeros = bytes.clone();
        zeros.push(0);
        assert_ne!(checksum(&zeros), whole);
        let values = [1.5, -2.0, f64::NAN, 0.0];
        let mut c = Checksum::default();
        c.update_f64(&values);
        let le: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        assert_eq!(c.finish(), checksum(&le));
    }

    #[test]
    fn a_written_cache_reads_back_and_any_damage_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.logitcache");
        let mut w = CacheWriter::create(&path, 3, 2).unwrap();
        for i in 0..5 {
            let i = f64::from(i);
            w.push_row(&[i, -i, i * 0.5]).unwrap();
        }
        w.finish(b"{\"schema\":1}").unwrap();
        let open = |p: &Path| MappedCache::open(&File::open(p).unwrap());
        let c = open(&path).unwrap();
        assert_eq!(
            (c.header.n_rows, c.header.n_cols, c.header.block_rows),
            (5, 3, 2)
        );
        assert_eq!(&c.values()[6..9], &[2.0, -2.0, 1.0]);
        assert_eq!(c.schema(), b"{\"schema\":1}");
        rewrite_schema(&path, &c.header, b"{\"longer schema\":2}").unwrap();
        let c = open(&path).unwrap();
        assert_eq!(c.schema(), b"{\"longer schema\":2}");
        drop(c);
        let good = std::fs::read(&path).unwrap();
        let damaged = |bytes: &[u8]| {
            let p = dir.path().join("bad.logitcache");
            std::fs::write(&p, bytes).unwrap();
            open(&p).unwrap_err()
        };
        assert!(damaged(&good[..good.len() - 1]).contains("truncated"));
        assert!(damaged(&good[..60]).contains("truncated"));
        let mut b = good.clone();
        b[HEADER_BYTES as usize + 17] ^= 1;
        assert!(damaged(&b).contains("data checksum"));
        let mut b = good.clone();
        let n = b.len();
        b[n - 2] ^= 1;
        assert!(damaged(&b).contains("schema checksum"));
        let mut b = good.clone();
        b[20] ^= 1;
        assert!(damaged(&b).contains("header checksum"));
        let mut b = good.clone();
        b[0] = b'X';
        assert!(damaged(&b).contains("magic"));
        let mut b = good;
        b.extend_from_slice(&[0; 8]);
        assert!(damaged(&b).contains("extra bytes"));
    }
}

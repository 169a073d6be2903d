//! Opening a Parquet file: random access for the decoder threads, the footer (schema, row
//! groups) read once, the column names, and where a row is for messages.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use arrow_schema::{DataType, SchemaRef};
use bytes::Bytes;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReader,
    ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::ProjectionMask;
use parquet::file::reader::{ChunkReader, Length};

use crate::data::input::Source;
use crate::error::{DataError, DataErrorKind, Error, Location, Result};

/// A regular file read by offset (`pread`), so decoder threads never share a file position
/// (the parquet crate's own `File` reader clones the descriptor, whose offset is shared).
#[derive(Clone)]
pub struct Positioned {
    file: Arc<File>,
    len: u64,
}

/// A sequential reader over a [`Positioned`] file from some offset.
pub struct PositionedRead {
    file: Arc<File>,
    pos: u64,
}

impl Read for PositionedRead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Length for Positioned {
    fn len(&self) -> u64 {
        self.len
    }
}

impl ChunkReader for Positioned {
    type T = io::BufReader<PositionedRead>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        Ok(io::BufReader::with_capacity(
            1 << 16,
            PositionedRead {
                file: self.file.clone(),
                pos: start,
            },
        ))
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        let mut buf = vec![0u8; length];
        self.file.read_exact_at(&mut buf, start)?;
        Ok(buf.into())
    }
}

/// The bytes of a Parquet input: a regular file read by offset, or a stream (stdin, a FIFO)
/// read whole into memory (the footer, at the end, must be read first).
#[derive(Clone)]
pub enum Input {
    File(Positioned),
    Memory(Bytes),
}

impl Length for Input {
    fn len(&self) -> u64 {
        match self {
            Input::File(f) => f.len,
            Input::Memory(b) => b.len() as u64,
        }
    }
}

impl ChunkReader for Input {
    type T = Box<dyn Read + Send>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        Ok(match self {
            Input::File(f) => Box::new(f.get_read(start)?),
            Input::Memory(b) => Box::new(ChunkReader::get_read(b, start)?),
        })
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        match self {
            Input::File(f) => f.get_bytes(start, length),
            Input::Memory(b) => ChunkReader::get_bytes(b, start, length),
        }
    }
}

/// An open Parquet input: its name, bytes, footer and top-level column names.
pub struct ParquetFile {
    pub name: String,
    input: Input,
    metadata: ArrowReaderMetadata,
    /// Top-level column names, in schema order (the "header").
    pub header: Vec<String>,
    /// First row (counted from 0 over the file) of each row group, and the total at the end.
    row_starts: Vec<u64>,
}

/// A data error located in the whole file (no row).
pub fn file_error(file: &str, message: String) -> Error {
    DataError::new(Location::file(file), DataErrorKind::Parquet { message }).into()
}

impl ParquetFile {
    /// Opens `path` (`-` is standard input) and reads its footer.
    pub fn open(path: &str) -> Result<ParquetFile> {
        ParquetFile::from_source(Source::open_any(path)?)
    }

    /// Reads the footer of an opened input: a regular file is read by offset from then on;
    /// a stream (stdin, a FIFO; its sniffed first bytes in front) is read whole first.
    pub fn from_source(source: Source) -> Result<ParquetFile> {
        let name = source.name.clone();
        let input = match source.regular_file() {
            Some((file, len)) => {
                let file = file
                    .try_clone()
                    .map_err(|e| Error::io(&name, "read it", e))?;
                Input::File(Positioned {
                    file: Arc::new(file),
                    len,
                })
            }
            None => {
                let (_, mut reader) = source.into_reader();
                let mut buf = Vec::new();
                reader
                    .read_to_end(&mut buf)
                    .map_err(|e| Error::io(&name, "read it", e))?;
                Input::Memory(buf.into())
            }
        };
        let metadata = ArrowReaderMetadata::load(&input, ArrowReaderOptions::new())
            .map_err(|e| file_error(&name, format!("not a readable Parquet file: {e}")))?;
        let schema: &SchemaRef = metadata.schema();
        let header: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = header.iter().find(|h| !seen.insert(h.as_str())) {
            let location = Location {
                file: name.clone(),
                line: None,
                column: Some(dup.clone()),
            };
            return Err(DataError::new(location, DataErrorKind::DuplicateColumn).into());
        }
        let mut row_starts = vec![0u64];
        for g in metadata.metadata().row_groups() {
            let last = *row_starts.last().expect("non-empty");
            row_starts.push(last + g.num_rows().max(0) as u64);
        }
        Ok(ParquetFile {
            name,
            input,
            metadata,
            header,
            row_starts,
        })
    }

    pub fn n_rows(&self) -> u64 {
        *self.row_starts.last().expect("non-empty")
    }

    pub fn n_row_groups(&self) -> usize {
        self.row_starts.len() - 1
    }

    /// Rows of row group `g`.
    pub fn group_rows(&self, g: usize) -> usize {
        (self.row_starts[g + 1] - self.row_starts[g]) as usize
    }

    /// First row of row group `g` over the file.
    pub fn group_start(&self, g: usize) -> u64 {
        self.row_starts[g]
    }

    /// The Arrow type of top-level column `index`.
    pub fn data_type(&self, index: usize) -> &DataType {
        self.metadata.schema().field(index).data_type()
    }

    /// A reader of row group `g` restricted to the top-level columns `columns` (batches hold
    /// them in schema order), `batch` rows at a time.
    pub fn reader(
        &self,
        g: usize,
        columns: &[usize],
        batch: usize,
    ) -> Result<ParquetRecordBatchReader> {
        let mask = ProjectionMask::roots(self.metadata.parquet_schema(), columns.iter().copied());
        ParquetRecordBatchReaderBuilder::new_with_metadata(
            self.input.clone(),
            self.metadata.clone(),
        )
        .with_row_groups(vec![g])
        .with_projection(mask)
        .with_batch_size(batch.max(1))
        .build()
        .map_err(|e| self.group_error(g, e))
    }

    /// A decoding error in row group `g`.
    pub fn group_error(&self, g: usize, e: impl std::fmt::Display) -> Error {
        let location = Location::file(&format!("{}: row group {g}", self.name));
        let text = e.to_string();
        let message = if text.contains("Disabled feature at compile time") {
            format!(
                "cannot decode the Parquet data: its column chunks use a compression codec \
                 logit does not read (it reads uncompressed, snappy and zstd chunks; {text}); \
                 rewrite the file with snappy or zstd compression"
            )
        } else {
            format!("cannot decode the Parquet data: {text}")
        };
        DataError::new(location, DataErrorKind::Parquet { message }).into()
    }

    /// Where row `row` (counted from 0 over the file) is, for messages: the file name
    /// followed by `row R (row group G)`, in a [`Location`] without a line.
    pub fn row_location(&self, row: u64, column: &str) -> Location {
        let g = self
            .row_starts
            .partition_point(|&s| s <= row)
            .saturating_sub(1);
        Location {
            file: format!("{}: row {row} (row group {g})", self.name),
            line: None,
            column: Some(column.to_string()),
        }
    }
}

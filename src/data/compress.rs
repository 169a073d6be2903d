//! gzip and zstd: recognising compressed input by its magic bytes (whatever the file is called),
//! decoding it as a stream, and encoding predict's output when `-o` ends in `.gz` or `.zst`.
//!
//! Decoder failures (a truncated file, a corrupt block, a bad checksum, trailing junk) are
//! turned into a [`StreamError`] carried inside the `io::Error` that the readers already pass
//! on, so every reader reports them the same way: one line naming the file and the format
//! ([`super::input::read_error`]). Line numbers in other errors are those of the decompressed
//! text, since every reader only ever sees decompressed bytes.

use std::fmt;
use std::io::{self, Read, Write};

/// A compression format logit reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Gzip,
    Zstd,
}

impl Codec {
    /// The codec whose magic number starts `prefix`: gzip `1f 8b`, zstd frame `28 b5 2f fd`.
    /// (A zstd skippable frame, `5? 2a 4d 18`, may also start a zstd file, but no common tool
    /// writes one first and "P*M\x18" could begin a text file; it is left to the CSV reader.)
    pub fn sniff(prefix: &[u8]) -> Option<Codec> {
        match prefix {
            [0x1f, 0x8b, ..] => Some(Codec::Gzip),
            [0x28, 0xb5, 0x2f, 0xfd, ..] => Some(Codec::Zstd),
            _ => None,
        }
    }

    /// The codec an output path asks for by its extension (`.gz`, `.zst`, `.zstd`; any case).
    pub fn for_output(path: &str) -> Option<Codec> {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".gz") {
            Some(Codec::Gzip)
        } else if lower.ends_with(".zst") || lower.ends_with(".zstd") {
            Some(Codec::Zstd)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Codec::Gzip => "gzip",
            Codec::Zstd => "zstd",
        }
    }

    /// A reader of the decompressed bytes of `raw`. gzip members and zstd frames may follow one
    /// another (`cat a.gz b.gz`, `pigz`, `zstd -T0`): they decode to the concatenated text, as
    /// `zcat` and `zstdcat` do.
    pub fn decoder<'a>(self, raw: Box<dyn Read + 'a>) -> io::Result<Box<dyn Read + 'a>> {
        let inner: Box<dyn Read + 'a> = match self {
            Codec::Gzip => Box::new(flate2::read::MultiGzDecoder::new(
                io::BufReader::with_capacity(RAW_BUFFER_BYTES, raw),
            )),
            Codec::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(
                io::BufReader::with_capacity(RAW_BUFFER_BYTES, raw),
            )?),
        };
        Ok(Box::new(Checked { inner, codec: self }))
    }
}

/// Compressed bytes read from the file per call (the decoders' input buffer).
const RAW_BUFFER_BYTES: usize = 1 << 17;

/// A compressed stream that could not be decoded: carried inside an `io::Error` (see the module
/// documentation) and recognised by [`stream_error`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamError {
    pub codec: Codec,
    pub truncated: bool,
    /// The decoder's own words.
    pub detail: String,
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let format = self.codec.name();
        if self.truncated {
            write!(
                f,
                "the {format} stream ends early ({}): the input is truncated (an interrupted \
                 download or copy?)",
                self.detail
            )
        } else {
            write!(
                f,
                "the {format} stream is corrupt ({}): the input is damaged, or not {format} \
                 data after its first bytes",
                self.detail
            )
        }
    }
}

impl std::error::Error for StreamError {}

/// The [`StreamError`] inside `err`, if it is one.
pub fn stream_error(err: &io::Error) -> Option<&StreamError> {
    err.get_ref().and_then(|e| e.downcast_ref::<StreamError>())
}

/// A decoder whose failures become [`StreamError`]s. Errors of the underlying file (an `EIO`, an
/// interrupted read) keep their own kind and message; both decoders report bad or missing
/// input as `UnexpectedEof`, `InvalidInput`, `InvalidData` or `Other`.
struct Checked<R> {
    inner: R,
    codec: Codec,
}

impl<R: Read> Read for Checked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            let kind = e.kind();
            let decoding = matches!(
                kind,
                io::ErrorKind::UnexpectedEof
                    | io::ErrorKind::InvalidInput
                    | io::ErrorKind::InvalidData
                    | io::ErrorKind::Other
            );
            if !decoding || stream_error(&e).is_some() || e.raw_os_error().is_some() {
                return e;
            }
            io::Error::new(
                io::ErrorKind::InvalidData,
                StreamError {
                    codec: self.codec,
                    truncated: kind == io::ErrorKind::UnexpectedEof,
                    detail: e.to_string(),
                },
            )
        })
    }
}

/// Reads the whole decompressed stream into memory (the parallel training reader parses it in
/// place). `hint` is the compressed size, from which the first allocation is guessed.
pub fn read_all(mut decoded: impl Read, hint: u64) -> io::Result<Vec<u8>> {
    // Text compresses 3-10x; a too-small guess only costs reallocations, which for a large
    // vector are page remappings, not copies.
    let guess = usize::try_from(hint.saturating_mul(4)).unwrap_or(usize::MAX);
    let mut out = Vec::with_capacity(guess.min(1 << 30));
    decoded.read_to_end(&mut out)?;
    Ok(out)
}

/// An encoder for output: bytes written to it come out compressed in [`Encoder::pending`], to be
/// passed on by the caller, and [`Encoder::finish`] ends the stream.
pub struct Encoder {
    state: EncoderState,
}

enum EncoderState {
    Gzip(flate2::write::GzEncoder<Vec<u8>>),
    Zstd(zstd::stream::write::Encoder<'static, Vec<u8>>),
    /// Finished: the trailer's bytes not yet passed on.
    Finished(Vec<u8>),
}

/// zstd's default level (fast, and about as small as gzip's default).
const ZSTD_LEVEL: i32 = 3;

impl Encoder {
    pub fn new(codec: Codec) -> io::Result<Encoder> {
        let state = match codec {
            Codec::Gzip => EncoderState::Gzip(flate2::write::GzEncoder::new(
                Vec::new(),
                flate2::Compression::default(),
            )),
            Codec::Zstd => {
                let mut e = zstd::stream::write::Encoder::new(Vec::new(), ZSTD_LEVEL)?;
                // As the zstd tool does: a damaged file is then always detected.
                e.include_checksum(true)?;
                EncoderState::Zstd(e)
            }
        };
        Ok(Encoder { state })
    }

    /// Compresses `buf` (the result may stay buffered inside the encoder until [`Self::take`]
    /// or [`Self::finish`]).
    pub fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match &mut self.state {
            EncoderState::Gzip(e) => e.write_all(buf),
            EncoderState::Zstd(e) => e.write_all(buf),
            EncoderState::Finished(_) => Err(finished()),
        }
    }

    /// The compressed bytes produced so far and not yet passed on: the caller writes them out
    /// and clears the vector (its capacity is kept for the next ones).
    pub fn pending(&mut self) -> &mut Vec<u8> {
        match &mut self.state {
            EncoderState::Gzip(e) => e.get_mut(),
            EncoderState::Zstd(e) => e.get_mut(),
            EncoderState::Finished(tail) => tail,
        }
    }

    /// Ends the stream (trailer, checksum); its last bytes are then [`Self::pending`].
    pub fn finish(&mut self) -> io::Result<()> {
        let tail = match std::mem::replace(&mut self.state, EncoderState::Finished(Vec::new())) {
            EncoderState::Gzip(e) => e.finish()?,
            EncoderState::Zstd(e) => e.finish()?,
            EncoderState::Finished(tail) => tail,
        };
        self.state = EncoderState::Finished(tail);
        Ok(())
    }

    /// Whether [`Self::finish`] has been called.
    pub fn is_finished(&self) -> bool {
        matches!(self.state, EncoderState::Finished(_))
    }
}

fn finished() -> io::Error {
    io::Error::other("the compressed output was already finished")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text() -> Vec<u8> {
        (0..5000)
            .map(|i| format!("{i},{}\n", i % 7))
            .collect::<String>()
            .into_bytes()
    }

    fn encode(codec: Codec, bytes: &[u8]) -> Vec<u8> {
        let mut e = Encoder::new(codec).unwrap();
        let mut out = Vec::new();
        for chunk in bytes.chunks(777) {
            e.write_all(chunk).unwrap();
            out.append(e.pending());
        }
        e.finish().unwrap();
        out.append(e.pending());
        assert!(e.is_finished());
        out
    }

    fn decode(codec: Codec, bytes: &[u8]) -> io::Result<Vec<u8>> {
        read_all(codec.decoder(Box::new(bytes))?, bytes.len() as u64)
    }

    #[test]
    fn encoded_output_is_recognised_and_decodes_to_the_same_bytes() {
        for codec in [Codec::Gzip, Codec::Zstd] {
            let packed = encode(codec, &text());
            assert_eq!(Codec::sniff(&packed), Some(codec));
            assert_eq!(decode(codec, &packed).unwrap(), text());
        }
    }

    #[test]
    fn concatenated_members_and_frames_decode_to_the_concatenated_text() {
        for codec in [Codec::Gzip, Codec::Zstd] {
            let mut packed = encode(codec, b"a,b\n1,2\n");
            packed.extend(encode(codec, b"3,4\n"));
            assert_eq!(decode(codec, &packed).unwrap(), b"a,b\n1,2\n3,4\n");
        }
    }

    #[test]
    fn truncated_and_corrupt_streams_are_stream_errors() {
        for codec in [Codec::Gzip, Codec::Zstd] {
            let packed = encode(codec, &text());
            for cut in [packed.len() - 3, packed.len() / 2, 12] {
                let err = decode(codec, &packed[..cut]).unwrap_err();
                let stream = stream_error(&err).expect("a stream error");
                assert!(stream.truncated, "{codec:?} cut at {cut}: {err}");
                assert!(err.to_string().contains(codec.name()), "{err}");
            }
            let mut bad = packed.clone();
            let mid = bad.len() / 2;
            bad[mid] ^= 0x55;
            bad[mid + 1] ^= 0xaa;
            let err = decode(codec, &bad).unwrap_err();
            assert!(stream_error(&err).is_some(), "{codec:?}: {err}");
            let mut junk = packed.clone();
            junk.extend_from_slice(b"not compressed");
            let err = decode(codec, &junk).unwrap_err();
            assert!(stream_error(&err).is_some(), "{codec:?}: {err}");
        }
    }

    #[test]
    fn output_codec_follows_the_extension_only() {
        assert_eq!(Codec::for_output("p.csv.gz"), Some(Codec::Gzip));
        assert_eq!(Codec::for_output("p.CSV.ZST"), Some(Codec::Zstd));
        assert_eq!(Codec::for_output("p.zstd"), Some(Codec::Zstd));
        assert_eq!(Codec::for_output("p.csv"), None);
        assert_eq!(Codec::for_output("gz"), None);
        assert_eq!(Codec::for_output("-"), None);
    }

    #[test]
    fn text_is_not_taken_for_compressed_data() {
        for text in [&b"a,b\n"[..], b"\x1f", b"(\xb5/", b""] {
            assert_eq!(Codec::sniff(text), None);
        }
    }
}

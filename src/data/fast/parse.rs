//! The fast reader's work on one block of whole lines: counting its records (so the block knows
//! its rows before it is parsed), then parsing them straight into those rows of the matrix; and
//! the check-only pass of the exact fallback ([`count_records`]).

use super::bytes::ByteSource;
use super::GiveUp;
use crate::data::limits::MAX_RECORD_BYTES;
use crate::data::schema::MAX_CLASSES;

/// Counts the records (non-empty lines) of a range, giving up on quotes and non-ASCII bytes.
/// The first pass of the exact two-pass fallback, and the check that ranks give-ups as they
/// ranked when this pass always ran first (see `read` in the module root).
pub(super) fn count_records<S: ByteSource + ?Sized>(
    file: &S,
    start: u64,
    end: u64,
) -> std::io::Result<Result<usize, GiveUp>> {
    let mut n = 0usize;
    let outcome = file.lines(start, end, &mut |line| {
        if line.is_empty() {
            return Ok(());
        }
        check_cell(line)?;
        n += 1;
        Ok(())
    })?;
    Ok(outcome.map(|()| n))
}

/// Gives up on a quote, a carriage return (a lone one ends a record for the csv crate) or a
/// non-ASCII byte.
fn check_cell(cell: &[u8]) -> Result<(), GiveUp> {
    if memchr::memchr(b'"', cell).is_some() {
        return Err(GiveUp::Quote);
    }
    if memchr::memchr(b'\r', cell).is_some() {
        return Err(GiveUp::FieldCount);
    }
    if !cell.is_ascii() {
        return Err(GiveUp::NonAscii);
    }
    Ok(())
}

/// The lines of `block` (whole lines; the last may lack its `\n`), without `\n` and one
/// trailing `\r`, and whether each is a record (non-empty). Gives up on a line of
/// [`MAX_RECORD_BYTES`] or more, as the line readers do.
fn lines(block: &[u8]) -> impl Iterator<Item = Result<&[u8], GiveUp>> {
    let tail = (!block.is_empty() && block.last() != Some(&b'\n')).then_some(block.len());
    let mut start = 0;
    memchr::memchr_iter(b'\n', block)
        .chain(tail)
        .map(move |nl| {
            let line = &block[start..nl];
            start = nl + 1;
            if line.len() >= MAX_RECORD_BYTES {
                return Err(GiveUp::LongLine);
            }
            Ok(line.strip_suffix(b"\r").unwrap_or(line))
        })
}

/// The records (non-empty lines) of a block.
pub(super) fn count_block(block: &[u8]) -> Result<usize, GiveUp> {
    let mut n = 0;
    for line in lines(block) {
        n += usize::from(!line?.is_empty());
    }
    Ok(n)
}

/// What a column of the file is used for.
#[derive(Clone, Copy)]
pub(super) enum Role {
    Ignore,
    Target,
    Weight,
    Feature(usize),
}

/// How the cells of a line are read: the role of each column, the delimiter, the missing
/// markers and whether [`plain_number`] may take feature cells.
pub(super) struct Layout<'a> {
    pub roles: &'a [Role],
    pub delimiter: u8,
    pub markers: &'a [Vec<u8>],
    /// False when a missing marker is itself a plain number (say `-999`): such cells must be
    /// compared with the markers, so every feature cell takes the general route.
    pub plain_numbers: bool,
    /// Features per row.
    pub p: usize,
}

impl Layout<'_> {
    fn is_missing(&self, cell: &[u8]) -> bool {
        cell.is_empty() || self.markers.iter().any(|m| m.as_slice() == cell)
    }
}

/// Whether a missing marker is spelled as a number [`plain_number`] takes whole.
pub(super) fn marker_is_plain_number(marker: &[u8]) -> bool {
    plain_number(marker).is_some_and(|(_, n)| n == marker.len())
}

/// Powers of ten exact in f64 (10^22 is the largest).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The number at the start of `s` when it is spelled `-?[0-9]+(\.[0-9]+)?` with at most 19
/// digits, its digits as an integer are at most 2^53 and it has at most 22 decimals; with the
/// bytes it takes. Otherwise `None` (the general route, `fast_float2`, reads the cell).
///
/// Exact, by Clinger's fast path (W. D. Clinger, "How to read floating point numbers
/// accurately", PLDI 1990; also the first case of `fast_float2` and of the standard library's
/// `str::parse`): the digits m and 10^k are both exact f64s, so the one IEEE division m / 10^k
/// is the correctly rounded value of the decimal, bit for bit what `str::parse` returns (the
/// sign included: `-0` is -0.0).
#[inline(always)]
fn plain_number(s: &[u8]) -> Option<(f64, usize)> {
    let negative = s.first() == Some(&b'-');
    let int_start = usize::from(negative);
    let (mut digits, mut i) = digit_run(s, int_start, 0);
    let int_len = i - int_start;
    let mut decimals = 0;
    if int_len > 0 && s.get(i) == Some(&b'.') {
        let frac_start = i + 1;
        (digits, i) = digit_run(s, frac_start, digits);
        decimals = i - frac_start;
        if decimals == 0 {
            return None;
        }
    }
    // 19 digits never overflow a u64 (so `digits` is exact); leading zeros count, which only
    // sends a few more cells the general route.
    if int_len == 0 || int_len + decimals > 19 || digits > 1 << 53 || decimals > 22 {
        return None;
    }
    let v = digits as f64 / POW10[decimals];
    // The sign set without a branch (signs of data are unpredictable); v is +0.0 or more.
    let v = f64::from_bits(v.to_bits() | u64::from(negative) << 63);
    Some((v, i))
}

/// 10^k for k digits taken at once.
const POW10_U64: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// Appends the run of ASCII digits of `s` from `start` to `acc` (as decimal digits, wrapping
/// beyond u64, which callers reject by the digit count); returns it and where the run ends.
/// Eight bytes at a time while eight are left, then byte by byte.
#[inline(always)]
fn digit_run(s: &[u8], start: usize, mut acc: u64) -> (u64, usize) {
    let mut i = start;
    while let Some(chunk) = s.get(i..i + 8) {
        let (v, k) = leading_digits(chunk.try_into().expect("eight bytes"));
        acc = acc.wrapping_mul(POW10_U64[k]).wrapping_add(v);
        i += k;
        if k < 8 || i - start > 19 {
            return (acc, i);
        }
    }
    while let Some(d) = s.get(i).map(|b| b.wrapping_sub(b'0')).filter(|d| *d <= 9) {
        acc = acc.wrapping_mul(10).wrapping_add(u64::from(d));
        i += 1;
    }
    (acc, i)
}

/// The value of the leading ASCII digits of eight bytes, and how many there are (SWAR, as in
/// fast_float's `parse_eight_digits_unrolled`; D. Lemire, "Number parsing at a gigabyte per
/// second", 2021). A byte is a digit when neither `b + 0x46` nor `b - 0x30` sets its top bit;
/// carries and borrows only run towards later bytes, so the first non-digit is found exactly.
#[inline(always)]
fn leading_digits(bytes: [u8; 8]) -> (u64, usize) {
    let v = u64::from_le_bytes(bytes);
    let non_digit = (v.wrapping_add(0x4646_4646_4646_4646) | v.wrapping_sub(0x3030_3030_3030_3030))
        & 0x8080_8080_8080_8080;
    let k = (non_digit.trailing_zeros() / 8) as usize;
    if k == 0 {
        return (0, 0);
    }
    // The k digits' values moved to the top bytes; the zero bytes below are leading zeros.
    let d = v.wrapping_sub(0x3030_3030_3030_3030) << (8 * (8 - k));
    let d = d.wrapping_mul(10).wrapping_add(d >> 8);
    let lo = (d & 0x0000_00ff_0000_00ff).wrapping_mul(100 + (1_000_000 << 32));
    let hi = ((d >> 16) & 0x0000_00ff_0000_00ff).wrapping_mul(1 + (10_000 << 32));
    (u64::from((lo.wrapping_add(hi) >> 32) as u32), k)
}

/// The rows of one block: its slices of the matrix, the label codes and the weights.
pub(super) struct RangeOut<'a> {
    pub x: &'a mut [f64],
    pub codes: &'a mut [u32],
    /// Empty without a weight column.
    pub weights: &'a mut [f64],
}

/// Parses the records of `block` (as counted by [`count_block`]) into `out`; returns the
/// labels it saw, in order of first appearance (the codes in `out` index them).
///
/// Gives up on anything the csv path might read differently. A feature cell that
/// [`plain_number`] takes whole holds only `-`, `.` and digits; every other cell (ignored
/// columns too) is checked for quotes, carriage returns and non-ASCII bytes before use, so
/// each byte of a line is checked once (the delimiters are ASCII).
pub(super) fn parse_block(
    block: &[u8],
    layout: &Layout,
    out: RangeOut,
) -> Result<Vec<Vec<u8>>, GiveUp> {
    let RangeOut { x, codes, weights } = out;
    let mut labels: Vec<Vec<u8>> = Vec::with_capacity(2);
    let p = layout.p;
    let mut row = 0usize;
    for line in lines(block) {
        let line = line?;
        if line.is_empty() {
            continue;
        }
        let out = x
            .get_mut(row * p..(row + 1) * p)
            .ok_or(GiveUp::FieldCount)?;
        // The line and what follows it in the block: digits never run past the line's end
        // (a line end or the block's end follows it), so a number read from `tail` is within
        // the line, and the eight-byte steps of `digit_run` reach the last cells too.
        let tail = &block[line.as_ptr() as usize - block.as_ptr() as usize..];
        let last_field = layout.roles.len() - 1;
        let mut pos = 0usize;
        for (field, &role) in layout.roles.iter().enumerate() {
            let last = field == last_field;
            if let (Role::Feature(j), true) = (role, layout.plain_numbers) {
                if let Some((v, n)) = plain_number(&tail[pos..]) {
                    let end = pos + n;
                    if (last && end == line.len())
                        || (!last && line.get(end) == Some(&layout.delimiter))
                    {
                        out[j] = v;
                        pos = end + 1;
                        continue;
                    }
                }
            }
            let rest = line.get(pos..).ok_or(GiveUp::FieldCount)?;
            let next = memchr::memchr(layout.delimiter, rest);
            let cell_end = match (next, last) {
                (Some(k), false) => pos + k,
                (None, true) => line.len(),
                // Fewer or more fields than the header.
                _ => return Err(GiveUp::FieldCount),
            };
            let cell = &line[pos..cell_end];
            check_cell(cell)?;
            // ASCII whitespace trimmed (a subset of what `str::trim` removes, so at worst
            // the fast path gives up on a cell the csv path accepts).
            let cell = cell.trim_ascii();
            match role {
                Role::Ignore => {}
                Role::Weight => {
                    if layout.is_missing(cell) {
                        return Err(GiveUp::Weight);
                    }
                    let v: f64 = fast_float2::parse(cell).map_err(|_| GiveUp::Weight)?;
                    if !v.is_finite() || v < 0.0 {
                        return Err(GiveUp::Weight);
                    }
                    weights[row] = v + 0.0;
                }
                Role::Feature(j) => {
                    if layout.is_missing(cell) {
                        return Err(GiveUp::Missing);
                    }
                    let v: f64 = fast_float2::parse(cell).map_err(|_| GiveUp::NotANumber)?;
                    if !v.is_finite() {
                        return Err(GiveUp::NotANumber);
                    }
                    out[j] = v;
                }
                Role::Target => {
                    if layout.is_missing(cell) {
                        return Err(GiveUp::Missing);
                    }
                    let code = match labels.iter().position(|l| l.as_slice() == cell) {
                        Some(c) => c,
                        None if labels.len() < MAX_CLASSES => {
                            labels.push(cell.to_vec());
                            labels.len() - 1
                        }
                        None => return Err(GiveUp::Labels),
                    };
                    codes[row] = code as u32;
                }
            }
            pos = cell_end + 1;
        }
        row += 1;
    }
    if row * p != x.len() || row != codes.len() {
        // Not the rows counted (cannot happen: both use `lines`).
        return Err(GiveUp::FieldCount);
    }
    Ok(labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_numbers_equal_str_parse_bit_for_bit_and_others_are_left_to_fast_float2() {
        for s in [
            "0",
            "-0",
            "0.0",
            "-0.0",
            "1",
            "-1",
            "102.9948",
            "-0.0606336",
            "0.01783392",
            "1438.753",
            "9007199254740992",
            "900719925474099.2",
            "0.1",
            "0.3",
            "123456789.987654321",
            "1.0000000000000000000001",
            "0.0000000000000000000001",
            "00000000000000000001.5",
            "4.35",
            "2.675",
            "99999999999999999",
            "1.7976931348623157",
        ] {
            let want: f64 = s.parse().unwrap();
            // Alone (the digit-run path) and followed by more bytes (the three-word path).
            let padded = format!("{s},123456789012345678901234");
            assert_eq!(
                plain_number(padded.as_bytes()).map(|(v, n)| (v.to_bits(), n)),
                plain_number(s.as_bytes()).map(|(v, n)| (v.to_bits(), n)),
                "{s}"
            );
            match plain_number(s.as_bytes()) {
                Some((v, n)) => {
                    assert_eq!(n, s.len(), "{s}");
                    assert_eq!(v.to_bits(), want.to_bits(), "{s}");
                }
                // Beyond 2^53, 19 digits or 22 decimals: the general route.
                None => assert!(
                    s.len() > 19
                        || s.trim_start_matches('-')
                            .replace('.', "")
                            .parse::<u64>()
                            .unwrap()
                            > 1 << 53,
                    "{s}"
                ),
            }
        }
        assert!(plain_number(b"9007199254740993").is_none());
        assert!(
            plain_number(b"0.00000000000000000000001").is_none(),
            "23 decimals"
        );
        // Only a prefix, or nothing: the caller then sees no delimiter after it.
        for (s, taken) in [
            ("1e5", 1),
            ("1.5E-3", 3),
            ("12 ", 2),
            ("3,4", 1),
            ("7\r", 1),
            ("5\"", 1),
        ] {
            assert_eq!(
                plain_number(s.as_bytes()).map(|(_, n)| n),
                Some(taken),
                "{s}"
            );
        }
        for s in [
            "", "-", ".5", "5.", "+1", "inf", "NaN", " 1", "-.5", "--1", "\"1\"",
        ] {
            assert!(plain_number(s.as_bytes()).is_none(), "{s:?}");
        }
        assert!(marker_is_plain_number(b"-999"));
        assert!(!marker_is_plain_number(b"NA"));
        assert!(!marker_is_plain_number(b"1e3"));
    }
}

//! The fast reader's two passes over one range: counting its records, then parsing them
//! straight into the range's rows of the matrix.

use super::bytes::ByteSource;
use super::GiveUp;
use crate::data::schema::MAX_CLASSES;

/// Counts the records (non-empty lines) of a range, giving up on quotes and non-ASCII bytes.
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
        if memchr::memchr(b'"', line).is_some() {
            return Err(GiveUp::Quote);
        }
        if memchr::memchr(b'\r', line).is_some() {
            // A lone carriage return ends a record for the csv crate.
            return Err(GiveUp::FieldCount);
        }
        if !line.is_ascii() {
            return Err(GiveUp::NonAscii);
        }
        n += 1;
        Ok(())
    })?;
    Ok(outcome.map(|()| n))
}

/// What a column of the file is used for.
#[derive(Clone, Copy)]
pub(super) enum Role {
    Ignore,
    Target,
    Weight,
    Feature(usize),
}

/// ASCII whitespace trimmed (a subset of what `str::trim` removes, so at worst the fast path
/// gives up on a cell the csv path accepts).
fn trim(cell: &[u8]) -> &[u8] {
    cell.trim_ascii()
}

/// The rows of one range: its slices of the matrix, the label codes and the weights.
pub(super) struct RangeOut<'a> {
    pub x: &'a mut [f64],
    pub codes: &'a mut [u32],
    /// Empty without a weight column.
    pub weights: &'a mut [f64],
}

/// Parses one range into its rows of `x`, label codes and weights; returns the labels it saw,
/// in order.
pub(super) fn parse_range<S: ByteSource + ?Sized>(
    file: &S,
    (start, end): (u64, u64),
    roles: &[Role],
    delimiter: u8,
    markers: &[Vec<u8>],
    out: RangeOut,
    p: usize,
) -> std::io::Result<Result<Vec<Vec<u8>>, GiveUp>> {
    let RangeOut { x, codes, weights } = out;
    let mut labels: Vec<Vec<u8>> = Vec::with_capacity(2);
    let mut row = 0usize;
    let is_missing = |cell: &[u8]| cell.is_empty() || markers.iter().any(|m| m.as_slice() == cell);
    let outcome = file.lines(start, end, &mut |line| {
        if line.is_empty() {
            return Ok(());
        }
        let out = x
            .get_mut(row * p..(row + 1) * p)
            .ok_or(GiveUp::FieldCount)?;
        let mut field = 0usize;
        let mut cell_start = 0usize;
        for cell_end in memchr::memchr_iter(delimiter, line).chain(std::iter::once(line.len())) {
            let role = *roles.get(field).ok_or(GiveUp::FieldCount)?;
            let cell = trim(&line[cell_start..cell_end]);
            match role {
                Role::Ignore => {}
                Role::Weight => {
                    if is_missing(cell) {
                        return Err(GiveUp::Weight);
                    }
                    let v: f64 = fast_float2::parse(cell).map_err(|_| GiveUp::Weight)?;
                    if !v.is_finite() || v < 0.0 {
                        return Err(GiveUp::Weight);
                    }
                    weights[row] = v + 0.0;
                }
                Role::Feature(j) => {
                    if is_missing(cell) {
                        return Err(GiveUp::Missing);
                    }
                    let v: f64 = fast_float2::parse(cell).map_err(|_| GiveUp::NotANumber)?;
                    if !v.is_finite() {
                        return Err(GiveUp::NotANumber);
                    }
                    out[j] = v;
                }
                Role::Target => {
                    if is_missing(cell) {
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
            field += 1;
            cell_start = cell_end + 1;
        }
        if field != roles.len() {
            return Err(GiveUp::FieldCount);
        }
        row += 1;
        Ok(())
    })?;
    Ok(outcome.map(|()| labels))
}

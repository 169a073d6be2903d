//! A compact byte form of the metric tallies, for tallies made by other processes
//! (`eval --distributed`): numbers as little-endian `f64`, counts as LEB128 varints, and the
//! distinct scores of [`ScoreGroups`] delta-coded.
//!
//! A distinct score is sent as the varint of the difference between its order-preserving
//! 64-bit key and the previous score's (the keys of sorted scores increase), so dense scores
//! cost about 5-6 bytes instead of 8; then an unweighted group's two counts as varints (one
//! byte each for counts below 128), a weighted group's tag byte (which sides are non-zero)
//! and those sides' `f64` sums. Decoding rejects anything malformed with `None`.

use super::ranking::{ScoreGroups, TieGroup};
use super::CompensatedSum;

/// The key of a score (never `NaN`, never `-0.0`) whose unsigned order is the numeric order.
fn key(z: f64) -> u64 {
    let bits = z.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

/// The inverse of [`key`].
fn unkey(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// Appends values to a byte buffer.
#[derive(Debug, Default)]
pub(crate) struct Writer {
    pub(crate) bytes: Vec<u8>,
}

impl Writer {
    pub(crate) fn f64(&mut self, x: f64) {
        self.bytes.extend(x.to_le_bytes());
    }

    pub(crate) fn varint(&mut self, mut v: u64) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.bytes.push(byte);
                return;
            }
            self.bytes.push(byte | 0x80);
        }
    }

    pub(crate) fn sum(&mut self, s: &CompensatedSum) {
        self.f64(s.sum);
        self.f64(s.compensation);
    }

    pub(crate) fn f64s(&mut self, v: &[f64]) {
        self.varint(v.len() as u64);
        v.iter().for_each(|&x| self.f64(x));
    }

    fn nan(&mut self, nan: &TieGroup<u64>) {
        self.varint(nan.pos);
        self.varint(nan.neg);
    }

    fn keys(&mut self, z: &[f64]) {
        self.varint(z.len() as u64);
        let mut previous = 0u64;
        for &v in z {
            let k = key(v);
            self.varint(k - previous);
            previous = k;
        }
    }

    /// Unweighted groups: the scores, then each group's counts.
    pub(crate) fn counts(&mut self, g: &ScoreGroups<u64>) {
        self.nan(&g.nan);
        self.keys(&g.z);
        for t in &g.groups {
            self.varint(t.pos);
            self.varint(t.neg);
        }
    }

    /// Weighted groups: the scores, then each group's non-zero sides.
    pub(crate) fn weights(&mut self, g: &ScoreGroups<f64>) {
        self.nan(&g.nan);
        self.keys(&g.z);
        for t in &g.groups {
            let tag = u8::from(t.pos != 0.0) | (u8::from(t.neg != 0.0) << 1);
            self.bytes.push(tag);
            if t.pos != 0.0 {
                self.f64(t.pos);
            }
            if t.neg != 0.0 {
                self.f64(t.neg);
            }
        }
    }
}

/// Reads what a [`Writer`] wrote, in the same order.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, at: 0 }
    }

    pub(crate) fn done(&self) -> bool {
        self.at == self.bytes.len()
    }

    fn byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    pub(crate) fn f64(&mut self) -> Option<f64> {
        let b = self.bytes.get(self.at..self.at + 8)?;
        self.at += 8;
        Some(f64::from_le_bytes(b.try_into().ok()?))
    }

    pub(crate) fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    /// A length that cannot exceed what is left of the input (each item takes a byte or more).
    fn len(&mut self) -> Option<usize> {
        let n = usize::try_from(self.varint()?).ok()?;
        (n <= self.bytes.len() - self.at).then_some(n)
    }

    pub(crate) fn sum(&mut self) -> Option<CompensatedSum> {
        Some(CompensatedSum {
            sum: self.f64()?,
            compensation: self.f64()?,
        })
    }

    pub(crate) fn f64s(&mut self) -> Option<Vec<f64>> {
        let n = self.len()?;
        (0..n).map(|_| self.f64()).collect()
    }

    fn nan(&mut self) -> Option<TieGroup<u64>> {
        Some(TieGroup {
            pos: self.varint()?,
            neg: self.varint()?,
        })
    }

    fn keys(&mut self) -> Option<Vec<f64>> {
        let n = self.len()?;
        let mut z = Vec::with_capacity(n);
        let mut k = 0u64;
        for i in 0..n {
            let d = self.varint()?;
            // Strictly increasing (distinct scores), except that the first key may be 0.
            if d == 0 && i > 0 {
                return None;
            }
            k = k.checked_add(d)?;
            z.push(unkey(k));
        }
        Some(z)
    }

    pub(crate) fn counts(&mut self) -> Option<ScoreGroups<u64>> {
        let nan = self.nan()?;
        let z = self.keys()?;
        let groups = (0..z.len())
            .map(|_| {
                Some(TieGroup {
                    pos: self.varint()?,
                    neg: self.varint()?,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(ScoreGroups { z, groups, nan })
    }

    pub(crate) fn weights(&mut self) -> Option<ScoreGroups<f64>> {
        let nan = self.nan()?;
        let z = self.keys()?;
        let mut groups = Vec::with_capacity(z.len());
        for _ in 0..z.len() {
            let tag = self.byte()?;
            let mut side = |bit: u8| {
                if tag & bit != 0 {
                    self.f64()
                } else {
                    Some(0.0)
                }
            };
            let pos = side(1)?;
            let neg = side(2)?;
            groups.push(TieGroup { pos, neg });
        }
        Some(ScoreGroups { z, groups, nan })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_the_order_of_scores_and_round_trip() {
        let z = [
            f64::NEG_INFINITY,
            -1e300,
            -2.5,
            -f64::MIN_POSITIVE,
            0.0,
            f64::from_bits(1),
            1e-300,
            0.5,
            36.8,
            f64::MAX,
            f64::INFINITY,
        ];
        for w in z.windows(2) {
            assert!(key(w[0]) < key(w[1]), "{} {}", w[0], w[1]);
        }
        for &v in &z {
            assert_eq!(unkey(key(v)).to_bits(), v.to_bits());
        }
    }

    #[test]
    fn groups_round_trip_and_bad_bytes_are_rejected() {
        let scores = [0.3, -2.0, 0.3, f64::NAN, 7.5, -0.0, 0.0, -2.0];
        let y = [true, false, false, true, true, false, true, true];
        let w = [0.5, 2.0, 0.0, 1.0, 3.25, 1.0, 0.0, 1.5];
        let counts = ScoreGroups::of(&scores, &y, |_| 1u64);
        let weights = ScoreGroups::of(&scores, &y, |i| w[i]);
        let mut out = Writer::default();
        out.counts(&counts);
        out.weights(&weights);
        out.varint(u64::MAX);
        let mut r = Reader::new(&out.bytes);
        assert_eq!(r.counts().as_ref(), Some(&counts));
        assert_eq!(r.weights().as_ref(), Some(&weights));
        assert_eq!(r.varint(), Some(u64::MAX));
        assert!(r.done());
        assert_eq!(counts.z, vec![-2.0, 0.0, 0.3, 7.5]);
        assert_eq!(counts.nan, TieGroup { pos: 1, neg: 0 });
        // Cut short anywhere, the groups do not decode.
        for cut in 0..out.bytes.len() - 10 {
            let mut r = Reader::new(&out.bytes[..cut]);
            assert!(
                r.counts().is_none() || r.weights().is_none(),
                "cut at {cut}"
            );
        }
    }
}

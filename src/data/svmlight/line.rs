//! One svmlight line: `label [qid:N] idx:value ... [# comment]`.
//!
//! Tokens are separated by spaces or tabs (a `\r`, as in CRLF files, counts as a separator
//! too); everything from the first `#` is a comment. A line with no token is skipped (it is
//! not a row). The first token is the label; `qid:` tokens are ignored; every other token is
//! `idx:value` with `idx` a decimal integer from 1 to [`MAX_FEATURES`] and `value` a finite
//! number (`fast-float2`, which rounds as `str::parse` does, so the values equal the CSV
//! reader's bit for bit). Indices may come in any order; they are sorted, and an index given
//! twice on a line is an error. Values equal to 0 are not stored (an absent index is 0), but
//! their index still counts towards the number of features, as in LIBLINEAR and scikit-learn.

use std::fmt;

use super::MAX_FEATURES;

/// What is wrong with one token (the message after `token "...": `).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The first token holds a `:`, so the line has no label.
    NoLabel,
    /// The label is not UTF-8 text.
    LabelNotUtf8,
    /// No `:` in a feature token.
    NoColon,
    /// The part before `:` is not a decimal integer >= 1.
    BadIndex,
    /// An index beyond [`MAX_FEATURES`].
    IndexTooLarge,
    /// The part after `:` is not a number.
    NotANumber,
    /// The value is NaN, infinite or beyond the range of f64.
    NotFinite,
    /// The index appeared earlier on the same line.
    Duplicate,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::NoLabel => write!(
                f,
                "expected the label first (svmlight lines are `label idx:value ...`), found a \
                 feature: the line has no label"
            ),
            Problem::LabelNotUtf8 => write!(f, "the label is not valid UTF-8 text"),
            Problem::NoColon => write!(
                f,
                "expected a feature `idx:value` (or `qid:N`), found no ':'"
            ),
            Problem::BadIndex => write!(
                f,
                "expected a feature index, a whole number >= 1 (svmlight indices are 1-based), \
                 before the ':'"
            ),
            Problem::IndexTooLarge => write!(
                f,
                "the feature index is beyond the limit of {MAX_FEATURES} features"
            ),
            Problem::NotANumber => write!(f, "expected a number after the ':'"),
            Problem::NotFinite => write!(f, "expected a finite number after the ':'"),
            Problem::Duplicate => write!(
                f,
                "this feature index appears earlier on the same line; each index may appear \
                 once per line"
            ),
        }
    }
}

/// A bad token of a line: the token's bytes and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenError {
    pub token: Vec<u8>,
    pub problem: Problem,
}

impl TokenError {
    fn new(token: &[u8], problem: Problem) -> TokenError {
        TokenError {
            token: token.to_vec(),
            problem,
        }
    }

    /// The token as text for messages (invalid UTF-8 shown with replacement characters).
    pub fn token_text(&self) -> String {
        String::from_utf8_lossy(&self.token).into_owned()
    }
}

fn is_separator(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\x0b' | b'\x0c')
}

/// The tokens of `line` up to its comment.
fn tokens(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    let content = match memchr::memchr(b'#', line) {
        Some(hash) => &line[..hash],
        None => line,
    };
    content
        .split(|&b| is_separator(b))
        .filter(|t| !t.is_empty())
}

/// A feature index: ASCII digits (at most 10) making a number from 1 to [`MAX_FEATURES`].
fn parse_index(digits: &[u8]) -> Result<u32, Problem> {
    if digits.is_empty() || digits.len() > 10 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(Problem::BadIndex);
    }
    let n = digits
        .iter()
        .fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
    match n {
        0 => Err(Problem::BadIndex),
        n if n > u64::from(MAX_FEATURES) => Err(Problem::IndexTooLarge),
        n => Ok(n as u32),
    }
}

/// A feature value: a finite number.
fn parse_value(text: &[u8]) -> Result<f64, Problem> {
    match fast_float2::parse::<f64, _>(text) {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(Problem::NotFinite),
        // fast-float2 refuses what str::parse refuses; "1e400" parses (to infinity) above.
        Err(_) => Err(Problem::NotANumber),
    }
}

/// One feature token: `Some((index, value))`, `None` for a `qid:` token, or its problem.
fn feature(token: &[u8]) -> Result<Option<(u32, f64)>, TokenError> {
    let colon =
        memchr::memchr(b':', token).ok_or_else(|| TokenError::new(token, Problem::NoColon))?;
    let (idx, value) = (&token[..colon], &token[colon + 1..]);
    if idx == b"qid" {
        return Ok(None);
    }
    let at = |problem| TokenError::new(token, problem);
    let index = parse_index(idx).map_err(at)?;
    let value = parse_value(value).map_err(at)?;
    Ok(Some((index, value)))
}

/// Parses one line (without its `\n`) into its label and `pairs`, the `(index, value)` pairs
/// sorted by index with zero values left out. `max_index` is raised to the largest index seen
/// (zero values included). `Ok(None)` for a line without tokens (blank or comment only).
pub fn parse_line<'a>(
    line: &'a [u8],
    pairs: &mut Vec<(u32, f64)>,
    max_index: &mut u32,
) -> Result<Option<&'a str>, TokenError> {
    pairs.clear();
    let content = match memchr::memchr(b'#', line) {
        Some(hash) => &line[..hash],
        None => line,
    };
    let Some(start) = content.iter().position(|&b| !is_separator(b)) else {
        return Ok(None);
    };
    let end = content[start..]
        .iter()
        .position(|&b| is_separator(b))
        .map_or(content.len(), |n| start + n);
    let (label, content) = (&content[start..end], &content[end..]);
    if memchr::memchr(b':', label).is_some() {
        return Err(TokenError::new(label, Problem::NoLabel));
    }
    let label =
        std::str::from_utf8(label).map_err(|_| TokenError::new(label, Problem::LabelNotUtf8))?;
    let mut sorted = true;
    let mut last = 0u32;
    let mut zeros = false;
    let mut pos = 0;
    while pos < content.len() {
        if is_separator(content[pos]) {
            pos += 1;
            continue;
        }
        // The common token in one pass: digits, ':', a number, then a separator or the end.
        let start = pos;
        let mut index = 0u64;
        while pos < content.len() && content[pos].is_ascii_digit() && pos - start < 10 {
            index = index * 10 + u64::from(content[pos] - b'0');
            pos += 1;
        }
        let plain = pos > start
            && content.get(pos) == Some(&b':')
            && (1..=u64::from(MAX_FEATURES)).contains(&index);
        let parsed = if plain {
            fast_float2::parse_partial::<f64, _>(&content[pos + 1..])
                .ok()
                .filter(|&(v, used)| {
                    v.is_finite() && content.get(pos + 1 + used).is_none_or(|&b| is_separator(b))
                })
        } else {
            None
        };
        let (index, value) = match parsed {
            Some((value, used)) => {
                pos += 1 + used;
                (index as u32, value)
            }
            None => {
                // Anything else (qid, or a bad token) goes through the token rules.
                let end = content[start..]
                    .iter()
                    .position(|&b| is_separator(b))
                    .map_or(content.len(), |n| start + n);
                pos = end;
                match feature(&content[start..end])? {
                    Some(pair) => pair,
                    None => continue,
                }
            }
        };
        if index <= last {
            sorted = false;
        }
        last = index;
        *max_index = (*max_index).max(index);
        zeros |= value == 0.0;
        pairs.push((index, value));
    }
    if !sorted {
        pairs.sort_by_key(|&(index, _)| index);
        if let Some(w) = pairs.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(duplicate(line, w[0].0));
        }
    }
    if zeros {
        pairs.retain(|&(_, v)| v != 0.0);
    }
    Ok(Some(label))
}

/// The error for `index` given twice on `line`: names its second token.
fn duplicate(line: &[u8], index: u32) -> TokenError {
    let token = feature_tokens(line, index)
        .nth(1)
        .expect("the index appears twice on the line");
    TokenError::new(token, Problem::Duplicate)
}

/// The feature tokens of `line` with 1-based `index` (for messages about a parsed row).
pub fn feature_tokens(line: &[u8], index: u32) -> impl Iterator<Item = &[u8]> {
    tokens(line).skip(1).filter(move |token| {
        let idx = token.split(|&b| b == b':').next().unwrap_or(token);
        parse_index(idx) == Ok(index)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A parsed line: label, pairs and the largest index.
    type Parsed = (String, Vec<(u32, f64)>, u32);

    fn parse(line: &str) -> Result<Option<Parsed>, TokenError> {
        let mut pairs = Vec::new();
        let mut max = 0;
        let label = parse_line(line.as_bytes(), &mut pairs, &mut max)?;
        Ok(label.map(|l| (l.to_string(), pairs, max)))
    }

    fn problem(line: &str) -> (String, Problem) {
        let e = parse(line).unwrap_err();
        (e.token_text(), e.problem)
    }

    #[test]
    fn a_line_gives_its_label_and_sorted_nonzero_pairs() {
        let (label, pairs, max) = parse("+1 3:0.5 1:-2 qid:7 10:0 2:1e-3 # 9:9 comment")
            .unwrap()
            .unwrap();
        assert_eq!(label, "+1");
        assert_eq!(pairs, vec![(1, -2.0), (2, 1e-3), (3, 0.5)]);
        assert_eq!(max, 10, "an explicit zero still counts as a feature");
        let (label, pairs, _) = parse("\tneg\t4:.25\r").unwrap().unwrap();
        assert_eq!((label.as_str(), pairs), ("neg", vec![(4, 0.25)]));
        let (label, pairs, max) = parse("0").unwrap().unwrap();
        assert_eq!((label.as_str(), pairs.len(), max), ("0", 0, 0));
    }

    #[test]
    fn values_equal_str_parse_bit_for_bit() {
        for v in [
            "0.1",
            "1e-310",
            "123456789.123456789",
            "-7.25E+2",
            ".5",
            "5.",
        ] {
            let (_, pairs, _) = parse(&format!("1 1:{v}")).unwrap().unwrap();
            assert_eq!(
                pairs[0].1.to_bits(),
                v.parse::<f64>().unwrap().to_bits(),
                "{v}"
            );
        }
    }

    #[test]
    fn blank_and_comment_lines_are_not_rows() {
        for line in ["", "   ", "\r", "# only a comment", "  # 1 1:2"] {
            assert_eq!(parse(line).unwrap(), None, "{line:?}");
        }
    }

    #[test]
    fn bad_tokens_are_named_with_their_problem() {
        assert_eq!(problem("1:2 3:4"), ("1:2".into(), Problem::NoLabel));
        assert_eq!(problem("1 3"), ("3".into(), Problem::NoColon));
        assert_eq!(problem("1 0:1"), ("0:1".into(), Problem::BadIndex));
        assert_eq!(problem("1 -2:1"), ("-2:1".into(), Problem::BadIndex));
        assert_eq!(problem("1 x:1"), ("x:1".into(), Problem::BadIndex));
        assert_eq!(problem("1 :1"), (":1".into(), Problem::BadIndex));
        assert_eq!(
            problem("1 99999999999:1"),
            ("99999999999:1".into(), Problem::BadIndex)
        );
        assert_eq!(
            problem("1 1000001:1"),
            ("1000001:1".into(), Problem::IndexTooLarge)
        );
        assert_eq!(problem("1 2:abc"), ("2:abc".into(), Problem::NotANumber));
        assert_eq!(problem("1 2:"), ("2:".into(), Problem::NotANumber));
        assert_eq!(problem("1 2:3,5"), ("2:3,5".into(), Problem::NotANumber));
        assert_eq!(problem("1 2:nan"), ("2:nan".into(), Problem::NotFinite));
        assert_eq!(problem("1 2:1e400"), ("2:1e400".into(), Problem::NotFinite));
        assert_eq!(problem("1 2:1 2:1"), ("2:1".into(), Problem::Duplicate));
        assert_eq!(problem("1 5:1 2:3 5:0"), ("5:0".into(), Problem::Duplicate));
        let e = parse_line(b"\xffx 1:1", &mut Vec::new(), &mut 0).unwrap_err();
        assert_eq!(e.problem, Problem::LabelNotUtf8);
        let e = parse("1 2:abc").unwrap_err();
        assert_eq!(e.problem.to_string(), "expected a number after the ':'");
    }

    /// The token rules alone, token by token (what the one-pass scanner must agree with).
    fn by_tokens(line: &[u8]) -> Result<Option<Vec<(u32, f64)>>, TokenError> {
        let mut tokens = tokens(line);
        if tokens.next().is_none() {
            return Ok(None);
        }
        let mut pairs: Vec<(u32, f64)> = Vec::new();
        for token in tokens {
            pairs.extend(feature(token)?);
        }
        pairs.sort_by_key(|p| p.0);
        pairs.retain(|p| p.1 != 0.0);
        Ok(Some(pairs))
    }

    #[test]
    fn the_one_pass_scanner_agrees_with_the_token_rules() {
        let pieces = [
            "1:2",
            "3:-0.5",
            "10:1e-5",
            "0:1",
            "007:3",
            "1000000:1",
            "1000001:1",
            "12345678901:1",
            "2:",
            ":3",
            "4:1.5x",
            "5:1e400",
            "6:nan",
            "7:inf",
            "8:+.5",
            "9:5.",
            "qid:3",
            "qid:",
            "x:1",
            "11:0",
            "12:-0",
            "13:1e",
            "14:0x10",
            "15:1_0",
            "16:1,5",
            "17:1:2",
            "18::2",
            "19:1#c",
            "#",
            "20:\t",
            "21:1e-400",
        ];
        let mut rng = 12345u64;
        let mut next = |n: usize| {
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (rng >> 33) as usize % n
        };
        for _ in 0..20_000 {
            let mut line = String::from("+1");
            for _ in 0..next(4) {
                line.push(if next(3) == 0 { '\t' } else { ' ' });
                line.push_str(pieces[next(pieces.len())]);
            }
            let mut pairs = Vec::new();
            let mut max = 0;
            let got = parse_line(line.as_bytes(), &mut pairs, &mut max).map(|l| l.map(|_| pairs));
            let want = by_tokens(line.as_bytes());
            // Duplicates: the scanner refuses them; the reference keeps both.
            if let Err(TokenError {
                problem: Problem::Duplicate,
                ..
            }) = got
            {
                continue;
            }
            match (&got, &want) {
                (Ok(Some(a)), Ok(Some(b))) => {
                    let bits = |v: &[(u32, f64)]| -> Vec<(u32, u64)> {
                        v.iter().map(|p| (p.0, p.1.to_bits())).collect()
                    };
                    assert_eq!(bits(a), bits(b), "{line:?}");
                }
                _ => assert_eq!(got, want, "{line:?}"),
            }
        }
    }
}

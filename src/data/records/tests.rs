//! Tests of the record rules: generated awkward inputs against their construction, the csv
//! crate, split reads, and the fast path at every switch point.

use super::*;
use proptest::prelude::*;

/// A generated input: its bytes, and by construction the records the rules define (fields
/// and the physical line each starts on) after the header.
#[derive(Debug)]
struct Case {
    bytes: Vec<u8>,
    n_fields: usize,
    records: Vec<(Vec<String>, u64)>,
}

/// One row of a generated file before rendering.
#[derive(Debug, Clone)]
enum Row {
    Blank,
    /// Cells as (text, quoted); quoted text may hold delimiters, quotes and line ends.
    Cells(Vec<(String, bool)>),
}

const TERMINATORS: [&str; 3] = ["\n", "\r\n", "\r"];

fn plain_cell() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["1", "2.5", "x", " 7 ", "", "-3e2", "a\"b", "é"])
        .prop_map(str::to_string)
}

fn quoted_cell() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec!["a", ",", "\"", "\n", "\r\n", "\r", " ", "9"]),
        0..5,
    )
    .prop_map(|p| p.concat())
}

fn cell() -> impl Strategy<Value = (String, bool)> {
    prop_oneof![
        4 => plain_cell().prop_map(|c| (c, false)),
        1 => quoted_cell().prop_map(|c| (c, true)),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (1usize..4, any::<bool>(), 0usize..3, any::<bool>())
        .prop_flat_map(|(n, bom, leading, last_end)| {
            let row = prop_oneof![
                1 => Just(Row::Blank),
                4 => prop::collection::vec(cell(), n).prop_map(Row::Cells),
            ];
            let rows = prop::collection::vec((row, 0usize..3), 0..8);
            let ends = prop::collection::vec(0usize..3, leading + 1);
            (Just((n, bom, last_end)), ends, rows)
        })
        .prop_map(|((n, bom, last_end), lead_ends, rows)| {
            render(n, bom, last_end, &lead_ends, &rows)
        })
}

/// Renders rows; counts lines as it goes (a quoted `\r` right before `\n` is one break).
fn render(n: usize, bom: bool, last_end: bool, lead: &[usize], rows: &[(Row, usize)]) -> Case {
    let mut bytes = Vec::new();
    if bom {
        bytes.extend_from_slice(b"\xef\xbb\xbf");
    }
    let mut line = 1;
    // Leading blank lines, then the header, ended by the last of `lead`'s terminators.
    let (header_end, blanks) = lead.split_last().expect("non-empty");
    for &t in blanks {
        end_line(&mut bytes, t);
        line += 1;
    }
    let names: Vec<String> = (0..n).map(|i| format!("h{i}")).collect();
    bytes.extend_from_slice(names.join(",").as_bytes());
    let mut ends = vec![*header_end];
    let mut records = Vec::new();
    let mut pending_end = true;
    for (k, (row, end)) in rows.iter().enumerate() {
        end_line(&mut bytes, ends.pop().expect("one open line"));
        line += 1;
        match row {
            Row::Blank => {
                if blank_line_is_record(n) {
                    records.push((vec![String::new()], line));
                }
            }
            Row::Cells(cells) => {
                let start = line;
                let mut texts = Vec::new();
                for (i, (text, quoted)) in cells.iter().enumerate() {
                    if i > 0 {
                        bytes.push(b',');
                    }
                    if *quoted {
                        bytes.push(b'"');
                        bytes.extend_from_slice(text.replace('"', "\"\"").as_bytes());
                        bytes.push(b'"');
                        line += line_breaks(b'"', text.as_bytes());
                    } else {
                        bytes.extend_from_slice(text.as_bytes());
                    }
                    texts.push(text.clone());
                }
                // (An empty plain cell alone on its line is a blank line: the same record.)
                records.push((texts, start));
            }
        }
        ends.push(*end);
        pending_end = k + 1 < rows.len() || last_end;
    }
    if pending_end {
        end_line(&mut bytes, ends.pop().expect("one open line"));
    } else if rows.last().is_some_and(|(row, _)| match row {
        Row::Blank => blank_line_is_record(n),
        Row::Cells(c) => n == 1 && c[0].0.is_empty() && !c[0].1,
    }) {
        records.pop();
    }
    Case {
        bytes,
        n_fields: n,
        records,
    }
}

/// Ends a line with `TERMINATORS[t]`; `\n` right after a line that ended in a lone `\r` (an
/// empty line) becomes `\r\n`, or the two would be one `\r\n` line end.
fn end_line(bytes: &mut Vec<u8>, t: usize) {
    let t = if t == 0 && bytes.last() == Some(&b'\r') {
        1
    } else {
        t
    };
    bytes.extend_from_slice(TERMINATORS[t].as_bytes());
}

/// A reader that hands out at most `.1` bytes per call.
struct Trickle<'a>(&'a [u8], usize);

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.1.min(buf.len()).min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

/// Records as (fields, physical line).
type Rows = Vec<(Vec<String>, u64)>;

fn read_all(file_bytes: &[u8]) -> Result<(Vec<String>, Rows)> {
    let mut reader = Records::new("t.csv", file_bytes, b',');
    let header = reader.read_header()?;
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    while let Some(line) = reader.read(&mut record)? {
        out.push((record.iter().map(str::to_string).collect(), line));
    }
    Ok((header, out))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The reader gives the records and physical lines the generator put there.
    #[test]
    fn records_and_lines_are_those_written(case in case()) {
        let (header, records) = read_all(&case.bytes).unwrap();
        prop_assert_eq!(header.len(), case.n_fields);
        prop_assert_eq!(&records, &case.records);
    }

    /// Reads that return a few bytes at a time (a pipe) split BOMs, `\r\n` pairs and quoted
    /// cells across buffer refills; the records and lines stay the same.
    #[test]
    fn records_do_not_depend_on_how_reads_are_split(case in case(), step in 1usize..5) {
        let mut reader = Records::new("t.csv", Trickle(&case.bytes, step), b',');
        reader.read_header().unwrap();
        let mut got = Vec::new();
        let mut record = csv::StringRecord::new();
        while let Some(line) = reader.read(&mut record).unwrap() {
            got.push((record.iter().map(str::to_string).collect::<Vec<_>>(), line));
        }
        prop_assert_eq!(&got, &case.records);
    }

    /// Apart from a one-column file's blank lines, the records are the csv crate's (which
    /// train reads with): the same fields in the same order.
    #[test]
    fn records_are_the_csv_crates_except_blank_lines_of_one_column(case in case()) {
        let (header, records) = read_all(&case.bytes).unwrap();
        let mut csv_reader = csv::ReaderBuilder::new().from_reader(case.bytes.as_slice());
        let csv_header: Vec<String> =
            csv_reader.headers().unwrap().iter().map(str::to_string).collect();
        let csv_records: Vec<Vec<String>> = csv_reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        prop_assert_eq!(header, csv_header);
        let ours: Vec<Vec<String>> = records
            .into_iter()
            .map(|r| r.0)
            .filter(|f| case.n_fields > 1 || !f[0].is_empty())
            .collect();
        let theirs: Vec<Vec<String>> = csv_records
            .into_iter()
            .filter(|f| case.n_fields > 1 || !f[0].is_empty())
            .collect();
        prop_assert_eq!(ours, theirs);
    }

    /// Wherever the fast path stops (at any line start) and the reader resumes, the records
    /// and their lines are those of the reader alone; and where the fast path accepts a
    /// chunk, it reads exactly the reader's records.
    #[test]
    fn fast_path_and_reader_agree_at_every_switch_point(case in case()) {
        let (header, expected) = read_all(&case.bytes).unwrap();
        let mut reader = Records::new("t.csv", case.bytes.as_slice(), b',');
        reader.read_header().unwrap();
        let (body, _, first_line) = reader.into_raw().unwrap();
        let cuts = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', &body).map(|i| i + 1))
            .chain(std::iter::once(body.len()));
        for cut in cuts {
            let mut got: Vec<(Vec<String>, u64)> = Vec::new();
            let mut line = first_line;
            let fast = &body[..cut];
            let mut fast_records = Vec::new();
            let plain = for_each_plain_record(fast, header.len(), b',', |fields| {
                fast_records.push(
                    fields.iter().map(|f| String::from_utf8(f.to_vec()).unwrap()).collect(),
                );
                true
            });
            let resume_at = if plain {
                // Lines of the fast records are not reported; their count and order are.
                got.extend(fast_records.into_iter().map(|f| (f, 0)));
                line += line_breaks(b'\n', fast);
                cut
            } else {
                0
            };
            let mut rest =
                Records::resume("t.csv", &body[resume_at..], b',', header.clone(), line);
            let mut record = csv::StringRecord::new();
            while let Some(l) = rest.read(&mut record).unwrap() {
                got.push((record.iter().map(str::to_string).collect(), l));
            }
            prop_assert_eq!(got.len(), expected.len(), "cut {}", cut);
            for (g, e) in got.iter().zip(&expected) {
                prop_assert_eq!(&g.0, &e.0, "cut {}", cut);
                if g.1 != 0 {
                    prop_assert_eq!(g.1, e.1, "cut {}", cut);
                }
            }
        }
    }
}

#[test]
fn blank_and_crlf_lines_are_counted_physically() {
    let (_, records) = read_all(b"\r\n\r\na,b\r\n1,2\r\n\r\n3,4\r5,6\n\"x\r\ny\",7\n8,9").unwrap();
    let lines: Vec<u64> = records.iter().map(|r| r.1).collect();
    assert_eq!(lines, vec![4, 6, 7, 8, 10]);
    let (_, records) = read_all(b"a\n1\n\n\r\n3").unwrap();
    assert_eq!(
        records,
        vec![
            (vec!["1".to_string()], 2),
            (vec![String::new()], 3),
            (vec![String::new()], 4),
            (vec!["3".to_string()], 5)
        ]
    );
}

#[test]
fn empty_inputs_ragged_rows_and_bad_bytes_are_errors_with_lines() {
    for empty in [&b""[..], b"\n\r\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\n"] {
        let err = read_all(empty).unwrap_err().to_string();
        assert!(err.contains("the input is empty"), "{err}");
    }
    let err = read_all(b"a,b\n1,2\n\n3\n").unwrap_err().to_string();
    assert_eq!(
        err,
        "t.csv: line 4: the record has 1 field(s) but the header has 2"
    );
    let err = read_all(b"a,b\r\n1,2\r\n3,\xff\r\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("t.csv: line 3, column \"b\": the bytes are not valid UTF-8"),
        "{err}"
    );
    let err = read_all(b"a,a\n").unwrap_err().to_string();
    assert!(err.contains("line 1, column \"a\""), "{err}");
    // A second BOM is data, as for the csv crate.
    let (header, _) = read_all(b"\xef\xbb\xbf\xef\xbb\xbfa\n1\n").unwrap();
    assert_eq!(header, vec!["\u{feff}a".to_string()]);
}

#[test]
fn records_and_cells_over_the_limits_are_refused_without_reading_on() {
    // An endless line: the reader stops at the limit (the input would never end).
    let endless = std::io::repeat(b'0');
    let mut reader = Records::new("zero", endless, b',');
    let err = reader.read_header().unwrap_err().to_string();
    assert!(
        err.starts_with("zero: line 1: a record longer than 16777216 bytes"),
        "{err}"
    );
    // Empty fields count too (one byte per delimiter).
    let commas = std::io::Read::chain(&b"a\n"[..], std::io::repeat(b','));
    let mut reader = Records::new("commas", commas, b',');
    reader.read_header().unwrap();
    let err = reader
        .read(&mut csv::StringRecord::new())
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("commas: line 2: a record longer"), "{err}");
    let mut text = b"a,b\n1,".to_vec();
    text.extend(std::iter::repeat_n(b'0', MAX_CELL_BYTES));
    text.extend_from_slice(b"1\n");
    let err = read_all(&text).unwrap_err().to_string();
    assert!(
        err.starts_with("t.csv: line 2, column \"b\": a cell of 1048577 bytes"),
        "{err}"
    );
    assert!(!for_each_plain_record(&text[4..], 2, b',', |_| true));
}

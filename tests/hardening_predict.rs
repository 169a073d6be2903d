//! Issue 8 hardening of predict's row path and scoring: items 9 (one set of record rules for the
//! fast path and the reader), 10 (scores beyond f64's range), 21 (header matching in linear
//! time) and the predict side of 5 (record and cell limits).
//!
//! Models are written by hand from a trained template with mean 0 and std 1 for every feature,
//! so the coefficients are exact and each expected probability is `1 / (1 + exp(-z))` of a
//! score computed here.

use serde_json::{json, Value};

use crate::util::{parse_csv, Dir};

/// Writes `m.json`: numeric columns `names` with weights `w`, intercept `b`, and `fill` as every
/// column's fill value (the model then scores missing cells instead of refusing them).
fn model(dir: &Dir, names: &[&str], w: &[f64], b: f64, fill: Option<f64>) {
    dir.write("tmpl.csv", "x,y\n1,0\n2,1\n3,0\n4,1\n5,1\n");
    dir.run(&[
        "train",
        "tmpl.csv",
        "--target",
        "y",
        "-o",
        "tmpl.json",
        "-q",
    ])
    .ok();
    let mut m: Value = serde_json::from_str(&dir.read("tmpl.json")).unwrap();
    let columns: Vec<Value> = names
        .iter()
        .map(|n| match fill {
            Some(f) => json!({"name": n, "kind": "numeric", "fill": f}),
            None => json!({"name": n, "kind": "numeric"}),
        })
        .collect();
    let features: Vec<Value> = names
        .iter()
        .zip(w)
        .map(|(n, w)| {
            json!({"name": n, "mean": 0.0, "std": 1.0, "coefficient": w,
                   "coefficient_standardized": w})
        })
        .collect();
    let o = m.as_object_mut().unwrap();
    o.insert("columns".into(), columns.into());
    o.insert("features".into(), features.into());
    o.insert("intercept".into(), b.into());
    o.insert("intercept_standardized".into(), b.into());
    o.remove("inference");
    if fill.is_some() {
        o["missing"]["policy"] = "mean".into();
    }
    dir.write("m.json", serde_json::to_string(&m).unwrap());
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// The probability column of predict's output.
fn probabilities(out: &str) -> Vec<f64> {
    let (header, rows) = parse_csv(out);
    let j = header.iter().position(|h| h == "probability").unwrap();
    rows.iter().map(|r| r[j].parse().unwrap()).collect()
}

fn assert_close(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(
        got.len(),
        want.len(),
        "{what}: row count {got:?} vs {want:?}"
    );
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= 1e-15, "{what}: row {i}: {g} vs {w}");
    }
}

#[test]
fn one_column_file_with_a_blank_line_keeps_that_row_as_a_missing_cell() {
    let dir = Dir::new();
    model(&dir, &["x"], &[0.5], -1.0, Some(2.0));
    let want = [sigmoid(-0.5), sigmoid(0.0), sigmoid(0.5)];
    for (name, text) in [
        ("lf.csv", "x\n1\n\n3\n"),
        ("crlf.csv", "x\r\n1\r\n\r\n3\r\n"),
        // The quote sends every record through the reader instead of the fast path.
        ("quoted.csv", "x\n\"1\"\n\n3\n"),
        ("cr.csv", "x\r1\r\r3\r"),
    ] {
        dir.write(name, text);
        let out = dir.run(&["predict", "m.json", name]).ok().stdout();
        assert_close(&probabilities(&out), &want, name);
    }
    // Without a fill value the blank line is a missing cell, reported at its physical line.
    model(&dir, &["x"], &[0.5], -1.0, None);
    for name in ["lf.csv", "crlf.csv", "quoted.csv", "cr.csv"] {
        dir.run(&["predict", "m.json", name])
            .expect_code(2)
            .stderr_has(&[name, "line 3, column \"x\"", "the cell is empty"]);
    }
}

#[test]
fn header_ending_in_a_lone_cr_keeps_the_first_record_in_place() {
    let dir = Dir::new();
    model(&dir, &["a", "b"], &[1.0, -2.0], 0.25, None);
    let want = [sigmoid(0.25 + 1.0 - 4.0), sigmoid(0.25 + 3.0 - 8.0)];
    for (name, text) in [
        ("cr_header.csv", "a,b\r1,2\n3,4\n"),
        ("cr_only.csv", "a,b\r1,2\r3,4\r"),
        ("cr_then_crlf.csv", "a,b\r1,2\r\n3,4\r\n"),
    ] {
        dir.write(name, text);
        let out = dir
            .run(&["predict", "m.json", name, "--keep", "a"])
            .ok()
            .stdout();
        assert_close(&probabilities(&out), &want, name);
        let (_, rows) = parse_csv(&out);
        assert_eq!(rows[0][0], "1", "{name}: the first record comes first");
    }
    // Lines after a lone CR are physical lines: the bad cell is on line 3.
    dir.write("bad.csv", "a,b\r1,2\r3,zz\r");
    dir.run(&["predict", "m.json", "bad.csv"])
        .expect_code(2)
        .stderr_has(&["bad.csv: line 3, column \"b\"", "\"zz\""]);
}

#[test]
fn leading_blank_lines_before_the_header_are_skipped_by_predict_as_by_train_and_eval() {
    let dir = Dir::new();
    dir.write("lead.csv", "\n\r\nx,y\n1,0\n2,1\n3,0\n4,1\n5,1\n");
    dir.run(&["train", "lead.csv", "--target", "y", "-o", "t.json", "-q"])
        .ok();
    model(&dir, &["x"], &[0.5], -1.0, None);
    let out = dir.run(&["predict", "m.json", "lead.csv"]).ok().stdout();
    let want: Vec<f64> = (1..=5).map(|x| sigmoid(0.5 * x as f64 - 1.0)).collect();
    assert_close(&probabilities(&out), &want, "lead.csv");
    let eval = dir
        .run(&["eval", "m.json", "lead.csv", "--json"])
        .ok()
        .stdout();
    let metrics: Value = serde_json::from_str(&eval).unwrap();
    assert_eq!(metrics["n"], 5);
    // The header is on line 3, so the third record is on line 6.
    dir.write("lead_bad.csv", "\n\r\nx,y\n1,0\n2,1\nmaybe,0\n");
    for command in ["predict", "eval"] {
        dir.run(&[command, "m.json", "lead_bad.csv"])
            .expect_code(2)
            .stderr_has(&["lead_bad.csv: line 6, column \"x\"", "\"maybe\""]);
    }
}

/// A small deterministic generator (64-bit LCG, Knuth's constants).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// One generated input: the file, and by construction each record's cell values (`None` for a
/// missing cell, which takes the fill value) and physical line.
struct Generated {
    text: String,
    records: Vec<(Vec<Option<f64>>, u64)>,
}

/// Files mixing `\n`, `\r\n` and lone `\r` line ends, blank lines (before the header too),
/// empty cells, spaces around numbers and a missing final line end.
fn generate(rng: &mut Lcg, names: &[&str]) -> Generated {
    const ENDS: [&str; 3] = ["\n", "\r\n", "\r"];
    let mut text = String::new();
    let mut line = 1;
    let end_line = |text: &mut String, line: &mut u64, rng: &mut Lcg| {
        let mut end = ENDS[rng.below(3) as usize];
        if end == "\n" && text.ends_with('\r') {
            end = "\r\n"; // "\r" + "\n" would be a single line end
        }
        text.push_str(end);
        *line += 1;
    };
    for _ in 0..rng.below(3) {
        end_line(&mut text, &mut line, rng);
    }
    text.push_str(&names.join(","));
    let mut records = Vec::new();
    for _ in 0..rng.below(12) {
        end_line(&mut text, &mut line, rng);
        if rng.below(4) == 0 {
            // A blank line: one missing cell in a one-column file, nothing otherwise.
            if names.len() == 1 {
                records.push((vec![None], line));
            }
            continue;
        }
        let mut cells = Vec::new();
        let mut values = Vec::new();
        for _ in names {
            match rng.below(6) {
                0 => {
                    cells.push(String::new());
                    values.push(None);
                }
                k => {
                    let v = (rng.below(2001) as f64 - 1000.0) / 100.0;
                    let pad = if k == 1 { " " } else { "" };
                    cells.push(format!("{pad}{v}{pad}"));
                    values.push(Some(v));
                }
            }
        }
        text.push_str(&cells.join(","));
        records.push((values, line));
    }
    if rng.below(2) == 0 {
        end_line(&mut text, &mut line, rng);
    } else if names.len() == 1 && records.last().is_some_and(|r| r.0[0].is_none()) {
        // A last line with nothing on it and no line end is no line at all.
        if text.ends_with(['\n', '\r']) {
            records.pop();
        }
    }
    Generated { text, records }
}

#[test]
fn predict_paths_agree_with_the_record_rules_on_generated_awkward_inputs() {
    let dir = Dir::new();
    let mut rng = Lcg(8);
    for (names, w) in [
        (&["x"][..], &[0.75][..]),
        (&["a", "b"][..], &[0.5, -0.25][..]),
        (&["a", "b", "c"][..], &[1.0, 0.125, -2.0][..]),
    ] {
        let (b, fill) = (0.5, 1.5);
        model(&dir, names, w, b, Some(fill));
        for case in 0..12 {
            let g = generate(&mut rng, names);
            let want: Vec<f64> = g
                .records
                .iter()
                .map(|(values, _)| {
                    let z = values
                        .iter()
                        .zip(w)
                        .fold(b, |z, (v, w)| z + w * v.unwrap_or(fill));
                    sigmoid(z)
                })
                .collect();
            let what = format!("{names:?} case {case}: {:?}", g.text);
            dir.write("g.csv", &g.text);
            let out = dir.run(&["predict", "m.json", "g.csv"]).ok().stdout();
            assert_close(&probabilities(&out), &want, &what);
            // The same file with its first cell quoted goes through the reader from the start.
            let quoted = quote_first_cell(&g.text, names);
            dir.write("q.csv", &quoted);
            let out_q = dir.run(&["predict", "m.json", "q.csv"]).ok().stdout();
            assert_eq!(out_q, out, "{what}");
            // A bad cell in a random record is reported at the record's physical line.
            if let Some(k) = (!g.records.is_empty()).then(|| rng.below(g.records.len() as u64)) {
                let line = g.records[k as usize].1;
                let bad = corrupt_line(&g.text, line, names.len());
                dir.write("bad.csv", &bad);
                dir.run(&["predict", "m.json", "bad.csv"])
                    .expect_code(2)
                    .stderr_has(&[&format!("bad.csv: line {line}, column"), "\"oops\""]);
            }
        }
    }
}

/// Splits text into physical lines (`\n`, `\r\n`, lone `\r`), keeping each line's end.
fn physical_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        current.push(c);
        if c == '\r' && chars.peek() == Some(&'\n') {
            current.push(chars.next().unwrap());
        }
        if c == '\r' || c == '\n' {
            lines.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// `text` with the first data record's first cell in quotes (the header may follow blank lines).
fn quote_first_cell(text: &str, names: &[&str]) -> String {
    let header = names.join(",");
    let mut lines = physical_lines(text);
    let h = lines.iter().position(|l| l.trim_end() == header).unwrap();
    if let Some(l) = lines[h + 1..].iter_mut().find(|l| !l.trim_end().is_empty()) {
        let body = l.trim_end_matches(['\r', '\n']).to_string();
        let end = l[body.len()..].to_string();
        let (first, rest) = body.split_once(',').unwrap_or((&body, ""));
        let sep = if body.contains(',') { "," } else { "" };
        *l = format!("\"{first}\"{sep}{rest}{end}");
    }
    lines.concat()
}

/// `text` with physical line `line` replaced by a record whose last cell is not a number.
fn corrupt_line(text: &str, line: u64, n: usize) -> String {
    let mut lines = physical_lines(text);
    let l = &mut lines[line as usize - 1];
    let end = l[l.trim_end_matches(['\r', '\n']).len()..].to_string();
    let mut cells = vec!["1"; n - 1];
    cells.push("oops");
    *l = cells.join(",") + &end;
    lines.concat()
}

#[test]
fn switching_paths_mid_stream_in_a_crlf_file_with_blank_lines_keeps_rows_and_lines() {
    let dir = Dir::new();
    model(&dir, &["a", "b"], &[0.5, -0.25], 0.5, None);
    // About 3 MB, so several chunks take the fast path before the quoted cell.
    let mut plain = String::from("a,b\r\n");
    let mut quoted = plain.clone();
    let mut want = Vec::new();
    let mut line_of = Vec::new();
    let mut line = 1u64;
    for i in 0..200_000u64 {
        if i % 1000 == 7 {
            plain += "\r\n";
            quoted += "\r\n";
            line += 1;
        }
        let (a, b) = ((i % 97) as f64 / 8.0, (i % 13) as f64);
        let row = format!("{a},{b}\r\n");
        plain += &row;
        quoted += &if i == 150_000 {
            format!("\"{a}\",{b}\r\n")
        } else {
            row
        };
        line += 1;
        line_of.push(line);
        want.push(sigmoid(0.5 + 0.5 * a - 0.25 * b));
    }
    dir.write("plain.csv", &plain);
    dir.write("quoted.csv", &quoted);
    let a = dir.run(&["predict", "m.json", "plain.csv"]).ok().stdout();
    let b = dir.run(&["predict", "m.json", "quoted.csv"]).ok().stdout();
    assert_close(&probabilities(&a), &want, "plain.csv");
    assert_eq!(a, b);
    // Bad cells after the switch and on the fast path are named at their physical lines.
    for (file, k) in [("quoted.csv", 170_000), ("plain.csv", 90_000)] {
        let text = if file == "plain.csv" { &plain } else { &quoted };
        let bad = corrupt_line(text, line_of[k], 2);
        dir.write("bad.csv", &bad);
        dir.run(&["predict", "m.json", "bad.csv"])
            .expect_code(2)
            .stderr_has(&[&format!("bad.csv: line {}, column \"b\"", line_of[k])]);
    }
}

#[test]
fn score_of_inf_minus_inf_is_an_error_naming_the_row_in_predict_and_eval() {
    let dir = Dir::new();
    model(&dir, &["a", "b"], &[10.0, 10.0], 0.0, None);
    for (name, text) in [
        ("fast.csv", "a,b,y\n1,2,1\n1e308,-1e308,0\n3,4,1\n"),
        ("reader.csv", "a,b,y\n\"1\",2,1\n1e308,-1e308,0\n3,4,1\n"),
    ] {
        dir.write(name, text);
        for command in ["predict", "eval"] {
            dir.run(&[command, "m.json", name])
                .expect_code(2)
                .stderr_has(&[
                    &format!("{name}: line 3:"),
                    "\"a\", \"b\"",
                    "score is undefined",
                ]);
        }
    }
}

#[test]
fn a_score_beyond_f64_range_is_an_error_and_an_overflowing_sum_gets_its_exact_value() {
    let dir = Dir::new();
    model(
        &dir,
        &["a", "b", "c", "d"],
        &[1.0, 1.0, 1.0, 1.0],
        0.0,
        None,
    );
    // The plain left-to-right sum of the second row overflows to +inf (1e308 + 1e308), but the
    // exact score is -5e307: probability 0, not 1.
    let text = "a,b,c,d,y\n\
                1,2,-4,0,1\n\
                1e308,1e308,-1e308,-1.5e308,0\n";
    dir.write("big.csv", text);
    let out = dir.run(&["predict", "m.json", "big.csv"]).ok().stdout();
    assert_eq!(probabilities(&out), vec![sigmoid(-1.0), 0.0]);
    // eval keeps every row.
    let eval = dir
        .run(&["eval", "m.json", "big.csv", "--json"])
        .ok()
        .stdout();
    let m: Value = serde_json::from_str(&eval).unwrap();
    assert_eq!(m["n"], 2);
    assert_eq!(m["calibration"]["n"], 2);
    // An exact score beyond f64's range (3e308) is not a number: an error naming the line.
    dir.write("huge.csv", "a,b,c,d,y\n1,2,3,4,1\n1e308,1e308,1e308,1,1\n");
    for command in ["predict", "eval"] {
        dir.run(&[command, "m.json", "huge.csv"])
            .expect_code(2)
            .stderr_has(&["huge.csv: line 3:", "beyond the range", "\"a\""]);
    }
    // Terms that cancel exactly leave the score undefined (1.0 printed 1 for this row).
    dir.write(
        "cancel.csv",
        "a,b,c,d\n1,2,3,4\n1e308,1e308,-1e308,-1e308\n",
    );
    dir.run(&["predict", "m.json", "cancel.csv"])
        .expect_code(2)
        .stderr_has(&["cancel.csv: line 3:", "score is undefined"]);
}

#[test]
fn header_matching_is_linear_in_the_number_of_columns() {
    // 120,000 columns: quadratic matching (1.0) takes over a minute here (36 s at 100,000 in
    // the issue), a hash map milliseconds. The model file is about 15 MB.
    let n = 120_000;
    let dir = Dir::new();
    let names: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let w: Vec<f64> = (0..n)
        .map(|i| if i % 2 == 0 { 1e-3 } else { -2e-3 })
        .collect();
    model(&dir, &refs, &w, 0.125, None);
    // The data's columns in reverse order, plus one the model does not use.
    let mut header: Vec<&str> = refs.iter().rev().copied().collect();
    header.push("id");
    let row = |k: usize| -> String {
        let mut cells: Vec<String> = (0..n).rev().map(|i| ((i + k) % 7).to_string()).collect();
        cells.push(format!("row{k}"));
        cells.join(",")
    };
    dir.write(
        "wide.csv",
        format!("{}\n{}\n{}\n", header.join(","), row(0), row(1)),
    );
    let out = dir
        .run(&["predict", "m.json", "wide.csv", "--keep", "id"])
        .ok()
        .stdout();
    let want: Vec<f64> = (0..2)
        .map(|k| {
            let z = (0..n).fold(0.125, |z, i| z + w[i] * ((i + k) % 7) as f64);
            sigmoid(z)
        })
        .collect();
    let got = probabilities(&out);
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() < 1e-12, "{g} vs {w}");
    }
    assert_eq!(parse_csv(&out).1[1][0], "row1");
}

#[test]
fn endless_and_overlong_lines_in_predict_data_are_refused_at_the_limit() {
    let dir = Dir::new();
    model(&dir, &["x"], &[0.5], 0.0, None);
    // /dev/zero never ends and has no line end; under a 1 GiB address-space cap 1.0 ran out of
    // memory, now the record limit stops it.
    let run = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 1048576 && exec \"$0\" predict m.json /dev/zero")
        .arg(env!("CARGO_BIN_EXE_logit"))
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with("logit: error: /dev/zero: line 1: a record longer than 16777216 bytes"),
        "{stderr}"
    );
    // A line over the limit after some plain ones (the fast path's ground).
    let mut text = b"x\n1\n2\n".to_vec();
    text.resize(text.len() + (16 << 20) + 1, b'7');
    text.push(b'\n');
    dir.write("long.csv", &text);
    dir.run(&["predict", "m.json", "long.csv"])
        .expect_code(2)
        .stderr_has(&["long.csv: line 4: a record longer than 16777216 bytes"]);
    // A cell over the cell limit, even one that reads as a number, in both paths and in eval.
    let cell = format!("{}1", "0".repeat(1 << 20));
    dir.write("cell.csv", format!("x,y\n1,0\n{cell},1\n"));
    dir.write("cell_q.csv", format!("x,y\n\"1\",0\n{cell},1\n"));
    for file in ["cell.csv", "cell_q.csv"] {
        for command in ["predict", "eval"] {
            dir.run(&[command, "m.json", file])
                .expect_code(2)
                .stderr_has(&[&format!(
                    "{file}: line 3, column \"x\": a cell of 1048577 bytes"
                )]);
        }
    }
}

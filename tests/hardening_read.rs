//! Issue 8, reading training data: every input read once (FIFOs), endless and binary inputs
//! bounded, column typing that does not hinge on one cell, physical line numbers, many-level
//! columns, truncated values in messages, compressed input and wrong delimiters recognised,
//! and what `--missing drop|mean|median` did said out loud.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{expected_fit, f64s, fixtures, Dir, Run};

/// Runs `logit args` in `dir` under a 1 GiB address-space limit (`ulimit -v`), so an input
/// that grows memory without bound aborts instead of passing.
fn run_limited(dir: &Dir, args: &[&str]) -> Run {
    let bin = env!("CARGO_BIN_EXE_logit");
    let script = "ulimit -v 1048576; exec \"$0\" \"$@\"";
    let output = Command::new("bash")
        .arg("-c")
        .arg(script)
        .arg(bin)
        .args(args)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .expect("run bash");
    Run {
        description: format!("command: logit {} (ulimit -v 1 GiB)", args.join(" ")),
        output,
    }
}

fn train(dir: &Dir, file: &str, extra: &[&str]) -> Run {
    let mut args = vec!["train", file, "--target", "y", "-o", "m.json", "-q"];
    args.extend_from_slice(extra);
    dir.run(&args)
}

fn model(dir: &Dir) -> serde_json::Value {
    serde_json::from_str(&dir.read("m.json")).expect("model json")
}

// ---- item 4: a FIFO is opened and read once ----------------------------------------------

#[cfg(target_os = "linux")]
#[test]
fn fifo_data_is_read_once_and_train_does_not_hang() {
    use std::os::unix::fs::OpenOptionsExt;
    const O_NONBLOCK: i32 = 0o4000; // Linux
    let dir = Dir::new();
    let fifo = dir.path().join("data.csv");
    let status = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(status.success());
    let data = std::fs::read(fixtures().join("spector_train.csv")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_logit"))
        .args([
            "train", "data.csv", "--target", "GRADE", "--l2", "0.01", "-o", "m.json", "-q",
        ])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .spawn()
        .expect("spawn logit");
    // Like `echo ... > fifo`: as soon as logit opens the FIFO, write everything and close. A
    // non-blocking open for writing fails (ENXIO) until a reader has the FIFO open. A reader
    // that then closes and reopens the FIFO (1.0 opened DATA twice) finds the data gone and
    // no writer: it waits forever.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut writer = loop {
        match std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(O_NONBLOCK)
            .open(&fifo)
        {
            Ok(w) => break w,
            Err(_) if Instant::now() < deadline => std::thread::yield_now(),
            Err(e) => panic!("logit never opened the FIFO: {e}"),
        }
    };
    std::io::Write::write_all(&mut writer, &data).unwrap();
    drop(writer);
    // Not a timing assertion: 1.0 hangs forever here, and a test must end to fail.
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            let _ = child.wait();
            panic!("train on a FIFO hung (the input was opened twice)");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "train failed on a FIFO: {status:?}");
    let m = model(&dir);
    let ours: Vec<f64> = m["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["coefficient"].as_f64().unwrap())
        .collect();
    let reference = f64s(&expected_fit("spector", 0.01)["coefficients"]);
    assert_eq!(ours.len(), reference.len());
    for (o, r) in ours.iter().zip(&reference) {
        assert!(
            (o - r).abs() <= 1e-5 * r.abs().max(1.0),
            "{ours:?} vs {reference:?}"
        );
    }
    assert_eq!(m["training"]["n_rows"], 22);
}

// ---- item 5: endless inputs stop with bounded memory ------------------------------------

#[cfg(unix)]
#[test]
fn dev_zero_as_training_data_is_refused_with_bounded_memory() {
    let dir = Dir::new();
    let run = run_limited(
        &dir,
        &["train", "/dev/zero", "--target", "y", "-o", "m.json"],
    );
    run.expect_code(2)
        .stderr_has(&["/dev/zero: line 1", "longer than 16777216 bytes"]);
    assert_eq!(dir.listing(), Vec::<String>::new());
}

#[cfg(unix)]
#[test]
fn dev_urandom_as_training_or_eval_data_is_refused_with_bounded_memory() {
    let dir = Dir::new();
    let run = run_limited(
        &dir,
        &["train", "/dev/urandom", "--target", "y", "-o", "m.json"],
    );
    run.expect_code(2).stderr_has(&["/dev/urandom"]);
    dir.write("t.csv", "a,y\n1,1\n2,0\n3,1\n0,0\n");
    train(&dir, "t.csv", &["--l2", "1"]).ok();
    for data in ["/dev/urandom", "/dev/zero"] {
        run_limited(&dir, &["eval", "m.json", data])
            .expect_code(2)
            .stderr_has(&[data]);
    }
}

#[test]
fn an_unclosed_quote_over_many_short_lines_is_refused_at_the_record_limit() {
    let dir = Dir::new();
    let mut text = String::from("a,y\r\n1,1\r\n\r\n\"2,0\r\n");
    while text.len() < (17 << 20) {
        text.push_str("3,1\r\n");
    }
    dir.write("q.csv", &text);
    let run = run_limited(&dir, &["train", "q.csv", "--target", "y", "-o", "m.json"]);
    run.expect_code(2)
        .stderr_has(&["q.csv: line 4:", "longer than 16777216 bytes"]);
}

#[test]
fn a_cell_longer_than_the_limit_is_an_error_naming_its_line_and_column() {
    let dir = Dir::new();
    let big = "x".repeat((1 << 20) + 1);
    dir.write("t.csv", format!("c,y\nred,1\n{big},0\nblue,1\n"));
    let run = train(&dir, "t.csv", &[]);
    run.expect_code(2)
        .stderr_has(&["t.csv: line 3, column \"c\"", "1048577 bytes"]);
    assert!(run.stderr().len() < 400, "{}", run.stderr().len());
}

// ---- item 7: column typing does not hinge on one cell -----------------------------------

/// pima_train.csv with the first `glu` cell replaced by `cell`.
fn pima_with_first_glu(cell: &str) -> String {
    let text = std::fs::read_to_string(fixtures().join("pima_train.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut fields: Vec<String> = lines[1].split(',').map(str::to_string).collect();
    fields[1] = cell.to_string();
    lines[1] = fields.join(",");
    lines.join("\n") + "\n"
}

#[test]
fn non_finite_first_cell_makes_a_numeric_column_an_error_not_a_categorical_one() {
    for cell in [
        "1e400",
        "inf",
        "-Infinity",
        "nan",
        "1\0",
        "88\u{1}",
        "-1e999",
    ] {
        let dir = Dir::new();
        dir.write("p.csv", pima_with_first_glu(cell));
        let run = dir.run(&[
            "train",
            "p.csv",
            "--target",
            "type",
            "--positive",
            "Yes",
            "-o",
            "m.json",
        ]);
        run.expect_code(2).stderr_has(&[
            "p.csv: line 2, column \"glu\"",
            "of the column's 372 present cells are numbers",
            &format!("{:?}", cell),
        ]);
        assert!(!dir.exists("m.json"), "{cell:?}");
    }
}

#[test]
fn a_mostly_numeric_column_with_a_word_first_is_an_error_naming_that_cell() {
    let dir = Dir::new();
    dir.write("t.csv", "a,y\nunknown,1\n2,0\n3,1\n4,0\n5,1\n");
    train(&dir, "t.csv", &[]).expect_code(2).stderr_has(&[
        "t.csv: line 2, column \"a\"",
        "4 of the column's 5 present cells are numbers",
        "\"unknown\"",
        "--na-values",
    ]);
}

#[test]
fn text_columns_with_a_few_numbers_stay_categorical() {
    let dir = Dir::new();
    dir.write("t.csv", "c,y\nred,1\nblue,0\n3,1\nred,0\nblue,1\n");
    train(&dir, "t.csv", &["--l2", "1"]).ok();
    let m = model(&dir);
    let names: Vec<&str> = m["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["c=3", "c=blue", "c=red"]);
}

// ---- item 8: physical line numbers ------------------------------------------------------

#[test]
fn errors_name_the_physical_line_with_crlf_blank_lines_and_multi_line_records() {
    let cases: [(&str, &str); 6] = [
        ("a,y\r\n1,1\r\n2,0\r\nx,1\r\n", "line 4"),
        // Old Mac line ends: a lone carriage return ends a line as it ends a record.
        ("a,y\r1,1\r2,0\r\rx,1\r", "line 5"),
        ("a,y\n1,1\n2,0\n\n\n\nx,1\n", "line 7"),
        ("a,y\r\n1,1\r\n\r\n\r\n2,0\r\nx,1\r\n", "line 6"),
        ("a,c,y\n1,\"p\nq\",1\n2,r,0\nx,s,1\n", "line 5"),
        ("a,c,y\n1,p,1\n2,r,0\nx,\"s\r\nt\",1\n", "line 4"),
    ];
    for (text, line) in cases {
        let dir = Dir::new();
        dir.write("t.csv", text);
        train(&dir, "t.csv", &[])
            .expect_code(2)
            .stderr_has(&[&format!("t.csv: {line}, column \"a\"")]);
    }
    // A field-count error and eval's label errors too.
    let dir = Dir::new();
    dir.write("t.csv", "a,y\r\n1,1\r\n\r\n2,0\r\n3,1,9\r\n");
    train(&dir, "t.csv", &[])
        .expect_code(2)
        .stderr_has(&["t.csv: line 5:", "3 field(s)"]);
    dir.write("t.csv", "a,y\r\n1,1\r\n2,0\r\n3,1\r\n0,0\r\n");
    train(&dir, "t.csv", &["--l2", "1"]).ok();
    dir.write("e.csv", "a,y\r\n1,1\r\n\r\n2,maybe\r\n");
    dir.run(&["eval", "m.json", "e.csv"])
        .expect_code(2)
        .stderr_has(&["e.csv: line 4, column \"y\""]);
}

#[test]
fn predict_csv_path_names_the_physical_line_in_crlf_files() {
    let dir = Dir::new();
    dir.write("t.csv", "a,y\n1,1\n2,0\n3,1\n0,0\n");
    train(&dir, "t.csv", &["--l2", "1"]).ok();
    // A quoted header sends the whole file through the csv crate; a plain one falls back to it
    // at the bad row.
    for header in ["\"a\",y", "a,y"] {
        dir.write("p.csv", format!("{header}\r\n1,1\r\n\r\n2,0\r\nx,0\r\n"));
        dir.run(&["predict", "m.json", "p.csv"])
            .expect_code(2)
            .stderr_has(&["p.csv: line 5, column \"a\""]);
    }
}

#[test]
fn large_crlf_files_through_the_fast_reader_report_the_physical_line() {
    // Over 1 MiB, so train tries the parallel fast reader first; it declines and the csv
    // path names the line.
    let mut text = String::from("a,b,y\r\n");
    let mut line = 1;
    while text.len() < (3 << 19) {
        line += 1;
        text.push_str(&format!("{},{},{}\r\n", line % 7, line % 5, line % 2));
        if line % 1000 == 0 {
            text.push_str("\r\n");
            line += 1;
        }
    }
    text.push_str("\r\n\r\n4,zz,1\r\n");
    let bad = line + 3;
    let dir = Dir::new();
    dir.write("big.csv", &text);
    train(&dir, "big.csv", &[])
        .expect_code(2)
        .stderr_has(&[&format!("big.csv: line {bad}, column \"b\"")]);
}

// ---- item 13: many-level columns ---------------------------------------------------------

#[test]
fn an_id_like_column_is_warned_about_with_its_level_count() {
    let dir = Dir::new();
    let mut text = String::from("id,a,y\n");
    for i in 0..60 {
        text.push_str(&format!("u{i:03},{},{}\n", i % 7, i % 2));
    }
    dir.write("t.csv", text);
    train(&dir, "t.csv", &["--l2", "1"]).ok().stderr_has(&[
        "column \"id\" has 60 distinct values over 60 rows",
        "--exclude",
    ]);
}

#[cfg(unix)]
#[test]
fn a_column_with_too_many_levels_is_refused_before_the_dense_matrix_is_built() {
    let dir = Dir::new();
    let mut text = String::from("id,a,y\n");
    for i in 0..10_001 {
        text.push_str(&format!("u{i},{},{}\n", i % 7, i % 2));
    }
    dir.write("t.csv", text);
    // The limits are the dense design's (`--design auto` goes sparse here: tests/v2_sparse_cli).
    let dense = [
        "train", "t.csv", "--target", "y", "-o", "m.json", "--design", "dense",
    ];
    run_limited(&dir, &dense).expect_code(2).stderr_has(&[
        "t.csv, column \"id\"",
        "10001 distinct values over 10001 rows",
        "limit is 10000 levels",
        "--exclude",
    ]);
    // Below the level limit, the one-hot block's size decides: 5,000 levels x 60,000 rows.
    let mut text = String::from("id,y\n");
    for i in 0..60_000 {
        text.push_str(&format!("d{},{}\n", i % 5000, i % 2));
    }
    dir.write("t.csv", text);
    run_limited(&dir, &dense)
        .expect_code(2)
        .stderr_has(&["5000 distinct values over 60000 rows", "2.2 GiB"]);
    assert!(!dir.exists("m.json"));
}

// ---- item 16: long values are cut in messages --------------------------------------------

#[test]
fn a_long_bad_cell_is_cut_in_the_message() {
    let dir = Dir::new();
    let long = "z".repeat(500_000);
    dir.write("t.csv", format!("a,y\n1,1\n2,0\n{long},1\n"));
    let run = train(&dir, "t.csv", &[]);
    run.expect_code(2)
        .stderr_has(&["line 4, column \"a\"", "... (500000 bytes)"]);
    assert!(run.stderr().len() < 300, "{} bytes", run.stderr().len());
    let name = "n".repeat(100_000);
    dir.write("t.csv", format!("{name},y\n1,1\n2,0\nq,1\n"));
    let run = train(&dir, "t.csv", &[]);
    run.expect_code(2).stderr_has(&["(100000 bytes)"]);
    assert!(run.stderr().len() < 300, "{} bytes", run.stderr().len());
}

// ---- item 17: compressed input, other delimiters, decimal commas -------------------------

#[test]
fn compressed_and_binary_inputs_are_named_by_their_magic_bytes() {
    // gzip and zstd are read since issue 11 (tests/v2_compress.rs); these first bytes of one
    // are a stream cut short.
    for (bytes, format) in [
        (&b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"[..], "gzip"),
        (b"\x28\xb5\x2f\xfd\x04\x58\x00\x00", "zstd"),
    ] {
        let dir = Dir::new();
        dir.write("d.csv", bytes);
        let words = ["d.csv: the ", format, " stream ends early", "truncated"];
        train(&dir, "d.csv", &[]).expect_code(2).stderr_has(&words);
    }
    // Parquet is read (tests/v2_parquet.rs), not refused.
    let cases: [(&[u8], &str); 3] = [
        (b"BZh91AY&SY\x00\x01", "bzip2-compressed"),
        (b"\xfd7zXZ\x00\x00\x04", "xz-compressed"),
        (b"PK\x03\x04\x14\x00\x06\x00", "zip archive"),
    ];
    for (bytes, words) in cases {
        let dir = Dir::new();
        dir.write("d.csv", bytes);
        train(&dir, "d.csv", &[])
            .expect_code(2)
            .stderr_has(&["d.csv: the input looks like", words]);
        dir.run_with_stdin(
            &["train", "-", "--target", "y", "-o", "m.json"],
            Some(bytes),
        )
        .expect_code(2)
        .stderr_has(&["<stdin>: the input looks like", words]);
    }
}

#[test]
fn a_one_column_header_with_semicolons_or_tabs_suggests_the_delimiter() {
    let dir = Dir::new();
    dir.write("s.csv", "a;b;y\n1;2;1\n3;4;0\n");
    train(&dir, "s.csv", &[])
        .expect_code(2)
        .stderr_has(&["s.csv: line 1, column \"y\"", "--delimiter ';'"]);
    dir.write("t.csv", "a\tb\ty\n1\t2\t1\n3\t4\t0\n");
    train(&dir, "t.csv", &[])
        .expect_code(2)
        .stderr_has(&["t.csv: line 1, column \"y\"", "--delimiter $'\\t'"]);
    // eval too, naming its target.
    dir.write("c.csv", "a,y\n1,1\n2,0\n3,1\n0,0\n");
    train(&dir, "c.csv", &["--l2", "1"]).ok();
    dir.run(&["eval", "m.json", "s.csv"])
        .expect_code(2)
        .stderr_has(&["s.csv: line 1, column \"y\"", "--delimiter ';'"]);
    // predict too, naming the model's column, and --keep; a blank line before the header
    // moves the header to line 2.
    dir.run(&["predict", "m.json", "s.csv"])
        .expect_code(2)
        .stderr_has(&["s.csv: line 1, column \"a\"", "--delimiter ';'"]);
    dir.write("s2.csv", "\na;b;y\n1;2;1\n");
    dir.run(&["predict", "m.json", "s2.csv"])
        .expect_code(2)
        .stderr_has(&["s2.csv: line 2, column \"a\"", "--delimiter ';'"]);
    dir.write("k.csv", "a,b\n1,2\n");
    dir.run(&["predict", "m.json", "k.csv", "--keep", "id;x"])
        .expect_code(2)
        .stderr_has(&["k.csv: line 1, column \"id;x\""]);
}

#[test]
fn decimal_commas_and_thousands_separators_get_a_hint_not_a_categorical_column() {
    let dir = Dir::new();
    // Semicolon-separated with decimal commas, read with the right delimiter.
    dir.write("s.csv", "a;y\n3,5;1\n2,25;0\n7,0;1\n1,5;0\n");
    train(&dir, "s.csv", &["--delimiter", ";"])
        .expect_code(2)
        .stderr_has(&["s.csv: line 2, column \"a\"", "\"3,5\"", "decimal comma"]);
    // Quoted thousands separators in a column that starts with a plain number.
    dir.write("t.csv", "a,y\n950,1\n\"21,800\",0\n\"1,200\",1\n");
    train(&dir, "t.csv", &[]).expect_code(2).stderr_has(&[
        "t.csv: line 3, column \"a\"",
        "\"21,800\"",
        "thousands separators",
    ]);
}

// ---- item 18: what --missing did --------------------------------------------------------

#[test]
fn missing_drop_that_drops_every_row_says_how_many_and_why() {
    let dir = Dir::new();
    dir.write("t.csv", "a,b,y\nNA,1,1\n2,,0\n,,1\n4,5,\n");
    train(&dir, "t.csv", &["--missing", "drop"])
        .expect_code(2)
        .stderr_has(&[
            "--missing drop left out every one of the 4 data rows",
            "\"y\": 1 row(s)",
            "\"a\": 2 row(s)",
            "\"b\": 2 row(s)",
        ]);
}

#[test]
fn missing_mean_and_median_say_how_many_cells_they_filled_per_column() {
    let dir = Dir::new();
    dir.write(
        "t.csv",
        "a,c,y\nNA,red,1\n2,,0\n4,blue,1\n9,blue,0\n,red,1\n",
    );
    // Mean of the present a cells (2, 4, 9) is 5; the median is 4; blue and red tie, so the
    // first level in sorted order (blue) fills c.
    train(&dir, "t.csv", &["--missing", "mean", "--l2", "1"])
        .ok()
        .stderr_has(&[
            "logit: warning: --missing mean filled 2 cell(s) of \"a\" with 5, 1 cell(s) of \"c\" \
             with the most frequent level \"blue\"",
        ]);
    train(&dir, "t.csv", &["--missing", "median", "--l2", "1"])
        .ok()
        .stderr_has(&["--missing median filled 2 cell(s) of \"a\" with 4,"]);
}

#[test]
fn train_column_selection_is_linear_in_the_header_and_list_lengths() {
    // 15,000 columns with 14,990 of them excluded by name (one argument may hold at most 128 KiB
    // on Linux): list scans (1.0) compare 4.5e8 name pairs, sets tens of thousands. No timing is
    // asserted; the columns kept and their order are.
    let n = 15_000;
    let dir = Dir::new();
    let names: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
    let mut text = names.join(",") + ",y\n";
    for r in 0..40 {
        let cells: Vec<String> = (0..n).map(|i| ((i * 7 + r * 3) % 11).to_string()).collect();
        text += &format!("{},{}\n", cells.join(","), r % 2);
    }
    dir.write("wide.csv", &text);
    let kept = [
        "c3", "c14999", "c17", "c42", "c1000", "c7", "c8", "c9", "c10", "c11",
    ];
    let excluded: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| !kept.contains(n))
        .collect();
    let exclude = excluded.join(",");
    train(&dir, "wide.csv", &["--exclude", &exclude, "--l2", "1"]).ok();
    let got: Vec<String> = model(&dir)["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect();
    // Header order, not the order of the list.
    let want = [
        "c3", "c7", "c8", "c9", "c10", "c11", "c17", "c42", "c1000", "c14999",
    ];
    assert_eq!(got, want);
    // The same selection through --features, in another order.
    let features = kept.join(",");
    train(&dir, "wide.csv", &["--features", &features, "--l2", "1"]).ok();
    let again: Vec<String> = model(&dir)["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(again, want);
}

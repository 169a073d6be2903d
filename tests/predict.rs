//! `logit predict`: probabilities agree with the reference, output shape and streaming contract.

use crate::util::{column_f64, expected, expected_fit, f64s, parse_csv, trained, Dir};

#[test]
fn probabilities_and_labels_match_the_reference_on_every_dataset() {
    for (name, target, positive, l2) in [
        ("spector", "GRADE", "1", "0"),
        ("pima", "type", "Yes", "0.0001"),
        ("breast_cancer", "diagnosis", "malignant", "0.01"),
        ("computers", "premium", "yes", "0.0001"),
    ] {
        let dir = Dir::new();
        trained(&dir, name, target, positive, l2);
        let test = format!("{name}_test.csv");
        let run = dir.run(&["predict", "m.json", &test]);
        run.ok();
        let out = run.stdout();
        let probs = column_f64(&out, "probability");
        let reference = f64s(&expected_fit(name, l2.parse().unwrap())["test_probabilities"]);
        assert_eq!(probs.len(), reference.len());
        let worst = probs
            .iter()
            .zip(&reference)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(worst < 1e-6, "{name}: max |p - p_ref| = {worst:e}");
        let (header, rows) = parse_csv(&out);
        assert_eq!(header, vec!["probability", "prediction"]);
        let negative = expected(name)["negative"].as_str().unwrap().to_string();
        for (row, p) in rows.iter().zip(&reference) {
            let want = if *p >= 0.5 {
                positive
            } else {
                negative.as_str()
            };
            assert_eq!(row[1], want);
        }
    }
}

#[test]
fn probabilities_are_shortest_round_trip_decimals() {
    let dir = Dir::new();
    trained(&dir, "pima", "type", "Yes", "0");
    let out = dir
        .run(&["predict", "m.json", "pima_test.csv"])
        .ok()
        .stdout();
    let (_, rows) = parse_csv(&out);
    for row in rows {
        let p: f64 = row[0].parse().unwrap();
        assert_eq!(ryu::Buffer::new().format(p), row[0]);
    }
}

#[test]
fn keep_copies_columns_and_threshold_moves_labels() {
    let dir = Dir::new();
    trained(&dir, "pima", "type", "Yes", "0");
    let out = dir
        .run(&[
            "predict",
            "m.json",
            "pima_test.csv",
            "--keep",
            "type,glu",
            "--threshold",
            "0.9",
        ])
        .ok()
        .stdout();
    let (header, rows) = parse_csv(&out);
    assert_eq!(header, vec!["type", "glu", "probability", "prediction"]);
    let test = std::fs::read_to_string(dir.path().join("pima_test.csv")).unwrap();
    let (_, input) = parse_csv(&test);
    assert_eq!(rows.len(), input.len());
    for row in &rows {
        let p: f64 = row[2].parse().unwrap();
        assert_eq!(row[3], if p >= 0.9 { "Yes" } else { "No" });
    }
    assert!(rows
        .iter()
        .any(|r| r[3] == "No" && r[2].parse::<f64>().unwrap() >= 0.5));
}

#[test]
fn columns_are_matched_by_name_and_the_target_may_be_absent() {
    let dir = Dir::new();
    trained(&dir, "spector", "GRADE", "1", "0");
    let base = dir
        .run(&["predict", "m.json", "spector_test.csv"])
        .ok()
        .stdout();
    // Reverse the column order and drop the target.
    let text = dir.read("spector_test.csv");
    let (header, rows) = parse_csv(&text);
    let keep: Vec<usize> = (0..header.len())
        .rev()
        .filter(|&j| header[j] != "GRADE")
        .collect();
    let mut shuffled = keep
        .iter()
        .map(|&j| header[j].clone())
        .collect::<Vec<_>>()
        .join(",")
        + ",extra\n";
    for r in &rows {
        shuffled += &(keep
            .iter()
            .map(|&j| r[j].clone())
            .collect::<Vec<_>>()
            .join(",")
            + ",zzz\n");
    }
    dir.write("shuffled.csv", shuffled);
    let out = dir
        .run(&["predict", "m.json", "shuffled.csv"])
        .ok()
        .stdout();
    assert_eq!(
        column_f64(&out, "probability"),
        column_f64(&base, "probability")
    );
}

#[test]
fn stdin_and_output_file_work_together() {
    let dir = Dir::new();
    trained(&dir, "spector", "GRADE", "1", "0");
    let data = dir.read_bytes("spector_test.csv");
    dir.run_with_stdin(&["predict", "m.json", "-", "-o", "out.csv"], Some(&data))
        .ok();
    let from_stdin = dir.read("out.csv");
    let from_file = dir
        .run(&["predict", "m.json", "spector_test.csv"])
        .ok()
        .stdout();
    assert_eq!(from_stdin, from_file);
}

#[test]
fn header_only_input_gives_header_only_output() {
    let dir = Dir::new();
    trained(&dir, "spector", "GRADE", "1", "0");
    dir.write("empty.csv", "GPA,TUCE,PSI\n");
    let out = dir.run(&["predict", "m.json", "empty.csv"]).ok().stdout();
    assert_eq!(out, "probability,prediction\n");
}

#[test]
fn closed_stdout_ends_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = Dir::new();
    trained(&dir, "spector", "GRADE", "1", "0");
    let mut big = String::from("GPA,TUCE,PSI\n");
    for i in 0..200_000 {
        big += &format!("{}.{},{},{}\n", 2 + i % 2, i % 10, 20 + i % 5, i % 2);
    }
    dir.write("big.csv", big);
    let mut child = Command::new(env!("CARGO_BIN_EXE_logit"))
        .args(["predict", "m.json", "big.csv"])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert_eq!(first, "probability,prediction\n");
    // Dropping the reader closed the pipe.
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn switching_from_the_fast_path_mid_stream_keeps_rows_and_line_numbers_exact() {
    let dir = Dir::new();
    trained(&dir, "spector", "GRADE", "1", "0");
    // About 3 MB, so several chunks take the fast path before a quoted cell appears.
    let mut plain = String::from("GPA,TUCE,PSI\n");
    let mut quoted = plain.clone();
    for i in 0..150_000 {
        let row = format!("{}.{},{},{}\n", 2 + i % 2, i % 100, 15 + i % 12, i % 2);
        plain += &row;
        if i == 120_000 {
            quoted += &format!("\"{}.{}\",{},{}\n", 2 + i % 2, i % 100, 15 + i % 12, i % 2);
        } else {
            quoted += &row;
        }
    }
    dir.write("plain.csv", &plain);
    dir.write("quoted.csv", &quoted);
    let a = dir.run(&["predict", "m.json", "plain.csv"]).ok().stdout();
    let b = dir.run(&["predict", "m.json", "quoted.csv"]).ok().stdout();
    assert_eq!(a.lines().count(), 150_001);
    assert_eq!(a, b);
    // A bad cell after the switch is reported at its physical line (data row i is line i + 2).
    let corrupt = |text: &str, row: usize, with: &str| -> String {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        lines[row + 1] = with.to_string();
        lines.join("\n") + "\n"
    };
    dir.write("bad.csv", corrupt(&quoted, 130_000, "2.5,x21,1"));
    dir.run(&["predict", "m.json", "bad.csv"])
        .expect_code(2)
        .stderr_has(&["line 130002", "\"TUCE\"", "\"x21\""]);
    // And on the fast path, before any switch.
    dir.write("bad2.csv", corrupt(&plain, 90_000, "2.7,17,maybe"));
    dir.run(&["predict", "m.json", "bad2.csv"])
        .expect_code(2)
        .stderr_has(&["line 90002", "\"PSI\"", "\"maybe\""]);
}

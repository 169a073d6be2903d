use super::chunks::CHUNK_BYTES;
use super::*;

fn read(text: &str) -> Result<SvmlightRows> {
    read_rows("t.svm", text.as_bytes())
}

fn error(text: &[u8]) -> String {
    read_rows("t.svm", text).unwrap_err().to_string()
}

#[test]
fn rows_become_csr_arrays_and_labels_in_order_of_first_appearance() {
    let rows =
        read("# a header comment\n-1 3:1.5 1:2\n\n+1 qid:4 2:-1 5:0\r\n-1\n+1 4:0.25 # note\n")
            .unwrap();
    assert_eq!(rows.n_cols, 5, "index 5 counts though its value is 0");
    assert_eq!(rows.indptr, vec![0, 2, 3, 3, 4]);
    assert_eq!(rows.indices, vec![0, 2, 1, 3]);
    assert_eq!(rows.values, vec![2.0, 1.5, -1.0, 0.25]);
    assert_eq!(rows.seen, vec!["-1", "+1"]);
    assert_eq!(rows.codes, vec![0, 1, 0, 1]);
    let classes = rows.classes("t.svm", None).unwrap();
    assert_eq!(classes.classes, vec!["-1", "+1"]);
    assert_eq!(classes.y.to_vec(), vec![0.0, 1.0, 0.0, 1.0]);
    let names: Vec<String> = rows.columns().into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["f1", "f2", "f3", "f4", "f5"]);
}

#[test]
fn feature_names_and_indices_map_both_ways() {
    assert_eq!(feature_name(12), "f12");
    assert_eq!(feature_index("f12"), Some(12));
    for bad in [
        "f0", "f012", "f", "f-1", "f+1", "x1", "f1.0", "f1000001", "F1",
    ] {
        assert_eq!(feature_index(bad), None, "{bad}");
    }
}

#[test]
fn errors_name_the_file_line_and_token() {
    assert_eq!(
        error(b"1 1:1\n-1 2:x\n"),
        "t.svm: line 2: token \"2:x\": expected a number after the ':'"
    );
    assert_eq!(
        error(b"1 1:1\n\n# c\n-1 0:4\n"),
        "t.svm: line 4: token \"0:4\": expected a feature index, a whole number >= 1 (svmlight \
         indices are 1-based), before the ':'"
    );
    assert!(
        error(b"1 3:1 1:1 3:2\n").starts_with("t.svm: line 1: token \"3:2\": this feature index"),
        "{}",
        error(b"1 3:1 1:1 3:2\n")
    );
    assert_eq!(
        error(b"\n# nothing\n"),
        "t.svm: no data rows: expected svmlight lines `label idx:value ...` (blank lines and `#` \
         comments are skipped)"
    );
    assert!(error(b"1 1:1\n\xff 1:1\n").starts_with("t.svm: line 2: token \"\u{fffd}\": the label"));
}

#[test]
fn labels_are_checked_as_the_csv_reader_checks_them() {
    let text = "yes 1:1\nno 1:2\nYes 1:3\n";
    assert!(
        error(text.as_bytes())
            .starts_with("t.svm: line 3, column \"label\": the labels \"yes\" and \"Yes\" differ"),
        "{}",
        error(text.as_bytes())
    );
    let rows = read("a 1:1\nb 1:2\nc 2:1\n").unwrap();
    let classes = rows.classes("t.svm", None).unwrap();
    assert_eq!(classes.classes, ["a", "b", "c"]);
    let err = rows.classes("t.svm", Some("a")).unwrap_err().to_string();
    assert!(
        err.starts_with("t.svm, column \"label\": --positive applies only"),
        "{err}"
    );
    let err = read("1 1:1\n1 2:1\n")
        .unwrap()
        .classes("t.svm", None)
        .unwrap_err();
    assert!(
        err.to_string().contains("every row has the label \"1\""),
        "{err}"
    );
}

/// `n` lines of about `width` bytes; line `i` (0-based) has label `label(i)`.
fn many_lines(n: usize, label: impl Fn(usize) -> String) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..n {
        out.extend_from_slice(format!("{} 1:{i} 7:0.5 30:{}\n", label(i), i % 3).as_bytes());
    }
    out
}

#[test]
fn rows_across_many_chunks_equal_a_line_by_line_reading() {
    let text = many_lines(3 * CHUNK_BYTES / 20, |i| {
        ["a", "b", "c"][i % 7 % 3].to_string()
    });
    let rows = read_rows("t.svm", text.as_slice()).unwrap();
    assert!(text.len() > 2 * CHUNK_BYTES, "several chunks");
    // The same rows, one line at a time.
    let mut expected = SvmlightRows {
        n_cols: 30,
        indptr: vec![0],
        indices: vec![],
        values: vec![],
        seen: vec![],
        codes: vec![],
    };
    let (mut pairs, mut max) = (Vec::new(), 0);
    for l in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let label = line::parse_line(l, &mut pairs, &mut max).unwrap().unwrap();
        let code = match expected.seen.iter().position(|s| s == label) {
            Some(c) => c,
            None => {
                expected.seen.push(label.to_string());
                expected.seen.len() - 1
            }
        };
        expected.codes.push(code as u32);
        for &(i, v) in &pairs {
            expected.indices.push(i - 1);
            expected.values.push(v);
        }
        expected.indptr.push(expected.indices.len());
    }
    assert!(rows == expected);
}

#[test]
fn a_label_problem_before_a_token_problem_in_the_same_chunk_is_reported_first() {
    let mut text = many_lines(1000, |i| {
        if i == 600 {
            "A".into()
        } else {
            ["a", "b"][i % 2].into()
        }
    });
    text.extend_from_slice(b"a 1:oops\n");
    let err = error(&text);
    assert!(
        err.starts_with("t.svm: line 601, column \"label\": the labels \"a\" and \"A\""),
        "{err}"
    );
}

#[test]
fn too_many_labels_are_refused_at_the_first_label_beyond_the_limit() {
    let text = many_lines(3000, |i| format!("L{i}"));
    let err = error(&text);
    let line = MAX_CLASSES + 1;
    assert!(
        err.starts_with(&format!(
            "t.svm: line {line}, column \"label\": the target has more than {MAX_CLASSES}"
        )),
        "{err}"
    );
    // The same when the labels beyond the limit are spread over chunks.
    let text = many_lines(3 * CHUNK_BYTES / 20, |i| format!("L{}", i / 100));
    let err = error(&text);
    let line = 100 * MAX_CLASSES + 1;
    assert!(
        err.starts_with(&format!("t.svm: line {line}, column \"label\": the target")),
        "{err}"
    );
}

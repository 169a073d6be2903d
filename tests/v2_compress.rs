//! Issue 11, compressed CSV: gzip and zstd input recognised by magic bytes (any file name, stdin
//! too) gives the same models and predictions as the plain CSV; predict writes compressed output
//! for `-o *.gz` / `*.zst`; broken streams and bad cells inside compressed data are reported in
//! one line naming the file (and the line of the decompressed text).
//!
//! The test data is compressed here with the flate2 and zstd crates' own encoders (not logit's),
//! and logit's compressed output is decoded with their decoders.

use std::io::{Read, Write};

use crate::util::Dir;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// With a content checksum, as the zstd tool writes by default.
fn zstd(bytes: &[u8]) -> Vec<u8> {
    let mut e = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
    e.include_checksum(true).unwrap();
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn unzstd(bytes: &[u8]) -> Vec<u8> {
    zstd::decode_all(bytes).unwrap()
}

/// The pima training fixture (target `type`, No/Yes; small, so read by the csv path).
fn pima() -> Vec<u8> {
    std::fs::read(crate::util::fixtures().join("pima_train.csv")).unwrap()
}

/// A plain numeric table over 1 MiB, so train takes the fast parallel reader (on the file for
/// plain CSV, on the decompressed text for gzip/zstd): 30,000 rows, 4 features, labels 0/1
/// from a fixed linear rule with noise from a fixed-seed generator.
fn big_numeric() -> Vec<u8> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut text = String::from("u,v,w,z,label\n");
    for _ in 0..30_000 {
        let x: Vec<f64> = (0..4).map(|_| next() * 20.0 - 10.0).collect();
        let score = 0.3 * x[0] - 0.2 * x[1] + 0.05 * x[2] + 2.0 * (next() - 0.5);
        let label = u8::from(score > 0.0);
        text += &format!("{:.6},{:.5},{:.7},{:.4},{label}\n", x[0], x[1], x[2], x[3]);
    }
    assert!(text.len() > 1 << 20);
    text.into_bytes()
}

fn train(dir: &Dir, data: &str, target: &str, out: &str) {
    dir.run(&["train", data, "--target", target, "-o", out, "-q"])
        .ok();
}

#[test]
fn csv_gzip_and_zstd_give_identical_models_whatever_the_file_name() {
    let computers = std::fs::read(crate::util::fixtures().join("computers_train.csv")).unwrap();
    for (text, target) in [
        (pima(), "type"),
        (big_numeric(), "label"),
        (computers, "premium"),
    ] {
        let dir = Dir::new();
        dir.write("d.csv", &text)
            .write("d.csv.gz", gzip(&text))
            .write("d.csv.zst", zstd(&text))
            // Recognised by their bytes, not their names.
            .write("gz_named.csv", gzip(&text))
            .write("zst_named.txt", zstd(&text));
        train(&dir, "d.csv", target, "plain.json");
        let plain = dir.read("plain.json");
        for name in ["d.csv.gz", "d.csv.zst", "gz_named.csv", "zst_named.txt"] {
            train(&dir, name, target, "m.json");
            assert_eq!(dir.read("m.json"), plain, "{name}");
        }
    }
}

#[test]
fn compressed_standard_input_gives_the_same_model() {
    let dir = Dir::new();
    let text = pima();
    dir.write("d.csv", &text);
    train(&dir, "d.csv", "type", "plain.json");
    for packed in [gzip(&text), zstd(&text)] {
        dir.run_with_stdin(
            &["train", "-", "--target", "type", "-o", "m.json", "-q"],
            Some(&packed),
        )
        .ok();
        assert_eq!(dir.read("m.json"), dir.read("plain.json"));
    }
}

#[test]
fn concatenated_gzip_members_and_zstd_frames_are_one_text() {
    let dir = Dir::new();
    let text = pima();
    let cut = text.len() / 2
        + text[text.len() / 2..]
            .iter()
            .position(|&b| b == b'\n')
            .unwrap()
        + 1;
    let (head, tail) = text.split_at(cut);
    dir.write("d.csv", &text)
        .write("two.csv.gz", [gzip(head), gzip(tail)].concat())
        .write("two.csv.zst", [zstd(head), zstd(tail)].concat());
    train(&dir, "d.csv", "type", "plain.json");
    for name in ["two.csv.gz", "two.csv.zst"] {
        train(&dir, name, "type", "m.json");
        assert_eq!(dir.read("m.json"), dir.read("plain.json"), "{name}");
    }
}

#[test]
fn predict_eval_and_cv_read_compressed_input() {
    let dir = Dir::new();
    let text = pima();
    dir.write("d.csv", &text)
        .write("d.csv.gz", gzip(&text))
        .write("d.zst", zstd(&text));
    train(&dir, "d.csv", "type", "m.json");
    dir.run(&["predict", "m.json", "d.csv", "-o", "plain.csv"])
        .ok();
    let plain_eval = dir.run(&["eval", "m.json", "d.csv", "--json"]);
    plain_eval.ok();
    for name in ["d.csv.gz", "d.zst"] {
        dir.run(&["predict", "m.json", name, "-o", "p.csv"]).ok();
        assert_eq!(dir.read("p.csv"), dir.read("plain.csv"), "{name}");
        let eval = dir.run(&["eval", "m.json", name, "--json"]);
        eval.ok();
        assert_eq!(eval.stdout(), plain_eval.stdout(), "{name}");
    }
    let packed = zstd(&text);
    let run = dir.run_with_stdin(&["predict", "m.json", "-"], Some(&packed));
    run.ok();
    assert_eq!(run.stdout(), dir.read("plain.csv"));
    let path_plain = dir.run(&["path", "d.csv", "--target", "type", "--json"]);
    let path_gz = dir.run(&["path", "d.csv.gz", "--target", "type", "--json"]);
    assert_eq!(path_gz.ok().stdout(), path_plain.ok().stdout());
}

#[test]
fn predict_writes_gzip_or_zstd_when_the_output_name_says_so() {
    let dir = Dir::new();
    let text = pima();
    dir.write("d.csv", &text);
    train(&dir, "d.csv", "type", "m.json");
    dir.run(&["predict", "m.json", "d.csv", "-o", "plain.csv"])
        .ok();
    let plain = dir.read_bytes("plain.csv");
    dir.run(&["predict", "m.json", "d.csv", "-o", "p.csv.gz"])
        .ok();
    let gz = dir.read_bytes("p.csv.gz");
    assert_eq!(&gz[..2], b"\x1f\x8b");
    assert_eq!(gunzip(&gz), plain);
    for name in ["p.csv.zst", "P.CSV.ZSTD"] {
        dir.run(&["predict", "m.json", "d.csv", "-o", name]).ok();
        let zst = dir.read_bytes(name);
        assert_eq!(&zst[..4], b"\x28\xb5\x2f\xfd");
        assert_eq!(unzstd(&zst), plain, "{name}");
    }
    // Standard output stays plain, and no temporary file is left.
    let run = dir.run(&["predict", "m.json", "d.csv", "-o", "-"]);
    run.ok();
    assert_eq!(run.stdout().as_bytes(), plain.as_slice());
    assert!(
        dir.listing().iter().all(|n| !n.starts_with(".logit-")),
        "{:?}",
        dir.listing()
    );
}

#[test]
fn a_failed_predict_leaves_an_existing_compressed_output_untouched() {
    let dir = Dir::new();
    let text = pima();
    dir.write("d.csv", &text);
    train(&dir, "d.csv", "type", "m.json");
    dir.write("p.csv.gz", b"old contents");
    // A bad cell on the last line: the output is already partly written when it fails.
    let mut bad = text.clone();
    bad.extend_from_slice(b"x,1,2,3,4,5,6,No\n");
    dir.write("bad.csv", &bad);
    dir.run(&["predict", "m.json", "bad.csv", "-o", "p.csv.gz"])
        .expect_code(2);
    assert_eq!(dir.read_bytes("p.csv.gz"), b"old contents");
    assert_eq!(dir.listing().len(), 4, "{:?}", dir.listing());
}

#[test]
fn truncated_or_corrupt_streams_are_one_line_naming_the_file_and_format() {
    for text in [pima(), big_numeric()] {
        let dir = Dir::new();
        let (gz, zst) = (gzip(&text), zstd(&text));
        // A damaged byte of the text is found by the checksum at the end (bytes flipped inside
        // the compressed blocks may decode to other text first, whose error comes first).
        let mut bad_gz = gz.clone();
        let crc = bad_gz.len() - 8;
        bad_gz[crc] ^= 1;
        let mut bad_zst = zst.clone();
        *bad_zst.last_mut().unwrap() ^= 1;
        let cases: [(&str, Vec<u8>, &str, &str); 6] = [
            (
                "cut.csv.gz",
                gz[..gz.len() / 2].to_vec(),
                "gzip",
                "truncated",
            ),
            (
                "tail.csv.gz",
                gz[..gz.len() - 4].to_vec(),
                "gzip",
                "truncated",
            ),
            (
                "cut.csv.zst",
                zst[..zst.len() / 2].to_vec(),
                "zstd",
                "truncated",
            ),
            ("header.zst", zst[..6].to_vec(), "zstd", "truncated"),
            ("bad.csv.gz", bad_gz, "gzip", "corrupt"),
            ("bad.csv.zst", bad_zst, "zstd", "corrupt"),
        ];
        let target = if text.len() > 1 << 20 {
            "label"
        } else {
            "type"
        };
        dir.write("d.csv", &text);
        train(&dir, "d.csv", target, "m.json");
        for (name, bytes, format, word) in cases {
            dir.write(name, &bytes);
            let words = [name, &format!("the {format} stream"), word];
            dir.run(&["train", name, "--target", target, "-o", "out.json"])
                .expect_code(2)
                .stderr_has(&words);
            dir.run(&["predict", "m.json", name, "-o", "out.csv"])
                .expect_code(2)
                .stderr_has(&words);
            dir.run(&["eval", "m.json", name])
                .expect_code(2)
                .stderr_has(&words);
            dir.run_with_stdin(
                &["train", "-", "--target", target, "-o", "out.json"],
                Some(&bytes),
            )
            .expect_code(2)
            .stderr_has(&["<stdin>", &format!("the {format} stream"), word]);
            assert!(!dir.exists("out.json") && !dir.exists("out.csv"), "{name}");
        }
    }
}

#[test]
fn errors_inside_compressed_data_name_the_decompressed_line() {
    let dir = Dir::new();
    let mut text = pima();
    let lines = text.iter().filter(|&&b| b == b'\n').count();
    text.extend_from_slice(b"1,2,3,4,5,6,7,No,9\n");
    dir.write("d.csv.gz", gzip(&text))
        .write("d.csv.zst", zstd(&text));
    for name in ["d.csv.gz", "d.csv.zst"] {
        dir.run(&["train", name, "--target", "type", "-o", "m.json"])
            .expect_code(2)
            .stderr_has(&[&format!("{name}: line {}", lines + 1), "9 field(s)"]);
    }
}

#[test]
fn compressed_twice_and_compressed_binary_data_are_named() {
    let dir = Dir::new();
    let text = pima();
    dir.write("twice.csv.gz", gzip(&gzip(&text)))
        .write("zip.zst", zstd(b"PK\x03\x04\x14\x00\x06\x00rest"));
    dir.run(&["train", "twice.csv.gz", "--target", "type", "-o", "m.json"])
        .expect_code(2)
        .stderr_has(&["twice.csv.gz", "gzip data compressed again with gzip"]);
    dir.run(&["train", "zip.zst", "--target", "type", "-o", "m.json"])
        .expect_code(2)
        .stderr_has(&["zip.zst: the input looks like a zip archive"]);
}

#[test]
fn the_fast_reader_on_decompressed_text_equals_the_file_reader() {
    let dir = Dir::new();
    let text = big_numeric();
    dir.write("d.csv", &text);
    let path = dir.path().join("d.csv").to_string_lossy().into_owned();
    let selection = logit::data::encode::TrainingSelection {
        target: "label",
        ..Default::default()
    };
    let from_file = logit::data::fast::read_training_fast(&path, b',', &selection, 0)
        .unwrap()
        .expect("a plain numeric file takes the fast path");
    let from_bytes = logit::data::fast::read_training_fast_bytes(&text, &path, b',', &selection, 0)
        .unwrap()
        .expect("the same text in memory takes the fast path");
    // Debug prints every f64 exactly (shortest round trip), so equal text is equal bits.
    assert_eq!(format!("{:?}", from_bytes.x), format!("{:?}", from_file.x));
    assert_eq!(from_bytes.y, from_file.y);
    assert_eq!(from_bytes.labels, from_file.labels);
    assert_eq!(from_bytes.feature_names, from_file.feature_names);
    // Without a final line end, and with CRLF line ends, the rows are the same.
    let crlf: Vec<u8> = String::from_utf8(text.clone())
        .unwrap()
        .replace('\n', "\r\n")
        .into_bytes();
    let unterminated = &crlf[..crlf.len() - 2];
    let again =
        logit::data::fast::read_training_fast_bytes(unterminated, &path, b',', &selection, 0)
            .unwrap()
            .expect("CRLF text takes the fast path");
    assert_eq!(format!("{:?}", again.x), format!("{:?}", from_file.x));
}

#[test]
fn a_compressed_file_is_held_in_memory_only_when_its_first_lines_suit_the_fast_reader() {
    use logit::data::fast::may_take;
    let selection = logit::data::encode::TrainingSelection {
        target: "label",
        ..Default::default()
    };
    let numeric = big_numeric();
    let head = &numeric[..1 << 16];
    assert!(may_take(head, "d", b',', &selection).unwrap());
    // One class so far, or no complete data line yet: only the whole text can tell.
    assert!(may_take(b"u,label\n1,1\n2,1\n3,1\n", "d", b',', &selection).unwrap());
    assert!(may_take(b"u,label\n1,", "d", b',', &selection).unwrap());
    // A text cell, a quote, a missing cell: the csv path reads it, streaming.
    for text in [
        &b"u,label\n1,1\nred,0\n3,1\n"[..],
        b"u,label\n\"1\",1\n2,0\n",
        b"u,label\n1,1\n,0\n3,1\n",
    ] {
        assert!(!may_take(text, "d", b',', &selection).unwrap(), "{text:?}");
    }
}

#[test]
fn svmlight_and_parquet_inputs_write_compressed_output_too() {
    let dir = Dir::new();
    let fixtures = crate::util::fixtures();
    for name in ["pima_train.svm", "pima_train.parquet", "pima_train.csv"] {
        std::fs::copy(fixtures.join(name), dir.path().join(name)).unwrap();
    }
    dir.run(&["train", "pima_train.svm", "-o", "svm.json", "-q"])
        .ok();
    train(&dir, "pima_train.csv", "type", "pq.json");
    for (model, data) in [
        ("svm.json", "pima_train.svm"),
        ("pq.json", "pima_train.parquet"),
    ] {
        let run = dir.run(&["predict", model, data]);
        run.ok();
        let plain = run.stdout().as_bytes().to_vec();
        assert!(plain.starts_with(b"probability,prediction\n"), "{data}");
        dir.run(&["predict", model, data, "-o", "p.csv.gz"]).ok();
        assert_eq!(gunzip(&dir.read_bytes("p.csv.gz")), plain, "{data}");
        dir.run(&["predict", model, data, "-o", "p.csv.zst"]).ok();
        assert_eq!(unzstd(&dir.read_bytes("p.csv.zst")), plain, "{data}");
    }
}

//! The one-read block path, its exact fallback (counting first) and the give-ups, on both byte
//! sources (a file read by offset, text in memory), with several threads, tiny blocks (lines
//! longer than a block, many blocks per thread) and wrong row bounds forced through [`Tuning`].

use std::fs::File;
use std::io::Write;

use super::*;
use crate::data::encode::read_training;
use crate::data::input::Source;
use crate::data::missing::Markers;

/// Every way of splitting the work that a real file could take, and some it never takes.
fn tunings() -> Vec<Tuning> {
    let mut all = Vec::new();
    for threads in [1, 2, 3] {
        for block_bytes in [1, 7, 64, 1000, BLOCK_BYTES] {
            // None: the bound from the bytes; 0 and 3: too few rows, so the exact fallback.
            for row_bound in [None, Some(0), Some(3)] {
                all.push(Tuning {
                    threads,
                    block_bytes,
                    row_bound,
                });
            }
        }
    }
    all
}

/// A small random generator (xorshift), so the tables are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A feature cell: mostly plain decimals of every length (the eight-byte digit steps, the 2^53
/// and 19-digit limits, up to 25 decimals), plus spellings only `fast_float2` reads.
fn number(rng: &mut Rng) -> String {
    const OTHERS: [&str; 16] = [
        "-0",
        "0",
        "-0.0",
        "9007199254740992",
        "9007199254740993",
        "12345678901234567890",
        "0.00000000000000000000001",
        "1e5",
        "-1.5E-3",
        "+2",
        " 3.5",
        "4.25 ",
        ".5",
        "5.",
        "1.7976931348623157e308",
        "00000000000000000000000012.5",
    ];
    if rng.below(6) == 0 {
        return OTHERS[rng.below(OTHERS.len() as u64) as usize].to_string();
    }
    let digits = 1 + rng.below(20) as usize;
    let mut s: String = (0..digits)
        .map(|_| char::from(b'0' + rng.below(10) as u8))
        .collect();
    let decimals = rng.below(digits as u64 + 1) as usize;
    if decimals > 0 {
        s.insert(digits - decimals, '.');
        if decimals == digits {
            s.insert(0, '0');
        }
    }
    if rng.below(2) == 0 {
        s.insert(0, '-');
    }
    s
}

/// A table `u,skip,w,v,y` (skip is not selected; w is the weight) with the given line end,
/// blank lines (empty or a lone CR before the line end) between rows, and a line end after the
/// last row or not.
fn table(seed: u64, rows: usize, crlf: bool, blanks: bool, terminated: bool) -> String {
    let mut rng = Rng(seed);
    let end = if crlf { "\r\n" } else { "\n" };
    let mut text = format!("u,skip,w,v,y{end}");
    for i in 0..rows {
        if blanks && rng.below(4) == 0 {
            text += ["\n", "\r\n"][rng.below(2) as usize];
        }
        let skip = ["", "x y", "NA", "7", " "][rng.below(5) as usize];
        let w = ["1", "0", "-0", " 2.5", "1e-3", "0.125"][rng.below(6) as usize];
        let label = if i < 2 { i as u64 } else { rng.below(2) };
        text += &format!(
            "{},{skip},{w},{},{}",
            number(&mut rng),
            number(&mut rng),
            ["no", "yes"][label as usize]
        );
        if i + 1 < rows || terminated {
            text += end;
        }
    }
    text
}

/// A temporary file holding `text`, and its path.
fn file_with(text: &[u8]) -> (tempfile::NamedTempFile, String) {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(text).unwrap();
    f.flush().unwrap();
    let path = f.path().to_string_lossy().into_owned();
    (f, path)
}

/// The fast reader on `text` in memory and as a file, with `tuning`; both must agree.
fn fast(
    text: &[u8],
    selection: &TrainingSelection,
    tuning: &Tuning,
) -> Result<TrainingData, GiveUp> {
    let (_keep, path) = file_with(text);
    let len = text.len() as u64;
    let in_memory = read_tuned(text, len, &path, b',', selection, tuning).unwrap();
    let file = File::open(&path).unwrap();
    let from_file = read_tuned(&file, len, &path, b',', selection, tuning).unwrap();
    match (&in_memory, &from_file) {
        (Ok(a), Ok(b)) => assert_same(a, b, &format!("memory vs file, {tuning:?}")),
        (Err(_), Err(_)) => {}
        _ => panic!(
            "memory {:?} vs file {:?}, {tuning:?}",
            in_memory.as_ref().err(),
            from_file.as_ref().err()
        ),
    }
    in_memory
}

fn bits(x: &[f64]) -> Vec<u64> {
    x.iter().map(|v| v.to_bits()).collect()
}

fn assert_same(a: &TrainingData, b: &TrainingData, what: &str) {
    assert_eq!(a.feature_names, b.feature_names, "{what}");
    assert_eq!(a.classes, b.classes, "{what}");
    assert_eq!(a.labels, b.labels, "{what}");
    assert_eq!(a.class_counts, b.class_counts, "{what}");
    assert_eq!(a.y, b.y, "{what}");
    assert_eq!(
        a.weights.as_ref().map(|w| bits(w.as_slice().unwrap())),
        b.weights.as_ref().map(|w| bits(w.as_slice().unwrap())),
        "{what}"
    );
    assert_eq!(a.dense_x().dim(), b.dense_x().dim(), "{what}");
    assert_eq!(
        bits(a.dense_x().as_slice().unwrap()),
        bits(b.dense_x().as_slice().unwrap()),
        "{what}"
    );
}

/// The csv path on `text` (the reference).
fn csv_path(text: &[u8], selection: &TrainingSelection) -> TrainingData {
    let (_keep, path) = file_with(text);
    read_training(Source::open(&path).unwrap(), b',', selection).unwrap()
}

fn features() -> Vec<String> {
    vec!["u".into(), "v".into()]
}

#[test]
fn every_split_of_the_work_reads_what_the_csv_path_reads() {
    let features = features();
    let weighted = TrainingSelection {
        target: "y",
        weight: Some("w"),
        features: Some(&features),
        ..Default::default()
    };
    let mut seed = 0x2545_f491_4f6c_dd1d;
    for (rows, crlf, blanks, terminated) in [
        (40, false, false, true),
        (40, true, false, true),
        (40, false, true, false),
        (40, true, true, false),
        (3, true, true, true),
        (300, false, true, true),
    ] {
        seed += 1;
        let text = table(seed, rows, crlf, blanks, terminated);
        let want = csv_path(text.as_bytes(), &weighted);
        assert_eq!(want.dense_x().nrows(), rows);
        for tuning in tunings() {
            let what = format!("{rows} rows, crlf {crlf}, blanks {blanks}, {tuning:?}");
            let got = fast(text.as_bytes(), &weighted, &tuning)
                .unwrap_or_else(|g| panic!("{what}: gave up ({g:?})"));
            assert_same(&got, &want, &what);
        }
    }
}

#[test]
fn the_row_bound_holds_for_the_shortest_lines_and_a_wrong_one_falls_back_to_counting() {
    // One-byte cells: the shortest records, so the bound is tight (and never too small).
    for terminated in [true, false] {
        let mut text = String::from("a,b,y\n");
        for i in 0..50 {
            text += &format!("{},{},{}", i % 10, (i * 7) % 10, i % 2);
            if i < 49 || terminated {
                text += "\n";
            }
        }
        let header_len = 6;
        let selection = TrainingSelection {
            target: "y",
            ..Default::default()
        };
        let roles = [Role::Feature(0), Role::Feature(1), Role::Target];
        let bound = row_bound(text.len() as u64 - header_len, &roles).unwrap();
        assert_eq!(bound, 50, "terminated {terminated}");
        let want = csv_path(text.as_bytes(), &selection);
        for row_bound in [None, Some(0), Some(1), Some(49), Some(50), Some(51)] {
            let tuning = Tuning {
                threads: 2,
                block_bytes: 16,
                row_bound,
            };
            let got = fast(text.as_bytes(), &selection, &tuning).unwrap();
            assert_same(&got, &want, &format!("{row_bound:?}"));
        }
    }
    // An ignored column may be empty: it counts a delimiter only.
    let roles = [Role::Ignore, Role::Feature(0), Role::Target];
    assert_eq!(row_bound(b",1,0\n,2,1\n".len() as u64, &roles), Some(2));
}

/// The give-up of every tuning on `text` (which must give up whatever the split).
fn gives_up(text: &str, selection: &TrainingSelection) -> Vec<GiveUp> {
    tunings()
        .iter()
        .map(|tuning| match fast(text.as_bytes(), selection, tuning) {
            Ok(_) => panic!("{text:?} was taken, {tuning:?}"),
            Err(g) => g,
        })
        .collect()
}

#[test]
fn quotes_carriage_returns_non_ascii_bytes_and_bad_cells_in_any_column_give_up() {
    let features = features();
    let selection = TrainingSelection {
        target: "y",
        weight: Some("w"),
        features: Some(&features),
        ..Default::default()
    };
    let good = table(7, 30, false, false, true);
    let lines: Vec<&str> = good.lines().collect();
    // Row 20's cells replaced one at a time: u, skip, w, v, y.
    let with_cell = |k: usize, cell: &str| {
        let mut cells: Vec<&str> = lines[21].split(',').collect();
        cells[k] = cell;
        let row = cells.join(",");
        let mut all = lines.clone();
        all[21] = &row;
        all.join("\n") + "\n"
    };
    for (k, cell, why) in [
        (4, "\"yes\"", GiveUp::Quote),
        (4, "ye\"s", GiveUp::Quote),
        (1, "\"x\"", GiveUp::Quote),
        (0, "\"1\"", GiveUp::Quote),
        (1, "x\ry", GiveUp::FieldCount),
        (4, "ye\rs", GiveUp::FieldCount),
        (0, "1\r", GiveUp::FieldCount),
        (1, "é", GiveUp::NonAscii),
        (4, "oui\u{e9}", GiveUp::NonAscii),
        (0, "", GiveUp::Missing),
        (3, "NA", GiveUp::Missing),
        (4, "", GiveUp::Missing),
        (0, "red", GiveUp::NotANumber),
        (3, "1e400", GiveUp::NotANumber),
        (2, "-1", GiveUp::Weight),
        (2, "", GiveUp::Weight),
        (4, "yes,", GiveUp::FieldCount),
    ] {
        let text = with_cell(k, cell);
        for g in gives_up(&text, &selection) {
            assert_eq!(g, why, "cell {k} = {cell:?}");
        }
    }
    // A row with a field too few (the last cell missing with its delimiter).
    let short = good.replacen(",yes\n", "\n", 1).replacen(",no\n", "\n", 1);
    assert!(gives_up(&short, &selection)
        .iter()
        .all(|g| *g == GiveUp::FieldCount));
    // A line of MAX_RECORD_BYTES or more, in the middle or last.
    let long = format!("{}{}\n", &good, "1".repeat(MAX_RECORD_BYTES));
    let tuning = Tuning {
        threads: 2,
        block_bytes: 1000,
        row_bound: None,
    };
    assert_eq!(
        fast(long.as_bytes(), &selection, &tuning).err(),
        Some(GiveUp::LongLine)
    );
    let long = format!(
        "{}\n{}\n{}\n",
        &lines[0],
        "1".repeat(MAX_RECORD_BYTES),
        &lines[1]
    );
    assert_eq!(
        fast(long.as_bytes(), &selection, &tuning).err(),
        Some(GiveUp::LongLine)
    );
    // No data rows.
    assert!(gives_up("u,skip,w,v,y\n\n\r\n", &selection)
        .iter()
        .all(|g| *g == GiveUp::FieldCount));
}

#[test]
fn a_missing_marker_spelled_as_a_number_is_compared_not_parsed() {
    let text = "u,v,y\n1,2,0\n-999,3,1\n4,5,0\n";
    let mut selection = TrainingSelection {
        target: "y",
        ..Default::default()
    };
    let tuning = Tuning::default();
    let taken = fast(text.as_bytes(), &selection, &tuning).unwrap();
    assert_eq!(taken.dense_x()[[1, 0]], -999.0);
    selection.markers = Markers::new(vec!["-999".into()]);
    assert_eq!(
        fast(text.as_bytes(), &selection, &tuning).err(),
        Some(GiveUp::Missing)
    );
}

#[test]
fn a_quote_anywhere_outranks_labels_the_csv_path_refuses() {
    // Labels that differ only by case are refused as the csv path refuses them; a quote
    // later in the file used to be found first (by the count pass), and still is, so
    // `may_take` declines the file either way.
    let selection = TrainingSelection {
        target: "y",
        ..Default::default()
    };
    let mut text = String::from("u,y\n1,yes\n2,Yes\n3,no\n");
    for i in 0..200 {
        text += &format!("{i},no\n");
    }
    assert!(gives_up(&text, &selection)
        .iter()
        .all(|g| *g == GiveUp::Labels));
    let quoted = format!("{text}\"5\",no\n");
    assert!(gives_up(&quoted, &selection)
        .iter()
        .all(|g| *g == GiveUp::Quote));
    let lone_cr = format!("{text}5,n\ro\n");
    assert!(gives_up(&lone_cr, &selection)
        .iter()
        .all(|g| *g == GiveUp::FieldCount));
}

#[test]
fn labels_first_seen_in_later_blocks_keep_the_csv_paths_order() {
    let selection = TrainingSelection {
        target: "y",
        ..Default::default()
    };
    let mut text = String::from("u,y\n");
    for i in 0..400 {
        let label = ["10", "9", "-2.5", "100"][(i / 100 + i % 3) % 4];
        text += &format!("{i}.5,{label}\n");
    }
    let want = csv_path(text.as_bytes(), &selection);
    for tuning in tunings() {
        let got = fast(text.as_bytes(), &selection, &tuning).unwrap();
        assert_same(&got, &want, &format!("{tuning:?}"));
    }
}

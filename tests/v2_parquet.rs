//! Parquet input and output (issue 11): the same table as CSV and as Parquet gives the same
//! model file byte for byte (numeric, integer, boolean, string and dictionary columns, nulls
//! under every `--missing` policy, several row groups and thread counts); predict and eval read
//! Parquet; `predict -o out.parquet` writes it; errors name the file, row, row group and column.
//!
//! The Parquet fixtures are written in each test by the parquet crate's own writer from a CSV
//! fixture (a column is Int64 when every present cell is an integer, else Float64 when every
//! one is a number, else text), so they are exactly the table the CSV holds.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::StringDictionaryBuilder;
use arrow_array::types::Int32Type;
use arrow_array::{
    Array, ArrayRef, BooleanArray, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray,
};
use arrow_schema::{Field, Schema};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;

use crate::util::{column_f64, expected_fit, f64s, fixtures, parse_csv, Dir};

/// How text columns are stored.
#[derive(Clone, Copy, PartialEq)]
enum Text {
    Plain,
    Dictionary,
}

/// The typed Arrow column of CSV cells (empty = null).
fn column(cells: &[&str], text: Text) -> ArrayRef {
    let present: Vec<&str> = cells.iter().copied().filter(|c| !c.is_empty()).collect();
    fn opt<'a>(c: &&'a str) -> Option<&'a str> {
        (!c.is_empty()).then_some(*c)
    }
    if !present.is_empty() && present.iter().all(|c| c.parse::<i64>().is_ok()) {
        Arc::new(Int64Array::from_iter(
            cells
                .iter()
                .map(|c| opt(c).map(|c| c.parse::<i64>().unwrap())),
        ))
    } else if !present.is_empty() && present.iter().all(|c| c.parse::<f64>().is_ok()) {
        Arc::new(Float64Array::from_iter(
            cells
                .iter()
                .map(|c| opt(c).map(|c| c.parse::<f64>().unwrap())),
        ))
    } else if text == Text::Dictionary {
        let mut b = StringDictionaryBuilder::<Int32Type>::new();
        for c in cells {
            match opt(c) {
                Some(c) => {
                    b.append_value(c);
                }
                None => b.append_null(),
            }
        }
        Arc::new(b.finish())
    } else {
        Arc::new(StringArray::from_iter(cells.iter().map(opt)))
    }
}

/// Writes `columns` to `path` with row groups of `group_rows` rows.
fn write_parquet(path: &Path, names: &[String], columns: Vec<ArrayRef>, group_rows: usize) {
    let fields: Vec<Field> = names
        .iter()
        .zip(&columns)
        .map(|(n, c)| Field::new(n, c.data_type().clone(), true))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(group_rows))
        .build();
    let mut w = ArrowWriter::try_new(File::create(path).unwrap(), schema, Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

/// The CSV text as a Parquet file `name` in `dir`.
fn csv_to_parquet(dir: &Dir, csv: &str, name: &str, text: Text, group_rows: usize) {
    let (header, rows) = parse_csv(csv);
    let columns = (0..header.len())
        .map(|j| {
            let cells: Vec<&str> = rows.iter().map(|r| r[j].as_str()).collect();
            column(&cells, text)
        })
        .collect();
    write_parquet(&dir.path().join(name), &header, columns, group_rows);
}

/// Runs `logit args` in `dir` with `LOGIT_THREADS=threads`, asserting success.
fn run_env(dir: &Dir, args: &[&str], threads: &str) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_logit"))
        .args(args)
        .current_dir(dir.path())
        .env("LOGIT_THREADS", threads)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "logit {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn fixture_text(name: &str) -> String {
    std::fs::read_to_string(fixtures().join(name)).unwrap()
}

/// Trains on `data` with `args`, returning the model file's text.
fn model(dir: &Dir, data: &str, args: &[&str], out: &str) -> String {
    let mut all = vec!["train", data, "-o", out, "-q"];
    all.extend_from_slice(args);
    dir.run(&all).ok();
    dir.read(out)
}

/// Reads column `name` of a Parquet file as f64s (Float64 columns).
fn parquet_f64(path: &Path, name: &str) -> Vec<f64> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let mut out = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        let a = batch.column_by_name(name).expect("column");
        let a = a.as_any().downcast_ref::<Float64Array>().expect("Float64");
        out.extend(a.values().iter().copied());
    }
    out
}

#[test]
fn the_reference_cases_give_the_csv_model_byte_for_byte() {
    for (name, target, positive, l2) in [
        ("pima", "type", "Yes", "0.0001"),
        ("breast_cancer", "diagnosis", "malignant", "0.01"),
        ("computers", "premium", "yes", "0.0001"),
    ] {
        let dir = Dir::new();
        let train = format!("{name}_train.csv");
        dir.fixture(&train);
        let csv = fixture_text(&train);
        let args = ["--target", target, "--positive", positive, "--l2", l2];
        let want = model(&dir, &train, &args, "csv.json");
        for (text, rows) in [(Text::Plain, 1 << 20), (Text::Dictionary, 97)] {
            csv_to_parquet(&dir, &csv, "t.parquet", text, rows);
            for threads in ["1", "2", "3"] {
                let mut all = vec!["train", "t.parquet", "-o", "pq.json", "-q"];
                all.extend_from_slice(&args);
                run_env(&dir, &all, threads);
                assert_eq!(
                    dir.read("pq.json"),
                    want,
                    "{name}, {rows}-row groups, {threads} threads"
                );
            }
        }
        // And the model is the reference one.
        let test = format!("{name}_test.csv");
        dir.fixture(&test);
        let probs = column_f64(
            &dir.run(&["predict", "pq.json", &test]).ok().stdout(),
            "probability",
        );
        let reference = f64s(&expected_fit(name, l2.parse().unwrap())["test_probabilities"]);
        let worst = probs
            .iter()
            .zip(&reference)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(worst < 1e-6, "{name}: max |p - p_ref| = {worst:e}");
    }
}

#[test]
fn nulls_follow_every_missing_policy_as_empty_csv_cells() {
    let dir = Dir::new();
    dir.fixture("pima_with_missing.csv");
    let csv = fixture_text("pima_with_missing.csv");
    csv_to_parquet(&dir, &csv, "m.parquet", Text::Plain, 150);
    for policy in ["drop", "mean", "median"] {
        let args = ["--target", "type", "--missing", policy];
        let want = model(&dir, "pima_with_missing.csv", &args, "csv.json");
        let got = model(&dir, "m.parquet", &args, "pq.json");
        assert_eq!(got, want, "--missing {policy}");
    }
    // The default policy names the first null: row, row group and column.
    let (header, rows) = parse_csv(&csv);
    let (row, col) = rows
        .iter()
        .enumerate()
        .find_map(|(i, r)| r.iter().position(String::is_empty).map(|j| (i, j)))
        .expect("a missing cell");
    let run = dir.run(&["train", "m.parquet", "--target", "type", "-o", "x.json"]);
    run.expect_code(2).stderr_has(&[
        "m.parquet: row ",
        &format!("row {row} (row group {})", row / 150),
        &format!("column \"{}\"", header[col]),
        "missing",
    ]);
}

#[test]
fn categorical_text_and_booleans_one_hot_and_zero_one_as_in_csv() {
    // A boolean column is the numbers 0/1; text and dictionary columns are categorical with
    // the CSV reader's sorted levels; labels may be text.
    let n = 300;
    let mut csv = String::from("b,colour,x,label\n");
    let colours = ["red", "green", "blue", " teal "];
    let (mut b, mut colour, mut x, mut label) = (vec![], vec![], vec![], vec![]);
    for i in 0..n {
        let bi = i % 3 == 0;
        let c = colours[(i * 7) % 4];
        let xi = ((i * 37) % 101) as f64 / 7.0;
        let yes = (xi + if bi { 3.0 } else { 0.0 } + (i % 4) as f64) % 5.0 > 2.0;
        let l = if yes { "spam" } else { "ham" };
        csv.push_str(&format!("{},{c},{xi},{l}\n", u8::from(bi)));
        b.push(Some(bi));
        colour.push(c);
        x.push(xi);
        label.push(l);
    }
    dir_check(&csv, |dir| {
        let names: Vec<String> = ["b", "colour", "x", "label"].map(String::from).to_vec();
        let dict = {
            let mut d = StringDictionaryBuilder::<Int32Type>::new();
            for c in &colour {
                d.append_value(c);
            }
            Arc::new(d.finish()) as ArrayRef
        };
        let columns: Vec<ArrayRef> = vec![
            Arc::new(BooleanArray::from(b.clone())),
            dict,
            Arc::new(Float64Array::from(x.clone())),
            Arc::new(StringArray::from(label.clone())),
        ];
        write_parquet(&dir.path().join("t.parquet"), &names, columns, 64);
    });
}

/// Trains on `csv` (as `t.csv`) and on the Parquet file `write` makes (`t.parquet`), with
/// `--positive spam`, and asserts the two model files are equal.
fn dir_check(csv: &str, write: impl Fn(&Dir)) {
    let dir = Dir::new();
    dir.write("t.csv", csv);
    write(&dir);
    let args = ["--target", "label", "--positive", "spam", "--l2", "0.01"];
    let want = model(&dir, "t.csv", &args, "csv.json");
    assert!(want.contains("colour=teal"), "{want}");
    assert_eq!(model(&dir, "t.parquet", &args, "pq.json"), want);
}

#[test]
fn multiclass_weights_and_folds_read_as_from_csv() {
    let dir = Dir::new();
    // Multiclass (text target) and row weights.
    for (file, args) in [
        (
            "multi/iris_train.csv",
            vec!["--target", "Species", "--l2", "0.01"],
        ),
        (
            "multi/pima_w_train.csv",
            vec!["--target", "type", "--weight", "w"],
        ),
    ] {
        let csv = fixture_text(file);
        dir.write("t.csv", &csv);
        csv_to_parquet(&dir, &csv, "t.parquet", Text::Plain, 100);
        let want = model(&dir, "t.csv", &args, "csv.json");
        assert_eq!(model(&dir, "t.parquet", &args, "pq.json"), want, "{file}");
    }
    // Cross-validation folds from a column.
    let folds =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/l1/pima_train_folds.csv");
    let csv = std::fs::read_to_string(folds).unwrap();
    dir.write("f.csv", &csv);
    csv_to_parquet(&dir, &csv, "f.parquet", Text::Plain, 100);
    let cv = |data: &str| {
        let args = [
            "cv",
            data,
            "--target",
            "type",
            "--fold-column",
            "fold",
            "--n-lambda",
            "5",
        ];
        let out = dir
            .run(&[&args[..], &["-o", "cv.json", "--json"]].concat())
            .ok()
            .stdout();
        (out, dir.read("cv.json"))
    };
    assert_eq!(cv("f.parquet"), cv("f.csv"));
}

#[test]
fn predict_and_eval_read_parquet_and_predict_writes_it() {
    let dir = Dir::new();
    let (name, target, positive) = ("computers", "premium", "yes");
    let train = format!("{name}_train.csv");
    let test = format!("{name}_test.csv");
    dir.fixture(&train).fixture(&test);
    model(
        &dir,
        &train,
        &["--target", target, "--positive", positive],
        "m.json",
    );
    csv_to_parquet(
        &dir,
        &fixture_text(&test),
        "test.parquet",
        Text::Dictionary,
        200,
    );

    // predict: the same CSV output, --keep included.
    let keep = ["--keep", "price,cd"];
    let want = dir
        .run(&[&["predict", "m.json", &test][..], &keep].concat())
        .ok()
        .stdout();
    let got = dir
        .run(&[&["predict", "m.json", "test.parquet"][..], &keep].concat())
        .ok()
        .stdout();
    assert_eq!(got, want);

    // -o out.parquet: the same probabilities, the kept columns with their input types.
    dir.run(
        &[
            &["predict", "m.json", "test.parquet", "-o", "out.parquet"][..],
            &keep,
        ]
        .concat(),
    )
    .ok();
    let p = parquet_f64(&dir.path().join("out.parquet"), "probability");
    assert_eq!(p, column_f64(&want, "probability"));
    // From a CSV input too.
    dir.run(&["predict", "m.json", &test, "-o", "out2.parquet"])
        .ok();
    assert_eq!(
        parquet_f64(&dir.path().join("out2.parquet"), "probability"),
        column_f64(&want, "probability")
    );

    // eval: the same report.
    let want = dir.run(&["eval", "m.json", &test, "--json"]).ok().stdout();
    let got = dir
        .run(&["eval", "m.json", "test.parquet", "--json"])
        .ok()
        .stdout();
    assert_eq!(got, want);
}

#[test]
fn bad_cells_and_types_are_one_line_naming_row_group_row_and_column() {
    let dir = Dir::new();
    let n = 50;
    let names: Vec<String> = ["x", "d", "y"].map(String::from).to_vec();
    let mut x: Vec<f64> = (0..n).map(|i| i as f64).collect();
    x[37] = f64::INFINITY;
    let y: Vec<i64> = (0..n).map(|i| i64::from(i % 3 == 0)).collect();
    let d = Date32Array::from((0..n).collect::<Vec<i32>>());
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Float64Array::from(x.clone())),
        Arc::new(d),
        Arc::new(Int64Array::from(y.clone())),
    ];
    write_parquet(&dir.path().join("bad.parquet"), &names, columns, 20);
    // A type logit cannot use, named with what was expected.
    dir.run(&["train", "bad.parquet", "--target", "y", "-o", "m.json"])
        .expect_code(2)
        .stderr_has(&[
            "bad.parquet",
            "column \"d\"",
            "Date32",
            "expected an integer",
        ]);
    // An infinity: row 37 is in row group 1 (rows 20-39).
    dir.run(&[
        "train",
        "bad.parquet",
        "--target",
        "y",
        "--exclude",
        "d",
        "-o",
        "m.json",
    ])
    .expect_code(2)
    .stderr_has(&["bad.parquet: row 37 (row group 1), column \"x\"", "finite"]);
    assert!(!dir.exists("m.json"));
    // Not Parquet at all.
    dir.write("junk.parquet", "a,b\n1,2\n");
    dir.run(&["train", "junk.parquet", "--target", "b", "-o", "m.json"])
        .expect_code(2)
        .stderr_has(&["junk.parquet", "Parquet"]);
    // A column the header lacks.
    dir.run(&["train", "bad.parquet", "--target", "nope", "-o", "m.json"])
        .expect_code(2)
        .stderr_has(&["bad.parquet", "\"nope\""]);
}

#[test]
fn files_written_by_pyarrow_give_the_csv_model() {
    // fixtures/*.parquet were written by pyarrow (another implementation than the one read
    // here), in row groups of 128 rows.
    let dir = Dir::new();
    for (name, args) in [
        ("pima_train", vec!["--target", "type", "--l2", "0.0001"]),
        (
            "computers_train",
            vec!["--target", "premium", "--positive", "yes"],
        ),
        (
            "pima_with_missing",
            vec!["--target", "type", "--missing", "median"],
        ),
        (
            "pima_with_missing",
            vec!["--target", "type", "--missing", "drop"],
        ),
    ] {
        let (csv, pq) = (format!("{name}.csv"), format!("{name}.parquet"));
        dir.fixture(&csv).fixture(&pq);
        let want = model(&dir, &csv, &args, "csv.json");
        assert_eq!(model(&dir, &pq, &args, "pq.json"), want, "{name} {args:?}");
    }
}

#[test]
fn svmlight_input_writes_parquet_output() {
    let dir = Dir::new();
    let fixtures = crate::util::fixtures();
    std::fs::copy(fixtures.join("pima_train.svm"), dir.path().join("t.svm")).unwrap();
    dir.run(&["train", "t.svm", "-o", "m.json", "-q"]).ok();
    let run = dir.run(&["predict", "m.json", "t.svm"]);
    run.ok();
    let expected: Vec<f64> = run
        .stdout()
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    dir.run(&["predict", "m.json", "t.svm", "-o", "p.parquet"])
        .ok();
    let got = parquet_f64(&dir.path().join("p.parquet"), "probability");
    assert_eq!(got.len(), expected.len());
    for (g, e) in got.iter().zip(&expected) {
        assert_eq!(g.to_bits(), e.to_bits());
    }
}

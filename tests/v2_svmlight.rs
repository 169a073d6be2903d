//! Issue 11, svmlight input: the same data written as svmlight (in any token order, with
//! comments, `qid:`, blank lines, CRLF) and as a CSV with columns `f1, f2, ...` trains the
//! byte-identical model and predicts and evaluates identically; the models predict the shared
//! references' probabilities; bad input is one error line naming the line and token.

use serde_json::Value;

use crate::util::{column_f64, expected_fit, f64s, fixtures, Dir};

/// A fixture CSV (numeric features, label column `target`) as svmlight text and as a CSV with
/// columns `f1..fp,label`. Cells are copied as text, so both parse to the same numbers.
/// `messy` writes the svmlight file as users' files come: pairs in shuffled order, comments,
/// `qid:` tokens, blank lines, tabs and CRLF line ends.
fn convert(csv: &str, target: &str, messy: bool) -> (String, String) {
    let text = std::fs::read_to_string(fixtures().join(csv)).expect("fixture");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let t = header.iter().position(|h| *h == target).expect("target");
    let p = header.len() - 1;
    let mut f_csv: Vec<String> = (1..=p).map(|i| format!("f{i}")).collect();
    f_csv.push("label".into());
    let mut f_csv = f_csv.join(",") + "\n";
    let mut svm = String::new();
    if messy {
        svm.push_str("# converted from a fixture\n\n");
    }
    for (row, line) in lines.enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        let features: Vec<&str> = (0..cells.len())
            .filter(|&c| c != t)
            .map(|c| cells[c])
            .collect();
        f_csv.push_str(&features.join(","));
        f_csv.push(',');
        f_csv.push_str(cells[t]);
        f_csv.push('\n');
        let mut pairs: Vec<String> = features
            .iter()
            .enumerate()
            .filter(|(_, v)| v.parse::<f64>().unwrap() != 0.0 || (messy && row % 3 == 0))
            .map(|(j, v)| format!("{}:{v}", j + 1))
            .collect();
        if messy {
            let shift = row % pairs.len().max(1);
            pairs.rotate_left(shift);
            if row % 2 == 0 {
                pairs.insert(0, format!("qid:{}", row / 10));
            }
        }
        let sep = if messy && row % 5 == 0 { "\t" } else { " " };
        svm.push_str(cells[t]);
        for pair in pairs {
            svm.push_str(sep);
            svm.push_str(&pair);
        }
        if messy && row % 4 == 1 {
            svm.push_str(" # a comment 99:1");
        }
        svm.push_str(if messy && row % 7 == 0 { "\r\n" } else { "\n" });
        if messy && row % 11 == 0 {
            svm.push_str("\n# another comment\n");
        }
    }
    (svm, f_csv)
}

/// Writes `<name>.svm` and `<name>_f.csv` into `dir` from a fixture.
fn write_pair(dir: &Dir, csv: &str, target: &str, name: &str, messy: bool) {
    let (svm, f_csv) = convert(csv, target, messy);
    dir.write(&format!("{name}.svm"), svm);
    dir.write(&format!("{name}_f.csv"), f_csv);
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("json")
}

fn worst_difference(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

#[test]
fn the_readme_svmlight_fixtures_are_the_pima_csv_files_converted() {
    for part in ["train", "test"] {
        let (svm, _) = convert(&format!("pima_{part}.csv"), "type", false);
        let fixture = std::fs::read_to_string(fixtures().join(format!("pima_{part}.svm"))).unwrap();
        let (comment, rows) = fixture.split_once('\n').unwrap();
        assert!(comment.starts_with("# fixtures/pima_"), "{comment}");
        assert!(rows == svm, "fixtures/pima_{part}.svm");
    }
}

#[test]
fn binary_svmlight_data_trains_the_csv_model_byte_for_byte_and_predicts_the_reference() {
    for (case, target, positive, l2) in [
        ("pima", "type", "Yes", "0.01"),
        ("breast_cancer", "diagnosis", "malignant", "0.0001"),
    ] {
        let dir = Dir::new();
        write_pair(&dir, &format!("{case}_train.csv"), target, "train", true);
        write_pair(&dir, &format!("{case}_test.csv"), target, "test", false);
        let args = ["--positive", positive, "--l2", l2];
        dir.run(&[&["train", "train.svm", "-o", "svm.json"][..], &args].concat())
            .ok();
        dir.run(
            &[
                &[
                    "train",
                    "train_f.csv",
                    "--target",
                    "label",
                    "-o",
                    "csv.json",
                ][..],
                &args,
            ]
            .concat(),
        )
        .ok();
        assert!(
            dir.read("svm.json") == dir.read("csv.json"),
            "{case}: models differ"
        );
        let model = json(&dir.read("svm.json"));
        assert_eq!(model["target"], "label");
        assert_eq!(model["features"][0]["name"], "f1");

        // Predictions: the reference's, and the CSV path's bytes.
        let svm = dir.run(&["predict", "svm.json", "test.svm"]);
        svm.ok();
        let csv = dir.run(&["predict", "svm.json", "test_f.csv"]);
        csv.ok();
        assert_eq!(svm.stdout(), csv.stdout(), "{case}");
        let reference = f64s(&expected_fit(case, l2.parse().unwrap())["test_probabilities"]);
        let worst = worst_difference(&column_f64(&svm.stdout(), "probability"), &reference);
        assert!(worst < 1e-6, "{case}: max |p - p_ref| = {worst:e}");
        // eval reads the label from each line's first token.
        let svm = dir.run(&["eval", "svm.json", "test.svm", "--json"]);
        svm.ok();
        let csv = dir.run(&["eval", "svm.json", "test_f.csv", "--json"]);
        csv.ok();
        assert_eq!(svm.stdout(), csv.stdout(), "{case}");
    }
}

#[test]
fn multiclass_svmlight_data_trains_the_csv_model_and_predicts_the_reference() {
    for (case, target) in [("iris", "Species"), ("wine", "cultivar")] {
        let reference: Value = json(
            &std::fs::read_to_string(fixtures().join(format!("multi/{case}.expected.json")))
                .unwrap(),
        );
        let dir = Dir::new();
        write_pair(
            &dir,
            &format!("multi/{case}_train.csv"),
            target,
            "train",
            true,
        );
        write_pair(
            &dir,
            &format!("multi/{case}_test.csv"),
            target,
            "test",
            false,
        );
        for fit in reference["fits"].as_array().unwrap() {
            let (mode, l2) = (fit["mode"].as_str().unwrap(), fit["lambda"].to_string());
            let args = ["--multiclass", mode, "--l2", &l2];
            dir.run(&[&["train", "train.svm", "-o", "svm.json"][..], &args].concat())
                .ok();
            dir.run(
                &[
                    &[
                        "train",
                        "train_f.csv",
                        "--target",
                        "label",
                        "-o",
                        "csv.json",
                    ][..],
                    &args,
                ]
                .concat(),
            )
            .ok();
            assert!(
                dir.read("svm.json") == dir.read("csv.json"),
                "{case} {mode} {l2}"
            );
            let svm = dir.run(&["predict", "svm.json", "test.svm", "--keep", "label"]);
            svm.ok();
            let csv = dir.run(&["predict", "svm.json", "test_f.csv", "--keep", "label"]);
            csv.ok();
            assert_eq!(svm.stdout(), csv.stdout(), "{case} {mode} {l2}");
            let classes: Vec<String> = reference["classes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().map_or_else(|| c.to_string(), str::to_string))
                .collect();
            for (k, class) in classes.iter().enumerate() {
                let got = column_f64(&svm.stdout(), &format!("probability_{class}"));
                let want: Vec<f64> = fit["test_probabilities"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|row| row[k].as_f64().unwrap())
                    .collect();
                let worst = worst_difference(&got, &want);
                assert!(worst < 1e-6, "{case} {mode} {l2} {class}: {worst:e}");
            }
            let svm = dir.run(&["eval", "svm.json", "test.svm", "--json"]);
            svm.ok();
            let csv = dir.run(&["eval", "svm.json", "test_f.csv", "--json"]);
            csv.ok();
            assert_eq!(svm.stdout(), csv.stdout(), "{case} {mode} {l2}");
        }
    }
}

/// A synthetic three-class set: `n` rows over 60 features, about 8 nonzeros a row, labels from
/// a fixed linear rule with noise (deterministic).
fn synthetic(n: usize) -> (String, String) {
    let p = 60;
    let mut state = 7u64;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut svm = String::new();
    let mut csv: Vec<String> = (1..=p).map(|i| format!("f{i}")).collect();
    csv.push("label".into());
    let mut csv = csv.join(",") + "\n";
    for _ in 0..n {
        let mut row = vec![0.0; p];
        for _ in 0..8 {
            let j = ((next() * next()) * p as f64) as usize; // frequent low indices
            row[j] = (next() * 1000.0).round() / 250.0;
        }
        let z0: f64 = row[..20].iter().sum::<f64>() - row[20..40].iter().sum::<f64>();
        let z1: f64 = row[20..].iter().sum::<f64>() - row[..10].iter().sum::<f64>();
        let label = if z0 + next() * 4.0 > 2.0 {
            "a"
        } else if z1 + next() * 4.0 > 2.0 {
            "b"
        } else {
            "c"
        };
        svm.push_str(label);
        for (j, v) in row.iter().enumerate().filter(|(_, v)| **v != 0.0) {
            svm.push_str(&format!(" {}:{v}", j + 1));
        }
        svm.push('\n');
        let cells: Vec<String> = row.iter().map(|v| v.to_string()).collect();
        csv.push_str(&cells.join(","));
        csv.push(',');
        csv.push_str(label);
        csv.push('\n');
    }
    (svm, csv)
}

#[test]
fn a_file_of_many_chunks_and_stdin_train_the_csv_model() {
    let dir = Dir::new();
    let (svm, csv) = synthetic(170_000);
    assert!(
        svm.len() > 8 << 20,
        "more than two 4 MiB chunks: {}",
        svm.len()
    );
    dir.write("big.svm", &svm);
    dir.write("big.csv", csv);
    let args = ["--l2", "0.001", "--multiclass", "ovr", "--design", "dense"];
    dir.run(&[&["train", "big.svm", "-o", "svm.json"][..], &args].concat())
        .ok();
    dir.run(
        &[
            &["train", "big.csv", "--target", "label", "-o", "csv.json"][..],
            &args,
        ]
        .concat(),
    )
    .ok();
    assert!(
        dir.read("svm.json") == dir.read("csv.json"),
        "models differ"
    );
    let run = dir.run_with_stdin(
        &[
            &["train", "-", "--format", "svmlight", "-o", "stdin.json"][..],
            &args,
        ]
        .concat(),
        Some(svm.as_bytes()),
    );
    run.ok();
    assert!(
        dir.read("stdin.json") == dir.read("csv.json"),
        "stdin model differs"
    );
    let svm = dir.run(&["predict", "svm.json", "big.svm", "-o", "p_svm.csv"]);
    svm.ok();
    dir.run(&["predict", "svm.json", "big.csv", "-o", "p_csv.csv"])
        .ok();
    assert!(
        dir.read("p_svm.csv") == dir.read("p_csv.csv"),
        "predictions differ"
    );
}

/// Runs `logit ARGS` and expects exit 2 with one error line equal to `message`.
fn refused(dir: &Dir, args: &[&str], message: &str) {
    let run = dir.run(args);
    run.expect_code(2);
    assert_eq!(
        run.stderr().trim_end(),
        format!("logit: error: {message}"),
        "{args:?}"
    );
}

#[test]
fn bad_svmlight_lines_are_one_error_naming_the_line_and_token() {
    let dir = Dir::new();
    for (text, message) in [
        ("1 1:2\n0 2:abc\n", "line 2: token \"2:abc\": expected a number after the ':'"),
        (
            "1 1:2\n\n# comment\n0 0:1\n",
            "line 4: token \"0:1\": expected a feature index, a whole number >= 1 (svmlight \
             indices are 1-based), before the ':'",
        ),
        (
            "1 3:1 1:2 3:0.5\n",
            "line 1: token \"3:0.5\": this feature index appears earlier on the same line; \
             each index may appear once per line",
        ),
        ("1 1:1\n2:1 3:1\n", "line 2: token \"2:1\": expected the label first (svmlight lines \
             are `label idx:value ...`), found a feature: the line has no label"),
        ("1 1:1\n0 4\n", "line 2: token \"4\": expected a feature `idx:value` (or `qid:N`), found no ':'"),
        ("1 1:inf\n", "line 1: token \"1:inf\": expected a finite number after the ':'"),
        (
            "1 1:1\n0 2000000:1\n",
            "line 2: token \"2000000:1\": the feature index is beyond the limit of 1000000 features",
        ),
        (
            "yes 1:1\nno 1:2\nYes 1:3\n",
            "line 3, column \"label\": the labels \"yes\" and \"Yes\" differ only by letter case; \
             make them consistent (classes must be genuinely different labels)",
        ),
        (
            "# nothing\n\n",
            "no data rows: expected svmlight lines `label idx:value ...` (blank lines and `#` \
             comments are skipped)",
        ),
        ("1\n0\n", "no line has a feature: there is nothing to fit"),
        ("1 1:1\n1 2:1\n", ", column \"label\": every row has the label \"1\"; a classifier needs at least two classes"),
    ] {
        dir.write("bad.svm", text);
        let run = dir.run(&["train", "bad.svm"]);
        run.expect_code(2);
        let err = run.stderr();
        assert!(
            err.trim_end() == format!("logit: error: bad.svm: {message}")
                || err.trim_end() == format!("logit: error: bad.svm{message}"),
            "{text:?}: {err}"
        );
        assert!(!dir.exists("model.json"));
    }
}

#[test]
fn options_naming_columns_are_refused_for_svmlight_data_saying_why() {
    let dir = Dir::new();
    dir.write("d.svm", "1 1:1 2:3\n0 1:2\n1 2:1\n0 1:1\n");
    dir.write("d.csv", "f1,f2,label\n1,3,1\n2,0,0\n0,1,1\n1,0,0\n");
    refused(
        &dir,
        &["train", "d.svm", "--target", "y"],
        "d.svm: svmlight data has no column names: the target is each line's first token, \
         called \"label\"; leave out --target \"y\"",
    );
    // --target label is what svmlight data has anyway.
    dir.run(&["train", "d.svm", "--target", "label", "-o", "m.json"])
        .ok();
    refused(
        &dir,
        &["train", "d.svm", "--weight", "w"],
        "d.svm: --weight \"w\" is not available for svmlight data, which has no columns \
         besides the label and the idx:value features; write the data as a CSV with a weight \
         column to weight rows (--class-weight works)",
    );
    let run = dir.run(&["train", "d.svm", "--exclude", "f1"]);
    run.expect_code(2)
        .stderr_has(&["--exclude is not available for svmlight data"]);
    let run = dir.run(&["cv", "d.svm", "--fold-column", "g", "-o", "cv.json"]);
    run.expect_code(2)
        .stderr_has(&["--fold-column \"g\" is not available for svmlight data"]);
    refused(
        &dir,
        &["train", "d.csv"],
        "--target COL is required: name the label column of the csv data d.csv (only \
         svmlight data, whose label is each line's first token, needs none)",
    );
    refused(
        &dir,
        &["eval", "m.json", "d.svm", "--weight", "w"],
        "d.svm: --weight \"w\" is not available for svmlight data, which has no columns \
         besides the label and the idx:value features; write the data as a CSV with a weight \
         column to weight rows",
    );
    refused(
        &dir,
        &["predict", "m.json", "d.svm", "--keep", "f1"],
        "d.svm: --keep f1: svmlight data has no columns but its label; --keep label copies \
         each line's label into the output",
    );
}

#[test]
fn predict_and_eval_refuse_features_the_model_never_saw_unless_their_value_is_zero() {
    let dir = Dir::new();
    dir.write("d.svm", "1 1:1 2:3\n0 1:2\n1 2:1\n0 1:1 2:0.5\n");
    dir.run(&["train", "d.svm", "-o", "m.json"]).ok();
    dir.write("new.svm", "1 1:1\n0 2:1 3:0 7:0.0\n1 1:1 3:2.5\n");
    for command in ["predict", "eval"] {
        refused(
            &dir,
            &[command, "m.json", "new.svm"],
            "new.svm: line 3: token \"3:2.5\": the model has no feature f3 (its features are f1 \
             to f2); a nonzero value for a feature the model never saw cannot be scored",
        );
    }
    dir.write("zero.svm", "1 1:1\n0 2:1 3:0 7:0.0\n");
    let run = dir.run(&["predict", "m.json", "zero.svm"]);
    run.ok();
    dir.write("zero.csv", "f1,f2\n1,0\n0,1\n");
    assert_eq!(
        run.stdout(),
        dir.run(&["predict", "m.json", "zero.csv"]).stdout()
    );
    // A model with other columns cannot read svmlight rows.
    dir.write("c.csv", "age,label\n1,1\n2,0\n3,1\n1,0\n");
    dir.run(&["train", "c.csv", "--target", "label", "-o", "c.json"])
        .ok();
    refused(
        &dir,
        &["predict", "c.json", "zero.svm"],
        "zero.svm: cannot score svmlight data with this model: its numeric column \"age\" is \
         not a feature f<idx> (svmlight features are named f1, f2, ...); score a CSV with the \
         model's columns instead",
    );
    // An error halfway leaves no output file.
    let run = dir.run(&["predict", "m.json", "new.svm", "-o", "out.csv"]);
    run.expect_code(2);
    assert!(!dir.exists("out.csv"));
}

#[test]
fn path_cv_and_pick_threshold_read_svmlight_data_as_the_csv() {
    let dir = Dir::new();
    write_pair(&dir, "pima_train.csv", "type", "train", true);
    write_pair(&dir, "pima_test.csv", "type", "test", false);
    let path = ["--positive", "Yes", "--n-lambda", "8", "--json"];
    let svm = dir.run(&[&["path", "train.svm"][..], &path].concat());
    svm.ok();
    let csv = dir.run(&[&["path", "train_f.csv", "--target", "label"][..], &path].concat());
    csv.ok();
    assert_eq!(svm.stdout(), csv.stdout());
    let cv = [
        "--positive",
        "Yes",
        "--folds",
        "4",
        "--n-lambda",
        "8",
        "--json",
    ];
    let svm = dir.run(&[&["cv", "train.svm", "-o", "cv_svm.json"][..], &cv].concat());
    svm.ok();
    let csv = dir.run(
        &[
            &[
                "cv",
                "train_f.csv",
                "--target",
                "label",
                "-o",
                "cv_csv.json",
            ][..],
            &cv,
        ]
        .concat(),
    );
    csv.ok();
    assert_eq!(svm.stdout(), csv.stdout());
    assert!(dir.read("cv_svm.json") == dir.read("cv_csv.json"));
    let pick = ["--positive", "Yes", "--pick-threshold", "f1"];
    dir.run(
        &[
            &[
                "train",
                "train.svm",
                "-o",
                "a.json",
                "--validation",
                "test.svm",
            ][..],
            &pick,
        ]
        .concat(),
    )
    .ok();
    dir.run(
        &[
            &[
                "train",
                "train.svm",
                "-o",
                "b.json",
                "--validation",
                "test_f.csv",
            ][..],
            &pick,
        ]
        .concat(),
    )
    .ok();
    assert!(dir.read("a.json") == dir.read("b.json"));
}

/// `auto` reads this file sparse (1.2M cells at ~13% density); the sparse fit equals the dense
/// one to rounding, for the binary (ovr) and multinomial models.
#[test]
fn svmlight_data_fitted_sparse_equals_the_dense_fit() {
    let dir = Dir::new();
    let (svm, _) = synthetic(20_000);
    dir.write("s.svm", &svm);
    for mode in ["multinomial", "ovr"] {
        let args = [
            "--l2",
            "0.001",
            "--solver",
            "newton",
            "--tol",
            "1e-12",
            "--multiclass",
            mode,
        ];
        let auto = dir.run(&[&["train", "s.svm", "-o", "auto.json"][..], &args].concat());
        auto.ok();
        assert!(
            auto.stderr().contains("design: sparse (CSR)"),
            "{}",
            auto.stderr()
        );
        let run = dir.run(
            &[
                &["train", "s.svm", "-o", "dense.json", "--design", "dense"][..],
                &args,
            ]
            .concat(),
        );
        run.ok();
        assert!(run.stderr().contains("design: dense"), "{}", run.stderr());
        let (a, d) = (json(&dir.read("auto.json")), json(&dir.read("dense.json")));
        // One objective per fit: the multinomial one, or one per class for ovr.
        let objectives = |m: &Value| -> Vec<f64> {
            match m.get("fits") {
                Some(fits) => fits
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f["objective"].as_f64().unwrap())
                    .collect(),
                None => vec![m["fit"]["objective"].as_f64().unwrap()],
            }
        };
        for (oa, od) in objectives(&a).iter().zip(objectives(&d)) {
            assert!((oa - od).abs() <= 1e-14 * od.abs(), "{mode}: {oa} vs {od}");
        }
        let coefficients = |m: &Value| -> Vec<f64> {
            m["coefficients"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(f64s)
                .collect()
        };
        let worst = worst_difference(&coefficients(&a), &coefficients(&d));
        assert!(worst <= 1e-12, "{mode}: coefficients differ by {worst}");
        let pa = dir.run(&["predict", "auto.json", "s.svm"]);
        let pd = dir.run(&["predict", "dense.json", "s.svm"]);
        let probabilities = |run: &crate::util::Run| -> Vec<f64> {
            run.stdout()
                .lines()
                .skip(1)
                .flat_map(|l| {
                    let cells: Vec<&str> = l.split(',').collect();
                    cells[..cells.len() - 1]
                        .iter()
                        .map(|c| c.parse::<f64>().unwrap())
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        let worst = worst_difference(&probabilities(&pa), &probabilities(&pd));
        assert!(worst <= 1e-12, "{mode}: probabilities differ by {worst}");
    }
}

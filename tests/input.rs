//! Real-world CSV variants that must work: dialects, odd names, reordered columns, missing values.

use crate::util::{column_f64, parse_csv, Dir};

/// A small learnable table as (header, rows) text pieces, with a numeric and a text feature.
fn table() -> (Vec<&'static str>, Vec<[String; 4]>) {
    let header = vec!["id", "dose", "group", "cured"];
    let rows = (0..40)
        .map(|i| {
            let dose = (i % 10) as f64 * 0.5 + (i / 10) as f64 * 0.1;
            let group = ["a", "b", "c"][i % 3];
            let cured = u8::from((i * 7 + i / 3) % 5 < 2 + (i % 10) / 4);
            [
                format!("r{i}"),
                format!("{dose}"),
                group.to_string(),
                cured.to_string(),
            ]
        })
        .collect();
    (header, rows)
}

fn render(delimiter: &str, line_end: &str) -> String {
    let (header, rows) = table();
    let mut s = header.join(delimiter) + line_end;
    for r in rows {
        s += &(r.join(delimiter) + line_end);
    }
    s
}

/// Trains on `file` and returns the probabilities `predict` gives on the plain comma version.
fn probabilities_after_training_on(dir: &Dir, file: &str, extra: &[&str]) -> Vec<f64> {
    dir.write("plain.csv", render(",", "\n"));
    let mut args = vec![
        "train",
        file,
        "--target",
        "cured",
        "--exclude",
        "id",
        "-o",
        "m.json",
        "-q",
    ];
    args.extend_from_slice(extra);
    dir.run(&args).ok();
    column_f64(
        &dir.run(&["predict", "m.json", "plain.csv"]).ok().stdout(),
        "probability",
    )
}

fn baseline() -> Vec<f64> {
    let dir = Dir::new();
    dir.write("base.csv", render(",", "\n"));
    probabilities_after_training_on(&dir, "base.csv", &[])
}

fn assert_close(a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() < 1e-12, "{x} vs {y}");
    }
}

#[test]
fn bom_crlf_and_trailing_blank_line_read_like_a_plain_file() {
    let base = baseline();
    let dir = Dir::new();
    dir.write("bom.csv", format!("\u{feff}{}", render(",", "\r\n")));
    assert_close(
        &probabilities_after_training_on(&dir, "bom.csv", &[]),
        &base,
    );
    dir.write("blank.csv", render(",", "\n") + "\n");
    assert_close(
        &probabilities_after_training_on(&dir, "blank.csv", &[]),
        &base,
    );
}

#[test]
fn semicolon_and_tab_delimiters_with_tsv_detection() {
    let base = baseline();
    let dir = Dir::new();
    dir.write("semi.csv", render(";", "\n"));
    assert_close(
        &probabilities_after_training_on(&dir, "semi.csv", &["--delimiter", ";"]),
        &base,
    );
    dir.write("data.tsv", render("\t", "\n"));
    assert_close(
        &probabilities_after_training_on(&dir, "data.tsv", &[]),
        &base,
    );
    dir.write("tabbed.txt", render("\t", "\n"));
    assert_close(
        &probabilities_after_training_on(&dir, "tabbed.txt", &["--delimiter", "tab"]),
        &base,
    );
    // predict and eval take the delimiter too.
    let out = dir.run(&["predict", "m.json", "data.tsv"]).ok().stdout();
    assert_close(&column_f64(&out, "probability"), &base);
    dir.run(&["eval", "m.json", "semi.csv", "--delimiter", ";", "--json"])
        .ok();
}

#[test]
fn quoted_fields_with_commas_quotes_and_newlines_are_one_record_each() {
    let dir = Dir::new();
    let (_, rows) = table();
    let mut s = String::from("note,dose,cured\n");
    for (i, r) in rows.iter().enumerate() {
        let note = match i % 3 {
            0 => "\"plain, with comma\"".to_string(),
            1 => "\"said \"\"hi\"\"\nthen left\"".to_string(),
            _ => "simple".to_string(),
        };
        s += &format!("{note},{},{}\n", r[1], r[3]);
    }
    dir.write("quoted.csv", &s);
    dir.run(&[
        "train",
        "quoted.csv",
        "--target",
        "cured",
        "-o",
        "m.json",
        "-q",
    ])
    .ok();
    let out = dir
        .run(&["predict", "m.json", "quoted.csv", "--keep", "note"])
        .ok()
        .stdout();
    let (header, out_rows) = parse_csv(&out);
    assert_eq!(header, vec!["note", "probability", "prediction"]);
    assert_eq!(out_rows.len(), 40);
    assert_eq!(out_rows[1][0], "said \"hi\"\nthen left");
}

#[test]
fn column_names_with_spaces_quotes_and_non_ascii_letters() {
    let dir = Dir::new();
    let (_, rows) = table();
    let mut s = String::from("\"dose (mg), raw\",\"the \"\"group\"\"\",état civil,cured\n");
    for r in &rows {
        s += &format!(
            "{},{},{},{}\n",
            r[1],
            r[2],
            if r[0].len() % 2 == 0 {
                "marié"
            } else {
                "célibataire"
            },
            r[3]
        );
    }
    dir.write("names.csv", &s);
    dir.run(&[
        "train",
        "names.csv",
        "--target",
        "cured",
        "-o",
        "m.json",
        "-q",
    ])
    .ok();
    let model: serde_json::Value = serde_json::from_str(&dir.read("m.json")).unwrap();
    let names: Vec<&str> = model["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"dose (mg), raw")
            && names.contains(&"the \"group\"=a")
            && names.contains(&"état civil=marié"),
        "{names:?}"
    );
    let out = dir
        .run(&["predict", "m.json", "names.csv", "--keep", "état civil"])
        .ok()
        .stdout();
    assert_eq!(
        parse_csv(&out).0,
        vec!["état civil", "probability", "prediction"]
    );
}

#[test]
fn spaces_around_numbers_are_ignored() {
    let base = baseline();
    let dir = Dir::new();
    let (header, rows) = table();
    let mut s = header.join(",") + "\n";
    for r in rows {
        s += &format!("{}, {} ,{},{}\n", r[0], r[1], r[2], r[3]);
    }
    dir.write("spaced.csv", s);
    assert_close(
        &probabilities_after_training_on(&dir, "spaced.csv", &[]),
        &base,
    );
}

#[test]
fn predict_accepts_reordered_and_extra_columns_without_the_target_and_stdin() {
    let base = baseline();
    let dir = Dir::new();
    dir.write("base.csv", render(",", "\n"));
    dir.run(&[
        "train",
        "base.csv",
        "--target",
        "cured",
        "--exclude",
        "id",
        "-o",
        "m.json",
        "-q",
    ])
    .ok();
    let (_, rows) = table();
    let mut s = String::from("extra,group,id,dose\n");
    for r in &rows {
        s += &format!("x,{},{},{}\n", r[2], r[0], r[1]);
    }
    let out = dir
        .run_with_stdin(&["predict", "m.json", "-"], Some(s.as_bytes()))
        .ok()
        .stdout();
    assert_close(&column_f64(&out, "probability"), &base);
}

const GAPPY: &str =
    "x,g,y\n1.0,a,0\nNA,b,1\n3.0,,0\n4.0,a,1\nnull,b,0\n6.0,b,1\n7.0,a,0\n8.0,NaN,1\n9.0,a,1\n";

#[test]
fn missing_values_are_an_error_by_default_naming_the_first_cell_and_the_flag() {
    let dir = Dir::new();
    dir.write("gappy.csv", GAPPY);
    dir.run(&["train", "gappy.csv", "--target", "y", "-o", "m.json"])
        .expect_code(2)
        .stderr_has(&["gappy.csv", "line 3", "\"x\"", "--missing"]);
}

#[test]
fn mean_and_median_imputation_is_learned_in_training_and_reused_by_predict() {
    let dir = Dir::new();
    dir.write("gappy.csv", GAPPY);
    for (policy, fill) in [("mean", 38.0 / 7.0), ("median", 6.0)] {
        dir.run(&[
            "train",
            "gappy.csv",
            "--target",
            "y",
            "--missing",
            policy,
            "--l2",
            "0.1",
            "-o",
            "m.json",
            "-q",
        ])
        .ok();
        let model: serde_json::Value = serde_json::from_str(&dir.read("m.json")).unwrap();
        assert_eq!(model["missing"]["policy"], policy);
        assert!((model["columns"][0]["fill"].as_f64().unwrap() - fill).abs() < 1e-12);
        assert_eq!(model["columns"][1]["fill"], "a");
        // A missing cell scores exactly like the fill value written out.
        let out = dir
            .run_with_stdin(
                &["predict", "m.json", "-"],
                Some(format!("x,g\nNA,\n{fill},a\n").as_bytes()),
            )
            .ok()
            .stdout();
        let p = column_f64(&out, "probability");
        assert_eq!(p[0], p[1]);
    }
}

#[test]
fn drop_leaves_rows_out_of_training_but_predict_never_drops_rows() {
    let dir = Dir::new();
    dir.write("gappy.csv", GAPPY);
    let run = dir.run(&[
        "train",
        "gappy.csv",
        "--target",
        "y",
        "--missing",
        "drop",
        "--l2",
        "0.1",
        "-o",
        "m.json",
    ]);
    run.ok().stderr_has(&["left out 4 of 9 rows"]);
    let model: serde_json::Value = serde_json::from_str(&dir.read("m.json")).unwrap();
    assert_eq!(model["training"]["n_rows"], 5);
    dir.write("out.csv", "OLD\n");
    dir.run(&["predict", "m.json", "gappy.csv", "-o", "out.csv"])
        .expect_code(2)
        .stderr_has(&["line 3", "\"x\"", "never drop rows"]);
    assert_eq!(dir.read("out.csv"), "OLD\n");
}

#[test]
fn na_values_are_configurable() {
    let dir = Dir::new();
    dir.write("sentinel.csv", "x,y\n1,0\n-999,1\n3,0\n4,1\n5,1\n");
    dir.run(&[
        "train",
        "sentinel.csv",
        "--target",
        "y",
        "--na-values",
        "-999",
        "-o",
        "m.json",
    ])
    .expect_code(2)
    .stderr_has(&["line 3", "\"-999\""]);
    dir.run(&[
        "train",
        "sentinel.csv",
        "--target",
        "y",
        "--na-values",
        "-999",
        "--missing",
        "median",
        "-o",
        "m.json",
        "-q",
    ])
    .ok();
    let model: serde_json::Value = serde_json::from_str(&dir.read("m.json")).unwrap();
    // Median of 1, 3, 4, 5.
    assert_eq!(model["columns"][0]["fill"], 3.5);
    assert_eq!(model["missing"]["na_values"], serde_json::json!(["-999"]));
}

#[test]
fn pima_with_missing_values_trains_with_drop_to_the_same_model_as_the_clean_data() {
    // fixtures/pima.csv is exactly pima_with_missing.csv without its 100 incomplete rows.
    let dir = Dir::new();
    dir.fixture("pima_with_missing.csv").fixture("pima.csv");
    dir.run(&[
        "train",
        "pima_with_missing.csv",
        "--target",
        "type",
        "-o",
        "m.json",
    ])
    .expect_code(2)
    .stderr_has(&["pima_with_missing.csv", "--missing"]);
    let run = dir.run(&[
        "train",
        "pima_with_missing.csv",
        "--target",
        "type",
        "--missing",
        "drop",
        "-o",
        "m.json",
    ]);
    run.ok().stderr_has(&["left out 100 of 632 rows"]);
    dir.run(&[
        "train",
        "pima.csv",
        "--target",
        "type",
        "-o",
        "clean.json",
        "-q",
    ])
    .ok();
    let dropped: serde_json::Value = serde_json::from_str(&dir.read("m.json")).unwrap();
    let clean: serde_json::Value = serde_json::from_str(&dir.read("clean.json")).unwrap();
    assert_eq!(dropped["features"], clean["features"]);
    assert_eq!(dropped["intercept"], clean["intercept"]);
    assert_eq!(dropped["missing"]["rows_dropped"], 100);
}

#[test]
fn awkward_but_valid_tables_train_with_warnings_where_ill_posed() {
    let dir = Dir::new();
    // Constant, all-zero and duplicate columns.
    let mut s = String::from("a,const,zero,a_again,y\n");
    for i in 0..30 {
        s += &format!("{},7,0,{},{}\n", i % 9, i % 9, (i * 7 % 3 == 0) as u8);
    }
    dir.write("awkward.csv", &s);
    dir.run(&["train", "awkward.csv", "--target", "y", "-o", "m.json"])
        .ok()
        .stderr_has(&[
            "constant",
            "\"const\"",
            "\"zero\"",
            "identical",
            "\"a_again\"",
        ]);
    dir.run(&[
        "train",
        "awkward.csv",
        "--target",
        "y",
        "--l2",
        "0.1",
        "-o",
        "m.json",
        "-q",
    ])
    .ok();
    // More features than rows.
    dir.write(
        "wide.csv",
        "a,b,c,d,e,f,y\n1,2,3,4,5,6,0\n2,1,0,3,3,1,1\n0,0,1,2,2,5,0\n",
    );
    dir.run(&[
        "train", "wide.csv", "--target", "y", "--l2", "1", "-o", "m.json", "-q",
    ])
    .ok();
    dir.run(&["train", "wide.csv", "--target", "y", "-o", "m.json"])
        .ok()
        .stderr_has(&["ill-posed", "parameters"]);
    // A single row per class.
    dir.write("two.csv", "a,y\n1,0\n2,1\n");
    dir.run(&["train", "two.csv", "--target", "y", "-o", "m.json"])
        .ok()
        .stderr_has(&["separation"]);
    let out = dir.run(&["predict", "m.json", "two.csv"]).ok().stdout();
    assert!(column_f64(&out, "probability")
        .iter()
        .all(|p| p.is_finite()));
}

//! Issue 8 (hardening), the reports' share: names longer than the formatter's width limit
//! (item 2), an unbounded threshold grid (item 3), linfa's option errors that did not name the
//! flag (item 18) and models fitted under separation or without convergence being used silently,
//! with a single separating feature left unnamed (item 19).

use serde_json::Value;

use crate::util::{column_f64, parse_csv, trained, Dir};

/// Item 19: models fitted under separation or without convergence, and separating features.
mod separation;

/// Deterministic pseudo-random numbers in [0, 1) (xorshift64), so the generated data are fixed.
pub fn rng(seed: u64) -> impl FnMut() -> f64 {
    let mut state = seed;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    }
}

// ---------------------------------------------------------------------------------------------
// Item 2: a name or level longer than 65,535 characters
// ---------------------------------------------------------------------------------------------

/// 80 rows: a numeric column and a categorical one whose level names are `level` and `short`,
/// target `y` (0/1) depending on both.
fn long_name_data(numeric: &str, level: &str) -> String {
    let mut unif = rng(0x1234_5678_9abc_def1);
    let mut csv = format!("{numeric},cat,y\n");
    for _ in 0..80 {
        let x = unif() * 4.0 - 2.0;
        let long = unif() < 0.5;
        let z = 1.2 * x + if long { -0.7 } else { 0.6 };
        let y = u8::from(unif() < 1.0 / (1.0 + (-z).exp()));
        let c = if long { level } else { "short" };
        csv.push_str(&format!("{x:.4},{c},{y}\n"));
    }
    csv
}

#[test]
fn names_and_levels_longer_than_65535_characters_do_not_panic_in_any_report() {
    let dir = Dir::new();
    let name = "n".repeat(70_000);
    let level = "L".repeat(70_000);
    dir.write("long.csv", long_name_data(&name, &level));
    dir.write("short.csv", long_name_data("x", "long"));
    let train = |data: &str, out: &str| {
        dir.run(&[
            "train",
            data,
            "--target",
            "y",
            "--positive",
            "1",
            "--l2",
            "0.01",
            "-o",
            out,
        ])
    };
    let run = train("long.csv", "long.json");
    run.ok();
    // The text report shortens the names; every line stays short.
    let report = run.stderr();
    assert!(
        report.lines().all(|l| l.chars().count() < 200),
        "{}",
        &report[..report.len().min(2000)]
    );
    assert!(
        report.contains("nnnnn...nnnnn")
            && report.contains("\ncat=LLLLL")
            && report.contains("LLLLL...LLLLL"),
        "{report}"
    );
    train("short.csv", "short.json").ok();

    // Names do not change the fit: same coefficients, bit for bit, as with short names; and the
    // model file keeps the full names.
    let long: Value = serde_json::from_str(&dir.read("long.json")).unwrap();
    let short: Value = serde_json::from_str(&dir.read("short.json")).unwrap();
    let features = |m: &Value| m["features"].as_array().unwrap().clone();
    let names: Vec<String> = features(&long)
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        [name.clone(), format!("cat={level}"), "cat=short".into()]
    );
    for (a, b) in features(&long).iter().zip(&features(&short)) {
        assert_eq!(a["coefficient"], b["coefficient"]);
    }

    // summary: text with shortened names, JSON with the full ones.
    let text = dir.run(&["summary", "long.json"]).ok().stdout();
    assert!(
        text.lines().all(|l| l.chars().count() < 250),
        "{text:.2000}"
    );
    let row = text
        .lines()
        .find(|l| l.starts_with("nnn"))
        .expect("a row for the long numeric name");
    assert!(row.contains("...") && row.chars().count() < 250, "{row}");
    let json: Value =
        serde_json::from_str(&dir.run(&["summary", "long.json", "--json"]).ok().stdout()).unwrap();
    let terms: Vec<String> = json["coefficients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(terms, names);

    // eval (text, every section, and JSON) and threshold: they work and agree with the short
    // model (the names play no part in the numbers).
    for args in [
        vec!["--thresholds", "--calibration"],
        vec!["--json", "--thresholds", "--grid", "all"],
    ] {
        let eval = |model: &str, data: &str| {
            let mut a = vec!["eval", model, data];
            a.extend(&args);
            dir.run(&a).ok().stdout()
        };
        assert_eq!(
            eval("long.json", "long.csv"),
            eval("short.json", "short.csv")
        );
    }
    for (model, data, out) in [
        ("long.json", "long.csv", "t_long.json"),
        ("short.json", "short.csv", "t_short.json"),
    ] {
        dir.run(&["threshold", model, data, "--pick", "f1", "-o", out])
            .ok();
    }
    let threshold =
        |f: &str| serde_json::from_str::<Value>(&dir.read(f)).unwrap()["threshold"].clone();
    assert_eq!(threshold("t_long.json"), threshold("t_short.json"));
}

#[test]
fn a_target_and_positive_label_longer_than_65535_characters_do_not_panic() {
    let dir = Dir::new();
    let target = "t".repeat(70_000);
    let yes = "Y".repeat(70_000);
    let mut csv = format!("x,{target}\n");
    for i in 0..30 {
        let label = if (i * 7) % 10 < 5 + i % 3 {
            yes.as_str()
        } else {
            "no"
        };
        csv.push_str(&format!("{},{label}\n", i % 10));
    }
    dir.write("d.csv", csv);
    dir.run(&[
        "train",
        "d.csv",
        "--target",
        &target,
        "--positive",
        &yes,
        "--l2",
        "0.1",
        "-o",
        "m.json",
    ])
    .ok();
    let text = dir.run(&["summary", "m.json"]).ok().stdout();
    assert!(
        text.lines().all(|l| l.chars().count() < 250),
        "{text:.2000}"
    );
    let text = dir
        .run(&["eval", "m.json", "d.csv", "--thresholds"])
        .ok()
        .stdout();
    assert!(
        text.lines().all(|l| l.chars().count() < 250),
        "{text:.2000}"
    );
    let json: Value = serde_json::from_str(
        &dir.run(&["eval", "m.json", "d.csv", "--json"])
            .ok()
            .stdout(),
    )
    .unwrap();
    assert_eq!(json["positive_label"].as_str(), Some(yes.as_str()));
    let json: Value =
        serde_json::from_str(&dir.run(&["summary", "m.json", "--json"]).ok().stdout()).unwrap();
    assert_eq!(json["target"].as_str(), Some(target.as_str()));
    assert_eq!(json["positive_label"].as_str(), Some(yes.as_str()));
}

#[test]
fn tiny_probabilities_keep_the_threshold_table_narrow_and_print_round_trip_thresholds() {
    let dir = Dir::new();
    // Overlapping classes on x in [-3, 3] give a slope near 1; rows at x = -690 then score about
    // -690, a probability near 1e-300, which plain `{}` formatting prints with 300 zeros.
    let mut unif = rng(0x0dd_ba11);
    let mut train = String::from("x,y\n");
    for _ in 0..200 {
        let x = unif() * 6.0 - 3.0;
        let y = u8::from(unif() < 1.0 / (1.0 + (-x).exp()));
        train.push_str(&format!("{x:.3},{y}\n"));
    }
    dir.write("train.csv", train);
    dir.write("tiny.csv", "x,y\n-690,0\n-680,1\n-650,0\n0.5,1\n2,0\n3,1\n");
    dir.run(&["train", "train.csv", "--target", "y", "-o", "m.json", "-q"])
        .ok();
    let probabilities = column_f64(
        &dir.run(&["predict", "m.json", "tiny.csv"]).ok().stdout(),
        "probability",
    );
    assert!(
        probabilities[0] > 0.0 && probabilities[0] < 1e-250,
        "{probabilities:?}"
    );
    let text = dir
        .run(&[
            "eval",
            "m.json",
            "tiny.csv",
            "--thresholds",
            "--grid",
            "all",
        ])
        .ok()
        .stdout();
    assert!(text.lines().all(|l| l.len() < 160), "{text}");
    // Every distinct probability appears as a threshold, exactly (shortest round-trip form).
    let table: Vec<f64> = text
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("threshold  "))
        .skip(1)
        .map_while(|l| l.split_whitespace().next()?.parse::<f64>().ok())
        .collect();
    let mut expected = probabilities.clone();
    expected.sort_by(f64::total_cmp);
    assert_eq!(table, expected);
}

// ---------------------------------------------------------------------------------------------
// Item 3: the threshold grid is bounded
// ---------------------------------------------------------------------------------------------

#[test]
fn threshold_grid_finer_than_the_documented_maximum_is_refused_naming_grid() {
    let dir = Dir::new();
    trained(&dir, "pima", "type", "Yes", "0");
    for grid in ["1e-9", "0.00009", "5e-324"] {
        let run = dir.run(&[
            "eval",
            "m.json",
            "pima_test.csv",
            "--thresholds",
            "--grid",
            grid,
        ]);
        run.expect_code(2)
            .stderr_has(&["--grid", "at most 9999 thresholds", "--grid all"]);
        assert!(run.stdout().is_empty());
    }
    let list = vec!["0.5"; 10_001].join(",");
    dir.run(&[
        "eval",
        "m.json",
        "pima_test.csv",
        "--thresholds",
        "--grid",
        &list,
    ])
    .expect_code(2)
    .stderr_has(&["--grid", "at most 10000 thresholds"]);
}

#[test]
fn the_finest_grid_allowed_counts_every_row_right_at_every_threshold() {
    let dir = Dir::new();
    trained(&dir, "pima", "type", "Yes", "0");
    let probabilities = column_f64(
        &dir.run(&["predict", "m.json", "pima_test.csv"])
            .ok()
            .stdout(),
        "probability",
    );
    let (header, rows) = parse_csv(&String::from_utf8_lossy(&dir.read_bytes("pima_test.csv")));
    let t = header.iter().position(|h| h == "type").unwrap();
    let positive: Vec<bool> = rows.iter().map(|r| r[t] == "Yes").collect();
    let out = dir
        .run(&[
            "eval",
            "m.json",
            "pima_test.csv",
            "--thresholds",
            "--grid",
            "0.0001",
            "--json",
        ])
        .ok()
        .stdout();
    let json: Value = serde_json::from_str(&out).unwrap();
    let table = json["thresholds"].as_array().unwrap();
    assert_eq!(table.len(), 9999);
    for (k, point) in table.iter().enumerate() {
        let threshold = point["threshold"].as_f64().unwrap();
        assert!((threshold - (k + 1) as f64 * 1e-4).abs() < 1e-12, "{point}");
        let count = |want_positive: bool| {
            probabilities
                .iter()
                .zip(&positive)
                .filter(|(&p, &y)| y == want_positive && p >= threshold)
                .count() as u64
        };
        assert_eq!(point["tp"].as_u64(), Some(count(true)), "{point}");
        assert_eq!(point["fp"].as_u64(), Some(count(false)), "{point}");
    }
}

// ---------------------------------------------------------------------------------------------
// Item 18 (last part): linfa's option errors name the flag
// ---------------------------------------------------------------------------------------------

#[test]
fn linfa_with_an_l2_or_tol_whose_sum_over_rows_overflows_names_the_flag() {
    let dir = Dir::new();
    dir.fixture("pima_train.csv");
    let base = [
        "train",
        "pima_train.csv",
        "--target",
        "type",
        "--positive",
        "Yes",
        "-o",
        "m.json",
    ];
    let run = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend(extra);
        dir.run(&args)
    };
    for (extra, flag) in [
        (&["--solver", "linfa", "--l2", "1e308"][..], "--l2"),
        (&["--solver", "linfa", "--tol", "1e308"][..], "--tol"),
        (&["--cross-check", "--l2", "1e308"][..], "--l2"),
    ] {
        let r = run(extra);
        r.expect_code(2)
            .stderr_has(&[&format!("{flag} 1e308 is too large"), "372 rows"]);
        assert!(!r.stderr().contains("alpha"), "{}", r.stderr());
        assert!(!dir.exists("m.json"));
    }
    // The largest value the message offers is accepted: l2 x 372 is finite there.
    let message = run(&["--solver", "linfa", "--l2", "1e308"]).stderr();
    let limit = message
        .split("use --l2 <= ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the message offers a limit");
    let value: f64 = limit.parse().unwrap();
    assert!(
        value * 372.0 < f64::MAX && value > f64::MAX / 372.0 * 0.99,
        "{limit}"
    );
    run(&["--solver", "linfa", "--l2", limit, "-q"]).ok();
}

#[test]
fn an_empty_plot_directory_is_refused_naming_plot_instead_of_writing_into_the_working_directory() {
    let dir = Dir::new();
    trained(&dir, "pima", "type", "Yes", "0");
    let before = dir.listing();
    dir.run(&["eval", "m.json", "pima_test.csv", "--plot", ""])
        .expect_code(2)
        .stderr_has(&["--plot", "empty"]);
    assert_eq!(dir.listing(), before);
}

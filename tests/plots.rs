//! Charts: `eval --plot DIR` (ROC, precision-recall, calibration) and `train --plot FILE.svg`
//! (training curve). Every file must be a well-formed SVG document (parsed with roxmltree), carry
//! its axis labels and legend (AUC / AP / ECE as eval reports them), draw its series, and be
//! written atomically: a failed run leaves no file and no directory behind.

use crate::util::Dir;

/// The parsed chart: its text labels and its polylines (stroke colour, number of points).
struct Svg {
    texts: Vec<String>,
    polylines: Vec<(String, usize)>,
    width: f64,
    height: f64,
}

fn parse_svg(text: &str) -> Svg {
    assert!(
        text.starts_with("<svg"),
        "not an SVG document: {}",
        &text[..text.len().min(80)]
    );
    let doc = roxmltree::Document::parse(text).unwrap_or_else(|e| panic!("malformed SVG: {e}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    let number = |name: &str| {
        root.attribute(name)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let mut texts = Vec::new();
    let mut polylines = Vec::new();
    for node in doc.descendants().filter(|n| n.is_element()) {
        match node.tag_name().name() {
            "text" => texts.push(node.text().unwrap_or_default().trim().to_string()),
            "polyline" => polylines.push((
                node.attribute("stroke").unwrap_or_default().to_string(),
                node.attribute("points")
                    .unwrap_or_default()
                    .split_whitespace()
                    .count(),
            )),
            _ => {}
        }
    }
    Svg {
        texts,
        polylines,
        width: number("width"),
        height: number("height"),
    }
}

impl Svg {
    fn has_text(&self, want: &str) -> bool {
        self.texts.iter().any(|t| t == want)
    }

    fn assert_texts(&self, wants: &[&str]) {
        for want in wants {
            assert!(self.has_text(want), "no text {want:?} in {:?}", self.texts);
        }
    }

    /// The most points of any polyline drawn in `stroke`.
    fn longest(&self, stroke: &str) -> usize {
        self.polylines
            .iter()
            .filter(|(s, _)| s == stroke)
            .map(|(_, n)| *n)
            .max()
            .unwrap_or(0)
    }
}

/// The curves' colour in src/evaluate/plot.rs.
const CURVE: &str = "#1F77B4";

fn pima() -> Dir {
    let dir = Dir::new();
    dir.fixture("pima_train.csv").fixture("pima_test.csv");
    dir.run(&[
        "train",
        "pima_train.csv",
        "--target",
        "type",
        "--l2",
        "0",
        "-o",
        "m.json",
        "-q",
    ])
    .ok();
    dir
}

#[test]
fn eval_plot_writes_three_well_formed_charts_with_legends_and_axes() {
    let dir = pima();
    let run = dir.run(&[
        "eval",
        "m.json",
        "pima_test.csv",
        "--json",
        "--plot",
        "charts",
    ]);
    let metrics: serde_json::Value = serde_json::from_str(&run.ok().stdout()).unwrap();
    let auc = format!("ROC (AUC = {:.3})", metrics["roc_auc"].as_f64().unwrap());
    let ap = format!("PR (AP = {:.3})", metrics["pr_auc"].as_f64().unwrap());
    let ece = format!(
        "model (ECE = {:.3}, 10 bins)",
        metrics["calibration"]["ece"].as_f64().unwrap()
    );
    // The values sklearn reports for this fit (fixtures/pima.expected.json): AUC 0.8515, AP 0.7417.
    assert_eq!(auc, "ROC (AUC = 0.852)");
    assert_eq!(ap, "PR (AP = 0.742)");
    assert_eq!(ece, "model (ECE = 0.081, 10 bins)");
    let mut names = std::fs::read_dir(dir.path().join("charts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect::<Vec<_>>();
    names.sort();
    assert_eq!(
        names,
        ["calibration.svg", "pr.svg", "roc.svg"],
        "no temporary files left"
    );

    let roc = parse_svg(&dir.read("charts/roc.svg"));
    roc.assert_texts(&[
        "ROC curve",
        "False positive rate (1 - specificity)",
        "True positive rate (recall)",
        "0.0",
        "1.0",
        "chance (AUC = 0.5)",
        &auc,
        "threshold 0.5: FPR 0.121, TPR 0.547",
    ]);
    // The curve has a vertex per distinct probability (160) plus the origin.
    assert!(roc.longest(CURVE) >= 150, "{:?}", roc.polylines);
    assert!(roc.width > 0.0 && roc.height > 0.0);

    let pr = parse_svg(&dir.read("charts/pr.svg"));
    pr.assert_texts(&[
        "Precision-recall curve",
        "Recall (true positive rate)",
        "Precision",
        &ap,
        "no skill (base rate 0.331)",
        "threshold 0.5: recall 0.547, precision 0.690",
    ]);
    assert!(pr.longest(CURVE) >= 150);

    let cal = parse_svg(&dir.read("charts/calibration.svg"));
    cal.assert_texts(&[
        "Calibration (reliability diagram)",
        "Mean predicted probability",
        "Observed positive rate",
        "perfectly calibrated",
        "threshold 0.5",
        &ece,
        "Rows",
    ]);
    // One vertex per non-empty bin (all 10 are non-empty here).
    assert_eq!(cal.longest(CURVE), 10);
}

#[test]
fn eval_plot_marks_the_threshold_in_use() {
    let dir = pima();
    dir.run(&[
        "eval",
        "m.json",
        "pima_test.csv",
        "--threshold",
        "0.3",
        "--plot",
        ".",
    ])
    .ok();
    let roc = parse_svg(&dir.read("roc.svg"));
    // At 0.3: tp 45 of 53, fp 26 of 107 (tests/thresholds.rs, GRID_COUNTS).
    roc.assert_texts(&["threshold 0.3: FPR 0.243, TPR 0.849"]);
    parse_svg(&dir.read("calibration.svg")).assert_texts(&["threshold 0.3"]);
}

#[test]
fn eval_plot_refuses_a_file_and_failed_runs_leave_nothing() {
    let dir = pima();
    dir.write("taken", "KEEP");
    dir.run(&["eval", "m.json", "pima_test.csv", "--plot", "taken"])
        .expect_code(2)
        .stderr_has(&["--plot", "taken", "directory"]);
    assert_eq!(dir.read("taken"), "KEEP");
    dir.run(&["eval", "m.json", "pima_test.csv", "--plot", "-"])
        .expect_code(2)
        .stderr_has(&["--plot"]);
    // Bad data: the error wins and no chart directory appears.
    dir.write(
        "bad.csv",
        "npreg,glu,bp,skin,bmi,ped,age,type\n1,2,3,4,5,6,7,Maybe\n",
    );
    let before = dir.listing();
    dir.run(&["eval", "m.json", "bad.csv", "--plot", "charts"])
        .expect_code(2)
        .stderr_has(&["bad.csv", "\"Maybe\""]);
    assert_eq!(dir.listing(), before);
    // An existing chart is replaced only by a complete one.
    std::fs::create_dir(dir.path().join("charts")).unwrap();
    dir.write("charts/roc.svg", "OLD");
    dir.run(&["eval", "m.json", "bad.csv", "--plot", "charts"])
        .expect_code(2);
    assert_eq!(dir.read("charts/roc.svg"), "OLD");
    dir.run(&["eval", "m.json", "pima_test.csv", "--plot", "charts"])
        .ok();
    parse_svg(&dir.read("charts/roc.svg"));
}

#[test]
fn train_plot_writes_the_training_curve() {
    let dir = pima();
    let run = dir.run(&[
        "train",
        "pima_train.csv",
        "--target",
        "type",
        "-o",
        "t.json",
        "--plot",
        "curve.svg",
    ]);
    run.ok()
        .stderr_has(&["training curve written to curve.svg"]);
    let model: serde_json::Value = serde_json::from_str(&dir.read("t.json")).unwrap();
    // The solver's iterations and the Newton steps of the end game, each a point of the curve.
    let iterations = model["fit"]["iterations"].as_u64().unwrap() as usize
        + model["fit"]["newton_steps"].as_u64().unwrap_or(0) as usize;
    let objective = model["fit"]["objective"].as_f64().unwrap();
    let svg = parse_svg(&dir.read("curve.svg"));
    svg.assert_texts(&[
        "Training curve (lbfgs)",
        "Iteration",
        "Objective (penalised mean log loss)",
        "Gradient max-norm (log scale)",
        "gradient max-norm",
        "tolerance 1e-10",
        &format!("objective (final {objective:.6})"),
    ]);
    // One point per step plus the start, for the objective and for the gradient norm.
    assert_eq!(svg.longest(CURVE), iterations + 1, "{:?}", svg.polylines);
    assert_eq!(svg.longest("#FF7F0E"), iterations + 1);
    // Same model as without --plot.
    dir.run(&[
        "train",
        "pima_train.csv",
        "--target",
        "type",
        "-o",
        "u.json",
        "-q",
    ])
    .ok();
    assert_eq!(dir.read("t.json"), dir.read("u.json"));
}

#[test]
fn train_plot_failures_clobber_nothing() {
    let dir = pima();
    dir.write("curve.svg", "OLD");
    let before = dir.listing();
    dir.write("bad.csv", "a,type\n1,Yes\nx,No\n");
    dir.run(&[
        "train",
        "bad.csv",
        "--target",
        "type",
        "-o",
        "new.json",
        "--plot",
        "curve.svg",
    ])
    .expect_code(2)
    .stderr_has(&["bad.csv"]);
    dir.run(&[
        "train",
        "pima_train.csv",
        "--target",
        "type",
        "-o",
        "same.svg",
        "--plot",
        "same.svg",
    ])
    .expect_code(2)
    .stderr_has(&["--plot", "same destination"]);
    dir.run(&[
        "train",
        "pima_train.csv",
        "--target",
        "type",
        "-o",
        "new.json",
        "--plot",
        "pima_train.csv",
    ])
    .expect_code(2)
    .stderr_has(&["same file as input"]);
    dir.run(&[
        "train",
        "pima_train.csv",
        "--target",
        "type",
        "-o",
        "new.json",
        "--plot",
        "nodir/curve.svg",
    ])
    .expect_code(2)
    .stderr_has(&["nodir"]);
    let mut after = dir.listing();
    after.retain(|n| n != "bad.csv");
    assert_eq!(after, before);
    assert_eq!(dir.read("curve.svg"), "OLD");
}

#[test]
fn no_progress_line_when_stderr_is_not_a_terminal() {
    // Tests capture stderr through a pipe: the report only, no carriage returns or spinner.
    let dir = pima();
    let run = dir.run(&[
        "train",
        "pima_train.csv",
        "--target",
        "type",
        "-o",
        "t.json",
        "--solver",
        "gd",
    ]);
    let err = run.ok().stderr();
    assert!(!err.contains('\r') && !err.contains("\u{1b}["), "{err:?}");
    assert!(!err.contains("training (gd)"), "{err}");
    let quiet = dir.run(&[
        "train",
        "pima_train.csv",
        "--target",
        "type",
        "-o",
        "t.json",
        "-q",
    ]);
    assert_eq!(quiet.ok().stderr(), "");
}

//! The eval and training charts are SVG documents with their labels and legends.

use super::*;
use crate::evaluate::threshold::Sweep;

fn fixture() -> (Vec<f64>, Vec<bool>) {
    let z = vec![2.0, 1.0, 0.5, 0.0, -0.5, -1.0, -2.0, 0.7];
    let y = vec![true, true, false, true, false, false, false, true];
    (z, y)
}

#[test]
fn charts_are_svg_documents_with_their_legends() {
    let (z, y) = fixture();
    let sweep = Sweep::new(&z, &y);
    let cuts = sweep.cut_points();
    let op = sweep.at(0.5);
    let roc = roc_svg(&cuts, Some(0.8125), &op).unwrap();
    assert!(roc.starts_with("<svg"), "{}", &roc[..60]);
    assert!(roc.trim_end().ends_with("</svg>"));
    assert!(
        roc.contains("AUC = 0.812") || roc.contains("AUC = 0.813"),
        "{roc}"
    );
    assert!(roc.contains("False positive rate"));
    let pr = pr_svg(&cuts, Some(0.9), Some(0.5), &op).unwrap();
    assert!(pr.contains("AP = 0.900") && pr.contains("base rate 0.500"));
    let cal = crate::evaluate::calibration::reliability(&z, &y, 10);
    let c = calibration_svg(&cal, 0.5).unwrap();
    assert!(c.contains("ECE = ") && c.contains("perfectly calibrated"));
    let history: Vec<Iteration> = (0..5)
        .map(|i| Iteration {
            iteration: i,
            objective: 0.7 - 0.05 * i as f64,
            gradient_norm: 10f64.powi(-(i as i32)),
        })
        .collect();
    let t = training_svg(&history, 1e-10, "lbfgs").unwrap();
    assert!(t.contains("Training curve (lbfgs)") && t.contains("tolerance 1e-10"));
}

#[test]
fn degenerate_inputs_still_draw() {
    // One class, no history, a zero gradient: no panic, still a document.
    let sweep = Sweep::new(&[1.0, 2.0], &[true, true]);
    let cuts = sweep.cut_points();
    assert!(roc_svg(&cuts, None, &sweep.at(0.5))
        .unwrap()
        .contains("AUC = undefined"));
    assert!(training_svg(&[], 1e-8, "gd").unwrap().starts_with("<svg"));
    let flat = [Iteration {
        iteration: 0,
        objective: 0.5,
        gradient_norm: 0.0,
    }];
    assert!(training_svg(&flat, 1e-8, "newton")
        .unwrap()
        .starts_with("<svg"));
}

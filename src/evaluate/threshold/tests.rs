use super::*;

/// The linear score of a probability, `ln(p / (1 - p))`.
fn logit_of(p: f64) -> f64 {
    p.ln() - (-p).ln_1p()
}

fn sweep(probs: &[f64], labels: &[u8]) -> (Vec<f64>, Vec<bool>, Sweep) {
    let z: Vec<f64> = probs.iter().map(|&p| logit_of(p)).collect();
    let y: Vec<bool> = labels.iter().map(|&b| b == 1).collect();
    let s = Sweep::new(&z, &y);
    (z, y, s)
}

#[test]
fn counts_agree_with_metrics_at_every_threshold() {
    let (z, y, s) = sweep(
        &[0.9, 0.8, 0.8, 0.6, 0.4, 0.3, 0.2, 0.1],
        &[1, 1, 0, 1, 0, 1, 0, 0],
    );
    for t in [
        0.0, 0.05, 0.1, 0.2, 0.3, 0.35, 0.5, 0.6, 0.8, 0.85, 0.9, 1.0,
    ] {
        assert_eq!(
            s.counts_at(t),
            ConfusionCounts::at_threshold(&z, &y, t),
            "t = {t}"
        );
    }
    // At each cut point the threshold is a probability of the data and the counts match.
    for p in s.cut_points() {
        assert_eq!(
            p.counts(),
            ConfusionCounts::at_threshold(&z, &y, p.threshold)
        );
    }
}

#[test]
fn cut_points_hand_computed() {
    // p:  0.9 0.8 0.8 0.6 0.4 0.3 0.2 0.1 ; y: 1 1 0 1 0 1 0 0  (P = 4, N = 4)
    let (_, _, s) = sweep(
        &[0.9, 0.8, 0.8, 0.6, 0.4, 0.3, 0.2, 0.1],
        &[1, 1, 0, 1, 0, 1, 0, 0],
    );
    let cuts = s.cut_points();
    let tpfp: Vec<(usize, usize)> = cuts.iter().map(|p| (p.tp, p.fp)).collect();
    // The tie at 0.8 is one cut point.
    assert_eq!(
        tpfp,
        vec![(1, 0), (2, 1), (3, 1), (3, 2), (4, 2), (4, 3), (4, 4)]
    );
    // F1 = 2tp / (2tp + fp + fn): 2/5, 4/7, 6/8, 6/9, 8/10, 8/11, 8/12 -> best 0.8 at p = 0.3.
    let best = s.pick(PickRule::F1).unwrap();
    assert_eq!((best.tp, best.fp), (4, 2));
    assert!((best.threshold - 0.3).abs() < 1e-15);
    assert_eq!(best.f1, Some(0.8));
    // J = tp/4 - fp/4: 1/4, 1/4, 2/4, 1/4, 2/4, 1/4, 0 -> best 1/2, tie between p = 0.6 and
    // p = 0.3: the higher threshold wins.
    let j = s.pick(PickRule::Youden).unwrap();
    assert_eq!((j.tp, j.fp), (3, 1));
    assert!((j.threshold - 0.6).abs() < 1e-15);
    assert_eq!(j.youden_j, Some(0.5));
    // precision >= 0.7: precisions 1, 2/3, 3/4, 3/5, 4/6, 4/7, 1/2 -> eligible 1 (recall 1/4)
    // and 3/4 (recall 3/4) -> threshold 0.6.
    let pp = s.pick(PickRule::MinPrecision(0.7)).unwrap();
    assert_eq!((pp.tp, pp.fp), (3, 1));
    // recall >= 0.9: only tp = 4: precisions 4/6, 4/7, 4/8 -> 4/6 at p = 0.3.
    let rr = s.pick(PickRule::MinRecall(0.9)).unwrap();
    assert_eq!((rr.tp, rr.fp), (4, 2));
    // precision >= 1 is met at the top; recall >= 0 by the best-precision point, the top.
    assert_eq!(s.pick(PickRule::MinPrecision(1.0)).unwrap().tp, 1);
    assert_eq!(s.pick(PickRule::MinRecall(0.0)).unwrap().tp, 1);
}

#[test]
fn equal_recall_prefers_higher_precision() {
    // p: 0.9(+) 0.7(-) 0.5(-) ; precision >= 0.3: cuts (1,0) P=1, (1,1) P=1/2, (1,2) P=1/3;
    // all have recall 1, so the highest precision, threshold 0.9, is chosen.
    let (_, _, s) = sweep(&[0.9, 0.7, 0.5], &[1, 0, 0]);
    let p = s.pick(PickRule::MinPrecision(0.3)).unwrap();
    assert_eq!((p.tp, p.fp), (1, 0));
    assert!((p.threshold - 0.9).abs() < 1e-15);
}

#[test]
fn unsatisfiable_and_undefined_rules_say_why() {
    let (_, _, s) = sweep(&[0.9, 0.8, 0.3], &[0, 1, 0]);
    let e = s.pick(PickRule::MinPrecision(0.9)).unwrap_err().to_string();
    assert!(e.contains("no threshold reaches precision >= 0.9"), "{e}");
    assert!(e.contains("highest precision is 0.5"), "{e}");
    let (_, _, neg) = sweep(&[0.9, 0.3], &[0, 0]);
    for rule in [PickRule::F1, PickRule::Youden, PickRule::MinRecall(0.5)] {
        let e = neg.pick(rule).unwrap_err().to_string();
        assert!(e.contains("no positive rows"), "{e}");
    }
    let (_, _, pos) = sweep(&[0.9, 0.3], &[1, 1]);
    assert!(pos
        .pick(PickRule::Youden)
        .unwrap_err()
        .to_string()
        .contains("no negative rows"));
    // F1 is defined with positives only: everything positive gives F1 = 1.
    assert_eq!(pos.pick(PickRule::F1).unwrap().f1, Some(1.0));
}

#[test]
fn rules_parse_and_print() {
    assert_eq!("f1".parse(), Ok(PickRule::F1));
    assert_eq!("Youden".parse(), Ok(PickRule::Youden));
    assert_eq!("precision>=0.8".parse(), Ok(PickRule::MinPrecision(0.8)));
    assert_eq!(" recall >= 0.95 ".parse(), Ok(PickRule::MinRecall(0.95)));
    assert!("precision>=1.5"
        .parse::<PickRule>()
        .unwrap_err()
        .contains("[0, 1]"));
    assert!("precision>0.5"
        .parse::<PickRule>()
        .unwrap_err()
        .contains("unknown rule"));
    assert!("accuracy>=0.5".parse::<PickRule>().is_err());
    assert!("recall>=abc".parse::<PickRule>().is_err());
    assert_eq!(PickRule::MinPrecision(0.8).to_string(), "precision>=0.8");
}

#[test]
fn grids_parse_and_expand() {
    let g: Grid = "0.05".parse().unwrap();
    let ts = g.thresholds().unwrap();
    assert_eq!(ts.len(), 19);
    assert_eq!((ts[0], ts[2], ts[18]), (0.05, 0.15, 0.95));
    assert_eq!(Grid::default(), g);
    assert_eq!(
        "0.25".parse::<Grid>().unwrap().thresholds().unwrap(),
        vec![0.25, 0.5, 0.75]
    );
    assert_eq!(
        "0.8, 0.2,0.2".parse::<Grid>(),
        Ok(Grid::List(vec![0.2, 0.8]))
    );
    assert_eq!("ALL".parse::<Grid>(), Ok(Grid::All));
    assert!("0".parse::<Grid>().is_err());
    // The finest step allowed gives MAX_GRID_POINTS - 1 thresholds; finer ones are refused.
    let finest = "0.0001".parse::<Grid>().unwrap().thresholds().unwrap();
    assert_eq!(finest.len(), MAX_GRID_POINTS - 1);
    assert_eq!((finest[0], finest[9998]), (0.0001, 0.9999));
    for bad in ["1e-9", "0.00009", "5e-324", "-0.1"] {
        let e = bad.parse::<Grid>().unwrap_err();
        assert!(
            e.contains("at most 9999 thresholds") && e.contains("--grid all"),
            "{e}"
        );
    }
    let many = vec!["0.5"; MAX_GRID_POINTS + 1].join(",");
    assert!(many.parse::<Grid>().unwrap_err().contains("at most 10000"));
    assert!("0.7".parse::<Grid>().is_err());
    assert!("0.2,1.2".parse::<Grid>().is_err());
    assert!("0.2,x".parse::<Grid>().is_err());
}

#[test]
fn saturated_probabilities_share_a_cut_point() {
    // sigmoid(40) == sigmoid(50) == 1.0: one cut point, as predict cannot separate them.
    let s = Sweep::new(&[40.0, 50.0, -1.0], &[false, true, false]);
    let cuts = s.cut_points();
    assert_eq!(cuts.len(), 2);
    assert_eq!((cuts[0].threshold, cuts[0].tp, cuts[0].fp), (1.0, 1, 1));
}

#[test]
fn exhaustive_small_cases_match_brute_force() {
    // Every labelling of 6 rows with probabilities having ties: the chosen point must be
    // optimal against a brute force over a fine grid plus the data's probabilities.
    let probs = [0.15, 0.3, 0.3, 0.55, 0.7, 0.9];
    for mask in 0u32..64 {
        let labels: Vec<u8> = (0..6).map(|i| ((mask >> i) & 1) as u8).collect();
        let (z, y, s) = sweep(&probs, &labels);
        let mut thresholds: Vec<f64> = (0..=100).map(|k| f64::from(k) / 100.0).collect();
        thresholds.extend(s.cut_points().iter().map(|p| p.threshold));
        let all: Vec<ThresholdPoint> = thresholds
            .iter()
            .map(|&t| ThresholdPoint::new(t, ConfusionCounts::at_threshold(&z, &y, t)))
            .collect();
        let max_of = |f: &dyn Fn(&ThresholdPoint) -> Option<f64>| {
            all.iter().filter_map(f).fold(f64::NEG_INFINITY, f64::max)
        };
        if let Ok(p) = s.pick(PickRule::F1) {
            assert!(
                (p.f1.unwrap() - max_of(&|q| q.f1)).abs() < 1e-12,
                "mask {mask}"
            );
        }
        if let Ok(p) = s.pick(PickRule::Youden) {
            assert!(
                (p.youden_j.unwrap() - max_of(&|q| q.youden_j)).abs() < 1e-12,
                "mask {mask}"
            );
        }
        if let Ok(p) = s.pick(PickRule::MinPrecision(0.6)) {
            let best = max_of(&|q| q.precision.filter(|&v| v >= 0.6).and(q.recall));
            assert!((p.recall.unwrap() - best).abs() < 1e-12, "mask {mask}");
        }
        if let Ok(p) = s.pick(PickRule::MinRecall(0.5)) {
            let best = max_of(&|q| q.recall.filter(|&v| v >= 0.5).and(q.precision));
            assert!((p.precision.unwrap() - best).abs() < 1e-12, "mask {mask}");
        }
    }
}

//! The binary metrics against scikit-learn's values on the shared reference fits.

use super::*;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

fn assert_close(got: Option<f64>, want: f64, tol: f64, what: &str) {
    match got {
        Some(g) => assert!(close(g, want, tol), "{what}: got {g:e}, want {want:e}"),
        None => panic!("{what}: undefined, want {want}"),
    }
}

fn labels(bits: &[u8]) -> Vec<bool> {
    bits.iter().map(|&b| b == 1).collect()
}

/// The linear score of a probability, `ln(p / (1 - p))`, written so `1 - p` is not rounded.
fn logit_of(p: f64) -> f64 {
    p.ln() - (-p).ln_1p()
}

// ---- golden values from scikit-learn ----------------------------------------------------

/// The `test_metrics` object of a fit in `../shared/reference/<case>.expected.json`.
struct Golden {
    accuracy: f64,
    precision: f64,
    recall: f64,
    f1: f64,
    specificity: f64,
    balanced_accuracy: f64,
    roc_auc: f64,
    pr_auc: f64,
    log_loss: f64,
    brier: f64,
    n: usize,
    tp: usize,
    fp: usize,
    tn: usize,
    fn_: usize,
    threshold: f64,
}

/// Evaluates the reference probabilities (as scores `ln(p/(1-p))`) and returns the largest
/// absolute difference from the reference metrics; counts must match exactly.
fn check_golden(probs: &[f64], label_bits: &[u8], want: &Golden, what: &str) -> f64 {
    let z: Vec<f64> = probs.iter().map(|&p| logit_of(p)).collect();
    let y = labels(label_bits);
    let m = evaluate(&z, &y, want.threshold);
    assert_eq!(
        (
            m.n,
            m.tp as usize,
            m.fp as usize,
            m.tn as usize,
            m.fn_ as usize
        ),
        (want.n, want.tp, want.fp, want.tn, want.fn_),
        "{what}"
    );
    let pairs = [
        (m.accuracy, want.accuracy, "accuracy"),
        (m.precision, want.precision, "precision"),
        (m.recall, want.recall, "recall"),
        (m.f1, want.f1, "f1"),
        (m.specificity, want.specificity, "specificity"),
        (
            m.balanced_accuracy,
            want.balanced_accuracy,
            "balanced_accuracy",
        ),
        (m.roc_auc, want.roc_auc, "roc_auc"),
        (m.pr_auc, want.pr_auc, "pr_auc"),
        (m.log_loss, want.log_loss, "log_loss"),
        (m.brier, want.brier, "brier"),
    ];
    let mut worst = 0.0f64;
    for (got, want, name) in pairs {
        assert_close(got, want, 1e-9, &format!("{what} {name}"));
        worst = worst.max((got.unwrap_or(f64::NAN) - want).abs());
    }
    worst
}

#[test]
fn golden_spector() {
    let mut worst = 0.0f64;
    worst = worst.max(check_golden(
        &SPECTOR_L0_PROBS,
        &SPECTOR_LABELS,
        &SPECTOR_L0_METRICS,
        "spector l2=0",
    ));
    worst = worst.max(check_golden(
        &SPECTOR_L1E_2_PROBS,
        &SPECTOR_LABELS,
        &SPECTOR_L1E_2_METRICS,
        "spector l2=0.01",
    ));
    worst = worst.max(check_golden(
        &SPECTOR_L1E_4_PROBS,
        &SPECTOR_LABELS,
        &SPECTOR_L1E_4_METRICS,
        "spector l2=1e-4",
    ));
    eprintln!("spector: max |metric - sklearn| = {worst:e}");
}

#[test]
fn golden_pima() {
    let mut worst = 0.0f64;
    worst = worst.max(check_golden(
        &PIMA_L0_PROBS,
        &PIMA_LABELS,
        &PIMA_L0_METRICS,
        "pima l2=0",
    ));
    worst = worst.max(check_golden(
        &PIMA_L1E_4_PROBS,
        &PIMA_LABELS,
        &PIMA_L1E_4_METRICS,
        "pima l2=1e-4",
    ));
    eprintln!("pima: max |metric - sklearn| = {worst:e}");
}

/// Every fit of every `../shared/reference/*.expected.json`, when that folder exists next to
/// the repository (it does in the project workspace, not in a plain clone: then this is a
/// no-op and the constants above carry the check).
#[test]
fn golden_all_reference_files_when_present() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("skipped: no {}", dir.display());
        return;
    };
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".expected.json"))
        .collect();
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let d: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let positive = d["positive"].as_str().unwrap_or_default();
        let bits: Vec<u8> = d["test_labels"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|l| u8::from(l.as_str() == Some(positive)))
                    .collect()
            })
            .unwrap_or_default();
        let fits = d["fits"].as_array().cloned().unwrap_or_default();
        assert!(!bits.is_empty() && !fits.is_empty(), "{}", path.display());
        let mut worst = 0.0f64;
        for fit in &fits {
            let probs: Vec<f64> = fit["test_probabilities"]
                .as_array()
                .map(|a| a.iter().filter_map(|v| v.as_f64()).collect())
                .unwrap_or_default();
            let m = &fit["test_metrics"];
            let f = |k: &str| m[k].as_f64().unwrap_or(f64::NAN);
            let u = |k: &str| m[k].as_u64().unwrap_or(u64::MAX) as usize;
            let want = Golden {
                accuracy: f("accuracy"),
                precision: f("precision"),
                recall: f("recall"),
                f1: f("f1"),
                specificity: f("specificity"),
                balanced_accuracy: f("balanced_accuracy"),
                roc_auc: f("roc_auc"),
                pr_auc: f("pr_auc"),
                log_loss: f("log_loss"),
                brier: f("brier"),
                n: u("n"),
                tp: u("tp"),
                fp: u("fp"),
                tn: u("tn"),
                fn_: u("fn"),
                threshold: f("threshold"),
            };
            let what = format!("{} lambda={}", path.display(), fit["lambda"]);
            worst = worst.max(check_golden(&probs, &bits, &want, &what));
        }
        eprintln!(
            "{}: {} fits, max |metric - sklearn| = {worst:e}",
            path.display(),
            fits.len()
        );
    }
}

/// `test_labels` of `spector.expected.json` as 1 = positive ("1"), 0 = negative.
#[rustfmt::skip]
const SPECTOR_LABELS: [u8; 10] = [
    1, 0, 1, 0, 1, 0, 0, 0, 0, 0,
];
/// `fits[0].test_probabilities` (lambda = 0.0) of `spector.expected.json`.
#[rustfmt::skip]
const SPECTOR_L0_PROBS: [f64; 10] = [
    0.6893144020133677, 0.2804053304420529, 0.24281368803622122,
    0.0826083515469087, 0.7975345800769544, 0.06654985863743862,
    0.7386671115996754, 0.10017205651620965, 0.4981395861236716,
    0.78101724888792,
];
/// `fits[0].test_metrics` (lambda = 0.0) of `spector.expected.json` (scikit-learn 1.9.1).
const SPECTOR_L0_METRICS: Golden = Golden {
    accuracy: 0.7,
    precision: 0.5,
    recall: 0.6666666666666666,
    f1: 0.5714285714285714,
    specificity: 0.7142857142857143,
    balanced_accuracy: 0.6904761904761905,
    roc_auc: 0.7142857142857143,
    pr_auc: 0.6428571428571428,
    log_loss: 0.6153611968535642,
    brier: 0.2214523603846125,
    n: 10,
    tp: 2,
    fp: 2,
    tn: 5,
    fn_: 1,
    threshold: 0.5,
};
/// `fits[1].test_probabilities` (lambda = 0.01) of `spector.expected.json`.
#[rustfmt::skip]
const SPECTOR_L1E_2_PROBS: [f64; 10] = [
    0.6736016339366306, 0.2944356849768775, 0.2595325674856721,
    0.09345534842885754, 0.7801616364843308, 0.0775153272562067,
    0.7140334973913356, 0.10964618906996398, 0.49703250916723896,
    0.7455808969263827,
];
/// `fits[1].test_metrics` (lambda = 0.01) of `spector.expected.json` (scikit-learn 1.9.1).
const SPECTOR_L1E_2_METRICS: Golden = Golden {
    accuracy: 0.7,
    precision: 0.5,
    recall: 0.6666666666666666,
    f1: 0.5714285714285714,
    specificity: 0.7142857142857143,
    balanced_accuracy: 0.6904761904761905,
    roc_auc: 0.7142857142857143,
    pr_auc: 0.6428571428571428,
    log_loss: 0.5943819543559001,
    brier: 0.21293900299589447,
    n: 10,
    tp: 2,
    fp: 2,
    tn: 5,
    fn_: 1,
    threshold: 0.5,
};
/// `fits[2].test_probabilities` (lambda = 0.0001) of `spector.expected.json`.
#[rustfmt::skip]
const SPECTOR_L1E_4_PROBS: [f64; 10] = [
    0.6891400631660036, 0.2805765679073046, 0.2430071113692324,
    0.08272696342369906, 0.7973436496621354, 0.06666881369466073,
    0.7383886116668655, 0.10027565772792979, 0.49813699506098463,
    0.7806185956278973,
];
/// `fits[2].test_metrics` (lambda = 0.0001) of `spector.expected.json` (scikit-learn 1.9.1).
const SPECTOR_L1E_4_METRICS: Golden = Golden {
    accuracy: 0.7,
    precision: 0.5,
    recall: 0.6666666666666666,
    f1: 0.5714285714285714,
    specificity: 0.7142857142857143,
    balanced_accuracy: 0.6904761904761905,
    roc_auc: 0.7142857142857143,
    pr_auc: 0.6428571428571428,
    log_loss: 0.6151028841293448,
    brier: 0.2213532228814203,
    n: 10,
    tp: 2,
    fp: 2,
    tn: 5,
    fn_: 1,
    threshold: 0.5,
};
/// `test_labels` of `pima.expected.json` as 1 = positive ("Yes"), 0 = negative.
#[rustfmt::skip]
const PIMA_LABELS: [u8; 160] = [
    0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 1, 1, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0,
    1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1,
    0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1, 1,
    0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0,
    1, 0, 1, 1, 0, 0, 0, 0, 1, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 0,
    0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1,
    1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];
/// `fits[0].test_probabilities` (lambda = 0.0) of `pima.expected.json`.
#[rustfmt::skip]
const PIMA_L0_PROBS: [f64; 160] = [
    0.18813838011495335, 0.8513434345909809, 0.41090807883871006,
    0.22787172986502668, 0.3013334441215326, 0.12517035700959322,
    0.0885748498299491, 0.06902816322130113, 0.13223706328714446,
    0.27847251929505973, 0.28892100377058555, 0.19176269658750644,
    0.030096589741823904, 0.32338634625190954, 0.6627822074442863,
    0.0697252797000462, 0.302177026062474, 0.31636444356611754,
    0.03746884545242314, 0.1684791121398376, 0.5274784953168776,
    0.21015398147240577, 0.5892987559157953, 0.12276483238809506,
    0.7181183500037241, 0.173615643649385, 0.5356589296431478,
    0.43805313896693643, 0.3098019764723988, 0.0787487952004458,
    0.9650187617924202, 0.014567832884540706, 0.36303384515665554,
    0.24337717835041317, 0.052688756286471496, 0.022229887851323488,
    0.6492974141510354, 0.29713682266830016, 0.3798935136739653,
    0.588178601200933, 0.05575687791531807, 0.030046511053106125,
    0.5376247295193484, 0.5336042909953697, 0.2794863935931225,
    0.7172549729112198, 0.7232103873076207, 0.38531853137435673,
    0.5511507140935431, 0.11597632988123066, 0.42158875574556187,
    0.03414548486726632, 0.1241802227405071, 0.0676384689218384,
    0.15670031760658773, 0.11381064134028433, 0.022072621961438447,
    0.3467796427213517, 0.38908448754425357, 0.7012396349667669,
    0.014404276211103888, 0.03554124318587314, 0.5060366840165128,
    0.7387337401020692, 0.19778485167263238, 0.1601190357479748,
    0.2984274765284097, 0.20253115617572676, 0.18997984746435428,
    0.7823015753062277, 0.03315894846532061, 0.5069392346923377,
    0.11587356152620529, 0.784077013964514, 0.47753913343091575,
    0.03721714290118514, 0.2030176167671776, 0.022332060334693062,
    0.4558223730259932, 0.09820095393640992, 0.13059691383257413,
    0.9207125027403387, 0.5935650008224537, 0.17418337148978538,
    0.11925103278015572, 0.09466512457343515, 0.17032737125260894,
    0.17657461025708407, 0.4588146124427422, 0.06653437072354319,
    0.5861077660809791, 0.09501522604099223, 0.8676628878135428,
    0.04418777136999346, 0.57018000589054, 0.30514372484581953,
    0.1338477168878968, 0.8508551379479343, 0.1905691222012417,
    0.27296258329814965, 0.31557724210376936, 0.7061814718979875,
    0.13496947693783326, 0.9676677665574752, 0.03870520858790881,
    0.125687388412793, 0.1088074078104399, 0.2773349594833101,
    0.31769210061780295, 0.34694891428227514, 0.42771295539881893,
    0.4631734738897388, 0.5693513108215744, 0.19006713674576484,
    0.8459837742341975, 0.7431912272013883, 0.19258880589334818,
    0.946187995614743, 0.3846826490667166, 0.03835091686059707,
    0.13917460827127393, 0.938853129762543, 0.7816923552510597,
    0.4631703546409714, 0.7753939942577676, 0.6277125312565126,
    0.19924361706268903, 0.23421075679260925, 0.5117400760215154,
    0.17313856734131386, 0.23369023164555414, 0.7452819181573221,
    0.3583497026097869, 0.732045126357986, 0.05476777687488455,
    0.057765436208611014, 0.306826591373482, 0.34941374106799916,
    0.0845627517869686, 0.9340348954033323, 0.8443400404106213,
    0.15271400943628313, 0.06848515687400253, 0.05598766546149759,
    0.07067875292886598, 0.3892155748129734, 0.547890519287907,
    0.1350219979507823, 0.08866284920795978, 0.4574560319721758,
    0.06280865086943122, 0.08881521938183, 0.05433557202674502,
    0.039906728019900556, 0.026331869014941986, 0.031454259721005906,
    0.1278947287399022, 0.0913913214711718, 0.028606487403427815,
    0.17527879305303457,
];
/// `fits[0].test_metrics` (lambda = 0.0) of `pima.expected.json` (scikit-learn 1.9.1).
const PIMA_L0_METRICS: Golden = Golden {
    accuracy: 0.76875,
    precision: 0.6904761904761905,
    recall: 0.5471698113207547,
    f1: 0.6105263157894737,
    specificity: 0.8785046728971962,
    balanced_accuracy: 0.7128372421089755,
    roc_auc: 0.8515253041791572,
    pr_auc: 0.7416982978664952,
    log_loss: 0.44757094219883964,
    brier: 0.14485758181015446,
    n: 160,
    tp: 29,
    fp: 13,
    tn: 94,
    fn_: 24,
    threshold: 0.5,
};
/// `fits[2].test_probabilities` (lambda = 0.0001) of `pima.expected.json`.
#[rustfmt::skip]
const PIMA_L1E_4_PROBS: [f64; 160] = [
    0.1882913114706014, 0.8511207618745351, 0.41085520344567056,
    0.22786419589274454, 0.30150753508891937, 0.1253247812974869,
    0.08857434205758376, 0.06911804064431804, 0.13239851923108836,
    0.27873121542969953, 0.28904136227236926, 0.1917725047850585,
    0.030150276917091306, 0.32351392311324056, 0.6628158864300143,
    0.06983539799737278, 0.3022078535289948, 0.3164947961844385,
    0.03755564528688395, 0.16857443036778455, 0.5272495810763372,
    0.21022859724340195, 0.589185723250478, 0.1228433698867628,
    0.7177861270225253, 0.17380495726085163, 0.5354805800383124,
    0.4382541134646466, 0.3099001474987491, 0.07892879477502268,
    0.9649038422502, 0.014605693635457802, 0.36333609209060397,
    0.24337591854590296, 0.05274901791634999, 0.02229352802395974,
    0.6491123144989869, 0.2972285398380297, 0.3798021293405975,
    0.5881298883484036, 0.05586821530580483, 0.030114700713309482,
    0.5375400696767036, 0.5334216633368616, 0.27952038034873594,
    0.7170142254983338, 0.7230694933274676, 0.3850286303199095,
    0.5509454446096977, 0.11610766719446589, 0.4215951968392506,
    0.03423818897184081, 0.12431381247655436, 0.06775107950832072,
    0.15677146798051286, 0.11394989119893263, 0.02214257307940482,
    0.3468882603398557, 0.38906903145417066, 0.7011147891232296,
    0.014436978977405849, 0.03563016951590061, 0.5061820145711536,
    0.7386219548638863, 0.19790873923338867, 0.1602337497803643,
    0.29825967761128647, 0.20267383938358918, 0.19001141167519212,
    0.7820655968255839, 0.033236809401122364, 0.5068724921937471,
    0.11590609820082871, 0.7837303001484416, 0.47738326800566777,
    0.037304719908671784, 0.2033082806120753, 0.022389201932214733,
    0.4556101216979112, 0.09836358034255577, 0.13066562578539379,
    0.9204892091556048, 0.5933313280766163, 0.174237659476826,
    0.11929959464395444, 0.0948042637192533, 0.1702774048595368,
    0.1767972012375317, 0.4588003520179308, 0.06659629412359006,
    0.5859874776223469, 0.09513835270676871, 0.8674767013825144,
    0.044253817491935674, 0.5700964432831427, 0.30512986458229635,
    0.13399390299075764, 0.8506262701868833, 0.19071268616626375,
    0.2731068738085255, 0.3155849071875831, 0.705953359825163,
    0.1351448778481099, 0.9675517386149973, 0.03878183814528914,
    0.1258983778220445, 0.10891839956084044, 0.2774997364644353,
    0.3176495900199846, 0.3473234060921848, 0.42773762409656757,
    0.4630088875268429, 0.5692536074065787, 0.19016544054861648,
    0.845708785913055, 0.7430856563779785, 0.19272053686153692,
    0.9460436513271331, 0.3848437911976182, 0.03847196510112236,
    0.1393379949133713, 0.9387198353215621, 0.7814502981944917,
    0.46305147878636466, 0.7751311420832003, 0.6276830499704775,
    0.19938925684659004, 0.23436264181012811, 0.5116170434248851,
    0.17322648587400172, 0.2337346542197463, 0.7451378011688712,
    0.35839056556493853, 0.7317344638241225, 0.05485618694400652,
    0.0578706892046063, 0.3068127318245965, 0.3494715497885408,
    0.08464811807245705, 0.9338136883227494, 0.844110910568206,
    0.15286398114765246, 0.0685782790901364, 0.05605783415823763,
    0.07078314630466871, 0.3890802117505742, 0.5476274279179703,
    0.135145064334871, 0.08877296619951358, 0.4575303902423106,
    0.0629055452603951, 0.08894002731475974, 0.05442012832723754,
    0.039981414169710856, 0.026404039222863263, 0.031518381945901466,
    0.12807387312211055, 0.0914356467207289, 0.028677992362115153,
    0.17548553645510973,
];
/// `fits[2].test_metrics` (lambda = 0.0001) of `pima.expected.json` (scikit-learn 1.9.1).
const PIMA_L1E_4_METRICS: Golden = Golden {
    accuracy: 0.76875,
    precision: 0.6904761904761905,
    recall: 0.5471698113207547,
    f1: 0.6105263157894737,
    specificity: 0.8785046728971962,
    balanced_accuracy: 0.7128372421089755,
    roc_auc: 0.8515253041791572,
    pr_auc: 0.7416982978664952,
    log_loss: 0.44757217977385644,
    brier: 0.14486158020431872,
    n: 160,
    tp: 29,
    fp: 13,
    tn: 94,
    fn_: 24,
    threshold: 0.5,
};

/// The weighted binary cases of `../shared/reference/multi/` (`pima_w`, `esoph`): the
/// reference test probabilities (as scores) and eval weights through [`evaluate_weighted`]
/// against scikit-learn's `sample_weight` metrics, at the runner's tolerances (counts 1e-9
/// relative, rates 1e-6, ROC/PR AUC, log loss and Brier 1e-5; here much tighter).
#[test]
fn golden_weighted_reference_files_when_present() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/multi");
    let mut checked = 0;
    for case in ["pima_w", "esoph"] {
        let Ok(text) = std::fs::read_to_string(dir.join(format!("{case}.expected.json"))) else {
            eprintln!("skipped: no {case} in {}", dir.display());
            continue;
        };
        let d: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let positive = d["positive"].as_str().unwrap_or_default();
        let y: Vec<bool> = d["test_labels"]
            .as_array()
            .map(|a| a.iter().map(|l| l.as_str() == Some(positive)).collect())
            .unwrap_or_default();
        let w: Vec<f64> = d["test_eval_weights"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_f64()).collect())
            .unwrap_or_default();
        assert_eq!(y.len(), w.len(), "{case}");
        assert!(!y.is_empty(), "{case}");
        for fit in d["fits"].as_array().cloned().unwrap_or_default() {
            let z: Vec<f64> = fit["test_probabilities"]
                .as_array()
                .map(|a| a.iter().filter_map(|v| v.as_f64()).map(logit_of).collect())
                .unwrap_or_default();
            let want = &fit["test_metrics"];
            let m = evaluate_weighted(&z, &y, Some(&w), want["threshold"].as_f64().unwrap_or(0.5));
            let what = format!("{case} l2={}", fit["lambda"]);
            assert_eq!(m.n, y.len(), "{what}");
            let sum: f64 = w.iter().sum();
            assert!(
                (m.weight_sum.unwrap_or(f64::NAN) - sum).abs() <= 1e-9 * sum,
                "{what}"
            );
            for name in METRIC_NAMES {
                if *name == "n" {
                    continue;
                }
                let r = want[*name].as_f64().unwrap_or(f64::NAN);
                let got = m.value(name).flatten().unwrap_or(f64::NAN);
                let tol = 1e-9 * r.abs().max(1.0);
                assert!((got - r).abs() <= tol, "{what} {name}: got {got}, want {r}");
            }
            checked += 1;
        }
    }
    eprintln!("checked {checked} weighted fits");
}

/// Integer weights equal duplicated rows: every weighted metric of (z, y, w) equals the
/// unweighted metric of the rows repeated w times.
#[test]
fn integer_weights_equal_duplicated_rows() {
    let z = [2.0, 1.5, 1.5, 0.3, -0.2, -0.2, -1.0, -2.5, 0.0];
    let y = labels(&[1, 0, 1, 1, 0, 1, 0, 0, 1]);
    let w = [1.0, 3.0, 0.0, 2.0, 1.0, 4.0, 2.0, 1.0, 2.0];
    let (mut zd, mut yd) = (Vec::new(), Vec::new());
    for i in 0..z.len() {
        for _ in 0..w[i] as usize {
            zd.push(z[i]);
            yd.push(y[i]);
        }
    }
    let a = evaluate_weighted(&z, &y, Some(&w), 0.5);
    let b = evaluate(&zd, &yd, 0.5);
    assert_eq!(a.n, z.len());
    assert_eq!(a.weight_sum, Some(zd.len() as f64));
    for name in METRIC_NAMES {
        if *name == "n" {
            continue;
        }
        let (ga, gb) = (a.value(name).flatten(), b.value(name).flatten());
        assert!(
            matches!((ga, gb), (Some(x), Some(y)) if (x - y).abs() <= 1e-14),
            "{name}: weighted {ga:?}, duplicated {gb:?}"
        );
    }
}

/// With every weight 1 the weighted path gives the unweighted values (to rounding) and the
/// unweighted JSON has no `weight_sum`.
#[test]
fn unit_weights_match_unweighted() {
    let z = [3.0, 2.0, 1.0, -1.0, -2.0, -3.0, 1.0];
    let y = labels(&[1, 0, 1, 0, 1, 0, 0]);
    let a = evaluate_weighted(&z, &y, Some(&[1.0; 7]), 0.5);
    let b = evaluate(&z, &y, 0.5);
    for name in METRIC_NAMES {
        let (x, y) = (a.value(name).flatten(), b.value(name).flatten());
        assert!(
            matches!((x, y), (Some(x), Some(y)) if (x - y).abs() <= 1e-15),
            "{name}"
        );
    }
    let json = serde_json::to_value(&b).unwrap_or_default();
    assert!(json.get("weight_sum").is_none());
    assert_eq!(json["tp"], serde_json::json!(2));
    let json = serde_json::to_value(&a).unwrap_or_default();
    assert_eq!(json["weight_sum"], serde_json::json!(7.0));
}

/// Weighted ROC AUC and AP against sklearn's curve algorithms written out directly
/// (trapezoid over the weighted ROC points; step-wise AP over weighted precision/recall).
#[test]
fn weighted_ranking_matches_curve_definitions() {
    let z = [0.9, 0.8, 0.8, 0.5, 0.5, 0.5, 0.1, -0.3, -0.3, -1.0];
    let y = labels(&[1, 0, 1, 1, 0, 0, 1, 0, 0, 1]);
    let w = [0.5, 2.0, 1.5, 0.25, 3.0, 1.0, 2.0, 0.75, 1.25, 1.0];
    let mut t: Vec<f64> = z.to_vec();
    t.sort_by(|a, b| b.total_cmp(a));
    t.dedup();
    let wsum = |pos: bool, th: f64| -> f64 {
        (0..z.len())
            .filter(|&i| y[i] == pos && z[i] >= th)
            .map(|i| w[i])
            .sum()
    };
    let (p, n) = (
        wsum(true, f64::NEG_INFINITY),
        wsum(false, f64::NEG_INFINITY),
    );
    let (mut area, mut f0, mut t0, mut ap, mut r0) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &th in &t {
        let (tp, fp) = (wsum(true, th), wsum(false, th));
        area += (fp / n - f0) * (tp / p + t0) / 2.0;
        (f0, t0) = (fp / n, tp / p);
        ap += (tp / p - r0) * (tp / (tp + fp));
        r0 = tp / p;
    }
    assert_close(weighted_roc_auc(&z, &y, &w), area, 1e-15, "roc_auc");
    assert_close(weighted_average_precision(&z, &y, &w), ap, 1e-15, "pr_auc");
}

//! Reference data and expected optima for the solver tests (compiled only for tests).
//!
//! The training splits and the reference optima come from the project's shared reference set
//! (`../shared/reference/<name>_train.csv` and `<name>.expected.json`, `fits[*]`:
//! `coefficients_standardized`, `intercept_standardized`, `objective`). The optima were computed
//! by scikit-learn polished with exact Newton steps to a gradient below 5e-15 and checked against
//! statsmodels; they are in the standardised scale (training mean, population std), which is
//! the scale our solvers work in. spector is embedded below, pima and breast_cancer are read from
//! `fixtures/` (copies of the shared reference files, see its README).

use ndarray::{Array1, Array2};

use super::{fit, FitOptions, SolverKind};
use crate::fit::numerics::sigmoid;
use crate::fit::objective::Objective;

/// spector_train.csv (Spector & Mazzeo 1980, via statsmodels), target GRADE, positive "1".
pub const SPECTOR_TRAIN: &str = "\
GPA,TUCE,PSI,GRADE
2.86,17,0,0
3.03,25,0,0
2.75,25,0,0
3.65,21,1,1
3.39,17,1,1
4.0,21,0,1
3.26,25,0,1
2.89,22,0,0
2.92,12,0,0
2.87,21,0,0
3.12,23,1,0
2.39,19,1,1
3.54,24,1,1
3.57,23,0,0
3.53,26,0,0
2.63,20,0,0
3.28,24,0,0
3.32,23,0,0
2.83,27,1,1
4.0,23,1,1
3.51,26,1,0
2.83,19,0,0
";
/// pima_train.csv, target `type`, positive "Yes".
pub const PIMA_TRAIN: &str = include_str!("../../../fixtures/pima_train.csv");
/// breast_cancer_train.csv, target `diagnosis`, positive "malignant".
pub const BREAST_CANCER_TRAIN: &str = include_str!("../../../fixtures/breast_cancer_train.csv");

/// One reference fit (standardised scale).
#[derive(Debug, Clone, Copy)]
pub struct Expected {
    pub lambda: f64,
    pub coefficients: &'static [f64],
    pub intercept: f64,
    pub objective: f64,
}

const SPECTOR_FITS: &[Expected] = &[
    Expected {
        lambda: 0.0,
        coefficients: &[0.7656223868511782, -0.30829117708707826, 1.4271047842977196],
        intercept: -0.7696366881242213,
        objective: 0.4223625388113272,
    },
    Expected {
        lambda: 0.01,
        coefficients: &[0.694036426836204, -0.2540561882013863, 1.3170014854396237],
        intercept: -0.7484741578804618,
        objective: 0.4347859778868127,
    },
    Expected {
        lambda: 0.0001,
        coefficients: &[0.7647720044653618, -0.3076334784884146, 1.4258285307370706],
        intercept: -0.7693927945025781,
        objective: 0.422498297475532,
    },
];
const PIMA_FITS: &[Expected] = &[
    Expected {
        lambda: 0.0,
        coefficients: &[
            0.4215853902243736,
            1.0653747127601714,
            -0.22772125898060216,
            0.17706497685331118,
            0.5496042929375218,
            0.3628690663805742,
            0.3501638241439129,
        ],
        intercept: -0.9882929916431458,
        objective: 0.43761103947918173,
    },
    Expected {
        lambda: 0.01,
        coefficients: &[
            0.3815992522304243,
            0.9779562436377639,
            -0.18243386162959013,
            0.19332039068397397,
            0.4887583047463527,
            0.33605467721242877,
            0.33635004351813375,
        ],
        intercept: -0.9582330134645385,
        objective: 0.44653206727480965,
    },
    Expected {
        lambda: 0.0001,
        coefficients: &[
            0.42110319680160635,
            1.0643650930444346,
            -0.2271828942808047,
            0.17729865454742533,
            0.548858478538817,
            0.3625553183183376,
            0.3500179492341799,
        ],
        intercept: -0.987942421004782,
        objective: 0.43770855871291264,
    },
];
const BREAST_CANCER_FITS: &[Expected] = &[
    Expected {
        lambda: 0.01,
        coefficients: &[
            0.33347553512184414,
            0.38602107350803316,
            0.31241218061418313,
            0.34447739132974864,
            0.10037528788406438,
            -0.10190747588060342,
            0.37325715618377875,
            0.5940557023564215,
            -0.00601665522800217,
            -0.17580424363751446,
            0.7009200912796698,
            -0.06336379995830693,
            0.43509278396262074,
            0.4737919865038338,
            -0.20555296582377783,
            -0.4015109137255012,
            -0.11976499742888197,
            0.118700648585748,
            -0.1806612777798231,
            -0.3397389945881554,
            0.6280532588901531,
            0.6806741814174768,
            0.522590410105532,
            0.5677663667564505,
            0.5094359119887721,
            0.158223122613188,
            0.44592695682365135,
            0.724234113186433,
            0.5258843792791856,
            0.25187868540290054,
        ],
        intercept: -0.5639181265462321,
        objective: 0.1027462624477429,
    },
    Expected {
        lambda: 0.0001,
        coefficients: &[
            -0.8276720544324264,
            1.7339573601113456,
            -1.1775228498690882,
            0.2653619327962721,
            -0.3577413221579843,
            -5.695611860522606,
            1.7312647046053553,
            5.203928433522493,
            -0.47253559048612653,
            2.1588559054250216,
            6.351396840419569,
            -0.892616051815077,
            -0.5380645841322615,
            4.681976963624389,
            -1.7101586649451335,
            -1.0442985872205681,
            -1.405885626225748,
            1.4920420100778171,
            -1.6023461478079495,
            -3.8624556094844,
            2.9686552362632828,
            1.7219459861408368,
            0.11525750000100601,
            3.1197567403680666,
            1.957216403471265,
            -0.9250836036894643,
            2.901965686436304,
            1.7957748361960275,
            1.9041834006825133,
            2.4579437953607677,
        ],
        intercept: 0.8715408689103407,
        objective: 0.0343645733192142,
    },
];

/// A standardised training set with its reference fits.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub name: &'static str,
    pub x: Array2<f64>,
    pub y: Array1<f64>,
    pub fits: &'static [Expected],
}

impl Dataset {
    /// The penalised objective with an intercept.
    pub fn objective(&self, l2: f64) -> Objective<'_> {
        Objective::new(self.x.view(), self.y.view(), l2, true)
    }
}

/// Parse a numeric CSV whose LAST column is the target; standardise every feature column with
/// the training mean and population standard deviation (ddof = 0), as the reference does.
fn load(name: &'static str, csv: &str, positive: &str, fits: &'static [Expected]) -> Dataset {
    let mut lines = csv.lines().filter(|l| !l.trim().is_empty());
    let header = lines.next().expect("header");
    let p = header.split(',').count() - 1;
    let mut values = Vec::new();
    let mut y = Vec::new();
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), p + 1, "{name}: {line}");
        for c in &cells[..p] {
            values.push(c.trim().parse::<f64>().expect("numeric feature"));
        }
        y.push(if cells[p].trim() == positive {
            1.0
        } else {
            0.0
        });
    }
    let n = y.len();
    let mut x = Array2::from_shape_vec((n, p), values).expect("rectangular");
    for mut col in x.columns_mut() {
        let mean = col.sum() / n as f64;
        let var = col.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
        let sd = var.sqrt();
        col.mapv_inplace(|v| (v - mean) / sd);
    }
    Dataset {
        name,
        x,
        y: Array1::from(y),
        fits,
    }
}

pub fn spector() -> Dataset {
    load("spector", SPECTOR_TRAIN, "1", SPECTOR_FITS)
}

pub fn pima() -> Dataset {
    load("pima", PIMA_TRAIN, "Yes", PIMA_FITS)
}

pub fn breast_cancer() -> Dataset {
    load(
        "breast_cancer",
        BREAST_CANCER_TRAIN,
        "malignant",
        BREAST_CANCER_FITS,
    )
}

/// Fit every reference case with `solver` (default settings except `tol`) and compare with the
/// reference optimum: coefficients and intercept to `coef_rtol` relative (to the largest
/// reference parameter, at least 1), objective to 1e-10, fitted probabilities on the training
/// rows to 1e-6. Prints the iteration counts and differences (`--nocapture`).
pub fn check_against_reference(solver: SolverKind, tol: f64, coef_rtol: f64) {
    for data in [spector(), pima(), breast_cancer()] {
        for e in data.fits {
            let obj = data.objective(e.lambda);
            let opts = FitOptions {
                tol,
                ..FitOptions::with_solver(solver)
            };
            let f = fit(&obj, &opts).expect("fit");
            let mut expected: Vec<f64> = e.coefficients.to_vec();
            expected.push(e.intercept);
            let scale = expected.iter().map(|v| v.abs()).fold(1.0, f64::max);
            let diff = f
                .theta
                .iter()
                .zip(&expected)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            let obj_diff = (f.report.objective - e.objective).abs();
            let prob_diff = obj
                .scores(&f.theta)
                .iter()
                .zip(obj.scores(&expected).iter())
                .map(|(&a, &b)| (sigmoid(a) - sigmoid(b)).abs())
                .fold(0.0, f64::max);
            eprintln!(
                "{solver} {} lambda={}: iterations={} gradient={:.1e} max|coef diff|={diff:.2e} (rel {:.2e}) |objective diff|={obj_diff:.1e} max|p diff|={prob_diff:.1e} {:?}",
                data.name,
                e.lambda,
                f.report.iterations,
                f.report.gradient_norm,
                diff / scale,
                f.report.stop_reason,
            );
            assert!(
                f.report.converged,
                "{solver} {} lambda={}: {:?}",
                data.name, e.lambda, f.report
            );
            assert!(f.report.gradient_norm <= f.report.tol);
            assert!(
                prob_diff <= 1e-6,
                "{solver} {} lambda={}: probability difference {prob_diff:e}",
                data.name,
                e.lambda
            );
            assert!(
                diff <= coef_rtol * scale,
                "{solver} {} lambda={}: max coefficient difference {diff:e}",
                data.name,
                e.lambda
            );
            assert!(
                obj_diff <= 1e-10,
                "{solver} {} lambda={}: objective difference {obj_diff:e}",
                data.name,
                e.lambda
            );
        }
    }
}

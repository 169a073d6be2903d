//! The arguments of `logit path` and `logit cv` (issue 10): train's data options, the lambda
//! sequence, the folds, the metric and the choice of lambda.

use clap::{Args, ValueEnum};

use super::{
    parse_class_weight, parse_delimiter, parse_finite, parse_max_iter, parse_positive, DesignArg,
    FormatArg, MissingArg, MulticlassArg,
};
use crate::data::schema::ClassWeight;

/// The data options `path` and `cv` share with `train` (read and weighed as train does).
#[derive(Debug, Args)]
pub struct SelectDataArgs {
    /// Training CSV with a header row ("-" reads stdin)
    pub data: String,
    /// Name of the label column (required but for svmlight data, whose label is each line's
    /// first token, called "label")
    #[arg(long, value_name = "COL")]
    pub target: Option<String>,
    /// Use only these feature columns (comma separated)
    #[arg(
        long,
        value_name = "COLS",
        value_delimiter = ',',
        conflicts_with = "exclude"
    )]
    pub features: Option<Vec<String>>,
    /// Use every column except the target and these (comma separated)
    #[arg(long, value_name = "COLS", value_delimiter = ',')]
    pub exclude: Vec<String>,
    /// The label of the positive class of a binary target (default: 1, true or yes when present)
    #[arg(long, value_name = "LABEL")]
    pub positive: Option<String>,
    /// How a target with more than two labels is fitted: multinomial only (a one-vs-rest path
    /// would be K paths with K different lambda sequences)
    #[arg(long, value_enum, value_name = "MODE")]
    pub multiclass: Option<MulticlassArg>,
    /// Column of row weights: finite, >= 0 in every row (0 keeps a row out of the fit); not a
    /// feature
    #[arg(long, value_name = "COL")]
    pub weight: Option<String>,
    /// Class weights, multiplied into the row weights: "balanced" or LABEL=W,LABEL=W...
    /// (computed once on all rows)
    #[arg(long, value_name = "balanced|LABEL=W,...", value_parser = parse_class_weight)]
    pub class_weight: Option<ClassWeight>,
    /// Fit without an intercept
    #[arg(long)]
    pub no_intercept: bool,
    /// Do not standardise features (the penalty then applies to raw coefficients)
    #[arg(long)]
    pub no_standardize: bool,
    /// Maximum number of iterations of each fit (default: the cd solver's)
    #[arg(long, value_name = "N", value_parser = parse_max_iter, allow_negative_numbers = true)]
    pub max_iter: Option<usize>,
    /// Convergence tolerance of each fit on the minimum-norm subgradient's max-norm (default:
    /// the cd solver's)
    #[arg(long, value_name = "T", value_parser = parse_positive, allow_negative_numbers = true)]
    pub tol: Option<f64>,
    /// What to do with missing cells (empty, or one of --na-values)
    #[arg(long, value_enum, default_value_t = MissingArg::Error)]
    pub missing: MissingArg,
    /// Cell texts that mean "missing" besides the empty cell (comma separated)
    #[arg(
        long,
        value_name = "LIST",
        value_delimiter = ',',
        default_value = "NA,NaN,null",
        allow_hyphen_values = true
    )]
    pub na_values: Vec<String>,
    /// Field delimiter: one character, or "tab" (default: tab for .tsv/.tab files, else comma)
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
    /// Input format (default: from the file name — .svm/.libsvm/.svmlight, .parquet/.pq,
    /// after any .gz/.zst — or the first bytes; else CSV)
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<FormatArg>,
    /// Design-matrix storage: sparse suits one-hot heavy or svmlight data
    #[arg(long, value_enum, value_name = "STORAGE", default_value_t = DesignArg::Auto)]
    pub design: DesignArg,
    /// Do not print the report (warnings and errors are still printed)
    #[arg(short, long)]
    pub quiet: bool,
}

/// The lambda sequence options of `path` and `cv`.
#[derive(Debug, Args)]
pub struct LambdaArgs {
    /// Elastic-net mix A in [0, 1]: l1 = A * lambda, l2 = (1 - A) * lambda (glmnet's alpha;
    /// 1 is the lasso)
    #[arg(long, value_name = "A", default_value = "1", value_parser = parse_l1_ratio, allow_negative_numbers = true)]
    pub l1_ratio: f64,
    /// Number of lambdas of the default sequence (glmnet's nlambda)
    #[arg(long, value_name = "N", default_value = "100", value_parser = parse_n_lambda, allow_negative_numbers = true, conflicts_with = "lambdas")]
    pub n_lambda: usize,
    /// Smallest lambda of the default sequence as a fraction of lambda_max (default 1e-4 when
    /// rows >= features, else 1e-2)
    #[arg(long, value_name = "R", value_parser = parse_lambda_min_ratio, allow_negative_numbers = true, conflicts_with = "lambdas")]
    pub lambda_min_ratio: Option<f64>,
    /// Explicit lambdas (comma separated, finite, > 0; fitted in descending order)
    #[arg(long, value_name = "L1,L2,...", value_delimiter = ',', value_parser = parse_lambda, allow_negative_numbers = true)]
    pub lambdas: Option<Vec<f64>>,
}

#[derive(Debug, Args)]
pub struct PathArgs {
    #[command(flatten)]
    pub data: SelectDataArgs,
    #[command(flatten)]
    pub lambda: LambdaArgs,
    /// Print one JSON object instead of a table
    #[arg(long)]
    pub json: bool,
    /// Write the coefficient paths (standardised coefficients against log lambda) as SVG
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<String>,
}

/// The cross-validation metric of `cv --metric`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CvMetricArg {
    /// Mean deviance, probabilities clipped to [1e-5, 1 - 1e-5] (cv.glmnet's "deviance")
    Deviance,
    /// Mean log loss, exact from the scores
    #[value(name = "log_loss")]
    LogLoss,
    /// ROC AUC per fold, ties counted 1/2 (multiclass: macro one-vs-rest)
    #[value(name = "roc_auc")]
    RocAuc,
    /// Fraction classified correctly (binary: P >= 0.5 is positive; multiclass: most probable)
    Accuracy,
}

/// Which lambda `cv --choose` refits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ChooseArg {
    /// The largest lambda with the best mean (cv.glmnet's lambda.min)
    Min,
    /// The largest lambda within one standard error of the best (cv.glmnet's lambda.1se)
    #[value(name = "1se")]
    OneSe,
}

#[derive(Debug, Args)]
pub struct CvArgs {
    #[command(flatten)]
    pub data: SelectDataArgs,
    #[command(flatten)]
    pub lambda: LambdaArgs,
    /// Number of folds, stratified by class from --seed [default: 10]
    #[arg(long, value_name = "K", value_parser = parse_folds, allow_negative_numbers = true, conflicts_with = "fold_column")]
    pub folds: Option<usize>,
    /// Column whose values name each row's fold (not a feature)
    #[arg(long, value_name = "COL")]
    pub fold_column: Option<String>,
    /// Seed of the stratified fold assignment
    #[arg(
        long,
        value_name = "N",
        default_value = "0",
        conflicts_with = "fold_column"
    )]
    pub seed: u64,
    /// The metric averaged over the folds
    #[arg(long, value_enum, default_value_t = CvMetricArg::Deviance)]
    pub metric: CvMetricArg,
    /// Which lambda to refit on all rows and write
    #[arg(long, value_enum, default_value_t = ChooseArg::Min)]
    pub choose: ChooseArg,
    /// Where to write the model refitted at the chosen lambda ("-" writes stdout)
    #[arg(short = 'o', long = "output", value_name = "MODEL")]
    pub output: String,
    /// Print one JSON object on stdout (the report still goes to stderr)
    #[arg(long)]
    pub json: bool,
    /// Write the CV curve (mean +- one standard error against log lambda) as SVG
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<String>,
    /// Cross-validate on MPI ranks (`mpirun -np K logit cv DATA --distributed`): every rank
    /// reads DATA and fits its share of the folds, rank 0 refits and writes the model (needs
    /// the `mpi` build)
    #[arg(long)]
    pub distributed: bool,
}

/// `--l1-ratio`: a finite number in [0, 1].
pub fn parse_l1_ratio(s: &str) -> Result<f64, String> {
    let v = parse_finite(s)?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("l1-ratio must be in [0, 1], found {s}"))
    }
}

/// One value of `--lambdas`: a finite number > 0.
pub fn parse_lambda(s: &str) -> Result<f64, String> {
    let v = parse_finite(s)?;
    if v > 0.0 {
        Ok(v)
    } else {
        Err(format!("every lambda must be > 0, found {s}"))
    }
}

/// `--lambda-min-ratio`: a finite number in (0, 1).
pub fn parse_lambda_min_ratio(s: &str) -> Result<f64, String> {
    let v = parse_finite(s)?;
    if v > 0.0 && v < 1.0 {
        Ok(v)
    } else {
        Err(format!("lambda-min-ratio must be in (0, 1), found {s}"))
    }
}

/// `--n-lambda`: an integer >= 1.
pub fn parse_n_lambda(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(0) => Err("n-lambda must be at least 1, found 0".to_string()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("n-lambda must be a whole number >= 1, found {s:?}")),
    }
}

/// `--folds`: an integer >= 2 (one fold would leave nothing to train on).
pub fn parse_folds(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if n >= 2 => Ok(n),
        Ok(n) => Err(format!(
            "folds must be at least 2 (each fold is scored by a fit on the others), found {n}"
        )),
        Err(_) => Err(format!("folds must be a whole number >= 2, found {s:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::Cli;
    use super::*;
    use clap::Parser;

    #[test]
    fn value_parsers_check_ranges() {
        assert_eq!(parse_l1_ratio("0"), Ok(0.0));
        assert!(parse_l1_ratio("2").is_err());
        assert!(parse_lambda("-1").is_err());
        assert!(parse_lambda("0").is_err());
        assert!(parse_lambda("inf").is_err());
        assert!(parse_folds("1").is_err());
        assert_eq!(parse_folds("2"), Ok(2));
        assert!(parse_n_lambda("0").is_err());
        assert!(parse_lambda_min_ratio("1").is_err());
    }

    #[test]
    fn bad_path_and_cv_values_name_their_flag() {
        for (args, flag) in [
            (
                vec!["cv", "d.csv", "--target", "y", "-o", "m", "--folds", "1"],
                "--folds",
            ),
            (
                vec!["path", "d.csv", "--target", "y", "--lambdas", "0.1,-1"],
                "--lambdas",
            ),
            (
                vec!["path", "d.csv", "--target", "y", "--l1-ratio", "2"],
                "--l1-ratio",
            ),
        ] {
            let err = Cli::try_parse_from(std::iter::once("logit").chain(args)).unwrap_err();
            assert!(err.to_string().contains(flag), "{err}");
        }
    }
}

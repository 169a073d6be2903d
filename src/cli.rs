//! Command-line definitions (clap derive): what the user typed, parsed and range-checked.
//!
//! Doc comments are the help text. Value parsers check ranges here so clap's message names the
//! flag; the commands turn these structs into validated configurations. No I/O here.

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::data::design::DesignChoice;
use crate::data::format::InputFormat;
use crate::data::schema::ClassWeight;
use crate::evaluate::metrics::gate_names;
use crate::evaluate::threshold::{Grid, PickRule};

mod network;
mod ooc;
mod select;
pub use network::NetworkArgs;
pub use ooc::{parse_size, OocArgs};
pub use select::*;

#[derive(Debug, Parser)]
#[command(
    name = "logit",
    version,
    about = "Logistic regression on CSV files: train, predict and eval from the command line",
    long_about = None,
    after_help = "Exit status: 0 success, 1 a quality gate failed (eval), 2 error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fit a logistic regression model to a CSV file and write the model as JSON
    Train(TrainArgs),
    /// Score a CSV file with a model: one probability and label per row
    Predict(PredictArgs),
    /// Compute metrics of a model on labelled data; fail (exit 1) when a gate does not hold
    Eval(EvalArgs),
    /// Choose a decision threshold on labelled data and write it into a copy of the model
    Threshold(ThresholdArgs),
    /// Print a model's coefficient table: standard errors, z, p-values, intervals, odds ratios, fit statistics
    Summary(SummaryArgs),
    /// Fit the regularisation path (lasso / elastic net) over a sequence of lambdas and print it
    Path(PathArgs),
    /// Choose lambda by K-fold cross-validation, refit it on all rows and write the model
    Cv(CvArgs),
    /// Write a model as an ONNX graph (probabilities and label) that any ONNX runtime scores
    Export(ExportArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions(CompletionsArgs),
    /// Print the manual page (roff), generated from the command-line definitions
    Man(ManArgs),
}

/// Solvers for `--solver`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SolverArg {
    /// Limited-memory BFGS with a Wolfe line search (default without --l1)
    Lbfgs,
    /// Full-batch gradient descent with backtracking and momentum
    Gd,
    /// Newton's method (IRLS) with a Cholesky solve
    Newton,
    /// Delegate to linfa-logistic
    Linfa,
    /// Coordinate descent inside proximal Newton, for --l1 (default with --l1 > 0)
    Cd,
    /// Adam over shuffled mini-batches: networks only (--hidden; default for more than
    /// 100,000 rows)
    Adam,
}

/// Missing-value policies for `--missing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MissingArg {
    /// Stop at the first missing cell
    Error,
    /// Leave out training rows with a missing cell
    Drop,
    /// Fill with the training mean (most frequent level for text columns)
    Mean,
    /// Fill with the training median (most frequent level for text columns)
    Median,
}

/// Input formats for `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Delimited text with a header row (gzip or zstd compressed too)
    Csv,
    /// svmlight / libsvm lines: `label idx:val ...`
    Svmlight,
    /// Apache Parquet
    Parquet,
}

impl From<FormatArg> for InputFormat {
    fn from(f: FormatArg) -> InputFormat {
        match f {
            FormatArg::Csv => InputFormat::Csv,
            FormatArg::Svmlight => InputFormat::Svmlight,
            FormatArg::Parquet => InputFormat::Parquet,
        }
    }
}

/// Design-matrix storage for `--design`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DesignArg {
    /// Sparse when the matrix is large and mostly zeros (one-hot columns), else dense
    Auto,
    /// Every cell stored
    Dense,
    /// Only non-zero cells stored (compressed sparse rows)
    Sparse,
}

impl From<DesignArg> for DesignChoice {
    fn from(d: DesignArg) -> DesignChoice {
        match d {
            DesignArg::Auto => DesignChoice::Auto,
            DesignArg::Dense => DesignChoice::Dense,
            DesignArg::Sparse => DesignChoice::Sparse,
        }
    }
}

/// Multiclass fits for `--multiclass`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MulticlassArg {
    /// One softmax fit of every class at once (scikit-learn's symmetric parametrisation)
    Multinomial,
    /// One binary fit per class against the rest; probabilities normalised to sum to 1
    Ovr,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Training CSV with a header row ("-" reads stdin)
    pub data: String,
    /// Name of the label column (required but for svmlight data, whose label is each line's
    /// first token, called "label")
    #[arg(long, value_name = "COL")]
    pub target: Option<String>,
    /// Where to write the model ("-" writes stdout)
    #[arg(
        short = 'o',
        long = "output",
        value_name = "MODEL",
        default_value = "model.json"
    )]
    pub output: String,
    /// L2 penalty lambda on standardised coefficients; 0 is the unpenalised maximum-likelihood fit
    #[arg(long, value_name = "LAMBDA", default_value = "0", value_parser = parse_l2, allow_negative_numbers = true)]
    pub l2: f64,
    /// L1 (lasso) penalty on standardised coefficients: exact zeros in the solution; with --l2
    /// the elastic net. 0 is no L1 penalty
    #[arg(long, value_name = "LAMBDA", default_value = "0", value_parser = parse_l1, allow_negative_numbers = true)]
    pub l1: f64,
    /// Optimisation method [default: cd with --l1 > 0, else lbfgs]
    #[arg(long, value_enum)]
    pub solver: Option<SolverArg>,
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
    /// How a target with more than two labels is fitted (default multinomial); a binary target
    /// always gets the binary fit, as in scikit-learn
    #[arg(long, value_enum, value_name = "MODE")]
    pub multiclass: Option<MulticlassArg>,
    /// Column of row weights: finite, >= 0 in every row (0 keeps a row out of the fit); not a
    /// feature
    #[arg(long, value_name = "COL")]
    pub weight: Option<String>,
    /// Class weights, multiplied into the row weights: "balanced" (class c gets S / (K S_c),
    /// S_c its rows' weight sum) or LABEL=W,LABEL=W... (unlisted classes 1)
    #[arg(long, value_name = "balanced|LABEL=W,...", value_parser = parse_class_weight)]
    pub class_weight: Option<ClassWeight>,
    /// Fit without an intercept
    #[arg(long)]
    pub no_intercept: bool,
    /// Do not standardise features (the penalty then applies to raw coefficients)
    #[arg(long)]
    pub no_standardize: bool,
    /// Maximum number of iterations (default depends on the solver)
    #[arg(long, value_name = "N", value_parser = parse_max_iter, allow_negative_numbers = true)]
    pub max_iter: Option<usize>,
    /// Convergence tolerance on the largest absolute gradient component of the objective
    #[arg(long, value_name = "T", value_parser = parse_positive, allow_negative_numbers = true)]
    pub tol: Option<f64>,
    /// Initial step size of gradient descent (--solver gd) or Adam (networks; default 0.001)
    #[arg(long, value_name = "R", value_parser = parse_positive, allow_negative_numbers = true)]
    pub learning_rate: Option<f64>,
    /// Decision threshold stored in a binary model (P(positive) >= T is positive) [default: 0.5]
    #[arg(long, value_name = "T", value_parser = parse_threshold, allow_negative_numbers = true)]
    pub threshold: Option<f64>,
    /// Also fit with linfa-logistic and fail (exit 2) if the two fits disagree
    #[arg(long)]
    pub cross_check: bool,
    /// Choose the model's threshold on --validation data: f1, youden, precision>=X or recall>=X
    #[arg(long, value_name = "RULE", value_parser = parse_pick, requires = "validation", conflicts_with = "threshold")]
    pub pick_threshold: Option<PickRule>,
    /// Labelled CSV on which --pick-threshold chooses the threshold (not the training data)
    #[arg(long, value_name = "FILE", requires = "pick_threshold")]
    pub validation: Option<String>,
    /// Write the training curve (objective and gradient norm per iteration) as SVG
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<String>,
    /// What to do with missing cells (empty, or one of --na-values); fill values are stored in the model
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
    /// Do not print the training report (warnings and errors are still printed)
    #[arg(short, long)]
    pub quiet: bool,
    /// Also print the statistical summary (as `logit summary`) to stderr
    #[arg(long)]
    pub summary: bool,
    #[command(flatten)]
    pub network: NetworkArgs,
    #[command(flatten)]
    pub ooc: OocArgs,

    /// Train on data split among MPI ranks (`mpirun -np K logit train DATA --distributed`):
    /// each rank reads a byte range of DATA, or its share of a directory, glob or
    /// comma-separated list of shard files; rank 0 writes the model (needs the `mpi` build)
    #[arg(long)]
    pub distributed: bool,
}

#[derive(Debug, Args)]
pub struct PredictArgs {
    /// Model file written by `logit train`
    pub model: String,
    /// CSV to score, with a header row ("-" reads stdin)
    pub data: String,
    /// Where to write the scored CSV (default: stdout)
    #[arg(short = 'o', long = "output", value_name = "OUT", default_value = "-")]
    pub output: String,
    /// Decision threshold of a binary model (default: the model's); multiclass models predict the most probable class
    #[arg(long, value_name = "T", value_parser = parse_threshold, allow_negative_numbers = true)]
    pub threshold: Option<f64>,
    /// Input columns to copy to the output before the probabilities and prediction (comma separated)
    #[arg(long, value_name = "COLS", value_delimiter = ',')]
    pub keep: Vec<String>,
    /// Field delimiter of DATA: one character, or "tab" (default: tab for .tsv/.tab files, else comma)
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
    /// Input format (default: from the file name — .svm/.libsvm/.svmlight, .parquet/.pq,
    /// after any .gz/.zst — or the first bytes; else CSV)
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<FormatArg>,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Model file written by `logit train`
    pub model: String,
    /// Labelled CSV with a header row ("-" reads stdin)
    pub data: String,
    /// Label column (default: the model's target)
    #[arg(long, value_name = "COL")]
    pub target: Option<String>,
    /// Decision threshold (default: the model's)
    #[arg(long, value_name = "T", value_parser = parse_threshold, allow_negative_numbers = true)]
    pub threshold: Option<f64>,
    /// Row weights: every metric weighted by this column, as scikit-learn's sample_weight
    /// (finite, >= 0; `n` stays the row count and `weight_sum` is reported beside it)
    #[arg(long, value_name = "COL")]
    pub weight: Option<String>,
    /// Print one JSON object instead of a table
    #[arg(long)]
    pub json: bool,
    /// Gate: fail (exit 1) unless METRIC >= V; repeatable
    #[arg(long = "min", value_name = "METRIC=V", value_parser = parse_gate)]
    pub min: Vec<(String, f64)>,
    /// Gate: fail (exit 1) unless METRIC <= V; repeatable
    #[arg(long = "max", value_name = "METRIC=V", value_parser = parse_gate)]
    pub max: Vec<(String, f64)>,
    /// Also print precision, recall, F1, specificity and counts over a grid of thresholds, and
    /// the thresholds that maximise F1 and Youden's J
    #[arg(long)]
    pub thresholds: bool,
    /// Thresholds of the --thresholds table: a step (default 0.05), a list such as 0.2,0.5,0.8,
    /// or "all" (every distinct predicted probability)
    #[arg(long, value_name = "STEP|LIST|all", value_parser = parse_grid, requires = "thresholds")]
    pub grid: Option<Grid>,
    /// Report the threshold chosen by RULE: f1, youden, precision>=X or recall>=X
    #[arg(long, value_name = "RULE", value_parser = parse_pick)]
    pub pick: Option<PickRule>,
    /// Also print the reliability table (calibration bins); JSON always has it
    #[arg(long)]
    pub calibration: bool,
    /// Write roc.svg, pr.svg and calibration.svg into DIR (created if missing); a multiclass
    /// model gets roc.svg (one-vs-rest curve per class) and calibration.svg (top label)
    #[arg(long, value_name = "DIR")]
    pub plot: Option<String>,
    /// Field delimiter of DATA: one character, or "tab" (default: tab for .tsv/.tab files, else comma)
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
    /// Input format (default: from the file name — .svm/.libsvm/.svmlight, .parquet/.pq,
    /// after any .gz/.zst — or the first bytes; else CSV)
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<FormatArg>,
    /// Evaluate on data split among MPI ranks (`mpirun -np K logit eval MODEL DATA
    /// --distributed`): each rank scores and tallies its part as train splits DATA, rank 0
    /// merges the tallies and reports (needs the `mpi` build)
    #[arg(long)]
    pub distributed: bool,
}

#[derive(Debug, Args)]
pub struct SummaryArgs {
    /// Model file written by `logit train`
    pub model: String,
    /// Print one JSON object instead of a table
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ThresholdArgs {
    /// Model file written by `logit train`
    pub model: String,
    /// Labelled CSV on which to choose the threshold, with a header row ("-" reads stdin)
    pub data: String,
    /// The rule: f1, youden, precision>=X (highest recall with precision >= X) or recall>=X
    /// (highest precision with recall >= X)
    #[arg(long, value_name = "RULE", value_parser = parse_pick)]
    pub pick: PickRule,
    /// Where to write the model with the chosen threshold ("-" writes stdout); may be MODEL
    /// itself, which is then replaced atomically
    #[arg(short = 'o', long = "output", value_name = "NEW_MODEL")]
    pub output: String,
    /// Label column (default: the model's target)
    #[arg(long, value_name = "COL")]
    pub target: Option<String>,
    /// Field delimiter of DATA: one character, or "tab" (default: tab for .tsv/.tab files, else comma)
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
    /// Input format (default: from the file name — .svm/.libsvm/.svmlight, .parquet/.pq,
    /// after any .gz/.zst — or the first bytes; else CSV)
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<FormatArg>,
    /// Do not print the report (errors are still printed)
    #[arg(short, long)]
    pub quiet: bool,
}

/// Element types of `export --precision`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PrecisionArg {
    /// float64 tensors: the same numbers as `predict`
    F64,
    /// float32 tensors (weights rounded to float32), for runtimes without float64
    F32,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Model file written by `logit train` (numeric input columns only)
    pub model: String,
    /// Where to write the ONNX model ("-" writes stdout); required unless --describe
    #[arg(
        short = 'o',
        long = "output",
        value_name = "OUT",
        required_unless_present = "describe"
    )]
    pub output: Option<String>,
    /// Element type of the graph's input, weights and probabilities
    #[arg(long, value_enum, value_name = "TYPE", default_value_t = PrecisionArg::F64)]
    pub precision: PrecisionArg,
    /// Print the graph's contract (input column order, outputs, classes) on stdout; with -o
    /// the graph is written too
    #[arg(long)]
    pub describe: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// A subcommand's page (logit-SUBCOMMAND) instead of the main page
    pub subcommand: Option<String>,
}

fn parse_finite(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("expected a number, found {s:?}"))?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!("expected a finite number, found {s:?}"))
    }
}

/// `--threshold`: a finite number in [0, 1].
pub fn parse_threshold(s: &str) -> Result<f64, String> {
    let v = parse_finite(s)?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("threshold must be in [0, 1], found {s}"))
    }
}

/// `--l2`: a finite number >= 0.
pub fn parse_l2(s: &str) -> Result<f64, String> {
    let v = parse_finite(s)?;
    if v >= 0.0 {
        Ok(v)
    } else {
        Err(format!("l2 must be >= 0, found {s}"))
    }
}

/// `--l1`: a finite number >= 0. clap prefixes the flag's name to the message
/// ("invalid value '-1' for '--l1 <LAMBDA>'"); the message repeats it for library callers.
pub fn parse_l1(s: &str) -> Result<f64, String> {
    let v = parse_finite(s).map_err(|e| format!("--l1: {e}"))?;
    if v >= 0.0 {
        Ok(v)
    } else {
        Err(format!("--l1 must be >= 0, found {s}"))
    }
}

/// `--tol`, `--learning-rate`: a finite number > 0.
pub fn parse_positive(s: &str) -> Result<f64, String> {
    let v = parse_finite(s)?;
    if v > 0.0 {
        Ok(v)
    } else {
        Err(format!("must be > 0, found {s}"))
    }
}

/// `--max-iter`: an integer >= 1.
pub fn parse_max_iter(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(0) => Err("max-iter must be at least 1, found 0".to_string()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("max-iter must be a whole number >= 1, found {s:?}")),
    }
}

/// `--delimiter`: a single ASCII character other than a quote or line break, or `tab` / `\t`.
pub fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "tab" | "\\t" | "\t" => return Ok(b'\t'),
        _ => {}
    }
    let bytes = s.as_bytes();
    if bytes.len() != 1 || !bytes[0].is_ascii() {
        return Err(format!(
            "delimiter must be one ASCII character or \"tab\", found {s:?}"
        ));
    }
    if matches!(bytes[0], b'"' | b'\n' | b'\r') {
        return Err(format!("{s:?} cannot be a delimiter"));
    }
    Ok(bytes[0])
}

/// `--class-weight`: `balanced` or `LABEL=W,...` (see [`ClassWeight::parse`]).
pub fn parse_class_weight(s: &str) -> Result<ClassWeight, String> {
    ClassWeight::parse(s)
}

/// `--pick`, `--pick-threshold`: a threshold rule (see [`PickRule`]).
pub fn parse_pick(s: &str) -> Result<PickRule, String> {
    s.parse()
}

/// `--grid`: a step, a list of thresholds, or `all` (see [`Grid`]).
pub fn parse_grid(s: &str) -> Result<Grid, String> {
    s.parse()
}

/// A gate `METRIC=VALUE` with a known metric name and a finite bound.
pub fn parse_gate(s: &str) -> Result<(String, f64), String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("expected METRIC=VALUE (e.g. roc_auc=0.9), found {s:?}"))?;
    let name = name.trim();
    let (binary, multiclass) = (gate_names(false), gate_names(true));
    if !binary.contains(&name) && !multiclass.contains(&name) {
        return Err(format!(
            "unknown metric {name:?}; known metrics: {} (binary models), {} (multiclass models)",
            binary.join(", "),
            multiclass.join(", ")
        ));
    }
    let bound = parse_finite(value).map_err(|e| format!("bound for {name}: {e}"))?;
    Ok((name.to_string(), bound))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn value_parsers_check_ranges() {
        assert_eq!(parse_threshold("0.25"), Ok(0.25));
        assert!(parse_threshold("1.5").is_err());
        assert!(parse_threshold("nan").is_err());
        assert!(parse_l2("-1").is_err());
        assert!(parse_l2("inf").is_err());
        assert_eq!(parse_l2("0"), Ok(0.0));
        assert_eq!(parse_l1("0.01"), Ok(0.01));
        assert_eq!(parse_l1("0"), Ok(0.0));
        for bad in ["-1", "nan", "inf", "-inf", "x"] {
            assert!(parse_l1(bad).unwrap_err().contains("--l1"), "{bad}");
        }
        assert!(parse_max_iter("0").is_err());
        assert_eq!(parse_max_iter("7"), Ok(7));
        assert!(parse_positive("-1").is_err());
        assert!(parse_positive("0").is_err());
        assert_eq!(parse_gate("roc_auc=0.9"), Ok(("roc_auc".to_string(), 0.9)));
        assert!(parse_gate("bogus_metric=0.5")
            .unwrap_err()
            .contains("bogus_metric"));
        assert!(parse_gate("accuracy=abc").is_err());
        assert!(parse_gate("accuracy").is_err());
        assert_eq!(parse_delimiter(";"), Ok(b';'));
        assert_eq!(parse_delimiter("tab"), Ok(b'\t'));
        assert_eq!(parse_delimiter("\t"), Ok(b'\t'));
        assert!(parse_delimiter(";;").is_err());
        assert!(parse_delimiter("\"").is_err());
    }

    #[test]
    fn features_and_exclude_conflict() {
        let r = Cli::try_parse_from([
            "logit",
            "train",
            "d.csv",
            "--target",
            "y",
            "--features",
            "a",
            "--exclude",
            "b",
        ]);
        assert!(r.is_err());
    }
}

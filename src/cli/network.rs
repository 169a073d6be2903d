//! `train`'s network flags (issue 13): `--hidden` makes the model a feed-forward network.

use clap::Args;

use crate::fit::network::Activation;

/// The network options of `train` (flattened into its flags).
#[derive(Debug, Clone, Default, Args)]
pub struct NetworkArgs {
    /// Hidden layer widths, comma separated (e.g. 32,16): fit a feed-forward network instead of
    /// the linear model
    #[arg(long, value_name = "WIDTHS", value_delimiter = ',', value_parser = parse_width)]
    pub hidden: Option<Vec<usize>>,
    /// Activation of the hidden layers: sigmoid, tanh, relu or leaky-relu[:SLOPE] [default: relu;
    /// leaky-relu's slope 0.01]
    #[arg(long, value_name = "NAME", value_parser = Activation::parse)]
    pub activation: Option<Activation>,
    /// Adam: passes over the shuffled rows at most [default: 200]
    #[arg(long, value_name = "N", value_parser = parse_count)]
    pub epochs: Option<usize>,
    /// Adam: stop once the epoch objective has not improved by --tol on its best for more than
    /// N epochs in a row (scikit-learn's n_iter_no_change) [default: 10]
    #[arg(long, value_name = "N", value_parser = parse_count)]
    pub n_iter_no_change: Option<usize>,
    /// Adam: rows per mini-batch [default: min(200, rows)]
    #[arg(long, value_name = "N", value_parser = parse_count)]
    pub batch_size: Option<usize>,
    /// Seed of the network's initial weights and of Adam's shuffles [default: 0]
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
}

/// A layer width: an integer >= 1.
fn parse_width(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("a layer width is a whole number >= 1, found {s:?}")),
    }
}

/// `--epochs`, `--batch-size`: an integer >= 1.
fn parse_count(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("must be a whole number >= 1, found {s:?}")),
    }
}

//! One module per subcommand, each with a single `run` entry point; dispatch from the parsed
//! command line. Commands turn clap's structs into validated configurations, call the library
//! and print; code below them never sees clap.

pub mod completions;
pub mod cv;
pub mod eval;
pub mod export;
pub mod path;
pub mod predict;
pub mod progress;
pub mod summary;
pub mod threshold;
pub mod train;

use crate::cli::Command;
use crate::error::Result;
use crate::exit::ExitStatus;

/// Runs the parsed subcommand.
pub fn run(command: &Command) -> Result<ExitStatus> {
    match command {
        Command::Train(args) => train::run(args),
        Command::Predict(args) => predict::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Threshold(args) => threshold::run(args),
        Command::Export(args) => export::run(args),
        Command::Completions(args) => completions::completions(args),
        Command::Man(args) => completions::man(args),
        Command::Summary(args) => summary::run(args),
        Command::Path(args) => path::run(args),
        Command::Cv(args) => cv::run(args),
    }
}

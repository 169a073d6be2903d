//! The `logit` binary: parse the command line, run the command, map the result to an exit
//! status (0 ok, 1 gate failed, 2 error) and print an error once, with the `logit: error:` prefix.

use std::process::ExitCode;

use clap::Parser;

use logit::cli::Cli;
use logit::exit::ExitStatus;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match logit::commands::run(&cli.command) {
        Ok(status) => status.into(),
        // A closed stdout (`logit predict ... | head`) means the reader has what it wanted.
        Err(err) if err.is_broken_pipe() => ExitStatus::Success.into(),
        Err(err) => {
            eprintln!("logit: error: {:#}", anyhow::Error::new(err));
            ExitStatus::Error.into()
        }
    }
}

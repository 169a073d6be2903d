//! The `logit` binary: parse the command line, run the command, map the result to an exit
//! status (0 ok, 1 gate failed, 2 error) and print an error once, with the `logit: error:` prefix.
//! How stdout and stderr are written (closed pipes, full disks) is decided in [`logit::console`].

#![warn(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use clap::Parser;

use logit::cli::Cli;
use logit::console;
use logit::exit::ExitStatus;

fn main() -> ExitCode {
    // A temporary output file must not outlive SIGINT, SIGTERM or SIGHUP.
    logit::data::output::remove_temp_files_on_signals();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return clap_exit(&err),
    };
    match logit::distributed::run(&cli.command) {
        Ok(status) => status.into(),
        // A closed stdout (`logit predict ... | head`) means the reader has what it wanted.
        Err(err) if err.is_broken_pipe() => ExitStatus::Success.into(),
        Err(err) => {
            console::error(format_args!("{:#}", anyhow::Error::new(err)));
            ExitStatus::Error.into()
        }
    }
}

/// Prints clap's usage error (stderr, exit 2) or `--help`/`--version` text (stdout, exit 0)
/// under the same rules as every command: clap's own `exit` would swallow a full stdout.
fn clap_exit(err: &clap::Error) -> ExitCode {
    if err.use_stderr() {
        let _ = err.print();
        return ExitCode::from(err.exit_code().clamp(0, 255) as u8);
    }
    let written = err
        .print()
        .and_then(|()| std::io::Write::flush(&mut std::io::stdout()));
    match written.map_err(console::stdout_failed) {
        Ok(()) | Err(Ok(())) => ExitStatus::Success.into(),
        Err(Err(e)) => {
            console::error(e);
            ExitStatus::Error.into()
        }
    }
}

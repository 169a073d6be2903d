//! `logit completions SHELL` and `logit man [SUBCOMMAND]`: shell completion scripts and roff
//! manual pages generated from the clap definitions in [`crate::cli`], so they never drift from
//! the real options. Both print to stdout:
//!
//! ```sh
//! logit completions bash > ~/.local/share/bash-completion/completions/logit
//! logit man > logit.1 && logit man train > logit-train.1
//! ```

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use crate::error::{Error, Result};
use crate::exit::ExitStatus;

/// Prints the completion script for the shell.
pub fn completions(args: &CompletionsArgs) -> Result<ExitStatus> {
    let mut command = Cli::command();
    let mut buffer = Vec::new();
    clap_complete::generate(args.shell, &mut command, "logit", &mut buffer);
    print(&buffer)
}

/// Prints the manual page of `logit` or, with a subcommand, of `logit-SUBCOMMAND`.
pub fn man(args: &ManArgs) -> Result<ExitStatus> {
    let mut command = Cli::command();
    // Building gives every subcommand its display name (`logit-train`) and bin name
    // (`logit train`), which the page's title and synopsis use.
    command.build();
    let page = match &args.subcommand {
        None => command,
        Some(name) => {
            let sub = command.find_subcommand(name).ok_or_else(|| {
                let known: Vec<&str> = command.get_subcommands().map(|c| c.get_name()).collect();
                Error::Usage(format!(
                    "no subcommand {name:?}; known: {}",
                    known.join(", ")
                ))
            })?;
            sub.clone().version(env!("CARGO_PKG_VERSION"))
        }
    };
    let mut buffer = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut buffer)
        .map_err(|e| Error::io("<stdout>", "render the manual page", e))?;
    print(&buffer)
}

fn print(bytes: &[u8]) -> Result<ExitStatus> {
    crate::console::print(bytes)?;
    Ok(ExitStatus::Success)
}

//! The one place that decides how text reaches standard output and standard error.
//!
//! The rules (ripgrep's, `crates/core/main.rs`), for every command:
//! - stdout carries data. A closed pipe (`logit eval ... | head -1`) means the reader has what
//!   it wanted: the rest of the output is dropped quietly and the command still ends with its
//!   own status (a failed gate is still 1). Any other write failure (`> /dev/full`) is an error
//!   (exit 2), reported on stderr.
//! - stderr carries messages. Its write errors are ignored (`2> /dev/full`, `2>&1 | head -1`):
//!   there is nowhere left to report them, and a message must never turn into a panic or change
//!   the exit status. `println!`/`eprintln!` panic on both, so lib.rs and main.rs turn on
//!   clippy's `print_stdout`/`print_stderr` lints (CI runs clippy with `-D warnings`).
//!
//! Streaming outputs (`predict`, a model written to `-`) write through
//! [`crate::data::input::Output`], which stops the producer at a closed pipe by returning the
//! `BrokenPipe` error; [`crate::error::Error::is_broken_pipe`] lets the binary end quietly.

use std::fmt::Display;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};

/// Name of standard output in messages.
pub const STDOUT_NAME: &str = "<stdout>";

/// Set once a write to stdout met a closed pipe; later writes are dropped.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `bytes` to stdout and flushes. A closed pipe is not an error (the output is dropped,
/// see the module documentation); any other failure is.
pub fn print(bytes: impl AsRef<[u8]>) -> Result<()> {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut out = io::stdout().lock();
    match out.write_all(bytes.as_ref()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) => stdout_failed(e),
    }
}

/// Classifies a failed write to stdout: `Ok` for a closed pipe (remembered, so nothing more is
/// written), an error for anything else.
pub fn stdout_failed(e: io::Error) -> Result<()> {
    if e.kind() == io::ErrorKind::BrokenPipe {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
        Ok(())
    } else {
        Err(Error::io(STDOUT_NAME, "write it", e))
    }
}

/// Writes `text` to stderr, ignoring failures (see the module documentation).
pub fn eprint(text: impl AsRef<str>) {
    let mut err = io::stderr().lock();
    let _ = err.write_all(text.as_ref().as_bytes());
    let _ = err.flush();
}

/// Writes one `logit: warning: ...` line to stderr.
pub fn warning(message: impl Display) {
    eprint(format!("logit: warning: {message}\n"));
}

/// Writes one `logit: error: ...` line to stderr.
pub fn error(message: impl Display) {
    eprint(format!("logit: error: {message}\n"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_pipe_is_not_an_error_but_a_full_disk_is() {
        let full = io::Error::from_raw_os_error(28); // ENOSPC
        let err = stdout_failed(full).unwrap_err();
        assert_eq!(
            err.to_string(),
            "<stdout>: cannot write it: No space left on device (os error 28)"
        );
        // Last: it switches further stdout writes off for this test process.
        assert!(stdout_failed(io::Error::from(io::ErrorKind::BrokenPipe)).is_ok());
        assert!(print("dropped").is_ok());
    }
}

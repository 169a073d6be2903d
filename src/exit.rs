//! The process exit status: 0 success, 1 a quality gate failed, 2 an error.
//!
//! CI jobs branch on these, so they are one small type with tests, not scattered integers.

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Everything asked for was done (and every gate held).
    Success,
    /// `eval` ran but at least one `--min`/`--max` gate failed.
    GateFailed,
    /// Bad input, bad options, or an I/O failure (clap's usage errors also exit 2).
    Error,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::GateFailed => 1,
            ExitStatus::Error => 2,
        }
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> Self {
        std::process::ExitCode::from(status.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_contract() {
        assert_eq!(ExitStatus::Success.code(), 0);
        assert_eq!(ExitStatus::GateFailed.code(), 1);
        assert_eq!(ExitStatus::Error.code(), 2);
    }
}

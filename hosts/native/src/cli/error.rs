//! [`CliError`]: one code and one line for every failure the CLI reports.

use hoist_core::ErrorCode;

/// A failure to report: a stable code and a one-line message (never a secret).
#[derive(Debug)]
pub struct CliError {
    code: &'static str,
    message: String,
}

impl CliError {
    /// A failure with `code` and `message`.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        CliError {
            code,
            message: message.into(),
        }
    }

    /// From any core error.
    pub fn core<E: ErrorCode + std::fmt::Display>(e: E) -> Self {
        CliError {
            code: e.code(),
            message: e.to_string(),
        }
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// A command line clap rejected: code [`USAGE`], and clap's own first paragraph without
    /// its `error: ` prefix as the message, its lines joined by spaces. That paragraph is
    /// clap's first line plus, where clap continues it, what it names (the missing
    /// `<ARG>`s, the possible values); the tips and the usage block after it are left out
    /// so the failure stays one line.
    pub fn usage(e: &clap::Error) -> Self {
        let text = e.to_string();
        let message = text
            .lines()
            .take_while(|l| !l.trim().is_empty())
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" ");
        let message = message.strip_prefix("error: ").unwrap_or(&message);
        CliError::new(USAGE, message)
    }

    /// The one line the CLI prints for this failure: `hoist: error[CODE]: message`.
    pub fn report_line(&self) -> String {
        format!("hoist: error[{}]: {}", self.code, self.message)
    }

    /// The exit status for this failure: 2 for a usage error (clap's status, and the
    /// convention of grep, diff and the shells: "called wrongly", as opposed to "failed"),
    /// 1 for every other failure.
    pub fn exit_status(&self) -> u8 {
        if self.code == USAGE {
            2
        } else {
            1
        }
    }
}

/// The code of a command line the CLI cannot parse (unknown flag or subcommand, missing
/// argument, bad value). The WASI host's parser reports the same code.
pub const USAGE: &str = "usage";

impl From<crate::credentials::CredentialError> for CliError {
    fn from(e: crate::credentials::CredentialError) -> Self {
        CliError {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

impl From<crate::store::StoreIoError> for CliError {
    fn from(e: crate::store::StoreIoError) -> Self {
        CliError {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

impl From<crate::drive::DriveError> for CliError {
    fn from(e: crate::drive::DriveError) -> Self {
        CliError {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

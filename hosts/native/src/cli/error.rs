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

    /// The one line the CLI prints for this failure: `hoist: error[CODE]: message`.
    pub fn report_line(&self) -> String {
        format!("hoist: error[{}]: {}", self.code, self.message)
    }
}

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

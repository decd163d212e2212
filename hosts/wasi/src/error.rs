//! [`Error`]: a stable code and a one-line message, as the native CLI reports them.

use hoist_core::ErrorCode;

/// A failure: a stable code (the core's, or one of this host's) and a message that never
/// holds a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The stable code.
    pub code: &'static str,
    /// One line, no secrets.
    pub message: String,
}

impl Error {
    /// A failure with `code` and `message`.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
        }
    }

    /// From any core error.
    pub fn core<E: ErrorCode + std::fmt::Display>(e: E) -> Self {
        Error::new(e.code(), e.to_string())
    }

    /// A filesystem failure on `what` (a store path, never one built from network input
    /// before it parsed as a digest).
    /// `store-io`, the native store's code for the same failures.
    pub fn io(what: impl std::fmt::Display, e: &std::io::Error) -> Self {
        Error::new("store-io", format!("{what}: {e}"))
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "hoist: error[{}]: {}", self.code, self.message)
    }
}

/// This host's results.
pub type Result<T> = std::result::Result<T, Error>;

//! [`CredentialError`]: the one error enum of the credentials module.

use std::fmt;
use std::path::PathBuf;

use hoist_core::auth::AuthError;
use hoist_core::ErrorCode;

/// Why credentials could not be found, read, stored or removed.
///
/// Every variant names the thing at fault (a file, a helper, a key) and never a secret:
/// file contents, helper stdout and decoded `auth` fields are never quoted. A helper's
/// stderr is reduced to its first line, cut to [`STDERR_EXCERPT_CHARS`] characters.
/// Errors decided by `hoist-core` keep the core's [`AuthError`], and [`ErrorCode::code`]
/// returns the core's code for them.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialError {
    /// `--creds` is empty.
    CredsEmpty,
    /// `--creds` has no `:` between user name and password. podman would prompt for
    /// the password here; hoist never prompts.
    CredsMissingColon,
    /// `--creds` has an empty user name (`:password`).
    CredsEmptyUsername,
    /// An auth file exists but could not be read (permission denied, a directory, an
    /// I/O error).
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The operating system's message, for example `Permission denied (os error 13)`.
        reason: String,
    },
    /// The core rejected an auth file's content, or a key looked up in it.
    AuthFile {
        /// The file.
        path: PathBuf,
        /// The core's error; its code is this error's code.
        source: AuthError,
    },
    /// The core rejected a key, a user name or an edit (login / logout), with no file
    /// involved, or with the write target named in `path`; or it found no auth file to
    /// write (`xdg-runtime-dir-missing`, `auth-file-location-unknown`).
    Auth {
        /// The auth file being edited, if any.
        path: Option<PathBuf>,
        /// The core's error; its code is this error's code.
        source: AuthError,
    },
    /// Writing the auth file failed.
    WriteFailed {
        /// The file.
        path: PathBuf,
        /// The operating system's message.
        reason: String,
    },
    /// A credential helper name contains `/` or is otherwise not a plain program suffix.
    HelperInvalidName {
        /// The name, cut to 80 characters.
        helper: String,
    },
    /// `docker-credential-<helper>` is not on `PATH`.
    HelperNotFound {
        /// The helper name (without the `docker-credential-` prefix).
        helper: String,
    },
    /// The helper ran longer than the time limit and was killed.
    HelperTimeout {
        /// The helper name.
        helper: String,
        /// The limit, in milliseconds.
        limit_ms: u64,
    },
    /// The helper could not be started or talked to.
    HelperIo {
        /// The helper name.
        helper: String,
        /// The operating system's message.
        reason: String,
    },
    /// The helper exited unsuccessfully for a reason other than "credentials not found".
    HelperFailed {
        /// The helper name.
        helper: String,
        /// The exit code, or `None` when a signal ended it.
        status: Option<i32>,
        /// The first line of its stderr (or of a non-JSON stdout), cut to
        /// [`STDERR_EXCERPT_CHARS`] characters; empty if it printed nothing.
        message: String,
    },
    /// The core rejected the helper's output.
    HelperOutput {
        /// The helper name.
        helper: String,
        /// The core's error; its code is this error's code.
        source: AuthError,
    },
    /// A namespaced key (`host/namespace`) was given for a registry whose credentials
    /// live in a credential helper, which only knows hosts.
    HelperNamespaceUnsupported {
        /// The helper name.
        helper: String,
        /// The key, cut to 80 characters.
        key: String,
    },
}

/// How much of a helper's stderr reaches an error message.
pub const STDERR_EXCERPT_CHARS: usize = 200;

impl ErrorCode for CredentialError {
    fn code(&self) -> &'static str {
        match self {
            CredentialError::CredsEmpty => "creds-empty",
            CredentialError::CredsMissingColon => "creds-missing-colon",
            CredentialError::CredsEmptyUsername => "creds-empty-username",
            CredentialError::Unreadable { .. } => "auth-file-unreadable",
            CredentialError::AuthFile { source, .. }
            | CredentialError::Auth { source, .. }
            | CredentialError::HelperOutput { source, .. } => source.code(),
            CredentialError::WriteFailed { .. } => "auth-file-write-failed",
            CredentialError::HelperInvalidName { .. } => "credential-helper-invalid-name",
            CredentialError::HelperNotFound { .. } => "credential-helper-not-found",
            CredentialError::HelperTimeout { .. } => "credential-helper-timeout",
            CredentialError::HelperIo { .. } => "credential-helper-io",
            CredentialError::HelperFailed { .. } => "credential-helper-failed",
            CredentialError::HelperNamespaceUnsupported { .. } => {
                "credential-helper-namespace-unsupported"
            }
        }
    }
}

impl fmt::Display for CredentialError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialError::CredsEmpty => f.write_str("--creds is empty"),
            CredentialError::CredsMissingColon => f.write_str(
                "--creds must be user:password (hoist does not prompt for a password)",
            ),
            CredentialError::CredsEmptyUsername => f.write_str("--creds has an empty user name"),
            CredentialError::Unreadable { path, reason } => {
                write!(f, "cannot read auth file {}: {reason}", path.display())
            }
            // The core's code is not repeated in these messages: `code()` carries it, and
            // the CLI prints it as `hoist: error[CODE]: message`.
            CredentialError::AuthFile { path, source } => {
                write!(f, "auth file {}: {source}", path.display())
            }
            CredentialError::Auth { path, source } => match path {
                Some(path) => write!(f, "auth file {}: {source}", path.display()),
                None => write!(f, "{source}"),
            },
            CredentialError::WriteFailed { path, reason } => {
                write!(f, "cannot write auth file {}: {reason}", path.display())
            }
            CredentialError::HelperInvalidName { helper } => {
                write!(f, "invalid credential helper name {helper:?}")
            }
            CredentialError::HelperNotFound { helper } => write!(
                f,
                "credential helper docker-credential-{helper} not found on PATH"
            ),
            CredentialError::HelperTimeout { helper, limit_ms } => write!(
                f,
                "credential helper docker-credential-{helper} did not finish within {limit_ms} ms and was killed"
            ),
            CredentialError::HelperIo { helper, reason } => write!(
                f,
                "credential helper docker-credential-{helper}: {reason}"
            ),
            CredentialError::HelperFailed {
                helper,
                status,
                message,
            } => {
                write!(f, "credential helper docker-credential-{helper} failed")?;
                match status {
                    Some(code) => write!(f, " with exit code {code}")?,
                    None => f.write_str(" (killed by a signal)")?,
                }
                if !message.is_empty() {
                    write!(f, ": {message}")?;
                }
                Ok(())
            }
            CredentialError::HelperOutput { helper, source } => {
                write!(f, "credential helper docker-credential-{helper}: {source}")
            }
            CredentialError::HelperNamespaceUnsupported { helper, key } => write!(
                f,
                "credential helper docker-credential-{helper} stores hosts only, not the namespaced key {key:?}"
            ),
        }
    }
}

impl std::error::Error for CredentialError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CredentialError::AuthFile { source, .. }
            | CredentialError::Auth { source, .. }
            | CredentialError::HelperOutput { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// The first 80 characters of `s` (keys and repositories in messages).
pub(crate) fn cut80(s: &str) -> String {
    s.chars().take(80).collect()
}

//! Running `docker-credential-<name>` helpers (docker/docker-credential-helpers
//! `client/client.go`): `get` and `erase` take the server URL on stdin, `store` a JSON
//! object; answers come on stdout, and failures are a non-zero exit with a message on
//! stdout (or stderr).

use std::ffi::{OsStr, OsString};
use std::io;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use hoist_core::auth::{
    is_helper_not_found, parse_helper_output, AuthError, Credentials, Document, Secret,
    MAX_HELPER_OUTPUT_SIZE,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};

use super::error::{cut80, STDERR_EXCERPT_CHARS};
use super::file::wipe;
use super::CredentialError;

/// How much stderr is kept (the rest is read and dropped, so the helper never blocks).
const STDERR_KEEP: usize = 16 << 10;

/// Attempts to start a helper that fails with `ETXTBSY` ("text file busy"), which
/// happens when another thread forks while the helper file is still open for writing
/// (a helper just installed, or a test writing one).
const SPAWN_ATTEMPTS: u32 = 5;

pub use hoist_core::auth::helper_server_url;

/// Runs helpers found on a `PATH`, each under a time limit.
#[derive(Clone, Debug)]
pub(crate) struct HelperRunner<'a> {
    pub(crate) path: Option<&'a OsStr>,
    pub(crate) timeout: Duration,
}

/// What a finished helper said.
struct Outcome {
    status: ExitStatus,
    stdout: Vec<u8>,
    stdout_overflow: bool,
    stderr: Vec<u8>,
}

impl Drop for Outcome {
    fn drop(&mut self) {
        wipe(std::mem::take(&mut self.stdout));
    }
}

impl HelperRunner<'_> {
    /// `docker-credential-<helper> get`: the credentials for `server_url`, or
    /// [`Credentials::Anonymous`] when the helper has none.
    pub(crate) async fn get(
        &self,
        helper: &str,
        server_url: &str,
    ) -> Result<Credentials, CredentialError> {
        let out = self.run(helper, "get", server_url.as_bytes()).await?;
        if out.stdout_overflow {
            return Err(CredentialError::HelperOutput {
                helper: helper.to_owned(),
                source: AuthError::TooLarge {
                    what: Document::HelperOutput,
                    size: out.stdout.len(),
                    limit: MAX_HELPER_OUTPUT_SIZE,
                },
            });
        }
        if is_helper_not_found(&out.stdout) || is_helper_not_found(&out.stderr) {
            return Ok(Credentials::Anonymous);
        }
        if !out.status.success() {
            return Err(failed(helper, &out));
        }
        parse_helper_output(&out.stdout).map_err(|source| CredentialError::HelperOutput {
            helper: helper.to_owned(),
            source,
        })
    }

    /// `docker-credential-<helper> store`.
    pub(crate) async fn store(
        &self,
        helper: &str,
        server_url: &str,
        username: &str,
        secret: &Secret,
    ) -> Result<(), CredentialError> {
        let input = Secret::new(
            serde_json::json!({
                "ServerURL": server_url,
                "Username": username,
                "Secret": secret.expose(),
            })
            .to_string(),
        );
        let out = self.run(helper, "store", input.expose().as_bytes()).await?;
        if out.status.success() {
            Ok(())
        } else {
            Err(failed(helper, &out))
        }
    }

    /// `docker-credential-<helper> erase`: true if something was erased, false when
    /// the helper had nothing for `server_url`.
    pub(crate) async fn erase(
        &self,
        helper: &str,
        server_url: &str,
    ) -> Result<bool, CredentialError> {
        let out = self.run(helper, "erase", server_url.as_bytes()).await?;
        if out.status.success() {
            Ok(true)
        } else if is_helper_not_found(&out.stdout) || is_helper_not_found(&out.stderr) {
            Ok(false)
        } else {
            Err(failed(helper, &out))
        }
    }

    async fn run(
        &self,
        helper: &str,
        action: &str,
        input: &[u8],
    ) -> Result<Outcome, CredentialError> {
        let program = self.find(helper)?;
        let io_error = |e: io::Error| CredentialError::HelperIo {
            helper: helper.to_owned(),
            reason: e.to_string(),
        };
        let mut child = self.spawn(&program, action).await.map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                CredentialError::HelperNotFound {
                    helper: helper.to_owned(),
                }
            } else {
                io_error(e)
            }
        })?;
        let result = tokio::time::timeout(self.timeout, exchange(&mut child, input)).await;
        match result {
            Ok(Ok(outcome)) => Ok(outcome),
            Ok(Err(e)) => {
                stop(&mut child).await;
                Err(io_error(e))
            }
            Err(_elapsed) => {
                stop(&mut child).await;
                Err(CredentialError::HelperTimeout {
                    helper: helper.to_owned(),
                    limit_ms: u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX),
                })
            }
        }
    }

    async fn spawn(&self, program: &Path, action: &str) -> io::Result<Child> {
        let mut attempt = 0;
        loop {
            let mut command = Command::new(program);
            command
                .arg(action)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .kill_on_drop(true);
            if let Some(path) = self.path {
                command.env("PATH", path);
            }
            match command.spawn() {
                Err(e) if e.kind() == io::ErrorKind::ExecutableFileBusy => {
                    attempt += 1;
                    if attempt >= SPAWN_ATTEMPTS {
                        return Err(e);
                    }
                    tokio::time::sleep(Duration::from_millis(10 << attempt)).await;
                }
                other => return other,
            }
        }
    }

    /// `docker-credential-<helper>` on `PATH`: the first absolute directory holding an
    /// executable regular file of that name. Relative `PATH` entries are ignored, as
    /// Go's `exec.LookPath` does since Go 1.19, so a helper is never run from the
    /// current directory by accident.
    fn find(&self, helper: &str) -> Result<PathBuf, CredentialError> {
        if helper.is_empty() || helper.contains(['/', '\\']) || helper.chars().any(char::is_control)
        {
            return Err(CredentialError::HelperInvalidName {
                helper: cut80(helper),
            });
        }
        let name = format!("docker-credential-{helper}");
        let inherited: Option<OsString>;
        let path = match self.path {
            Some(p) => Some(p),
            None => {
                inherited = std::env::var_os("PATH");
                inherited.as_deref()
            }
        };
        path.into_iter()
            .flat_map(std::env::split_paths)
            .filter(|dir| dir.is_absolute())
            .map(|dir| dir.join(&name))
            .find(|candidate| is_executable(candidate))
            .ok_or_else(|| CredentialError::HelperNotFound {
                helper: helper.to_owned(),
            })
    }
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// Writes `input`, reads stdout (capped) and stderr (first [`STDERR_KEEP`] bytes) at
/// the same time, and waits for the exit.
async fn exchange(child: &mut Child, input: &[u8]) -> io::Result<Outcome> {
    let stdin = child.stdin.take();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let write = async move {
        if let Some(mut stdin) = stdin {
            // A helper may exit without reading its input; a broken pipe is its answer,
            // not an error of ours.
            let _ = stdin.write_all(input).await;
            let _ = stdin.shutdown().await;
        }
    };
    let read_out = async move {
        match stdout {
            Some(s) => read_capped(s, MAX_HELPER_OUTPUT_SIZE).await,
            None => Ok((Vec::new(), false)),
        }
    };
    let read_err = async move {
        match stderr {
            Some(s) => read_keep(s, STDERR_KEEP).await,
            None => Ok(Vec::new()),
        }
    };
    let ((), out, err) = tokio::join!(write, read_out, read_err);
    let (stdout, stdout_overflow) = out?;
    if stdout_overflow {
        // Stop a helper that would go on writing forever.
        let _ = child.start_kill();
    }
    let stderr = err?;
    let status = child.wait().await?;
    Ok(Outcome {
        status,
        stdout,
        stdout_overflow,
        stderr,
    })
}

/// Reads to the end, or stops as soon as more than `cap` bytes arrived (then `true`).
async fn read_capped<R: AsyncRead + Unpin>(mut r: R, cap: usize) -> io::Result<(Vec<u8>, bool)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = r.read(&mut chunk).await?;
        if n == 0 {
            return Ok((buf, false));
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.len() > cap {
            return Ok((buf, true));
        }
    }
}

/// Reads to the end, keeping the first `keep` bytes.
async fn read_keep<R: AsyncRead + Unpin>(mut r: R, keep: usize) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = r.read(&mut chunk).await?;
        if n == 0 {
            return Ok(buf);
        }
        let room = keep.saturating_sub(buf.len()).min(n);
        buf.extend_from_slice(&chunk[..room]);
    }
}

async fn stop(child: &mut Child) {
    let _ = child.start_kill();
    let _ = child.wait().await;
}

fn failed(helper: &str, out: &Outcome) -> CredentialError {
    CredentialError::HelperFailed {
        helper: helper.to_owned(),
        status: out.status.code(),
        message: failure_message(&out.stderr, &out.stdout),
    }
}

/// The first line of stderr, else of stdout unless stdout looks like JSON (which may be
/// a credential), cut to [`STDERR_EXCERPT_CHARS`] characters, control characters
/// replaced.
fn failure_message(stderr: &[u8], stdout: &[u8]) -> String {
    let first_line = |bytes: &[u8]| -> String {
        let text = String::from_utf8_lossy(bytes);
        text.trim_start()
            .lines()
            .next()
            .unwrap_or("")
            .trim_end()
            .chars()
            .take(STDERR_EXCERPT_CHARS)
            .map(|c| if c.is_control() { '?' } else { c })
            .collect()
    };
    let from_stderr = first_line(stderr);
    if !from_stderr.is_empty() {
        return from_stderr;
    }
    let from_stdout = first_line(stdout);
    if from_stdout.contains(['{', '"']) {
        return String::new();
    }
    from_stdout
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_messages() {
        let long = "x".repeat(500);
        let cases: &[(&[u8], &[u8], &str)] = &[
            (b"first\nsecond SECRET\n", b"", "first"),
            (b"\n\n  spaced line  \nmore", b"", "spaced line"),
            (b"", b"error from helper\n", "error from helper"),
            (b"", br#"{"Secret":"s"}"#, ""),
            (b"bell\x07here", b"", "bell?here"),
            (long.as_bytes(), b"", &long[..STDERR_EXCERPT_CHARS]),
            (b"\xff\xfe bad utf8", b"", "\u{fffd}\u{fffd} bad utf8"),
        ];
        for (stderr, stdout, want) in cases {
            assert_eq!(failure_message(stderr, stdout), *want);
        }
    }

    #[test]
    fn invalid_names() {
        let runner = HelperRunner {
            path: Some(OsStr::new("/nonexistent")),
            timeout: Duration::from_secs(1),
        };
        for name in ["", "../../bin/sh", "a/b", "a\nb", "a\\b"] {
            assert_eq!(
                runner
                    .find(name)
                    .map_err(|e| hoist_core::ErrorCode::code(&e)),
                Err("credential-helper-invalid-name"),
                "{name:?}"
            );
        }
        assert_eq!(
            runner
                .find("pass")
                .map_err(|e| hoist_core::ErrorCode::code(&e)),
            Err("credential-helper-not-found")
        );
    }

    #[test]
    fn relative_path_entries_ignored() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let script = tmp.path().join("docker-credential-rel");
        std::fs::write(&script, "#!/bin/sh\n").expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
                .expect("chmod");
        }
        let joined = std::env::join_paths([Path::new("relative/dir"), tmp.path()]).expect("join");
        let runner = HelperRunner {
            path: Some(&joined),
            timeout: Duration::from_secs(1),
        };
        assert_eq!(runner.find("rel").expect("found"), script);
        let only_relative = OsString::from(".");
        let runner = HelperRunner {
            path: Some(&only_relative),
            timeout: Duration::from_secs(1),
        };
        assert!(runner.find("rel").is_err());
    }
}

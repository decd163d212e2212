//! `hoist login` and `hoist logout`: store and remove registry credentials in the auth file
//! podman uses (`$XDG_RUNTIME_DIR/containers/auth.json`, `REGISTRY_AUTH_FILE` or
//! `--authfile`), written with mode 0600 (or in the credential helper it names).
//!
//! The password is only ever read from standard input (`--password-stdin`): never from
//! an argument (visible in `ps` and shell history), and hoist never prompts.

use std::io::Read;
use std::path::PathBuf;

use clap::Args;
use hoist_core::auth::Secret;
use serde_json::json;

use super::common;
use super::{CliError, Format};
use crate::credentials::{CredentialEnv, CredentialStore, StoredIn};

/// Largest password read from stdin.
const MAX_PASSWORD: u64 = 64 << 10;

/// `hoist login REGISTRY -u USER --password-stdin`
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The registry (`quay.io`, `localhost:5000`) or a namespace in it (`quay.io/org`).
    pub registry: String,
    /// The user name.
    #[arg(short, long)]
    pub username: Option<String>,
    /// Read the password from standard input (the only way to give one).
    #[arg(long)]
    pub password_stdin: bool,
    /// The auth file to write (default: `REGISTRY_AUTH_FILE`, then
    /// `$XDG_RUNTIME_DIR/containers/auth.json`).
    #[arg(long)]
    pub authfile: Option<PathBuf>,
}

/// `hoist logout REGISTRY`
#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// The registry or namespace given to `login`.
    pub registry: String,
    /// The auth file to edit (see `login`).
    #[arg(long)]
    pub authfile: Option<PathBuf>,
}

fn credential_store(authfile: Option<PathBuf>) -> CredentialStore {
    let mut env = CredentialEnv::from_process_env();
    if authfile.is_some() {
        env.registry_auth_file = authfile;
    }
    CredentialStore::new(env)
}

/// The whole of stdin, minus one trailing newline (`\n` or `\r\n`), as docker and podman
/// read `--password-stdin`.
fn read_password() -> Result<Secret, CliError> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(MAX_PASSWORD + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::new("stdin-unreadable", e.to_string()))?;
    if bytes.len() as u64 > MAX_PASSWORD {
        return Err(CliError::new(
            "password-too-long",
            "the password on stdin is over 64 KiB",
        ));
    }
    let mut text = String::from_utf8(bytes)
        .map_err(|_| CliError::new("password-not-utf8", "the password on stdin is not UTF-8"))?;
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    if text.is_empty() {
        return Err(CliError::new(
            "password-empty",
            "no password on stdin (--password-stdin)",
        ));
    }
    Ok(Secret::new(text))
}

/// Runs `hoist login`. The credentials are stored as given: hoist does not contact the
/// registry to check them (podman does); the next pull uses them.
pub async fn run_login(format: Format, args: LoginArgs) -> Result<(), CliError> {
    let Some(username) = args.username.filter(|u| !u.is_empty()) else {
        return Err(CliError::new(
            "username-required",
            "pass the user name with -u/--username (hoist never prompts)",
        ));
    };
    if !args.password_stdin {
        return Err(CliError::new(
            "password-stdin-required",
            "pass --password-stdin and the password on standard input (hoist never prompts and never takes a password argument)",
        ));
    }
    let password = read_password()?;
    let store = credential_store(args.authfile);
    let stored = store.login(&args.registry, &username, &password).await?;
    match format {
        Format::Json => {
            let (kind, place) = match &stored {
                StoredIn::File(p) => ("file", p.display().to_string()),
                StoredIn::Helper(h) => ("helper", h.clone()),
            };
            common::print_json(&json!({
                "registry": args.registry,
                "username": username,
                "stored_in": { "kind": kind, "name": place },
            }))
        }
        Format::Human => {
            println!("Login Succeeded!");
            Ok(())
        }
    }
}

/// Runs `hoist logout` (`not-logged-in` when there was nothing to remove).
pub async fn run_logout(format: Format, args: LogoutArgs) -> Result<(), CliError> {
    let store = credential_store(args.authfile);
    store.logout(&args.registry).await?;
    match format {
        Format::Json => common::print_json(&json!({ "registry": args.registry })),
        Format::Human => {
            println!("Removed login credentials for {}", args.registry);
            Ok(())
        }
    }
}

//! Registry credentials for the native host: which auth files, in which order, read how;
//! running `docker-credential-*` helpers; writing `auth.json` on login and logout.
//!
//! Every decision about a file's *content* (which entry matches a key, what an `auth`
//! field decodes to, what a helper's output means, how the file looks after login) is
//! `hoist-core`'s ([`hoist_core::auth::DockerConfig`],
//! [`hoist_core::auth::parse_helper_output`]). This
//! module does the I/O around it:
//!
//! * [`CredentialEnv`] is a snapshot of the environment (`REGISTRY_AUTH_FILE`,
//!   `XDG_RUNTIME_DIR`, `XDG_CONFIG_HOME`, `HOME`, `DOCKER_CONFIG`, `PATH`, the uid), so
//!   nothing here reads the process environment behind the caller's back (the one
//!   exception: with `path: None`, helpers are looked up in this process's `PATH`), and
//!   nothing here ever changes it.
//! * [`CredentialStore::resolve`] answers "which credentials for this registry host
//!   (and repository)?" for the drive loop:
//!   1. an explicit `--creds user:password` ([`parse_creds`], [`CredentialStore::with_creds`]);
//!   2. the auth files of [`CredentialEnv::read_paths`], in order (containers/image
//!      `getCredentialsWithHomeDir`). Missing files are skipped; an unreadable or
//!      corrupt file is an error naming it, as in containers/image (a broken file never
//!      silently turns into anonymous access). The first file whose entry yields
//!      credentials wins. When a file names a credential helper, the helper is run; if
//!      it has nothing for the registry ("credentials not found"), the search goes on
//!      to the next file, as containers/image does;
//!   3. otherwise [`Credentials::Anonymous`].
//! * [`CredentialStore::login`] / [`CredentialStore::logout`] edit the file of
//!   [`CredentialEnv::write_path`] (or the credential helper that file names for the
//!   registry), written with mode 0600 through a temporary file, fsync and rename.
//!
//! Helpers get the registry host on stdin (`https://index.docker.io/v1/` for Docker Hub,
//! see [`helper_server_url`]), run under a time limit ([`DEFAULT_HELPER_TIMEOUT`]) and
//! are killed when they exceed it; their stdout is capped at
//! [`hoist_core::auth::MAX_HELPER_OUTPUT_SIZE`]; only the first line of their stderr,
//! cut to 200 characters, can reach an error message.
//!
//! Auth files are read with blocking `std::fs` calls from the async functions: they are a
//! few KiB on local disk and reading them is cheaper than a trip to a blocking pool.

mod env;
mod error;
mod file;
mod helper;

use std::path::PathBuf;
use std::time::Duration;

use hoist_core::auth::{Credentials, DockerConfig, Lookup, Secret, DOCKER_HUB_LEGACY_KEY};

pub use env::{AuthPath, CredentialEnv};
pub use error::{CredentialError, STDERR_EXCERPT_CHARS};
pub use helper::helper_server_url;

use error::cut80;
use helper::HelperRunner;

/// How long a credential helper may run before it is killed.
pub const DEFAULT_HELPER_TIMEOUT: Duration = Duration::from_secs(10);

/// Parses `--creds user:password`, split at the first `:` (so the password may contain
/// `:`). An empty password (`user:`) is allowed, as in podman; a missing `:` is an error,
/// because podman would prompt for the password and hoist never prompts.
///
/// Errors: `creds-empty`, `creds-missing-colon`, `creds-empty-username`. Messages never
/// repeat the input.
pub fn parse_creds(creds: &str) -> Result<Credentials, CredentialError> {
    if creds.is_empty() {
        return Err(CredentialError::CredsEmpty);
    }
    let Some((username, password)) = creds.split_once(':') else {
        return Err(CredentialError::CredsMissingColon);
    };
    if username.is_empty() {
        return Err(CredentialError::CredsEmptyUsername);
    }
    Ok(Credentials::Basic {
        username: username.to_owned(),
        password: Secret::new(password),
    })
}

/// Where [`CredentialStore::resolve_with_source`] found credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialSource {
    /// `--creds` ([`CredentialStore::with_creds`]).
    Override,
    /// An entry of this auth file.
    File(PathBuf),
    /// A credential helper named by this auth file.
    Helper {
        /// The helper name (without `docker-credential-`).
        helper: String,
        /// The auth file that named it.
        file: PathBuf,
    },
    /// Nowhere: the credentials are anonymous.
    None,
}

/// Credentials and where they came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The credentials ([`Credentials::Anonymous`] when none were found).
    pub credentials: Credentials,
    /// Where they came from.
    pub source: CredentialSource,
}

/// Where [`CredentialStore::login`] stored credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoredIn {
    /// In this auth file.
    File(PathBuf),
    /// In this credential helper (named by the auth file for the registry).
    Helper(String),
}

/// Finds, stores and removes registry credentials for one environment.
#[derive(Clone, Debug)]
pub struct CredentialStore {
    env: CredentialEnv,
    creds: Option<Credentials>,
    helper_timeout: Duration,
}

impl CredentialStore {
    /// A store over `env`, with the default helper time limit and no `--creds`.
    pub fn new(env: CredentialEnv) -> Self {
        CredentialStore {
            env,
            creds: None,
            helper_timeout: DEFAULT_HELPER_TIMEOUT,
        }
    }

    /// A store over [`CredentialEnv::from_process_env`].
    pub fn from_process_env() -> Self {
        Self::new(CredentialEnv::from_process_env())
    }

    /// Credentials from `--creds` that [`resolve`](Self::resolve) returns for every
    /// registry, before any file is read (podman applies `--creds` to the one registry
    /// a command talks to; a CLI builds one store per command).
    #[must_use]
    pub fn with_creds(mut self, credentials: Credentials) -> Self {
        self.creds = Some(credentials);
        self
    }

    /// The time a credential helper may run before it is killed
    /// (default [`DEFAULT_HELPER_TIMEOUT`]).
    #[must_use]
    pub fn with_helper_timeout(mut self, timeout: Duration) -> Self {
        self.helper_timeout = timeout;
        self
    }

    /// The environment this store reads.
    pub fn env(&self) -> &CredentialEnv {
        &self.env
    }

    fn runner(&self) -> HelperRunner<'_> {
        HelperRunner {
            path: self.env.path.as_deref(),
            timeout: self.helper_timeout,
        }
    }

    /// The credentials for registry `host` (`quay.io`, `localhost:5000`, `docker.io`),
    /// and for `repository` on it when known (normalized, without tag or digest:
    /// `quay.io/org/app`, `docker.io/library/busybox`), so namespaced `auth.json` keys
    /// (`quay.io/org`) can match. See the module docs for the order.
    ///
    /// A `repository` on another registry than `host` (a mirror asked about with the
    /// original name) is ignored and the host alone is looked up; Docker Hub's names
    /// (`docker.io`, `index.docker.io`, `registry-1.docker.io`) are one registry.
    ///
    /// Errors: `invalid-registry-key`;
    /// `auth-file-unreadable`; the core's codes for a corrupt file or entry
    /// (`docker-config-invalid-json`, `auth-invalid-base64`, …) or helper output
    /// (`helper-output-invalid-json`, …); `credential-helper-not-found`,
    /// `credential-helper-timeout`, `credential-helper-failed`,
    /// `credential-helper-invalid-name`, `credential-helper-io`.
    pub async fn resolve(
        &self,
        host: &str,
        repository: Option<&str>,
    ) -> Result<Credentials, CredentialError> {
        self.resolve_with_source(host, repository)
            .await
            .map(|r| r.credentials)
    }

    /// [`resolve`](Self::resolve), also saying where the credentials came from.
    pub async fn resolve_with_source(
        &self,
        host: &str,
        repository: Option<&str>,
    ) -> Result<Resolved, CredentialError> {
        if let Some(credentials) = &self.creds {
            return Ok(Resolved {
                credentials: credentials.clone(),
                source: CredentialSource::Override,
            });
        }
        if host.contains('/') {
            return Err(CredentialError::Auth {
                path: None,
                source: hoist_core::auth::AuthError::InvalidRegistryKey {
                    key: cut80(host),
                    reason: "a registry host has no path",
                },
            });
        }
        let key = match repository {
            Some(repo) if same_registry(host, repo.split('/').next().unwrap_or(repo)) => repo,
            // A repository on another host (a mirror, or a token realm, asked about
            // with the original name) says nothing about this host's keys.
            Some(_) | None => host,
        };
        // Reject a malformed key before any file or helper is involved.
        DockerConfig::empty()
            .lookup(key)
            .map_err(|source| CredentialError::Auth { path: None, source })?;
        for auth in self.env.read_paths() {
            let Some(config) = file::load(&auth)? else {
                continue;
            };
            let lookup = config
                .lookup(key)
                .map_err(|source| CredentialError::AuthFile {
                    path: auth.path.clone(),
                    source,
                })?;
            match lookup {
                Lookup::Credentials(credentials) if !credentials.is_anonymous() => {
                    return Ok(Resolved {
                        credentials,
                        source: CredentialSource::File(auth.path),
                    });
                }
                Lookup::Helper(helper) => {
                    let credentials = self.runner().get(&helper, helper_server_url(host)).await?;
                    if !credentials.is_anonymous() {
                        return Ok(Resolved {
                            credentials,
                            source: CredentialSource::Helper {
                                helper,
                                file: auth.path,
                            },
                        });
                    }
                }
                Lookup::Credentials(_) | Lookup::None => {}
            }
        }
        Ok(Resolved {
            credentials: Credentials::Anonymous,
            source: CredentialSource::None,
        })
    }

    /// `login`: stores `username` / `password` for `key` (a registry host such as
    /// `quay.io` or `docker.io`, or a namespace such as `quay.io/org`) in the auth file of
    /// [`CredentialEnv::write_path`]. When that file names a credential helper for the
    /// registry (`credHelpers`, else `credsStore`), a host key is stored through the
    /// helper instead, as docker and podman do.
    ///
    /// Errors: `xdg-runtime-dir-missing`, `auth-file-location-unknown`,
    /// `auth-file-unreadable`, the core's codes for a corrupt file, a bad key
    /// (`invalid-registry-key`) or user name (`username-contains-colon`),
    /// `auth-file-write-failed`, `credential-helper-namespace-unsupported`, and the
    /// helper errors of [`resolve`](Self::resolve).
    pub async fn login(
        &self,
        key: &str,
        username: &str,
        password: &Secret,
    ) -> Result<StoredIn, CredentialError> {
        validate_edit_key(key)?;
        let path = self.env.write_path()?;
        let config = self.load_for_edit(&path)?;
        if let Some(helper) = editing_helper(&config, key)? {
            self.runner()
                .store(&helper, helper_server_url(key), username, password)
                .await?;
            return Ok(StoredIn::Helper(helper));
        }
        let text = config
            .with_login(key, username, password)
            .map_err(|source| CredentialError::Auth {
                path: Some(path.clone()),
                source,
            })?;
        file::write_private(&path, &text)?;
        Ok(StoredIn::File(path))
    }

    /// `logout`: removes the credentials for `key` from the auth file of
    /// [`CredentialEnv::write_path`] and, for a host key, from the credential helper
    /// that file names for the registry.
    ///
    /// Errors: `not-logged-in` when neither held anything for `key`, and the errors of
    /// [`login`](Self::login).
    pub async fn logout(&self, key: &str) -> Result<(), CredentialError> {
        validate_edit_key(key)?;
        let path = self.env.write_path()?;
        let config = self.load_for_edit(&path)?;
        let mut erased = false;
        if let Some(helper) = editing_helper(&config, key)? {
            erased = self.runner().erase(&helper, helper_server_url(key)).await?;
        }
        match config.without(key) {
            Ok(text) => file::write_private(&path, &text),
            Err(source) if erased && hoist_core::ErrorCode::code(&source) == "not-logged-in" => {
                Ok(())
            }
            Err(source) => Err(CredentialError::Auth {
                path: Some(path),
                source,
            }),
        }
    }

    fn load_for_edit(&self, path: &std::path::Path) -> Result<DockerConfig, CredentialError> {
        let auth = AuthPath {
            path: path.to_owned(),
            legacy: false,
        };
        Ok(file::load(&auth)?.unwrap_or_default())
    }
}

use hoist_core::auth::same_registry;

/// Rejects a key the core would not write (a URL other than docker's Hub key, a tag, a
/// digest), before a helper could be handed it.
fn validate_edit_key(key: &str) -> Result<(), CredentialError> {
    match DockerConfig::empty().without(key) {
        Err(source) if hoist_core::ErrorCode::code(&source) != "not-logged-in" => {
            Err(CredentialError::Auth { path: None, source })
        }
        _ => Ok(()),
    }
}

/// The helper that `login` / `logout` of `key` go through, if the file names one.
///
/// A host key uses the core's [`DockerConfig::helper_for`]. A namespaced key is written
/// into `auths`, unless the host has its own `credHelpers` entry: lookups ask that
/// helper first, so a namespaced entry would never be read, and helpers only know hosts.
fn editing_helper(config: &DockerConfig, key: &str) -> Result<Option<String>, CredentialError> {
    let (host, namespaced) = match key.split_once('/') {
        _ if key == DOCKER_HUB_LEGACY_KEY => ("docker.io", false),
        Some((host, _)) => (host, true),
        None => (key, false),
    };
    let helper = config.helper_for(host);
    if !namespaced {
        return Ok(helper.map(str::to_owned));
    }
    let registry_helper = config
        .cred_helpers()
        .find(|(registry, _)| *registry == host)
        .map(|(_, h)| h)
        .or(helper.filter(|h| Some(*h) != config.creds_store()));
    match registry_helper {
        Some(helper) => Err(CredentialError::HelperNamespaceUnsupported {
            helper: helper.to_owned(),
            key: cut80(key),
        }),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hoist_core::ErrorCode;

    #[test]
    fn creds_flag() {
        let ok = |s: &str| match parse_creds(s) {
            Ok(Credentials::Basic { username, password }) => {
                (username, password.expose().to_owned())
            }
            other => panic!("{s}: {other:?}"),
        };
        assert_eq!(ok("u:p"), ("u".into(), "p".into()));
        assert_eq!(ok("u:p:q"), ("u".into(), "p:q".into()));
        assert_eq!(ok("u:"), ("u".into(), String::new()));
        let err = |s: &str| parse_creds(s).map(|_| ()).map_err(|e| e.code());
        assert_eq!(err(""), Err("creds-empty"));
        assert_eq!(err("user-only"), Err("creds-missing-colon"));
        assert_eq!(err(":pw"), Err("creds-empty-username"));
        let e = parse_creds("CANARY-no-colon").expect_err("no colon");
        assert!(!format!("{e} {e:?}").contains("CANARY"));
    }

    #[test]
    fn editing_helpers() {
        let config =
            DockerConfig::parse(br#"{"credHelpers":{"gcr.io":"gcloud"},"credsStore":"desktop"}"#)
                .expect("valid");
        let helper = |k: &str| editing_helper(&config, k).map_err(|e| e.code());
        assert_eq!(helper("gcr.io"), Ok(Some("gcloud".into())));
        assert_eq!(helper("quay.io"), Ok(Some("desktop".into())));
        assert_eq!(helper("quay.io/org"), Ok(None));
        assert_eq!(
            helper("gcr.io/project"),
            Err("credential-helper-namespace-unsupported")
        );
        let plain = DockerConfig::empty();
        assert_eq!(editing_helper(&plain, "quay.io").expect("ok"), None);
    }
}

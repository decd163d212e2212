//! Credentials for the WASI host: `--creds USER:PASSWORD`, or an auth file
//! (`--authfile PATH`, else `$REGISTRY_AUTH_FILE`) read through the preopened
//! directories and looked up by the core ([`DockerConfig::lookup`], podman's key order).
//!
//! A WASI program cannot start processes, so an auth file that names a credential
//! helper for the registry is an error (`credential-helper-unsupported`), never a silent
//! anonymous pull.

use std::path::PathBuf;

use hoist_core::auth::{same_registry, Credentials, DockerConfig, Lookup, Secret};

use crate::error::{Error, Result};

/// Largest auth file read (as the native host's bound).
const MAX_AUTH_FILE_SIZE: u64 = 1 << 20;

/// Where this pull's credentials come from.
pub enum CredentialSource {
    /// `--creds`: for every host this pull asks about.
    Fixed(Credentials),
    /// An auth file (already parsed), and its path for messages.
    File(PathBuf, Box<DockerConfig>),
    /// Nothing: anonymous.
    None,
}

/// `USER:PASSWORD` as `--creds` takes it (the native CLI's rules and codes).
pub fn parse_creds(creds: &str) -> Result<Credentials> {
    let Some((username, password)) = creds.split_once(':') else {
        let code = if creds.is_empty() {
            "creds-empty"
        } else {
            "creds-missing-colon"
        };
        return Err(Error::new(code, "--creds must be USER:PASSWORD"));
    };
    if username.is_empty() {
        return Err(Error::new(
            "creds-empty-username",
            "--creds has an empty user name",
        ));
    }
    Ok(Credentials::Basic {
        username: username.to_owned(),
        password: Secret::new(password),
    })
}

/// `auth-file-unreadable`, the native host's code.
fn unreadable(path: &std::path::Path, e: &std::io::Error) -> Error {
    Error::new(
        "auth-file-unreadable",
        format!("{}: cannot read: {e}", path.display()),
    )
}

impl CredentialSource {
    /// From the command line: `--creds` wins, then `--authfile`, then
    /// `$REGISTRY_AUTH_FILE`.
    pub fn from_options(creds: Option<&str>, authfile: Option<&str>) -> Result<Self> {
        if let Some(c) = creds {
            return Ok(CredentialSource::Fixed(parse_creds(c)?));
        }
        let path = match authfile {
            Some(p) => PathBuf::from(p),
            None => match std::env::var_os("REGISTRY_AUTH_FILE") {
                Some(p) => PathBuf::from(p),
                None => return Ok(CredentialSource::None),
            },
        };
        let bytes = match std::fs::metadata(&path) {
            Ok(m) if m.len() > MAX_AUTH_FILE_SIZE => {
                return Err(Error::new(
                    "docker-config-too-large",
                    format!("{}: {} bytes is too large", path.display(), m.len()),
                ))
            }
            Ok(_) => std::fs::read(&path).map_err(|e| unreadable(&path, &e))?,
            // A missing auth file means no credentials, as in podman.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(CredentialSource::None)
            }
            Err(e) => return Err(unreadable(&path, &e)),
        };
        let config = DockerConfig::parse(&bytes).map_err(|e| {
            Error::new(
                hoist_core::ErrorCode::code(&e),
                format!("{}: {e}", path.display()),
            )
        })?;
        Ok(CredentialSource::File(path, Box::new(config)))
    }

    /// The credentials for `host`; `repository` (normalized) picks `host/namespace`
    /// keys when it lives on `host`.
    pub fn lookup(&self, host: &str, repository: &str) -> Result<Credentials> {
        match self {
            CredentialSource::Fixed(c) => Ok(c.clone()),
            CredentialSource::None => Ok(Credentials::Anonymous),
            CredentialSource::File(path, config) => {
                let key = if same_registry(host, repository.split('/').next().unwrap_or("")) {
                    repository
                } else {
                    host
                };
                let named = |e: hoist_core::auth::AuthError| {
                    Error::new(
                        hoist_core::ErrorCode::code(&e),
                        format!("{}: {e}", path.display()),
                    )
                };
                match config.lookup(key).map_err(named)? {
                    Lookup::Credentials(c) => Ok(c),
                    Lookup::None => Ok(Credentials::Anonymous),
                    Lookup::Helper(helper) => Err(Error::new(
                        "credential-helper-unsupported",
                        format!(
                            "{}: registry {host} uses credential helper docker-credential-{helper}, \
                             which a WASI program cannot run; pass --creds or an auth file with \
                             the credentials",
                            path.display()
                        ),
                    )),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creds() {
        assert!(matches!(
            parse_creds("u:p:q"),
            Ok(Credentials::Basic { ref username, .. }) if username == "u"
        ));
        assert_eq!(parse_creds("").err().map(|e| e.code), Some("creds-empty"));
        assert_eq!(
            parse_creds("up").err().map(|e| e.code),
            Some("creds-missing-colon")
        );
        assert_eq!(
            parse_creds(":p").err().map(|e| e.code),
            Some("creds-empty-username")
        );
        let e = parse_creds("up-s3cret").expect_err("error");
        assert!(!e.message.contains("s3cret"));
    }
}

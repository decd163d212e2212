//! [`AuthError`]: the one error enum of the `auth` module.

use std::fmt;

use crate::ErrorCode;

/// A JSON document the `auth` module reads, named in size and syntax errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Document {
    /// A docker `config.json`, containers `auth.json` or legacy `.dockercfg`.
    DockerConfig,
    /// The output of `docker-credential-<helper> get`.
    HelperOutput,
    /// A token server response.
    Token,
}

impl Document {
    /// A short lower-case name for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Document::DockerConfig => "auth file",
            Document::HelperOutput => "credential helper output",
            Document::Token => "token response",
        }
    }
}

impl fmt::Display for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why credentials, an auth file, a challenge, a realm or a token response was rejected.
///
/// Messages name the field, key or host at fault and never include a secret: decoded
/// passwords, tokens and `auth` strings are never quoted, and a realm that carries
/// userinfo is reported by its host only.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// An `auth` field is not base64 (standard alphabet, padded or not).
    InvalidBase64 {
        /// The field, for example `auth` or `auths["quay.io"].auth`.
        field: String,
    },
    /// A decoded `auth` field has no `:` between user name and password.
    MissingColon {
        /// The field.
        field: String,
    },
    /// A decoded `auth` field is not UTF-8.
    InvalidUtf8 {
        /// The field.
        field: String,
    },
    /// A CRI `server_address` has no usable host.
    InvalidServerAddress {
        /// The address, cut to 80 characters.
        address: String,
    },
    /// A document (auth file, helper output, token response) is larger than its limit.
    TooLarge {
        /// Which document.
        what: Document,
        /// Its size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// A document is not strict JSON (see [`crate::json`]).
    InvalidJson {
        /// Which document.
        what: Document,
        /// The JSON checker's message (never a value from the document).
        detail: String,
    },
    /// A field of an auth file has the wrong type.
    InvalidConfigField {
        /// The field path, for example `auths["quay.io"].auth`.
        field: String,
        /// The type it must have.
        expected: &'static str,
    },
    /// A registry key is not a host, `host/namespace` or repository name.
    InvalidRegistryKey {
        /// The key, cut to 80 characters.
        key: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A user name for `docker login` contains `:`, which the `auth` encoding cannot carry.
    UsernameContainsColon,
    /// Logout from a key the file has no entry for.
    NotLoggedIn {
        /// The key, cut to 80 characters.
        key: String,
    },
    /// A legacy `.dockercfg` file was asked to change; only `config.json` / `auth.json`
    /// are written.
    LegacyConfigReadOnly,
    /// The output of `docker-credential-* get` is missing a field or has a wrong type.
    InvalidHelperOutput {
        /// The field (`Secret`, `Username`, `ServerURL` or `(root)`).
        field: &'static str,
    },
    /// `WWW-Authenticate` headers are longer than their limit.
    ChallengeTooLarge {
        /// Their total size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// A `WWW-Authenticate` header does not follow RFC 7235 §4.1.
    InvalidChallenge {
        /// Byte offset in the header where parsing stopped.
        at: usize,
        /// What was expected there.
        reason: &'static str,
    },
    /// A Bearer challenge has no `realm`.
    RealmMissing,
    /// A realm is not an absolute `http(s)` URL with a valid host.
    InvalidRealm {
        /// The realm, cut to 80 characters.
        realm: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A realm uses plain `http` while the registry itself is reached over `https`.
    RealmInsecureScheme {
        /// The realm's host.
        host: String,
    },
    /// A realm uses a scheme other than `http` or `https`.
    RealmUnsupportedScheme {
        /// The scheme, cut to 80 characters.
        scheme: String,
    },
    /// A realm carries `user:password@`, which hoist never sends anywhere.
    RealmHasUserinfo {
        /// The realm's host.
        host: String,
    },
    /// A token response field has the wrong type or format.
    InvalidTokenField {
        /// The field (`token`, `access_token`, `expires_in`, `issued_at`,
        /// `refresh_token` or `(root)`).
        field: &'static str,
    },
    /// A token response has neither `token` nor `access_token` (or both are empty).
    TokenMissing,
    /// An OAuth2 POST token request needs a refresh token or a user name and password.
    OAuthNeedsCredentials,
    /// A registry token is used as the bearer token directly; there is nothing to request.
    TokenRequestNotNeeded,
    /// `XDG_RUNTIME_DIR` names a directory the host found missing, so there is no auth
    /// file to write (containers/image `getPathToAuth` refuses rather than guess).
    XdgRuntimeDirMissing {
        /// The directory, as the variable gives it.
        dir: String,
    },
    /// Nothing names a writable auth file: none of `REGISTRY_AUTH_FILE`,
    /// `XDG_RUNTIME_DIR`, the user id, `XDG_CONFIG_HOME` or `HOME` is known.
    AuthFileLocationUnknown,
}

impl ErrorCode for AuthError {
    fn code(&self) -> &'static str {
        match self {
            AuthError::InvalidBase64 { .. } => "auth-invalid-base64",
            AuthError::MissingColon { .. } => "auth-missing-colon",
            AuthError::InvalidUtf8 { .. } => "auth-invalid-utf8",
            AuthError::InvalidServerAddress { .. } => "invalid-server-address",
            AuthError::TooLarge { what, .. } => match what {
                Document::DockerConfig => "docker-config-too-large",
                Document::HelperOutput => "helper-output-too-large",
                Document::Token => "token-too-large",
            },
            AuthError::InvalidJson { what, .. } => match what {
                Document::DockerConfig => "docker-config-invalid-json",
                Document::HelperOutput => "helper-output-invalid-json",
                Document::Token => "token-invalid-json",
            },
            AuthError::InvalidConfigField { .. } => "docker-config-invalid",
            AuthError::InvalidRegistryKey { .. } => "invalid-registry-key",
            AuthError::UsernameContainsColon => "username-contains-colon",
            AuthError::NotLoggedIn { .. } => "not-logged-in",
            AuthError::LegacyConfigReadOnly => "legacy-config-read-only",
            AuthError::InvalidHelperOutput { .. } => "helper-output-invalid",
            AuthError::ChallengeTooLarge { .. } => "challenge-too-large",
            AuthError::InvalidChallenge { .. } => "challenge-invalid",
            AuthError::RealmMissing => "realm-missing",
            AuthError::InvalidRealm { .. } => "realm-invalid",
            AuthError::RealmInsecureScheme { .. } => "realm-insecure-scheme",
            AuthError::RealmUnsupportedScheme { .. } => "realm-unsupported-scheme",
            AuthError::RealmHasUserinfo { .. } => "realm-has-userinfo",
            AuthError::InvalidTokenField { .. } => "token-invalid",
            AuthError::TokenMissing => "token-missing",
            AuthError::OAuthNeedsCredentials => "oauth-needs-credentials",
            AuthError::TokenRequestNotNeeded => "token-request-not-needed",
            AuthError::XdgRuntimeDirMissing { .. } => "xdg-runtime-dir-missing",
            AuthError::AuthFileLocationUnknown => "auth-file-location-unknown",
        }
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::InvalidBase64 { field } => write!(f, "{field} is not valid base64"),
            AuthError::MissingColon { field } => {
                write!(
                    f,
                    "decoded {field} has no ':' between user name and password"
                )
            }
            AuthError::InvalidUtf8 { field } => write!(f, "decoded {field} is not utf-8"),
            AuthError::InvalidServerAddress { address } => {
                write!(f, "server address {address:?} has no usable host")
            }
            AuthError::TooLarge { what, size, limit } => {
                write!(f, "{what} is {size} bytes, over the {limit}-byte limit")
            }
            AuthError::InvalidJson { what, detail } => write!(f, "{what}: {detail}"),
            AuthError::InvalidConfigField { field, expected } => {
                write!(f, "auth file field {field} must be {expected}")
            }
            AuthError::InvalidRegistryKey { key, reason } => {
                write!(f, "invalid registry key {key:?}: {reason}")
            }
            AuthError::UsernameContainsColon => f.write_str("user name contains ':'"),
            AuthError::NotLoggedIn { key } => write!(f, "not logged in to {key:?}"),
            AuthError::LegacyConfigReadOnly => {
                f.write_str("legacy .dockercfg files are read, never written")
            }
            AuthError::InvalidHelperOutput { field } => {
                write!(
                    f,
                    "credential helper output: field {field} is missing or not a string"
                )
            }
            AuthError::ChallengeTooLarge { size, limit } => write!(
                f,
                "www-authenticate headers are {size} bytes, over the {limit}-byte limit"
            ),
            AuthError::InvalidChallenge { at, reason } => {
                write!(f, "invalid www-authenticate header at byte {at}: {reason}")
            }
            AuthError::RealmMissing => f.write_str("bearer challenge has no realm"),
            AuthError::InvalidRealm { realm, reason } => {
                write!(f, "invalid token realm {realm:?}: {reason}")
            }
            AuthError::RealmInsecureScheme { host } => write!(
                f,
                "token realm on {host:?} uses http while the registry uses https"
            ),
            AuthError::RealmUnsupportedScheme { scheme } => {
                write!(f, "token realm scheme {scheme:?} is not http or https")
            }
            AuthError::RealmHasUserinfo { host } => {
                write!(f, "token realm on {host:?} carries user information")
            }
            AuthError::InvalidTokenField { field } => {
                write!(
                    f,
                    "token response field {field} has the wrong type or format"
                )
            }
            AuthError::TokenMissing => {
                f.write_str("token response has neither token nor access_token")
            }
            AuthError::OAuthNeedsCredentials => f.write_str(
                "an oauth2 token request needs a refresh token or a user name and password",
            ),
            AuthError::TokenRequestNotNeeded => {
                f.write_str("a registry token is used as is; there is no token to request")
            }
            AuthError::XdgRuntimeDirMissing { dir } => write!(
                f,
                "{dir} set by XDG_RUNTIME_DIR does not exist; create it or unset XDG_RUNTIME_DIR"
            ),
            AuthError::AuthFileLocationUnknown => f.write_str(
                "no auth file location: set REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR or HOME",
            ),
        }
    }
}

impl std::error::Error for AuthError {}

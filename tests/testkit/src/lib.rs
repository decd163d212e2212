//! # hoist-testkit
//!
//! Test support for hoist's end-to-end tests (native host, WASI host, Node host, CRI server).
//! Never shipped; it may use std I/O, threads and processes freely.
//!
//! It gives a test a **real registry** — Debian's `docker-registry` (distribution 2.8) on
//! `127.0.0.1` and a free port, storage in a temp dir, stopped on drop — in one of four
//! [`Setup`]s:
//!
//! | setup | transport | auth | what a test gets |
//! |---|---|---|---|
//! | [`Setup::NoAuth`] | `http` | none | [`Registry::host`], [`Registry::url`] |
//! | [`Setup::Basic`] | `http` | htpasswd (bcrypt) on every request, anonymous → `401` | [`Registry::credentials`] |
//! | [`Setup::Token`] | `http` | distribution token auth against an in-process [`TokenServer`] | [`Registry::credentials`], [`Registry::token_server`], [`Registry::token_log`] |
//! | [`Setup::Tls`] | `https` | none; certificate for `127.0.0.1` from a generated CA | [`Registry::ca_pem_path`], [`Registry::cert_dir`] |
//!
//! **Token setup.** The [`TokenServer`] runs on its own thread in the test process. At start it
//! generates a P-256 key and a self-signed certificate for it; the registry gets that
//! certificate as `auth.token.rootcertbundle`, plus `realm` (the server's `/token` URL),
//! `service` and `issuer` from [`TokenConfig`]. Tokens are ES256 JWTs whose header carries
//! `kid` = the libtrust key ID of the key ([`pki::libtrust_key_id`]) and whose claims are
//! `iss`, `sub`, `aud` (= service), `exp`, `nbf`, `iat`, `jti` and `access`. It serves both
//! flows of distribution's token spec: `GET /token?service=&scope=&account=[&offline_token=true]`
//! with optional Basic credentials, and `POST /token` (form: `grant_type=password` or
//! `grant_type=refresh_token`, `client_id`, `service`, `scope`, `access_type=offline` for a
//! refresh token). The configured user gets every action it asks for; anonymous requests are
//! handled by [`AnonymousAccess`]; wrong credentials get `401`. Every request is logged
//! (method, path and query, whether `Authorization` was present, user, status, grant) for
//! tests to read.
//!
//! **Test images.** [`ImageBuilder`] writes deterministic images into an OCI image layout
//! (`oci-layout`, `index.json` with `org.opencontainers.image.ref.name`, `blobs/sha256/…`):
//! N gzip'd tar layers of seeded pseudo-random content with fixed tar headers, a config with
//! correct `diff_ids`, history, labels, `User` and `created`; single-platform or a
//! multi-platform index (e.g. [`Platform::standard_set`]: linux/amd64, linux/arm64/v8,
//! linux/arm/v7); OCI or Docker v2 schema 2 media types ([`ManifestFormat`]).
//!
//! **skopeo as oracle.** [`push`] / [`Skopeo::push`] copy a layout into a registry
//! (`--all` for indexes, `--format v2s2` for Docker media types, `--preserve-digests`), returning
//! the pushed manifest digest; [`skopeo_inspect_raw`] and [`skopeo_copy_to_oci`] read back.
//!
//! ```no_run
//! use hoist_testkit::{digest_of, push, skopeo_inspect_raw, ImageBuilder, Registry, Setup};
//! # fn main() -> hoist_testkit::Result<()> {
//! let registry = Registry::start(Setup::basic());
//! let layouts = tempfile::tempdir()?;
//! let image = ImageBuilder::new(1).layer(1000).layer(2000).tag("v1").write(layouts.path())?;
//! let digest = push(layouts.path(), "test/app:v1", &registry)?;
//! assert_eq!(digest, image.digest());
//! assert_eq!(digest_of(&skopeo_inspect_raw("test/app:v1", &registry)?), digest);
//! # Ok(()) }
//! ```
//!
//! **Hostile registries.** [`fake::FakeRegistry`] is a fault-injecting fake for what a real
//! registry cannot be made to do (wrong digests, lying headers, endless or stalled bodies,
//! cross-origin redirects, misbehaving token realms), with a request log and extra origins
//! on `127.0.0.2` / `127.0.0.3`.
//!
//! Requirements: `/usr/bin/docker-registry` (Debian `docker-registry`) and `/usr/bin/skopeo`
//! (override with `HOIST_TEST_REGISTRY_BIN` / `HOIST_TEST_SKOPEO_BIN`). Everything listens on
//! `127.0.0.1` only.

#![warn(missing_docs)]

use std::fmt;

pub mod command;
pub mod fake;
pub mod http;
pub mod image;
pub mod pki;
pub mod registry;
pub mod skopeo;
pub mod token;

pub use command::{hoist_command, isolate};
pub use image::{
    BuiltImage, BuiltLayer, BuiltManifest, Descriptor, ImageBuilder, ManifestFormat, Platform,
};
pub use registry::{Credentials, LoggedRequest, Registry, Setup};
pub use skopeo::{push, skopeo_copy_to_oci, skopeo_inspect_raw, Skopeo, SkopeoAuth};
pub use token::{Access, AnonymousAccess, TokenConfig, TokenRequestLog, TokenServer};

/// The testkit's error: a message, or a failed skopeo run (kept apart so tests can look at
/// skopeo's stderr).
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Anything else, described.
    Message(String),
    /// skopeo exited unsuccessfully.
    Skopeo(skopeo::SkopeoFailure),
}

impl Error {
    /// An error with `message`.
    pub fn msg(message: impl Into<String>) -> Error {
        Error::Message(message.into())
    }

    /// skopeo's stderr, if this is a skopeo failure.
    pub fn skopeo_stderr(&self) -> Option<&str> {
        match self {
            Error::Skopeo(f) => Some(&f.stderr),
            Error::Message(_) => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Message(m) => f.write_str(m),
            Error::Skopeo(s) => write!(
                f,
                "skopeo failed ({}): {}\n{}",
                s.status,
                s.command,
                s.stderr.trim_end()
            ),
        }
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::msg(format!("io: {e}"))
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::msg(format!("json: {e}"))
    }
}

impl From<rcgen::Error> for Error {
    fn from(e: rcgen::Error) -> Self {
        Error::msg(format!("rcgen: {e}"))
    }
}

impl From<fmt::Error> for Error {
    fn from(e: fmt::Error) -> Self {
        Error::msg(format!("fmt: {e}"))
    }
}

/// The testkit's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `sha256:<hex>` of `bytes`.
pub fn digest_of(bytes: &[u8]) -> String {
    use sha2::{Digest as _, Sha256};
    let hash = Sha256::digest(bytes);
    let mut out = String::with_capacity(71);
    out.push_str("sha256:");
    for b in hash {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

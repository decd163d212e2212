//! # hoist-core
//!
//! The sans-IO, pure core of hoist: every protocol decision a container image tool makes,
//! with no I/O of its own. Hosts (native, WASI, Node) move bytes; this crate decides.
//!
//! The crate has no `async`, no clock, no randomness, no filesystem, network, environment
//! or threads. Time arrives as an argument (`now`, host-monotonic milliseconds, or unix
//! seconds where a wall-clock value is part of the data). `core/clippy.toml` enforces this
//! with `disallowed-methods` / `disallowed-types`, and `.ci/check-core-deps` fails the
//! build if an I/O crate ever becomes a normal dependency.
//!
//! Every module has its own error enum. Each is `#[non_exhaustive]`, derives `Clone` and
//! `PartialEq`, and implements [`ErrorCode`]: a stable kebab-case string that reaches the
//! WIT and JavaScript surfaces unchanged. Messages are short, lower-case, and name the
//! field, digest or host at fault, never a secret.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod auth;
pub mod class;
pub mod config;
pub mod descriptor;
pub mod digest;
pub mod display;
pub mod filter;
pub mod id;
pub mod json;
pub mod manifest;
pub mod media_type;
pub mod platform;
pub mod pull;
pub mod reference;
pub mod store;
pub mod url;

pub use class::ErrorClass;

/// A stable, machine-readable error code.
///
/// Codes are kebab-case and never change meaning once released: bindings forward them as
/// `code` fields (WIT) and `.code` properties (JavaScript), so scripts may match on them.
pub trait ErrorCode {
    /// The stable kebab-case code, for example `invalid-digest-format`.
    fn code(&self) -> &'static str;
}

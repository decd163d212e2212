//! The generated `runtime.v1` messages, server and client (tonic + prost, from
//! `proto/runtime_v1_image.proto` at build time). Generated code stays in this module.

#![allow(
    missing_docs,
    clippy::all,
    clippy::pedantic,
    rust_2018_idioms,
    unused_qualifications
)]

tonic::include_proto!("runtime.v1");

/// `AuthConfig` holds secrets, so its `Debug` shows which fields are set, never a value
/// (only `username` and `server_address`, which are not secret).
impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |s: &str| {
            if s.is_empty() {
                "<empty>"
            } else {
                "<redacted>"
            }
        };
        f.debug_struct("AuthConfig")
            .field("username", &self.username)
            .field("password", &set(&self.password))
            .field("auth", &set(&self.auth))
            .field("server_address", &self.server_address)
            .field("identity_token", &set(&self.identity_token))
            .field("registry_token", &set(&self.registry_token))
            .finish()
    }
}

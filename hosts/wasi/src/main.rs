//! `hoist-wasi`: hoist's WASI host, a wasm32-wasip2 command.
//!
//! It runs the same pull machine as the native host, but moves bytes only through what
//! WASI gives it: HTTP through `wasi:http/outgoing-handler`, storage through
//! `wasi:filesystem` on a preopened directory that holds the store (an OCI image layout
//! with hoist's `hoist.json`, the same format the native and Node hosts read and write).
//!
//! ```text
//! wasmtime run -S http --dir STORE::/store hoist-wasi.wasm pull --store /store REF
//! hoist-wasi-run --dir STORE -- pull REF
//! ```
//!
//! Commands: `pull`, `images`, `inspect`, `tag`, `untag`, `rmi`, `ref`. Every failure
//! ends the process with one line, `hoist: error[CODE]: message`, with the same codes as
//! the native CLI, and status 1, or 2 for a command line that does not parse (`usage`).
//!
//! Only `pull` needs `wasi:http`; on a non-WASI target (so that `cargo build --workspace`
//! works) it reports `unsupported-platform`, while the store commands work on any target
//! and are unit-tested natively.

// Off WASI the pull path is compiled out, so its store and credential code is unused
// there; clippy for wasm32-wasip2 (tests/run.sh) checks it where it runs.
#![cfg_attr(not(target_os = "wasi"), allow(dead_code, unused_imports))]

mod cli;
mod commands;
mod creds;
#[cfg(target_os = "wasi")]
mod drive;
mod error;
#[cfg(target_os = "wasi")]
mod http;
mod pull;
mod store;
mod writeback;

fn main() -> std::process::ExitCode {
    cli::main()
}

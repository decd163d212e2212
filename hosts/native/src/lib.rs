//! hoist's native host: the hyper transport, the OCI-layout store, credentials, the drive
//! loop and the `hoist` CLI. Every protocol decision is hoist-core's; this crate moves
//! bytes.

pub mod cli;
pub mod credentials;
pub mod cri;
pub mod dedupe;
pub mod drive;
pub mod glue;
pub mod store;
pub mod transport;

//! hoist's native host: performs the I/O that `hoist-core` decides on.
#![forbid(unsafe_code)]

pub mod credentials;

//! # hoist (native host)
//!
//! The native host of hoist: it performs the I/O that `hoist-core` decides on. [`store`] is
//! the on-disk image store (an OCI image layout, crash-safe).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod store;

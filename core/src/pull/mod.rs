//! The pull machine: a sans-IO state machine that turns a reference into a stored image.
//!
//! Under construction: the building blocks below are done; `Puller` lands with the pull
//! issue.

pub mod ratelimit;
pub mod retry;

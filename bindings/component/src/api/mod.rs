//! The `Guest` implementations: each function forwards to the core through `convert`.

mod auth;
mod basics;
mod pull;
mod reference;
mod store;

//! Placeholder bench, filled in with its module.
fn main() {}

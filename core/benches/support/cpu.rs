//! Shared by the benches that measure their own CPU time.

/// CPU time of this process in nanoseconds: the sum of the first field of
/// `/proc/self/task/*/schedstat` (time on CPU). The Go peer reads the same files.
#[allow(
    clippy::disallowed_methods,
    reason = "the bench harness, not the library, reads /proc to measure itself"
)]
pub fn cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(Result::ok)
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| {
            s.split_whitespace()
                .next()
                .and_then(|f| f.parse::<u64>().ok())
        })
        .sum()
}

//! One log line per call: method, image, duration, outcome. Never credentials: callers
//! pass only the image string.

use std::time::Instant;

use super::status::CallError;

/// Writes `cri METHOD image=… duration_ms=… outcome=ok|CODE` to stderr.
pub fn call(method: &str, image: &str, started: Instant, outcome: Result<(), &CallError>) {
    let image: String = image
        .chars()
        .take(200)
        .map(|c| if c.is_control() || c == ' ' { '?' } else { c })
        .collect();
    let image = if image.is_empty() {
        "-"
    } else {
        image.as_str()
    };
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    match outcome {
        Ok(()) => eprintln!("cri {method} image={image} duration_ms={ms:.1} outcome=ok"),
        Err(e) => eprintln!(
            "cri {method} image={image} duration_ms={ms:.1} outcome={} message={:?}",
            e.code, e.message
        ),
    }
}

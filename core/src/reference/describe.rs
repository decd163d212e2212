//! What `hoist ref` prints for one input, in every host: the normalized parts, or the
//! error code and message.

use serde_json::{json, Value};

use super::parse_normalized;
use crate::ErrorCode;

/// One input's analysis as a JSON object: `input`, `domain`, `path`, `tag`, `digest`,
/// `canonical` and `familiar` for a valid reference (normalized as docker does), or
/// `input`, `error` (the stable code) and `message`.
pub fn describe(input: &str) -> Value {
    match parse_normalized(input) {
        Ok(r) => json!({
            "input": input,
            "domain": r.domain(),
            "path": r.path(),
            "tag": r.tag(),
            "digest": r.digest().map(|d| d.to_string()),
            "canonical": r.canonical(),
            "familiar": r.familiar(),
        }),
        Err(e) => json!({ "input": input, "error": e.code(), "message": e.to_string() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_and_invalid() {
        let v = describe("busybox");
        assert_eq!(v["canonical"], "docker.io/library/busybox:latest");
        assert_eq!(v["familiar"], "busybox");
        assert_eq!(v["tag"], Value::Null);
        assert_eq!(describe("Bad:Ref")["error"], "name-contains-uppercase");
        assert_eq!(describe("a b")["error"], "invalid-reference-format");
    }
}

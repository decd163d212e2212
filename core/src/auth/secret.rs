//! [`Secret`]: a string that never prints.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// A password, token, `auth` string or `Authorization` header value.
///
/// `Debug` and `Display` print `<redacted>`, so a secret cannot leak through a log line,
/// a panic message or a `{:?}` of any struct that holds one. The only way to the text is
/// [`Secret::expose`], which is easy to grep for.
///
/// `Secret` deserializes from a JSON string (so hosts can read CRI `AuthConfig` or
/// credential-helper output straight into it) but deliberately does not implement
/// `Serialize`: a host that writes an auth file calls `expose` on purpose, or uses
/// [`crate::auth::DockerConfig::with_login`], which hands back the whole file as a `Secret`.
///
/// On drop the bytes are overwritten with zeros. This is best effort: copies made
/// before (a `clone`, a reallocation while the string grew) are not reached.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret text. Every call site is a place where a secret leaves hoist's hands.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the secret is the empty string (an absent password or token).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        let mut bytes = std::mem::take(&mut self.0).into_bytes();
        bytes.iter_mut().for_each(|b| *b = 0);
        std::hint::black_box(&bytes);
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(format!("{s}"), "<redacted>");
        assert_eq!(
            format!("{:#?}", Some(s.clone())),
            "Some(\n    <redacted>,\n)"
        );
        assert_eq!(s.expose(), "hunter2");
        assert!(!s.is_empty());
        assert!(Secret::default().is_empty());
    }

    #[test]
    fn deserializes_from_string_only() {
        let s: Secret = serde_json::from_str("\"tok\"").expect("string");
        assert_eq!(s.expose(), "tok");
        assert!(serde_json::from_str::<Secret>("5").is_err());
        assert!(serde_json::from_str::<Secret>("null").is_err());
    }
}

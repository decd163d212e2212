//! [`Credentials`], the `auth` field codec, and `Authorization` header values.

use base64::alphabet;
use base64::engine::{DecodePaddingMode, Engine, GeneralPurpose, GeneralPurposeConfig};

use super::{AuthError, Secret};

/// What a client presents to a registry or token server.
///
/// Every secret part is a [`Secret`], so `{:?}` of a `Credentials` shows the user name
/// and `<redacted>`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Credentials {
    /// No credentials: anonymous token requests, no `Authorization` header.
    #[default]
    Anonymous,
    /// A user name and password, sent as HTTP Basic (RFC 7617) to a Basic challenge or
    /// to the token server, or as an OAuth2 password grant.
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: Secret,
    },
    /// An OAuth2 refresh token (docker's "identity token"), exchanged at the token
    /// server with `grant_type=refresh_token` (distribution `docs/spec/auth/oauth.md`).
    IdentityToken {
        /// The user name that came with it; docker credential helpers use `<token>`,
        /// CRI leaves it empty. Token servers ignore it for refresh grants.
        username: String,
        /// The refresh token.
        token: Secret,
    },
    /// A bearer token for the registry itself, used as is without a token request
    /// (CRI `AuthConfig.registry_token`, docker's `registrytoken`).
    RegistryToken(Secret),
}

impl Credentials {
    /// True for [`Credentials::Anonymous`].
    pub fn is_anonymous(&self) -> bool {
        matches!(self, Credentials::Anonymous)
    }

    /// A stable name for the kind: `anonymous`, `basic`, `identity-token`,
    /// `registry-token`.
    pub fn kind(&self) -> &'static str {
        match self {
            Credentials::Anonymous => "anonymous",
            Credentials::Basic { .. } => "basic",
            Credentials::IdentityToken { .. } => "identity-token",
            Credentials::RegistryToken(_) => "registry-token",
        }
    }

    /// The user name, when the credentials carry one.
    pub fn username(&self) -> Option<&str> {
        match self {
            Credentials::Basic { username, .. } | Credentials::IdentityToken { username, .. } => {
                Some(username)
            }
            Credentials::Anonymous | Credentials::RegistryToken(_) => None,
        }
    }

    /// The `Authorization` value to answer a registry's Basic challenge, for Basic
    /// credentials; a registry token is sent as Bearer whatever the challenge.
    pub fn authorization_for_registry(&self) -> Option<Secret> {
        match self {
            Credentials::Basic { username, password } => {
                Some(basic_authorization(username, password))
            }
            Credentials::RegistryToken(token) => Some(bearer_authorization(token)),
            Credentials::Anonymous | Credentials::IdentityToken { .. } => None,
        }
    }
}

/// `Basic base64(username ":" password)`, the RFC 7617 §2 credentials.
pub fn basic_authorization(username: &str, password: &Secret) -> Secret {
    let joined = Secret::new(format!("{username}:{}", password.expose()));
    Secret::new(format!("Basic {}", STANDARD.encode(joined.expose())))
}

/// `Bearer <token>`, RFC 6750 §2.1.
pub fn bearer_authorization(token: &Secret) -> Secret {
    Secret::new(format!("Bearer {}", token.expose()))
}

/// base64 with the standard alphabet, padding optional and non-canonical trailing bits
/// accepted: what Go's `base64.StdEncoding` (containerd, containers/image) and kubelet's
/// padded-or-raw decoding accept between them.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Canonical padded standard base64, what docker and podman write.
pub(crate) const STANDARD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_encode_padding(true),
);

/// Decodes an `auth` field, `base64(user ":" password)`.
///
/// The split is at the first colon, so a password may contain colons and a user name may
/// not. Trailing NUL bytes are cut from the password: containerd decodes into a buffer of
/// `DecodedLen` bytes and trims them, so configs that carry them work there.
/// CR and LF are skipped, as Go's decoder does.
///
/// `field` names the field in errors; it is only called on failure.
pub(crate) fn decode_auth(
    encoded: &str,
    field: impl Fn() -> String,
) -> Result<(String, Secret), AuthError> {
    let bytes = if encoded.contains(['\r', '\n']) {
        let cleaned = Secret::new(encoded.replace(['\r', '\n'], ""));
        LENIENT.decode(cleaned.expose())
    } else {
        LENIENT.decode(encoded)
    }
    .map_err(|_| AuthError::InvalidBase64 { field: field() })?;
    let text = match String::from_utf8(bytes) {
        Ok(text) => Secret::new(text),
        Err(e) => {
            let mut raw = e.into_bytes();
            raw.iter_mut().for_each(|b| *b = 0);
            return Err(AuthError::InvalidUtf8 { field: field() });
        }
    };
    let Some((user, password)) = text.expose().split_once(':') else {
        return Err(AuthError::MissingColon { field: field() });
    };
    Ok((
        user.to_owned(),
        Secret::new(password.trim_end_matches('\0')),
    ))
}

/// Encodes `user:password` for an `auth` field.
pub(crate) fn encode_auth(username: &str, password: &Secret) -> Secret {
    let joined = Secret::new(format!("{username}:{}", password.expose()));
    Secret::new(STANDARD.encode(joined.expose()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn decode_table() {
        // (input, Ok((user, password)) or Err(code)); facts from containerd TestParseAuth,
        // kubelet TestDecodeDockerConfigFieldAuth and containers/image decodeDockerAuth.
        type Want = Result<(&'static str, &'static str), &'static str>;
        let cases: &[(&str, Want)] = &[
            ("dXNlcm5hbWU6cGFzc3dvcmQ=", Ok(("username", "password"))),
            ("Zm9vOmJhcg==", Ok(("foo", "bar"))),
            ("Zm9vOmJhcg", Ok(("foo", "bar"))),
            ("Zm9vOmJhcgo=", Ok(("foo", "bar\n"))),
            ("Zm9vOmJh\r\ncg==", Ok(("foo", "bar"))),
            ("dTpwOnE=", Ok(("u", "p:q"))),
            ("dTpwAAA=", Ok(("u", "p"))),
            ("Og==", Ok(("", ""))),
            ("cGFudHM=", Err("auth-missing-colon")),
            ("dXNlcm5hbWVAcGFzc3dvcmQ=", Err("auth-missing-colon")),
            ("pants", Err("auth-invalid-base64")),
            ("!!!!", Err("auth-invalid-base64")),
            ("/w==", Err("auth-invalid-utf8")),
        ];
        for (input, want) in cases {
            let got = decode_auth(input, || "auth".into());
            match (got, want) {
                (Ok((u, p)), Ok((wu, wp))) => {
                    assert_eq!((u.as_str(), p.expose()), (*wu, *wp), "{input}");
                }
                (Err(e), Err(code)) => assert_eq!(e.code(), *code, "{input}"),
                (got, want) => panic!("{input}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn headers() {
        let h = basic_authorization("Aladdin", &Secret::new("open sesame"));
        assert_eq!(h.expose(), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="); // RFC 7617 §2
        assert_eq!(
            bearer_authorization(&Secret::new("abc")).expose(),
            "Bearer abc"
        );
        assert_eq!(
            encode_auth("foo", &Secret::new("bar")).expose(),
            "Zm9vOmJhcg=="
        );
    }

    #[test]
    fn debug_redacts() {
        let all = [
            Credentials::Basic {
                username: "u".into(),
                password: Secret::new("s3cr3t-pw"),
            },
            Credentials::IdentityToken {
                username: "<token>".into(),
                token: Secret::new("s3cr3t-pw"),
            },
            Credentials::RegistryToken(Secret::new("s3cr3t-pw")),
        ];
        for c in &all {
            let text = format!("{c:?} {c:#?}");
            assert!(!text.contains("s3cr3t"), "{text}");
            assert!(text.contains("<redacted>"), "{text}");
        }
        assert_eq!(
            all[0]
                .authorization_for_registry()
                .map(|s| s.expose().to_owned()),
            Some("Basic dTpzM2NyM3QtcHc=".to_owned())
        );
        assert_eq!(all[1].authorization_for_registry(), None);
        assert_eq!(all[2].kind(), "registry-token");
    }
}

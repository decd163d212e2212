#![no_main]
//! `WWW-Authenticate` challenges, realm validation and the token requests built from them.
//!
//! Input: the first byte is a separator; the rest, split on it, is the list of header
//! values of one response (non-UTF-8 parts are read lossily, at most 8 headers).
//!
//! Invariants beyond "no panic":
//! - scheme and parameter names come back lower-cased; `preferred_challenge` picks a
//!   Bearer when there is one, else a Basic;
//! - a realm `validate_realm` accepts is a URL `url::Url::parse` accepts, with the same
//!   scheme, host and port (the host will send the token request through `Url`);
//! - every token request URL parses as a `Url` of the realm's origin, and neither the URL
//!   nor the request's `Debug` carries the password or its base64 form.
use base64::Engine as _;
use hoist_core::auth::{
    parse_challenges, parse_token_response, preferred_challenge, pull_scope, token_request,
    validate_realm, Credentials, Scheme, Secret, TokenCache, TokenFlow, TokenKey, TokenParams,
};
use hoist_core::url::{Scheme as UrlScheme, Url};
use hoist_core::ErrorCode;
use libfuzzer_sys::fuzz_target;

const MARKER: &str = "Pa55-MARKER-7q";

fn check_realm(realm: &str, http: bool) {
    let Ok(r) = validate_realm(realm, http) else {
        return;
    };
    assert_eq!(r.as_str(), realm);
    assert!(r.is_https() || http);
    let url = Url::parse(realm).unwrap_or_else(|e| panic!("realm {realm:?} is no Url: {e}"));
    assert_eq!(url.scheme() == UrlScheme::Https, r.is_https(), "{realm:?}");
    assert_eq!(url.host(), r.host(), "{realm:?}");
    assert_eq!(
        url.port(),
        r.port().unwrap_or(url.scheme().default_port()),
        "{realm:?}"
    );
}

/// `tainted`: the headers themselves contain the marker (the fuzzer finds it), so
/// seeing it in a URL proves nothing.
fn check_requests(params: &TokenParams, tainted: bool) {
    let encoded_marker = base64::engine::general_purpose::STANDARD.encode(format!("u:{MARKER}"));
    let creds = [
        Credentials::Anonymous,
        Credentials::Basic {
            username: "u".into(),
            password: Secret::new(MARKER),
        },
        Credentials::IdentityToken {
            username: "<token>".into(),
            token: Secret::new(MARKER),
        },
        Credentials::RegistryToken(Secret::new(MARKER)),
    ];
    let realm = Url::parse(params.realm.as_str()).expect("checked realm");
    for c in &creds {
        for flow in [TokenFlow::Get, TokenFlow::OAuthPost] {
            let Ok(req) = token_request(params, c, flow) else {
                continue;
            };
            let url = Url::parse(&req.url)
                .unwrap_or_else(|e| panic!("token url {:?} is no Url: {e}", req.url));
            assert!(url.same_origin(&realm), "{} vs {realm}", req.url);
            if !tainted {
                assert!(!req.url.contains(MARKER), "password in url {}", req.url);
                assert!(!req.url.contains(&encoded_marker));
                let debug = format!("{req:?} {req:#?}");
                assert!(!debug.contains(MARKER), "password in {debug}");
                assert!(!debug.contains(&encoded_marker), "auth in {debug}");
            }
            let _ = req.method.as_str();
            for (_, v) in &req.headers {
                let _ = (v.expose(), v.is_secret());
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&sep, rest)) = data.split_first() else {
        return;
    };
    let headers: Vec<String> = rest
        .split(|b| *b == sep)
        .take(8)
        .map(|h| String::from_utf8_lossy(h).into_owned())
        .collect();
    for h in &headers {
        check_realm(h, false);
        check_realm(h, true);
    }
    let challenges = match parse_challenges(&headers) {
        Ok(c) => c,
        Err(e) => {
            assert!(!e.code().is_empty() && !e.to_string().is_empty());
            return;
        }
    };
    assert!(challenges.len() <= rest.len());
    for c in &challenges {
        let scheme = c.scheme().as_str();
        assert!(!scheme.is_empty());
        assert_eq!(scheme, scheme.to_ascii_lowercase());
        for (name, _) in c.params() {
            assert_eq!(name, &name.to_ascii_lowercase());
        }
        let _ = (
            c.token68(),
            c.error(),
            c.error_description(),
            c.scopes().count(),
        );
    }
    match preferred_challenge(&challenges) {
        Some(p) => {
            let want = if challenges.iter().any(|c| c.scheme() == &Scheme::Bearer) {
                Scheme::Bearer
            } else {
                Scheme::Basic
            };
            assert_eq!(p.scheme(), &want);
        }
        None => assert!(challenges
            .iter()
            .all(|c| !matches!(c.scheme(), Scheme::Bearer | Scheme::Basic))),
    }

    let encoded_marker = base64::engine::general_purpose::STANDARD.encode(format!("u:{MARKER}"));
    let tainted = headers
        .iter()
        .any(|h| h.contains(MARKER) || h.contains(&encoded_marker));
    let extra = [pull_scope("library/busybox")];
    let mut cache = TokenCache::default();
    for c in challenges.iter().take(4) {
        if let Some(realm) = c.realm() {
            check_realm(realm, false);
            check_realm(realm, true);
        }
        for http in [false, true] {
            let Ok(mut params) = TokenParams::from_challenge(c, http, &extra) else {
                continue;
            };
            let mut seen = std::collections::BTreeSet::new();
            assert!(params
                .scopes
                .iter()
                .all(|s| !s.is_empty() && seen.insert(s)));
            assert!(params.scopes.contains(&extra[0]));
            check_requests(&params, tainted);
            params.offline = true;
            check_requests(&params, tainted);
            let key = TokenKey::for_params(&params);
            let token = parse_token_response(br#"{"token":"t","expires_in":120}"#)
                .expect("valid token response");
            cache.insert(key.clone(), &token, 1_000);
            assert!(cache.get(&key, 2_000).is_some());
            assert!(cache.get(&key, u64::MAX).is_none());
        }
    }
});

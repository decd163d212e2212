#![no_main]
//! Credential documents: docker `config.json` / `auth.json` / legacy `.dockercfg`,
//! credential-helper output, CRI `AuthConfig` (JSON-decoded) and token responses.
//!
//! Input: one JSON-ish byte string, given to every parser (their shapes overlap, so one
//! corpus feeds all four).
//!
//! Invariants beyond "no panic":
//! - **no secret in `Debug`**: whenever a document parses, the secrets it carries (the
//!   `auth`, `password`, `identitytoken`, `registrytoken` of each `auths` entry, helper
//!   `Secret`, CRI secret fields, token fields, and every decoded password) never appear
//!   inside a string literal of the `{:?}` output of the parsed value, of `lookup` /
//!   keyring results, or of the errors `lookup` and `decode_auth_config` return. A secret
//!   that also occurs in a non-secret string of the document (a key, a user name) is
//!   not checked, and neither are secrets shorter than 3 characters or that `Debug`
//!   escapes;
//! - `with_login` writes a file that parses, whose `lookup` of that key gives back the
//!   login (or the key's credential helper), and `without` then removes it;
//! - a token's `expires_in` is at least `MIN_TOKEN_LIFETIME_SECS`.
use hoist_core::auth::{
    decode_auth_config, is_helper_not_found, parse_helper_output, parse_token_response, urls_match,
    AuthConfig, Credentials, DockerConfig, Keyring, Lookup, Secret, DOCKER_HUB_LEGACY_KEY,
    MIN_TOKEN_LIFETIME_SECS,
};
use hoist_core::ErrorCode;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// Fixed text that errors print inside string literals (field paths such as
/// `auths["key"].auth`, reasons, expected types): a secret that occurs in one of them is
/// not evidence of a leak.
const VOCABULARY: &[&str] = &[
    "contains ':' after host[:port]",
    "contains '@'",
    "contains whitespace, control or non-ascii characters",
    "empty",
    "has an empty path component",
    "has an http(s):// prefix",
    "a string",
    "an object",
    "auth",
    "auths[",
    "].auth",
    "].username",
    "].password",
    "].email",
    "].identitytoken",
    "].registrytoken",
    "].serveraddress",
    "credHelpers[",
    "credsStore",
    "(root)",
    "<token>",
];

const MARKER: &str = "L0gin-MARKER-x9";

/// The string literals of a `Debug` rendering, still escaped.
fn literals(debug: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let b = debug.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'"' {
            let start = i + 1;
            let mut j = start;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            out.push(debug.get(start..j.min(b.len())).unwrap_or_default());
            i = j + 1;
        } else {
            i += 1;
        }
    }
    out
}

/// Collects the secrets and public strings of one document and the `Debug` texts shown
/// for it; [`LeakCheck::finish`] then looks for secrets in the texts' string literals.
struct LeakCheck {
    secrets: BTreeSet<String>,
    public: Vec<String>,
    /// (what, the literals of its Debug text, the whole text for the message).
    shown: Vec<(&'static str, Vec<String>, String)>,
}

impl LeakCheck {
    fn new() -> Self {
        LeakCheck {
            secrets: BTreeSet::new(),
            public: VOCABULARY.iter().map(|s| (*s).to_owned()).collect(),
            shown: Vec::new(),
        }
    }

    fn show(&mut self, what: &'static str, text: String) {
        let lits = literals(&text).into_iter().map(str::to_owned).collect();
        self.shown.push((what, lits, text));
    }

    fn secret(&mut self, s: &str) {
        self.secrets.insert(s.to_owned());
    }

    fn credentials(&mut self, c: &Credentials) {
        match c {
            Credentials::Anonymous => {}
            Credentials::Basic { username, password } => {
                self.public.push(username.clone());
                self.secret(password.expose());
            }
            Credentials::IdentityToken { username, token } => {
                self.public.push(username.clone());
                self.secret(token.expose());
            }
            Credentials::RegistryToken(t) => self.secret(t.expose()),
        }
    }

    /// Every key and string of `v` is public.
    fn public_value(&mut self, v: &Value) {
        match v {
            Value::String(s) => self.public.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|x| self.public_value(x)),
            Value::Object(o) => {
                for (k, x) in o {
                    self.public.push(k.clone());
                    self.public_value(x);
                }
            }
            _ => {}
        }
    }

    /// `fields` of `obj` are secrets; the rest of `obj` is public. An `auth` field is
    /// also decoded: its user name is public, its password secret.
    fn split_object(&mut self, obj: &Map<String, Value>, fields: &[&str]) {
        for (k, v) in obj {
            self.public.push(k.clone());
            match v {
                Value::String(s) if fields.contains(&k.as_str()) => {
                    self.secret(s);
                    if k == "auth" {
                        self.decoded_auth(s);
                    }
                }
                _ => self.public_value(v),
            }
        }
    }

    /// `base64(user ":" password)`, decoded as leniently as the core does.
    fn decoded_auth(&mut self, encoded: &str) {
        use base64::engine::{general_purpose::GeneralPurpose, DecodePaddingMode};
        use base64::Engine as _;
        const LENIENT: GeneralPurpose = GeneralPurpose::new(
            &base64::alphabet::STANDARD,
            base64::engine::GeneralPurposeConfig::new()
                .with_decode_padding_mode(DecodePaddingMode::Indifferent)
                .with_decode_allow_trailing_bits(true),
        );
        let cleaned = encoded.replace(['\r', '\n'], "");
        let Ok(bytes) = LENIENT.decode(cleaned) else {
            return;
        };
        let text = String::from_utf8_lossy(&bytes);
        if let Some((user, password)) = text.split_once(':') {
            self.public.push(user.to_owned());
            self.secret(password.trim_end_matches('\0'));
            self.secret(password);
        }
    }

    fn finish(&self) {
        for s in &self.secrets {
            if s.len() < 3 || format!("{s:?}") != format!("\"{s}\"") {
                continue;
            }
            if self.public.iter().any(|p| p.contains(s.as_str())) {
                continue;
            }
            for (what, lits, text) in &self.shown {
                assert!(
                    !lits.iter().any(|l| l.contains(s.as_str())),
                    "{what}: secret {s:?} in {text}"
                );
            }
        }
    }
}

/// Registry keys to look up, derived from a key of the file.
fn derived_keys(key: &str, out: &mut Vec<String>) {
    let bare = key.strip_prefix("https://").unwrap_or(key);
    let bare = bare.strip_prefix("http://").unwrap_or(bare);
    let host = bare.split('/').next().unwrap_or(bare);
    out.push(key.to_owned());
    out.push(bare.to_owned());
    out.push(host.to_owned());
    out.push(format!("{host}/ns/app"));
}

fn docker_config(data: &[u8], json: Option<&Value>, legacy: bool) {
    let parsed = if legacy {
        DockerConfig::parse_legacy(data)
    } else {
        DockerConfig::parse(data)
    };
    let config = match parsed {
        Ok(c) => c,
        Err(e) => {
            assert!(!e.code().is_empty());
            return;
        }
    };
    assert_eq!(config.is_legacy(), legacy);
    let Some(Value::Object(root)) = json else {
        panic!("a parsed docker config is a serde_json object");
    };
    let mut leak = LeakCheck::new();
    let auths = if legacy {
        Some(root)
    } else {
        root.get("auths").and_then(Value::as_object)
    };
    for (k, v) in root {
        leak.public.push(k.clone());
        if !(legacy || k == "auths") {
            leak.public_value(v);
        }
    }
    for (k, entry) in auths.into_iter().flatten() {
        leak.public.push(k.clone());
        if let Value::Object(fields) = entry {
            leak.split_object(
                fields,
                &["auth", "password", "identitytoken", "registrytoken"],
            );
        }
    }

    let mut keys = vec![
        "docker.io/library/busybox".to_owned(),
        "index.docker.io".to_owned(),
        "quay.io".to_owned(),
    ];
    for k in config
        .auth_keys()
        .chain(config.cred_helpers().map(|(r, _)| r))
    {
        derived_keys(k, &mut keys);
    }
    keys.truncate(64);
    leak.public.extend(keys.iter().cloned());

    for key in &keys {
        let found = config.lookup(key);
        if let Ok(Lookup::Credentials(c)) = &found {
            leak.credentials(c);
        }
        leak.show("lookup", format!("{found:?}"));
        let _ = config.helper_for(key);
    }
    let mut ring = Keyring::new();
    if ring.add(&config).is_ok() {
        for key in &keys {
            let found = ring.lookup(key);
            found.iter().for_each(|c| leak.credentials(c));
            leak.show("keyring lookup", format!("{found:?}"));
        }
    }
    for a in config.auth_keys().take(8) {
        for b in keys.iter().take(8) {
            let _ = urls_match(a, b);
        }
    }
    leak.show("docker config", format!("{config:?}"));
    leak.finish();

    if legacy {
        assert!(config
            .with_login("quay.io", "u", &Secret::new(MARKER))
            .is_err());
        return;
    }
    for key in keys.iter().take(4) {
        let Ok(file) = config.with_login(key, "u", &Secret::new(MARKER)) else {
            continue;
        };
        assert!(!format!("{file:?}").contains(MARKER));
        let again = DockerConfig::parse(file.expose().as_bytes())
            .unwrap_or_else(|e| panic!("with_login({key:?}) wrote an unreadable file: {e}"));
        if key != DOCKER_HUB_LEGACY_KEY {
            match again.lookup(key) {
                Ok(Lookup::Helper(_)) => {}
                Ok(Lookup::Credentials(Credentials::Basic { username, password })) => {
                    assert_eq!((username.as_str(), password.expose()), ("u", MARKER));
                }
                other => panic!("lookup({key:?}) after login: {other:?}"),
            }
        }
        let removed = again
            .without(key)
            .unwrap_or_else(|e| panic!("without({key:?}) after login: {e}"));
        DockerConfig::parse(removed.expose().as_bytes()).expect("without writes a valid file");
    }
}

fn helper_output(data: &[u8], json: Option<&Value>) {
    let _ = is_helper_not_found(data);
    let result = parse_helper_output(data);
    let Ok(c) = &result else {
        return;
    };
    let Some(Value::Object(root)) = json else {
        panic!("parsed helper output is a serde_json object");
    };
    let mut leak = LeakCheck::new();
    leak.split_object(root, &["Secret"]);
    leak.credentials(c);
    if let Credentials::IdentityToken { username, .. } = c {
        assert_eq!(username, "<token>");
    }
    leak.show("helper output", format!("{result:?}"));
    leak.finish();
}

fn cri(json: Option<&Value>) {
    let Some(v) = json else {
        return;
    };
    let Ok(config) = serde_json::from_value::<AuthConfig>(v.clone()) else {
        return;
    };
    let mut leak = LeakCheck::new();
    if let Value::Object(root) = v {
        leak.split_object(
            root,
            &["password", "auth", "identity_token", "registry_token"],
        );
    }
    let server = config.server_address.clone();
    let host = server
        .split("://")
        .last()
        .unwrap_or_default()
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    leak.show("cri auth config", format!("{config:?}"));
    for registry in [host.as_str(), "registry.example.com", "docker.io"] {
        leak.public.push(registry.to_owned());
        let result = decode_auth_config(&config, registry);
        match &result {
            Ok(c) => leak.credentials(c),
            Err(e) => leak.show("decode_auth_config error", e.to_string()),
        }
        leak.show("decode_auth_config", format!("{result:?}"));
    }
    leak.finish();
}

fn token(data: &[u8], json: Option<&Value>) {
    let Ok(t) = parse_token_response(data) else {
        return;
    };
    assert!(t.expires_in() >= MIN_TOKEN_LIFETIME_SECS);
    assert!(t.expires_at(0) >= MIN_TOKEN_LIFETIME_SECS * 1000);
    let Some(Value::Object(root)) = json else {
        panic!("a parsed token response is a serde_json object");
    };
    let mut leak = LeakCheck::new();
    leak.split_object(root, &["token", "access_token", "refresh_token"]);
    leak.secret(t.token().expose());
    leak.show(
        "token",
        format!("{t:?} {:?} {:?}", t.authorization(), t.refresh_token()),
    );
    leak.finish();
}

fuzz_target!(|data: &[u8]| {
    let json: Option<Value> = serde_json::from_slice(data).ok();
    docker_config(data, json.as_ref(), false);
    docker_config(data, json.as_ref(), true);
    helper_output(data, json.as_ref());
    cri(json.as_ref());
    token(data, json.as_ref());
});

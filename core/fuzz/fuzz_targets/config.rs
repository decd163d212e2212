#![no_main]
//! Image configs, their user / timestamp fields, image and chain IDs, and the schema 1
//! history → config conversion.
//!
//! Input: byte 0 is a mode.
//! - even: the rest is a config document for `ImageConfig::parse`, and also a `User`
//!   value for `parse_user` and a timestamp for `Timestamp::parse`;
//! - odd: the rest, split on NUL bytes (at most 16 parts), is a schema 1 history, newest
//!   first, for `config::schema1::to_config`. With bit 1 set, each part that is a JSON
//!   object first gets a valid `id` / `parent` chain, so the conversion gets past its
//!   layer-chain checks and into the interesting parts.
//!
//! Invariants beyond "no panic":
//! - a config keeps its bytes, its ID is their SHA-256, `check_layers` accepts exactly
//!   the diff ID count (when history agrees) and chain IDs line up with the diff IDs;
//! - the serialized (inspect) view of a config is itself a config that serializes the same;
//! - a timestamp prints as its input;
//! - a converted schema 1 config reparses equal, with one layer per diff ID given.
use hoist_core::config::schema1::to_config;
use hoist_core::config::{parse_user, ConfigError, ImageConfig, ImageUser, Timestamp};
use hoist_core::digest::Digest;
use hoist_core::id::{chain_id, chain_ids, image_id};
use hoist_core::ErrorCode;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn check_config(raw: &[u8]) {
    let c = match ImageConfig::parse(raw) {
        Ok(c) => c,
        Err(e) => {
            assert!(!e.code().is_empty() && !e.to_string().is_empty());
            return;
        }
    };
    assert_eq!(c.raw(), raw);
    assert_eq!(c.id(), image_id(raw));
    assert_eq!(c.id(), Digest::sha256_of(raw));
    let n = c.diff_ids().len();
    if let Ok(()) = c.check_layers(n) {
        let non_empty = c.history().iter().filter(|h| !h.empty_layer).count();
        assert!(c.history().is_empty() || non_empty == n);
    }
    assert!(c.check_layers(n + 1).is_err());
    if n > 0 {
        assert!(c.check_layers(n - 1).is_err());
    }
    let chain = chain_ids(c.diff_ids());
    assert_eq!(chain.len(), n);
    assert_eq!(chain.last(), chain_id(c.diff_ids()).as_ref());
    assert_eq!(chain.first(), c.diff_ids().first());

    let user = c.config().and_then(|e| e.user.as_deref());
    assert_eq!(c.user(), user.and_then(parse_user));
    let _ = (
        c.created().map(Timestamp::as_str),
        c.author(),
        c.architecture(),
        c.variant(),
        c.os(),
        c.os_version(),
        c.os_features(),
        c.rootfs(),
        c.extra(),
        c.labels(),
    );

    let view = serde_json::to_vec(&c).expect("config serializes");
    let again = ImageConfig::parse(&view).unwrap_or_else(|e| {
        panic!(
            "inspect view is not a config ({e}): {}",
            String::from_utf8_lossy(&view)
        )
    });
    assert_eq!(
        serde_json::to_vec(&again).expect("serializes"),
        view,
        "inspect view is not a fixed point"
    );
}

fn check_text(text: &str) {
    match parse_user(text) {
        Some(ImageUser::Uid(uid)) => {
            let first = text.split(':').next().unwrap_or_default();
            assert_eq!(first.parse::<i64>(), Ok(uid));
        }
        Some(ImageUser::Name(name)) => assert!(text.starts_with(&name) && !name.is_empty()),
        None => assert!(text.split(':').next().unwrap_or_default().is_empty()),
    }
    if let Ok(t) = Timestamp::parse(text) {
        assert_eq!(t.as_str(), text);
        assert_eq!(t.to_string(), text);
        assert!(t.nanos() < 1_000_000_000);
        assert!(t.offset_seconds().abs() < 86_400);
        assert_eq!(Timestamp::parse(&t.to_string()).as_ref(), Ok(&t));
    }
}

/// Gives each JSON-object part an `id`, and a `parent` naming the next (older) part.
fn chain(parts: &mut [String]) {
    let id = |i: usize| format!("{:064x}", i + 1);
    let count = parts.len();
    for (i, part) in parts.iter_mut().enumerate() {
        let Ok(Value::Object(mut obj)) = serde_json::from_str::<Value>(part) else {
            continue;
        };
        obj.insert("id".into(), Value::String(id(i)));
        if i + 1 < count {
            obj.insert("parent".into(), Value::String(id(i + 1)));
        } else {
            obj.remove("parent");
        }
        if let Ok(s) = serde_json::to_string(&obj) {
            *part = s;
        }
    }
}

fn check_schema1(mode: u8, rest: &[u8]) {
    let mut parts: Vec<String> = rest
        .split(|b| *b == 0)
        .take(16)
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    if mode & 2 != 0 {
        chain(&mut parts);
    }
    let history: Vec<(String, Digest)> = parts
        .into_iter()
        .enumerate()
        .map(|(i, p)| (p, Digest::sha256_of(&[i as u8])))
        .collect();
    // The first call learns how many diff IDs the history needs.
    let needed = match to_config(&history, &[]) {
        Ok(_) => 0,
        Err(ConfigError::DiffIdsMismatch { layers, .. }) => layers,
        Err(e) => {
            assert!(!e.code().is_empty() && !e.to_string().is_empty());
            return;
        }
    };
    let diff_ids: Vec<Digest> = (0..needed)
        .map(|i| Digest::sha256_of(&(i as u64).to_le_bytes()))
        .collect();
    let c = match to_config(&history, &diff_ids) {
        Ok(c) => c,
        Err(e) => {
            assert_ne!(e.code(), "diff-ids-mismatch");
            return;
        }
    };
    assert_eq!(c.layers.len(), diff_ids.len());
    assert_eq!(c.config.diff_ids(), diff_ids.as_slice());
    let again = ImageConfig::parse(c.config.raw()).expect("converted config reparses");
    assert_eq!(again, c.config);
    assert!(c.config.check_layers(diff_ids.len()).is_ok());
    for l in &c.layers {
        assert!(history.iter().any(|(_, d)| d == l));
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        check_config(rest);
        if let Ok(text) = std::str::from_utf8(rest) {
            check_text(text);
        }
    } else {
        check_schema1(mode, rest);
    }
});

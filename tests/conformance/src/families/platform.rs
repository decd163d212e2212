//! `platform.*` vectors.
//!
//! A platform in an input is either a specifier string (parsed with `linux/amd64` as the
//! host) or an image-spec platform object (`{"architecture", "os", "os.version"?,
//! "os.features"?, "variant"?}`). Platform outputs are image-spec objects with empty
//! fields omitted.
//!
//! - `platform.parse`: input `{"specifier", "host"?: object}` → ok: platform object.
//! - `platform.normalize`: input: platform object → ok: normalised platform object.
//! - `platform.matches`: input `{"want", "candidate", "strict"?: bool}` → ok `bool`
//!   (`strict` is containerd `OnlyStrict`, otherwise `Only`).
//! - `platform.select`: input `{"want", "available": [platform|null…]}` → ok: the index
//!   of the chosen entry (entries are given synthetic descriptors; `null` = no platform).

use hoist_core::descriptor::Descriptor;
use hoist_core::digest::Digest;
use hoist_core::platform::{select_platform, Platform, PlatformError};
use serde_json::Value;

use crate::output;

fn host() -> Platform {
    Platform::new("linux", "amd64", "")
}

fn platform(v: &Value) -> Option<Result<Platform, PlatformError>> {
    Some(match v {
        Value::String(s) => Platform::parse(s, &host()),
        Value::Object(_) => Platform::from_value(v),
        _ => return None,
    })
}

macro_rules! try_platform {
    ($v:expr) => {
        match platform($v)? {
            Ok(p) => p,
            Err(e) => return Some(output::<(), _>(Err(e))),
        }
    };
}

pub fn run(name: &str, input: &Value) -> Option<Value> {
    Some(match name {
        "parse" => {
            let host = match input.get("host") {
                Some(h) => try_platform!(h),
                None => host(),
            };
            output(Platform::parse(input.get("specifier")?.as_str()?, &host))
        }
        "normalize" => output(Platform::from_value(input).map(|p| p.normalize())),
        "matches" => {
            let want = try_platform!(input.get("want")?);
            let candidate = try_platform!(input.get("candidate")?);
            let strict = input
                .get("strict")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            output::<_, PlatformError>(Ok(if strict {
                want.matches(&candidate)
            } else {
                want.compatible(&candidate)
            }))
        }
        "select" => {
            let want = try_platform!(input.get("want")?);
            let mut children = Vec::new();
            for (i, p) in input.get("available")?.as_array()?.iter().enumerate() {
                let mut d = Descriptor::new(
                    hoist_core::media_type::OCI_MANIFEST,
                    Digest::sha256_of(i.to_string().as_bytes()),
                    1,
                );
                if !p.is_null() {
                    d.platform = Some(try_platform!(p));
                }
                children.push(d);
            }
            output(select_platform(&children, &want).map(|chosen| {
                children
                    .iter()
                    .position(|c| std::ptr::eq(c, chosen))
                    .unwrap_or(usize::MAX)
            }))
        }
        _ => return None,
    })
}

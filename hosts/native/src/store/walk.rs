//! The descriptor walk (containerd `images.Children`): which blobs a manifest reaches.
//!
//! This only lists children; it judges nothing about the image (the core's manifest module
//! does that during a pull). It reads:
//!
//! - an image manifest (OCI or Docker v2 schema 2: any document with a `config` object):
//!   `config` and every `layers[]` entry. Non-distributable layers (OCI
//!   `…layer.nondistributable…`, Docker `…rootfs.foreign…`) are optional: a host may leave
//!   them out;
//! - an index / manifest list (any document with a `manifests` array): every entry, as an
//!   optional child manifest (the store keeps the platform manifests it pulled, not all of
//!   them);
//! - a Docker v2 schema 1 manifest (`schemaVersion` 1): every `fsLayers[].blobSum` (sizes
//!   unknown).
//!
//! `subject` (referrers) is not a child.

use hoist_core::digest::Digest;
use serde_json::Value;

/// Largest manifest the store reads (containerd's and the core's 4 MiB manifest limit).
pub const MAX_MANIFEST_SIZE: u64 = 4 << 20;

/// Deepest nesting of indexes the walks follow (index → manifest is depth 1).
pub(crate) const MAX_WALK_DEPTH: usize = 4;

/// One blob a manifest reaches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Child {
    pub digest: Digest,
    /// The descriptor's size (`None` for schema 1 layers).
    pub size: Option<u64>,
    /// It must be in the store for the image to be complete.
    pub required: bool,
    /// It is itself a manifest whose children count too.
    pub is_manifest: bool,
}

/// The children of a manifest's bytes, or why they cannot be known.
pub(crate) fn children(bytes: &[u8]) -> Result<Vec<Child>, String> {
    hoist_core::json::check(bytes).map_err(|e| e.to_string())?;
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let Some(obj) = doc.as_object() else {
        return Err("manifest is not a json object".into());
    };
    let mut out = Vec::new();
    if obj.get("schemaVersion").and_then(Value::as_u64) == Some(1) {
        let layers = obj
            .get("fsLayers")
            .and_then(Value::as_array)
            .ok_or("schema 1 manifest without fsLayers")?;
        for (i, l) in layers.iter().enumerate() {
            let sum = l
                .get("blobSum")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("fsLayers[{i}]: no blobSum"))?;
            let digest = Digest::parse(sum).map_err(|e| format!("fsLayers[{i}].blobSum: {e}"))?;
            if !out.iter().any(|c: &Child| c.digest == digest) {
                out.push(Child {
                    digest,
                    size: None,
                    required: true,
                    is_manifest: false,
                });
            }
        }
        return Ok(out);
    }
    if let Some(list) = obj.get("manifests") {
        let list = list.as_array().ok_or("manifests is not an array")?;
        for (i, d) in list.iter().enumerate() {
            let (digest, size, _) = descriptor(d).map_err(|e| format!("manifests[{i}]: {e}"))?;
            out.push(Child {
                digest,
                size: Some(size),
                required: false,
                is_manifest: true,
            });
        }
        return Ok(out);
    }
    let Some(config) = obj.get("config") else {
        return Err("not a manifest: no config, manifests or fsLayers".into());
    };
    let (digest, size, _) = descriptor(config).map_err(|e| format!("config: {e}"))?;
    out.push(Child {
        digest,
        size: Some(size),
        required: true,
        is_manifest: false,
    });
    let layers = match obj.get("layers") {
        None => &[][..],
        Some(l) => l.as_array().ok_or("layers is not an array")?.as_slice(),
    };
    for (i, d) in layers.iter().enumerate() {
        let (digest, size, media_type) = descriptor(d).map_err(|e| format!("layers[{i}]: {e}"))?;
        out.push(Child {
            digest,
            size: Some(size),
            required: !is_non_distributable(media_type),
            is_manifest: false,
        });
    }
    Ok(out)
}

fn descriptor(v: &Value) -> Result<(Digest, u64, &str), String> {
    let media_type = v.get("mediaType").and_then(Value::as_str).unwrap_or("");
    let digest = v.get("digest").and_then(Value::as_str).ok_or("no digest")?;
    let digest = Digest::parse(digest).map_err(|e| e.to_string())?;
    let size = v
        .get("size")
        .and_then(Value::as_u64)
        .filter(|s| *s <= i64::MAX as u64)
        .ok_or("no valid size")?;
    Ok((digest, size, media_type))
}

fn is_non_distributable(media_type: &str) -> bool {
    media_type.starts_with("application/vnd.oci.image.layer.nondistributable.")
        || media_type.starts_with("application/vnd.docker.image.rootfs.foreign.")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    #[test]
    fn image_manifest() {
        let m = format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"a/b","digest":"{}","size":3}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{}","size":4}},{{"mediaType":"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip","digest":"{}","size":5}}],"subject":{{"mediaType":"a/b","digest":"{}","size":1}}}}"#,
            d('a'),
            d('b'),
            d('c'),
            d('e')
        );
        let c = children(m.as_bytes()).expect("children");
        let got: Vec<(String, Option<u64>, bool)> = c
            .iter()
            .map(|c| (c.digest.to_string(), c.size, c.required))
            .collect();
        assert_eq!(
            got,
            [
                (d('a'), Some(3), true),
                (d('b'), Some(4), true),
                (d('c'), Some(5), false)
            ]
        );
    }

    #[test]
    fn index_and_schema1() {
        let i = format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"a/b","digest":"{}","size":3}}]}}"#,
            d('a')
        );
        let c = children(i.as_bytes()).expect("index");
        assert!(c[0].is_manifest && !c[0].required);
        let s1 = format!(
            r#"{{"schemaVersion":1,"fsLayers":[{{"blobSum":"{}"}},{{"blobSum":"{}"}}]}}"#,
            d('a'),
            d('a')
        );
        assert_eq!(children(s1.as_bytes()).expect("s1").len(), 1);
    }

    #[test]
    fn rejects() {
        for bad in [
            "",
            "[]",
            "{}",
            r#"{"config":{}}"#,
            r#"{"config":{"digest":"sha256:x","size":1}}"#,
            r#"{"manifests":{}}"#,
            r#"{"schemaVersion":1}"#,
            r#"{"a":1,"a":2}"#,
        ] {
            assert!(children(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}

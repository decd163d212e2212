//! Store records → CRI messages (type translation only).

use std::collections::HashMap;

use hoist_core::config::ImageUser;
use hoist_core::store::ImageRecord;

use super::cache::ConfigFacts;
use super::proto;

/// The CRI `Image` of a record.
///
/// `repo_tags`/`repo_digests` are the store's canonical names (containerd and CRI-O also
/// report full names: `docker.io/library/redis:7`); `uid`/`username` come from
/// config.User as cri-containerd's `getUserFromImage` splits it (numeric → `uid`, else
/// `username`, neither when unset); `spec.image` is the ID. `size` is the sum of the
/// image's blobs, which is > 0 for every pulled image.
pub fn image(record: &ImageRecord, facts: &ConfigFacts) -> proto::Image {
    let (uid, username) = match &facts.user {
        Some(ImageUser::Uid(uid)) => (Some(proto::Int64Value { value: *uid }), String::new()),
        Some(ImageUser::Name(name)) => (None, name.clone()),
        None => (None, String::new()),
    };
    proto::Image {
        id: record.id.to_string(),
        repo_tags: record.names.clone(),
        repo_digests: record.digests.clone(),
        size: record.size,
        uid,
        username,
        spec: Some(proto::ImageSpec {
            image: record.id.to_string(),
            ..proto::ImageSpec::default()
        }),
        pinned: record.pinned,
        image_source: String::new(),
    }
}

/// `ImageStatusResponse.info` with `verbose`: every value is a JSON document, as
/// api.proto asks (crictl's `inspecti` embeds them as JSON).
pub fn verbose_info(record: &ImageRecord, facts: &ConfigFacts) -> HashMap<String, String> {
    let json = |v: serde_json::Value| v.to_string();
    let mut info = HashMap::new();
    info.insert("labels".to_owned(), json(serde_json::json!(record.labels)));
    info.insert(
        "chainID".to_owned(),
        json(match &facts.chain_id {
            Some(c) => serde_json::Value::String(c.to_string()),
            None => serde_json::Value::Null,
        }),
    );
    info.insert(
        "manifestDigest".to_owned(),
        json(serde_json::Value::String(
            record.manifest_digest.to_string(),
        )),
    );
    info
}

#[cfg(test)]
mod tests {
    use hoist_core::digest::Digest;

    use super::*;

    #[test]
    fn fields() {
        let id = Digest::sha256_of(b"config");
        let mut r = ImageRecord::new(id.clone(), Digest::sha256_of(b"manifest"));
        r.names = vec!["docker.io/library/redis:7".into()];
        r.size = 42;
        r.labels.insert("a".into(), "b\"c".into());
        let facts = ConfigFacts {
            user: Some(ImageUser::Uid(1000)),
            chain_id: Some(Digest::sha256_of(b"layer")),
        };
        let img = image(&r, &facts);
        assert_eq!(img.id, id.to_string());
        assert_eq!(img.uid, Some(proto::Int64Value { value: 1000 }));
        assert_eq!(img.username, "");
        assert_eq!(
            img.spec.as_ref().map(|s| s.image.as_str()),
            Some(id.as_str())
        );
        let named = ConfigFacts {
            user: Some(ImageUser::Name("nginx".into())),
            chain_id: None,
        };
        let img = image(&r, &named);
        assert_eq!((img.uid, img.username.as_str()), (None, "nginx"));
        let info = verbose_info(&r, &named);
        let labels: serde_json::Value = serde_json::from_str(&info["labels"]).expect("json");
        assert_eq!(labels["a"], "b\"c");
        assert_eq!(info["chainID"], "null");
        let m: String = serde_json::from_str(&info["manifestDigest"]).expect("json");
        assert_eq!(m, r.manifest_digest.to_string());
    }
}

//! Image configuration: the JSON document an image ID is the digest of.
//!
//! Specs: OCI image-spec `config.md` (media type `application/vnd.oci.image.config.v1+json`)
//! and the Docker Image Specification v1.2 (`application/vnd.docker.container.image.v1+json`),
//! which is the same document with a few more fields (`container`, `container_config`,
//! `docker_version`, `config.Healthcheck`, `config.OnBuild`, `config.Shell`, …).
//!
//! [`ImageConfig::parse`] keeps the exact bytes it was given ([`ImageConfig::raw`]): the
//! image ID is the digest of those bytes ([`crate::id::image_id`]) and is never computed
//! over re-serialised JSON. On top of the bytes it offers typed fields. Fields it does not
//! know are kept, in document order, at every level (top, `config`, `config.Healthcheck`,
//! `rootfs`, each `history` entry), so `inspect` can show them.
//!
//! Acceptance, in order:
//!
//! 1. at most [`MAX_CONFIG_SIZE`] bytes, checked before anything is parsed
//!    (`config-too-large`);
//! 2. strict JSON ([`crate::json::check`]): `duplicate-key`, `trailing-data`,
//!    `json-too-deep`, `invalid-json`;
//! 3. the schema of image-spec `schema/config-schema.json`, with errors that name the
//!    field: `missing-field` (`architecture`, `os`, `rootfs`, `rootfs.type`) and
//!    `invalid-field` (wrong JSON type, a `created` that is not RFC 3339, a `diff_ids`
//!    entry that is not a digest, `rootfs.type` other than `layers`, an `Env` entry without
//!    `NAME=`).
//!
//! Deliberate deviations, each in the direction of real images: a missing or `null`
//! `rootfs.diff_ids` is read as an empty list (docker and containers/image marshal an empty
//! `diff_ids` with `omitempty`, so layer-less images built by them have none), and the
//! `Env` check is image-spec's `^[^=]+=` without its accidental ban on newlines in values.
//!
//! [`ImageConfig::check_layers`] ties a config to its manifest's layer list, and
//! [`schema1`] converts a Docker schema 1 manifest's history into a config.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::digest::Digest;
use crate::json;

mod error;
mod fields;
mod gojson;
pub mod schema1;
mod sections;
mod time;
mod v1image;

pub use error::ConfigError;
pub use time::Timestamp;

use fields::invalid;
use sections::{exec_config, histories, root_fs};

/// Largest config accepted, in bytes: 4 MiB, containers/image's `iolimits.MaxConfigBodySize`
/// ("considered to be greatly sufficient"). Checked before any parsing.
pub const MAX_CONFIG_SIZE: usize = 4 * 1024 * 1024;

/// Checks size and strictness, then parses to a `serde_json::Value`.
pub(crate) fn strict_value(raw: &[u8]) -> Result<Value, ConfigError> {
    if raw.len() > MAX_CONFIG_SIZE {
        return Err(ConfigError::TooLarge {
            size: raw.len(),
            limit: MAX_CONFIG_SIZE,
        });
    }
    json::check(raw)?;
    serde_json::from_slice(raw)
        .map_err(|e| ConfigError::Json(json::StrictError::Syntax(e.to_string())))
}

/// A parsed image config that keeps the exact bytes it came from.
///
/// Serialising it (serde) gives the typed view with unknown fields merged back in, which is
/// what `inspect` prints; it is not the original document, which is [`ImageConfig::raw`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImageConfig {
    #[serde(skip)]
    raw: Vec<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<String>,
    architecture: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    variant: Option<String>,
    os: String,
    #[serde(rename = "os.version", skip_serializing_if = "Option::is_none")]
    os_version: Option<String>,
    #[serde(rename = "os.features", skip_serializing_if = "Vec::is_empty")]
    os_features: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    config: Option<ExecConfig>,
    rootfs: RootFs,
    #[serde(skip_serializing_if = "Option::is_none")]
    history: Option<Vec<History>>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

/// The execution defaults of an image (`config` in image-spec `config.md`, Docker's
/// `ContainerConfig` subset). Every field is optional; unknown fields land in `extra`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ExecConfig {
    /// `User`: `user`, `uid`, `user:group`, `uid:gid`, … (see [`ImageConfig::user`]).
    #[serde(rename = "User", skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// `ExposedPorts` keys (`8080/tcp`, `53/udp`, `80`), sorted.
    #[serde(
        rename = "ExposedPorts",
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_set"
    )]
    pub exposed_ports: Option<BTreeSet<String>>,
    /// `Env`, each `NAME=value`, in order.
    #[serde(rename = "Env", skip_serializing_if = "Option::is_none")]
    pub env: Option<Vec<String>>,
    /// `Entrypoint`.
    #[serde(rename = "Entrypoint", skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    /// `Cmd`.
    #[serde(rename = "Cmd", skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    /// `Volumes` keys, sorted.
    #[serde(
        rename = "Volumes",
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_set"
    )]
    pub volumes: Option<BTreeSet<String>>,
    /// `WorkingDir`.
    #[serde(rename = "WorkingDir", skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    /// `Labels`, sorted by key.
    #[serde(rename = "Labels", skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// `StopSignal`, such as `SIGTERM` or `15`.
    #[serde(rename = "StopSignal", skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
    /// `ArgsEscaped` (Windows: `Cmd`/`Entrypoint` is one pre-escaped command line).
    #[serde(rename = "ArgsEscaped", skip_serializing_if = "Option::is_none")]
    pub args_escaped: Option<bool>,
    /// Docker's `Healthcheck`.
    #[serde(rename = "Healthcheck", skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Healthcheck>,
    /// Docker's `OnBuild` triggers.
    #[serde(rename = "OnBuild", skip_serializing_if = "Option::is_none")]
    pub on_build: Option<Vec<String>>,
    /// Docker's `Shell` for shell-form commands.
    #[serde(rename = "Shell", skip_serializing_if = "Option::is_none")]
    pub shell: Option<Vec<String>>,
    /// Every other field, in document order (`Hostname`, `Memory`, `Image`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Docker's `HEALTHCHECK` settings (`config.Healthcheck`); durations are nanoseconds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Healthcheck {
    /// `Test`: `[]` inherit, `["NONE"]`, `["CMD", …]` or `["CMD-SHELL", cmd]`.
    #[serde(rename = "Test", skip_serializing_if = "Option::is_none")]
    pub test: Option<Vec<String>>,
    /// `Interval` between checks.
    #[serde(rename = "Interval", skip_serializing_if = "Option::is_none")]
    pub interval: Option<i64>,
    /// `Timeout` of one check.
    #[serde(rename = "Timeout", skip_serializing_if = "Option::is_none")]
    pub timeout: Option<i64>,
    /// `StartPeriod` before failures count.
    #[serde(rename = "StartPeriod", skip_serializing_if = "Option::is_none")]
    pub start_period: Option<i64>,
    /// `StartInterval` between checks during the start period.
    #[serde(rename = "StartInterval", skip_serializing_if = "Option::is_none")]
    pub start_interval: Option<i64>,
    /// `Retries` before the container is unhealthy.
    #[serde(rename = "Retries", skip_serializing_if = "Option::is_none")]
    pub retries: Option<i64>,
    /// Every other field, in document order.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `rootfs`: the layer content the config is bound to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RootFs {
    /// Always `layers` (anything else is rejected, image-spec `config.md`).
    #[serde(rename = "type")]
    pub kind: String,
    /// Layer DiffIDs, first (base) to last.
    pub diff_ids: Vec<Digest>,
    /// Every other field, in document order.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One `history` entry: how one build step changed (or did not change) the filesystem.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct History {
    /// `created`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<Timestamp>,
    /// `created_by`: the build command.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// `author`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// `comment`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// `empty_layer`: true when this step has no layer in `rootfs.diff_ids`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub empty_layer: bool,
    /// Every other field, in document order.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The user an image runs as, split the way cri-containerd's `getUserFromImage` splits
/// it: the part before the first `:` is a uid if it parses as a (signed 64-bit decimal)
/// integer, else a user name; the group part is dropped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageUser {
    /// A numeric uid (`"1000"`, `"0:0"`).
    Uid(i64),
    /// A user name to look up in the container's `/etc/passwd` (`"nginx"`, `"app:app"`).
    Name(String),
}

/// Splits an image `User` value (see [`ImageUser`]). `None` when no user is given (empty
/// value, or an empty part before `:`).
pub fn parse_user(user: &str) -> Option<ImageUser> {
    let first = user.split(':').next().unwrap_or_default();
    if first.is_empty() {
        return None;
    }
    match go_parse_i64(first) {
        Some(uid) => Some(ImageUser::Uid(uid)),
        None => Some(ImageUser::Name(first.to_owned())),
    }
}

/// Go's `strconv.ParseInt(s, 10, 64)`: optional sign, ASCII digits, in range.
fn go_parse_i64(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // i64::from_str accepts exactly this grammar and checks the range.
    s.parse().ok()
}

fn ser_set<S: serde::Serializer>(set: &Option<BTreeSet<String>>, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let empty = BTreeSet::new();
    let set = set.as_ref().unwrap_or(&empty);
    let mut m = s.serialize_map(Some(set.len()))?;
    for k in set {
        m.serialize_entry(k, &Map::new())?;
    }
    m.end()
}

static NO_LABELS: BTreeMap<String, String> = BTreeMap::new();

impl ImageConfig {
    /// Parses and validates a config (see the module docs for the order of checks).
    pub fn parse(raw: &[u8]) -> Result<ImageConfig, ConfigError> {
        let Value::Object(top) = strict_value(raw)? else {
            return Err(invalid("(document)", "an object"));
        };
        let mut created = None;
        let mut author = None;
        let mut architecture = None;
        let mut variant = None;
        let mut os = None;
        let mut os_version = None;
        let mut os_features = Vec::new();
        let mut config = None;
        let mut rootfs = None;
        let mut history = None;
        let mut extra = Map::new();
        for (key, v) in top {
            match key.as_str() {
                "created" => created = fields::timestamp(v, "created")?,
                "author" => author = fields::string(v, "author")?,
                "architecture" => architecture = fields::string(v, "architecture")?,
                "variant" => variant = fields::string(v, "variant")?,
                "os" => os = fields::string(v, "os")?,
                "os.version" => os_version = fields::string(v, "os.version")?,
                "os.features" => {
                    os_features = fields::strings(v, "os.features")?.unwrap_or_default()
                }
                "config" => config = fields::object(v, "config")?.map(exec_config).transpose()?,
                "rootfs" => rootfs = fields::object(v, "rootfs")?.map(root_fs).transpose()?,
                "history" => history = fields::array(v, "history")?.map(histories).transpose()?,
                _ => {
                    extra.insert(key, v);
                }
            }
        }
        let missing = |field: &str| ConfigError::MissingField {
            field: field.to_owned(),
        };
        Ok(ImageConfig {
            raw: raw.to_vec(),
            created,
            author,
            architecture: architecture.ok_or_else(|| missing("architecture"))?,
            variant,
            os: os.ok_or_else(|| missing("os"))?,
            os_version,
            os_features,
            config,
            rootfs: rootfs.ok_or_else(|| missing("rootfs"))?,
            history,
            extra,
        })
    }

    /// The exact bytes this config was parsed from; the image ID is their digest.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// The image ID: sha256 of [`ImageConfig::raw`] ([`crate::id::image_id`]).
    pub fn id(&self) -> Digest {
        crate::id::image_id(&self.raw)
    }

    /// `created`, when present.
    pub fn created(&self) -> Option<&Timestamp> {
        self.created.as_ref()
    }

    /// `author`, when present.
    pub fn author(&self) -> Option<&str> {
        self.author.as_deref()
    }

    /// `architecture` (REQUIRED), such as `amd64` or `arm64`.
    pub fn architecture(&self) -> &str {
        &self.architecture
    }

    /// `variant`, such as `v7` or `v8`.
    pub fn variant(&self) -> Option<&str> {
        self.variant.as_deref()
    }

    /// `os` (REQUIRED), such as `linux` or `windows`.
    pub fn os(&self) -> &str {
        &self.os
    }

    /// `os.version`, such as `10.0.17763.1879` (Windows).
    pub fn os_version(&self) -> Option<&str> {
        self.os_version.as_deref()
    }

    /// `os.features` (empty when absent).
    pub fn os_features(&self) -> &[String] {
        &self.os_features
    }

    /// `config`, the execution defaults; `None` when absent or `null`.
    pub fn config(&self) -> Option<&ExecConfig> {
        self.config.as_ref()
    }

    /// `rootfs`.
    pub fn rootfs(&self) -> &RootFs {
        &self.rootfs
    }

    /// `rootfs.diff_ids`, base layer first.
    pub fn diff_ids(&self) -> &[Digest] {
        &self.rootfs.diff_ids
    }

    /// `history` (empty when absent).
    pub fn history(&self) -> &[History] {
        self.history.as_deref().unwrap_or_default()
    }

    /// Top-level fields hoist does not interpret, in document order (`container`,
    /// `docker_version`, `container_config`, …).
    pub fn extra(&self) -> &Map<String, Value> {
        &self.extra
    }

    /// `config.Labels` (empty when absent).
    pub fn labels(&self) -> &BTreeMap<String, String> {
        self.config
            .as_ref()
            .and_then(|c| c.labels.as_ref())
            .unwrap_or(&NO_LABELS)
    }

    /// `config.User` split into uid or name ([`parse_user`]); `None` when unset.
    pub fn user(&self) -> Option<ImageUser> {
        self.config
            .as_ref()
            .and_then(|c| c.user.as_deref())
            .and_then(parse_user)
    }

    /// Checks that this config describes a manifest with `layer_count` layers, as
    /// containerd and containers/image do before unpacking: one diff ID per layer
    /// (`diff-ids-mismatch`) and, when `history` is present and non-empty, one entry
    /// without `empty_layer` per layer (`history-mismatch`).
    pub fn check_layers(&self, layer_count: usize) -> Result<(), ConfigError> {
        let diff_ids = self.rootfs.diff_ids.len();
        if diff_ids != layer_count {
            return Err(ConfigError::DiffIdsMismatch {
                diff_ids,
                layers: layer_count,
            });
        }
        let history = self.history();
        if !history.is_empty() {
            let non_empty = history.iter().filter(|h| !h.empty_layer).count();
            if non_empty != layer_count {
                return Err(ConfigError::HistoryMismatch {
                    non_empty,
                    layers: layer_count,
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    const DIFF: &str = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";

    fn minimal(extra: &str) -> String {
        format!(
            r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":["{DIFF}"]}}{extra}}}"#
        )
    }

    #[test]
    fn table() {
        // (document, None for ok or the error code). Rows from image-spec
        // schema/config_test.go plus hoist's own.
        let too_big = format!(r#"{{"x":"{}"}}"#, "a".repeat(MAX_CONFIG_SIZE));
        let cases: Vec<(String, Option<&str>)> = vec![
            (minimal(""), None),
            (minimal(r#","config":null,"history":null,"created":null"#), None),
            (minimal(r#","os.features":["win32k"],"os.version":"10.0","variant":"v8""#), None),
            (minimal(r#","os":123"#).replacen(r#""os":"linux","#, "", 1), Some("invalid-field")),
            (minimal(r#","variant":123"#), Some("invalid-field")),
            (minimal(r#","config":{"User":1234}"#), Some("invalid-field")),
            (minimal(r#","history":"should be an array""#), Some("invalid-field")),
            (minimal(r#","config":{"Env":[7353]}"#), Some("invalid-field")),
            (minimal(r#","config":{"Env":["foo"]}"#), Some("invalid-field")),
            (minimal(r#","config":{"Env":["=foo"]}"#), Some("invalid-field")),
            (minimal(r#","config":{"Env":["A=multi\nline"]}"#), None),
            (minimal(r#","config":{"Volumes":["/var/job-result-data"]}"#), Some("invalid-field")),
            (minimal(r#","config":{"Labels":{"a":1}}"#), Some("invalid-field")),
            (minimal(r#","config":{"ExposedPorts":{"80/tcp":true}}"#), Some("invalid-field")),
            (minimal(r#","config":{"Healthcheck":{"Interval":1.5}}"#), Some("invalid-field")),
            (minimal(r#","created":"yesterday""#), Some("invalid-field")),
            (minimal(r#","history":[{"created":"2015-10-31T22:22:56Z","empty_layer":"yes"}]"#), Some("invalid-field")),
            ("invalid JSON".to_owned(), Some("invalid-json")),
            ("[]".to_owned(), Some("invalid-field")),
            (r#"{"os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#.to_owned(), Some("missing-field")),
            (r#"{"architecture":"amd64","os":"linux"}"#.to_owned(), Some("missing-field")),
            (r#"{"architecture":"amd64","os":"linux","rootfs":{"diff_ids":[]}}"#.to_owned(), Some("missing-field")),
            (r#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers+base","diff_ids":[]}}"#.to_owned(), Some("invalid-field")),
            (r#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:abc"]}}"#.to_owned(), Some("invalid-field")),
            (r#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers"}}"#.to_owned(), None),
            (r#"{"architecture":null,"os":"linux","rootfs":{"type":"layers"}}"#.to_owned(), Some("missing-field")),
            (minimal(r#","os":"windows""#), Some("duplicate-key")),
            (format!("{} {{}}", minimal("")), Some("trailing-data")),
            (too_big, Some("config-too-large")),
        ];
        for (doc, want) in cases {
            let got = ImageConfig::parse(doc.as_bytes())
                .map(|_| ())
                .map_err(|e| e.code());
            assert_eq!(got.err(), want, "{}", crate::digest::excerpt(&doc));
        }
    }

    #[test]
    fn errors_name_the_field() {
        let err = ImageConfig::parse(minimal(r#","config":{"Env":["A=1","foo"]}"#).as_bytes())
            .expect_err("invalid");
        assert_eq!(
            err,
            ConfigError::InvalidField {
                field: "config.Env[1]".into(),
                expected: "NAME=value"
            }
        );
        assert!(err.to_string().contains("config.Env[1]"));
        let err = ImageConfig::parse(br#"{"os":"linux","rootfs":{"type":"layers"}}"#)
            .expect_err("invalid");
        assert_eq!(err.to_string(), "image config: missing field architecture");
    }

    #[test]
    fn typed_fields_and_unknowns() {
        let doc = r#"{
            "created": "2015-10-31T22:22:56.015925234Z",
            "author": "Alyssa P. Hacker <alyspdev@example.com>",
            "architecture": "arm64", "variant": "v8", "os": "linux",
            "zzz": 1, "container_config": {"Cmd": ["sh"]},
            "config": {
                "User": "1:1", "Memory": 2048,
                "ExposedPorts": {"8080/tcp": {}, "53/udp": {}},
                "Env": ["PATH=/bin"], "Entrypoint": ["/bin/sh"], "Cmd": null,
                "Volumes": {"/data": {}}, "WorkingDir": "/home",
                "Labels": {"b": "2", "a": "1"}, "StopSignal": "SIGKILL", "ArgsEscaped": true,
                "Healthcheck": {"Test": ["CMD", "true"], "Interval": 1000000000, "Odd": 1},
                "OnBuild": [], "Shell": ["/bin/bash", "-c"]
            },
            "rootfs": {"diff_ids": ["sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"], "type": "layers", "x": 1},
            "history": [
                {"created": "2015-10-31T22:22:54.690851953Z", "created_by": "ADD", "note": "kept"},
                {"created_by": "CMD", "empty_layer": true}
            ]
        }"#;
        let c = ImageConfig::parse(doc.as_bytes()).expect("valid");
        assert_eq!(c.raw(), doc.as_bytes());
        assert_eq!(c.id(), Digest::sha256_of(doc.as_bytes()));
        assert_eq!(
            c.created().map(Timestamp::unix_seconds),
            Some(1_446_330_176)
        );
        assert_eq!(c.author(), Some("Alyssa P. Hacker <alyspdev@example.com>"));
        assert_eq!(
            (c.architecture(), c.variant(), c.os()),
            ("arm64", Some("v8"), "linux")
        );
        assert_eq!(c.user(), Some(ImageUser::Uid(1)));
        assert_eq!(c.labels().keys().collect::<Vec<_>>(), vec!["a", "b"]);
        let e = c.config().expect("config");
        assert_eq!(e.cmd, None);
        assert_eq!(e.entrypoint.as_deref(), Some(&["/bin/sh".to_owned()][..]));
        assert_eq!(
            e.exposed_ports
                .as_ref()
                .map(|p| p.iter().cloned().collect::<Vec<_>>()),
            Some(vec!["53/udp".into(), "8080/tcp".into()])
        );
        assert_eq!(e.extra.keys().collect::<Vec<_>>(), vec!["Memory"]);
        assert_eq!(
            e.healthcheck.as_ref().and_then(|h| h.interval),
            Some(1_000_000_000)
        );
        assert_eq!(e.on_build, Some(vec![]));
        assert_eq!(
            c.extra().keys().collect::<Vec<_>>(),
            vec!["zzz", "container_config"]
        );
        assert_eq!(c.rootfs().extra.keys().collect::<Vec<_>>(), vec!["x"]);
        assert_eq!(c.history().len(), 2);
        assert_eq!(
            c.history()[0].extra.keys().collect::<Vec<_>>(),
            vec!["note"]
        );
        assert!(c.history()[1].empty_layer);
        c.check_layers(1).expect("one layer");
        assert_eq!(
            c.check_layers(2).map_err(|e| e.code()),
            Err("diff-ids-mismatch")
        );

        let shown = serde_json::to_value(&c).expect("serialises");
        assert_eq!(shown["zzz"], 1);
        assert_eq!(shown["config"]["Memory"], 2048);
        assert_eq!(
            shown["config"]["ExposedPorts"]["8080/tcp"],
            serde_json::json!({})
        );
        assert_eq!(shown["history"][0]["note"], "kept");
        assert_eq!(shown["history"][1]["empty_layer"], true);
        assert_eq!(shown["created"], "2015-10-31T22:22:56.015925234Z");
    }

    #[test]
    fn check_layers_history() {
        let with_history = |h: &str| {
            ImageConfig::parse(minimal(&format!(r#","history":{h}"#)).as_bytes()).expect("valid")
        };
        // image-spec config.md's own example: 2 diff_ids, but 1 non-empty history entry.
        let two = r#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:c6f988f4874bb0add23a778f753c65efe992244e148a1d2ec2a8b664fb66bbd1","sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"]},"history":[{"created_by":"ADD"},{"created_by":"CMD","empty_layer":true}]}"#;
        let c = ImageConfig::parse(two.as_bytes()).expect("valid");
        assert_eq!(
            c.check_layers(2).map_err(|e| e.code()),
            Err("history-mismatch")
        );
        assert_eq!(with_history("[]").check_layers(1), Ok(()));
        assert_eq!(
            with_history(r#"[{},{"empty_layer":true}]"#).check_layers(1),
            Ok(())
        );
        assert_eq!(
            with_history(r#"[{},{}]"#).check_layers(1),
            Err(ConfigError::HistoryMismatch {
                non_empty: 2,
                layers: 1
            })
        );
    }

    #[test]
    fn users() {
        // cri-containerd TestGetUserFromImage rows, plus Go ParseInt edge cases.
        let cases: &[(&str, Option<ImageUser>)] = &[
            ("0", Some(ImageUser::Uid(0))),
            ("0:1", Some(ImageUser::Uid(0))),
            ("", None),
            ("1:2:3", Some(ImageUser::Uid(1))),
            ("root:root", Some(ImageUser::Name("root".into()))),
            ("test:test", Some(ImageUser::Name("test".into()))),
            (":1000", None),
            ("+7", Some(ImageUser::Uid(7))),
            ("-1", Some(ImageUser::Uid(-1))),
            (
                "9223372036854775808",
                Some(ImageUser::Name("9223372036854775808".into())),
            ),
            ("1e3", Some(ImageUser::Name("1e3".into()))),
        ];
        for (input, want) in cases {
            assert_eq!(parse_user(input), *want, "{input}");
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_bytes(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            let _ = ImageConfig::parse(&bytes);
        }

        #[test]
        fn never_panics_on_json_like(s in r#"[{}\[\]",:0-9a-zA-Z. \\-]{0,200}"#) {
            let _ = ImageConfig::parse(s.as_bytes());
            let _ = schema1::to_config(&[(s.clone(), Digest::sha256_of(b""))], &[]);
            let _ = Timestamp::parse(&s);
            let _ = parse_user(&s);
        }

        #[test]
        fn never_panics_on_mutated_config(pos in 0usize..400, byte in proptest::num::u8::ANY) {
            let mut doc = minimal(r#","created":"2015-10-31T22:22:56Z","config":{"Env":["A=1"],"Labels":{"a":"b"},"Healthcheck":{"Interval":1}},"history":[{"empty_layer":true}]"#).into_bytes();
            if let Some(b) = doc.get_mut(pos) {
                *b = byte;
            }
            let _ = ImageConfig::parse(&doc);
            if let Ok(text) = String::from_utf8(doc) {
                let _ = schema1::to_config(&[(text, Digest::sha256_of(b""))], &[]);
            }
        }
    }

    #[test]
    fn linear_on_large_input() {
        let env: Vec<String> = (0..100_000).map(|i| format!("\"V{i}=x\"")).collect();
        let doc = minimal(&format!(r#","config":{{"Env":[{}]}}"#, env.join(",")));
        let c = ImageConfig::parse(doc.as_bytes()).expect("valid");
        assert_eq!(
            c.config().and_then(|e| e.env.as_ref()).map(Vec::len),
            Some(100_000)
        );
    }
}

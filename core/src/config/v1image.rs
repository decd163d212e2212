//! The two Go types containers/image decodes a schema 1 `v1Compatibility` into, with Go's
//! `encoding/json` decoding rules, and the re-encoding of the second one that
//! `ToSchema2Config` performs for images built by Docker older than 1.8.3.
//!
//! Go decoding rules reproduced here (they decide which inputs fail and what the
//! re-encoded bytes contain): keys match fields exactly or under Go's name folding
//! ([`super::gojson::fold_eq`]); unknown keys are ignored; `null` leaves a value alone
//! except that it resets maps, slices and pointers to nil; decoding an object into a
//! struct or map that already has a value merges into it; integers must be integer
//! literals in range; a wrong JSON type is an error. Docker's `strslice.StrSlice`
//! (`Cmd`, `Entrypoint`, `Shell`) also accepts a single string.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::fields::{invalid, join};
use super::gojson::{fold_eq, write_string};
use super::time::Timestamp;
use super::ConfigError;

/// containers/image `manifest.Schema1V1Compatibility`: the per-layer view of one
/// schema 1 history entry.
#[derive(Debug, Default)]
pub(crate) struct V1Compat {
    pub(crate) id: String,
    pub(crate) parent: String,
    pub(crate) comment: String,
    pub(crate) created: Option<Timestamp>,
    pub(crate) cmd: Option<Vec<String>>,
    pub(crate) author: String,
    pub(crate) throwaway: bool,
}

/// containers/image `manifest.Schema2V1Image` (docker `image.V1Image`).
#[derive(Debug, Default)]
pub(crate) struct V1Image {
    id: String,
    parent: String,
    comment: String,
    created: Option<Timestamp>,
    container: String,
    container_config: GoConfig,
    pub(crate) docker_version: String,
    author: String,
    config: Option<GoConfig>,
    architecture: String,
    variant: String,
    os: String,
    size: i64,
}

/// containers/image `manifest.Schema2Config` (docker `container.Config`).
#[derive(Debug, Default)]
struct GoConfig {
    hostname: String,
    domainname: String,
    user: String,
    attach_stdin: bool,
    attach_stdout: bool,
    attach_stderr: bool,
    exposed_ports: Option<BTreeSet<String>>,
    tty: bool,
    open_stdin: bool,
    stdin_once: bool,
    env: Option<Vec<String>>,
    cmd: Option<Vec<String>>,
    healthcheck: Option<GoHealth>,
    args_escaped: bool,
    image: String,
    volumes: Option<BTreeSet<String>>,
    working_dir: String,
    entrypoint: Option<Vec<String>>,
    network_disabled: bool,
    mac_address: String,
    on_build: Option<Vec<String>>,
    labels: Option<BTreeMap<String, String>>,
    stop_signal: String,
    stop_timeout: Option<i64>,
    shell: Option<Vec<String>>,
}

/// containers/image `manifest.Schema2HealthConfig`.
#[derive(Debug, Default)]
struct GoHealth {
    test: Option<Vec<String>>,
    start_period: i64,
    start_interval: i64,
    interval: i64,
    timeout: i64,
    retries: i64,
}

// ---- decoding primitives (Go semantics) ----

fn go_string(dst: &mut String, v: &Value, field: &str) -> Result<(), ConfigError> {
    match v {
        Value::Null => Ok(()),
        Value::String(s) => {
            s.clone_into(dst);
            Ok(())
        }
        _ => Err(invalid(field, "a string")),
    }
}

fn go_bool(dst: &mut bool, v: &Value, field: &str) -> Result<(), ConfigError> {
    match v {
        Value::Null => Ok(()),
        Value::Bool(b) => {
            *dst = *b;
            Ok(())
        }
        _ => Err(invalid(field, "a boolean")),
    }
}

fn go_int(dst: &mut i64, v: &Value, field: &str) -> Result<(), ConfigError> {
    match v {
        Value::Null => Ok(()),
        Value::Number(n) => {
            *dst = n.as_i64().ok_or_else(|| invalid(field, "an integer"))?;
            Ok(())
        }
        _ => Err(invalid(field, "an integer")),
    }
}

fn go_time(dst: &mut Option<Timestamp>, v: &Value, field: &str) -> Result<(), ConfigError> {
    match v {
        Value::Null => Ok(()),
        Value::String(s) => {
            *dst = Some(Timestamp::parse(s).map_err(|_| invalid(field, "an RFC 3339 timestamp"))?);
            Ok(())
        }
        _ => Err(invalid(field, "an RFC 3339 timestamp")),
    }
}

/// `[]string`: `null` elements decode to `""` (Go leaves the zeroed element alone).
fn go_strings(dst: &mut Option<Vec<String>>, v: &Value, field: &str) -> Result<(), ConfigError> {
    match v {
        Value::Null => {
            *dst = None;
            Ok(())
        }
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let mut s = String::new();
                go_string(&mut s, item, &format!("{field}[{i}]"))?;
                out.push(s);
            }
            *dst = Some(out);
            Ok(())
        }
        _ => Err(invalid(field, "an array of strings")),
    }
}

/// docker `strslice.StrSlice`: an array of strings or one string.
fn go_strslice(dst: &mut Option<Vec<String>>, v: &Value, field: &str) -> Result<(), ConfigError> {
    match v {
        Value::String(s) => {
            *dst = Some(vec![s.clone()]);
            Ok(())
        }
        _ => go_strings(dst, v, field),
    }
}

/// `map[string]struct{}`: object values must be objects (their content is ignored) or null.
fn go_set(dst: &mut Option<BTreeSet<String>>, v: &Value, field: &str) -> Result<(), ConfigError> {
    match v {
        Value::Null => {
            *dst = None;
            Ok(())
        }
        Value::Object(m) => {
            let set = dst.get_or_insert_with(BTreeSet::new);
            for (k, item) in m {
                if !matches!(item, Value::Object(_) | Value::Null) {
                    return Err(invalid(&join(field, k), "an object"));
                }
                set.insert(k.clone());
            }
            Ok(())
        }
        _ => Err(invalid(field, "an object")),
    }
}

fn go_string_map(
    dst: &mut Option<BTreeMap<String, String>>,
    v: &Value,
    field: &str,
) -> Result<(), ConfigError> {
    match v {
        Value::Null => {
            *dst = None;
            Ok(())
        }
        Value::Object(m) => {
            let map = dst.get_or_insert_with(BTreeMap::new);
            for (k, item) in m {
                let mut s = String::new();
                go_string(&mut s, item, &join(field, k))?;
                map.insert(k.clone(), s);
            }
            Ok(())
        }
        _ => Err(invalid(field, "an object")),
    }
}

fn go_int_ptr(dst: &mut Option<i64>, v: &Value, field: &str) -> Result<(), ConfigError> {
    match v {
        Value::Null => {
            *dst = None;
            Ok(())
        }
        _ => {
            let mut n = dst.unwrap_or(0);
            go_int(&mut n, v, field)?;
            *dst = Some(n);
            Ok(())
        }
    }
}

/// Decodes an object into a struct: `set(key, value, field)` is called for each member;
/// `null` leaves the struct alone.
fn go_struct(
    v: &Value,
    field: &str,
    mut set: impl FnMut(&str, &Value, &str) -> Result<(), ConfigError>,
) -> Result<(), ConfigError> {
    match v {
        Value::Null => Ok(()),
        Value::Object(m) => {
            for (k, item) in m {
                set(k, item, &join(field, k))?;
            }
            Ok(())
        }
        _ => Err(invalid(field, "an object")),
    }
}

/// The Go field `names[i]` that `key` selects, if any.
fn field_index(key: &str, names: &[&str]) -> Option<usize> {
    names
        .iter()
        .position(|n| *n == key)
        .or_else(|| names.iter().position(|n| fold_eq(key, n)))
}

// ---- the types ----

impl V1Compat {
    pub(crate) fn decode(v: &Value, field: &str) -> Result<V1Compat, ConfigError> {
        const NAMES: [&str; 7] = [
            "id",
            "parent",
            "comment",
            "created",
            "container_config",
            "author",
            "throwaway",
        ];
        let mut c = V1Compat::default();
        go_struct(v, field, |k, item, f| match field_index(k, &NAMES) {
            Some(0) => go_string(&mut c.id, item, f),
            Some(1) => go_string(&mut c.parent, item, f),
            Some(2) => go_string(&mut c.comment, item, f),
            Some(3) => go_time(&mut c.created, item, f),
            Some(4) => go_struct(item, f, |k2, item2, f2| {
                if field_index(k2, &["Cmd"]).is_some() {
                    go_strings(&mut c.cmd, item2, f2)
                } else {
                    Ok(())
                }
            }),
            Some(5) => go_string(&mut c.author, item, f),
            Some(6) => go_bool(&mut c.throwaway, item, f),
            _ => Ok(()),
        })?;
        Ok(c)
    }
}

impl GoHealth {
    fn decode_into(&mut self, v: &Value, field: &str) -> Result<(), ConfigError> {
        const NAMES: [&str; 6] = [
            "Test",
            "StartPeriod",
            "StartInterval",
            "Interval",
            "Timeout",
            "Retries",
        ];
        go_struct(v, field, |k, item, f| match field_index(k, &NAMES) {
            Some(0) => go_strings(&mut self.test, item, f),
            Some(1) => go_int(&mut self.start_period, item, f),
            Some(2) => go_int(&mut self.start_interval, item, f),
            Some(3) => go_int(&mut self.interval, item, f),
            Some(4) => go_int(&mut self.timeout, item, f),
            Some(5) => go_int(&mut self.retries, item, f),
            _ => Ok(()),
        })
    }

    fn encode(&self, out: &mut String) {
        let mut obj = Obj::new(out);
        if let Some(test) = self.test.as_ref().filter(|t| !t.is_empty()) {
            obj.key("Test");
            push_strings(obj.out, Some(test));
        }
        for (name, n) in [
            ("StartPeriod", self.start_period),
            ("StartInterval", self.start_interval),
            ("Interval", self.interval),
            ("Timeout", self.timeout),
            ("Retries", self.retries),
        ] {
            if n != 0 {
                obj.key(name);
                obj.out.push_str(&n.to_string());
            }
        }
        obj.end();
    }
}

impl GoConfig {
    fn decode_into(&mut self, v: &Value, field: &str) -> Result<(), ConfigError> {
        const NAMES: [&str; 25] = [
            "Hostname",
            "Domainname",
            "User",
            "AttachStdin",
            "AttachStdout",
            "AttachStderr",
            "ExposedPorts",
            "Tty",
            "OpenStdin",
            "StdinOnce",
            "Env",
            "Cmd",
            "Healthcheck",
            "ArgsEscaped",
            "Image",
            "Volumes",
            "WorkingDir",
            "Entrypoint",
            "NetworkDisabled",
            "MacAddress",
            "OnBuild",
            "Labels",
            "StopSignal",
            "StopTimeout",
            "Shell",
        ];
        go_struct(v, field, |k, item, f| match field_index(k, &NAMES) {
            Some(0) => go_string(&mut self.hostname, item, f),
            Some(1) => go_string(&mut self.domainname, item, f),
            Some(2) => go_string(&mut self.user, item, f),
            Some(3) => go_bool(&mut self.attach_stdin, item, f),
            Some(4) => go_bool(&mut self.attach_stdout, item, f),
            Some(5) => go_bool(&mut self.attach_stderr, item, f),
            Some(6) => go_set(&mut self.exposed_ports, item, f),
            Some(7) => go_bool(&mut self.tty, item, f),
            Some(8) => go_bool(&mut self.open_stdin, item, f),
            Some(9) => go_bool(&mut self.stdin_once, item, f),
            Some(10) => go_strings(&mut self.env, item, f),
            Some(11) => go_strslice(&mut self.cmd, item, f),
            Some(12) => match item {
                Value::Null => {
                    self.healthcheck = None;
                    Ok(())
                }
                _ => self
                    .healthcheck
                    .get_or_insert_with(GoHealth::default)
                    .decode_into(item, f),
            },
            Some(13) => go_bool(&mut self.args_escaped, item, f),
            Some(14) => go_string(&mut self.image, item, f),
            Some(15) => go_set(&mut self.volumes, item, f),
            Some(16) => go_string(&mut self.working_dir, item, f),
            Some(17) => go_strslice(&mut self.entrypoint, item, f),
            Some(18) => go_bool(&mut self.network_disabled, item, f),
            Some(19) => go_string(&mut self.mac_address, item, f),
            Some(20) => go_strings(&mut self.on_build, item, f),
            Some(21) => go_string_map(&mut self.labels, item, f),
            Some(22) => go_string(&mut self.stop_signal, item, f),
            Some(23) => go_int_ptr(&mut self.stop_timeout, item, f),
            Some(24) => go_strslice(&mut self.shell, item, f),
            _ => Ok(()),
        })
    }

    fn encode(&self, out: &mut String) {
        let mut obj = Obj::new(out);
        obj.string("Hostname", &self.hostname);
        obj.string("Domainname", &self.domainname);
        obj.string("User", &self.user);
        obj.boolean("AttachStdin", self.attach_stdin);
        obj.boolean("AttachStdout", self.attach_stdout);
        obj.boolean("AttachStderr", self.attach_stderr);
        if let Some(ports) = self.exposed_ports.as_ref().filter(|p| !p.is_empty()) {
            obj.key("ExposedPorts");
            push_set(obj.out, Some(ports));
        }
        obj.boolean("Tty", self.tty);
        obj.boolean("OpenStdin", self.open_stdin);
        obj.boolean("StdinOnce", self.stdin_once);
        obj.key("Env");
        push_strings(obj.out, self.env.as_ref());
        obj.key("Cmd");
        push_strings(obj.out, self.cmd.as_ref());
        if let Some(h) = &self.healthcheck {
            obj.key("Healthcheck");
            h.encode(obj.out);
        }
        if self.args_escaped {
            obj.boolean("ArgsEscaped", true);
        }
        obj.string("Image", &self.image);
        obj.key("Volumes");
        push_set(obj.out, self.volumes.as_ref());
        obj.string("WorkingDir", &self.working_dir);
        obj.key("Entrypoint");
        push_strings(obj.out, self.entrypoint.as_ref());
        if self.network_disabled {
            obj.boolean("NetworkDisabled", true);
        }
        if !self.mac_address.is_empty() {
            obj.string("MacAddress", &self.mac_address);
        }
        obj.key("OnBuild");
        push_strings(obj.out, self.on_build.as_ref());
        obj.key("Labels");
        match &self.labels {
            None => obj.out.push_str("null"),
            Some(labels) => {
                let mut inner = Obj::new(obj.out);
                for (k, v) in labels {
                    inner.string(k, v);
                }
                inner.end();
            }
        }
        if !self.stop_signal.is_empty() {
            obj.string("StopSignal", &self.stop_signal);
        }
        if let Some(t) = self.stop_timeout {
            obj.key("StopTimeout");
            obj.out.push_str(&t.to_string());
        }
        if let Some(shell) = self.shell.as_ref().filter(|s| !s.is_empty()) {
            obj.key("Shell");
            push_strings(obj.out, Some(shell));
        }
        obj.end();
    }
}

impl V1Image {
    pub(crate) fn decode(v: &Value, field: &str) -> Result<V1Image, ConfigError> {
        const NAMES: [&str; 13] = [
            "id",
            "parent",
            "comment",
            "created",
            "container",
            "container_config",
            "docker_version",
            "author",
            "config",
            "architecture",
            "variant",
            "os",
            "Size",
        ];
        let mut m = V1Image::default();
        go_struct(v, field, |k, item, f| match field_index(k, &NAMES) {
            Some(0) => go_string(&mut m.id, item, f),
            Some(1) => go_string(&mut m.parent, item, f),
            Some(2) => go_string(&mut m.comment, item, f),
            Some(3) => go_time(&mut m.created, item, f),
            Some(4) => go_string(&mut m.container, item, f),
            Some(5) => m.container_config.decode_into(item, f),
            Some(6) => go_string(&mut m.docker_version, item, f),
            Some(7) => go_string(&mut m.author, item, f),
            Some(8) => match item {
                Value::Null => {
                    m.config = None;
                    Ok(())
                }
                _ => m
                    .config
                    .get_or_insert_with(GoConfig::default)
                    .decode_into(item, f),
            },
            Some(9) => go_string(&mut m.architecture, item, f),
            Some(10) => go_string(&mut m.variant, item, f),
            Some(11) => go_string(&mut m.os, item, f),
            Some(12) => go_int(&mut m.size, item, f),
            _ => Ok(()),
        })?;
        Ok(m)
    }

    /// The top-level members `json.Marshal(&Schema2V1Image)` writes, in struct order, as
    /// (key, value text).
    pub(crate) fn encode_members(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut put = |k: &str, v: String| out.push((k.to_owned(), v));
        let quoted = |s: &str| {
            let mut t = String::new();
            write_string(&mut t, s);
            t
        };
        if !self.id.is_empty() {
            put("id", quoted(&self.id));
        }
        if !self.parent.is_empty() {
            put("parent", quoted(&self.parent));
        }
        if !self.comment.is_empty() {
            put("comment", quoted(&self.comment));
        }
        let created = self.created.clone().unwrap_or_else(Timestamp::go_zero);
        put("created", quoted(&created.go_rfc3339_nano()));
        if !self.container.is_empty() {
            put("container", quoted(&self.container));
        }
        let mut cc = String::new();
        self.container_config.encode(&mut cc);
        put("container_config", cc);
        if !self.docker_version.is_empty() {
            put("docker_version", quoted(&self.docker_version));
        }
        if !self.author.is_empty() {
            put("author", quoted(&self.author));
        }
        if let Some(config) = &self.config {
            let mut c = String::new();
            config.encode(&mut c);
            put("config", c);
        }
        if !self.architecture.is_empty() {
            put("architecture", quoted(&self.architecture));
        }
        if !self.variant.is_empty() {
            put("variant", quoted(&self.variant));
        }
        if !self.os.is_empty() {
            put("os", quoted(&self.os));
        }
        if self.size != 0 {
            put("Size", self.size.to_string());
        }
        out
    }
}

// ---- encoding helpers (Go `json.Marshal` output) ----

/// Writes a JSON object member by member.
struct Obj<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Obj<'a> {
    fn new(out: &'a mut String) -> Self {
        out.push('{');
        Obj { out, first: true }
    }

    fn key(&mut self, k: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        write_string(self.out, k);
        self.out.push(':');
    }

    fn string(&mut self, k: &str, v: &str) {
        self.key(k);
        write_string(self.out, v);
    }

    fn boolean(&mut self, k: &str, v: bool) {
        self.key(k);
        self.out.push_str(if v { "true" } else { "false" });
    }

    fn end(self) {
        self.out.push('}');
    }
}

fn push_strings(out: &mut String, v: Option<&Vec<String>>) {
    let Some(items) = v else {
        out.push_str("null");
        return;
    };
    out.push('[');
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(out, s);
    }
    out.push(']');
}

fn push_set(out: &mut String, v: Option<&BTreeSet<String>>) {
    let Some(items) = v else {
        out.push_str("null");
        return;
    };
    let mut obj = Obj::new(out);
    for k in items {
        obj.key(k);
        obj.out.push_str("{}");
    }
    obj.end();
}

/// Docker `api/types/versions.LessThan`: dot-separated parts compared as integers, a part
/// that is not a Go `strconv.Atoi` integer counting as 0, missing parts as 0.
pub(crate) fn version_less_than(v: &str, other: &str) -> bool {
    if v == other {
        return false;
    }
    let a: Vec<&str> = v.split('.').collect();
    let b: Vec<&str> = other.split('.').collect();
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).map_or(0, |s| go_atoi(s));
        let y = b.get(i).map_or(0, |s| go_atoi(s));
        if x != y {
            return x < y;
        }
    }
    false
}

/// Go `strconv.Atoi` on a 64-bit platform, with Go's result on error: 0 for a syntax
/// error, the clamped bound for an out-of-range value.
fn go_atoi(s: &str) -> i64 {
    let (neg, digits) = match (s.strip_prefix('-'), s.strip_prefix('+')) {
        (Some(rest), _) => (true, rest),
        (None, Some(rest)) => (false, rest),
        (None, None) => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    match s.parse::<i64>() {
        Ok(n) => n,
        Err(_) if neg => i64::MIN,
        Err(_) => i64::MAX,
    }
}

/// A `serde_json::Map` lookup helper for tests.
#[cfg(test)]
fn obj(text: &str) -> Value {
    serde_json::from_str::<serde_json::Map<String, Value>>(text)
        .map(Value::Object)
        .expect("test json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        let cases = [
            ("1.8.2", true),
            ("1.8.3", false),
            ("1.8.2-fc22", true),
            ("1.8", true),
            ("1.10.3", false),
            ("1.6.0", true),
            ("0.9", true),
            ("2", false),
            ("", true),
            ("x.y.z", true),
            ("1.8.3.1", false),
            ("1.99999999999999999999", false),
            ("1.-5", true),
        ];
        for (v, want) in cases {
            assert_eq!(version_less_than(v, "1.8.3"), want, "{v}");
        }
    }

    #[test]
    fn compat_decoding() {
        let v = obj(
            r#"{"ID":"a","Parent":null,"created":"2015-01-01T00:00:00Z","container_config":{"cmd":["x",null,"y"]},"ThrowAway":true,"other":[1]}"#,
        );
        let c = V1Compat::decode(&v, "h").expect("decodes");
        assert_eq!(c.id, "a");
        assert_eq!(c.parent, "");
        assert!(c.throwaway);
        assert_eq!(c.cmd, Some(vec!["x".into(), String::new(), "y".into()]));
        assert_eq!(c.created.map(|t| t.unix_seconds()), Some(1_420_070_400));

        for bad in [
            r#"{"id":1}"#,
            r#"{"created":"yesterday"}"#,
            r#"{"created":5}"#,
            r#"{"throwaway":"yes"}"#,
            r#"{"container_config":{"Cmd":"sh"}}"#,
            r#"{"container_config":[]}"#,
        ] {
            assert!(V1Compat::decode(&obj(bad), "h").is_err(), "{bad}");
        }
    }

    #[test]
    fn image_round_trip_like_go() {
        let v = obj(
            r#"{"id":"x","created":"2015-06-01T10:00:00.120Z","container_config":{"Cmd":"sh","Env":[],"Volumes":{"/b":{},"/a":null},"Labels":{"z":"1","a":null},"Healthcheck":{"Test":["NONE"],"Retries":3},"StopTimeout":0,"unknown":1},"docker_version":"1.7.1","config":null,"Size":0,"os":"linux","extra":true}"#,
        );
        let m = V1Image::decode(&v, "h").expect("decodes");
        let got: Vec<String> = m
            .encode_members()
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        assert_eq!(
            got,
            vec![
                r#"id="x""#.to_owned(),
                r#"created="2015-06-01T10:00:00.12Z""#.to_owned(),
                r#"container_config={"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":[],"Cmd":["sh"],"Healthcheck":{"Test":["NONE"],"Retries":3},"Image":"","Volumes":{"/a":{},"/b":{}},"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{"a":"","z":"1"},"StopTimeout":0}"#.to_owned(),
                r#"docker_version="1.7.1""#.to_owned(),
                r#"os="linux""#.to_owned(),
            ]
        );
        for bad in [
            r#"{"Size":1.5}"#,
            r#"{"config":{"Cmd":[1]}}"#,
            r#"{"config":{"Labels":{"a":1}}}"#,
            r#"{"config":{"ExposedPorts":{"80/tcp":"yes"}}}"#,
            r#"{"container_config":{"Healthcheck":{"Interval":"1s"}}}"#,
        ] {
            assert!(V1Image::decode(&obj(bad), "h").is_err(), "{bad}");
        }
    }
}

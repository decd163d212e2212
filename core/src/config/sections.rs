//! Typed reading of the config's objects (`config`, `config.Healthcheck`, `rootfs`,
//! `history[]`): known fields typed and checked, every other field kept in order.

use serde_json::{Map, Value};

use super::fields::{self, invalid, join};
use super::{ConfigError, ExecConfig, Healthcheck, History, RootFs};

pub(crate) fn exec_config(map: Map<String, Value>) -> Result<ExecConfig, ConfigError> {
    let mut c = ExecConfig::default();
    for (key, v) in map {
        let field = join("config", &key);
        let f = field.as_str();
        match key.as_str() {
            "User" => c.user = fields::string(v, f)?,
            "ExposedPorts" => c.exposed_ports = fields::string_set(v, f)?,
            "Env" => {
                let env = fields::strings(v, f)?;
                for (i, e) in env.iter().flatten().enumerate() {
                    // image-spec schema/validator.go: `^[^=]+=.*$`.
                    if !matches!(e.find('='), Some(pos) if pos > 0) {
                        return Err(invalid(&format!("{f}[{i}]"), "NAME=value"));
                    }
                }
                c.env = env;
            }
            "Entrypoint" => c.entrypoint = fields::strings(v, f)?,
            "Cmd" => c.cmd = fields::strings(v, f)?,
            "Volumes" => c.volumes = fields::string_set(v, f)?,
            "WorkingDir" => c.working_dir = fields::string(v, f)?,
            "Labels" => c.labels = fields::string_map(v, f)?,
            "StopSignal" => c.stop_signal = fields::string(v, f)?,
            "ArgsEscaped" => c.args_escaped = fields::boolean(v, f)?,
            "Healthcheck" => c.healthcheck = fields::object(v, f)?.map(healthcheck).transpose()?,
            "OnBuild" => c.on_build = fields::strings(v, f)?,
            "Shell" => c.shell = fields::strings(v, f)?,
            _ => {
                c.extra.insert(key, v);
            }
        }
    }
    Ok(c)
}

fn healthcheck(map: Map<String, Value>) -> Result<Healthcheck, ConfigError> {
    let mut h = Healthcheck::default();
    for (key, v) in map {
        let field = join("config.Healthcheck", &key);
        let f = field.as_str();
        match key.as_str() {
            "Test" => h.test = fields::strings(v, f)?,
            "Interval" => h.interval = fields::integer(v, f)?,
            "Timeout" => h.timeout = fields::integer(v, f)?,
            "StartPeriod" => h.start_period = fields::integer(v, f)?,
            "StartInterval" => h.start_interval = fields::integer(v, f)?,
            "Retries" => h.retries = fields::integer(v, f)?,
            _ => {
                h.extra.insert(key, v);
            }
        }
    }
    Ok(h)
}

pub(crate) fn root_fs(map: Map<String, Value>) -> Result<RootFs, ConfigError> {
    let mut kind = None;
    let mut diff_ids = Vec::new();
    let mut extra = Map::new();
    for (key, v) in map {
        match key.as_str() {
            "type" => kind = fields::string(v, "rootfs.type")?,
            "diff_ids" => diff_ids = fields::digests(v, "rootfs.diff_ids")?.unwrap_or_default(),
            _ => {
                extra.insert(key, v);
            }
        }
    }
    let kind = kind.ok_or_else(|| ConfigError::MissingField {
        field: "rootfs.type".to_owned(),
    })?;
    if kind != "layers" {
        return Err(invalid("rootfs.type", "\"layers\""));
    }
    Ok(RootFs {
        kind,
        diff_ids,
        extra,
    })
}

pub(crate) fn histories(items: Vec<Value>) -> Result<Vec<History>, ConfigError> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let path = format!("history[{i}]");
            let map = fields::object(item, &path)?.unwrap_or_default();
            let mut h = History::default();
            for (key, v) in map {
                let field = join(&path, &key);
                let f = field.as_str();
                match key.as_str() {
                    "created" => h.created = fields::timestamp(v, f)?,
                    "created_by" => h.created_by = fields::string(v, f)?,
                    "author" => h.author = fields::string(v, f)?,
                    "comment" => h.comment = fields::string(v, f)?,
                    "empty_layer" => h.empty_layer = fields::boolean(v, f)?.unwrap_or(false),
                    _ => {
                        h.extra.insert(key, v);
                    }
                }
            }
            Ok(h)
        })
        .collect()
}

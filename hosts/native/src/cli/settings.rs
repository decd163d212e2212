//! Settings shared by commands: where the store is, and registries.conf.

use std::path::{Path, PathBuf};

use hoist_core::reference::RegistriesConf;

use super::{Cli, CliError, Format};

/// Largest registries.conf read.
const MAX_CONF: u64 = 1 << 20;

/// Resolved global settings.
pub struct Settings {
    /// The store directory.
    pub store: PathBuf,
    /// The parsed registries.conf, when there is one.
    pub registries: Option<RegistriesConf>,
    /// Output format.
    pub format: Format,
}

impl Settings {
    /// From the command line and the environment.
    pub fn from_cli(cli: &Cli) -> Result<Settings, CliError> {
        let store = match &cli.store {
            Some(p) => p.clone(),
            None => default_store()?,
        };
        let conf_path = cli
            .registries_conf
            .clone()
            .or_else(|| std::env::var_os("CONTAINERS_REGISTRIES_CONF").map(PathBuf::from))
            .or_else(|| {
                let p = PathBuf::from("/etc/containers/registries.conf");
                p.exists().then_some(p)
            });
        let registries = match conf_path {
            Some(p) => Some(read_conf(&p)?),
            None => None,
        };
        Ok(Settings {
            store,
            registries,
            format: cli.format,
        })
    }
}

fn read_conf(path: &Path) -> Result<RegistriesConf, CliError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| {
        CliError::new(
            "registries-conf-unreadable",
            format!("{}: {e}", path.display()),
        )
    })?;
    let mut text = String::new();
    file.take(MAX_CONF + 1)
        .read_to_string(&mut text)
        .map_err(|e| {
            CliError::new(
                "registries-conf-unreadable",
                format!("{}: {e}", path.display()),
            )
        })?;
    if text.len() as u64 > MAX_CONF {
        return Err(CliError::new(
            "registries-conf-too-large",
            format!("{} is over 1 MiB", path.display()),
        ));
    }
    RegistriesConf::parse(&text).map_err(|e| {
        let e = CliError::core(e);
        CliError::new(e.code(), format!("{}: {}", path.display(), e.message()))
    })
}

/// `$XDG_DATA_HOME/hoist`, or `~/.local/share/hoist`.
fn default_store() -> Result<PathBuf, CliError> {
    if let Some(d) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d).join("hoist"));
    }
    match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        Some(h) => Ok(PathBuf::from(h).join(".local/share/hoist")),
        None => Err(CliError::new(
            "no-store-path",
            "neither XDG_DATA_HOME nor HOME is set: pass --store DIR",
        )),
    }
}

//! Running a hoist binary in the tests' environment.

use std::path::Path;
use std::process::Command;

/// Gives `cmd` the environment every test of a hoist binary runs in, so it never picks up
/// the developer's auth files or registries.conf: `HOME` is `home`, `XDG_RUNTIME_DIR`,
/// `REGISTRY_AUTH_FILE` and `DOCKER_CONFIG` are removed, and `CONTAINERS_REGISTRIES_CONF`
/// is `/dev/null`.
pub fn isolate<'a>(cmd: &'a mut Command, home: &Path) -> &'a mut Command {
    cmd.env("HOME", home)
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("REGISTRY_AUTH_FILE")
        .env_remove("DOCKER_CONFIG")
        .env("CONTAINERS_REGISTRIES_CONF", "/dev/null")
}

/// `BIN --store STORE`, [`isolate`]d with `HOME` at `STORE/home`.
pub fn hoist_command(bin: &Path, store: &Path) -> Command {
    let mut cmd = Command::new(bin);
    cmd.arg("--store").arg(store);
    isolate(&mut cmd, &store.join("home"));
    cmd
}

//! [`CredentialEnv`]: the environment the credentials module reads, as a value, and the
//! auth file locations it implies.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use hoist_core::auth::{self, AuthFileEnv};

use super::CredentialError;

/// A snapshot of the environment variables (and user id) that decide where auth files
/// are and how credential helpers are found.
///
/// Build it with [`CredentialEnv::from_process_env`] in a program, or field by field in a
/// test: nothing in this module reads the process environment on its own, so tests
/// never have to mutate it. Empty variables count as unset, as in containers/image.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CredentialEnv {
    /// `REGISTRY_AUTH_FILE` (podman, skopeo, buildah), or a `--authfile` flag. When set,
    /// it is the only auth file read and the one written.
    pub registry_auth_file: Option<PathBuf>,
    /// `XDG_RUNTIME_DIR`: the default auth file is `$XDG_RUNTIME_DIR/containers/auth.json`.
    pub xdg_runtime_dir: Option<PathBuf>,
    /// `XDG_CONFIG_HOME`: `$XDG_CONFIG_HOME/containers/auth.json` is read (default
    /// `$HOME/.config`).
    pub xdg_config_home: Option<PathBuf>,
    /// `HOME`: `~/.docker/config.json` and `~/.dockercfg`.
    pub home: Option<PathBuf>,
    /// `DOCKER_CONFIG`: `$DOCKER_CONFIG/config.json` replaces `~/.docker/config.json`.
    pub docker_config_dir: Option<PathBuf>,
    /// The user id, for `/run/containers/<uid>/auth.json` when `XDG_RUNTIME_DIR` is unset.
    pub uid: Option<u32>,
    /// `PATH` for finding and running `docker-credential-*` helpers. `None` means the
    /// helper inherits this process's `PATH`, and is looked up in it.
    pub path: Option<OsString>,
}

impl CredentialEnv {
    /// Reads `REGISTRY_AUTH_FILE`, `XDG_RUNTIME_DIR`, `XDG_CONFIG_HOME`, `HOME`,
    /// `DOCKER_CONFIG` and `PATH`, and the user id (the owner of `/proc/self`, on Linux).
    pub fn from_process_env() -> Self {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        let path = |name: &str| var(name).map(PathBuf::from);
        CredentialEnv {
            registry_auth_file: path("REGISTRY_AUTH_FILE"),
            xdg_runtime_dir: path("XDG_RUNTIME_DIR"),
            xdg_config_home: path("XDG_CONFIG_HOME"),
            home: path("HOME"),
            docker_config_dir: path("DOCKER_CONFIG"),
            uid: current_uid(),
            path: var("PATH"),
        }
    }

    /// The auth files to read, in order (containers/image `getAuthFilePaths`, decided by
    /// [`hoist_core::auth::auth_file_paths`]):
    ///
    /// 1. `REGISTRY_AUTH_FILE`, and then nothing else: an explicit file replaces the
    ///    defaults, as podman's `--authfile` does;
    /// 2. otherwise `$XDG_RUNTIME_DIR/containers/auth.json` (skipped when that directory
    ///    does not exist), or `/run/containers/<uid>/auth.json` when `XDG_RUNTIME_DIR`
    ///    is unset;
    /// 3. `$XDG_CONFIG_HOME/containers/auth.json` or `~/.config/containers/auth.json`;
    /// 4. `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`;
    /// 5. `~/.dockercfg` (legacy format).
    ///
    /// Locations whose variables are unset are left out. Whether a file exists is not
    /// checked here (except for the `XDG_RUNTIME_DIR` directory, as containers/image
    /// does); missing files are skipped when read.
    pub fn read_paths(&self) -> Vec<AuthPath> {
        auth::auth_file_paths(&self.core_env())
            .into_iter()
            .map(|p| AuthPath::new(p.path.into(), p.legacy))
            .collect()
    }

    /// The auth file `login` and `logout` edit (containers/image `getPathToAuth` on
    /// Linux, decided by [`hoist_core::auth::auth_file_for_write`]): `REGISTRY_AUTH_FILE`,
    /// else `$XDG_RUNTIME_DIR/containers/auth.json`, else
    /// `/run/containers/<uid>/auth.json`. When neither `XDG_RUNTIME_DIR` nor the user id
    /// is known, `$XDG_CONFIG_HOME/containers/auth.json` (or
    /// `~/.config/containers/auth.json`, the non-Linux default), which is read second.
    ///
    /// Errors (the core's, in [`CredentialError::Auth`]): `xdg-runtime-dir-missing` when
    /// `XDG_RUNTIME_DIR` names a directory that does not exist;
    /// `auth-file-location-unknown` when nothing is known.
    pub fn write_path(&self) -> Result<PathBuf, CredentialError> {
        auth::auth_file_for_write(&self.core_env())
            .map(PathBuf::from)
            .map_err(|source| CredentialError::Auth { path: None, source })
    }

    /// The core's view of this environment, with the one fact the core cannot measure:
    /// whether the `XDG_RUNTIME_DIR` directory is missing. Paths that are not UTF-8 are
    /// converted lossily (the core works on strings, as Node's `process.env` does).
    fn core_env(&self) -> AuthFileEnv {
        let text = |p: &Option<PathBuf>| p.as_ref().map(|p| p.to_string_lossy().into_owned());
        AuthFileEnv {
            registry_auth_file: text(&self.registry_auth_file),
            xdg_runtime_dir: text(&self.xdg_runtime_dir),
            xdg_runtime_dir_missing: self
                .xdg_runtime_dir
                .as_deref()
                .is_some_and(|dir| !dir_exists(dir)),
            xdg_config_home: text(&self.xdg_config_home),
            home: text(&self.home),
            docker_config: text(&self.docker_config_dir),
            uid: self.uid,
        }
    }
}

/// One auth file location and its format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthPath {
    /// The file.
    pub path: PathBuf,
    /// True for a legacy `.dockercfg` (the top-level object is the `auths` map).
    pub legacy: bool,
}

impl AuthPath {
    fn new(path: PathBuf, legacy: bool) -> Self {
        AuthPath { path, legacy }
    }
}

/// True unless `dir` is known not to exist (`NotFound`, as containers/image checks
/// `fs.ErrNotExist`); any other error is left for the read or write to report.
fn dir_exists(dir: &Path) -> bool {
    match std::fs::metadata(dir) {
        Ok(_) => true,
        Err(e) => e.kind() != std::io::ErrorKind::NotFound,
    }
}

#[cfg(unix)]
fn current_uid() -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").ok().map(|m| m.uid())
}

#[cfg(not(unix))]
fn current_uid() -> Option<u32> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(env: &CredentialEnv) -> Vec<(String, bool)> {
        env.read_paths()
            .into_iter()
            .map(|p| (p.path.display().to_string(), p.legacy))
            .collect()
    }

    #[test]
    fn read_order() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let run = tmp.path().display().to_string();
        let env = CredentialEnv {
            xdg_runtime_dir: Some(tmp.path().into()),
            home: Some("/h".into()),
            ..CredentialEnv::default()
        };
        assert_eq!(
            paths(&env),
            [
                (format!("{run}/containers/auth.json"), false),
                ("/h/.config/containers/auth.json".into(), false),
                ("/h/.docker/config.json".into(), false),
                ("/h/.dockercfg".into(), true),
            ]
        );
        let env = CredentialEnv {
            xdg_config_home: Some("/x".into()),
            docker_config_dir: Some("/d".into()),
            home: Some("/h".into()),
            uid: Some(1000),
            ..CredentialEnv::default()
        };
        assert_eq!(
            paths(&env),
            [
                ("/run/containers/1000/auth.json".into(), false),
                ("/x/containers/auth.json".into(), false),
                ("/d/config.json".into(), false),
                ("/h/.dockercfg".into(), true),
            ]
        );
        assert_eq!(
            env.write_path().expect("path"),
            PathBuf::from("/run/containers/1000/auth.json")
        );
    }

    #[test]
    fn explicit_file_replaces_defaults() {
        let env = CredentialEnv {
            registry_auth_file: Some("/a.json".into()),
            home: Some("/h".into()),
            uid: Some(0),
            ..CredentialEnv::default()
        };
        assert_eq!(paths(&env), [("/a.json".into(), false)]);
        assert_eq!(env.write_path().expect("path"), PathBuf::from("/a.json"));
    }

    #[test]
    fn missing_runtime_dir() {
        let env = CredentialEnv {
            xdg_runtime_dir: Some("/nonexistent/hoist-test-runtime".into()),
            home: Some("/h".into()),
            ..CredentialEnv::default()
        };
        // Reading goes on without it; writing refuses.
        assert_eq!(paths(&env)[0].0, "/h/.config/containers/auth.json");
        assert_eq!(
            env.write_path()
                .map_err(|e| hoist_core::ErrorCode::code(&e)),
            Err("xdg-runtime-dir-missing")
        );
    }

    #[test]
    fn nothing_known() {
        let env = CredentialEnv::default();
        assert!(env.read_paths().is_empty());
        assert_eq!(
            env.write_path()
                .map_err(|e| hoist_core::ErrorCode::code(&e)),
            Err("auth-file-location-unknown")
        );
        let env = CredentialEnv {
            home: Some("/h".into()),
            ..CredentialEnv::default()
        };
        assert_eq!(
            env.write_path().expect("path"),
            PathBuf::from("/h/.config/containers/auth.json")
        );
    }
}

//! Where auth files are: the order they are read in and the one file `login` and `logout`
//! edit, decided from a snapshot of the environment ([`AuthFileEnv`]).
//!
//! The rules are containers/image's (`pkg/docker/config/config.go`: `getAuthFilePaths`
//! for reading, `getPathToAuth` for writing), which podman, skopeo and buildah share and
//! `containers-auth.json(5)` documents. They are a policy decision, so they live here
//! once; hosts read the environment, measure the one thing the core cannot (whether the
//! `XDG_RUNTIME_DIR` directory exists), and then open the files in the order given.
//!
//! Paths use Linux semantics: parts are joined with `/` and the result is cleaned
//! lexically as Go's `filepath.Join` does (repeated `/`, `.` and inner `..` removed), so
//! the strings are exactly the ones podman opens. An explicit `REGISTRY_AUTH_FILE` is used
//! as given, as containers/image does.

use super::AuthError;

/// The environment that decides where auth files are, as plain values.
///
/// A host fills it from its process environment (or a test builds it field by field).
/// An empty string counts as unset, as `os.Getenv(…) != ""` does in containers/image.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthFileEnv {
    /// `REGISTRY_AUTH_FILE`, or podman's `--authfile`: when set, the only file read and
    /// the one written.
    pub registry_auth_file: Option<String>,
    /// `XDG_RUNTIME_DIR`: the first file is `$XDG_RUNTIME_DIR/containers/auth.json`.
    pub xdg_runtime_dir: Option<String>,
    /// The host found that the `XDG_RUNTIME_DIR` directory does not exist (`stat` failed
    /// with "no such file or directory"; any other outcome counts as present, as in
    /// containers/image). Reading then skips that file; writing is refused.
    pub xdg_runtime_dir_missing: bool,
    /// `XDG_CONFIG_HOME`: `$XDG_CONFIG_HOME/containers/auth.json` (default
    /// `$HOME/.config`).
    pub xdg_config_home: Option<String>,
    /// `HOME`: `~/.config`, `~/.docker/config.json` and `~/.dockercfg` hang off it.
    pub home: Option<String>,
    /// `DOCKER_CONFIG`: `$DOCKER_CONFIG/config.json` replaces `~/.docker/config.json`.
    pub docker_config: Option<String>,
    /// The user id, for `/run/containers/<uid>/auth.json` when `XDG_RUNTIME_DIR` is
    /// unset (rootful podman's default).
    pub uid: Option<u32>,
}

/// One auth file to read, and its format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthFilePath {
    /// The file (it may not exist; a missing file is skipped when read).
    pub path: String,
    /// True for the legacy `~/.dockercfg`, whose top-level object is the `auths` map
    /// (parse it with [`super::DockerConfig::parse_legacy`]).
    pub legacy: bool,
}

impl AuthFilePath {
    fn current(path: String) -> Self {
        AuthFilePath {
            path,
            legacy: false,
        }
    }
}

/// `containers/auth.json` below a runtime or config directory.
const CONTAINERS_AUTH: &str = "containers/auth.json";

/// The auth files to read, in order (containers/image `getAuthFilePaths`,
/// `containers-auth.json(5)` "FORMAT"):
///
/// 1. `REGISTRY_AUTH_FILE` alone, when set: an explicit file replaces the defaults;
/// 2. `$XDG_RUNTIME_DIR/containers/auth.json` (left out when the host measured that
///    directory missing; containers/image warns and goes on, so a public pull still
///    works), or `/run/containers/<uid>/auth.json` when `XDG_RUNTIME_DIR` is unset;
/// 3. `$XDG_CONFIG_HOME/containers/auth.json`, else `$HOME/.config/containers/auth.json`;
/// 4. `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`;
/// 5. `$HOME/.dockercfg`, in the legacy format.
///
/// Entries whose variables are unset are left out (containers/image would build them
/// from an empty home directory; hoist never reads a path relative to the working
/// directory by accident). Nothing here checks that a file exists.
pub fn auth_file_paths(env: &AuthFileEnv) -> Vec<AuthFilePath> {
    if let Some(file) = set(&env.registry_auth_file) {
        return vec![AuthFilePath::current(file.to_owned())];
    }
    let mut paths = Vec::with_capacity(4);
    if let Ok(Some(path)) = runtime_path(env) {
        paths.push(AuthFilePath::current(path));
    }
    if let Some(path) = config_home_path(env) {
        paths.push(AuthFilePath::current(path));
    }
    let docker = match (set(&env.docker_config), set(&env.home)) {
        (Some(dir), _) => Some(join(dir, "config.json")),
        (None, Some(home)) => Some(join(home, ".docker/config.json")),
        (None, None) => None,
    };
    if let Some(path) = docker {
        paths.push(AuthFilePath::current(path));
    }
    if let Some(home) = set(&env.home) {
        paths.push(AuthFilePath {
            path: join(home, ".dockercfg"),
            legacy: true,
        });
    }
    paths
}

/// The auth file `login` and `logout` edit (containers/image `getPathToAuth` on Linux):
/// `REGISTRY_AUTH_FILE`, else `$XDG_RUNTIME_DIR/containers/auth.json`, else
/// `/run/containers/<uid>/auth.json`. When neither `XDG_RUNTIME_DIR` nor the user id is
/// known, hoist writes `$XDG_CONFIG_HOME/containers/auth.json` (or
/// `$HOME/.config/containers/auth.json`, containers/image's non-Linux default), which
/// [`auth_file_paths`] reads second.
///
/// # Errors
///
/// [`AuthError::XdgRuntimeDirMissing`] (`xdg-runtime-dir-missing`) when the
/// `XDG_RUNTIME_DIR` directory is missing: containers/image refuses to guess;
/// [`AuthError::AuthFileLocationUnknown`] (`auth-file-location-unknown`) when nothing
/// names a location.
pub fn auth_file_for_write(env: &AuthFileEnv) -> Result<String, AuthError> {
    if let Some(file) = set(&env.registry_auth_file) {
        return Ok(file.to_owned());
    }
    if let Some(path) = runtime_path(env)? {
        return Ok(path);
    }
    config_home_path(env).ok_or(AuthError::AuthFileLocationUnknown)
}

/// The per-session file: `$XDG_RUNTIME_DIR/containers/auth.json` or
/// `/run/containers/<uid>/auth.json`; `None` when neither is known.
fn runtime_path(env: &AuthFileEnv) -> Result<Option<String>, AuthError> {
    if let Some(dir) = set(&env.xdg_runtime_dir) {
        if env.xdg_runtime_dir_missing {
            return Err(AuthError::XdgRuntimeDirMissing {
                dir: dir.to_owned(),
            });
        }
        return Ok(Some(join(dir, CONTAINERS_AUTH)));
    }
    Ok(env
        .uid
        .map(|uid| format!("/run/containers/{uid}/auth.json")))
}

/// `$XDG_CONFIG_HOME/containers/auth.json` or `$HOME/.config/containers/auth.json`.
fn config_home_path(env: &AuthFileEnv) -> Option<String> {
    match (set(&env.xdg_config_home), set(&env.home)) {
        (Some(dir), _) => Some(join(dir, CONTAINERS_AUTH)),
        (None, Some(home)) => Some(join(home, ".config/containers/auth.json")),
        (None, None) => None,
    }
}

/// A variable's value, `None` when unset or empty.
fn set(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty())
}

/// `base` and `rest` joined with `/` and cleaned, as Go's `filepath.Join` on Linux.
fn join(base: &str, rest: &str) -> String {
    clean(&format!("{base}/{rest}"))
}

/// Lexical cleaning with Go's `path.Clean` rules: one `/` between parts, no `.` parts,
/// an inner `..` removes the part before it, a `..` at the root is dropped, no trailing
/// `/` (except the root itself); an empty result is `.`.
fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if rooted => {}
                _ => parts.push(".."),
            },
            part => parts.push(part),
        }
    }
    let body = parts.join("/");
    if rooted {
        format!("/{body}")
    } else if body.is_empty() {
        ".".to_owned()
    } else {
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    fn s(v: &str) -> Option<String> {
        Some(v.to_owned())
    }

    fn read(env: &AuthFileEnv) -> Vec<String> {
        auth_file_paths(env)
            .into_iter()
            .map(|p| {
                if p.legacy {
                    format!("{} (legacy)", p.path)
                } else {
                    p.path
                }
            })
            .collect()
    }

    fn write(env: &AuthFileEnv) -> Result<String, &'static str> {
        auth_file_for_write(env).map_err(|e| e.code())
    }

    #[test]
    fn default_order_with_runtime_dir() {
        let env = AuthFileEnv {
            xdg_runtime_dir: s("/run/user/1000"),
            home: s("/home/u"),
            uid: Some(1000),
            ..AuthFileEnv::default()
        };
        assert_eq!(
            read(&env),
            [
                "/run/user/1000/containers/auth.json",
                "/home/u/.config/containers/auth.json",
                "/home/u/.docker/config.json",
                "/home/u/.dockercfg (legacy)",
            ]
        );
        assert_eq!(
            write(&env),
            Ok("/run/user/1000/containers/auth.json".into())
        );
    }

    #[test]
    fn overrides_replace_home_paths() {
        let env = AuthFileEnv {
            xdg_config_home: s("/x"),
            docker_config: s("/d"),
            home: s("/h"),
            uid: Some(0),
            ..AuthFileEnv::default()
        };
        assert_eq!(
            read(&env),
            [
                "/run/containers/0/auth.json",
                "/x/containers/auth.json",
                "/d/config.json",
                "/h/.dockercfg (legacy)",
            ]
        );
        assert_eq!(write(&env), Ok("/run/containers/0/auth.json".into()));
    }

    #[test]
    fn explicit_file_is_the_only_one() {
        let env = AuthFileEnv {
            registry_auth_file: s("rel/../auth.json"),
            xdg_runtime_dir: s("/nope"),
            xdg_runtime_dir_missing: true,
            home: s("/h"),
            uid: Some(7),
            ..AuthFileEnv::default()
        };
        // As given (not cleaned), and a missing runtime directory does not matter.
        assert_eq!(read(&env), ["rel/../auth.json"]);
        assert_eq!(write(&env), Ok("rel/../auth.json".into()));
    }

    #[test]
    fn missing_runtime_dir_is_skipped_for_reading_and_refused_for_writing() {
        let env = AuthFileEnv {
            xdg_runtime_dir: s("/run/user/1000"),
            xdg_runtime_dir_missing: true,
            home: s("/h"),
            uid: Some(1000),
            ..AuthFileEnv::default()
        };
        // No fallback to /run/containers/<uid>: containers/image only warns.
        assert_eq!(read(&env)[0], "/h/.config/containers/auth.json");
        assert_eq!(read(&env).len(), 3);
        let err = auth_file_for_write(&env).expect_err("missing");
        assert_eq!(err.code(), "xdg-runtime-dir-missing");
        assert!(err.to_string().contains("/run/user/1000"), "{err}");
    }

    #[test]
    fn empty_values_are_unset() {
        let env = AuthFileEnv {
            registry_auth_file: s(""),
            xdg_runtime_dir: s(""),
            xdg_runtime_dir_missing: true,
            xdg_config_home: s(""),
            docker_config: s(""),
            home: s("/h"),
            uid: None,
        };
        assert_eq!(
            read(&env),
            [
                "/h/.config/containers/auth.json",
                "/h/.docker/config.json",
                "/h/.dockercfg (legacy)",
            ]
        );
        assert_eq!(write(&env), Ok("/h/.config/containers/auth.json".into()));
    }

    #[test]
    fn nothing_known() {
        assert!(read(&AuthFileEnv::default()).is_empty());
        assert_eq!(
            write(&AuthFileEnv::default()),
            Err("auth-file-location-unknown")
        );
        let uid_only = AuthFileEnv {
            uid: Some(1000),
            ..AuthFileEnv::default()
        };
        assert_eq!(read(&uid_only), ["/run/containers/1000/auth.json"]);
        let config_only = AuthFileEnv {
            xdg_config_home: s("/x"),
            ..AuthFileEnv::default()
        };
        assert_eq!(write(&config_only), Ok("/x/containers/auth.json".into()));
    }

    #[test]
    fn joined_paths_are_cleaned_like_filepath_join() {
        let env = AuthFileEnv {
            xdg_runtime_dir: s("/run//user/1000/"),
            xdg_config_home: s("cfg/./a/../b"),
            docker_config: s("/../d/"),
            home: s("/home/u/"),
            ..AuthFileEnv::default()
        };
        assert_eq!(
            read(&env),
            [
                "/run/user/1000/containers/auth.json",
                "cfg/b/containers/auth.json",
                "/d/config.json",
                "/home/u/.dockercfg (legacy)",
            ]
        );
    }

    #[test]
    fn clean_follows_go() {
        // Rows from Go's path.Clean documentation and tests (facts only).
        for (input, want) in [
            ("", "."),
            ("/", "/"),
            ("abc", "abc"),
            ("abc/def/", "abc/def"),
            ("a//b", "a/b"),
            ("./a", "a"),
            ("a/./b", "a/b"),
            ("a/../b", "b"),
            ("a/..", "."),
            ("../a", "../a"),
            ("../../a/..", "../.."),
            ("a/../..", ".."),
            ("/../a", "/a"),
            ("/..", "/"),
            ("abc/def/../../..", ".."),
            ("/abc/def/../../..", "/"),
        ] {
            assert_eq!(clean(input), want, "clean({input:?})");
        }
    }
}

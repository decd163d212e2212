//! The real `hoist` binary on command lines that do not parse: each failure is exactly one
//! line `hoist: error[usage]: MESSAGE` on stderr (clap's own wording, its tips and usage
//! block left out), nothing on stdout, status 2, and nothing created on disk; `--help`,
//! `help` and `--version` still print to stdout with status 0.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// Runs `hoist ARGS` with a store path that must stay absent and nothing of the
/// developer's environment that could change parsing.
fn hoist(args: &[&str]) -> (Output, PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("store");
    let out = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(args)
        .env("HOIST_STORE", &store)
        .env("HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path())
        .env("CONTAINERS_REGISTRIES_CONF", "/dev/null")
        .env_remove("REGISTRY_AUTH_FILE")
        .stdin(Stdio::null())
        .output()
        .expect("hoist runs");
    (out, store, dir)
}

/// Asserts the one-line usage failure with `message`.
fn assert_usage(args: &[&str], message: &str) {
    let (out, store, _dir) = hoist(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr,
        format!("hoist: error[usage]: {message}\n"),
        "stderr of {args:?}"
    );
    assert_eq!(out.status.code(), Some(2), "status of {args:?}");
    assert!(
        out.stdout.is_empty(),
        "stdout of {args:?}: {:?}",
        out.stdout
    );
    assert!(!store.exists(), "{args:?} created the store");
}

#[test]
fn unknown_flag() {
    assert_usage(
        &["images", "--bogus"],
        "unexpected argument '--bogus' found",
    );
    // The value of an unknown `--flag=value` is not echoed (it may be a password).
    assert_usage(
        &["login", "--password=hunter2", "example.com"],
        "unexpected argument '--password' found",
    );
}

#[test]
fn unknown_subcommand() {
    assert_usage(&["bogus"], "unrecognized subcommand 'bogus'");
}

#[test]
fn no_subcommand() {
    // clap's paragraph lists the subcommands after its first line.
    let message = "'hoist' requires a subcommand but one was not provided [subcommands: pull, \
                   ref, resolve, images, ls, inspect, history, tag, untag, rmi, prune, login, \
                   logout, fsck, gc, serve, help]";
    assert_usage(&[], message);
    assert_usage(&["--format", "json"], message);
}

#[test]
fn missing_required_argument() {
    assert_usage(
        &["pull"],
        "the following required arguments were not provided: <REFERENCE>",
    );
    assert_usage(
        &["tag"],
        "the following required arguments were not provided: <IMAGE> <NAMES>...",
    );
    assert_usage(
        &["pull", "redis", "--platform"],
        "a value is required for '--platform <PLATFORM>' but none was supplied",
    );
}

#[test]
fn invalid_value() {
    assert_usage(
        &["pull", "redis", "--max-concurrent", "x"],
        "invalid value 'x' for '--max-concurrent <MAX_CONCURRENT>': invalid digit found in string",
    );
    assert_usage(
        &["--format", "yaml", "images"],
        "invalid value 'yaml' for '--format <FORMAT>' [possible values: human, json]",
    );
    assert_usage(
        &["pull", "redis", "--idle-timeout", "0"],
        "invalid value '0' for '--idle-timeout <IDLE_TIMEOUT>': a timeout must be more than zero",
    );
}

#[test]
fn help_and_version_print_to_stdout() {
    for args in [
        &["--help"][..],
        &["help"],
        &["pull", "--help"],
        &["help", "pull"],
    ] {
        let (out, store, _dir) = hoist(args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(out.stderr.is_empty(), "{args:?}: {:?}", out.stderr);
        assert!(stdout.contains("Usage: hoist"), "{args:?}: {stdout}");
        assert!(!store.exists());
    }
    let (out, _, _dir) = hoist(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("hoist {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn failures_after_parsing_keep_status_1() {
    // A command line that parses but fails is not a usage error.
    let (out, _, _dir) = hoist(&["inspect", "no-such-image"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("hoist: error[") && !stderr.contains("error[usage]"));
}

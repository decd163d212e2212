//! The command line: global options, then one command and its options, parsed by a
//! small table-driven parser (clap would triple the size of the `.wasm`). Options and
//! output follow the native `hoist` CLI, so scripts work with either.
//!
//! ```text
//! hoist-wasi [--store DIR] [--format human|json] COMMAND [OPTIONS] ARGS...
//! ```

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::commands;
use crate::error::{Error, Result};

/// Where the store is when `--store` is not given: the runner's first `--dir`.
pub const DEFAULT_STORE: &str = "/store";

/// `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Tables and lines for people.
    Human,
    /// One JSON document, as the native CLI's `--format json`.
    Json,
}

/// Options every command shares.
#[derive(Debug)]
pub struct Global {
    /// The store root (a preopened directory or below one).
    pub store: PathBuf,
    /// The output format.
    pub format: Format,
}

/// One option a command takes: its long name, short letter, and whether it has a value.
pub struct Spec(pub &'static str, pub Option<char>, pub bool);

/// A command's parsed options and positional arguments.
#[derive(Debug, Default)]
pub struct Parsed {
    values: HashMap<&'static str, Vec<String>>,
    /// Positional arguments, in order.
    pub positional: Vec<String>,
}

impl Parsed {
    /// Whether flag `name` was given.
    pub fn flag(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// The last value of option `name`.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .and_then(|v| v.last())
            .map(String::as_str)
    }

    /// Every value of repeatable option `name`.
    pub fn values(&self, name: &str) -> &[String] {
        self.values.get(name).map_or(&[], Vec::as_slice)
    }
}

/// The code of a command line that does not parse, as the native CLI reports it.
pub const USAGE: &str = "usage";

/// A usage error: code [`USAGE`], one line worded as the native CLI's (clap's) messages.
fn usage_error(message: impl Into<String>) -> Error {
    Error::new(USAGE, message)
}

/// Parses `args` against `specs`: `--name value`, `--name=value`, `-x value`, `-x`, and
/// `--` ending the options.
pub fn parse(args: &[String], specs: &[Spec]) -> Result<Parsed> {
    let mut p = Parsed::default();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        i += 1;
        if a == "--" {
            p.positional.extend(args[i..].iter().cloned());
            break;
        }
        let (spec, inline) = if let Some(long) = a.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_owned())),
                None => (long, None),
            };
            let spec = specs
                .iter()
                .find(|s| s.0 == name)
                .ok_or_else(|| usage_error(format!("unexpected argument '--{name}' found")))?;
            (spec, inline)
        } else if a.len() == 2 && a.starts_with('-') {
            let c = a.chars().nth(1);
            let spec = specs
                .iter()
                .find(|s| s.1.is_some() && s.1 == c)
                .ok_or_else(|| usage_error(format!("unexpected argument '{a}' found")))?;
            (spec, None)
        } else {
            p.positional.push(a.clone());
            continue;
        };
        let value = if spec.2 {
            match inline {
                Some(v) => v,
                None => {
                    let v = args
                        .get(i)
                        .ok_or_else(|| missing_value(&format!("--{}", spec.0)))?;
                    i += 1;
                    v.clone()
                }
            }
        } else if inline.is_some() {
            return Err(usage_error(format!(
                "unexpected value for '--{}' found; it takes none",
                spec.0
            )));
        } else {
            String::new()
        };
        p.values.entry(spec.0).or_default().push(value);
    }
    Ok(p)
}

const USAGE_TEXT: &str = "usage: hoist-wasi [--store DIR] [--format human|json] \
                          pull|images|inspect|tag|untag|rmi|ref ARGS...";

/// The commands (and aliases) [`run`] dispatches.
const COMMANDS: &[&str] = &[
    "pull", "images", "ls", "inspect", "tag", "untag", "rmi", "ref",
];

fn missing_value(option: &str) -> Error {
    usage_error(format!(
        "a value is required for '{option}' but none was supplied"
    ))
}

/// What a command line asks for, before anything runs.
#[derive(Debug)]
enum Invocation {
    /// `--help`, `-h` or `help`: the usage text on stdout.
    Help,
    /// `--version`: the version on stdout.
    Version,
    /// A known command with the global options and the command's own arguments.
    Command {
        global: Global,
        name: String,
        rest: Vec<String>,
    },
}

/// Takes the global options (`--store`, `--format`) out of `args` wherever they stand
/// before a `--`, as clap's `global = true` does for the native CLI: `images --format
/// json` and `--format json images` are the same command.
fn split_globals(args: &[String]) -> Result<(Global, Vec<String>)> {
    let mut store = PathBuf::from(DEFAULT_STORE);
    let mut format = Format::Human;
    let mut rest = Vec::with_capacity(args.len());
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        i += 1;
        if a == "--" {
            rest.extend(args[i - 1..].iter().cloned());
            break;
        }
        let (name, inline) = match a.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_owned())),
            _ => (a.as_str(), None),
        };
        if name != "--store" && name != "--format" {
            rest.push(a.clone());
            continue;
        }
        let value = match inline {
            Some(v) => v,
            None => {
                i += 1;
                args.get(i - 1)
                    .cloned()
                    .ok_or_else(|| missing_value(name))?
            }
        };
        if name == "--store" {
            store = PathBuf::from(value);
        } else {
            format = match value.as_str() {
                "human" => Format::Human,
                "json" => Format::Json,
                other => {
                    return Err(usage_error(format!(
                        "invalid value '{other}' for '--format' (human or json)"
                    )))
                }
            };
        }
    }
    Ok((Global { store, format }, rest))
}

/// Splits the global options off and checks the command name; every failure is a
/// [`USAGE`] error of one line.
fn invocation(args: &[String]) -> Result<Invocation> {
    let (global, mut args) = split_globals(args)?;
    if args.is_empty() {
        return Err(usage_error(
            "'hoist-wasi' requires a subcommand but one was not provided",
        ));
    }
    let name = args.remove(0);
    match name.as_str() {
        "-h" | "--help" | "help" => Ok(Invocation::Help),
        "-V" | "--version" => Ok(Invocation::Version),
        known if COMMANDS.contains(&known) => Ok(Invocation::Command {
            global,
            name,
            rest: args,
        }),
        other if other.starts_with('-') => {
            Err(usage_error(format!("unexpected argument '{other}' found")))
        }
        other => Err(usage_error(format!("unrecognized subcommand '{other}'"))),
    }
}

/// Runs the command line.
fn run(args: &[String]) -> Result<()> {
    let (global, name, rest) = match invocation(args)? {
        Invocation::Help => {
            println!("{USAGE_TEXT}");
            return Ok(());
        }
        Invocation::Version => {
            println!("hoist-wasi {}", env!("CARGO_PKG_VERSION"));
            return Ok(());
        }
        Invocation::Command { global, name, rest } => (global, name, rest),
    };
    let rest = rest.as_slice();
    match name.as_str() {
        "pull" => crate::pull::run(&global, rest),
        "images" | "ls" => commands::images(&global, rest),
        "inspect" => commands::inspect(&global, rest),
        "tag" => commands::tag(&global, rest),
        "untag" => commands::untag(&global, rest),
        "rmi" => commands::rmi(&global, rest),
        "ref" => commands::reference(&global, rest),
        other => Err(usage_error(format!("unrecognized subcommand '{other}'"))),
    }
}

/// The exit status of a failure: 2 for a usage error, 1 otherwise (as the native CLI).
fn exit_status(e: &Error) -> u8 {
    if e.code == USAGE {
        2
    } else {
        1
    }
}

/// The program: runs the command and reports a failure as the native CLI does.
pub fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(exit_status(&e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_options_stand_anywhere_before_a_double_dash() {
        let (g, rest) = split_globals(&strings(&[
            "images",
            "--format",
            "json",
            "-q",
            "--store=/s",
            "--",
            "--store",
            "x",
        ]))
        .expect("valid");
        assert_eq!(g.store, PathBuf::from("/s"));
        assert_eq!(g.format, Format::Json);
        assert_eq!(rest, strings(&["images", "-q", "--", "--store", "x"]));
        let (g, rest) = split_globals(&strings(&["--format=human", "ref", "a"])).expect("valid");
        assert_eq!(g.format, Format::Human);
        assert_eq!(g.store, PathBuf::from(DEFAULT_STORE));
        assert_eq!(rest, strings(&["ref", "a"]));
        for bad in [&["images", "--store"][..], &["--format", "yaml", "images"]] {
            assert_eq!(
                split_globals(&strings(bad)).err().map(|e| e.code),
                Some("usage"),
                "{bad:?}"
            );
        }
    }

    fn strings(s: &[&str]) -> Vec<String> {
        s.iter().map(|a| (*a).to_owned()).collect()
    }

    #[test]
    fn parses_options() {
        let specs = [
            Spec("filter", Some('f'), true),
            Spec("quiet", Some('q'), false),
        ];
        let p = parse(
            &strings(&["-f", "a=b", "x", "--filter=c=d", "-q", "--", "-q"]),
            &specs,
        )
        .expect("valid");
        assert_eq!(p.values("filter"), &strings(&["a=b", "c=d"])[..]);
        assert!(p.flag("quiet"));
        assert_eq!(p.positional, strings(&["x", "-q"]));
        for bad in [&["--nope"][..], &["-f"], &["--quiet=1"], &["-z"]] {
            assert_eq!(
                parse(&strings(bad), &specs).err().map(|e| e.code),
                Some(USAGE),
                "{bad:?}"
            );
        }
    }

    /// The native CLI's wording (clap's), one line, code `usage`, status 2.
    fn usage_line(args: &[&str]) -> (String, u8) {
        let e = invocation(&strings(args)).expect_err("a usage error");
        assert_eq!(e.code, USAGE, "{args:?}");
        let line = e.to_string();
        assert!(!line.contains('\n'), "one line: {line:?}");
        (line, exit_status(&e))
    }

    #[test]
    fn usage_errors_are_one_line_with_status_2() {
        for (args, want) in [
            (
                &["bogus"][..],
                "hoist: error[usage]: unrecognized subcommand 'bogus'",
            ),
            (
                &[],
                "hoist: error[usage]: 'hoist-wasi' requires a subcommand but one was not provided",
            ),
            (
                &["--bogus", "images"],
                "hoist: error[usage]: unexpected argument '--bogus' found",
            ),
            (
                &["--format", "yaml", "images"],
                "hoist: error[usage]: invalid value 'yaml' for '--format' (human or json)",
            ),
            (
                &["--store"],
                "hoist: error[usage]: a value is required for '--store' but none was supplied",
            ),
        ] {
            assert_eq!(usage_line(args), (want.to_owned(), 2), "{args:?}");
        }
        let specs = [
            Spec("filter", Some('f'), true),
            Spec("quiet", Some('q'), false),
        ];
        for (args, want) in [
            (&["--nope"][..], "unexpected argument '--nope' found"),
            (&["-z"], "unexpected argument '-z' found"),
            (
                &["-f"],
                "a value is required for '--filter' but none was supplied",
            ),
            (
                &["--quiet=1"],
                "unexpected value for '--quiet' found; it takes none",
            ),
        ] {
            let e = parse(&strings(args), &specs).expect_err("usage");
            assert_eq!(e.to_string(), format!("hoist: error[usage]: {want}"));
        }
        // A failure that is not a usage error keeps status 1.
        assert_eq!(exit_status(&Error::new("store-io", "x")), 1);
    }

    #[test]
    fn help_version_and_commands_parse() {
        for h in ["--help", "-h", "help"] {
            assert!(matches!(invocation(&strings(&[h])), Ok(Invocation::Help)));
        }
        assert!(matches!(
            invocation(&strings(&["--version"])),
            Ok(Invocation::Version)
        ));
        match invocation(&strings(&["--store=/s", "--format", "json", "ls", "-q"])) {
            Ok(Invocation::Command { global, name, rest }) => {
                assert_eq!(global.store, PathBuf::from("/s"));
                assert_eq!(global.format, Format::Json);
                assert_eq!(name, "ls");
                assert_eq!(rest, strings(&["-q"]));
            }
            other => panic!("{other:?}"),
        }
    }
}

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

fn usage_error(message: impl Into<String>) -> Error {
    Error::new("usage", message)
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
                .ok_or_else(|| usage_error(format!("unknown option --{name}")))?;
            (spec, inline)
        } else if a.len() == 2 && a.starts_with('-') {
            let c = a.chars().nth(1);
            let spec = specs
                .iter()
                .find(|s| s.1.is_some() && s.1 == c)
                .ok_or_else(|| usage_error(format!("unknown option {a}")))?;
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
                        .ok_or_else(|| usage_error(format!("--{} needs a value", spec.0)))?;
                    i += 1;
                    v.clone()
                }
            }
        } else if inline.is_some() {
            return Err(usage_error(format!("--{} takes no value", spec.0)));
        } else {
            String::new()
        };
        p.values.entry(spec.0).or_default().push(value);
    }
    Ok(p)
}

const USAGE: &str = "usage: hoist-wasi [--store DIR] [--format human|json] \
                     pull|images|inspect|tag|untag|rmi|ref ARGS...";

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
                    .ok_or_else(|| usage_error(format!("{name} needs a value")))?
            }
        };
        if name == "--store" {
            store = PathBuf::from(value);
        } else {
            format = match value.as_str() {
                "human" => Format::Human,
                "json" => Format::Json,
                other => return Err(usage_error(format!("unknown --format {other:?}"))),
            };
        }
    }
    Ok((Global { store, format }, rest))
}

/// Splits the global options off, then runs the command.
fn run(args: &[String]) -> Result<()> {
    let (global, args) = split_globals(args)?;
    let Some(command) = args.first() else {
        return Err(usage_error(USAGE));
    };
    let rest = &args[1..];
    match command.as_str() {
        "pull" => crate::pull::run(&global, rest),
        "images" | "ls" => commands::images(&global, rest),
        "inspect" => commands::inspect(&global, rest),
        "tag" => commands::tag(&global, rest),
        "untag" => commands::untag(&global, rest),
        "rmi" => commands::rmi(&global, rest),
        "ref" => commands::reference(&global, rest),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(usage_error(format!("unknown command {other:?}\n{USAGE}"))),
    }
}

/// The program: runs the command and reports a failure as the native CLI does.
pub fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
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
        assert!(matches!(g.format, Format::Json));
        assert_eq!(rest, strings(&["images", "-q", "--", "--store", "x"]));
        let (g, rest) = split_globals(&strings(&["--format=human", "ref", "a"])).expect("valid");
        assert!(matches!(g.format, Format::Human));
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
                Some("usage"),
                "{bad:?}"
            );
        }
    }
}

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

/// Splits the global options off, then runs the command.
fn run(args: &[String]) -> Result<()> {
    let mut store = PathBuf::from(DEFAULT_STORE);
    let mut format = Format::Human;
    let mut i = 0;
    while i < args.len() {
        let (name, inline) = match args[i].split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_owned())),
            _ => (args[i].as_str(), None),
        };
        if name != "--store" && name != "--format" {
            break;
        }
        let value = match inline {
            Some(v) => v,
            None => {
                i += 1;
                args.get(i)
                    .cloned()
                    .ok_or_else(|| usage_error(format!("{name} needs a value")))?
            }
        };
        i += 1;
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
    let Some(command) = args.get(i) else {
        return Err(usage_error(USAGE));
    };
    let global = Global { store, format };
    let rest = &args[i + 1..];
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

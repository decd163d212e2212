//! `hoist ref` and `hoist resolve`: what the core makes of references and short names.

use std::io::BufRead;

use clap::Args;
use hoist_core::reference::{describe, parse_normalized};
use serde_json::json;

use super::settings::Settings;
use super::{CliError, Format};

/// `hoist ref REF... | --stdin`
#[derive(Debug, Args)]
pub struct RefArgs {
    /// References to parse.
    pub references: Vec<String>,
    /// Read references from standard input, one per line.
    #[arg(long)]
    pub stdin: bool,
}

/// `hoist resolve SHORTNAME`
#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// The (short) name.
    pub name: String,
}

/// Prints one JSON object per input line; exits non-zero if any input was invalid.
pub fn run_ref(_settings: &Settings, args: RefArgs) -> Result<(), CliError> {
    let mut bad = 0usize;
    let mut emit = |input: &str| {
        let v = describe(input);
        if v.get("error").is_some() {
            bad += 1;
        }
        println!("{v}");
    };
    for r in &args.references {
        emit(r);
    }
    if args.stdin {
        for line in std::io::stdin().lock().lines() {
            let line = line.map_err(|e| CliError::new("stdin-unreadable", e.to_string()))?;
            emit(line.trim_end_matches('\r'));
        }
    }
    if bad > 0 {
        return Err(CliError::new(
            "invalid-reference-format",
            format!("{bad} of the inputs are not valid references"),
        ));
    }
    Ok(())
}

/// Prints the candidates a name resolves to, in order.
pub fn run_resolve(settings: &Settings, args: ResolveArgs) -> Result<(), CliError> {
    let candidates: Vec<String> = match &settings.registries {
        Some(conf) => {
            let r = conf
                .short_name_candidates(&args.name)
                .map_err(CliError::core)?;
            r.candidates.iter().map(|c| c.to_string()).collect()
        }
        None => vec![parse_normalized(&args.name)
            .map_err(CliError::core)?
            .tag_name_only()
            .to_string()],
    };
    match settings.format {
        Format::Json => println!(
            "{}",
            json!({ "input": args.name, "candidates": candidates })
        ),
        Format::Human => candidates.iter().for_each(|c| println!("{c}")),
    }
    Ok(())
}

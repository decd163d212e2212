//! The `hoist` CLI: argument parsing (clap) and one module per command family.
//!
//! Output is human-readable by default and `--format json` for scripts. Every failure
//! ends the process non-zero with one line: `hoist: error[CODE]: message`, where CODE is
//! the stable code of the core (or host) error.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

mod error;
mod pull;
mod refs;
mod settings;

pub use error::CliError;

/// hoist: pull, store and manage OCI and Docker images.
#[derive(Debug, Parser)]
#[command(name = "hoist", version, about)]
pub struct Cli {
    /// The store directory (an OCI image layout). Default: `$XDG_DATA_HOME/hoist`.
    #[arg(long, global = true, env = "HOIST_STORE")]
    pub store: Option<PathBuf>,
    /// registries.conf to use (default: `$CONTAINERS_REGISTRIES_CONF`, then
    /// `/etc/containers/registries.conf` when it exists).
    #[arg(long, global = true)]
    pub registries_conf: Option<PathBuf>,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people.
    Human,
    /// One JSON document (or one per line for streams) for scripts.
    Json,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Pull an image from a registry into the store.
    Pull(pull::PullArgs),
    /// Show what hoist makes of references (one JSON object per input).
    Ref(refs::RefArgs),
    /// Show the candidates a short name resolves to (registries.conf).
    Resolve(refs::ResolveArgs),
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let settings = settings::Settings::from_cli(&cli)?;
    match cli.command {
        Command::Pull(args) => pull::run(&settings, args).await,
        Command::Ref(args) => refs::run_ref(&settings, args),
        Command::Resolve(args) => refs::run_resolve(&settings, args),
    }
}

//! The `hoist` CLI: argument parsing (clap) and one module per command family.
//!
//! Output is human-readable by default and `--format json` for scripts. Every failure
//! ends the process non-zero with one line: `hoist: error[CODE]: message`, where CODE is
//! the stable code of the core (or host) error. Commands that go on after a failure
//! (`rmi`, `inspect` of several images) print one such line per failure and exit non-zero.
//!
//! Every store rule (name normalization, which tag moves, when removal needs `--force`,
//! how an input resolves, what a filter matches, list order) is `hoist-core`'s: the
//! commands call `ImageIndex` inside `FsStore::update` / `read_index` and print the result.
//!
//! Where hoist differs from podman, on purpose:
//!
//! - SIZE (`images`, `history`, `inspect`) counts the image's *compressed* blobs (manifest +
//!   config + layers as pulled); podman shows unpacked layer sizes. hoist does not unpack.
//! - `images` shows `<none> <none>` for every image without tags, also one pulled by
//!   digest (podman shows its repository there); `--digests` shows the platform manifest
//!   digest (podman's `.Digest`). An image without a `created` time shows `unknown`.
//! - `history` shows the image ID on the newest step and `<missing>` on the others, as
//!   docker does for pulled images (podman looks up parent images, which hoist has none of).
//! - `inspect` prints hoist's own snake_case document (the store record, manifest layers,
//!   the parsed config), not podman's `ImageData`.
//! - `prune` never prompts (`-f` is accepted and ignored) and runs `gc` afterwards.
//! - `login` reads the password only from stdin (`--password-stdin` is required), needs
//!   `-u`, and stores the credentials without contacting the registry (podman checks them
//!   first); the next pull uses them. `logout --all` does not exist.
//! - Exit status is 1 for every failure (podman's `rmi` tells 1, 2 and 125 apart), and 2
//!   for a command line that does not parse (code `usage`, clap's own status; podman exits
//!   125 and skopeo 1 there, neither telling "called wrongly" from "failed"). A usage error
//!   is one line like every other failure, with clap's first line as the message; `--help`
//!   and `--version` print to stdout with status 0. `hoist` without a command is a usage
//!   error too (podman prints its help and then fails with "missing command").

use std::path::PathBuf;

use clap::error::ErrorKind;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

mod common;
mod error;
mod images;
mod inspect;
mod login;
mod maint;
mod names;
mod pull;
mod refs;
mod serve;
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
    /// List images in the store, newest first.
    #[command(visible_alias = "ls")]
    Images(images::ImagesArgs),
    /// Show an image's record, manifest layers and config as JSON.
    Inspect(inspect::InspectArgs),
    /// Show the history of an image (its config's build steps), newest first.
    History(inspect::HistoryArgs),
    /// Give an image more names.
    Tag(names::TagArgs),
    /// Remove names from an image (every tag when no name is given).
    Untag(names::UntagArgs),
    /// Remove images (a name of several only untags; by ID needs -f when named twice).
    Rmi(names::RmiArgs),
    /// Remove dangling images (every image with --all), then their unreferenced blobs.
    Prune(names::PruneArgs),
    /// Store registry credentials (password from stdin only).
    Login(login::LoginArgs),
    /// Remove stored registry credentials.
    Logout(login::LogoutArgs),
    /// Check the store: blob contents, reachability, metadata; non-zero when not clean.
    Fsck(maint::FsckArgs),
    /// Remove blobs no image reaches, and ingest leftovers.
    Gc(maint::GcArgs),
    /// Serve the CRI image service on a unix socket (kubelet, crictl).
    Serve(serve::ServeArgs),
}

/// What a command line asks for.
#[derive(Debug)]
pub enum Invocation {
    /// A command to run.
    Run(Cli),
    /// `--help` or `--version` (or `help`): clap's text, which [`clap::Error::print`]
    /// writes to stdout; the process then exits 0.
    Print(clap::Error),
}

/// Parses a command line (`args[0]` is the program name). Every parse failure is a
/// [`CliError`] with code [`error::USAGE`], so it is reported as one line like every other
/// failure instead of clap's multi-line message.
pub fn parse_args<I, T>(args: I) -> Result<Invocation, CliError>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    // Without a command, clap's derive default prints the help to stderr; ask for its
    // "requires a subcommand" error instead (see the module docs).
    let command = Cli::command().arg_required_else_help(false);
    let parsed = command
        .try_get_matches_from(args)
        .and_then(|mut m| Cli::from_arg_matches_mut(&mut m));
    match parsed {
        Ok(cli) => Ok(Invocation::Run(cli)),
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            Ok(Invocation::Print(e))
        }
        Err(e) => Err(CliError::usage(&e)),
    }
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let settings = settings::Settings::from_cli(&cli)?;
    match cli.command {
        Command::Pull(args) => pull::run(&settings, args).await,
        Command::Ref(args) => refs::run_ref(&settings, args),
        Command::Resolve(args) => refs::run_resolve(&settings, args),
        Command::Login(args) => login::run_login(settings.format, args).await,
        Command::Logout(args) => login::run_logout(settings.format, args).await,
        // The store commands are blocking file I/O (and lock waits).
        Command::Images(args) => blocking(|| images::run(&settings, args)),
        Command::Inspect(args) => blocking(|| inspect::run_inspect(&settings, args)),
        Command::History(args) => blocking(|| inspect::run_history(&settings, args)),
        Command::Tag(args) => blocking(|| names::run_tag(&settings, args)),
        Command::Untag(args) => blocking(|| names::run_untag(&settings, args)),
        Command::Rmi(args) => blocking(|| names::run_rmi(&settings, args)),
        Command::Prune(args) => blocking(|| names::run_prune(&settings, args)),
        Command::Fsck(args) => blocking(|| maint::run_fsck(&settings, args)),
        Command::Gc(args) => blocking(|| maint::run_gc(&settings, args)),
        Command::Serve(args) => serve::run(settings, args).await,
    }
}

/// Runs blocking store work on this runtime thread, letting the runtime move its other
/// tasks elsewhere (the runtime is multi-threaded).
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

//! `hoist-wasi-run`: runs hoist's WASI host (`hoist-wasi.wasm`, a wasm32-wasip2 command)
//! under an embedded wasmtime with `wasi:cli`, `wasi:filesystem` and `wasi:http`, so that
//! nobody needs the wasmtime CLI installed.
//!
//! ```text
//! hoist-wasi-run [--wasm FILE] [--dir HOST[::GUEST]]... [--env K=V]... -- ARGS...
//! ```
//!
//! - `--wasm`: the command to run. Default: `$HOIST_WASI_WASM`, else `hoist-wasi.wasm`
//!   next to this executable.
//! - `--dir`: preopens a host directory read-write. The first one without `::GUEST` is
//!   mounted at `/store` (the WASI host's default store); later ones at their own path.
//! - `--env`: passes one environment variable (nothing else of the host's environment is
//!   visible to the guest). `HOIST_PLATFORM` defaults to `linux/<this machine's arch>`, the
//!   platform the WASI host pulls when `--platform` is not given.
//! - `--no-cache`: compile the component even when a compiled copy is cached (see
//!   [`cache`]).
//!
//! The guest gets exactly these capabilities: stdio, the preopened directories, clocks,
//! random, and outgoing HTTP(S) through wasmtime-wasi-http. It gets no sockets of its own.
//! The exit status is the guest's.

mod cache;

use std::path::PathBuf;
use std::process::ExitCode;

use wasmtime::component::{Linker, ResourceTable};
use wasmtime::{bail, format_err, Result};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::p2::bindings::Command;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// The guest path the first unnamed `--dir` is mounted at.
const DEFAULT_STORE: &str = "/store";

/// What the command line asked for.
#[derive(Debug, Default, PartialEq)]
struct Options {
    wasm: Option<PathBuf>,
    dirs: Vec<(PathBuf, String)>,
    env: Vec<(String, String)>,
    args: Vec<String>,
    no_cache: bool,
}

fn usage() -> &'static str {
    "usage: hoist-wasi-run [--wasm FILE] [--dir HOST[::GUEST]]... [--env K=V]... [--no-cache] \
     -- ARGS..."
}

/// Parses the runner's own options; everything after `--` goes to the guest.
fn parse_args(argv: impl IntoIterator<Item = String>) -> Result<Options> {
    let mut o = Options::default();
    let mut it = argv.into_iter();
    let mut unnamed = 0;
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .ok_or_else(|| format_err!("{name} needs a value\n{}", usage()))
        };
        match a.as_str() {
            "--" => {
                o.args.extend(it);
                break;
            }
            "--wasm" => o.wasm = Some(PathBuf::from(value("--wasm")?)),
            "--dir" => {
                let v = value("--dir")?;
                let (host, guest) = match v.split_once("::") {
                    Some((h, g)) => (h.to_owned(), g.to_owned()),
                    None => {
                        unnamed += 1;
                        let guest = if unnamed == 1 {
                            DEFAULT_STORE.to_owned()
                        } else {
                            v.clone()
                        };
                        (v, guest)
                    }
                };
                o.dirs.push((PathBuf::from(host), guest));
            }
            "--env" => {
                let v = value("--env")?;
                let Some((k, val)) = v.split_once('=') else {
                    bail!("--env wants K=V, got {v:?}");
                };
                o.env.push((k.to_owned(), val.to_owned()));
            }
            "--no-cache" => o.no_cache = true,
            "-h" | "--help" => bail!("{}", usage()),
            other => bail!("unknown option {other:?}\n{}", usage()),
        }
    }
    Ok(o)
}

/// The command to run when `--wasm` is not given.
fn default_wasm() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("HOIST_WASI_WASM") {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe()
        .map_err(|e| format_err!("cannot find this executable's path: {e}"))?;
    Ok(exe.with_file_name("hoist-wasi.wasm"))
}

/// `linux/<arch>` for this machine, in OCI's architecture names.
fn host_platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    };
    format!("linux/{arch}")
}

/// The store's data: WASI and WASI-HTTP contexts over one resource table.
struct State {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for State {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: Default::default(),
        }
    }
}

async fn run(o: Options) -> Result<i32> {
    let wasm = match o.wasm {
        Some(p) => p,
        None => default_wasm()?,
    };
    let engine = Engine::new(&Config::new())?;
    let bytes =
        std::fs::read(&wasm).map_err(|e| format_err!("cannot read {}: {e}", wasm.display()))?;
    let cache_dir = if o.no_cache {
        None
    } else {
        cache::default_dir()
    };
    let component = cache::component(&engine, &bytes, cache_dir.as_deref())
        .map_err(|e| format_err!("cannot load {}: {e:#}", wasm.display()))?;
    let mut linker = Linker::<State>::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;

    let mut builder = WasiCtx::builder();
    let mut argv = vec!["hoist-wasi".to_owned()];
    argv.extend(o.args);
    builder.inherit_stdio().args(&argv).envs(&o.env);
    if !o.env.iter().any(|(k, _)| k == "HOIST_PLATFORM") {
        builder.env("HOIST_PLATFORM", host_platform());
    }
    for (host, guest) in &o.dirs {
        builder
            .preopened_dir(host, guest, FsPerms::ReadWrite)
            .map_err(|e| format_err!("cannot open directory {}: {e:#}", host.display()))?;
    }
    let mut store = Store::new(
        &engine,
        State {
            wasi: builder.build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
        },
    );
    let command = Command::instantiate_async(&mut store, &component, &linker).await?;
    match command.wasi_cli_run().call_run(&mut store).await {
        Ok(Ok(())) => Ok(0),
        Ok(Err(())) => Ok(1),
        Err(e) => match e.downcast_ref::<wasmtime_wasi::I32Exit>() {
            Some(exit) => Ok(exit.0),
            None => Err(e),
        },
    }
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("hoist-wasi-run: {e:#}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hoist-wasi-run: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match rt.block_on(run(options)) {
        Ok(code) => ExitCode::from(u8::try_from(code.clamp(0, 255)).unwrap_or(1)),
        Err(e) => {
            eprintln!("hoist-wasi-run: {e:#}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|a| (*a).to_owned()).collect()
    }

    #[test]
    fn options() {
        let o = parse_args(args(&[
            "--dir",
            "/tmp/s",
            "--dir",
            "/tmp/a::/auth",
            "--dir",
            "/tmp/b",
            "--env",
            "A=b=c",
            "--",
            "pull",
            "--",
            "x",
        ]))
        .expect("valid");
        assert_eq!(
            o.dirs,
            vec![
                (PathBuf::from("/tmp/s"), "/store".to_owned()),
                (PathBuf::from("/tmp/a"), "/auth".to_owned()),
                (PathBuf::from("/tmp/b"), "/tmp/b".to_owned()),
            ]
        );
        assert_eq!(o.env, vec![("A".to_owned(), "b=c".to_owned())]);
        assert_eq!(o.args, args(&["pull", "--", "x"]));
        assert!(parse_args(args(&["--dir"])).is_err());
        assert!(parse_args(args(&["--env", "novalue"])).is_err());
        assert!(parse_args(args(&["pull"])).is_err());
    }
}

//! `pull REF`: resolve the name (registries.conf when given), drive the pull machine
//! over `wasi:http`, print the image ID (or the outcome as JSON).
//!
//! The default platform is `$HOIST_PLATFORM` when set (`hoist-wasi-run` sets it to the
//! machine it runs on), else `linux/amd64`: inside WebAssembly the CPU is `wasm32`,
//! which says nothing about the images the user wants.

use hoist_core::platform::Platform;
use hoist_core::pull::{Endpoint, PullConfig, PullRequest, Puller};
use hoist_core::reference::{is_short_name, parse_normalized, RegistriesConf};

use crate::cli::{parse, Format, Global, Spec};
use crate::creds::CredentialSource;
use crate::error::{Error, Result};
use crate::store::Store;

/// `500ms`, `30s`, `2m`, or plain seconds, in milliseconds (the native CLI's syntax).
fn parse_duration_ms(s: &str) -> Result<u64> {
    let bad = || Error::new("usage", format!("not a duration: {s:?} (use ms, s or m)"));
    let (n, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: u64 = n.parse().map_err(|_| bad())?;
    let ms = match unit {
        "ms" => n,
        "s" => n.saturating_mul(1000),
        "m" => n.saturating_mul(60_000),
        _ => return Err(bad()),
    };
    if ms == 0 {
        return Err(Error::new("usage", "a timeout must be more than zero"));
    }
    Ok(ms)
}

/// The platform a pull selects when `--platform` is not given.
fn default_platform() -> Result<Platform> {
    let amd64 = Platform::new("linux", "amd64", "");
    match std::env::var("HOIST_PLATFORM") {
        Ok(p) if !p.is_empty() => Platform::parse(&p, &amd64).map_err(Error::core),
        _ => Ok(amd64),
    }
}

/// Runs `pull`.
pub fn run(global: &Global, args: &[String]) -> Result<()> {
    let p = parse(
        args,
        &[
            Spec("quiet", Some('q'), false),
            Spec("platform", None, true),
            Spec("plain-http", None, false),
            Spec("creds", None, true),
            Spec("authfile", None, true),
            Spec("registries-conf", None, true),
            Spec("max-concurrent", None, true),
            Spec("idle-timeout", None, true),
            Spec("document-timeout", None, true),
        ],
    )?;
    let [input] = &p.positional[..] else {
        return Err(Error::new(
            "usage",
            "pull needs exactly one image reference",
        ));
    };
    let host = default_platform()?;
    let platform = match p.value("platform") {
        Some(s) => Platform::parse(s, &host).map_err(Error::core)?,
        None => host,
    };
    let conf = match p.value("registries-conf") {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, &e))?;
            Some(RegistriesConf::parse(&text).map_err(Error::core)?)
        }
        None => None,
    };
    let max_concurrent = match p.value("max-concurrent") {
        Some(n) => n
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| Error::new("usage", "--max-concurrent wants a positive number"))?,
        None => 4,
    };
    let idle_ms = parse_duration_ms(p.value("idle-timeout").unwrap_or("30s"))?;
    let document_timeout_ms = parse_duration_ms(p.value("document-timeout").unwrap_or("120s"))?;
    let credentials = CredentialSource::from_options(p.value("creds"), p.value("authfile"))?;
    let candidates = match &conf {
        Some(c) if is_short_name(input).map_err(Error::core)? => {
            c.short_name_candidates(input)
                .map_err(Error::core)?
                .candidates
        }
        _ => vec![parse_normalized(input).map_err(Error::core)?],
    };
    let store = Store::open(&global.store)?;
    let human = global.format == Format::Human && !p.flag("quiet");
    let mut last = None;
    for (i, reference) in candidates.iter().enumerate() {
        let more = i + 1 < candidates.len();
        let config = PullConfig {
            endpoints: Endpoint::for_reference(reference, conf.as_ref(), p.flag("plain-http"))
                .map_err(Error::core)?,
            max_concurrent_blobs: max_concurrent,
            ..PullConfig::default()
        };
        if human {
            eprintln!("Trying to pull {reference}...");
        }
        match pull_one(
            &store,
            reference,
            &platform,
            config,
            &credentials,
            idle_ms,
            document_timeout_ms,
            human,
        ) {
            Ok(outcome) => {
                match global.format {
                    Format::Json => println!(
                        "{}",
                        serde_json::to_string(&outcome)
                            .map_err(|e| Error::new("json", e.to_string()))?
                    ),
                    Format::Human => println!("{}", outcome.record.id),
                }
                return Ok(());
            }
            // Like podman: with several candidates, a missing image or refused
            // credentials moves on to the next one.
            Err((e, retryable)) => {
                if more && retryable {
                    last = Some(e);
                    continue;
                }
                return Err(e);
            }
        }
    }
    Err(last.unwrap_or_else(|| Error::new("no-candidates", "no registry to pull from")))
}

/// One candidate's pull. The error says whether the next candidate may succeed.
#[cfg(target_os = "wasi")]
#[allow(clippy::too_many_arguments)]
fn pull_one(
    store: &Store,
    reference: &hoist_core::reference::Reference,
    platform: &Platform,
    config: PullConfig,
    credentials: &CredentialSource,
    idle_ms: u64,
    document_timeout_ms: u64,
    human: bool,
) -> std::result::Result<hoist_core::pull::PullOutcome, (Error, bool)> {
    use crate::drive::{drive, DriveContext};
    use hoist_core::pull::PullEvent;
    use wasi::clocks::monotonic_clock;

    let final_err = |e: Error| (e, false);
    let epoch = monotonic_clock::now();
    let request = PullRequest {
        reference: reference.clone(),
        platform: platform.clone(),
    };
    let puller = Puller::new(request, config, 0).map_err(|e| final_err(Error::core(e)))?;
    let mut staging = store.begin_pull().map_err(final_err)?;
    let ctx = DriveContext {
        credentials,
        repository: reference.name().to_owned(),
        timeouts: crate::http::Timeouts {
            connect_ms: 15_000,
            idle_ms,
        },
        document_timeout_ms,
        now_unix: crate::commands::now_unix(),
    };
    let result = drive(puller, &mut staging, &ctx, epoch, |e| {
        if human {
            match e {
                PullEvent::Resolved { digest, .. } => eprintln!("Resolved to {digest}"),
                PullEvent::BlobDone { digest, .. } => eprintln!("Copying blob {digest} done"),
                PullEvent::BlobSkipped { digest, .. } => {
                    eprintln!("Copying blob {digest} skipped: already exists")
                }
                PullEvent::Retrying { what, attempt, .. } => {
                    eprintln!("Retrying {what} (attempt {attempt})")
                }
                _ => {}
            }
        }
    });
    drop(staging);
    result
}

/// Without `wasi:http` there is no network to pull from.
#[cfg(not(target_os = "wasi"))]
#[allow(clippy::too_many_arguments)]
fn pull_one(
    _store: &Store,
    _reference: &hoist_core::reference::Reference,
    _platform: &Platform,
    _config: PullConfig,
    _credentials: &CredentialSource,
    _idle_ms: u64,
    _document_timeout_ms: u64,
    _human: bool,
) -> std::result::Result<hoist_core::pull::PullOutcome, (Error, bool)> {
    Err((
        Error::new(
            "unsupported-platform",
            "pull needs wasi:http: build hoist-wasi for wasm32-wasip2",
        ),
        false,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("500ms").ok(), Some(500));
        assert_eq!(parse_duration_ms("30s").ok(), Some(30_000));
        assert_eq!(parse_duration_ms("2m").ok(), Some(120_000));
        assert_eq!(parse_duration_ms("7").ok(), Some(7_000));
        for bad in ["", "0", "5h", "-1s", "1.5s"] {
            assert!(parse_duration_ms(bad).is_err(), "{bad:?}");
        }
    }
}

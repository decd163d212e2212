//! A cache of compiled components, so each run does not spend a second or two in
//! Cranelift before the guest starts (compiling `hoist-wasi.wasm` costs more CPU than the
//! pull of a 200 MB image).
//!
//! An entry is `<dir>/<key>.cwasm`, where the key is the SHA-256 of the `.wasm` bytes,
//! the wasmtime version and the engine's compatibility hash (target, tunables, features),
//! so a changed program or engine never loads an old entry. wasmtime also checks its own
//! header on load, and a load that fails is replaced by a fresh compile.
//!
//! Loading compiled code runs it without validation, so the cache directory must be
//! private: it is created with mode 0700, and a directory that group or others can write
//! is not used.

use std::fs;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::{Engine, Result};

/// The default cache directory: `$HOIST_WASI_CACHE`, else `$XDG_CACHE_HOME/hoist/wasi`,
/// else `$HOME/.cache/hoist/wasi`; `None` when none can be named.
pub fn default_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("HOIST_WASI_CACHE") {
        return Some(PathBuf::from(d));
    }
    let base = match std::env::var_os("XDG_CACHE_HOME") {
        Some(x) if !x.is_empty() => PathBuf::from(x),
        _ => PathBuf::from(std::env::var_os("HOME")?).join(".cache"),
    };
    Some(base.join("hoist").join("wasi"))
}

/// Feeds a `Hash` value into SHA-256 (for the engine's compatibility hash).
struct ShaHasher(Sha256);

impl Hasher for ShaHasher {
    fn finish(&self) -> u64 {
        0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

fn key(engine: &Engine, wasm: &[u8]) -> String {
    let mut h = ShaHasher(Sha256::new());
    h.0.update(b"hoist-wasi-run cache v1\0");
    h.0.update(env!("CARGO_PKG_VERSION").as_bytes());
    h.0.update(b"\0");
    engine.precompile_compatibility_hash().hash(&mut h);
    h.0.update(b"\0");
    h.0.update(Sha256::digest(wasm));
    h.0.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Creates `dir` private, or checks that an existing one is.
fn private_dir(dir: &Path) -> bool {
    if fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .is_err()
    {
        return false;
    }
    fs::metadata(dir).is_ok_and(|m| m.is_dir() && m.permissions().mode() & 0o022 == 0)
}

/// Loads an entry written by [`store`].
#[allow(unsafe_code)]
fn load(engine: &Engine, path: &Path) -> Option<Component> {
    // SAFETY: wasmtime requires that the file holds the output of `precompile_component`
    // for a compatible engine. Only `store` below writes into this private directory
    // (0700, checked), under a name derived from the engine's compatibility hash and the
    // program's SHA-256; wasmtime checks its header too, and any error recompiles.
    unsafe { Component::deserialize_file(engine, path) }.ok()
}

/// Writes an entry atomically (temporary file, then rename). Failures are ignored: the
/// cache is only an optimization.
fn store(dir: &Path, path: &Path, compiled: &[u8]) {
    let tmp = dir.join(format!(".tmp-{}", std::process::id()));
    let ok = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .and_then(|mut f| f.write_all(compiled))
        .and_then(|()| fs::rename(&tmp, path));
    if ok.is_err() {
        let _ = fs::remove_file(&tmp);
    }
}

/// The compiled component for `wasm`: from the cache in `dir` when present, else
/// compiled now (and cached when `dir` is usable).
pub fn component(engine: &Engine, wasm: &[u8], dir: Option<&Path>) -> Result<Component> {
    let Some(dir) = dir.filter(|d| private_dir(d)) else {
        return Component::new(engine, wasm);
    };
    let path = dir.join(format!("{}.cwasm", key(engine, wasm)));
    if let Some(c) = load(engine, &path) {
        return Ok(c);
    }
    let compiled = engine.precompile_component(wasm)?;
    store(dir, &path, &compiled);
    match load(engine, &path) {
        Some(c) => Ok(c),
        None => Component::new(engine, wasm),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_shared_directory() {
        let d = std::env::temp_dir().join(format!("hoist-wasi-cache-{}", std::process::id()));
        assert!(private_dir(&d));
        fs::set_permissions(&d, fs::Permissions::from_mode(0o777)).expect("chmod");
        assert!(!private_dir(&d));
        let _ = fs::remove_dir_all(&d);
    }
}

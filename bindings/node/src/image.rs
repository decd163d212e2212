//! `ids` and digest/config functions: digests and the streaming verifier, image configs,
//! schema 1 conversion, image IDs, chain IDs and ID prefixes (see `hoist_core::digest`,
//! `hoist_core::config`, `hoist_core::id`).

use hoist_core::config::{self, schema1, ImageConfig, Timestamp};
use hoist_core::digest::{Algorithm, Digest, DigestError};
use hoist_core::id::{self, IdPrefix};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use napi::bindgen_prelude::{AsyncTask, Buffer, Uint8Array};
use napi::{Env, Task};
use napi_derive::napi;
use serde_json::{json, Value};

use crate::convert::{self, core, digests, invalid, Result, Schema1Config, SizeMismatch};

/// Parses a digest string (`algorithm:encoded`, OCI `descriptor.md#digests`):
/// `{algorithm, encoded}`.
#[napi]
pub fn parse_digest(s: String) -> Result<Value> {
    core(Digest::parse(&s))
        .map(|d| json!({ "algorithm": d.algorithm().as_str(), "encoded": d.encoded() }))
}

/// The digest of `bytes` with `algorithm` (`sha256`, `sha512`).
#[napi]
pub fn digest_of(algorithm: String, bytes: Uint8Array) -> Result<String> {
    let alg = match algorithm.as_str() {
        "sha256" => Algorithm::Sha256,
        "sha512" => Algorithm::Sha512,
        _ => return Err(invalid("algorithm must be sha256 or sha512")),
    };
    Ok(Digest::of(alg, &bytes).to_string())
}

/// Streams bytes through the core's digest check: a blob is accepted only if it hashes
/// to the expected digest and (when given) has the declared size. Hosts stream layers
/// through it so that the accept/reject decision is the core's.
///
/// The core's verifier sits behind a mutex so that [`Verifier::update_async`] can hash on
/// a libuv worker thread while the event loop goes on reading the network (hashing is
/// the largest CPU cost of a pull); the synchronous methods take the same lock.
#[napi]
pub struct Verifier {
    inner: Arc<Mutex<Option<hoist_core::digest::Verifier>>>,
}

/// The verifier, or `invalid-argument` once it has finished.
fn live<'a>(
    guard: &'a mut MutexGuard<'_, Option<hoist_core::digest::Verifier>>,
) -> Result<&'a mut hoist_core::digest::Verifier> {
    guard
        .as_mut()
        .ok_or_else(|| invalid("verifier already finished"))
}

fn lock(
    m: &Mutex<Option<hoist_core::digest::Verifier>>,
) -> MutexGuard<'_, Option<hoist_core::digest::Verifier>> {
    // A panic while hashing cannot leave the hash state half-updated in a way that
    // matters: the next check fails the digest comparison instead.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[napi]
impl Verifier {
    /// A verifier for `expected`, optionally with the declared `size`.
    #[napi(constructor)]
    pub fn new(expected: String, size: Option<f64>) -> Result<Self> {
        let mut v = hoist_core::digest::Verifier::new(convert::digest(&expected)?);
        if let Some(size) = size {
            v = v.with_size(convert::to_u64("size", size)?);
        }
        Ok(Verifier {
            inner: Arc::new(Mutex::new(Some(v))),
        })
    }

    /// Feeds the next chunk; throws `size-mismatch` as soon as the stream outgrows its
    /// declared size.
    #[napi]
    pub fn update(&self, chunk: Uint8Array) -> Result<()> {
        core(live(&mut lock(&self.inner))?.update(&chunk))
    }

    /// Feeds `chunks`, in order, on a libuv worker thread, so that hashing (the largest
    /// CPU cost of a pull) leaves the event loop free. Resolves with `null` once they are
    /// hashed, or with the failure `{kind: "size-mismatch", actual}` when the stream
    /// outgrew its declared size (the shape of `check`). The chunks must not change until
    /// it settles, and a caller awaits it before feeding more: updates that overlap would
    /// hash in no defined order.
    #[napi(ts_return_type = "Promise<{ kind: 'size-mismatch'; actual: number } | null>")]
    pub fn update_async(&self, chunks: Vec<Buffer>) -> AsyncTask<HashChunks> {
        AsyncTask::new(HashChunks {
            verifier: Arc::clone(&self.inner),
            chunks,
        })
    }

    /// Bytes fed so far.
    #[napi(getter)]
    pub fn bytes_verified(&self) -> f64 {
        lock(&self.inner)
            .as_ref()
            .map_or(0.0, |v| convert::num(v.bytes_verified()))
    }

    /// Ends the stream: the digest on success, else throws `digest-mismatch` or
    /// `size-mismatch`. A verifier finishes once.
    #[napi]
    pub fn finish(&self) -> Result<String> {
        let v = lock(&self.inner)
            .take()
            .ok_or_else(|| invalid("verifier already finished"))?;
        core(v.finish()).map(|d| d.to_string())
    }

    /// Ends the stream like `finish`, but answers instead of throwing, in the shape a
    /// pull host reports to the machine: `{digest}` when verified, else `{failure}` with
    /// `{kind: "digest-mismatch", actual}` or `{kind: "size-mismatch", actual}`.
    #[napi]
    pub fn check(&self) -> Result<Value> {
        let v = lock(&self.inner)
            .take()
            .ok_or_else(|| invalid("verifier already finished"))?;
        Ok(convert::verify_outcome(v.finish()))
    }
}

/// The work of [`Verifier::update_async`]: the core's `Verifier::update` over JS buffers
/// that the task keeps referenced (released on the JS thread when it settles).
pub struct HashChunks {
    verifier: Arc<Mutex<Option<hoist_core::digest::Verifier>>>,
    chunks: Vec<Buffer>,
}

impl Task for HashChunks {
    type Output = Option<u64>;
    type JsValue = Option<SizeMismatch>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let mut guard = lock(&self.verifier);
        let v = live(&mut guard)
            .map_err(|e| napi::Error::new(napi::Status::InvalidArg, e.reason.clone()))?;
        for chunk in &self.chunks {
            match v.update(chunk) {
                Ok(()) => {}
                Err(DigestError::SizeMismatch { actual, .. }) => return Ok(Some(actual)),
                Err(e) => {
                    return Err(napi::Error::new(
                        napi::Status::GenericFailure,
                        e.to_string(),
                    ))
                }
            }
        }
        Ok(None)
    }

    fn resolve(&mut self, _env: Env, oversize: Self::Output) -> napi::Result<Self::JsValue> {
        Ok(oversize.map(convert::size_mismatch))
    }
}

/// Parses an image config (image-spec `config.md`), keeping unknown fields.
#[napi]
pub fn parse_config(bytes: Uint8Array) -> Result<Value> {
    core(ImageConfig::parse(&bytes)).map(|c| convert::image_config(&c))
}

/// Checks that a config's `rootfs.diff_ids` and history agree with a manifest of
/// `layers` layers.
#[napi]
pub fn check_layers(bytes: Uint8Array, layers: u32) -> Result<()> {
    let c = core(ImageConfig::parse(&bytes))?;
    core(c.check_layers(layers as usize))
}

/// Parses an RFC 3339 timestamp as image configs carry it:
/// `{unixSeconds, nanos, offsetSeconds}`.
#[napi]
pub fn parse_timestamp(s: String) -> Result<Value> {
    core(Timestamp::parse(&s)).map(|t| convert::timestamp(&t))
}

/// Splits an image `User` value as cri-containerd does: `{uid}`, `{name}` or `null`.
#[napi]
pub fn parse_user(user: String) -> Option<Value> {
    config::parse_user(&user).map(|u| convert::user(&u))
}

/// One schema 1 history entry (`history[i].v1Compatibility` and `fsLayers[i].blobSum`).
#[napi(object)]
pub struct Schema1Entry {
    /// The `v1Compatibility` JSON text.
    pub v1_compatibility: String,
    /// The matching `blobSum`.
    pub blob_sum: String,
}

/// Converts a schema 1 manifest's history (newest first) and its layers' diff IDs
/// (oldest first) into an image config, byte-identical to containers/image.
#[napi]
pub fn schema1_to_config(
    history: Vec<Schema1Entry>,
    diff_ids: Vec<String>,
) -> Result<Schema1Config> {
    let history = history
        .into_iter()
        .map(|e| Ok((e.v1_compatibility, convert::digest(&e.blob_sum)?)))
        .collect::<Result<Vec<_>>>()?;
    let diff_ids = digests(&diff_ids)?;
    let s = core(schema1::to_config(&history, &diff_ids))?;
    Ok(Schema1Config {
        config: Uint8Array::from(s.config.raw().to_vec()),
        image_id: s.config.id().to_string(),
        layers: s.layers.iter().map(Digest::to_string).collect(),
    })
}

/// The image ID of a config: the digest of its exact bytes (image-spec `config.md#imageid`).
#[napi]
pub fn image_id(config: Uint8Array) -> String {
    id::image_id(&config).to_string()
}

/// The chain IDs of a list of diff IDs (image-spec `config.md#layer-chainid`).
#[napi]
pub fn chain_ids(diff_ids: Vec<String>) -> Result<Vec<String>> {
    Ok(id::chain_ids(&digests(&diff_ids)?)
        .iter()
        .map(Digest::to_string)
        .collect())
}

/// The chain ID of the top layer, `null` for no layers.
#[napi]
pub fn chain_id(diff_ids: Vec<String>) -> Result<Option<String>> {
    Ok(id::chain_id(&digests(&diff_ids)?).map(|d| d.to_string()))
}

/// Parses an ID prefix as docker/podman accept it: `{hex, full}`.
#[napi]
pub fn parse_id_prefix(prefix: String) -> Result<Value> {
    core(IdPrefix::parse(&prefix)).map(|p| json!({ "hex": p.as_str(), "full": p.is_full() }))
}

/// Whether ID prefix `prefix` matches image ID `id`.
#[napi]
pub fn id_prefix_matches(prefix: String, id: String) -> Result<bool> {
    let p = core(IdPrefix::parse(&prefix))?;
    Ok(p.matches(&convert::digest(&id)?))
}

/// The 12-character short form of an ID.
#[napi]
pub fn short_id(id: String) -> Result<String> {
    Ok(id::short_id(&convert::digest(&id)?).to_owned())
}

/// Whether `s` looks like an image ID or ID prefix rather than a name.
#[napi]
pub fn looks_like_id(s: String) -> bool {
    id::looks_like_id(&s)
}

/// `name@digest` (a repo digest).
#[napi]
pub fn repo_digest(name: String, digest: String) -> Result<String> {
    Ok(id::repo_digest(&name, &convert::digest(&digest)?))
}

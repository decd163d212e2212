//! Deterministic test images written as OCI image layouts.
//!
//! Everything is a pure function of the builder's settings: layer contents come from a seeded
//! PRNG, tar headers have fixed mtimes/uids/modes, gzip headers have mtime 0 and OS 255, and the
//! JSON documents are serialised in a fixed field order. The same builder therefore always
//! yields the same digests.

use std::fmt;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use flate2::{Compression, GzBuilder};
use serde_json::{json, Map, Value};

use crate::{digest_of, Error, Result};

/// The annotation naming a manifest in an OCI layout's `index.json`.
pub const REF_NAME_ANNOTATION: &str = "org.opencontainers.image.ref.name";

/// The mtime of every tar entry (2020-01-01T00:00:00Z).
pub const LAYER_MTIME: u64 = 1_577_836_800;

/// The default `created` of configs and history entries.
pub const DEFAULT_CREATED: &str = "2020-01-01T00:00:00Z";

/// Which family of media types to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestFormat {
    /// OCI image manifest / index, OCI config and `tar+gzip` layers.
    Oci,
    /// Docker image manifest v2 schema 2 / manifest list, Docker config and `tar.gzip` layers.
    DockerV2,
}

impl ManifestFormat {
    /// The media type of an image manifest.
    pub fn manifest_media_type(self) -> &'static str {
        match self {
            ManifestFormat::Oci => "application/vnd.oci.image.manifest.v1+json",
            ManifestFormat::DockerV2 => "application/vnd.docker.distribution.manifest.v2+json",
        }
    }

    /// The media type of a multi-platform index / list.
    pub fn index_media_type(self) -> &'static str {
        match self {
            ManifestFormat::Oci => "application/vnd.oci.image.index.v1+json",
            ManifestFormat::DockerV2 => "application/vnd.docker.distribution.manifest.list.v2+json",
        }
    }

    /// The media type of an image config.
    pub fn config_media_type(self) -> &'static str {
        match self {
            ManifestFormat::Oci => "application/vnd.oci.image.config.v1+json",
            ManifestFormat::DockerV2 => "application/vnd.docker.container.image.v1+json",
        }
    }

    /// The media type of a gzip'd tar layer.
    pub fn layer_media_type(self) -> &'static str {
        match self {
            ManifestFormat::Oci => "application/vnd.oci.image.layer.v1.tar+gzip",
            ManifestFormat::DockerV2 => "application/vnd.docker.image.rootfs.diff.tar.gzip",
        }
    }

    /// Whether `media_type` is an index or manifest list of either family.
    pub fn is_index_media_type(media_type: &str) -> bool {
        media_type == ManifestFormat::Oci.index_media_type()
            || media_type == ManifestFormat::DockerV2.index_media_type()
    }
}

/// An OS / architecture / variant triple.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Platform {
    /// e.g. `linux`.
    pub os: String,
    /// e.g. `arm64` (Go's GOARCH spelling).
    pub architecture: String,
    /// e.g. `v8`.
    pub variant: Option<String>,
}

impl Platform {
    /// A platform from its parts.
    pub fn new(os: &str, architecture: &str, variant: Option<&str>) -> Platform {
        Platform {
            os: os.to_string(),
            architecture: architecture.to_string(),
            variant: variant.map(str::to_string),
        }
    }

    /// `linux/amd64`.
    pub fn linux_amd64() -> Platform {
        Platform::new("linux", "amd64", None)
    }

    /// `linux/arm64/v8`.
    pub fn linux_arm64_v8() -> Platform {
        Platform::new("linux", "arm64", Some("v8"))
    }

    /// `linux/arm/v7`.
    pub fn linux_arm_v7() -> Platform {
        Platform::new("linux", "arm", Some("v7"))
    }

    /// The three platforms of the standard multi-platform test image:
    /// `linux/amd64`, `linux/arm64/v8`, `linux/arm/v7`.
    pub fn standard_set() -> Vec<Platform> {
        vec![
            Platform::linux_amd64(),
            Platform::linux_arm64_v8(),
            Platform::linux_arm_v7(),
        ]
    }

    fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("architecture".into(), json!(self.architecture));
        map.insert("os".into(), json!(self.os));
        if let Some(v) = &self.variant {
            map.insert("variant".into(), json!(v));
        }
        Value::Object(map)
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// A content descriptor (media type, digest, size).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    /// The media type.
    pub media_type: String,
    /// `sha256:<hex>`.
    pub digest: String,
    /// The size in bytes.
    pub size: u64,
}

impl Descriptor {
    fn of(media_type: &str, bytes: &[u8]) -> Descriptor {
        Descriptor {
            media_type: media_type.to_string(),
            digest: digest_of(bytes),
            size: bytes.len() as u64,
        }
    }

    fn to_json(&self) -> Value {
        json!({ "mediaType": self.media_type, "digest": self.digest, "size": self.size })
    }
}

/// One layer as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltLayer {
    /// The compressed blob.
    pub descriptor: Descriptor,
    /// `sha256` of the uncompressed tar (the config's `rootfs.diff_ids` entry).
    pub diff_id: String,
    /// The uncompressed tar size.
    pub uncompressed_size: u64,
}

/// One single-platform image manifest as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltManifest {
    /// Its platform (from the config).
    pub platform: Platform,
    /// The manifest blob.
    pub descriptor: Descriptor,
    /// The manifest's exact bytes.
    pub bytes: Vec<u8>,
    /// The config blob.
    pub config: Descriptor,
    /// The config's exact bytes.
    pub config_bytes: Vec<u8>,
    /// The layers, base first.
    pub layers: Vec<BuiltLayer>,
}

/// An image (single manifest or index of manifests) written into an OCI layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltImage {
    /// The layout directory.
    pub dir: PathBuf,
    /// Its `org.opencontainers.image.ref.name` in `index.json`.
    pub tag: String,
    /// The media-type family.
    pub format: ManifestFormat,
    /// The top-level document: the manifest, or the index / list for multi-platform images.
    pub descriptor: Descriptor,
    /// The top-level document's exact bytes.
    pub bytes: Vec<u8>,
    /// The image manifests (one, or one per platform in index order).
    pub manifests: Vec<BuiltManifest>,
}

impl BuiltImage {
    /// The digest of the top-level document (what a registry reports for the tag).
    pub fn digest(&self) -> &str {
        &self.descriptor.digest
    }

    /// Whether the top-level document is an index / manifest list.
    pub fn is_index(&self) -> bool {
        ManifestFormat::is_index_media_type(&self.descriptor.media_type)
    }

    /// The path of a blob in the layout.
    pub fn blob_path(&self, digest: &str) -> PathBuf {
        blob_path(&self.dir, digest)
    }
}

/// The path of `digest` (`sha256:<hex>`) under an OCI layout directory.
pub fn blob_path(layout: &Path, digest: &str) -> PathBuf {
    let (alg, hex) = digest.split_once(':').unwrap_or(("sha256", digest));
    layout.join("blobs").join(alg).join(hex)
}

#[derive(Debug, Clone)]
enum LayerSpec {
    Random(usize),
    Files(Vec<(String, Vec<u8>)>),
}

/// Builds deterministic test images into an OCI layout directory.
///
/// ```no_run
/// use hoist_testkit::{ImageBuilder, Platform};
/// # fn main() -> hoist_testkit::Result<()> {
/// let dir = tempfile::tempdir()?;
/// let image = ImageBuilder::new(7).layer(1024).layer(4096).tag("v1").write(dir.path())?;
/// let multi = ImageBuilder::new(7)
///     .layer(512)
///     .platforms(Platform::standard_set())
///     .tag("multi")
///     .write(dir.path())?;
/// assert!(multi.is_index());
/// # let _ = image; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ImageBuilder {
    seed: u64,
    layers: Vec<LayerSpec>,
    format: ManifestFormat,
    platforms: Vec<Platform>,
    index: bool,
    tag: String,
    created: String,
    user: String,
    env: Vec<String>,
    cmd: Vec<String>,
    working_dir: String,
    labels: Vec<(String, String)>,
    pretty: bool,
}

impl ImageBuilder {
    /// A builder for a single `linux/amd64` OCI image tagged `latest`, no layers yet, whose
    /// pseudo-random content derives from `seed`.
    pub fn new(seed: u64) -> ImageBuilder {
        ImageBuilder {
            seed,
            layers: Vec::new(),
            format: ManifestFormat::Oci,
            platforms: vec![Platform::linux_amd64()],
            index: false,
            tag: "latest".to_string(),
            created: DEFAULT_CREATED.to_string(),
            user: "1000:1000".to_string(),
            env: vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into()],
            cmd: vec!["/bin/sh".to_string()],
            working_dir: "/".to_string(),
            labels: vec![
                (
                    "org.opencontainers.image.title".into(),
                    "hoist-testkit".into(),
                ),
                ("io.hoist.testkit.seed".into(), seed.to_string()),
            ],
            pretty: false,
        }
    }

    /// Adds a layer holding one file of `size` pseudo-random bytes (plus a small text file).
    pub fn layer(mut self, size: usize) -> Self {
        self.layers.push(LayerSpec::Random(size));
        self
    }

    /// Adds a layer holding exactly these files (path inside the tar, content), in order.
    pub fn layer_files(mut self, files: Vec<(String, Vec<u8>)>) -> Self {
        self.layers.push(LayerSpec::Files(files));
        self
    }

    /// Writes Docker v2 schema 2 media types instead of OCI ones.
    pub fn format(mut self, format: ManifestFormat) -> Self {
        self.format = format;
        self
    }

    /// A single image for `platform` (default `linux/amd64`).
    pub fn platform(mut self, platform: Platform) -> Self {
        self.platforms = vec![platform];
        self.index = false;
        self
    }

    /// A multi-platform image: an index (OCI) or manifest list (Docker) with one image per
    /// platform, each with its own config and its own layer contents.
    pub fn platforms(mut self, platforms: Vec<Platform>) -> Self {
        self.platforms = platforms;
        self.index = true;
        self
    }

    /// The `org.opencontainers.image.ref.name` in the layout (default `latest`).
    pub fn tag(mut self, tag: &str) -> Self {
        self.tag = tag.to_string();
        self
    }

    /// The config's and history's `created` (RFC 3339).
    pub fn created(mut self, created: &str) -> Self {
        self.created = created.to_string();
        self
    }

    /// The config's `User` (default `1000:1000`).
    pub fn user(mut self, user: &str) -> Self {
        self.user = user.to_string();
        self
    }

    /// Adds one `KEY=value` to the config's `Env`.
    pub fn env(mut self, entry: &str) -> Self {
        self.env.push(entry.to_string());
        self
    }

    /// The config's `Cmd`.
    pub fn cmd(mut self, cmd: &[&str]) -> Self {
        self.cmd = cmd.iter().map(|s| (*s).to_string()).collect();
        self
    }

    /// Adds (or replaces) a config label.
    pub fn label(mut self, key: &str, value: &str) -> Self {
        self.labels.retain(|(k, _)| k != key);
        self.labels.push((key.to_string(), value.to_string()));
        self
    }

    /// Serialises manifests, configs and indexes with indentation (default: compact). Useful to
    /// prove that consumers keep raw bytes rather than re-serialising.
    pub fn pretty_json(mut self, pretty: bool) -> Self {
        self.pretty = pretty;
        self
    }

    /// Writes the image into the OCI layout at `dir` (created if missing; an existing layout
    /// keeps its other tags, and an entry with the same tag is replaced).
    pub fn write(&self, dir: &Path) -> Result<BuiltImage> {
        if self.platforms.is_empty() {
            return Err(Error::msg("an image needs at least one platform"));
        }
        fs::create_dir_all(dir.join("blobs").join("sha256"))?;
        fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)?;

        let mut manifests = Vec::new();
        for (pi, platform) in self.platforms.iter().enumerate() {
            manifests.push(self.write_manifest(dir, pi, platform)?);
        }

        let (descriptor, bytes) = if self.index {
            let entries: Vec<Value> = manifests
                .iter()
                .map(|m| {
                    let mut d = m.descriptor.to_json();
                    d["platform"] = m.platform.to_json();
                    d
                })
                .collect();
            let doc = json!({
                "schemaVersion": 2,
                "mediaType": self.format.index_media_type(),
                "manifests": entries,
            });
            let bytes = self.serialize(&doc)?;
            let descriptor = Descriptor::of(self.format.index_media_type(), &bytes);
            write_blob(dir, &descriptor.digest, &bytes)?;
            (descriptor, bytes)
        } else {
            let only = &manifests[0];
            (only.descriptor.clone(), only.bytes.clone())
        };

        update_layout_index(dir, &self.tag, &descriptor)?;
        Ok(BuiltImage {
            dir: dir.to_path_buf(),
            tag: self.tag.clone(),
            format: self.format,
            descriptor,
            bytes,
            manifests,
        })
    }

    fn serialize(&self, doc: &Value) -> Result<Vec<u8>> {
        Ok(if self.pretty {
            serde_json::to_vec_pretty(doc)?
        } else {
            serde_json::to_vec(doc)?
        })
    }

    fn write_manifest(&self, dir: &Path, pi: usize, platform: &Platform) -> Result<BuiltManifest> {
        let platform_text = platform.to_string();
        let mut layers = Vec::new();
        for (li, spec) in self.layers.iter().enumerate() {
            let files = match spec {
                LayerSpec::Files(files) => files.clone(),
                LayerSpec::Random(size) => {
                    let mut rng = SplitMix64::new(
                        self.seed
                            ^ fnv1a(platform_text.as_bytes()).rotate_left(17)
                            ^ (li as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
                            ^ (pi as u64) << 48,
                    );
                    let mut data = vec![0u8; *size];
                    rng.fill(&mut data);
                    vec![
                        (
                            format!("hoist/layer-{li}.txt"),
                            format!(
                                "hoist-testkit layer {li} of {platform_text}, seed {}, {size} bytes\n",
                                self.seed
                            )
                            .into_bytes(),
                        ),
                        (format!("hoist/layer-{li}.bin"), data),
                    ]
                }
            };
            let tar = build_tar(&files)?;
            let gz = gzip(&tar)?;
            let descriptor = Descriptor::of(self.format.layer_media_type(), &gz);
            write_blob(dir, &descriptor.digest, &gz)?;
            layers.push(BuiltLayer {
                descriptor,
                diff_id: digest_of(&tar),
                uncompressed_size: tar.len() as u64,
            });
        }

        let mut history: Vec<Value> = layers
            .iter()
            .enumerate()
            .map(|(i, l)| {
                json!({
                    "created": self.created,
                    "created_by": format!("hoist-testkit: layer {i} ({} bytes uncompressed)", l.uncompressed_size),
                })
            })
            .collect();
        history.push(json!({
            "created": self.created,
            "created_by": "hoist-testkit: config (USER, ENV, CMD, LABEL)",
            "empty_layer": true,
        }));
        let labels: Map<String, Value> = self
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        let mut config = Map::new();
        config.insert("created".into(), json!(self.created));
        config.insert("architecture".into(), json!(platform.architecture));
        if let Some(v) = &platform.variant {
            config.insert("variant".into(), json!(v));
        }
        config.insert("os".into(), json!(platform.os));
        config.insert(
            "config".into(),
            json!({
                "User": self.user,
                "Env": self.env,
                "Cmd": self.cmd,
                "WorkingDir": self.working_dir,
                "Labels": labels,
            }),
        );
        config.insert(
            "rootfs".into(),
            json!({
                "type": "layers",
                "diff_ids": layers.iter().map(|l| l.diff_id.clone()).collect::<Vec<_>>(),
            }),
        );
        config.insert("history".into(), Value::Array(history));
        let config_bytes = self.serialize(&Value::Object(config))?;
        let config_desc = Descriptor::of(self.format.config_media_type(), &config_bytes);
        write_blob(dir, &config_desc.digest, &config_bytes)?;

        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": self.format.manifest_media_type(),
            "config": config_desc.to_json(),
            "layers": layers.iter().map(|l| l.descriptor.to_json()).collect::<Vec<_>>(),
        });
        let bytes = self.serialize(&manifest)?;
        let descriptor = Descriptor::of(self.format.manifest_media_type(), &bytes);
        write_blob(dir, &descriptor.digest, &bytes)?;
        Ok(BuiltManifest {
            platform: platform.clone(),
            descriptor,
            bytes,
            config: config_desc,
            config_bytes,
            layers,
        })
    }
}

fn build_tar(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut dirs: Vec<String> = Vec::new();
    for (path, data) in files {
        // Parent directories first, each once, so extraction gives sane modes.
        let mut prefix = String::new();
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        for part in parts.iter().take(parts.len().saturating_sub(1)) {
            prefix.push_str(part);
            prefix.push('/');
            if !dirs.contains(&prefix) {
                dirs.push(prefix.clone());
                let mut header = fixed_header(tar::EntryType::Directory, 0o755, 0);
                header.set_path(&prefix)?;
                header.set_cksum();
                builder.append(&header, std::io::empty())?;
            }
        }
        let mut header = fixed_header(tar::EntryType::Regular, 0o644, data.len() as u64);
        header.set_path(path.trim_start_matches('/'))?;
        header.set_cksum();
        builder.append(&header, data.as_slice())?;
    }
    Ok(builder.into_inner()?)
}

fn fixed_header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(kind);
    header.set_mode(mode);
    header.set_size(size);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(LAYER_MTIME);
    header
}

fn gzip(data: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(Vec::new(), Compression::new(6));
    encoder.write_all(data)?;
    Ok(encoder.finish()?)
}

fn write_blob(layout: &Path, digest: &str, bytes: &[u8]) -> Result<()> {
    let path = blob_path(layout, digest);
    if !path.exists() {
        let tmp = path.with_extension("tmp");
        fs::write(&tmp, bytes)?;
        fs::rename(&tmp, &path)?;
    }
    Ok(())
}

fn update_layout_index(layout: &Path, tag: &str, descriptor: &Descriptor) -> Result<()> {
    let path = layout.join("index.json");
    let mut index = match fs::read(&path) {
        Ok(bytes) => serde_json::from_slice::<Value>(&bytes)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => json!({
            "schemaVersion": 2,
            "mediaType": ManifestFormat::Oci.index_media_type(),
            "manifests": [],
        }),
        Err(e) => return Err(e.into()),
    };
    let manifests = index
        .get_mut("manifests")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| Error::msg(format!("{} has no manifests array", path.display())))?;
    manifests.retain(|m| m["annotations"][REF_NAME_ANNOTATION].as_str() != Some(tag));
    let mut entry = descriptor.to_json();
    entry["annotations"] = json!({ REF_NAME_ANNOTATION: tag });
    manifests.push(entry);
    let bytes = serde_json::to_vec(&index)?;
    let tmp = layout.join("index.json.tmp");
    fs::write(&tmp, bytes)?;
    fs::rename(&tmp, &path)?;
    Ok(())
}

/// Reads the descriptor tagged `tag` from an OCI layout's `index.json`.
pub fn layout_entry(layout: &Path, tag: &str) -> Result<Descriptor> {
    let bytes = fs::read(layout.join("index.json"))?;
    let index: Value = serde_json::from_slice(&bytes)?;
    let entry = index["manifests"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["annotations"][REF_NAME_ANNOTATION].as_str() == Some(tag))
        .ok_or_else(|| {
            Error::msg(format!(
                "no manifest tagged {tag:?} in {}",
                layout.join("index.json").display()
            ))
        })?;
    let field = |name: &str| {
        entry[name]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| Error::msg(format!("index.json entry for {tag:?} lacks {name}")))
    };
    Ok(Descriptor {
        media_type: field("mediaType")?,
        digest: field("digest")?,
        size: entry["size"]
            .as_u64()
            .ok_or_else(|| Error::msg(format!("index.json entry for {tag:?} lacks size")))?,
    })
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// SplitMix64: tiny, fast, and fully specified, so content never changes across versions.
struct SplitMix64(u64);

impl SplitMix64 {
    fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            let bytes = self.next().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

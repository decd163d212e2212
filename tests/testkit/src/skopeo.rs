//! `skopeo` as the oracle: pushes test layouts into a [`Registry`], reads manifests back, and
//! copies images out into OCI layouts.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::image::{blob_path, layout_entry, Descriptor, ManifestFormat};
use crate::registry::Registry;
use crate::{Error, Result};

/// The skopeo binary; override with `HOIST_TEST_SKOPEO_BIN`.
pub const DEFAULT_SKOPEO_BIN: &str = "/usr/bin/skopeo";

/// Which credentials skopeo presents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkopeoAuth {
    /// The registry's own credentials when it has any, else anonymous.
    Registry,
    /// No credentials (`--no-creds`).
    Anonymous,
    /// These credentials.
    Creds {
        /// User name.
        user: String,
        /// Password.
        password: String,
    },
}

/// A skopeo invocation bound to one [`Registry`]: credentials, TLS trust and the trust policy
/// are derived from it.
#[derive(Debug, Clone)]
pub struct Skopeo<'r> {
    registry: &'r Registry,
    auth: SkopeoAuth,
    trust_ca: bool,
}

/// The failure of a skopeo run: its exit status and stderr.
#[derive(Debug, Clone)]
pub struct SkopeoFailure {
    /// The command line (without secrets).
    pub command: String,
    /// The exit status, as text.
    pub status: String,
    /// What skopeo printed on stderr.
    pub stderr: String,
}

impl<'r> Skopeo<'r> {
    /// Skopeo with the registry's credentials and, for TLS, its CA.
    pub fn new(registry: &'r Registry) -> Skopeo<'r> {
        Skopeo {
            registry,
            auth: SkopeoAuth::Registry,
            trust_ca: true,
        }
    }

    /// Use `auth` instead of the registry's credentials.
    pub fn auth(mut self, auth: SkopeoAuth) -> Self {
        self.auth = auth;
        self
    }

    /// Present no credentials.
    pub fn anonymous(self) -> Self {
        self.auth(SkopeoAuth::Anonymous)
    }

    /// For a TLS registry, verify the certificate but do NOT trust the test CA (to prove that
    /// verification is on).
    pub fn without_ca(mut self) -> Self {
        self.trust_ca = false;
        self
    }

    /// Pushes `oci:LAYOUT:SRC_TAG` to `docker://HOST/DEST_REF` and returns the pushed manifest
    /// digest (from `--digestfile`).
    ///
    /// From the layout entry's media type: an index or list is pushed with `--all`, Docker
    /// media types with `--format v2s2` (and through a `dir:` copy of the image, since
    /// skopeo 1.9's `oci:` transport ignores Docker-typed `index.json` entries).
    /// `--preserve-digests` makes skopeo fail rather than convert, so the returned digest is
    /// the one the layout holds.
    pub fn push(&self, layout: &Path, src_tag: &str, dest_ref: &str) -> Result<String> {
        let entry = layout_entry(layout, src_tag)?;
        let work = tempfile::Builder::new()
            .prefix("hoist-skopeo-")
            .tempdir_in(self.registry.work_dir())?;
        let digest_file = work.path().join("digest");
        let mut args: Vec<String> = vec![
            "copy".into(),
            "--retry-times=0".into(),
            "--preserve-digests".into(),
        ];
        let docker_types = entry.media_type == ManifestFormat::DockerV2.manifest_media_type()
            || entry.media_type == ManifestFormat::DockerV2.index_media_type();
        if ManifestFormat::is_index_media_type(&entry.media_type) {
            args.push("--all".into());
        }
        if docker_types {
            args.push("--format=v2s2".into());
        }
        args.push(format!("--digestfile={}", digest_file.display()));
        args.extend(self.registry_flags("dest"));
        if docker_types {
            // skopeo 1.9's oci: transport only resolves index.json entries of OCI media types,
            // so Docker-typed images go through the dir: transport, byte for byte.
            let dir = work.path().join("dir");
            layout_to_dir(layout, &entry, &dir)?;
            args.push(format!("dir:{}", dir.display()));
        } else {
            args.push(format!("oci:{}:{src_tag}", layout.display()));
        }
        args.push(self.docker_ref(dest_ref));
        self.run(&args)?;
        let digest = std::fs::read_to_string(&digest_file)?.trim().to_string();
        if !digest.starts_with("sha256:") {
            return Err(Error::msg(format!(
                "unexpected digest file content {digest:?}"
            )));
        }
        Ok(digest)
    }

    /// `skopeo inspect --raw docker://HOST/REFERENCE`: the manifest's exact bytes.
    pub fn inspect_raw(&self, reference: &str) -> Result<Vec<u8>> {
        let mut args: Vec<String> =
            vec!["inspect".into(), "--raw".into(), "--retry-times=0".into()];
        args.extend(self.registry_flags(""));
        args.push(self.docker_ref(reference));
        Ok(self.run(&args)?.stdout)
    }

    /// `skopeo inspect --config --raw`: the image config's exact bytes (for a multi-platform
    /// reference skopeo picks the linux/amd64 instance).
    pub fn inspect_config_raw(&self, reference: &str) -> Result<Vec<u8>> {
        let mut args: Vec<String> = vec![
            "inspect".into(),
            "--config".into(),
            "--raw".into(),
            "--retry-times=0".into(),
        ];
        args.extend(self.registry_flags(""));
        args.push(self.docker_ref(reference));
        Ok(self.run(&args)?.stdout)
    }

    /// Copies `docker://HOST/REFERENCE` into the OCI layout `dir` as `tag` (with `--all` when
    /// `all`), keeping digests.
    pub fn copy_to_oci(&self, reference: &str, dir: &Path, tag: &str, all: bool) -> Result<()> {
        let mut args: Vec<String> = vec![
            "copy".into(),
            "--retry-times=0".into(),
            "--preserve-digests".into(),
        ];
        if all {
            args.push("--all".into());
        }
        args.extend(self.registry_flags("src"));
        args.push(self.docker_ref(reference));
        args.push(format!("oci:{}:{tag}", dir.display()));
        self.run(&args)?;
        Ok(())
    }

    fn docker_ref(&self, reference: &str) -> String {
        format!("docker://{}/{reference}", self.registry.host())
    }

    /// The per-registry flags, prefixed `--PREFIX-` (`dest`, `src`) or plain (`inspect`).
    fn registry_flags(&self, prefix: &str) -> Vec<String> {
        let flag = |name: &str| {
            if prefix.is_empty() {
                format!("--{name}")
            } else {
                format!("--{prefix}-{name}")
            }
        };
        let mut flags = Vec::new();
        if self.registry.is_tls() {
            flags.push(format!("{}=true", flag("tls-verify")));
            if self.trust_ca {
                if let Some(dir) = self.registry.cert_dir() {
                    flags.push(format!("{}={}", flag("cert-dir"), dir.display()));
                }
            } else {
                // An empty directory, so the system default is not consulted for this host
                // either way; the CA is simply unknown.
                flags.push(format!(
                    "{}={}",
                    flag("cert-dir"),
                    self.empty_dir().display()
                ));
            }
        } else {
            flags.push(format!("{}=false", flag("tls-verify")));
        }
        let creds = match &self.auth {
            SkopeoAuth::Registry => self
                .registry
                .credentials()
                .map(|c| (c.user.clone(), c.password.clone())),
            SkopeoAuth::Anonymous => None,
            SkopeoAuth::Creds { user, password } => Some((user.clone(), password.clone())),
        };
        match creds {
            Some((user, password)) => {
                flags.push(format!("{}={user}:{password}", flag("creds")));
            }
            None => flags.push(flag("no-creds")),
        }
        flags
    }

    fn empty_dir(&self) -> PathBuf {
        let dir = self.registry.work_dir().join("empty-cert-dir");
        let _ = std::fs::create_dir_all(&dir);
        dir
    }

    fn run(&self, args: &[String]) -> Result<Output> {
        let work = self.registry.work_dir();
        let bin = skopeo_bin();
        let output = Command::new(&bin)
            .arg(format!(
                "--policy={}",
                self.registry.policy_path().display()
            ))
            .arg(format!("--tmpdir={}", work.display()))
            .arg("--command-timeout=60s")
            .args(args)
            // Never read the invoking user's credentials.
            .env("REGISTRY_AUTH_FILE", work.join("no-auth.json"))
            .env("DOCKER_CONFIG", work.join("no-docker-config"))
            .stdin(Stdio::null())
            .output()
            .map_err(|e| Error::msg(format!("running {bin} (install skopeo): {e}")))?;
        if output.status.success() {
            Ok(output)
        } else {
            let command = std::iter::once(bin.as_str())
                .chain(args.iter().map(String::as_str))
                .map(redact)
                .collect::<Vec<_>>()
                .join(" ");
            Err(Error::Skopeo(SkopeoFailure {
                command,
                status: output.status.to_string(),
                stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            }))
        }
    }
}

/// Writes the image `entry` of an OCI layout as a skopeo `dir:` directory with the same bytes:
/// `manifest.json` (the top-level document), `<hex>.manifest.json` per index instance, and every
/// config and layer blob as `<hex>`.
pub fn layout_to_dir(layout: &Path, entry: &Descriptor, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("version"), "Directory Transport Version: 1.1\n")?;
    let top = std::fs::read(blob_path(layout, &entry.digest))?;
    std::fs::write(dir.join("manifest.json"), &top)?;
    let mut manifests = Vec::new();
    if ManifestFormat::is_index_media_type(&entry.media_type) {
        let index: Value = serde_json::from_slice(&top)?;
        for m in index["manifests"].as_array().into_iter().flatten() {
            let digest = m["digest"]
                .as_str()
                .ok_or_else(|| Error::msg("index entry without digest"))?;
            let bytes = std::fs::read(blob_path(layout, digest))?;
            std::fs::write(
                dir.join(format!("{}.manifest.json", hex_of(digest))),
                &bytes,
            )?;
            manifests.push(bytes);
        }
    } else {
        manifests.push(top);
    }
    for bytes in manifests {
        let manifest: Value = serde_json::from_slice(&bytes)?;
        let blobs = std::iter::once(&manifest["config"])
            .chain(manifest["layers"].as_array().into_iter().flatten());
        for blob in blobs {
            let digest = blob["digest"]
                .as_str()
                .ok_or_else(|| Error::msg("descriptor without digest"))?;
            let target = dir.join(hex_of(digest));
            if !target.exists() {
                let source = blob_path(layout, digest);
                if std::fs::hard_link(&source, &target).is_err() {
                    std::fs::copy(&source, &target)?;
                }
            }
        }
    }
    Ok(())
}

fn hex_of(digest: &str) -> &str {
    digest.split_once(':').map_or(digest, |(_, hex)| hex)
}

fn redact(arg: &str) -> String {
    for name in ["--creds=", "--src-creds=", "--dest-creds="] {
        if let Some(value) = arg.strip_prefix(name) {
            let user = value.split(':').next().unwrap_or_default();
            return format!("{name}{user}:<redacted>");
        }
    }
    arg.to_string()
}

fn skopeo_bin() -> String {
    std::env::var("HOIST_TEST_SKOPEO_BIN").unwrap_or_else(|_| DEFAULT_SKOPEO_BIN.to_string())
}

/// Pushes the layout entry tagged like `reference`'s tag (`repo:tag`, default `latest`) to
/// `registry` as `reference`, with the registry's credentials; returns the manifest digest.
pub fn push(layout_dir: &Path, reference: &str, registry: &Registry) -> Result<String> {
    let tag = reference
        .rsplit_once(':')
        .filter(|(_, t)| !t.contains('/'))
        .map_or("latest", |(_, t)| t);
    Skopeo::new(registry).push(layout_dir, tag, reference)
}

/// `skopeo inspect --raw` of `reference` (`repo:tag` or `repo@digest`) in `registry`.
pub fn skopeo_inspect_raw(reference: &str, registry: &Registry) -> Result<Vec<u8>> {
    Skopeo::new(registry).inspect_raw(reference)
}

/// Copies `reference` from `registry` into the OCI layout `dir` (tag `latest`, all platforms).
pub fn skopeo_copy_to_oci(reference: &str, registry: &Registry, dir: &Path) -> Result<()> {
    Skopeo::new(registry).copy_to_oci(reference, dir, "latest", true)
}

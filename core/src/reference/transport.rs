//! Image locations with containers/image transport prefixes (`transport:details`), as
//! skopeo and podman accept them.
//!
//! The transport is everything before the first `:` (`alltransports.ParseImageName`).
//! Each transport then splits its own details at the first `:` (on non-Windows hosts):
//!
//! | input | meaning |
//! |---|---|
//! | `docker://REF` | a registry reference, normalized, `:latest` added; tag + digest refused |
//! | `oci:PATH[:NAME \| :@INDEX]` | an OCI layout directory; NAME is an `org.opencontainers.image.ref.name` |
//! | `oci-archive:PATH[:NAME \| :@INDEX]` | an OCI layout in a tar file |
//! | `docker-archive:PATH[:REF \| :@INDEX]` | a `docker save` tar; REF must be tagged, not digested |
//! | `dir:PATH` | containers/image's directory format |
//! | anything else | a registry reference, normalized (podman: `docker:latest` is the image `docker`) |
//!
//! `containers-storage:`, `docker-daemon:`, `ostree:`, `sif:`, `tarball:` and `atomic:` are
//! containers/image transports hoist does not implement (`unsupported-transport`);
//! `name://…` with any other name is `unknown-transport`. containers/image resolves paths
//! against the file system; hoist does not touch it, and refuses an empty path instead
//! (`invalid-transport-path`).

use std::fmt;

use super::{parse_normalized, Reference, ReferenceError};
use crate::digest::excerpt;

/// Which image of an OCI layout (`oci:` / `oci-archive:`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OciSelector {
    /// The only image in the layout.
    Default,
    /// The image whose `org.opencontainers.image.ref.name` annotation is this name.
    Name(String),
    /// The image at this zero-based position of `index.json` (`:@N`, sources only).
    Index(u64),
}

/// Which image of a `docker save` archive (`docker-archive:`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ArchiveSelector {
    /// The only image in the archive.
    Default,
    /// The image with this tag (normalized, always tagged, never digested).
    Reference(Reference),
    /// The image at this zero-based position of `manifest.json` (`:@N`).
    Index(u64),
}

/// Where an image lives: a registry or a local layout or archive.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ImageLocation {
    /// A registry reference.
    Docker {
        /// The normalized reference. With an explicit `docker://` it always has a tag or
        /// a digest (not both); a bare name is left as normalized, for short-name
        /// resolution to complete.
        reference: Reference,
        /// True when the input said `docker://`.
        explicit: bool,
    },
    /// An OCI image layout directory (`oci:`).
    Oci {
        /// The directory, as written.
        path: String,
        /// Which image in it.
        selector: OciSelector,
    },
    /// An OCI image layout in a tar archive (`oci-archive:`).
    OciArchive {
        /// The archive file, as written.
        path: String,
        /// Which image in it.
        selector: OciSelector,
    },
    /// A `docker save` tar archive (`docker-archive:`).
    DockerArchive {
        /// The archive file, as written.
        path: String,
        /// Which image in it.
        selector: ArchiveSelector,
    },
    /// containers/image's `dir:` format.
    Dir {
        /// The directory, as written.
        path: String,
    },
}

/// containers/image transports that hoist does not implement.
const UNSUPPORTED: &[&str] = &[
    "atomic",
    "containers-storage",
    "docker-daemon",
    "ostree",
    "sif",
    "tarball",
];

/// Go's `strconv.Atoi` for a source index, refusing negative values.
fn parse_index(text: &str) -> Result<u64, ReferenceError> {
    let fail = || ReferenceError::InvalidSourceIndex {
        value: excerpt(text),
    };
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, text.get(1..).unwrap_or_default()),
        Some(b'+') => (false, text.get(1..).unwrap_or_default()),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(fail());
    }
    let value: u64 = digits.parse().map_err(|_| fail())?;
    if value > i64::MAX as u64 || (negative && value != 0) {
        return Err(fail());
    }
    Ok(value)
}

/// image-spec `org.opencontainers.image.ref.name`, as containers/image checks it:
/// `component ('/' component)*`, `component := alphanum (separator alphanum)*`,
/// `alphanum := [A-Za-z0-9]+`, `separator := [-._:@+] | --`.
fn is_oci_ref_name(name: &str) -> bool {
    name.split('/').all(|component| {
        let b = component.as_bytes();
        let mut i = 0;
        loop {
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_alphanumeric) {
                i += 1;
            }
            if i == start {
                return false;
            }
            match b.get(i) {
                None => return true,
                Some(b'-') if b.get(i + 1) == Some(&b'-') => i += 2,
                Some(b'-' | b'.' | b'_' | b':' | b'@' | b'+') => i += 1,
                Some(_) => return false,
            }
        }
    })
}

fn require_path(path: &str, transport: &'static str) -> Result<String, ReferenceError> {
    if path.is_empty() {
        return Err(ReferenceError::InvalidTransportPath {
            transport,
            problem: "the path is empty",
        });
    }
    Ok(path.to_owned())
}

fn oci_details(
    details: &str,
    transport: &'static str,
) -> Result<(String, OciSelector), ReferenceError> {
    let (path, image) = details.split_once(':').unwrap_or((details, ""));
    let selector = if let Some(index) = image.strip_prefix('@') {
        OciSelector::Index(parse_index(index)?)
    } else if image.is_empty() {
        OciSelector::Default
    } else if is_oci_ref_name(image) {
        OciSelector::Name(image.to_owned())
    } else {
        return Err(ReferenceError::InvalidOciImageName {
            name: excerpt(image),
        });
    };
    Ok((require_path(path, transport)?, selector))
}

impl ImageLocation {
    /// Parses `transport:details`, or a bare registry reference (see the module docs).
    pub fn parse(s: &str) -> Result<Self, ReferenceError> {
        if let Some((transport, details)) = s.split_once(':') {
            match transport {
                "docker" => {
                    if let Some(rest) = details.strip_prefix("//") {
                        let reference = parse_normalized(rest)?.tag_name_only();
                        if reference.tag().is_some() && reference.digest().is_some() {
                            return Err(ReferenceError::TagAndDigestNotSupported {
                                transport: "docker",
                            });
                        }
                        return Ok(ImageLocation::Docker {
                            reference,
                            explicit: true,
                        });
                    }
                }
                "oci" => {
                    let (path, selector) = oci_details(details, "oci")?;
                    return Ok(ImageLocation::Oci { path, selector });
                }
                "oci-archive" => {
                    let (path, selector) = oci_details(details, "oci-archive")?;
                    return Ok(ImageLocation::OciArchive { path, selector });
                }
                "docker-archive" => return docker_archive(details),
                "dir" => {
                    return Ok(ImageLocation::Dir {
                        path: require_path(details, "dir")?,
                    })
                }
                t if UNSUPPORTED.contains(&t) => {
                    return Err(ReferenceError::UnsupportedTransport {
                        transport: t.to_owned(),
                    })
                }
                t if details.starts_with("//") => {
                    return Err(ReferenceError::UnknownTransport {
                        transport: excerpt(t),
                    })
                }
                _ => {}
            }
        }
        Ok(ImageLocation::Docker {
            reference: parse_normalized(s)?,
            explicit: false,
        })
    }

    /// The transport name (`docker`, `oci`, `oci-archive`, `docker-archive`, `dir`).
    pub fn transport(&self) -> &'static str {
        match self {
            ImageLocation::Docker { .. } => "docker",
            ImageLocation::Oci { .. } => "oci",
            ImageLocation::OciArchive { .. } => "oci-archive",
            ImageLocation::DockerArchive { .. } => "docker-archive",
            ImageLocation::Dir { .. } => "dir",
        }
    }
}

fn docker_archive(details: &str) -> Result<ImageLocation, ReferenceError> {
    const T: &str = "docker-archive";
    if details.is_empty() {
        return Err(ReferenceError::InvalidTransportPath {
            transport: T,
            problem: "expected <path>[:<reference>]",
        });
    }
    let selector = match details.split_once(':') {
        None => ArchiveSelector::Default,
        Some((_, tag_or_index)) => match tag_or_index.strip_prefix('@') {
            Some(index) => ArchiveSelector::Index(parse_index(index)?),
            None => {
                let reference = parse_normalized(tag_or_index)?.tag_name_only();
                if reference.digest().is_some() {
                    return Err(ReferenceError::DigestNotSupported { transport: T });
                }
                ArchiveSelector::Reference(reference)
            }
        },
    };
    let path = details.split_once(':').map_or(details, |(p, _)| p);
    Ok(ImageLocation::DockerArchive {
        path: require_path(path, T)?,
        selector,
    })
}

impl fmt::Display for ImageLocation {
    /// The transport string with its prefix; parsing it gives back an equal location.
    /// Registry references are written in full (`docker.io/library/busybox`), not in the
    /// familiar form containers/image prints, because a familiar form does not always
    /// normalize back to the same name (`docker.io/my.org/app` → `my.org/app`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let oci = |f: &mut fmt::Formatter<'_>, t: &str, path: &str, sel: &OciSelector| match sel {
            OciSelector::Default => write!(f, "{t}:{path}"),
            OciSelector::Name(n) => write!(f, "{t}:{path}:{n}"),
            OciSelector::Index(i) => write!(f, "{t}:{path}:@{i}"),
        };
        match self {
            ImageLocation::Docker {
                reference,
                explicit: true,
            } => write!(f, "docker://{reference}"),
            ImageLocation::Docker { reference, .. } => write!(f, "{reference}"),
            ImageLocation::Oci { path, selector } => oci(f, "oci", path, selector),
            ImageLocation::OciArchive { path, selector } => oci(f, "oci-archive", path, selector),
            ImageLocation::DockerArchive { path, selector } => match selector {
                ArchiveSelector::Default => write!(f, "docker-archive:{path}"),
                ArchiveSelector::Reference(r) => write!(f, "docker-archive:{path}:{r}"),
                ArchiveSelector::Index(i) => write!(f, "docker-archive:{path}:@{i}"),
            },
            ImageLocation::Dir { path } => write!(f, "dir:{path}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn table() {
        let cases: &[(&str, Result<&str, &str>)] = &[
            ("docker://busybox", Ok("docker://docker.io/library/busybox:latest")),
            ("docker://quay.io/a/b:1", Ok("docker://quay.io/a/b:1")),
            ("docker:latest", Ok("docker.io/library/docker:latest")),
            ("busybox", Ok("docker.io/library/busybox")),
            ("docker.io/library/oci:x", Ok("docker.io/library/oci:x")),
            ("localhost:5000/foo", Ok("localhost:5000/foo")),
            ("oci:/tmp/layout", Ok("oci:/tmp/layout")),
            ("oci:/tmp/layout:v1.0", Ok("oci:/tmp/layout:v1.0")),
            ("oci:/tmp/layout:a:b", Ok("oci:/tmp/layout:a:b")),
            ("oci:/tmp/layout:@3", Ok("oci:/tmp/layout:@3")),
            ("oci:/tmp/layout:@-1", Err("invalid-source-index")),
            ("oci:/tmp/layout:a--b", Ok("oci:/tmp/layout:a--b")),
            ("oci:/tmp/layout:a---b", Err("invalid-oci-image-name")),
            ("oci::name", Err("invalid-transport-path")),
            ("oci-archive:/a.tar:@+2", Ok("oci-archive:/a.tar:@2")),
            (
                "docker-archive:/a.tar:busybox",
                Ok("docker-archive:/a.tar:docker.io/library/busybox:latest"),
            ),
            ("docker-archive:/a.tar:@0", Ok("docker-archive:/a.tar:@0")),
            ("docker-archive:", Err("invalid-transport-path")),
            ("dir:/x", Ok("dir:/x")),
            ("dir:", Err("invalid-transport-path")),
            ("containers-storage:busybox", Err("unsupported-transport")),
            ("ftp://x", Err("unknown-transport")),
            ("docker://busybox:1@sha256:0000000000000000000000000000000000000000000000000000000000000000", Err("transport-tag-and-digest")),
        ];
        for (input, want) in cases {
            let got = ImageLocation::parse(input)
                .map(|l| l.to_string())
                .map_err(|e| e.code());
            assert_eq!(got.as_deref().map_err(|e| *e), *want, "{input}");
            if let Ok(s) = &got {
                let again = ImageLocation::parse(s).expect("display parses");
                assert_eq!(again.to_string(), *s, "{input}");
            }
        }
    }

    #[test]
    fn index_parsing_follows_atoi() {
        assert_eq!(parse_index("0").ok(), Some(0));
        assert_eq!(parse_index("-0").ok(), Some(0));
        assert_eq!(parse_index("+7").ok(), Some(7));
        assert!(parse_index("").is_err());
        assert!(parse_index("+").is_err());
        assert!(parse_index("1_0").is_err());
        assert!(parse_index("9223372036854775808").is_err());
        assert_eq!(
            parse_index("9223372036854775807").ok(),
            Some(i64::MAX as u64)
        );
    }
}

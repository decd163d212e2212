//! The CRI image service: `hoist serve --cri unix:///run/hoist/image.sock` serves
//! `runtime.v1.ImageService` (k8s.io/cri-api `api.proto`) over gRPC, so that kubelet
//! (`--image-service-endpoint`) and `crictl --image-endpoint` use hoist for images.
//!
//! # Semantics
//!
//! - **PullImage**: `ImageSpec.image` is normalized like `hoist pull` (short names through
//!   registries.conf, trying each candidate while the core says the next may succeed).
//!   Credentials are only those of the request's `AuthConfig`, decoded by the core
//!   (`hoist_core::auth::cri`): a `server_address` for another host means no credentials
//!   are sent. Concurrent calls for one image, platform and credentials share one pull
//!   ([`crate::dedupe::PullGroup`]); the pull runs in its own task, so a caller that goes
//!   away does not abort it for the others. `image_ref` is the image ID, which is
//!   `Image.id` everywhere else.
//! - **ListImages**: every image, or with `filter.image` the one image that string resolves
//!   to (a reference, short or full, or an ID or ID prefix: the core's
//!   `ImageIndex::resolve`), like CRI-O. Newest first.
//! - **ImageStatus**: a missing image is an empty response, not an error. With `verbose`,
//!   `info` has `labels`, `chainID` and `manifestDigest`, each a JSON document.
//! - **RemoveImage**: every tag, repo digest and the record go (the core's `remove_all`);
//!   a missing image is success; refused with `FAILED_PRECONDITION`
//!   (`image-pull-in-progress`) while a pull that names the image is in flight. Blobs
//!   stay until `hoist gc`, as with `hoist rmi`.
//! - **ImageFsInfo**: bytes and inodes under the store directory, its mountpoint, now.
//!
//! # gRPC status codes
//!
//! The core classes every error ([`hoist_core::ErrorClass`]); this host maps the class:
//!
//! | class | gRPC code |
//! |---|---|
//! | `invalid-input` | `INVALID_ARGUMENT` |
//! | `not-found` | `NOT_FOUND` |
//! | `unauthenticated` | `UNAUTHENTICATED` |
//! | `permission-denied` | `PERMISSION_DENIED` |
//! | `rate-limited` | `RESOURCE_EXHAUSTED` |
//! | `unavailable` | `UNAVAILABLE`, message starts `RegistryUnavailable: ` (kubelet's reason) |
//! | `bad-content` | `FAILED_PRECONDITION` (containerd: digest mismatch on commit) |
//! | `conflict` | `FAILED_PRECONDITION` |
//! | `unsupported` | `UNIMPLEMENTED` |
//! | `cancelled` | `CANCELLED` (also a pull cancelled by shutdown after the grace period) |
//! | `internal` | `INTERNAL` |
//!
//! Every error status carries the stable error code twice: at the end of the message, in
//! parentheses (`… (manifest-unknown)`), and in the `hoist-error-code` metadata entry.
//! Messages are the core's one-liners: they name hosts and references, never a body, a
//! credential or a token.
//!
//! # Logging
//!
//! One line per call on stderr: `cri METHOD image=… duration_ms=… outcome=ok|CODE`. The image
//! is the request's string (cut to 200 characters); credentials are never logged, and the
//! generated `AuthConfig` type has a `Debug` that prints no secret.

mod cache;
mod creds;
mod fsinfo;
mod images;
mod log;
pub mod proto;
mod pull;
mod server;
mod service;
mod socket;
mod status;

pub use pull::PullSettings;
pub use server::{serve, ServeOptions};
pub use socket::{parse_endpoint, SocketError};

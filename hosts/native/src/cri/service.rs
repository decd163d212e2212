//! The `runtime.v1.ImageService` implementation: each call translates the request, asks
//! the core (through the caches, the store and [`Pulls`]), translates the answer, and logs
//! one line. Blocking store work runs on the blocking pool.

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use hoist_core::store::StoreError;
use hoist_core::ErrorClass;
use tonic::{Request, Response, Status};

use super::cache::Caches;
use super::creds::auth_config;
use super::proto::image_service_server::ImageService;
use super::proto::{self as pb};
use super::pull::Pulls;
use super::status::{core_error, CallError};
use super::{fsinfo, images, log};
use crate::store::StoreIoError;

/// The service state, shared by every call.
pub struct Service {
    /// Index and config caches.
    pub caches: Arc<Caches>,
    /// Pulls and their dedupe.
    pub pulls: Arc<Pulls>,
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, CallError> + Send + 'static,
) -> Result<T, CallError> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
        Err(CallError::new(
            ErrorClass::Internal,
            "task-failed",
            format!("blocking task failed: {e}"),
        ))
    })
}

/// Finishes a call: one log line, then the gRPC result.
fn finish<T>(
    method: &str,
    image: &str,
    started: Instant,
    result: Result<T, CallError>,
) -> Result<Response<T>, Status> {
    log::call(method, image, started, result.as_ref().map(|_| ()));
    result.map(Response::new).map_err(|e| e.to_status())
}

fn spec_image(spec: Option<&pb::ImageSpec>) -> String {
    spec.map(|s| s.image.clone()).unwrap_or_default()
}

fn required(image: &str) -> Result<(), CallError> {
    if image.is_empty() {
        return Err(CallError::new(
            ErrorClass::InvalidInput,
            "empty-image",
            "ImageSpec.image is empty",
        ));
    }
    Ok(())
}

/// The record `image` names, `None` when none (the core's `resolve`; `image-not-known`
/// is absence, every other failure is an error).
fn lookup(caches: &Caches, image: &str) -> Result<Option<pb::Image>, CallError> {
    Ok(lookup_record(caches, image)?.map(|r| images::image(&r, &caches.facts(&r))))
}

fn lookup_record(
    caches: &Caches,
    image: &str,
) -> Result<Option<hoist_core::store::ImageRecord>, CallError> {
    let index = caches.index()?;
    match index.resolve(image) {
        Ok(r) => Ok(Some(r.clone())),
        Err(StoreError::ImageNotKnown { .. }) => Ok(None),
        Err(e) => Err(core_error(e.class(), &e)),
    }
}

#[tonic::async_trait]
impl ImageService for Service {
    async fn list_images(
        &self,
        request: Request<pb::ListImagesRequest>,
    ) -> Result<Response<pb::ListImagesResponse>, Status> {
        let started = Instant::now();
        let filter = spec_image(
            request
                .get_ref()
                .filter
                .as_ref()
                .and_then(|f| f.image.as_ref()),
        );
        let caches = self.caches.clone();
        let f = filter.clone();
        let result = blocking(move || {
            if !f.is_empty() {
                return Ok(lookup(&caches, &f)?.into_iter().collect());
            }
            Ok(caches.all_images()?.as_ref().clone())
        })
        .await
        .map(|images| pb::ListImagesResponse { images });
        finish("ListImages", &filter, started, result)
    }

    async fn image_status(
        &self,
        request: Request<pb::ImageStatusRequest>,
    ) -> Result<Response<pb::ImageStatusResponse>, Status> {
        let started = Instant::now();
        let req = request.into_inner();
        let image = spec_image(req.image.as_ref());
        let caches = self.caches.clone();
        let i = image.clone();
        let result = blocking(move || {
            required(&i)?;
            let Some(record) = lookup_record(&caches, &i)? else {
                return Ok(pb::ImageStatusResponse::default());
            };
            let facts = caches.facts(&record);
            Ok(pb::ImageStatusResponse {
                image: Some(images::image(&record, &facts)),
                info: if req.verbose {
                    images::verbose_info(&record, &facts)
                } else {
                    Default::default()
                },
            })
        })
        .await;
        finish("ImageStatus", &image, started, result)
    }

    async fn pull_image(
        &self,
        request: Request<pb::PullImageRequest>,
    ) -> Result<Response<pb::PullImageResponse>, Status> {
        let started = Instant::now();
        let req = request.into_inner();
        let image = spec_image(req.image.as_ref());
        let auth = auth_config(req.auth.as_ref());
        let result = self
            .pulls
            .pull(&image, auth)
            .await
            .map(|image_ref| pb::PullImageResponse { image_ref });
        finish("PullImage", &image, started, result)
    }

    async fn remove_image(
        &self,
        request: Request<pb::RemoveImageRequest>,
    ) -> Result<Response<pb::RemoveImageResponse>, Status> {
        let started = Instant::now();
        let image = spec_image(request.get_ref().image.as_ref());
        let pulls = self.pulls.clone();
        let i = image.clone();
        let result = blocking(move || {
            required(&i)?;
            let pulling = pulls.pulling.snapshot();
            let search = pulls
                .settings
                .registries
                .as_ref()
                .map(|c| c.unqualified_search_registries().to_vec())
                .unwrap_or_default();
            pulls
                .store
                .update(|index| {
                    index.set_search_registries(&search);
                    index.remove_all_unless_pulling(&i, &pulling)
                })
                .map(|_| pb::RemoveImageResponse {})
                .map_err(CallError::from)
        })
        .await;
        finish("RemoveImage", &image, started, result)
    }

    async fn image_fs_info(
        &self,
        _request: Request<pb::ImageFsInfoRequest>,
    ) -> Result<Response<pb::ImageFsInfoResponse>, Status> {
        let started = Instant::now();
        let root = self.pulls.store.root().to_owned();
        let result = blocking(move || {
            let usage = fsinfo::usage(&root).map_err(|e| {
                CallError::from(StoreIoError::Io {
                    op: "measure",
                    path: root.clone(),
                    source: e,
                })
            })?;
            let timestamp = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
                .unwrap_or(1)
                .max(1);
            Ok(pb::ImageFsInfoResponse {
                image_filesystems: vec![pb::FilesystemUsage {
                    timestamp,
                    fs_id: Some(pb::FilesystemIdentifier {
                        mountpoint: usage.mountpoint.to_string_lossy().into_owned(),
                    }),
                    used_bytes: Some(pb::UInt64Value {
                        value: usage.used_bytes,
                    }),
                    inodes_used: Some(pb::UInt64Value {
                        value: usage.inodes_used,
                    }),
                }],
                container_filesystems: Vec::new(),
            })
        })
        .await;
        finish("ImageFsInfo", "", started, result)
    }
}

//! `serve`: socket, service, signals, graceful shutdown.
//!
//! On SIGTERM or SIGINT the server stops accepting connections and new calls, lets the
//! calls in flight finish for up to `grace`, then cancels the pulls still running (their
//! staging is discarded, so the store is exactly as before them) and waits for their calls
//! to return. Then the socket file is removed.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::watch;
use tokio_stream::wrappers::UnixListenerStream;

use super::cache::Caches;
use super::proto::image_service_server::ImageServiceServer;
use super::pull::{PullSettings, Pulling, Pulls};
use super::service::Service;
use super::socket::CriSocket;
use crate::dedupe::PullGroup;
use crate::store::FsStore;

/// What `hoist serve --cri` was told.
pub struct ServeOptions {
    /// The socket path.
    pub socket: PathBuf,
    /// The opened store.
    pub store: FsStore,
    /// How pulls are made.
    pub pulls: PullSettings,
    /// How long calls in flight may run on after SIGTERM before pulls are cancelled.
    pub grace: Duration,
}

/// Why serving failed.
pub type ServeError = (&'static str, String);

async fn terminated() {
    let term = signal(SignalKind::terminate());
    let int = signal(SignalKind::interrupt());
    match (term, int) {
        (Ok(mut t), Ok(mut i)) => {
            tokio::select! {
                _ = t.recv() => {}
                _ = i.recv() => {}
            }
        }
        // Without signal handlers there is no graceful path; serve until killed.
        _ => std::future::pending::<()>().await,
    }
}

/// Serves the CRI image service until SIGTERM/SIGINT (see the module docs).
pub async fn serve(options: ServeOptions) -> Result<(), ServeError> {
    let (sock, listener) =
        CriSocket::bind(&options.socket).map_err(|e| (e.code(), e.to_string()))?;
    let search = options
        .pulls
        .registries
        .as_ref()
        .map(|c| c.unqualified_search_registries().to_vec())
        .unwrap_or_default();
    let caches = Arc::new(Caches::new(options.store.clone(), search));
    let (cancel_tx, cancel_rx) = watch::channel(false);
    let pulls = Arc::new(Pulls {
        store: options.store,
        settings: options.pulls,
        epoch: Instant::now(),
        group: PullGroup::new(),
        pulling: Arc::new(Pulling::default()),
        cancel: cancel_rx,
    });
    let warm = caches.clone();
    tokio::task::spawn_blocking(move || warm.warm());
    let pulling = pulls.pulling.clone();
    let service = Service { caches, pulls };
    eprintln!(
        "cri serving runtime.v1.ImageService on unix://{}",
        sock.path().display()
    );
    let grace = options.grace;
    let cancel = cancel_tx.clone();
    let shutdown = async move {
        terminated().await;
        eprintln!(
            "cri shutting down: no new calls; pulls in flight get {} ms",
            grace.as_millis()
        );
        tokio::spawn(async move {
            tokio::time::sleep(grace).await;
            let _ = cancel.send(true);
        });
    };
    let served = tonic::transport::Server::builder()
        .add_service(ImageServiceServer::new(service))
        .serve_with_incoming_shutdown(UnixListenerStream::new(listener), shutdown)
        .await;
    let _ = cancel_tx.send(true);
    // Pulls whose callers went away run on in their own tasks: let them discard their
    // staging before the runtime stops (bounded; `FsStore::open` sweeps leftovers anyway).
    for _ in 0..500 {
        if pulling.snapshot().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(sock);
    eprintln!("cri stopped");
    served.map_err(|e| ("serve-failed", e.to_string()))
}

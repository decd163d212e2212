//! Shared by the `cri_*` tests: a real `hoist serve --cri` child process and a tonic
//! client on its unix socket.

#![allow(dead_code)]

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hoist::cri::proto::image_service_client::ImageServiceClient;
use hoist::cri::proto::{self as pb};
use hyper_util::rt::TokioIo;
use tonic::transport::{Channel, Endpoint, Uri};

/// A running `hoist serve`, killed on drop.
pub struct Server {
    child: Option<Child>,
    /// The socket path.
    pub socket: PathBuf,
    /// The store directory.
    pub store: PathBuf,
    log: PathBuf,
}

/// A `hoist` command with the test environment (no user auth files, no registries.conf).
pub fn hoist_command(store: &Path) -> Command {
    hoist_testkit::hoist_command(Path::new(env!("CARGO_BIN_EXE_hoist")), store)
}

impl Server {
    /// Starts `hoist --store STORE serve --cri unix://SOCKET --plain-http EXTRA…` and waits
    /// (at most 20 s) until the socket accepts connections.
    pub fn start(store: &Path, socket: &Path, extra: &[&str]) -> Server {
        let log = socket.with_extension("log");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("log file");
        let child = hoist_command(store)
            .arg("serve")
            .arg("--cri")
            .arg(format!("unix://{}", socket.display()))
            .arg("--plain-http")
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("hoist serve starts");
        let mut server = Server {
            child: Some(child),
            socket: socket.to_owned(),
            store: store.to_owned(),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::os::unix::net::UnixStream::connect(socket).is_err() {
            if let Some(status) = server
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("hoist serve exited {status}: {}", server.log());
            }
            assert!(Instant::now() < deadline, "no socket: {}", server.log());
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    /// A server with a new store and socket in a temporary directory (removed when the
    /// returned guard drops: keep it alive as long as the server).
    pub fn in_temp_dir() -> (tempfile::TempDir, Server) {
        let dir = tempfile::tempdir().expect("tmp");
        let server = Server::start(
            &dir.path().join("store"),
            &dir.path().join("image.sock"),
            &[],
        );
        (dir, server)
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The child's pid.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or(0)
    }

    /// Sends SIGTERM and waits (at most 20 s) for the exit.
    pub fn terminate(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        signal(child.id(), "TERM");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("hoist serve ignored SIGTERM: {}", self.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A client on the socket.
    pub async fn client(&self) -> ImageServiceClient<Channel> {
        client(&self.socket).await
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Sends `SIG<name>` (`TERM`, `KILL`, `STOP`, `CONT`) to `pid`.
pub fn signal(pid: u32, name: &str) {
    use rustix::process::{kill_process, Pid, Signal};
    let sig = match name {
        "TERM" => Signal::TERM,
        "KILL" => Signal::KILL,
        "STOP" => Signal::STOP,
        "CONT" => Signal::CONT,
        other => panic!("unknown signal {other}"),
    };
    let pid = i32::try_from(pid)
        .ok()
        .and_then(Pid::from_raw)
        .expect("pid");
    kill_process(pid, sig).expect("kill");
}

/// Connects tonic to a unix socket (the URI is a placeholder; the connector ignores it).
#[derive(Clone)]
struct UnixConnector(PathBuf);

type Connecting =
    Pin<Box<dyn Future<Output = std::io::Result<TokioIo<tokio::net::UnixStream>>> + Send>>;

impl tower_service::Service<Uri> for UnixConnector {
    type Response = TokioIo<tokio::net::UnixStream>;
    type Error = std::io::Error;
    type Future = Connecting;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Uri) -> Self::Future {
        let path = self.0.clone();
        Box::pin(async move { Ok(TokioIo::new(tokio::net::UnixStream::connect(path).await?)) })
    }
}

/// A tonic client of the image service on `socket`.
pub async fn client(socket: &Path) -> ImageServiceClient<Channel> {
    // Flow-control windows that grow with the transfer (BDP estimation), as grpc-go's
    // client (kubelet, crictl) does by default; tonic's default is a fixed 64 KiB.
    let channel = Endpoint::from_static("http://hoist.invalid")
        .http2_adaptive_window(true)
        .connect_with_connector(UnixConnector(socket.to_owned()))
        .await
        .expect("connect");
    ImageServiceClient::new(channel)
}

/// An `ImageSpec` for `image`.
pub fn spec(image: &str) -> Option<pb::ImageSpec> {
    Some(pb::ImageSpec {
        image: image.to_owned(),
        ..Default::default()
    })
}

/// `PullImage(image, auth)`.
pub async fn pull(
    c: &mut ImageServiceClient<Channel>,
    image: &str,
    auth: Option<pb::AuthConfig>,
) -> Result<String, tonic::Status> {
    c.pull_image(pb::PullImageRequest {
        image: spec(image),
        auth,
        sandbox_config: None,
    })
    .await
    .map(|r| r.into_inner().image_ref)
}

/// `ListImages` with an optional filter.
pub async fn list(c: &mut ImageServiceClient<Channel>, filter: Option<&str>) -> Vec<pb::Image> {
    c.list_images(pb::ListImagesRequest {
        filter: filter.map(|f| pb::ImageFilter { image: spec(f) }),
    })
    .await
    .expect("ListImages")
    .into_inner()
    .images
}

/// `ImageStatus`.
pub async fn status(
    c: &mut ImageServiceClient<Channel>,
    image: &str,
    verbose: bool,
) -> pb::ImageStatusResponse {
    c.image_status(pb::ImageStatusRequest {
        image: spec(image),
        verbose,
    })
    .await
    .expect("ImageStatus")
    .into_inner()
}

/// `RemoveImage`.
pub async fn remove(c: &mut ImageServiceClient<Channel>, image: &str) -> Result<(), tonic::Status> {
    c.remove_image(pb::RemoveImageRequest { image: spec(image) })
        .await
        .map(|_| ())
}

/// The stable error code a status carries in its metadata.
pub fn error_code(s: &tonic::Status) -> String {
    s.metadata()
        .get("hoist-error-code")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

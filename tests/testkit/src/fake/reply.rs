//! What the fake registry sends back: a status, headers and a body that may misbehave on
//! purpose (truncated, endless, stalled, trickled). Writing a reply is the only place the
//! faults of the wire happen; everything else is ordinary HTTP/1.1 with `Connection: close`.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The longest any misbehaving body keeps a connection busy, so a test whose client
/// gave up never leaves a server thread behind for long.
pub const MAX_FAULT_TIME: Duration = Duration::from_secs(60);
/// The most bytes an endless body sends before the server gives up on its own.
pub const MAX_ENDLESS_BYTES: u64 = 1 << 30;

/// A response body, well-behaved or hostile.
#[derive(Clone, Debug)]
pub enum Body {
    /// These bytes, with a matching `Content-Length`.
    Bytes(Vec<u8>),
    /// `Content-Length: declared`, but only `bytes` are sent before the connection is
    /// closed: a truncated body, or a connection dropped mid-transfer.
    Truncated {
        /// What is sent.
        bytes: Vec<u8>,
        /// What `Content-Length` claims.
        declared: u64,
    },
    /// A chunked body that never ends (stopped by the client, [`MAX_ENDLESS_BYTES`] or
    /// [`MAX_FAULT_TIME`]).
    Endless,
    /// Headers (with `Content-Length: declared`) and `bytes`, then silence until the client
    /// gives up or [`MAX_FAULT_TIME`] passes.
    Stall {
        /// Sent before the silence.
        bytes: Vec<u8>,
        /// What `Content-Length` claims.
        declared: u64,
    },
    /// `bytes`, `chunk` bytes at a time with a pause of `every` between chunks: a
    /// slow-loris server that never goes quite silent (`chunk: 1`), or just a slow one.
    Trickle {
        /// The body.
        bytes: Vec<u8>,
        /// Bytes per write (at least 1).
        chunk: usize,
        /// The pause between two writes.
        every: Duration,
    },
}

/// A response: status, headers, body. `Content-Length` / `Transfer-Encoding` and
/// `Connection: close` are added when it is written.
#[derive(Clone, Debug)]
pub struct Reply {
    /// The status.
    pub status: u16,
    /// Header fields, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Body,
    /// Send nothing at all (not even a status line) and hold the connection open: a server
    /// that accepts and then hangs.
    pub no_head: bool,
}

impl Reply {
    /// `status` with `body`.
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Body::Bytes(body.into()),
            no_head: false,
        }
    }

    /// `status` with an empty body.
    pub fn status(status: u16) -> Reply {
        Reply::new(status, Vec::new())
    }

    /// A distribution-style error document (`{"errors":[{"code":…}]}`).
    pub fn error(status: u16, code: &str) -> Reply {
        let body = serde_json::json!({"errors": [{"code": code, "message": code.to_lowercase()}]});
        Reply::new(status, body.to_string()).header("Content-Type", "application/json")
    }

    /// A redirect (`307`) to `location`.
    pub fn redirect(location: &str) -> Reply {
        Reply::status(307).header("Location", location)
    }

    /// Accepts the request and then never answers.
    pub fn hang() -> Reply {
        Reply {
            no_head: true,
            ..Reply::status(200)
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// Replaces the body.
    pub fn body(mut self, body: Body) -> Reply {
        self.body = body;
        self
    }

    /// The value of header `name`, if set.
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body bytes for `Bytes` bodies.
    pub fn bytes(&self) -> Option<&[u8]> {
        match &self.body {
            Body::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// Writes the reply. `head_only` (a `HEAD` request) keeps the headers, drops the body.
    /// Returns when the body is done, the client went away, or `stop` is set.
    pub(crate) fn write_to<W: Write>(
        &self,
        w: &mut W,
        head_only: bool,
        stop: &AtomicBool,
    ) -> io::Result<()> {
        let started = Instant::now();
        let gone = || stop.load(Ordering::Relaxed) || started.elapsed() > MAX_FAULT_TIME;
        if self.no_head {
            while !gone() {
                std::thread::sleep(Duration::from_millis(20));
            }
            return Ok(());
        }
        let mut head = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        let has_length = self.header_value("Content-Length").is_some();
        match &self.body {
            Body::Bytes(b) if !has_length => {
                head.push_str(&format!("Content-Length: {}\r\n", b.len()))
            }
            Body::Truncated { declared, .. } | Body::Stall { declared, .. } if !has_length => {
                head.push_str(&format!("Content-Length: {declared}\r\n"))
            }
            Body::Trickle { bytes, .. } if !has_length => {
                head.push_str(&format!("Content-Length: {}\r\n", bytes.len()))
            }
            Body::Endless => head.push_str("Transfer-Encoding: chunked\r\n"),
            _ => {}
        }
        head.push_str("Connection: close\r\n\r\n");
        w.write_all(head.as_bytes())?;
        w.flush()?;
        if head_only {
            return Ok(());
        }
        match &self.body {
            Body::Bytes(b) | Body::Truncated { bytes: b, .. } => {
                w.write_all(b)?;
                w.flush()
            }
            Body::Stall { bytes, .. } => {
                w.write_all(bytes)?;
                w.flush()?;
                while !gone() {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Ok(())
            }
            Body::Trickle {
                bytes,
                chunk,
                every,
            } => {
                for c in bytes.chunks((*chunk).max(1)) {
                    if gone() {
                        break;
                    }
                    w.write_all(c)?;
                    w.flush()?;
                    std::thread::sleep(*every);
                }
                Ok(())
            }
            Body::Endless => {
                let chunk = vec![b'{'; 64 * 1024];
                let mut sent = 0u64;
                while !gone() && sent < MAX_ENDLESS_BYTES {
                    w.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())?;
                    w.write_all(&chunk)?;
                    w.write_all(b"\r\n")?;
                    sent += chunk.len() as u64;
                }
                w.flush()
            }
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        416 => "Range Not Satisfiable",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

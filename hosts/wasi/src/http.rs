//! HTTP through `wasi:http/outgoing-handler`: send exactly the request the pull machine
//! built, hand back the status and headers, and read bodies without blocking so that
//! several exchanges progress at once under one `wasi:io/poll`.
//!
//! The runtime (wasmtime-wasi-http, or any other) owns connections and TLS. It neither
//! follows redirects nor decodes bodies, which is what the machine requires of a host.
//! A runtime cannot be told to skip certificate checks, so `tls_verify: false` is not
//! honoured (the core then falls back to the registry's plain-HTTP endpoint).

use hoist_core::pull::{HttpRequest, Method, ResponseHead, TransportFailure};
use hoist_core::url::Scheme as UrlScheme;
use wasi::http::outgoing_handler;
use wasi::http::types::{
    ErrorCode, Fields, FutureIncomingResponse, IncomingBody, IncomingResponse, Method as WMethod,
    OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
};
use wasi::io::poll::Pollable;
use wasi::io::streams::{InputStream, StreamError};

/// Timeouts handed to the runtime with every request, in milliseconds.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// TCP (and TLS) connection setup.
    pub connect_ms: u64,
    /// Longest silence: before the response head, and between body bytes.
    pub idle_ms: u64,
}

const NS_PER_MS: u64 = 1_000_000;
/// Largest body write per call (`blocking-write-and-flush` takes at most 4096 bytes).
const WRITE_CHUNK: usize = 4096;

/// How a `wasi:http` error code reads as the machine's transport failure.
pub fn failure(code: &ErrorCode) -> TransportFailure {
    match code {
        ErrorCode::DnsTimeout
        | ErrorCode::DnsError(_)
        | ErrorCode::DestinationNotFound
        | ErrorCode::DestinationUnavailable
        | ErrorCode::DestinationIpProhibited
        | ErrorCode::DestinationIpUnroutable
        | ErrorCode::ConnectionRefused
        | ErrorCode::ConnectionTimeout
        | ErrorCode::ConnectionLimitReached => TransportFailure::Connect,
        ErrorCode::TlsProtocolError
        | ErrorCode::TlsCertificateError
        | ErrorCode::TlsAlertReceived(_) => TransportFailure::Tls,
        ErrorCode::ConnectionReadTimeout
        | ErrorCode::ConnectionWriteTimeout
        | ErrorCode::HttpResponseTimeout => TransportFailure::Timeout,
        _ => TransportFailure::Reset,
    }
}

/// A request on its way: the response head is not here yet.
pub struct Pending {
    future: FutureIncomingResponse,
}

/// Sends `req`. Fails only when the runtime refuses the request outright.
pub fn send(req: &HttpRequest, t: Timeouts) -> Result<Pending, TransportFailure> {
    let entries: Vec<(String, Vec<u8>)> = req
        .headers
        .iter()
        .map(|(name, value)| (name.clone(), value.expose().as_bytes().to_vec()))
        .collect();
    // A header the runtime forbids or cannot carry is the machine's bug, not the network's.
    let headers = Fields::from_list(&entries).map_err(|e| TransportFailure::Store {
        message: format!("the WASI runtime refused a request header: {e:?}"),
    })?;
    let out = OutgoingRequest::new(headers);
    let method = match req.method {
        Method::Get => WMethod::Get,
        Method::Head => WMethod::Head,
        Method::Post => WMethod::Post,
    };
    let scheme = match req.url.scheme() {
        UrlScheme::Http => Scheme::Http,
        UrlScheme::Https => Scheme::Https,
    };
    let refused = |what: &str| TransportFailure::Store {
        message: format!("the WASI runtime refused the request {what}"),
    };
    out.set_method(&method).map_err(|()| refused("method"))?;
    out.set_scheme(Some(&scheme))
        .map_err(|()| refused("scheme"))?;
    out.set_authority(Some(&req.url.authority()))
        .map_err(|()| refused("authority"))?;
    out.set_path_with_query(Some(req.url.path_and_query()))
        .map_err(|()| refused("path"))?;
    let body = out.body().map_err(|()| refused("body"))?;

    let options = RequestOptions::new();
    // Runtimes that do not support a timeout refuse to set it; the others still apply.
    let _ = options.set_connect_timeout(Some(t.connect_ms.saturating_mul(NS_PER_MS)));
    let _ = options.set_first_byte_timeout(Some(t.idle_ms.saturating_mul(NS_PER_MS)));
    let _ = options.set_between_bytes_timeout(Some(t.idle_ms.saturating_mul(NS_PER_MS)));
    let future = outgoing_handler::handle(out, Some(options)).map_err(|e| failure(&e))?;

    if let Some(secret) = &req.body {
        let stream = body.write().map_err(|()| refused("body stream"))?;
        for chunk in secret.expose().as_bytes().chunks(WRITE_CHUNK) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|_| TransportFailure::Reset)?;
        }
        drop(stream);
    }
    OutgoingBody::finish(body, None).map_err(|e| failure(&e))?;
    Ok(Pending { future })
}

impl Pending {
    /// A pollable that is ready when the head (or a failure) is.
    pub fn subscribe(&self) -> Pollable {
        self.future.subscribe()
    }

    /// The response, once it is here: `None` while still waiting.
    pub fn take(&self) -> Option<Result<(ResponseHead, Response), TransportFailure>> {
        let got = self.future.get()?;
        Some(match got {
            Ok(Ok(resp)) => {
                let headers = resp
                    .headers()
                    .entries()
                    .into_iter()
                    .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
                    .collect();
                let head = ResponseHead {
                    status: resp.status(),
                    headers,
                };
                Ok((head, Response { resp }))
            }
            Ok(Err(code)) => Err(failure(&code)),
            // The result was already taken: cannot happen, as `take` is called once.
            Err(()) => Err(TransportFailure::Reset),
        })
    }
}

/// A response whose body is not opened yet.
pub struct Response {
    resp: IncomingResponse,
}

impl Response {
    /// Opens the body for reading.
    pub fn open(self) -> Result<Body, TransportFailure> {
        let body = self.resp.consume().map_err(|()| TransportFailure::Reset)?;
        let stream = body.stream().map_err(|()| TransportFailure::Reset)?;
        Ok(Body {
            stream,
            _body: body,
            _resp: self.resp,
        })
    }
}

/// An open response body. Fields drop in order: the stream before its body, the body
/// before its response, as `wasi:http` requires of child resources.
pub struct Body {
    stream: InputStream,
    _body: IncomingBody,
    _resp: IncomingResponse,
}

/// What one non-blocking read gave.
pub enum Read {
    /// Some bytes.
    Data(Vec<u8>),
    /// Nothing yet: poll [`Body::subscribe`].
    Empty,
    /// The body ended.
    End,
}

impl Body {
    /// Reads what is available now, at most `max` bytes, without blocking.
    pub fn read(&self, max: u64) -> Result<Read, TransportFailure> {
        match self.stream.read(max) {
            Ok(bytes) if bytes.is_empty() => Ok(Read::Empty),
            Ok(bytes) => Ok(Read::Data(bytes)),
            Err(StreamError::Closed) => Ok(Read::End),
            Err(StreamError::LastOperationFailed(e)) => {
                Err(match wasi::http::types::http_error_code(&e) {
                    Some(code) => failure(&code),
                    None => TransportFailure::Reset,
                })
            }
        }
    }

    /// A pollable that is ready when bytes (or the end) are.
    pub fn subscribe(&self) -> Pollable {
        self.stream.subscribe()
    }
}

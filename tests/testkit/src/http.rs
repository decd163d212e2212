//! A deliberately small HTTP/1.1 client (plain `http://` only, one request per connection) for
//! probing the test registries and the token server, plus the request parsing the token server
//! uses. Not a general HTTP implementation: it is enough for `Content-Length`, chunked and
//! read-to-close bodies.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::{Error, Result};

const IO_TIMEOUT: Duration = Duration::from_secs(15);
const MAX_HEAD: usize = 64 * 1024;

/// An HTTP response read in full.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header fields in arrival order, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body (chunked encoding removed).
    pub body: Vec<u8>,
}

impl Response {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as (lossy) UTF-8.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> Result<serde_json::Value> {
        Ok(serde_json::from_slice(&self.body)?)
    }
}

/// `GET url` with extra `headers`.
pub fn get(url: &str, headers: &[(&str, &str)]) -> Result<Response> {
    request("GET", url, headers, None)
}

/// `POST url` with an `application/x-www-form-urlencoded` body built from `fields`.
pub fn post_form(url: &str, headers: &[(&str, &str)], fields: &[(&str, &str)]) -> Result<Response> {
    let body = form_encode(fields);
    let mut all: Vec<(&str, &str)> = headers.to_vec();
    all.push(("Content-Type", "application/x-www-form-urlencoded"));
    request("POST", url, &all, Some(body.as_bytes()))
}

/// One HTTP/1.1 request over a fresh connection (`Connection: close`). Only `http://` URLs.
pub fn request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Result<Response> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| Error::msg(format!("only http:// URLs are supported: {url}")))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let stream = TcpStream::connect(authority)
        .map_err(|e| Error::msg(format!("connecting to {authority}: {e}")))?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let mut writer = &stream;
    writer.write_all(head.as_bytes())?;
    if let Some(body) = body {
        writer.write_all(body)?;
    }
    writer.flush()?;
    read_response(BufReader::new(&stream), method == "HEAD")
}

/// Reads one response from `reader`.
pub fn read_response<R: BufRead>(mut reader: R, head_only: bool) -> Result<Response> {
    let (start, headers) = read_head(&mut reader)?;
    let mut parts = start.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/") {
        return Err(Error::msg(format!("not an HTTP response: {start:?}")));
    }
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Error::msg(format!("bad status line: {start:?}")))?;
    let no_body = head_only || status == 204 || status == 304 || (100..200).contains(&status);
    let body = if no_body {
        Vec::new()
    } else {
        read_body(&mut reader, &headers, true)?
    };
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// A request read by a server.
#[derive(Debug, Clone)]
pub struct Request {
    /// The method.
    pub method: String,
    /// The request target (path and query).
    pub target: String,
    /// Header fields in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Request {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The path part of the target.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// The decoded query parameters, in order (repeated names kept).
    pub fn query(&self) -> Vec<(String, String)> {
        match self.target.split_once('?') {
            Some((_, q)) => form_decode(q),
            None => Vec::new(),
        }
    }
}

/// Reads one request from `reader` (body by `Content-Length` only).
pub fn read_request<R: BufRead>(mut reader: R) -> Result<Request> {
    let (start, headers) = read_head(&mut reader)?;
    let mut parts = start.split(' ');
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    if method.is_empty() || !target.starts_with('/') {
        return Err(Error::msg(format!("bad request line: {start:?}")));
    }
    let body = read_body(&mut reader, &headers, false)?;
    Ok(Request {
        method,
        target,
        headers,
        body,
    })
}

/// Writes a complete response with `Connection: close`.
pub fn write_response<W: Write>(
    mut writer: W,
    status: u16,
    headers: &[(&str, &str)],
    body: &[u8],
) -> io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Status",
    };
    let mut head = format!("HTTP/1.1 {status} {reason}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    writer.write_all(head.as_bytes())?;
    writer.write_all(body)?;
    writer.flush()
}

fn read_line<R: BufRead>(reader: &mut R, budget: &mut usize) -> Result<String> {
    let mut line = Vec::new();
    let n = reader
        .by_ref()
        .take(*budget as u64)
        .read_until(b'\n', &mut line)?;
    if n == 0 {
        return Err(Error::msg("connection closed before a complete HTTP head"));
    }
    *budget = budget.saturating_sub(n);
    if !line.ends_with(b"\n") {
        return Err(Error::msg("HTTP head too large or truncated"));
    }
    while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        line.pop();
    }
    String::from_utf8(line).map_err(|_| Error::msg("HTTP head is not UTF-8"))
}

fn read_head<R: BufRead>(reader: &mut R) -> Result<(String, Vec<(String, String)>)> {
    let mut budget = MAX_HEAD;
    let start = read_line(reader, &mut budget)?;
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader, &mut budget)?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| Error::msg(format!("bad header line: {line:?}")))?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    Ok((start, headers))
}

fn find<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn read_body<R: BufRead>(
    reader: &mut R,
    headers: &[(String, String)],
    to_close: bool,
) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    if find(headers, "transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        let mut budget = usize::MAX;
        loop {
            let line = read_line(reader, &mut budget)?;
            let size_text = line.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size_text, 16)
                .map_err(|_| Error::msg(format!("bad chunk size: {line:?}")))?;
            if size == 0 {
                // Trailers until the empty line.
                while !read_line(reader, &mut budget)?.is_empty() {}
                break;
            }
            let start = body.len();
            body.resize(start + size, 0);
            reader.read_exact(&mut body[start..])?;
            read_line(reader, &mut budget)?;
        }
    } else if let Some(len) = find(headers, "content-length") {
        let len: usize = len
            .parse()
            .map_err(|_| Error::msg(format!("bad content-length: {len:?}")))?;
        body.resize(len, 0);
        reader.read_exact(&mut body)?;
    } else if to_close {
        reader.read_to_end(&mut body)?;
    }
    Ok(body)
}

/// `application/x-www-form-urlencoded` encoding of `fields`.
pub fn form_encode(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Decodes `a=b&c=d` (query strings and form bodies; `+` is a space).
pub fn form_decode(input: &str) -> Vec<(String, String)> {
    input
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn percent_encode(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for b in input.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(input: &str) -> String {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_round_trip() {
        let fields = [("scope", "repository:a/b:pull,push"), ("x", "a b+c%")];
        let encoded = form_encode(&fields);
        let decoded = form_decode(&encoded);
        assert_eq!(
            decoded[0],
            ("scope".into(), "repository:a/b:pull,push".into())
        );
        assert_eq!(decoded[1], ("x".into(), "a b+c%".into()));
        assert_eq!(form_decode("a=%4"), vec![("a".into(), "%4".into())]);
        assert_eq!(form_decode("a=%"), vec![("a".into(), "%".into())]);
    }

    #[test]
    fn parses_chunked_response() -> Result<()> {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        let resp = read_response(&raw[..], false)?;
        assert_eq!(resp.status, 200);
        assert_eq!(resp.body, b"abcde");
        Ok(())
    }
}

//! Reading one HTTP/1.x response: the head with `httparse`, then the body framed by
//! `Content-Length`, chunked transfer coding, or the end of the connection, under the size cap.
//! Generic over [`Read`] so the framing rules are tested on plain byte slices.

use std::io::{self, Read};

use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue};

/// A head larger than this is refused (hyper's default limit is about as large).
const MAX_HEAD: usize = 64 * 1024;
/// Headers per response (httparse needs a fixed array).
const MAX_HEADERS: usize = 64;
/// A chunk-size line (with extensions) or trailer line longer than this is refused.
const MAX_LINE: usize = 4096;
/// Bytes asked of the connection per read.
const READ_SIZE: usize = 16 * 1024;

/// A complete response.
#[derive(Debug)]
pub(crate) struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The connection may carry another request: keep-alive, the body read to its end, nothing
    /// unread after it.
    pub reusable: bool,
}

/// Why no complete response could be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The connection failed or timed out (a timeout is `WouldBlock`/`TimedOut`).
    Io(io::Error),
    /// The peer closed the connection before the response was complete.
    Closed,
    /// The bytes are not HTTP.
    Malformed(String),
    /// A 200 reply whose body exceeds the cap.
    TooLarge { status: u16 },
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        ReadError::Io(e)
    }
}

/// The response head, parsed and owned.
struct Head {
    status: u16,
    headers: HeaderMap,
    /// Where the body starts in the buffer.
    end: usize,
    keep_alive: bool,
    framing: Framing,
}

enum Framing {
    Empty,
    Length(u64),
    Chunked,
    UntilClose,
}

/// Reads one response from `src`. `buf` is scratch space (cleared first; kept by the caller so
/// its allocation serves the next request). A 200 body over `max` bytes is
/// [`ReadError::TooLarge`]; any other status's body is cut at `max` (and the connection is
/// then not reusable).
pub(crate) fn read_response<R: Read>(
    src: &mut R,
    buf: &mut Buf,
    max: usize,
) -> Result<Response, ReadError> {
    buf.clear();
    let head = read_head(src, buf)?;
    let status = head.status;
    let mut reusable = head.keep_alive;
    let body = match head.framing {
        Framing::Empty => {
            reusable &= buf.len() == head.end;
            Bytes::new()
        }
        Framing::Length(len) => {
            if len > max as u64 && status == 200 {
                return Err(ReadError::TooLarge { status });
            }
            let want = len.min(max as u64) as usize;
            fill_to(src, buf, head.end + want)?;
            if (want as u64) < len {
                reusable = false;
            } else {
                reusable &= buf.len() == head.end + want;
            }
            Bytes::copy_from_slice(&buf.data()[head.end..head.end + want])
        }
        Framing::Chunked => {
            let (body, complete) = read_chunked(src, buf, head.end, max, status)?;
            reusable &= complete;
            body
        }
        Framing::UntilClose => {
            reusable = false;
            loop {
                if buf.len() - head.end > max {
                    if status == 200 {
                        return Err(ReadError::TooLarge { status });
                    }
                    break;
                }
                if buf.fill(src)? == 0 {
                    break;
                }
            }
            let end = buf.len().min(head.end + max);
            Bytes::copy_from_slice(&buf.data()[head.end..end])
        }
    };
    Ok(Response {
        status,
        headers: head.headers,
        body,
        reusable,
    })
}

/// Reads and parses the head, skipping interim (1xx) responses.
fn read_head<R: Read>(src: &mut R, buf: &mut Buf) -> Result<Head, ReadError> {
    let mut start = 0;
    loop {
        let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut parsed = httparse::Response::new(&mut slots);
        match parsed.parse(&buf.data()[start..]) {
            Ok(httparse::Status::Complete(len)) => {
                let status = parsed.code.unwrap_or(0);
                if (100..200).contains(&status) && status != 101 {
                    start += len;
                    continue;
                }
                return head_of(&parsed, start + len);
            }
            Ok(httparse::Status::Partial) => {
                if buf.len() - start > MAX_HEAD {
                    return Err(ReadError::Malformed(format!(
                        "the reply's head is larger than {MAX_HEAD} bytes"
                    )));
                }
            }
            Err(e) => return Err(ReadError::Malformed(format!("invalid HTTP reply: {e}"))),
        }
        if buf.fill(src)? == 0 {
            return Err(ReadError::Closed);
        }
    }
}

fn head_of(parsed: &httparse::Response<'_, '_>, end: usize) -> Result<Head, ReadError> {
    let status = parsed.code.unwrap_or(0);
    let http11 = parsed.version == Some(1);
    let mut headers = HeaderMap::with_capacity(parsed.headers.len());
    let mut length: Option<u64> = None;
    let mut chunked = false;
    let mut transfer_encoding = false;
    let mut close = false;
    let mut keep_alive_token = false;
    for h in parsed.headers.iter() {
        let name = h.name;
        if name.eq_ignore_ascii_case("content-length") {
            let value = std::str::from_utf8(h.value)
                .ok()
                .map(str::trim)
                .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or_else(|| ReadError::Malformed("invalid Content-Length".into()))?;
            if length.is_some_and(|l| l != value) {
                return Err(ReadError::Malformed(
                    "conflicting Content-Length headers".into(),
                ));
            }
            length = Some(value);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            transfer_encoding = true;
            // Chunked must be the last coding applied; anything else ends with the connection.
            chunked = tokens(h.value)
                .last()
                .is_some_and(|t| t.eq_ignore_ascii_case(b"chunked"));
        } else if name.eq_ignore_ascii_case("connection") {
            for t in tokens(h.value) {
                close |= t.eq_ignore_ascii_case(b"close");
                keep_alive_token |= t.eq_ignore_ascii_case(b"keep-alive");
            }
        }
        // A header no HTTP library could represent is left out rather than failing the reply.
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(h.value),
        ) {
            headers.append(n, v);
        }
    }
    let framing = if status == 204 || status == 304 || (100..200).contains(&status) {
        Framing::Empty
    } else if transfer_encoding {
        if chunked {
            Framing::Chunked
        } else {
            Framing::UntilClose
        }
    } else if let Some(len) = length {
        Framing::Length(len)
    } else {
        Framing::UntilClose
    };
    // With both Transfer-Encoding and Content-Length the message is suspect: never reuse.
    let keep_alive =
        !close && (http11 || keep_alive_token) && !(transfer_encoding && length.is_some());
    Ok(Head {
        status,
        headers,
        end,
        keep_alive,
        framing,
    })
}

/// Comma-separated tokens of a header value, trimmed, empty ones skipped.
fn tokens(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(|t| t.trim_ascii())
        .filter(|t| !t.is_empty())
}

/// Decodes a chunked body starting at `pos`. Returns the body and whether the message was read
/// to its end (false when a non-200 body was cut at the cap).
fn read_chunked<R: Read>(
    src: &mut R,
    buf: &mut Buf,
    mut pos: usize,
    max: usize,
    status: u16,
) -> Result<(Bytes, bool), ReadError> {
    let mut body = Vec::new();
    loop {
        let line = read_line(src, buf, &mut pos)?;
        let size_text = line
            .split(|&b| b == b';')
            .next()
            .unwrap_or_default()
            .trim_ascii();
        let size = std::str::from_utf8(size_text)
            .ok()
            .filter(|s| !s.is_empty() && s.len() <= 16)
            .and_then(|s| u64::from_str_radix(s, 16).ok())
            .ok_or_else(|| ReadError::Malformed("invalid chunk size".into()))?;
        if size == 0 {
            // Trailers, up to the empty line.
            while !read_line(src, buf, &mut pos)?.is_empty() {}
            return Ok((Bytes::from(body), buf.len() == pos));
        }
        if body.len() as u64 + size > max as u64 {
            if status == 200 {
                return Err(ReadError::TooLarge { status });
            }
            let take = max - body.len();
            fill_to(src, buf, pos + take)?;
            body.extend_from_slice(&buf.data()[pos..pos + take]);
            return Ok((Bytes::from(body), false));
        }
        let size = size as usize;
        fill_to(src, buf, pos + size + 2)?;
        body.extend_from_slice(&buf.data()[pos..pos + size]);
        if &buf.data()[pos + size..pos + size + 2] != b"\r\n" {
            return Err(ReadError::Malformed(
                "a chunk does not end with CRLF".into(),
            ));
        }
        pos += size + 2;
        // Drop what was decoded, so many small chunks do not pile up their framing.
        if pos > READ_SIZE {
            buf.consume(pos);
            pos = 0;
        }
    }
}

/// The next CRLF-terminated line from `pos` (without the CRLF); moves `pos` past it.
fn read_line<R: Read>(src: &mut R, buf: &mut Buf, pos: &mut usize) -> Result<Vec<u8>, ReadError> {
    let mut scanned = *pos;
    loop {
        if let Some(i) = buf.data()[scanned..].windows(2).position(|w| w == b"\r\n") {
            let end = scanned + i;
            let line = buf.data()[*pos..end].to_vec();
            *pos = end + 2;
            return Ok(line);
        }
        if buf.len() - *pos > MAX_LINE {
            return Err(ReadError::Malformed("a chunk line is too long".into()));
        }
        scanned = buf.len().saturating_sub(1).max(*pos);
        if buf.fill(src)? == 0 {
            return Err(ReadError::Closed);
        }
    }
}

/// Reads until `buf` holds `len` bytes; the peer closing first is [`ReadError::Closed`].
fn fill_to<R: Read>(src: &mut R, buf: &mut Buf, len: usize) -> Result<(), ReadError> {
    while buf.len() < len {
        if buf.fill(src)? == 0 {
            return Err(ReadError::Closed);
        }
    }
    Ok(())
}

/// A read buffer: `bytes[..filled]` holds data; the rest is zeroed space kept between requests,
/// so a read never has to clear memory first.
#[derive(Default)]
pub(crate) struct Buf {
    bytes: Vec<u8>,
    filled: usize,
}

impl Buf {
    pub(crate) fn data(&self) -> &[u8] {
        &self.bytes[..self.filled]
    }

    pub(crate) fn len(&self) -> usize {
        self.filled
    }

    pub(crate) fn clear(&mut self) {
        self.filled = 0;
    }

    /// Drops the first `n` bytes.
    fn consume(&mut self, n: usize) {
        self.bytes.copy_within(n..self.filled, 0);
        self.filled -= n;
    }

    /// One read appended; 0 at the end of the stream. Interrupted reads are retried.
    fn fill<R: Read>(&mut self, src: &mut R) -> io::Result<usize> {
        if self.bytes.len() - self.filled < READ_SIZE / 4 {
            self.bytes.resize(self.filled + READ_SIZE, 0);
        }
        loop {
            match src.read(&mut self.bytes[self.filled..]) {
                Ok(n) => {
                    self.filled += n;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source handing out its bytes `step` at a time (to cross every boundary).
    struct Drip<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Drip<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(self.data.len()).min(out.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn parse(data: &[u8], max: usize) -> Result<Response, ReadError> {
        let mut last = None;
        for step in [1, 3, 7, 4096, usize::MAX] {
            let mut buf = Buf::default();
            let got = read_response(&mut Drip { data, step }, &mut buf, max);
            if let (Some(Ok(prev)), Ok(now)) = (&last, &got) {
                let prev: &Response = prev;
                assert_eq!(prev.body, now.body, "step {step}");
                assert_eq!(prev.reusable, now.reusable, "step {step}");
            }
            last = Some(got);
        }
        last.unwrap()
    }

    #[test]
    fn content_length_keep_alive() {
        let r = parse(
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello",
            100,
        )
        .unwrap();
        assert_eq!(
            (r.status, &r.body[..], r.reusable),
            (200, &b"hello"[..], true)
        );
        assert_eq!(r.headers["x-a"], "b");
    }

    #[test]
    fn connection_close_and_http10() {
        let r = parse(
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi",
            100,
        )
        .unwrap();
        assert!(!r.reusable);
        let r = parse(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi", 100).unwrap();
        assert!(!r.reusable);
        let r = parse(
            b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nhi",
            100,
        )
        .unwrap();
        assert!(r.reusable);
        // HTTP/1.0 without a length: the body ends with the connection.
        let r = parse(b"HTTP/1.0 200 OK\r\n\r\nuntil the end", 100).unwrap();
        assert_eq!((&r.body[..], r.reusable), (&b"until the end"[..], false));
    }

    #[test]
    fn chunked_with_extensions_and_trailers() {
        let r = parse(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
              5;ext=1\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: t\r\n\r\n",
            100,
        )
        .unwrap();
        assert_eq!((&r.body[..], r.reusable), (&b"hello world"[..], true));
        let r = parse(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
            100,
        )
        .unwrap();
        assert_eq!(&r.body[..], b"ok");
        assert!(matches!(
            parse(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                100
            ),
            Err(ReadError::Malformed(_))
        ));
    }

    #[test]
    fn interim_responses_are_skipped() {
        let r = parse(
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n",
            100,
        )
        .unwrap();
        assert_eq!((r.status, r.reusable), (201, true));
    }

    #[test]
    fn the_cap_refuses_a_200_and_cuts_other_statuses() {
        let over = b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world";
        assert!(matches!(
            parse(over, 10),
            Err(ReadError::TooLarge { status: 200 })
        ));
        assert_eq!(&parse(over, 11).unwrap().body[..], b"hello world");
        let r = parse(
            b"HTTP/1.1 502 Bad\r\nContent-Length: 11\r\n\r\nhello world",
            5,
        )
        .unwrap();
        assert_eq!(
            (r.status, &r.body[..], r.reusable),
            (502, &b"hello"[..], false)
        );
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n";
        assert!(matches!(
            parse(chunked, 10),
            Err(ReadError::TooLarge { .. })
        ));
        let r = parse(
            b"HTTP/1.1 500 E\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n",
            8,
        )
        .unwrap();
        assert_eq!((&r.body[..], r.reusable), (&b"hello wo"[..], false));
        let r = parse(b"HTTP/1.0 503 E\r\n\r\nhello world", 4).unwrap();
        assert_eq!(&r.body[..], b"hell");
        assert!(matches!(
            parse(b"HTTP/1.0 200 OK\r\n\r\nhello world", 4),
            Err(ReadError::TooLarge { .. })
        ));
    }

    #[test]
    fn closed_early_and_junk() {
        assert!(matches!(parse(b"", 10), Err(ReadError::Closed)));
        assert!(matches!(
            parse(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhel", 10),
            Err(ReadError::Closed)
        ));
        assert!(matches!(
            parse(b"SSH-2.0-OpenSSH\r\n\r\n", 10),
            Err(ReadError::Malformed(_))
        ));
        assert!(matches!(
            parse(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", 10),
            Err(ReadError::Malformed(_))
        ));
        // Bytes after the body that arrived with it (nothing asked for them): the connection
        // is not reused.
        let mut buf = Buf::default();
        let mut src = &b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiextra"[..];
        let r = read_response(&mut src, &mut buf, 10).unwrap();
        assert_eq!((&r.body[..], r.reusable), (&b"hi"[..], false));
    }

    #[test]
    fn no_body_statuses() {
        let r = parse(b"HTTP/1.1 204 No Content\r\n\r\n", 10).unwrap();
        assert_eq!((r.status, r.body.len(), r.reusable), (204, 0, true));
    }
}

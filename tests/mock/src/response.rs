//! Response bodies and small builders shared by the xPay and control handlers.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Response, StatusCode};
use tokio::time::Sleep;

/// Every response body: in one piece, or trickled out with pauses.
pub(crate) type Body = Either<Full<Bytes>, SlowBody>;

/// What the service returns; an `Err` makes hyper drop the connection
/// without writing anything, which is how queued `"close": true` replies work.
pub(crate) type Outcome = Result<Response<Body>, CloseConnection>;

/// Error that tells hyper to close the connection without answering.
#[derive(Debug)]
pub(crate) struct CloseConnection;

impl fmt::Display for CloseConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection closed on purpose")
    }
}

impl std::error::Error for CloseConnection {}

/// `application/json`. (A function, not a `const`: `HeaderValue` holds
/// atomics, and a `const` of it would be copied at every use anyway.)
pub(crate) fn json_content_type() -> HeaderValue {
    HeaderValue::from_static("application/json")
}

fn text_content_type() -> HeaderValue {
    HeaderValue::from_static("text/plain")
}

/// A body sent in chunks with a pause between them (never before the first,
/// which leaves with the response head). Its exact length is known, so hyper
/// sends a `Content-Length`.
pub(crate) struct SlowBody {
    chunks: VecDeque<Bytes>,
    pause: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
    remaining: u64,
}

impl SlowBody {
    /// Splits `body` into about four pieces (64 KiB pieces when it is big).
    pub(crate) fn new(body: Bytes, pause: Duration) -> Self {
        const BIG_PIECE: usize = 64 * 1024;
        let piece = body.len().div_ceil(4).clamp(1, BIG_PIECE);
        let mut chunks = VecDeque::new();
        let mut start = 0;
        while start < body.len() {
            let end = (start + piece).min(body.len());
            chunks.push_back(body.slice(start..end));
            start = end;
        }
        Self {
            chunks,
            pause,
            sleep: None,
            remaining: body.len() as u64,
        }
    }
}

impl HttpBody for SlowBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if let Some(sleep) = self.sleep.as_mut() {
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.sleep = None;
        }
        let Some(chunk) = self.chunks.pop_front() else {
            return Poll::Ready(None);
        };
        self.remaining -= chunk.len() as u64;
        if !self.chunks.is_empty() {
            self.sleep = Some(Box::pin(tokio::time::sleep(self.pause)));
        }
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

/// A response with a body in one piece and the given content type.
fn full(status: StatusCode, content_type: HeaderValue, body: impl Into<Bytes>) -> Response<Body> {
    let mut response = Response::new(Either::Left(Full::new(body.into())));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, content_type);
    response
}

/// A JSON response.
pub(crate) fn json(status: StatusCode, body: impl Into<Bytes>) -> Response<Body> {
    full(status, json_content_type(), body)
}

/// A JSON response made by serialising `value`.
pub(crate) fn json_value<T: serde::Serialize>(status: StatusCode, value: &T) -> Response<Body> {
    // Serialising maps, vectors and `Value`s cannot fail.
    json(status, serde_json::to_vec(value).unwrap_or_default())
}

/// A plain-text response.
pub(crate) fn text(status: StatusCode, body: &'static str) -> Response<Body> {
    full(status, text_content_type(), body)
}

/// `404 not found`, for unknown paths.
pub(crate) fn not_found() -> Response<Body> {
    text(StatusCode::NOT_FOUND, "not found")
}

/// `405 method not allowed`.
pub(crate) fn method_not_allowed(allow: &'static str) -> Response<Body> {
    let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
    response
        .headers_mut()
        .insert(hyper::header::ALLOW, HeaderValue::from_static(allow));
    response
}

/// `413`, for bodies over the limit.
pub(crate) fn too_large() -> Response<Body> {
    text(StatusCode::PAYLOAD_TOO_LARGE, "request body too large")
}

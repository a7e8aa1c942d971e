//! Response bodies and small builders shared by the xPay and control handlers.

use std::fmt;

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Response, StatusCode};

pub(crate) use crate::body::SlowBody;

/// Every response body: in one piece, or trickled out with pauses (and
/// maybe cut short).
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

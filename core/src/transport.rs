//! One HTTP attempt: build the POST, send it, read the reply under the size cap, and say how
//! it failed in the terms the retry policy needs. No decoding and no retrying happen here.
//!
//! Two transports carry attempts, both HTTP/1.1 clients of our own ([`crate::http1`]): hyper's
//! client connections on the caller's tokio runtime for the async faces, and the blocking
//! faces' client, whose attempt runs synchronously on the calling thread. Both go through
//! [`send`], so spans, log lines and error shapes are one.

use std::time::{Duration, Instant};

use tracing::Instrument;

use bytes::Bytes;
use http::HeaderMap;

use crate::config::Config;
use crate::error::Error;
use crate::http1::{AsyncHttp1, Http1};
use crate::retry::Failure;

/// What carries a client's attempts.
pub(crate) enum Transport<'a> {
    /// hyper's client connections and their pool; each connection's task runs on the
    /// runtime of the caller that opened it.
    Async(&'a AsyncHttp1),
    /// The blocking HTTP/1.1 client: an attempt never pends, so the request future completes
    /// in one poll on the calling thread.
    Blocking(&'a Http1),
}

impl Transport<'_> {
    /// Waits before a retry: a tokio timer, or (blocking) the calling thread sleeps.
    pub(crate) async fn sleep(&self, wait: Duration) {
        match self {
            Transport::Async(_) => tokio::time::sleep(wait).await,
            Transport::Blocking(_) => std::thread::sleep(wait),
        }
    }
}

/// A reply as received: status, headers and the whole body (at most `max_body_bytes`).
pub(crate) struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// An attempt that got no usable reply: why (for the retry policy) and the error to report.
pub(crate) struct AttemptError {
    pub failure: Option<Failure>,
    pub error: Error,
}

/// What one attempt sends.
pub(crate) struct Attempt<'a> {
    pub path: &'a str,
    pub body: &'a Bytes,
    pub bearer: Option<&'a str>,
    pub uuid: &'a str,
}

pub(crate) async fn send(
    transport: &Transport<'_>,
    config: &Config,
    attempt: Attempt<'_>,
) -> Result<Reply, AttemptError> {
    // One span per attempt, so a subscriber sees path, uuid, status and duration together.
    // Its own target: bridges to other loggers (tracing's `log` mirror) can drop the span's
    // records and keep the one summary event per request.
    let span = tracing::debug_span!(
        target: "xpay_auth::span",
        "xpay_request",
        path = attempt.path,
        uuid = attempt.uuid,
        status = tracing::field::Empty,
        elapsed_ms = tracing::field::Empty,
    );
    let started = Instant::now();
    let result = async {
        match transport {
            Transport::Async(http) => http.send(config, &attempt).await,
            Transport::Blocking(http1) => http1.send(config, &attempt),
        }
    }
    .instrument(span.clone())
    .await;
    let elapsed_ms = started.elapsed().as_secs_f64() * 1e3;
    span.record("elapsed_ms", elapsed_ms);
    let _entered = span.enter();
    match &result {
        Ok(reply) => {
            span.record("status", reply.status);
            tracing::debug!(target: "xpay_auth", path = attempt.path, uuid = attempt.uuid,
                status = reply.status, elapsed_ms, "xpay request");
        }
        Err(e) => tracing::debug!(target: "xpay_auth", path = attempt.path, uuid = attempt.uuid,
            code = e.error.code(), elapsed_ms, "xpay request failed: {}", e.error.message()),
    }
    result.map_err(|mut e| {
        e.error = e.error.with_uuid(Some(attempt.uuid.to_owned()));
        e
    })
}

/// A bearer token that cannot be a header value (a line break would let it forge headers): the
/// login reply that carried it was unusable. Nothing is sent.
pub(crate) fn bad_token() -> AttemptError {
    AttemptError {
        failure: None,
        error: Error::decode(
            "the access token of the login reply is not a valid header value (printable ASCII)",
        ),
    }
}

/// Whether `value` may go into a header as is: visible ASCII, spaces and tabs (what
/// `HeaderValue::from_str` accepts), so no line break can start a forged header.
pub(crate) fn is_header_value(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
}

//! One HTTP attempt: build the POST, send it, read the reply under the size cap, and say how
//! it failed in the terms the retry policy needs. No decoding and no retrying happen here.
//!
//! Two transports carry attempts: reqwest on tokio for the async faces, and the blocking
//! faces' own HTTP/1.1 client ([`crate::http1`]), whose attempt runs synchronously on the
//! calling thread. Both go through [`send`], so spans, log lines and error shapes are one.

use std::time::{Duration, Instant};

use tracing::Instrument;

use bytes::{Bytes, BytesMut};
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};

use crate::config::Config;
use crate::error::{Error, ErrorKind};
use crate::http1::Http1;
use crate::retry::Failure;

/// What carries a client's attempts.
pub(crate) enum Transport<'a> {
    /// reqwest's pool, on the caller's tokio runtime.
    Async(reqwest::Client),
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
            Transport::Async(http) => exchange(http, config, &attempt).await,
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

/// Sends the request and reads the reply.
async fn exchange(
    http: &reqwest::Client,
    config: &Config,
    attempt: &Attempt<'_>,
) -> Result<Reply, AttemptError> {
    let mut request = http
        .post(config.url_for(attempt.path))
        .header(CONTENT_TYPE, "application/json")
        .header("uuid", attempt.uuid)
        .body(attempt.body.clone());
    if let Some(token) = attempt.bearer {
        // Marked sensitive: HTTP libraries leave it out of their debug output.
        let mut value =
            HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| bad_token())?;
        value.set_sensitive(true);
        request = request.header(AUTHORIZATION, value);
    }
    match request.send().await {
        Ok(response) => read(response, config.max_body_bytes).await,
        Err(e) => Err(classify(e)),
    }
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

/// Reads the body, refusing more than `max` bytes (checked against `Content-Length` first, then
/// while streaming, so a huge reply never sits in memory).
///
/// Only a 200 reply must be a whole envelope, so only there is an oversize body a `decode`
/// error. Any other status decides by itself (e.g. a proxy's huge 502 page is still a 502, and
/// retried as one): its body is cut at the limit.
async fn read(mut response: reqwest::Response, max: usize) -> Result<Reply, AttemptError> {
    let status = response.status().as_u16();
    let too_large = || AttemptError {
        failure: None,
        error: Error::decode(format!("the reply is larger than the {max}-byte limit"))
            .with_status(status),
    };
    let declared = response
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut body = BytesMut::with_capacity(declared.unwrap_or(0).min(max as u64) as usize);
    if declared.is_some_and(|len| len > max as u64) {
        if status == 200 {
            return Err(too_large());
        }
    } else {
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if body.len() + chunk.len() > max {
                if status == 200 {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk[..max - body.len()]);
                break;
            }
            body.extend_from_slice(&chunk);
        }
    }
    Ok(Reply {
        status,
        headers: std::mem::take(response.headers_mut()),
        body: body.freeze(),
    })
}

/// Maps a transport failure to an error code and to what the retry policy needs to know.
fn classify(e: reqwest::Error) -> AttemptError {
    let (failure, kind, what) = if e.is_timeout() {
        (
            Failure::TimedOut,
            ErrorKind::Timeout,
            "the request timed out",
        )
    } else if e.is_connect() {
        (
            Failure::NotSent,
            ErrorKind::Connection,
            "could not connect to the server",
        )
    } else {
        (
            Failure::Broken,
            ErrorKind::Connection,
            "the connection failed",
        )
    };
    // reqwest's message names the URL, never headers or bodies, so it carries no secret.
    let detail = root_cause(&e);
    let error = Error::new(kind, format!("{what}: {detail}")).with_source(e);
    AttemptError {
        failure: Some(failure),
        error,
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

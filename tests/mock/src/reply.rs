//! Queued replies: canned responses that tests line up for a path, served
//! before (instead of) the built-in xPay behaviour.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::header::{HeaderName, HeaderValue, CONNECTION, CONTENT_TYPE};
use hyper::{Response, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::body::Pacing;
use crate::placeholder::Placeholders;
use crate::response::{json_content_type, Body, CloseConnection, Outcome, SlowBody};
use crate::state::Shared;

/// A canned response, queued with [`MockServer::queue`](crate::MockServer::queue)
/// or `POST /__mock/queue`.
///
/// Every field is optional in JSON. Placeholders in `body`, in `json`
/// strings and in header values are filled in when the reply is sent:
/// `{{now_ms}}`, `{{now_ms+N}}`, `{{now_ms-N}}` (Unix ms), `{{http_date}}`,
/// `{{http_date+N}}`, `{{http_date-N}}` (an IMF-fixdate; N in seconds,
/// `Nms` in milliseconds),
/// `{{uuid}}`, `{{request_body}}` (the request body's exact text) and
/// `{{request_headers}}` (`name: value` lines joined by `\n`). A `json`
/// string that is exactly a `now_ms` placeholder becomes a JSON number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Reply {
    /// HTTP status (default 200).
    pub status: u16,
    /// Extra response headers; a `Content-Type` here replaces the default
    /// `application/json`, a `Date` here replaces hyper's automatic one.
    pub headers: BTreeMap<String, String>,
    /// Raw body text. Wins over `json` when both are given.
    pub body: Option<String>,
    /// A JSON value, serialised as the body.
    pub json: Option<Value>,
    /// Spaces appended to the body: an oversize but still valid JSON reply.
    pub pad_bytes: usize,
    /// Pause before sending the response head, in ms.
    pub delay_ms: u64,
    /// Send the body in pieces (of `chunk_bytes`, else about 4, or 64 KiB
    /// each for big bodies) with this pause between them, in ms.
    pub chunk_delay_ms: u64,
    /// Bytes per body piece; `0` lets `chunk_delay_ms` pick (about 4 pieces).
    pub chunk_bytes: usize,
    /// Send the head (with the full `Content-Length`) and only this many body
    /// bytes, then close the connection: a reply closed mid-body. At or above
    /// the body's length the whole body is sent, then the connection closed.
    pub close_after_bytes: Option<usize>,
    /// Close the connection without answering anything (after `delay_ms`).
    pub close: bool,
}

impl Default for Reply {
    /// An empty `200` reply.
    fn default() -> Self {
        Self {
            status: 200,
            headers: BTreeMap::new(),
            body: None,
            json: None,
            pad_bytes: 0,
            delay_ms: 0,
            chunk_delay_ms: 0,
            chunk_bytes: 0,
            close_after_bytes: None,
            close: false,
        }
    }
}

impl Reply {
    /// A `200` reply whose body is `value` serialised.
    pub fn json(value: Value) -> Self {
        Self {
            json: Some(value),
            ..Self::default()
        }
    }

    /// A `200` reply with a raw body.
    pub fn text(body: impl Into<String>) -> Self {
        Self {
            body: Some(body.into()),
            ..Self::default()
        }
    }

    /// A reply with this status and an empty body.
    pub fn empty(status: u16) -> Self {
        Self::default().with_status(status)
    }

    /// A "reply" that closes the connection without answering.
    pub fn closing() -> Self {
        Self {
            close: true,
            ..Self::default()
        }
    }

    /// Sets the HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// Adds a response header.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.insert(name.into(), value.into());
        self
    }

    /// Appends `n` spaces to the body.
    pub fn with_pad_bytes(mut self, n: usize) -> Self {
        self.pad_bytes = n;
        self
    }

    /// Waits `ms` before sending the response head.
    pub fn with_delay_ms(mut self, ms: u64) -> Self {
        self.delay_ms = ms;
        self
    }

    /// Sends the body in pieces with `ms` between them.
    pub fn with_chunk_delay_ms(mut self, ms: u64) -> Self {
        self.chunk_delay_ms = ms;
        self
    }

    /// Sends the body in pieces of `n` bytes (with `chunk_delay_ms` between them).
    pub fn with_chunk_bytes(mut self, n: usize) -> Self {
        self.chunk_bytes = n;
        self
    }

    /// Sends only the first `n` body bytes (after a head declaring the full
    /// length), then closes the connection.
    pub fn with_close_after_bytes(mut self, n: usize) -> Self {
        self.close_after_bytes = Some(n);
        self
    }

    /// Checks that the status and headers can be sent, so a mistake is
    /// reported when the reply is queued rather than silently dropped later.
    pub fn validate(&self) -> Result<(), String> {
        StatusCode::from_u16(self.status)
            .map_err(|_| format!("invalid HTTP status {}", self.status))?;
        for (name, value) in &self.headers {
            HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("invalid header name {name:?}"))?;
            HeaderValue::from_str(value)
                .map_err(|_| format!("invalid value for header {name:?}"))?;
        }
        Ok(())
    }
}

/// Sends `reply` for a request on `path`; `placeholders` come from the request.
pub(crate) async fn send(
    shared: &Shared,
    reply: Reply,
    path: &str,
    placeholders: &Placeholders<'_>,
) -> Outcome {
    if reply.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(reply.delay_ms)).await;
    }
    if reply.close {
        return Err(CloseConnection);
    }
    let body = render_body(shared, &reply, path, placeholders);
    let pacing = Pacing {
        chunk_bytes: reply.chunk_bytes,
        pause: Duration::from_millis(reply.chunk_delay_ms),
        cut_after: reply.close_after_bytes,
    };
    let close_after = reply.close_after_bytes.is_some_and(|n| n >= body.len());
    let body: Body = if pacing != Pacing::default() && !body.is_empty() {
        Either::Right(SlowBody::new(body, pacing))
    } else {
        Either::Left(Full::new(body))
    };
    let mut response = with_head(Response::new(body), &reply, placeholders);
    if close_after {
        // The whole body fits: send it, then close instead of keeping alive.
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    Ok(response)
}

/// The reply's body with placeholders filled in and padding added. A login
/// reply that hands out a token registers it, so `/client/echo` accepts it.
fn render_body(
    shared: &Shared,
    reply: &Reply,
    path: &str,
    placeholders: &Placeholders<'_>,
) -> Bytes {
    let mut bytes = match (&reply.body, &reply.json) {
        (Some(text), _) => placeholders.text(text).into_bytes(),
        (None, Some(json)) => {
            let json = placeholders.json(json.clone());
            if path == crate::xpay::LOGIN_PATH {
                register_login_token(shared, &json, placeholders.now_ms);
            }
            serde_json::to_vec(&json).unwrap_or_default()
        }
        (None, None) => Vec::new(),
    };
    bytes.resize(bytes.len() + reply.pad_bytes, b' ');
    Bytes::from(bytes)
}

/// Status and headers: `application/json` unless the reply names its own
/// type. A `Date` given here is the only one sent: hyper adds its own only
/// when the response has none.
fn with_head(
    mut response: Response<Body>,
    reply: &Reply,
    placeholders: &Placeholders<'_>,
) -> Response<Body> {
    *response.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, json_content_type());
    for (name, value) in &reply.headers {
        // Validated when queued over HTTP; replies queued from Rust may still
        // hold bad ones, which are skipped rather than failing the response.
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(placeholders.header(value).as_bytes()),
        ) {
            headers.insert(name, value);
        }
    }
    response
}

/// Registers `success.data.access_token` of a queued login reply, valid until
/// its `expiresAt` (or for the configured lifetime when that is missing).
fn register_login_token(shared: &Shared, json: &Value, now: u64) {
    let data = &json["success"]["data"];
    let Some(token) = data["access_token"].as_str() else {
        return;
    };
    let expires_at = match &data["expiresAt"] {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    let expires_at = expires_at.unwrap_or_else(|| now.saturating_add(shared.token_ttl_ms()));
    shared.register_token(token, expires_at);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reply_deserialises_with_defaults() {
        let r: Reply = serde_json::from_value(json!({"json": {"x": 1}})).unwrap();
        assert_eq!(r, Reply::json(json!({"x": 1})));
        assert!(serde_json::from_value::<Reply>(json!({"stauts": 500})).is_err());
        let r: Reply =
            serde_json::from_value(json!({"chunk_bytes": 1, "close_after_bytes": 5})).unwrap();
        assert_eq!(
            r,
            Reply::default()
                .with_chunk_bytes(1)
                .with_close_after_bytes(5)
        );
    }

    #[test]
    fn validate_rejects_bad_status_and_headers() {
        assert!(Reply::empty(1000).validate().is_err());
        assert!(Reply::empty(503)
            .with_header("Bad Name", "x")
            .validate()
            .is_err());
        assert!(Reply::empty(503)
            .with_header("Retry-After", "0")
            .validate()
            .is_ok());
        assert!(Reply::empty(503)
            .with_header("Date", "{{http_date-5000}}")
            .validate()
            .is_ok());
    }
}

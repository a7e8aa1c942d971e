//! Queued replies: canned responses that tests line up for a path, served
//! before (instead of) the built-in xPay behaviour.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use hyper::{Response, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::response::{json_content_type, Body, CloseConnection, Outcome, SlowBody};
use crate::state::{now_ms, Shared};

/// A canned response, queued with [`MockServer::queue`](crate::MockServer::queue)
/// or `POST /__mock/queue`.
///
/// Every field is optional in JSON. `{{now_ms}}`, `{{now_ms+N}}`,
/// `{{now_ms-N}}` and `{{uuid}}` in `body` and in `json` strings are replaced
/// when the reply is sent; a `json` string that is exactly a `now_ms`
/// placeholder becomes a JSON number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Reply {
    /// HTTP status (default 200).
    pub status: u16,
    /// Extra response headers; a `Content-Type` here replaces the default
    /// `application/json`.
    pub headers: BTreeMap<String, String>,
    /// Raw body text. Wins over `json` when both are given.
    pub body: Option<String>,
    /// A JSON value, serialised as the body.
    pub json: Option<Value>,
    /// Spaces appended to the body: an oversize but still valid JSON reply.
    pub pad_bytes: usize,
    /// Pause before sending the response head, in ms.
    pub delay_ms: u64,
    /// Send the body in pieces (about 4, or 64 KiB each for big bodies) with
    /// this pause between them, in ms.
    pub chunk_delay_ms: u64,
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

/// Sends `reply` for a request on `path` whose uuid is `uuid`.
pub(crate) async fn send(shared: &Shared, reply: Reply, path: &str, uuid: &str) -> Outcome {
    if reply.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(reply.delay_ms)).await;
    }
    if reply.close {
        return Err(CloseConnection);
    }
    let body = render_body(shared, &reply, path, uuid);
    let body: Body = if reply.chunk_delay_ms > 0 && !body.is_empty() {
        Either::Right(SlowBody::new(
            body,
            Duration::from_millis(reply.chunk_delay_ms),
        ))
    } else {
        Either::Left(Full::new(body))
    };
    Ok(with_head(Response::new(body), &reply))
}

/// The reply's body with placeholders filled in and padding added. A login
/// reply that hands out a token registers it, so `/client/echo` accepts it.
fn render_body(shared: &Shared, reply: &Reply, path: &str, uuid: &str) -> Bytes {
    let now = now_ms();
    let mut bytes = match (&reply.body, &reply.json) {
        (Some(text), _) => expand_text(text, now, uuid).into_bytes(),
        (None, Some(json)) => {
            let json = expand_json(json.clone(), now, uuid);
            if path == crate::xpay::LOGIN_PATH {
                register_login_token(shared, &json, now);
            }
            serde_json::to_vec(&json).unwrap_or_default()
        }
        (None, None) => Vec::new(),
    };
    bytes.resize(bytes.len() + reply.pad_bytes, b' ');
    Bytes::from(bytes)
}

/// Status and headers: `application/json` unless the reply names its own type.
fn with_head(mut response: Response<Body>, reply: &Reply) -> Response<Body> {
    *response.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, json_content_type());
    for (name, value) in &reply.headers {
        // Validated when queued over HTTP; replies queued from Rust may still
        // hold bad ones, which are skipped rather than failing the response.
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
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

/// Fills placeholders in every string of `value`; a string that is exactly
/// a `now_ms` placeholder becomes a number.
pub(crate) fn expand_json(value: Value, now: u64, uuid: &str) -> Value {
    match value {
        Value::String(s) => {
            if let Some(ms) = whole_now_placeholder(&s, now) {
                Value::from(ms)
            } else if s.contains("{{") {
                Value::String(expand_text(&s, now, uuid))
            } else {
                Value::String(s)
            }
        }
        Value::Array(items) => items
            .into_iter()
            .map(|v| expand_json(v, now, uuid))
            .collect(),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, expand_json(v, now, uuid)))
                .collect(),
        ),
        other => other,
    }
}

/// The value of `s` if it is exactly one `{{now_ms...}}` placeholder.
fn whole_now_placeholder(s: &str, now: u64) -> Option<u64> {
    let inner = s.strip_prefix("{{")?.strip_suffix("}}")?;
    now_placeholder(inner, now)
}

/// Replaces every known `{{...}}` placeholder in `text`; unknown ones stay.
pub(crate) fn expand_text(text: &str, now: u64, uuid: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            break;
        };
        out.push_str(&rest[..start]);
        let inner = &after[..end];
        match (inner, now_placeholder(inner, now)) {
            (_, Some(ms)) => out.push_str(&ms.to_string()),
            ("uuid", None) => out.push_str(uuid),
            _ => {
                out.push_str("{{");
                out.push_str(inner);
                out.push_str("}}");
            }
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Evaluates `now_ms`, `now_ms+N` or `now_ms-N` (clamped at 0).
fn now_placeholder(inner: &str, now: u64) -> Option<u64> {
    let offset = inner.trim().strip_prefix("now_ms")?.trim();
    if offset.is_empty() {
        return Some(now);
    }
    let (negative, digits) = if let Some(digits) = offset.strip_prefix('+') {
        (false, digits)
    } else {
        (true, offset.strip_prefix('-')?)
    };
    let n: u64 = digits.trim().parse().ok()?;
    Some(if negative {
        now.saturating_sub(n)
    } else {
        now.saturating_add(n)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_placeholders_are_replaced() {
        let out = expand_text(
            "a {{now_ms}} b {{now_ms+5}} c {{now_ms-5}} {{uuid}}",
            100,
            "U",
        );
        assert_eq!(out, "a 100 b 105 c 95 U");
    }

    #[test]
    fn unknown_and_unclosed_placeholders_stay() {
        assert_eq!(expand_text("{{nope}} x", 1, "U"), "{{nope}} x");
        assert_eq!(expand_text("x {{now_ms", 1, "U"), "x {{now_ms");
        assert_eq!(expand_text("{{now_ms+x}}", 1, "U"), "{{now_ms+x}}");
        assert_eq!(expand_text("{{now_msé}}", 1, "U"), "{{now_msé}}");
    }

    #[test]
    fn whole_json_placeholder_becomes_a_number() {
        let v = json!({"a": "{{now_ms+600000}}", "b": ["t={{now_ms}}", "{{uuid}}"], "c": 1});
        let out = expand_json(v, 1000, "U");
        assert_eq!(out, json!({"a": 601000, "b": ["t=1000", "U"], "c": 1}));
    }

    #[test]
    fn negative_offsets_clamp_at_zero() {
        assert_eq!(whole_now_placeholder("{{now_ms-5000}}", 10), Some(0));
    }

    #[test]
    fn reply_deserialises_with_defaults() {
        let r: Reply = serde_json::from_value(json!({"json": {"x": 1}})).unwrap();
        assert_eq!(r, Reply::json(json!({"x": 1})));
        assert!(serde_json::from_value::<Reply>(json!({"stauts": 500})).is_err());
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
    }

    #[test]
    fn slow_body_pieces() {
        let body = SlowBody::new(Bytes::from(vec![b'x'; 10]), Duration::ZERO);
        assert_eq!(
            hyper::body::Body::size_hint(&body).exact(),
            Some(10),
            "length must be exact so a Content-Length is sent"
        );
    }
}

//! Per-request dispatch: reads the body, then routes to the control
//! endpoints, a queued reply, or the built-in xPay behaviour.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::{Body as _, Incoming};
use hyper::header::AUTHORIZATION;
use hyper::http::request::Parts;
use hyper::{HeaderMap, Method, Request};
use uuid::Uuid;

use crate::control::{self, CONTROL_PREFIX};
use crate::placeholder::Placeholders;
use crate::reply;
use crate::response::{self, CloseConnection, Outcome};
use crate::state::{now_ms, Shared};
use crate::xpay::{self, ECHO_PATH, LOGIN_PATH};

/// Largest request body accepted; bigger ones get `413`.
pub const MAX_REQUEST_BODY: usize = 8 * 1024 * 1024;

/// Why a request body could not be used.
enum BodyError {
    TooLarge,
    /// The client went away or sent a malformed body: nothing to answer.
    Broken,
}

/// The service function: answers one request.
pub(crate) async fn handle(shared: Arc<Shared>, request: Request<Incoming>) -> Outcome {
    let (parts, body) = request.into_parts();
    let body = match read_body(body).await {
        Ok(body) => Some(body),
        Err(BodyError::TooLarge) => None,
        Err(BodyError::Broken) => return Err(CloseConnection),
    };
    if let Some(name) = parts.uri.path().strip_prefix(CONTROL_PREFIX) {
        return Ok(match body {
            Some(body) => control::handle(&shared, &parts.method, name, parts.uri.query(), &body),
            None => response::too_large(),
        });
    }
    handle_xpay(&shared, parts, body).await
}

/// A request on a non-control path: counted, recorded, then answered by a
/// queued reply if one waits, else by the built-in endpoints.
async fn handle_xpay(shared: &Shared, parts: Parts, body: Option<Bytes>) -> Outcome {
    let uuid = request_uuid(&parts.headers);
    let bearer = bearer_token(&parts.headers);
    let Parts {
        method,
        uri,
        headers,
        ..
    } = parts;
    let path = uri.path().to_owned();
    let Some(body) = body else {
        // Counted and recorded (without its body), but it does not use up a
        // queued reply: that reply is meant for a request the mock can read.
        shared.note_request(method, uri, headers, Bytes::new(), false);
        return Ok(response::too_large());
    };
    let queued = shared.note_request(method.clone(), uri, headers, body.clone(), true);
    if let Some((queued, headers)) = queued {
        let placeholders = Placeholders {
            now_ms: now_ms(),
            uuid: &uuid,
            body: &body,
            headers: &headers,
        };
        return reply::send(shared, queued, &path, &placeholders).await;
    }
    Ok(match (path.as_str(), method == Method::POST) {
        (LOGIN_PATH, true) => xpay::authenticate(shared, &body, &uuid),
        (ECHO_PATH, true) => xpay::echo(shared, bearer.as_deref(), &body, &uuid),
        (LOGIN_PATH | ECHO_PATH, false) => response::method_not_allowed("POST"),
        _ => response::not_found(),
    })
}

/// Reads the whole body, refusing more than [`MAX_REQUEST_BODY`] bytes.
async fn read_body(body: Incoming) -> Result<Bytes, BodyError> {
    // A declared Content-Length over the limit is refused without reading.
    if body.size_hint().lower() > MAX_REQUEST_BODY as u64 {
        return Err(BodyError::TooLarge);
    }
    match Limited::new(body, MAX_REQUEST_BODY).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(BodyError::TooLarge),
        Err(_) => Err(BodyError::Broken),
    }
}

/// The request's `uuid` header, or a fresh v4 uuid when it has none.
fn request_uuid(headers: &HeaderMap) -> String {
    headers
        .get("uuid")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map_or_else(|| Uuid::new_v4().hyphenated().to_string(), str::to_owned)
}

/// The token of an `Authorization: Bearer <token>` header.
fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn headers(name: &'static str, value: &'static str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(name, HeaderValue::from_static(value));
        map
    }

    #[test]
    fn bearer_tokens_are_parsed() {
        let token = |v| bearer_token(&headers("authorization", v));
        assert_eq!(token("Bearer abc").as_deref(), Some("abc"));
        assert_eq!(token("bearer  abc ").as_deref(), Some("abc"));
        assert_eq!(token("Basic abc"), None);
        assert_eq!(token("Bearer"), None);
        assert_eq!(token("Bearer "), None);
    }

    #[test]
    fn uuid_header_is_used_or_made_up() {
        assert_eq!(request_uuid(&headers("uuid", "abc")), "abc");
        let made = request_uuid(&HeaderMap::new());
        assert!(Uuid::parse_str(&made).is_ok(), "{made}");
    }
}

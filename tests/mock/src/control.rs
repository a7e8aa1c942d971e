//! Control endpoints under `/__mock/`: tests use them to script replies and
//! to inspect what the mock received. They are neither counted nor recorded.

use hyper::{Method, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;

use crate::config::ResetConfig;
use crate::reply::Reply;
use crate::response::{self, Body};
use crate::state::Shared;

/// Prefix of every control path.
pub const CONTROL_PREFIX: &str = "/__mock/";

/// Body of `/__mock/queue`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QueueRequest {
    path: String,
    replies: Vec<Reply>,
}

/// Answers a control request; `name` is the path after `/__mock/`.
pub(crate) fn handle(
    shared: &Shared,
    method: &Method,
    name: &str,
    query: Option<&str>,
    body: &[u8],
) -> Response<Body> {
    if method != Method::GET && method != Method::POST {
        return response::method_not_allowed("GET, POST");
    }
    let result = match name {
        "queue" => queue(shared, body),
        "counts" => Ok(response::json_value(StatusCode::OK, &shared.counts())),
        "connections" => Ok(response::json_value(
            StatusCode::OK,
            &shared.connections.stats(),
        )),
        "requests" => Ok(requests(shared, query)),
        "reset" => parse_optional::<ResetConfig>(body).map(|changes| {
            shared.reset(changes);
            ok()
        }),
        "config" => parse_optional::<ResetConfig>(body).map(|changes| {
            shared.configure(changes.unwrap_or_default());
            ok()
        }),
        "revoke" => {
            shared.revoke_tokens();
            Ok(ok())
        }
        _ => return response::not_found(),
    };
    result.unwrap_or_else(|message| {
        response::json_value(StatusCode::BAD_REQUEST, &json!({"error": message}))
    })
}

/// `/__mock/queue`: appends replies to a path's queue.
fn queue(shared: &Shared, body: &[u8]) -> Result<Response<Body>, String> {
    let request: QueueRequest =
        serde_json::from_slice(body).map_err(|e| format!("invalid queue request: {e}"))?;
    if !request.path.starts_with('/') || request.path.starts_with(CONTROL_PREFIX) {
        return Err(format!(
            "cannot queue replies for {:?}: the path must start with '/' and not be a control path",
            request.path
        ));
    }
    for (i, reply) in request.replies.iter().enumerate() {
        reply.validate().map_err(|e| format!("reply {i}: {e}"))?;
    }
    let queued = shared.queue(&request.path, request.replies);
    Ok(response::json_value(
        StatusCode::OK,
        &json!({"ok": true, "queued": queued}),
    ))
}

/// `/__mock/requests[?path=...]`: the last requests, oldest first.
fn requests(shared: &Shared, query: Option<&str>) -> Response<Body> {
    let path = query.and_then(|q| query_param(q, "path"));
    response::json_value(StatusCode::OK, &shared.recorded(path.as_deref()))
}

/// Parses an optional JSON body: empty or `null` means "nothing given".
fn parse_optional<T: DeserializeOwned>(body: &[u8]) -> Result<Option<T>, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(body).map_err(|e| format!("invalid settings: {e}"))
}

fn ok() -> Response<Body> {
    response::json(StatusCode::OK, &br#"{"ok":true}"#[..])
}

/// The percent-decoded value of `name` in a query string.
fn query_param(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| percent_decode(value))
}

/// Decodes `%XX` escapes and `+` (a space in form encoding); keeps bad escapes as is.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (other, _) => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_params_are_found_and_decoded() {
        assert_eq!(
            query_param("a=1&path=%2Fclient%2Fecho", "path").as_deref(),
            Some("/client/echo")
        );
        assert_eq!(
            query_param("path=/client/echo", "path").as_deref(),
            Some("/client/echo")
        );
        assert_eq!(query_param("a=1", "path"), None);
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%+1a+b"), "% 1a b");
    }
}

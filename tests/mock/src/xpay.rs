//! The fake xPay.Stream endpoints: login and an authenticated echo.

use hyper::{Response, StatusCode};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::config::UuidPlacement;
use crate::response::{self, Body};
use crate::state::Shared;

/// The login endpoint.
pub const LOGIN_PATH: &str = "/client/authenticate";
/// An authenticated endpoint that answers with the request body.
pub const ECHO_PATH: &str = "/client/echo";

/// A login request. `isAPI` is taken as given (the vendor's own example
/// sends the string `"true"`), so it is kept as a raw value.
#[derive(Deserialize)]
struct LoginRequest {
    username: String,
    #[serde(rename = "secretKey")]
    secret_key: String,
    #[serde(rename = "isAPI", default)]
    is_api: Option<Value>,
}

/// `POST /client/authenticate`.
pub(crate) fn authenticate(shared: &Shared, body: &[u8], uuid: &str) -> Response<Body> {
    let Ok(request) = serde_json::from_slice::<LoginRequest>(body) else {
        return business_error("invalid request", Value::Null, uuid);
    };
    // Made before locking (wasted only on bad credentials), so the lock is
    // not held across the random-number calls.
    let token = new_access_token();
    let Some(login) = shared.login(&request.username, &request.secret_key, &token) else {
        return business_error("invalid credentials", json!({"invalid": true}), uuid);
    };
    let is_api = match request.is_api {
        Some(Value::Bool(b)) => b,
        _ => true,
    };
    let data = json!({
        "success": true,
        "expiresAt": login.expires_at,
        "user": {"username": request.username, "scopes": ["tme_user"], "isAPI": is_api},
        "ticket": Uuid::new_v4().simple().to_string(),
        "access_token": token,
    });
    let body = match login.uuid_placement {
        UuidPlacement::TopLevel => {
            json!({"success": {"message": "Authenticated", "data": data}, "uuid": uuid})
        }
        UuidPlacement::Nested => {
            json!({"success": {"message": "Authenticated", "data": data, "uuid": uuid}})
        }
    };
    response::json_value(StatusCode::OK, &body)
}

/// `POST /client/echo`: needs a live bearer token; answers with the body.
pub(crate) fn echo(
    shared: &Shared,
    bearer: Option<&str>,
    body: &[u8],
    uuid: &str,
) -> Response<Body> {
    if !bearer.is_some_and(|token| shared.token_valid(token)) {
        return envelope_error(StatusCode::UNAUTHORIZED, "unauthorized", Value::Null, uuid);
    }
    let data: &str = if body.iter().all(u8::is_ascii_whitespace) {
        "null"
    } else if let Ok(raw) = serde_json::from_slice::<&RawValue>(body) {
        raw.get()
    } else {
        return business_error("invalid request", Value::Null, uuid);
    };
    // The body is valid JSON, so its exact text (big numbers, escapes and
    // all) is spliced in instead of being parsed into a tree and written out
    // again: a faithful echo, and the hot path of the benchmarks.
    let mut out = Vec::with_capacity(data.len() + 96);
    out.extend_from_slice(br#"{"success":{"message":"OK","data":"#);
    out.extend_from_slice(data.as_bytes());
    out.extend_from_slice(br#"},"uuid":"#);
    push_json_string(&mut out, uuid);
    out.push(b'}');
    response::json(StatusCode::OK, out)
}

/// A business error: HTTP 200 with an error envelope.
fn business_error(message: &str, data: Value, uuid: &str) -> Response<Body> {
    envelope_error(StatusCode::OK, message, data, uuid)
}

/// `{"error": {"message", "data", "tag"}, "uuid"}` with the given status.
fn envelope_error(status: StatusCode, message: &str, data: Value, uuid: &str) -> Response<Body> {
    let tag = Uuid::new_v4().hyphenated().to_string();
    let body = json!({"error": {"message": message, "data": data, "tag": tag}, "uuid": uuid});
    response::json_value(status, &body)
}

/// Appends `s` as a JSON string literal (escaped: it may come from a header).
fn push_json_string(out: &mut Vec<u8>, s: &str) {
    // Writing a `&str` into a `Vec` cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// A fresh, unique, JWT-looking access token: `eyJ` and 44 URL-safe characters.
pub(crate) fn new_access_token() -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut token = String::with_capacity(47);
    token.push_str("eyJ");
    // v4 uuids are the crate's random source; 64 divides 256, so `b % 64` is
    // unbiased (the few fixed version bits only make some characters likelier).
    let random = [Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4()];
    for byte in random.iter().flat_map(|u| u.as_bytes()).take(44) {
        token.push(char::from(ALPHABET[usize::from(byte % 64)]));
    }
    token
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_tokens_look_like_jwts_and_differ() {
        let a = new_access_token();
        let b = new_access_token();
        assert!(a.starts_with("eyJ") && a.len() == 47, "{a}");
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_ne!(a, b);
    }

    #[test]
    fn json_strings_are_escaped() {
        let mut out = Vec::new();
        push_json_string(&mut out, "a\"b");
        assert_eq!(out, br#""a\"b""#);
    }
}

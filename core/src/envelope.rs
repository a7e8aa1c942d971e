//! The one decoder of xPay replies. Every reply, of the login or of any other call, goes through
//! [`decode`] once; the vendor's inconsistencies (see `protocol.md`) are absorbed here and
//! nowhere else:
//!
//! - `uuid` at the top level beside `success`/`error`, or nested inside `success` (the login
//!   page): both accepted, the top level preferred, and the uuid we sent as the last resort;
//! - unknown fields ignored; `error.data` any JSON;
//! - non-200 replies whose body is plain text, HTML or empty.
//!
//! Malformed input is a `decode` error, never a panic and never an empty token.

use std::collections::BTreeMap;

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::authentication::{Authentication, User};
use crate::error::{Error, ErrorKind, Result};
use crate::scrub::Secrets;

/// A decoded business success: `success.message`, `success.data` and the request's uuid.
///
/// `raw_data` is `success.data` exactly as the server wrote it (every digit and space), for
/// `call_raw` and the C face; `data` is the same parsed, unless the endpoint is
/// [`Endpoint::RawCall`] (then `Null`: nobody reads it).
#[derive(Debug, Clone)]
pub(crate) struct Success {
    pub message: String,
    pub data: Value,
    pub raw_data: Box<RawValue>,
    pub uuid: String,
    /// The reply's `Date` header (ms since the epoch), set by `Client::post` from the reply.
    pub date: Option<i64>,
}

/// What an endpoint's business error becomes: `authentication` for the login, `api` elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Login,
    Call,
    /// A call whose `success.data` is wanted as text only (`call_raw`).
    RawCall,
}

impl Endpoint {
    fn business_error_kind(self) -> ErrorKind {
        match self {
            Endpoint::Login => ErrorKind::Authentication,
            Endpoint::Call | Endpoint::RawCall => ErrorKind::Api,
        }
    }
}

/// An object whose members are kept as the server wrote them.
type RawObject = BTreeMap<String, Box<RawValue>>;

fn is_present(v: Option<&RawValue>) -> bool {
    v.is_some_and(|v| v.get() != "null")
}

fn raw_string(v: Option<&RawValue>) -> Option<String> {
    serde_json::from_str::<Value>(v?.get())
        .ok()?
        .as_str()
        .map(str::to_owned)
}

fn raw_null() -> Box<RawValue> {
    RawValue::from_string("null".to_owned()).unwrap_or_else(|_| unreachable!("`null` is JSON"))
}

/// Decodes a reply of `status` with `body`; `sent_uuid` is the `uuid` header we sent. Server
/// text that ends up in an error is scrubbed of `secrets` first.
///
/// HTTP 200 must carry an envelope. Any other status is `http_status` unless its body is an
/// error envelope, which then wins (with the status attached) because it says more.
pub(crate) fn decode(
    endpoint: Endpoint,
    status: u16,
    body: &[u8],
    sent_uuid: &str,
    secrets: Secrets<'_>,
) -> Result<Success> {
    let Ok(root) = serde_json::from_slice::<RawObject>(body) else {
        return Err(not_an_envelope(status, body, sent_uuid, secrets));
    };
    let top_uuid = raw_string(root.get("uuid").map(|v| &**v));
    let success = root.get("success").map(|v| &**v);
    let error = root.get("error").map(|v| &**v);
    if is_present(success) && is_present(error) {
        // Neither can be trusted: a success might be a declined payment, an error a done one.
        return Err(if status == 200 {
            Error::decode("the reply has both `success` and `error`")
                .with_status(status)
                .with_uuid(Some(
                    secrets
                        .text(&top_uuid.unwrap_or_else(|| sent_uuid.to_owned()))
                        .into_owned(),
                ))
        } else {
            not_an_envelope(status, body, sent_uuid, secrets)
        });
    }
    if let Some(Value::Object(error)) = error.and_then(|e| serde_json::from_str(e.get()).ok()) {
        let e = business_error(endpoint, status, &error, top_uuid, sent_uuid);
        return Err(secrets.error(e));
    }
    if status != 200 {
        return Err(not_an_envelope(status, body, sent_uuid, secrets));
    }
    let Some(success) = success.and_then(|s| serde_json::from_str::<RawObject>(s.get()).ok())
    else {
        return Err(Error::decode("the reply has neither `success` nor `error`")
            .with_status(status)
            .with_uuid(Some(
                secrets
                    .text(&top_uuid.unwrap_or_else(|| sent_uuid.to_owned()))
                    .into_owned(),
            )));
    };
    let uuid = top_uuid
        .or_else(|| raw_string(success.get("uuid").map(|v| &**v)))
        .unwrap_or_else(|| sent_uuid.to_owned());
    let message = raw_string(success.get("message").map(|v| &**v)).unwrap_or_default();
    let mut success = success;
    let raw_data = success.remove("data").unwrap_or_else(raw_null);
    let data = match endpoint {
        Endpoint::RawCall => Value::Null,
        // The raw text is valid JSON, but a number beyond a double's range (`1e400`) has no
        // `Value`: say so rather than hand back `null` (`call_raw` returns it exactly).
        Endpoint::Login | Endpoint::Call => match serde_json::from_str(raw_data.get()) {
            Ok(data) => data,
            Err(e) => {
                return Err(Error::decode(format!(
                    "the reply's `success.data` cannot be decoded ({e}); call_raw returns it \
                     as exact text"
                ))
                .with_status(status)
                .with_uuid(Some(secrets.text(&uuid).into_owned())))
            }
        },
    };
    Ok(Success {
        message,
        data,
        raw_data,
        uuid,
        date: None,
    })
}

fn business_error(
    endpoint: Endpoint,
    status: u16,
    error: &Map<String, Value>,
    top_uuid: Option<String>,
    sent_uuid: &str,
) -> Error {
    let message = string_field(error, "message")
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| "the server reported an error without a message".to_owned());
    let uuid = top_uuid
        .or_else(|| string_field(error, "uuid"))
        .unwrap_or_else(|| sent_uuid.to_owned());
    Error::new(endpoint.business_error_kind(), message)
        .with_status(status)
        .with_tag(string_field(error, "tag"))
        .with_uuid(Some(uuid))
        .with_data(error.get("data").cloned())
}

/// A reply that is not an envelope: on HTTP 200 the server broke the protocol (`decode`);
/// otherwise something answered with a bare status, e.g. a proxy's error page (`http_status`).
fn not_an_envelope(status: u16, body: &[u8], sent_uuid: &str, secrets: Secrets<'_>) -> Error {
    let excerpt = snippet(&secrets.text(&String::from_utf8_lossy(body)));
    let error = if status == 200 {
        Error::decode(format!("the reply is not a JSON envelope: {excerpt}"))
    } else {
        Error::new(
            ErrorKind::HttpStatus,
            format!("the server answered HTTP {status}: {excerpt}"),
        )
    };
    error
        .with_status(status)
        .with_uuid(Some(sent_uuid.to_owned()))
}

/// The start of a (scrubbed) body for a message: one line, printable, at most 200 characters.
fn snippet(text: &str) -> String {
    let line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    let line = line.trim();
    if line.is_empty() {
        "empty body".to_owned()
    } else if text.chars().count() > 200 {
        format!("{line}…")
    } else {
        line.to_owned()
    }
}

fn string_field(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// Turns a login's `success` into an [`Authentication`]. `requested_is_api` stands in for
/// `user.isAPI` when the server leaves it out.
///
/// A token whose lifetime is zero or less (`expiresAt` not after the reply's `Date`, or without
/// one not after the local clock) is a `decode` error: it would be dead on arrival.
///
/// The error quotes the reply's uuid, server text like any other: it is scrubbed of `secrets`.
pub(crate) fn authentication(
    success: Success,
    requested_is_api: bool,
    secrets: Secrets<'_>,
) -> Result<Authentication> {
    login_fields(success, requested_is_api).map_err(|e| secrets.error(e))
}

fn login_fields(success: Success, requested_is_api: bool) -> Result<Authentication> {
    // The token's lifetime runs from now, on the monotonic clock.
    let received = std::time::Instant::now();
    let local = crate::authentication::wall_clock_ms();
    let uuid = success.uuid;
    let fail = |what: &str| {
        Error::decode(format!("the login reply {what}"))
            .with_status(200)
            .with_uuid(Some(uuid.clone()))
    };
    let data = success
        .data
        .as_object()
        .ok_or_else(|| fail("has no `success.data` object"))?;
    let access_token = match data.get("access_token") {
        Some(Value::String(t)) if !t.is_empty() => t.clone(),
        Some(Value::String(_)) => return Err(fail("has an empty `access_token`")),
        Some(_) => return Err(fail("has an `access_token` that is not a string")),
        None => return Err(fail("has no `access_token`")),
    };
    let expires_at = data
        .get("expiresAt")
        .ok_or_else(|| fail("has no `expiresAt`"))?
        .as_i64()
        .ok_or_else(|| fail("has an `expiresAt` that is not an integer of milliseconds"))?;
    let lifetime_ms = crate::authentication::lifetime_ms(expires_at, success.date, local)
        .ok_or_else(|| {
            fail(match success.date {
                Some(_) => "has an `expiresAt` not after the reply's `Date`: the token is expired",
                None => "has an `expiresAt` not after the local clock: the token is expired",
            })
        })?;
    let user = data
        .get("user")
        .and_then(Value::as_object)
        .ok_or_else(|| fail("has no `user` object"))?;
    let username = match user.get("username") {
        Some(Value::String(u)) => u.clone(),
        _ => return Err(fail("has no `user.username` string")),
    };
    let scopes = match user.get("scopes") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|s| s.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| fail("has a `user.scopes` entry that is not a string"))?,
        Some(_) => return Err(fail("has a `user.scopes` that is not a list")),
    };
    let is_api = match user.get("isAPI") {
        None | Some(Value::Null) => requested_is_api,
        Some(Value::Bool(b)) => *b,
        // The vendor's own example sends "true" as a string; tolerate the echo of it.
        Some(Value::String(s)) if s == "true" => true,
        Some(Value::String(s)) if s == "false" => false,
        Some(_) => return Err(fail("has a `user.isAPI` that is not a boolean")),
    };
    let ticket = match data.get("ticket") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(t)) => t.clone(),
        Some(_) => return Err(fail("has a `ticket` that is not a string")),
    };
    Ok(Authentication {
        access_token,
        expires_at,
        user: User {
            username,
            scopes,
            is_api,
        },
        ticket,
        uuid,
        message: success.message,
        received,
        lifetime_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SENT: &str = "00000000-0000-4000-8000-000000000000";
    const NONE: Secrets<'static> = Secrets::new(&[]);

    fn login_body(uuid_nested: bool) -> Value {
        let mut success = json!({
            "message": "Authenticated",
            "data": {
                "success": true, "expiresAt": 1783077877510i64,
                "user": {"username": "email@test.com", "scopes": ["tme_user"], "isAPI": true},
                "ticket": "b1d4b9a9511dd58fb84a9aab9cc2a740",
                "access_token": "eyJhbGciO...p_Nlg"
            }
        });
        if uuid_nested {
            success["uuid"] = json!("f8623092-a59a-4ceb-bc75-18e59815d5df");
            json!({ "success": success })
        } else {
            json!({ "success": success, "uuid": "38e27ab0-d331-4c63-8f24-e1603739511d" })
        }
    }

    fn decode_login(body: &Value) -> Result<Authentication> {
        let bytes = serde_json::to_vec(body).unwrap();
        login_fields(
            dated(decode(Endpoint::Login, 200, &bytes, SENT, NONE)?),
            true,
        )
    }

    /// The vendor page's reply as it came: its `Date` an hour before its `expiresAt`.
    fn dated(success: Success) -> Success {
        Success {
            date: Some(1783077877510 - 3_600_000),
            ..success
        }
    }

    #[test]
    fn a_lifetime_of_zero_or_less_is_a_decode_error() {
        let bytes = serde_json::to_vec(&login_body(true)).unwrap();
        let success = decode(Endpoint::Login, 200, &bytes, SENT, NONE).unwrap();
        let a = login_fields(dated(success.clone()), true).unwrap();
        assert_eq!(
            a.expires_at(),
            1783077877510,
            "the server's number, as sent"
        );
        // The local clock is past that Date's second: its last millisecond counts.
        assert_eq!(a.lifetime_ms, 3_599_001);
        for date in [Some(1783077877510), Some(1783077877510 + 60_000)] {
            let e = login_fields(
                Success {
                    date,
                    ..success.clone()
                },
                true,
            )
            .unwrap_err();
            assert_eq!((e.code(), e.status()), ("decode", Some(200)));
            assert!(e.message().contains("Date"), "{e}");
        }
        let mut past = login_body(true);
        past["success"]["data"]["expiresAt"] = json!(crate::authentication::wall_clock_ms() - 1);
        let mut min = login_body(true);
        min["success"]["data"]["expiresAt"] = json!(i64::MIN);
        assert_eq!(decode_login(&min).unwrap_err().code(), "decode");
        for v in [past, min] {
            let bytes = serde_json::to_vec(&v).unwrap();
            let no_date = decode(Endpoint::Login, 200, &bytes, SENT, NONE).unwrap();
            assert_eq!(login_fields(no_date, true).unwrap_err().code(), "decode");
        }
    }

    #[test]
    fn login_page_shape_with_nested_uuid() {
        let a = decode_login(&login_body(true)).unwrap();
        assert_eq!(a.access_token(), "eyJhbGciO...p_Nlg");
        assert_eq!(a.expires_at(), 1783077877510);
        assert_eq!(a.user().username(), "email@test.com");
        assert_eq!(a.user().scopes(), ["tme_user"]);
        assert!(a.user().is_api());
        assert_eq!(a.ticket(), "b1d4b9a9511dd58fb84a9aab9cc2a740");
        assert_eq!(a.uuid(), "f8623092-a59a-4ceb-bc75-18e59815d5df");
        assert_eq!(a.message(), "Authenticated");
    }

    #[test]
    fn generic_shape_with_top_level_uuid_and_top_level_preferred() {
        assert_eq!(
            decode_login(&login_body(false)).unwrap().uuid(),
            "38e27ab0-d331-4c63-8f24-e1603739511d"
        );
        let mut both = login_body(true);
        both["uuid"] = json!("top");
        assert_eq!(decode_login(&both).unwrap().uuid(), "top");
        let mut none = login_body(false);
        none.as_object_mut().unwrap().remove("uuid");
        assert_eq!(decode_login(&none).unwrap().uuid(), SENT);
    }

    #[test]
    fn business_error_on_login_is_authentication() {
        let body = br#"{"error":{"message":"invalid credentials","data":{"invalid":true},"tag":"6181882e"},"uuid":"973e8576"}"#;
        let e = decode(Endpoint::Login, 200, body, SENT, NONE).unwrap_err();
        assert_eq!(e.code(), "authentication");
        assert_eq!(e.message(), "invalid credentials");
        assert_eq!(e.tag(), Some("6181882e"));
        assert_eq!(e.uuid(), Some("973e8576"));
        assert_eq!(e.status(), Some(200));
        assert_eq!(e.data(), Some(&json!({"invalid": true})));
        let e = decode(Endpoint::Call, 200, body, SENT, NONE).unwrap_err();
        assert_eq!(e.code(), "api");
    }

    #[test]
    fn non_200_without_envelope_is_http_status() {
        for body in [
            &b"<html>502 Bad Gateway</html>"[..],
            b"",
            b"upstream down",
            b"{\"success\":{}}",
        ] {
            let e = decode(Endpoint::Call, 502, body, SENT, NONE).unwrap_err();
            assert_eq!(e.code(), "http_status");
            assert_eq!(e.status(), Some(502));
            assert_eq!(e.uuid(), Some(SENT));
        }
        let e = decode(
            Endpoint::Call,
            502,
            br#"{"success":{"data":1},"error":{"message":"busy"}}"#,
            SENT,
            NONE,
        )
        .unwrap_err();
        assert_eq!((e.code(), e.status()), ("http_status", Some(502)));
        let e = decode(
            Endpoint::Call,
            503,
            br#"{"error":{"message":"busy"}}"#,
            SENT,
            NONE,
        )
        .unwrap_err();
        assert_eq!((e.code(), e.status()), ("api", Some(503)));
    }

    #[test]
    fn malformed_200_replies_are_decode_errors() {
        let mut cases: Vec<Vec<u8>> = vec![
            b"not json".to_vec(),
            b"[]".to_vec(),
            b"{}".to_vec(),
            b"".to_vec(),
        ];
        let mut no_token = login_body(false);
        no_token["success"]["data"]
            .as_object_mut()
            .unwrap()
            .remove("access_token");
        let mut empty_token = login_body(false);
        empty_token["success"]["data"]["access_token"] = json!("");
        let mut string_expiry = login_body(false);
        string_expiry["success"]["data"]["expiresAt"] = json!("1783077877510");
        let mut bad_scopes = login_body(false);
        bad_scopes["success"]["data"]["user"]["scopes"] = json!("tme_user");
        let mut no_user = login_body(false);
        no_user["success"]["data"]
            .as_object_mut()
            .unwrap()
            .remove("user");
        let mut both = login_body(false);
        both["error"] = json!({"message": "invalid credentials", "tag": "t"});
        for v in [
            both,
            json!({"success": {"message": "OK", "data": 1}, "error": {"message": "declined"}}),
            no_token,
            empty_token,
            string_expiry,
            bad_scopes,
            no_user,
            json!({"success": {"data": 5}}),
        ] {
            cases.push(serde_json::to_vec(&v).unwrap());
        }
        for body in cases {
            let r =
                decode(Endpoint::Login, 200, &body, SENT, NONE).and_then(|s| login_fields(s, true));
            let e = r.unwrap_err();
            assert_eq!(e.code(), "decode", "{}", String::from_utf8_lossy(&body));
        }
    }

    #[test]
    fn tolerated_quirks() {
        let mut v = login_body(false);
        v["success"]["data"]["user"]["isAPI"] = json!("true");
        v["success"]["data"]["unknown"] = json!({"x": 1});
        v["extra"] = json!(1);
        assert!(decode_login(&v).unwrap().user().is_api());
        v["success"]["data"]["user"]
            .as_object_mut()
            .unwrap()
            .remove("isAPI");
        let bytes = serde_json::to_vec(&v).unwrap();
        let a = login_fields(
            dated(decode(Endpoint::Login, 200, &bytes, SENT, NONE).unwrap()),
            false,
        )
        .unwrap();
        assert!(!a.user().is_api());
    }

    #[test]
    fn data_out_of_a_doubles_range_is_a_decode_error_but_exact_for_raw_calls() {
        let body = br#"{"success":{"data":[1e400, 1]},"uuid":"u"}"#;
        let e = decode(Endpoint::Call, 200, body, SENT, NONE).unwrap_err();
        assert_eq!(
            (e.code(), e.status(), e.uuid()),
            ("decode", Some(200), Some("u"))
        );
        let raw = decode(Endpoint::RawCall, 200, body, SENT, NONE).unwrap();
        assert_eq!(raw.raw_data.get(), "[1e400, 1]");
        assert_eq!(raw.data, Value::Null);
    }

    #[test]
    fn snippets_are_one_short_line() {
        let long = "x".repeat(1000);
        assert_eq!(snippet(&long).chars().count(), 201);
        assert_eq!(snippet("a\r\nb"), "a  b");
        assert_eq!(snippet("  "), "empty body");
    }
}

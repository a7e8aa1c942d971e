//! Fuzzes the core's one decoder of xPay replies (`core/src/envelope.rs`): any bytes and any
//! HTTP status, as the login's reply and as another call's (parsed, or raw as `call_raw` and the
//! C face take it).
//!
//! Input: byte 0 is flags (bit 0: a call rather than the login; bit 1: the login asked for an
//! API login / the call is raw; bit 2: the next 2 bytes are the status, little-endian, else
//! the status is 200; bit 3: the next 8 bytes are the reply's `Date`, ms since the epoch,
//! little-endian, else it has none); the rest is the body.
//!
//! Beyond "no panic", it checks what `envelope.rs` and `scrub.rs` promise: malformed input is
//! an error, never an empty token; every error carries the status and a uuid; a login's
//! business error is `authentication` and a call's `api`; a body quoted in a message is one
//! short line; no error text (message, tag, uuid, any string or key of `data`, the display)
//! holds a secret of the request; a call's `data` is its raw text parsed.

#![no_main]

use serde_json::Value;
use xpay_auth::fuzzing::{decode_call, decode_login};
use xpay_auth::{Error, ErrorKind};

/// What the request knew it must not leak (a secret key; a token with characters JSON
/// escapes): no error may contain them. The fuzz dictionary has both.
const SECRETS: [&str; 2] = ["FuzzSecretKey42", "Fuzz\"Token\\42"];
use libfuzzer_sys::fuzz_target;
use serde_json::value::RawValue;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, mut rest)) = data.split_first() else {
        return;
    };
    let call = flags & 1 != 0;
    let variant = flags & 2 != 0;
    let mut status = 200;
    if flags & 4 != 0 {
        let Some((bytes, tail)) = rest.split_first_chunk::<2>() else {
            return;
        };
        status = u16::from_le_bytes(*bytes);
        rest = tail;
    }
    let mut date = None;
    if flags & 8 != 0 {
        let Some((bytes, tail)) = rest.split_first_chunk::<8>() else {
            return;
        };
        date = Some(i64::from_le_bytes(*bytes));
        rest = tail;
    }
    let body = rest;
    if call {
        match decode_call(status, body, variant, &SECRETS) {
            Ok((message, data, raw, uuid)) => {
                assert_eq!(status, 200, "a non-200 reply decoded as a success");
                let syntax = serde_json::from_str::<Box<RawValue>>(&raw);
                assert!(syntax.is_ok(), "the raw data is not JSON: {raw:?}");
                if variant {
                    assert_eq!(data, Value::Null, "a raw call parsed its data");
                } else {
                    match serde_json::from_str::<Value>(&raw) {
                        Ok(parsed) => assert_eq!(data, parsed, "the data is not its raw text"),
                        Err(e) => panic!(
                            "the call succeeded with data {data}, but success.data is {raw:?}, \
                             which does not parse ({e})"
                        ),
                    }
                }
                let _ = (message.len(), uuid.len());
            }
            Err(e) => check_error(&e, status, ErrorKind::Api),
        }
    } else {
        match decode_login(status, body, date, &SECRETS, variant) {
            Ok(auth) => {
                assert_eq!(status, 200, "a non-200 reply decoded as a login");
                assert!(!auth.access_token().is_empty(), "an empty token decoded");
                let _ = format!("{auth:?}");
                let _ = (
                    auth.expires_at(),
                    auth.user().scopes().len(),
                    auth.user().is_api(),
                );
            }
            Err(e) => check_error(&e, status, ErrorKind::Authentication),
        }
    }
});

/// The promises about every error of the decoder; `business` is the endpoint's business kind.
fn check_error(e: &Error, status: u16, business: ErrorKind) {
    let kind = e.kind();
    let expected_other = if status == 200 {
        ErrorKind::Decode
    } else {
        ErrorKind::HttpStatus
    };
    assert!(
        kind == business || kind == expected_other,
        "status {status}: unexpected kind {kind:?} ({e})"
    );
    assert_eq!(e.status(), Some(status), "the error lost the status: {e}");
    assert!(e.uuid().is_some(), "the error has no uuid: {e}");
    assert!(!e.message().is_empty(), "an empty message: {e:?}");
    if kind != business {
        // The body's snippet: at most 200 characters and one line, plus the SDK's words.
        let message = e.message();
        assert!(
            message.chars().count() <= 300,
            "a long message: {message:?}"
        );
        assert!(
            !message.chars().any(char::is_control),
            "a control character: {message:?}"
        );
    }
    let display = e.to_string();
    for text in [Some(e.message()), e.tag(), e.uuid(), Some(display.as_str())]
        .into_iter()
        .flatten()
    {
        assert_no_secret(text);
    }
    if let Some(data) = e.data() {
        walk(data, &mut |s| assert_no_secret(s));
    }
    let _ = (format!("{e:?}"), e.code(), e.retry_after());
}

/// Neither as is nor as spelled inside a JSON string.
fn assert_no_secret(text: &str) {
    for secret in SECRETS {
        let escaped = serde_json::to_string(secret).expect("a string");
        let escaped = &escaped[1..escaped.len() - 1];
        assert!(
            !text.contains(secret) && !text.contains(escaped),
            "a secret leaked: {text:?}"
        );
    }
}

/// Every string and object key inside `value`.
fn walk(value: &Value, f: &mut impl FnMut(&str)) {
    match value {
        Value::String(s) => f(s),
        Value::Array(items) => items.iter().for_each(|v| walk(v, f)),
        Value::Object(map) => map.iter().for_each(|(k, v)| {
            f(k);
            walk(v, f);
        }),
        _ => {}
    }
}

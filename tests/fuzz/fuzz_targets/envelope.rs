//! Fuzzes the core's one decoder of xPay replies (`core/src/envelope.rs`): any bytes and any
//! HTTP status, as the login's reply and as another call's.
//!
//! Input: byte 0 is flags (bit 0: a call rather than the login; bit 1: the login asked for an
//! API login; bit 2: bytes 1-2 are the status, little-endian, else the status is 200); the
//! rest is the body.
//!
//! Beyond "no panic", it checks what `envelope.rs` promises: malformed input is an error, never
//! an empty token; every error carries the status and a uuid; a login's business error is
//! `authentication` and a call's is `api`; a body quoted in a message is one short line.

#![no_main]

use core_decoder::{decode_call, decode_login, Error, ErrorKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let call = flags & 1 != 0;
    let requested_is_api = flags & 2 != 0;
    let (status, body) = match (flags & 4 != 0, rest) {
        (true, [lo, hi, body @ ..]) => (u16::from_le_bytes([*lo, *hi]), body),
        (true, _) => return,
        (false, body) => (200, body),
    };
    if call {
        match decode_call(status, body) {
            Ok((message, data, uuid)) => {
                assert_eq!(status, 200, "a non-200 reply decoded as a success");
                let _ = (message.len(), data.to_string(), uuid.len());
            }
            Err(e) => check_error(&e, status, ErrorKind::Api),
        }
    } else {
        match decode_login(status, body, requested_is_api) {
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
    let _ = (e.to_string(), format!("{e:?}"), e.code(), e.tag(), e.data());
}

//! The core's reply decoder, for the `envelope` fuzz target.
//!
//! `xpay_auth::envelope` is crate-private, so this crate compiles the core's own files for it
//! and for what it uses (`crate::authentication`, `crate::error`, `crate::redact`): the fuzzed
//! code is the core's source, not a copy. If the decoder starts using another module, add it
//! here (the build says which). To be replaced by a `#[doc(hidden)]` entry point in the core.

#![allow(dead_code, unused_imports, missing_docs)]

#[path = "../../../../core/src/authentication.rs"]
mod authentication;
#[path = "../../../../core/src/envelope.rs"]
mod envelope;
#[path = "../../../../core/src/error.rs"]
mod error;
#[path = "../../../../core/src/redact.rs"]
mod redact;

pub use authentication::{Authentication, User};
pub use error::{Error, ErrorKind};
pub use serde_json::Value;

/// The uuid header a fuzzed reply answers (any non-empty text).
pub const SENT_UUID: &str = "00000000-0000-4000-8000-000000000000";

/// A login reply of `status` with `body`, decoded as `Client::authenticate` does.
pub fn decode_login(
    status: u16,
    body: &[u8],
    requested_is_api: bool,
) -> Result<Authentication, Error> {
    let success = envelope::decode(envelope::Endpoint::Login, status, body, SENT_UUID)?;
    envelope::authentication(success, requested_is_api)
}

/// Any other call's reply: `(success.message, success.data, uuid)`.
pub fn decode_call(status: u16, body: &[u8]) -> Result<(String, Value, String), Error> {
    let success = envelope::decode(envelope::Endpoint::Call, status, body, SENT_UUID)?;
    Ok((success.message, success.data, success.uuid))
}

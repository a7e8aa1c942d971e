//! The core's reply decoder, for the `envelope` fuzz target.
//!
//! `xpay_auth::envelope` is crate-private, so this crate compiles the core's own files for it
//! and for what it uses (`crate::authentication`, `crate::error`, `crate::redact`,
//! `crate::scrub`): the fuzzed code is the core's source, not a copy. If the decoder starts
//! using another module, add it here (the build says which). To be replaced by a
//! `#[doc(hidden)]` entry point in the core.

#![allow(dead_code, unused_imports, missing_docs)]

#[path = "../../../../core/src/authentication.rs"]
mod authentication;
#[path = "../../../../core/src/envelope.rs"]
mod envelope;
#[path = "../../../../core/src/error.rs"]
mod error;
#[path = "../../../../core/src/redact.rs"]
mod redact;
#[path = "../../../../core/src/scrub.rs"]
mod scrub;

pub use authentication::{Authentication, User};
pub use error::{Error, ErrorKind};
pub use serde_json::Value;

/// The uuid header a fuzzed reply answers (any non-empty text).
pub const SENT_UUID: &str = "00000000-0000-4000-8000-000000000000";

/// What the request knew it must not leak (a secret key; a token with characters JSON
/// escapes): no error may contain them. The fuzz dictionary has both.
pub const SECRETS: [&str; 2] = ["FuzzSecretKey42", "Fuzz\"Token\\42"];

/// A login reply of `status` with `body` (and `Date` header `date`, ms since the epoch),
/// decoded as `Client::authenticate` does.
pub fn decode_login(
    status: u16,
    body: &[u8],
    date: Option<i64>,
    requested_is_api: bool,
) -> Result<Authentication, Error> {
    let secrets = scrub::Secrets::new(&SECRETS);
    let mut success =
        envelope::decode(envelope::Endpoint::Login, status, body, SENT_UUID, secrets)?;
    success.date = date;
    envelope::authentication(success, requested_is_api)
}

/// Any other call's reply (`raw`: as `call_raw` asks for it): `(success.message,
/// success.data, success.data as the server wrote it, uuid)`.
pub fn decode_call(
    status: u16,
    body: &[u8],
    raw: bool,
) -> Result<(String, Value, String, String), Error> {
    let endpoint = if raw {
        envelope::Endpoint::RawCall
    } else {
        envelope::Endpoint::Call
    };
    let secrets = scrub::Secrets::new(&SECRETS);
    let s = envelope::decode(endpoint, status, body, SENT_UUID, secrets)?;
    Ok((s.message, s.data, s.raw_data.get().to_owned(), s.uuid))
}

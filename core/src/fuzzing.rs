//! Entry points for the fuzz targets (`tests/fuzz`): the reply decoder exactly as the client
//! runs it, reachable from outside the crate. Not part of the API: hidden, and free to change.

use serde_json::Value;

use crate::authentication::Authentication;
use crate::envelope::{self, Endpoint};
use crate::error::Result;
use crate::scrub::Secrets;

/// The uuid header a fuzzed reply answers.
pub const SENT_UUID: &str = "00000000-0000-4000-8000-000000000000";

/// A login reply of `status` with `body` (and a `Date` header of `date`, ms since the epoch),
/// decoded as `Client::authenticate` decodes it, scrubbing `secrets` out of its errors.
pub fn decode_login(
    status: u16,
    body: &[u8],
    date: Option<i64>,
    secrets: &[&str],
    requested_is_api: bool,
) -> Result<Authentication> {
    let secrets = Secrets::new(secrets);
    let mut success = envelope::decode(Endpoint::Login, status, body, SENT_UUID, secrets)?;
    success.date = date;
    envelope::authentication(success, requested_is_api, secrets)
}

/// Any other call's reply (`raw`: as `call_raw` asks for it): `(success.message, success.data,
/// success.data as the server wrote it, uuid)`.
pub fn decode_call(
    status: u16,
    body: &[u8],
    raw: bool,
    secrets: &[&str],
) -> Result<(String, Value, String, String)> {
    let endpoint = if raw {
        Endpoint::RawCall
    } else {
        Endpoint::Call
    };
    let s = envelope::decode(endpoint, status, body, SENT_UUID, Secrets::new(secrets))?;
    Ok((s.message, s.data, s.raw_data.get().to_owned(), s.uuid))
}

//! The native half of the npm package `xpay-auth`: napi-rs classes over the async core
//! (`xpay_auth::Client`, `Session`), running on napi's tokio runtime.
//!
//! This crate converts and nothing else: JS values to core arguments, core results to JS values,
//! and core errors to JS `Error` objects carrying `code`, `status`, `tag`, `uuid` and `data`.
//! The hand-written `index.js` turns those into the exported `XPayError` subclasses.
//!
//! Every exported method is `catch_unwind`, so a panic becomes a JS exception (mapped to the
//! `internal` code by `index.js`) instead of aborting the host process.

mod authentication;
mod client;
mod convert;
mod errors;
mod options;
mod promise;
mod session;

pub use authentication::{Authentication, User};
pub use client::Client;
pub use session::Session;

/// The `User-Agent` face name: requests say `xpay-auth-node/<version>`.
pub(crate) const FACE: &str = "node";

/// The SDK version (the core's), as sent in the `User-Agent`.
#[napi_derive::napi]
pub const VERSION: &str = xpay_auth::VERSION;

/// The redacted form of a token for logs and displays: its first characters and its length,
/// e.g. `eyJhbG…(412 chars)` (the core's rule).
#[napi_derive::napi(catch_unwind)]
pub fn redact_token(token: String) -> String {
    xpay_auth::redact_token(&token)
}

//! # xpay-auth
//!
//! The client SDK for the [xPay.Stream](https://apis.xpay.stream) API's authentication: it logs
//! in (`POST /client/authenticate`), caches the access token and renews it before it expires
//! (one login for any number of concurrent callers), and makes any other xPay call with the
//! bearer token attached, retrying only when that is safe.
//!
//! This crate is the one implementation behind all four faces (Rust, Python, Node.js, C); the
//! bindings only convert types and errors.
//!
//! ```no_run
//! use xpay_auth::{Client, Credentials};
//! use std::time::Duration;
//!
//! # async fn run() -> Result<(), xpay_auth::Error> {
//! let client = Client::builder()
//!     .base_url("http://127.0.0.1:8080")
//!     .timeout(Duration::from_secs(5))
//!     .build()?;
//!
//! // One login, no caching:
//! let auth = client.authenticate(&Credentials::new("me@example.com", "key")).await?;
//! println!("{} expires at {}", auth.user().username(), auth.expires_at());
//!
//! // A session caches the token and renews it; `call` attaches it.
//! let session = client.session(Credentials::new("me@example.com", "key"));
//! let data = session.call("/client/echo", &serde_json::json!({"a": 1})).await?;
//! # let _ = data;
//! # Ok(()) }
//! ```
//!
//! Every failure is an [`Error`] with a stable [`Error::code`]: `invalid_argument`,
//! `authentication`, `api`, `http_status`, `timeout`, `connection`, `decode` or `internal`.
//! Without an async runtime use [`blocking`].
//!
//! Secrets: `Debug` output, log lines and errors never contain the secret key or a whole
//! access token, and the secret key is zeroed in memory when dropped.

#![warn(missing_docs)]

mod authentication;
pub mod blocking;
mod cache;
mod client;
mod config;
mod credentials;
mod envelope;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod http1;
mod proxy;
mod redact;
mod retry;
pub mod runtime;
mod scrub;
mod session;
mod session_builder;
mod store;
mod tls;
mod transport;
mod wipe;

pub use authentication::{Authentication, User};
pub use client::{Client, LOGIN_PATH};
pub use config::{user_agent_for, ClientBuilder, DEFAULT_BASE_URL, ENV_BASE_URL, VERSION};
pub use credentials::{Credentials, ENV_SECRET_KEY, ENV_USERNAME};
pub use error::{Error, ErrorKind};
pub use proxy::{ENV_NO_PROXY, ENV_PROXY};
pub use redact::{redact_token, token_fingerprint};
pub use session::{Session, SessionStats};
pub use session_builder::SessionBuilder;
pub use store::ENV_TOKEN_STORE;
pub use tls::{TlsRoots, ENV_CA_BUNDLE, ENV_SSL_CERT_FILE};

/// The JSON value type of call bodies and results (`serde_json::Value`).
pub use serde_json::Value;

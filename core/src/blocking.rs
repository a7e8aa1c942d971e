//! The blocking face: the same [`Client`] and [`Session`] without `async`, for programs with no
//! async runtime (and for the C and Python bindings). There is no runtime underneath: requests
//! go through the core's blocking HTTP/1.1 transport, each on the calling thread and on a
//! connection of its own from the client's shared pool, through the same request pipeline as
//! the async face (retries, decoding, errors, tracing). Renewals run on one background thread
//! per process. Safe after `fork()`.
//!
//! ```no_run
//! use xpay_auth::{blocking, Credentials};
//! let client = blocking::Client::builder().base_url("http://127.0.0.1:8080").max_retries(0).build()?;
//! let session = client.session(Credentials::new("me@example.com", "key"));
//! let token = session.access_token()?;
//! # Ok::<(), xpay_auth::Error>(())
//! ```

use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use crate::config::ClientBuilder;
use crate::error::Result;
use crate::runtime::block_on;
use crate::session::{Background, Lookup};
use crate::{Authentication, Credentials, SessionStats};

/// A blocking xPay client. Cheap to clone, safe to share between threads, fork-safe.
#[derive(Clone)]
pub struct Client {
    /// Requests through the blocking transport.
    inner: crate::Client,
    /// The same client as the async face (hyper on the caller's runtime).
    as_async: crate::Client,
}

impl Client {
    /// A builder, to set the base URL, timeouts, retries, user agent.
    pub fn builder() -> ClientBuilder<Client> {
        ClientBuilder::new()
    }

    /// A client with the defaults: base URL from `XPAY_BASE_URL`, else production.
    pub fn new() -> Result<Client> {
        Client::builder().build()
    }

    /// The same client for async code: same configuration, closed together; its requests go
    /// through the async transport (a connection pool of its own, built on first use).
    pub fn as_async(&self) -> &crate::Client {
        &self.as_async
    }

    /// The base URL requests go to, without a trailing slash.
    pub fn base_url(&self) -> &str {
        self.inner.base_url()
    }

    /// Closes the connection pool (see [`crate::Client::close`]).
    pub fn close(&self) {
        self.inner.close()
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Logs in once (no caching). See [`crate::Client::authenticate`].
    pub fn authenticate(&self, credentials: &Credentials) -> Result<Authentication> {
        block_on(self.inner.authenticate(credentials))?
    }

    /// A session for one account: a token cache that logs in when needed.
    pub fn session(&self, credentials: Credentials) -> Session {
        Session {
            inner: crate::Session::new(self.inner.clone(), credentials, Background::Thread),
        }
    }

    /// A session with the credentials from `XPAY_USERNAME` and `XPAY_SECRET_KEY`.
    pub fn session_from_env(&self) -> Result<Session> {
        Ok(self.session(Credentials::from_env()?))
    }

    /// A session with options (its token store): see [`crate::SessionBuilder`].
    pub fn session_builder(&self, credentials: Credentials) -> crate::SessionBuilder<Session> {
        crate::SessionBuilder::new(self.inner.clone(), credentials, Background::Thread)
    }
}

impl ClientBuilder<Client> {
    /// Validates the options and builds the client; `invalid_argument` on a bad option.
    pub fn build(self) -> Result<Client> {
        let inner = crate::Client::blocking_from_config(self.into_config()?)?;
        Ok(Client {
            as_async: inner.async_face(),
            inner,
        })
    }
}

/// A blocking session: one account's token cache. See [`crate::Session`] for the rules.
#[derive(Clone)]
pub struct Session {
    inner: crate::Session,
}

impl Session {
    pub(crate) fn from_core(inner: crate::Session) -> Session {
        Session { inner }
    }

    /// A valid access token: the cached one while fresh, else after one shared login.
    pub fn access_token(&self) -> Result<String> {
        Ok(self.authentication()?.access_token().to_owned())
    }

    /// The current login (cached, renewed, or new).
    pub fn authentication(&self) -> Result<Arc<Authentication>> {
        // A cached token needs no runtime: only a caller that must wait enters it.
        match self.inner.lookup()? {
            Lookup::Ready(auth) => Ok(auth),
            Lookup::Wait(login) => block_on(login)?,
        }
    }

    /// POSTs `body` as JSON to `path` with the bearer token and returns `success.data`.
    pub fn call<B: Serialize + ?Sized>(&self, path: &str, body: &B) -> Result<Value> {
        block_on(self.inner.call(path, body))?
    }

    /// [`call`](Self::call) with the caller's own request reference in the `uuid` header.
    pub fn call_with_uuid<B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
        uuid: Option<&str>,
    ) -> Result<Value> {
        block_on(self.inner.call_with_uuid(path, body, uuid))?
    }

    /// Money-safe call: `json_text` sent byte for byte, `success.data` returned as the exact
    /// text. See [`crate::Session::call_raw`].
    pub fn call_raw(&self, path: &str, json_text: &str) -> Result<String> {
        block_on(self.inner.call_raw(path, json_text))?
    }

    /// [`call_raw`](Self::call_raw) with the caller's own request reference.
    pub fn call_raw_with_uuid(
        &self,
        path: &str,
        json_text: &str,
        uuid: Option<&str>,
    ) -> Result<String> {
        block_on(self.inner.call_raw_with_uuid(path, json_text, uuid))?
    }

    /// Drops the cached token; the next use logs in again.
    pub fn invalidate(&self) {
        self.inner.invalidate()
    }

    /// `"Bearer <token>"` for the caller's own HTTP client. See
    /// [`crate::Session::authorization_header`].
    pub fn authorization_header(&self) -> Result<String> {
        Ok(format!("Bearer {}", self.authentication()?.access_token()))
    }

    /// The header to re-send with after a 401 for `rejected`. See
    /// [`crate::Session::reauthorize`].
    pub fn reauthorize(&self, rejected: &str) -> Result<String> {
        self.inner.refused(rejected);
        self.authorization_header()
    }

    /// What the session counted, its back-off and token expiry. See
    /// [`crate::Session::stats`].
    pub fn stats(&self) -> SessionStats {
        self.inner.stats()
    }

    /// The account's username.
    pub fn username(&self) -> &str {
        self.inner.username()
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

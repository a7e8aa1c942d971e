//! The result of a login as JS: an `Authentication` class whose getters read the core value, so
//! the token is never an own property that `console.log` or `util.inspect` would print; its
//! `toString()` (used for inspect by `index.js`) shows the token redacted.

use std::sync::Arc;

use napi_derive::napi;

/// The account a login was for: `{ username, scopes, isApi }`.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct User {
    /// The account's username (its e-mail).
    pub username: String,
    /// The scopes granted to the token, e.g. `tme_user`.
    pub scopes: Vec<String>,
    /// Whether this was an API (machine) login.
    pub is_api: bool,
}

/// One successful login: access token, expiry, user, ticket, uuid, message.
#[napi]
pub struct Authentication {
    inner: Arc<xpay_auth::Authentication>,
}

impl Authentication {
    pub(crate) fn new(inner: Arc<xpay_auth::Authentication>) -> Self {
        Authentication { inner }
    }
}

#[napi]
impl Authentication {
    /// The bearer token for every other call (opaque).
    #[napi(getter, catch_unwind)]
    pub fn access_token(&self) -> String {
        self.inner.access_token().to_owned()
    }

    /// When the token stops working, in milliseconds since the Unix epoch.
    #[napi(getter, catch_unwind)]
    pub fn expires_at(&self) -> i64 {
        self.inner.expires_at()
    }

    /// The account the token is for.
    #[napi(getter, catch_unwind)]
    pub fn user(&self) -> User {
        let user = self.inner.user();
        User {
            username: user.username().to_owned(),
            scopes: user.scopes().to_vec(),
            is_api: user.is_api(),
        }
    }

    /// The server's reference of this login (32 hex digits).
    #[napi(getter, catch_unwind)]
    pub fn ticket(&self) -> String {
        self.inner.ticket().to_owned()
    }

    /// The request's reference, for support.
    #[napi(getter, catch_unwind)]
    pub fn uuid(&self) -> String {
        self.inner.uuid().to_owned()
    }

    /// The server's message, e.g. `Authenticated`.
    #[napi(getter, catch_unwind)]
    pub fn message(&self) -> String {
        self.inner.message().to_owned()
    }

    /// A one-line description with the token redacted.
    #[napi(js_name = "toString", catch_unwind)]
    pub fn describe(&self) -> String {
        let a = &self.inner;
        let user = a.user();
        format!(
            "Authentication {{ user: {:?}, scopes: {:?}, isApi: {}, accessToken: {:?}, \
             expiresAt: {}, ticket: {:?}, uuid: {:?}, message: {:?} }}",
            user.username(),
            user.scopes(),
            user.is_api(),
            xpay_auth::redact_token(a.access_token()),
            a.expires_at(),
            a.ticket(),
            a.uuid(),
            a.message(),
        )
    }
}

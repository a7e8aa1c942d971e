//! The result of a login: the access token and what the server said about it.

use std::fmt;

use crate::redact::Redacted;

/// The account a login was for, as the server describes it.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    pub(crate) username: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) is_api: bool,
}

impl User {
    /// The account's username (its e-mail).
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The scopes granted to the token, e.g. `tme_user`, `tme_admin`.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// Whether this is an API (machine) login rather than a web console one.
    pub fn is_api(&self) -> bool {
        self.is_api
    }
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("username", &self.username)
            .field("scopes", &self.scopes)
            .field("is_api", &self.is_api)
            .finish()
    }
}

/// One successful login (`POST /client/authenticate`).
///
/// `Debug` shows only the first characters of the access token and its length.
#[derive(Clone, PartialEq, Eq)]
pub struct Authentication {
    pub(crate) access_token: String,
    pub(crate) expires_at: i64,
    pub(crate) user: User,
    pub(crate) ticket: String,
    pub(crate) uuid: String,
    pub(crate) message: String,
}

impl Authentication {
    /// The bearer token for every other call. Opaque: the SDK does not parse or verify it.
    pub fn access_token(&self) -> &str {
        &self.access_token
    }

    /// When the token stops working, in milliseconds since the Unix epoch.
    pub fn expires_at(&self) -> i64 {
        self.expires_at
    }

    /// The account the token is for.
    pub fn user(&self) -> &User {
        &self.user
    }

    /// The server's 32-hex-digit reference of this login.
    pub fn ticket(&self) -> &str {
        &self.ticket
    }

    /// The request's reference (`uuid`), for support.
    pub fn uuid(&self) -> &str {
        &self.uuid
    }

    /// The server's message, e.g. `Authenticated`.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Debug for Authentication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authentication")
            .field("access_token", &Redacted(&self.access_token))
            .field("expires_at", &self.expires_at)
            .field("user", &self.user)
            .field("ticket", &self.ticket)
            .field("uuid", &self.uuid)
            .field("message", &self.message)
            .finish()
    }
}

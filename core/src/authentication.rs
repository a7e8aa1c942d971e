//! The result of a login: the access token and what the server said about it.

use std::fmt;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use http::header::{HeaderMap, DATE};

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
    /// When the reply arrived, on the monotonic clock.
    pub(crate) received: Instant,
    /// How long the token lives from `received` (see [`lifetime_ms`]); never 0.
    pub(crate) lifetime_ms: u64,
}

impl Authentication {
    /// The bearer token for every other call. Opaque: the SDK does not parse or verify it.
    pub fn access_token(&self) -> &str {
        &self.access_token
    }

    /// When the token stops working, in milliseconds since the Unix epoch: the server's number,
    /// as sent. (The session does not compare it with the local clock: it tracks the token's
    /// lifetime on a monotonic clock from the reply's `Date`, so a local clock that is off or
    /// steps does not matter.)
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

/// A token's lifetime in ms from the moment its reply arrived, or `None` when it is zero or less
/// (a `decode` error for the login).
///
/// Measured against the server's clock when the reply has a `Date` (`date`, ms since the epoch),
/// else against the local wall clock at receipt (`local`), so a client clock that is off does not
/// shorten or lengthen it. `Date` has whole seconds only: the server's time was within
/// `[date, date + 1 s)`, and when the local clock reads a time inside that second it is the finer
/// reading and is used (else the nearer end of that second).
pub(crate) fn lifetime_ms(expires_at: i64, date: Option<i64>, local: i64) -> Option<u64> {
    let server_now = match date {
        Some(date) => local.clamp(date, date.saturating_add(999)),
        None => local,
    };
    let lifetime = expires_at.saturating_sub(server_now);
    u64::try_from(lifetime).ok().filter(|&l| l > 0)
}

/// The reply's `Date` header in ms since the epoch, if it has a valid one.
pub(crate) fn reply_date(headers: &HeaderMap) -> Option<i64> {
    let date = httpdate::parse_http_date(headers.get(DATE)?.to_str().ok()?).ok()?;
    i64::try_from(date.duration_since(UNIX_EPOCH).ok()?.as_millis()).ok()
}

/// The local wall clock in ms since the epoch (0 before it).
pub(crate) fn wall_clock_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetime_from_the_servers_date_else_the_local_clock() {
        let now = 1_783_077_877_000;
        // No Date: the local clock.
        assert_eq!(lifetime_ms(now + 60_000, None, now), Some(60_000));
        assert_eq!(lifetime_ms(now, None, now), None);
        assert_eq!(lifetime_ms(now - 60_000, None, now), None);
        // Date 2 h ahead of the local clock: 1 h left by the server's clock.
        let ahead = now + 7_200_000;
        assert_eq!(
            lifetime_ms(now + 10_800_000, Some(ahead), now),
            Some(3_600_000)
        );
        // Date 2 h behind: a token "expired an hour ago" locally has an hour left (less the
        // rest of Date's second).
        let behind = now - 7_200_000;
        assert_eq!(
            lifetime_ms(now - 3_600_000, Some(behind), now),
            Some(3_599_001)
        );
        // expiresAt not after Date: none.
        assert_eq!(lifetime_ms(now + 60_000, Some(now + 120_000), now), None);
        assert_eq!(lifetime_ms(now, Some(now), now), None);
        // Clocks agreeing within Date's second: the local milliseconds count.
        assert_eq!(lifetime_ms(now + 2_000, Some(now), now + 400), Some(1_600));
        // Absurd numbers neither overflow nor pass.
        assert_eq!(lifetime_ms(i64::MIN, Some(now), now), None);
        assert_eq!(lifetime_ms(-1, None, now), None);
        assert_eq!(
            lifetime_ms(i64::MAX, Some(i64::MIN), i64::MAX),
            Some(u64::MAX >> 1)
        );
        assert!(lifetime_ms(i64::MAX, None, now).is_some());
    }

    #[test]
    fn reply_dates() {
        let mut headers = HeaderMap::new();
        assert_eq!(reply_date(&headers), None);
        headers.insert(DATE, "Sun, 06 Nov 1994 08:49:37 GMT".parse().unwrap());
        assert_eq!(reply_date(&headers), Some(784_111_777_000));
        headers.insert(DATE, "yesterday".parse().unwrap());
        assert_eq!(reply_date(&headers), None);
    }
}

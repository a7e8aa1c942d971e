//! When a failed request may be sent again, and how long to wait first.
//!
//! A login is safe to repeat, so it retries every transient failure. Other calls may move
//! money, so they retry only when the request surely never reached the server (connection
//! refused) or the server said so (429, 503): never after a timeout or another 5xx.

use std::time::{Duration, SystemTime};

use http::header::{HeaderMap, RETRY_AFTER};
use rand::Rng;

/// `Retry-After` is honoured up to this long; a server asking for more gets this.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// Exponential backoff stops growing here.
const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// Whether repeating a request can do harm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Idempotency {
    /// The login: repeating it only costs a token.
    Safe,
    /// Any other call: it may move money.
    Unsafe,
}

/// How an attempt failed, as far as retrying cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The connection could not be made: the request was never sent.
    NotSent,
    /// The connect or request time limit passed: the server may have acted.
    TimedOut,
    /// The connection broke after the request may have been sent.
    Broken,
    /// The server answered with this status.
    Status(u16),
}

impl Idempotency {
    pub(crate) fn may_retry(self, failure: Failure) -> bool {
        matches!(
            (self, failure),
            (_, Failure::NotSent)
                | (_, Failure::Status(429 | 503))
                | (Idempotency::Safe, Failure::TimedOut | Failure::Broken)
                | (Idempotency::Safe, Failure::Status(500 | 502 | 504))
        )
    }
}

/// The wait before retry number `retry` (0 for the first): the server's `Retry-After` when it
/// gave one (capped), else exponential backoff from `base` with jitter, so a fleet of clients
/// that failed together does not come back together.
pub(crate) fn delay(retry: u32, base: Duration, retry_after: Option<Duration>) -> Duration {
    if let Some(after) = retry_after {
        return after.min(MAX_RETRY_AFTER);
    }
    let exp = base.saturating_mul(1u32 << retry.min(16)).min(MAX_BACKOFF);
    // "Equal jitter": at least half the backoff, so retries never come back-to-back.
    let half = exp / 2;
    half + half.mul_f64(rand::thread_rng().gen::<f64>())
}

/// Parses `Retry-After`: delta-seconds or an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO)
            .min(MAX_RETRY_AFTER),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::HeaderValue;

    #[test]
    fn login_retries_every_transient_failure() {
        for f in [
            Failure::NotSent,
            Failure::TimedOut,
            Failure::Broken,
            Failure::Status(429),
            Failure::Status(500),
            Failure::Status(502),
            Failure::Status(503),
            Failure::Status(504),
        ] {
            assert!(Idempotency::Safe.may_retry(f), "{f:?}");
        }
        for s in [400, 401, 403, 404, 501] {
            assert!(!Idempotency::Safe.may_retry(Failure::Status(s)), "{s}");
        }
    }

    #[test]
    fn calls_retry_only_surely_unsent_or_server_asked() {
        for f in [Failure::NotSent, Failure::Status(429), Failure::Status(503)] {
            assert!(Idempotency::Unsafe.may_retry(f), "{f:?}");
        }
        for f in [
            Failure::TimedOut,
            Failure::Broken,
            Failure::Status(500),
            Failure::Status(502),
            Failure::Status(504),
            Failure::Status(401),
        ] {
            assert!(!Idempotency::Unsafe.may_retry(f), "{f:?}");
        }
    }

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let base = Duration::from_millis(100);
        for retry in 0..20 {
            let d = delay(retry, base, None);
            let exp = base.saturating_mul(1 << retry.min(16)).min(MAX_BACKOFF);
            assert!(d >= exp / 2 && d <= exp, "{retry}: {d:?}");
        }
        assert_eq!(
            delay(0, base, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(
            delay(0, base, Some(Duration::from_secs(300))),
            MAX_RETRY_AFTER
        );
    }

    #[test]
    fn retry_after_forms() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("99999"));
        assert_eq!(retry_after(&h), Some(MAX_RETRY_AFTER));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }
}

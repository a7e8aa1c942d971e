//! The token cache's rules, as a pure unit: it takes "now" (milliseconds on a monotonic clock)
//! as an argument, does no I/O and starts nothing itself. [`Session`](crate::Session) keeps one
//! behind its lock, asks it what to do ([`Cache::decide`]), does it, and reports back how the
//! login went ([`Cache::succeeded`], [`Cache::failed`], [`Cache::abandoned`]).
//!
//! The rules (from `api.md`, "Session" and "Added in 0.2"):
//! - a token is handed out as is until its renew point: the refresh window (`refresh_before`
//!   before its expiry, at most half its lifetime) starts up to 10 % of the window earlier,
//!   chosen per token, so a fleet that logged in together does not renew together;
//! - from the renew point until it expires it is still handed out at once, and one background
//!   renewal is started; a renewal that fails keeps the old token;
//! - an expired token is never handed out; callers without a valid token wait for the one login
//!   in flight (single flight), or start it;
//! - after a failed login no new login starts for a back-off: 1 s, doubling with each further
//!   failure up to 30 s, or the error's `Retry-After` if longer. Callers without a valid token
//!   get the last failure's error at once meanwhile; a background renewal waits for it too. A
//!   success ends the back-off, `invalidate` does not.
//!
//! `F` is whatever the session waits on for the login in flight; the cache only hands out
//! clones of it.

use std::sync::Arc;

use crate::authentication::Authentication;
use crate::error::Error;

/// Milliseconds on a monotonic clock.
pub(crate) type Millis = u64;

/// The back-off after the first failed login.
pub(crate) const FIRST_BACKOFF: Millis = 1_000;
/// The back-off stops doubling here.
pub(crate) const MAX_BACKOFF: Millis = 30_000;
/// The refresh window starts up to this share of it earlier.
const JITTER_SHARE: f64 = 0.10;

/// Picks a number in `[0, 1)` per token: how far into the jitter range its renew point moves.
pub(crate) type Jitter = fn() -> f64;

/// The default [`Jitter`]: the thread's CSPRNG (reseeded after `fork()`).
pub(crate) fn random_jitter() -> f64 {
    rand::random::<f64>()
}

/// Identifies one login in flight, so a late outcome cannot end a newer one.
pub(crate) type FlightId = u64;

/// What a caller of the cache should do now.
#[derive(Debug)]
pub(crate) enum Decision<F> {
    /// Hand out this token.
    Ready(Arc<Authentication>),
    /// Hand out this token and start one background renewal (register it with
    /// [`Cache::started`] before releasing the lock).
    Renew(Arc<Authentication>),
    /// Wait for the login in flight.
    Wait(F),
    /// Start a login (register it with [`Cache::started`] before releasing the lock) and wait
    /// for it.
    Login,
    /// Fail at once: the failed-login back-off is running.
    Fail(Error),
}

/// One account's token, its renew point and expiry, the login in flight, and the back-off.
#[derive(Debug)]
pub(crate) struct Cache<F> {
    /// How long before expiry the refresh window opens (capped at half the lifetime).
    refresh_before: Millis,
    jitter: Jitter,
    token: Option<Token>,
    flight: Option<(FlightId, F)>,
    last_flight: FlightId,
    /// Failed logins since the last success.
    failures: u32,
    backoff: Option<Backoff>,
    /// The login in flight, when it is a background renewal (a token was still valid).
    renewal: Option<FlightId>,
    counts: Counts,
}

/// What the cache counted since it was made (see [`Cache::counts`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Background renewals started.
    pub renewals: u64,
    /// Background renewals that failed.
    pub renewal_failures: u64,
    /// Callers that had to wait for a login (the one that started it included).
    pub waits: u64,
}

#[derive(Debug)]
struct Token {
    auth: Arc<Authentication>,
    /// From here on a background renewal is due.
    renew_at: Millis,
    /// From here on the token is never handed out.
    expires: Millis,
}

#[derive(Debug)]
struct Backoff {
    /// No login starts before this.
    until: Millis,
    /// The last failure, handed to callers meanwhile.
    error: Error,
}

impl<F: Clone> Cache<F> {
    pub(crate) fn new(refresh_before: Millis, jitter: Jitter) -> Self {
        Cache {
            refresh_before,
            jitter,
            token: None,
            flight: None,
            last_flight: 0,
            failures: 0,
            backoff: None,
            renewal: None,
            counts: Counts::default(),
        }
    }

    /// What to do for a caller that wants a token at `now`.
    pub(crate) fn decide(&mut self, now: Millis) -> Decision<F> {
        if let Some(token) = &self.token {
            if now < token.renew_at {
                return Decision::Ready(token.auth.clone());
            }
            if now < token.expires {
                let auth = token.auth.clone();
                return if self.flight.is_some() || self.backing_off(now) {
                    Decision::Ready(auth)
                } else {
                    self.counts.renewals += 1;
                    Decision::Renew(auth)
                };
            }
            // Expired: never handed out again.
            self.token = None;
        }
        if let Some((_, flight)) = &self.flight {
            self.counts.waits += 1;
            return Decision::Wait(flight.clone());
        }
        match &self.backoff {
            Some(backoff) if now < backoff.until => Decision::Fail(self.backoff_error(now)),
            _ => {
                self.counts.waits += 1;
                Decision::Login
            }
        }
    }

    /// Registers the login just started after [`Decision::Login`] or [`Decision::Renew`].
    pub(crate) fn started(&mut self, flight: F) -> FlightId {
        self.last_flight = self.last_flight.wrapping_add(1);
        self.flight = Some((self.last_flight, flight));
        // A login while a valid token is cached can only be a renewal (`decide` drops an
        // expired token before it asks for a login).
        self.renewal = self.token.is_some().then_some(self.last_flight);
        self.last_flight
    }

    /// The counts so far.
    pub(crate) fn counts(&self) -> Counts {
        self.counts
    }

    /// The cached token while it has not expired at `now` (renewing or not).
    pub(crate) fn valid(&self, now: Millis) -> Option<&Arc<Authentication>> {
        self.token
            .as_ref()
            .filter(|t| now < t.expires)
            .map(|t| &t.auth)
    }

    /// The login in flight, if any.
    pub(crate) fn flight(&self) -> Option<&F> {
        self.flight.as_ref().map(|(_, f)| f)
    }

    /// Forgets the login in flight without an outcome (one that can never finish here, e.g. a
    /// parent's after `fork()`).
    pub(crate) fn abandon_flight(&mut self) {
        self.flight = None;
    }

    /// Login `id` succeeded: `auth` arrived at `received` and lives `lifetime` ms from then.
    /// Ends the back-off.
    pub(crate) fn succeeded(
        &mut self,
        id: FlightId,
        auth: Arc<Authentication>,
        received: Millis,
        lifetime: Millis,
    ) {
        self.end_flight(id);
        self.failures = 0;
        self.backoff = None;
        let expires = received.saturating_add(lifetime);
        self.token = Some(Token {
            auth,
            renew_at: expires.saturating_sub(self.lead(lifetime)),
            expires,
        });
    }

    /// Login `id` failed at `now`: the back-off starts (or grows). A token still valid is kept;
    /// returns whether there is one.
    pub(crate) fn failed(&mut self, id: FlightId, now: Millis, error: &Error) -> bool {
        if self.renewal == Some(id) {
            self.counts.renewal_failures += 1;
        }
        self.end_flight(id);
        self.failures = self.failures.saturating_add(1);
        let retry_after = error
            .retry_after()
            .map_or(0, |d| d.as_millis().min(u128::from(u64::MAX)) as u64);
        let pause = backoff_for(self.failures).max(retry_after);
        self.backoff = Some(Backoff {
            until: now.saturating_add(pause),
            error: error.clone(),
        });
        self.token.as_ref().is_some_and(|t| now < t.expires)
    }

    /// Login `id` ended without an outcome (it panicked, or its task was dropped): nothing is
    /// recorded, the next caller may start another.
    pub(crate) fn abandoned(&mut self, id: FlightId) {
        self.end_flight(id);
    }

    /// Drops the token; the back-off (if any) stays.
    pub(crate) fn invalidate(&mut self) {
        self.token = None;
    }

    /// Drops the token if it is still the one with `access_token` (a 401 for it).
    pub(crate) fn forget(&mut self, access_token: &str) {
        if self
            .token
            .as_ref()
            .is_some_and(|t| t.auth.access_token == access_token)
        {
            self.token = None;
        }
    }

    /// The token while it is before its renew point, without deciding anything.
    pub(crate) fn fresh(&self, now: Millis) -> Option<Arc<Authentication>> {
        let token = self.token.as_ref()?;
        (now < token.renew_at).then(|| token.auth.clone())
    }

    /// The cached token, even past its renew point (for `Debug`).
    pub(crate) fn token(&self) -> Option<&Arc<Authentication>> {
        self.token.as_ref().map(|t| &t.auth)
    }

    /// When the back-off ends, if one is running at `now`.
    pub(crate) fn backoff_until(&self, now: Millis) -> Option<Millis> {
        self.backoff
            .as_ref()
            .map(|b| b.until)
            .filter(|&until| now < until)
    }

    fn backing_off(&self, now: Millis) -> bool {
        self.backoff_until(now).is_some()
    }

    fn end_flight(&mut self, id: FlightId) {
        if self
            .flight
            .as_ref()
            .is_some_and(|(current, _)| *current == id)
        {
            self.flight = None;
        }
        if self.renewal == Some(id) {
            self.renewal = None;
        }
    }

    /// How long before expiry a token of `lifetime` is renewed: the refresh window (capped at
    /// half the lifetime) plus up to 10 % of it, drawn once per token.
    fn lead(&self, lifetime: Millis) -> Millis {
        let window = self.refresh_before.min(lifetime / 2);
        let draw = (self.jitter)();
        let draw = if draw.is_finite() {
            draw.clamp(0.0, 1.0)
        } else {
            0.0
        };
        window.saturating_add((window as f64 * JITTER_SHARE * draw) as Millis)
    }

    /// The last failure as callers during the back-off get it: the same code, status, tag,
    /// uuid and data, the message saying when the next login may be tried.
    fn backoff_error(&self, now: Millis) -> Error {
        let Some(backoff) = &self.backoff else {
            return Error::new(crate::ErrorKind::Internal, "no back-off is running");
        };
        let e = &backoff.error;
        // In tenths of a second, rounded up: never "0.0 s" while it still runs.
        let tenths = backoff.until.saturating_sub(now).div_ceil(100);
        let failures = self.failures;
        let message = format!(
            "{} (after {failures} failed login{} this session makes no new login for {}.{} s)",
            e.message(),
            if failures == 1 { "" } else { "s" },
            tenths / 10,
            tenths % 10,
        );
        let error = Error::new(e.kind(), message)
            .with_tag(e.tag().map(str::to_owned))
            .with_uuid(e.uuid().map(str::to_owned))
            .with_data(e.data().cloned())
            .with_retry_after(e.retry_after());
        match e.status() {
            Some(status) => error.with_status(status),
            None => error,
        }
    }
}

/// The back-off after `failures` consecutive failed logins (1 or more): 1 s, doubling, 30 s at
/// most.
pub(crate) fn backoff_for(failures: u32) -> Millis {
    let doublings = failures.saturating_sub(1).min(16);
    (FIRST_BACKOFF << doublings).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::authentication::User;
    use crate::error::ErrorKind;

    const MIN: Millis = 60_000;
    const HOUR: Millis = 60 * MIN;

    fn auth(token: &str) -> Arc<Authentication> {
        Arc::new(Authentication {
            access_token: token.to_owned(),
            expires_at: 0,
            user: User {
                username: "u".into(),
                scopes: vec![],
                is_api: true,
            },
            ticket: String::new(),
            uuid: String::new(),
            message: String::new(),
            received: std::time::Instant::now(),
            lifetime_ms: 0,
        })
    }

    fn refused() -> Error {
        Error::new(ErrorKind::Authentication, "invalid credentials")
            .with_status(200)
            .with_tag(Some("6181882e".into()))
            .with_uuid(Some("973e8576".into()))
    }

    /// A session's use of the cache with a fake clock and a login that counts its calls: the
    /// flight handle is the login's number.
    struct Harness {
        cache: Cache<u32>,
        logins: u32,
        /// The flight id of the login in flight.
        id: Option<FlightId>,
    }

    #[derive(Debug, PartialEq)]
    enum Got {
        Token(String),
        TokenAndRenewal(String),
        Waits(u32),
        LogsIn(u32),
        /// The back-off error's message.
        Fails(String),
    }

    impl Harness {
        fn new(jitter: Jitter) -> Self {
            Harness {
                cache: Cache::new(5 * MIN, jitter),
                logins: 0,
                id: None,
            }
        }

        fn get(&mut self, now: Millis) -> Got {
            match self.cache.decide(now) {
                Decision::Ready(a) => Got::Token(a.access_token.clone()),
                Decision::Renew(a) => {
                    self.start();
                    Got::TokenAndRenewal(a.access_token.clone())
                }
                Decision::Wait(n) => Got::Waits(n),
                Decision::Login => Got::LogsIn(self.start()),
                Decision::Fail(e) => Got::Fails(e.message().to_owned()),
            }
        }

        fn start(&mut self) -> u32 {
            self.logins += 1;
            self.id = Some(self.cache.started(self.logins));
            self.logins
        }

        fn succeed(&mut self, now: Millis, token: &str, lifetime: Millis) {
            let id = self.id.take().expect("a login in flight");
            self.cache.succeeded(id, auth(token), now, lifetime);
        }

        fn fail(&mut self, now: Millis, error: &Error) -> bool {
            let id = self.id.take().expect("a login in flight");
            self.cache.failed(id, now, error)
        }

        fn fails_at_once(&mut self, now: Millis) -> bool {
            matches!(self.get(now), Got::Fails(_))
        }
    }

    fn no_jitter() -> f64 {
        0.0
    }

    fn most_jitter() -> f64 {
        1.0
    }

    #[test]
    fn single_flight_cold_callers_share_one_login() {
        let mut h = Harness::new(no_jitter);
        assert_eq!(h.get(0), Got::LogsIn(1));
        for t in 1..1000 {
            assert_eq!(h.get(t), Got::Waits(1));
        }
        h.succeed(1000, "t1", HOUR);
        for t in [1000, 2000, HOUR / 2] {
            assert_eq!(h.get(t), Got::Token("t1".into()));
        }
        assert_eq!(h.logins, 1);
    }

    #[test]
    fn stale_while_renew_one_renewal_and_the_old_token_meanwhile() {
        let mut h = Harness::new(no_jitter);
        h.get(0);
        h.succeed(0, "t1", HOUR);
        let renew = HOUR - 5 * MIN;
        assert_eq!(h.get(renew - 1), Got::Token("t1".into()));
        assert_eq!(h.get(renew), Got::TokenAndRenewal("t1".into()));
        for t in renew + 1..renew + 100 {
            assert_eq!(h.get(t), Got::Token("t1".into()), "one renewal only");
        }
        h.succeed(renew + 100, "t2", HOUR);
        assert_eq!(h.get(renew + 101), Got::Token("t2".into()));
        assert_eq!(h.logins, 2);
    }

    #[test]
    fn a_failed_renewal_keeps_the_token_and_waits_for_the_back_off() {
        let mut h = Harness::new(no_jitter);
        h.get(0);
        h.succeed(0, "t1", HOUR);
        let renew = HOUR - 5 * MIN;
        assert_eq!(h.get(renew), Got::TokenAndRenewal("t1".into()));
        assert!(h.fail(renew + 10, &refused()), "the old token is kept");
        for t in [renew + 10, renew + 500, renew + 1009] {
            assert_eq!(
                h.get(t),
                Got::Token("t1".into()),
                "no renewal in the back-off"
            );
        }
        assert_eq!(h.get(renew + 1010), Got::TokenAndRenewal("t1".into()));
        assert!(h.fail(renew + 1010, &refused()));
        assert_eq!(h.get(renew + 3009), Got::Token("t1".into()), "2 s now");
        assert_eq!(h.get(renew + 3010), Got::TokenAndRenewal("t1".into()));
        assert!(h.fail(renew + 3010, &refused()));
        assert_eq!(h.get(HOUR - 1), Got::TokenAndRenewal("t1".into()));
        assert!(h.fail(HOUR - 1, &refused()));
        // Past its expiry the old token is never handed out: the back-off error instead.
        assert!(h.fails_at_once(HOUR));
        assert_eq!(h.get(HOUR - 1 + 8_000), Got::LogsIn(6));
    }

    #[test]
    fn an_expired_token_is_never_handed_out_even_while_a_renewal_runs() {
        let mut h = Harness::new(no_jitter);
        h.get(0);
        h.succeed(0, "t1", 10_000);
        assert_eq!(h.get(5_000), Got::TokenAndRenewal("t1".into()));
        assert_eq!(h.get(9_999), Got::Token("t1".into()));
        assert_eq!(h.get(10_000), Got::Waits(2));
        assert_eq!(h.get(u64::MAX), Got::Waits(2));
    }

    #[test]
    fn back_off_doubles_to_thirty_seconds() {
        let mut h = Harness::new(no_jitter);
        let mut now = 0;
        let mut pauses = vec![];
        for _ in 0..8 {
            assert!(matches!(h.get(now), Got::LogsIn(_)));
            assert_eq!(
                h.get(now),
                Got::Waits(h.logins),
                "single flight while it runs"
            );
            assert!(!h.fail(now, &refused()));
            let until = h.cache.backoff_until(now).unwrap();
            assert!(h.fails_at_once(now) && h.fails_at_once(until - 1));
            pauses.push(until - now);
            now = until;
        }
        assert_eq!(
            pauses,
            [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]
        );
        assert_eq!(h.logins, 8);
        assert_eq!(backoff_for(u32::MAX), MAX_BACKOFF);
    }

    #[test]
    fn retry_after_wins_when_longer() {
        let mut h = Harness::new(no_jitter);
        h.get(0);
        let busy = Error::new(ErrorKind::HttpStatus, "busy")
            .with_status(503)
            .with_retry_after(Some(Duration::from_secs(20)));
        h.fail(0, &busy);
        assert_eq!(h.cache.backoff_until(0), Some(20_000));
        assert!(h.fails_at_once(19_999));
        assert_eq!(h.get(20_000), Got::LogsIn(2));
        // Shorter than the back-off: the back-off (2 s after the second failure).
        let soon = busy
            .clone()
            .with_retry_after(Some(Duration::from_millis(500)));
        h.fail(20_000, &soon);
        assert_eq!(h.cache.backoff_until(20_000), Some(22_000));
    }

    #[test]
    fn the_back_off_error_is_the_last_failure_with_when_to_retry() {
        let mut h = Harness::new(no_jitter);
        h.get(0);
        let error = refused().with_data(Some(serde_json::json!({"invalid": true})));
        h.fail(0, &error);
        let Decision::Fail(e) = h.cache.decide(250) else {
            panic!("fails at once")
        };
        assert_eq!(e.code(), "authentication");
        assert_eq!(e.status(), Some(200));
        assert_eq!(e.tag(), Some("6181882e"));
        assert_eq!(e.uuid(), Some("973e8576"));
        assert_eq!(e.data(), error.data());
        assert!(e.message().starts_with("invalid credentials"), "{e}");
        assert!(e.message().contains("for 0.8 s)"), "{}", e.message());
        let Decision::Fail(e) = h.cache.decide(999) else {
            panic!("fails at once")
        };
        assert!(e.message().contains("for 0.1 s)"), "{}", e.message());
    }

    #[test]
    fn invalidate_keeps_the_back_off_and_a_success_ends_it() {
        let mut h = Harness::new(no_jitter);
        h.get(0);
        h.fail(0, &refused());
        h.cache.invalidate();
        assert!(h.fails_at_once(500), "invalidate does not end the back-off");
        assert_eq!(h.get(1_000), Got::LogsIn(2));
        h.fail(1_000, &refused());
        assert!(h.fails_at_once(2_999));
        assert_eq!(h.get(3_000), Got::LogsIn(3));
        h.succeed(3_000, "t1", HOUR);
        assert_eq!(h.cache.backoff_until(3_000), None, "a success ends it");
        h.cache.invalidate();
        assert_eq!(h.get(3_001), Got::LogsIn(4), "no back-off after a success");
        // And the count starts again: the next failure pauses 1 s.
        h.fail(3_001, &refused());
        assert_eq!(h.cache.backoff_until(3_001), Some(4_001));
    }

    #[test]
    fn a_success_during_the_back_off_ends_it() {
        // A renewal started before the failure of another login can still succeed.
        let mut h = Harness::new(no_jitter);
        assert_eq!(h.get(0), Got::LogsIn(1));
        let first = h.id.take().unwrap();
        h.cache.failed(first, 0, &refused());
        assert!(h.fails_at_once(10));
        h.cache.succeeded(first, auth("late"), 20, HOUR);
        assert_eq!(h.get(30), Got::Token("late".into()));
    }

    #[test]
    fn abandoned_and_stale_outcomes() {
        let mut h = Harness::new(no_jitter);
        assert_eq!(h.get(0), Got::LogsIn(1));
        let id = h.id.take().unwrap();
        h.cache.abandoned(id);
        assert_eq!(h.get(1), Got::LogsIn(2), "no back-off after a panic");
        // A late outcome of login 1 does not end login 2's flight.
        h.cache.abandoned(id);
        assert_eq!(h.get(2), Got::Waits(2));
        h.cache.abandon_flight();
        assert_eq!(h.get(3), Got::LogsIn(3));
    }

    #[test]
    fn counts_renewals_their_failures_and_the_callers_that_waited() {
        let mut h = Harness::new(no_jitter);
        assert_eq!(h.get(0), Got::LogsIn(1));
        assert_eq!(h.get(1), Got::Waits(1));
        assert_eq!(h.cache.counts().waits, 2, "the starter and one waiter");
        h.succeed(2, "t1", 10_000);
        h.get(3);
        assert_eq!(h.cache.counts().waits, 2, "a cached token is no wait");
        assert_eq!(h.get(5_002), Got::TokenAndRenewal("t1".into()));
        assert!(h.fail(5_003, &refused()));
        assert_eq!(h.get(6_003), Got::TokenAndRenewal("t1".into()));
        h.succeed(6_004, "t2", 10_000);
        // A login after expiry is not a renewal, and its failure not a renewal failure.
        h.cache.invalidate();
        assert_eq!(h.get(6_005), Got::LogsIn(4));
        h.fail(6_006, &refused());
        assert!(h.fails_at_once(6_007), "a back-off error is no wait");
        let counts = h.cache.counts();
        assert_eq!(
            counts,
            Counts {
                renewals: 2,
                renewal_failures: 1,
                waits: 3
            }
        );
        assert!(h.cache.valid(6_008).is_none());
    }

    #[test]
    fn forget_drops_only_the_token_it_names() {
        let mut h = Harness::new(no_jitter);
        h.get(0);
        h.succeed(0, "t1", HOUR);
        h.cache.forget("older");
        assert_eq!(h.get(1), Got::Token("t1".into()));
        h.cache.forget("t1");
        assert_eq!(h.get(2), Got::LogsIn(2));
    }

    #[test]
    fn jitter_moves_the_renew_point_up_to_ten_percent_of_the_window_earlier() {
        let renew_point = |jitter: Jitter, lifetime: Millis| {
            let mut cache: Cache<u32> = Cache::new(5 * MIN, jitter);
            let id = cache.started(1);
            cache.succeeded(id, auth("t"), 1_000, lifetime);
            let renew_at = cache.token.as_ref().unwrap().renew_at;
            assert!(cache.fresh(renew_at - 1).is_some() && cache.fresh(renew_at).is_none());
            renew_at
        };
        // Window 5 min: renewal between 5 min and 5.5 min before expiry.
        assert_eq!(renew_point(no_jitter, HOUR), 1_000 + HOUR - 5 * MIN);
        let earliest = 1_000 + HOUR - 5 * MIN - 30_000;
        assert_eq!(renew_point(most_jitter, HOUR), earliest);
        // Capped at half the lifetime: 60 s token, window 30 s, up to 3 s earlier.
        assert_eq!(renew_point(no_jitter, MIN), 1_000 + 30_000);
        assert_eq!(renew_point(most_jitter, MIN), 1_000 + 27_000);
        // Random draws stay inside the range and differ between tokens.
        let mut points = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let p = renew_point(random_jitter, HOUR);
            assert!((earliest..=1_000 + HOUR - 5 * MIN).contains(&p), "{p}");
            points.insert(p);
        }
        assert!(points.len() > 10, "per-token jitter: {points:?}");
        // A broken draw cannot move it outside.
        assert_eq!(renew_point(|| f64::NAN, MIN), 31_000);
        assert_eq!(renew_point(|| 7.0, MIN), 28_000);
    }

    #[test]
    fn absurd_lifetimes_do_not_overflow() {
        let mut h = Harness::new(most_jitter);
        h.get(0);
        h.succeed(u64::MAX - 5, "t1", u64::MAX);
        assert_eq!(h.get(u64::MAX - 5), Got::TokenAndRenewal("t1".into()));
        let mut h = Harness::new(no_jitter);
        h.get(0);
        h.succeed(0, "tiny", 1);
        assert_eq!(h.get(0), Got::Token("tiny".into()));
        assert_eq!(h.get(1), Got::LogsIn(2));
    }
}

//! [`Session`]: one account's token cache in front of a [`Client`].
//!
//! The cache's rules (refresh window with per-token jitter, stale-while-renew, single flight,
//! failed-login back-off) live in [`crate::cache`], a pure unit taking "now"; this file runs
//! them: it keeps one [`Cache`] behind a lock, reads the monotonic clock, and starts the logins
//! the cache asks for.
//!
//! **A login that cannot wedge.** A login is a job the SDK owns, not a future some caller
//! happens to poll: on the async face it is a task on the core's own runtime
//! ([`crate::runtime::async_runtime`]), so it finishes and stores its token even when every
//! caller gave up, or when the caller's runtime shut down. On the blocking face the first
//! caller runs it on its own thread (a renewal goes to the blocking faces' background thread,
//! see [`Background`]). Either way its waiters
//! only await its result (a one-shot channel, usable from any runtime or a plain thread). A
//! panic inside the login, or a job dropped before it finished, is an `internal` error for its
//! waiters and is not recorded as a failed login: the next caller starts a new one.
//!
//! **Time.** A token's expiry is tracked on the monotonic clock from the moment its reply
//! arrived, for the lifetime measured against the server's `Date` (see
//! [`crate::authentication::lifetime_ms`]), so a wall-clock step never makes an expired token
//! look fresh nor a fresh one look expired.

use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, Weak};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures_util::future::{BoxFuture, FutureExt, Shared};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::oneshot;

use crate::authentication::Authentication;
use crate::cache::{self, Cache, Decision, FlightId, Millis};
use crate::client::Client;
use crate::client::{new_request_uuid, validate_uuid};
use crate::config::validate_path;
use crate::credentials::Credentials;
use crate::envelope::{Endpoint, Success};
use crate::error::{Error, ErrorKind, Result};
use crate::redact::token_fingerprint;
use crate::scrub::Secrets;
use crate::store::{self, Io, SessionStore, TokenStore};

/// A login to run or to wait for: either the login job itself (it performs the login and
/// records its outcome) or a wait for the result of the one in flight.
pub(crate) type Login = BoxFuture<'static, Result<Arc<Authentication>>>;

/// The result of the login in flight, as every waiter sees it.
type Outcome = Shared<BoxFuture<'static, Result<Arc<Authentication>>>>;

#[cfg(test)]
type FakeLogin = Arc<dyn Fn() -> BoxFuture<'static, Result<Authentication>> + Send + Sync>;

/// A client plus one account's credentials, with a token cache.
///
/// Cheap to clone (clones share the cache) and safe to share between tasks and threads.
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    credentials: Credentials,
    background: Background,
    state: Mutex<State>,
    /// The token store the session logs in through (`None`: `memory:`, its own cache only),
    /// or why the one it was given is unusable (every call fails with it, nothing sent).
    store: std::result::Result<Option<Arc<SessionStore>>, String>,
    /// Login requests sent (every attempt), for [`Session::stats`].
    logins: Arc<AtomicU64>,
    /// Tests replace the login request with their own.
    #[cfg(test)]
    fake_login: Mutex<Option<FakeLogin>>,
}

/// How a renewal runs while callers keep using the current token.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Background {
    /// On the caller's tokio runtime (the async face).
    Tokio,
    /// On the process's one background driver thread (the blocking faces, which have no
    /// runtime: see [`crate::runtime::spawn_background`]).
    Thread,
}

struct State {
    cache: Cache<Flight>,
}

/// The login in flight, for its waiters.
#[derive(Clone)]
struct Flight {
    /// A login started by another process (before a `fork()`) can never finish here.
    pid: u32,
    outcome: Outcome,
}

/// What the cache can give right now: a token, or the login to wait for.
pub(crate) enum Lookup {
    Ready(Arc<Authentication>),
    Wait(Login),
}

impl Session {
    pub(crate) fn new(client: Client, credentials: Credentials, background: Background) -> Session {
        Session::with_store(client, credentials, background, store::from_env())
    }

    /// A session logging in through `store` (`Ok(None)`: `memory:`; an error: the store URL
    /// was bad, and every call fails with it before any I/O).
    pub(crate) fn with_store(
        client: Client,
        credentials: Credentials,
        background: Background,
        store: Result<Option<Arc<dyn TokenStore>>>,
    ) -> Session {
        let store = match store {
            Ok(Some(s)) => Ok(SessionStore::new(s, client.base_url(), &credentials).map(Arc::new)),
            Ok(None) => Ok(None),
            Err(e) => Err(e.message().to_owned()),
        };
        let client_refresh_before = client.config().refresh_before;
        Session {
            inner: Arc::new(Inner {
                client,
                credentials,
                background,
                store,
                state: Mutex::new(State {
                    cache: Cache::new(millis(client_refresh_before), cache::random_jitter),
                }),
                logins: Arc::new(AtomicU64::new(0)),
                #[cfg(test)]
                fake_login: Mutex::new(None),
            }),
        }
    }

    /// The client this session logs in and calls through.
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// The account's username.
    pub fn username(&self) -> &str {
        self.inner.credentials.username()
    }

    /// A valid access token: the cached one while fresh, else after one shared login.
    pub async fn access_token(&self) -> Result<String> {
        Ok(self.authentication().await?.access_token.clone())
    }

    /// `"Bearer <token>"` for an `Authorization` header of the caller's own HTTP client: the
    /// token of [`access_token`](Self::access_token) (cached, renewed or one shared login).
    pub async fn authorization_header(&self) -> Result<String> {
        Ok(bearer(&self.authentication().await?.access_token))
    }

    /// The `Authorization` header to send a request again with after the server refused
    /// `rejected` (a header from [`authorization_header`](Self::authorization_header), or the
    /// bare token) with HTTP 401: drops that token if it is still the cached one (never a newer
    /// one that another caller already got) and returns the header of a fresh token, through
    /// the session's one shared login.
    pub async fn reauthorize(&self, rejected: &str) -> Result<String> {
        self.refused(rejected);
        self.authorization_header().await
    }

    /// What the session counted since it was made, and its back-off and token expiry now.
    pub fn stats(&self) -> SessionStats {
        let now = monotonic_now();
        let (counts, backoff_until, expires_at) = {
            let state = self.state();
            let cache = &state.cache;
            (
                cache.counts(),
                cache.backoff_until(now),
                cache.valid(now).map(|a| a.expires_at),
            )
        };
        SessionStats {
            logins: self.inner.logins.load(Ordering::Relaxed),
            renewals: counts.renewals,
            renewal_failures: counts.renewal_failures,
            waits: counts.waits,
            backoff_until_ms: backoff_until.map_or(0, |until| {
                let left = i64::try_from(until.saturating_sub(now)).unwrap_or(i64::MAX);
                epoch_ms_now().saturating_add(left)
            }),
            expires_at_ms: expires_at.unwrap_or(0),
        }
    }

    /// The current login (cached, renewed, or new), with its token, expiry, user and ticket.
    pub async fn authentication(&self) -> Result<Arc<Authentication>> {
        match self.lookup()? {
            Lookup::Ready(auth) => Ok(auth),
            Lookup::Wait(login) => login.await,
        }
    }

    /// The cached login while it is fresh (before its refresh window opens), without waiting,
    /// logging in or renewing: `None` means "call [`authentication`](Self::authentication)".
    /// Lets a face whose async calls are costly (Node's promises) answer a cached token at once.
    pub fn cached(&self) -> Option<Arc<Authentication>> {
        self.state().cache.fresh(monotonic_now())
    }

    /// Drops the cached token; the next use logs in again. A failed-login back-off that is
    /// running goes on (callers keep getting the last failure until it ends).
    pub fn invalidate(&self) {
        let dropped = {
            let mut state = self.state();
            let dropped = state.cache.token().map(|a| a.access_token.clone());
            state.cache.invalidate();
            dropped
        };
        if let (Ok(Some(store)), Some(token)) = (&self.inner.store, dropped) {
            store.reject(&token);
        }
    }

    /// POSTs `body` as JSON to `path` with the bearer token and returns `success.data`.
    ///
    /// On HTTP 401 the token is dropped, a fresh login made and the call sent once more; a
    /// second 401 is an `authentication` error. A business error is an `api` error. Every
    /// attempt, and the re-send after a 401, carries the same fresh `uuid` header.
    pub async fn call<B: Serialize + ?Sized>(&self, path: &str, body: &B) -> Result<Value> {
        self.call_with_uuid(path, body, None).await
    }

    /// [`call`](Self::call) with the caller's own request reference in the `uuid` header (on
    /// every attempt); a uuid that is not a valid header value is `invalid_argument`.
    pub async fn call_with_uuid<B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
        uuid: Option<&str>,
    ) -> Result<Value> {
        check_call(path, uuid)?;
        let body = serde_json::to_vec(body).map(Bytes::from).map_err(|e| {
            Error::invalid_argument(format!("the call's body is not JSON-serialisable: {e}"))
        })?;
        Ok(self.send(Endpoint::Call, path, body, uuid).await?.data)
    }

    /// Money-safe [`call`](Self::call): `json_text` must be one JSON value (else
    /// `invalid_argument`, nothing sent) and is sent byte for byte; the result is `success.data`
    /// exactly as the server wrote it. No number is ever parsed into a float or an integer.
    pub async fn call_raw(&self, path: &str, json_text: &str) -> Result<String> {
        self.call_raw_with_uuid(path, json_text, None).await
    }

    /// [`call_raw`](Self::call_raw) with the caller's own request reference.
    pub async fn call_raw_with_uuid(
        &self,
        path: &str,
        json_text: &str,
        uuid: Option<&str>,
    ) -> Result<String> {
        check_call(path, uuid)?;
        check_json_text(json_text)?;
        let body = Bytes::copy_from_slice(json_text.as_bytes());
        let success = self.send(Endpoint::RawCall, path, body, uuid).await?;
        Ok(String::from(success.raw_data.get()))
    }

    /// The one logical request behind every call: one uuid for all its attempts and for the
    /// re-send after a 401; errors scrubbed of the secret key and of every token used.
    async fn send(
        &self,
        endpoint: Endpoint,
        path: &str,
        body: Bytes,
        uuid: Option<&str>,
    ) -> Result<Success> {
        let fresh;
        let uuid = match uuid {
            Some(u) => u,
            None => {
                fresh = new_request_uuid();
                fresh.as_str()
            }
        };
        let auth = self.authentication().await?;
        let client = &self.inner.client;
        let secret_key = self.inner.credentials.secret_key();
        let first = {
            let secrets = [secret_key, auth.access_token.as_str()];
            client
                .post(
                    endpoint,
                    path,
                    &body,
                    Some(&auth.access_token),
                    Some(uuid),
                    Secrets::new(&secrets),
                )
                .await
        };
        match first {
            Err(e) if e.status() == Some(401) => {
                tracing::debug!(
                    target: "xpay_auth",
                    path, uuid, token = %token_fingerprint(&auth.access_token),
                    "the server refused the token (401); logging in again and sending once more"
                );
                self.forget(&auth);
                let fresh_auth = self.authentication().await?;
                let secrets = [
                    secret_key,
                    fresh_auth.access_token.as_str(),
                    auth.access_token.as_str(),
                ];
                client
                    .post(
                        endpoint,
                        path,
                        &body,
                        Some(&fresh_auth.access_token),
                        Some(uuid),
                        Secrets::new(&secrets),
                    )
                    .await
                    .map_err(|e| match e.status() {
                        Some(401) => e.with_kind(ErrorKind::Authentication),
                        _ => e,
                    })
            }
            other => other,
        }
    }

    /// Decides, under the lock, between handing out the cached token, waiting for a login and
    /// failing at once (the back-off). Synchronous, so the blocking face can hand out a cached
    /// token without its runtime.
    ///
    /// Nothing that may call out of the core (spawning, logging, waking a waiter) happens under
    /// the lock: a logger can take locks of its own (Python's GIL), and a thread holding such a
    /// lock may be waiting for ours.
    pub(crate) fn lookup(&self) -> Result<Lookup> {
        self.inner.credentials.validate()?;
        if let Err(why) = &self.inner.store {
            return Err(Error::invalid_argument(why.clone()));
        }
        let (lookup, job) = self.decide(monotonic_now());
        if let Some(job) = job {
            self.run_in_background(job);
        }
        lookup
    }

    /// The lookup's decision, and a login job to run in the background (a renewal; on the
    /// async face every login).
    fn decide(&self, now: Millis) -> (Result<Lookup>, Option<Login>) {
        let mut state = self.state();
        if state
            .cache
            .flight()
            .is_some_and(|f| f.pid != std::process::id())
        {
            state.cache.abandon_flight();
        }
        match state.cache.decide(now) {
            Decision::Ready(auth) => (Ok(Lookup::Ready(auth)), None),
            Decision::Renew(auth) => {
                let (_, job) = self.start_login(&mut state);
                (Ok(Lookup::Ready(auth)), Some(job))
            }
            Decision::Wait(flight) => (Ok(Lookup::Wait(flight.outcome.boxed())), None),
            Decision::Login => {
                let (flight, job) = self.start_login(&mut state);
                match self.inner.background {
                    // Driven by the SDK's runtime: no waiter's patience or runtime matters.
                    Background::Tokio => (Ok(Lookup::Wait(flight.outcome.boxed())), Some(job)),
                    // The first caller runs it on its own thread; the others wait for it.
                    Background::Thread => (Ok(Lookup::Wait(job)), None),
                }
            }
            Decision::Fail(error) => (Err(error), None),
        }
    }

    /// Starts a login job off the caller: a task on the core's runtime (async face), or a
    /// thread of its own (blocking face). A job that cannot be started is dropped, which tells
    /// its waiters (`internal`) and lets the next caller try again.
    fn run_in_background(&self, job: Login) {
        match self.inner.background {
            Background::Tokio => match crate::runtime::async_runtime() {
                Ok(runtime) => {
                    // Detached: the job stores its own outcome.
                    drop(runtime.spawn(job));
                }
                Err(e) => {
                    tracing::warn!(target: "xpay_auth", code = e.code(), "could not start a login: {e}");
                }
            },
            Background::Thread => self.inner.background.spawn(job),
        }
    }

    /// Registers a new login in flight and returns it with its job. The job holds only a weak
    /// reference to the session, so a login nobody waits for cannot keep the session alive.
    fn start_login(&self, state: &mut State) -> (Flight, Login) {
        let (done, outcome) = oneshot::channel();
        let outcome: Outcome = outcome
            .map(|r| r.unwrap_or_else(|_| Err(abandoned())))
            .boxed()
            .shared();
        let flight = Flight {
            pid: std::process::id(),
            outcome,
        };
        let id = state.cache.started(flight.clone());
        let completion = Completion {
            session: Arc::downgrade(&self.inner),
            id,
            done: Some(done),
        };
        let request = self.through_store(self.login_request());
        let job = async move {
            let mut completion = completion;
            match AssertUnwindSafe(request).catch_unwind().await {
                Ok(result) => {
                    let result = result.map(Arc::new);
                    completion.finish(&result);
                    result
                }
                // Dropping the completion tells the waiters; nothing is recorded.
                Err(_) => Err(abandoned()),
            }
        }
        .boxed();
        (flight, job)
    }

    /// `login` through the session's token store, if it has one: a stored login of another
    /// session or process when usable, else `login` under the store's lock, then saved.
    fn through_store(
        &self,
        login: BoxFuture<'static, Result<Authentication>>,
    ) -> BoxFuture<'static, Result<Authentication>> {
        let Ok(Some(store)) = &self.inner.store else {
            return login;
        };
        let store = store.clone();
        let client = self.inner.client.clone();
        let io = match self.inner.background {
            Background::Tokio => Io::Async,
            Background::Thread => Io::Blocking,
        };
        async move { store.login(&client, io, login).await }.boxed()
    }

    /// The login request itself.
    fn login_request(&self) -> BoxFuture<'static, Result<Authentication>> {
        #[cfg(test)]
        if let Some(fake) = self
            .inner
            .fake_login
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
        {
            return fake();
        }
        let client = self.inner.client.clone();
        let credentials = self.inner.credentials.clone();
        let logins = self.inner.logins.clone();
        async move {
            client
                .authenticate_counting(&credentials, Some(&logins))
                .await
        }
        .boxed()
    }

    /// Drops the cached token if it is still `used` (a 401 for it), not a newer one.
    fn forget(&self, used: &Authentication) {
        self.state().cache.forget(&used.access_token);
        if let Ok(Some(store)) = &self.inner.store {
            store.reject(&used.access_token);
        }
    }

    /// A 401 for `rejected` (a bearer header or a bare token) from the caller's own client.
    pub(crate) fn refused(&self, rejected: &str) {
        let token = rejected.strip_prefix("Bearer ").unwrap_or(rejected);
        tracing::debug!(
            target: "xpay_auth",
            token = %token_fingerprint(token),
            "the server refused the token (401); logging in again"
        );
        self.state().cache.forget(token);
        if let Ok(Some(store)) = &self.inner.store {
            store.reject(token);
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.inner.state)
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The error of a login that ended without an outcome.
fn abandoned() -> Error {
    Error::new(
        ErrorKind::Internal,
        "the login ended without a result (it panicked or was stopped); the next call logs in again",
    )
}

/// Reports one login's outcome: to the cache (under the lock), then to its waiters and the log
/// (after it). Dropped without [`finish`](Completion::finish) (a panic, a job that never ran),
/// it tells the waiters `internal` and frees the cache for a new login.
struct Completion {
    session: Weak<Inner>,
    id: FlightId,
    done: Option<oneshot::Sender<Result<Arc<Authentication>>>>,
}

impl Completion {
    fn finish(&mut self, result: &Result<Arc<Authentication>>) {
        let Some(done) = self.done.take() else {
            return;
        };
        // The fingerprint of the token a failed renewal keeps (computed under the lock, logged
        // after it).
        let kept_old_token = match self.session.upgrade() {
            Some(inner) => {
                let mut state = lock(&inner.state);
                match result {
                    Ok(auth) => {
                        let received = monotonic(auth.received);
                        state
                            .cache
                            .succeeded(self.id, auth.clone(), received, auth.lifetime_ms);
                        None
                    }
                    Err(error) => {
                        let now = monotonic_now();
                        let kept = state.cache.failed(self.id, now, error);
                        let old = state.cache.valid(now).filter(|_| kept);
                        old.map(|a| token_fingerprint(&a.access_token))
                    }
                }
            }
            None => None,
        };
        match (kept_old_token, result) {
            (Some(old), Err(error)) => tracing::warn!(
                target: "xpay_auth",
                code = error.code(), uuid = error.uuid(), token = %old,
                "token renewal failed; the current token stays in use until it expires, and \
                 the next attempt waits for the failed-login back-off"
            ),
            (_, Ok(auth)) => tracing::debug!(
                target: "xpay_auth",
                token = %token_fingerprint(&auth.access_token), expires_at = auth.expires_at,
                uuid = %auth.uuid, "logged in"
            ),
            (None, Err(_)) => {}
        }
        let _ = done.send(result.clone());
    }
}

impl Drop for Completion {
    fn drop(&mut self) {
        let Some(done) = self.done.take() else {
            return;
        };
        if let Some(inner) = self.session.upgrade() {
            lock(&inner.state).cache.abandoned(self.id);
        }
        let _ = done.send(Err(abandoned()));
    }
}

/// What a session counted since it was made ([`Session::stats`]), and its state now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SessionStats {
    /// Login requests this session sent (every attempt counts, retries too).
    pub logins: u64,
    /// Background renewals started.
    pub renewals: u64,
    /// Background renewals that failed.
    pub renewal_failures: u64,
    /// Callers that had to wait for a login (the one that started it included).
    pub waits: u64,
    /// End of the current failed-login back-off, in ms since the Unix epoch; 0 when none.
    pub backoff_until_ms: i64,
    /// The current token's `expiresAt` (ms since the Unix epoch); 0 when there is none.
    pub expires_at_ms: i64,
}

/// `"Bearer <token>"`.
fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// The wall clock in ms since the Unix epoch (0 before it).
fn epoch_ms_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A duration in whole milliseconds, saturating.
fn millis(d: std::time::Duration) -> Millis {
    d.as_millis().min(u128::from(u64::MAX)) as u64
}

/// `at` in milliseconds on the session's monotonic clock (since its first reading in this
/// process; an instant before that reads 0, which only makes a token expire earlier).
fn monotonic(at: Instant) -> Millis {
    static START: OnceLock<Instant> = OnceLock::new();
    millis(at.saturating_duration_since(*START.get_or_init(Instant::now)))
}

fn monotonic_now() -> Millis {
    monotonic(Instant::now())
}

/// What every call checks before any I/O: the path, and the caller's uuid if given.
fn check_call(path: &str, uuid: Option<&str>) -> Result<()> {
    validate_path(path)?;
    uuid.map_or(Ok(()), validate_uuid)
}

/// `call_raw`'s body must be exactly one JSON value (surrounding whitespace allowed).
fn check_json_text(text: &str) -> Result<()> {
    serde_json::from_str::<&serde_json::value::RawValue>(text)
        .map(|_| ())
        .map_err(|e| Error::invalid_argument(format!("the call's body is not one JSON value: {e}")))
}

impl Background {
    fn spawn(self, login: Login) {
        // The result is stored by the login itself; nobody needs the handle.
        let run = async move {
            let _ = login.await;
        };
        match self {
            Background::Tokio => {
                if let Ok(handle) = tokio::runtime::Handle::try_current() {
                    handle.spawn(run);
                }
            }
            // The process's one background driver thread (never a thread per renewal).
            Background::Thread => crate::runtime::spawn_background(run.boxed()),
        }
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        let token = state
            .cache
            .token()
            .map(|a| crate::redact::Redacted(&a.access_token).to_string());
        f.debug_struct("Session")
            .field("base_url", &self.inner.client.base_url())
            .field("username", &self.inner.credentials.username())
            .field("token", &token)
            .field("expires_at", &state.cache.token().map(|a| a.expires_at))
            .finish()
    }
}

#[cfg(test)]
mod tests;

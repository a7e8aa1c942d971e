//! [`Session`]: one account's token cache in front of a [`Client`].
//!
//! The rules (from `api.md`):
//! - a token is handed out as is until its refresh window opens: `refresh_before` (5 min)
//!   before `expiresAt`, but never earlier than half-way through its lifetime;
//! - inside the window the current token is still handed out at once while one background
//!   login renews it; if that renewal fails the old token is used until it really expires;
//! - only callers with no valid token wait, and they all share one login (single flight).
//!
//! The one login in flight is a [`Shared`] future kept in the state: whoever needs the result
//! awaits a clone, and it stores its own result, so a caller that gives up does not lose it.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures_util::future::{BoxFuture, FutureExt, Shared};
use serde::Serialize;
use serde_json::Value;

use crate::authentication::Authentication;
use crate::client::Client;
use crate::client::{new_request_uuid, validate_uuid};
use crate::config::validate_path;
use crate::credentials::Credentials;
use crate::envelope::{Endpoint, Success};
use crate::error::{Error, ErrorKind, Result};
use crate::scrub::Secrets;

pub(crate) type Login = Shared<BoxFuture<'static, Result<Arc<Authentication>>>>;

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

#[derive(Default)]
struct State {
    token: Option<Cached>,
    login: Option<InFlight>,
}

struct Cached {
    auth: Arc<Authentication>,
    /// From this moment (ms since the epoch) a background renewal is due.
    renew_at: i64,
}

struct InFlight {
    /// A login started by another process (before a `fork()`) can never finish here.
    pid: u32,
    login: Login,
}

/// What the cache can give right now: a token, or the login to wait for.
pub(crate) enum Lookup {
    Ready(Arc<Authentication>),
    Wait(Login),
}

impl Session {
    pub(crate) fn new(client: Client, credentials: Credentials, background: Background) -> Session {
        Session {
            inner: Arc::new(Inner {
                client,
                credentials,
                background,
                state: Mutex::new(State::default()),
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
        let state = self.state();
        let cached = state.token.as_ref()?;
        (now_ms() < cached.renew_at).then(|| cached.auth.clone())
    }

    /// Drops the cached token; the next use logs in again.
    pub fn invalidate(&self) {
        self.state().token = None;
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

    /// Decides, under the lock, between handing out the cached token and waiting for a login.
    /// Synchronous, so the blocking face can hand out a cached token without its runtime.
    ///
    /// Nothing that may call out of the core (spawning, logging) happens under the lock: a
    /// logger can take locks of its own (Python's GIL), and a thread holding such a lock may be
    /// waiting for ours.
    pub(crate) fn lookup(&self) -> Result<Lookup> {
        self.inner.credentials.validate()?;
        let (lookup, renewal) = self.decide(now_ms());
        if let Some(login) = renewal {
            self.inner.background.spawn(login);
        }
        Ok(lookup)
    }

    /// The lookup's decision, and the background renewal to start (if one is due).
    fn decide(&self, now: i64) -> (Lookup, Option<Login>) {
        let mut state = self.state();
        if let Some(cached) = &state.token {
            let auth = cached.auth.clone();
            if now < cached.renew_at {
                return (Lookup::Ready(auth), None);
            }
            if now < auth.expires_at {
                let renewal = match self.in_flight(&state) {
                    Some(_) => None,
                    None => Some(self.start_login(&mut state)),
                };
                return (Lookup::Ready(auth), renewal);
            }
            state.token = None;
        }
        let login = match self.in_flight(&state) {
            Some(login) => login,
            None => self.start_login(&mut state),
        };
        (Lookup::Wait(login), None)
    }

    fn in_flight(&self, state: &State) -> Option<Login> {
        state
            .login
            .as_ref()
            .filter(|f| f.pid == std::process::id())
            .map(|f| f.login.clone())
    }

    /// Creates the one login in flight. It holds only a weak reference to the session, so a
    /// login nobody waits for any more cannot keep the session alive.
    fn start_login(&self, state: &mut State) -> Login {
        let client = self.inner.client.clone();
        let credentials = self.inner.credentials.clone();
        let session = Arc::downgrade(&self.inner);
        let login = async move {
            let result = client.authenticate(&credentials).await.map(Arc::new);
            store(&session, &result);
            result
        }
        .boxed()
        .shared();
        state.login = Some(InFlight {
            pid: std::process::id(),
            login: login.clone(),
        });
        login
    }

    /// Drops the cached token if it is still `used` (a 401 for it), not a newer one.
    fn forget(&self, used: &Authentication) {
        let mut state = self.state();
        if state
            .token
            .as_ref()
            .is_some_and(|c| c.auth.access_token == used.access_token)
        {
            state.token = None;
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Records a login's outcome: a new token replaces the old; a failure keeps the old one (still
/// valid until it expires) but waits a little before the next background attempt.
fn store(session: &Weak<Inner>, result: &Result<Arc<Authentication>>) {
    let Some(inner) = session.upgrade() else {
        return;
    };
    let kept_old_token = {
        let mut state = inner.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.login = None;
        let now = now_ms();
        match result {
            Ok(auth) => {
                let renew_at = renew_at(now, auth.expires_at, inner.client.config().refresh_before);
                state.token = Some(Cached {
                    auth: auth.clone(),
                    renew_at,
                });
                false
            }
            Err(_) => match &mut state.token {
                Some(cached) => {
                    let pause =
                        (cached.auth.expires_at.saturating_sub(now) / 4).clamp(1_000, 30_000);
                    cached.renew_at = now.saturating_add(pause);
                    true
                }
                None => false,
            },
        }
    };
    // Logged after the lock is released (see `Session::lookup`).
    if let (true, Err(error)) = (kept_old_token, result) {
        tracing::warn!(
            target: "xpay_auth",
            code = error.code(), uuid = error.uuid(),
            "token renewal failed; the current token stays in use until it expires"
        );
    }
}

/// When to start renewing a token received at `now`: `refresh_before` ahead of its expiry, but
/// no earlier than half-way through its lifetime.
fn renew_at(now: i64, expires_at: i64, refresh_before: Duration) -> i64 {
    // Saturating: `expiresAt` is the server's number, any i64 (a negative or absurd one must
    // not overflow).
    let lifetime = expires_at.saturating_sub(now).max(0);
    let window = (refresh_before.as_millis().min(i64::MAX as u128) as i64).min(lifetime / 2);
    expires_at.saturating_sub(window)
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

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
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
            .token
            .as_ref()
            .map(|c| crate::redact::Redacted(&c.auth.access_token).to_string());
        f.debug_struct("Session")
            .field("base_url", &self.inner.client.base_url())
            .field("username", &self.inner.credentials.username())
            .field("token", &token)
            .field(
                "expires_at",
                &state.token.as_ref().map(|c| c.auth.expires_at),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_window_is_five_minutes_capped_at_half_the_lifetime() {
        let five = Duration::from_secs(300);
        let hour = 3_600_000;
        assert_eq!(renew_at(0, hour, five), hour - 300_000);
        assert_eq!(renew_at(0, 60_000, five), 30_000);
        assert_eq!(renew_at(1_000, 1_000, five), 1_000);
        assert_eq!(renew_at(5_000, 1_000, five), 1_000);
        assert_eq!(renew_at(0, hour, Duration::MAX), hour / 2);
    }

    #[test]
    fn absurd_expiries_do_not_overflow() {
        let five = Duration::from_secs(300);
        let now = 1_783_077_877_510;
        assert_eq!(renew_at(now, i64::MIN, five), i64::MIN);
        assert_eq!(renew_at(now, i64::MAX, five), i64::MAX - 300_000);
        assert_eq!(
            renew_at(i64::MIN, i64::MAX, Duration::MAX),
            i64::MAX / 2 + 1
        );
    }
}

//! Token stores: where a session keeps its current login so that other sessions — other
//! processes on this host (`file:`), a fleet (`redis://`) — reuse it instead of logging in
//! themselves. See "Token stores" in the API contract.
//!
//! **The trait.** A [`TokenStore`] only moves opaque sealed records and takes a per-account
//! lock; it never sees a token in the clear nor the secret key. Every operation takes the
//! [`Io`] of the face that drives it: a blocking face polls the future on its own thread
//! (`runtime::block_on`, no reactor), so the store must do its I/O synchronously inside the
//! future; an async face runs it on a tokio runtime, where a store may pend on async I/O (a
//! Redis connection) or move blocking work to `spawn_blocking` (the file store). The lock is
//! *lock-or-wait with a deadline*: the caller either gets it (it then logs in and saves while
//! holding it, for at most `hold`), or the deadline passes while someone else holds it (the
//! caller re-reads the store for that other login's result). A distributed lock (Redis
//! `SET NX PX hold`) fits as is.
//!
//! **The record** ([`seal`]): version byte, nonce, ChaCha20-Poly1305 of the login, under a key derived
//! with HKDF-SHA256 from the account's secret key; the entry's key is derived from base URL +
//! username, never from the secret. A record that does not open (corrupt, foreign, an older
//! secret key), is for another user, or holds a token the session was told is bad is ignored
//! (and replaced by the next save).
//!
//! **Failure.** A store that fails never fails a call: the session logs in by itself, and says
//! so once in the log (per session).
//!
//! **URLs** ([`open`]): `memory:` (the default: the session's own cache, nothing shared),
//! `file:<directory>`, and `redis://…` / `rediss://…` (registered by `redis.rs`).

use std::fmt;
use std::io;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;

use crate::authentication::{wall_clock_ms, Authentication};
use crate::client::Client;
use crate::credentials::Credentials;
use crate::error::{Error, Result};

pub(crate) mod file;
// The reference store: the session's store tests run on it.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) mod memory;
pub(crate) mod redis;
pub(crate) mod seal;

/// The environment variable naming the token store of sessions that were given none.
pub const ENV_TOKEN_STORE: &str = "XPAY_TOKEN_STORE";

/// How the face calling a store drives its futures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Io {
    /// Polled on the caller's thread with no reactor: do the I/O synchronously inside the
    /// future, never pend on a socket or a timer (`std::thread::sleep` is how to wait).
    Blocking,
    /// On a tokio runtime (with I/O and time enabled): async I/O, tokio timers and
    /// `spawn_blocking` are available.
    Async,
}

impl Io {
    /// Waits `d`: a tokio timer, or (blocking) the calling thread sleeps.
    pub(crate) async fn sleep(self, d: Duration) {
        match self {
            Io::Async if tokio::runtime::Handle::try_current().is_ok() => {
                tokio::time::sleep(d).await
            }
            _ => std::thread::sleep(d),
        }
    }

    /// Tries `attempt` until it gives `Some` or `deadline` passes (`None`), pausing between
    /// tries from `first`, doubling up to `max`: how a store waits out another holder's lock.
    pub(crate) async fn poll_until<T, Fut>(
        self,
        deadline: Instant,
        (first, max): (Duration, Duration),
        mut attempt: impl FnMut() -> Fut,
    ) -> io::Result<Option<T>>
    where
        Fut: std::future::Future<Output = io::Result<Option<T>>>,
    {
        let mut pause = first;
        loop {
            if let Some(found) = attempt().await? {
                return Ok(Some(found));
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            self.sleep(pause.min(deadline - now)).await;
            pause = (pause * 2).min(max);
        }
    }

    /// Runs blocking `work` where it does not stall a runtime: inline for a blocking face,
    /// on tokio's blocking pool for an async one.
    pub(crate) async fn run_blocking<T: Send + 'static>(
        self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> io::Result<T> {
        match (self, tokio::runtime::Handle::try_current()) {
            (Io::Async, Ok(handle)) => handle
                .spawn_blocking(work)
                .await
                .map_err(|e| io::Error::other(format!("the store's worker stopped: {e}"))),
            _ => Ok(work()),
        }
    }
}

/// The pauses between tries of a lock on this host (file, memory): 1 ms, doubling to 20 ms.
pub(crate) const LOCK_POLL: (Duration, Duration) =
    (Duration::from_millis(1), Duration::from_millis(20));

/// Where sealed login records are kept, one per account, with a per-account login lock.
///
/// `key` is the entry's key ([`entry_key`]: hex digits, safe in a file name or a Redis key).
/// Errors are plain I/O errors: the session logs one and logs in by itself.
pub(crate) trait TokenStore: Send + Sync + 'static {
    /// The sealed record under `key`, if any. A record that is unreadable in a way that
    /// should just be replaced (corrupt, wrong type) may be reported as `None`.
    fn load<'a>(&'a self, key: &'a str, io: Io) -> BoxFuture<'a, io::Result<Option<Vec<u8>>>>;

    /// Replaces the record under `key`, atomically (a reader sees the old or the new record,
    /// never a mix). `ttl` is how long the login in it lives; a store may drop it after.
    fn save<'a>(
        &'a self,
        key: &'a str,
        record: Vec<u8>,
        ttl: Duration,
        io: Io,
    ) -> BoxFuture<'a, io::Result<()>>;

    /// Takes the login lock of `key`, waiting until `deadline` while another holder has it.
    /// `Some(lock)`: held (for at most `hold`: a distributed lock expires by itself after
    /// it, in case the holder dies); `None`: the deadline passed while someone else held it.
    fn lock<'a>(
        &'a self,
        key: &'a str,
        hold: Duration,
        deadline: Instant,
        io: Io,
    ) -> BoxFuture<'a, io::Result<Option<Box<dyn StoreLock>>>>;

    /// The store for log lines: its URL without any password.
    fn describe(&self) -> String;
}

/// A login lock held; released by [`release`](StoreLock::release) (or, as a fallback, by
/// being dropped, which must not block on the network).
pub(crate) trait StoreLock: Send {
    /// Releases the lock (only if still ours, for a lock that can expire).
    fn release(self: Box<Self>, io: Io) -> BoxFuture<'static, io::Result<()>>;
}

/// Opens the store a URL names. `Ok(None)` is `memory:`, the default: the session's own cache
/// and nothing else. A URL that names no store is `invalid_argument` (nothing is touched).
pub(crate) fn open(url: &str) -> Result<Option<Arc<dyn TokenStore>>> {
    let url = url.trim();
    let Some((scheme, rest)) = url.split_once(':') else {
        return Err(bad_url(url, "it has no scheme"));
    };
    match scheme.to_ascii_lowercase().as_str() {
        "memory" if rest.is_empty() => Ok(None),
        "memory" => Err(bad_url(url, "`memory:` takes nothing after the colon")),
        "file" => Ok(Some(Arc::new(file::FileStore::new(file::parse(
            url, rest,
        )?)))),
        // The Redis store registers here (redis.rs): `redis://host:port/db`, `rediss://…`.
        "redis" | "rediss" => Ok(Some(Arc::new(redis::RedisStore::open(url)?))),
        _ => Err(bad_url(
            url,
            "the scheme is not one of memory:, file:<directory>, redis://, rediss://",
        )),
    }
}

/// The store a session gets when it was given none: `XPAY_TOKEN_STORE`, else `memory:`.
pub(crate) fn from_env() -> Result<Option<Arc<dyn TokenStore>>> {
    match std::env::var(ENV_TOKEN_STORE) {
        Ok(url) if !url.trim().is_empty() => open(&url)
            .map_err(|e| Error::invalid_argument(format!("{ENV_TOKEN_STORE}: {}", e.message()))),
        _ => Ok(None),
    }
}

fn bad_url(url: &str, why: &str) -> Error {
    // The URL may carry a password (redis://:pw@host): quote only its scheme.
    let scheme = url.split_once(':').map_or("", |(s, _)| s);
    let shown = if scheme.is_empty() || scheme.len() > 16 {
        String::from("the store URL")
    } else {
        format!("the store URL `{scheme}:…`")
    };
    Error::invalid_argument(format!("{shown} is not valid: {why}"))
}

/// The entry's key for an account: derived from base URL and username only (never the
/// secret), 32 hex digits.
pub(crate) fn entry_key(base_url: &str, username: &str) -> String {
    let mut input = Vec::with_capacity(base_url.len() + username.len() + 16);
    input.extend_from_slice(b"xpay-auth/1\n");
    input.extend_from_slice(base_url.trim_end_matches('/').as_bytes());
    input.push(b'\n');
    input.extend_from_slice(username.as_bytes());
    let digest = ring::digest::digest(&ring::digest::SHA256, &input);
    digest.as_ref()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One session's use of a store: its entry, its sealing key, what it must not take from the
/// store, and whether it already said the store failed.
pub(crate) struct SessionStore {
    /// Unwind-safe as far as the session is concerned: whatever state a panic leaves a store
    /// in, the session only ever ignores the store's failures.
    store: AssertUnwindSafe<Arc<dyn TokenStore>>,
    key: String,
    sealer: seal::Sealer,
    username: String,
    /// The token the session last dropped (a 401, `invalidate`): never taken from the store.
    rejected: Mutex<Option<String>>,
    warned: AtomicBool,
}

impl SessionStore {
    pub(crate) fn new(
        store: Arc<dyn TokenStore>,
        base_url: &str,
        credentials: &Credentials,
    ) -> Option<SessionStore> {
        let key = entry_key(base_url, credentials.username());
        Some(SessionStore {
            sealer: seal::Sealer::new(credentials.secret_key(), &key)?,
            key,
            store: AssertUnwindSafe(store),
            username: credentials.username().to_owned(),
            rejected: Mutex::new(None),
            warned: AtomicBool::new(false),
        })
    }

    /// The session dropped `token` (it got a 401, or `invalidate`): the store's copy of it is
    /// not to be used again.
    pub(crate) fn reject(&self, token: &str) {
        *self.rejected.lock().unwrap_or_else(PoisonError::into_inner) = Some(token.to_owned());
    }

    /// A login through the store: a usable stored login, else under the account's lock:
    /// re-read (another process may just have logged in), else `login` and save. Any failure
    /// of the store only means logging in without it.
    pub(crate) async fn login(
        &self,
        client: &Client,
        io: Io,
        login: BoxFuture<'static, Result<Authentication>>,
    ) -> Result<Authentication> {
        let config = client.config();
        let refresh_before = config.refresh_before;
        if let Some(auth) = self.load_usable(refresh_before, io).await {
            return Ok(auth);
        }
        // Long enough for one login with all its retries; a holder that died is noticed by
        // the OS (file lock) or the lock's expiry (Redis).
        let hold = config
            .timeout
            .saturating_mul(config.max_retries.saturating_add(1))
            .saturating_add(Duration::from_secs(5));
        let deadline = Instant::now() + hold;
        let lock = match self.store.lock(&self.key, hold, deadline, io).await {
            Ok(Some(lock)) => {
                // Whoever held it before us may have saved a login meanwhile.
                if let Some(auth) = self.load_usable(refresh_before, io).await {
                    self.release(lock, io).await;
                    return Ok(auth);
                }
                Some(lock)
            }
            Ok(None) => {
                if let Some(auth) = self.load_usable(refresh_before, io).await {
                    return Ok(auth);
                }
                None
            }
            Err(e) => {
                self.failed("lock", &e);
                None
            }
        };
        let result = login.await;
        if let Ok(auth) = &result {
            self.save(auth, io).await;
        }
        if let Some(lock) = lock {
            self.release(lock, io).await;
        }
        result
    }

    /// The stored login if it opens, is this account's, is not the rejected token and lives
    /// past its refresh window (so the cache will not renew it at once).
    async fn load_usable(&self, refresh_before: Duration, io: Io) -> Option<Authentication> {
        let record = match self.store.load(&self.key, io).await {
            Ok(Some(record)) => record,
            Ok(None) => return None,
            Err(e) => {
                self.failed("read", &e);
                return None;
            }
        };
        let auth = self.sealer.open(&record, &self.username)?;
        let rejected = self.rejected.lock().unwrap_or_else(PoisonError::into_inner);
        if rejected.as_deref() == Some(auth.access_token.as_str()) {
            return None;
        }
        drop(rejected);
        let window = u64::try_from(refresh_before.as_millis())
            .unwrap_or(u64::MAX)
            .min(auth.lifetime_ms / 2);
        // The cache renews up to 10 % of the window early.
        let lead = window.saturating_add(window / 10);
        let left = remaining_ms(&auth);
        (left > lead).then_some(auth)
    }

    async fn save(&self, auth: &Authentication, io: Io) {
        let Some(record) = self.sealer.seal(auth, wall_clock_ms()) else {
            return;
        };
        let ttl = Duration::from_millis(remaining_ms(auth));
        if let Err(e) = self.store.save(&self.key, record, ttl, io).await {
            self.failed("write", &e);
        }
    }

    async fn release(&self, lock: Box<dyn StoreLock>, io: Io) {
        if let Err(e) = lock.release(io).await {
            self.failed("unlock", &e);
        }
    }

    /// Logs the store's first failure for this session (never a secret: the store's URL
    /// without password, the operation, the OS error).
    fn failed(&self, what: &str, e: &io::Error) {
        if !self.warned.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                target: "xpay_auth",
                store = self.store.describe(),
                "the token store failed ({what}: {e}); this session logs in by itself \
                 (said once)"
            );
        }
    }
}

/// How long `auth` has left, in ms, on the monotonic clock.
fn remaining_ms(auth: &Authentication) -> u64 {
    let elapsed = u64::try_from(auth.received.elapsed().as_millis()).unwrap_or(u64::MAX);
    auth.lifetime_ms.saturating_sub(elapsed)
}

impl fmt::Debug for SessionStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionStore")
            .field("store", &self.store.describe())
            .field("key", &self.key)
            .finish()
    }
}

#[cfg(test)]
mod tests;

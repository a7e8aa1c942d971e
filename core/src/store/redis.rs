//! The fleet's store: `redis://[user:password@]host[:port][/db]` and `rediss://…` (TLS through
//! rustls, trusting the OS certificate store and `SSL_CERT_FILE` / `SSL_CERT_DIR`, where a
//! private Redis CA goes), on the `redis` crate.
//!
//! **Keys.** The record lives under `xpay-auth:1:<entry key>` (the `1` is this layout's
//! version; the record itself starts with the seal's version byte), the login lock under the
//! same key plus `:lock`. The entry key is a digest of base URL + username, so a reader of
//! Redis learns neither; the record is sealed ([`super::seal`]), so without the secret key it
//! holds nothing usable.
//!
//! **One login per renewal for the whole fleet.** The lock is `SET <lock> <random> NX PX
//! <lease>`: whoever sets it logs in and saves; it is released with a compare-and-delete script
//! (only while it still holds the lock's random value, so a holder that outlived its lock never
//! frees someone else's). The others poll for it (10 ms, growing to 100 ms) until their
//! deadline and, once it is free, find the saved login on their re-read (the session's part).
//!
//! **A lease, kept while the login runs.** The lock lives a short lease (5 s, or `hold` if
//! shorter), not the whole `hold` (a login with all its retries, 95 s by default): a keeper
//! task on the core's runtime renews it every third of a lease with a compare-and-`PEXPIRE`
//! script, never past `hold` after it was taken, and stops when the lock is released or
//! dropped (or found lost). The caller's own thread still does the login and every other
//! store operation; the keeper never waits on it nor it on the keeper. So a holder that dies
//! (SIGKILL, OOM) leaves a lock that lapses within one lease, and a waiter then takes it and
//! logs in itself. After `fork()` the keeper does not exist in the child (the parent's runtime
//! threads are not there) and a child's copy of a held lock neither renews nor frees it.
//!
//! **Faces.** A blocking face does its Redis I/O on the calling thread, on a plain connection
//! from a small idle list with read/write time limits; an async face uses one tokio
//! connection manager (multiplexed, reconnecting) that lives on the core's own runtime, so no
//! caller's runtime ending can break it. Both are made on first use (nothing is connected when
//! a session is built) and again in a forked child: a parent's connections are let go without
//! being touched (their threads and sockets belong to the parent).
//!
//! **Failure.** Every operation is bounded (1 s to connect, 1 s per reply) and any error means
//! the session logs in by itself (and says so once). A Redis that times out (slow, frozen, a
//! black hole) is then skipped for a pause (1 s, doubling to 10 s), during which operations
//! fail at once instead of making logins wait again; one that refuses is simply tried again
//! next time (that costs nothing), so a restarted Redis is shared again at once. The first
//! success after a failure is logged at info. The sessions of a process naming the same URL
//! share one store (its connections and this view of Redis's health).

use std::io;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::{Client, Connection, RedisError, RedisResult, Script};
use futures_util::future::{BoxFuture, FutureExt};

use super::{bad_url, Io, StoreLock, TokenStore};
use crate::error::Result;

/// Limit for connecting to Redis.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// Limit for each reply.
const REPLY_TIMEOUT: Duration = Duration::from_secs(1);
/// Redis is skipped this long after a first failure, doubling with each further one.
const FIRST_PAUSE: Duration = Duration::from_secs(1);
const MAX_PAUSE: Duration = Duration::from_secs(10);
/// How often a caller waiting for the lock tries again.
const POLL_FIRST: Duration = Duration::from_millis(10);
const POLL_MAX: Duration = Duration::from_millis(100);
/// Idle blocking connections kept.
const MAX_IDLE: usize = 4;
/// Key prefix, with the layout's version.
const PREFIX: &str = "xpay-auth:1:";
/// How long the login lock lives unless its holder's keeper renews it (every third of it).
const LEASE: Duration = Duration::from_secs(5);

/// Deletes the lock only if it still holds our value.
const RELEASE: &str = r#"if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
else
  return 0
end"#;

/// Renews the lock's lease only if it still holds our value.
const EXTEND: &str = r#"if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("PEXPIRE", KEYS[1], ARGV[2])
else
  return 0
end"#;

/// The stores open in this process, by URL: sessions naming the same one share it (one
/// connection manager, one idle list, one view of Redis's health).
static OPEN: Mutex<Vec<(String, Weak<Inner>)>> = Mutex::new(Vec::new());

/// A Redis store (cheap to share; the session keeps it in an `Arc`).
pub(crate) struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    /// The URL without user or password, for log lines.
    shown: String,
    /// The async faces' connection manager and the pid of the process that made it.
    manager: Mutex<Option<(u32, ConnectionManager)>>,
    /// The blocking faces' idle connections and the pid of the process that made them.
    idle: Mutex<(u32, Vec<Connection>)>,
    health: Mutex<Health>,
}

#[derive(Default)]
struct Health {
    /// Failed operations since the last success.
    failures: u32,
    /// Of those, the ones that timed out.
    slow: u32,
    /// No operation is tried before this.
    skip_until: Option<Instant>,
}

fn guard<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl RedisStore {
    /// Checks a `redis://` or `rediss://` URL; connects to nothing yet.
    pub(crate) fn open(url: &str) -> Result<RedisStore> {
        let parsed = url::Url::parse(url).map_err(|_| bad_url(url, "it is not a valid URL"))?;
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(bad_url(url, "it names no host (redis://host:port/db)"));
        }
        let db = parsed.path().trim_start_matches('/');
        if !db.is_empty() && db.parse::<u16>().is_err() {
            return Err(bad_url(
                url,
                "the path must be a database number (redis://host:port/0)",
            ));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(bad_url(url, "it takes no query or fragment"));
        }
        // The sessions of a process that name the same URL share its connections.
        let mut open = guard(&OPEN);
        open.retain(|(_, inner)| inner.strong_count() > 0);
        if let Some(inner) = open
            .iter()
            .find(|(u, _)| u.as_str() == url)
            .and_then(|(_, inner)| inner.upgrade())
        {
            return Ok(RedisStore { inner });
        }
        // The redis crate's own reading of it (its error text is not shown: it may quote the
        // URL, password and all).
        let client = Client::open(url).map_err(|_| bad_url(url, "the redis client refused it"))?;
        let shown = format!(
            "{}://{}:{}/{}",
            parsed.scheme(),
            parsed.host_str().unwrap_or_default(),
            parsed.port().unwrap_or(6379),
            if db.is_empty() { "0" } else { db }
        );
        let inner = Arc::new(Inner {
            client,
            shown,
            manager: Mutex::new(None),
            idle: Mutex::new((std::process::id(), Vec::new())),
            health: Mutex::new(Health::default()),
        });
        open.push((url.to_owned(), Arc::downgrade(&inner)));
        Ok(RedisStore { inner })
    }
}

fn record_key(key: &str) -> String {
    format!("{PREFIX}{key}")
}

fn lock_key(key: &str) -> String {
    format!("{PREFIX}{key}:lock")
}

/// A Redis error as the store reports it (the session logs it once).
fn to_io(e: RedisError) -> io::Error {
    if e.is_timeout() {
        // A blocking socket's timeout reads "Resource temporarily unavailable": say what it is.
        return io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "redis: timed out (limits: {} s to connect, {} s per reply)",
                CONNECT_TIMEOUT.as_secs(),
                REPLY_TIMEOUT.as_secs()
            ),
        );
    }
    let kind = if e.is_connection_refusal() {
        io::ErrorKind::ConnectionRefused
    } else {
        io::ErrorKind::Other
    };
    io::Error::new(kind, format!("redis: {e}"))
}

impl Inner {
    /// Fails at once while Redis is being skipped after a failure.
    fn check(&self) -> io::Result<()> {
        match guard(&self.health).skip_until {
            Some(until) if Instant::now() < until => Err(io::Error::other(format!(
                "redis at {} timed out moments ago; skipped for a pause before it is tried again",
                self.shown
            ))),
            _ => Ok(()),
        }
    }

    fn outcome<T>(&self, result: io::Result<T>) -> io::Result<T> {
        let recovered = {
            let mut health = guard(&self.health);
            match &result {
                Ok(_) => {
                    let recovered = health.failures > 0;
                    *health = Health::default();
                    recovered
                }
                Err(e) => {
                    health.failures = health.failures.saturating_add(1);
                    // Only a Redis that makes callers wait is skipped: a refusal or an error
                    // reply costs nothing to try again (and so a restarted Redis is used at
                    // once).
                    if e.kind() == io::ErrorKind::TimedOut {
                        health.slow = health.slow.saturating_add(1);
                        let doublings = health.slow.saturating_sub(1).min(8);
                        let pause = FIRST_PAUSE.saturating_mul(1 << doublings).min(MAX_PAUSE);
                        health.skip_until = Some(Instant::now() + pause);
                    }
                    false
                }
            }
        };
        if recovered {
            tracing::info!(target: "xpay_auth", store = %self.shown, "the token store answers again");
        }
        result
    }

    // --- blocking faces: I/O on the calling thread ---

    fn take_idle(&self) -> Option<Connection> {
        let mut idle = guard(&self.idle);
        let pid = std::process::id();
        if idle.0 != pid {
            // A forked parent's connections: its sockets, not ours to close or use.
            for conn in std::mem::take(&mut idle.1) {
                std::mem::forget(conn);
            }
            idle.0 = pid;
        }
        idle.1.pop()
    }

    fn put_idle(&self, conn: Connection) {
        let mut idle = guard(&self.idle);
        if idle.0 == std::process::id() && idle.1.len() < MAX_IDLE {
            idle.1.push(conn);
        }
    }

    fn connect(&self) -> RedisResult<Connection> {
        let conn = self.client.get_connection_with_timeout(CONNECT_TIMEOUT)?;
        conn.set_read_timeout(Some(REPLY_TIMEOUT))?;
        conn.set_write_timeout(Some(REPLY_TIMEOUT))?;
        Ok(conn)
    }

    /// Runs `op` on a connection on this thread: an idle one (once more on a fresh one if the
    /// idle one turns out dead, e.g. Redis restarted), else a new one.
    fn blocking<T>(&self, op: impl Fn(&mut Connection) -> RedisResult<T>) -> io::Result<T> {
        self.check()?;
        let run = || -> RedisResult<T> {
            if let Some(mut conn) = self.take_idle() {
                match op(&mut conn) {
                    Ok(value) => {
                        self.put_idle(conn);
                        return Ok(value);
                    }
                    // A slow Redis: no second wait (the connection, out of step now, goes).
                    Err(e) if e.is_timeout() => return Err(e),
                    Err(e) if !(e.is_io_error() || e.is_connection_dropped()) => {
                        self.put_idle(conn);
                        return Err(e);
                    }
                    // A dead idle connection (Redis restarted): try a fresh one.
                    Err(_) => {}
                }
            }
            let mut conn = self.connect()?;
            let value = op(&mut conn)?;
            self.put_idle(conn);
            Ok(value)
        };
        // The redis crate must not unwind into a face (across FFI).
        let result = std::panic::catch_unwind(AssertUnwindSafe(run))
            .unwrap_or_else(|_| {
                Err(RedisError::from(io::Error::other(
                    "the redis client panicked",
                )))
            })
            .map_err(to_io);
        self.outcome(result)
    }

    // --- async faces: one connection manager on the core's runtime ---

    /// The manager of this process, made on first use (on the core's runtime, where its
    /// driver task lives for the life of the process).
    async fn manager(self: &Arc<Self>) -> RedisResult<ConnectionManager> {
        let pid = std::process::id();
        {
            let mut slot = guard(&self.manager);
            match slot.take() {
                Some((owner, manager)) if owner == pid => {
                    *slot = Some((owner, manager.clone()));
                    return Ok(manager);
                }
                // A forked parent's manager: its task and socket live in the parent.
                Some(stale) => std::mem::forget(stale),
                None => {}
            }
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(REPLY_TIMEOUT))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(200));
        let manager = ConnectionManager::new_with_config(self.client.clone(), config).await?;
        let mut slot = guard(&self.manager);
        match slot.as_ref() {
            // Another caller made one meanwhile: use it, drop ours.
            Some((owner, existing)) if *owner == pid => Ok(existing.clone()),
            _ => {
                *slot = Some((pid, manager.clone()));
                Ok(manager)
            }
        }
    }

    /// Runs `op` with the manager as a task on the core's runtime (so it works from any
    /// caller's runtime), bounded as a whole.
    async fn run_async<T, F>(self: &Arc<Self>, op: F) -> io::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(ConnectionManager) -> BoxFuture<'static, RedisResult<T>> + Send + 'static,
    {
        self.check()?;
        let runtime =
            crate::runtime::async_runtime().map_err(|e| io::Error::other(e.to_string()))?;
        let inner = self.clone();
        let task = runtime.spawn(async move {
            let limit = CONNECT_TIMEOUT + REPLY_TIMEOUT * 2;
            match tokio::time::timeout(limit, async move { op(inner.manager().await?).await }).await
            {
                Ok(result) => result.map_err(to_io),
                Err(_) => Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "redis: no reply in time",
                )),
            }
        });
        let result = match task.await {
            Ok(result) => result,
            Err(e) => Err(io::Error::other(format!(
                "redis: the store's task ended: {e}"
            ))),
        };
        self.outcome(result)
    }

    // --- the operations, for either face ---

    async fn get(self: &Arc<Self>, key: String, io: Io) -> io::Result<Option<Vec<u8>>> {
        match io {
            Io::Blocking => self.blocking(|c| ::redis::cmd("GET").arg(&key).query(c)),
            Io::Async => {
                self.run_async(move |mut c| {
                    async move { ::redis::cmd("GET").arg(&key).query_async(&mut c).await }.boxed()
                })
                .await
            }
        }
    }

    async fn set(
        self: &Arc<Self>,
        key: String,
        value: Vec<u8>,
        ttl_ms: u64,
        io: Io,
    ) -> io::Result<()> {
        match io {
            Io::Blocking => self.blocking(|c| {
                ::redis::cmd("SET")
                    .arg(&key)
                    .arg(&value)
                    .arg("PX")
                    .arg(ttl_ms)
                    .query::<()>(c)
            }),
            Io::Async => {
                self.run_async(move |mut c| {
                    async move {
                        ::redis::cmd("SET")
                            .arg(&key)
                            .arg(&value)
                            .arg("PX")
                            .arg(ttl_ms)
                            .query_async::<()>(&mut c)
                            .await
                    }
                    .boxed()
                })
                .await
            }
        }
    }

    /// `SET lock value NX PX hold`: whether we got it.
    async fn try_lock(
        self: &Arc<Self>,
        lock: String,
        value: String,
        hold_ms: u64,
        io: Io,
    ) -> io::Result<bool> {
        let set = move |lock: &str, value: &str| {
            let mut cmd = ::redis::cmd("SET");
            cmd.arg(lock).arg(value).arg("NX").arg("PX").arg(hold_ms);
            cmd
        };
        let reply: Option<String> = match io {
            Io::Blocking => self.blocking(|c| set(&lock, &value).query(c))?,
            Io::Async => {
                self.run_async(move |mut c| {
                    async move { set(&lock, &value).query_async(&mut c).await }.boxed()
                })
                .await?
            }
        };
        Ok(reply.is_some())
    }

    /// The compare-and-`PEXPIRE` of the lock (async face only: the keeper's): whether it was
    /// still ours.
    async fn extend(
        self: &Arc<Self>,
        lock: String,
        value: String,
        lease_ms: u64,
    ) -> io::Result<bool> {
        self.run_async(move |mut c| {
            async move {
                Script::new(EXTEND)
                    .key(&lock)
                    .arg(&value)
                    .arg(lease_ms)
                    .invoke_async::<i64>(&mut c)
                    .await
                    .map(|n| n == 1)
            }
            .boxed()
        })
        .await
    }

    /// The compare-and-delete of the lock.
    async fn unlock(self: &Arc<Self>, lock: String, value: String, io: Io) -> io::Result<()> {
        match io {
            Io::Blocking => self.blocking(|c| {
                Script::new(RELEASE)
                    .key(&lock)
                    .arg(&value)
                    .invoke::<i64>(c)
                    .map(drop)
            }),
            Io::Async => {
                self.run_async(move |mut c| {
                    async move {
                        Script::new(RELEASE)
                            .key(&lock)
                            .arg(&value)
                            .invoke_async::<i64>(&mut c)
                            .await
                            .map(drop)
                    }
                    .boxed()
                })
                .await
            }
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl TokenStore for RedisStore {
    fn load<'a>(&'a self, key: &'a str, io: Io) -> BoxFuture<'a, io::Result<Option<Vec<u8>>>> {
        self.inner.get(record_key(key), io).boxed()
    }

    fn save<'a>(
        &'a self,
        key: &'a str,
        record: Vec<u8>,
        ttl: Duration,
        io: Io,
    ) -> BoxFuture<'a, io::Result<()>> {
        async move {
            let ttl_ms = millis(ttl);
            if ttl_ms == 0 {
                // Already expired: nothing worth sharing.
                return Ok(());
            }
            self.inner.set(record_key(key), record, ttl_ms, io).await
        }
        .boxed()
    }

    fn lock<'a>(
        &'a self,
        key: &'a str,
        hold: Duration,
        deadline: Instant,
        io: Io,
    ) -> BoxFuture<'a, io::Result<Option<Box<dyn StoreLock>>>> {
        async move {
            let lock = lock_key(key);
            let value = format!("{:032x}", rand::random::<u128>());
            // Without the core's runtime there is no keeper: the lock then lives `hold`.
            let runtime = crate::runtime::async_runtime().ok();
            let lease = if runtime.is_some() {
                hold.min(LEASE)
            } else {
                hold
            };
            let lease_ms = millis(lease).max(1);
            let inner = &self.inner;
            let taken = io
                .poll_until(deadline, (POLL_FIRST, POLL_MAX), || {
                    let (lock, value) = (lock.clone(), value.clone());
                    async move {
                        Ok(inner
                            .try_lock(lock, value, lease_ms, io)
                            .await?
                            .then_some(()))
                    }
                })
                .await?;
            Ok(taken.map(|()| {
                let until = Instant::now() + hold;
                let keeper = runtime.map(|runtime| {
                    let keep = keep(
                        self.inner.clone(),
                        lock.clone(),
                        value.clone(),
                        lease,
                        until,
                    );
                    runtime.spawn(keep).abort_handle()
                });
                let held: Box<dyn StoreLock> = Box::new(Held {
                    inner: self.inner.clone(),
                    lock,
                    value,
                    released: false,
                    pid: std::process::id(),
                    keeper,
                });
                held
            }))
        }
        .boxed()
    }

    fn describe(&self) -> String {
        self.inner.shown.clone()
    }
}

/// The keeper of a held lock: renews its lease every third of it (never past `until`, the
/// holder's `hold`) until it is aborted (released, dropped) or finds the lock no longer ours.
/// A renewal that fails (Redis slow or away) is tried again at the next turn; if Redis stays
/// away the lease lapses, as it must.
async fn keep(inner: Arc<Inner>, lock: String, value: String, lease: Duration, until: Instant) {
    let every = (lease / 3).max(Duration::from_millis(1));
    loop {
        tokio::time::sleep(every).await;
        let left = until.saturating_duration_since(Instant::now());
        let lease_ms = millis(left.min(lease));
        if lease_ms == 0 {
            // `hold` is over: the lock lapses within what is left of its lease.
            return;
        }
        let renewed = inner.extend(lock.clone(), value.clone(), lease_ms);
        if let Ok(Ok(false)) = tokio::time::timeout(every, renewed).await {
            // Expired and taken by another, or released: nothing left to keep.
            return;
        }
    }
}

/// The login lock, held.
struct Held {
    inner: Arc<Inner>,
    lock: String,
    value: String,
    released: bool,
    /// The process that took it: a forked child's copy neither frees nor renews it.
    pid: u32,
    /// The keeper task on the core's runtime, if it could be started.
    keeper: Option<tokio::task::AbortHandle>,
}

impl Held {
    /// Whether this is the process that took the lock; stops its keeper. (In a forked child
    /// the keeper's task lives in the parent's runtime, whose threads are not here: its handle
    /// is let go untouched.)
    fn ours(&mut self) -> bool {
        let keeper = self.keeper.take();
        if self.pid != std::process::id() {
            std::mem::forget(keeper);
            return false;
        }
        if let Some(keeper) = keeper {
            keeper.abort();
        }
        true
    }
}

impl StoreLock for Held {
    fn release(mut self: Box<Self>, io: Io) -> BoxFuture<'static, io::Result<()>> {
        self.released = true;
        if !self.ours() {
            // The parent's lock, not this child's to free.
            return async { Ok(()) }.boxed();
        }
        let inner = self.inner.clone();
        let (lock, value) = (
            std::mem::take(&mut self.lock),
            std::mem::take(&mut self.value),
        );
        async move { inner.unlock(lock, value, io).await }.boxed()
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if self.released || !self.ours() {
            return;
        }
        // Dropped unreleased (a login that panicked): free it from the core's runtime without
        // waiting; if that cannot be done the lock lapses by itself within its lease.
        if let Ok(runtime) = crate::runtime::async_runtime() {
            let inner = self.inner.clone();
            let (lock, value) = (
                std::mem::take(&mut self.lock),
                std::mem::take(&mut self.value),
            );
            drop(runtime.spawn(async move { inner.unlock(lock, value, Io::Async).await }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xpay_mock::redis_server::RedisServer;

    /// Runs a blocking-face store future (its I/O is done in the first poll).
    fn now<T>(f: BoxFuture<'_, T>) -> T {
        f.now_or_never()
            .expect("blocking store I/O completes in its first poll")
    }

    /// Runs an async-face store future on the core's runtime.
    fn on_runtime<T: Send + 'static>(
        f: impl std::future::Future<Output = T> + Send + 'static,
    ) -> T {
        let rt = crate::runtime::async_runtime().expect("runtime");
        rt.block_on(async move { rt.spawn(f).await.expect("task") })
    }

    /// A redis-server of its own and a store on it; `None` where redis-server is missing.
    fn with_server() -> Option<(RedisServer, Arc<RedisStore>)> {
        let server = RedisServer::for_test()?;
        let store = Arc::new(RedisStore::open(&server.url()).expect("valid"));
        Some((server, store))
    }

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(5)
    }

    #[test]
    fn urls_are_checked_without_connecting() {
        for good in [
            "redis://127.0.0.1:6379/0",
            "redis://localhost",
            "redis://:pw@10.0.0.1:7000/3",
            "rediss://user:pw@cache.example:6380/1",
        ] {
            assert!(RedisStore::open(good).is_ok(), "{good}");
        }
        for bad in [
            "redis://",
            "redis://host/notanumber",
            "redis://host:6379/0?x=1",
            "redis://host:6379/0#insecure",
        ] {
            let e = RedisStore::open(bad).err().expect(bad);
            assert_eq!(e.code(), "invalid_argument", "{bad}");
        }
        assert!(super::super::open("redis://127.0.0.1:1/0").is_ok_and(|s| s.is_some()));
    }

    #[test]
    fn sessions_naming_one_url_share_its_store() {
        let a = RedisStore::open("redis://127.0.0.1:1/5").expect("valid");
        let b = RedisStore::open("redis://127.0.0.1:1/5").expect("valid");
        let c = RedisStore::open("redis://127.0.0.1:1/6").expect("valid");
        assert!(Arc::ptr_eq(&a.inner, &b.inner));
        assert!(!Arc::ptr_eq(&a.inner, &c.inner));
    }

    #[test]
    fn the_shown_url_has_no_password() {
        let store = RedisStore::open("redis://admin:hunter2@10.0.0.1:7000/3").expect("valid");
        assert_eq!(store.describe(), "redis://10.0.0.1:7000/3");
        let e = RedisStore::open("redis://admin:hunter2@host/x")
            .err()
            .expect("invalid");
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }

    #[test]
    fn a_refusing_redis_is_tried_each_time_and_a_silent_one_skipped_for_a_pause() {
        let refusing = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let store = RedisStore::open(&format!("redis://127.0.0.1:{refusing}/0")).expect("valid");
        let refused = |r: io::Result<Option<Vec<u8>>>| {
            r.err()
                .is_some_and(|e| e.kind() == io::ErrorKind::ConnectionRefused)
        };
        assert!(refused(now(store.load("k", Io::Blocking))));
        assert!(refused(now(store.load("k", Io::Blocking))));
        let store = Arc::new(store);
        let s = store.clone();
        assert!(refused(on_runtime(
            async move { s.load("k", Io::Async).await }
        )));

        // Accepts connections (the backlog) and never answers.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
        let port = silent.local_addr().expect("address").port();
        let store = RedisStore::open(&format!("redis://127.0.0.1:{port}/0")).expect("valid");
        let first = now(store.load("k", Io::Blocking));
        assert!(first.is_err_and(|e| e.kind() == io::ErrorKind::TimedOut));
        // Skipped now: fails without trying, on either face.
        let skipped = |r: io::Result<Option<Vec<u8>>>| {
            r.err().is_some_and(|e| e.to_string().contains("skipped"))
        };
        assert!(skipped(now(store.load("k", Io::Blocking))));
        let store = Arc::new(store);
        let s = store.clone();
        assert!(skipped(on_runtime(
            async move { s.load("k", Io::Async).await }
        )));
    }

    #[test]
    fn records_round_trip_under_versioned_keys_on_both_faces() {
        let Some((server, store)) = with_server() else {
            return;
        };
        let ttl = Duration::from_secs(60);
        now(store.save("aa", b"sealed-1".to_vec(), ttl, Io::Blocking)).expect("save");
        assert_eq!(
            now(store.load("aa", Io::Blocking)).expect("load"),
            Some(b"sealed-1".to_vec())
        );
        let s = store.clone();
        let loaded = on_runtime(async move {
            s.save("bb", b"sealed-2".to_vec(), ttl, Io::Async).await?;
            Ok::<_, io::Error>((
                s.load("aa", Io::Async).await?,
                s.load("bb", Io::Async).await?,
            ))
        })
        .expect("async");
        assert_eq!(
            loaded,
            (Some(b"sealed-1".to_vec()), Some(b"sealed-2".to_vec()))
        );
        assert_eq!(now(store.load("none", Io::Blocking)).expect("load"), None);
        // What a reader of Redis sees: our prefix and version, the record as given.
        let mut conn = Client::open(server.url())
            .and_then(|c| c.get_connection())
            .expect("conn");
        let keys: Vec<String> = ::redis::cmd("KEYS")
            .arg("*")
            .query(&mut conn)
            .expect("keys");
        let mut keys = keys;
        keys.sort();
        assert_eq!(keys, ["xpay-auth:1:aa", "xpay-auth:1:bb"]);
        let pttl: i64 = ::redis::cmd("PTTL")
            .arg("xpay-auth:1:aa")
            .query(&mut conn)
            .expect("pttl");
        assert!(pttl > 0 && pttl <= 60_000, "{pttl}");
    }

    #[test]
    fn the_lock_is_exclusive_and_released_only_by_its_holder() {
        let Some((server, store)) = with_server() else {
            return;
        };
        let hold = Duration::from_secs(30);
        let first = now(store.lock("k", hold, far(), Io::Blocking))
            .expect("lock")
            .expect("held");
        // Someone else's deadline passes while it is held (blocking and async faces).
        let past = Instant::now();
        assert!(now(store.lock("k", hold, past, Io::Blocking))
            .expect("lock")
            .is_none());
        let s = store.clone();
        assert!(on_runtime(async move {
            s.lock("k", hold, past, Io::Async)
                .await
                .map(|l| l.is_none())
        })
        .expect("lock"));
        // It lapses by itself within a lease (its keeper renews it while it is held).
        let mut conn = Client::open(server.url())
            .and_then(|c| c.get_connection())
            .expect("conn");
        let pttl: i64 = ::redis::cmd("PTTL")
            .arg("xpay-auth:1:k:lock")
            .query(&mut conn)
            .expect("pttl");
        assert!(pttl > 0 && pttl <= millis(LEASE) as i64, "{pttl}");
        // Our lock "expired" and another holder took it: our release must not free theirs.
        let _: () = ::redis::cmd("DEL")
            .arg("xpay-auth:1:k:lock")
            .query(&mut conn)
            .expect("del");
        let s = store.clone();
        let second = on_runtime(async move { s.lock("k", hold, far(), Io::Async).await })
            .expect("lock")
            .expect("held");
        now(first.release(Io::Blocking)).expect("release");
        assert!(now(store.lock("k", hold, past, Io::Blocking))
            .expect("lock")
            .is_none());
        on_runtime(second.release(Io::Async)).expect("release");
        // Free now: a waiter gets it.
        let third = now(store.lock("k", hold, far(), Io::Blocking))
            .expect("lock")
            .expect("held");
        now(third.release(Io::Blocking)).expect("release");
        let exists: i64 = ::redis::cmd("EXISTS")
            .arg("xpay-auth:1:k:lock")
            .query(&mut conn)
            .expect("exists");
        assert_eq!(exists, 0);
    }

    #[test]
    fn a_kept_lock_still_ends_after_hold() {
        let Some((_server, store)) = with_server() else {
            return;
        };
        // A holder that never releases: its keeper renews the lease only until `hold` is over.
        let held = now(store.lock("h", Duration::from_millis(600), far(), Io::Blocking))
            .expect("lock")
            .expect("held");
        let deadline = Instant::now() + Duration::from_secs(10);
        let got = loop {
            if let Some(lock) =
                now(store.lock("h", LEASE, Instant::now(), Io::Blocking)).expect("lock")
            {
                break lock;
            }
            assert!(Instant::now() < deadline, "the lock never lapsed");
            std::thread::sleep(Duration::from_millis(20));
        };
        // The first holder's late release frees nothing of the second's.
        now(held.release(Io::Blocking)).expect("release");
        assert!(now(store.lock("h", LEASE, Instant::now(), Io::Blocking))
            .expect("lock")
            .is_none());
        now(got.release(Io::Blocking)).expect("release");
    }

    #[test]
    fn a_forked_childs_copy_of_a_held_lock_neither_frees_nor_keeps_it() {
        let Some((_server, store)) = with_server() else {
            return;
        };
        let held = now(store.lock("c", Duration::from_secs(30), far(), Io::Blocking))
            .expect("lock")
            .expect("held");
        // SAFETY: the child only runs this test's code and leaves with `_exit`.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            // SAFETY: a child stuck on the parent's runtime dies instead of hanging.
            unsafe { libc::alarm(20) };
            let ok = std::panic::catch_unwind(AssertUnwindSafe(|| {
                // Released in the child: a no-op (the parent's login holds it).
                now(held.release(Io::Blocking)).is_ok()
            }));
            // SAFETY: leaving the child without running the parent's destructors.
            unsafe { libc::_exit(if matches!(ok, Ok(true)) { 0 } else { 1 }) };
        }
        let mut status = 0;
        // SAFETY: waiting for our own child.
        let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
        assert_eq!(waited, pid);
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "child status {status}"
        );
        // Still the parent's.
        assert!(now(store.lock("c", LEASE, Instant::now(), Io::Blocking))
            .expect("lock")
            .is_none());
        now(held.release(Io::Blocking)).expect("release");
        let again = now(store.lock("c", LEASE, Instant::now(), Io::Blocking))
            .expect("lock")
            .expect("free");
        now(again.release(Io::Blocking)).expect("release");
    }

    #[test]
    fn a_waiter_gets_the_lock_when_the_holder_releases_it() {
        let Some((_server, store)) = with_server() else {
            return;
        };
        let hold = Duration::from_secs(30);
        let held = now(store.lock("w", hold, far(), Io::Blocking))
            .expect("lock")
            .expect("held");
        let s = store.clone();
        let waiter = std::thread::spawn(move || {
            let lock = now(s.lock("w", hold, far(), Io::Blocking));
            lock.map(|l| l.map(|l| now(l.release(Io::Blocking))).is_some())
        });
        now(held.release(Io::Blocking)).expect("release");
        assert!(waiter.join().expect("thread").expect("lock"));
    }

    #[test]
    fn redis_restarted_is_used_again_after_the_pause() {
        let Some((mut server, store)) = with_server() else {
            return;
        };
        let ttl = Duration::from_secs(60);
        now(store.save("r", b"x".to_vec(), ttl, Io::Blocking)).expect("save");
        let s = store.clone();
        on_runtime(async move { s.load("r", Io::Async).await }).expect("load");
        server.down();
        assert!(now(store.load("r", Io::Blocking)).is_err());
        server.up().expect("redis-server again on its port");
        // Both faces' connections (an idle blocking one, the manager's) were to the old
        // server; after the pause each works again.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let s = store.clone();
            let sync = now(store.save("r", b"y".to_vec(), ttl, Io::Blocking)).is_ok();
            let rt = on_runtime(async move { s.load("r", Io::Async).await });
            if sync && matches!(rt, Ok(Some(ref v)) if v == b"y") {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the store did not come back: {rt:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    #[test]
    fn a_forked_child_makes_its_own_connections() {
        let Some((_server, store)) = with_server() else {
            return;
        };
        let ttl = Duration::from_secs(60);
        // The parent has an idle blocking connection and a connection manager.
        now(store.save("f", b"parent".to_vec(), ttl, Io::Blocking)).expect("save");
        let s = store.clone();
        on_runtime(async move { s.load("f", Io::Async).await }).expect("load");
        // SAFETY: the child only runs this test's code and leaves with `_exit`.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            // SAFETY: a child stuck on the parent's sockets or runtime dies instead of hanging.
            unsafe { libc::alarm(20) };
            let ok = std::panic::catch_unwind(AssertUnwindSafe(|| {
                let sync = now(store.load("f", Io::Blocking)).ok().flatten();
                now(store.save("f", b"child".to_vec(), ttl, Io::Blocking)).is_ok()
                    && sync.as_deref() == Some(&b"parent"[..])
                    && {
                        let s = store.clone();
                        on_runtime(async move { s.load("f", Io::Async).await })
                            .ok()
                            .flatten()
                            == Some(b"child".to_vec())
                    }
            }));
            // SAFETY: leaving the child without running the parent's destructors.
            unsafe { libc::_exit(if matches!(ok, Ok(true)) { 0 } else { 1 }) };
        }
        let mut status = 0;
        // SAFETY: waiting for our own child.
        let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
        assert_eq!(waited, pid);
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "child status {status}"
        );
        // The parent's own connections still work (the child never touched them).
        assert_eq!(
            now(store.load("f", Io::Blocking)).expect("load"),
            Some(b"child".to_vec())
        );
        let s = store.clone();
        assert_eq!(
            on_runtime(async move { s.load("f", Io::Async).await }).expect("load"),
            Some(b"child".to_vec())
        );
    }
}

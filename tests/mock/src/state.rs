//! The mock's shared, mutable state: settings, issued tokens, reply queues,
//! request counts and the last requests.
//!
//! Everything sits behind one `std::sync::Mutex`; every critical section is a
//! few map operations, so contention stays low even at tens of thousands of
//! requests per second. Work that costs (JSON, formatting) is done outside.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use hyper::{HeaderMap, Method, Uri};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::config::{ResetConfig, Settings};
use crate::connection::Counters;
use crate::reply::Reply;

/// How many of the last requests are kept for [`MockServer::requests`](crate::MockServer::requests)
/// and `/__mock/requests`.
pub const RECORDED_REQUESTS: usize = 64;

/// Token count above which expired tokens are swept out, so that a long
/// benchmark issuing many logins does not grow the map without bound.
const TOKEN_SWEEP_AT: usize = 100_000;

/// A request the mock received on a non-control path, as reported by
/// [`MockServer::requests`](crate::MockServer::requests) and `/__mock/requests`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// The request path, without the query string.
    pub path: String,
    /// The HTTP method, e.g. `POST`.
    pub method: String,
    /// Header names (lower case) and values; repeated headers are joined with `", "`.
    pub headers: BTreeMap<String, String>,
    /// The body as text (invalid UTF-8 replaced).
    pub body: String,
    /// The body parsed as JSON, if it is JSON.
    pub json: Option<serde_json::Value>,
}

/// A request as stored: cheap to keep (no copies), turned into a
/// [`RecordedRequest`] only when someone asks.
struct RawRecord {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
}

impl RawRecord {
    fn path(&self) -> &str {
        self.uri.path()
    }

    fn to_recorded(&self) -> RecordedRequest {
        let mut headers = BTreeMap::new();
        for (name, value) in &self.headers {
            let value = String::from_utf8_lossy(value.as_bytes());
            headers
                .entry(name.as_str().to_owned())
                .and_modify(|v: &mut String| {
                    v.push_str(", ");
                    v.push_str(&value);
                })
                .or_insert_with(|| value.into_owned());
        }
        RecordedRequest {
            path: self.path().to_owned(),
            method: self.method.as_str().to_owned(),
            headers,
            body: String::from_utf8_lossy(&self.body).into_owned(),
            json: serde_json::from_slice(&self.body).ok(),
        }
    }
}

/// The mutable part, behind the mutex.
struct State {
    settings: Settings,
    /// Issued access tokens and when they expire (Unix ms).
    tokens: HashMap<String, u64>,
    /// Sweep expired tokens when the map reaches this size.
    sweep_at: usize,
    queues: HashMap<String, VecDeque<Reply>>,
    counts: HashMap<String, u64>,
    recorded: VecDeque<RawRecord>,
}

impl State {
    fn new(settings: Settings) -> Self {
        Self {
            settings,
            tokens: HashMap::new(),
            sweep_at: TOKEN_SWEEP_AT,
            queues: HashMap::new(),
            counts: HashMap::new(),
            recorded: VecDeque::with_capacity(RECORDED_REQUESTS),
        }
    }
}

/// What a login attempt needs to know, copied out of the lock.
pub(crate) struct LoginOutcome {
    pub(crate) expires_at: u64,
    pub(crate) uuid_placement: crate::UuidPlacement,
}

/// State shared by the server's connections and the [`MockServer`](crate::MockServer) handle.
pub(crate) struct Shared {
    /// The settings the server was started with, restored by a reset.
    initial: Settings,
    state: Mutex<State>,
    /// Connection figures (atomics, outside the lock: every connection
    /// touches them).
    pub(crate) connections: Counters,
    /// The current `idle_timeout_ms`, watched by every connection.
    idle_timeout_ms: watch::Sender<Option<u64>>,
}

impl Shared {
    pub(crate) fn new(settings: Settings) -> Self {
        Self {
            initial: settings.clone(),
            idle_timeout_ms: watch::Sender::new(settings.idle_timeout_ms),
            state: Mutex::new(State::new(settings)),
            connections: Counters::default(),
        }
    }

    /// Locks the state. No code panics while holding it, but if some did,
    /// the mock should keep serving rather than fail every later request.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts and records a request and, if `pop` is set, pops the next
    /// reply queued for its path (with a copy of the request's headers, for
    /// its placeholders).
    pub(crate) fn note_request(
        &self,
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: Bytes,
        pop: bool,
    ) -> Option<(Reply, HeaderMap)> {
        let record = RawRecord {
            method,
            uri,
            headers,
            body,
        };
        let mut state = self.lock();
        let path = record.path();
        match state.counts.get_mut(path) {
            Some(n) => *n += 1,
            None => {
                state.counts.insert(path.to_owned(), 1);
            }
        }
        let reply = if pop {
            pop_queued(&mut state.queues, path).map(|reply| (reply, record.headers.clone()))
        } else {
            None
        };
        if state.recorded.len() == RECORDED_REQUESTS {
            state.recorded.pop_front();
        }
        state.recorded.push_back(record);
        reply
    }

    /// Appends replies to `path`'s queue; returns the queue's new length.
    pub(crate) fn queue(&self, path: &str, replies: Vec<Reply>) -> usize {
        let mut state = self.lock();
        let queue = state.queues.entry(path.to_owned()).or_default();
        queue.extend(replies);
        queue.len()
    }

    /// Checks credentials; on success registers `token` and says when it expires.
    pub(crate) fn login(&self, username: &str, secret: &str, token: &str) -> Option<LoginOutcome> {
        let now = now_ms();
        let mut state = self.lock();
        if !state.settings.accepts(username, secret) {
            return None;
        }
        let expires_at = now.saturating_add(state.settings.token_ttl_ms);
        let uuid_placement = state.settings.uuid_placement;
        insert_token(&mut state, token, expires_at, now);
        Some(LoginOutcome {
            expires_at,
            uuid_placement,
        })
    }

    /// Registers a token that a queued login reply hands out.
    pub(crate) fn register_token(&self, token: &str, expires_at: u64) {
        let now = now_ms();
        insert_token(&mut self.lock(), token, expires_at, now);
    }

    /// The token lifetime currently configured.
    pub(crate) fn token_ttl_ms(&self) -> u64 {
        self.lock().settings.token_ttl_ms
    }

    /// Whether `token` was issued, not revoked and not expired.
    pub(crate) fn token_valid(&self, token: &str) -> bool {
        let now = now_ms();
        self.lock().tokens.get(token).is_some_and(|&exp| now < exp)
    }

    /// Forgets all issued tokens.
    pub(crate) fn revoke_tokens(&self) {
        self.lock().tokens.clear();
    }

    /// Clears queues, counts, recorded requests, tokens and the connection
    /// figures `accepted` and `idle_closed`; restores the start-up settings,
    /// then applies `changes`.
    pub(crate) fn reset(&self, changes: Option<ResetConfig>) {
        let mut settings = self.initial.clone();
        if let Some(changes) = changes {
            settings.apply(changes);
        }
        self.publish(&settings);
        *self.lock() = State::new(settings);
        self.connections.reset();
    }

    /// Changes the given settings only, clearing nothing.
    pub(crate) fn configure(&self, changes: ResetConfig) {
        let mut state = self.lock();
        state.settings.apply(changes);
        self.publish(&state.settings);
    }

    /// Tells the connections about settings they watch.
    fn publish(&self, settings: &Settings) {
        self.idle_timeout_ms.send_if_modified(|current| {
            std::mem::replace(current, settings.idle_timeout_ms) != settings.idle_timeout_ms
        });
    }

    /// A view of the current `idle_timeout_ms` that sees every change.
    pub(crate) fn idle_timeout_ms(&self) -> watch::Receiver<Option<u64>> {
        self.idle_timeout_ms.subscribe()
    }

    /// Requests counted on `path` since the last reset.
    pub(crate) fn count(&self, path: &str) -> u64 {
        self.lock().counts.get(path).copied().unwrap_or(0)
    }

    /// All per-path counts since the last reset.
    pub(crate) fn counts(&self) -> BTreeMap<String, u64> {
        let state = self.lock();
        state
            .counts
            .iter()
            .map(|(path, n)| (path.clone(), *n))
            .collect()
    }

    /// The last requests, oldest first, optionally only those on `path`.
    pub(crate) fn recorded(&self, path: Option<&str>) -> Vec<RecordedRequest> {
        // Copy the cheap handles out first, so JSON parsing happens unlocked.
        let raw: Vec<(Method, Uri, HeaderMap, Bytes)> = {
            let state = self.lock();
            state
                .recorded
                .iter()
                .filter(|r| match path {
                    Some(p) => r.path() == p,
                    None => true,
                })
                .map(|r| {
                    (
                        r.method.clone(),
                        r.uri.clone(),
                        r.headers.clone(),
                        r.body.clone(),
                    )
                })
                .collect()
        };
        raw.into_iter()
            .map(|(method, uri, headers, body)| {
                RawRecord {
                    method,
                    uri,
                    headers,
                    body,
                }
                .to_recorded()
            })
            .collect()
    }
}

/// Pops the next reply queued for `path`, dropping the queue once empty so
/// the common case (no queues at all) stays a single failed lookup.
fn pop_queued(queues: &mut HashMap<String, VecDeque<Reply>>, path: &str) -> Option<Reply> {
    if queues.is_empty() {
        return None;
    }
    let queue = queues.get_mut(path)?;
    let reply = queue.pop_front();
    if queue.is_empty() {
        queues.remove(path);
    }
    reply
}

/// Inserts a token, first sweeping expired ones if the map has grown large.
fn insert_token(state: &mut State, token: &str, expires_at: u64, now: u64) {
    if state.tokens.len() >= state.sweep_at {
        state.tokens.retain(|_, &mut exp| now < exp);
        // If most tokens are still valid, wait for the map to double before
        // sweeping again, so sweeps stay rare (amortised O(1) per insert).
        state.sweep_at = (state.tokens.len() * 2).max(TOKEN_SWEEP_AT);
    }
    state.tokens.insert(token.to_owned(), expires_at);
}

/// The current Unix time in milliseconds.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

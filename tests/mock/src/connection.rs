//! Connection figures: how many connections are open, were accepted, or
//! were closed for being idle.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

/// Connection figures, from [`MockServer::connections`](crate::MockServer::connections)
/// and `GET /__mock/connections`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionStats {
    /// Connections open right now (never reset).
    pub open: u64,
    /// Connections accepted since start or the last reset.
    pub accepted: u64,
    /// Keep-alive connections the mock closed because they were idle for
    /// `idle_timeout_ms`, since start or the last reset.
    pub idle_closed: u64,
    /// TLS handshakes that failed (HTTPS mode: the client refused the certificate, or brought
    /// none when one is required), since start or the last reset.
    #[serde(default)]
    pub tls_refused: u64,
}

/// The live counters behind [`ConnectionStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    open: AtomicU64,
    accepted: AtomicU64,
    idle_closed: AtomicU64,
    tls_refused: AtomicU64,
}

impl Counters {
    /// Counts a newly accepted connection; it stays open until the guard drops.
    pub(crate) fn opened(&self) -> OpenGuard<'_> {
        self.accepted.fetch_add(1, Ordering::Relaxed);
        self.open.fetch_add(1, Ordering::Relaxed);
        OpenGuard(self)
    }

    /// Counts a connection closed for being idle.
    pub(crate) fn idle_closed(&self) {
        self.idle_closed.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a TLS handshake that failed.
    pub(crate) fn tls_refused(&self) {
        self.tls_refused.fetch_add(1, Ordering::Relaxed);
    }

    /// Clears `accepted` and `idle_closed` (`open` stays: those connections are).
    pub(crate) fn reset(&self) {
        self.accepted.store(0, Ordering::Relaxed);
        self.idle_closed.store(0, Ordering::Relaxed);
        self.tls_refused.store(0, Ordering::Relaxed);
    }

    /// The figures now.
    pub(crate) fn stats(&self) -> ConnectionStats {
        ConnectionStats {
            open: self.open.load(Ordering::Relaxed),
            accepted: self.accepted.load(Ordering::Relaxed),
            idle_closed: self.idle_closed.load(Ordering::Relaxed),
            tls_refused: self.tls_refused.load(Ordering::Relaxed),
        }
    }
}

/// Held by a connection's task: dropping it (the connection ends, or the
/// runtime drops the task) counts the connection as closed.
pub(crate) struct OpenGuard<'a>(&'a Counters);

impl Drop for OpenGuard<'_> {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

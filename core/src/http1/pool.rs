//! The idle keep-alive connections of one client, for either transport: bounded, most recently
//! used first, refusing connections once the client is closed, and tagged with the pid that
//! filled it, so a forked child never uses the parent's sockets.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Idle connections kept per client; more are closed when they come back.
const MAX_IDLE: usize = 64;

/// An idle connection older than this is closed rather than reused (servers time them out).
pub(crate) const IDLE_LIMIT: Duration = Duration::from_secs(50);

/// A pooled connection.
pub(crate) trait Idle {
    /// When it went back to the pool.
    fn idle_since(&mut self) -> &mut Instant;

    /// Called on a forked child for each connection the parent left in the pool: close this
    /// process's copy of the socket without touching anything the parent still uses.
    fn left_by_parent(self);
}

pub(crate) struct IdlePool<C> {
    idle: Mutex<Slots<C>>,
    closed: AtomicBool,
}

/// The connections, and the process they belong to.
pub(crate) struct Slots<C> {
    pid: u32,
    pub(crate) conns: Vec<C>,
}

impl<C: Idle> IdlePool<C> {
    pub(crate) fn new() -> IdlePool<C> {
        IdlePool {
            idle: Mutex::new(Slots {
                pid: std::process::id(),
                conns: Vec::new(),
            }),
            closed: AtomicBool::new(false),
        }
    }

    /// The most recently used idle connection (the caller checks that it is still alive,
    /// outside the lock, and asks again when it is not). `pid` is this process's: the caller
    /// reads it once per request (`getpid` is a system call).
    pub(crate) fn pop(&self, pid: u32) -> Option<C> {
        self.of_process(pid).conns.pop()
    }

    /// A connection back to the pool after a reply that kept it open.
    pub(crate) fn put(&self, mut conn: C, pid: u32) {
        *conn.idle_since() = Instant::now();
        let refused = {
            let mut idle = self.of_process(pid);
            if self.is_closed() || idle.conns.len() >= MAX_IDLE {
                Some(conn)
            } else {
                idle.conns.push(conn);
                None
            }
        };
        // Closed outside the lock.
        drop(refused);
    }

    /// Closes the idle connections now and refuses any that come back.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        let idle = std::mem::take(&mut self.of_process(std::process::id()).conns);
        drop(idle);
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// The idle connections themselves (for tests).
    #[cfg(test)]
    pub(crate) fn slots(&self) -> MutexGuard<'_, Slots<C>> {
        self.of_process(std::process::id())
    }

    fn of_process(&self, pid: u32) -> MutexGuard<'_, Slots<C>> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.pid != pid {
            idle.pid = pid;
            for conn in std::mem::take(&mut idle.conns) {
                conn.left_by_parent();
            }
        }
        idle
    }
}

//! A store in this process's memory: sessions given the same [`MemoryStore`] share one login.
//! (`memory:`, the default, needs no store at all: each session's own cache is its memory.)
//! It is the reference for the trait's rules, and what the session's store tests run on.

use std::collections::{HashMap, HashSet};
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use futures_util::future::{BoxFuture, FutureExt};

use super::{Io, StoreLock, TokenStore, LOCK_POLL};

/// Records and held locks, by entry key.
#[derive(Default, Clone)]
pub(crate) struct MemoryStore {
    inner: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    records: Mutex<HashMap<String, Vec<u8>>>,
    locks: Mutex<HashSet<String>>,
}

fn guard<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl TokenStore for MemoryStore {
    fn load<'a>(&'a self, key: &'a str, _io: Io) -> BoxFuture<'a, io::Result<Option<Vec<u8>>>> {
        let record = guard(&self.inner.records).get(key).cloned();
        async move { Ok(record) }.boxed()
    }

    fn save<'a>(
        &'a self,
        key: &'a str,
        record: Vec<u8>,
        _ttl: Duration,
        _io: Io,
    ) -> BoxFuture<'a, io::Result<()>> {
        guard(&self.inner.records).insert(key.to_owned(), record);
        async { Ok(()) }.boxed()
    }

    fn lock<'a>(
        &'a self,
        key: &'a str,
        _hold: Duration,
        deadline: Instant,
        io: Io,
    ) -> BoxFuture<'a, io::Result<Option<Box<dyn StoreLock>>>> {
        async move {
            let taken = io
                .poll_until(deadline, LOCK_POLL, || {
                    let taken = guard(&self.inner.locks).insert(key.to_owned());
                    std::future::ready(Ok(taken.then_some(())))
                })
                .await?;
            Ok(taken.map(|()| {
                let lock: Box<dyn StoreLock> = Box::new(Held {
                    shared: self.inner.clone(),
                    key: key.to_owned(),
                });
                lock
            }))
        }
        .boxed()
    }

    fn describe(&self) -> String {
        String::from("memory (shared)")
    }
}

struct Held {
    shared: Arc<Shared>,
    key: String,
}

impl StoreLock for Held {
    fn release(self: Box<Self>, _io: Io) -> BoxFuture<'static, io::Result<()>> {
        drop(self);
        async { Ok(()) }.boxed()
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        guard(&self.shared.locks).remove(&self.key);
    }
}

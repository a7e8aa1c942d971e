//! The session's login through a store: one login between sessions sharing a store, a stored
//! login reused, a bad record replaced, a failing store ignored, a rejected token not reused.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use xpay_mock::{MockConfig, MockServer};

use super::memory::MemoryStore;
use super::*;
use crate::blocking::Session;

fn client(mock: &MockServer) -> crate::blocking::Client {
    crate::blocking::Client::builder()
        .base_url(mock.base_url())
        .max_retries(0)
        .build()
        .unwrap()
}

fn creds() -> Credentials {
    Credentials::new("demo@xpay.test", "demo-secret")
}

fn logins(mock: &MockServer) -> usize {
    mock.requests()
        .iter()
        .filter(|r| r.path == crate::LOGIN_PATH)
        .count()
}

fn session_on(client: &crate::blocking::Client, store: &Arc<dyn TokenStore>) -> Session {
    client
        .session_builder(creds())
        .store_impl(store.clone())
        .build()
        .unwrap()
}

fn blocking_token(s: &Session) -> Result<String> {
    s.access_token()
}

#[test]
fn sessions_sharing_a_store_make_one_login() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let client = client(&mock);
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::default());
    let first = blocking_token(&session_on(&client, &store)).unwrap();
    let second = blocking_token(&session_on(&client, &store)).unwrap();
    assert_eq!(first, second);
    assert_eq!(logins(&mock), 1);
}

#[test]
fn concurrent_sessions_on_one_store_wait_for_the_one_login() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let client = client(&mock);
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::default());
    let tokens: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| blocking_token(&session_on(&client, &store)).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(tokens.iter().all(|t| *t == tokens[0]));
    assert_eq!(logins(&mock), 1);
}

#[test]
fn a_record_of_another_secret_or_garbage_is_replaced() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let client = client(&mock);
    let memory = MemoryStore::default();
    let store: Arc<dyn TokenStore> = Arc::new(memory.clone());
    let key = entry_key(client.base_url(), "demo@xpay.test");
    crate::runtime::block_on(memory.save(&key, b"garbage".to_vec(), Duration::ZERO, Io::Blocking))
        .unwrap()
        .unwrap();
    let _ = &store;
    let token = blocking_token(&session_on(&client, &store)).unwrap();
    assert_eq!(logins(&mock), 1);
    // Now a valid record: the next session uses it.
    assert_eq!(blocking_token(&session_on(&client, &store)).unwrap(), token);
    assert_eq!(logins(&mock), 1);
    // A session with a rotated secret misses it and logs in (the mock takes any secret for
    // an unknown... here: the same account), replacing the record.
    let rotated = client
        .session_builder(Credentials::new("demo@xpay.test", "rotated-secret"))
        .store_impl(store.clone())
        .build()
        .unwrap();
    // The mock refuses that secret: the record did not open, a login was tried.
    assert!(blocking_token(&rotated).is_err());
    assert_eq!(logins(&mock), 2);
}

#[test]
fn a_rejected_token_is_not_taken_from_the_store_again() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let client = client(&mock);
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::default());
    let session = session_on(&client, &store);
    let first = blocking_token(&session).unwrap();
    session.invalidate();
    let second = blocking_token(&session).unwrap();
    assert_ne!(first, second);
    assert_eq!(logins(&mock), 2);
}

/// A store whose every operation fails.
struct Broken(AtomicUsize);

impl TokenStore for Broken {
    fn load<'a>(&'a self, _: &'a str, _: Io) -> BoxFuture<'a, io::Result<Option<Vec<u8>>>> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Box::pin(async { Err(io::Error::other("down")) })
    }
    fn save<'a>(
        &'a self,
        _: &'a str,
        _: Vec<u8>,
        _: Duration,
        _: Io,
    ) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async { Err(io::Error::other("down")) })
    }
    fn lock<'a>(
        &'a self,
        _: &'a str,
        _: Duration,
        _: Instant,
        _: Io,
    ) -> BoxFuture<'a, io::Result<Option<Box<dyn StoreLock>>>> {
        Box::pin(async { Err(io::Error::other("down")) })
    }
    fn describe(&self) -> String {
        "broken".into()
    }
}

#[test]
fn a_failing_store_never_fails_a_call() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let client = client(&mock);
    let broken = Arc::new(Broken(AtomicUsize::new(0)));
    let store: Arc<dyn TokenStore> = broken.clone();
    let session = session_on(&client, &store);
    assert!(blocking_token(&session).is_ok());
    assert!(broken.0.load(Ordering::Relaxed) >= 1);
    // Async face too.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let session = client
        .as_async()
        .session_builder(creds())
        .store_impl(store)
        .build()
        .unwrap();
    assert!(rt.block_on(session.access_token()).is_ok());
}

#[test]
fn store_urls() {
    assert!(open("memory:").unwrap().is_none());
    assert!(open("file:/tmp/x").unwrap().is_some());
    assert!(open("file:///tmp/x").unwrap().is_some());
    for bad in [
        "",
        "memory",
        "memory:x",
        "file:",
        "file://host/x",
        "ftp://x",
        "redis:",
    ] {
        let e = open(bad)
            .err()
            .unwrap_or_else(|| panic!("{bad:?} accepted"));
        assert_eq!(e.code(), "invalid_argument", "{bad:?}");
    }
    let e = open("redis://:hunter2@h/0").err();
    if let Some(e) = e {
        assert!(!e.message().contains("hunter2"));
    }
}

#[test]
fn the_entry_key_never_depends_on_the_secret() {
    let a = entry_key("http://h/", "u");
    assert_eq!(a, entry_key("http://h", "u"));
    assert_ne!(a, entry_key("http://h", "v"));
    assert_ne!(a, entry_key("http://g", "u"));
    assert_eq!(a.len(), 32);
}

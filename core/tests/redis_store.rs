//! Sessions sharing one login through the Redis store (a real `redis-server`, started here on a
//! free loopback port with no persistence; these tests say they skip where it is not
//! installed). Many processes at once: `tests/fleet`.

use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use serde_json::json;
use xpay_auth::{blocking, Client, Credentials};
use xpay_mock::redis_server::RedisServer;
use xpay_mock::{MockConfig, MockServer, Reply, LOGIN_PATH};

fn credentials() -> Credentials {
    Credentials::new("demo@xpay.test", "demo-secret")
}

/// A blocking session of the demo account on `client`, its token kept in `store`.
fn blocking_stored(client: &blocking::Client, store: impl Into<String>) -> blocking::Session {
    client
        .session_builder(credentials())
        .store(store)
        .build()
        .unwrap()
}

/// The same for the async face.
fn async_stored(client: &Client, store: impl Into<String>) -> xpay_auth::Session {
    client
        .session_builder(credentials())
        .store(store)
        .build()
        .unwrap()
}

#[test]
fn sixteen_blocking_sessions_starting_together_make_one_login() {
    let Some(redis) = RedisServer::for_test() else {
        return;
    };
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let client = blocking::Client::builder()
        .base_url(mock.base_url())
        .build()
        .unwrap();
    // Separate sessions (separate caches, as in separate processes): only the store's lock
    // keeps them to one login.
    let barrier = Arc::new(Barrier::new(16));
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let session = blocking_stored(&client, redis.url());
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                session.access_token()
            })
        })
        .collect();
    let tokens: Vec<String> = threads
        .into_iter()
        .map(|t| t.join().unwrap().unwrap())
        .collect();
    assert!(tokens.iter().all(|t| *t == tokens[0]));
    assert_eq!(mock.request_count("/client/authenticate"), 1);
}

#[test]
fn async_and_blocking_sessions_share_one_login() {
    let Some(redis) = RedisServer::for_test() else {
        return;
    };
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let blocking_client = blocking::Client::builder()
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let first = blocking_stored(&blocking_client, redis.url());
    let token = first.access_token().unwrap();

    let client = Client::builder().base_url(mock.base_url()).build().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = redis.url();
    let tokens = runtime.block_on(async move {
        let mut tokens = Vec::new();
        for _ in 0..4 {
            let session = async_stored(&client, url.clone());
            tokens.push(session.access_token().await.unwrap());
            assert_eq!(session.call("/client/echo", &5).await.unwrap(), 5);
        }
        tokens
    });
    assert!(tokens.iter().all(|t| *t == token));
    assert_eq!(mock.request_count("/client/authenticate"), 1);
}

#[test]
fn a_redis_that_refuses_never_fails_a_call() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let client = blocking::Client::builder()
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let session = blocking_stored(&client, format!("redis://127.0.0.1:{port}/0"));
    for i in 0..5 {
        assert_eq!(session.call("/client/echo", &i).unwrap(), i);
    }
    assert_eq!(mock.request_count("/client/authenticate"), 1);
}

#[test]
fn rediss_goes_through_rustls_and_trusts_the_os_store() {
    // A TLS-only redis-server with a private CA, trusted here through SSL_CERT_FILE (read
    // with the OS certificate store; only this test binary's process sees it).
    let dir = std::env::temp_dir().join(format!("xpay-rediss-{}", std::process::id()));
    let pki = xpay_mock::certs::TestPki::generate().unwrap();
    pki.write(&dir).unwrap();
    let started = RedisServer::start_tls(
        &dir.join("server.pem"),
        &dir.join("server.key"),
        &dir.join("ca.pem"),
    );
    let Ok(redis) = started.map_err(|e| eprintln!("skipped: {e}")) else {
        return;
    };
    std::env::set_var("SSL_CERT_FILE", dir.join("ca.pem"));
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let client = blocking::Client::builder()
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let url = redis.url();
    let first = blocking_stored(&client, url.clone());
    let token = first.access_token().unwrap();
    let async_client = Client::builder().base_url(mock.base_url()).build().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let second = async_stored(&async_client, url);
    let shared = runtime.block_on(second.access_token()).unwrap();
    let again = blocking_stored(&client, redis.url())
        .access_token()
        .unwrap();
    drop(redis);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(shared, token);
    assert_eq!(again, token);
    assert_eq!(mock.request_count("/client/authenticate"), 1);
}

/// The login lock's lease in the store (store/redis.rs): a holder that stops renewing it loses
/// the lock within this long.
const LEASE: Duration = Duration::from_secs(5);

/// A login reply like the mock's own, sent after `delay`.
fn slow_login(delay: Duration) -> Reply {
    Reply::json(json!({"success": {"message": "Authenticated", "data": {
        "expiresAt": "{{now_ms+3600000}}", "user": {"username": "demo@xpay.test"},
        "access_token": "eyJ-slow-login-token"}}}))
    .with_delay_ms(u64::try_from(delay.as_millis()).unwrap())
}

/// Polls `done` every 20 ms until it holds; fails after `limit`.
fn wait_for(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The lock keys in Redis now.
fn lock_keys(url: &str) -> Vec<String> {
    let mut conn = redis::Client::open(url)
        .and_then(|c| c.get_connection())
        .unwrap();
    redis::cmd("KEYS")
        .arg("xpay-auth:1:*:lock")
        .query(&mut conn)
        .unwrap()
}

const HOLDER_ENV: &str = "XPAY_TEST_REDIS_LOCK_HOLDER";

/// Not a test by itself: the process `a_dead_holders_lock_lapses_within_a_lease` starts (with
/// `HOLDER_ENV` = "<mock URL> <redis URL>") and kills while its login hangs in the mock.
#[test]
fn lock_holder_process() {
    let Ok(spec) = std::env::var(HOLDER_ENV) else {
        return;
    };
    let (base_url, store) = spec.split_once(' ').unwrap();
    let client = blocking::Client::builder()
        .base_url(base_url)
        .build()
        .unwrap();
    let session = blocking_stored(&client, store);
    let _ = session.access_token();
}

#[test]
fn a_dead_holders_lock_lapses_within_a_lease() {
    let Some(redis) = RedisServer::for_test() else {
        return;
    };
    let mock = MockServer::start(MockConfig::default()).unwrap();
    // The holder's login never answers while it lives.
    mock.queue(LOGIN_PATH, vec![slow_login(Duration::from_secs(300))]);
    let mut holder = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "lock_holder_process", "--test-threads=1"])
        .env(HOLDER_ENV, format!("{} {}", mock.base_url(), redis.url()))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(
        Duration::from_secs(30),
        "the holder process took the lock and started its login",
        || mock.request_count(LOGIN_PATH) == 1 && lock_keys(&redis.url()).len() == 1,
    );
    // It dies mid-login (SIGKILL): nothing releases its lock, nothing renews it.
    holder.kill().unwrap();
    holder.wait().unwrap();

    // A session with no token waits for the lock, not for the dead holder's whole hold (95 s
    // with the default timeout and retries), then logs in itself.
    let client = blocking::Client::builder()
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let session = blocking_stored(&client, redis.url());
    let waiter = std::thread::spawn(move || session.access_token());
    wait_for(
        LEASE * 4,
        "the dead holder's lock lapsed within about one lease and the waiter logged in",
        || mock.request_count(LOGIN_PATH) == 2,
    );
    let token = waiter.join().unwrap().unwrap();
    assert_ne!(token, "eyJ-slow-login-token");
    assert!(lock_keys(&redis.url()).is_empty(), "the waiter released it");
}

#[test]
fn a_live_holder_slower_than_the_lease_keeps_its_lock() {
    let Some(redis) = RedisServer::for_test() else {
        return;
    };
    let mock = MockServer::start(MockConfig::default()).unwrap();
    // The one login takes longer than a lease: its keeper must renew the lock meanwhile, or a
    // waiter would take it and log in a second time.
    mock.queue(LOGIN_PATH, vec![slow_login(LEASE + Duration::from_secs(2))]);
    let client = blocking::Client::builder()
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let async_client = Client::builder().base_url(mock.base_url()).build().unwrap();
    let barrier = Arc::new(Barrier::new(4));
    let mut threads: Vec<_> = (0..3)
        .map(|_| {
            let session = blocking_stored(&client, redis.url());
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                session.access_token()
            })
        })
        .collect();
    let session = async_stored(&async_client, redis.url());
    let barrier = barrier.clone();
    threads.push(std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        barrier.wait();
        runtime.block_on(session.access_token())
    }));
    let tokens: Vec<String> = threads
        .into_iter()
        .map(|t| t.join().unwrap().unwrap())
        .collect();
    assert!(
        tokens.iter().all(|t| t == "eyJ-slow-login-token"),
        "{tokens:?}"
    );
    assert_eq!(mock.request_count(LOGIN_PATH), 1);
    assert!(lock_keys(&redis.url()).is_empty(), "the holder released it");
}

//! Both transports through the public API, against the in-process mock: keep-alive reuse,
//! idle-closed connections, the body cap, timeouts, threads that each drive their own request,
//! the one background renewal thread, and the async face's idle-closed connections, mock
//! restarts and runtimes that end. (Framing details, chunked bodies, HTTP/1.0,
//! `Connection: close` and the re-send of an unsent request are unit tests in `src/http1`.)

use std::collections::HashMap;
use std::sync::{Arc, Barrier, Mutex, OnceLock};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use serde_json::json;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::{Layer, Registry};
use xpay_auth::{blocking, Credentials};
use xpay_mock::{MockConfig, MockServer, Reply};

fn creds() -> Credentials {
    Credentials::new("demo@xpay.test", "demo-secret")
}

fn client(mock: &MockServer) -> blocking::Client {
    blocking::Client::builder()
        .base_url(mock.base_url())
        .build()
        .unwrap()
}

/// Polls `done` until it holds, failing after five seconds.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::yield_now();
    }
}

#[test]
fn sequential_calls_share_one_keep_alive_connection() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let session = client(&mock).session(creds());
    for i in 0..20 {
        assert_eq!(session.call("/client/echo", &i).unwrap(), json!(i));
    }
    assert_eq!(mock.connections().accepted, 1);
    assert_eq!(mock.request_count("/client/echo"), 20);
}

#[test]
fn a_connection_the_server_closed_while_idle_is_never_used() {
    let mock = MockServer::start(MockConfig {
        idle_timeout_ms: Some(100),
        ..MockConfig::default()
    })
    .unwrap();
    let client = blocking::Client::builder()
        .base_url(mock.base_url())
        .max_retries(0)
        .build()
        .unwrap();
    let session = client.session(creds());
    for round in 1..=3u64 {
        assert_eq!(session.call("/client/echo", &round).unwrap(), json!(round));
        wait_for("the idle close", || mock.connections().idle_closed >= round);
    }
    assert_eq!(session.call("/client/echo", &4).unwrap(), json!(4));
    // One request per call: none was sent on a dead connection and retried.
    assert_eq!(mock.request_count("/client/echo"), 4);
    assert_eq!(mock.request_count("/client/authenticate"), 1);
}

#[test]
fn the_body_cap_refuses_a_200_and_cuts_other_statuses() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let client = blocking::Client::builder()
        .base_url(mock.base_url())
        .max_retries(0)
        .max_body_bytes(64 * 1024)
        .build()
        .unwrap();
    queue_oversize_replies(&mock);
    let e = client.authenticate(&creds()).unwrap_err();
    assert_eq!((e.code(), e.status()), ("decode", Some(200)), "{e}");
    let e = client.authenticate(&creds()).unwrap_err();
    assert_eq!((e.code(), e.status()), ("http_status", Some(502)), "{e}");
    // Just under the cap is fine, on a new connection (the cut ones were not reused).
    assert!(client.authenticate(&creds()).is_ok());
    assert_eq!(mock.request_count("/client/authenticate"), 3);
}

#[test]
fn a_timeout_is_a_timeout_and_a_call_is_not_retried_after_it() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let client = blocking::Client::builder()
        .base_url(mock.base_url())
        .timeout(Duration::from_millis(200))
        .retry_backoff(Duration::from_millis(1))
        .build()
        .unwrap();
    let session = client.session(creds());
    session.access_token().unwrap();
    let slow = Reply::json(json!({"success": {"message": "OK", "data": 1}})).with_delay_ms(1_000);
    mock.queue(
        "/client/echo",
        vec![slow.clone(), slow.clone(), slow.clone()],
    );
    let e = session.call("/client/echo", &1).unwrap_err();
    assert_eq!(e.code(), "timeout", "{e}");
    assert_eq!(mock.request_count("/client/echo"), 1);
    // A login is safe to repeat: it retries (max_retries 2).
    mock.queue(
        "/client/authenticate",
        vec![slow.clone(), slow.clone(), slow],
    );
    let e = client.authenticate(&creds()).unwrap_err();
    assert_eq!(e.code(), "timeout", "{e}");
    assert_eq!(mock.request_count("/client/authenticate"), 1 + 3);
}

/// Records the thread on which each request's log event was emitted, by its uuid.
#[derive(Clone, Default)]
struct Threads(Arc<Mutex<HashMap<String, ThreadId>>>);

impl<S: tracing::Subscriber> Layer<S> for Threads {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        struct Uuid(Option<String>);
        impl tracing::field::Visit for Uuid {
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                if field.name() == "uuid" {
                    self.0 = Some(value.to_owned());
                }
            }
            fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
        }
        if event.metadata().target() != "xpay_auth" {
            return;
        }
        let mut uuid = Uuid(None);
        event.record(&mut uuid);
        if let Some(uuid) = uuid.0 {
            let thread = std::thread::current().id();
            self.0.lock().unwrap().insert(uuid, thread);
        }
    }
}

fn threads() -> &'static Threads {
    static THREADS: OnceLock<Threads> = OnceLock::new();
    THREADS.get_or_init(|| {
        let threads = Threads::default();
        tracing::subscriber::set_global_default(Registry::default().with(threads.clone())).unwrap();
        threads
    })
}

#[test]
fn eight_threads_each_drive_their_own_request_on_their_own_connection() {
    let seen = threads();
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let session = client(&mock).session(creds());
    session.access_token().unwrap();
    assert_eq!(mock.connections().accepted, 1);
    // Eight slow replies at once: a connection is only opened when every pooled one is busy,
    // so eight connections mean eight requests in flight together.
    let slow = Reply::json(json!({"success": {"message": "OK", "data": 1}})).with_delay_ms(300);
    mock.queue("/client/echo", vec![slow; 8]);
    let start = Arc::new(Barrier::new(8));
    let workers: Vec<_> = (0..8)
        .map(|t| {
            let (session, start) = (session.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                let mut mine = Vec::new();
                for i in 0..26 {
                    let uuid = format!("00000000-0000-4000-8000-{t:04}{i:08}");
                    session
                        .call_with_uuid("/client/echo", &json!([t, i]), Some(&uuid))
                        .unwrap();
                    mine.push(uuid);
                }
                (std::thread::current().id(), mine)
            })
        })
        .collect();
    let results: Vec<_> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    assert_eq!(mock.request_count("/client/echo"), 8 * 26);
    // Eight connections carried the eight slow calls together, and the pool kept them all:
    // the other 200 calls needed no new one.
    assert_eq!(mock.connections().accepted, 8);
    // Every request was driven on its caller's own thread, never handed to another.
    let seen = seen.0.lock().unwrap();
    for (thread, uuids) in results {
        for uuid in uuids {
            assert_eq!(seen.get(&uuid), Some(&thread), "request {uuid}");
        }
    }
}

/// Threads of this process whose name starts with `prefix` (Linux truncates names to 15 bytes).
fn threads_named(prefix: &str) -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .filter(|name| name.starts_with(prefix))
        .count()
}

#[test]
fn renewals_run_on_one_background_thread() {
    let mock = MockServer::start(MockConfig {
        token_ttl_ms: 1_500,
        ..MockConfig::default()
    })
    .unwrap();
    let client = client(&mock);
    let sessions: Vec<_> = (0..10).map(|_| client.session(creds())).collect();
    let first: Vec<String> = sessions.iter().map(|s| s.access_token().unwrap()).collect();
    let mut most = 0;
    // Keep using the tokens until every session holds a new one (renewed in the background
    // or, if a renewal came too late, by a login of its own).
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let renewed = sessions
            .iter()
            .zip(&first)
            .filter(|(s, old)| s.access_token().unwrap() != **old)
            .count();
        most = most.max(threads_named("xpay-auth-renew"));
        if renewed == sessions.len() {
            break;
        }
        assert!(Instant::now() < deadline, "only {renewed} sessions renewed");
        std::thread::yield_now();
    }
    assert_eq!(most, 1, "renewal threads at once");
    assert!(mock.request_count("/client/authenticate") >= 20);
}

#[test]
fn localhost_reaches_the_loopback_server_in_both_faces() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let url = format!("http://localhost:{}", mock.addr().port());
    let blocking = blocking::Client::builder().base_url(&url).build().unwrap();
    assert!(blocking.authenticate(&creds()).is_ok());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = xpay_auth::Client::builder().base_url(&url).build().unwrap();
    assert!(rt.block_on(client.authenticate(&creds())).is_ok());
    assert_eq!(mock.request_count("/client/authenticate"), 2);
}

fn async_client(mock: &MockServer) -> xpay_auth::Client {
    xpay_auth::Client::builder()
        .base_url(mock.base_url())
        .max_retries(0)
        .build()
        .unwrap()
}

/// The tests below run on a current-thread runtime and wait for the mock with the runtime
/// blocked: a connection's task cannot run then, so hyper has not seen the server's FIN when the
/// next request takes a connection (what a loaded machine does to a multi-thread runtime).
#[tokio::test]
async fn async_face_sequential_calls_share_one_connection() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let session = async_client(&mock).session(creds());
    for i in 0..20 {
        assert_eq!(session.call("/client/echo", &i).await.unwrap(), json!(i));
    }
    assert_eq!(mock.connections().accepted, 1);
    assert_eq!(mock.request_count("/client/echo"), 20);
}

#[tokio::test]
async fn async_face_never_uses_a_connection_the_server_closed_while_idle() {
    let mock = MockServer::start(MockConfig {
        idle_timeout_ms: Some(100),
        ..MockConfig::default()
    })
    .unwrap();
    let session = async_client(&mock).session(creds());
    for round in 1..=3u64 {
        assert_eq!(
            session.call("/client/echo", &round).await.unwrap(),
            json!(round)
        );
        wait_for("the idle close", || mock.connections().idle_closed >= round);
    }
    assert_eq!(session.call("/client/echo", &4).await.unwrap(), json!(4));
    // One request per call (no retries allowed): none went out on a dead connection.
    assert_eq!(mock.request_count("/client/echo"), 4);
    assert_eq!(mock.request_count("/client/authenticate"), 1);
    // A new connection only after the server closed the previous one. (Not `accepted == 4`:
    // on a loaded machine the 100 ms idle close can also fall between the login and a call.)
    let connections = mock.connections();
    assert!(connections.accepted <= connections.idle_closed + 1);
}

#[tokio::test]
async fn async_face_recovers_from_a_mock_restart_without_a_retry() {
    let mut mock = MockServer::start(MockConfig::default()).unwrap();
    let session = async_client(&mock).session(creds());
    assert_eq!(session.call("/client/echo", &1).await.unwrap(), json!(1));
    assert_eq!(session.call("/client/echo", &2).await.unwrap(), json!(2));
    for round in 0..2 {
        // Every connection is closed when this returns.
        mock.restart().unwrap();
        assert_eq!(
            session.call("/client/echo", &(3 + round)).await.unwrap(),
            json!(3 + round)
        );
    }
    assert_eq!(mock.request_count("/client/echo"), 4);
    assert_eq!(mock.request_count("/client/authenticate"), 1);
}

#[test]
fn async_face_connections_of_an_ended_runtime_are_not_used() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let client = async_client(&mock);
    for _ in 0..3 {
        // Each runtime ends with its connection tasks: the next one must open its own.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        assert!(rt.block_on(client.authenticate(&creds())).is_ok());
    }
    assert_eq!(mock.request_count("/client/authenticate"), 3);
    assert_eq!(mock.connections().accepted, 3);
}

#[tokio::test]
async fn async_face_body_cap_refuses_a_200_and_cuts_other_statuses() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let client = xpay_auth::Client::builder()
        .base_url(mock.base_url())
        .max_retries(0)
        .max_body_bytes(64 * 1024)
        .build()
        .unwrap();
    queue_oversize_replies(&mock);
    let e = client.authenticate(&creds()).await.unwrap_err();
    assert_eq!((e.code(), e.status()), ("decode", Some(200)), "{e}");
    let e = client.authenticate(&creds()).await.unwrap_err();
    assert_eq!((e.code(), e.status()), ("http_status", Some(502)), "{e}");
    assert!(client.authenticate(&creds()).await.is_ok());
    assert_eq!(mock.request_count("/client/authenticate"), 3);
}

#[tokio::test]
async fn async_face_timeout_is_a_timeout_and_a_call_is_not_retried_after_it() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let client = xpay_auth::Client::builder()
        .base_url(mock.base_url())
        .timeout(Duration::from_millis(200))
        .retry_backoff(Duration::from_millis(1))
        .build()
        .unwrap();
    let session = client.session(creds());
    session.access_token().await.unwrap();
    let slow = Reply::json(json!({"success": {"message": "OK", "data": 1}})).with_delay_ms(1_000);
    mock.queue("/client/echo", vec![slow.clone(), slow.clone(), slow]);
    let e = session.call("/client/echo", &1).await.unwrap_err();
    assert_eq!(e.code(), "timeout", "{e}");
    assert_eq!(mock.request_count("/client/echo"), 1);
}

/// Two replies over a 64 KiB cap: a padded 200 envelope, then a 200 KiB 502 page.
fn queue_oversize_replies(mock: &MockServer) {
    let ok = json!({"success": {"message": "OK", "data": 1}});
    mock.queue(
        "/client/authenticate",
        vec![
            Reply::json(ok).with_pad_bytes(64 * 1024),
            Reply::text("x".repeat(200 * 1024)).with_status(502),
        ],
    );
}

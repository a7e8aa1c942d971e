//! The core never logs while holding a session's lock. A logger may take locks of its own (the
//! Python binding's logger takes the GIL) while another thread holding such a lock waits for the
//! session: logging under the lock deadlocked the Python face once. Its own test binary, because
//! it installs a process-wide tracing subscriber.

use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use xpay_auth::{Credentials, Session};
use xpay_mock::{MockConfig, MockServer, Reply};

/// The session under test, and what the logger saw: `Some(true)` when, inside the log call,
/// another thread could read the session (its lock was free).
static SESSION: OnceLock<Session> = OnceLock::new();
static LOCK_FREE_WHILE_LOGGING: Mutex<Option<bool>> = Mutex::new(None);

struct ReadsTheSessionWhileLogging;

impl<S: Subscriber> Layer<S> for ReadsTheSessionWhileLogging {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut message = Message(String::new());
        event.record(&mut message);
        if !message.0.contains("renewal failed") {
            return;
        }
        let Some(session) = SESSION.get().cloned() else {
            return;
        };
        let (done, finished) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = session.cached();
            let _ = done.send(());
        });
        // Under the lock this read could not finish while we wait here: report that instead of
        // deadlocking the test.
        let free = finished.recv_timeout(Duration::from_secs(5)).is_ok();
        *LOCK_FREE_WHILE_LOGGING.lock().unwrap() = Some(free);
    }
}

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

#[test]
fn a_failed_renewal_is_logged_after_the_lock_is_released() {
    let subscriber = tracing_subscriber::registry().with(ReadsTheSessionWhileLogging);
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let mock = MockServer::start(MockConfig {
        token_ttl_ms: 2_000,
        ..MockConfig::default()
    })
    .unwrap();
    let client = xpay_auth::blocking::Client::builder()
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let session = client
        .as_async()
        .session(Credentials::new("demo@xpay.test", "demo-secret"));
    SESSION.set(session.clone()).ok();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(session.access_token()).unwrap();
    mock.queue(
        "/client/authenticate",
        vec![Reply::json(
            serde_json::json!({"error": {"message": "invalid credentials"}}),
        )],
    );

    // Inside the refresh window the renewal runs in the background and fails; poll for the
    // logger's verdict.
    let deadline = Instant::now() + Duration::from_secs(20);
    let verdict = loop {
        rt.block_on(session.access_token()).unwrap();
        if let Some(free) = *LOCK_FREE_WHILE_LOGGING.lock().unwrap() {
            break free;
        }
        assert!(
            Instant::now() < deadline,
            "the renewal failure was never logged"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    assert!(
        verdict,
        "the renewal failure was logged while the session's lock was held"
    );
}

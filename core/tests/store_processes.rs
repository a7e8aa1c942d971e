//! Long-lived processes sharing one file store: 8 processes that keep asking for a token over
//! 3 token lifetimes make one login per renewal between them, not one per process.
//!
//! The test binary runs itself 8 times as the children (`XPAY_STORE_CHILD` set).

use std::process::{Child, Command};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use xpay_auth::{blocking, Credentials};
use xpay_mock::{MockConfig, MockServer};

const TTL_MS: u64 = 1_500;
const REFRESH_BEFORE_MS: u64 = 300;
const LIFETIMES: u64 = 3;
const PROCESSES: usize = 8;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// One child: a session on the file store, asking for a token every few ms until `stop_ms`
/// (wall clock); exits 0 when every call succeeded.
fn child(base_url: &str, store: &str, stop_ms: u64) -> ! {
    let client = blocking::Client::builder()
        .base_url(base_url)
        .refresh_before(Duration::from_millis(REFRESH_BEFORE_MS))
        .build()
        .expect("client");
    let session = client
        .session_builder(Credentials::new("demo@xpay.test", "demo-secret"))
        .store(store)
        .build()
        .expect("session");
    let mut failures = 0;
    while now_ms() < stop_ms {
        if session.access_token().is_err() {
            failures += 1;
        }
        // Pacing for a busy worker, not a wait for anything.
        std::thread::sleep(Duration::from_millis(3));
    }
    std::process::exit(i32::from(failures > 0));
}

#[test]
fn eight_long_lived_processes_make_one_login_per_renewal() {
    if let Ok(args) = std::env::var("XPAY_STORE_CHILD") {
        let mut parts = args.splitn(3, ' ');
        let (url, store, stop) = (
            parts.next().unwrap_or_default().to_owned(),
            parts.next().unwrap_or_default().to_owned(),
            parts.next().and_then(|s| s.parse().ok()).unwrap_or(0),
        );
        child(&url, &store, stop);
    }
    let mock = MockServer::start(MockConfig {
        token_ttl_ms: TTL_MS,
        ..MockConfig::default()
    })
    .unwrap();
    let dir = std::env::temp_dir().join(format!("xpay-store-procs-{}", std::process::id()));
    let store = format!("file:{}", dir.display());
    let started = Instant::now();
    let stop = now_ms() + LIFETIMES * TTL_MS;
    let me = std::env::current_exe().unwrap();
    let mut children: Vec<Child> = (0..PROCESSES)
        .map(|_| {
            Command::new(&me)
                .args([
                    "--exact",
                    "eight_long_lived_processes_make_one_login_per_renewal",
                    "--nocapture",
                ])
                .env(
                    "XPAY_STORE_CHILD",
                    format!("{} {store} {stop}", mock.base_url()),
                )
                .spawn()
                .unwrap()
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut ok = 0;
    while !children.is_empty() {
        assert!(Instant::now() < deadline, "the children did not finish");
        children.retain_mut(|c| match c.try_wait().unwrap() {
            Some(status) => {
                ok += usize::from(status.success());
                false
            }
            None => true,
        });
        std::thread::sleep(Duration::from_millis(10));
    }
    let elapsed = started.elapsed().as_millis() as u64;
    let logins = mock.request_count("/client/authenticate");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(ok, PROCESSES, "every child's every call succeeded");
    // A token is taken from the store while it lives past its renew point (at most 110 % of
    // the window before expiry), so one login serves everyone for at least this long.
    let served_ms = TTL_MS - REFRESH_BEFORE_MS * 11 / 10;
    let renewals_bound = elapsed.div_ceil(served_ms) + 1;
    eprintln!(
        "{PROCESSES} long-lived processes, {LIFETIMES} token lifetimes ({elapsed} ms), one file \
         store: {logins} logins (at most {renewals_bound}; without the store about {})",
        PROCESSES as u64 * (elapsed / served_ms + 1)
    );
    assert!(logins >= LIFETIMES, "{logins} logins: renewals happened");
    assert!(
        logins <= renewals_bound,
        "{logins} logins for {PROCESSES} processes: more than one per renewal"
    );
}

//! The token for the caller's own HTTP client (`authorization_header`, `reauthorize` after a
//! 401), `stats()` against the mock's counts, and log lines at TRACE that name tokens only by
//! their fingerprint, on both faces.

mod support;

use std::time::{Duration, Instant};

use support::Captured;
use xpay_auth::{blocking, token_fingerprint, Client, Credentials};
use xpay_mock::{MockConfig, MockServer, Reply};

const LOGIN: &str = "/client/authenticate";

fn refused_login() -> Reply {
    Reply::json(serde_json::json!({
        "error": {"message": "invalid credentials", "data": null, "tag": "t"}, "uuid": "u"
    }))
}

fn credentials() -> Credentials {
    Credentials::new("demo@xpay.test", "demo-secret")
}

#[tokio::test]
async fn async_header_reauthorize_stats_and_fingerprinted_logs() {
    let logs = Captured::default();
    let subscriber = logs.subscriber();
    // Global: logins run on the core's own runtime threads. (The only subscriber of this test
    // binary; the other test logs nothing it checks.)
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let mock = MockServer::start(MockConfig {
        token_ttl_ms: 2_000,
        ..MockConfig::default()
    })
    .unwrap();
    let client = Client::builder()
        .base_url(mock.base_url())
        .max_retries(0)
        .build()
        .unwrap();
    let session = client.session(credentials());
    assert_eq!(session.stats(), Default::default());
    let first = session.authorization_header().await.unwrap();
    let t1 = session.access_token().await.unwrap();
    assert_eq!(first, format!("Bearer {t1}"));

    // The server refuses it: one fresh login; a late report of the same header makes none.
    let second = session.reauthorize(&first).await.unwrap();
    assert_ne!(second, first);
    assert_eq!(session.reauthorize(&first).await.unwrap(), second);
    assert_eq!(mock.request_count(LOGIN), 2);
    // A call refused with 401 logs in again too.
    mock.revoke_tokens();
    session.call("/client/echo", &1).await.unwrap();
    let t3 = session.access_token().await.unwrap();
    let stats = session.stats();
    assert_eq!((stats.logins, stats.waits, stats.renewals), (3, 3, 0));
    assert_eq!(stats.logins, mock.request_count(LOGIN));
    assert!(stats.expires_at_ms > 1_600_000_000_000);

    // A refused background renewal.
    mock.queue(LOGIN, vec![refused_login()]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while session.stats().renewal_failures == 0 {
        assert!(
            Instant::now() < deadline,
            "no failed renewal: {:?}",
            session.stats()
        );
        let _ = session.access_token().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let stats = session.stats();
    assert_eq!((stats.renewals, stats.renewal_failures), (1, 1));
    assert_eq!(stats.logins, mock.request_count(LOGIN));
    assert!(stats.backoff_until_ms > 1_600_000_000_000);

    let text = logs.text();
    let tokens = [t1, second.trim_start_matches("Bearer ").to_owned(), t3];
    for token in &tokens {
        assert!(
            !text.contains(token.as_str()),
            "a token in the logs:\n{text}"
        );
    }
    assert!(!text.contains("demo-secret"));
    for needle in [
        "logged in",
        "refused the token (401)",
        "token renewal failed",
    ] {
        assert!(text.contains(needle), "no {needle:?} line:\n{text}");
    }
    for token in &tokens {
        let field = format!("token={}", token_fingerprint(token));
        assert!(text.contains(&field), "no {field} in:\n{text}");
    }
}

#[test]
fn blocking_header_reauthorize_and_stats() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let client = blocking::Client::builder()
        .base_url(mock.base_url())
        .max_retries(0)
        .build()
        .unwrap();
    let session = client.session(credentials());
    let header = session.authorization_header().unwrap();
    assert_eq!(
        header,
        format!("Bearer {}", session.access_token().unwrap())
    );
    let fresh = session.reauthorize(&header).unwrap();
    assert_ne!(fresh, header);
    // 20 threads reporting the same refused header: one more login, all get the fresh header.
    let again: Vec<String> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..20)
            .map(|_| s.spawn(|| session.reauthorize(&header).unwrap()))
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert!(again.iter().all(|h| *h == fresh));
    let stats = session.stats();
    assert_eq!(stats.logins, 2);
    assert_eq!(stats.logins, mock.request_count(LOGIN));
    assert_eq!(stats.waits, 2);
    assert_eq!(stats.backoff_until_ms, 0);
    // Bad credentials: the error, one login, a back-off deadline.
    let bad = client.session(Credentials::new("demo@xpay.test", "wrong"));
    assert_eq!(
        bad.authorization_header().unwrap_err().code(),
        "authentication"
    );
    assert!(bad.stats().backoff_until_ms > 1_600_000_000_000);
    assert_eq!((bad.stats().logins, bad.stats().expires_at_ms), (1, 0));
}

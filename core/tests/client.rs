//! The client's surface beyond the shared scenarios: options, headers, argument checks.

use std::time::Duration;

use serde_json::json;
use xpay_auth::{blocking, Client, Credentials, ErrorKind};
use xpay_mock::{MockConfig, MockServer};

fn creds() -> Credentials {
    Credentials::new("demo@xpay.test", "demo-secret")
}

fn mock_and_blocking_client() -> (MockServer, blocking::Client) {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let client = blocking::Client::builder()
        .base_url(mock.base_url())
        .build()
        .unwrap();
    (mock, client)
}

#[tokio::test]
async fn sends_the_rust_user_agent_and_a_fresh_uuid_per_request() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let client = Client::builder().base_url(mock.base_url()).build().unwrap();
    let session = client.session(creds());
    session.call("/client/echo", &1).await.unwrap();
    session.call("/client/echo", &2).await.unwrap();
    let requests = mock.requests();
    assert_eq!(requests.len(), 3);
    let ua = format!("xpay-auth-rust/{}", xpay_auth::VERSION);
    assert!(requests
        .iter()
        .all(|r| r.headers.get("user-agent") == Some(&ua)));
    let uuids: std::collections::HashSet<_> =
        requests.iter().map(|r| r.headers["uuid"].clone()).collect();
    assert_eq!(uuids.len(), 3, "every request has its own uuid");
}

#[tokio::test]
async fn a_caller_chosen_uuid_is_sent_and_surfaced() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let client = Client::builder().base_url(mock.base_url()).build().unwrap();
    let session = client.session(creds());
    let mine = "11111111-2222-4333-8444-555555555555";
    session
        .call_with_uuid("/client/echo", &json!({}), Some(mine))
        .await
        .unwrap();
    assert_eq!(mock.requests().last().unwrap().headers["uuid"], mine);
    mock.queue(
        "/client/echo",
        vec![xpay_mock::Reply::text("nope").with_status(502)],
    );
    let err = session
        .call_with_uuid("/client/echo", &json!({}), Some(mine))
        .await
        .unwrap_err();
    assert_eq!(err.uuid(), Some(mine));
}

#[tokio::test]
async fn bad_options_fail_before_any_io() {
    for url in ["http://example.com", "ftp://127.0.0.1", "nonsense"] {
        let err = Client::builder().base_url(url).build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{url}");
        assert!(
            err.message().contains(url),
            "the message names the URL: {}",
            err.message()
        );
    }
    let err = Client::builder()
        .user_agent("bad\nagent")
        .build()
        .unwrap_err();
    assert_eq!(err.code(), "invalid_argument");
}

#[tokio::test]
async fn a_body_that_is_not_json_serialisable_is_an_invalid_argument() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let client = Client::builder().base_url(mock.base_url()).build().unwrap();
    let mut bad = std::collections::HashMap::new();
    bad.insert((1, 2), 3); // tuple keys cannot be JSON object keys
    let err = client
        .session(creds())
        .call("/client/echo", &bad)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_argument");
    assert_eq!(mock.request_count("/client/authenticate"), 0);
}

#[tokio::test]
async fn blocking_calls_from_async_code_are_refused_not_a_panic() {
    let client = blocking::Client::builder()
        .base_url("http://127.0.0.1:9")
        .build()
        .unwrap();
    let err = client.authenticate(&creds()).unwrap_err();
    assert_eq!(err.code(), "invalid_argument");
}

#[test]
fn the_connect_timeout_is_a_timeout() {
    // 10.255.255.1 is never reached here: the builder refuses plain http to it before I/O.
    let err = blocking::Client::builder()
        .base_url("http://10.255.255.1")
        .build()
        .unwrap_err();
    assert_eq!(err.code(), "invalid_argument");
    let client = blocking::Client::builder()
        .base_url("http://127.0.0.1:9")
        .connect_timeout(Duration::from_millis(200))
        .max_retries(0)
        .build()
        .unwrap();
    let err = client.authenticate(&creds()).unwrap_err();
    assert!(matches!(err.code(), "connection" | "timeout"), "{err}");
}

#[test]
fn sessions_share_one_login_across_threads_and_expose_the_authentication() {
    let (mock, client) = mock_and_blocking_client();
    let session = client.session(creds());
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| session.call("/client/echo", &json!({"x": 1})).unwrap());
        }
    });
    assert_eq!(mock.request_count("/client/authenticate"), 1);
    let auth = session.authentication().unwrap();
    assert_eq!(auth.user().username(), "demo@xpay.test");
    assert_eq!(session.username(), "demo@xpay.test");
}

#[test]
fn a_closed_client_refuses_requests_without_io() {
    let (mock, client) = mock_and_blocking_client();
    let session = client.session(creds());
    session.access_token().unwrap();
    client.close();
    client.close();
    assert!(client.is_closed());
    let err = client.authenticate(&creds()).unwrap_err();
    assert_eq!(err.code(), "invalid_argument");
    session.invalidate();
    assert_eq!(
        session.access_token().unwrap_err().code(),
        "invalid_argument"
    );
    assert_eq!(mock.request_count("/client/authenticate"), 1);
}

#[test]
fn cached_is_the_fresh_token_only_and_never_logs_in() {
    let (mock, client) = mock_and_blocking_client();
    let session = client.as_async().session(creds());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    assert!(session.cached().is_none(), "cold: nothing cached");
    assert_eq!(
        mock.request_count("/client/authenticate"),
        0,
        "and no login started"
    );

    let auth = rt.block_on(session.authentication()).unwrap();
    assert_eq!(session.cached().as_deref(), Some(&*auth));
    session.invalidate();
    assert!(session.cached().is_none());

    // A token past its refresh window is not "cached": the caller must go through
    // `authentication`, which renews it. (A token already expired on arrival is a `decode`
    // error now: lifetime 2 s here, so its window opens after 0.9 to 1 s.)
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let short = json!({"success": {"message": "Authenticated", "data": {
        "expiresAt": now_ms + 2_000, "user": {"username": "demo@xpay.test"},
        "access_token": "eyJ-short-lived-token"}}});
    mock.queue("/client/authenticate", vec![xpay_mock::Reply::json(short)]);
    assert_eq!(
        rt.block_on(session.access_token()).unwrap(),
        "eyJ-short-lived-token"
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while session.cached().is_some() {
        assert!(std::time::Instant::now() < deadline, "the window opens");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(
        mock.request_count("/client/authenticate"),
        2,
        "cached() never logs in"
    );
    while rt.block_on(session.access_token()).unwrap() == "eyJ-short-lived-token" {
        assert!(std::time::Instant::now() < deadline, "renewed");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn blocking_call_after_the_server_closed_the_pooled_connection() {
    // Issue 9: the blocking runtime only runs inside a call, so a connection the server closed
    // between two calls must still be noticed (and not reused) before the next one is sent.
    let mut mock = MockServer::start(MockConfig::default()).unwrap();
    let client = blocking::Client::builder()
        .base_url(mock.base_url())
        .max_retries(0)
        .build()
        .unwrap();
    let session = client.session(creds());
    assert_eq!(session.call("/client/echo", &1).unwrap(), json!(1));
    for round in 2..5 {
        mock.restart().unwrap();
        assert_eq!(session.call("/client/echo", &round).unwrap(), json!(round));
    }
    assert_eq!(mock.request_count("/client/echo"), 4);
    assert_eq!(mock.request_count("/client/authenticate"), 1);
}

//! Issue 10 in the core: exact numbers (`call_raw`), scrubbed errors, one uuid per logical
//! request, and the small holes (closed client, dot segments, bad uuids).

use serde_json::json;
use xpay_auth::{blocking, Client, Credentials};
use xpay_mock::{MockConfig, MockServer, Reply};

fn creds() -> Credentials {
    Credentials::new("demo@xpay.test", "demo-secret")
}

fn setup() -> (MockServer, Client) {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let client = Client::builder()
        .base_url(mock.base_url())
        .max_retries(1)
        .retry_backoff(std::time::Duration::from_millis(1))
        .build()
        .unwrap();
    (mock, client)
}

#[tokio::test]
async fn call_raw_sends_and_returns_exact_text() {
    let (mock, client) = setup();
    let session = client.session(creds());
    let text = "{ \"amount\": 123456789012345678901, \"fee\":0.1000000000000000000001 }";
    let back = session.call_raw("/client/echo", text).await.unwrap();
    assert_eq!(back, text);
    assert_eq!(mock.requests().last().unwrap().body, text);
    let reply = r#"{"success":{"message":"OK","data": [1.50, 1E400 ,-0]},"uuid":"u"}"#;
    mock.queue("/client/echo", vec![Reply::text(reply)]);
    let back = session.call_raw("/client/echo", "1").await.unwrap();
    assert_eq!(back, "[1.50, 1E400 ,-0]");
    // `call` decodes from the same raw text.
    let data = session
        .call("/client/echo", &json!({"k": [1, 2]}))
        .await
        .unwrap();
    assert_eq!(data, json!({"k": [1, 2]}));
}

#[test]
fn blocking_call_raw_is_exact_too() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let client = blocking::Client::builder()
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let session = client.session(creds());
    let big = "99999999999999999999";
    assert_eq!(session.call_raw("/client/echo", big).unwrap(), big);
    let e = session
        .call_raw_with_uuid("/client/echo", "1", Some(" x"))
        .unwrap_err();
    assert_eq!(e.code(), "invalid_argument");
}

#[tokio::test]
async fn call_raw_refuses_anything_but_one_json_value_before_any_io() {
    let (mock, client) = setup();
    let session = client.session(creds());
    for bad in ["", "{\"a\":1", "1 2", "{} x", "NaN", "'a'"] {
        let e = session.call_raw("/client/echo", bad).await.unwrap_err();
        assert_eq!(e.code(), "invalid_argument", "{bad:?}");
    }
    assert!(mock.requests().is_empty());
}

#[tokio::test]
async fn errors_never_quote_the_secret_key_or_tokens() {
    let (mock, client) = setup();
    let session = client.session(creds());
    mock.queue(
        "/client/authenticate",
        vec![
            Reply::text(format!("{}you sent {{{{request_body}}}}", "p".repeat(190)))
                .with_status(400),
        ],
    );
    let e = session.access_token().await.unwrap_err();
    assert_eq!(e.code(), "http_status");
    assert!(!e.message().contains("demo-s"), "{}", e.message());
    assert!(!e.to_string().contains("demo-secret"));
    // That failed login started the session's back-off: a fresh session for the call.
    let session = client.session(creds());
    let token = session.access_token().await.unwrap();
    mock.queue(
        "/client/echo",
        vec![Reply::json(json!({
            "error": {"message": "no: {{request_headers}}", "tag": "t",
                      "data": {"h": ["{{request_headers}}"], "{{request_headers}}": 1}}
        }))],
    );
    let e = session.call("/client/echo", &1).await.unwrap_err();
    assert_eq!(e.code(), "api");
    let all = format!("{} {:?}", e.message(), e.data());
    assert!(!all.contains(&token), "{all}");
    assert!(all.contains("[redacted]"), "{all}");
}

#[tokio::test]
async fn one_uuid_for_every_attempt_of_a_logical_request() {
    let (mock, client) = setup();
    let session = client.session(creds());
    mock.queue(
        "/client/authenticate",
        vec![Reply::empty(503).with_header("Retry-After", "0")],
    );
    session.access_token().await.unwrap();
    mock.queue(
        "/client/echo",
        vec![Reply::empty(503).with_header("Retry-After", "0")],
    );
    session.call("/client/echo", &1).await.unwrap();
    mock.revoke_tokens();
    session.call("/client/echo", &2).await.unwrap();
    let uuids: Vec<(String, String)> = mock
        .requests()
        .iter()
        .map(|r| (r.path.clone(), r.headers["uuid"].clone()))
        .collect();
    let paths: Vec<&str> = uuids.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/client/authenticate",
            "/client/authenticate",
            "/client/echo",
            "/client/echo",
            "/client/echo",
            "/client/authenticate",
            "/client/echo"
        ]
    );
    let u = |i: usize| uuids[i].1.as_str();
    assert_eq!(u(0), u(1), "a login's retries share one uuid");
    assert_eq!(u(2), u(3), "a call's retries share one uuid");
    assert_eq!(u(4), u(6), "the re-send after a 401 keeps the uuid");
    let distinct: std::collections::HashSet<_> = [u(0), u(2), u(4), u(5)].into_iter().collect();
    assert_eq!(distinct.len(), 4, "logical requests never share one");
}

#[tokio::test]
async fn bad_uuids_and_dot_paths_are_refused_before_any_io() {
    let (mock, client) = setup();
    let session = client.session(creds());
    for bad in ["", "a\nb", "caf\u{e9}", "x\0y"] {
        let e = session
            .call_with_uuid("/client/echo", &1, Some(bad))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "invalid_argument", "{bad:?}");
        let e = session
            .call_raw_with_uuid("/client/echo", "1", Some(bad))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "invalid_argument", "{bad:?}");
    }
    for bad in [
        "/client/../x",
        "/client/%2e%2e/x",
        "/client/%2E./x",
        "/./client",
    ] {
        let e = session.call(bad, &1).await.unwrap_err();
        assert_eq!(e.code(), "invalid_argument", "{bad}");
    }
    assert!(mock.requests().is_empty());
}

#[tokio::test]
async fn nothing_goes_out_after_close() {
    let (mock, client) = setup();
    let session = client.session(creds());
    session.access_token().await.unwrap();
    client.close();
    let e = session.call("/client/echo", &1).await.unwrap_err();
    assert_eq!(e.code(), "invalid_argument");
    let e = client.authenticate(&creds()).await.unwrap_err();
    assert_eq!(e.code(), "invalid_argument");
    assert_eq!(mock.requests().len(), 1);
}

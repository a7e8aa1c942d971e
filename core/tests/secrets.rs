//! The secret key and the access token never show in Debug output, errors or log lines.

mod support;

use support::Captured;
use xpay_auth::{Client, Credentials};
use xpay_mock::{MockConfig, MockServer};

const SECRET: &str = "demo-secret";

#[tokio::test]
async fn nothing_shows_the_secret_or_the_token() {
    let logs = Captured::default();
    let subscriber = logs.subscriber();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mock = MockServer::start(MockConfig::default()).unwrap();
    let client = Client::builder()
        .base_url(mock.base_url())
        .max_retries(1)
        .build()
        .unwrap();
    let creds = Credentials::new("demo@xpay.test", SECRET);
    let auth = client.authenticate(&creds).await.unwrap();
    let session = client.session(creds.clone());
    let token = session.access_token().await.unwrap();
    session
        .call("/client/echo", &serde_json::json!({}))
        .await
        .unwrap();
    mock.queue(
        "/client/echo",
        vec![xpay_mock::Reply::empty(503), xpay_mock::Reply::empty(500)],
    );
    let err = session.call("/client/echo", &1).await.unwrap_err();
    let wrong = client
        .authenticate(&Credentials::new("demo@xpay.test", "wrong-secret-value"))
        .await
        .unwrap_err();

    let shown = [
        format!("{creds:?}"),
        format!("{auth:?}"),
        format!("{session:?}"),
        format!("{client:?}"),
        format!("{err:?} {err}"),
        format!("{wrong:?} {wrong}"),
        logs.text(),
    ];
    assert!(
        shown[6].contains("xpay request"),
        "the request log lines are there: {}",
        shown[6]
    );
    assert!(
        shown[6].contains("xpay_request{path=\"/client/echo\""),
        "the request span: {}",
        shown[6]
    );
    for text in &shown {
        assert!(!text.contains(SECRET), "secret in {text}");
        assert!(!text.contains("wrong-secret-value"), "secret in {text}");
        assert!(!text.contains(&token), "token in {text}");
        assert!(!text.contains(auth.access_token()), "token in {text}");
    }
    assert!(
        shown[2].contains(&token[..6]) && shown[2].contains("chars"),
        "a redacted token: {}",
        shown[2]
    );
}

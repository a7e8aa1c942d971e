//! `XPAY_TOKEN_STORE`: the store of sessions given none (its own test binary: it sets the
//! process environment).

use xpay_auth::{blocking, Credentials};
use xpay_mock::{MockConfig, MockServer};

#[test]
fn sessions_given_no_store_use_xpay_token_store() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let dir = std::env::temp_dir().join(format!("xpay-store-env-{}", std::process::id()));
    let client = blocking::Client::builder()
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let creds = || Credentials::new("demo@xpay.test", "demo-secret");

    std::env::set_var(
        xpay_auth::ENV_TOKEN_STORE,
        format!("file:{}", dir.display()),
    );
    let first = client.session(creds()).access_token().unwrap();
    let second = client
        .session_builder(creds())
        .build()
        .unwrap()
        .access_token()
        .unwrap();
    assert_eq!(first, second);
    assert_eq!(mock.request_count("/client/authenticate"), 1);
    // An explicit store wins over the environment.
    let memory = client
        .session_builder(creds())
        .store("memory:")
        .build()
        .unwrap();
    assert_ne!(memory.access_token().unwrap(), first);
    assert_eq!(mock.request_count("/client/authenticate"), 2);

    // A bad URL in the environment: the builder fails, a plain session's calls fail, both
    // with invalid_argument and nothing sent.
    std::env::set_var(xpay_auth::ENV_TOKEN_STORE, "ftp://nowhere");
    let e = client.session_builder(creds()).build().unwrap_err();
    assert_eq!(e.code(), "invalid_argument");
    assert!(e.message().contains("XPAY_TOKEN_STORE"), "{}", e.message());
    let e = client.session(creds()).access_token().unwrap_err();
    assert_eq!(e.code(), "invalid_argument");
    assert_eq!(mock.requests().len(), 2);
    std::env::remove_var(xpay_auth::ENV_TOKEN_STORE);
    let _ = std::fs::remove_dir_all(&dir);
}

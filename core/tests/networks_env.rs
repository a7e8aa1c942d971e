//! The environment's part of corporate networks (one test: it sets process variables):
//! `XPAY_CA_BUNDLE` adds a CA, `HTTPS_PROXY` diverts a non-loopback host (unless `NO_PROXY`
//! names it) and never a loopback one, and a proxy option overrides it.

use xpay_auth::{blocking, Client, Credentials};
use xpay_mock::certs::TestPki;
use xpay_mock::proxy::TestProxy;
use xpay_mock::{MockConfig, MockServer};

fn creds() -> Credentials {
    Credentials::new("demo@xpay.test", "demo-secret")
}

#[test]
fn ca_bundle_and_proxy_from_the_environment() {
    for name in [
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        std::env::remove_var(name);
    }
    let pki = TestPki::generate().unwrap();
    let dir = std::env::temp_dir().join(format!("xpay-networks-env-{}", std::process::id()));
    pki.write(&dir).unwrap();
    let mock =
        MockServer::start_tls(MockConfig::default(), &pki.mock_tls(&pki.server, false)).unwrap();

    // XPAY_CA_BUNDLE: trusted, both transports.
    std::env::set_var("XPAY_CA_BUNDLE", dir.join("ca.pem"));
    let client = blocking::Client::builder()
        .base_url(mock.base_url())
        .build()
        .unwrap();
    client.authenticate(&creds()).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = Client::builder().base_url(mock.base_url()).build().unwrap();
    runtime.block_on(client.authenticate(&creds())).unwrap();
    // A file that is not there: invalid_argument naming the variable, when the client is built.
    std::env::set_var("XPAY_CA_BUNDLE", dir.join("missing.pem"));
    let e = blocking::Client::builder()
        .base_url(mock.base_url())
        .build()
        .unwrap_err();
    assert_eq!(e.code(), "invalid_argument");
    assert!(e.message().contains("XPAY_CA_BUNDLE"), "{}", e.message());
    std::env::set_var("XPAY_CA_BUNDLE", dir.join("ca.pem"));

    // HTTPS_PROXY never diverts loopback.
    let proxy = TestProxy::start(None).unwrap();
    std::env::set_var("HTTPS_PROXY", format!("http://{}", proxy.addr()));
    let client = blocking::Client::builder()
        .base_url(mock.base_url())
        .build()
        .unwrap();
    client.authenticate(&creds()).unwrap();
    assert_eq!(proxy.tunnels(), 0);
    // An explicit proxy does.
    let client = blocking::Client::builder()
        .base_url(mock.base_url())
        .proxy(format!("socks5://{}", proxy.addr()))
        .build()
        .unwrap();
    client.authenticate(&creds()).unwrap();
    assert_eq!(proxy.tunnels(), 1);

    // A non-loopback host goes through it (the proxy cannot resolve `.invalid`: its 502 is
    // the error), unless NO_PROXY names the host.
    let client = blocking::Client::builder()
        .base_url("https://api.xpay.invalid")
        .max_retries(0)
        .build()
        .unwrap();
    let e = client.authenticate(&creds()).unwrap_err();
    assert_eq!(e.code(), "connection");
    assert!(
        e.message().contains("502") && e.message().contains(&proxy.addr().to_string()),
        "{}",
        e.message()
    );
    std::env::set_var("no_proxy", "localhost, .invalid");
    let client = blocking::Client::builder()
        .base_url("https://api.xpay.invalid")
        .max_retries(0)
        .build()
        .unwrap();
    let e = client.authenticate(&creds()).unwrap_err();
    assert!(!e.message().contains("proxy"), "{}", e.message());
    std::env::remove_var("no_proxy");
    // A bad proxy in the environment: invalid_argument naming the variable.
    std::env::set_var("HTTPS_PROXY", "ftp://nope:1");
    let e = blocking::Client::builder()
        .base_url("https://api.xpay.invalid")
        .build()
        .unwrap_err();
    assert_eq!(e.code(), "invalid_argument");
    assert!(e.message().contains("HTTPS_PROXY"), "{}", e.message());
    std::env::remove_var("HTTPS_PROXY");
    std::env::remove_var("XPAY_CA_BUNDLE");
    let _ = std::fs::remove_dir_all(&dir);
}

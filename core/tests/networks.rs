//! Corporate networks, through the public API and both transports: a TLS mock with a private
//! CA (refused with the hint, trusted with the CA, `tls_roots(None)`), the certificate's
//! problem named, mutual TLS, and the proxies (`CONNECT`, SOCKS5, credentials) counting
//! tunnels. The environment's part (XPAY_CA_BUNDLE, HTTPS_PROXY) is in networks_env.rs: it
//! changes the process environment.

use serde_json::json;
use xpay_auth::{blocking, Client, Credentials, TlsRoots};
use xpay_mock::certs::TestPki;
use xpay_mock::proxy::TestProxy;
use xpay_mock::{MockConfig, MockServer};

fn creds() -> Credentials {
    Credentials::new("demo@xpay.test", "demo-secret")
}

fn tls_mock(pki: &TestPki, which: &xpay_mock::certs::Pem, mtls: bool) -> MockServer {
    MockServer::start_tls(MockConfig::default(), &pki.mock_tls(which, mtls)).unwrap()
}

/// What a test client is given: its base URL and network options, set on either builder.
#[derive(Clone, Default)]
struct Net {
    url: String,
    ca: Option<String>,
    roots: Option<TlsRoots>,
    identity: Option<(String, String)>,
    proxy: Option<String>,
}

impl Net {
    fn to(url: String) -> Net {
        Net {
            url,
            ..Net::default()
        }
    }

    fn apply<C>(&self, mut builder: xpay_auth::ClientBuilder<C>) -> xpay_auth::ClientBuilder<C> {
        builder = builder.base_url(self.url.clone()).max_retries(0);
        if let Some(ca) = &self.ca {
            builder = builder.ca_bundle_pem(ca.as_bytes());
        }
        if let Some(roots) = self.roots {
            builder = builder.tls_roots(roots);
        }
        if let Some((cert, key)) = &self.identity {
            builder = builder.client_identity_pem(cert.as_bytes(), key.as_bytes());
        }
        if let Some(proxy) = &self.proxy {
            builder = builder.proxy(proxy.clone());
        }
        builder
    }
}

/// Both transports log in and call; the results (a login error's code and message, or "ok").
async fn both(net: Net) -> [Result<(), (String, String)>; 2] {
    let client = net.apply(Client::builder()).build().unwrap();
    let session = client.session(creds());
    let a = session
        .call("/client/echo", &json!({"a": 1}))
        .await
        .map(|v| assert_eq!(v, json!({"a": 1})))
        .map_err(|e| (e.code().to_owned(), e.message().to_owned()));
    // A plain thread: blocking calls refuse to run inside a runtime.
    let b = std::thread::spawn(move || {
        let client = net.apply(blocking::Client::builder()).build().unwrap();
        let session = client.session(creds());
        session
            .call("/client/echo", &json!({"a": 1}))
            .map(|v| assert_eq!(v, json!({"a": 1})))
            .map_err(|e| (e.code().to_owned(), e.message().to_owned()))
    })
    .join()
    .unwrap();
    [a, b]
}

fn assert_refused(results: &[Result<(), (String, String)>], cause: &str) {
    for r in results {
        let (code, message) = r.clone().expect_err("the handshake must fail");
        assert_eq!(code, "connection", "{message}");
        assert!(message.contains(cause), "{message}");
        assert!(
            message.contains("XPAY_CA_BUNDLE") && message.contains("ca_bundle"),
            "{message}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_private_ca_is_refused_with_the_hint_and_trusted_when_given() {
    let pki = TestPki::generate().unwrap();
    let mock = tls_mock(&pki, &pki.server, false);
    let url = mock.base_url();
    assert!(url.starts_with("https://127.0.0.1:"));
    let results = both(Net::to(url.clone())).await;
    assert_refused(&results, "unknown issuer");
    assert_eq!(mock.request_count("/client/authenticate"), 0);

    let results = both(Net {
        ca: Some(pki.ca.cert.clone()),
        ..Net::to(url.clone())
    })
    .await;
    assert_eq!(results, [Ok(()), Ok(())]);
    assert_eq!(mock.request_count("/client/authenticate"), 2);

    // `localhost` is in the certificate too.
    let local = url.replace("127.0.0.1", "localhost");
    let ca = pki.ca.cert.clone();
    let client = Client::builder()
        .base_url(local)
        .tls_roots(TlsRoots::None)
        .ca_bundle_pem(ca.as_bytes())
        .build()
        .unwrap();
    client.authenticate(&creds()).await.unwrap();

    // No roots and no CA: refused.
    let results = both(Net {
        roots: Some(TlsRoots::None),
        ..Net::to(url)
    })
    .await;
    assert_refused(&results, "unknown issuer");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_certificate_problem_is_named() {
    let pki = TestPki::generate().unwrap();
    for (cert, cause) in [
        (&pki.wrong_name, "name mismatch"),
        (&pki.expired, "expired"),
    ] {
        let mock = tls_mock(&pki, cert, false);
        let results = both(Net {
            ca: Some(pki.ca.cert.clone()),
            ..Net::to(mock.base_url())
        })
        .await;
        assert_refused(&results, cause);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn mutual_tls_needs_the_client_certificate() {
    let pki = TestPki::generate().unwrap();
    let mock = tls_mock(&pki, &pki.server, true);
    let with_ca = Net {
        ca: Some(pki.ca.cert.clone()),
        ..Net::to(mock.base_url())
    };
    let results = both(with_ca.clone()).await;
    for r in &results {
        let (code, message) = r.clone().unwrap_err();
        assert_eq!(code, "connection", "{message}");
        // TLS 1.3: the server's refusal arrives after the client's handshake is done.
        assert!(message.contains("client certificate"), "{message}");
    }
    assert_eq!(mock.request_count("/client/authenticate"), 0);

    let results = both(Net {
        identity: Some((pki.client.cert.clone(), pki.client.key.clone())),
        ..with_ca
    })
    .await;
    assert_eq!(results, [Ok(()), Ok(())]);
}

#[tokio::test(flavor = "multi_thread")]
async fn both_transports_go_through_connect_and_socks5_proxies() {
    let pki = TestPki::generate().unwrap();
    let mock = tls_mock(&pki, &pki.server, false);
    for (scheme, credentials) in [
        ("http", None),
        ("http", Some(("u ser", "p@ss:word"))),
        ("socks5", None),
        ("socks5h", Some(("user", "secret"))),
    ] {
        let proxy = TestProxy::start(credentials).unwrap();
        let userinfo = match credentials {
            Some(_) if scheme == "http" => "u%20ser:p%40ss%3Aword@".to_owned(),
            Some((u, p)) => format!("{u}:{p}@"),
            None => String::new(),
        };
        let proxy_url = format!("{scheme}://{userinfo}{}", proxy.addr());
        let results = both(Net {
            ca: Some(pki.ca.cert.clone()),
            proxy: Some(proxy_url),
            ..Net::to(mock.base_url())
        })
        .await;
        assert_eq!(results, [Ok(()), Ok(())], "{scheme} {credentials:?}");
        // One keep-alive connection per client: its tunnel carried the login and the call.
        let stats = proxy.stats();
        assert_eq!(stats.tunnels, 2, "{scheme}: {stats:?}");
        let addr = mock.addr().to_string();
        assert!(stats.targets.iter().all(|t| *t == addr), "{stats:?}");
    }

    // A proxy that wants credentials, given none: the 407 said in words, nothing sent.
    let proxy = TestProxy::start(Some(("u", "p"))).unwrap();
    let client = Client::builder()
        .base_url(mock.base_url())
        .ca_bundle_pem(pki.ca.cert.as_bytes())
        .proxy(format!("http://{}", proxy.addr()))
        .max_retries(0)
        .build()
        .unwrap();
    let e = client.authenticate(&creds()).await.unwrap_err();
    assert_eq!(e.code(), "connection");
    assert!(e.message().contains("407"), "{}", e.message());
    assert_eq!(proxy.stats().auth_refused, 1);

    // An explicit proxy applies to plain-http loopback too.
    let plain = MockServer::start(MockConfig::default()).unwrap();
    let proxy = TestProxy::start(None).unwrap();
    let client = Client::builder()
        .base_url(plain.base_url())
        .proxy(format!("http://{}", proxy.addr()))
        .build()
        .unwrap();
    client.authenticate(&creds()).await.unwrap();
    let (url, via) = (plain.base_url(), format!("socks5://{}", proxy.addr()));
    std::thread::spawn(move || {
        let client = blocking::Client::builder()
            .base_url(url)
            .proxy(via)
            .build()
            .unwrap();
        client.authenticate(&creds()).unwrap();
    })
    .join()
    .unwrap();
    assert_eq!(proxy.tunnels(), 2);
}

#[tokio::test]
async fn a_proxy_that_is_down_is_a_connection_error_naming_it_without_credentials() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let client = Client::builder()
        .base_url("https://apis.xpay.stream")
        .proxy(format!("http://user:hunter2@127.0.0.1:{port}"))
        .max_retries(0)
        .build()
        .unwrap();
    let e = client.authenticate(&creds()).await.unwrap_err();
    assert_eq!(e.code(), "connection");
    assert!(
        e.message().contains(&format!("http://127.0.0.1:{port}")),
        "{}",
        e.message()
    );
    assert!(!format!("{e} {e:?} {client:?}").contains("hunter2"));
}

#[test]
fn bad_options_are_invalid_arguments_and_nothing_is_sent() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let base = || blocking::Client::builder().base_url(mock.base_url());
    let pki = TestPki::generate().unwrap();
    let cases: Vec<(&str, xpay_auth::ClientBuilder<blocking::Client>)> = vec![
        ("bad CA", base().ca_bundle_pem(b"not a certificate")),
        (
            "bad CA body",
            base().ca_bundle_pem(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
        ),
        (
            "missing CA file",
            base().ca_bundle_file("/nonexistent/ca.pem"),
        ),
        (
            "bad key",
            base().client_identity_pem(pki.client.cert.as_bytes(), b"no key"),
        ),
        (
            "cert without key",
            base().client_identity_pem(b"", pki.client.key.as_bytes()),
        ),
        ("bad proxy scheme", base().proxy("ftp://127.0.0.1:1")),
        ("proxy not a URL", base().proxy("http://exa mple:1")),
        ("proxy with a path", base().proxy("http://127.0.0.1:1/x")),
    ];
    for (what, builder) in cases {
        assert_eq!(
            builder.validate().unwrap_err().code(),
            "invalid_argument",
            "{what}"
        );
        let e = builder.build().unwrap_err();
        assert_eq!(e.code(), "invalid_argument", "{what}");
    }
    assert_eq!(mock.requests().len(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn both_transports_go_through_an_https_proxy() {
    let pki = TestPki::generate().unwrap();
    let mock = tls_mock(&pki, &pki.server, false);
    // The proxy's certificate is for 127.0.0.1 too, from the same private CA.
    let proxy = TestProxy::start_tls(Some(("u", "p")), &pki.mock_tls(&pki.server, false)).unwrap();
    let proxy_url = format!("https://u:p@{}", proxy.addr());
    let results = both(Net {
        ca: Some(pki.ca.cert.clone()),
        proxy: Some(proxy_url.clone()),
        ..Net::to(mock.base_url())
    })
    .await;
    assert_eq!(results, [Ok(()), Ok(())]);
    assert_eq!(proxy.stats().tunnels, 2, "{:?}", proxy.stats());
    // A proxy whose certificate the roots do not accept: refused, named as the proxy's.
    let client = Client::builder()
        .base_url(mock.base_url())
        .proxy(proxy_url)
        .max_retries(0)
        .build()
        .unwrap();
    let e = client.authenticate(&creds()).await.unwrap_err();
    assert_eq!(e.code(), "connection");
    assert!(
        e.message().contains("with the proxy") && e.message().contains("unknown issuer"),
        "{}",
        e.message()
    );
    // And plain http to loopback through it (explicit proxies take every host).
    let plain = MockServer::start(MockConfig::default()).unwrap();
    let (url, via, ca) = (
        plain.base_url(),
        format!("https://u:p@{}", proxy.addr()),
        pki.ca.cert.clone(),
    );
    std::thread::spawn(move || {
        let client = blocking::Client::builder()
            .base_url(url)
            .proxy(via)
            .ca_bundle_pem(ca.as_bytes())
            .build()
            .unwrap();
        client.authenticate(&creds()).unwrap();
        client
            .session(creds())
            .call("/client/echo", &json!([1]))
            .unwrap();
    })
    .join()
    .unwrap();
    assert_eq!(proxy.stats().tunnels, 3);
}

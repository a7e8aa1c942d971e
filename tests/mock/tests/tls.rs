//! HTTPS mode: `MockServer::start_tls` and the binary's `--tls-cert/--tls-key/--tls-client-ca`,
//! checked with a plain rustls client (trusting the test CA, with and without a client
//! certificate), and the refused handshakes counted.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use xpay_mock::certs::{Pem, TestPki};
use xpay_mock::{MockConfig, MockServer};

/// One login over TLS; the reply's status line, or the I/O error's text.
fn login(addr: SocketAddr, pki: &TestPki, identity: Option<&Pem>) -> Result<String, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(pki.ca.cert.as_bytes()).unwrap())
        .unwrap();
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots);
    let config = match identity {
        None => builder.with_no_client_auth(),
        Some(p) => builder
            .with_client_auth_cert(
                vec![CertificateDer::from_pem_slice(p.cert.as_bytes()).unwrap()],
                PrivateKeyDer::from_pem_slice(p.key.as_bytes()).unwrap(),
            )
            .unwrap(),
    };
    let tcp = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let conn =
        rustls::ClientConnection::new(Arc::new(config), ServerName::try_from("localhost").unwrap())
            .unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let body = r#"{"username":"demo@xpay.test","secretKey":"demo-secret","isAPI":true}"#;
    let request = format!(
        "POST /client/authenticate HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n\
         connection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    tls.write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut reply = Vec::new();
    match tls.read_to_end(&mut reply) {
        Ok(_) => {}
        Err(e) if !reply.is_empty() && e.kind() == std::io::ErrorKind::UnexpectedEof => {}
        Err(e) => return Err(e.to_string()),
    }
    let text = String::from_utf8_lossy(&reply);
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

#[test]
fn start_tls_serves_https_and_can_require_a_client_certificate() {
    let pki = TestPki::generate().unwrap();
    let mock =
        MockServer::start_tls(MockConfig::default(), &pki.mock_tls(&pki.server, false)).unwrap();
    assert!(mock.base_url().starts_with("https://127.0.0.1:"));
    assert_eq!(login(mock.addr(), &pki, None).unwrap(), "HTTP/1.1 200 OK");
    assert_eq!(mock.request_count("/client/authenticate"), 1);

    let mtls =
        MockServer::start_tls(MockConfig::default(), &pki.mock_tls(&pki.server, true)).unwrap();
    assert!(login(mtls.addr(), &pki, None).is_err());
    assert_eq!(
        login(mtls.addr(), &pki, Some(&pki.client)).unwrap(),
        "HTTP/1.1 200 OK"
    );
    assert_eq!(mtls.request_count("/client/authenticate"), 1);
    // The refused handshake is counted (as soon as the server side has seen it fail).
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while mtls.connections().tls_refused < 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "{:?}",
            mtls.connections()
        );
        std::thread::yield_now();
    }
}

#[test]
fn the_binary_takes_tls_flags() {
    let pki = TestPki::generate().unwrap();
    let dir = std::env::temp_dir().join(format!("xpay-mock-tls-{}", std::process::id()));
    pki.write(&dir).unwrap();
    let path = |name: &str| dir.join(name).display().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_xpay-mock"))
        .args(["--port", "0", "--exit-on-stdin-close"])
        .args([
            "--tls-cert",
            &path("server.pem"),
            "--tls-key",
            &path("server.key"),
        ])
        .args(["--tls-client-ca", &path("client-ca.pem")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr: SocketAddr = line
        .trim_end()
        .strip_prefix("https://")
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("not an https base URL: {line:?}"));
    let with = login(addr, &pki, Some(&pki.client));
    let without = login(addr, &pki, None);
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(with.unwrap(), "HTTP/1.1 200 OK");
    assert!(without.is_err(), "{without:?}");
    // Half a certificate is refused at start-up.
    let status = Command::new(env!("CARGO_BIN_EXE_xpay-mock"))
        .args(["--port", "0", "--tls-cert", "/nonexistent.pem"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(!status.success());
}

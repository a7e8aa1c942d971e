//! The networks fixtures of one face (started on the first scenario that needs them): test
//! certificates made at run time and written to a temporary directory, an HTTPS mock with the
//! private CA's server certificate, one that also requires a client certificate, and a
//! CONNECT + SOCKS5 proxy on loopback that counts its tunnels.
//!
//! Scenario strings may name them (see tests/conformance/README.md): `$ca_file`, `$ca_pem`,
//! `$client_cert`, `$client_key`, `$client_cert_file`, `$client_key_file`, `$proxy`
//! (`http://127.0.0.1:<port>`), `$socks_proxy` (`socks5://…`), `$proxy_addr`
//! (`127.0.0.1:<port>`), `$https_proxy` (an `https://` proxy with the private CA's
//! certificate).

use std::path::PathBuf;

use serde_json::Value;
use xpay_mock::certs::TestPki;
use xpay_mock::proxy::TestProxy;
use xpay_mock::{MockConfig, MockServer};

/// Which HTTPS mock a scenario's `mock` is (`"mock_tls"` in the scenario).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMock {
    /// The private CA's server certificate.
    Server,
    /// The same, requiring a client certificate from the client CA.
    ClientCert,
}

/// A face's networks fixtures.
pub struct Net {
    pki: TestPki,
    dir: PathBuf,
    /// The HTTPS mock, when it is not the one in use (swapped with the face's mock).
    pub tls: Option<MockServer>,
    /// The mutual-TLS mock, likewise.
    pub mtls: Option<MockServer>,
    /// The proxy (HTTP CONNECT and SOCKS5 on one port).
    pub proxy: TestProxy,
    /// An `https://` proxy (TLS with the private CA's certificate, then CONNECT).
    pub https_proxy: TestProxy,
}

impl Net {
    /// New certificates, both HTTPS mocks and the proxy.
    pub fn start() -> Result<Net, String> {
        let pki = TestPki::generate().map_err(|e| format!("test certificates: {e}"))?;
        let dir = std::env::temp_dir().join(format!(
            "xpay-conformance-net-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        pki.write(&dir)
            .map_err(|e| format!("writing the test certificates: {e}"))?;
        let start = |mtls| {
            MockServer::start_tls(MockConfig::default(), &pki.mock_tls(&pki.server, mtls))
                .map_err(|e| format!("cannot start the HTTPS mock: {e}"))
        };
        Ok(Net {
            tls: Some(start(false)?),
            mtls: Some(start(true)?),
            proxy: TestProxy::start(None).map_err(|e| format!("cannot start the proxy: {e}"))?,
            https_proxy: TestProxy::start_tls(None, &pki.mock_tls(&pki.server, false))
                .map_err(|e| format!("cannot start the https proxy: {e}"))?,
            pki,
            dir,
        })
    }

    /// The slot of `which` mock.
    pub fn slot(&mut self, which: TlsMock) -> &mut Option<MockServer> {
        match which {
            TlsMock::Server => &mut self.tls,
            TlsMock::ClientCert => &mut self.mtls,
        }
    }

    /// `text` with the placeholders replaced.
    pub fn expand(&self, text: &str) -> String {
        let addr = self.proxy.addr().to_string();
        let file = |name: &str| self.dir.join(name).display().to_string();
        let mut out = text.to_owned();
        for (name, value) in [
            ("$client_cert_file", file("client.pem")),
            ("$client_key_file", file("client.key")),
            ("$client_cert", self.pki.client.cert.clone()),
            ("$client_key", self.pki.client.key.clone()),
            ("$ca_file", file("ca.pem")),
            ("$ca_pem", self.pki.ca.cert.clone()),
            ("$socks_proxy", format!("socks5://{addr}")),
            (
                "$https_proxy",
                format!("https://{}", self.https_proxy.addr()),
            ),
            ("$proxy_addr", addr.clone()),
            ("$proxy", format!("http://{addr}")),
        ] {
            out = out.replace(name, &value);
        }
        out
    }

    /// The proxy's figures as JSON (`{"tunnels", "auth_refused", "targets"}`), with the https
    /// proxy's under `"https"`.
    pub fn proxy_stats(&self) -> Value {
        let mut stats = serde_json::to_value(self.proxy.stats()).unwrap_or(Value::Null);
        stats["https"] = serde_json::to_value(self.https_proxy.stats()).unwrap_or(Value::Null);
        stats
    }

    /// Clears both proxies' figures.
    pub fn reset_proxies(&self) {
        self.proxy.reset();
        self.https_proxy.reset();
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Whether a string holds a networks placeholder.
pub fn has_placeholder(text: &str) -> bool {
    [
        "$ca_",
        "$client_cert",
        "$client_key",
        "$proxy",
        "$socks_proxy",
        "$https_proxy",
    ]
    .iter()
    .any(|p| text.contains(p))
}

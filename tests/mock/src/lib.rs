//! `xpay-mock`: a local stand-in for the xPay.Stream API, for tests,
//! benchmarks, demos and offline development.
//!
//! It is a real HTTP/1.1 server (tokio + hyper, keep-alive) that imitates the
//! login (`POST /client/authenticate`) and offers an authenticated echo
//! (`POST /client/echo`). Control endpoints under `/__mock/` (or the methods
//! of [`MockServer`]) script replies (errors, delays, slow or oversize
//! bodies, dropped connections) and show what the mock received.
//!
//! ```no_run
//! use xpay_mock::{MockConfig, MockServer, Reply};
//!
//! let server = MockServer::start(MockConfig::default())?;
//! server.queue("/client/authenticate", vec![Reply::empty(503).with_header("Retry-After", "0")]);
//! println!("point the client at {}", server.base_url());
//! # Ok::<(), std::io::Error>(())
//! ```

#![warn(missing_docs)]

mod body;
pub mod certs;
mod config;
mod connection;
mod control;
mod idle;
mod placeholder;
pub mod proxy;
pub mod redis_server;
mod reply;
mod response;
mod server;
mod service;
mod state;
mod xpay;

use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

pub use config::{MockConfig, ResetConfig, UuidPlacement, DEFAULT_ACCOUNT, DEFAULT_TOKEN_TTL_MS};
pub use connection::ConnectionStats;
pub use control::CONTROL_PREFIX;
pub use reply::Reply;
pub use service::MAX_REQUEST_BODY;
pub use state::{RecordedRequest, RECORDED_REQUESTS};
pub use xpay::{ECHO_PATH, LOGIN_PATH};

use config::Settings;
use state::Shared;

/// Worker threads of the runtime started by [`MockServer::start`].
pub const DEFAULT_WORKER_THREADS: usize = 2;

/// A running mock server. Dropping it (or calling [`MockServer::shutdown`])
/// stops it.
pub struct MockServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    worker_threads: usize,
    running: server::Running,
    tls: Option<Arc<rustls::ServerConfig>>,
}

/// HTTPS mode: the server's certificate chain and key (PEM), and optionally the CA
/// certificates (PEM) a client certificate must chain to — then one is required.
#[derive(Clone, Default)]
pub struct MockTls {
    /// The server's certificate chain, leaf first (PEM).
    pub cert_pem: Vec<u8>,
    /// The server certificate's private key (PEM).
    pub key_pem: Vec<u8>,
    /// When given, the handshake requires a client certificate issued by one of these CAs.
    pub client_ca_pem: Option<Vec<u8>>,
}

impl fmt::Debug for MockTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockTls")
            .field("client_ca", &self.client_ca_pem.is_some())
            .finish_non_exhaustive()
    }
}

impl MockTls {
    /// The rustls server config (ring provider, HTTP/1.1 ALPN).
    pub fn server_config(&self) -> io::Result<Arc<rustls::ServerConfig>> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let bad = |what: &str, e: &dyn fmt::Display| {
            io::Error::new(io::ErrorKind::InvalidInput, format!("{what}: {e}"))
        };
        let certs = CertificateDer::pem_slice_iter(&self.cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad("the server certificate", &e))?;
        let key =
            PrivateKeyDer::from_pem_slice(&self.key_pem).map_err(|e| bad("the server key", &e))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| bad("TLS", &e))?;
        let builder = match &self.client_ca_pem {
            None => builder.with_no_client_auth(),
            Some(pem) => {
                let mut roots = rustls::RootCertStore::empty();
                for cert in CertificateDer::pem_slice_iter(pem) {
                    let cert = cert.map_err(|e| bad("the client CA", &e))?;
                    roots.add(cert).map_err(|e| bad("the client CA", &e))?;
                }
                let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider,
                )
                .build()
                .map_err(|e| bad("the client CA", &e))?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config = builder
            .with_single_cert(certs, key)
            .map_err(|e| bad("the server certificate and key", &e))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

impl MockServer {
    /// Starts the server on its own thread with its own multi-thread tokio
    /// runtime (2 worker threads), so it works whether or not the caller is
    /// inside a runtime; returns once it is listening.
    pub fn start(config: MockConfig) -> io::Result<MockServer> {
        Self::start_with_threads(config, DEFAULT_WORKER_THREADS)
    }

    /// Like [`MockServer::start`], with `worker_threads` runtime workers
    /// (at least 1), for benchmarks that need more.
    pub fn start_with_threads(config: MockConfig, worker_threads: usize) -> io::Result<MockServer> {
        Self::start_inner(config, worker_threads, None)
    }

    /// Like [`MockServer::start`], serving HTTPS with `tls`'s certificate (and requiring a
    /// client certificate when `tls.client_ca_pem` is given). [`MockServer::base_url`] is then
    /// `https://127.0.0.1:<port>`.
    pub fn start_tls(config: MockConfig, tls: &MockTls) -> io::Result<MockServer> {
        Self::start_tls_with_threads(config, tls, DEFAULT_WORKER_THREADS)
    }

    /// [`MockServer::start_tls`] with `worker_threads` runtime workers.
    pub fn start_tls_with_threads(
        config: MockConfig,
        tls: &MockTls,
        worker_threads: usize,
    ) -> io::Result<MockServer> {
        Self::start_inner(config, worker_threads, Some(tls.server_config()?))
    }

    fn start_inner(
        config: MockConfig,
        worker_threads: usize,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> io::Result<MockServer> {
        // Bound here, before returning, so the port accepts connections as
        // soon as the caller learns it.
        let listener = TcpListener::bind((config.host.as_str(), config.port))?;
        let shared = Arc::new(Shared::new(Settings::from_config(&config)));
        let (addr, running) =
            server::spawn(listener, Arc::clone(&shared), worker_threads, tls.clone())?;
        Ok(MockServer {
            addr,
            shared,
            worker_threads,
            running,
            tls,
        })
    }

    /// The base URL clients should use, e.g. `http://127.0.0.1:43127` (`https://` in HTTPS
    /// mode).
    pub fn base_url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Requests received on `path` (without query) since start or the last reset.
    pub fn request_count(&self, path: &str) -> u64 {
        self.shared.count(path)
    }

    /// Request counts of every path seen since start or the last reset.
    pub fn request_counts(&self) -> std::collections::BTreeMap<String, u64> {
        self.shared.counts()
    }

    /// The last [`RECORDED_REQUESTS`] requests (control requests excluded),
    /// oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.recorded(None)
    }

    /// Appends `replies` to `path`'s queue: each of the next requests to
    /// `path` gets one of them, in order, instead of the built-in answer.
    pub fn queue(&self, path: &str, replies: Vec<Reply>) {
        self.shared.queue(path, replies);
    }

    /// Clears queues, counts, recorded requests and issued tokens. Settings
    /// return to their start-up values, except those given in `config`.
    pub fn reset(&self, config: Option<ResetConfig>) {
        self.shared.reset(config);
    }

    /// Changes only the settings given in `config`, clearing nothing.
    pub fn configure(&self, config: ResetConfig) {
        self.shared.configure(config);
    }

    /// Forgets every issued token: the next `/client/echo` gets `401`.
    pub fn revoke_tokens(&self) {
        self.shared.revoke_tokens();
    }

    /// Connection figures: open now, accepted and closed for idleness since
    /// start or the last reset.
    pub fn connections(&self) -> ConnectionStats {
        self.shared.connections.stats()
    }

    /// Stops accepting, closes every open connection (keep-alive ones and
    /// those mid-request included), then listens again on the same address.
    /// All state is kept: accounts, tokens, counts, recorded requests,
    /// queues, settings and connection figures. Returns once the server
    /// listens again; on an error it stays stopped.
    pub fn restart(&mut self) -> io::Result<()> {
        // Ends the runtime, which drops every connection task (closing its
        // socket) before this returns.
        self.running.stop();
        let listener = server::bind(self.addr)?;
        let (_, running) = server::spawn(
            listener,
            Arc::clone(&self.shared),
            self.worker_threads,
            self.tls.clone(),
        )?;
        self.running = running;
        Ok(())
    }

    /// Stops accepting, closes open connections and ends the runtime thread.
    pub fn shutdown(mut self) {
        self.running.stop();
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.running.stop();
    }
}

impl fmt::Debug for MockServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

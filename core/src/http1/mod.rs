//! The blocking faces' HTTP/1.1 transport: std `TcpStream`s (rustls for https), one request
//! written with one `write`, the response parsed with `httparse`, no async runtime anywhere.
//!
//! Each client keeps a bounded pool of idle keep-alive connections that every thread shares:
//! a blocking socket needs no runtime, so whichever thread takes one drives its own I/O on it,
//! and concurrent callers each work on their own connection instead of queueing behind one
//! driver. Before an idle connection is reused it is polled (as libcurl does): one the server
//! closed, or that holds bytes nobody asked for, is dropped. A request that fails on a reused
//! connection before any byte of it was written is sent once more on a fresh connection:
//! nothing reached the server, so even a money-moving call is safe to send.
//!
//! The pool is tagged with the pid that filled it: a forked child closes its copies of the
//! parent's sockets instead of sharing them.

mod async_pool;
mod conn;
mod pool;
mod response;

pub(crate) use self::async_pool::AsyncHttp1;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Instant;

use rustls::pki_types::ServerName;
use rustls::ClientConfig;
use zeroize::Zeroizing;

use self::conn::{Conn, ConnectError, WriteError};
use self::pool::{Idle, IdlePool, IDLE_LIMIT};
use self::response::ReadError;
use crate::config::Config;
use crate::error::{Error, ErrorKind};
use crate::proxy::{Proxy, ProxyKind};
use crate::retry::Failure;
use crate::transport::{Attempt, AttemptError, Reply};

/// A client's blocking transport: where to connect ([`Target`], shared with the async
/// transport) and the idle pool.
pub(crate) struct Http1 {
    target: Arc<Target>,
    pool: IdlePool<Conn>,
}

/// Where a client's requests go, and the TLS settings: the same for both transports.
pub(crate) struct Target {
    /// The host as the URL names it (for the resolver) and the port.
    host: String,
    port: u16,
    /// Addresses known without asking the resolver: an IP literal, or `localhost` (always
    /// 127.0.0.1 and ::1, never whatever the system resolver says).
    fixed: Option<Vec<SocketAddr>>,
    /// The `Host` header's value.
    authority: String,
    /// The base URL's path without its trailing slash: request targets are this plus the path.
    base_path: String,
    tls: Option<Tls>,
    /// The proxy requests go through, and for an https proxy the TLS settings and its name.
    proxy: Option<Arc<Proxy>>,
    proxy_tls: Option<Tls>,
}

/// The TLS settings and the name the certificate must carry.
struct Tls(Arc<ClientConfig>, ServerName<'static>);

// The config is immutable once built (its session cache is behind its own lock), so a client
// seen again after a caught panic is as good as before: keep `Client` unwind-safe, as it was
// before the own transports.
impl std::panic::UnwindSafe for Tls {}
impl std::panic::RefUnwindSafe for Tls {}

impl Http1 {
    #[cfg(test)]
    pub(crate) fn new(config: &Config) -> Result<Http1, Error> {
        Ok(Http1::with_target(Arc::new(Target::new(config)?)))
    }

    pub(crate) fn with_target(target: Arc<Target>) -> Http1 {
        Http1 {
            target,
            pool: IdlePool::new(),
        }
    }
}

impl Target {
    pub(crate) fn new(config: &Config) -> Result<Target, Error> {
        let url = &config.base;
        let setup = |what: &str| {
            Error::new(
                ErrorKind::Internal,
                format!("could not set up the HTTP client: {what}"),
            )
        };
        let port = url
            .port_or_known_default()
            .ok_or_else(|| setup("the base URL has no port"))?;
        let host = url
            .host()
            .ok_or_else(|| setup("the base URL has no host"))?;
        let (fixed, name): (Option<Vec<SocketAddr>>, ServerName<'static>) = match host {
            url::Host::Ipv4(ip) => (Some(vec![SocketAddr::new(ip.into(), port)]), ip.into()),
            url::Host::Ipv6(ip) => (Some(vec![SocketAddr::new(ip.into(), port)]), ip.into()),
            url::Host::Domain(d) => {
                let fixed = d.eq_ignore_ascii_case("localhost").then(|| {
                    vec![
                        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
                        SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port),
                    ]
                });
                let name = ServerName::try_from(d.to_owned())
                    .map_err(|e| setup(&format!("the host is not a valid TLS name ({e})")))?;
                (fixed, name)
            }
        };
        let host_str = url.host_str().unwrap_or_default().to_owned();
        let authority = match url.port() {
            Some(p) => format!("{host_str}:{p}"),
            None => host_str.clone(),
        };
        let tls = match url.scheme() {
            "https" => Some(Tls(config.tls.0.clone(), name)),
            _ => None,
        };
        let proxy = config.proxy.clone();
        let proxy_tls = match proxy.as_deref() {
            Some(p) if p.kind == ProxyKind::Https => {
                let name = ServerName::try_from(p.host.clone())
                    .map_err(|e| setup(&format!("the proxy host is not a valid TLS name ({e})")))?;
                Some(Tls(config.tls.0.clone(), name))
            }
            _ => None,
        };
        Ok(Target {
            base_path: url.path().trim_end_matches('/').to_owned(),
            host: crate::proxy::unbracketed(&host_str).to_owned(),
            port,
            fixed,
            authority,
            tls,
            proxy,
            proxy_tls,
        })
    }

    /// Where the socket goes: the proxy's host, port and known addresses when there is one,
    /// else the base URL's.
    pub(crate) fn dial(&self) -> (&str, u16, Option<&Vec<SocketAddr>>) {
        match self.proxy.as_deref() {
            Some(p) => (&p.host, p.port, p.fixed.as_ref()),
            None => (&self.host, self.port, self.fixed.as_ref()),
        }
    }

    /// The request target (origin form) for `path`. A path of characters a URL keeps as they
    /// are is appended as is; anything else goes through the URL parser's percent-encoding
    /// (`Config::url_for`).
    pub(crate) fn request_target(&self, config: &Config, path: &str) -> String {
        if path.bytes().all(plain_path_byte) {
            [self.base_path.as_str(), path].concat()
        } else {
            config.url_for(path)[url::Position::BeforePath..].to_owned()
        }
    }
}

impl Http1 {
    /// Closes the idle connections now; no request goes out after this.
    pub(crate) fn close(&self) {
        self.pool.close();
    }

    /// Idle connections in the pool (for tests).
    #[cfg(test)]
    pub(crate) fn idle_count(&self) -> usize {
        self.pool.slots().conns.len()
    }

    /// One attempt: a connection (an idle one that is still alive, else a new one), the
    /// request, the response.
    pub(crate) fn send(
        &self,
        config: &Config,
        attempt: &Attempt<'_>,
    ) -> Result<Reply, AttemptError> {
        if !attempt.bearer.is_none_or(crate::transport::is_header_value)
            || !crate::transport::is_header_value(attempt.uuid)
        {
            return Err(crate::transport::bad_token());
        }
        let deadline = Instant::now() + config.timeout;
        // One `getpid` per request (a system call): the pool checks it on every use.
        let pid = std::process::id();
        let request = self.request(config, attempt);
        let mut reuse = true;
        loop {
            let idle = if reuse { self.take_idle(pid) } else { None };
            let reused = idle.is_some();
            let mut conn = match idle {
                Some(conn) => conn,
                None => self.connect(config, deadline)?,
            };
            // close() may have run since the request started: nothing goes out after it.
            if self.pool.is_closed() {
                return Err(AttemptError {
                    failure: None,
                    error: Error::invalid_argument(
                        "the client was closed: create a new client to make requests",
                    ),
                });
            }
            match conn.write_all(&request, deadline) {
                Ok(()) => {}
                Err(e) if e.nothing_written && reused => {
                    // The server dropped it between the check and the write: nothing was sent.
                    tracing::debug!(target: "xpay_auth", path = attempt.path,
                        "a reused connection failed before the request was written ({}); \
                         sending on a new one", e.error);
                    reuse = false;
                    continue;
                }
                Err(e) => return Err(write_failed(e)),
            }
            let (mut reader, buf) = conn.reader(deadline);
            return match response::read_response(&mut reader, buf, config.max_body_bytes) {
                Ok(response) => {
                    if response.reusable {
                        self.pool.put(conn, pid);
                    }
                    Ok(Reply {
                        status: response.status,
                        headers: response.headers,
                        body: response.body,
                    })
                }
                Err(e) => Err(read_failed(e, config.max_body_bytes)),
            };
        }
    }

    /// The request head and body in one buffer, wiped when dropped (it holds the secret key
    /// of a login, the bearer token of a call).
    fn request(&self, config: &Config, attempt: &Attempt<'_>) -> Zeroizing<Vec<u8>> {
        let target = self.target.request_target(config, attempt.path);
        let mut out = Vec::with_capacity(256 + target.len() + attempt.body.len());
        let mut put = |parts: &[&[u8]]| parts.iter().for_each(|p| out.extend_from_slice(p));
        put(&[b"POST ", target.as_bytes(), b" HTTP/1.1\r\nhost: "]);
        put(&[self.target.authority.as_bytes(), b"\r\nuser-agent: "]);
        put(&[config.user_agent.as_bytes(), b"\r\naccept: */*\r\n"]);
        put(&[
            b"content-type: application/json\r\nuuid: ",
            attempt.uuid.as_bytes(),
        ]);
        if let Some(token) = attempt.bearer {
            put(&[b"\r\nauthorization: Bearer ", token.as_bytes()]);
        }
        let length = attempt.body.len().to_string();
        put(&[b"\r\ncontent-length: ", length.as_bytes(), b"\r\n\r\n"]);
        put(&[&attempt.body[..]]);
        Zeroizing::new(out)
    }

    fn connect(&self, config: &Config, deadline: Instant) -> Result<Conn, AttemptError> {
        let resolved;
        let (host, port, fixed) = self.target.dial();
        let addrs = match fixed {
            Some(addrs) => addrs,
            None => {
                resolved = (host, port)
                    .to_socket_addrs()
                    .map(Iterator::collect::<Vec<_>>)
                    .map_err(|e| unresolved(host, e))?;
                &resolved
            }
        };
        let tls = self.target.tls.as_ref().map(|Tls(c, n)| (c, n));
        let tunnel = self.target.proxy.as_deref().map(|proxy| conn::Tunnel {
            proxy,
            tls: self.target.proxy_tls.as_ref().map(|Tls(c, n)| (c, n)),
            host: &self.target.host,
            port: self.target.port,
        });
        Conn::connect(addrs, config.connect_timeout, deadline, tls, tunnel).map_err(connect_failed)
    }

    /// The most recently used idle connection that is still alive, if any.
    fn take_idle(&self, pid: u32) -> Option<Conn> {
        loop {
            let conn = self.pool.pop(pid)?;
            // Checked outside the lock: a poll per candidate, never while others wait.
            if conn.idle_since.elapsed() < IDLE_LIMIT && conn.is_alive() {
                return Some(conn);
            }
        }
    }
}

impl Idle for Conn {
    fn idle_since(&mut self) -> &mut Instant {
        &mut self.idle_since
    }

    /// A blocking socket belongs to no runtime: dropping it closes this process's copy only.
    fn left_by_parent(self) {}
}

/// A byte the URL parser leaves unchanged in a path and in a query.
fn plain_path_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&()*+,;=:@/%?".contains(&b)
}

/// A host name that did not resolve: nothing was sent.
fn unresolved(host: &str, e: std::io::Error) -> AttemptError {
    connect_failed(ConnectError::Failed(
        format!("could not resolve {host}: {e}"),
        Some(e),
    ))
}

fn connect_failed(e: ConnectError) -> AttemptError {
    let (failure, error) = match e {
        ConnectError::TimedOut(detail) => (
            Failure::TimedOut,
            Error::new(
                ErrorKind::Timeout,
                format!("the request timed out: {detail}"),
            ),
        ),
        ConnectError::Failed(detail, source) => {
            let error = Error::new(
                ErrorKind::Connection,
                format!("could not connect to the server: {detail}"),
            );
            (
                Failure::NotSent,
                match source {
                    Some(s) => error.with_source(s),
                    None => error,
                },
            )
        }
    };
    AttemptError {
        failure: Some(failure),
        error,
    }
}

fn write_failed(e: WriteError) -> AttemptError {
    let (failure, error) = if conn::is_timeout(&e.error) {
        (
            Failure::TimedOut,
            Error::new(
                ErrorKind::Timeout,
                "the request timed out: operation timed out",
            ),
        )
    } else if e.nothing_written {
        (
            Failure::NotSent,
            Error::new(
                ErrorKind::Connection,
                format!(
                    "the connection failed before the request was sent: {}",
                    e.error
                ),
            ),
        )
    } else {
        (
            Failure::Broken,
            Error::new(
                ErrorKind::Connection,
                format!("the connection failed: {}", e.error),
            ),
        )
    };
    AttemptError {
        failure: Some(failure),
        error: error.with_source(e.error),
    }
}

fn read_failed(e: ReadError, max: usize) -> AttemptError {
    let broken = |detail: String| {
        Error::new(
            ErrorKind::Connection,
            format!("the connection failed: {detail}"),
        )
    };
    let (failure, error) = match e {
        ReadError::Io(e) if conn::is_timeout(&e) => (
            Some(Failure::TimedOut),
            Error::new(
                ErrorKind::Timeout,
                "the request timed out: operation timed out",
            )
            .with_source(e),
        ),
        ReadError::Io(e) => (
            Some(Failure::Broken),
            broken(crate::tls::describe_tls_error(&e)).with_source(e),
        ),
        ReadError::Closed => (
            Some(Failure::Broken),
            broken("connection closed before message completed".into()),
        ),
        ReadError::Malformed(detail) => (Some(Failure::Broken), broken(detail)),
        ReadError::TooLarge { status } => (
            None,
            Error::decode(format!("the reply is larger than the {max}-byte limit"))
                .with_status(status),
        ),
    };
    AttemptError { failure, error }
}

#[cfg(test)]
mod tests {
    use std::net::Shutdown;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    use bytes::Bytes;
    use xpay_mock::{MockConfig, MockServer};

    use super::*;
    use crate::config::ClientBuilder;

    fn setup(mock: &MockServer) -> (Config, Http1) {
        let config = ClientBuilder::<crate::Client>::new()
            .base_url(mock.base_url())
            .into_config()
            .unwrap();
        let http1 = Http1::new(&config).unwrap();
        (config, http1)
    }

    fn login(config: &Config, http1: &Http1) -> Result<Reply, AttemptError> {
        let body = Bytes::from_static(
            br#"{"username":"demo@xpay.test","secretKey":"demo-secret","isAPI":true}"#,
        );
        let attempt = Attempt {
            path: "/client/authenticate",
            body: &body,
            bearer: None,
            uuid: "0b6f0c0e-4a34-4c57-9b7a-8f1c1c1c1c1c",
        };
        http1.send(config, &attempt)
    }

    /// A bare HTTP/1.1 server answering every request with `reply(n)` (n counts requests from
    /// 0); it closes a connection after a reply containing `Connection: close` or starting
    /// with `HTTP/1.0`, and never closes one itself otherwise (not even when the client does).
    pub(super) struct Raw {
        pub url: String,
        pub accepted: Arc<AtomicUsize>,
        pub requests: Arc<AtomicUsize>,
    }

    pub(super) fn raw(reply: fn(usize) -> Vec<u8>) -> Raw {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let accepted = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let (a, r) = (accepted.clone(), requests.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                a.fetch_add(1, Ordering::SeqCst);
                let r = r.clone();
                std::thread::spawn(move || serve(stream, &r, reply));
            }
        });
        Raw {
            url,
            accepted,
            requests,
        }
    }

    fn serve<S: std::io::Read + std::io::Write>(
        mut stream: S,
        requests: &AtomicUsize,
        reply: fn(usize) -> Vec<u8>,
    ) {
        let mut data = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            // One request: the head, then Content-Length bytes.
            let head_end = loop {
                if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                    break i + 4;
                }
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => {
                        // Keep our side open: the client must notice by itself.
                        std::mem::forget(stream);
                        return;
                    }
                    Ok(n) => data.extend_from_slice(&chunk[..n]),
                }
            };
            let head = String::from_utf8_lossy(&data[..head_end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            while data.len() < head_end + length {
                let n = stream.read(&mut chunk).unwrap();
                assert!(n > 0, "the request body was cut");
                data.extend_from_slice(&chunk[..n]);
            }
            data.drain(..head_end + length);
            let n = requests.fetch_add(1, Ordering::SeqCst);
            let out = reply(n);
            stream.write_all(&out).unwrap();
            let text = String::from_utf8_lossy(&out).to_ascii_lowercase();
            if text.starts_with("http/1.0") || text.contains("connection: close") {
                return;
            }
        }
    }

    pub(super) fn config_for(url: &str) -> (Config, Http1) {
        let config = ClientBuilder::<crate::Client>::new()
            .base_url(url)
            .timeout(Duration::from_secs(10))
            .into_config()
            .unwrap();
        let http1 = Http1::new(&config).unwrap();
        (config, http1)
    }

    /// Replies after which the connection must not be reused: `Connection: close`, HTTP/1.0
    /// with a length, HTTP/1.0 read to the end.
    pub(super) const CLOSING_REPLIES: [fn(usize) -> Vec<u8>; 3] = [
        |_| b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok".to_vec(),
        |_| b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok".to_vec(),
        |_| b"HTTP/1.0 200 OK\r\n\r\nok".to_vec(),
    ];

    /// A connection that could not be made: a `connection` error whose message starts with
    /// `could not connect to the server: ` and then `cause`, nothing sent.
    pub(super) fn assert_not_connected(e: &AttemptError, cause: &str) {
        assert_eq!(
            (e.failure, e.error.code()),
            (Some(Failure::NotSent), "connection")
        );
        let want = format!("could not connect to the server: {cause}");
        assert!(
            e.error.message().starts_with(&want),
            "{}",
            e.error.message()
        );
    }

    /// A TLS handshake that failed: a `connection` error, nothing sent.
    pub(super) fn assert_tls_refused_before_sending(e: &AttemptError) {
        assert_not_connected(e, "TLS handshake failed: ");
    }

    fn ok_body(reply: Result<Reply, AttemptError>) -> (u16, String) {
        match reply {
            Ok(r) => (r.status, String::from_utf8(r.body.to_vec()).unwrap()),
            Err(e) => panic!("{:?} {}", e.failure, e.error),
        }
    }

    #[test]
    fn a_reused_connection_that_fails_before_writing_is_replaced_once() {
        let server = raw(|_| b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".to_vec());
        let (config, http1) = config_for(&server.url);
        assert_eq!(ok_body(login(&config, &http1)), (200, "ok".into()));
        assert_eq!(http1.idle_count(), 1);
        // The idle connection still polls alive (the server sent nothing, closed nothing), but
        // its next write fails at once: our side's write half is shut.
        {
            let pool = http1.pool.slots();
            pool.conns[0].tcp().shutdown(Shutdown::Write).unwrap();
            assert!(pool.conns[0].is_alive());
        }
        assert_eq!(ok_body(login(&config, &http1)), (200, "ok".into()));
        // Exactly one more request reached the server, on one more connection.
        assert_eq!(server.requests.load(Ordering::SeqCst), 2);
        assert_eq!(server.accepted.load(Ordering::SeqCst), 2);
        assert_eq!(http1.idle_count(), 1);
    }

    #[test]
    fn keep_alive_chunked_http10_and_connection_close() {
        let server = raw(|_| {
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
                .to_vec()
        });
        let (config, http1) = config_for(&server.url);
        for _ in 0..3 {
            assert_eq!(ok_body(login(&config, &http1)), (200, "abcde".into()));
        }
        assert_eq!(
            server.accepted.load(Ordering::SeqCst),
            1,
            "chunked replies keep the connection"
        );

        for reply in CLOSING_REPLIES {
            let server = raw(reply);
            let (config, http1) = config_for(&server.url);
            for _ in 0..3 {
                assert_eq!(ok_body(login(&config, &http1)), (200, "ok".into()));
            }
            assert_eq!(server.accepted.load(Ordering::SeqCst), 3);
            assert_eq!(http1.idle_count(), 0);
        }
    }

    #[test]
    fn junk_after_a_reply_is_never_read_as_the_next_one() {
        let server = raw(|n| {
            format!("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n{n}HTTP/1.1 500 X\r\n\r\n")
                .into_bytes()
        });
        let (config, http1) = config_for(&server.url);
        assert_eq!(ok_body(login(&config, &http1)), (200, "0".into()));
        // The extra bytes either came with the reply (not pooled) or just after (the poll
        // drops it): the next request goes out on a new connection, and gets its own reply.
        assert_eq!(ok_body(login(&config, &http1)), (200, "1".into()));
        assert_eq!(server.accepted.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_reply_that_is_not_http_is_a_broken_connection() {
        let server = raw(|_| b"SSH-2.0-OpenSSH_9.6\r\n\r\n".to_vec());
        let (config, http1) = config_for(&server.url);
        let e = login(&config, &http1).err().unwrap();
        assert_eq!(
            (e.failure, e.error.code()),
            (Some(Failure::Broken), "connection")
        );
        assert!(
            e.error
                .message()
                .starts_with("the connection failed: invalid HTTP reply"),
            "{}",
            e.error.message()
        );
    }

    #[test]
    fn a_fresh_connection_that_cannot_connect_is_not_sent() {
        let mock = MockServer::start(MockConfig::default()).unwrap();
        let (config, http1) = setup(&mock);
        drop(mock);
        let e = login(&config, &http1).err().unwrap();
        assert_eq!(e.failure, Some(Failure::NotSent));
        assert_eq!(e.error.code(), "connection");
        assert!(
            e.error
                .message()
                .starts_with("could not connect to the server: "),
            "{}",
            e.error.message()
        );
    }

    #[test]
    fn idle_connections_the_server_closed_are_dropped_by_the_poll() {
        let mock = MockServer::start(MockConfig {
            idle_timeout_ms: Some(50),
            ..MockConfig::default()
        })
        .unwrap();
        let (config, http1) = setup(&mock);
        assert_eq!(login(&config, &http1).ok().unwrap().status, 200);
        let deadline = Instant::now() + Duration::from_secs(5);
        while mock.connections().idle_closed < 1 {
            assert!(
                Instant::now() < deadline,
                "the mock never closed the idle connection"
            );
            std::thread::yield_now();
        }
        // The FIN may still be on its way through loopback: poll until the check sees it.
        while http1.pool.slots().conns[0].is_alive() {
            assert!(
                Instant::now() < deadline,
                "the closed connection still polls alive"
            );
            std::thread::yield_now();
        }
        assert_eq!(login(&config, &http1).ok().unwrap().status, 200);
        assert_eq!(mock.request_count("/client/authenticate"), 2);
        assert_eq!(mock.connections().accepted, 2);
    }

    #[test]
    fn close_empties_the_pool_and_refuses_to_send() {
        let mock = MockServer::start(MockConfig::default()).unwrap();
        let (config, http1) = setup(&mock);
        assert_eq!(login(&config, &http1).ok().unwrap().status, 200);
        http1.close();
        assert_eq!(http1.idle_count(), 0);
        let e = login(&config, &http1).err().unwrap();
        assert_eq!((e.failure, e.error.code()), (None, "invalid_argument"));
        assert_eq!(mock.request_count("/client/authenticate"), 1);
    }

    #[test]
    fn request_targets_match_the_url_parser() {
        for base in [
            "http://127.0.0.1:9",
            "http://127.0.0.1:9/api/",
            "https://x.test/v1",
        ] {
            let config = ClientBuilder::<crate::Client>::new()
                .base_url(base)
                .into_config()
                .unwrap();
            let http1 = Http1::new(&config).unwrap();
            for path in [
                "/client/authenticate",
                "/a/b?x=1&y=%20z",
                "/w/{id}",
                "/caf\u{e9}/\"q\"?k=<v>",
                "/a'b?c'd",
                "/a?b?c",
            ] {
                let body = Bytes::new();
                let attempt = Attempt {
                    path,
                    body: &body,
                    bearer: None,
                    uuid: "u",
                };
                let request = http1.request(&config, &attempt);
                let line = request.split(|&b| b == b'\r').next().unwrap().to_vec();
                let url = config.url_for(path);
                let expected = format!("POST {} HTTP/1.1", &url[url::Position::BeforePath..]);
                assert_eq!(String::from_utf8(line).unwrap(), expected, "{base} {path}");
            }
        }
    }

    /// [`raw`] behind TLS, with the test certificate for `localhost` (testdata/, signed by
    /// testdata/ca.pem).
    pub(super) fn raw_tls(reply: fn(usize) -> Vec<u8>) -> Raw {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let certs = CertificateDer::pem_slice_iter(include_bytes!("testdata/server.pem"))
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_slice(include_bytes!("testdata/server.key")).unwrap();
        let config = Arc::new(
            rustls::ServerConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap(),
        );
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "https://localhost:{}",
            listener.local_addr().unwrap().port()
        );
        let accepted = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let (a, r) = (accepted.clone(), requests.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                a.fetch_add(1, Ordering::SeqCst);
                let (r, config) = (r.clone(), config.clone());
                std::thread::spawn(move || {
                    let tls = rustls::ServerConnection::new(config).unwrap();
                    serve(rustls::StreamOwned::new(tls, stream), &r, reply);
                });
            }
        });
        Raw {
            url,
            accepted,
            requests,
        }
    }

    /// The client's TLS settings trusting the test CA only.
    pub(super) fn trust_test_ca(http1: &mut Http1) {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::CertificateDer;
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(include_bytes!("testdata/ca.pem")).unwrap())
            .unwrap();
        let config =
            ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots)
                .with_no_client_auth();
        let target = Arc::get_mut(&mut http1.target).unwrap();
        let name = target.tls.take().unwrap().1;
        target.tls = Some(Tls(Arc::new(config), name));
    }

    #[test]
    fn https_keep_alive_and_certificate_checks() {
        let server = raw_tls(|n| {
            format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\nok{n}",
                2 + n.to_string().len()
            )
            .into_bytes()
        });
        let (config, mut http1) = config_for(&server.url);
        // The webpki roots do not know the test CA: refused before anything is sent.
        let e = login(&config, &http1).err().unwrap();
        assert_tls_refused_before_sending(&e);
        assert_eq!(server.requests.load(Ordering::SeqCst), 0);
        trust_test_ca(&mut http1);
        for n in 0..3 {
            assert_eq!(ok_body(login(&config, &http1)), (200, format!("ok{n}")));
        }
        // One handshake refused, then one connection for the three requests.
        assert_eq!(server.accepted.load(Ordering::SeqCst), 2);
        assert_eq!(server.requests.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn https_to_a_plain_http_server_fails_before_sending() {
        // A plain HTTP server answers the ClientHello with a 400 page and closes.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            use std::io::Write;
            for mut stream in listener.incoming().flatten() {
                let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
            }
        });
        let (config, http1) = config_for(&format!("https://localhost:{port}"));
        let e = login(&config, &http1).err().unwrap();
        assert_tls_refused_before_sending(&e);
    }

    #[test]
    fn a_token_that_could_forge_a_header_is_never_sent() {
        let server = raw(|_| b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".to_vec());
        let (config, http1) = config_for(&server.url);
        let body = Bytes::new();
        let attempt = Attempt {
            path: "/client/echo",
            body: &body,
            bearer: Some("t\r\nx-forged: 1"),
            uuid: "u",
        };
        let e = http1.send(&config, &attempt).err().unwrap();
        assert_eq!((e.failure, e.error.code()), (None, "decode"));
        assert_eq!(server.accepted.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn localhost_is_loopback_without_the_resolver() {
        let config = ClientBuilder::<crate::Client>::new()
            .base_url("http://localhost:8080")
            .into_config()
            .unwrap();
        let http1 = Http1::new(&config).unwrap();
        let fixed = http1.target.fixed.clone().unwrap();
        assert_eq!(fixed.len(), 2);
        assert!(fixed
            .iter()
            .all(|a| a.ip().is_loopback() && a.port() == 8080));
        assert_eq!(http1.target.authority, "localhost:8080");
        let config = ClientBuilder::<crate::Client>::new()
            .base_url("https://apis.example.test")
            .into_config()
            .unwrap();
        let http1 = Http1::new(&config).unwrap();
        assert!(http1.target.fixed.is_none() && http1.target.tls.is_some());
        assert_eq!(
            (http1.target.authority.as_str(), http1.target.port),
            ("apis.example.test", 443)
        );
    }
}

//! The async faces' HTTP/1.1 transport: hyper 1's client connections (rustls through
//! tokio-rustls for https), each driven by a task on the caller's tokio runtime, and a pool of
//! idle keep-alive connections per client.
//!
//! Before an idle connection is reused it passes the checks the blocking pool makes: not
//! closed as hyper sees it, and the socket polled with a zero timeout has nothing to say
//! ([`super::conn::idle_socket_alive`]). The poll matters under load: the server's FIN may sit
//! in the socket while the runtime has not yet run the connection's task, so hyper still
//! calls it open; a request written there is lost ("connection closed before message
//! completed") and, once written, may not be re-sent. A request that hyper hands back unsent
//! (the connection closed before any byte of it was written) goes out once more on a fresh
//! connection: nothing reached the server, so even a money-moving call is safe to send.
//!
//! The pool is tagged with the pid that filled it: a forked child leaks the parent's entries
//! (their tasks live on a runtime whose threads do not exist there) and closes its copies of
//! their sockets.

use std::os::fd::{AsRawFd, RawFd};
#[cfg(test)]
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, Uri, Version};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;

use super::conn::{idle_socket_alive, ConnectError};
use super::pool::{Idle, IdlePool, IDLE_LIMIT};
use super::{connect_failed, unresolved, Target, Tls};
use crate::config::Config;
use crate::error::{Error, ErrorKind};
use crate::retry::Failure;
use crate::transport::{Attempt, AttemptError, Reply};

/// A client's async transport: the shared target (address, TLS) and the idle pool.
pub(crate) struct AsyncHttp1 {
    target: Arc<Target>,
    pool: IdlePool<Conn>,
    /// Tests turn the poll check off to reach hyper's own unsent-request path.
    #[cfg(test)]
    skip_poll: AtomicBool,
}

/// One connection: hyper's handle to it (its task owns the socket) and the socket's fd, for
/// the poll before reuse.
struct Conn {
    sender: SendRequest<Full<Bytes>>,
    fd: RawFd,
    idle_since: Instant,
    /// The connection's task: why it ended, when a TLS alert (in words) ended it.
    ended: tokio::task::JoinHandle<Option<String>>,
}

impl Conn {
    /// Whether the connection may carry a request now: hyper has not closed it, it is ready
    /// (waited for while its task finishes the previous exchange), and the socket polls quiet.
    ///
    /// A connection whose task is gone (it closed, or its runtime shut down) reads as closed,
    /// so the wait never outlives it; the caller bounds it by the request's deadline anyway.
    async fn usable(&mut self, poll: bool) -> bool {
        if self.idle_since.elapsed() >= IDLE_LIMIT || self.sender.is_closed() {
            return false;
        }
        if !self.sender.is_ready() && self.sender.ready().await.is_err() {
            return false;
        }
        // The task still holds the socket while hyper calls it open (a race with its closing
        // only makes the poll answer for another fd: at worst a good entry is dropped, or the
        // request comes back unsent and goes out on a fresh connection).
        !poll || idle_socket_alive(self.fd)
    }
}

impl Conn {
    /// Why the connection's task ended (a TLS alert in words), waiting for it at most a moment
    /// (it has closed, so it is finishing).
    async fn why_ended(&mut self, deadline: Instant) -> Option<String> {
        let wait = deadline
            .saturating_duration_since(Instant::now())
            .min(std::time::Duration::from_millis(500));
        match tokio::time::timeout(wait, &mut self.ended).await {
            Ok(Ok(why)) => why,
            _ => None,
        }
    }
}

impl AsyncHttp1 {
    pub(crate) fn new(target: Arc<Target>) -> AsyncHttp1 {
        AsyncHttp1 {
            target,
            pool: IdlePool::new(),
            #[cfg(test)]
            skip_poll: AtomicBool::new(false),
        }
    }

    /// Closes the idle connections now (their tasks end when their handles drop); no request
    /// goes out after this.
    pub(crate) fn close(&self) {
        self.pool.close();
    }

    /// Idle connections in the pool (for tests).
    #[cfg(test)]
    pub(crate) fn idle_count(&self) -> usize {
        self.pool.slots().conns.len()
    }

    /// One attempt, bounded as a whole by the client's timeout.
    pub(crate) async fn send(
        &self,
        config: &Config,
        attempt: &Attempt<'_>,
    ) -> Result<Reply, AttemptError> {
        let request = self.request(config, attempt)?;
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(AttemptError {
                failure: None,
                error: Error::invalid_argument(
                    "the async xpay-auth client must be used inside a tokio runtime \
                     (use xpay_auth::blocking from plain threads)",
                ),
            });
        }
        let deadline = Instant::now() + config.timeout;
        match tokio::time::timeout_at(deadline.into(), self.exchange(config, request, deadline))
            .await
        {
            Ok(result) => result,
            Err(_) => Err(AttemptError {
                failure: Some(Failure::TimedOut),
                error: Error::new(
                    ErrorKind::Timeout,
                    "the request timed out: operation timed out",
                ),
            }),
        }
    }

    /// The request: origin-form target, headers as the blocking transport writes them.
    fn request(
        &self,
        config: &Config,
        attempt: &Attempt<'_>,
    ) -> Result<Request<Full<Bytes>>, AttemptError> {
        let target = self.target.request_target(config, attempt.path);
        let uri = Uri::try_from(target).map_err(|e| AttemptError {
            failure: None,
            error: Error::invalid_argument(format!(
                "the path {:?} is not a valid request target: {e}",
                attempt.path
            )),
        })?;
        let uuid =
            HeaderValue::from_str(attempt.uuid).map_err(|_| crate::transport::bad_token())?;
        let mut request = Request::new(Full::new(attempt.body.clone()));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = uri;
        let headers = request.headers_mut();
        headers.reserve(8);
        let host = HeaderValue::from_str(&self.target.authority).map_err(|_| AttemptError {
            failure: None,
            error: Error::new(
                ErrorKind::Internal,
                "the base URL's host is not a header value",
            ),
        })?;
        headers.insert(header::HOST, host);
        // Checked when the client was built (config.rs): a valid header value.
        if let Ok(agent) = HeaderValue::from_str(&config.user_agent) {
            headers.insert(header::USER_AGENT, agent);
        }
        headers.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert("uuid", uuid);
        if let Some(token) = attempt.bearer {
            // Marked sensitive: HTTP libraries leave it out of their debug output.
            let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
                .map_err(|_| crate::transport::bad_token())?;
            value.set_sensitive(true);
            headers.insert(header::AUTHORIZATION, value);
        }
        headers.insert(
            header::CONTENT_LENGTH,
            HeaderValue::from(attempt.body.len()),
        );
        Ok(request)
    }

    async fn exchange(
        &self,
        config: &Config,
        mut request: Request<Full<Bytes>>,
        deadline: Instant,
    ) -> Result<Reply, AttemptError> {
        // One `getpid` per request (a system call): the pool checks it on every use.
        let pid = std::process::id();
        let mut reuse = true;
        loop {
            let idle = if reuse {
                self.take_idle(pid).await
            } else {
                None
            };
            let reused = idle.is_some();
            let mut conn = match idle {
                Some(conn) => conn,
                None => self.connect(config, deadline).await?,
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
            match conn.sender.try_send_request(request).await {
                Ok(response) => return self.read(conn, response, config.max_body_bytes, pid).await,
                Err(mut e) => match e.take_message() {
                    Some(unsent) if reused => {
                        // The server dropped it between the check and the write: nothing was
                        // sent.
                        tracing::debug!(target: "xpay_auth",
                            "a reused connection closed before the request was written ({}); \
                             sending on a new one", e.error());
                        request = unsent;
                        reuse = false;
                    }
                    Some(_) => {
                        let mut failed = not_sent(e.into_error());
                        // A fresh connection closed before the request went out: a TLS alert
                        // (TLS 1.3: the server refused our certificate, or wanted one) says why.
                        if let Some(why) = conn.why_ended(deadline).await {
                            failed.error = Error::new(
                                ErrorKind::Connection,
                                format!("the connection failed before the request was sent: {why}"),
                            );
                        }
                        return Err(failed);
                    }
                    None => return Err(broken(e.into_error())),
                },
            }
        }
    }

    /// Reads the body, refusing more than `max` bytes (checked against `Content-Length` first,
    /// then while streaming, so a huge reply never sits in memory), and pools the connection
    /// when the exchange ended cleanly on a keep-alive connection.
    ///
    /// Only a 200 reply must be a whole envelope, so only there is an oversize body a `decode`
    /// error. Any other status decides by itself (e.g. a proxy's huge 502 page is still a 502,
    /// and retried as one): its body is cut at the limit.
    async fn read(
        &self,
        conn: Conn,
        response: Response<Incoming>,
        max: usize,
        pid: u32,
    ) -> Result<Reply, AttemptError> {
        let status = response.status().as_u16();
        let keep_alive = keep_alive(&response);
        let (parts, mut incoming) = response.into_parts();
        let too_large = || AttemptError {
            failure: None,
            error: Error::decode(format!("the reply is larger than the {max}-byte limit"))
                .with_status(status),
        };
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let mut body = BytesMut::with_capacity(declared.unwrap_or(0).min(max as u64) as usize);
        let mut complete = false;
        if declared.is_some_and(|len| len > max as u64) {
            if status == 200 {
                return Err(too_large());
            }
        } else {
            loop {
                let Some(frame) = incoming.frame().await else {
                    // The body's end, as its framing says: the connection may go back.
                    complete = true;
                    break;
                };
                let Ok(chunk) = frame.map_err(broken)?.into_data() else {
                    continue; // trailers
                };
                if body.len() + chunk.len() > max {
                    if status == 200 {
                        return Err(too_large());
                    }
                    body.extend_from_slice(&chunk[..max - body.len()]);
                    break;
                }
                body.extend_from_slice(&chunk);
            }
        }
        if complete && keep_alive {
            self.pool.put(conn, pid);
        }
        Ok(Reply {
            status,
            headers: parts.headers,
            body: body.freeze(),
        })
    }

    async fn connect(&self, config: &Config, deadline: Instant) -> Result<Conn, AttemptError> {
        let target = &*self.target;
        let resolved;
        let (host, port, fixed) = target.dial();
        let addrs = match fixed {
            Some(addrs) => addrs,
            None => {
                resolved = tokio::net::lookup_host((host, port))
                    .await
                    .map(Iterator::collect::<Vec<_>>)
                    .map_err(|e| unresolved(host, e))?;
                &resolved
            }
        };
        let mut last: Option<std::io::Error> = None;
        let mut timed_out = false;
        let mut stream = None;
        for addr in addrs {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            let limit = config.connect_timeout.min(left);
            match tokio::time::timeout(limit, tokio::net::TcpStream::connect(addr)).await {
                Ok(Ok(s)) => {
                    stream = Some(s);
                    break;
                }
                Ok(Err(e)) => {
                    timed_out = false;
                    last = Some(e);
                }
                Err(_) => timed_out = true,
            }
        }
        let Some(stream) = stream else {
            return Err(connect_failed(match last {
                Some(e) if !timed_out => ConnectError::Failed(
                    match target.proxy.as_deref() {
                        Some(p) => format!("the proxy {} cannot be reached: {e}", p.display),
                        None => e.to_string(),
                    },
                    Some(e),
                ),
                None if !timed_out && addrs.is_empty() => {
                    ConnectError::Failed(format!("{host} resolved to no address"), None)
                }
                _ => ConnectError::TimedOut("connect timed out".into()),
            }));
        };
        // Small requests and replies: never wait for Nagle.
        let _ = stream.set_nodelay(true);
        let fd = stream.as_raw_fd();
        let stream: Box<dyn Stream> = match target.proxy.as_deref() {
            None => Box::new(stream),
            Some(proxy) => {
                let mut stream: Box<dyn Stream> = match &target.proxy_tls {
                    None => Box::new(stream),
                    Some(Tls(tls, name)) => {
                        let connector = tokio_rustls::TlsConnector::from(tls.clone());
                        Box::new(connector.connect(name.clone(), stream).await.map_err(|e| {
                            connect_failed(ConnectError::Failed(
                                format!(
                                    "TLS handshake with the proxy {} failed: {}",
                                    proxy.display,
                                    crate::tls::describe_tls_error(&e)
                                ),
                                Some(e),
                            ))
                        })?)
                    }
                };
                crate::proxy::tunnel(&mut stream, proxy, &target.host, target.port)
                    .await
                    .map_err(|e| connect_failed(ConnectError::Failed(e.to_string(), Some(e))))?;
                stream
            }
        };
        let (sender, ended) = match &target.tls {
            None => handshake(stream).await?,
            Some(Tls(tls, name)) => {
                let connector = tokio_rustls::TlsConnector::from(tls.clone());
                let stream = connector.connect(name.clone(), stream).await.map_err(|e| {
                    connect_failed(ConnectError::Failed(
                        format!(
                            "TLS handshake failed: {}",
                            crate::tls::describe_tls_error(&e)
                        ),
                        Some(e),
                    ))
                })?;
                handshake(stream).await?
            }
        };
        Ok(Conn {
            sender,
            fd,
            idle_since: Instant::now(),
            ended,
        })
    }

    /// The most recently used idle connection that passes the checks, if any.
    async fn take_idle(&self, pid: u32) -> Option<Conn> {
        loop {
            let mut conn = self.pool.pop(pid)?;
            // Checked outside the lock: never while others wait.
            #[cfg(not(test))]
            let poll = true;
            #[cfg(test)]
            let poll = !self.skip_poll.load(Ordering::Relaxed);
            if conn.usable(poll).await {
                return Some(conn);
            }
        }
    }
}

impl Idle for Conn {
    fn idle_since(&mut self) -> &mut Instant {
        &mut self.idle_since
    }

    /// In a forked child the entry is leaked, never dropped (dropping it wakes a task of a
    /// runtime whose threads do not exist here), and this process's copy of its socket is
    /// closed (the parent keeps its own).
    fn left_by_parent(self) {
        // SAFETY: the fd is this process's copy of the parent's socket; the entry that owned
        // it is forgotten, so nothing here uses or closes it again.
        unsafe { libc::close(self.fd) };
        std::mem::forget(self);
    }
}

/// A connection's byte stream: the TCP socket, or a tunnel through a proxy (itself perhaps
/// under TLS to an https proxy).
trait Stream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin {}
impl<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin> Stream for S {}

/// hyper's HTTP/1.1 handshake on a connected stream; the connection's task goes to the
/// caller's runtime.
async fn handshake<S>(
    stream: S,
) -> Result<
    (
        SendRequest<Full<Bytes>>,
        tokio::task::JoinHandle<Option<String>>,
    ),
    AttemptError,
>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| {
            connect_failed(ConnectError::Failed(
                format!("HTTP handshake failed: {}", root_cause(&e)),
                None,
            ))
        })?;
    let ended = tokio::spawn(async move {
        match connection.await {
            Err(e) => {
                tracing::trace!(target: "xpay_auth", "connection ended: {e}");
                crate::tls::describe_chain(&e)
            }
            Ok(()) => None,
        }
    });
    Ok((sender, ended))
}

/// Whether the server keeps the connection open after this response.
fn keep_alive<B>(response: &Response<B>) -> bool {
    let says = |token: &str| {
        response
            .headers()
            .get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    };
    match response.version() {
        Version::HTTP_10 => says("keep-alive"),
        _ => !says("close"),
    }
}

/// A request hyper gave back unsent on a fresh connection: nothing reached the server.
fn not_sent(e: hyper::Error) -> AttemptError {
    let detail = crate::tls::describe_chain(&e).unwrap_or_else(|| root_cause(&e));
    AttemptError {
        failure: Some(Failure::NotSent),
        error: Error::new(
            ErrorKind::Connection,
            format!("the connection failed before the request was sent: {detail}"),
        )
        .with_source(e),
    }
}

/// The connection failed once the request may have gone out (or while reading the reply).
fn broken(e: hyper::Error) -> AttemptError {
    // hyper's messages name no header or body, so they carry no secret.
    let detail = crate::tls::describe_chain(&e).unwrap_or_else(|| root_cause(&e));
    let (failure, error) = if e.is_timeout() {
        (
            Failure::TimedOut,
            Error::new(
                ErrorKind::Timeout,
                format!("the request timed out: {detail}"),
            ),
        )
    } else {
        (
            Failure::Broken,
            Error::new(
                ErrorKind::Connection,
                format!("the connection failed: {detail}"),
            ),
        )
    };
    AttemptError {
        failure: Some(failure),
        error: error.with_source(e),
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::super::tests::{
        assert_not_connected, assert_tls_refused_before_sending, CLOSING_REPLIES,
    };
    use std::sync::atomic::Ordering;
    use std::time::Duration;

    use xpay_mock::{MockConfig, MockServer};

    use super::*;
    use crate::http1::tests::{config_for, raw, raw_tls, trust_test_ca};

    fn async_for(url: &str) -> (Config, AsyncHttp1) {
        let (config, http1) = config_for(url);
        let http = AsyncHttp1::new(http1.target.clone());
        (config, http)
    }

    async fn login(config: &Config, http: &AsyncHttp1) -> Result<Reply, AttemptError> {
        let body = Bytes::from_static(
            br#"{"username":"demo@xpay.test","secretKey":"demo-secret","isAPI":true}"#,
        );
        let attempt = Attempt {
            path: "/client/authenticate",
            body: &body,
            bearer: None,
            uuid: "0b6f0c0e-4a34-4c57-9b7a-8f1c1c1c1c1c",
        };
        http.send(config, &attempt).await
    }

    fn ok_body(reply: Result<Reply, AttemptError>) -> (u16, String) {
        match reply {
            Ok(r) => (r.status, String::from_utf8(r.body.to_vec()).unwrap()),
            Err(e) => panic!("{:?} {}", e.failure, e.error),
        }
    }

    #[tokio::test]
    async fn keep_alive_chunked_http10_and_connection_close() {
        let server = raw(|_| {
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
                .to_vec()
        });
        let (config, http) = async_for(&server.url);
        for _ in 0..3 {
            assert_eq!(ok_body(login(&config, &http).await), (200, "abcde".into()));
        }
        assert_eq!(server.accepted.load(Ordering::SeqCst), 1);
        assert_eq!(http.idle_count(), 1);
        for reply in CLOSING_REPLIES {
            let server = raw(reply);
            let (config, http) = async_for(&server.url);
            for _ in 0..3 {
                assert_eq!(ok_body(login(&config, &http).await), (200, "ok".into()));
            }
            assert_eq!(server.accepted.load(Ordering::SeqCst), 3);
            assert_eq!(http.idle_count(), 0);
        }
    }

    #[tokio::test]
    async fn junk_after_a_reply_is_never_read_as_the_next_one() {
        let server = raw(|n| {
            format!("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n{n}HTTP/1.1 500 X\r\n\r\n")
                .into_bytes()
        });
        let (config, http) = async_for(&server.url);
        assert_eq!(ok_body(login(&config, &http).await), (200, "0".into()));
        assert_eq!(ok_body(login(&config, &http).await), (200, "1".into()));
        assert_eq!(server.accepted.load(Ordering::SeqCst), 2);
    }

    /// The case reqwest got wrong: the server closed an idle connection and the runtime has not
    /// run the connection's task since, so hyper still calls it open. (A current-thread runtime
    /// runs that task only when this test awaits, and it does not while it waits here.)
    #[tokio::test]
    async fn an_idle_connection_the_server_closed_is_dropped_by_the_poll() {
        let mock = MockServer::start(MockConfig {
            idle_timeout_ms: Some(50),
            ..MockConfig::default()
        })
        .unwrap();
        let (config, http) = async_for(&mock.base_url());
        assert_eq!(login(&config, &http).await.ok().unwrap().status, 200);
        // Let the connection's task finish the exchange (the pooled entry becomes ready).
        tokio::task::yield_now().await;
        let deadline = Instant::now() + Duration::from_secs(5);
        while mock.connections().idle_closed < 1 {
            assert!(Instant::now() < deadline, "the mock never closed it");
            std::thread::yield_now();
        }
        {
            let pool = http.pool.slots();
            // The FIN may still be on its way through loopback: poll until the check sees it.
            while idle_socket_alive(pool.conns[0].fd) {
                assert!(
                    Instant::now() < deadline,
                    "the closed socket still polls alive"
                );
                std::thread::yield_now();
            }
            assert!(
                !pool.conns[0].sender.is_closed(),
                "hyper has not seen the FIN yet"
            );
        }
        assert_eq!(login(&config, &http).await.ok().unwrap().status, 200);
        assert_eq!(mock.request_count("/client/authenticate"), 2);
        assert_eq!(mock.connections().accepted, 2);
    }

    #[test]
    fn a_connection_of_a_runtime_that_shut_down_is_dropped_not_awaited() {
        let server = raw(|_| b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".to_vec());
        let (config, http) = async_for(&server.url);
        let runtime = || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
        };
        let first = runtime();
        assert_eq!(
            ok_body(first.block_on(login(&config, &http))),
            (200, "ok".into())
        );
        drop(first);
        assert!(http.pool.slots().conns[0].sender.is_closed());
        let second = runtime();
        assert_eq!(
            ok_body(second.block_on(login(&config, &http))),
            (200, "ok".into())
        );
        assert_eq!(server.accepted.load(Ordering::SeqCst), 2);
        assert_eq!(server.requests.load(Ordering::SeqCst), 2);
    }

    /// One login on a keep-alive connection, which the server then closes while the runtime
    /// is blocked (hyper has not seen the FIN), and a second login: its reply, the requests the
    /// server read, the connections it accepted.
    async fn login_after_a_close_hyper_missed(
        skip_poll: bool,
    ) -> (Result<Reply, AttemptError>, usize, usize) {
        use std::io::{Read, Write};
        use std::sync::atomic::AtomicUsize;
        use std::sync::mpsc;

        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (close, close_rx) = mpsc::channel::<()>();
        let (closed_tx, closed) = mpsc::channel::<()>();
        let requests = Arc::new(AtomicUsize::new(0));
        let accepted = Arc::new(AtomicUsize::new(0));
        let (r, a) = (requests.clone(), accepted.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let first = a.fetch_add(1, Ordering::SeqCst) == 0;
                let mut data = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    // One request: the head, then Content-Length bytes.
                    let whole = loop {
                        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                            let head = String::from_utf8_lossy(&data[..i]).to_ascii_lowercase();
                            let length: usize = head
                                .lines()
                                .find_map(|l| l.strip_prefix("content-length:"))
                                .map_or(0, |v| v.trim().parse().unwrap());
                            if data.len() >= i + 4 + length {
                                data.drain(..i + 4 + length);
                                break true;
                            }
                        }
                        match stream.read(&mut chunk) {
                            Ok(0) | Err(_) => break false,
                            Ok(n) => data.extend_from_slice(&chunk[..n]),
                        }
                    };
                    if !whole {
                        break;
                    }
                    r.fetch_add(1, Ordering::SeqCst);
                    stream
                        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                        .unwrap();
                    if first {
                        // Keep-alive as far as the reply says; closed when the test says.
                        close_rx.recv().unwrap();
                        break;
                    }
                }
                drop(stream);
                if first {
                    closed_tx.send(()).unwrap();
                }
            }
        });
        let (config, http) = async_for(&url);
        http.skip_poll.store(skip_poll, Ordering::Relaxed);
        assert_eq!(ok_body(login(&config, &http).await), (200, "ok".into()));
        let deadline = Instant::now() + Duration::from_secs(5);
        // The connection's task finishes the exchange: the pooled entry becomes ready.
        while !http.pool.slots().conns[0].sender.is_ready() {
            assert!(
                Instant::now() < deadline,
                "the connection never became ready"
            );
            tokio::task::yield_now().await;
        }
        // From here the runtime is blocked until the next request: hyper cannot see the FIN.
        close.send(()).unwrap();
        closed.recv().unwrap();
        {
            let pool = http.pool.slots();
            while idle_socket_alive(pool.conns[0].fd) {
                assert!(
                    Instant::now() < deadline,
                    "the closed socket still polls alive"
                );
                std::thread::yield_now();
            }
            assert!(!pool.conns[0].sender.is_closed());
        }
        let reply = login(&config, &http).await;
        (
            reply,
            requests.load(Ordering::SeqCst),
            accepted.load(Ordering::SeqCst),
        )
    }

    #[tokio::test]
    async fn the_poll_sends_a_request_past_a_close_hyper_has_not_seen() {
        let (reply, requests, accepted) = login_after_a_close_hyper_missed(false).await;
        assert_eq!(ok_body(reply), (200, "ok".into()));
        assert_eq!((requests, accepted), (2, 2));
    }

    /// Why the poll is there: hyper alone writes the request onto the closed connection (its
    /// task writes before it reads the FIN), and then it may not be sent again.
    #[tokio::test]
    async fn without_the_poll_hyper_loses_the_request_on_a_close_it_has_not_seen() {
        let (reply, requests, accepted) = login_after_a_close_hyper_missed(true).await;
        let e = reply.err().unwrap();
        assert_eq!(
            (e.failure, e.error.code()),
            (Some(Failure::Broken), "connection")
        );
        assert_eq!(
            e.error.message(),
            "the connection failed: connection closed before message completed"
        );
        assert_eq!((requests, accepted), (1, 1));
    }

    #[tokio::test]
    async fn a_fresh_connection_that_cannot_connect_is_not_sent() {
        let mock = MockServer::start(MockConfig::default()).unwrap();
        let (config, http) = async_for(&mock.base_url());
        drop(mock);
        let e = login(&config, &http).await.err().unwrap();
        assert_not_connected(&e, "");
    }

    #[tokio::test]
    async fn a_reply_that_is_not_http_is_a_broken_connection() {
        let server = raw(|_| b"SSH-2.0-OpenSSH_9.6\r\n\r\n".to_vec());
        let (config, http) = async_for(&server.url);
        let e = login(&config, &http).await.err().unwrap();
        assert_eq!(
            (e.failure, e.error.code()),
            (Some(Failure::Broken), "connection")
        );
        assert!(
            e.error.message().starts_with("the connection failed: "),
            "{}",
            e.error.message()
        );
    }

    #[tokio::test]
    async fn close_empties_the_pool_and_refuses_to_send() {
        let mock = MockServer::start(MockConfig::default()).unwrap();
        let (config, http) = async_for(&mock.base_url());
        assert_eq!(login(&config, &http).await.ok().unwrap().status, 200);
        assert_eq!(http.idle_count(), 1);
        http.close();
        assert_eq!(http.idle_count(), 0);
        let e = login(&config, &http).await.err().unwrap();
        assert_eq!((e.failure, e.error.code()), (None, "invalid_argument"));
        assert_eq!(mock.request_count("/client/authenticate"), 1);
    }

    #[tokio::test]
    async fn https_keep_alive_and_certificate_checks() {
        let server = raw_tls(|n| {
            format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\nok{n}",
                2 + n.to_string().len()
            )
            .into_bytes()
        });
        let (config, mut http1) = config_for(&server.url);
        let untrusted = AsyncHttp1::new(http1.target.clone());
        let e = login(&config, &untrusted).await.err().unwrap();
        assert_tls_refused_before_sending(&e);
        assert_eq!(server.requests.load(Ordering::SeqCst), 0);
        drop(untrusted);
        trust_test_ca(&mut http1);
        let http = AsyncHttp1::new(http1.target.clone());
        for n in 0..3 {
            assert_eq!(
                ok_body(login(&config, &http).await),
                (200, format!("ok{n}"))
            );
        }
        assert_eq!(server.accepted.load(Ordering::SeqCst), 2);
        assert_eq!(server.requests.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_token_that_could_forge_a_header_is_never_sent() {
        let server = raw(|_| b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".to_vec());
        let (config, http) = async_for(&server.url);
        let body = Bytes::new();
        let attempt = Attempt {
            path: "/client/echo",
            body: &body,
            bearer: Some("t\r\nx-forged: 1"),
            uuid: "u",
        };
        let e = http.send(&config, &attempt).await.err().unwrap();
        assert_eq!((e.failure, e.error.code()), (None, "decode"));
        assert_eq!(server.accepted.load(Ordering::SeqCst), 0);
    }
}

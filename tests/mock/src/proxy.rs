//! A small forward proxy for tests: HTTP `CONNECT` and SOCKS5 on one loopback port (told apart
//! by the first byte), optionally requiring credentials, counting the tunnels it opened.
//!
//! ```no_run
//! let proxy = xpay_mock::proxy::TestProxy::start(None)?;
//! println!("HTTPS_PROXY=http://{}", proxy.addr());
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// Figures of a [`TestProxy`].
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProxyStats {
    /// Tunnels opened (`CONNECT` answered 200, or SOCKS5 request granted).
    pub tunnels: u64,
    /// `CONNECT` requests refused for missing or wrong credentials (407).
    pub auth_refused: u64,
    /// The `host:port` of each tunnel, oldest first (at most 100).
    pub targets: Vec<String>,
}

struct State {
    tunnels: AtomicU64,
    auth_refused: AtomicU64,
    targets: Mutex<Vec<String>>,
    /// `user:password` required, if any.
    credentials: Option<(String, String)>,
    stopped: AtomicBool,
    /// HTTPS proxy mode: clients speak TLS to the proxy first.
    tls: Option<Arc<rustls::ServerConfig>>,
}

/// A running proxy; dropping it stops accepting (open tunnels run until either side closes).
pub struct TestProxy {
    addr: SocketAddr,
    state: Arc<State>,
}

impl TestProxy {
    /// Listens on `127.0.0.1:<free port>`; with `credentials` every tunnel needs them
    /// (`Proxy-Authorization: Basic` or SOCKS5 user/password).
    pub fn start(credentials: Option<(&str, &str)>) -> io::Result<TestProxy> {
        Self::start_on("127.0.0.1:0", credentials)
    }

    /// Like [`TestProxy::start`], on a given address.
    pub fn start_on(addr: &str, credentials: Option<(&str, &str)>) -> io::Result<TestProxy> {
        Self::start_inner(addr, credentials, None)
    }

    /// An `https://` proxy: TLS with `tls`'s certificate first, then `CONNECT` inside it.
    pub fn start_tls(
        credentials: Option<(&str, &str)>,
        tls: &crate::MockTls,
    ) -> io::Result<TestProxy> {
        Self::start_inner("127.0.0.1:0", credentials, Some(tls.server_config()?))
    }

    fn start_inner(
        addr: &str,
        credentials: Option<(&str, &str)>,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> io::Result<TestProxy> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            tunnels: AtomicU64::new(0),
            auth_refused: AtomicU64::new(0),
            targets: Mutex::new(Vec::new()),
            credentials: credentials.map(|(u, p)| (u.to_owned(), p.to_owned())),
            stopped: AtomicBool::new(false),
            tls,
        });
        let st = state.clone();
        thread::Builder::new()
            .name("xpay-test-proxy".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if st.stopped.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    let st = st.clone();
                    let _ = thread::Builder::new()
                        .name("xpay-test-proxy-conn".into())
                        .spawn(move || {
                            let _ = match st.tls.clone() {
                                None => handle(stream, &st),
                                Some(config) => handle_tls(stream, config, &st),
                            };
                        });
                }
            })?;
        Ok(TestProxy { addr, state })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The figures now.
    pub fn stats(&self) -> ProxyStats {
        ProxyStats {
            tunnels: self.state.tunnels.load(Ordering::SeqCst),
            auth_refused: self.state.auth_refused.load(Ordering::SeqCst),
            targets: self
                .state
                .targets
                .lock()
                .map(|t| t.clone())
                .unwrap_or_default(),
        }
    }

    /// Tunnels opened since start or the last [`TestProxy::reset`].
    pub fn tunnels(&self) -> u64 {
        self.state.tunnels.load(Ordering::SeqCst)
    }

    /// Clears the figures.
    pub fn reset(&self) {
        self.state.tunnels.store(0, Ordering::SeqCst);
        self.state.auth_refused.store(0, Ordering::SeqCst);
        if let Ok(mut t) = self.state.targets.lock() {
            t.clear();
        }
    }
}

impl Drop for TestProxy {
    fn drop(&mut self) {
        self.state.stopped.store(true, Ordering::SeqCst);
        // Wakes the accept loop so that it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
    }
}

fn handle(mut client: TcpStream, state: &State) -> io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(30)))?;
    let _ = client.set_nodelay(true);
    let mut first = [0u8; 1];
    client.read_exact(&mut first)?;
    let target = if first[0] == 5 {
        socks5(&mut client, state)?
    } else {
        connect(&mut client, state, first[0])?
    };
    let Some((target, upstream)) = target else {
        return Ok(());
    };
    state.tunnels.fetch_add(1, Ordering::SeqCst);
    if let Ok(mut t) = state.targets.lock() {
        if t.len() < 100 {
            t.push(target);
        }
    }
    client.set_read_timeout(None)?;
    let _ = upstream.set_nodelay(true);
    let (mut c2, mut u2) = (client.try_clone()?, upstream.try_clone()?);
    let (mut client, mut upstream) = (client, upstream);
    let up = thread::spawn(move || {
        let _ = io::copy(&mut c2, &mut u2);
        let _ = u2.shutdown(Shutdown::Write);
    });
    let _ = io::copy(&mut upstream, &mut client);
    let _ = client.shutdown(Shutdown::Write);
    let _ = up.join();
    Ok(())
}

/// HTTPS proxy mode: the handshake, `CONNECT` inside TLS, then a relay between the TLS stream
/// and the upstream socket on this one thread (each side read with a short timeout in turn:
/// a TLS stream cannot be split between two threads).
fn handle_tls(
    client: TcpStream,
    config: Arc<rustls::ServerConfig>,
    state: &State,
) -> io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(30)))?;
    let _ = client.set_nodelay(true);
    let session = rustls::ServerConnection::new(config).map_err(io::Error::other)?;
    let mut tls = rustls::StreamOwned::new(session, client);
    let mut first = [0u8; 1];
    tls.read_exact(&mut first)?;
    let Some((target, mut upstream)) = connect(&mut tls, state, first[0])? else {
        let _ = tls.flush();
        return Ok(());
    };
    tls.flush()?;
    state.tunnels.fetch_add(1, Ordering::SeqCst);
    if let Ok(mut t) = state.targets.lock() {
        if t.len() < 100 {
            t.push(target);
        }
    }
    let _ = upstream.set_nodelay(true);
    let slice = Some(Duration::from_millis(2));
    tls.sock.set_read_timeout(slice)?;
    upstream.set_read_timeout(slice)?;
    let mut buf = vec![0u8; 16 * 1024];
    let waiting = |e: &io::Error| {
        matches!(
            e.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
        )
    };
    loop {
        match tls.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => upstream.write_all(&buf[..n])?,
            Err(e) if waiting(&e) => {}
            Err(_) => return Ok(()),
        }
        match upstream.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                tls.write_all(&buf[..n])?;
                tls.flush()?;
            }
            Err(e) if waiting(&e) => {}
            Err(_) => return Ok(()),
        }
    }
}

/// `CONNECT host:port HTTP/1.1`: the tunnel's target and the upstream socket, or `None` once
/// an error reply went out.
fn connect<S: Read + Write>(
    client: &mut S,
    state: &State,
    first: u8,
) -> io::Result<Option<(String, TcpStream)>> {
    let mut head = vec![first];
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 {
            return Ok(None);
        }
        client.read_exact(&mut byte)?;
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.split("\r\n");
    let request = lines.next().unwrap_or_default();
    let mut parts = request.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method != "CONNECT" {
        client.write_all(
            b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )?;
        return Ok(None);
    }
    if let Some((user, password)) = &state.credentials {
        let want = format!("basic {}", base64(format!("{user}:{password}").as_bytes()));
        let given = lines
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("proxy-authorization"))
            .map(|(_, v)| v.trim().to_owned());
        let ok = given.is_some_and(|g| {
            let (scheme, rest) = g.split_once(' ').unwrap_or((&g, ""));
            format!("{} {}", scheme.to_ascii_lowercase(), rest.trim()) == want
        });
        if !ok {
            state.auth_refused.fetch_add(1, Ordering::SeqCst);
            client.write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
            return Ok(None);
        }
    }
    match TcpStream::connect(target) {
        Ok(upstream) => {
            client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
            Ok(Some((target.to_owned(), upstream)))
        }
        Err(_) => {
            client.write_all(
                b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )?;
            Ok(None)
        }
    }
}

/// RFC 1928 (no auth or user/password, RFC 1929), CONNECT only.
fn socks5(client: &mut TcpStream, state: &State) -> io::Result<Option<(String, TcpStream)>> {
    let mut n = [0u8; 1];
    client.read_exact(&mut n)?;
    let mut methods = vec![0u8; usize::from(n[0])];
    client.read_exact(&mut methods)?;
    match &state.credentials {
        None if methods.contains(&0) => client.write_all(&[5, 0])?,
        Some((user, password)) if methods.contains(&2) => {
            client.write_all(&[5, 2])?;
            let mut version_len = [0u8; 2];
            client.read_exact(&mut version_len)?;
            let mut u = vec![0u8; usize::from(version_len[1])];
            client.read_exact(&mut u)?;
            client.read_exact(&mut n)?;
            let mut p = vec![0u8; usize::from(n[0])];
            client.read_exact(&mut p)?;
            if u != user.as_bytes() || p != password.as_bytes() {
                state.auth_refused.fetch_add(1, Ordering::SeqCst);
                client.write_all(&[1, 1])?;
                return Ok(None);
            }
            client.write_all(&[1, 0])?;
        }
        _ => {
            client.write_all(&[5, 0xff])?;
            return Ok(None);
        }
    }
    let mut head = [0u8; 4];
    client.read_exact(&mut head)?;
    let host = match head[3] {
        1 => {
            let mut ip = [0u8; 4];
            client.read_exact(&mut ip)?;
            std::net::Ipv4Addr::from(ip).to_string()
        }
        4 => {
            let mut ip = [0u8; 16];
            client.read_exact(&mut ip)?;
            format!("[{}]", std::net::Ipv6Addr::from(ip))
        }
        3 => {
            client.read_exact(&mut n)?;
            let mut name = vec![0u8; usize::from(n[0])];
            client.read_exact(&mut name)?;
            String::from_utf8_lossy(&name).into_owned()
        }
        _ => return Ok(None),
    };
    let mut port = [0u8; 2];
    client.read_exact(&mut port)?;
    let target = format!("{host}:{}", u16::from_be_bytes(port));
    if head[1] != 1 {
        client.write_all(&[5, 7, 0, 1, 0, 0, 0, 0, 0, 0])?;
        return Ok(None);
    }
    match TcpStream::connect(&target) {
        Ok(upstream) => {
            client.write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0])?;
            Ok(Some((target, upstream)))
        }
        Err(_) => {
            client.write_all(&[5, 5, 0, 1, 0, 0, 0, 0, 0, 0])?;
            Ok(None)
        }
    }
}

fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            out.push(if i <= chunk.len() {
                char::from(ALPHABET[(n >> shift) as usize & 63])
            } else {
                '='
            });
        }
    }
    out
}

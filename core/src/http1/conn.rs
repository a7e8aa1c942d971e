//! One blocking connection: a `TcpStream`, plain or under rustls, its read buffer, and the
//! deadline arithmetic (socket timeouts re-armed only when the remaining time needs it).

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};

use super::response::Buf;
use crate::proxy::Proxy;

pub(crate) enum Io {
    Plain(Sock),
    Tls(Box<StreamOwned<ClientConnection, Sock>>),
}

/// What the request's bytes (or its TLS records) travel on: the TCP socket, or TLS to an
/// https proxy carrying a tunnel.
pub(crate) enum Sock {
    Tcp(TcpStream),
    ProxyTls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Sock {
    fn tcp(&self) -> &TcpStream {
        match self {
            Sock::Tcp(s) => s,
            Sock::ProxyTls(t) => &t.sock,
        }
    }
}

impl Read for Sock {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        match self {
            Sock::Tcp(s) => s.read(out),
            Sock::ProxyTls(t) => t.read(out),
        }
    }
}

impl Write for Sock {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        match self {
            Sock::Tcp(s) => s.write(data),
            Sock::ProxyTls(t) => t.write(data),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sock::Tcp(s) => s.flush(),
            Sock::ProxyTls(t) => t.flush(),
        }
    }
}

/// The way through a proxy: the proxy, its TLS settings for an https proxy, and the host and
/// port the tunnel goes to.
pub(crate) struct Tunnel<'a> {
    pub proxy: &'a Proxy,
    pub tls: Option<(&'a Arc<ClientConfig>, &'a ServerName<'static>)>,
    pub host: &'a str,
    pub port: u16,
}

pub(crate) struct Conn {
    io: Io,
    /// The response read buffer, kept for the connection's next request.
    pub buf: Buf,
    /// The socket's current read/write timeouts (`None`: never set).
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    /// When it was last put back into the pool.
    pub idle_since: Instant,
}

/// A write that failed, and whether any byte of the request had left by then.
pub(crate) struct WriteError {
    pub error: io::Error,
    pub nothing_written: bool,
}

/// Why a connection could not be made.
pub(crate) enum ConnectError {
    /// The connect time limit passed (for every address tried last).
    TimedOut(String),
    /// Refused, unreachable, DNS or TLS handshake failure.
    Failed(String, Option<io::Error>),
}

impl Conn {
    /// Connects to each address in turn (each within the connect timeout and the request's
    /// deadline), through the proxy's tunnel when one is given (the addresses are then the
    /// proxy's), then runs the TLS handshake when `tls` is given.
    pub(crate) fn connect(
        addrs: &[SocketAddr],
        connect_timeout: Duration,
        deadline: Instant,
        tls: Option<(&Arc<ClientConfig>, &ServerName<'static>)>,
        tunnel: Option<Tunnel<'_>>,
    ) -> Result<Conn, ConnectError> {
        let mut last: Option<io::Error> = None;
        let mut stream = None;
        for addr in addrs {
            let Some(left) = remaining(deadline) else {
                break;
            };
            match TcpStream::connect_timeout(addr, connect_timeout.min(left)) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        let Some(stream) = stream else {
            return Err(match last {
                Some(e) if is_timeout(&e) || remaining(deadline).is_none() => {
                    ConnectError::TimedOut(format!("connect timed out ({e})"))
                }
                None => ConnectError::TimedOut("no time left to connect".into()),
                Some(e) => ConnectError::Failed(
                    match &tunnel {
                        Some(t) => format!("the proxy {} cannot be reached: {e}", t.proxy.display),
                        None => e.to_string(),
                    },
                    Some(e),
                ),
            });
        };
        // Small requests and replies: never wait for Nagle.
        let _ = stream.set_nodelay(true);
        let stream = match tunnel {
            None => Sock::Tcp(stream),
            Some(tunnel) => Self::through(stream, deadline, tunnel)?,
        };
        let io = match tls {
            None => Io::Plain(stream),
            Some((config, name)) => {
                let session = ClientConnection::new(config.clone(), name.clone())
                    .map_err(|e| ConnectError::Failed(format!("TLS setup failed: {e}"), None))?;
                Io::Tls(Box::new(StreamOwned::new(session, stream)))
            }
        };
        let mut conn = Conn {
            io,
            buf: Buf::default(),
            read_timeout: None,
            write_timeout: None,
            idle_since: Instant::now(),
        };
        conn.handshake(deadline)?;
        Ok(conn)
    }

    /// The proxy's part on a fresh socket: TLS to an https proxy, then the tunnel handshake
    /// (`CONNECT` or SOCKS5), each read and write bounded by the request's deadline.
    fn through(
        stream: TcpStream,
        deadline: Instant,
        tunnel: Tunnel<'_>,
    ) -> Result<Sock, ConnectError> {
        let failed = |e: io::Error| {
            if is_timeout(&e) {
                ConnectError::TimedOut(format!(
                    "the proxy {} did not answer in time",
                    tunnel.proxy.display
                ))
            } else {
                ConnectError::Failed(e.to_string(), Some(e))
            }
        };
        let left = remaining(deadline)
            .ok_or_else(|| ConnectError::TimedOut("no time left to connect".into()))?;
        stream
            .set_read_timeout(Some(left))
            .and_then(|()| stream.set_write_timeout(Some(left)))
            .map_err(failed)?;
        let mut sock = match tunnel.tls {
            None => Sock::Tcp(stream),
            Some((config, name)) => {
                let session = ClientConnection::new(config.clone(), name.clone())
                    .map_err(|e| ConnectError::Failed(format!("TLS setup failed: {e}"), None))?;
                let mut tls = StreamOwned::new(session, stream);
                while tls.conn.is_handshaking() {
                    let StreamOwned { conn, sock } = &mut tls;
                    if let Err(e) = conn.complete_io(sock) {
                        if is_timeout(&e) {
                            return Err(failed(e));
                        }
                        return Err(ConnectError::Failed(
                            format!(
                                "TLS handshake with the proxy {} failed: {}",
                                tunnel.proxy.display,
                                crate::tls::describe_tls_error(&e)
                            ),
                            Some(e),
                        ));
                    }
                }
                Sock::ProxyTls(Box::new(tls))
            }
        };
        crate::proxy::tunnel_blocking(&mut sock, tunnel.proxy, tunnel.host, tunnel.port)
            .map_err(failed)?;
        Ok(sock)
    }

    /// Completes the TLS handshake before anything is sent, so its failures are told apart
    /// from a request that may have gone out.
    fn handshake(&mut self, deadline: Instant) -> Result<(), ConnectError> {
        loop {
            let Io::Tls(tls) = &mut self.io else {
                return Ok(());
            };
            if !tls.conn.is_handshaking() {
                return Ok(());
            }
            let Some(left) = remaining(deadline) else {
                return Err(ConnectError::TimedOut("the TLS handshake timed out".into()));
            };
            self.arm(left, true)
                .and_then(|()| self.arm(left, false))
                .map_err(|e| ConnectError::Failed(e.to_string(), Some(e)))?;
            let Io::Tls(tls) = &mut self.io else {
                return Ok(());
            };
            let StreamOwned { conn, sock } = &mut **tls;
            match conn.complete_io(sock) {
                Ok(_) => {}
                Err(e) if is_timeout(&e) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(ConnectError::Failed(
                        format!(
                            "TLS handshake failed: {}",
                            crate::tls::describe_tls_error(&e)
                        ),
                        Some(e),
                    ))
                }
            }
        }
    }

    pub(crate) fn tcp(&self) -> &TcpStream {
        match &self.io {
            Io::Plain(s) => s.tcp(),
            Io::Tls(t) => t.sock.tcp(),
        }
    }

    /// What libcurl checks before reusing a connection: polled with a zero timeout, an idle
    /// keep-alive socket must have nothing to say. Readable (the server's FIN, or bytes nobody
    /// asked for), hung up or in error: the server is done with it.
    pub(crate) fn is_alive(&self) -> bool {
        idle_socket_alive(self.tcp().as_raw_fd())
    }

    /// Sets the read (or write) timeout so that a blocking call cannot outlast `left`, touching
    /// the socket only when the current setting could: set a little short, it stays valid for
    /// the next several calls (one `setsockopt` per many requests, not two per request).
    fn arm(&mut self, left: Duration, read: bool) -> io::Result<()> {
        let current = if read {
            self.read_timeout
        } else {
            self.write_timeout
        };
        if current.is_some_and(|t| t <= left) {
            return Ok(());
        }
        let t = (left - left / 16).max(Duration::from_millis(1));
        let sock = self.tcp();
        if read {
            sock.set_read_timeout(Some(t))?;
            self.read_timeout = Some(t);
        } else {
            sock.set_write_timeout(Some(t))?;
            self.write_timeout = Some(t);
        }
        Ok(())
    }

    /// Writes the whole request (one buffer: one `write`, one TLS record for small requests).
    pub(crate) fn write_all(
        &mut self,
        request: &[u8],
        deadline: Instant,
    ) -> Result<(), WriteError> {
        let mut written = 0usize;
        let fail = |error: io::Error, written: usize| WriteError {
            error,
            nothing_written: written == 0,
        };
        let mut offset = 0;
        loop {
            let Some(left) = remaining(deadline) else {
                return Err(fail(timed_out(), written));
            };
            self.arm(left, false).map_err(|e| fail(e, written))?;
            let step = match &mut self.io {
                Io::Plain(s) => s.write(&request[offset..]).inspect(|n| offset += n),
                Io::Tls(tls) => {
                    let StreamOwned { conn, sock } = &mut **tls;
                    if offset < request.len() && !conn.wants_write() {
                        // Into rustls's buffer (encrypted, not yet sent).
                        match conn.writer().write(&request[offset..]) {
                            Ok(n) => offset += n,
                            Err(e) => return Err(fail(e, written)),
                        }
                    }
                    if conn.wants_write() {
                        conn.write_tls(sock)
                    } else {
                        Ok(0)
                    }
                }
            };
            match step {
                Ok(0) if matches!(self.io, Io::Plain(_)) && offset < request.len() => {
                    return Err(fail(io::ErrorKind::WriteZero.into(), written));
                }
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if is_timeout(&e) => {}
                Err(e) => return Err(fail(e, written)),
            }
            let pending = match &self.io {
                Io::Plain(Sock::Tcp(_)) => false,
                Io::Plain(Sock::ProxyTls(t)) => t.conn.wants_write(),
                Io::Tls(tls) => tls.conn.wants_write(),
            };
            if offset >= request.len() && !pending {
                return Ok(());
            }
        }
    }

    /// The connection as a reader bounded by `deadline`, for the response parser.
    pub(crate) fn reader(&mut self, deadline: Instant) -> (Reader<'_>, &mut Buf) {
        let Conn {
            io,
            buf,
            read_timeout,
            write_timeout,
            ..
        } = self;
        (
            Reader {
                io,
                read_timeout,
                write_timeout,
                deadline,
            },
            buf,
        )
    }
}

/// Reads from a connection, each read bounded by the request's deadline; past it a read fails
/// with `TimedOut`.
pub(crate) struct Reader<'a> {
    io: &'a mut Io,
    read_timeout: &'a mut Option<Duration>,
    write_timeout: &'a mut Option<Duration>,
    deadline: Instant,
}

impl Read for Reader<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            let left = remaining(self.deadline).ok_or_else(timed_out)?;
            let sock = match &*self.io {
                Io::Plain(s) => s.tcp(),
                Io::Tls(t) => t.sock.tcp(),
            };
            if !self.read_timeout.is_some_and(|t| t <= left) {
                let t = (left - left / 16).max(Duration::from_millis(1));
                sock.set_read_timeout(Some(t))?;
                *self.read_timeout = Some(t);
            }
            // rustls may write (an alert, a key update) while reading.
            if !matches!(self.io, Io::Plain(Sock::Tcp(_)))
                && !self.write_timeout.is_some_and(|t| t <= left)
            {
                let t = (left - left / 16).max(Duration::from_millis(1));
                sock.set_write_timeout(Some(t))?;
                *self.write_timeout = Some(t);
            }
            let result = match &mut *self.io {
                Io::Plain(Sock::Tcp(s)) => s.read(out),
                Io::Plain(s) => match s.read(out) {
                    Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(0),
                    other => other,
                },
                // A peer that closes without close_notify: the end of the stream, judged by the
                // framing like a plain EOF (a body cut short is still an error there).
                Io::Tls(t) => match t.read(out) {
                    Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(0),
                    other => other,
                },
            };
            match result {
                Err(e) if is_timeout(&e) => continue,
                other => return other,
            }
        }
    }
}

/// The check before reusing an idle keep-alive socket (both pools make it): polled with a zero
/// timeout it must have nothing to say. Readable (the server's FIN, or bytes nobody asked for),
/// hung up or in error: the server is done with it.
pub(crate) fn idle_socket_alive(fd: RawFd) -> bool {
    let mut fd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one pollfd on the stack, a zero timeout; a closed fd is reported (POLLNVAL),
    // never an error that touches memory.
    let ready = unsafe { libc::poll(&mut fd, 1, 0) };
    ready == 0
}

/// Time left before `deadline`, `None` once it passed.
pub(crate) fn remaining(deadline: Instant) -> Option<Duration> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
}

pub(crate) fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "operation timed out")
}

//! Proxies: the proxy URL (an option, else `HTTPS_PROXY` / `ALL_PROXY` unless `NO_PROXY` names
//! the host; loopback never goes through a proxy from the environment) and the tunnel
//! handshakes (HTTP `CONNECT`, SOCKS5) that both transports run on a fresh connection.
//!
//! The handshakes are written once, async; the blocking transport runs them on its blocking
//! socket through [`Blocking`], whose reads and writes are always ready, so one poll finishes
//! them.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use url::Url;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The environment variables read for a proxy, in order (for an https base URL; a plain-http
/// base URL is loopback, which never takes a proxy from the environment).
pub const ENV_PROXY: [&str; 4] = ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"];
/// Hosts that never go through a proxy from the environment.
pub const ENV_NO_PROXY: [&str; 2] = ["NO_PROXY", "no_proxy"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProxyKind {
    /// `http://`: `CONNECT` over plain TCP.
    Http,
    /// `https://`: TLS to the proxy, then `CONNECT` inside it.
    Https,
    /// `socks5://` / `socks5h://`: the SOCKS5 handshake (the proxy resolves the host).
    Socks5,
}

/// A parsed proxy URL. Its credentials never appear in `Debug`, `Display` or any message.
pub(crate) struct Proxy {
    pub kind: ProxyKind,
    /// Without brackets for IPv6.
    pub host: String,
    pub port: u16,
    /// The addresses of an IP literal or `localhost` (no resolver asked).
    pub fixed: Option<Vec<SocketAddr>>,
    /// `user:password` from the URL's userinfo, percent-decoded.
    credentials: Option<(Zeroizing<String>, Zeroizing<String>)>,
    /// `scheme://host:port`, for messages.
    pub display: String,
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Proxy({}", self.display)?;
        if self.credentials.is_some() {
            f.write_str(", with credentials")?;
        }
        f.write_str(")")
    }
}

impl Proxy {
    /// Parses a proxy URL; `source` names where it came from in the error (`the proxy option`,
    /// `HTTPS_PROXY`). A URL without a scheme is taken as `http://` (as curl does).
    pub(crate) fn parse(raw: &str, source: &str) -> Result<Proxy> {
        let trimmed = raw.trim();
        let with_scheme;
        let text = if trimmed.contains("://") {
            trimmed
        } else {
            with_scheme = format!("http://{trimmed}");
            &with_scheme
        };
        // The message never repeats the URL: it may hold a password.
        let bad = |why: &str| {
            Error::invalid_argument(format!(
                "{source} is not a usable proxy URL: {why} (expected http://host:port, \
                 https://host:port or socks5://host:port)"
            ))
        };
        let url = Url::parse(text).map_err(|e| bad(&e.to_string()))?;
        let kind = match url.scheme() {
            "http" => ProxyKind::Http,
            "https" => ProxyKind::Https,
            "socks5" | "socks5h" => ProxyKind::Socks5,
            other => return Err(bad(&format!("the scheme {other:?} is not supported"))),
        };
        if url.path() != "/" && !url.path().is_empty() || url.query().is_some() {
            return Err(bad("it must not have a path or a query"));
        }
        let host = url.host().ok_or_else(|| bad("it has no host"))?;
        let port = url.port().unwrap_or(match kind {
            ProxyKind::Http => 80,
            ProxyKind::Https => 443,
            ProxyKind::Socks5 => 1080,
        });
        let fixed = match host {
            url::Host::Ipv4(ip) => Some(vec![SocketAddr::new(ip.into(), port)]),
            url::Host::Ipv6(ip) => Some(vec![SocketAddr::new(ip.into(), port)]),
            url::Host::Domain(d) if d.eq_ignore_ascii_case("localhost") => Some(vec![
                SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
                SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port),
            ]),
            url::Host::Domain(d) => {
                if kind == ProxyKind::Https
                    && rustls::pki_types::ServerName::try_from(d.to_owned()).is_err()
                {
                    return Err(bad("its host is not a valid DNS name"));
                }
                None
            }
        };
        let decode = |s: &str| {
            percent_decode(s)
                .map(Zeroizing::new)
                .ok_or_else(|| bad("its credentials are not valid percent-encoded UTF-8"))
        };
        let credentials = if url.username().is_empty() && url.password().is_none() {
            None
        } else {
            Some((
                decode(url.username())?,
                decode(url.password().unwrap_or(""))?,
            ))
        };
        let host_str = url.host_str().unwrap_or_default();
        let display = format!("{}://{host_str}:{port}", url.scheme());
        Ok(Proxy {
            kind,
            host: unbracketed(host_str).to_owned(),
            port,
            fixed,
            credentials,
            display,
        })
    }

    /// The `Proxy-Authorization` value (`Basic base64(user:password)`), when the URL had
    /// credentials.
    fn basic_auth(&self) -> Option<Zeroizing<String>> {
        let (user, password) = self.credentials.as_ref()?;
        let plain = Zeroizing::new(format!("{}:{}", user.as_str(), password.as_str()));
        Some(Zeroizing::new(format!(
            "Basic {}",
            base64(plain.as_bytes())
        )))
    }
}

/// The proxy the environment names for `base` (an https base URL whose host is not loopback
/// and not in `NO_PROXY`), with the variable it came from.
pub(crate) fn from_env(base: &Url) -> Result<Option<Proxy>> {
    from_lookup(base, |name| std::env::var(name).ok())
}

fn from_lookup(base: &Url, env: impl Fn(&str) -> Option<String>) -> Result<Option<Proxy>> {
    let Some(host) = base.host() else {
        return Ok(None);
    };
    if base.scheme() != "https" || is_loopback_host(&host) {
        return Ok(None);
    }
    let Some((name, value)) = ENV_PROXY
        .iter()
        .find_map(|n| env(n).filter(|v| !v.trim().is_empty()).map(|v| (*n, v)))
    else {
        return Ok(None);
    };
    let no_proxy = ENV_NO_PROXY
        .iter()
        .find_map(|n| env(n).filter(|v| !v.trim().is_empty()))
        .unwrap_or_default();
    let port = base.port_or_known_default().unwrap_or(443);
    if no_proxy_matches(&no_proxy, base.host_str().unwrap_or_default(), port) {
        return Ok(None);
    }
    Proxy::parse(&value, &format!("the {name} environment variable")).map(Some)
}

fn is_loopback_host(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => {
            d.eq_ignore_ascii_case("localhost") || d.to_ascii_lowercase().ends_with(".localhost")
        }
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// A URL's host without the brackets of an IPv6 literal (`[::1]` → `::1`), as sockets and
/// TLS names want it.
pub(crate) fn unbracketed(host: &str) -> &str {
    host.trim_start_matches('[').trim_end_matches(']')
}

/// Whether a `NO_PROXY` list names `host` (`port` the request's): `*`; a name matching the
/// host or a parent domain (`example.com` and `.example.com` both match `api.example.com`); an
/// IP address or a CIDR range (`10.0.0.0/8`); any entry with `:port` only for that port.
/// Comma- or space-separated, case-insensitive.
pub(crate) fn no_proxy_matches(list: &str, host: &str, port: u16) -> bool {
    let host = unbracketed(host).trim_end_matches('.').to_ascii_lowercase();
    let host_ip: Option<IpAddr> = host.parse().ok();
    list.split(|c: char| c == ',' || c.is_whitespace())
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            let entry = entry.to_ascii_lowercase();
            // `[::1]:443`, `host:443`, `10.0.0.0/8`, `::1` (an IPv6 address has several colons).
            let (name, entry_port) = split_port(&entry);
            if entry_port.is_some_and(|p| p != port) {
                return false;
            }
            if let Some(ip) = host_ip {
                if let Some((net, bits)) = name.split_once('/') {
                    return match (net.parse::<IpAddr>(), bits.parse::<u8>()) {
                        (Ok(net), Ok(bits)) => in_cidr(ip, net, bits),
                        _ => false,
                    };
                }
                return name.parse::<IpAddr>().is_ok_and(|e| e == ip);
            }
            let name = name
                .trim_start_matches("*.")
                .trim_start_matches('.')
                .trim_end_matches('.');
            !name.is_empty()
                && (host == name
                    || host.len() > name.len()
                        && host.ends_with(name)
                        && host.as_bytes()[host.len() - name.len() - 1] == b'.')
        })
}

fn split_port(entry: &str) -> (&str, Option<u16>) {
    if let Some(rest) = entry.strip_prefix('[') {
        if let Some((ip, after)) = rest.split_once(']') {
            return (ip, after.strip_prefix(':').and_then(|p| p.parse().ok()));
        }
    }
    match entry.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') => match port.parse() {
            Ok(p) => (name, Some(p)),
            Err(_) => (entry, None),
        },
        _ => (entry, None),
    }
}

fn in_cidr(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) if bits <= 32 => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) if bits <= 128 => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> shift) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `host:port` as `CONNECT` names it (IPv6 in brackets).
fn authority(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// The tunnel handshake on a stream connected to the proxy (already under TLS for an https
/// proxy): afterwards the stream carries bytes to `host:port`. The error is a sentence for
/// "could not connect to the server: …".
pub(crate) async fn tunnel<S>(
    stream: &mut S,
    proxy: &Proxy,
    host: &str,
    port: u16,
) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    match proxy.kind {
        ProxyKind::Http | ProxyKind::Https => http_connect(stream, proxy, host, port).await,
        ProxyKind::Socks5 => socks5(stream, proxy, host, port).await,
    }
}

fn refused(proxy: &Proxy, why: impl fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionRefused,
        format!("the proxy {} {why}", proxy.display),
    )
}

async fn http_connect<S>(stream: &mut S, proxy: &Proxy, host: &str, port: u16) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let target = authority(host, port);
    let mut request = Zeroizing::new(format!(
        "CONNECT {target} HTTP/1.1\r\nHost: {target}\r\nUser-Agent: xpay-auth/{}\r\n",
        crate::config::VERSION
    ));
    if let Some(auth) = proxy.basic_auth() {
        request.push_str("Proxy-Authorization: ");
        request.push_str(&auth);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await?;
    stream.flush().await?;
    // Byte by byte up to the blank line: nothing of what follows (the server's) is read here.
    let mut head = Vec::with_capacity(128);
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() >= 16 * 1024 {
            return Err(refused(proxy, "sent a reply head over 16 KiB to CONNECT"));
        }
        if stream.read(&mut byte).await? == 0 {
            return Err(refused(proxy, "closed the connection during CONNECT"));
        }
        head.push(byte[0]);
    }
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut reply = httparse::Response::new(&mut headers);
    match reply.parse(&head) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => return Err(refused(proxy, "did not answer CONNECT with HTTP")),
    }
    match reply.code {
        Some(200..=299) => Ok(()),
        Some(407) => Err(refused(
            proxy,
            "requires authentication (407): give the credentials in the proxy URL \
             (http://user:password@host:port)",
        )),
        Some(code) => Err(refused(
            proxy,
            format_args!(
                "refused the tunnel to {target}: {code} {}",
                reply.reason.unwrap_or("")
            ),
        )),
        None => Err(refused(proxy, "did not answer CONNECT with HTTP")),
    }
}

async fn socks5<S>(stream: &mut S, proxy: &Proxy, host: &str, port: u16) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let with_password = proxy.credentials.is_some();
    let greeting: &[u8] = if with_password {
        &[5, 2, 0, 2]
    } else {
        &[5, 1, 0]
    };
    stream.write_all(greeting).await?;
    stream.flush().await?;
    let mut choice = [0u8; 2];
    stream.read_exact(&mut choice).await?;
    match choice {
        [5, 0] => {}
        [5, 2] if with_password => {
            let Some((user, password)) = proxy.credentials.as_ref() else {
                return Err(refused(proxy, "asked for credentials"));
            };
            if user.len() > 255 || password.len() > 255 {
                return Err(refused(
                    proxy,
                    "needs a user and password of at most 255 bytes each",
                ));
            }
            let mut auth = Zeroizing::new(Vec::with_capacity(3 + user.len() + password.len()));
            auth.push(1);
            auth.push(user.len() as u8);
            auth.extend_from_slice(user.as_bytes());
            auth.push(password.len() as u8);
            auth.extend_from_slice(password.as_bytes());
            stream.write_all(&auth).await?;
            stream.flush().await?;
            let mut status = [0u8; 2];
            stream.read_exact(&mut status).await?;
            if status[1] != 0 {
                return Err(refused(proxy, "refused the SOCKS5 credentials"));
            }
        }
        [5, 0xff] | [5, 2] => {
            return Err(refused(
                proxy,
                "requires SOCKS5 authentication: give the credentials in the proxy URL \
                 (socks5://user:password@host:port)",
            ))
        }
        _ => return Err(refused(proxy, "did not answer the SOCKS5 greeting")),
    }
    let mut request = vec![5, 1, 0];
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => {
            request.push(1);
            request.extend_from_slice(&ip.octets());
        }
        Ok(IpAddr::V6(ip)) => {
            request.push(4);
            request.extend_from_slice(&ip.octets());
        }
        Err(_) if host.len() <= 255 => {
            request.push(3);
            request.push(host.len() as u8);
            request.extend_from_slice(host.as_bytes());
        }
        Err(_) => return Err(refused(proxy, "cannot take a host name over 255 bytes")),
    }
    request.extend_from_slice(&port.to_be_bytes());
    stream.write_all(&request).await?;
    stream.flush().await?;
    let mut head = [0u8; 4];
    stream.read_exact(&mut head).await?;
    if head[0] != 5 {
        return Err(refused(proxy, "did not answer the SOCKS5 request"));
    }
    if head[1] != 0 {
        let why = match head[1] {
            1 => "general failure",
            2 => "not allowed by its rules",
            3 => "network unreachable",
            4 => "host unreachable",
            5 => "connection refused",
            6 => "TTL expired",
            7 => "command not supported",
            8 => "address type not supported",
            _ => "unknown error",
        };
        return Err(refused(
            proxy,
            format_args!("could not reach {}: {why}", authority(host, port)),
        ));
    }
    let rest = match head[3] {
        1 => 4 + 2,
        4 => 16 + 2,
        3 => {
            let mut len = [0u8; 1];
            stream.read_exact(&mut len).await?;
            usize::from(len[0]) + 2
        }
        _ => {
            return Err(refused(
                proxy,
                "sent a SOCKS5 reply of an unknown address type",
            ))
        }
    };
    let mut bound = vec![0u8; rest];
    stream.read_exact(&mut bound).await?;
    Ok(())
}

/// A blocking `Read + Write` as a tokio stream whose every poll is ready: the async
/// handshakes above, run by the blocking transport with one poll.
pub(crate) struct Blocking<'a, S>(pub &'a mut S);

impl<S: io::Read + Unpin> AsyncRead for Blocking<'_, S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            match self.0.read(buf.initialize_unfilled()) {
                Ok(n) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

impl<S: io::Write + Unpin> AsyncWrite for Blocking<'_, S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(self.0.write(buf))
    }
    fn poll_flush(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.0.flush())
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// [`tunnel`] on a blocking stream (its socket timeouts bound each read and write).
pub(crate) fn tunnel_blocking<S: io::Read + io::Write + Unpin>(
    stream: &mut S,
    proxy: &Proxy,
    host: &str,
    port: u16,
) -> io::Result<()> {
    use futures_util::FutureExt;
    tunnel(&mut Blocking(stream), proxy, host, port)
        .now_or_never()
        .unwrap_or_else(|| Err(io::Error::other("the proxy handshake did not finish")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls() {
        let p = Proxy::parse("http://user:p%40ss@127.0.0.1:3128", "the proxy option").unwrap();
        assert_eq!(
            (p.kind, p.port, p.display.as_str()),
            (ProxyKind::Http, 3128, "http://127.0.0.1:3128")
        );
        assert_eq!(
            p.basic_auth().unwrap().as_str(),
            format!("Basic {}", base64(b"user:p@ss"))
        );
        let debug = format!("{p:?}");
        assert!(
            !debug.contains("p%40ss") && !debug.contains("p@ss") && !debug.contains("user"),
            "{debug}"
        );
        let p = Proxy::parse("proxy.corp:8080", "HTTPS_PROXY").unwrap();
        assert_eq!(
            (p.kind, p.host.as_str(), p.port),
            (ProxyKind::Http, "proxy.corp", 8080)
        );
        assert!(p.fixed.is_none());
        let p = Proxy::parse("socks5h://[::1]:1080", "x").unwrap();
        assert_eq!((p.kind, p.host.as_str()), (ProxyKind::Socks5, "::1"));
        let p = Proxy::parse("https://localhost", "x").unwrap();
        assert_eq!(
            (p.kind, p.port, p.fixed.unwrap().len()),
            (ProxyKind::Https, 443, 2)
        );
        for bad in [
            "ftp://x:1",
            "http://",
            "http://x:1/path",
            "http://a b:1",
            "://",
            "http://u:secretpw@x:1/p",
        ] {
            let e = Proxy::parse(bad, "the proxy option").unwrap_err();
            assert_eq!(e.code(), "invalid_argument", "{bad}");
            assert!(!e.message().contains("secretpw"), "{}", e.message());
        }
    }

    #[test]
    fn base64_matches_the_rfc() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), coded);
        }
    }

    #[test]
    fn no_proxy_lists() {
        let cases: &[(&str, &str, u16, bool)] = &[
            ("*", "api.example.com", 443, true),
            ("example.com", "api.example.com", 443, true),
            ("example.com", "example.com", 443, true),
            (".example.com", "api.example.com", 443, true),
            ("*.example.com", "example.com", 443, true),
            ("example.com", "badexample.com", 443, false),
            ("other.com, example.com", "x.example.com", 443, true),
            ("other.com example.com", "x.example.com", 443, true),
            ("EXAMPLE.com", "Api.Example.COM", 443, true),
            ("example.com:8443", "api.example.com", 443, false),
            ("example.com:443", "api.example.com", 443, true),
            ("10.0.0.0/8", "10.1.2.3", 443, true),
            ("10.0.0.0/8", "11.1.2.3", 443, false),
            ("192.168.1.5", "192.168.1.5", 443, true),
            ("::1", "[::1]", 443, true),
            ("[::1]:443", "::1", 443, true),
            ("fd00::/8", "fd12::1", 443, true),
            ("", "example.com", 443, false),
            (",,", "example.com", 443, false),
            ("example.com", "10.0.0.1", 443, false),
        ];
        for &(list, host, port, want) in cases {
            assert_eq!(no_proxy_matches(list, host, port), want, "{list:?} {host}");
        }
    }

    #[test]
    fn proxies_from_the_environment() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |n: &str| {
                vars.iter()
                    .find(|(k, _)| *k == n)
                    .map(|(_, v)| v.to_string())
            }
        };
        let url = |s: &str| Url::parse(s).unwrap();
        let vars: &[(&str, &str)] = &[("HTTPS_PROXY", "http://127.0.0.1:3128")];
        let p = from_lookup(&url("https://apis.xpay.stream"), env(vars))
            .unwrap()
            .unwrap();
        assert_eq!(p.display, "http://127.0.0.1:3128");
        // Loopback never goes through a proxy from the environment.
        for base in [
            "https://127.0.0.1:9",
            "https://localhost:9",
            "https://[::1]:9",
            "http://127.0.0.1:9",
        ] {
            assert!(
                from_lookup(&url(base), env(vars)).unwrap().is_none(),
                "{base}"
            );
        }
        let vars: &[(&str, &str)] = &[("all_proxy", "socks5://127.0.0.1:1080")];
        let p = from_lookup(&url("https://apis.xpay.stream"), env(vars))
            .unwrap()
            .unwrap();
        assert_eq!(p.kind, ProxyKind::Socks5);
        let vars: &[(&str, &str)] = &[("https_proxy", "http://p:1"), ("no_proxy", ".xpay.stream")];
        assert!(from_lookup(&url("https://apis.xpay.stream"), env(vars))
            .unwrap()
            .is_none());
        let vars: &[(&str, &str)] = &[("HTTPS_PROXY", "ftp://p:1")];
        let e = from_lookup(&url("https://apis.xpay.stream"), env(vars)).unwrap_err();
        assert!(e.message().contains("HTTPS_PROXY"), "{}", e.message());
        assert!(from_lookup(&url("https://apis.xpay.stream"), env(&[]))
            .unwrap()
            .is_none());
    }
}

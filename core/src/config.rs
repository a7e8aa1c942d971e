//! Client options, their defaults and their validation. Everything a binding can set goes
//! through [`ClientBuilder`], so each face gets the same checks and the same defaults.

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use url::Url;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::proxy::Proxy;
use crate::tls::{TlsOptions, TlsRoots};

/// The production base URL, used when neither the builder nor `XPAY_BASE_URL` gives one.
pub const DEFAULT_BASE_URL: &str = "https://apis.xpay.stream";
/// Environment variable read for the base URL when the builder is not given one.
pub const ENV_BASE_URL: &str = "XPAY_BASE_URL";
/// The crate's version, as sent in the `User-Agent`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The `User-Agent` of a face: `xpay-auth-<face>/<version>`, e.g. `xpay-auth-python/0.1.0`.
pub fn user_agent_for(face: &str) -> String {
    format!("xpay-auth-{face}/{VERSION}")
}

/// The validated settings of a [`Client`](crate::Client).
#[derive(Clone)]
pub(crate) struct Config {
    /// Without a trailing slash, so `base_url + path` is the request URL.
    pub base_url: String,
    /// `base_url`, parsed once: requests only swap in their path (see [`Config::url_for`]).
    pub base: Url,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub max_retries: u32,
    pub user_agent: String,
    pub max_body_bytes: usize,
    pub refresh_before: Duration,
    pub backoff_base: Duration,
    /// The TLS settings (roots, CA certificates, client certificate), for both transports.
    pub tls: crate::tls::SharedTls,
    /// The proxy: the option, else the environment's for the base URL's host.
    pub proxy: Option<std::sync::Arc<Proxy>>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_retries", &self.max_retries)
            .field("user_agent", &self.user_agent)
            .field("proxy", &self.proxy)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Client`](crate::Client) (or a [`blocking::Client`](crate::blocking::Client)).
///
/// Defaults: base URL from `XPAY_BASE_URL`, else `https://apis.xpay.stream`; timeout 30 s;
/// connect timeout 10 s; 2 retries; replies capped at 1 MiB; tokens renewed 5 minutes before
/// they expire (at most half their lifetime early).
///
/// The type parameter is the client it builds: [`Client`](crate::Client) by default, or
/// [`blocking::Client`](crate::blocking::Client); both share these options and checks.
pub struct ClientBuilder<C = crate::Client> {
    options: Options,
    face: PhantomData<fn() -> C>,
}

#[derive(Clone, Default)]
struct Options {
    base_url: Option<String>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    max_retries: Option<u32>,
    user_agent: Option<String>,
    max_body_bytes: Option<usize>,
    refresh_before: Option<Duration>,
    backoff_base: Option<Duration>,
    tls: TlsOptions,
    proxy: Option<Zeroizing<String>>,
    /// An option that could not be taken as given (a CA file that cannot be read): reported
    /// by `build`/`validate` as `invalid_argument`.
    deferred_error: Option<String>,
}

// By hand: the proxy URL may carry a password, the client key is a secret.
impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_retries", &self.max_retries)
            .field("user_agent", &self.user_agent)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("refresh_before", &self.refresh_before)
            .field("backoff_base", &self.backoff_base)
            .field("tls", &self.tls)
            .field(
                "proxy",
                &self
                    .proxy
                    .as_ref()
                    .map(|p| Proxy::parse(p, "the proxy").map(|p| p.display).ok()),
            )
            .finish()
    }
}

impl<C> Default for ClientBuilder<C> {
    fn default() -> Self {
        ClientBuilder {
            options: Options::default(),
            face: PhantomData,
        }
    }
}

impl<C> Clone for ClientBuilder<C> {
    fn clone(&self) -> Self {
        ClientBuilder {
            options: self.options.clone(),
            face: PhantomData,
        }
    }
}

impl<C> fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.options.fmt(f)
    }
}

impl<C> ClientBuilder<C> {
    /// A builder with every option at its default.
    pub fn new() -> Self {
        Self::default()
    }

    /// The API's base URL. `http://` is accepted only for loopback hosts (127.0.0.0/8, ::1,
    /// localhost); anything else must be `https://`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.options.base_url = Some(url.into());
        self
    }

    /// The limit for a whole request, from connecting to the last byte of the reply (30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = Some(timeout);
        self
    }

    /// The limit for establishing a connection (10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.options.connect_timeout = Some(timeout);
        self
    }

    /// How many times a failed request may be sent again (2; 0 disables retries).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.options.max_retries = Some(retries);
        self
    }

    /// The `User-Agent` header (`xpay-auth-rust/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.options.user_agent = Some(user_agent.into());
        self
    }

    /// The largest reply body accepted; a larger one is a `decode` error (1 MiB).
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.options.max_body_bytes = Some(bytes);
        self
    }

    /// How long before `expiresAt` a session starts renewing its token (5 minutes). The
    /// window is capped at half the token's lifetime, so short-lived tokens are still reused.
    pub fn refresh_before(mut self, window: Duration) -> Self {
        self.options.refresh_before = Some(window);
        self
    }

    /// The first retry's delay before jitter; each further retry doubles it (100 ms).
    pub fn retry_backoff(mut self, base: Duration) -> Self {
        self.options.backoff_base = Some(base);
        self
    }

    /// Extra CA certificates to trust (PEM, one or more certificates), besides the roots
    /// [`tls_roots`](Self::tls_roots) picks. May be given more than once; each adds.
    /// `XPAY_CA_BUNDLE` (a PEM file) and `SSL_CERT_FILE` add to the roots as well.
    pub fn ca_bundle_pem(mut self, pem: &[u8]) -> Self {
        let n = self.options.tls.ca_pem.len() + 1;
        let what = if n == 1 {
            "the CA bundle".to_owned()
        } else {
            format!("CA bundle {n}")
        };
        self.options.tls.ca_pem.push((what, pem.to_vec()));
        self
    }

    /// Extra CA certificates from a PEM file (read now; a file that cannot be read is an
    /// `invalid_argument` error from `build`).
    pub fn ca_bundle_file(mut self, path: impl AsRef<std::path::Path>) -> Self {
        let path = path.as_ref();
        match std::fs::read(path) {
            Ok(pem) => {
                self.options
                    .tls
                    .ca_pem
                    .push((format!("the CA bundle file {path:?}"), pem));
            }
            Err(e) => {
                self.options.deferred_error =
                    Some(format!("the CA bundle file {path:?} cannot be read ({e})"));
            }
        }
        self
    }

    /// Which roots to trust: [`TlsRoots::SystemAndBundled`] (the default: the OS store and the
    /// bundled Mozilla roots), `System`, `Bundled` or `None` (only the CA certificates given).
    pub fn tls_roots(mut self, roots: TlsRoots) -> Self {
        self.options.tls.roots = roots;
        self
    }

    /// A client certificate (PEM, leaf first, optionally its chain) and its private key (PEM:
    /// PKCS#8, PKCS#1 or SEC1), for servers that require mutual TLS.
    pub fn client_identity_pem(mut self, cert: &[u8], key: &[u8]) -> Self {
        self.options.tls.identity = Some((cert.to_vec(), Zeroizing::new(key.to_vec())));
        self
    }

    /// A proxy for every request (`http://`, `https://` or `socks5://host:port`, credentials as
    /// `user:password@` if needed: sent as `Proxy-Authorization`, never logged). Every host goes
    /// through it, loopback too. Without it, `HTTPS_PROXY` / `ALL_PROXY` are used unless
    /// `NO_PROXY` names the host (and never for a loopback host).
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.options.proxy = Some(Zeroizing::new(url.into()));
        self
    }

    /// Checks the options without building a client: the same checks as `build`, so a binding
    /// can refuse a bad option in the call that sets it.
    pub fn validate(&self) -> Result<()> {
        self.options.clone().into_config().map(drop)
    }

    /// Validates the options. Fails with `invalid_argument`, before any network I/O.
    pub(crate) fn into_config(self) -> Result<Config> {
        self.options.into_config()
    }
}

impl Options {
    fn into_config(self) -> Result<Config> {
        let base_url = match self.base_url {
            Some(url) => url,
            None => std::env::var(ENV_BASE_URL)
                .ok()
                .filter(|u| !u.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned()),
        };
        let timeout = self.timeout.unwrap_or(Duration::from_secs(30));
        let connect_timeout = self.connect_timeout.unwrap_or(Duration::from_secs(10));
        if timeout.is_zero() || connect_timeout.is_zero() {
            return Err(Error::invalid_argument(
                "timeouts must be greater than zero",
            ));
        }
        let user_agent = self.user_agent.unwrap_or_else(|| user_agent_for("rust"));
        if http::header::HeaderValue::from_str(&user_agent).is_err() {
            return Err(Error::invalid_argument(
                "the user agent must be printable ASCII without line breaks",
            ));
        }
        let base_url = validate_base_url(&base_url)?;
        let base = Url::parse(&base_url).map_err(|e| {
            Error::invalid_argument(format!("the base URL {base_url:?} is not a URL ({e})"))
        })?;
        if let Some(e) = self.deferred_error {
            return Err(Error::invalid_argument(e));
        }
        let tls = self.tls.build()?;
        let proxy = match &self.proxy {
            Some(url) => Some(Proxy::parse(url, "the proxy option")?),
            None => crate::proxy::from_env(&base)?,
        };
        Ok(Config {
            base_url,
            base,
            timeout,
            connect_timeout,
            max_retries: self.max_retries.unwrap_or(2),
            user_agent,
            max_body_bytes: self.max_body_bytes.unwrap_or(1024 * 1024),
            refresh_before: self.refresh_before.unwrap_or(Duration::from_secs(300)),
            backoff_base: self.backoff_base.unwrap_or(Duration::from_millis(100)),
            tls,
            proxy: proxy.map(std::sync::Arc::new),
        })
    }
}

impl Config {
    /// The URL of `path` (already checked by [`validate_path`]) under the base URL, without
    /// parsing the scheme and host again for every request.
    pub(crate) fn url_for(&self, path: &str) -> Url {
        let (path, query) = match path.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (path, None),
        };
        let mut url = self.base.clone();
        url.set_path(&format!("{}{path}", self.base.path().trim_end_matches('/')));
        url.set_query(query);
        url
    }
}

/// Checks a base URL and returns it without a trailing slash.
fn validate_base_url(raw: &str) -> Result<String> {
    let trimmed = raw.trim();
    let url = Url::parse(trimmed).map_err(|e| {
        Error::invalid_argument(format!("the base URL {trimmed:?} is not a URL ({e})"))
    })?;
    if url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(Error::invalid_argument(format!(
            "the base URL {trimmed:?} must not carry credentials, a query or a fragment"
        )));
    }
    if let Some(url::Host::Domain(host)) = url.host() {
        // What the TLS layer will need of it: a DNS name (e.g. not `a-`), checked here so that
        // a bad host is the caller's `invalid_argument`, not a failure to build the client.
        if rustls::pki_types::ServerName::try_from(host.to_owned()).is_err() {
            return Err(Error::invalid_argument(format!(
                "the base URL {trimmed:?} has the host {host:?}, which is not a valid DNS name"
            )));
        }
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(Error::invalid_argument(format!(
                "the base URL {trimmed:?} uses plain http to a non-loopback host: use https:// \
                 (http:// is only for 127.0.0.1, ::1 and localhost)"
            )))
        }
        other => {
            return Err(Error::invalid_argument(format!(
                "the base URL {trimmed:?} has the scheme {other:?}: use https://"
            )))
        }
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Checks the path of a call: absolute, no scheme or host, no query smuggling of a new host.
pub(crate) fn validate_path(path: &str) -> Result<()> {
    if !path.starts_with('/') || path.starts_with("//") {
        return Err(Error::invalid_argument(format!(
            "the path {path:?} must start with a single '/', e.g. \"/client/wallets/save\""
        )));
    }
    if path.chars().any(|c| c.is_whitespace() || c.is_control()) || path.contains('#') {
        return Err(Error::invalid_argument(format!(
            "the path {path:?} must not contain spaces, control characters or '#'"
        )));
    }
    let route = path.split_once('?').map_or(path, |(route, _)| route);
    if route.split('/').any(is_dot_segment) {
        return Err(Error::invalid_argument(format!(
            "the path {path:?} must not contain '.' or '..' segments (also not percent-encoded)"
        )));
    }
    Ok(())
}

/// `.` or `..`, with any of the dots written `%2e` / `%2E` (a URL library or proxy would
/// resolve them and send the call to another endpoint).
fn is_dot_segment(segment: &str) -> bool {
    let lower = segment.to_ascii_lowercase();
    let decoded = lower.replace("%2e", ".");
    decoded == "." || decoded == ".."
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_base_urls() {
        for (raw, want) in [
            ("https://apis.xpay.stream", "https://apis.xpay.stream"),
            ("https://apis.xpay.stream/", "https://apis.xpay.stream"),
            ("https://proxy.example/xpay/", "https://proxy.example/xpay"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("http://127.9.9.9:1/", "http://127.9.9.9:1"),
            ("http://localhost:9", "http://localhost:9"),
            ("http://[::1]:9", "http://[::1]:9"),
        ] {
            assert_eq!(validate_base_url(raw).unwrap(), want);
        }
    }

    #[test]
    fn refused_base_urls() {
        for raw in [
            "http://apis.xpay.stream",
            "http://10.0.0.1",
            "http://localhost.evil.com",
            "ftp://127.0.0.1",
            "not a url",
            "",
            "https://user:pw@apis.xpay.stream",
            "https://apis.xpay.stream/?x=1",
            "https://a-",
            "https://-a.example",
        ] {
            let e = validate_base_url(raw).unwrap_err();
            assert_eq!(e.code(), "invalid_argument", "{raw}");
        }
    }

    #[test]
    fn request_urls_are_base_plus_path() {
        let config = |base: &str| {
            ClientBuilder::<crate::Client>::new()
                .base_url(base)
                .into_config()
                .unwrap()
        };
        for (base, path, want) in [
            (
                "https://apis.xpay.stream",
                "/client/authenticate",
                "https://apis.xpay.stream/client/authenticate",
            ),
            (
                "https://proxy.example/xpay/",
                "/client/echo",
                "https://proxy.example/xpay/client/echo",
            ),
            (
                "http://127.0.0.1:8080",
                "/client/wallets/search?page=2",
                "http://127.0.0.1:8080/client/wallets/search?page=2",
            ),
            ("http://[::1]:9", "/a/b%20c", "http://[::1]:9/a/b%20c"),
        ] {
            let url = config(base).url_for(path);
            assert_eq!(url.as_str(), want);
            assert_eq!(
                url.as_str(),
                format!("{}{path}", config(base).base_url),
                "same as the string join"
            );
        }
    }

    #[test]
    fn paths() {
        for good in [
            "/client/echo",
            "/client/v1.2/echo",
            "/client/...",
            "/client/.hidden",
            "/client/echo?next=../x",
            "/client/%2e%2e%2e",
        ] {
            assert!(validate_path(good).is_ok(), "{good}");
        }
        for bad in [
            "client/echo",
            "//evil.com/x",
            "https://x/y",
            "/a b",
            "/a\n",
            "",
            "/a#b",
            "/client/../admin",
            "/client/./echo",
            "/client/..",
            "/client/%2e%2e/admin",
            "/client/%2E%2e/admin",
            "/client/.%2E/admin",
            "/client/%2e/echo",
            "/..?x=1",
        ] {
            assert_eq!(
                validate_path(bad).unwrap_err().code(),
                "invalid_argument",
                "{bad}"
            );
        }
    }

    #[test]
    fn zero_timeouts_are_refused() {
        let e = ClientBuilder::<crate::Client>::new()
            .base_url("http://127.0.0.1:1")
            .timeout(Duration::ZERO)
            .into_config();
        assert_eq!(e.unwrap_err().code(), "invalid_argument");
    }
}

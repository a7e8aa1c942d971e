//! The keyword arguments of `Client(...)` / `AsyncClient(...)`, turned into the core's builder.
//!
//! Defaults and checks are the core's: an option left as `None` is not passed on, so the core
//! default applies (base URL from `XPAY_BASE_URL`, ...). Only `timeout` and `max_retries` show
//! their default in the signature, because `api.md` spells the Python signature that way.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use xpay_auth::{user_agent_for, ClientBuilder, Error, TlsRoots};
use zeroize::Zeroizing;

use crate::convert::{count, seconds};

/// The options as given from Python.
pub struct ClientOptions {
    pub base_url: Option<String>,
    pub timeout: f64,
    pub max_retries: i64,
    pub connect_timeout: Option<f64>,
    pub user_agent: Option<String>,
    pub max_body_bytes: Option<i64>,
    pub refresh_before: Option<f64>,
    pub network: Network,
}

/// PEM given from Python: `bytes` (or a `str` holding `-----BEGIN`) is the PEM itself; a
/// `str` or `os.PathLike` otherwise is a file's path. The bytes are wiped when dropped, as the
/// core does with its copy: `client_key` is a secret.
pub enum Pem {
    Text(Zeroizing<Vec<u8>>),
    File(PathBuf),
}

impl Pem {
    fn from_py(obj: &Bound<'_, PyAny>, what: &str) -> Result<Pem, Error> {
        if let Ok(b) = obj.cast::<PyBytes>() {
            return Ok(Pem::Text(Zeroizing::new(b.as_bytes().to_vec())));
        }
        if let Ok(s) = obj.cast::<PyString>() {
            let s = s.to_cow().map_err(|_| {
                crate::errors::invalid_argument(format!("{what} is not valid UTF-8"))
            })?;
            return Ok(if s.contains("-----BEGIN") {
                Pem::Text(Zeroizing::new(s.as_bytes().to_vec()))
            } else {
                Pem::File(PathBuf::from(s.as_ref()))
            });
        }
        obj.extract::<PathBuf>().map(Pem::File).map_err(|_| {
            crate::errors::invalid_argument(format!(
                "{what} must be a path (str or os.PathLike) or PEM bytes"
            ))
        })
    }

    fn read(&self, what: &str) -> Result<Zeroizing<Vec<u8>>, Error> {
        match self {
            Pem::Text(pem) => Ok(pem.clone()),
            Pem::File(path) => std::fs::read(path).map(Zeroizing::new).map_err(|e| {
                crate::errors::invalid_argument(format!("{what} {path:?} cannot be read ({e})"))
            }),
        }
    }
}

/// `ca_bundle=`, `tls_roots=`, `client_cert=`, `client_key=`, `proxy=`.
#[derive(Default)]
pub struct Network {
    ca_bundle: Option<Pem>,
    tls_roots: Option<TlsRoots>,
    identity: Option<(Pem, Pem)>,
    proxy: Option<String>,
}

impl Network {
    pub fn from_py(
        ca_bundle: Option<&Bound<'_, PyAny>>,
        tls_roots: Option<&str>,
        client_cert: Option<&Bound<'_, PyAny>>,
        client_key: Option<&Bound<'_, PyAny>>,
        proxy: Option<String>,
    ) -> Result<Network, Error> {
        let identity = match (client_cert, client_key) {
            (None, None) => None,
            (Some(cert), Some(key)) => Some((
                Pem::from_py(cert, "client_cert")?,
                Pem::from_py(key, "client_key")?,
            )),
            _ => {
                return Err(crate::errors::invalid_argument(
                    "client_cert and client_key go together: give both",
                ))
            }
        };
        Ok(Network {
            ca_bundle: ca_bundle
                .map(|c| Pem::from_py(c, "ca_bundle"))
                .transpose()?,
            tls_roots: tls_roots.map(TlsRoots::parse).transpose()?,
            identity,
            proxy,
        })
    }

    fn apply<C>(&self, mut builder: ClientBuilder<C>) -> Result<ClientBuilder<C>, Error> {
        match &self.ca_bundle {
            Some(Pem::Text(pem)) => builder = builder.ca_bundle_pem(pem),
            Some(Pem::File(path)) => builder = builder.ca_bundle_file(path),
            None => {}
        }
        if let Some(roots) = self.tls_roots {
            builder = builder.tls_roots(roots);
        }
        if let Some((cert, key)) = &self.identity {
            builder =
                builder.client_identity_pem(&cert.read("client_cert")?, &key.read("client_key")?);
        }
        if let Some(url) = &self.proxy {
            builder = builder.proxy(url);
        }
        Ok(builder)
    }
}

impl ClientOptions {
    /// The core builder for these options; `invalid_argument` for numbers out of range.
    pub fn builder<C>(&self) -> Result<ClientBuilder<C>, Error> {
        let mut builder = ClientBuilder::<C>::new()
            .timeout(seconds("timeout", self.timeout)?)
            .max_retries(count("max_retries", self.max_retries)?)
            .user_agent(
                self.user_agent
                    .clone()
                    .unwrap_or_else(|| user_agent_for("python")),
            );
        if let Some(url) = &self.base_url {
            builder = builder.base_url(url);
        }
        if let Some(t) = self.connect_timeout {
            builder = builder.connect_timeout(seconds("connect_timeout", t)?);
        }
        if let Some(n) = self.max_body_bytes {
            let n = usize::try_from(n).ok().filter(|n| *n > 0).ok_or_else(|| {
                crate::errors::invalid_argument(format!(
                    "max_body_bytes must be a positive number of bytes, got {n}"
                ))
            })?;
            builder = builder.max_body_bytes(n);
        }
        if let Some(t) = self.refresh_before {
            builder = builder.refresh_before(seconds("refresh_before", t)?);
        }
        self.network.apply(builder)
    }

    /// `timeout=30.0 max_retries=2`, for `repr()`.
    pub fn summary(&self) -> String {
        format!(
            "timeout={:?} max_retries={}",
            self.timeout, self.max_retries
        )
    }
}

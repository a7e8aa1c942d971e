//! `Client`: the synchronous client over `xpay_auth::blocking`.
//!
//! Every network wait runs inside `py.detach`, so other Python threads keep running while a
//! request is in flight (the core drives it on this thread, without holding the GIL).

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyTuple;
use xpay_auth::{blocking, Credentials};

use crate::auth::Authentication;
use crate::convert::repr_str;
use crate::credentials;
use crate::errors::IntoPyResult;
use crate::options::ClientOptions;
use crate::session::Session;

/// A synchronous xPay client: configuration plus a keep-alive connection pool.
#[pyclass(frozen, module = "xpay_auth", name = "Client")]
pub struct Client {
    inner: blocking::Client,
    summary: String,
}

#[pymethods]
impl Client {
    #[new]
    #[pyo3(signature = (
        base_url = None, timeout = 30.0, max_retries = 2, *,
        connect_timeout = None, user_agent = None, max_body_bytes = None, refresh_before = None,
        ca_bundle = None, tls_roots = None, client_cert = None, client_key = None, proxy = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        base_url: Option<String>,
        timeout: f64,
        max_retries: i64,
        connect_timeout: Option<f64>,
        user_agent: Option<String>,
        max_body_bytes: Option<i64>,
        refresh_before: Option<f64>,
        ca_bundle: Option<Bound<'_, PyAny>>,
        tls_roots: Option<String>,
        client_cert: Option<Bound<'_, PyAny>>,
        client_key: Option<Bound<'_, PyAny>>,
        proxy: Option<String>,
    ) -> PyResult<Self> {
        crate::ensure_logging(py);
        let network = crate::options::Network::from_py(
            ca_bundle.as_ref(),
            tls_roots.as_deref(),
            client_cert.as_ref(),
            client_key.as_ref(),
            proxy,
        )
        .or_raise(py)?;
        let options = ClientOptions {
            base_url,
            timeout,
            max_retries,
            connect_timeout,
            user_agent,
            max_body_bytes,
            refresh_before,
            network,
        };
        let inner = options
            .builder::<blocking::Client>()
            .and_then(|b| b.build())
            .or_raise(py)?;
        Ok(Client {
            inner,
            summary: options.summary(),
        })
    }

    /// The base URL requests go to, without a trailing slash.
    #[getter]
    fn base_url(&self) -> &str {
        self.inner.base_url()
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Logs in once (no caching) and returns the `Authentication`.
    #[pyo3(signature = (username, secret_key, is_api = true))]
    fn authenticate(
        &self,
        py: Python<'_>,
        username: &str,
        secret_key: &str,
        is_api: bool,
    ) -> PyResult<Authentication> {
        let credentials = Credentials::new(username, secret_key).with_is_api(is_api);
        py.detach(|| self.inner.authenticate(&credentials))
            .map(|auth| Authentication::new(Arc::new(auth)))
            .or_raise(py)
    }

    /// A session (token cache) for one account; without arguments, from the environment.
    /// `store`: where it keeps its token (`memory:`, `file:<dir>`, `redis://…`; default
    /// `XPAY_TOKEN_STORE`, else `memory:`).
    #[pyo3(signature = (username = None, secret_key = None, *, is_api = true, store = None))]
    fn session(
        &self,
        py: Python<'_>,
        username: Option<&str>,
        secret_key: Option<&str>,
        is_api: bool,
        store: Option<&str>,
    ) -> PyResult<Session> {
        let credentials = credentials::for_session(username, secret_key, is_api).or_raise(py)?;
        let builder = self.inner.session_builder(credentials);
        let builder = match store {
            Some(url) => builder.store(url),
            None => builder,
        };
        Ok(Session::new(
            builder.build().or_raise(py)?,
            self.inner.base_url(),
        ))
    }

    /// Closes the connection pool; later requests fail with `InvalidArgumentError`.
    fn close(&self) {
        self.inner.close()
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc_info))]
    fn __exit__(&self, _exc_info: &Bound<'_, PyTuple>) {
        self.inner.close();
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "<xpay_auth.Client base_url={} {} closed={}>",
            repr_str(py, self.inner.base_url()),
            self.summary,
            if self.inner.is_closed() {
                "True"
            } else {
                "False"
            }
        )
    }
}

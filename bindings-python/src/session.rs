//! `Session`: the synchronous token cache over `xpay_auth::blocking::Session`.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use xpay_auth::blocking;

use crate::auth::Authentication;
use crate::convert::{repr_str, text_arg, to_json_text, JsonText};
use crate::errors::IntoPyResult;

/// One account's token cache in front of a `Client`. Safe to share between threads.
#[pyclass(frozen, module = "xpay_auth", name = "Session")]
pub struct Session {
    inner: blocking::Session,
    base_url: String,
}

impl Session {
    pub fn new(inner: blocking::Session, base_url: &str) -> Self {
        Session {
            inner,
            base_url: base_url.to_owned(),
        }
    }
}

#[pymethods]
impl Session {
    /// The account's username.
    #[getter]
    fn username(&self) -> &str {
        self.inner.username()
    }

    /// A valid access token: the cached one while fresh, else after one shared login.
    fn access_token(&self, py: Python<'_>) -> PyResult<String> {
        py.detach(|| self.inner.access_token()).or_raise(py)
    }

    /// The current login (cached, renewed or new).
    fn authentication(&self, py: Python<'_>) -> PyResult<Authentication> {
        py.detach(|| self.inner.authentication())
            .map(Authentication::new)
            .or_raise(py)
    }

    /// POSTs `body` as JSON to `path` with the bearer token; returns the decoded `success.data`.
    /// Ints of any size go out and come back exact.
    #[pyo3(signature = (path, body = None, *, uuid = None))]
    fn call(
        &self,
        py: Python<'_>,
        path: &str,
        body: Option<&Bound<'_, PyAny>>,
        uuid: Option<&str>,
    ) -> PyResult<JsonText> {
        let body = match body {
            Some(b) => to_json_text(b).or_raise(py)?,
            None => "null".to_owned(),
        };
        py.detach(|| self.inner.call_raw_with_uuid(path, &body, uuid))
            .map(JsonText)
            .or_raise(py)
    }

    /// POSTs the JSON text `text` (str, or UTF-8 bytes) byte for byte; returns `success.data`
    /// as the exact text the server sent.
    #[pyo3(signature = (path, text, *, uuid = None))]
    fn call_raw(
        &self,
        py: Python<'_>,
        path: &str,
        text: &Bound<'_, PyAny>,
        uuid: Option<&str>,
    ) -> PyResult<String> {
        let text = text_arg(text).or_raise(py)?;
        py.detach(|| self.inner.call_raw_with_uuid(path, &text, uuid))
            .or_raise(py)
    }

    /// Drops the cached token; the next use logs in again.
    fn invalidate(&self) {
        self.inner.invalidate()
    }

    /// `"Bearer <token>"` for your own HTTP client's `Authorization` header.
    fn authorization_header(&self, py: Python<'_>) -> PyResult<String> {
        py.detach(|| self.inner.authorization_header()).or_raise(py)
    }

    /// The header to send a request again with after the server answered 401 to `rejected`:
    /// drops that token (if still cached) and returns a fresh one's (one shared login).
    fn reauthorize(&self, py: Python<'_>, rejected: &str) -> PyResult<String> {
        py.detach(|| self.inner.reauthorize(rejected)).or_raise(py)
    }

    /// The session's counts (logins, renewals, renewal_failures, waits) and its back-off end
    /// and token expiry (ms since the epoch, 0 when none), as a dict.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        crate::stats::to_dict(py, &self.inner.stats())
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "<xpay_auth.Session username={} base_url={}>",
            repr_str(py, self.inner.username()),
            repr_str(py, &self.base_url)
        )
    }
}

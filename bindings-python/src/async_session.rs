//! `AsyncSession`: the asyncio token cache over the core's async `Session`.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::asyncio::{awaitable, ready};
use crate::auth::Authentication;
use crate::convert::{repr_str, text_arg, to_json_text, JsonText};

/// One account's token cache in front of an `AsyncClient`; network methods are awaitable.
#[pyclass(frozen, module = "xpay_auth", name = "AsyncSession")]
pub struct AsyncSession {
    inner: xpay_auth::Session,
}

impl AsyncSession {
    pub fn new(inner: xpay_auth::Session) -> Self {
        AsyncSession { inner }
    }
}

#[pymethods]
impl AsyncSession {
    /// The account's username.
    #[getter]
    fn username(&self) -> &str {
        self.inner.username()
    }

    /// Awaits to a valid access token (one shared login for all concurrent callers).
    fn access_token<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        // A fresh cached token (the core decides) needs no trip through the runtime.
        if let Some(auth) = self.inner.cached() {
            return ready(py, auth.access_token());
        }
        let session = self.inner.clone();
        awaitable(py, async move { session.access_token().await })
    }

    /// Awaits to the current login (cached, renewed or new).
    fn authentication<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let session = self.inner.clone();
        awaitable(py, async move {
            session.authentication().await.map(Authentication::new)
        })
    }

    /// POSTs `body` as JSON to `path` with the bearer token; awaits to `success.data`.
    ///
    /// A body that is not JSON-serialisable fails when awaited, like every other error.
    #[pyo3(signature = (path, body = None, *, uuid = None))]
    fn call<'py>(
        &self,
        py: Python<'py>,
        path: String,
        body: Option<&Bound<'py, PyAny>>,
        uuid: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let body = body.map_or(Ok("null".to_owned()), to_json_text);
        let session = self.inner.clone();
        awaitable(py, async move {
            let data = session
                .call_raw_with_uuid(&path, &body?, uuid.as_deref())
                .await?;
            Ok(JsonText(data))
        })
    }

    /// POSTs the JSON text `text` (str, or UTF-8 bytes) byte for byte; awaits to
    /// `success.data` as the exact text the server sent.
    #[pyo3(signature = (path, text, *, uuid = None))]
    fn call_raw<'py>(
        &self,
        py: Python<'py>,
        path: String,
        text: &Bound<'py, PyAny>,
        uuid: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let text = text_arg(text);
        let session = self.inner.clone();
        awaitable(py, async move {
            session
                .call_raw_with_uuid(&path, &text?, uuid.as_deref())
                .await
        })
    }

    /// Drops the cached token; the next use logs in again.
    fn invalidate(&self) {
        self.inner.invalidate()
    }

    /// Awaits to `"Bearer <token>"` for your own HTTP client's `Authorization` header.
    fn authorization_header<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let session = self.inner.clone();
        awaitable(py, async move { session.authorization_header().await })
    }

    /// Awaits to the header to send a request again with after the server answered 401 to
    /// `rejected`: drops that token (if still cached), then a fresh one (one shared login).
    fn reauthorize<'py>(&self, py: Python<'py>, rejected: String) -> PyResult<Bound<'py, PyAny>> {
        let session = self.inner.clone();
        awaitable(py, async move { session.reauthorize(&rejected).await })
    }

    /// The session's counts and its back-off end and token expiry, as a dict (see
    /// `Session.stats`).
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        crate::stats::to_dict(py, &self.inner.stats())
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "<xpay_auth.AsyncSession username={} base_url={}>",
            repr_str(py, self.inner.username()),
            repr_str(py, self.inner.client().base_url())
        )
    }
}

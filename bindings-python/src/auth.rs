//! `Authentication` and `User`: read-only views of a core login result.

use std::sync::Arc;

use pyo3::prelude::*;
use xpay_auth::redact_token;

use crate::convert::{repr_str, repr_strs};

/// The result of one login. Its `repr()` shows the token redacted.
#[pyclass(frozen, module = "xpay_auth", name = "Authentication")]
pub struct Authentication {
    inner: Arc<xpay_auth::Authentication>,
}

impl Authentication {
    pub fn new(inner: Arc<xpay_auth::Authentication>) -> Self {
        Authentication { inner }
    }
}

#[pymethods]
impl Authentication {
    /// The bearer token for every other call.
    #[getter]
    fn access_token(&self) -> &str {
        self.inner.access_token()
    }

    /// When the token stops working, in milliseconds since the Unix epoch.
    #[getter]
    fn expires_at(&self) -> i64 {
        self.inner.expires_at()
    }

    /// The account the token is for.
    #[getter]
    fn user(&self) -> User {
        User {
            inner: self.inner.user().clone(),
        }
    }

    /// The server's 32-hex-digit reference of this login.
    #[getter]
    fn ticket(&self) -> &str {
        self.inner.ticket()
    }

    /// The request's reference (`uuid`), for support.
    #[getter]
    fn uuid(&self) -> &str {
        self.inner.uuid()
    }

    /// The server's message, e.g. `Authenticated`.
    #[getter]
    fn message(&self) -> &str {
        self.inner.message()
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let a = &self.inner;
        format!(
            "Authentication(user={}, access_token={}, expires_at={}, ticket={}, uuid={}, message={})",
            user_repr(py, a.user()),
            repr_str(py, &redact_token(a.access_token())),
            a.expires_at(),
            repr_str(py, a.ticket()),
            repr_str(py, a.uuid()),
            repr_str(py, a.message())
        )
    }
}

/// The account a login was for.
#[pyclass(frozen, module = "xpay_auth", name = "User")]
pub struct User {
    inner: xpay_auth::User,
}

#[pymethods]
impl User {
    /// The account's username (its e-mail).
    #[getter]
    fn username(&self) -> &str {
        self.inner.username()
    }

    /// The scopes granted to the token, e.g. `["tme_user"]`.
    #[getter]
    fn scopes(&self) -> Vec<String> {
        self.inner.scopes().to_vec()
    }

    /// Whether this is an API (machine) login rather than a web console one.
    #[getter]
    fn is_api(&self) -> bool {
        self.inner.is_api()
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        user_repr(py, &self.inner)
    }
}

fn user_repr(py: Python<'_>, u: &xpay_auth::User) -> String {
    format!(
        "User(username={}, scopes={}, is_api={})",
        repr_str(py, u.username()),
        repr_strs(py, u.scopes()),
        if u.is_api() { "True" } else { "False" }
    )
}

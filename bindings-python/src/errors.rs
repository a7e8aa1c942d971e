//! Core errors to Python exceptions.
//!
//! The exception classes are plain Python (`xpay_auth/_exceptions.py`), so they pickle, subclass
//! and type-check like any other; this module only fills them from a core [`Error`] via that
//! module's `_from_native` factory, which picks the class for the error's code.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use xpay_auth::{Error, ErrorKind};

use crate::convert::Json;

static FACTORY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The Python exception for a core error: an `XPayError` subclass chosen by its code.
pub fn to_py_err(py: Python<'_>, error: &Error) -> PyErr {
    match build(py, error) {
        Ok(exception) => PyErr::from_value(exception),
        // Only reachable if the package's own Python half is broken; still say what failed.
        Err(broken) => PyRuntimeError::new_err(format!(
            "{error} (and xpay_auth._exceptions could not be used: {broken})"
        )),
    }
}

fn build<'py>(py: Python<'py>, error: &Error) -> PyResult<Bound<'py, PyAny>> {
    let factory = FACTORY.get_or_try_init(py, || {
        py.import("xpay_auth._exceptions")?
            .getattr("_from_native")
            .map(Bound::unbind)
    })?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("code", error.code())?;
    kwargs.set_item("description", error.to_string())?;
    kwargs.set_item("status", error.status())?;
    kwargs.set_item("tag", error.tag())?;
    kwargs.set_item("uuid", error.uuid())?;
    kwargs.set_item("data", error.data().cloned().map(Json))?;
    kwargs.set_item("retry_after", error.retry_after().map(|d| d.as_secs_f64()))?;
    factory.bind(py).call((error.message(),), Some(&kwargs))
}

/// A binding-side argument problem, raised like the core's own (`InvalidArgumentError`).
pub fn invalid_argument(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidArgument, message)
}

/// Extension to turn a core `Result` into a `PyResult` while attached to the interpreter.
pub trait IntoPyResult<T> {
    /// Raises the matching `XPayError` subclass on failure.
    fn or_raise(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, Error> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py_err(py, &e))
    }
}

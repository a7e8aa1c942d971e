//! The Python face of xpay-auth: the native module `xpay_auth._native`.
//!
//! It converts types and errors and nothing else; behaviour is the core's (`xpay-auth`). The
//! pure-Python half (`python/xpay_auth/`) holds the exception classes and re-exports these.
//!
//! | file | holds |
//! |---|---|
//! | `client.rs`, `session.rs` | `Client`, `Session` (blocking core, GIL released while waiting) |
//! | `async_client.rs`, `async_session.rs` | `AsyncClient`, `AsyncSession` (awaitables) |
//! | `asyncio.rs` | core futures to asyncio awaitables on the core's fork-aware runtime |
//! | `auth.rs` | `Authentication`, `User` |
//! | `errors.rs` | core `Error` to the `XPayError` subclasses |
//! | `convert.rs`, `options.rs`, `credentials.rs` | Python values, options and credentials |

mod async_client;
mod async_session;
mod asyncio;
mod auth;
mod client;
mod convert;
mod credentials;
mod errors;
mod options;
mod session;
mod stats;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

/// The module `xpay_auth._native`.
#[pymodule(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", xpay_auth::VERSION)?;
    m.add("USER_AGENT", xpay_auth::user_agent_for("python"))?;
    m.add_class::<client::Client>()?;
    m.add_class::<session::Session>()?;
    m.add_class::<async_client::AsyncClient>()?;
    m.add_class::<async_session::AsyncSession>()?;
    m.add_class::<auth::Authentication>()?;
    m.add_class::<auth::User>()?;
    m.add_function(wrap_pyfunction!(redact_token, m)?)?;
    m.add_function(wrap_pyfunction!(asyncio::drain, m)?)?;
    Ok(())
}

/// A token as it may appear in logs: its first characters and its length, e.g.
/// `eyJhbG…(412 chars)`.
#[pyfunction]
fn redact_token(token: &str) -> String {
    xpay_auth::redact_token(token)
}

static LOGGING: PyOnceLock<()> = PyOnceLock::new();

/// Connects the core's log records to Python's `logging`, once, when the first client is made
/// (not at import: `logging` alone would triple the import time of `xpay_auth`).
pub(crate) fn ensure_logging(py: Python<'_>) {
    LOGGING.get_or_init(py, || install_logging(py));
}

/// Sends the core's log records (target `xpay_auth`; they never hold secrets) to Python's
/// `logging` logger `xpay_auth`. Other crates' records are dropped before taking the GIL.
///
/// Levels are looked up in Python on each record (no level cache), so `logging` configured
/// after import, e.g. by pytest's `caplog`, takes effect.
fn install_logging(py: Python<'_>) {
    let logger = pyo3_log::Logger::new(py, pyo3_log::Caching::Loggers).map(|l| {
        l.filter(log::LevelFilter::Off)
            .filter_target("xpay_auth".to_owned(), log::LevelFilter::Trace)
            // The request span's mirror records repeat the summary line; one line a request.
            .filter_target("xpay_auth::span".to_owned(), log::LevelFilter::Off)
    });
    // Another logger already installed in this process (e.g. a second import after a module
    // reload) keeps its place; logging is a convenience, never a reason to fail the import.
    if let Ok(logger) = logger {
        let _ = logger.install();
    }
}

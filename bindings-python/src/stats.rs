//! `session.stats()` as a Python dict (the core's figures, field names as in the contract).

use pyo3::prelude::*;
use pyo3::types::PyDict;
use xpay_auth::SessionStats;

/// `{"logins", "renewals", "renewal_failures", "waits", "backoff_until_ms", "expires_at_ms"}`.
pub fn to_dict<'py>(py: Python<'py>, stats: &SessionStats) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("logins", stats.logins)?;
    dict.set_item("renewals", stats.renewals)?;
    dict.set_item("renewal_failures", stats.renewal_failures)?;
    dict.set_item("waits", stats.waits)?;
    dict.set_item("backoff_until_ms", stats.backoff_until_ms)?;
    dict.set_item("expires_at_ms", stats.expires_at_ms)?;
    Ok(dict)
}

//! The keyword arguments of `Client(...)` / `AsyncClient(...)`, turned into the core's builder.
//!
//! Defaults and checks are the core's: an option left as `None` is not passed on, so the core
//! default applies (base URL from `XPAY_BASE_URL`, ...). Only `timeout` and `max_retries` show
//! their default in the signature, because `api.md` spells the Python signature that way.

use xpay_auth::{user_agent_for, ClientBuilder, Error};

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
        Ok(builder)
    }

    /// `timeout=30.0 max_retries=2`, for `repr()`.
    pub fn summary(&self) -> String {
        format!(
            "timeout={:?} max_retries={}",
            self.timeout, self.max_retries
        )
    }
}

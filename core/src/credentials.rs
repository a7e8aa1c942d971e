//! An account's login: the username and the secret key, which is wiped from memory on drop and
//! never shown by `Debug`.

use std::fmt;

use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Environment variable read by [`Credentials::from_env`] for the username.
pub const ENV_USERNAME: &str = "XPAY_USERNAME";
/// Environment variable read by [`Credentials::from_env`] for the secret key.
pub const ENV_SECRET_KEY: &str = "XPAY_SECRET_KEY";

/// The username (the account's e-mail) and secret key of an xPay account.
///
/// `Debug` shows the username only; the secret key is zeroed when the value is dropped.
#[derive(Clone)]
pub struct Credentials {
    username: String,
    secret_key: Zeroizing<String>,
    is_api: bool,
}

impl Credentials {
    /// Credentials from a username and a secret key. They are checked (non-empty) when used,
    /// before any network I/O.
    pub fn new(username: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Credentials {
            username: username.into(),
            secret_key: Zeroizing::new(secret_key.into()),
            is_api: true,
        }
    }

    /// Logs in as an API (machine) user when `true`, the default; the web console uses `false`.
    pub fn with_is_api(mut self, is_api: bool) -> Self {
        self.is_api = is_api;
        self
    }

    /// Whether the login is an API (machine) login.
    pub fn is_api(&self) -> bool {
        self.is_api
    }

    /// Credentials from `XPAY_USERNAME` and `XPAY_SECRET_KEY`.
    ///
    /// Fails with `invalid_argument` naming the variable that is missing or empty.
    pub fn from_env() -> Result<Self> {
        let creds = Credentials::new(env_var(ENV_USERNAME)?, env_var(ENV_SECRET_KEY)?);
        Ok(creds)
    }

    /// The username (the account's e-mail).
    pub fn username(&self) -> &str {
        &self.username
    }

    pub(crate) fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// Fails with `invalid_argument` when the username or the secret key is empty.
    pub(crate) fn validate(&self) -> Result<()> {
        if self.username.trim().is_empty() {
            return Err(Error::invalid_argument(
                "the username is empty: pass the account's e-mail",
            ));
        }
        if self.secret_key.is_empty() {
            return Err(Error::invalid_argument(
                "the secret key is empty: pass the account's secret key",
            ));
        }
        Ok(())
    }
}

fn env_var(name: &str) -> Result<String> {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => Ok(value),
        _ => Err(Error::invalid_argument(format!(
            "no credentials given and {name} is not set: pass a username and secret key, or set \
             {ENV_USERNAME} and {ENV_SECRET_KEY}"
        ))),
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("secret_key", &"<redacted>")
            .field("is_api", &self.is_api)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_secret() {
        let c = Credentials::new("me@example.com", "s3cr3t-value");
        let s = format!("{c:?}");
        assert!(s.contains("me@example.com"));
        assert!(!s.contains("s3cr3t"), "{s}");
    }

    #[test]
    fn empty_fields_are_invalid_arguments() {
        for (u, k) in [("", "k"), ("  ", "k"), ("u", "")] {
            let e = Credentials::new(u, k).validate().unwrap_err();
            assert_eq!(e.code(), "invalid_argument");
        }
        assert!(Credentials::new("u", "k").validate().is_ok());
    }
}

//! The arguments of `client.session(...)` as core credentials.

use xpay_auth::{Credentials, Error, ENV_SECRET_KEY, ENV_USERNAME};

use crate::errors::invalid_argument;

/// Both given: those; neither: `XPAY_USERNAME` / `XPAY_SECRET_KEY` (the core reads them);
/// one alone is a mistake worth an error rather than a silent mix of argument and environment.
pub fn for_session(
    username: Option<&str>,
    secret_key: Option<&str>,
    is_api: bool,
) -> Result<Credentials, Error> {
    let credentials = match (username, secret_key) {
        (Some(u), Some(k)) => Credentials::new(u, k),
        (None, None) => Credentials::from_env()?,
        _ => {
            return Err(invalid_argument(format!(
                "pass both username and secret_key, or neither to read {ENV_USERNAME} and \
                 {ENV_SECRET_KEY}"
            )))
        }
    };
    Ok(credentials.with_is_api(is_api))
}

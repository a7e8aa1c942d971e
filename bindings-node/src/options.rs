//! The option objects of the JS API: `new Client({ baseUrl, timeoutMs, ... })` and credentials
//! `{ username, secretKey, isApi }`, read into the core's builder and `Credentials`. Defaults
//! and checks beyond the JS types are the core's.

use std::time::Duration;

use napi::bindgen_prelude::Unknown;
use xpay_auth::{ClientBuilder, Credentials};

use crate::convert::{boolean, options_object, string, whole_number};
use crate::errors::invalid_argument;

type CoreResult<T> = Result<T, xpay_auth::Error>;

/// The largest integer a JS number holds exactly (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

const CLIENT_OPTIONS: &[&str] = &[
    "baseUrl",
    "timeoutMs",
    "connectTimeoutMs",
    "maxRetries",
    "userAgent",
    "maxBodyBytes",
    "refreshBeforeMs",
    "retryBackoffMs",
    "caBundle",
    "tlsRoots",
    "clientCert",
    "clientKey",
    "proxy",
];

const CREDENTIALS: &[&str] = &["username", "secretKey", "isApi"];

/// A client builder from the constructor's options (all optional); the `User-Agent` names
/// this face unless the caller sets one.
pub(crate) fn client_builder(options: Option<Unknown<'_>>) -> CoreResult<ClientBuilder> {
    let mut builder =
        xpay_auth::Client::builder().user_agent(xpay_auth::user_agent_for(crate::FACE));
    let Some(o) = options_object(options, "the client options", CLIENT_OPTIONS)? else {
        return Ok(builder);
    };
    let millis = |key| {
        Ok::<_, xpay_auth::Error>(
            whole_number(&o, key, MAX_SAFE_INTEGER)?.map(Duration::from_millis),
        )
    };
    if let Some(url) = string(&o, "baseUrl")? {
        builder = builder.base_url(url);
    }
    if let Some(t) = millis("timeoutMs")? {
        builder = builder.timeout(t);
    }
    if let Some(t) = millis("connectTimeoutMs")? {
        builder = builder.connect_timeout(t);
    }
    if let Some(n) = whole_number(&o, "maxRetries", u64::from(u32::MAX))? {
        builder = builder.max_retries(n as u32);
    }
    if let Some(ua) = string(&o, "userAgent")? {
        builder = builder.user_agent(ua);
    }
    if let Some(n) = whole_number(&o, "maxBodyBytes", MAX_SAFE_INTEGER)? {
        builder = builder.max_body_bytes(usize::try_from(n).unwrap_or(usize::MAX));
    }
    if let Some(t) = millis("refreshBeforeMs")? {
        builder = builder.refresh_before(t);
    }
    if let Some(t) = millis("retryBackoffMs")? {
        builder = builder.retry_backoff(t);
    }
    // Networks: PEM as a string or a Buffer.
    if let Some(pem) = crate::convert::string_or_buffer(&o, "caBundle")? {
        builder = builder.ca_bundle_pem(&pem);
    }
    if let Some(roots) = string(&o, "tlsRoots")? {
        builder = builder.tls_roots(xpay_auth::TlsRoots::parse(&roots)?);
    }
    match (
        crate::convert::string_or_buffer(&o, "clientCert")?,
        crate::convert::string_or_buffer(&o, "clientKey")?,
    ) {
        (None, None) => {}
        (Some(cert), Some(key)) => builder = builder.client_identity_pem(&cert, &key),
        _ => {
            return Err(invalid_argument(
                "clientCert and clientKey go together: give both",
            ))
        }
    }
    if let Some(url) = string(&o, "proxy")? {
        builder = builder.proxy(url);
    }
    Ok(builder)
}

const SESSION_OPTIONS: &[&str] = &["store"];

/// The token store URL of `client.session(credentials, { store })`, if given.
pub(crate) fn session_store(value: Option<Unknown<'_>>) -> CoreResult<Option<String>> {
    match options_object(value, "the session options", SESSION_OPTIONS)? {
        Some(o) => string(&o, "store"),
        None => Ok(None),
    }
}

/// Credentials from `{ username, secretKey, isApi? }`; `None` when nothing was passed (the
/// caller then reads the environment). Empty strings are left to the core's check.
pub(crate) fn credentials(value: Option<Unknown<'_>>) -> CoreResult<Option<Credentials>> {
    let Some(o) = options_object(value, "the credentials", CREDENTIALS)? else {
        return Ok(None);
    };
    let required = |key: &str| {
        string(&o, key)?
            .ok_or_else(|| invalid_argument(format!("the credentials need {key} (a string)")))
    };
    let username = required("username")?;
    let secret_key = required("secretKey")?;
    let is_api = boolean(&o, "isApi")?.unwrap_or(true);
    Ok(Some(
        Credentials::new(username, secret_key).with_is_api(is_api),
    ))
}

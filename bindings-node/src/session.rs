//! `Session`: the core's token cache for one account. Network methods return Promises; many
//! Promises may share one session (the core makes them share one login).

use std::sync::Arc;

use napi::bindgen_prelude::{PromiseRaw, Unknown};
use napi::Env;
use napi_derive::napi;

use crate::authentication::Authentication;
use crate::convert;
use crate::errors;
use crate::promise;

/// A client plus one account's credentials, with a token cache.
#[napi]
pub struct Session {
    inner: xpay_auth::Session,
}

impl Session {
    pub(crate) fn new(inner: xpay_auth::Session) -> Self {
        Session { inner }
    }
}

#[napi]
impl Session {
    /// A valid access token: the cached one while fresh, else after one shared login.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn access_token<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, String>> {
        let session = self.inner.clone();
        promise::spawn(
            env,
            async move { session.access_token().await },
            |_, token| Ok(token),
        )
    }

    /// The current login (cached, renewed or new).
    #[napi(catch_unwind, ts_return_type = "Promise<Authentication>")]
    pub fn authentication<'env>(
        &self,
        env: &'env Env,
    ) -> napi::Result<PromiseRaw<'env, Authentication>> {
        let session = self.inner.clone();
        promise::spawn(
            env,
            async move { session.authentication().await },
            |_, auth: Arc<xpay_auth::Authentication>| Ok(Authentication::new(auth)),
        )
    }

    /// POSTs `body` (any JSON-compatible value; `undefined` is `null`) to `path` with the
    /// bearer token and resolves with `success.data` as a JS value. `options.uuid` sets the
    /// request's reference instead of a fresh one.
    #[napi(catch_unwind, ts_return_type = "Promise<unknown>")]
    pub fn call<'env>(
        &self,
        env: &'env Env,
        path: Unknown<'_>,
        body: Option<Unknown<'_>>,
        options: Option<Unknown<'_>>,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let arguments =
            call_arguments(env, path, body, options).map_err(|e| errors::to_js(env, &e))?;
        let (path, body, uuid) = arguments;
        let session = self.inner.clone();
        promise::spawn(
            env,
            async move { session.call_with_uuid(&path, &body, uuid.as_deref()).await },
            |env, data| convert::json_to_js(env, &data),
        )
    }

    /// POSTs the JSON text `text` to `path` byte for byte (once checked to be one JSON value)
    /// and resolves with `success.data` as the exact text the server sent: no number ever goes
    /// through a double. `options.uuid` as for `call`.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn call_raw<'env>(
        &self,
        env: &'env Env,
        path: Unknown<'_>,
        text: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let arguments =
            raw_call_arguments(path, text, options).map_err(|e| errors::to_js(env, &e))?;
        let (path, text, uuid) = arguments;
        let session = self.inner.clone();
        promise::spawn(
            env,
            async move {
                session
                    .call_raw_with_uuid(&path, &text, uuid.as_deref())
                    .await
            },
            |_, data| Ok(data),
        )
    }

    /// The cached token while it is fresh, else `null` (then use `accessToken()`). Synchronous:
    /// spares the common case a trip through the runtime. Used by index.js, not exported.
    #[napi(catch_unwind)]
    pub fn cached_access_token(&self) -> Option<String> {
        self.inner
            .cached()
            .map(|auth| auth.access_token().to_owned())
    }

    /// Drops the cached token; the next use logs in again.
    #[napi(catch_unwind)]
    pub fn invalidate(&self) {
        self.inner.invalidate();
    }

    /// `"Bearer <token>"` for your own HTTP client's `Authorization` header.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn authorization_header<'env>(
        &self,
        env: &'env Env,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let session = self.inner.clone();
        promise::spawn(
            env,
            async move { session.authorization_header().await },
            |_, header| Ok(header),
        )
    }

    /// The header to send a request again with after the server answered 401 to `rejected`:
    /// drops that token (if still cached) and resolves with a fresh one's (one shared login).
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn reauthorize<'env>(
        &self,
        env: &'env Env,
        rejected: String,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let session = self.inner.clone();
        promise::spawn(
            env,
            async move { session.reauthorize(&rejected).await },
            |_, header| Ok(header),
        )
    }

    /// The core's counts for this session, its back-off end and its token's expiry.
    #[napi(catch_unwind)]
    pub fn stats(&self) -> SessionStats {
        let s = self.inner.stats();
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        SessionStats {
            logins: count(s.logins),
            renewals: count(s.renewals),
            renewal_failures: count(s.renewal_failures),
            waits: count(s.waits),
            backoff_until_ms: s.backoff_until_ms,
            expires_at_ms: s.expires_at_ms,
        }
    }

    /// The account's username.
    #[napi(getter, catch_unwind)]
    pub fn username(&self) -> String {
        self.inner.username().to_owned()
    }

    /// A one-line description: the core's redacted view (token prefix and length only).
    #[napi(js_name = "toString", catch_unwind)]
    pub fn describe(&self) -> String {
        format!("{:?}", self.inner)
    }
}

/// What a session counted since it was made, and its state now (`session.stats()`).
#[napi(object)]
pub struct SessionStats {
    /// Login requests this session sent (every attempt counts, retries too).
    pub logins: i64,
    /// Background renewals started.
    pub renewals: i64,
    /// Background renewals that failed.
    pub renewal_failures: i64,
    /// Callers that had to wait for a login (the one that started it included).
    pub waits: i64,
    /// End of the current failed-login back-off (ms since the epoch), 0 when none.
    pub backoff_until_ms: i64,
    /// The current token's `expiresAt` (ms since the epoch), 0 when there is none.
    pub expires_at_ms: i64,
}

type CallArguments = (String, serde_json::Value, Option<String>);

fn raw_call_arguments(
    path: Unknown<'_>,
    text: Unknown<'_>,
    options: Option<Unknown<'_>>,
) -> Result<(String, String, Option<String>), xpay_auth::Error> {
    let path = convert::path(path)?;
    let text = convert::json_text(text)?;
    Ok((path, text, call_uuid(options)?))
}

fn call_uuid(options: Option<Unknown<'_>>) -> Result<Option<String>, xpay_auth::Error> {
    match convert::options_object(options, "the call options", &["uuid"])? {
        Some(o) => convert::string(&o, "uuid"),
        None => Ok(None),
    }
}

fn call_arguments(
    env: &Env,
    path: Unknown<'_>,
    body: Option<Unknown<'_>>,
    options: Option<Unknown<'_>>,
) -> Result<CallArguments, xpay_auth::Error> {
    let path = convert::path(path)?;
    let body = convert::js_to_json(env, body)?;
    Ok((path, body, call_uuid(options)?))
}

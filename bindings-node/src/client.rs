//! `Client`: the core's async client, built from JS options. `authenticate` returns a Promise;
//! `session` hands out a `Session` sharing this client's connection pool.

use std::sync::Arc;

use napi::bindgen_prelude::{PromiseRaw, Unknown};
use napi::Env;
use napi_derive::napi;

use crate::authentication::Authentication;
use crate::errors;
use crate::options;
use crate::promise;
use crate::session::Session;

/// An xPay client: configuration plus a pool of keep-alive connections.
#[napi]
pub struct Client {
    inner: xpay_auth::Client,
}

#[napi]
impl Client {
    /// `new Client({ baseUrl, timeoutMs, connectTimeoutMs, maxRetries, userAgent, ... })`;
    /// every option is optional. A bad option throws `invalid_argument`.
    #[napi(constructor, catch_unwind)]
    pub fn new(env: Env, options: Option<Unknown<'_>>) -> napi::Result<Self> {
        options::client_builder(options)
            .and_then(|builder| builder.build())
            .map(|inner| Client { inner })
            .map_err(|e| errors::to_js(&env, &e))
    }

    /// Logs in once (no caching). Resolves with an `Authentication`.
    #[napi(catch_unwind, ts_return_type = "Promise<Authentication>")]
    pub fn authenticate<'env>(
        &self,
        env: &'env Env,
        credentials: Option<Unknown<'_>>,
    ) -> napi::Result<PromiseRaw<'env, Authentication>> {
        let credentials = options::credentials(credentials)
            .and_then(|c| {
                c.ok_or_else(|| {
                    errors::invalid_argument(
                        "authenticate needs { username, secretKey } (use a session for the \
                         environment's credentials)",
                    )
                })
            })
            .map_err(|e| errors::to_js(env, &e))?;
        let client = self.inner.clone();
        promise::spawn(
            env,
            async move { client.authenticate(&credentials).await },
            |_, auth| Ok(Authentication::new(Arc::new(auth))),
        )
    }

    /// A session (token cache) for `{ username, secretKey, isApi? }`, or for `XPAY_USERNAME` /
    /// `XPAY_SECRET_KEY` when called without credentials; `options`: `{ store? }`, the token
    /// store URL (default `XPAY_TOKEN_STORE`, else `memory:`).
    #[napi(catch_unwind)]
    pub fn session(
        &self,
        env: Env,
        credentials: Option<Unknown<'_>>,
        options: Option<Unknown<'_>>,
    ) -> napi::Result<Session> {
        let session = options::session_store(options).and_then(|store| {
            let credentials = match options::credentials(credentials)? {
                Some(credentials) => credentials,
                None => xpay_auth::Credentials::from_env()?,
            };
            let builder = self.inner.session_builder(credentials);
            match store {
                Some(url) => builder.store(url),
                None => builder,
            }
            .build()
        });
        session
            .map(Session::new)
            .map_err(|e| errors::to_js(&env, &e))
    }

    /// Closes the connection pool; later requests fail with `invalid_argument`.
    #[napi(catch_unwind)]
    pub fn close(&self) {
        self.inner.close();
    }

    /// Whether `close()` was called.
    #[napi(getter, catch_unwind)]
    pub fn closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// The base URL requests go to.
    #[napi(getter, catch_unwind)]
    pub fn base_url(&self) -> String {
        self.inner.base_url().to_owned()
    }

    /// A one-line description (no secrets in a client).
    #[napi(js_name = "toString", catch_unwind)]
    pub fn describe(&self) -> String {
        format!(
            "Client {{ baseUrl: {:?}, closed: {} }}",
            self.inner.base_url(),
            self.inner.is_closed()
        )
    }
}

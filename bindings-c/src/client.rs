//! `xpay_client` and the one-off login `xpay_authenticate`.

use std::ffi::c_char;

use sdk::{blocking, Credentials};

use crate::auth::xpay_auth;
use crate::boundary::{fallible, free_c, infallible, into_c, obj_arg, out_arg, str_arg};
use crate::config::xpay_config;
use crate::error::xpay_error;
use crate::status::xpay_status;

/// Configuration plus a pool of keep-alive connections. Safe to share between threads; every
/// function taking a `const xpay_client *` may run concurrently on the same client.
///
/// Made by `xpay_client_new`, owned by the caller, freed with `xpay_client_free`. Sessions
/// made from it keep what they need: the client may be freed before them.
#[allow(non_camel_case_types)]
pub struct xpay_client {
    pub(crate) inner: blocking::Client,
}

/// Makes a client from `cfg` (NULL: every option at its default, base URL from
/// `XPAY_BASE_URL`). The `User-Agent` is `xpay-auth-c/<version>`. On success `*out` is a new
/// client for the caller to free; on failure it is NULL. Bad options fail with
/// `XPAY_ERR_INVALID_ARGUMENT`; no network I/O happens here.
///
/// # Safety
/// `cfg` is NULL or a live config; `out` is NULL or a writable slot; `err` is NULL or a
/// writable `xpay_error *` slot.
#[no_mangle]
pub unsafe extern "C" fn xpay_client_new(
    cfg: *const xpay_config,
    out: *mut *mut xpay_client,
    err: *mut *mut xpay_error,
) -> xpay_status {
    fallible(err, || {
        // First, so that a failure on any argument leaves it NULL.
        let out = out_arg(out, "out")?;
        let builder = match cfg.as_ref() {
            Some(cfg) => cfg.builder(),
            None => xpay_config::default().builder(),
        };
        *out = into_c(xpay_client {
            inner: builder.build()?,
        });
        Ok(())
    })
}

/// Frees a client (its idle connections close once no session uses them). NULL is a no-op.
///
/// # Safety
/// `client` is NULL or a client from `xpay_client_new`, freed at most once, with no call on it
/// still running.
#[no_mangle]
pub unsafe extern "C" fn xpay_client_free(client: *mut xpay_client) {
    infallible((), || free_c(client))
}

/// Logs in once (`POST /client/authenticate`; no caching: use a session for that). The
/// strings are copied. Empty credentials fail with `XPAY_ERR_INVALID_ARGUMENT` before any
/// network I/O; refused credentials with `XPAY_ERR_AUTHENTICATION`. On success `*out` is a new
/// `xpay_auth` for the caller to free with `xpay_auth_free`; on failure it is NULL.
/// Blocks the calling thread until done.
///
/// # Safety
/// `client` is NULL or a live client; `username` and `secret_key` are NULL or NUL-terminated
/// strings; `out` is NULL or a writable slot; `err` is NULL or a writable `xpay_error *` slot.
#[no_mangle]
pub unsafe extern "C" fn xpay_authenticate(
    client: *const xpay_client,
    username: *const c_char,
    secret_key: *const c_char,
    is_api: bool,
    out: *mut *mut xpay_auth,
    err: *mut *mut xpay_error,
) -> xpay_status {
    fallible(err, || {
        // First, so that a failure on any argument leaves it NULL.
        let out = out_arg(out, "out")?;
        let client = obj_arg(client, "client")?;
        let username = str_arg(username, "username")?;
        let secret_key = str_arg(secret_key, "secret_key")?;
        let credentials = Credentials::new(username, secret_key).with_is_api(is_api);
        let auth = client.inner.authenticate(&credentials)?;
        *out = into_c(xpay_auth::convert(&auth)?);
        Ok(())
    })
}

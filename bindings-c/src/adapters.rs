//! The session's token for the caller's own HTTP client (libcurl's `CURLOPT_HTTPHEADER` or
//! `CURLOPT_XOAUTH2_BEARER`), the header to re-send with after a 401, and the session's
//! figures (`xpay_session_stats`).

use std::ffi::c_char;

use zeroize::Zeroizing;

use crate::boundary::{exact_c_string, fallible, obj_arg, out_arg, str_arg};
use crate::error::xpay_error;
use crate::session::xpay_session;
use crate::status::xpay_status;
use crate::strings::give_string;

/// `"Bearer <token>"`, the `Authorization` header value for your own HTTP client (e.g.
/// `curl_slist_append(list, "Authorization: " ...)` or, after the `"Bearer "`, libcurl's
/// `CURLOPT_XOAUTH2_BEARER`): the cached token while fresh, else after one login shared with
/// every concurrent caller. On success `*out` is a new string owned by the caller, freed with
/// `xpay_string_free`; on failure it is NULL. Blocks the calling thread until done.
///
/// # Safety
/// `session` is NULL or a live session; `out` is NULL or a writable slot; `err` is NULL or a
/// writable `xpay_error *` slot.
#[no_mangle]
pub unsafe extern "C" fn xpay_session_authorization_header(
    session: *mut xpay_session,
    out: *mut *mut c_char,
    err: *mut *mut xpay_error,
) -> xpay_status {
    fallible(err, || {
        // First, so that a failure on any argument leaves it NULL.
        let out = out_arg(out, "out")?;
        let session = obj_arg(session, "session")?;
        let header = Zeroizing::new(session.inner.authorization_header()?);
        *out = give_string(exact_c_string(&header, "authorization header")?);
        Ok(())
    })
}

/// The header to send a request again with after the server answered HTTP 401 to `rejected`
/// (a header from `xpay_session_authorization_header`, or the bare token): drops that token if
/// it is still the cached one (never a newer one another thread already got) and returns the
/// header of a fresh token, through the session's one shared login. Ownership of `*out` as for
/// `xpay_session_authorization_header`. (An addition to the contract.)
///
/// # Safety
/// `session` is NULL or a live session; `rejected` is NULL or a NUL-terminated string; `out`
/// is NULL or a writable slot; `err` is NULL or a writable `xpay_error *` slot.
#[no_mangle]
pub unsafe extern "C" fn xpay_session_reauthorize(
    session: *mut xpay_session,
    rejected: *const c_char,
    out: *mut *mut c_char,
    err: *mut *mut xpay_error,
) -> xpay_status {
    fallible(err, || {
        // First, so that a failure on any argument leaves it NULL.
        let out = out_arg(out, "out")?;
        let session = obj_arg(session, "session")?;
        let rejected = str_arg(rejected, "rejected")?;
        let header = Zeroizing::new(session.inner.reauthorize(rejected)?);
        *out = give_string(exact_c_string(&header, "authorization header")?);
        Ok(())
    })
}

/// What a session counted since it was made (`xpay_session_stats`), and its state now.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct xpay_session_stats_t {
    /// Login requests this session sent (every attempt counts, retries too).
    pub logins: u64,
    /// Background renewals started.
    pub renewals: u64,
    /// Background renewals that failed.
    pub renewal_failures: u64,
    /// Callers that had to wait for a login (the one that started it included).
    pub waits: u64,
    /// End of the current failed-login back-off, in ms since the Unix epoch; 0 when none.
    pub backoff_until_ms: i64,
    /// The current token's `expiresAt` (ms since the Unix epoch); 0 when there is none.
    pub expires_at_ms: i64,
}

/// Fills `*out` with the session's counts (kept by the core), its back-off end and its
/// token's expiry. Never blocks on the network. `XPAY_ERR_INVALID_ARGUMENT` when `session` or
/// `out` is NULL (then `*out` is untouched).
///
/// # Safety
/// `session` is NULL or a live session; `out` is NULL or points to writable memory for one
/// `xpay_session_stats_t`.
#[no_mangle]
pub unsafe extern "C" fn xpay_session_stats(
    session: *const xpay_session,
    out: *mut xpay_session_stats_t,
) -> xpay_status {
    fallible(std::ptr::null_mut(), || {
        let session = obj_arg(session, "session")?;
        let out = out
            .as_mut()
            .ok_or_else(|| crate::boundary::invalid("out", "must not be NULL"))?;
        let s = session.inner.stats();
        *out = xpay_session_stats_t {
            logins: s.logins,
            renewals: s.renewals,
            renewal_failures: s.renewal_failures,
            waits: s.waits,
            backoff_until_ms: s.backoff_until_ms,
            expires_at_ms: s.expires_at_ms,
        };
        Ok(())
    })
}

//! `xpay_session`: one account's token cache, and authenticated calls through it.

use std::ffi::c_char;

use sdk::{blocking, Credentials};
use serde_json::value::RawValue;

use crate::auth::xpay_auth;
use crate::boundary::{
    exact_c_string, fallible, free_c, infallible, into_c, invalid, obj_arg, out_arg, str_arg,
};
use crate::client::xpay_client;
use crate::error::xpay_error;
use crate::status::xpay_status;
use crate::strings::give_string;

/// A client plus one account's credentials, with a token cache: the token is reused while
/// fresh, renewed in the background shortly before it expires, and concurrent callers on a
/// cold session share one login. Safe to share between threads: every session function may
/// run concurrently on the same session.
///
/// Made by `xpay_session_new`, owned by the caller, freed with `xpay_session_free` (the secret
/// key is zeroed then). It keeps its client's connection pool alive on its own.
#[allow(non_camel_case_types)]
pub struct xpay_session {
    pub(crate) inner: blocking::Session,
}

/// Makes a session for one account on `client`. The strings are copied; nothing is sent yet,
/// and credentials are checked at the first login (an empty one then fails with
/// `XPAY_ERR_INVALID_ARGUMENT`). On success `*out` is a new session for the caller to free;
/// on failure it is NULL.
///
/// # Safety
/// `client` is NULL or a live client; `username` and `secret_key` are NULL or NUL-terminated
/// strings; `out` is NULL or a writable slot; `err` is NULL or a writable `xpay_error *` slot.
#[no_mangle]
pub unsafe extern "C" fn xpay_session_new(
    client: *const xpay_client,
    username: *const c_char,
    secret_key: *const c_char,
    out: *mut *mut xpay_session,
    err: *mut *mut xpay_error,
) -> xpay_status {
    fallible(err, || {
        // First, so that a failure on any argument leaves it NULL.
        let out = out_arg(out, "out")?;
        let client = obj_arg(client, "client")?;
        let username = str_arg(username, "username")?;
        let secret_key = str_arg(secret_key, "secret_key")?;
        let inner = client.inner.session(Credentials::new(username, secret_key));
        *out = into_c(xpay_session { inner });
        Ok(())
    })
}

/// Makes a session like `xpay_session_new` that keeps its token in the store `store_url`
/// names, so that other sessions and processes reuse it: `"memory:"` (this session only),
/// `"file:<directory>"` (the processes of this host), `"redis://host:port/db"` or
/// `"rediss://…"` (a fleet). `store_url` NULL: `XPAY_TOKEN_STORE`, else `"memory:"`. A URL
/// that names no store fails with `XPAY_ERR_INVALID_ARGUMENT` (nothing is sent). A store that
/// fails later never fails a call: the session then logs in by itself. On success `*out` is a
/// new session for the caller to free; on failure it is NULL.
///
/// # Safety
/// As `xpay_session_new`; `store_url` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn xpay_session_new_with_store(
    client: *const xpay_client,
    username: *const c_char,
    secret_key: *const c_char,
    store_url: *const c_char,
    out: *mut *mut xpay_session,
    err: *mut *mut xpay_error,
) -> xpay_status {
    fallible(err, || {
        // First, so that a failure on any argument leaves it NULL.
        let out = out_arg(out, "out")?;
        let client = obj_arg(client, "client")?;
        let username = str_arg(username, "username")?;
        let secret_key = str_arg(secret_key, "secret_key")?;
        let builder = client
            .inner
            .session_builder(Credentials::new(username, secret_key));
        let builder = if store_url.is_null() {
            builder
        } else {
            builder.store(str_arg(store_url, "store_url")?)
        };
        let inner = builder.build()?;
        *out = into_c(xpay_session { inner });
        Ok(())
    })
}

/// Makes a session with the credentials from `XPAY_USERNAME` and `XPAY_SECRET_KEY`; fails
/// with `XPAY_ERR_INVALID_ARGUMENT` naming the variable that is missing or empty. On success
/// `*out` is a new session for the caller to free; on failure it is NULL. (An addition to the
/// contract.)
///
/// # Safety
/// `client` is NULL or a live client; `out` is NULL or a writable slot; `err` is NULL or a
/// writable `xpay_error *` slot.
#[no_mangle]
pub unsafe extern "C" fn xpay_session_new_from_env(
    client: *const xpay_client,
    out: *mut *mut xpay_session,
    err: *mut *mut xpay_error,
) -> xpay_status {
    fallible(err, || {
        // First, so that a failure on any argument leaves it NULL.
        let out = out_arg(out, "out")?;
        let client = obj_arg(client, "client")?;
        let inner = client.inner.session_from_env()?;
        *out = into_c(xpay_session { inner });
        Ok(())
    })
}

/// A valid access token: the cached one while fresh, else after one login shared with every
/// concurrent caller. On success `*token_out` is a new string owned by the caller, freed with
/// `xpay_string_free`; on failure it is NULL. Blocks the calling thread until done.
///
/// # Safety
/// `session` is NULL or a live session; `token_out` is NULL or a writable slot; `err` is NULL
/// or a writable `xpay_error *` slot.
#[no_mangle]
pub unsafe extern "C" fn xpay_session_access_token(
    session: *mut xpay_session,
    token_out: *mut *mut c_char,
    err: *mut *mut xpay_error,
) -> xpay_status {
    fallible(err, || {
        // First, so that a failure on any argument leaves it NULL.
        let out = out_arg(token_out, "token_out")?;
        let session = obj_arg(session, "session")?;
        let token = zeroize::Zeroizing::new(session.inner.access_token()?);
        *out = give_string(exact_c_string(&token, "access_token")?);
        Ok(())
    })
}

/// The session's current login (cached, renewed or new), e.g. to read its expiry or scopes.
/// On success `*out` is a new `xpay_auth` for the caller to free with `xpay_auth_free`; on
/// failure it is NULL. (An addition to the contract.)
///
/// # Safety
/// `session` is NULL or a live session; `out` is NULL or a writable slot; `err` is NULL or a
/// writable `xpay_error *` slot.
#[no_mangle]
pub unsafe extern "C" fn xpay_session_authentication(
    session: *mut xpay_session,
    out: *mut *mut xpay_auth,
    err: *mut *mut xpay_error,
) -> xpay_status {
    fallible(err, || {
        // First, so that a failure on any argument leaves it NULL.
        let out = out_arg(out, "out")?;
        let session = obj_arg(session, "session")?;
        let auth = session.inner.authentication()?;
        *out = into_c(xpay_auth::convert(&auth)?);
        Ok(())
    })
}

/// POSTs the JSON text `json_body` to `base URL + path` with the bearer token and returns the
/// reply's `success.data` as JSON text (`"null"` when it has none). On HTTP 401 the session
/// logs in again and retries once. `path` must start with a single `/` and have no `.` or `..`
/// segments; `json_body` must be one valid JSON value (e.g. `"{}"`, `"null"`), else
/// `XPAY_ERR_INVALID_ARGUMENT` and nothing is sent.
///
/// Money-safe: `json_body` is sent byte for byte as given (numbers, spaces and all; never
/// parsed into doubles and written again), and `*json_out` is `success.data` byte for byte as
/// the server wrote it, so `123456789012345678901` stays exactly that both ways.
/// On success `*json_out` is a new string owned by the caller, freed with `xpay_string_free`;
/// on failure it is NULL. Blocks the calling thread until done.
///
/// # Safety
/// `session` is NULL or a live session; `path` and `json_body` are NULL or NUL-terminated
/// strings; `json_out` is NULL or a writable slot; `err` is NULL or a writable `xpay_error *`
/// slot.
#[no_mangle]
pub unsafe extern "C" fn xpay_session_call(
    session: *mut xpay_session,
    path: *const c_char,
    json_body: *const c_char,
    json_out: *mut *mut c_char,
    err: *mut *mut xpay_error,
) -> xpay_status {
    call(session, path, json_body, std::ptr::null(), json_out, err)
}

/// `xpay_session_call` with the caller's own request reference: `uuid` is the `uuid` header
/// of every attempt (the retries and the re-send after a 401 included), e.g. to correlate the
/// call with the caller's records; NULL gives one fresh v4 uuid for the call, as
/// `xpay_session_call` does. The string is copied; one that is not printable ASCII (a valid
/// header value) is `XPAY_ERR_INVALID_ARGUMENT` and nothing is sent. (An addition to the
/// contract.)
///
/// # Safety
/// As `xpay_session_call`; `uuid` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn xpay_session_call_with_uuid(
    session: *mut xpay_session,
    path: *const c_char,
    json_body: *const c_char,
    uuid: *const c_char,
    json_out: *mut *mut c_char,
    err: *mut *mut xpay_error,
) -> xpay_status {
    call(session, path, json_body, uuid, json_out, err)
}

/// Both call functions: `uuid` NULL means a fresh one.
unsafe fn call(
    session: *mut xpay_session,
    path: *const c_char,
    json_body: *const c_char,
    uuid: *const c_char,
    json_out: *mut *mut c_char,
    err: *mut *mut xpay_error,
) -> xpay_status {
    fallible(err, || {
        // First, so that a failure on any argument leaves it NULL.
        let out = out_arg(json_out, "json_out")?;
        let session = obj_arg(session, "session")?;
        let path = str_arg(path, "path")?;
        let body_text = str_arg(json_body, "json_body")?;
        let uuid = if uuid.is_null() {
            None
        } else {
            Some(str_arg(uuid, "uuid")?)
        };
        // Checked here too, so that the error names the argument; the core checks it again.
        serde_json::from_str::<&RawValue>(body_text).map_err(|e| {
            invalid(
                "json_body",
                &format!("is not valid JSON: one JSON value is needed ({e})"),
            )
        })?;
        let data = session.inner.call_raw_with_uuid(path, body_text, uuid)?;
        *out = give_string(exact_c_string(&data, "success.data")?);
        Ok(())
    })
}

/// Drops the cached token; the next use logs in again. NULL is a no-op.
///
/// # Safety
/// `session` is NULL or a live session.
#[no_mangle]
pub unsafe extern "C" fn xpay_session_invalidate(session: *mut xpay_session) {
    infallible((), || {
        if let Some(session) = session.as_ref() {
            session.inner.invalidate();
        }
    })
}

/// Frees a session (its secret key is zeroed). NULL is a no-op. A background renewal still
/// running finishes on its own without touching the freed session.
///
/// # Safety
/// `session` is NULL or a session from this library, freed at most once, with no call on it
/// still running.
#[no_mangle]
pub unsafe extern "C" fn xpay_session_free(session: *mut xpay_session) {
    infallible((), || free_c(session))
}

//! `xpay_auth`: one login's result, with every string converted once and kept inside.

use std::ffi::{c_char, CString};
use std::ptr;

use sdk::{Authentication, Error};
use zeroize::Zeroize;

use crate::boundary::{exact_c_string, free_c, infallible};

/// The result of a login: access token, expiry, user (username, scopes, is-api), ticket,
/// request uuid and message.
///
/// Handed out by `xpay_authenticate` and `xpay_session_authentication`; owned by the caller,
/// freed with `xpay_auth_free`. Every string from its accessors is borrowed from it and lives
/// until `xpay_auth_free`. Read-only, so safe to read from several threads.
#[allow(non_camel_case_types)]
pub struct xpay_auth {
    access_token: CString,
    expires_at: i64,
    username: CString,
    scopes: Vec<CString>,
    is_api: bool,
    ticket: CString,
    uuid: CString,
    message: CString,
}

impl xpay_auth {
    /// Converts a core login; a string holding a NUL is a `decode` error.
    pub(crate) fn convert(auth: &Authentication) -> Result<xpay_auth, Error> {
        let user = auth.user();
        Ok(xpay_auth {
            access_token: exact_c_string(auth.access_token(), "access_token")?,
            expires_at: auth.expires_at(),
            username: exact_c_string(user.username(), "user.username")?,
            scopes: user
                .scopes()
                .iter()
                .map(|s| exact_c_string(s, "user.scopes"))
                .collect::<Result<_, _>>()?,
            is_api: user.is_api(),
            ticket: exact_c_string(auth.ticket(), "ticket")?,
            uuid: exact_c_string(auth.uuid(), "uuid")?,
            message: exact_c_string(auth.message(), "message")?,
        })
    }
}

impl Drop for xpay_auth {
    /// The token is a bearer secret: zero it rather than leave it in freed memory.
    fn drop(&mut self) {
        let mut token = std::mem::take(&mut self.access_token).into_bytes_with_nul();
        token.zeroize();
    }
}

/// Reads a field of a possibly NULL `xpay_auth`, with `none` for NULL (and for a panic).
unsafe fn field<T: Copy>(auth: *const xpay_auth, none: T, get: impl FnOnce(&xpay_auth) -> T) -> T {
    infallible(none, || auth.as_ref().map_or(none, get))
}

/// The bearer token. Borrowed from `auth`; NULL when `auth` is NULL. Treat it as a secret.
///
/// # Safety
/// `auth` is NULL or a live `xpay_auth`.
#[no_mangle]
pub unsafe extern "C" fn xpay_auth_access_token(auth: *const xpay_auth) -> *const c_char {
    field(auth, ptr::null(), |a| a.access_token.as_ptr())
}

/// When the token stops working, in milliseconds since the Unix epoch; 0 when `auth` is NULL.
///
/// # Safety
/// `auth` is NULL or a live `xpay_auth`.
#[no_mangle]
pub unsafe extern "C" fn xpay_auth_expires_at(auth: *const xpay_auth) -> i64 {
    field(auth, 0, |a| a.expires_at)
}

/// The account's username (its e-mail). Borrowed from `auth`; NULL when `auth` is NULL.
///
/// # Safety
/// `auth` is NULL or a live `xpay_auth`.
#[no_mangle]
pub unsafe extern "C" fn xpay_auth_username(auth: *const xpay_auth) -> *const c_char {
    field(auth, ptr::null(), |a| a.username.as_ptr())
}

/// How many scopes the token has; 0 when `auth` is NULL.
///
/// # Safety
/// `auth` is NULL or a live `xpay_auth`.
#[no_mangle]
pub unsafe extern "C" fn xpay_auth_scopes_len(auth: *const xpay_auth) -> usize {
    field(auth, 0, |a| a.scopes.len())
}

/// The scope at index `i` (e.g. `"tme_user"`). Borrowed from `auth`; NULL past the end or
/// when `auth` is NULL.
///
/// # Safety
/// `auth` is NULL or a live `xpay_auth`.
#[no_mangle]
pub unsafe extern "C" fn xpay_auth_scope(auth: *const xpay_auth, i: usize) -> *const c_char {
    field(auth, ptr::null(), |a| {
        a.scopes.get(i).map_or(ptr::null(), |s| s.as_ptr())
    })
}

/// Whether this is an API (machine) login; false when `auth` is NULL.
///
/// # Safety
/// `auth` is NULL or a live `xpay_auth`.
#[no_mangle]
pub unsafe extern "C" fn xpay_auth_is_api(auth: *const xpay_auth) -> bool {
    field(auth, false, |a| a.is_api)
}

/// The server's 32-hex-digit reference of the login. Borrowed from `auth`; NULL when `auth`
/// is NULL.
///
/// # Safety
/// `auth` is NULL or a live `xpay_auth`.
#[no_mangle]
pub unsafe extern "C" fn xpay_auth_ticket(auth: *const xpay_auth) -> *const c_char {
    field(auth, ptr::null(), |a| a.ticket.as_ptr())
}

/// The login request's reference (`uuid`), for support. Borrowed from `auth`; NULL when
/// `auth` is NULL.
///
/// # Safety
/// `auth` is NULL or a live `xpay_auth`.
#[no_mangle]
pub unsafe extern "C" fn xpay_auth_uuid(auth: *const xpay_auth) -> *const c_char {
    field(auth, ptr::null(), |a| a.uuid.as_ptr())
}

/// The server's message, e.g. `"Authenticated"`. Borrowed from `auth`; NULL when `auth` is
/// NULL. (An addition to the contract.)
///
/// # Safety
/// `auth` is NULL or a live `xpay_auth`.
#[no_mangle]
pub unsafe extern "C" fn xpay_auth_message(auth: *const xpay_auth) -> *const c_char {
    field(auth, ptr::null(), |a| a.message.as_ptr())
}

/// Frees a login result and every string borrowed from it (the token's bytes are zeroed).
/// NULL is a no-op.
///
/// # Safety
/// `auth` is NULL or an `xpay_auth` from this library, freed at most once.
#[no_mangle]
pub unsafe extern "C" fn xpay_auth_free(auth: *mut xpay_auth) {
    infallible((), || free_c(auth))
}

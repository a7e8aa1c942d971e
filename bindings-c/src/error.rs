//! `xpay_error`: a failure as C sees it. Every string is converted once, when the error is
//! made, and lives inside the error until `xpay_error_free`.

use std::ffi::{c_char, CString};
use std::ptr;

use sdk::Error;

use crate::boundary::{free_c, infallible, into_c, lossy_c_string};
use crate::status::xpay_status;

/// A failure: its status, code string, message and, where known, the HTTP status, the
/// server's error tag, the request uuid and the error's data as JSON.
///
/// Handed out through `xpay_error **err`; owned by the caller, freed with `xpay_error_free`.
/// Strings from its accessors live as long as the error.
#[allow(non_camel_case_types)]
pub struct xpay_error {
    status: xpay_status,
    code: CString,
    message: CString,
    display: CString,
    http_status: u16,
    tag: Option<CString>,
    uuid: Option<CString>,
    data_json: Option<CString>,
}

impl xpay_error {
    /// Converts a core error and hands it to C.
    pub(crate) fn boxed(error: &Error) -> *mut xpay_error {
        into_c(xpay_error {
            status: xpay_status::from(error.kind()),
            code: lossy_c_string(error.code()),
            message: lossy_c_string(error.message()),
            display: lossy_c_string(&error.to_string()),
            http_status: error.status().unwrap_or(0),
            tag: error.tag().map(lossy_c_string),
            uuid: error.uuid().map(lossy_c_string),
            data_json: error.data().map(|d| lossy_c_string(&d.to_string())),
        })
    }

    #[cfg(test)]
    pub(crate) fn code_str(&self) -> &str {
        self.code.to_str().unwrap_or("")
    }

    #[cfg(test)]
    pub(crate) fn message_str(&self) -> &str {
        self.message.to_str().unwrap_or("")
    }
}

fn text(value: Option<&CString>) -> *const c_char {
    value.map_or(ptr::null(), |s| s.as_ptr())
}

/// The error's status (never `XPAY_OK` for an error); `XPAY_OK` when `err` is NULL.
///
/// # Safety
/// `err` is NULL or an error from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn xpay_error_status(err: *const xpay_error) -> xpay_status {
    infallible(xpay_status::XPAY_ERR_INTERNAL, || {
        err.as_ref().map_or(xpay_status::XPAY_OK, |e| e.status)
    })
}

/// The error's code string, the same as the other faces: `"invalid_argument"`,
/// `"authentication"`, `"api"`, `"http_status"`, `"timeout"`, `"connection"`, `"decode"` or
/// `"internal"`. Borrowed from `err`; NULL when `err` is NULL.
///
/// # Safety
/// `err` is NULL or an error from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn xpay_error_code(err: *const xpay_error) -> *const c_char {
    infallible(ptr::null(), || text(err.as_ref().map(|e| &e.code)))
}

/// The message: the server's own words for a business error, else the SDK's (it never
/// contains the secret key or an access token). Borrowed from `err`; NULL when `err` is NULL.
///
/// # Safety
/// `err` is NULL or an error from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn xpay_error_message(err: *const xpay_error) -> *const c_char {
    infallible(ptr::null(), || text(err.as_ref().map(|e| &e.message)))
}

/// A one-line description for people: code, message, HTTP status, advice, tag and uuid.
/// Borrowed from `err`; NULL when `err` is NULL. (An addition to the contract.)
///
/// # Safety
/// `err` is NULL or an error from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn xpay_error_display(err: *const xpay_error) -> *const c_char {
    infallible(ptr::null(), || text(err.as_ref().map(|e| &e.display)))
}

/// The HTTP status of the reply, 0 when there was none (or `err` is NULL).
///
/// # Safety
/// `err` is NULL or an error from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn xpay_error_http_status(err: *const xpay_error) -> u16 {
    infallible(0, || err.as_ref().map_or(0, |e| e.http_status))
}

/// The server's reference of the error (`error.tag`). Borrowed from `err`; NULL when none.
///
/// # Safety
/// `err` is NULL or an error from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn xpay_error_tag(err: *const xpay_error) -> *const c_char {
    infallible(ptr::null(), || {
        text(err.as_ref().and_then(|e| e.tag.as_ref()))
    })
}

/// The request's reference (`uuid`). Borrowed from `err`; NULL when none.
///
/// # Safety
/// `err` is NULL or an error from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn xpay_error_uuid(err: *const xpay_error) -> *const c_char {
    infallible(ptr::null(), || {
        text(err.as_ref().and_then(|e| e.uuid.as_ref()))
    })
}

/// The error's `data` as JSON text, e.g. `{"invalid":true}`. Borrowed from `err`; NULL when
/// the server sent none (or `null`).
///
/// # Safety
/// `err` is NULL or an error from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn xpay_error_data_json(err: *const xpay_error) -> *const c_char {
    infallible(ptr::null(), || {
        text(err.as_ref().and_then(|e| e.data_json.as_ref()))
    })
}

/// Frees an error and every string borrowed from it. NULL is a no-op.
///
/// # Safety
/// `err` is NULL or an error from this library, freed at most once.
#[no_mangle]
pub unsafe extern "C" fn xpay_error_free(err: *mut xpay_error) {
    infallible((), || free_c(err))
}

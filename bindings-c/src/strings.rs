//! Strings handed out through `char **` (owned by the caller) and the version.

use std::ffi::{c_char, CString};

use zeroize::Zeroize;

use crate::boundary::infallible;

/// The library's version, e.g. `"0.1.0"` (the `User-Agent` is `xpay-auth-c/<version>`).
const VERSION: &std::ffi::CStr = match std::ffi::CStr::from_bytes_with_nul(
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes(),
) {
    Ok(v) => v,
    Err(_) => panic!("the crate version contains a NUL"),
};

/// Hands an owned string to C; it comes back through `xpay_string_free`.
pub(crate) fn give_string(value: CString) -> *mut c_char {
    value.into_raw()
}

/// Frees a string handed out through a `char **` parameter (an access token, a call's JSON).
/// Its bytes are zeroed first, since it may be a bearer token. NULL is a no-op.
///
/// # Safety
/// `s` is NULL or a string from this library's `char **` parameters, freed at most once.
/// Never pass strings from accessors (those belong to their object).
#[no_mangle]
pub unsafe extern "C" fn xpay_string_free(s: *mut c_char) {
    infallible((), || {
        if !s.is_null() {
            let mut bytes = CString::from_raw(s).into_bytes_with_nul();
            bytes.zeroize();
        }
    })
}

/// The library's version, e.g. `"0.1.0"`. Static: never free it.
#[no_mangle]
pub extern "C" fn xpay_version() -> *const c_char {
    VERSION.as_ptr()
}

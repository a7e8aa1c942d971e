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

/// Bytes in front of every string handed out: its allocation's length, so that freeing never
/// depends on `strlen` (a caller may have written a NUL into the string).
const HEADER: usize = std::mem::size_of::<usize>();

/// Hands an owned string to C; it comes back through `xpay_string_free`.
///
/// Layout: `[total length: usize, unaligned][bytes][NUL]`, one boxed byte slice; C sees a
/// pointer to the bytes.
pub(crate) fn give_string(value: CString) -> *mut c_char {
    let value = zeroize::Zeroizing::new(value.into_bytes_with_nul());
    let total = HEADER + value.len();
    let mut block = vec![0u8; total].into_boxed_slice();
    block[..HEADER].copy_from_slice(&total.to_ne_bytes());
    block[HEADER..].copy_from_slice(&value);
    let base = Box::into_raw(block) as *mut u8;
    // SAFETY: `base` points to `total` > HEADER bytes just allocated.
    unsafe { base.add(HEADER) as *mut c_char }
}

/// Takes back a string from [`give_string`] and zeroes and frees it, whatever its bytes are now.
///
/// # Safety
/// `s` came from [`give_string`] and is freed once.
unsafe fn take_back(s: *mut c_char) {
    let base = (s as *mut u8).sub(HEADER);
    let mut total = [0u8; HEADER];
    std::ptr::copy_nonoverlapping(base, total.as_mut_ptr(), HEADER);
    let total = usize::from_ne_bytes(total);
    let slice = std::ptr::slice_from_raw_parts_mut(base, total);
    let mut block: Box<[u8]> = Box::from_raw(slice);
    block.zeroize();
}

/// Frees a string handed out through a `char **` parameter (an access token, a call's JSON).
/// Its bytes are zeroed first, since it may be a bearer token. NULL is a no-op. Safe even if
/// the caller wrote into the string (a NUL included): the length is kept with the allocation.
///
/// # Safety
/// `s` is NULL or a string from this library's `char **` parameters, freed at most once.
/// Never pass strings from accessors (those belong to their object).
#[no_mangle]
pub unsafe extern "C" fn xpay_string_free(s: *mut c_char) {
    infallible((), || {
        if !s.is_null() {
            take_back(s);
        }
    })
}

/// The library's version, e.g. `"0.1.0"`. Static: never free it.
#[no_mangle]
pub extern "C" fn xpay_version() -> *const c_char {
    VERSION.as_ptr()
}

//! The FFI boundary every entry point goes through: the panic guard, the `xpay_error **err`
//! protocol, and the checks that turn C pointers into Rust references (NULL and UTF-8 checks
//! giving `invalid_argument` errors that name the argument).

use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use sdk::{Error, ErrorKind};

use crate::error::xpay_error;
use crate::status::xpay_status;

/// Runs `body` for a fallible entry point: `*err` (when `err` is not NULL) becomes NULL on
/// success or a new `xpay_error` on failure, and a panic becomes `XPAY_ERR_INTERNAL` instead
/// of unwinding into C (undefined behaviour).
pub(crate) fn fallible(
    err: *mut *mut xpay_error,
    body: impl FnOnce() -> Result<(), Error>,
) -> xpay_status {
    // SAFETY: the caller passes NULL or a writable `xpay_error *` slot (the header's contract).
    if let Some(slot) = unsafe { err.as_mut() } {
        *slot = ptr::null_mut();
    }
    let outcome = catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|panic| Err(internal(panic)));
    match outcome {
        Ok(()) => xpay_status::XPAY_OK,
        Err(error) => {
            let status = xpay_status::from(error.kind());
            // SAFETY: as above.
            if let Some(slot) = unsafe { err.as_mut() } {
                *slot = xpay_error::boxed(&error);
            }
            status
        }
    }
}

/// Runs `body` for an entry point that cannot report errors (accessors, setters, `_free`):
/// a panic yields `fallback` instead of crossing into C.
pub(crate) fn infallible<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// The error standing for a caught panic.
fn internal(panic: Box<dyn std::any::Any + Send>) -> Error {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_owned());
    Error::new(
        ErrorKind::Internal,
        format!("xpay-auth hit a bug (caught panic: {what})"),
    )
}

/// An `invalid_argument` error naming the argument.
pub(crate) fn invalid(name: &str, problem: &str) -> Error {
    Error::new(ErrorKind::InvalidArgument, format!("{name} {problem}"))
}

/// A C string argument as `&str`: NULL and non-UTF-8 are `invalid_argument` errors.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn str_arg<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, Error> {
    if ptr.is_null() {
        return Err(invalid(name, "must not be NULL"));
    }
    CStr::from_ptr(ptr)
        .to_str()
        .map_err(|_| invalid(name, "is not valid UTF-8"))
}

/// An object argument as a reference: NULL is an `invalid_argument` error.
///
/// # Safety
/// `ptr` is NULL or points to a live object of type `T` handed out by this library.
pub(crate) unsafe fn obj_arg<'a, T>(ptr: *const T, name: &str) -> Result<&'a T, Error> {
    ptr.as_ref()
        .ok_or_else(|| invalid(name, "must not be NULL"))
}

/// An out-parameter: NULL is an `invalid_argument` error; otherwise it is cleared to NULL
/// so that a failure never leaves a stale pointer behind.
///
/// # Safety
/// `ptr` is NULL or a writable slot.
pub(crate) unsafe fn out_arg<'a, T>(ptr: *mut *mut T, name: &str) -> Result<&'a mut *mut T, Error> {
    let slot = ptr
        .as_mut()
        .ok_or_else(|| invalid(name, "must not be NULL"))?;
    *slot = ptr::null_mut();
    Ok(slot)
}

/// A string from the server as a C string. C strings end at the first NUL, so a value holding
/// one cannot be handed out faithfully: that is a `decode` error, never a silently cut value.
pub(crate) fn exact_c_string(value: &str, what: &str) -> Result<CString, Error> {
    CString::new(value).map_err(|_| {
        Error::new(
            ErrorKind::Decode,
            format!("the reply's {what} contains a NUL character, which a C string cannot hold"),
        )
    })
}

/// A human-readable text as a C string; a NUL (never expected) becomes U+FFFD.
pub(crate) fn lossy_c_string(text: &str) -> CString {
    CString::new(text.replace('\0', "\u{FFFD}")).unwrap_or_default()
}

/// Boxes `value` and hands the pointer to C, which gives it back to its `_free` function.
pub(crate) fn into_c<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Takes back and drops an object handed out by [`into_c`]; NULL is a no-op.
///
/// # Safety
/// `ptr` is NULL or came from [`into_c`] and has not been freed.
pub(crate) unsafe fn free_c<T>(ptr: *mut T) {
    if !ptr.is_null() {
        drop(Box::from_raw(ptr));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_internal_error() {
        let mut err: *mut xpay_error = ptr::null_mut();
        let status = fallible(&mut err, || panic!("boom"));
        assert_eq!(status, xpay_status::XPAY_ERR_INTERNAL);
        // SAFETY: `fallible` filled the slot with a live error.
        let e = unsafe { &*err };
        assert_eq!(e.code_str(), "internal");
        assert!(e.message_str().contains("boom"), "{}", e.message_str());
        // SAFETY: handed out by `fallible`, freed once.
        unsafe { free_c(err) };
    }

    #[test]
    fn a_panic_in_an_accessor_yields_the_fallback() {
        assert_eq!(infallible(7, || panic!("boom")), 7);
    }

    #[test]
    fn success_clears_the_error_slot() {
        let mut err: *mut xpay_error = ptr::dangling_mut();
        assert_eq!(fallible(&mut err, || Ok(())), xpay_status::XPAY_OK);
        assert!(err.is_null());
    }

    #[test]
    fn null_and_non_utf8_arguments_are_named() {
        // SAFETY: NULL and a NUL-terminated literal.
        let e = unsafe { str_arg(ptr::null(), "username") }.unwrap_err();
        assert_eq!(e.code(), "invalid_argument");
        assert!(e.message().contains("username"));
        let bad = b"\xff\xfe\0";
        // SAFETY: NUL-terminated.
        let e = unsafe { str_arg(bad.as_ptr().cast(), "path") }.unwrap_err();
        assert!(e.message().contains("path") && e.message().contains("UTF-8"));
    }

    #[test]
    fn nul_in_a_reply_is_a_decode_error() {
        let e = exact_c_string("ab\0c", "access_token").unwrap_err();
        assert_eq!(e.code(), "decode");
        assert_eq!(lossy_c_string("a\0b").to_str().ok(), Some("a\u{FFFD}b"));
    }
}

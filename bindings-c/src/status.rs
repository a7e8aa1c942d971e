//! `xpay_status`: the numbers C callers switch on. They are the core's `ErrorKind::number()`s,
//! so every face agrees on them; a number is never reused.

use sdk::ErrorKind;

/// The outcome of a call that can fail. `XPAY_OK` (0) is success; every other value names
/// the kind of failure, the same kinds (and `xpay_error_code` strings) as the other faces.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum xpay_status {
    /// Success.
    XPAY_OK = 0,
    /// `"invalid_argument"`: unusable input (NULL, non-UTF-8, empty credential, bad URL,
    /// bad path or JSON); nothing was sent.
    XPAY_ERR_INVALID_ARGUMENT = 1,
    /// `"authentication"`: the login was refused, or a call still got 401 after a fresh login.
    XPAY_ERR_AUTHENTICATION = 2,
    /// `"api"`: an endpoint other than the login answered with a business error.
    XPAY_ERR_API = 3,
    /// `"http_status"`: a non-200 reply without a business error envelope.
    XPAY_ERR_HTTP_STATUS = 4,
    /// `"timeout"`: the connect or the whole-request time limit passed.
    XPAY_ERR_TIMEOUT = 5,
    /// `"connection"`: DNS, refused, reset, TLS failure.
    XPAY_ERR_CONNECTION = 6,
    /// `"decode"`: the reply is not a valid envelope (or holds a NUL a C string cannot carry).
    XPAY_ERR_DECODE = 7,
    /// `"internal"`: a bug in xpay-auth (a caught panic); never expected.
    XPAY_ERR_INTERNAL = 99,
}

impl From<ErrorKind> for xpay_status {
    fn from(kind: ErrorKind) -> Self {
        match kind.number() {
            1 => xpay_status::XPAY_ERR_INVALID_ARGUMENT,
            2 => xpay_status::XPAY_ERR_AUTHENTICATION,
            3 => xpay_status::XPAY_ERR_API,
            4 => xpay_status::XPAY_ERR_HTTP_STATUS,
            5 => xpay_status::XPAY_ERR_TIMEOUT,
            6 => xpay_status::XPAY_ERR_CONNECTION,
            7 => xpay_status::XPAY_ERR_DECODE,
            // A kind added to the core later is still an error, never XPAY_OK.
            _ => xpay_status::XPAY_ERR_INTERNAL,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_maps_to_its_number() {
        for kind in ErrorKind::ALL {
            assert_eq!(xpay_status::from(kind) as u32, kind.number(), "{kind}");
        }
    }
}

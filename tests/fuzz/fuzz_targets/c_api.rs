//! Fuzzes the C face's string and JSON inputs by calling its `extern "C"` functions as a C
//! program would: the config's base URL, `xpay_client_new`, `xpay_session_new` with fuzzed
//! credentials, and `xpay_session_call`'s (and `_call_with_uuid`'s) path, JSON body and uuid,
//! then frees everything.
//!
//! Input: byte 0 is flags (see `Flags`); the rest is split at NUL bytes into the fields
//! `url`, `username`, `secret_key`, `path`, `json_body`, `uuid` (a C string cannot hold a NUL,
//! so a NUL ends a field); a field the input does not reach is passed as NULL. The call is
//! `xpay_session_call_with_uuid` when the input has a `uuid` field or flag bit 7 is set.
//!
//! Calls go to a client whose base URL is a loopback port that is bound but not listening
//! (so every connection is refused at once and no one else can take the port), with
//! `max_retries` 0: nothing leaves the machine, and a fuzzed base URL is only validated and
//! built into a client, never called.
//!
//! Beyond "no crash, no leak" (ASan/LSan), it checks the C conventions: a status and its
//! `xpay_error` agree, a failure leaves the out-slot NULL, nothing is `internal` (a caught
//! panic or another bug), an accepted base URL builds a client, and exactly the inputs the
//! header calls bad are `invalid_argument` (the rest are refused connections, `connection`).

#![no_main]

use std::ffi::{c_char, CStr, CString};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::ptr;
use std::sync::OnceLock;

use c_api::*;
use libfuzzer_sys::fuzz_target;
use socket2::{Domain, Socket, Type};

/// The bits of the input's first byte.
struct Flags(u8);

impl Flags {
    /// Pass NULL for the `xpay_error **err` slots (errors then go unread).
    fn null_err(&self) -> bool {
        self.0 & 1 != 0
    }
    /// Build a client from the fuzzed config (when its URL was accepted) and a session on it.
    fn build_fuzzed_client(&self) -> bool {
        self.0 & 2 != 0
    }
    /// Set the fuzzed config's timeout to 0, which `xpay_client_new` must refuse.
    fn zero_timeout(&self) -> bool {
        self.0 & 4 != 0
    }
    /// Also `xpay_authenticate` with the fuzzed credentials.
    fn authenticate(&self) -> bool {
        self.0 & 8 != 0
    }
    /// Also `xpay_session_access_token` before the call.
    fn access_token(&self) -> bool {
        self.0 & 16 != 0
    }
    /// `xpay_session_invalidate` before the call.
    fn invalidate(&self) -> bool {
        self.0 & 32 != 0
    }
    /// Pass `is_api` to `xpay_authenticate`.
    fn is_api(&self) -> bool {
        self.0 & 64 != 0
    }
    /// Call through `xpay_session_call_with_uuid` even without a `uuid` field (NULL: fresh).
    fn with_uuid(&self) -> bool {
        self.0 & 128 != 0
    }
}

/// The client every call goes through, and the socket that keeps its port refused.
struct Refused {
    client: *mut xpay_client,
    _port_holder: Socket,
}

// SAFETY: an `xpay_client` is safe to share between threads (the header's contract).
unsafe impl Send for Refused {}
unsafe impl Sync for Refused {}

fn refused() -> &'static Refused {
    static REFUSED: OnceLock<Refused> = OnceLock::new();
    REFUSED.get_or_init(|| {
        // Bound, never listening: connections are refused, and the port stays ours.
        let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("a socket");
        socket
            .bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, 0)).into())
            .expect("bind 127.0.0.1:0");
        let port = socket
            .local_addr()
            .ok()
            .and_then(|a| a.as_socket())
            .map(|a| a.port())
            .expect("the bound port");
        assert!(
            TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err(),
            "127.0.0.1:{port} accepts connections; the fuzz target needs a refused port"
        );
        let url = CString::new(format!("http://127.0.0.1:{port}")).expect("no NUL");
        // SAFETY: valid pointers throughout; the config is freed once, the client never.
        unsafe {
            let cfg = xpay_config_new();
            let mut err = ptr::null_mut();
            let status = xpay_config_set_base_url(cfg, url.as_ptr(), &mut err);
            assert_eq!(status, xpay_status::XPAY_OK, "the loopback URL was refused");
            xpay_config_set_max_retries(cfg, 0);
            xpay_config_set_connect_timeout_ms(cfg, 5_000);
            xpay_config_set_timeout_ms(cfg, 10_000);
            let mut client = ptr::null_mut();
            let status = xpay_client_new(cfg, &mut client, &mut err);
            assert_eq!(
                status,
                xpay_status::XPAY_OK,
                "the refused client was not built"
            );
            xpay_config_free(cfg);
            Refused {
                client,
                _port_holder: socket,
            }
        }
    })
}

/// What a failed call handed back, read through the accessors and freed.
struct Failure {
    code: String,
}

/// Checks the `xpay_status`/`xpay_error` protocol of one call, reads every accessor of the
/// error, frees it, and returns its code (None on success or when `err` was not asked for).
///
/// # Safety
/// `err` is what the call left in its error slot.
unsafe fn outcome(status: xpay_status, err: *mut xpay_error, asked: bool) -> Option<Failure> {
    if !asked {
        assert!(err.is_null());
        return None;
    }
    if status == xpay_status::XPAY_OK {
        assert!(err.is_null(), "success left an error behind");
        return None;
    }
    assert!(!err.is_null(), "{status:?} without an xpay_error");
    assert_eq!(
        xpay_error_status(err),
        status,
        "the status and the error disagree"
    );
    let code = text(xpay_error_code(err)).expect("an error code");
    let message = text(xpay_error_message(err)).expect("an error message");
    let display = text(xpay_error_display(err)).expect("an error display");
    assert!(!message.is_empty() && display.contains(&code));
    let _ = (
        xpay_error_http_status(err),
        text(xpay_error_tag(err)),
        text(xpay_error_uuid(err)),
        text(xpay_error_data_json(err)),
    );
    assert_ne!(
        code, "internal",
        "an internal error (a bug, by the header): {display}"
    );
    xpay_error_free(err);
    Some(Failure { code })
}

/// A borrowed C string as text (the library's strings are UTF-8).
unsafe fn text(s: *const c_char) -> Option<String> {
    if s.is_null() {
        return None;
    }
    Some(
        CStr::from_ptr(s)
            .to_str()
            .expect("a UTF-8 string")
            .to_owned(),
    )
}

fn ptr_of(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(ptr::null(), |s| s.as_ptr())
}

/// The field as text, if it is present and UTF-8 (what `str_arg` accepts).
fn str_of(s: &Option<CString>) -> Option<&str> {
    s.as_ref().and_then(|s| s.to_str().ok())
}

/// What an argument's check says, as far as the target knows the rules.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Verdict {
    Valid,
    Invalid,
    /// Rules the target does not model (dot segments, percent-encoding): either answer.
    Unsure,
}

impl Verdict {
    fn and(self, other: Verdict) -> Verdict {
        use Verdict::*;
        match (self, other) {
            (Invalid, _) | (_, Invalid) => Invalid,
            (Unsure, _) | (_, Unsure) => Unsure,
            _ => Valid,
        }
    }

    fn of(valid: bool) -> Verdict {
        if valid {
            Verdict::Valid
        } else {
            Verdict::Invalid
        }
    }

    /// Checks a call's error code against the verdict on its arguments.
    fn check(self, code: &str, what: &str) {
        let ok = match self {
            Verdict::Valid => code == "connection",
            Verdict::Invalid => code == "invalid_argument",
            Verdict::Unsure => code == "connection" || code == "invalid_argument",
        };
        assert!(ok, "{what}: {code} for arguments judged {self:?}");
    }
}

/// The header's rule for `path` (core `validate_path`): a single leading `/`, no whitespace,
/// control characters or `#`; `.`/`..` segments (also percent-encoded) are refused too, which
/// this leaves to the core (`Unsure` for any `.` or `%`).
fn path_verdict(path: Option<&str>) -> Verdict {
    let Some(path) = path else {
        return Verdict::Invalid;
    };
    if !path.starts_with('/')
        || path.starts_with("//")
        || path.chars().any(|c| c.is_whitespace() || c.is_control())
        || path.contains('#')
    {
        Verdict::Invalid
    } else if path.contains('.') || path.contains('%') {
        Verdict::Unsure
    } else {
        Verdict::Valid
    }
}

/// A caller's uuid (NULL: a fresh one): UTF-8 for the C face; the core then wants a printable
/// header value, which it may check only when sending (`Unsure` unless plainly fine).
fn uuid_verdict(uuid: &Option<CString>) -> Verdict {
    match uuid {
        None => Verdict::Valid,
        Some(u) => match u.to_str() {
            Err(_) => Verdict::Invalid,
            Ok(u) if !u.is_empty() && u.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') => {
                Verdict::Valid
            }
            Ok(_) => Verdict::Unsure,
        },
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let flags = Flags(flags);
    let mut fields = rest
        .split(|&b| b == 0)
        .map(|f| Some(CString::new(f).expect("split at NUL")));
    let mut field = || fields.next().flatten();
    let (url, username, secret_key, path, json_body, uuid) =
        (field(), field(), field(), field(), field(), field());
    let asked = !flags.null_err();
    let mut err: *mut xpay_error = ptr::null_mut();
    let err_slot = |err: &mut *mut xpay_error| -> *mut *mut xpay_error {
        if asked {
            err
        } else {
            ptr::null_mut()
        }
    };
    let refused = refused();

    // SAFETY: every pointer is NULL or live; every object is freed once, below.
    unsafe {
        // The base URL: accepted means a client can be built from it (no I/O happens).
        let cfg = xpay_config_new();
        assert!(!cfg.is_null());
        let status = xpay_config_set_base_url(cfg, ptr_of(&url), err_slot(&mut err));
        let url_accepted = status == xpay_status::XPAY_OK;
        if let Some(f) = outcome(status, err, asked) {
            assert_eq!(f.code, "invalid_argument", "a refused base URL");
        }
        if url.is_none() || str_of(&url).is_none() {
            assert!(!url_accepted, "a NULL or non-UTF-8 URL was accepted");
        }
        if flags.build_fuzzed_client() && url_accepted {
            if flags.zero_timeout() {
                xpay_config_set_timeout_ms(cfg, 0);
            }
            let mut client = ptr::null_mut();
            let status = xpay_client_new(cfg, &mut client, err_slot(&mut err));
            match outcome(status, err, asked) {
                Some(f) => {
                    assert!(
                        flags.zero_timeout(),
                        "an accepted URL gave no client: {}",
                        f.code
                    );
                    assert_eq!(f.code, "invalid_argument");
                    assert!(client.is_null(), "a failure left a client behind");
                }
                None if asked => {
                    assert!(!flags.zero_timeout(), "a zero timeout was accepted");
                    assert!(!client.is_null());
                }
                None => {}
            }
            // A session on it, never used: nothing is sent.
            let mut session = ptr::null_mut();
            let status = xpay_session_new(
                client,
                ptr_of(&username),
                ptr_of(&secret_key),
                &mut session,
                err_slot(&mut err),
            );
            let _ = outcome(status, err, asked);
            xpay_session_free(session);
            xpay_client_free(client);
        }
        xpay_config_free(cfg);

        let user = str_of(&username);
        let secret = str_of(&secret_key);
        let credentials_ok =
            matches!((user, secret), (Some(u), Some(s)) if !u.trim().is_empty() && !s.is_empty());

        if flags.authenticate() {
            let mut auth = ptr::null_mut();
            let status = xpay_authenticate(
                refused.client,
                ptr_of(&username),
                ptr_of(&secret_key),
                flags.is_api(),
                &mut auth,
                err_slot(&mut err),
            );
            assert_ne!(
                status,
                xpay_status::XPAY_OK,
                "a login succeeded against nothing"
            );
            assert!(auth.is_null());
            if let Some(f) = outcome(status, err, asked) {
                let want = if credentials_ok {
                    "connection"
                } else {
                    "invalid_argument"
                };
                assert_eq!(f.code, want, "xpay_authenticate");
            }
        }

        let mut session = ptr::null_mut();
        let status = xpay_session_new(
            refused.client,
            ptr_of(&username),
            ptr_of(&secret_key),
            &mut session,
            err_slot(&mut err),
        );
        let session_made = user.is_some() && secret.is_some();
        assert_eq!(
            status == xpay_status::XPAY_OK,
            session_made,
            "xpay_session_new"
        );
        assert_eq!(session.is_null(), !session_made);
        if let Some(f) = outcome(status, err, asked) {
            assert_eq!(f.code, "invalid_argument");
        }

        if flags.invalidate() {
            xpay_session_invalidate(session);
        }
        if flags.access_token() {
            let mut token = ptr::null_mut();
            let status = xpay_session_access_token(session, &mut token, err_slot(&mut err));
            assert_ne!(status, xpay_status::XPAY_OK, "a token from nowhere");
            assert!(token.is_null());
            if let Some(f) = outcome(status, err, asked) {
                let want = if session_made && credentials_ok {
                    "connection"
                } else {
                    "invalid_argument"
                };
                assert_eq!(f.code, want, "xpay_session_access_token");
            }
        }

        // The call: NULL session included (then `invalid_argument` whatever the rest).
        let mut json_out = ptr::null_mut();
        let status = if uuid.is_some() || flags.with_uuid() {
            xpay_session_call_with_uuid(
                session,
                ptr_of(&path),
                ptr_of(&json_body),
                ptr_of(&uuid),
                &mut json_out,
                err_slot(&mut err),
            )
        } else {
            xpay_session_call(
                session,
                ptr_of(&path),
                ptr_of(&json_body),
                &mut json_out,
                err_slot(&mut err),
            )
        };
        assert_ne!(
            status,
            xpay_status::XPAY_OK,
            "a call succeeded against nothing"
        );
        assert!(json_out.is_null(), "a failed call left JSON behind");
        if let Some(f) = outcome(status, err, asked) {
            // One JSON value, as the core's `call_raw` checks it (1e400 is one, though no
            // double holds it: the text is sent as is).
            let json_ok = str_of(&json_body)
                .is_some_and(|b| serde_json::from_str::<&serde_json::value::RawValue>(b).is_ok());
            Verdict::of(session_made && json_ok && credentials_ok)
                .and(path_verdict(str_of(&path)))
                .and(uuid_verdict(&uuid))
                .check(&f.code, "xpay_session_call");
        }
        xpay_string_free(json_out);
        xpay_session_free(session);
    }
});

//! The one error type of every face: a stable [`ErrorKind`] (whose [`ErrorKind::code`] string is
//! the contract shared by Rust, Python, Node and C) plus what the server said, where it said it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

/// The kind of a failure. Each kind has a stable code string ([`ErrorKind::code`]) and a stable
/// number ([`ErrorKind::number`], the C face's `xpay_status`); neither is ever reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The caller's input is unusable (empty credential, bad URL or path, bad JSON); no network
    /// I/O happened.
    InvalidArgument,
    /// The login endpoint answered with a business error (e.g. invalid credentials), or a call
    /// still got HTTP 401 after a fresh login.
    Authentication,
    /// Another endpoint answered with a business error envelope.
    Api,
    /// A non-200 status without a business error envelope (e.g. a proxy's 502 page).
    HttpStatus,
    /// The connect or the whole-request time limit passed.
    Timeout,
    /// DNS, refused, reset, TLS failure.
    Connection,
    /// The reply is not a valid envelope (not JSON, missing `access_token`, wrong types, too large).
    Decode,
    /// A bug in the SDK (a caught panic); never expected.
    Internal,
}

impl ErrorKind {
    /// Every kind, in the order of their numbers.
    pub const ALL: [ErrorKind; 8] = [
        ErrorKind::InvalidArgument,
        ErrorKind::Authentication,
        ErrorKind::Api,
        ErrorKind::HttpStatus,
        ErrorKind::Timeout,
        ErrorKind::Connection,
        ErrorKind::Decode,
        ErrorKind::Internal,
    ];

    /// The stable code string shared by all faces, e.g. `"authentication"`.
    pub const fn code(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::Authentication => "authentication",
            ErrorKind::Api => "api",
            ErrorKind::HttpStatus => "http_status",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Connection => "connection",
            ErrorKind::Decode => "decode",
            ErrorKind::Internal => "internal",
        }
    }

    /// The stable number of the kind (the C face's `xpay_status`; 0 is success there).
    pub const fn number(self) -> u32 {
        match self {
            ErrorKind::InvalidArgument => 1,
            ErrorKind::Authentication => 2,
            ErrorKind::Api => 3,
            ErrorKind::HttpStatus => 4,
            ErrorKind::Timeout => 5,
            ErrorKind::Connection => 6,
            ErrorKind::Decode => 7,
            ErrorKind::Internal => 99,
        }
    }

    /// What a user can do about this kind of failure; appended to the displayed message.
    fn advice(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "fix the argument; nothing was sent",
            ErrorKind::Authentication => "check the username and secret key",
            ErrorKind::Api => "see the message, tag and data for what the server refused",
            ErrorKind::HttpStatus => "the server or a proxy in front of it failed; retry later",
            ErrorKind::Timeout => "the server was too slow; retry, or raise the timeout",
            ErrorKind::Connection => "check the base URL and the network",
            ErrorKind::Decode => "the reply was not a valid xPay envelope; report the uuid",
            ErrorKind::Internal => "this is a bug in xpay-auth; please report it",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A failure of any xpay-auth operation.
///
/// Cheap to clone (callers sharing one login all receive the same error). Its `Display` says
/// what happened and what to do; it never contains the secret key or an access token.
#[derive(Clone)]
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Clone)]
struct Inner {
    kind: ErrorKind,
    message: String,
    status: Option<u16>,
    tag: Option<String>,
    uuid: Option<String>,
    data: Option<Value>,
    retry_after: Option<Duration>,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A new error of `kind` with a message. Bindings use it for their own argument checks.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                status: None,
                tag: None,
                uuid: None,
                data: None,
                retry_after: None,
                source: None,
            }),
        }
    }

    pub(crate) fn invalid_argument(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidArgument, message)
    }

    pub(crate) fn decode(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Decode, message)
    }

    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.inner.status = Some(status);
        self
    }

    pub(crate) fn with_tag(mut self, tag: Option<String>) -> Self {
        self.inner.tag = tag;
        self
    }

    pub(crate) fn with_uuid(mut self, uuid: Option<String>) -> Self {
        if uuid.is_some() {
            self.inner.uuid = uuid;
        }
        self
    }

    pub(crate) fn with_data(mut self, data: Option<Value>) -> Self {
        self.inner.data = data.filter(|d| !d.is_null());
        self
    }

    pub(crate) fn with_retry_after(mut self, after: Option<Duration>) -> Self {
        self.inner.retry_after = after;
        self
    }

    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        self.inner.source = Some(Arc::new(source));
        self
    }

    pub(crate) fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.inner.kind = kind;
        self
    }

    /// The error with `text` applied to every text that may have come from the server
    /// (message, tag, uuid) and `data` to its data (see `scrub.rs`).
    pub(crate) fn map_server_text(
        mut self,
        text: impl Fn(String) -> String,
        data: impl FnOnce(Value) -> Value,
    ) -> Self {
        let i = &mut *self.inner;
        i.message = text(std::mem::take(&mut i.message));
        i.tag = i.tag.take().map(&text);
        i.uuid = i.uuid.take().map(&text);
        i.data = i.data.take().map(data);
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The stable code string, one of `invalid_argument`, `authentication`, `api`,
    /// `http_status`, `timeout`, `connection`, `decode`, `internal`.
    pub fn code(&self) -> &'static str {
        self.inner.kind.code()
    }

    /// The message: the server's own words for a business error, else ours.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The HTTP status of the reply, when there was one.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// The server's reference of this error (`error.tag`), when it gave one.
    pub fn tag(&self) -> Option<&str> {
        self.inner.tag.as_deref()
    }

    /// The request's reference (`uuid`): the server's, or the one the SDK sent.
    pub fn uuid(&self) -> Option<&str> {
        self.inner.uuid.as_deref()
    }

    /// The error's `data` as the server sent it (absent when missing or `null`).
    pub fn data(&self) -> Option<&Value> {
        self.inner.data.as_ref()
    }

    /// How long the server asked us to wait (`Retry-After`), when it did.
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        write!(f, "{} error: {}", i.kind.code(), i.message)?;
        if let Some(status) = i.status {
            write!(f, " (HTTP {status})")?;
        }
        write!(f, "; {}", i.kind.advice())?;
        if let Some(tag) = &i.tag {
            write!(f, " [tag {tag}]")?;
        }
        if let Some(uuid) = &i.uuid {
            write!(f, " [uuid {uuid}]")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Error")
            .field("code", &i.kind.code())
            .field("message", &i.message)
            .field("status", &i.status)
            .field("tag", &i.tag)
            .field("uuid", &i.uuid)
            .field("data", &i.data)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_numbers_are_the_contract() {
        let codes: Vec<_> = ErrorKind::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(
            codes,
            [
                "invalid_argument",
                "authentication",
                "api",
                "http_status",
                "timeout",
                "connection",
                "decode",
                "internal"
            ]
        );
        let numbers: Vec<_> = ErrorKind::ALL.iter().map(|k| k.number()).collect();
        assert_eq!(numbers, [1, 2, 3, 4, 5, 6, 7, 99]);
    }

    #[test]
    fn display_names_code_status_advice_and_references() {
        let e = Error::new(ErrorKind::Authentication, "invalid credentials")
            .with_status(200)
            .with_tag(Some("t-1".into()))
            .with_uuid(Some("u-1".into()));
        let s = e.to_string();
        assert!(
            s.starts_with("authentication error: invalid credentials (HTTP 200)"),
            "{s}"
        );
        assert!(s.contains("check the username and secret key"), "{s}");
        assert!(s.contains("[tag t-1]") && s.contains("[uuid u-1]"), "{s}");
    }

    #[test]
    fn null_data_is_absent() {
        let e = Error::new(ErrorKind::Api, "x").with_data(Some(Value::Null));
        assert!(e.data().is_none());
    }
}

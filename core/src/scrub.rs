//! The one place where text from the server is cleaned of our secrets before it reaches an
//! error: a proxy's error page or a business error may quote the request (its body holds the
//! secret key, its headers the access token), and an error is shown, logged and sent to bug
//! trackers.
//!
//! [`Secrets`] is what a request knows it must not leak: the login's secret key, the bearer
//! token of the call, the tokens the session holds. Every server text on the way to an
//! [`Error`] (message, tag, uuid, body excerpt, every string and key inside `data`) goes
//! through [`Secrets::text`] or [`Secrets::value`]; a body excerpt is cut to length only after
//! scrubbing, so a secret cut in half cannot survive as a prefix.

use std::borrow::Cow;

use serde_json::Value;

use crate::error::Error;

/// What replaces a secret.
pub(crate) const REDACTED: &str = "[redacted]";

/// The secrets one request must not leak. Cheap to copy; empty strings are ignored.
#[derive(Clone, Copy, Default)]
pub(crate) struct Secrets<'a> {
    list: &'a [&'a str],
}

impl<'a> Secrets<'a> {
    pub(crate) const fn new(list: &'a [&'a str]) -> Self {
        Secrets { list }
    }

    /// `text` with every secret (as is, and as it is spelled inside a JSON string) replaced by
    /// `[redacted]`.
    pub(crate) fn text<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let mut out = Cow::Borrowed(text);
        for secret in self.list.iter().filter(|s| !s.is_empty()) {
            out = replace(out, secret);
            let escaped = json_escaped(secret);
            if escaped != *secret {
                out = replace(out, &escaped);
            }
        }
        out
    }

    /// `value` with [`text`](Self::text) applied to every string and object key inside it.
    pub(crate) fn value(&self, value: Value) -> Value {
        if self.list.iter().all(|s| s.is_empty()) {
            return value;
        }
        match value {
            Value::String(s) => Value::String(self.owned(s)),
            Value::Array(items) => Value::Array(items.into_iter().map(|v| self.value(v)).collect()),
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| (self.owned(k), self.value(v)))
                    .collect(),
            ),
            other => other,
        }
    }

    /// The error with its message, tag, uuid and data scrubbed.
    pub(crate) fn error(&self, error: Error) -> Error {
        if self.list.iter().all(|s| s.is_empty()) {
            return error;
        }
        error.map_server_text(|t| self.owned(t), |v| self.value(v))
    }

    fn owned(&self, s: String) -> String {
        match self.text(&s) {
            Cow::Borrowed(_) => s,
            Cow::Owned(o) => o,
        }
    }
}

fn replace<'t>(text: Cow<'t, str>, secret: &str) -> Cow<'t, str> {
    if text.contains(secret) {
        Cow::Owned(text.replace(secret, REDACTED))
    } else {
        text
    }
}

/// How `s` looks inside a JSON string (without the quotes), as a server quoting our JSON body
/// writes it.
fn json_escaped(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c == '"' || c == '\\' || c.is_control()) {
        return Cow::Borrowed(s);
    }
    match serde_json::to_string(s) {
        Ok(quoted) => Cow::Owned(quoted[1..quoted.len() - 1].to_owned()),
        Err(_) => Cow::Borrowed(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use serde_json::json;

    #[test]
    fn text_loses_every_secret_in_both_spellings() {
        let s = Secrets::new(&["alice-secret", "tok\"en", ""]);
        assert_eq!(
            s.text(r#"{"secretKey":"alice-secret"} Bearer tok\"en / tok"en"#),
            r#"{"secretKey":"[redacted]"} Bearer [redacted] / [redacted]"#
        );
        assert!(matches!(s.text("nothing here"), Cow::Borrowed(_)));
        assert_eq!(Secrets::default().text("alice-secret"), "alice-secret");
    }

    #[test]
    fn values_and_errors_are_scrubbed_all_the_way_down() {
        let s = Secrets::new(&["K3Y"]);
        let v = s.value(json!({"a": ["x K3Y", {"K3Y": 1, "n": 2.5}], "b": true}));
        assert_eq!(
            v,
            json!({"a": ["x [redacted]", {"[redacted]": 1, "n": 2.5}], "b": true})
        );
        let e = Error::new(ErrorKind::Api, "you sent K3Y")
            .with_tag(Some("t-K3Y".into()))
            .with_uuid(Some("K3Y".into()))
            .with_data(Some(json!({"q": "K3Y"})));
        let e = s.error(e);
        assert_eq!(e.message(), "you sent [redacted]");
        assert_eq!(e.tag(), Some("t-[redacted]"));
        assert_eq!(e.uuid(), Some("[redacted]"));
        assert_eq!(e.data(), Some(&json!({"q": "[redacted]"})));
    }
}

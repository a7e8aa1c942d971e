//! How secrets look in `Debug` output and logs: never whole.

use std::fmt;

/// Shows at most the first 6 characters of a token and its length, e.g. `eyJhbG…(412 chars)`.
pub(crate) struct Redacted<'a>(pub &'a str);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Short tokens show nothing: six characters of an eight-character token is most of it.
        let shown: String = if self.0.chars().count() >= 24 {
            self.0.chars().take(6).collect()
        } else {
            String::new()
        };
        write!(f, "{shown}…({} chars)", self.0.chars().count())
    }
}

/// The redacted form of a token, for bindings that build their own `repr`.
pub fn redact_token(token: &str) -> String {
    Redacted(token).to_string()
}

/// A token's fingerprint for log and trace fields: the first 8 hex digits of its SHA-256, so
/// that two log lines can be tied to one token without either holding it.
pub fn token_fingerprint(token: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
    digest.as_ref()[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_tokens_show_a_prefix_and_length_only() {
        let t = "eyJhbGciOiJIUzI1NiJ9.payload.signature-part";
        let s = redact_token(t);
        assert_eq!(s, format!("eyJhbG…({} chars)", t.len()));
    }

    #[test]
    fn fingerprints_are_the_first_eight_hex_digits_of_the_sha256() {
        // sha256("abc") = ba7816bf8f01cfea...
        assert_eq!(token_fingerprint("abc"), "ba7816bf");
        assert_eq!(token_fingerprint("").len(), 8);
    }

    #[test]
    fn short_tokens_show_only_their_length() {
        assert_eq!(redact_token("abcdefgh"), "…(8 chars)");
    }
}

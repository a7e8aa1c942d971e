//! The stored record: a login sealed with a key only the account's secret key gives.
//!
//! ```text
//! record = version (1 byte, 1) || nonce (12 bytes, random)
//!          || ChaCha20-Poly1305(login JSON) || tag (16 bytes)
//! key    = HKDF-SHA256(salt = "xpay-auth token store v1", ikm = secret key,
//!                      info = the entry's key) → 32 bytes
//! aad    = version || the entry's key
//! ```
//!
//! (ChaCha20-Poly1305 rather than AES-GCM: as strong, and ring's implementation of it runs
//! clean under valgrind, which the C face's tests use; its AES-GCM tag check does not.)
//!
//! The login JSON holds the token, the server's fields, the account's username, and when the
//! reply arrived on the wall clock with the lifetime measured then (so a reader tracks the
//! same expiry on its own monotonic clock). Whoever reads the record without the secret key
//! learns the entry's key and the record's length only; a record from a rotated secret key, a
//! record of another entry moved here, or a corrupt one simply does not open.

use std::time::{Duration, Instant};

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use ring::hkdf::{Salt, HKDF_SHA256};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::authentication::{wall_clock_ms, Authentication, User};

/// The format's version, the record's first byte.
pub(crate) const VERSION: u8 = 1;

/// Records longer than this are not read (a store holds a few hundred bytes per account).
pub(crate) const MAX_RECORD: usize = 64 * 1024;

const SALT: &[u8] = b"xpay-auth token store v1";

/// One account's sealing key, bound to its entry.
pub(crate) struct Sealer {
    key: LessSafeKey,
    aad: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct Login {
    access_token: String,
    expires_at: i64,
    username: String,
    scopes: Vec<String>,
    is_api: bool,
    ticket: String,
    uuid: String,
    message: String,
    /// When the reply arrived, ms since the epoch on the writer's clock.
    received_ms: i64,
    /// How long the token lived from then (ms).
    lifetime_ms: u64,
}

impl Sealer {
    /// `None` only if HKDF refused to expand (it never does for one 32-byte key).
    pub(crate) fn new(secret_key: &str, entry_key: &str) -> Option<Sealer> {
        let prk = Salt::new(HKDF_SHA256, SALT).extract(secret_key.as_bytes());
        let info = [entry_key.as_bytes()];
        let key = UnboundKey::from(prk.expand(&info, &CHACHA20_POLY1305).ok()?);
        let mut aad = vec![VERSION];
        aad.extend_from_slice(entry_key.as_bytes());
        Some(Sealer {
            key: LessSafeKey::new(key),
            aad,
        })
    }

    /// The record of `auth`, or `None` if no random nonce could be drawn.
    pub(crate) fn seal(&self, auth: &Authentication, now_ms: i64) -> Option<Vec<u8>> {
        let elapsed = i64::try_from(auth.received.elapsed().as_millis()).unwrap_or(i64::MAX);
        let login = Login {
            access_token: auth.access_token.clone(),
            expires_at: auth.expires_at,
            username: auth.user.username.clone(),
            scopes: auth.user.scopes.clone(),
            is_api: auth.user.is_api,
            ticket: auth.ticket.clone(),
            uuid: auth.uuid.clone(),
            message: auth.message.clone(),
            received_ms: now_ms.saturating_sub(elapsed),
            lifetime_ms: auth.lifetime_ms,
        };
        let mut text = Zeroizing::new(serde_json::to_vec(&login).ok()?);
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new().fill(&mut nonce).ok()?;
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(self.aad.as_slice()),
                &mut *text,
            )
            .ok()?;
        let mut record = Vec::with_capacity(1 + NONCE_LEN + text.len());
        record.push(VERSION);
        record.extend_from_slice(&nonce);
        record.extend_from_slice(&text);
        Some(record)
    }

    /// The login in `record` if it opens and is `username`'s, its expiry moved onto this
    /// process's monotonic clock.
    pub(crate) fn open(&self, record: &[u8], username: &str) -> Option<Authentication> {
        if record.len() > MAX_RECORD || record.len() < 1 + NONCE_LEN + 16 {
            return None;
        }
        if record[0] != VERSION {
            return None;
        }
        let nonce = Nonce::try_assume_unique_for_key(&record[1..1 + NONCE_LEN]).ok()?;
        let mut sealed = Zeroizing::new(record[1 + NONCE_LEN..].to_vec());
        let text = self
            .key
            .open_in_place(nonce, Aad::from(self.aad.as_slice()), &mut sealed)
            .ok()?;
        let login: Login = serde_json::from_slice(text).ok()?;
        if login.username != username || login.lifetime_ms == 0 {
            return None;
        }
        // A reply "from the future" (the clock stepped back) counts as just received.
        let age = u64::try_from(wall_clock_ms().saturating_sub(login.received_ms)).unwrap_or(0);
        if age >= login.lifetime_ms {
            return None;
        }
        let now = Instant::now();
        let received = now.checked_sub(Duration::from_millis(age)).unwrap_or(now);
        Some(Authentication {
            access_token: login.access_token,
            expires_at: login.expires_at,
            user: User {
                username: login.username,
                scopes: login.scopes,
                is_api: login.is_api,
            },
            ticket: login.ticket,
            uuid: login.uuid,
            message: login.message,
            received,
            lifetime_ms: login.lifetime_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(token: &str) -> Authentication {
        Authentication {
            access_token: token.into(),
            expires_at: wall_clock_ms() + 3_600_000,
            user: User {
                username: "demo@xpay.test".into(),
                scopes: vec!["tme_user".into()],
                is_api: true,
            },
            ticket: "t".repeat(32),
            uuid: "u".into(),
            message: "Authenticated".into(),
            received: Instant::now(),
            lifetime_ms: 3_600_000,
        }
    }

    #[test]
    fn a_record_opens_with_the_same_secret_and_entry_only() {
        let sealer = Sealer::new("demo-secret", "k1").unwrap();
        let record = sealer
            .seal(&auth("eyJ-token-text"), wall_clock_ms())
            .unwrap();
        assert_eq!(record[0], VERSION);
        assert!(!record
            .windows(b"eyJ-token-text".len())
            .any(|w| w == b"eyJ-token-text"));
        let back = sealer.open(&record, "demo@xpay.test").unwrap();
        assert_eq!(back.access_token, "eyJ-token-text");
        assert_eq!(back.user.scopes, ["tme_user"]);
        assert!(back.lifetime_ms == 3_600_000);
        // Another user's record, a rotated secret, another entry, a flipped bit, a version.
        assert!(sealer.open(&record, "other@xpay.test").is_none());
        assert!(Sealer::new("rotated", "k1")
            .unwrap()
            .open(&record, "demo@xpay.test")
            .is_none());
        assert!(Sealer::new("demo-secret", "k2")
            .unwrap()
            .open(&record, "demo@xpay.test")
            .is_none());
        let mut bad = record.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(sealer.open(&bad, "demo@xpay.test").is_none());
        let mut bad = record.clone();
        bad[0] = 2;
        assert!(sealer.open(&bad, "demo@xpay.test").is_none());
        assert!(sealer.open(b"", "demo@xpay.test").is_none());
        assert!(sealer.open(&record[..20], "demo@xpay.test").is_none());
    }

    #[test]
    fn an_expired_record_does_not_open() {
        let sealer = Sealer::new("s", "k").unwrap();
        let record = sealer
            .seal(&auth("tok"), wall_clock_ms() - 3_600_001)
            .unwrap();
        assert!(sealer.open(&record, "demo@xpay.test").is_none());
    }
}

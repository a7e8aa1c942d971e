//! Settings of the mock: what it is started with, and what `/__mock/reset` and
//! `/__mock/config` may change at run time.

use serde::{Deserialize, Serialize};

/// The account that exists when no other is configured.
pub const DEFAULT_ACCOUNT: (&str, &str) = ("demo@xpay.test", "demo-secret");

/// Default lifetime of an issued access token: one hour.
pub const DEFAULT_TOKEN_TTL_MS: u64 = 3_600_000;

/// Where a successful login reply puts its `uuid`.
///
/// The vendor's login page shows it inside `success`; the generic call
/// pattern puts it at the top level, beside `success`. Clients must accept both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum UuidPlacement {
    /// `{"success": {..., "uuid": ...}}`, as on the vendor's login page.
    #[serde(rename = "nested")]
    Nested,
    /// `{"success": {...}, "uuid": ...}`, the generic pattern.
    #[default]
    #[serde(rename = "top", alias = "top_level", alias = "toplevel")]
    TopLevel,
}

impl std::str::FromStr for UuidPlacement {
    type Err = String;

    /// Parses `nested` or `top` (the same words as the JSON form).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "nested" => Ok(Self::Nested),
            "top" | "top_level" | "toplevel" => Ok(Self::TopLevel),
            other => Err(format!(
                "unknown uuid placement {other:?} (expected \"nested\" or \"top\")"
            )),
        }
    }
}

/// How to start a [`MockServer`](crate::MockServer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockConfig {
    /// Accounts that may log in, as `(email, secret key)` pairs.
    pub accounts: Vec<(String, String)>,
    /// Lifetime of issued access tokens, in milliseconds.
    pub token_ttl_ms: u64,
    /// Where a successful login reply puts its `uuid`.
    pub uuid_placement: UuidPlacement,
    /// Address to listen on (a host name or an IP address).
    pub host: String,
    /// Port to listen on; `0` picks a free one (read it back with
    /// [`MockServer::addr`](crate::MockServer::addr)).
    pub port: u16,
    /// Close a keep-alive connection that has waited this long (ms) for its
    /// next request head; `None` (or `Some(0)`) keeps idle connections open.
    pub idle_timeout_ms: Option<u64>,
}

impl Default for MockConfig {
    /// The demo account, one-hour tokens, top-level `uuid`, `127.0.0.1`, a
    /// free port, no idle timeout.
    fn default() -> Self {
        Self {
            accounts: vec![(DEFAULT_ACCOUNT.0.to_owned(), DEFAULT_ACCOUNT.1.to_owned())],
            token_ttl_ms: DEFAULT_TOKEN_TTL_MS,
            uuid_placement: UuidPlacement::TopLevel,
            host: "127.0.0.1".to_owned(),
            port: 0,
            idle_timeout_ms: None,
        }
    }
}

/// Settings to change with [`MockServer::reset`](crate::MockServer::reset),
/// [`MockServer::configure`](crate::MockServer::configure), `/__mock/reset` or
/// `/__mock/config`. A field left `None` is not changed by `configure`, and
/// returns to its start-up value on `reset`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetConfig {
    /// New lifetime of issued access tokens, in milliseconds.
    #[serde(default)]
    pub token_ttl_ms: Option<u64>,
    /// New placement of the login reply's `uuid`.
    #[serde(default)]
    pub uuid_placement: Option<UuidPlacement>,
    /// New accounts (replacing all existing ones), as `[email, secret]` pairs.
    #[serde(default)]
    pub accounts: Option<Vec<(String, String)>>,
    /// New idle timeout of keep-alive connections, in ms (see
    /// [`MockConfig::idle_timeout_ms`]); `Some(0)` switches it off.
    #[serde(default)]
    pub idle_timeout_ms: Option<u64>,
}

/// An idle timeout as the server uses it: `0` means none.
fn idle_timeout(ms: Option<u64>) -> Option<u64> {
    ms.filter(|&ms| ms > 0)
}

/// The settings that may change while the server runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Settings {
    pub(crate) accounts: Vec<(String, String)>,
    pub(crate) token_ttl_ms: u64,
    pub(crate) uuid_placement: UuidPlacement,
    pub(crate) idle_timeout_ms: Option<u64>,
}

impl Settings {
    /// The run-time settings of a start-up configuration.
    pub(crate) fn from_config(config: &MockConfig) -> Self {
        Self {
            accounts: config.accounts.clone(),
            token_ttl_ms: config.token_ttl_ms,
            uuid_placement: config.uuid_placement,
            idle_timeout_ms: idle_timeout(config.idle_timeout_ms),
        }
    }

    /// Overwrites the settings that `changes` gives, leaving the others alone.
    pub(crate) fn apply(&mut self, changes: ResetConfig) {
        if let Some(ttl) = changes.token_ttl_ms {
            self.token_ttl_ms = ttl;
        }
        if let Some(placement) = changes.uuid_placement {
            self.uuid_placement = placement;
        }
        if let Some(accounts) = changes.accounts {
            self.accounts = accounts;
        }
        if let Some(timeout) = changes.idle_timeout_ms {
            self.idle_timeout_ms = idle_timeout(Some(timeout));
        }
    }

    /// Whether `username` / `secret` name a configured account.
    pub(crate) fn accepts(&self, username: &str, secret: &str) -> bool {
        self.accounts
            .iter()
            .any(|(u, s)| u == username && s == secret)
    }
}

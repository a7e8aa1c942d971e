//! The one conformance runner of xpay-auth: replays `tests/conformance/*.json` through every
//! face's small testee program (see `tests/conformance/README.md`).
//!
//! [`testee`] is usable on its own, e.g. by a soak tool driving a testee for a long time.

#![warn(missing_docs)]

pub mod cli;
pub mod expected;
pub mod face;
pub mod matching;
pub mod net;
pub mod redis_server;
pub mod report;
pub mod scenario;
pub mod steps;
pub mod testee;

/// The scenario directory of this source tree.
pub fn default_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../conformance")
}

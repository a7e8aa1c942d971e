//! `libxpay_auth`: the C face of xpay-auth.
//!
//! Every `extern "C"` function here converts C arguments into the core's types, calls the core's
//! blocking API (`sdk::blocking`, driven by the calling thread) and converts the result back.
//! Behaviour lives in the core; this crate only converts.
//!
//! The C conventions (owners, `_free(NULL)`, `xpay_error **err`, NULL and UTF-8 checks) are
//! written at the top of `include/xpay_auth.h` (from `cbindgen.toml`) and enforced by
//! [`boundary`], through which every entry point goes.

mod adapters;
mod auth;
mod boundary;
mod client;
mod config;
mod error;
mod session;
mod status;
mod strings;

pub use adapters::*;
pub use auth::*;
pub use client::*;
pub use config::*;
pub use error::*;
pub use session::*;
pub use status::*;
pub use strings::*;

//! The C face, for the `c_api` fuzz target: bindings-c's own source files (the same module
//! list as bindings-c/src/lib.rs), compiled as an rlib. The real `xpay-auth-c` crate is only a
//! cdylib/staticlib, which a Rust binary cannot depend on; linking its staticlib would bring a
//! second, uninstrumented copy of std and the core. To be replaced by `crate-type = [..., "rlib"]`
//! in bindings-c.

#![allow(dead_code, missing_docs)]

#[path = "../../../../bindings-c/src/auth.rs"]
mod auth;
#[path = "../../../../bindings-c/src/boundary.rs"]
mod boundary;
#[path = "../../../../bindings-c/src/client.rs"]
mod client;
#[path = "../../../../bindings-c/src/config.rs"]
mod config;
#[path = "../../../../bindings-c/src/error.rs"]
mod error;
#[path = "../../../../bindings-c/src/session.rs"]
mod session;
#[path = "../../../../bindings-c/src/status.rs"]
mod status;
#[path = "../../../../bindings-c/src/strings.rs"]
mod strings;

pub use auth::*;
pub use client::*;
pub use config::*;
pub use error::*;
pub use session::*;
pub use status::*;
pub use strings::*;

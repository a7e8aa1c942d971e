//! The one tokio runtime of the blocking faces (Rust `blocking`, C, Python's sync classes).
//!
//! It is a current-thread runtime driven by whichever caller is waiting in it: a blocking call
//! runs its request on the caller's own thread, with no hand-over to a worker thread and back
//! (the speed libcurl users expect). Several threads may wait at once; one drives the I/O for
//! all of them.
//!
//! It is created lazily and belongs to the process that created it: after `fork()` the child
//! finds a different pid and builds its own, leaking the parent's (whose threads do not exist
//! in the child, so dropping it could block forever).

use std::future::Future;
use std::sync::{Mutex, PoisonError};

use tokio::runtime::{Builder, Runtime};

use crate::error::{Error, ErrorKind, Result};

static RUNTIME: Mutex<Option<(u32, &'static Runtime)>> = Mutex::new(None);

/// The process's blocking runtime, created on first use (and again in a forked child).
fn runtime() -> Result<&'static Runtime> {
    let pid = std::process::id();
    let mut slot = RUNTIME.lock().unwrap_or_else(PoisonError::into_inner);
    match *slot {
        Some((owner, runtime)) if owner == pid => Ok(runtime),
        _ => {
            let runtime = Builder::new_current_thread()
                .enable_all()
                .thread_name("xpay-auth")
                .build()
                .map_err(|e| {
                    Error::new(
                        ErrorKind::Internal,
                        format!("could not start the I/O runtime: {e}"),
                    )
                })?;
            let runtime: &'static Runtime = Box::leak(Box::new(runtime));
            *slot = Some((pid, runtime));
            Ok(runtime)
        }
    }
}

/// Runs `future` to completion on the calling thread.
///
/// Fails with `invalid_argument` when called from inside an async runtime, where blocking
/// would stall it (tokio would panic): use the async [`Client`](crate::Client) there.
pub(crate) fn block_on<F: Future>(future: F) -> Result<F::Output> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Error::invalid_argument(
            "a blocking xpay-auth method was called from async code: use xpay_auth::Client \
             (the async client) there, or call it from a plain thread",
        ));
    }
    Ok(runtime()?.block_on(future))
}

/// Drives a background job (a token renewal) on its own thread; errors are the job's concern.
pub(crate) fn block_on_shared<F: Future<Output = ()>>(future: F) {
    if let Ok(runtime) = runtime() {
        runtime.block_on(future);
    }
}

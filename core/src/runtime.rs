//! The runtimes the core owns, both created lazily and both fork-aware.
//!
//! **The blocking runtime** serves the blocking faces (Rust `blocking`, C, Python's sync
//! classes). It is a current-thread runtime driven by whichever caller is waiting in it: a
//! blocking call runs its request on the caller's own thread, with no hand-over to a worker
//! thread and back (the speed libcurl users expect). Several threads may wait at once; one
//! drives the I/O for all of them.
//!
//! **The async runtime** ([`async_runtime`]) is a small multi-thread runtime for async faces
//! whose callers cannot drive tokio themselves (Python's asyncio loop): their futures are
//! spawned on it and complete on its worker threads.
//!
//! Each belongs to the process that created it: after `fork()` the child finds a different pid
//! and builds its own, leaking the parent's (whose threads do not exist in the child, so
//! dropping it could block forever).

use std::future::Future;
use std::sync::{Mutex, PoisonError};

use tokio::runtime::{Builder, Runtime};

use crate::error::{Error, ErrorKind, Result};

/// A runtime slot: the runtime and the pid of the process that built it.
type Slot = Mutex<Option<(u32, &'static Runtime)>>;

static BLOCKING: Slot = Mutex::new(None);
static ASYNC: Slot = Mutex::new(None);

/// The runtime in `slot` for this process, built by `build` on first use (and again in a
/// forked child).
fn for_this_process(
    slot: &Slot,
    build: fn() -> std::io::Result<Runtime>,
) -> Result<&'static Runtime> {
    let pid = std::process::id();
    let mut slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
    match *slot {
        Some((owner, runtime)) if owner == pid => Ok(runtime),
        _ => {
            let runtime = build().map_err(|e| {
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

fn blocking_runtime() -> Result<&'static Runtime> {
    for_this_process(&BLOCKING, || {
        Builder::new_current_thread()
            .enable_all()
            .thread_name("xpay-auth")
            .build()
    })
}

/// The process's multi-thread runtime for async faces that cannot drive one themselves (the
/// Python binding's `AsyncClient`): spawn the core's futures on it. Two worker threads, created
/// on first use and again in a forked child.
pub fn async_runtime() -> Result<&'static Runtime> {
    for_this_process(&ASYNC, || {
        Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .thread_name("xpay-auth-async")
            .build()
    })
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
    Ok(blocking_runtime()?.block_on(async {
        settle_idle_connections().await;
        future.await
    }))
}

/// Lets the runtime notice what happened to its idle keep-alive connections since it last ran.
///
/// This runtime only runs while a caller is inside it, so between two blocking calls nobody
/// reads the pooled connections: one the server closed meanwhile (an idle timeout, a restart)
/// still looks reusable, and a call sent on it fails after it may have been written, which
/// must not be retried. Yielding twice lets the I/O driver deliver the pending close (first
/// yield) and the connection's task act on it (second), so the pool drops the dead connection
/// before the request picks one. Costs two scheduler ticks per blocking request.
async fn settle_idle_connections() {
    for _ in 0..2 {
        tokio::task::yield_now().await;
    }
}

/// Drives a background job (a token renewal) on its own thread; errors are the job's concern.
pub(crate) fn block_on_shared<F: Future<Output = ()>>(future: F) {
    if let Ok(runtime) = blocking_runtime() {
        runtime.block_on(future);
    }
}

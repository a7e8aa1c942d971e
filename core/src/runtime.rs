//! How the core's futures are driven, and the one thread the blocking faces own.
//!
//! **Blocking faces** (Rust `blocking`, C, Python's sync classes) have no async runtime at all.
//! Their transport (`http1`) does its I/O synchronously inside the request future, so
//! `block_on` only polls that future on the calling thread and parks it when it waits for
//! another thread (a login a concurrent caller is running). Each caller drives its own request
//! on its own connection; nobody queues behind a shared driver.
//!
//! **Background renewals** of blocking sessions run on one driver thread per process
//! (`spawn_background`), started on first use and fed through a channel, never a thread per
//! renewal. A caller only enqueues the job; it never waits for it while it has a valid token.
//!
//! **The async runtime** ([`async_runtime`]) is a small multi-thread runtime for async faces
//! whose callers cannot drive tokio themselves (Python's asyncio loop): their futures are
//! spawned on it and complete on its worker threads.
//!
//! The driver thread and the async runtime belong to the process that created them: after
//! `fork()` the child finds a different pid and builds its own, leaking the parent's (whose
//! threads do not exist in the child, so touching their state could block forever).

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use futures_util::future::BoxFuture;

use tokio::runtime::{Builder, Runtime};

use crate::error::{Error, ErrorKind, Result};

/// A runtime slot: the runtime and the pid of the process that built it.
type Slot = Mutex<Option<(u32, &'static Runtime)>>;

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

/// Runs `future` to completion on the calling thread: polls it, and parks the thread while
/// it waits for another thread (the blocking transport never pends on I/O).
///
/// Fails with `invalid_argument` when called from inside an async runtime, where blocking
/// would stall it: use the async [`Client`](crate::Client) there.
pub(crate) fn block_on<F: Future>(future: F) -> Result<F::Output> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Error::invalid_argument(
            "a blocking xpay-auth method was called from async code: use xpay_auth::Client \
             (the async client) there, or call it from a plain thread",
        ));
    }
    Ok(park_on(future))
}

/// Wakes a parked thread.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

thread_local! {
    /// This thread's waker, made once (a clone is one reference count).
    static WAKER: Waker = Waker::from(Arc::new(Unpark(thread::current())));
}

/// The executor of the blocking faces: poll, park until woken, poll again.
fn park_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    // During thread-local destruction (a blocking call from a destructor) make one afresh.
    let waker = WAKER
        .try_with(Waker::clone)
        .unwrap_or_else(|_| Waker::from(Arc::new(Unpark(thread::current()))));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        // A spurious wake-up only costs one more poll.
        thread::park();
    }
}

/// A job for the background driver (a token renewal; it stores its own outcome).
pub(crate) type Job = BoxFuture<'static, ()>;

/// The driver of this process: the pid that started it and its queue.
static DRIVER: Mutex<Option<(u32, Sender<Job>)>> = Mutex::new(None);

/// Hands `job` to the process's background driver thread (started on first use, and again in
/// a forked child), without waiting for it. The jobs run one after another; each is
/// synchronous I/O bounded by the client's timeouts.
pub(crate) fn spawn_background(job: Job) {
    let failed = {
        let pid = std::process::id();
        let mut driver = DRIVER.lock().unwrap_or_else(PoisonError::into_inner);
        let job = match driver.as_ref() {
            Some((owner, queue)) if *owner == pid => match queue.send(job) {
                Ok(()) => return,
                // The thread is gone (it never exits, but be safe): start another.
                Err(mpsc::SendError(job)) => job,
            },
            _ => job,
        };
        let (queue, jobs) = mpsc::channel::<Job>();
        let spawned = thread::Builder::new()
            .name("xpay-auth-renewals".into())
            .spawn(move || {
                for job in jobs {
                    // A panicking job must not take the driver down with it.
                    let _ = std::panic::catch_unwind(AssertUnwindSafe(|| park_on(job)));
                }
            });
        match spawned {
            Ok(_) => {
                let _ = queue.send(job);
                // A parent's queue seen in a forked child is leaked, never dropped: its
                // receiver's thread does not exist here.
                if let Some(stale) = driver.replace((pid, queue)) {
                    std::mem::forget(stale);
                }
                None
            }
            Err(e) => Some(e),
        }
    };
    // Logged after the lock is released (a logger may take locks of its own).
    if let Some(e) = failed {
        tracing::warn!(target: "xpay_auth", "could not start the token renewal thread: {e}");
    }
}

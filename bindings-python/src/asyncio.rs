//! The bridge from the core's futures to asyncio awaitables.
//!
//! pyo3-async-runtimes does the asyncio side (a future created on the *running* loop, results
//! delivered with `call_soon_threadsafe`, cancellation of the awaiting task dropping the Rust
//! future, which aborts the request). Its runtime here is the core's fork-aware
//! [`async_runtime`], looked up on every spawn: a process forked after first use gets a runtime
//! of its own instead of the parent's, whose worker threads do not exist in the child.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyCFunction;
use pyo3::IntoPyObjectExt;
use pyo3_async_runtimes::generic::{self, ContextExt, JoinError, Runtime};
use pyo3_async_runtimes::TaskLocals;
use tokio::runtime::Handle;
use xpay_auth::runtime::async_runtime;
use xpay_auth::Error;

use crate::errors::{to_py_err, IntoPyResult};

/// Returns a coroutine that, once run by asyncio, hands `future` to the core's runtime and
/// awaits it: the native async methods behave like `async def` methods (nothing is sent before
/// the coroutine runs; `asyncio.create_task`, `gather`, `wait_for` and cancellation work).
///
/// The future yields a core result; it becomes a Python value or exception only when delivered
/// to the loop (attached to the interpreter there), never on a runtime worker.
pub fn awaitable<'py, F, T>(py: Python<'py>, future: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = Result<T, Error>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    // Fail here, with a Python exception, if the runtime cannot start; spawning then finds it.
    async_runtime().or_raise(py)?;
    // `start` runs inside the coroutine, on the loop that awaits it; it can run only once.
    let pending = Mutex::new(Some(future));
    let start = PyCFunction::new_closure(py, None, None, move |args, _kwargs| {
        let py = args.py();
        let future = pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .ok_or_else(|| {
                PyRuntimeError::new_err("this xpay_auth coroutine was already started")
            })?;
        generic::future_into_py::<CoreRuntime, _, _>(py, async move { Ok(Outcome(future.await)) })
            .map(Bound::unbind)
    })?;
    coroutine_helpers(py)?.getattr("run")?.call1((start,))
}

/// A coroutine that returns `value` at once: for answers the core has without waiting.
pub fn ready<'py, T: IntoPyObject<'py>>(py: Python<'py>, value: T) -> PyResult<Bound<'py, PyAny>> {
    coroutine_helpers(py)?.getattr("ready")?.call1((value,))
}

/// The module `xpay_auth._coroutine`, imported once.
fn coroutine_helpers(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static MODULE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    MODULE
        .get_or_try_init(py, || {
            py.import("xpay_auth._coroutine")
                .map(|m| m.into_any().unbind())
        })
        .map(|m| m.bind(py))
}

/// A core result on its way to Python: the value, or the matching `XPayError` raised.
struct Outcome<T>(Result<T, Error>);

impl<'py, T: IntoPyObject<'py>> IntoPyObject<'py> for Outcome<T> {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self.0 {
            Ok(value) => value.into_bound_py_any(py),
            Err(error) => Err(to_py_err(py, &error)),
        }
    }
}

/// The core's async runtime as a pyo3-async-runtimes runtime.
struct CoreRuntime;

tokio::task_local! {
    static TASK_LOCALS: TaskLocals;
}

/// The runtime to spawn on: the current one inside a task, else the core's for this process.
fn handle() -> Option<Handle> {
    Handle::try_current()
        .ok()
        .or_else(|| async_runtime().ok().map(|rt| rt.handle().clone()))
}

impl Runtime for CoreRuntime {
    type JoinError = SpawnError;
    type JoinHandle = Spawned;

    fn spawn<F>(fut: F) -> Spawned
    where
        F: Future<Output = ()> + Send + 'static,
    {
        match handle() {
            Some(h) => Spawned(Some(h.spawn(Delivering::track(fut)))),
            None => Spawned(None),
        }
    }

    fn spawn_blocking<F>(f: F) -> Spawned
    where
        F: FnOnce() + Send + 'static,
    {
        match handle() {
            Some(h) => Spawned(Some(h.spawn_blocking(Delivering::track_blocking(f)))),
            None => {
                // No runtime at all: deliver the result from here rather than never.
                f();
                Spawned(None)
            }
        }
    }
}

impl ContextExt for CoreRuntime {
    fn scope<F, R>(locals: TaskLocals, fut: F) -> Pin<Box<dyn Future<Output = R> + Send>>
    where
        F: Future<Output = R> + Send + 'static,
    {
        Box::pin(TASK_LOCALS.scope(locals, fut))
    }

    fn get_task_locals() -> Option<TaskLocals> {
        TASK_LOCALS.try_with(TaskLocals::clone).ok()
    }
}

/// Tasks spawned for asyncio that may still call into Python (their last step hands the result
/// to the loop with `call_soon_threadsafe`, which briefly releases the GIL to write the loop's
/// wake-up pipe). A worker still there when the interpreter finalizes cannot take the GIL back
/// and aborts the process, so an `atexit` hook waits for them ([`drain`]).
static DELIVERING: AtomicUsize = AtomicUsize::new(0);

/// Counts a task in [`DELIVERING`] from its spawn until it ends or is dropped (cancelled).
struct Delivering;

impl Delivering {
    fn track<F: Future<Output = ()> + Send + 'static>(fut: F) -> impl Future<Output = ()> + Send {
        DELIVERING.fetch_add(1, Ordering::AcqRel);
        let guard = Delivering;
        async move {
            fut.await;
            drop(guard);
        }
    }
}

impl Delivering {
    /// The same for a blocking task (pyo3-async-runtimes delivers results from one).
    fn track_blocking<F: FnOnce() + Send + 'static>(f: F) -> impl FnOnce() + Send + 'static {
        DELIVERING.fetch_add(1, Ordering::AcqRel);
        let guard = Delivering;
        move || {
            f();
            drop(guard);
        }
    }
}

impl Drop for Delivering {
    fn drop(&mut self) {
        DELIVERING.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Waits, with the GIL released, until no runtime task can still call into Python, for at
/// most `timeout_s` seconds; registered with `atexit` by the package. Returns whether all did.
#[pyfunction]
#[pyo3(signature = (timeout_s = 2.0))]
pub fn drain(py: Python<'_>, timeout_s: f64) -> bool {
    let deadline = Instant::now() + Duration::from_secs_f64(timeout_s.clamp(0.0, 60.0));
    py.detach(|| {
        while DELIVERING.load(Ordering::Acquire) > 0 {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        true
    })
}

/// A spawned task, or none when no runtime could be had (`async_runtime` failing after it
/// succeeded a moment earlier; never seen, but not a reason to panic).
struct Spawned(Option<tokio::task::JoinHandle<()>>);

impl Future for Spawned {
    type Output = Result<(), SpawnError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.0 {
            Some(handle) => Pin::new(handle)
                .poll(cx)
                .map(|r| r.map_err(|e| SpawnError(Some(e)))),
            None => Poll::Ready(Err(SpawnError(None))),
        }
    }
}

struct SpawnError(Option<tokio::task::JoinError>);

impl JoinError for SpawnError {
    fn is_panic(&self) -> bool {
        self.0.as_ref().is_some_and(|e| e.is_panic())
    }

    fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        match self.0 {
            Some(e) if e.is_panic() => e.into_panic(),
            _ => Box::new("the task was not started"),
        }
    }
}

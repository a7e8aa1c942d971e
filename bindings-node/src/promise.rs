//! Core futures as JS Promises, run on napi's tokio runtime so the event loop never waits.
//!
//! The future yields the core's `Result`; the JS side (values and errors alike) is built in the
//! settle callback, on the JS thread, where the environment may be used.

use std::future::Future;

use napi::bindgen_prelude::{PromiseRaw, ToNapiValue};
use napi::Env;

use crate::errors;

/// Spawns `work` and returns its Promise: resolved with `to_js(value)`, or rejected with the
/// core error as a JS error (see `errors`).
pub(crate) fn spawn<'env, T, V, F, M>(
    env: &'env Env,
    work: F,
    to_js: M,
) -> napi::Result<PromiseRaw<'env, V>>
where
    T: Send + 'static,
    V: ToNapiValue,
    F: Future<Output = Result<T, xpay_auth::Error>> + Send + 'static,
    M: FnOnce(&'env Env, T) -> napi::Result<V> + 'static,
{
    env.spawn_future_with_callback(
        async move { Ok(work.await) },
        move |env, outcome| match outcome {
            Ok(value) => to_js(env, value),
            Err(error) => Err(errors::to_js(env, &error)),
        },
    )
}

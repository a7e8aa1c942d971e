//! Core errors as JS `Error` objects: `message` is the core's human text (with advice), and
//! `code`, `status`, `tag`, `uuid`, `data` are own properties (absent ones are left unset).
//! `data` arrives as a JS value (parsed with `JSON.parse`), never as a JSON string.

use napi::bindgen_prelude::{Object, Status};
use napi::{Env, JsValue};

use crate::convert;

/// The JS error to throw or reject with for a core error.
pub(crate) fn to_js(env: &Env, error: &xpay_auth::Error) -> napi::Error {
    match build(env, error) {
        Ok(object) => napi::Error::from(object.to_unknown()),
        // Only when the environment is being torn down; keep the text at least.
        Err(_) => napi::Error::new(Status::GenericFailure, error.to_string()),
    }
}

/// An `invalid_argument` error raised by this binding's own argument conversion.
pub(crate) fn invalid_argument(message: impl Into<String>) -> xpay_auth::Error {
    xpay_auth::Error::new(xpay_auth::ErrorKind::InvalidArgument, message)
}

fn build<'env>(env: &'env Env, error: &xpay_auth::Error) -> napi::Result<Object<'env>> {
    let mut object =
        env.create_error(napi::Error::new(Status::GenericFailure, error.to_string()))?;
    object.set("code", error.code())?;
    if let Some(status) = error.status() {
        object.set("status", u32::from(status))?;
    }
    if let Some(tag) = error.tag() {
        object.set("tag", tag)?;
    }
    if let Some(uuid) = error.uuid() {
        object.set("uuid", uuid)?;
    }
    if let Some(data) = error.data() {
        object.set("data", convert::json_to_js(env, data)?)?;
    }
    Ok(object)
}

//! Value conversions between JS and the core: JSON bodies and results (through the engine's own
//! `JSON.stringify` / `JSON.parse`, so `toJSON`, `Date`s and `__proto__` keys behave exactly as
//! in plain JS), and typed reads of option objects with `invalid_argument` errors that name the
//! offending field.

use napi::bindgen_prelude::JsObjectValue;
use napi::bindgen_prelude::{FromNapiValue, Function, Object, Unknown};
use napi::{Env, ValueType};
use serde_json::Value;

use crate::errors::invalid_argument;

type CoreResult<T> = Result<T, xpay_auth::Error>;

/// A core JSON value as a JS value (`JSON.parse` of its text).
pub(crate) fn json_to_js<'env>(env: &'env Env, value: &Value) -> napi::Result<Unknown<'env>> {
    let text = serde_json::to_string(value)
        .map_err(|e| napi::Error::from_reason(format!("could not encode JSON: {e}")))?;
    let parse: Function<'_, String, Unknown<'_>> = json_function(env, "parse")?;
    parse.call(text)
}

/// A JS value as a core JSON value (`JSON.stringify`). `undefined` is JSON `null`; values JSON
/// cannot hold (cycles, BigInt, a bare function or symbol) are `invalid_argument`.
pub(crate) fn js_to_json(env: &Env, value: Option<Unknown<'_>>) -> CoreResult<Value> {
    let Some(value) = value else {
        return Ok(Value::Null);
    };
    let not_json =
        |why: String| invalid_argument(format!("the call's body is not JSON-serialisable: {why}"));
    let stringify: Function<'_, Unknown<'_>, Unknown<'_>> =
        json_function(env, "stringify").map_err(|e| not_json(e.reason.clone()))?;
    let text = stringify
        .call(value)
        .map_err(|e| not_json(e.reason.clone()))?;
    // JSON.stringify answers `undefined` (not a string) for functions and symbols.
    if text.get_type().ok() != Some(ValueType::String) {
        return Err(not_json("JSON.stringify gave no text for it".into()));
    }
    let text: String = read(&text).map_err(|_| not_json("unreadable text".into()))?;
    serde_json::from_str(&text).map_err(|e| not_json(e.to_string()))
}

fn json_function<'env, A, R>(env: &'env Env, name: &str) -> napi::Result<Function<'env, A, R>>
where
    A: napi::bindgen_prelude::JsValuesTupleIntoVec,
    R: FromNapiValue,
{
    let json: Object<'_> = env.get_global()?.get_named_property("JSON")?;
    json.get_named_property(name)
}

/// Reads a value already known to be of `T`'s JS type.
fn read<T: FromNapiValue>(value: &Unknown<'_>) -> napi::Result<T> {
    // SAFETY: `value` is a live handle of the current call's scope, and every caller checked
    // its JS type first (`get_type`); napi's getters also re-check and fail rather than misread.
    unsafe { value.cast::<T>() }
}

/// Whether a JS value is absent: `undefined` or `null`.
fn is_absent(value: &Unknown<'_>) -> bool {
    matches!(
        value.get_type(),
        Ok(ValueType::Undefined) | Ok(ValueType::Null)
    )
}

/// A plain options object (or nothing), with no keys but `known`: a typo such as `timeout`
/// for `timeoutMs` is an error rather than a silently ignored option.
pub(crate) fn options_object<'env>(
    value: Option<Unknown<'env>>,
    what: &str,
    known: &[&str],
) -> CoreResult<Option<Object<'env>>> {
    let Some(value) = value.filter(|v| !is_absent(v)) else {
        return Ok(None);
    };
    if value.get_type().ok() != Some(ValueType::Object) {
        return Err(invalid_argument(format!(
            "{what} must be an object, e.g. {{ {} }}",
            known.first().copied().unwrap_or_default()
        )));
    }
    let object: Object<'env> =
        read(&value).map_err(|_| invalid_argument(format!("{what} must be an object")))?;
    let keys = Object::keys(&object).map_err(|e| invalid_argument(e.reason.clone()))?;
    if let Some(unknown) = keys.iter().find(|k| !known.contains(&k.as_str())) {
        return Err(invalid_argument(format!(
            "unknown option {unknown:?} in {what}; the options are: {}",
            known.join(", ")
        )));
    }
    Ok(Some(object))
}

/// A property of `object`, absent when `undefined` or `null`.
fn property<'env>(object: &Object<'env>, key: &str) -> CoreResult<Option<Unknown<'env>>> {
    let value: Option<Unknown<'env>> = object
        .get(key)
        .map_err(|e| invalid_argument(format!("could not read {key}: {}", e.reason)))?;
    Ok(value.filter(|v| !is_absent(v)))
}

/// A property that is a string or a `Buffer` (e.g. PEM text), as bytes.
pub(crate) fn string_or_buffer(object: &Object<'_>, key: &str) -> CoreResult<Option<Vec<u8>>> {
    use napi::JsValue;
    let Some(value) = property(object, key)? else {
        return Ok(None);
    };
    let wrong = || invalid_argument(format!("{key} must be a string or a Buffer"));
    if value.get_type().ok() == Some(ValueType::String) {
        let text: String = read(&value).map_err(|_| wrong())?;
        return Ok(Some(text.into_bytes()));
    }
    if value.is_buffer().unwrap_or(false) {
        let buffer: napi::bindgen_prelude::Buffer = read(&value).map_err(|_| wrong())?;
        return Ok(Some(buffer.to_vec()));
    }
    Err(wrong())
}

fn typed<T: FromNapiValue>(
    object: &Object<'_>,
    key: &str,
    kind: ValueType,
    expected: &str,
) -> CoreResult<Option<T>> {
    let Some(value) = property(object, key)? else {
        return Ok(None);
    };
    if value.get_type().ok() != Some(kind) {
        return Err(invalid_argument(format!("{key} must be {expected}")));
    }
    read(&value)
        .map(Some)
        .map_err(|_| invalid_argument(format!("{key} must be {expected}")))
}

/// An optional string property.
pub(crate) fn string(object: &Object<'_>, key: &str) -> CoreResult<Option<String>> {
    typed(object, key, ValueType::String, "a string")
}

/// An optional boolean property.
pub(crate) fn boolean(object: &Object<'_>, key: &str) -> CoreResult<Option<bool>> {
    typed(object, key, ValueType::Boolean, "a boolean")
}

/// An optional whole, non-negative number no larger than `max` (JS numbers are doubles: 1.5,
/// -1, NaN and Infinity are refused rather than truncated).
pub(crate) fn whole_number(object: &Object<'_>, key: &str, max: u64) -> CoreResult<Option<u64>> {
    let expected = format!("a whole number from 0 to {max}");
    let Some(n) = typed::<f64>(object, key, ValueType::Number, &expected)? else {
        return Ok(None);
    };
    if !(n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= max as f64) {
        return Err(invalid_argument(format!(
            "{key} must be {expected}, not {n}"
        )));
    }
    Ok(Some(n as u64))
}

/// The `text` argument of `callRaw`: a string (that it is one JSON value is checked by the core).
pub(crate) fn json_text(value: Unknown<'_>) -> CoreResult<String> {
    if value.get_type().ok() != Some(ValueType::String) {
        return Err(invalid_argument(
            "the call's text must be a string of JSON, e.g. '{\"amount\":123456789012345678901}'",
        ));
    }
    read(&value).map_err(|_| invalid_argument("the call's text must be a string"))
}

/// The `path` argument of a call: a string (its shape is checked by the core).
pub(crate) fn path(value: Unknown<'_>) -> CoreResult<String> {
    if value.get_type().ok() != Some(ValueType::String) {
        return Err(invalid_argument(
            "the path must be a string, e.g. \"/client/echo\"",
        ));
    }
    read(&value).map_err(|_| invalid_argument("the path must be a string"))
}

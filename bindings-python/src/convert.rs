//! Python values to JSON and back, plus the numeric options (seconds, counts).
//!
//! `call` takes what `json.dumps` takes without options (dict with str keys, list, tuple, str,
//! int, float, bool, None) and returns `success.data` as the same kinds of objects. Anything
//! else is an `invalid_argument` error naming where in the body it sits, raised before any I/O.
//!
//! Money-safe: the body is written straight to JSON text here (an int of any size as its exact
//! digits, never through an i64 or a float), and `success.data` comes back as the server's
//! exact text, read by Python's own `json.loads` (ints of any size stay exact).

use std::time::Duration;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Number, Value};
use xpay_auth::Error;

use crate::errors::invalid_argument;

/// Deeper bodies are refused: it also stops a list that contains itself.
const MAX_DEPTH: usize = 128;

/// A Python object as JSON text (compact, keys in the dict's order).
pub fn to_json_text(obj: &Bound<'_, PyAny>) -> Result<String, Error> {
    let mut out = Vec::with_capacity(64);
    write_json(obj, "body", 0, &mut out).map_err(|why| {
        invalid_argument(format!("the call's body is not JSON-serialisable: {why}"))
    })?;
    // Only UTF-8 was written: str values were checked, the rest is ASCII.
    String::from_utf8(out).map_err(|_| invalid_argument("the call's body is not valid UTF-8"))
}

fn write_json(
    obj: &Bound<'_, PyAny>,
    at: &str,
    depth: usize,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!(
            "{at} is nested more than {MAX_DEPTH} levels deep (or contains itself)"
        ));
    }
    if obj.is_none() {
        out.extend_from_slice(b"null");
        return Ok(());
    }
    // bool before int: Python's bool is a subclass of int.
    if let Ok(b) = obj.cast::<PyBool>() {
        out.extend_from_slice(if b.is_true() { b"true" } else { b"false" });
        return Ok(());
    }
    if obj.is_instance_of::<PyInt>() {
        return write_int(obj, at, out);
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        let n = Number::from_f64(f.value())
            .ok_or_else(|| format!("{at} is {}, which JSON cannot express", f.value()))?;
        out.extend_from_slice(n.to_string().as_bytes());
        return Ok(());
    }
    if let Ok(s) = obj.cast::<PyString>() {
        let s = s
            .to_cow()
            .map_err(|_| format!("{at} is a str that is not valid Unicode (lone surrogate)"))?;
        return write_str(&s, out);
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        out.push(b'{');
        for (i, (key, value)) in dict.iter().enumerate() {
            let key = key
                .cast::<PyString>()
                .ok()
                .and_then(|k| k.to_cow().ok().map(|k| k.into_owned()))
                .ok_or_else(|| {
                    format!(
                        "{at} has a key of type {} (keys must be str)",
                        type_name(&key)
                    )
                })?;
            if i > 0 {
                out.push(b',');
            }
            write_str(&key, out)?;
            out.push(b':');
            write_json(&value, &format!("{at}[{key:?}]"), depth + 1, out)?;
        }
        out.push(b'}');
        return Ok(());
    }
    if let Ok(list) = obj.cast::<PyList>() {
        return write_seq(list.iter(), at, depth, out);
    }
    if let Ok(tuple) = obj.cast::<PyTuple>() {
        return write_seq(tuple.iter(), at, depth, out);
    }
    Err(format!("{at} is of type {}", type_name(obj)))
}

/// An int of any size as its exact decimal digits (`int.__repr__`, so that an `IntEnum` or
/// another subclass is written as its value, not its name).
fn write_int(obj: &Bound<'_, PyAny>, at: &str, out: &mut Vec<u8>) -> Result<(), String> {
    if let Ok(i) = obj.extract::<i64>() {
        out.extend_from_slice(i.to_string().as_bytes());
        return Ok(());
    }
    let digits = obj
        .py()
        .get_type::<PyInt>()
        .getattr("__repr__")
        .and_then(|repr| repr.call1((obj,)))
        .and_then(|text| text.extract::<String>())
        .map_err(|e| format!("{at} is an int Python cannot write as digits ({e})"))?;
    out.extend_from_slice(digits.as_bytes());
    Ok(())
}

fn write_str(s: &str, out: &mut Vec<u8>) -> Result<(), String> {
    serde_json::to_writer(&mut *out, s).map_err(|e| e.to_string())
}

fn write_seq<'py>(
    items: impl Iterator<Item = Bound<'py, PyAny>>,
    at: &str,
    depth: usize,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    out.push(b'[');
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_json(&item, &format!("{at}[{i}]"), depth + 1, out)?;
    }
    out.push(b']');
    Ok(())
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_owned())
}

/// `call_raw`'s body: a `str`, or `bytes` that are UTF-8.
pub fn text_arg(text: &Bound<'_, PyAny>) -> Result<String, Error> {
    if let Ok(s) = text.cast::<PyString>() {
        return s.to_cow().map(|s| s.into_owned()).map_err(|_| {
            invalid_argument("the call's text is not valid Unicode (lone surrogate)")
        });
    }
    if let Ok(b) = text.extract::<&[u8]>() {
        return std::str::from_utf8(b)
            .map(str::to_owned)
            .map_err(|_| invalid_argument("the call's text (bytes) is not valid UTF-8"));
    }
    Err(invalid_argument(format!(
        "the call's text must be str or bytes, not {}",
        type_name(text)
    )))
}

/// `success.data` as the server's exact JSON text on its way to Python: parsed by
/// `json.loads`, so an int of any size arrives exact (a fraction as a float, as always).
pub struct JsonText(pub String);

impl<'py> IntoPyObject<'py> for JsonText {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        static LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        LOADS.import(py, "json", "loads")?.call1((self.0,))
    }
}

/// A JSON value on its way to Python: dict, list, str, int, float, bool or None.
pub struct Json(pub Value);

impl<'py> IntoPyObject<'py> for Json {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        from_json(py, &self.0)
    }
}

fn from_json<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => number(py, n)?,
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(from_json(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (key, item) in map {
                dict.set_item(key, from_json(py, item)?)?;
            }
            dict.into_any()
        }
    })
}

fn number<'py>(py: Python<'py>, n: &Number) -> PyResult<Bound<'py, PyAny>> {
    if let Some(i) = n.as_i64() {
        return Ok(i.into_pyobject(py)?.into_any());
    }
    if let Some(u) = n.as_u64() {
        return Ok(u.into_pyobject(py)?.into_any());
    }
    // serde_json (without arbitrary precision) holds every other number as an f64.
    Ok(PyFloat::new(py, n.as_f64().unwrap_or(f64::NAN)).into_any())
}

/// A number of seconds as a `Duration`: finite and not negative.
pub fn seconds(name: &str, value: f64) -> Result<Duration, Error> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        invalid_argument(format!(
            "{name} must be a finite, non-negative number of seconds, got {value}"
        ))
    })
}

/// A count option that must fit in `u32` (e.g. `max_retries`).
pub fn count(name: &str, value: i64) -> Result<u32, Error> {
    u32::try_from(value).map_err(|_| {
        invalid_argument(format!(
            "{name} must be between 0 and {}, got {value}",
            u32::MAX
        ))
    })
}

/// Python's `repr()` of a string (`'a\'b'`), so reprs read like Python.
pub fn repr_str(py: Python<'_>, s: &str) -> String {
    PyString::new(py, s)
        .repr()
        .map(|r| r.to_string())
        .unwrap_or_else(|_| format!("{s:?}"))
}

/// Python's `repr()` of a list of strings.
pub fn repr_strs(py: Python<'_>, items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|s| repr_str(py, s)).collect();
    format!("[{}]", items.join(", "))
}

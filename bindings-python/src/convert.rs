//! Python values to JSON and back, plus the numeric options (seconds, counts).
//!
//! `call` takes what `json.dumps` takes without options (dict with str keys, list, tuple, str,
//! int, float, bool, None) and returns `success.data` as the same kinds of objects. Anything
//! else is an `invalid_argument` error naming where in the body it sits, raised before any I/O.

use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};
use xpay_auth::Error;

use crate::errors::invalid_argument;

/// Deeper bodies are refused: it also stops a list that contains itself.
const MAX_DEPTH: usize = 128;

/// A Python object as a JSON value.
pub fn to_json(obj: &Bound<'_, PyAny>) -> Result<Value, Error> {
    to_json_at(obj, "body", 0)
        .map_err(|why| invalid_argument(format!("the call's body is not JSON-serialisable: {why}")))
}

fn to_json_at(obj: &Bound<'_, PyAny>, at: &str, depth: usize) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err(format!(
            "{at} is nested more than {MAX_DEPTH} levels deep (or contains itself)"
        ));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    // bool before int: Python's bool is a subclass of int.
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        return int_to_json(obj, at);
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Number::from_f64(f.value())
            .map(Value::Number)
            .ok_or_else(|| format!("{at} is {}, which JSON cannot express", f.value()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return s
            .to_cow()
            .map(|s| Value::String(s.into_owned()))
            .map_err(|_| format!("{at} is a str that is not valid Unicode (lone surrogate)"));
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        return dict_to_json(dict, at, depth);
    }
    if let Ok(list) = obj.cast::<PyList>() {
        return seq_to_json(list.iter(), at, depth);
    }
    if let Ok(tuple) = obj.cast::<PyTuple>() {
        return seq_to_json(tuple.iter(), at, depth);
    }
    Err(format!("{at} is of type {}", type_name(obj)))
}

fn int_to_json(obj: &Bound<'_, PyAny>, at: &str) -> Result<Value, String> {
    if let Ok(i) = obj.extract::<i64>() {
        return Ok(Value::from(i));
    }
    obj.extract::<u64>()
        .map(Value::from)
        .map_err(|_| format!("{at} is an integer outside the 64-bit range"))
}

fn dict_to_json(dict: &Bound<'_, PyDict>, at: &str, depth: usize) -> Result<Value, String> {
    let mut map = Map::new();
    for (key, value) in dict.iter() {
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
        let value = to_json_at(&value, &format!("{at}[{key:?}]"), depth + 1)?;
        map.insert(key, value);
    }
    Ok(Value::Object(map))
}

fn seq_to_json<'py>(
    items: impl Iterator<Item = Bound<'py, PyAny>>,
    at: &str,
    depth: usize,
) -> Result<Value, String> {
    items
        .enumerate()
        .map(|(i, item)| to_json_at(&item, &format!("{at}[{i}]"), depth + 1))
        .collect::<Result<Vec<_>, _>>()
        .map(Value::Array)
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_owned())
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

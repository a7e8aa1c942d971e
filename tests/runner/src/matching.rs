//! The matching rules of `tests/conformance/README.md`: a pattern `M` against a JSON value.
//!
//! An object matches key by key (other keys of the value are ignored), an array element by
//! element (same length), a number numerically, any other scalar by equality. An object with a
//! single `$` key is a matcher (`$present`, `$prefix`, `$bind`, `$each`, ...).

use std::collections::HashMap;

use serde_json::Value;

/// Every matcher this runner knows.
pub const MATCHERS: &[&str] = &[
    "$present",
    "$absent",
    "$prefix",
    "$contains",
    "$not_contains",
    "$uuid",
    "$type",
    "$saved",
    "$not_saved",
    "$bind",
    "$min_length",
    "$max_length",
    "$min",
    "$max",
    "$each",
    "$any",
];

/// The names a scenario's values are kept under: `save` (for `$saved` / `$not_saved`) and
/// `$bind` (bound by the first match, compared afterwards).
#[derive(Debug, Default, Clone)]
pub struct Names {
    /// Values saved by a step's `save`.
    pub saved: HashMap<String, Value>,
    /// Values bound by `$bind`.
    pub bound: HashMap<String, Value>,
}

/// Whether `got` matches `want`; the error says where and why not.
pub fn matches(want: &Value, got: &Value, names: &mut Names) -> Result<(), String> {
    match_at("", want, got, names)
}

/// The matcher `v` is, if it is one: an object with exactly one key, starting with `$`.
pub fn as_matcher(v: &Value) -> Option<(&str, &Value)> {
    let obj = v.as_object()?;
    let (key, arg) = obj.iter().next()?;
    (obj.len() == 1 && key.starts_with('$')).then_some((key.as_str(), arg))
}

/// Checks that every matcher inside the pattern `m` is known and has a sane argument.
pub fn validate(m: &Value) -> Result<(), String> {
    if let Some((key, arg)) = as_matcher(m) {
        let ok = match key {
            "$present" | "$absent" | "$uuid" => arg.is_boolean(),
            "$prefix" | "$contains" | "$not_contains" | "$saved" | "$not_saved" | "$bind" => {
                arg.is_string()
            }
            "$type" => matches!(
                arg.as_str(),
                Some("string" | "number" | "boolean" | "object" | "array" | "null")
            ),
            "$min_length" | "$max_length" => arg.is_u64(),
            "$min" | "$max" => arg.is_number(),
            "$each" => return validate(arg),
            "$any" => {
                let Some(items) = arg.as_array() else {
                    return Err(format!("$any needs an array, got {arg}"));
                };
                return items.iter().try_for_each(validate);
            }
            other => return Err(format!("unknown matcher {other}")),
        };
        return if ok {
            Ok(())
        } else {
            Err(format!("bad argument for {key}: {arg}"))
        };
    }
    match m {
        Value::Object(map) => map.values().try_for_each(validate),
        Value::Array(items) => items.iter().try_for_each(validate),
        _ => Ok(()),
    }
}

fn match_at(at: &str, want: &Value, got: &Value, names: &mut Names) -> Result<(), String> {
    let fail = |why: String| Err(format!("at `{}`: {why} (got {})", path(at), brief(got)));
    if let Some((key, arg)) = as_matcher(want) {
        return match matcher(at, key, arg, got, names)? {
            true => Ok(()),
            false => fail(format!("does not match {want}")),
        };
    }
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                let gv = g.get(k).unwrap_or(&Value::Null);
                match_at(&format!("{at}.{k}"), wv, gv, names)?;
            }
            Ok(())
        }
        (Value::Array(w), Value::Array(g)) if w.len() == g.len() => {
            for (i, (wv, gv)) in w.iter().zip(g).enumerate() {
                match_at(&format!("{at}[{i}]"), wv, gv, names)?;
            }
            Ok(())
        }
        (Value::Number(_), Value::Number(_)) if numbers_equal(want, got) => Ok(()),
        (Value::Number(_), Value::Number(_)) => fail(format!("expected {want}")),
        _ if want == got => Ok(()),
        _ => fail(format!("expected {}", brief(want))),
    }
}

/// One matcher: `Ok(true)` matched, `Ok(false)` did not, `Err` a scenario mistake or a
/// failure inside `$each` (with its own location).
fn matcher(
    at: &str,
    key: &str,
    arg: &Value,
    got: &Value,
    names: &mut Names,
) -> Result<bool, String> {
    Ok(match key {
        "$present" => got.is_null() != arg.as_bool().unwrap_or(true),
        "$absent" => got.is_null() == arg.as_bool().unwrap_or(true),
        "$prefix" => str_pair(got, arg).is_some_and(|(g, p)| g.starts_with(p)),
        "$contains" => str_pair(got, arg).is_some_and(|(g, p)| g.contains(p)),
        "$not_contains" => !text_of(got).contains(arg.as_str().unwrap_or_default()),
        "$uuid" => got.as_str().is_some_and(is_uuid) == arg.as_bool().unwrap_or(true),
        "$type" => arg.as_str() == Some(json_type(got)),
        "$saved" => numbers_equal(saved(names, arg)?, got),
        "$not_saved" => !got.is_null() && !numbers_equal(saved(names, arg)?, got),
        "$bind" => {
            let name = arg.as_str().unwrap_or_default();
            match names.bound.get(name) {
                Some(bound) => numbers_equal(bound, got),
                None => {
                    names.bound.insert(name.to_owned(), got.clone());
                    true
                }
            }
        }
        "$min_length" => length(got).zip(arg.as_u64()).is_some_and(|(l, n)| l >= n),
        "$max_length" => length(got).zip(arg.as_u64()).is_some_and(|(l, n)| l <= n),
        "$min" => got.as_f64().zip(arg.as_f64()).is_some_and(|(g, n)| g >= n),
        "$max" => got.as_f64().zip(arg.as_f64()).is_some_and(|(g, n)| g <= n),
        "$each" => {
            let Some(items) = got.as_array() else {
                return Ok(false);
            };
            for (i, item) in items.iter().enumerate() {
                match_at(&format!("{at}[{i}]"), arg, item, names)?;
            }
            true
        }
        "$any" => {
            let options = arg.as_array().map(Vec::as_slice).unwrap_or_default();
            // A branch that fails leaves no bindings behind.
            options.iter().any(|option| {
                let mut trial = names.clone();
                let ok = match_at(at, option, got, &mut trial).is_ok();
                if ok {
                    *names = trial;
                }
                ok
            })
        }
        other => return Err(format!("at `{}`: unknown matcher {other}", path(at))),
    })
}

fn saved<'a>(names: &'a Names, arg: &Value) -> Result<&'a Value, String> {
    let name = arg.as_str().unwrap_or_default();
    names
        .saved
        .get(name)
        .ok_or_else(|| format!("nothing was saved as {name:?}"))
}

/// Equal JSON values, numbers compared numerically at any depth (`1` equals `1.0`).
pub fn numbers_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => match (x.as_u64(), y.as_u64()) {
                (Some(x), Some(y)) => x == y,
                _ => x.as_f64() == y.as_f64(),
            },
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| numbers_equal(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| numbers_equal(v, w)))
        }
        _ => a == b,
    }
}

fn str_pair<'a>(got: &'a Value, arg: &'a Value) -> Option<(&'a str, &'a str)> {
    got.as_str().zip(arg.as_str())
}

/// A string's own text, any other value's JSON.
fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Characters of a string, items of an array.
fn length(v: &Value) -> Option<u64> {
    match v {
        Value::String(s) => Some(s.chars().count() as u64),
        Value::Array(a) => Some(a.len() as u64),
        _ => None,
    }
}

/// The JSON type name of a value.
pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// 8-4-4-4-12 hex digits.
pub fn is_uuid(s: &str) -> bool {
    let parts: Vec<_> = s.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
}

fn path(at: &str) -> &str {
    if at.is_empty() {
        "."
    } else {
        at
    }
}

/// A value for a failure message, cut to a readable length.
pub fn brief(v: &Value) -> String {
    const MAX: usize = 300;
    let text = v.to_string();
    if text.chars().count() <= MAX {
        return text;
    }
    let cut: String = text.chars().take(MAX).collect();
    format!("{cut}... ({} bytes)", text.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(want: Value, got: Value) -> Result<(), String> {
        matches(&want, &got, &mut Names::default())
    }

    fn ok(want: Value, got: Value) {
        assert_eq!(check(want.clone(), got.clone()), Ok(()), "{want} vs {got}");
    }

    fn no(want: Value, got: Value) {
        assert!(
            check(want.clone(), got.clone()).is_err(),
            "{want} matched {got}"
        );
    }

    #[test]
    fn objects_match_their_keys_only() {
        ok(json!({"a": 1}), json!({"a": 1, "b": 2}));
        no(json!({"a": 1}), json!({"a": 2}));
        ok(json!({"gone": null}), json!({}));
        no(json!({"a": 1}), json!([1]));
    }

    #[test]
    fn arrays_match_element_by_element() {
        ok(json!([1, "two", null]), json!([1, "two", null]));
        no(json!([1, 2]), json!([1, 2, 3]));
        no(json!([2, 1]), json!([1, 2]));
    }

    #[test]
    fn numbers_compare_numerically() {
        ok(json!(1), json!(1.0));
        ok(json!({"n": 200}), json!({"n": 200.0}));
        ok(json!(1783077877510_i64), json!(1783077877510_u64));
        no(json!(1), json!(2));
        no(json!(1), json!("1"));
    }

    #[test]
    fn scalars_compare_by_equality() {
        ok(json!("x"), json!("x"));
        ok(json!(true), json!(true));
        ok(json!(null), json!(null));
        no(json!("x"), json!("y"));
        no(json!(false), json!(null));
    }

    #[test]
    fn present_and_absent() {
        ok(json!({"$present": true}), json!(0));
        no(json!({"$present": true}), json!(null));
        ok(json!({"a": {"$absent": true}}), json!({}));
        ok(json!({"a": {"$absent": true}}), json!({"a": null}));
        no(json!({"a": {"$absent": true}}), json!({"a": ""}));
    }

    #[test]
    fn prefix_and_contains() {
        ok(json!({"$prefix": "eyJ"}), json!("eyJhbG"));
        no(json!({"$prefix": "eyJ"}), json!("xeyJ"));
        no(json!({"$prefix": "1"}), json!(12));
        ok(json!({"$contains": "invalid"}), json!("an invalid key"));
        no(json!({"$contains": "invalid"}), json!("fine"));
    }

    #[test]
    fn not_contains_looks_at_text_or_json() {
        ok(json!({"$not_contains": "secret"}), json!("a message"));
        no(json!({"$not_contains": "secret"}), json!("my secret"));
        no(json!({"$not_contains": "secret"}), json!({"k": ["secret"]}));
        ok(json!({"$not_contains": "secret"}), json!(null));
    }

    #[test]
    fn uuid() {
        ok(
            json!({"$uuid": true}),
            json!("38e27ab0-d331-4c63-8f24-e1603739511d"),
        );
        no(
            json!({"$uuid": true}),
            json!("38e27ab0-d331-4c63-8f24-e1603739511"),
        );
        no(
            json!({"$uuid": true}),
            json!("38e27ab0-d331-4c63-8f24-e1603739511g"),
        );
        no(json!({"$uuid": true}), json!(null));
    }

    #[test]
    fn types() {
        for (t, v) in [
            ("string", json!("")),
            ("number", json!(1.5)),
            ("boolean", json!(false)),
            ("object", json!({})),
            ("array", json!([])),
            ("null", json!(null)),
        ] {
            ok(json!({"$type": t}), v.clone());
            no(
                json!({"$type": if t == "null" { "string" } else { "null" }}),
                v,
            );
        }
    }

    #[test]
    fn saved_and_not_saved() {
        let mut names = Names::default();
        names.saved.insert("t1".into(), json!("tok"));
        assert!(matches(&json!({"$saved": "t1"}), &json!("tok"), &mut names).is_ok());
        assert!(matches(&json!({"$saved": "t1"}), &json!("other"), &mut names).is_err());
        assert!(matches(&json!({"$not_saved": "t1"}), &json!("other"), &mut names).is_ok());
        assert!(matches(&json!({"$not_saved": "t1"}), &json!("tok"), &mut names).is_err());
        assert!(matches(&json!({"$not_saved": "t1"}), &json!(null), &mut names).is_err());
        let unknown = matches(&json!({"$saved": "t2"}), &json!("tok"), &mut names);
        assert!(unknown.unwrap_err().contains("nothing was saved"));
    }

    #[test]
    fn bind_binds_then_compares() {
        let mut names = Names::default();
        let want = json!([{"$bind": "u"}, {"$bind": "u"}]);
        assert!(matches(&want, &json!(["a", "a"]), &mut names).is_ok());
        assert_eq!(names.bound["u"], json!("a"));
        assert!(matches(&json!({"$bind": "u"}), &json!("b"), &mut names).is_err());
        let mut fresh = Names::default();
        assert!(matches(&want, &json!(["a", "b"]), &mut fresh).is_err());
    }

    #[test]
    fn lengths() {
        ok(json!({"$min_length": 2}), json!("ab"));
        ok(json!({"$min_length": 2}), json!("éé"));
        no(json!({"$min_length": 3}), json!("ab"));
        ok(json!({"$max_length": 2}), json!([1, 2]));
        no(json!({"$max_length": 1}), json!([1, 2]));
        no(json!({"$max_length": 1}), json!(5));
    }

    #[test]
    fn min_and_max() {
        ok(json!({"$min": 2}), json!(2));
        ok(json!({"$min": 2}), json!(2.5));
        no(json!({"$min": 2}), json!(1));
        ok(json!({"$max": 2}), json!(2.0));
        no(json!({"$max": 2}), json!(3));
        no(json!({"$max": 2}), json!("1"));
    }

    #[test]
    fn each_element() {
        ok(json!({"$each": {"$prefix": "a"}}), json!(["ab", "ac"]));
        ok(json!({"$each": {"k": 1}}), json!([]));
        no(json!({"$each": {"$prefix": "a"}}), json!(["ab", "b"]));
        no(json!({"$each": 1}), json!(1));
        let why = check(json!({"$each": {"$prefix": "a"}}), json!(["ab", "b"])).unwrap_err();
        assert!(why.contains("[1]"), "{why}");
    }

    #[test]
    fn any_of() {
        ok(
            json!({"$any": ["timeout", "connection"]}),
            json!("connection"),
        );
        no(json!({"$any": ["timeout", "connection"]}), json!("decode"));
        ok(json!({"$any": [{"$type": "null"}, {"$min": 1}]}), json!(3));
        // A failed branch binds nothing.
        let mut names = Names::default();
        let want = json!({"$any": [[{"$bind": "x"}, 1], [{"$bind": "y"}, 2]]});
        assert!(matches(&want, &json!(["v", 2]), &mut names).is_ok());
        assert!(!names.bound.contains_key("x"));
        assert_eq!(names.bound["y"], json!("v"));
    }

    #[test]
    fn failures_name_the_place() {
        let why = check(
            json!({"user": {"is_api": true}}),
            json!({"user": {"is_api": false}}),
        )
        .unwrap_err();
        assert!(why.contains("`.user.is_api`"), "{why}");
    }

    #[test]
    fn validate_finds_unknown_matchers_and_bad_arguments() {
        assert!(validate(&json!({"a": [{"$prefix": "x"}, {"$each": {"$min": 1}}]})).is_ok());
        assert!(validate(&json!({"a": {"$prefx": "x"}})).is_err());
        assert!(validate(&json!({"$type": "str"})).is_err());
        assert!(validate(&json!({"$any": {"$min": 1}})).is_err());
        assert!(validate(&json!({"$any": [{"$nope": 1}]})).is_err());
        // Two keys are a plain object, not a matcher.
        assert!(validate(&json!({"$a": 1, "$b": 2})).is_ok());
    }
}

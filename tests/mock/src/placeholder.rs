//! Placeholders in queued replies: `{{now_ms}}`, `{{now_ms+N}}`,
//! `{{now_ms-N}}` (N in ms), `{{http_date}}`, `{{http_date+N}}`,
//! `{{http_date-N}}` (N in seconds, or `Nms` in milliseconds), `{{uuid}}`,
//! `{{request_body}}` and `{{request_headers}}`.

use hyper::HeaderMap;
use serde_json::Value;

/// What placeholders are filled in from: the time and the request.
pub(crate) struct Placeholders<'a> {
    /// Unix time in ms.
    pub(crate) now_ms: u64,
    /// The request's `uuid` header, or a fresh one.
    pub(crate) uuid: &'a str,
    /// The request body, exactly as received.
    pub(crate) body: &'a [u8],
    /// The request headers, as received.
    pub(crate) headers: &'a HeaderMap,
}

impl Placeholders<'_> {
    /// Fills placeholders in every string of `value`; a string that is
    /// exactly a `now_ms` placeholder becomes a number.
    pub(crate) fn json(&self, value: Value) -> Value {
        match value {
            Value::String(s) => {
                if let Some(ms) = whole_now_placeholder(&s, self.now_ms) {
                    Value::from(ms)
                } else if s.contains("{{") {
                    Value::String(self.text(&s))
                } else {
                    Value::String(s)
                }
            }
            Value::Array(items) => items.into_iter().map(|v| self.json(v)).collect(),
            Value::Object(map) => {
                Value::Object(map.into_iter().map(|(k, v)| (k, self.json(v))).collect())
            }
            other => other,
        }
    }

    /// Fills placeholders in a header value. Line breaks and other control
    /// characters of inserted text (a request body, the request headers)
    /// become spaces, so the value can still be sent.
    pub(crate) fn header(&self, value: &str) -> String {
        if !value.contains("{{") {
            return value.to_owned();
        }
        self.text(value)
            .chars()
            .map(|c| if c.is_control() && c != '\t' { ' ' } else { c })
            .collect()
    }

    /// Replaces every known `{{...}}` placeholder in `text`; unknown ones stay.
    pub(crate) fn text(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else {
                break;
            };
            out.push_str(&rest[..start]);
            let inner = &after[..end];
            if !self.push_value(&mut out, inner) {
                out.push_str("{{");
                out.push_str(inner);
                out.push_str("}}");
            }
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        out
    }

    /// Appends the value of placeholder `inner`; false if it is unknown.
    fn push_value(&self, out: &mut String, inner: &str) -> bool {
        if let Some(ms) = offset_placeholder(inner, "now_ms", self.now_ms) {
            out.push_str(&ms.to_string());
        } else if let Some(ms) = date_placeholder(inner, self.now_ms) {
            out.push_str(&http_date(ms));
        } else {
            match inner.trim() {
                "uuid" => out.push_str(self.uuid),
                "request_body" => out.push_str(&String::from_utf8_lossy(self.body)),
                "request_headers" => push_headers(out, self.headers),
                _ => return false,
            }
        }
        true
    }
}

/// `name: value` lines joined by `\n`, in the order received (names lower case).
fn push_headers(out: &mut String, headers: &HeaderMap) {
    for (i, (name, value)) in headers.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(name.as_str());
        out.push_str(": ");
        out.push_str(&String::from_utf8_lossy(value.as_bytes()));
    }
}

/// The value of `s` if it is exactly one `{{now_ms...}}` placeholder.
fn whole_now_placeholder(s: &str, now: u64) -> Option<u64> {
    let inner = s.strip_prefix("{{")?.strip_suffix("}}")?;
    offset_placeholder(inner, "now_ms", now)
}

/// Evaluates `NAME`, `NAME+N` or `NAME-N` (clamped at 0) as `now` plus or
/// minus N (all in ms).
fn offset_placeholder(inner: &str, name: &str, now: u64) -> Option<u64> {
    let (negative, n) = offset(inner.trim().strip_prefix(name)?, 1)?;
    Some(if negative {
        now.saturating_sub(n)
    } else {
        now.saturating_add(n)
    })
}

/// Evaluates `http_date`, `http_date+N` or `http_date-N` to a time in ms:
/// N is in seconds (an HTTP date's resolution), or in milliseconds when
/// written `Nms` (`Ns` is seconds too).
fn date_placeholder(inner: &str, now: u64) -> Option<u64> {
    let rest = inner.trim().strip_prefix("http_date")?.trim();
    if rest.is_empty() {
        return Some(now);
    }
    if !rest.starts_with(['+', '-']) {
        return None;
    }
    let (rest, unit) = if let Some(rest) = rest.strip_suffix("ms") {
        (rest, 1)
    } else {
        (rest.strip_suffix('s').unwrap_or(rest), 1000)
    };
    let (negative, n) = offset(rest, unit)?;
    Some(if negative {
        now.saturating_sub(n)
    } else {
        now.saturating_add(n)
    })
}

/// Parses an empty offset (0), `+N` or `-N`, times `unit`: (negative, amount).
fn offset(text: &str, unit: u64) -> Option<(bool, u64)> {
    let text = text.trim();
    if text.is_empty() {
        return Some((false, 0));
    }
    let (negative, digits) = if let Some(digits) = text.strip_prefix('+') {
        (false, digits)
    } else {
        (true, text.strip_prefix('-')?)
    };
    let digits = digits.trim();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some((negative, n.saturating_mul(unit)))
}

/// Unix time `ms` as an IMF-fixdate (RFC 9110), e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
pub(crate) fn http_date(ms: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = ms / 1000;
    let days = secs / 86_400;
    let (year, month, day) = civil_from_days(days);
    let in_day = secs % 86_400;
    format!(
        "{}, {day:02} {} {year:04} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        in_day / 3600,
        in_day % 3600 / 60,
        in_day % 60,
    )
}

/// Year, month (1-12) and day (1-31) of a day count since 1970-01-01
/// (Howard Hinnant's `civil_from_days`, for non-negative days).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;
    use serde_json::json;

    fn with<T>(now_ms: u64, f: impl FnOnce(&Placeholders<'_>) -> T) -> T {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("mock"));
        headers.insert("authorization", HeaderValue::from_static("Bearer eyJ"));
        f(&Placeholders {
            now_ms,
            uuid: "U",
            body: br#"{"secretKey":"s3"}"#,
            headers: &headers,
        })
    }

    #[test]
    fn text_placeholders_are_replaced() {
        let out = with(100, |p| {
            p.text("a {{now_ms}} b {{now_ms+5}} c {{now_ms-5}} {{uuid}}")
        });
        assert_eq!(out, "a 100 b 105 c 95 U");
    }

    #[test]
    fn request_placeholders_quote_the_request() {
        let out = with(0, |p| {
            p.text("<pre>{{request_body}}</pre>|{{request_headers}}")
        });
        assert_eq!(
            out,
            "<pre>{\"secretKey\":\"s3\"}</pre>|host: mock\nauthorization: Bearer eyJ"
        );
        let json = with(0, |p| p.json(json!({"m": "got {{request_headers}}"})));
        assert_eq!(
            json,
            json!({"m": "got host: mock\nauthorization: Bearer eyJ"})
        );
    }

    #[test]
    fn header_values_lose_inserted_line_breaks() {
        let out = with(0, |p| p.header("x {{request_headers}}"));
        assert_eq!(out, "x host: mock authorization: Bearer eyJ");
        assert_eq!(with(0, |p| p.header("plain")), "plain");
    }

    #[test]
    fn http_dates_are_imf_fixdates() {
        assert_eq!(http_date(784_111_777_000), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(951_782_400_000), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(
            http_date(1_798_761_599_999),
            "Thu, 31 Dec 2026 23:59:59 GMT"
        );
        // N in seconds, or with `ms` in milliseconds.
        let out = with(784_111_777_000, |p| {
            p.text("{{http_date}}|{{http_date+60}}|{{http_date-1}}|{{http_date+7200s}}|{{http_date+60000ms}}|{{http_date-1500ms}}")
        });
        assert_eq!(
            out,
            "Sun, 06 Nov 1994 08:49:37 GMT|Sun, 06 Nov 1994 08:50:37 GMT|Sun, 06 Nov 1994 08:49:36 GMT|\
             Sun, 06 Nov 1994 10:49:37 GMT|Sun, 06 Nov 1994 08:50:37 GMT|Sun, 06 Nov 1994 08:49:35 GMT"
        );
    }

    #[test]
    fn unknown_and_unclosed_placeholders_stay() {
        with(1, |p| {
            assert_eq!(p.text("{{nope}} x"), "{{nope}} x");
            assert_eq!(p.text("x {{now_ms"), "x {{now_ms");
            assert_eq!(p.text("{{now_ms+x}}"), "{{now_ms+x}}");
            assert_eq!(p.text("{{now_msé}}"), "{{now_msé}}");
            assert_eq!(p.text("{{http_dates}}"), "{{http_dates}}");
            assert_eq!(p.text("{{http_date+}}"), "{{http_date+}}");
            assert_eq!(p.text("{{http_date+1h}}"), "{{http_date+1h}}");
            assert_eq!(p.text("{{now_ms+5ms}}"), "{{now_ms+5ms}}");
        });
    }

    #[test]
    fn whole_json_placeholder_becomes_a_number() {
        let v = json!({"a": "{{now_ms+600000}}", "b": ["t={{now_ms}}", "{{uuid}}"], "c": 1});
        let out = with(1000, |p| p.json(v));
        assert_eq!(out, json!({"a": 601000, "b": ["t=1000", "U"], "c": 1}));
    }

    #[test]
    fn negative_offsets_clamp_at_zero() {
        assert_eq!(whole_now_placeholder("{{now_ms-5000}}", 10), Some(0));
    }
}

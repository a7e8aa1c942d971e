//! Shaping queued replies: pieces of a given size, bodies cut short,
//! placeholders that quote the request, and `Date` headers.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::request;
use serde_json::json;
use xpay_mock::{MockConfig, MockServer, Reply};

const LOGIN: &str = "/client/authenticate";

fn start() -> MockServer {
    MockServer::start(MockConfig::default()).expect("start the mock")
}

/// Sends `POST path` on a fresh connection and reads until the server
/// closes it; returns the head and the body bytes that arrived.
fn until_closed(server: &MockServer, path: &str) -> (String, Vec<u8>) {
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(
            format!("POST {path} HTTP/1.1\r\nHost: mock\r\nContent-Length: 0\r\n\r\n").as_bytes(),
        )
        .unwrap();
    let mut got = Vec::new();
    stream
        .read_to_end(&mut got)
        .expect("a FIN, not a timeout or reset");
    let end = got
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a whole head");
    let head = String::from_utf8_lossy(&got[..end]).into_owned();
    (head, got[end + 4..].to_vec())
}

#[test]
fn chunk_bytes_sends_pieces_of_that_size_with_the_pause_between() {
    let server = start();
    server.queue(
        "/drip",
        vec![
            Reply::text("abcdef")
                .with_chunk_bytes(1)
                .with_chunk_delay_ms(40),
            Reply::text("abcdef").with_chunk_bytes(4),
        ],
    );
    let started = Instant::now();
    let response = request(server.addr(), "POST", "/drip", &[], b"");
    assert_eq!(response.text(), "abcdef");
    assert_eq!(response.header("content-length"), Some("6"));
    // Six one-byte pieces, five pauses between them.
    assert!(started.elapsed() >= Duration::from_millis(200));
    // Without a pause, just the piece size.
    let response = request(server.addr(), "POST", "/drip", &[], b"");
    assert_eq!(response.text(), "abcdef");
}

#[test]
fn close_after_bytes_closes_the_connection_mid_body() {
    let server = start();
    let body = r#"{"success": {"message": "Authenticated"}}"#;
    server.queue(
        "/cut",
        vec![
            Reply::text(body).with_close_after_bytes(5),
            Reply::text(body)
                .with_close_after_bytes(7)
                .with_chunk_bytes(2)
                .with_chunk_delay_ms(5),
            Reply::text(body).with_close_after_bytes(0),
        ],
    );
    let declared = format!("content-length: {}", body.len());
    for sent in [5, 7, 0] {
        let (head, got) = until_closed(&server, "/cut");
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(head.to_ascii_lowercase().contains(&declared), "{head}");
        assert_eq!(got, &body.as_bytes()[..sent]);
    }
    // The server goes on serving.
    assert_eq!(request(server.addr(), "POST", "/cut", &[], b"").status, 404);
    assert_eq!(server.request_count("/cut"), 4);
}

#[test]
fn close_after_bytes_past_the_end_sends_it_all_then_closes() {
    let server = start();
    server.queue("/whole", vec![Reply::text("abc").with_close_after_bytes(3)]);
    let (head, got) = until_closed(&server, "/whole");
    assert!(
        head.to_ascii_lowercase().contains("connection: close"),
        "{head}"
    );
    assert_eq!(got, b"abc");
}

#[test]
fn placeholders_quote_the_request_body_and_headers() {
    let server = start();
    server.queue(
        LOGIN,
        vec![Reply::text("<html><pre>{{request_body}}</pre></html>")
            .with_status(502)
            .with_header("Content-Type", "text/html")],
    );
    server.queue(
        "/client/echo",
        vec![Reply::json(
            json!({"error": {"message": "bad request:\n{{request_headers}}", "data": null}}),
        )
        .with_status(400)
        .with_header("X-Request-Headers", "{{request_headers}}")
        .with_header("X-Request-Body", "{{request_body}}")],
    );
    let login = br#"{"username":"demo@xpay.test","secretKey":"s3cr3t-key","isAPI":true}"#;
    let response = request(server.addr(), "POST", LOGIN, &[], login);
    assert_eq!(response.status, 502);
    assert_eq!(response.header("content-type"), Some("text/html"));
    assert_eq!(
        response.text(),
        format!("<html><pre>{}</pre></html>", String::from_utf8_lossy(login))
    );

    let response = request(
        server.addr(),
        "POST",
        "/client/echo",
        &[("Authorization", "Bearer eyJsecret-token")],
        b"{\"a\":\n1}",
    );
    assert_eq!(response.status, 400);
    let message = response.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.starts_with("bad request:\nhost: mock\n"),
        "{message}"
    );
    assert!(
        message.contains("\nauthorization: Bearer eyJsecret-token"),
        "{message}"
    );
    // In a header value, line breaks become spaces.
    let quoted = response.header("x-request-headers").unwrap();
    assert!(
        quoted.starts_with("host: mock content-length: 8 "),
        "{quoted}"
    );
    assert!(
        quoted.contains("authorization: Bearer eyJsecret-token"),
        "{quoted}"
    );
    assert_eq!(response.header("x-request-body"), Some("{\"a\": 1}"));
}

/// Whether `s` looks like an IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
fn is_imf_fixdate(s: &str) -> bool {
    let b = s.as_bytes();
    s.len() == 29
        && s.ends_with(" GMT")
        && &s[3..5] == ", "
        && b[16] == b' '
        && b[19] == b':'
        && b[22] == b':'
}

fn dates(response: &common::Response) -> Vec<&str> {
    response
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("date"))
        .map(|(_, v)| v.as_str())
        .collect()
}

#[test]
fn a_date_header_replaces_the_automatic_one() {
    let server = start();
    let fixed = "Sun, 06 Nov 1994 08:49:37 GMT";
    server.queue(
        "/dated",
        vec![
            Reply::empty(200).with_header("Date", fixed),
            Reply::empty(503)
                .with_header("date", "{{http_date-3600}}")
                .with_header("Retry-After", "{{http_date+2}}"),
            Reply::empty(200),
        ],
    );
    let response = request(server.addr(), "POST", "/dated", &[], b"");
    assert_eq!(dates(&response), vec![fixed]);

    let response = request(server.addr(), "POST", "/dated", &[], b"");
    assert_eq!(response.status, 503);
    let date = dates(&response);
    assert_eq!(date.len(), 1, "{date:?}");
    assert!(is_imf_fixdate(date[0]), "{date:?}");
    let retry = response.header("retry-after").unwrap();
    assert!(is_imf_fixdate(retry), "{retry}");
    assert_ne!(date[0], retry);

    // Without one, hyper's own: exactly one as well.
    let response = request(server.addr(), "POST", "/dated", &[], b"");
    let date = dates(&response);
    assert_eq!(date.len(), 1, "{date:?}");
    assert!(is_imf_fixdate(date[0]), "{date:?}");
}

#[test]
fn json_strings_get_http_dates_as_text() {
    let server = start();
    server.queue(
        "/j",
        vec![Reply::json(
            json!({"at": "{{http_date}}", "n": "{{now_ms}}"}),
        )],
    );
    let v = request(server.addr(), "POST", "/j", &[], b"").json();
    assert!(is_imf_fixdate(v["at"].as_str().unwrap()), "{v}");
    assert!(v["n"].is_u64(), "{v}");
}

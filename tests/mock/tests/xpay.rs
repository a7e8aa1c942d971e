//! The fake xPay endpoints: login, echo, unknown paths, and robustness.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{echo, eventually, login, post_json, request, token, Conn};
use serde_json::{json, Value};
use xpay_mock::{MockConfig, MockServer, UuidPlacement};

fn start() -> MockServer {
    MockServer::start(MockConfig::default()).expect("start the mock")
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn is_uuid_v4(v: &Value) -> bool {
    v.as_str()
        .and_then(|s| uuid::Uuid::parse_str(s).ok())
        .is_some_and(|u| u.get_version_num() == 4)
}

#[test]
fn login_succeeds_with_top_level_uuid_from_the_header() {
    let server = start();
    let before = now_ms();
    let body = json!({"username": "demo@xpay.test", "secretKey": "demo-secret", "isAPI": true});
    let response = post_json(
        server.addr(),
        "/client/authenticate",
        &[("uuid", "my-ref-1")],
        &body,
    );

    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let v = response.json();
    assert_eq!(v["uuid"], "my-ref-1");
    assert!(v["success"].get("uuid").is_none());
    assert_eq!(v["success"]["message"], "Authenticated");
    let data = &v["success"]["data"];
    assert_eq!(data["success"], true);
    let expires = data["expiresAt"].as_u64().expect("expiresAt is a number");
    assert!(expires >= before + 3_600_000 && expires <= now_ms() + 3_600_000);
    assert_eq!(
        data["user"],
        json!({"username": "demo@xpay.test", "scopes": ["tme_user"], "isAPI": true})
    );
    let ticket = data["ticket"].as_str().unwrap();
    assert_eq!(ticket.len(), 32);
    assert!(ticket
        .bytes()
        .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)));
    let token = data["access_token"].as_str().unwrap();
    assert!(token.starts_with("eyJ") && token.len() >= 40, "{token}");
}

#[test]
fn login_can_nest_the_uuid_and_makes_one_up_without_header() {
    let config = MockConfig {
        uuid_placement: UuidPlacement::Nested,
        ..MockConfig::default()
    };
    let server = MockServer::start(config).unwrap();
    let v = login(server.addr(), "demo@xpay.test", "demo-secret").json();
    assert!(v.get("uuid").is_none(), "{v}");
    assert!(is_uuid_v4(&v["success"]["uuid"]), "{v}");
    assert!(v["success"]["data"]["access_token"].is_string());

    let headers = [("uuid", "nested-ref")];
    let body = json!({"username": "demo@xpay.test", "secretKey": "demo-secret", "isAPI": true});
    let v = post_json(server.addr(), "/client/authenticate", &headers, &body).json();
    assert_eq!(v["success"]["uuid"], "nested-ref");
}

#[test]
fn login_reports_is_api_as_sent_when_boolean() {
    let server = start();
    let send = |is_api: Value| {
        let body =
            json!({"username": "demo@xpay.test", "secretKey": "demo-secret", "isAPI": is_api});
        post_json(server.addr(), "/client/authenticate", &[], &body).json()["success"]["data"]
            ["user"]["isAPI"]
            .clone()
    };
    assert_eq!(send(json!(false)), json!(false));
    assert_eq!(send(json!(true)), json!(true));
    assert_eq!(send(json!("true")), json!(true));
}

#[test]
fn login_issues_a_new_token_each_time() {
    let server = start();
    assert_ne!(token(server.addr()), token(server.addr()));
}

#[test]
fn login_with_configured_accounts_only() {
    let config = MockConfig {
        accounts: vec![
            ("a@x.test".into(), "sa".into()),
            ("b@x.test".into(), "sb".into()),
        ],
        ..MockConfig::default()
    };
    let server = MockServer::start(config).unwrap();
    assert!(login(server.addr(), "b@x.test", "sb")
        .json()
        .get("success")
        .is_some());
    assert!(login(server.addr(), "demo@xpay.test", "demo-secret")
        .json()
        .get("error")
        .is_some());
}

#[test]
fn wrong_credentials_get_a_business_error() {
    let server = start();
    let body = json!({"username": "demo@xpay.test", "secretKey": "nope", "isAPI": true});
    let response = post_json(
        server.addr(),
        "/client/authenticate",
        &[("uuid", "ref-2")],
        &body,
    );
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let v = response.json();
    assert_eq!(v["error"]["message"], "invalid credentials");
    assert_eq!(v["error"]["data"], json!({"invalid": true}));
    assert!(is_uuid_v4(&v["error"]["tag"]));
    assert_eq!(v["uuid"], "ref-2");
    assert!(v.get("success").is_none());
}

#[test]
fn malformed_login_requests_get_invalid_request() {
    let server = start();
    let bodies: [&[u8]; 4] = [
        b"not json",
        b"",
        br#"{"username": "demo@xpay.test"}"#,
        br#"{"username": 5, "secretKey": "demo-secret"}"#,
    ];
    for body in bodies {
        let response = request(server.addr(), "POST", "/client/authenticate", &[], body);
        assert_eq!(response.status, 200);
        let v = response.json();
        assert_eq!(v["error"]["message"], "invalid request", "{v}");
        assert_eq!(v["error"]["data"], Value::Null);
        assert!(is_uuid_v4(&v["uuid"]));
    }
}

#[test]
fn echo_with_a_valid_token_returns_the_body() {
    let server = start();
    let token = token(server.addr());
    let sent = json!({"hello": ["world", 1, null], "n": 1.5});
    let auth = format!("Bearer {token}");
    let response = post_json(
        server.addr(),
        "/client/echo",
        &[("Authorization", &auth), ("uuid", "echo-ref")],
        &sent,
    );
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let v = response.json();
    assert_eq!(
        v,
        json!({"success": {"message": "OK", "data": sent}, "uuid": "echo-ref"})
    );
}

#[test]
fn echo_of_an_empty_body_is_null_and_of_bad_json_an_error() {
    let server = start();
    let auth = format!("Bearer {}", token(server.addr()));
    let headers = [("Authorization", auth.as_str())];
    let v = request(server.addr(), "POST", "/client/echo", &headers, b"").json();
    assert_eq!(v["success"]["data"], Value::Null);
    let v = request(server.addr(), "POST", "/client/echo", &headers, b"{oops").json();
    assert_eq!(v["error"]["message"], "invalid request");
}

fn assert_unauthorized(response: &common::Response) {
    assert_eq!(response.status, 401);
    let v = response.json();
    assert_eq!(v["error"]["message"], "unauthorized");
    assert_eq!(v["error"]["data"], Value::Null);
    assert!(is_uuid_v4(&v["error"]["tag"]));
    assert!(v["uuid"].is_string());
}

#[test]
fn echo_without_or_with_an_unknown_token_is_unauthorized() {
    let server = start();
    assert_unauthorized(&echo(server.addr(), None, &json!({})));
    assert_unauthorized(&echo(server.addr(), Some("eyJnot-issued"), &json!({})));
    let basic = [("Authorization", "Basic Zm9vOmJhcg==")];
    assert_unauthorized(&request(
        server.addr(),
        "POST",
        "/client/echo",
        &basic,
        b"{}",
    ));
}

#[test]
fn echo_with_an_expired_token_is_unauthorized() {
    let config = MockConfig {
        token_ttl_ms: 1,
        ..MockConfig::default()
    };
    let server = MockServer::start(config).unwrap();
    let token = token(server.addr());
    let expired = eventually(Duration::from_secs(5), || {
        echo(server.addr(), Some(&token), &json!({})).status == 401
    });
    assert!(expired, "the token never expired");
}

#[test]
fn unknown_paths_are_404_and_wrong_methods_405() {
    let server = start();
    for path in ["/", "/client/unknown", "/__mockx", "/client/echo/extra"] {
        let response = request(server.addr(), "POST", path, &[], b"{}");
        assert_eq!(response.status, 404, "{path}");
        assert_eq!(response.header("content-type"), Some("text/plain"));
        assert_eq!(response.text(), "not found");
    }
    let response = request(server.addr(), "GET", "/client/authenticate", &[], b"");
    assert_eq!(response.status, 405);
    assert_eq!(response.header("allow"), Some("POST"));
}

#[test]
fn a_connection_is_kept_alive_across_requests() {
    let server = start();
    let mut conn = Conn::open(server.addr());
    let body = json!({"username": "demo@xpay.test", "secretKey": "demo-secret", "isAPI": true});
    for _ in 0..50 {
        let response = conn
            .send(
                "POST",
                "/client/authenticate",
                &[],
                body.to_string().as_bytes(),
            )
            .expect("a response on the same connection");
        assert_eq!(response.status, 200);
    }
    assert_eq!(server.request_count("/client/authenticate"), 50);
}

#[test]
fn malformed_http_gets_400_and_the_server_keeps_serving() {
    let server = start();
    let mut conn = Conn::open(server.addr());
    conn.write_raw(b"POST /client/echo HTTP/1.1\r\nHost: mock\r\nno colon here\r\n\r\n")
        .unwrap();
    let response = conn.read_response().expect("hyper answers a parse error");
    assert_eq!(response.status, 400);
    // Garbage that is not even a request line just gets the connection closed.
    let mut conn = Conn::open(server.addr());
    conn.write_raw(b"\x00\x01 garbage \xff\r\n\r\n").unwrap();
    assert!(conn.read_response().map_or(true, |r| r.status == 400));
    assert_eq!(
        login(server.addr(), "demo@xpay.test", "demo-secret").status,
        200
    );
}

#[test]
fn oversize_request_bodies_get_413() {
    let server = start();
    let mut conn = Conn::open(server.addr());
    // Only the head: the declared length alone is enough to refuse.
    conn.write_raw(b"POST /client/echo HTTP/1.1\r\nHost: mock\r\nContent-Length: 9000000\r\n\r\n")
        .unwrap();
    assert_eq!(conn.read_response().unwrap().status, 413);

    // A chunked body that grows past the limit is refused too.
    let mut conn = Conn::open(server.addr());
    conn.write_raw(
        b"POST /client/echo HTTP/1.1\r\nHost: mock\r\nTransfer-Encoding: chunked\r\n\r\n",
    )
    .unwrap();
    let chunk = vec![b' '; 1024 * 1024];
    let mut refused = false;
    for _ in 0..10 {
        let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
        framed.extend_from_slice(&chunk);
        framed.extend_from_slice(b"\r\n");
        if conn.write_raw(&framed).is_err() {
            refused = true;
            break;
        }
    }
    if !refused {
        assert_eq!(conn.read_response().unwrap().status, 413);
    }
    assert_eq!(server.request_count("/client/echo"), 2);
}

#[test]
fn shutdown_stops_listening() {
    let server = start();
    let addr = server.addr();
    assert_eq!(login(addr, "demo@xpay.test", "demo-secret").status, 200);
    server.shutdown();
    assert!(std::net::TcpStream::connect(addr).is_err());
}

#[tokio::test]
async fn starts_and_stops_inside_a_tokio_runtime() {
    let server = start();
    assert!(server.base_url().starts_with("http://127.0.0.1:"));
    let addr = server.addr();
    let status =
        tokio::task::spawn_blocking(move || login(addr, "demo@xpay.test", "demo-secret").status)
            .await
            .unwrap();
    assert_eq!(status, 200);
    drop(server);
}

#[test]
fn echo_splices_the_exact_body_text_and_records_it() {
    let server = start();
    let auth = format!("Bearer {}", token(server.addr()));
    let headers = [("Authorization", auth.as_str()), ("uuid", "exact-1")];
    for (sent, data) in [
        (
            r#"{"amount":123456789012345678901}"#,
            r#"{"amount":123456789012345678901}"#,
        ),
        (
            " [1.0e2, -0.0, \"\\u00e9\", 0.1000000000000000055511151231257827] \n",
            "[1.0e2, -0.0, \"\\u00e9\", 0.1000000000000000055511151231257827]",
        ),
    ] {
        let response = request(
            server.addr(),
            "POST",
            "/client/echo",
            &headers,
            sent.as_bytes(),
        );
        assert_eq!(response.status, 200);
        assert_eq!(
            response.text(),
            format!(r#"{{"success":{{"message":"OK","data":{data}}},"uuid":"exact-1"}}"#)
        );
        let last = server.requests().pop().unwrap();
        assert_eq!(last.body, sent);
        assert!(last.json.is_some());
    }
}

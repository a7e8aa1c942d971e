//! The `/__mock/` control endpoints and their Rust counterparts.

mod common;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{control, echo, login, post_json, request, token, Conn};
use serde_json::{json, Value};
use xpay_mock::{MockConfig, MockServer, Reply, ResetConfig, UuidPlacement};

const LOGIN: &str = "/client/authenticate";

fn start() -> MockServer {
    MockServer::start(MockConfig::default()).expect("start the mock")
}

fn demo_login(server: &MockServer) -> common::Response {
    login(server.addr(), "demo@xpay.test", "demo-secret")
}

fn queue(server: &MockServer, path: &str, replies: Value) -> common::Response {
    control(
        server.addr(),
        "queue",
        Some(json!({"path": path, "replies": replies})),
    )
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[test]
fn queued_replies_are_served_in_order_then_built_in_handling_resumes() {
    let server = start();
    let queued = queue(
        &server,
        LOGIN,
        json!([
            {"status": 503, "headers": {"Retry-After": "0"}},
            {"status": 429, "body": "slow down", "headers": {"Content-Type": "text/plain"}},
            {"json": {"error": {"message": "boom", "data": null}, "uuid": "u"}},
        ]),
    );
    assert_eq!(queued.status, 200);
    assert_eq!(queued.json(), json!({"ok": true, "queued": 3}));

    let first = demo_login(&server);
    assert_eq!(first.status, 503);
    assert_eq!(first.header("retry-after"), Some("0"));
    assert_eq!(first.header("content-type"), Some("application/json"));
    assert!(first.body.is_empty());

    let second = demo_login(&server);
    assert_eq!(second.status, 429);
    assert_eq!(second.header("content-type"), Some("text/plain"));
    assert_eq!(second.text(), "slow down");

    let third = demo_login(&server);
    assert_eq!(third.status, 200);
    assert_eq!(third.json()["error"]["message"], "boom");

    assert!(demo_login(&server).json()["success"]["data"]["access_token"].is_string());
    assert_eq!(server.request_count(LOGIN), 4);
}

#[test]
fn queues_are_per_path_and_work_on_unknown_paths() {
    let server = start();
    server.queue(
        "/client/wallets/save",
        vec![Reply::json(json!({"saved": true}))],
    );
    assert_eq!(demo_login(&server).status, 200);
    let saved = post_json(server.addr(), "/client/wallets/save", &[], &json!({}));
    assert_eq!(saved.json(), json!({"saved": true}));
    let again = post_json(server.addr(), "/client/wallets/save", &[], &json!({}));
    assert_eq!(again.status, 404);
}

#[test]
fn pad_bytes_make_a_big_but_valid_json_body() {
    let server = start();
    queue(
        &server,
        LOGIN,
        json!([{"json": {"a": 1}, "pad_bytes": 100_000}]),
    );
    let response = demo_login(&server);
    assert_eq!(response.body.len(), r#"{"a":1}"#.len() + 100_000);
    assert_eq!(response.json(), json!({"a": 1}));
}

#[test]
fn placeholders_are_filled_in() {
    let server = start();
    let before = now_ms();
    queue(
        &server,
        LOGIN,
        json!([
            {"json": {"expiresAt": "{{now_ms+600000}}", "now": "{{now_ms}}", "ref": "{{uuid}}", "note": "at {{now_ms}}"}},
            {"body": "{\"uuid\": \"{{uuid}}\", \"t\": {{now_ms-1000}}}"},
        ]),
    );
    let body = json!({"username": "x", "secretKey": "y"});
    let v = post_json(server.addr(), LOGIN, &[("uuid", "ref-7")], &body).json();
    let after = now_ms();
    let expires = v["expiresAt"].as_u64().expect("a number, not a string");
    assert!(expires >= before + 600_000 && expires <= after + 600_000);
    let now = v["now"].as_u64().unwrap();
    assert!(now >= before && now <= after);
    assert_eq!(v["ref"], "ref-7");
    assert_eq!(v["note"], format!("at {now}"));

    let v = post_json(server.addr(), LOGIN, &[("uuid", "ref-8")], &body).json();
    assert_eq!(v["uuid"], "ref-8");
    let t = v["t"].as_u64().unwrap();
    assert!(t + 1000 >= before && t + 1000 <= now_ms());
}

fn queued_login(token: &str, expires_at: &str) -> Value {
    json!({"json": {
        "success": {"message": "Authenticated", "data": {
            "success": true, "expiresAt": expires_at, "access_token": token, "ticket": "0",
            "user": {"username": "demo@xpay.test", "scopes": ["tme_user"], "isAPI": true}}},
        "uuid": "{{uuid}}"}})
}

#[test]
fn a_queued_login_registers_its_token_until_its_expiry() {
    let server = start();
    queue(
        &server,
        LOGIN,
        json!([
            queued_login("eyJqueued-live", "{{now_ms+60000}}"),
            queued_login("eyJqueued-dead", "{{now_ms-1}}"),
        ]),
    );
    let live = demo_login(&server).json();
    assert_eq!(live["success"]["data"]["access_token"], "eyJqueued-live");
    assert!(live["success"]["data"]["expiresAt"].is_u64());
    demo_login(&server);
    assert_eq!(
        echo(server.addr(), Some("eyJqueued-live"), &json!(1)).status,
        200
    );
    assert_eq!(
        echo(server.addr(), Some("eyJqueued-dead"), &json!(1)).status,
        401
    );
}

#[test]
fn a_close_reply_drops_the_connection_without_a_byte() {
    let server = start();
    server.queue(LOGIN, vec![Reply::closing()]);
    let mut conn = Conn::open(server.addr());
    conn.write_raw(
        b"POST /client/authenticate HTTP/1.1\r\nHost: mock\r\nContent-Length: 2\r\n\r\n{}",
    )
    .unwrap();
    assert_eq!(conn.read_to_close().expect("EOF, not a timeout"), 0);
    // The queue moved on and the server still serves.
    assert_eq!(demo_login(&server).status, 200);
    assert_eq!(server.request_count(LOGIN), 2);
}

#[test]
fn delays_hold_back_the_head_and_the_body_pieces() {
    let server = start();
    queue(
        &server,
        LOGIN,
        json!([
            {"delay_ms": 150, "json": {"late": true}},
            {"chunk_delay_ms": 50, "body": "0123456789abcdef"},
            {"chunk_delay_ms": 1, "json": "x", "pad_bytes": 300_000},
        ]),
    );
    let started = Instant::now();
    assert_eq!(demo_login(&server).json(), json!({"late": true}));
    assert!(started.elapsed() >= Duration::from_millis(150));

    let started = Instant::now();
    let response = demo_login(&server);
    assert_eq!(response.text(), "0123456789abcdef");
    assert_eq!(response.header("content-length"), Some("16"));
    // Four pieces, three pauses between them.
    assert!(started.elapsed() >= Duration::from_millis(150));

    let response = demo_login(&server);
    assert_eq!(response.body.len(), 3 + 300_000);
    assert_eq!(response.json(), json!("x"));
}

#[test]
fn bad_queue_requests_are_refused_with_400() {
    let server = start();
    let bad = [
        json!({"path": LOGIN, "replies": [{"status": 1000}]}),
        json!({"path": LOGIN, "replies": [{"headers": {"bad name": "x"}}]}),
        json!({"path": LOGIN, "replies": [{"stauts": 500}]}),
        json!({"path": "/__mock/counts", "replies": []}),
        json!({"path": "client/authenticate", "replies": []}),
        json!({"replies": []}),
    ];
    for body in bad {
        let response = control(server.addr(), "queue", Some(body.clone()));
        assert_eq!(response.status, 400, "{body}");
        assert!(response.json()["error"].is_string());
    }
    let response = request(server.addr(), "POST", "/__mock/queue", &[], b"{not json");
    assert_eq!(response.status, 400);
    // Nothing was queued.
    assert!(demo_login(&server).json().get("success").is_some());
}

#[test]
fn counts_cover_xpay_paths_but_not_control_requests() {
    let server = start();
    demo_login(&server);
    demo_login(&server);
    echo(server.addr(), None, &json!({}));
    request(server.addr(), "POST", "/nowhere", &[], b"");
    let counts = request(server.addr(), "GET", "/__mock/counts", &[], b"");
    assert_eq!(counts.status, 200);
    assert_eq!(
        counts.json(),
        json!({"/client/authenticate": 2, "/client/echo": 1, "/nowhere": 1})
    );
    assert_eq!(
        control(server.addr(), "counts", None).json()["/client/authenticate"],
        2
    );
    assert_eq!(server.request_count(LOGIN), 2);
    assert_eq!(server.request_count("/never"), 0);
    assert_eq!(server.request_counts().len(), 3);
}

#[test]
fn requests_are_recorded_with_headers_and_body() {
    let server = start();
    let body = json!({"username": "demo@xpay.test", "secretKey": "demo-secret", "isAPI": true});
    post_json(
        server.addr(),
        LOGIN,
        &[("UUID", "rec-1"), ("X-Twice", "a"), ("x-twice", "b")],
        &body,
    );
    echo(server.addr(), Some("tok"), &json!([1, 2]));
    request(server.addr(), "POST", "/client/echo?x=1", &[], b"not json");

    let all = server.requests();
    assert_eq!(all.len(), 3);
    let first = &all[0];
    assert_eq!(first.path, LOGIN);
    assert_eq!(first.method, "POST");
    assert_eq!(first.headers.get("uuid").map(String::as_str), Some("rec-1"));
    assert_eq!(
        first.headers.get("x-twice").map(String::as_str),
        Some("a, b")
    );
    assert_eq!(
        first.headers.get("content-type").map(String::as_str),
        Some("application/json")
    );
    assert_eq!(first.json.as_ref(), Some(&body));
    assert_eq!(
        all[1].headers.get("authorization").map(String::as_str),
        Some("Bearer tok")
    );
    assert_eq!(all[2].path, "/client/echo");
    assert_eq!(all[2].body, "not json");
    assert_eq!(all[2].json, None);

    let over_http = request(server.addr(), "GET", "/__mock/requests", &[], b"").json();
    assert_eq!(over_http.as_array().unwrap().len(), 3);
    assert_eq!(over_http[1]["json"], json!([1, 2]));
    assert_eq!(over_http[0]["headers"]["uuid"], "rec-1");

    let echoes = request(
        server.addr(),
        "GET",
        "/__mock/requests?path=%2Fclient%2Fecho",
        &[],
        b"",
    );
    let echoes = echoes.json();
    assert_eq!(echoes.as_array().unwrap().len(), 2);
    assert!(echoes
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["path"] == "/client/echo"));
}

#[test]
fn only_the_last_64_requests_are_kept_oldest_first() {
    let server = start();
    let mut conn = Conn::open(server.addr());
    for i in 0..70 {
        let response = conn
            .send("POST", "/client/echo", &[], format!("{i}").as_bytes())
            .unwrap();
        assert_eq!(response.status, 401);
    }
    let kept = server.requests();
    assert_eq!(kept.len(), 64);
    assert_eq!(kept[0].body, "6");
    assert_eq!(kept[63].body, "69");
    assert_eq!(server.request_count("/client/echo"), 70);
}

#[test]
fn reset_clears_everything_and_applies_or_restores_settings() {
    let server = start();
    let token = token(server.addr());
    queue(&server, LOGIN, json!([{"status": 500}]));
    let reset = control(
        server.addr(),
        "reset",
        Some(
            json!({"uuid_placement": "nested", "accounts": [["new@x.test", "s3"]], "token_ttl_ms": 1000}),
        ),
    );
    assert_eq!(reset.json(), json!({"ok": true}));
    assert_eq!(control(server.addr(), "counts", None).json(), json!({}));
    assert!(server.requests().is_empty());
    assert_eq!(
        echo(server.addr(), Some(&token), &json!(0)).status,
        401,
        "tokens cleared"
    );

    // The queued 500 is gone; new settings apply.
    let before = now_ms();
    let v = login(server.addr(), "new@x.test", "s3").json();
    assert!(v["success"]["uuid"].is_string(), "nested: {v}");
    let expires = v["success"]["data"]["expiresAt"].as_u64().unwrap();
    assert!(expires >= before + 1000 && expires <= now_ms() + 1000);
    assert!(demo_login(&server).json().get("error").is_some());

    // A reset without settings returns to the start-up ones.
    assert_eq!(control(server.addr(), "reset", None).status, 200);
    let v = demo_login(&server).json();
    assert!(
        v["uuid"].is_string() && v["success"].get("uuid").is_none(),
        "{v}"
    );
    assert!(login(server.addr(), "new@x.test", "s3")
        .json()
        .get("error")
        .is_some());
    assert_eq!(server.request_count(LOGIN), 2);
}

#[test]
fn reset_from_rust_and_bad_reset_bodies() {
    let server = start();
    demo_login(&server);
    server.reset(Some(ResetConfig {
        uuid_placement: Some(UuidPlacement::Nested),
        ..ResetConfig::default()
    }));
    assert_eq!(server.request_count(LOGIN), 0);
    assert!(demo_login(&server).json()["success"]["uuid"].is_string());
    server.reset(None);
    assert!(demo_login(&server).json()["uuid"].is_string());

    let response = control(server.addr(), "reset", Some(json!({"ttl": 5})));
    assert_eq!(response.status, 400);
    let response = control(
        server.addr(),
        "reset",
        Some(json!({"uuid_placement": "sideways"})),
    );
    assert_eq!(response.status, 400);
}

#[test]
fn config_changes_only_the_given_settings() {
    let server = start();
    let token = token(server.addr());
    let response = control(
        server.addr(),
        "config",
        Some(json!({"uuid_placement": "nested"})),
    );
    assert_eq!(response.json(), json!({"ok": true}));
    // Nothing cleared: the token still works, counts kept.
    assert_eq!(echo(server.addr(), Some(&token), &json!(0)).status, 200);
    assert_eq!(server.request_count(LOGIN), 1);
    let v = demo_login(&server).json();
    assert!(v["success"]["uuid"].is_string());

    server.configure(ResetConfig {
        accounts: Some(vec![("only@x.test".into(), "k".into())]),
        ..ResetConfig::default()
    });
    assert!(demo_login(&server).json().get("error").is_some());
    let v = login(server.addr(), "only@x.test", "k").json();
    assert!(v["success"]["uuid"].is_string(), "placement kept: {v}");
}

#[test]
fn revoke_forgets_issued_tokens() {
    let server = start();
    let token = token(server.addr());
    assert_eq!(echo(server.addr(), Some(&token), &json!(0)).status, 200);
    assert_eq!(
        control(server.addr(), "revoke", None).json(),
        json!({"ok": true})
    );
    assert_eq!(echo(server.addr(), Some(&token), &json!(0)).status, 401);

    let token = common::token(server.addr());
    server.revoke_tokens();
    assert_eq!(echo(server.addr(), Some(&token), &json!(0)).status, 401);
}

#[test]
fn unknown_control_paths_are_404_and_other_methods_405() {
    let server = start();
    let response = control(server.addr(), "nope", None);
    assert_eq!(response.status, 404);
    assert_eq!(response.text(), "not found");
    assert_eq!(
        request(server.addr(), "DELETE", "/__mock/reset", &[], b"").status,
        405
    );
    assert!(
        server.request_counts().is_empty(),
        "control requests are not counted"
    );
    assert!(
        server.requests().is_empty(),
        "control requests are not recorded"
    );
}

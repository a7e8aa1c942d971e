//! Connection figures, restarts and the idle timeout.

mod common;

use std::time::Duration;

use common::{echo, eventually, login, request, token, Conn};
use serde_json::json;
use xpay_mock::{ConnectionStats, MockConfig, MockServer, Reply, ResetConfig};

const LOGIN: &str = "/client/authenticate";
const PATIENCE: Duration = Duration::from_secs(10);

fn start() -> MockServer {
    MockServer::start(MockConfig::default()).expect("start the mock")
}

fn stats(open: u64, accepted: u64, idle_closed: u64) -> ConnectionStats {
    ConnectionStats {
        open,
        accepted,
        idle_closed,
    }
}

/// Waits until the server's figures are `want`; fails with the last ones.
fn wait_for(server: &MockServer, want: ConnectionStats) {
    let mut last = server.connections();
    let held = eventually(PATIENCE, || {
        last = server.connections();
        last == want
    });
    assert!(held, "connections: want {want:?}, have {last:?}");
}

fn demo_login_body() -> Vec<u8> {
    json!({"username": "demo@xpay.test", "secretKey": "demo-secret", "isAPI": true})
        .to_string()
        .into_bytes()
}

#[test]
fn connections_are_counted_open_accepted_and_reset() {
    let server = start();
    assert_eq!(server.connections(), ConnectionStats::default());
    let mut a = Conn::open(server.addr());
    let mut b = Conn::open(server.addr());
    for conn in [&mut a, &mut b] {
        assert_eq!(
            conn.send("POST", LOGIN, &[], &demo_login_body())
                .unwrap()
                .status,
            200
        );
    }
    wait_for(&server, stats(2, 2, 0));
    drop(a);
    wait_for(&server, stats(1, 2, 0));
    // A reset clears `accepted`, not `open`.
    server.reset(None);
    assert_eq!(server.connections(), stats(1, 0, 0));
    // Over HTTP, on the connection that is still open.
    let response = b.send("GET", "/__mock/connections", &[], b"").unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(
        response.json(),
        json!({"open": 1, "accepted": 0, "idle_closed": 0})
    );
    drop(b);
    wait_for(&server, stats(0, 0, 0));
    let response = request(server.addr(), "GET", "/__mock/connections", &[], b"");
    assert_eq!(
        response.json(),
        json!({"open": 1, "accepted": 1, "idle_closed": 0})
    );
}

#[test]
fn restart_closes_every_connection_and_keeps_all_state() {
    let mut server = start();
    let addr = server.addr();
    let token = token(addr);
    server.queue("/queued", vec![Reply::text("one"), Reply::text("two")]);
    assert_eq!(request(addr, "POST", "/queued", &[], b"").text(), "one");
    server.configure(ResetConfig {
        token_ttl_ms: Some(123_456),
        ..ResetConfig::default()
    });

    // One idle keep-alive connection, one waiting for a delayed reply.
    let mut idle = Conn::open(addr);
    assert_eq!(
        idle.send("POST", LOGIN, &[], &demo_login_body())
            .unwrap()
            .status,
        200
    );
    server.queue("/slow", vec![Reply::text("late").with_delay_ms(60_000)]);
    let mut busy = Conn::open(addr);
    busy.write_raw(b"POST /slow HTTP/1.1\r\nHost: mock\r\nContent-Length: 0\r\n\r\n")
        .unwrap();
    assert!(eventually(PATIENCE, || server.request_count("/slow") == 1));
    let before = server.connections();
    assert_eq!(before.open, 2, "{before:?}");

    server.restart().expect("restart");
    assert_eq!(server.addr(), addr);
    // Both connections were closed: EOF (or a reset), not a timeout.
    assert_eq!(idle.read_to_close().expect("idle connection closed"), 0);
    assert_eq!(busy.read_to_close().expect("busy connection closed"), 0);
    wait_for(&server, stats(0, before.accepted, 0));

    // Same port, same state: the token, the rest of the queue, the counts
    // and the settings survived.
    assert_eq!(echo(addr, Some(&token), &json!({"a": 1})).status, 200);
    assert_eq!(request(addr, "POST", "/queued", &[], b"").text(), "two");
    assert_eq!(server.request_count("/queued"), 2);
    assert_eq!(server.request_count(LOGIN), 2);
    let login = login(addr, "demo@xpay.test", "demo-secret").json();
    let expires_at = login["success"]["data"]["expiresAt"].as_u64().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    assert!(expires_at <= now + 123_456, "the configured ttl was kept");
    assert_eq!(server.connections().accepted, before.accepted + 3);
}

#[test]
fn restart_can_be_repeated_and_the_server_then_shuts_down() {
    let mut server = start();
    let addr = server.addr();
    for _ in 0..3 {
        let mut conn = Conn::open(addr);
        assert_eq!(
            conn.send("POST", LOGIN, &[], &demo_login_body())
                .unwrap()
                .status,
            200
        );
        server.restart().expect("restart");
        assert_eq!(conn.read_to_close().expect("closed by the restart"), 0);
    }
    assert_eq!(server.request_count(LOGIN), 3);
    server.shutdown();
    assert!(std::net::TcpStream::connect(addr).is_err());
}

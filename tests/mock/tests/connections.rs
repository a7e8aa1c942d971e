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
        tls_refused: 0,
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
        json!({"open": 1, "accepted": 0, "idle_closed": 0, "tls_refused": 0})
    );
    drop(b);
    wait_for(&server, stats(0, 0, 0));
    let response = request(server.addr(), "GET", "/__mock/connections", &[], b"");
    assert_eq!(
        response.json(),
        json!({"open": 1, "accepted": 1, "idle_closed": 0, "tls_refused": 0})
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

/// A raw keep-alive connection: one request, its whole reply, then nothing.
struct Raw {
    stream: std::net::TcpStream,
}

impl Raw {
    fn open(server: &MockServer) -> Raw {
        let stream = std::net::TcpStream::connect(server.addr()).unwrap();
        // The longest any read may block: the test fails instead of hanging.
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        Raw { stream }
    }

    /// Sends `POST path` with `body` and reads the reply (framed by its
    /// Content-Length); returns its body.
    fn exchange(&mut self, path: &str, body: &[u8]) -> Vec<u8> {
        use std::io::{Read, Write};
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: mock\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        self.stream.write_all(head.as_bytes()).unwrap();
        self.stream.write_all(body).unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = self.stream.read(&mut buf).expect("the reply");
            assert!(n > 0, "closed before the whole reply: {got:?}");
            got.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&got);
            if let Some(end) = text.find("\r\n\r\n") {
                let length: usize = text[..end]
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap())
                    })
                    .expect("a Content-Length");
                if got.len() >= end + 4 + length {
                    return got[end + 4..].to_vec();
                }
            }
        }
    }

    /// Blocks until the server closes the connection: read() returns 0 (a
    /// FIN). A timeout or stray bytes fail the test.
    fn wait_for_fin(&mut self) {
        use std::io::Read;
        let mut buf = [0u8; 64];
        match self.stream.read(&mut buf) {
            Ok(0) => {}
            Ok(n) => panic!("unexpected bytes: {:?}", String::from_utf8_lossy(&buf[..n])),
            Err(e) => panic!("no FIN: {e}"),
        }
    }
}

#[test]
fn an_idle_keep_alive_connection_is_closed_with_a_fin_and_counted() {
    let server = MockServer::start(MockConfig {
        idle_timeout_ms: Some(300),
        ..MockConfig::default()
    })
    .unwrap();
    let mut raw = Raw::open(&server);
    let reply = raw.exchange(LOGIN, &demo_login_body());
    assert!(String::from_utf8_lossy(&reply).contains("access_token"));
    raw.wait_for_fin();
    wait_for(&server, stats(0, 1, 1));
}

#[test]
fn idle_time_counts_from_the_end_of_the_previous_response() {
    let server = MockServer::start(MockConfig {
        idle_timeout_ms: Some(300),
        ..MockConfig::default()
    })
    .unwrap();
    // The request arrives at once; its head then waits 400 ms and its body
    // takes 3 x 150 ms more, far longer than the idle timeout: a connection
    // with a request in progress is not idle, so the reply arrives whole.
    let slow = Reply::text("0123456789")
        .with_delay_ms(400)
        .with_chunk_bytes(3)
        .with_chunk_delay_ms(150);
    server.queue("/slow", vec![slow]);
    let mut raw = Raw::open(&server);
    assert_eq!(raw.exchange("/slow", b""), b"0123456789");
    // Only once the response is out does the idle time start.
    raw.wait_for_fin();
    wait_for(&server, stats(0, 1, 1));
}

#[test]
fn the_idle_timeout_is_set_by_config_and_reset_over_http() {
    let server = start();
    let mut raw = Raw::open(&server);
    raw.exchange(LOGIN, &demo_login_body());
    // Switched on while the connection is already idle: it applies at once.
    let body = br#"{"idle_timeout_ms": 50}"#;
    assert_eq!(
        common::request(server.addr(), "POST", "/__mock/config", &[], body).status,
        200
    );
    raw.wait_for_fin();
    // (The config request's own connection may have been closed idle too.)
    assert!(server.connections().idle_closed >= 1);
    // A reset returns to the start-up value (none) and clears the figures.
    server.reset(Some(ResetConfig {
        idle_timeout_ms: Some(0),
        ..ResetConfig::default()
    }));
    assert_eq!(server.connections().idle_closed, 0);
    let bad = common::request(
        server.addr(),
        "POST",
        "/__mock/reset",
        &[],
        br#"{"idle_timeout_ms": "x"}"#,
    );
    assert_eq!(bad.status, 400);
}

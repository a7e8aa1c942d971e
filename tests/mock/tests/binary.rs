//! The `xpay-mock` binary: start-up line, flags, exit behaviour.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{eventually, login};

const BIN: &str = env!("CARGO_BIN_EXE_xpay-mock");

/// A running binary, killed when dropped so a failing test leaves nothing behind.
struct Mock {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary with `args` and reads the base URL from its first line.
fn spawn(args: &[&str]) -> Mock {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn xpay-mock");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("read the first line");
    let url = line.trim_end();
    let addr = url
        .strip_prefix("http://")
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("first line is not a base URL: {line:?}"));
    Mock { child, addr }
}

#[test]
fn prints_its_url_first_and_serves_the_default_account() {
    let mock = spawn(&["--port", "0", "--exit-on-stdin-close"]);
    assert!(mock.addr.ip().is_loopback());
    assert_ne!(mock.addr.port(), 0);
    let response = login(mock.addr, "demo@xpay.test", "demo-secret");
    assert_eq!(response.status, 200);
    assert!(response.json()["success"]["data"]["access_token"].is_string());
}

#[test]
fn flags_configure_accounts_and_uuid_placement() {
    let mock = spawn(&[
        "--port=0",
        "--account",
        "a@x.test:secret:with:colons",
        "--uuid-placement",
        "nested",
        "--token-ttl-ms",
        "5000",
        "--threads",
        "1",
    ]);
    let v = login(mock.addr, "a@x.test", "secret:with:colons").json();
    assert!(v["success"]["uuid"].is_string(), "{v}");
    assert!(login(mock.addr, "demo@xpay.test", "demo-secret")
        .json()
        .get("error")
        .is_some());
}

#[test]
fn exits_when_stdin_closes_if_asked() {
    let mut mock = spawn(&["--exit-on-stdin-close"]);
    drop(mock.child.stdin.take());
    let exited = eventually(
        Duration::from_secs(10),
        || matches!(mock.child.try_wait(), Ok(Some(status)) if status.success()),
    );
    assert!(exited, "the mock did not exit after stdin closed");
}

#[test]
fn bad_arguments_exit_with_code_2() {
    for args in [
        &["--port", "nope"][..],
        &["--bogus"],
        &["--account", "x"],
        &["--port"],
    ] {
        let output = Command::new(BIN).args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("error"), "{stderr}");
    }
}

#[test]
fn help_prints_usage() {
    let output = Command::new(BIN).arg("--help").output().unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("--exit-on-stdin-close") && stdout.contains("--account"));
}

#[test]
fn idle_timeout_flag_closes_idle_connections() {
    let mock = spawn(&["--idle-timeout-ms", "300", "--exit-on-stdin-close"]);
    let mut conn = common::Conn::open(mock.addr);
    let body = serde_json::json!({"username": "demo@xpay.test", "secretKey": "demo-secret"});
    let response = conn
        .send(
            "POST",
            "/client/authenticate",
            &[],
            body.to_string().as_bytes(),
        )
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(conn.read_to_close().expect("closed, not a timeout"), 0);
}

//! The `xpay-auth` binary against the mock: every subcommand and exit status, the refused
//! argument secret, the file store (a second `token` makes no request; processes started
//! together make one login; one login per token lifetime however many processes run), `call`
//! with a body from stdin.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use xpay_mock::{MockConfig, MockServer, Reply};

const BIN: &str = env!("CARGO_BIN_EXE_xpay-auth");
const LOGIN: &str = "/client/authenticate";

/// A temporary directory removed at the end of the test.
struct Temp(PathBuf);

impl Temp {
    fn new(name: &str) -> Temp {
        let path = std::env::temp_dir().join(format!(
            "xpay-auth-cli-{name}-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&path).unwrap();
        Temp(path)
    }

    fn store(&self) -> String {
        format!("file:{}", self.0.join("store").display())
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The CLI with a clean environment: the mock's URL and account, a cache home of its own.
fn cli(mock: &MockServer, home: &Temp) -> Command {
    let mut c = Command::new(BIN);
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("XDG_CACHE_HOME", home.0.join("cache"))
        .env("XPAY_BASE_URL", mock.base_url())
        .env("XPAY_USERNAME", "demo@xpay.test")
        .env("XPAY_SECRET_KEY", "demo-secret")
        .stdin(Stdio::null());
    c
}

fn run(mut c: Command) -> Output {
    c.output().expect("the xpay-auth binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn logins(mock: &MockServer) -> u64 {
    mock.request_count(LOGIN)
}

#[track_caller]
fn assert_status(o: &Output, want: i32) {
    assert_eq!(
        o.status.code(),
        Some(want),
        "stdout: {}\nstderr: {}",
        stdout(o),
        stderr(o)
    );
}

#[test]
fn token_prints_the_token_and_a_second_run_makes_no_request() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let home = Temp::new("token");
    let first = run({
        let mut c = cli(&mock, &home);
        c.arg("token");
        c
    });
    assert_status(&first, 0);
    let token = stdout(&first);
    assert!(
        token.starts_with("eyJ") && token.ends_with('\n'),
        "{token:?}"
    );
    assert_eq!(token.trim_end().lines().count(), 1);
    assert!(stderr(&first).is_empty(), "{}", stderr(&first));
    assert_eq!(logins(&mock), 1);
    let second = run({
        let mut c = cli(&mock, &home);
        c.arg("token");
        c
    });
    assert_status(&second, 0);
    assert_eq!(stdout(&second), token);
    assert_eq!(mock.requests().len(), 1, "the second token made a request");
    // The default store: $XDG_CACHE_HOME/xpay-auth, 0700, one 0600 record without the token.
    let dir = home.0.join("cache").join("xpay-auth");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    let records: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "token"))
        .collect();
    assert_eq!(records.len(), 1);
    assert_eq!(mode(&records[0]), 0o600);
    let bytes = std::fs::read(&records[0]).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    for secret in [token.trim_end(), "demo-secret", "demo@xpay.test"] {
        assert!(!text.contains(secret), "the record holds {secret:?}");
    }
    // `--store memory:`: no store, a login every time.
    let memory = run({
        let mut c = cli(&mock, &home);
        c.args(["--store", "memory:", "token"]);
        c
    });
    assert_status(&memory, 0);
    assert_ne!(stdout(&memory), token);
    assert_eq!(logins(&mock), 2);
}

#[test]
fn login_prints_the_authentication_and_the_token_only_when_asked() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let home = Temp::new("login");
    let text = run({
        let mut c = cli(&mock, &home);
        c.arg("login");
        c
    });
    assert_status(&text, 0);
    let out = stdout(&text);
    assert!(out.contains("username:   demo@xpay.test"), "{out}");
    assert!(out.contains("--show-token"), "{out}");
    let json_out = run({
        let mut c = cli(&mock, &home);
        c.args(["login", "--json"]);
        c
    });
    assert_status(&json_out, 0);
    let v: Value = serde_json::from_str(stdout(&json_out).trim()).unwrap();
    assert_eq!(v["username"], "demo@xpay.test");
    assert!(v["expires_at"].as_i64().unwrap() > 0);
    assert!(v.get("access_token").is_none());
    let shown = run({
        let mut c = cli(&mock, &home);
        c.args(["login", "--json", "--show-token"]);
        c
    });
    let v: Value = serde_json::from_str(stdout(&shown).trim()).unwrap();
    let token = v["access_token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("eyJ"));
    assert!(!out.contains(&token) && !stdout(&json_out).contains(&token));
    let shown_text = run({
        let mut c = cli(&mock, &home);
        c.args(["login", "--show-token"]);
        c
    });
    assert!(stdout(&shown_text).contains(&token));
    // All from the store: one login.
    assert_eq!(logins(&mock), 1);
}

#[test]
fn call_sends_the_body_from_an_argument_stdin_or_none_byte_for_byte() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let home = Temp::new("call");
    let arg = run({
        let mut c = cli(&mock, &home);
        c.args([
            "call",
            "/client/echo",
            r#"{"amount": 10.10, "big": 12345678901234567890}"#,
        ]);
        c
    });
    assert_status(&arg, 0);
    assert_eq!(
        stdout(&arg),
        "{\"amount\": 10.10, \"big\": 12345678901234567890}\n"
    );
    let mut child = cli(&mock, &home)
        .args(["call", "/client/echo", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"{\"from\": \"stdin\", \"n\": 1.50}\n")
        .unwrap();
    let piped = child.wait_with_output().unwrap();
    assert_status(&piped, 0);
    assert_eq!(stdout(&piped), "{\"from\": \"stdin\", \"n\": 1.50}\n");
    let last = mock.requests().pop().unwrap();
    assert_eq!(last.body, "{\"from\": \"stdin\", \"n\": 1.50}\n");
    let none = run({
        let mut c = cli(&mock, &home);
        c.args(["call", "/client/echo"]);
        c
    });
    assert_status(&none, 0);
    assert_eq!(stdout(&none), "{}\n");
    assert_eq!(logins(&mock), 1);
}

#[test]
fn each_error_code_has_its_exit_status_and_one_line() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let home = Temp::new("errors");
    let status_of = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = cli(&mock, &home);
        c.args(args);
        for (k, v) in env {
            c.env(k, v);
        }
        let o = run(c);
        let err = stderr(&o);
        assert!(o.stdout.is_empty(), "{}", stdout(&o));
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("xpay-auth: "), "{err}");
        (o.status.code().unwrap(), err)
    };
    // invalid_argument: a bad path, a bad body, a bad store URL; nothing sent.
    let (s, e) = status_of(&["call", "no-slash"], &[]);
    assert_eq!(s, 3, "{e}");
    assert!(e.contains("invalid_argument"), "{e}");
    assert_eq!(status_of(&["call", "/client/echo", "{nope"], &[]).0, 3);
    let (s, e) = status_of(&["--store", "ftp://x/y", "token"], &[]);
    assert_eq!(s, 3, "{e}");
    assert_eq!(mock.requests().len(), 0);
    // authentication, with tag and uuid on the line.
    let (s, e) = status_of(
        &["--store", "memory:", "token"],
        &[("XPAY_SECRET_KEY", "wrong")],
    );
    assert_eq!(s, 4, "{e}");
    assert!(
        e.contains("authentication:") && e.contains("[tag ") && e.contains("[uuid "),
        "{e}"
    );
    assert!(!e.contains("wrong"), "{e}");
    // api: a business error reply.
    mock.queue(
        "/client/echo",
        vec![Reply::json(
            json!({"error": {"message": "no such wallet", "tag": "T1", "data": null}}),
        )],
    );
    let (s, e) = status_of(&["call", "/client/echo", "{}"], &[]);
    assert_eq!(s, 5, "{e}");
    // http_status, decode.
    mock.queue("/client/echo", vec![Reply::text("teapot").with_status(418)]);
    let (s, e) = status_of(&["call", "/client/echo", "{}"], &[]);
    assert_eq!(s, 6, "{e}");
    mock.queue("/client/echo", vec![Reply::text("not json")]);
    let (s, e) = status_of(&["call", "/client/echo", "{}"], &[]);
    assert_eq!(s, 9, "{e}");
    // timeout: the reply comes too late.
    mock.queue(
        "/client/echo",
        vec![Reply::json(json!({"success": {"data": 1}})).with_delay_ms(3_000)],
    );
    let (s, e) = status_of(&["--timeout", "0.3", "call", "/client/echo", "{}"], &[]);
    assert_eq!(s, 7, "{e}");
    // connection: nothing listens.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (s, e) = status_of(
        &["--store", "memory:", "token"],
        &[("XPAY_BASE_URL", &format!("http://127.0.0.1:{port}"))],
    );
    assert_eq!(s, 8, "{e}");
    // usage: an unknown subcommand.
    let o = run({
        let mut c = cli(&mock, &home);
        c.arg("frobnicate");
        c
    });
    assert_status(&o, 2);
}

#[test]
fn a_secret_key_argument_is_refused_with_the_reason() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let home = Temp::new("refused");
    for args in [
        &["--secret-key", "demo-secret", "token"][..],
        &["token", "--secret-key=demo-secret"],
    ] {
        let o = run({
            let mut c = cli(&mock, &home);
            c.args(args);
            c
        });
        assert_status(&o, 2);
        let e = stderr(&o);
        assert!(e.contains("refused") && e.contains("ps"), "{e}");
        assert!(!e.contains("demo-secret"), "{e}");
    }
    assert_eq!(mock.requests().len(), 0);
}

#[test]
fn credentials_from_username_and_a_secret_key_file_or_none_without_a_terminal() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let home = Temp::new("creds");
    let key = home.0.join("key");
    std::fs::write(&key, "demo-secret\n").unwrap();
    let o = run({
        let mut c = cli(&mock, &home);
        c.env_remove("XPAY_USERNAME")
            .env_remove("XPAY_SECRET_KEY")
            .args(["--username", "demo@xpay.test", "--secret-key-file"])
            .arg(&key)
            .args(["--store", "memory:", "token"]);
        c
    });
    assert_status(&o, 0);
    // No secret anywhere and stdin is not a terminal: invalid_argument naming the ways.
    let o = run({
        let mut c = cli(&mock, &home);
        c.env_remove("XPAY_SECRET_KEY")
            .args(["--username", "demo@xpay.test", "token"]);
        c
    });
    assert_status(&o, 3);
    let e = stderr(&o);
    assert!(
        e.contains("XPAY_SECRET_KEY") && e.contains("--secret-key-file"),
        "{e}"
    );
    // No username.
    let o = run({
        let mut c = cli(&mock, &home);
        c.env_remove("XPAY_USERNAME").arg("token");
        c
    });
    assert_status(&o, 3);
    assert!(stderr(&o).contains("XPAY_USERNAME"));
}

#[test]
fn help_with_examples_on_every_subcommand_and_a_version() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let home = Temp::new("help");
    for sub in [&[][..], &["token"], &["login"], &["call"], &["mock"]] {
        let o = run({
            let mut c = cli(&mock, &home);
            c.args(sub).arg("--help");
            c
        });
        assert_status(&o, 0);
        assert!(stdout(&o).contains("Examples:"), "{sub:?}: {}", stdout(&o));
    }
    let o = run({
        let mut c = cli(&mock, &home);
        c.arg("--help");
        c
    });
    assert!(stdout(&o).contains("Exit status:"));
    let o = run({
        let mut c = cli(&mock, &home);
        c.arg("--version");
        c
    });
    assert_status(&o, 0);
    assert!(stdout(&o).starts_with("xpay-auth "), "{}", stdout(&o));
}

#[test]
fn verbose_traces_requests_without_secrets() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let home = Temp::new("verbose");
    let o = run({
        let mut c = cli(&mock, &home);
        c.args(["--verbose", "token"]);
        c
    });
    assert_status(&o, 0);
    let token = stdout(&o);
    let e = stderr(&o);
    assert!(e.contains("/client/authenticate"), "{e}");
    assert!(
        !e.contains(token.trim_end()) && !e.contains("demo-secret"),
        "{e}"
    );
}

#[test]
fn mock_serves_until_its_stdin_closes() {
    let mut child = Command::new(BIN)
        .args(["mock", "--port", "0", "--exit-on-stdin-close"])
        .args([
            "--account",
            "me@example.test:s3cret",
            "--token-ttl-ms",
            "60000",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let home = Temp::new("mock");
    let o = Command::new(BIN)
        .env("XPAY_BASE_URL", &url)
        .env("XPAY_USERNAME", "me@example.test")
        .env("XPAY_SECRET_KEY", "s3cret")
        .args(["--store", "memory:", "token"])
        .env("XDG_CACHE_HOME", home.0.join("c"))
        .output()
        .unwrap();
    assert_status(&o, 0);
    drop(child.stdin.take());
    let status = child.wait().unwrap();
    assert!(status.success());
}

/// Starts `n` `xpay-auth token` processes at once and waits for them all.
fn together(n: usize, make: impl Fn() -> Command) -> Vec<Output> {
    let children: Vec<Child> = (0..n)
        .map(|_| {
            make()
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect()
}

#[test]
fn eight_processes_at_once_make_one_login() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let home = Temp::new("eight");
    let store = home.store();
    let outputs = together(8, || {
        let mut c = cli(&mock, &home);
        c.args(["--store", &store, "token"]);
        c
    });
    let tokens: Vec<String> = outputs
        .iter()
        .map(|o| {
            assert_status(o, 0);
            stdout(o)
        })
        .collect();
    assert!(tokens.iter().all(|t| *t == tokens[0]), "{tokens:?}");
    assert_eq!(logins(&mock), 1, "8 processes at once");
    eprintln!(
        "8 processes at once through one file store: {} login",
        logins(&mock)
    );
}

#[test]
fn eight_processes_over_three_token_lifetimes_log_in_once_per_lifetime() {
    let ttl_ms = 1_500;
    let config = MockConfig {
        token_ttl_ms: ttl_ms,
        ..MockConfig::default()
    };
    let mock = MockServer::start(config).unwrap();
    let home = Temp::new("lifetimes");
    let store = home.store();
    let mut runs = 0;
    for round in 1..=3u64 {
        let outputs = together(8, || {
            let mut c = cli(&mock, &home);
            c.args(["--store", &store, "token"]);
            c
        });
        runs += outputs.len();
        for o in &outputs {
            assert_status(o, 0);
        }
        assert_eq!(
            logins(&mock),
            round,
            "round {round}: one login per lifetime"
        );
        // A few more runs within this token's life make no login.
        for _ in 0..3 {
            let o = run({
                let mut c = cli(&mock, &home);
                c.args(["--store", &store, "token"]);
                c
            });
            assert_status(&o, 0);
            runs += 1;
        }
        assert_eq!(logins(&mock), round);
        // Wait (polling the clock, with a deadline) until this token has expired.
        let o = run({
            let mut c = cli(&mock, &home);
            c.args(["--store", &store, "login", "--json"]);
            c
        });
        let expires_at = serde_json::from_slice::<Value>(&o.stdout).unwrap()["expires_at"]
            .as_i64()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while now_ms() <= expires_at {
            assert!(Instant::now() < deadline, "the token never expired");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    assert_eq!(logins(&mock), 3);
    eprintln!(
        "{runs} processes over 3 token lifetimes through one file store: {} logins",
        logins(&mock)
    );
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[test]
fn a_corrupt_record_means_one_fresh_login_and_an_unwritable_store_still_works() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let home = Temp::new("corrupt");
    let store = home.store();
    let token = |store: &str| {
        let o = run({
            let mut c = cli(&mock, &home);
            c.args(["--store", store, "token"]);
            c
        });
        assert_status(&o, 0);
        stdout(&o)
    };
    let first = token(&store);
    let dir = home.0.join("store");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "token") {
            std::fs::write(&path, b"\x01\x02 not a record").unwrap();
        }
    }
    let second = token(&store);
    assert_ne!(first, second);
    assert_eq!(logins(&mock), 2);
    assert_eq!(token(&store), second);
    assert_eq!(logins(&mock), 2);
    // A directory others can write is refused (the session logs in alone), as is one that
    // cannot be made.
    let open = home.0.join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    let open_store = format!("file:{}", open.display());
    token(&open_store);
    token(&open_store);
    assert_eq!(logins(&mock), 4);
    assert_eq!(std::fs::read_dir(&open).unwrap().count(), 0);
    // It says so on stderr, once, and still prints the token.
    let o = run({
        let mut c = cli(&mock, &home);
        c.args(["--store", "file:/proc/self/xpay-auth-store", "token"]);
        c
    });
    assert_status(&o, 0);
    assert!(stdout(&o).starts_with("eyJ"));
    let e = stderr(&o);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(
        e.contains("WARN") && e.contains("token store failed"),
        "{e}"
    );
    assert_eq!(logins(&mock), 5);
}

/// The root README's command-line quick start (its first `sh` block after "**Command
/// line**"), run by bash as written against the mock.
#[test]
fn the_readme_quick_start_runs_against_the_mock() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let section = readme
        .split("**Command line**")
        .nth(1)
        .expect("the section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("its sh block");
    assert!(
        block.contains("xpay-auth token") && block.contains("curl"),
        "{block}"
    );
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let home = Temp::new("readme");
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let o = Command::new("bash")
        .args(["-euo", "pipefail", "-c", block])
        .env_clear()
        .env("PATH", path)
        .env("XDG_CACHE_HOME", home.0.join("cache"))
        .env("XPAY_BASE_URL", mock.base_url())
        .output()
        .unwrap();
    assert_status(&o, 0);
    let out = stdout(&o);
    let mut lines = out.lines();
    let token = lines.next().unwrap();
    assert!(token.starts_with("eyJ"), "{out}");
    let echoed: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(echoed["success"]["data"], json!({"a": 1}), "{out}");
    // Two `xpay-auth token` runs, one login; then the echo.
    assert_eq!(logins(&mock), 1);
    let last = mock.requests().pop().unwrap();
    assert_eq!(
        last.headers.get("authorization").map(String::as_str),
        Some(format!("Bearer {token}").as_str())
    );
}

/// On a terminal (a pty from util-linux `script`), without a secret key anywhere, it asks for
/// one with echo off: the key typed never shows in the terminal's output.
#[test]
fn the_secret_key_prompt_does_not_echo() {
    use std::io::Read;
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: no `script` (util-linux) for a pty");
        return;
    }
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let inner = format!("{BIN} --store memory: --username demo@xpay.test token");
    let mut script = Command::new("script");
    script
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TERM", "dumb")
        .env("XPAY_BASE_URL", mock.base_url())
        .args(["-qec", &inner, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    let mut child = script.spawn().unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    // Wait for the prompt (the read returns as output arrives; script ends on EOF).
    while !String::from_utf8_lossy(&seen).contains("Secret key for demo@xpay.test: ") {
        let n = out.read(&mut buf).unwrap();
        assert!(n > 0, "no prompt: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"demo-secret\n")
        .unwrap();
    out.read_to_end(&mut seen).unwrap();
    assert!(child.wait().unwrap().success());
    let text = String::from_utf8_lossy(&seen);
    assert!(text.contains("eyJ"), "{text}");
    assert!(!text.contains("demo-secret"), "the key was echoed: {text}");
    assert_eq!(logins(&mock), 1);
}

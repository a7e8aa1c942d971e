//! Sessions sharing one login through the Redis store (a real `redis-server`, started here on a
//! free loopback port with no persistence; these tests say they skip where it is not
//! installed). Many processes at once: `tests/fleet`.

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use xpay_auth::{blocking, Client, Credentials};
use xpay_mock::{MockConfig, MockServer};

struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    fn start() -> Option<Redis> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
            ])
            .args(["--appendonly", "no", "--dir"])
            .arg(std::env::temp_dir())
            .stdout(Stdio::null())
            .spawn();
        let Ok(child) = child else {
            eprintln!("skipped: redis-server is not installed (apt-get install redis-server)");
            return None;
        };
        let redis = Redis { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(10));
        }
        Some(redis)
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn credentials() -> Credentials {
    Credentials::new("demo@xpay.test", "demo-secret")
}

#[test]
fn sixteen_blocking_sessions_starting_together_make_one_login() {
    let Some(redis) = Redis::start() else { return };
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let client = blocking::Client::builder()
        .base_url(mock.base_url())
        .build()
        .unwrap();
    // Separate sessions (separate caches, as in separate processes): only the store's lock
    // keeps them to one login.
    let barrier = Arc::new(Barrier::new(16));
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let session = client
                .session_builder(credentials())
                .store(redis.url())
                .build()
                .unwrap();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                session.access_token()
            })
        })
        .collect();
    let tokens: Vec<String> = threads
        .into_iter()
        .map(|t| t.join().unwrap().unwrap())
        .collect();
    assert!(tokens.iter().all(|t| *t == tokens[0]));
    assert_eq!(mock.request_count("/client/authenticate"), 1);
}

#[test]
fn async_and_blocking_sessions_share_one_login() {
    let Some(redis) = Redis::start() else { return };
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let blocking_client = blocking::Client::builder()
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let first = blocking_client
        .session_builder(credentials())
        .store(redis.url())
        .build()
        .unwrap();
    let token = first.access_token().unwrap();

    let client = Client::builder().base_url(mock.base_url()).build().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = redis.url();
    let tokens = runtime.block_on(async move {
        let mut tokens = Vec::new();
        for _ in 0..4 {
            let session = client
                .session_builder(credentials())
                .store(url.clone())
                .build()
                .unwrap();
            tokens.push(session.access_token().await.unwrap());
            assert_eq!(session.call("/client/echo", &5).await.unwrap(), 5);
        }
        tokens
    });
    assert!(tokens.iter().all(|t| *t == token));
    assert_eq!(mock.request_count("/client/authenticate"), 1);
}

#[test]
fn a_redis_that_refuses_never_fails_a_call() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let client = blocking::Client::builder()
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let session = client
        .session_builder(credentials())
        .store(format!("redis://127.0.0.1:{port}/0"))
        .build()
        .unwrap();
    for i in 0..5 {
        assert_eq!(session.call("/client/echo", &i).unwrap(), i);
    }
    assert_eq!(mock.request_count("/client/authenticate"), 1);
}

#[test]
fn rediss_goes_through_rustls_and_trusts_the_os_store() {
    // A TLS-only redis-server with a private CA, trusted here through SSL_CERT_FILE (read
    // with the OS certificate store; only this test binary's process sees it).
    let dir = std::env::temp_dir().join(format!("xpay-rediss-{}", std::process::id()));
    let pki = xpay_mock::certs::TestPki::generate().unwrap();
    pki.write(&dir).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let child = Command::new("redis-server")
        .args([
            "--port",
            "0",
            "--tls-port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
        ])
        .args([
            "--save",
            "",
            "--appendonly",
            "no",
            "--tls-auth-clients",
            "no",
        ])
        .arg("--tls-cert-file")
        .arg(dir.join("server.pem"))
        .arg("--tls-key-file")
        .arg(dir.join("server.key"))
        .arg("--tls-ca-cert-file")
        .arg(dir.join("ca.pem"))
        .arg("--dir")
        .arg(&dir)
        .stdout(Stdio::null())
        .spawn();
    let Ok(child) = child else {
        eprintln!("skipped: redis-server is not installed (apt-get install redis-server)");
        return;
    };
    let redis = Redis { child, port };
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "redis-server did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
    std::env::set_var("SSL_CERT_FILE", dir.join("ca.pem"));
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let client = blocking::Client::builder()
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let url = format!("rediss://127.0.0.1:{}/0", redis.port);
    let first = client
        .session_builder(credentials())
        .store(url.clone())
        .build()
        .unwrap();
    let token = first.access_token().unwrap();
    let async_client = Client::builder().base_url(mock.base_url()).build().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let second = async_client
        .session_builder(credentials())
        .store(url)
        .build()
        .unwrap();
    let shared = runtime.block_on(second.access_token()).unwrap();
    let again = client
        .session_builder(credentials())
        .store(format!("rediss://127.0.0.1:{}/0", redis.port))
        .build()
        .unwrap()
        .access_token()
        .unwrap();
    drop(redis);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(shared, token);
    assert_eq!(again, token);
    assert_eq!(mock.request_count("/client/authenticate"), 1);
}

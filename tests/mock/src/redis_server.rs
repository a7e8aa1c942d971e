//! A `redis-server` for tests (Debian's package): on a free loopback port, no persistence,
//! stopped when dropped, and restartable on the same port (Redis down, then back). The core's
//! Redis store tests and the conformance runner's `$redis` share it.

use std::ffi::OsString;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One redis-server child process.
pub struct RedisServer {
    port: u16,
    tls: bool,
    args: Vec<OsString>,
    child: Option<Child>,
}

impl RedisServer {
    /// A plain (`redis://`) server on a free loopback port, answering when this returns. An
    /// error says how to install redis-server when it cannot be started.
    pub fn start() -> Result<RedisServer, String> {
        let port = free_port()?;
        RedisServer::launch(port, false, vec!["--port".into(), port.to_string().into()])
    }

    /// A TLS-only (`rediss://`) server with the given PEM files; clients are not asked for a
    /// certificate.
    pub fn start_tls(cert: &Path, key: &Path, ca: &Path) -> Result<RedisServer, String> {
        let port = free_port()?;
        let args: Vec<OsString> = vec![
            "--port".into(),
            "0".into(),
            "--tls-port".into(),
            port.to_string().into(),
            "--tls-auth-clients".into(),
            "no".into(),
            "--tls-cert-file".into(),
            cert.into(),
            "--tls-key-file".into(),
            key.into(),
            "--tls-ca-cert-file".into(),
            ca.into(),
        ];
        RedisServer::launch(port, true, args)
    }

    /// [`RedisServer::start`] for a test that cannot run without Redis: `None`, with a note on
    /// stderr, where redis-server cannot be started (`make test` installs it first).
    pub fn for_test() -> Option<RedisServer> {
        RedisServer::start()
            .map_err(|e| eprintln!("skipped: {e}"))
            .ok()
    }

    fn launch(port: u16, tls: bool, args: Vec<OsString>) -> Result<RedisServer, String> {
        let mut server = RedisServer {
            port,
            tls,
            args,
            child: None,
        };
        server.up()?;
        Ok(server)
    }

    /// Its port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The store URL of database 0 (`rediss://` for a TLS server).
    pub fn url(&self) -> String {
        let scheme = if self.tls { "rediss" } else { "redis" };
        format!("{scheme}://127.0.0.1:{}/0", self.port)
    }

    /// Starts the server on its port if it is not running (it starts empty), and waits, polling
    /// with a deadline, until it accepts connections.
    pub fn up(&mut self) -> Result<(), String> {
        if self.child.is_some() {
            return Ok(());
        }
        let child = Command::new("redis-server")
            .args(&self.args)
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--daemonize", "no", "--dir"])
            .arg(std::env::temp_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| {
                format!(
                    "cannot start redis-server ({e}): install it (apt-get install redis-server; \
                     `make redis-server` does it as root)"
                )
            })?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if Instant::now() >= deadline {
                self.down();
                return Err(format!(
                    "redis-server did not listen on port {} within 10 s",
                    self.port
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    }

    /// Stops the server (Redis gone); [`RedisServer::up`] starts it again on the same port.
    pub fn down(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.down();
    }
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free loopback port for redis-server: {e}"))
}

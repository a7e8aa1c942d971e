//! The Redis fixture of one face (started on the first scenario whose store URL says
//! `$redis`): a `redis-server` of its own on a free loopback port with no persistence, emptied
//! before every scenario, and the runner actions on it (`redis_keys`, `redis_stop`,
//! `redis_start`, `redis_corrupt`). Scenarios: `tests/conformance/stores-redis.json`.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// One face's redis-server.
pub struct Redis {
    port: u16,
    child: Option<Child>,
}

impl Redis {
    /// Starts a redis-server on a free loopback port.
    pub fn start() -> Result<Redis, String> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port for redis-server: {e}"))?
            .port();
        let mut redis = Redis { port, child: None };
        redis.up()?;
        Ok(redis)
    }

    /// The store URL scenarios get for `$redis`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// (Re)starts the server on its port, waiting (polling, with a deadline) until it answers.
    pub fn up(&mut self) -> Result<(), String> {
        if self.child.is_some() {
            return Ok(());
        }
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
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
        loop {
            if self.conn().and_then(|mut c| ping(&mut c)).is_ok() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err("redis-server did not answer within 10 s".into());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Stops the server (a scenario's `redis_stop`); `up` starts it again, empty.
    pub fn down(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Before every scenario: running, and empty.
    pub fn reset(&mut self) -> Result<(), String> {
        self.up()?;
        let mut conn = self.conn()?;
        ::redis::cmd("FLUSHALL")
            .query::<()>(&mut conn)
            .map_err(|e| format!("redis FLUSHALL: {e}"))
    }

    fn conn(&self) -> Result<::redis::Connection, String> {
        let client = ::redis::Client::open(self.url()).map_err(|e| e.to_string())?;
        let conn = client
            .get_connection_with_timeout(Duration::from_secs(2))
            .map_err(|e| format!("connecting to the runner's redis-server: {e}"))?;
        let limit = Some(Duration::from_secs(5));
        conn.set_read_timeout(limit).map_err(|e| e.to_string())?;
        Ok(conn)
    }

    /// `{"keys": [{"name", "value"}]}`: every key (`SCAN`) with its value (`GET`, as text with
    /// invalid UTF-8 replaced), sorted by name — what a reader of Redis without the secret key
    /// sees.
    pub fn keys(&self) -> Result<Value, String> {
        let mut conn = self.conn()?;
        let mut names: Vec<String> = Vec::new();
        let mut cursor: u64 = 0;
        loop {
            let (next, batch): (u64, Vec<String>) = ::redis::cmd("SCAN")
                .arg(cursor)
                .arg("COUNT")
                .arg(1000)
                .query(&mut conn)
                .map_err(|e| format!("redis SCAN: {e}"))?;
            names.extend(batch);
            if next == 0 {
                break;
            }
            cursor = next;
        }
        names.sort();
        let mut keys = Vec::new();
        for name in names {
            let value: Option<Vec<u8>> = ::redis::cmd("GET")
                .arg(&name)
                .query(&mut conn)
                .map_err(|e| format!("redis GET {name}: {e}"))?;
            let value = value.map(|v| String::from_utf8_lossy(&v).into_owned());
            keys.push(json!({"name": name, "value": value}));
        }
        Ok(json!({ "keys": keys }))
    }

    /// `redis_corrupt`: every record (each key not ending in `:lock`) is overwritten with
    /// `text`, keeping its expiry.
    pub fn corrupt(&self, text: &str) -> Result<(), String> {
        let keys = self.keys()?;
        let mut conn = self.conn()?;
        let mut n = 0;
        for key in keys["keys"].as_array().into_iter().flatten() {
            let Some(name) = key["name"].as_str() else {
                continue;
            };
            if name.ends_with(":lock") {
                continue;
            }
            ::redis::cmd("SET")
                .arg(name)
                .arg(text)
                .arg("KEEPTTL")
                .query::<()>(&mut conn)
                .map_err(|e| format!("redis SET {name}: {e}"))?;
            n += 1;
        }
        if n == 0 {
            return Err("redis_corrupt: no record in the runner's redis-server".into());
        }
        Ok(())
    }
}

fn ping(conn: &mut ::redis::Connection) -> Result<(), String> {
    ::redis::cmd("PING")
        .query::<String>(conn)
        .map(drop)
        .map_err(|e| e.to_string())
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.down();
    }
}

//! The Redis fixture of one face (started on the first scenario whose store URL says
//! `$redis`): a `redis-server` of its own on a free loopback port with no persistence, emptied
//! before every scenario, and the runner actions on it (`redis_keys`, `redis_stop`,
//! `redis_start`, `redis_corrupt`). Scenarios: `tests/conformance/stores-redis.json`.

use std::time::Duration;

use serde_json::{json, Value};
use xpay_mock::redis_server::RedisServer;

/// One face's redis-server.
pub struct Redis {
    server: RedisServer,
}

impl Redis {
    /// Starts a redis-server on a free loopback port.
    pub fn start() -> Result<Redis, String> {
        Ok(Redis {
            server: RedisServer::start()?,
        })
    }

    /// The store URL scenarios get for `$redis`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// (Re)starts the server on its port (`redis_start`), empty.
    pub fn up(&mut self) -> Result<(), String> {
        self.server.up()
    }

    /// Stops the server (a scenario's `redis_stop`); `up` starts it again, empty.
    pub fn down(&mut self) {
        self.server.down()
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

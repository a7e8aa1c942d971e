//! The Rust faces' bench program for `make bench` (tests/bench/run.py runs it, pinned to one CPU,
//! against one release xpay-mock): xpay-auth's async and blocking clients against what a Rust
//! user would hand-roll with reqwest, on the same workload. Prints one machine-readable line per
//! figure (`BENCH {json}`, the protocol in tests/bench/README.md); asserts nothing about speed.
//!
//!   calls rows [--ms N]   every row once, in order (one round): logins, then calls
//!   calls token [--n N]   the cached access_token() of each face, N calls (default 1,000,000)
//!   calls cold FACE       1,000 concurrent callers on a cold session (FACE: rust-async or
//!                         rust-blocking); the orchestrator counts the logins the mock saw
//!
//! The mock is XPAY_BASE_URL (XPAY_USERNAME / XPAY_SECRET_KEY, else its default account); without
//! XPAY_BASE_URL an in-process mock is started, so a bare `cargo bench -p xpay-auth --bench
//! calls` runs every mode once.

use std::future::Future;
use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::runtime::Runtime;
use xpay_auth::{blocking, Client, Credentials};

const ECHO: &str = "/client/echo";
const LOGIN: &str = "/client/authenticate";
const COLD_CALLERS: usize = 1_000;

struct Env {
    url: String,
    username: String,
    secret: String,
}

impl Env {
    fn credentials(&self) -> Credentials {
        Credentials::new(&self.username, &self.secret)
    }
}

fn main() {
    // `cargo bench` passes `--bench`; the mode and its options follow.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let flag = |name: &str, default: u64| -> u64 {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map(|v| v.parse().unwrap_or_else(|_| usage(&format!("{name} {v}"))))
            .unwrap_or(default)
    };
    let ms = flag("--ms", 1000);
    let n = flag("--n", 1_000_000);

    let mut _in_process = None;
    let url = match std::env::var("XPAY_BASE_URL") {
        Ok(url) => url.trim_end_matches('/').to_owned(),
        Err(_) => {
            let mock = xpay_mock::MockServer::start(xpay_mock::MockConfig::default())
                .expect("in-process mock");
            let url = mock.base_url();
            _in_process = Some(mock);
            url
        }
    };
    let (default_user, default_secret) = xpay_mock::DEFAULT_ACCOUNT;
    let env = Env {
        url,
        username: std::env::var("XPAY_USERNAME").unwrap_or_else(|_| default_user.into()),
        secret: std::env::var("XPAY_SECRET_KEY").unwrap_or_else(|_| default_secret.into()),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");

    match args.first().map(String::as_str) {
        Some("rows") => rows(&env, &rt, ms),
        Some("token") => token(&env, &rt, n),
        Some("cold") => match args.get(1).map(String::as_str) {
            Some("rust-async") => cold_async(&env, &rt),
            Some("rust-blocking") => cold_blocking(&env),
            other => usage(&format!("cold {other:?}")),
        },
        None => {
            rows(&env, &rt, ms);
            token(&env, &rt, n);
            cold_async(&env, &rt);
            cold_blocking(&env);
        }
        Some(other) => usage(other),
    }
}

fn usage(what: &str) -> ! {
    eprintln!("calls: bad argument {what:?}; usage: calls rows [--ms N] | token [--n N] | cold rust-async|rust-blocking");
    std::process::exit(2)
}

/// One machine-readable figure.
fn emit(line: Value) {
    println!("BENCH {line}");
}

/// A row: `op` repeated for ms/5 ms untimed, then for `ms` ms timed.
fn row(group: &str, client: &str, sdk: bool, op: &str, ms: u64, mut f: impl FnMut()) {
    let warm = Instant::now();
    while warm.elapsed() < Duration::from_millis(ms / 5) {
        f();
    }
    let limit = Duration::from_millis(ms);
    let started = Instant::now();
    let mut ops = 0u64;
    while started.elapsed() < limit {
        f();
        ops += 1;
    }
    emit_row(group, client, sdk, op, ops, started.elapsed());
}

/// [`row`] for an async op, the whole loop inside one `block_on` (as in an async program).
fn row_async<F: Future<Output = ()>>(
    rt: &Runtime,
    group: &str,
    client: &str,
    sdk: bool,
    op: &str,
    ms: u64,
    mut f: impl FnMut() -> F,
) {
    let (ops, elapsed) = rt.block_on(async {
        let warm = Instant::now();
        while warm.elapsed() < Duration::from_millis(ms / 5) {
            f().await;
        }
        let limit = Duration::from_millis(ms);
        let started = Instant::now();
        let mut ops = 0u64;
        while started.elapsed() < limit {
            f().await;
            ops += 1;
        }
        (ops, started.elapsed())
    });
    emit_row(group, client, sdk, op, ops, elapsed);
}

fn emit_row(group: &str, client: &str, sdk: bool, op: &str, ops: u64, elapsed: Duration) {
    emit(json!({
        "group": group, "client": client, "sdk": sdk, "op": op,
        "ops": ops, "secs": elapsed.as_secs_f64(),
    }));
}

fn rows(env: &Env, rt: &Runtime, ms: u64) {
    let creds = env.credentials();
    let body = json!({"wallet": "w-1", "amount": 125});

    let sdk = Client::builder()
        .base_url(&env.url)
        .build()
        .expect("client");
    let sdk_blocking = blocking::Client::builder()
        .base_url(&env.url)
        .build()
        .expect("client");
    let hand = rt.block_on(AsyncHandRolled::new(env));
    let hand_blocking = HandRolled::new(env);

    // Logins: POST /client/authenticate, the token picked out of the reply.
    row_async(
        rt,
        "Rust async",
        "Client::authenticate",
        true,
        "login",
        ms,
        || async {
            black_box(sdk.authenticate(&creds).await.expect("login"));
        },
    );
    row_async(
        rt,
        "Rust async",
        "raw async reqwest",
        false,
        "login",
        ms,
        || async {
            black_box(hand.login().await);
        },
    );
    row(
        "Rust blocking",
        "blocking::Client::authenticate",
        true,
        "login",
        ms,
        || {
            black_box(sdk_blocking.authenticate(&creds).expect("login"));
        },
    );
    row(
        "Rust blocking",
        "reqwest::blocking",
        false,
        "login",
        ms,
        || {
            black_box(hand_blocking.login());
        },
    );

    // Calls: POST /client/echo with the bearer and a fresh uuid, success.data picked out.
    let session = sdk.session(env.credentials());
    let session_blocking = sdk_blocking.session(env.credentials());
    row_async(
        rt,
        "Rust async",
        "Session::call",
        true,
        "call",
        ms,
        || async {
            black_box(session.call(ECHO, &body).await.expect("call"));
        },
    );
    row_async(
        rt,
        "Rust async",
        "raw async reqwest",
        false,
        "call",
        ms,
        || async {
            black_box(hand.call(&body).await);
        },
    );
    row(
        "Rust blocking",
        "blocking::Session::call",
        true,
        "call",
        ms,
        || {
            black_box(session_blocking.call(ECHO, &body).expect("call"));
        },
    );
    row(
        "Rust blocking",
        "reqwest::blocking",
        false,
        "call",
        ms,
        || {
            black_box(hand_blocking.call(&body));
        },
    );
}

/// The cached-token path every call starts with, through each face's public API.
fn token(env: &Env, rt: &Runtime, n: u64) {
    let client = Client::builder()
        .base_url(&env.url)
        .build()
        .expect("client");
    let session = client.session(env.credentials());
    let per_call = rt.block_on(async {
        session.access_token().await.expect("login");
        let started = Instant::now();
        for _ in 0..n {
            black_box(session.access_token().await.expect("token"));
        }
        started.elapsed()
    });
    emit_token("rust-async", "Session::access_token().await", n, per_call);

    let client = blocking::Client::builder()
        .base_url(&env.url)
        .build()
        .expect("client");
    let session = client.session(env.credentials());
    session.access_token().expect("login");
    let started = Instant::now();
    for _ in 0..n {
        black_box(session.access_token().expect("token"));
    }
    emit_token(
        "rust-blocking",
        "blocking::Session::access_token()",
        n,
        started.elapsed(),
    );
}

fn emit_token(face: &str, api: &str, n: u64, elapsed: Duration) {
    emit(json!({
        "metric": "token", "face": face, "api": api, "n": n,
        "ns": elapsed.as_nanos() as f64 / n as f64,
    }));
}

/// 1,000 tasks awaiting access_token() on a fresh session at once.
fn cold_async(env: &Env, rt: &Runtime) {
    let client = Client::builder()
        .base_url(&env.url)
        .build()
        .expect("client");
    let session = client.session(env.credentials());
    let started = Instant::now();
    let ok = rt.block_on(async {
        let tasks: Vec<_> = (0..COLD_CALLERS)
            .map(|_| {
                let s = session.clone();
                tokio::spawn(async move { s.access_token().await.is_ok() })
            })
            .collect();
        let mut ok = 0;
        for t in tasks {
            ok += usize::from(t.await.unwrap_or(false));
        }
        ok
    });
    emit_cold("rust-async", ok, started.elapsed());
}

/// 1,000 threads calling access_token() on a fresh blocking session at once.
fn cold_blocking(env: &Env) {
    let client = blocking::Client::builder()
        .base_url(&env.url)
        .build()
        .expect("client");
    let session = client.session(env.credentials());
    let barrier = Arc::new(Barrier::new(COLD_CALLERS + 1));
    let threads: Vec<_> = (0..COLD_CALLERS)
        .map(|_| {
            let (s, b) = (session.clone(), barrier.clone());
            std::thread::spawn(move || {
                b.wait();
                s.access_token().is_ok()
            })
        })
        .collect();
    barrier.wait();
    let started = Instant::now();
    let ok = threads
        .into_iter()
        .map(|t| usize::from(t.join().unwrap_or(false)))
        .sum();
    emit_cold("rust-blocking", ok, started.elapsed());
}

fn emit_cold(face: &str, ok: usize, elapsed: Duration) {
    emit(json!({
        "metric": "cold", "face": face, "callers": COLD_CALLERS, "ok": ok,
        "ms": elapsed.as_secs_f64() * 1e3,
    }));
}

/// What a user writes without the SDK: the vendor's login body, the token picked out of
/// `success.data.access_token`; calls with the bearer and a fresh uuid, `success.data` out.
struct HandRolled {
    http: reqwest::blocking::Client,
    login_url: String,
    echo_url: String,
    login_body: Value,
    token: String,
}

impl HandRolled {
    fn new(env: &Env) -> Self {
        let mut hand = HandRolled {
            http: reqwest::blocking::Client::new(),
            login_url: format!("{}{LOGIN}", env.url),
            echo_url: format!("{}{ECHO}", env.url),
            login_body: login_body(env),
            token: String::new(),
        };
        hand.token = hand.login();
        hand
    }

    fn login(&self) -> String {
        let reply: Value = self
            .http
            .post(&self.login_url)
            .json(&self.login_body)
            .send()
            .and_then(|r| r.json())
            .expect("hand-rolled login");
        token_of(&reply)
    }

    fn call(&self, body: &Value) -> Value {
        let mut reply: Value = self
            .http
            .post(&self.echo_url)
            .bearer_auth(&self.token)
            .header("uuid", uuid::Uuid::new_v4().to_string())
            .json(body)
            .send()
            .and_then(|r| r.json())
            .expect("hand-rolled call");
        reply["success"]["data"].take()
    }
}

struct AsyncHandRolled {
    http: reqwest::Client,
    login_url: String,
    echo_url: String,
    login_body: Value,
    token: String,
}

impl AsyncHandRolled {
    async fn new(env: &Env) -> Self {
        let mut hand = AsyncHandRolled {
            http: reqwest::Client::new(),
            login_url: format!("{}{LOGIN}", env.url),
            echo_url: format!("{}{ECHO}", env.url),
            login_body: login_body(env),
            token: String::new(),
        };
        hand.token = hand.login().await;
        hand
    }

    async fn login(&self) -> String {
        let reply: Value = self
            .http
            .post(&self.login_url)
            .json(&self.login_body)
            .send()
            .await
            .expect("hand-rolled login")
            .json()
            .await
            .expect("hand-rolled login body");
        token_of(&reply)
    }

    async fn call(&self, body: &Value) -> Value {
        let mut reply: Value = self
            .http
            .post(&self.echo_url)
            .bearer_auth(&self.token)
            .header("uuid", uuid::Uuid::new_v4().to_string())
            .json(body)
            .send()
            .await
            .expect("hand-rolled call")
            .json()
            .await
            .expect("hand-rolled call body");
        reply["success"]["data"].take()
    }
}

/// The hand-rolled login request: what the vendor's page shows.
fn login_body(env: &Env) -> Value {
    json!({"username": env.username, "secretKey": env.secret, "isAPI": true})
}

/// The hand-rolled token lookup: `success.data.access_token`, as the vendor's page says.
fn token_of(login: &Value) -> String {
    login["success"]["data"]["access_token"]
        .as_str()
        .expect("hand-rolled login: no access_token")
        .to_owned()
}

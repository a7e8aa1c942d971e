//! `cargo bench -p xpay-auth --bench calls` (or `make bench`): what a call costs through the SDK
//! compared with the code a Rust user would otherwise hand-roll with reqwest, against the
//! in-process mock over loopback. Prints figures; asserts nothing about speed.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use xpay_auth::{blocking, Client, Credentials};
use xpay_mock::{MockConfig, MockServer};

const CALLS: usize = 5_000;
const WARMUP: usize = 300;

fn main() {
    let mock = MockServer::start(MockConfig::default()).expect("mock");
    let url = mock.base_url();
    let creds = || Credentials::new("demo@xpay.test", "demo-secret");
    let body = json!({"wallet": "w-1", "amount": 125});
    println!(
        "{CALLS} sequential POST /client/echo calls each, keep-alive, loopback, release build\n"
    );
    println!(
        "{:<44} {:>9} {:>9} {:>9} {:>10}",
        "", "mean µs", "p50 µs", "p99 µs", "calls/s"
    );

    let session = blocking::Client::builder()
        .base_url(&url)
        .build()
        .unwrap()
        .session(creds());
    report(
        "xpay-auth blocking Session::call",
        measure(|| session.call("/client/echo", &body).map(drop)),
    );

    let hand = HandRolled::new(&url);
    report(
        "hand-rolled reqwest::blocking",
        measure(|| hand.call(&body)),
    );

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let session = Client::builder()
        .base_url(&url)
        .build()
        .unwrap()
        .session(creds());
    report(
        "xpay-auth async Session::call (current_thread)",
        measure(|| rt.block_on(session.call("/client/echo", &body)).map(drop)),
    );

    let async_hand = AsyncHandRolled::new(&rt, &url);
    report(
        "hand-rolled async reqwest (current_thread)",
        measure(|| rt.block_on(async_hand.call(&body))),
    );

    // The cached-token path every call starts with.
    let session = blocking::Client::builder()
        .base_url(&url)
        .build()
        .unwrap()
        .session(creds());
    session.access_token().unwrap();
    let n = 1_000_000;
    let started = Instant::now();
    for _ in 0..n {
        std::hint::black_box(session.access_token().unwrap());
    }
    println!(
        "\nblocking Session::access_token, cached: {:.0} ns per call",
        started.elapsed().as_nanos() as f64 / n as f64
    );

    let session = Client::builder()
        .base_url(&url)
        .build()
        .unwrap()
        .session(creds());
    let before = mock.request_count("/client/authenticate");
    let started = Instant::now();
    rt.block_on(async {
        let tasks: Vec<_> = (0..1000)
            .map(|_| {
                tokio::spawn({
                    let s = session.clone();
                    async move { s.access_token().await }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
    });
    println!(
        "1,000 concurrent cold access_token callers: {:.2} ms, {} login request(s)",
        started.elapsed().as_secs_f64() * 1e3,
        mock.request_count("/client/authenticate") - before
    );
}

fn measure(mut call: impl FnMut() -> Result<(), xpay_auth::Error>) -> Vec<Duration> {
    for _ in 0..WARMUP {
        call().expect("warm-up call");
    }
    (0..CALLS)
        .map(|_| {
            let started = Instant::now();
            call().expect("call");
            started.elapsed()
        })
        .collect()
}

fn report(name: &str, mut times: Vec<Duration>) {
    times.sort();
    let total: Duration = times.iter().sum();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "{name:<44} {:>9.1} {:>9.1} {:>9.1} {:>10.0}",
        us(total) / times.len() as f64,
        us(times[times.len() / 2]),
        us(times[times.len() * 99 / 100]),
        times.len() as f64 / total.as_secs_f64()
    );
}

/// What a user writes without the SDK: log in once, then POST with the bearer and a uuid and
/// pick `success.data` out of the envelope.
struct HandRolled {
    http: reqwest::blocking::Client,
    url: String,
    token: String,
}

impl HandRolled {
    fn new(url: &str) -> Self {
        let http = reqwest::blocking::Client::new();
        let login: Value = http
            .post(format!("{url}/client/authenticate"))
            .json(&login_body())
            .send()
            .and_then(|r| r.json())
            .expect("login");
        let token = token_of(&login);
        HandRolled {
            http,
            url: url.to_owned(),
            token,
        }
    }

    fn call(&self, body: &Value) -> Result<(), xpay_auth::Error> {
        let reply: Value = self
            .http
            .post(format!("{}/client/echo", self.url))
            .bearer_auth(&self.token)
            .header("uuid", uuid::Uuid::new_v4().to_string())
            .json(body)
            .send()
            .and_then(|r| r.json())
            .expect("call");
        std::hint::black_box(&reply["success"]["data"]);
        Ok(())
    }
}

struct AsyncHandRolled {
    http: reqwest::Client,
    url: String,
    token: String,
}

impl AsyncHandRolled {
    fn new(rt: &tokio::runtime::Runtime, url: &str) -> Self {
        let http = reqwest::Client::new();
        let login: Value = rt.block_on(async {
            http.post(format!("{url}/client/authenticate"))
                .json(&login_body())
                .send()
                .await
                .expect("login")
                .json()
                .await
                .expect("login body")
        });
        let token = token_of(&login);
        AsyncHandRolled {
            http,
            url: url.to_owned(),
            token,
        }
    }

    async fn call(&self, body: &Value) -> Result<(), xpay_auth::Error> {
        let reply: Value = self
            .http
            .post(format!("{}/client/echo", self.url))
            .bearer_auth(&self.token)
            .header("uuid", uuid::Uuid::new_v4().to_string())
            .json(body)
            .send()
            .await
            .expect("call")
            .json()
            .await
            .expect("call body");
        std::hint::black_box(&reply["success"]["data"]);
        Ok(())
    }
}

/// The hand-rolled login request: what the vendor's page shows.
fn login_body() -> Value {
    json!({"username": "demo@xpay.test", "secretKey": "demo-secret", "isAPI": true})
}

/// The hand-rolled token lookup: `success.data.access_token`, as the vendor's page says.
fn token_of(login: &Value) -> String {
    login["success"]["data"]["access_token"]
        .as_str()
        .expect("token")
        .to_owned()
}

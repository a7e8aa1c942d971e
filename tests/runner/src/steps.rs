//! Running a scenario's steps: testee actions become protocol requests, runner actions act
//! on the face's own mock, and every check of a step (`expect`, `save`, `requests`,
//! `last_request`, `all_requests`) is applied here.

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use xpay_mock::MockServer;

use crate::matching::{self, brief, Names};
use crate::scenario::{Account, Action, ClientOptions, Expect, Op, Scenario, Step, Until};
use crate::testee::{Answer, Testee};

/// Everything one face runs against: its testee, its mock and a silent listener.
pub struct Env {
    /// The face's testee process.
    pub testee: Testee,
    /// The face's own mock.
    pub mock: MockServer,
    /// Accepts connections into its backlog and never answers, for the face's lifetime.
    silent: TcpListener,
    /// The networks fixtures (HTTPS mocks, proxy, certificates), once a scenario needs them.
    net: Option<crate::net::Net>,
    /// The face's redis-server, once a store URL says `$redis`.
    redis: Option<crate::redis_server::Redis>,
}

impl Env {
    /// An environment for `testee` with its own mock.
    pub fn new(testee: Testee, mock: MockServer) -> std::io::Result<Env> {
        Ok(Env {
            testee,
            mock,
            silent: TcpListener::bind("127.0.0.1:0")?,
            net: None,
            redis: None,
        })
    }

    /// The networks fixtures, started on first use.
    fn net(&mut self) -> Result<&mut crate::net::Net, String> {
        if self.net.is_none() {
            self.net = Some(crate::net::Net::start()?);
        }
        self.net
            .as_mut()
            .ok_or_else(|| "no networks fixtures".to_owned())
    }

    /// The face's redis-server, started on first use.
    fn redis(&mut self) -> Result<&mut crate::redis_server::Redis, String> {
        if self.redis.is_none() {
            self.redis = Some(crate::redis_server::Redis::start()?);
        }
        self.redis
            .as_mut()
            .ok_or_else(|| "no redis-server".to_owned())
    }

    /// Starts the face's redis-server when a store URL names it (`$redis`).
    fn redis_for(&mut self, store: &str) -> Result<(), String> {
        if store.replace("$redis_refused", "").contains("$redis") {
            self.redis()?;
        }
        Ok(())
    }

    /// A store URL with `$redis_refused` (a redis:// URL of a loopback port where nothing
    /// listens) and `$redis` (the face's redis-server, started by [`Env::redis_for`]) filled
    /// in.
    fn expand_redis(&self, store: &str) -> Result<String, String> {
        let mut store = store.to_owned();
        if store.contains("$redis_refused") {
            let refused = refused_url()?;
            let port = refused.rsplit(':').next().unwrap_or_default();
            store = store.replace("$redis_refused", &format!("redis://127.0.0.1:{port}/0"));
        }
        if store.contains("$redis") {
            let redis = self
                .redis
                .as_ref()
                .ok_or("the redis-server is not started")?;
            store = store.replace("$redis", &redis.url());
        }
        Ok(store)
    }

    /// Swaps the face's mock with the HTTPS mock `which` (twice: back again).
    fn swap_mock(&mut self, which: crate::net::TlsMock) -> Result<(), String> {
        let net = self.net()?;
        let slot = net.slot(which);
        let mut other = slot.take().ok_or("the HTTPS mock is in use")?;
        std::mem::swap(&mut self.mock, &mut other);
        *self.net()?.slot(which) = Some(other);
        Ok(())
    }

    /// The testee, for [`Testee::finish`]; the mock and the listener stop here.
    pub fn into_testee(self) -> Testee {
        self.testee
    }

    fn url(&self, base_url: &str) -> Result<String, String> {
        Ok(match base_url {
            "mock" => self.mock.base_url(),
            "refused" => refused_url()?,
            "silent" => {
                let addr = self.silent.local_addr().map_err(|e| e.to_string())?;
                format!("http://{addr}")
            }
            literal => literal.to_owned(),
        })
    }
}

/// A loopback URL where nothing listens: a port bound, then closed.
fn refused_url() -> Result<String, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    drop(listener);
    Ok(format!("http://127.0.0.1:{port}"))
}

/// The result of a step: success with a value, or the error object.
type Outcome = Result<Value, Value>;

/// Runs `scenario` on `env`: resets the mock, makes the client and session, runs the steps.
pub fn run_scenario(env: &mut Env, scenario: &Scenario) -> Result<(), String> {
    let Some(which) = scenario.mock_tls else {
        return run_scenario_on(env, scenario);
    };
    // The scenario's mock is the HTTPS one: every runner action and check sees it.
    env.swap_mock(which)
        .map_err(|e| format!("setting up the HTTPS mock: {e}"))?;
    let result = run_scenario_on(env, scenario);
    env.swap_mock(which)
        .map_err(|e| format!("putting the HTTPS mock back: {e}"))?;
    result
}

fn run_scenario_on(env: &mut Env, scenario: &Scenario) -> Result<(), String> {
    if let Some(net) = &env.net {
        net.reset_proxies();
    }
    env.mock.reset(Some(scenario.mock.clone()));
    if let Some(redis) = env.redis.as_mut() {
        redis.reset()?;
    }
    let mut run = Run {
        env,
        account: scenario.session.clone(),
        names: Names::default(),
        tmp: ScenarioDir::new()?,
    };
    run.new_client(&scenario.client)
        .and_then(|outcome| outcome.map_err(|e| format!("error {}", brief(&e))))
        .map_err(|e| format!("setting up the client and session: {e}"))?;
    for (i, step) in scenario.steps.iter().enumerate() {
        run.step(step).map_err(|e| format!("step {}: {e}", i + 1))?;
    }
    Ok(())
}

struct Run<'a> {
    env: &'a mut Env,
    /// The current session's account: the default of `authenticate`.
    account: Account,
    names: Names,
    /// The scenario's own temporary directory (`$tmp`), removed after it.
    tmp: ScenarioDir,
}

impl Run<'_> {
    fn step(&mut self, step: &Step) -> Result<(), String> {
        let outcome = self.act(&step.action)?;
        if let Some(name) = &step.save {
            let token = match &outcome {
                Some(Ok(v)) => v.get("access_token").filter(|t| t.is_string()),
                _ => None,
            };
            let token = token.ok_or_else(|| format!("save {name:?}: no access_token to save"))?;
            self.names.saved.insert(name.clone(), token.clone());
        }
        if let Some(expect) = &step.expect {
            let outcome = outcome
                .as_ref()
                .ok_or("this step has no result to expect")?;
            self.check(expect, outcome)?;
        }
        for (path, want) in &step.requests {
            let got = json!(self.env.mock.request_count(path));
            matching::matches(want, &got, &mut self.names)
                .map_err(|_| format!("{path}: expected {want} requests, the mock counted {got}"))?;
        }
        if let Some(want) = &step.last_request {
            let last = self
                .env
                .mock
                .requests()
                .pop()
                .ok_or("the mock recorded no request")?;
            let last = serde_json::to_value(&last).map_err(|e| e.to_string())?;
            matching::matches(want, &last, &mut self.names)
                .map_err(|e| format!("last request: {e}"))?;
        }
        if let Some(want) = &step.proxy {
            let got = self.env.net()?.proxy_stats();
            matching::matches(want, &got, &mut self.names)
                .map_err(|e| format!("proxy: {e} (the proxy's figures: {got})"))?;
        }
        if let Some((path, want)) = &step.all_requests {
            let all: Vec<_> = self
                .env
                .mock
                .requests()
                .into_iter()
                .filter(|r| &r.path == path)
                .collect();
            let all = serde_json::to_value(&all).map_err(|e| e.to_string())?;
            matching::matches(want, &all, &mut self.names)
                .map_err(|e| format!("requests on {path}: {e}"))?;
        }
        Ok(())
    }

    fn check(&mut self, expect: &Expect, outcome: &Outcome) -> Result<(), String> {
        match (expect, outcome) {
            (Expect::Ok(want), Ok(got)) | (Expect::Error(want), Err(got)) => {
                matching::matches(want, got, &mut self.names)
            }
            (Expect::Ok(_), Err(got)) => Err(format!("expected success, got error {}", brief(got))),
            (Expect::Error(_), Ok(got)) => Err(format!("expected an error, got {}", brief(got))),
        }
    }

    /// Does the step's action; `None` for runner actions, which have no result.
    fn act(&mut self, action: &Action) -> Result<Option<Outcome>, String> {
        let mock = &mut self.env.mock;
        match action {
            Action::Testee(Op::Client(options)) => return self.new_client(options).map(Some),
            Action::Testee(op) => return self.send(op).map(Some),
            Action::Repeat { n, op } => return self.repeat(*n, op).map(Some),
            Action::Poll { until, deadline_ms } => return self.poll(until, *deadline_ms).map(Some),
            Action::PollStats { until, deadline_ms } => {
                return self.poll_stats(until, *deadline_ms).map(Some)
            }
            Action::Queue { path, replies } => mock.queue(path, replies.clone()),
            Action::Revoke => mock.revoke_tokens(),
            Action::MockConfig(config) => mock.configure(config.clone()),
            Action::MockRestart => mock_restart(mock)?,
            Action::StoreFiles { dir, matches } => {
                let got = store_files(&self.tmp.expand(dir))?;
                matching::matches(matches, &got, &mut self.names)
                    .map_err(|e| format!("store_files {dir}: {e} (the files: {got})"))?;
            }
            Action::CorruptStore { dir, text } => corrupt_store(&self.tmp.expand(dir), text)?,
            Action::RedisKeys(matches) => {
                let got = self.env.redis()?.keys()?;
                matching::matches(matches, &got, &mut self.names)
                    .map_err(|e| format!("redis_keys: {e} (the keys: {got})"))?;
            }
            Action::RedisStop => self.env.redis()?.down(),
            Action::RedisStart => self.env.redis()?.up()?,
            Action::RedisCorrupt(text) => self.env.redis()?.corrupt(text)?,
            Action::WaitMock {
                connections,
                deadline_ms,
            } => self.wait_mock(connections, *deadline_ms)?,
        }
        Ok(None)
    }

    /// A new client and, when it was made, a session on it with the current account.
    fn new_client(&mut self, options: &ClientOptions) -> Result<Outcome, String> {
        let named = [
            &options.ca_bundle_pem,
            &options.ca_bundle_file,
            &options.client_cert_pem,
            &options.client_key_pem,
            &options.proxy,
        ]
        .into_iter()
        .flatten()
        .chain(options.env.iter().flat_map(|e| e.values()))
        .any(|v| crate::net::has_placeholder(v));
        if named {
            self.env.net()?;
        }
        let made = self.send(&Op::Client(options.clone()))?;
        if made.is_err() {
            return Ok(made);
        }
        self.send(&Op::Session(self.account.clone()))
    }

    /// One op to the testee; its answer as an outcome (`ok` values shaped as the README's
    /// step table says).
    fn send(&mut self, op: &Op) -> Result<Outcome, String> {
        if let Op::Session(Account {
            store: Some(store), ..
        }) = op
        {
            self.env.redis_for(store)?;
        }
        let request = self.request(op)?;
        let answer = self
            .env
            .testee
            .request(&request)
            .map_err(|e| e.to_string())?;
        let outcome = outcome(op, answer)?;
        if let (Op::Session(account), Ok(_)) = (op, &outcome) {
            self.account = account.clone();
        }
        Ok(outcome)
    }

    /// The protocol request for `op`.
    fn request(&self, op: &Op) -> Result<Value, String> {
        Ok(match op {
            Op::Authenticate {
                username,
                secret_key,
                is_api,
            } => json!({
                "op": "authenticate",
                "username": username.as_ref().unwrap_or(&self.account.username),
                "secret_key": secret_key.as_ref().unwrap_or(&self.account.secret_key),
                "is_api": is_api,
            }),
            Op::AccessToken => json!({"op": "access_token"}),
            Op::Call { path, body, uuid } => {
                let mut r = json!({"op": "call", "path": path, "body": body});
                if let Some(uuid) = uuid {
                    r["uuid"] = json!(uuid);
                }
                r
            }
            Op::CallRaw { path, text } => json!({"op": "call_raw", "path": path, "text": text}),
            Op::Invalidate => json!({"op": "invalidate"}),
            Op::AuthorizationHeader => json!({"op": "authorization_header"}),
            Op::Stats => json!({"op": "stats"}),
            Op::Close => json!({"op": "close"}),
            Op::Client(o) => {
                let mut r = json!({
                    "op": "client",
                    "base_url": self.env.url(&o.base_url)?,
                    "timeout_ms": o.timeout_ms,
                    "max_retries": o.max_retries,
                });
                if let Some(ms) = o.connect_timeout_ms {
                    r["connect_timeout_ms"] = json!(ms);
                }
                self.network_options(o, &mut r)?;
                r
            }
            Op::Session(a) => {
                let mut r =
                    json!({"op": "session", "username": a.username, "secret_key": a.secret_key});
                if let Some(store) = &a.store {
                    r["store"] = json!(self.env.expand_redis(&self.tmp.expand(store))?);
                }
                r
            }
            Op::Concurrent { n, step } => {
                json!({"op": "concurrent", "n": n, "step": self.request(step)?})
            }
            Op::Fork(step) => json!({"op": "fork", "step": self.request(step)?}),
            Op::Worker {
                step,
                terminate_after_ms,
            } => {
                let mut r = json!({"op": "worker", "step": self.request(step)?});
                if let Some(ms) = terminate_after_ms {
                    r["terminate_after_ms"] = json!(ms);
                }
                r
            }
        })
    }

    /// The networks fields of a `client` request, placeholders replaced (the fixtures are
    /// started by the first scenario that names one).
    fn network_options(&self, o: &ClientOptions, r: &mut Value) -> Result<(), String> {
        let net = self.env.net.as_ref();
        let expand = |text: &str| -> Result<String, String> {
            if !crate::net::has_placeholder(text) {
                return Ok(text.to_owned());
            }
            net.map(|n| n.expand(text))
                .ok_or_else(|| "the networks fixtures are not started".to_owned())
        };
        for (key, value) in [
            ("ca_bundle_pem", &o.ca_bundle_pem),
            ("ca_bundle_file", &o.ca_bundle_file),
            ("tls_roots", &o.tls_roots),
            ("client_cert_pem", &o.client_cert_pem),
            ("client_key_pem", &o.client_key_pem),
            ("proxy", &o.proxy),
        ] {
            if let Some(v) = value {
                r[key] = json!(expand(v)?);
            }
        }
        if let Some(env) = &o.env {
            let mut vars = serde_json::Map::new();
            for (k, v) in env {
                vars.insert(k.clone(), json!(expand(v)?));
            }
            r["env"] = Value::Object(vars);
        }
        Ok(())
    }

    fn repeat(&mut self, n: u64, op: &Op) -> Result<Outcome, String> {
        let request = self.request(op)?;
        let mut answers = Vec::new();
        for _ in 0..n {
            answers.push(
                self.env
                    .testee
                    .request(&request)
                    .map_err(|e| e.to_string())?,
            );
        }
        Ok(Ok(summary(&answers)))
    }

    fn poll(&mut self, until: &Until, deadline_ms: u64) -> Result<Outcome, String> {
        let deadline = Instant::now() + Duration::from_millis(deadline_ms);
        loop {
            let outcome = self.send(&Op::AccessToken)?;
            let done = match until {
                Until::Requests(counts) => counts
                    .iter()
                    .all(|(path, n)| self.env.mock.request_count(path) >= *n),
                Until::Changed(name) => match &outcome {
                    Ok(v) => self.names.saved.get(name) != v.get("access_token"),
                    Err(_) => true,
                },
            };
            if done {
                return Ok(outcome);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "poll_access_token: not done within {deadline_ms} ms ({until:?})"
                ));
            }
            // Polling, not waiting: let the renewal have the CPU between looks.
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn poll_stats(&mut self, want: &Value, deadline_ms: u64) -> Result<Outcome, String> {
        let deadline = Instant::now() + Duration::from_millis(deadline_ms);
        loop {
            let outcome = self.send(&Op::Stats)?;
            if let Ok(got) = &outcome {
                let mut trial = self.names.clone();
                if matching::matches(want, got, &mut trial).is_ok() {
                    self.names = trial;
                    return Ok(outcome);
                }
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "poll_stats: the stats are {}, not {want}, after {deadline_ms} ms",
                    match &outcome {
                        Ok(v) | Err(v) => brief(v),
                    }
                ));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    fn wait_mock(&mut self, want: &Value, deadline_ms: u64) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_millis(deadline_ms);
        loop {
            let got = mock_connections(&self.env.mock)?;
            let mut trial = self.names.clone();
            if matching::matches(want, &got, &mut trial).is_ok() {
                self.names = trial;
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "wait_mock: the mock's connections are {got}, not {want}, after {deadline_ms} ms"
                ));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// A testee's answer to `op` as a step outcome.
fn outcome(op: &Op, answer: Answer) -> Result<Outcome, String> {
    match answer {
        Answer::Ok(v) => shape(op, v).map(Ok),
        Answer::Error(e) => Ok(Err(e)),
        Answer::Unsupported(why) => Err(format!("the face does not support this: {why}")),
    }
}

/// An `ok` value in the form the step table compares with `expect.ok`.
fn shape(op: &Op, v: Value) -> Result<Value, String> {
    Ok(match op {
        Op::AccessToken => json!({"access_token": v}),
        // The bare token beside the header, so that `$saved` can compare it.
        Op::AuthorizationHeader => {
            let token = v.as_str().and_then(|h| h.strip_prefix("Bearer "));
            json!({"authorization": v, "access_token": token})
        }
        Op::Call { .. } => json!({"data": v}),
        Op::CallRaw { .. } => json!({"text": v}),
        Op::Concurrent { n, .. } => {
            let items = v
                .as_array()
                .ok_or("concurrent: the answer is not an array")?;
            let answers = items
                .iter()
                .map(|a| Answer::from_json(a).ok_or(format!("concurrent: not an answer: {a}")))
                .collect::<Result<Vec<_>, _>>()?;
            if answers.len() as u64 != *n {
                return Err(format!("concurrent: {} answers for n = {n}", answers.len()));
            }
            summary(&answers)
        }
        Op::Fork(step) => shape(step, v)?,
        Op::Worker {
            step,
            terminate_after_ms,
        } => match terminate_after_ms {
            Some(_) if v == json!({"terminated": true}) => v,
            _ => shape(step, v)?,
        },
        Op::Authenticate { .. }
        | Op::Invalidate
        | Op::Stats
        | Op::Close
        | Op::Client(_)
        | Op::Session(_) => v,
    })
}

/// `{"count", "distinct", "errors", "codes"}` of several answers.
fn summary(answers: &[Answer]) -> Value {
    let mut distinct = BTreeSet::new();
    let mut codes = BTreeSet::new();
    let mut errors = 0;
    for answer in answers {
        match answer {
            Answer::Ok(v) => {
                distinct.insert(v.to_string());
            }
            Answer::Error(e) => {
                errors += 1;
                codes.insert(e["code"].as_str().unwrap_or("?").to_owned());
            }
            Answer::Unsupported(_) => {
                errors += 1;
                codes.insert("unsupported".to_owned());
            }
        }
    }
    json!({"count": answers.len(), "distinct": distinct.len(), "errors": errors, "codes": codes})
}

/// `mock_restart`: stop the mock (closing every connection) and listen again on its port.
fn mock_restart(mock: &mut MockServer) -> Result<(), String> {
    mock.restart()
        .map_err(|e| format!("mock_restart: the mock could not listen again: {e}"))
}

/// The mock's connection figures `{open, accepted, idle_closed}`.
fn mock_connections(mock: &MockServer) -> Result<Value, String> {
    serde_json::to_value(mock.connections()).map_err(|e| e.to_string())
}

/// A scenario's temporary directory: `$tmp` in store URLs and store paths. Made empty for the
/// scenario (mode 0700), removed with everything in it afterwards.
struct ScenarioDir(std::path::PathBuf);

impl ScenarioDir {
    fn new() -> Result<ScenarioDir, String> {
        use std::os::unix::fs::DirBuilderExt;
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "xpay-conformance-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .map_err(|e| format!("the scenario's temporary directory {}: {e}", path.display()))?;
        Ok(ScenarioDir(path))
    }

    fn expand(&self, text: &str) -> String {
        text.replace("$tmp", &self.0.to_string_lossy())
    }
}

impl Drop for ScenarioDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `{"dir_mode": "700", "files": [{"name", "mode": "600", "text"}]}` of a store directory
/// (file names sorted; temporary files included, so a leftover shows).
fn store_files(dir: &str) -> Result<Value, String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = |m: &std::fs::Metadata| format!("{:o}", m.permissions().mode() & 0o7777);
    let meta = std::fs::metadata(dir).map_err(|e| format!("store_files {dir}: {e}"))?;
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| format!("store_files {dir}: {e}"))? {
        let entry = entry.map_err(|e| e.to_string())?;
        let m = entry.metadata().map_err(|e| e.to_string())?;
        let text = std::fs::read(entry.path()).unwrap_or_default();
        files.push(json!({
            "name": entry.file_name().to_string_lossy(),
            "mode": mode(&m),
            "text": String::from_utf8_lossy(&text),
        }));
    }
    files.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    Ok(json!({"dir_mode": mode(&meta), "files": files}))
}

/// Overwrites every `*.token` record in `dir` with `text`; at least one must exist.
fn corrupt_store(dir: &str, text: &str) -> Result<(), String> {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).map_err(|e| format!("corrupt_store {dir}: {e}"))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|e| e == "token") {
            std::fs::write(&path, text).map_err(|e| format!("corrupt_store: {e}"))?;
            n += 1;
        }
    }
    match n {
        0 => Err(format!("corrupt_store: no record (*.token) in {dir}")),
        _ => Ok(()),
    }
}

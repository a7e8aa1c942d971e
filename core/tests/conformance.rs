//! Replays the shared scenarios of `tests/conformance/` (see its README) against an in-process
//! `xpay-mock`, once through the async face and once through the blocking face.
//!
//! A custom harness (`harness = false`) so each scenario reports on its own line, ending with
//! the plain summary `conformance: N passed, M failed`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use xpay_auth::{blocking, Authentication, Client, ClientBuilder, Credentials, Error, Session};
use xpay_mock::{MockConfig, MockServer};

const DEFAULT_USERNAME: &str = "demo@xpay.test";
const DEFAULT_SECRET: &str = "demo-secret";

fn main() {
    let filter = std::env::args().nth(1).filter(|a| !a.starts_with('-'));
    let mock = MockServer::start(MockConfig::default()).expect("start the mock");
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let scenarios = load_scenarios();
    let (mut passed, mut failed) = (0, 0);
    for face in [FaceKind::Async, FaceKind::Blocking] {
        for scenario in &scenarios {
            let name = scenario["name"].as_str().unwrap_or("?");
            if filter.as_deref().is_some_and(|f| !name.contains(f)) {
                continue;
            }
            let started = Instant::now();
            match run_scenario(&mock, &runtime, face, scenario) {
                Ok(()) => {
                    passed += 1;
                    println!(
                        "ok     {face:?} {name} ({} ms)",
                        started.elapsed().as_millis()
                    );
                }
                Err(why) => {
                    failed += 1;
                    println!("FAILED {face:?} {name}: {why}");
                }
            }
        }
    }
    println!("conformance: {passed} passed, {failed} failed");
    if failed > 0 || passed == 0 {
        std::process::exit(1);
    }
}

fn load_scenarios() -> Vec<Value> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/conformance exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|f| {
            let text = std::fs::read_to_string(f).expect("readable scenario file");
            match serde_json::from_str::<Value>(&text).expect("valid scenario JSON") {
                Value::Array(items) => items,
                other => panic!(
                    "{}: expected an array of scenarios, got {other}",
                    f.display()
                ),
            }
        })
        .collect()
}

#[derive(Debug, Clone, Copy)]
enum FaceKind {
    Async,
    Blocking,
}

/// The face under test, behind one set of operations returning canonical JSON.
enum Face<'a> {
    Async {
        rt: &'a tokio::runtime::Runtime,
        client: Client,
        session: Session,
    },
    Blocking {
        client: blocking::Client,
        session: blocking::Session,
    },
}

impl Face<'_> {
    fn authenticate(&self, creds: &Credentials) -> Result<Value, Error> {
        let auth = match self {
            Face::Async { rt, client, .. } => rt.block_on(client.authenticate(creds))?,
            Face::Blocking { client, .. } => client.authenticate(creds)?,
        };
        Ok(auth_json(&auth))
    }

    fn access_token(&self) -> Result<String, Error> {
        match self {
            Face::Async { rt, session, .. } => rt.block_on(session.access_token()),
            Face::Blocking { session, .. } => session.access_token(),
        }
    }

    fn call(&self, path: &str, body: &Value) -> Result<Value, Error> {
        match self {
            Face::Async { rt, session, .. } => rt.block_on(session.call(path, body)),
            Face::Blocking { session, .. } => session.call(path, body),
        }
    }

    fn invalidate(&self) {
        match self {
            Face::Async { session, .. } => session.invalidate(),
            Face::Blocking { session, .. } => session.invalidate(),
        }
    }

    /// `n` callers at once on a cold session: async tasks, or threads released by a barrier.
    fn concurrent_access_tokens(&self, n: usize) -> Vec<Result<String, Error>> {
        match self {
            Face::Async { rt, session, .. } => rt.block_on(async {
                let tasks: Vec<_> = (0..n)
                    .map(|_| {
                        let s = session.clone();
                        tokio::spawn(async move { s.access_token().await })
                    })
                    .collect();
                let mut out = Vec::with_capacity(n);
                for t in tasks {
                    out.push(t.await.expect("task did not panic"));
                }
                out
            }),
            Face::Blocking { session, .. } => {
                let barrier = Arc::new(Barrier::new(n));
                std::thread::scope(|scope| {
                    let handles: Vec<_> = (0..n)
                        .map(|_| {
                            let (s, b) = (session.clone(), barrier.clone());
                            scope.spawn(move || {
                                b.wait();
                                s.access_token()
                            })
                        })
                        .collect();
                    handles
                        .into_iter()
                        .map(|h| h.join().expect("thread did not panic"))
                        .collect()
                })
            }
        }
    }
}

fn auth_json(a: &Authentication) -> Value {
    json!({
        "access_token": a.access_token(), "expires_at": a.expires_at(),
        "user": {"username": a.user().username(), "scopes": a.user().scopes(), "is_api": a.user().is_api()},
        "ticket": a.ticket(), "uuid": a.uuid(), "message": a.message(),
    })
}

fn error_json(e: &Error) -> Value {
    json!({"code": e.code(), "message": e.message(), "status": e.status(), "tag": e.tag(), "uuid": e.uuid(), "data": e.data()})
}

struct Run<'a> {
    mock: &'a MockServer,
    face: Face<'a>,
    /// The scenario's session account, also the default for `authenticate` steps.
    account: (String, String),
    saved: HashMap<String, String>,
}

fn run_scenario(
    mock: &MockServer,
    rt: &tokio::runtime::Runtime,
    kind: FaceKind,
    sc: &Value,
) -> Result<(), String> {
    let reset = sc.get("mock").cloned().unwrap_or(json!({}));
    mock.reset(Some(
        serde_json::from_value(reset).map_err(|e| format!("bad mock settings: {e}"))?,
    ));
    let client_opts = sc.get("client").cloned().unwrap_or(json!({}));
    let base_url = match client_opts["base_url"].as_str().unwrap_or("mock") {
        "refused" => refused_url(),
        _ => mock.base_url(),
    };
    let timeout = Duration::from_millis(client_opts["timeout_ms"].as_u64().unwrap_or(5000));
    let retries = client_opts["max_retries"].as_u64().unwrap_or(2) as u32;
    let account = (
        sc["session"]["username"]
            .as_str()
            .unwrap_or(DEFAULT_USERNAME)
            .to_owned(),
        sc["session"]["secret_key"]
            .as_str()
            .unwrap_or(DEFAULT_SECRET)
            .to_owned(),
    );
    let session_creds = Credentials::new(&account.0, &account.1);
    let face = match kind {
        FaceKind::Async => {
            let client = configure(Client::builder(), &base_url, timeout, retries).build();
            let client = client.map_err(|e| e.to_string())?;
            let session = client.session(session_creds.clone());
            Face::Async {
                rt,
                client,
                session,
            }
        }
        FaceKind::Blocking => {
            let client =
                configure(blocking::Client::builder(), &base_url, timeout, retries).build();
            let client = client.map_err(|e| e.to_string())?;
            let session = client.session(session_creds.clone());
            Face::Blocking { client, session }
        }
    };
    let mut run = Run {
        mock,
        face,
        account,
        saved: HashMap::new(),
    };
    let steps = sc["steps"].as_array().ok_or("no steps")?;
    for (i, step) in steps.iter().enumerate() {
        run.step(step).map_err(|e| format!("step {}: {e}", i + 1))?;
    }
    Ok(())
}

/// The scenario's client options, for either face's builder.
fn configure<C>(
    builder: ClientBuilder<C>,
    url: &str,
    timeout: Duration,
    retries: u32,
) -> ClientBuilder<C> {
    builder.base_url(url).timeout(timeout).max_retries(retries)
}

/// A loopback URL where nothing listens: bind a free port, then close it.
fn refused_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

impl Run<'_> {
    fn step(&mut self, step: &Value) -> Result<(), String> {
        let outcome: Option<Result<Value, Value>> = if let Some(q) = step.get("queue") {
            let replies = serde_json::from_value(q["replies"].clone())
                .map_err(|e| format!("bad replies: {e}"))?;
            self.mock
                .queue(q["path"].as_str().ok_or("queue needs a path")?, replies);
            None
        } else if let Some(args) = step.get("authenticate") {
            let creds = Credentials::new(
                args["username"].as_str().unwrap_or(&self.account.0),
                args["secret_key"].as_str().unwrap_or(&self.account.1),
            )
            .with_is_api(args["is_api"].as_bool().unwrap_or(true));
            Some(self.face.authenticate(&creds).map_err(|e| error_json(&e)))
        } else if step.get("access_token").is_some() {
            Some(
                self.face
                    .access_token()
                    .map(|t| json!({"access_token": t}))
                    .map_err(|e| error_json(&e)),
            )
        } else if let Some(args) = step.get("call") {
            let path = args["path"].as_str().ok_or("call needs a path")?;
            Some(
                self.face
                    .call(path, &args["body"])
                    .map(|d| json!({"data": d}))
                    .map_err(|e| error_json(&e)),
            )
        } else if step.get("invalidate").is_some() {
            self.face.invalidate();
            None
        } else if step.get("revoke").is_some() {
            self.mock.revoke_tokens();
            None
        } else if let Some(args) = step.get("concurrent_access_tokens") {
            let n = args["n"]
                .as_u64()
                .ok_or("concurrent_access_tokens needs n")? as usize;
            let results = self.face.concurrent_access_tokens(n);
            let distinct: std::collections::HashSet<_> =
                results.iter().filter_map(|r| r.as_ref().ok()).collect();
            let errors = results.iter().filter(|r| r.is_err()).count();
            Some(Ok(
                json!({"count": results.len(), "distinct": distinct.len(), "errors": errors}),
            ))
        } else if let Some(args) = step.get("poll_access_token") {
            Some(self.poll(args)?)
        } else {
            return Err(format!("unknown step {step}"));
        };
        if let (Some(name), Some(Ok(v))) = (step.get("save").and_then(Value::as_str), &outcome) {
            let token = v["access_token"]
                .as_str()
                .ok_or("save needs an access_token result")?;
            self.saved.insert(name.to_owned(), token.to_owned());
        }
        if let Some(expect) = step.get("expect") {
            let outcome = outcome
                .as_ref()
                .ok_or("this step has no result to expect")?;
            self.check_outcome(expect, outcome)?;
        }
        if let Some(counts) = step.get("requests").and_then(Value::as_object) {
            for (path, want) in counts {
                let got = self.mock.request_count(path);
                if Some(got) != want.as_u64() {
                    return Err(format!(
                        "{path}: expected {want} requests, the mock counted {got}"
                    ));
                }
            }
        }
        if let Some(want) = step.get("last_request") {
            let last = self
                .mock
                .requests()
                .pop()
                .ok_or("the mock recorded no request")?;
            let last = serde_json::to_value(&last).map_err(|e| e.to_string())?;
            self.matches(want, &last)
                .map_err(|e| format!("last request: {e}"))?;
        }
        Ok(())
    }

    fn poll(&self, args: &Value) -> Result<Result<Value, Value>, String> {
        let deadline =
            Instant::now() + Duration::from_millis(args["deadline_ms"].as_u64().unwrap_or(10_000));
        loop {
            let result = self.face.access_token();
            let done = match (&args["until_requests"], &args["until_changed"]) {
                (Value::Object(counts), _) => counts
                    .iter()
                    .all(|(path, n)| self.mock.request_count(path) >= n.as_u64().unwrap_or(0)),
                (_, Value::String(name)) => match &result {
                    Ok(token) => self.saved.get(name) != Some(token),
                    Err(_) => true,
                },
                _ => return Err("poll_access_token needs until_requests or until_changed".into()),
            };
            if done {
                return Ok(result
                    .map(|t| json!({"access_token": t}))
                    .map_err(|e| error_json(&e)));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "poll_access_token: condition not met by the deadline ({args})"
                ));
            }
            // Polling, not waiting: give the renewal a moment of the CPU between looks.
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn check_outcome(&self, expect: &Value, outcome: &Result<Value, Value>) -> Result<(), String> {
        match (expect.get("ok"), expect.get("error"), outcome) {
            (Some(want), _, Ok(got)) => self.matches(want, got),
            (_, Some(want), Err(got)) => self.matches(want, got),
            (Some(_), _, Err(got)) => Err(format!("expected success, got error {got}")),
            (_, Some(_), Ok(got)) => Err(format!("expected an error, got {got}")),
            _ => Err("expect needs ok or error".into()),
        }
    }

    fn matches(&self, want: &Value, got: &Value) -> Result<(), String> {
        matches_at("", want, got, &self.saved)
    }
}

fn matches_at(
    at: &str,
    want: &Value,
    got: &Value,
    saved: &HashMap<String, String>,
) -> Result<(), String> {
    let fail = |why: String| Err(format!("at `{at}`: {why} (got {got})"));
    if let Some((key, arg)) = matcher(want) {
        let ok = match key {
            "$present" => !got.is_null(),
            "$absent" => got.is_null(),
            "$prefix" => got
                .as_str()
                .zip(arg.as_str())
                .is_some_and(|(g, p)| g.starts_with(p)),
            "$contains" => got
                .as_str()
                .zip(arg.as_str())
                .is_some_and(|(g, p)| g.contains(p)),
            "$uuid" => got.as_str().is_some_and(is_uuid),
            "$type" => arg.as_str() == Some(json_type(got)),
            "$saved" => {
                got.as_str().is_some()
                    && saved.get(arg.as_str().unwrap_or("")).map(String::as_str) == got.as_str()
            }
            "$not_saved" => {
                got.as_str().is_some()
                    && saved.get(arg.as_str().unwrap_or("")).map(String::as_str) != got.as_str()
            }
            "$min_length" => {
                let len = got
                    .as_str()
                    .map(|s| s.chars().count())
                    .or(got.as_array().map(Vec::len));
                len.zip(arg.as_u64()).is_some_and(|(l, n)| l as u64 >= n)
            }
            other => return fail(format!("unknown matcher {other}")),
        };
        return if ok {
            Ok(())
        } else {
            fail(format!("does not match {want}"))
        };
    }
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                matches_at(
                    &format!("{at}.{k}"),
                    wv,
                    g.get(k).unwrap_or(&Value::Null),
                    saved,
                )?;
            }
            Ok(())
        }
        (Value::Array(w), Value::Array(g)) if w.len() == g.len() => {
            for (i, (wv, gv)) in w.iter().zip(g).enumerate() {
                matches_at(&format!("{at}[{i}]"), wv, gv, saved)?;
            }
            Ok(())
        }
        (Value::Number(w), Value::Number(g)) if w.as_f64() == g.as_f64() => Ok(()),
        _ if want == got => Ok(()),
        _ => fail(format!("expected {want}")),
    }
}

fn matcher(v: &Value) -> Option<(&str, &Value)> {
    let obj = v.as_object()?;
    let (k, arg) = obj.iter().next()?;
    (obj.len() == 1 && k.starts_with('$')).then_some((k.as_str(), arg))
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<_> = s.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
}

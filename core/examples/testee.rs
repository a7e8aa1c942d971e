//! The Rust faces' conformance testee (`tests/conformance/README.md`): one JSON request per
//! line on stdin, one JSON answer per line on stdout. No behaviour of its own: every op is one
//! call of the face. The async face (`Client`, `Session` on a tokio runtime) by default;
//! `--blocking` for `xpay_auth::blocking`.
//!
//! `cargo build --example testee`, then `xpay-conformance --face rust-async=target/debug/examples/testee`.

use std::fs::File;
use std::io::{BufRead, Read, Write};
use std::os::fd::FromRawFd;
use std::sync::{Arc, Barrier};

use serde_json::{json, Value};
use tokio::runtime::Runtime;
use xpay_auth::{
    blocking, Authentication, Client, ClientBuilder, Credentials, Error, Session, SessionStats,
};

fn main() {
    if std::env::args().any(|a| a == "--blocking") {
        serve(Blocking::default());
    } else {
        match Runtime::new() {
            Ok(rt) => serve(Async::new(Arc::new(rt))),
            Err(e) => eprintln!("testee: no tokio runtime: {e}"),
        }
    }
}

/// Answers every line of stdin, in order, until end of input.
fn serve<F: Face>(mut face: F) {
    let mut out = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let answer = match serde_json::from_str::<Value>(&line) {
            Ok(request) => dispatch(&mut face, &request),
            Err(e) => usage(&format!("not a JSON request: {e}")),
        };
        if writeln!(out, "{answer}")
            .and_then(|()| out.flush())
            .is_err()
        {
            break;
        }
    }
}

// ---- the protocol: ops that are the same for both faces --------------------------------------

fn dispatch<F: Face>(face: &mut F, req: &Value) -> Value {
    match req["op"].as_str().unwrap_or_default() {
        "hello" => ok(json!({"face": F::NAME, "version": xpay_auth::VERSION, "can": ["fork"]})),
        "client" => match face.client(req) {
            Ok(()) => ok(Value::Null),
            Err(e) => error(&e),
        },
        "session" => face.session(credentials(req), req["store"].as_str()),
        "concurrent" => {
            let n = req["n"].as_u64().unwrap_or(0) as usize;
            ok(Value::Array(face.concurrent(n, &req["step"])))
        }
        "fork" => fork(face, &req["step"]),
        "worker" => unsupported("worker: the Rust testee has no workers"),
        _ => face.one(req),
    }
}

/// What each face does for the ops that call it.
trait Face: Clone + Send + Sync + 'static {
    const NAME: &'static str;
    /// A new client from the request's options; drops the session.
    fn client(&mut self, req: &Value) -> Result<(), Error>;
    /// A session on the current client (through the token store `store` if given).
    fn session(&mut self, credentials: Credentials, store: Option<&str>) -> Value;
    /// One of `authenticate`, `access_token`, `call`, `call_raw`, `invalidate`, `close`.
    fn one(&self, req: &Value) -> Value;
    /// `n` copies of `step` at once.
    fn concurrent(&self, n: usize, step: &Value) -> Vec<Value>;
    /// The same objects, usable in a forked child.
    fn for_child(&self) -> Self;
}

/// The scenario's client options on either face's builder.
fn configure<C>(mut b: ClientBuilder<C>, req: &Value) -> ClientBuilder<C> {
    let ms = |k: &str| req[k].as_u64().map(std::time::Duration::from_millis);
    b = b.base_url(req["base_url"].as_str().unwrap_or_default());
    if let Some(t) = ms("timeout_ms") {
        b = b.timeout(t);
    }
    if let Some(t) = ms("connect_timeout_ms") {
        b = b.connect_timeout(t);
    }
    if let Some(n) = req["max_retries"].as_u64() {
        b = b.max_retries(u32::try_from(n).unwrap_or(u32::MAX));
    }
    // Networks (tests/conformance/networks.json).
    let text = |k: &str| req[k].as_str();
    if let Some(pem) = text("ca_bundle_pem") {
        b = b.ca_bundle_pem(pem.as_bytes());
    }
    if let Some(path) = text("ca_bundle_file") {
        b = b.ca_bundle_file(path);
    }
    if let Some(roots) = text("tls_roots").and_then(|r| xpay_auth::TlsRoots::parse(r).ok()) {
        b = b.tls_roots(roots);
    }
    if let (Some(cert), Some(key)) = (text("client_cert_pem"), text("client_key_pem")) {
        b = b.client_identity_pem(cert.as_bytes(), key.as_bytes());
    }
    if let Some(url) = text("proxy") {
        b = b.proxy(url);
    }
    b
}

/// `build` with the request's `env` variables set (removed again afterwards).
fn with_env<T>(req: &Value, build: impl FnOnce() -> T) -> T {
    let vars: Vec<(String, String)> = req["env"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    for (k, v) in &vars {
        std::env::set_var(k, v);
    }
    let built = build();
    for (k, _) in &vars {
        std::env::remove_var(k);
    }
    built
}

fn credentials(req: &Value) -> Credentials {
    let text = |k: &str| req[k].as_str().unwrap_or_default().to_owned();
    Credentials::new(text("username"), text("secret_key"))
        .with_is_api(req["is_api"].as_bool().unwrap_or(true))
}

fn ok(v: Value) -> Value {
    json!({ "ok": v })
}

fn answer<T: Into<Value>>(r: Result<T, Error>) -> Value {
    r.map_or_else(|e| error(&e), |v| ok(v.into()))
}

fn error(e: &Error) -> Value {
    json!({"error": {"code": e.code(), "message": e.message(), "status": e.status(),
                     "tag": e.tag(), "uuid": e.uuid(), "data": e.data()}})
}

/// A request the testee cannot serve (no client yet, a missing field).
fn usage(why: &str) -> Value {
    json!({"error": {"code": "invalid_argument", "message": format!("testee: {why}"),
                     "status": null, "tag": null, "uuid": null, "data": null}})
}

fn unsupported(why: &str) -> Value {
    json!({ "unsupported": why })
}

/// The answer to an op that is not one call (unknown).
fn other_op(op: &str) -> Value {
    unsupported(&format!("unknown op {op:?}"))
}

/// The ops that need a session.
macro_rules! SESSION_OPS {
    () => {
        "access_token" | "call" | "call_raw" | "invalidate" | "authorization_header" | "stats"
    };
}

/// `stats` as the protocol spells it (snake_case, times in ms since the epoch).
fn stats_json(stats: &SessionStats) -> Value {
    serde_json::to_value(stats).map_or_else(|e| usage(&e.to_string()), ok)
}

fn auth_json(a: &Authentication) -> Value {
    let u = a.user();
    json!({"access_token": a.access_token(), "expires_at": a.expires_at(),
           "user": {"username": u.username(), "scopes": u.scopes(), "is_api": u.is_api()},
           "ticket": a.ticket(), "uuid": a.uuid(), "message": a.message()})
}

// ---- fork -----------------------------------------------------------------------------------

/// Runs `step` in a `fork()`ed child on the parent's objects and relays its answer.
fn fork<F: Face>(face: &F, step: &Value) -> Value {
    let mut fds = [0; 2];
    // SAFETY: a plain pipe(2) into a two-int array.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return usage("pipe() failed");
    }
    // SAFETY: the child runs only the step (Rust code of this program) and leaves with _exit.
    match unsafe { libc::fork() } {
        -1 => usage("fork() failed"),
        0 => {
            // SAFETY: our own fds; a stuck child dies by SIGALRM instead of hanging the run.
            unsafe {
                libc::close(fds[0]);
                libc::alarm(20);
            }
            let run = std::panic::AssertUnwindSafe(|| dispatch(&mut face.for_child(), step));
            let answer = std::panic::catch_unwind(run);
            let answer = answer.unwrap_or_else(|_| usage("the forked child panicked"));
            // SAFETY: the write end of the pipe, owned by the child from here on.
            let mut pipe = unsafe { File::from_raw_fd(fds[1]) };
            let _ = writeln!(pipe, "{answer}");
            // SAFETY: leaving the child without running the parent's destructors.
            unsafe { libc::_exit(0) }
        }
        pid => {
            // SAFETY: closing our copy of the write end; the read end is ours to own.
            let mut pipe = unsafe {
                libc::close(fds[1]);
                File::from_raw_fd(fds[0])
            };
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            let mut status = 0;
            // SAFETY: waiting for our own child.
            unsafe { libc::waitpid(pid, &mut status, 0) };
            serde_json::from_str(text.trim()).unwrap_or_else(|_| {
                usage(&format!(
                    "the forked child gave no answer (wait status {status})"
                ))
            })
        }
    }
}

// ---- the async face -------------------------------------------------------------------------

#[derive(Clone)]
struct Async {
    rt: Arc<Runtime>,
    client: Option<Client>,
    session: Option<Session>,
}

impl Async {
    fn new(rt: Arc<Runtime>) -> Self {
        Async {
            rt,
            client: None,
            session: None,
        }
    }

    async fn one_async(self, req: Value) -> Value {
        let op = req["op"].as_str().unwrap_or_default();
        let Some(client) = &self.client else {
            return usage("no client yet");
        };
        match (op, &self.session) {
            ("authenticate", _) => answer(
                client
                    .authenticate(&credentials(&req))
                    .await
                    .map(|a| auth_json(&a)),
            ),
            ("close", _) => ok(Value::Null).after(|| client.close()),
            ("access_token", Some(s)) => answer(s.access_token().await),
            ("call", Some(s)) => {
                let (path, uuid) = (
                    req["path"].as_str().unwrap_or_default(),
                    req["uuid"].as_str(),
                );
                answer(s.call_with_uuid(path, &req["body"], uuid).await)
            }
            ("call_raw", Some(s)) => {
                let (path, text) = (
                    req["path"].as_str().unwrap_or_default(),
                    req["text"].as_str().unwrap_or_default(),
                );
                answer(s.call_raw(path, text).await)
            }
            ("invalidate", Some(s)) => ok(Value::Null).after(|| s.invalidate()),
            ("authorization_header", Some(s)) => answer(s.authorization_header().await),
            ("stats", Some(s)) => stats_json(&s.stats()),
            (SESSION_OPS!(), None) => usage("no session yet"),
            (other, _) => other_op(other),
        }
    }
}

impl Face for Async {
    const NAME: &'static str = "rust-async";

    fn client(&mut self, req: &Value) -> Result<(), Error> {
        self.session = None;
        self.client = Some(with_env(req, || configure(Client::builder(), req).build())?);
        Ok(())
    }

    fn session(&mut self, credentials: Credentials, store: Option<&str>) -> Value {
        let Some(client) = &self.client else {
            return usage("no client yet");
        };
        let builder = client.session_builder(credentials);
        let builder = match store {
            Some(url) => builder.store(url),
            None => builder,
        };
        match builder.build() {
            Ok(session) => ok(Value::Null).after(|| self.session = Some(session)),
            Err(e) => error(&e),
        }
    }

    fn one(&self, req: &Value) -> Value {
        self.rt.block_on(self.clone().one_async(req.clone()))
    }

    fn concurrent(&self, n: usize, step: &Value) -> Vec<Value> {
        self.rt.block_on(async {
            let tasks: Vec<_> = (0..n)
                .map(|_| tokio::spawn(self.clone().one_async(step.clone())))
                .collect();
            let mut answers = Vec::with_capacity(n);
            for task in tasks {
                answers.push(task.await.unwrap_or_else(|_| usage("the task panicked")));
            }
            answers
        })
    }

    fn for_child(&self) -> Self {
        // The parent's worker threads do not exist in the child: a fresh current-thread runtime.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
        let mut child = self.clone();
        child.rt = Arc::new(rt.expect("a runtime in the forked child"));
        child
    }
}

// ---- the blocking face ----------------------------------------------------------------------

#[derive(Clone, Default)]
struct Blocking {
    client: Option<blocking::Client>,
    session: Option<blocking::Session>,
}

impl Face for Blocking {
    const NAME: &'static str = "rust-blocking";

    fn client(&mut self, req: &Value) -> Result<(), Error> {
        self.session = None;
        self.client = Some(with_env(req, || {
            configure(blocking::Client::builder(), req).build()
        })?);
        Ok(())
    }

    fn session(&mut self, credentials: Credentials, store: Option<&str>) -> Value {
        let Some(client) = &self.client else {
            return usage("no client yet");
        };
        let builder = client.session_builder(credentials);
        let builder = match store {
            Some(url) => builder.store(url),
            None => builder,
        };
        match builder.build() {
            Ok(session) => ok(Value::Null).after(|| self.session = Some(session)),
            Err(e) => error(&e),
        }
    }

    fn one(&self, req: &Value) -> Value {
        let op = req["op"].as_str().unwrap_or_default();
        let Some(client) = &self.client else {
            return usage("no client yet");
        };
        match (op, &self.session) {
            ("authenticate", _) => answer(
                client
                    .authenticate(&credentials(req))
                    .map(|a| auth_json(&a)),
            ),
            ("close", _) => ok(Value::Null).after(|| client.close()),
            ("access_token", Some(s)) => answer(s.access_token()),
            ("call", Some(s)) => {
                let (path, uuid) = (
                    req["path"].as_str().unwrap_or_default(),
                    req["uuid"].as_str(),
                );
                answer(s.call_with_uuid(path, &req["body"], uuid))
            }
            ("call_raw", Some(s)) => {
                let (path, text) = (
                    req["path"].as_str().unwrap_or_default(),
                    req["text"].as_str().unwrap_or_default(),
                );
                answer(s.call_raw(path, text))
            }
            ("invalidate", Some(s)) => ok(Value::Null).after(|| s.invalidate()),
            ("authorization_header", Some(s)) => answer(s.authorization_header()),
            ("stats", Some(s)) => stats_json(&s.stats()),
            (SESSION_OPS!(), None) => usage("no session yet"),
            (other, _) => other_op(other),
        }
    }

    fn concurrent(&self, n: usize, step: &Value) -> Vec<Value> {
        // Threads released together by a barrier, so the n calls really overlap.
        let barrier = Arc::new(Barrier::new(n));
        std::thread::scope(|scope| {
            let threads: Vec<_> = (0..n)
                .map(|_| {
                    let barrier = Arc::clone(&barrier);
                    scope.spawn(move || {
                        barrier.wait();
                        self.one(step)
                    })
                })
                .collect();
            let joined = threads.into_iter().map(|t| t.join());
            joined
                .map(|r| r.unwrap_or_else(|_| usage("the thread panicked")))
                .collect()
        })
    }

    fn for_child(&self) -> Self {
        // The blocking runtime is rebuilt by the core in a child: the same objects work.
        self.clone()
    }
}

/// `answer.after(f)`: runs `f` for its effect, then gives the answer.
trait After: Sized {
    fn after(self, f: impl FnOnce()) -> Self {
        f();
        self
    }
}

impl After for Value {}

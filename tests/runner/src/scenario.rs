//! Loading and validating `tests/conformance/*.json`: every file is an array of scenarios
//! (see the README). A mistake is reported with the file and the scenario it is in.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Map, Value};
use xpay_mock::{Reply, ResetConfig, DEFAULT_ACCOUNT};

use crate::matching;

/// The default deadline of `poll_access_token` and `wait_mock`.
pub const DEFAULT_DEADLINE_MS: u64 = 10_000;

/// One scenario, validated.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The file it came from (its name only).
    pub file: String,
    /// Its unique name.
    pub name: String,
    /// What it shows.
    pub about: String,
    /// Capabilities the face must have.
    pub needs: Vec<String>,
    /// The mock's settings for it.
    pub mock: ResetConfig,
    /// The client it starts with.
    pub client: ClientOptions,
    /// The account of its session.
    pub session: Account,
    /// Its steps, in order.
    pub steps: Vec<Step>,
    /// `mock_tls`: the scenario's mock is the face's HTTPS mock (requiring a client
    /// certificate with `{"client_cert": true}`).
    pub mock_tls: Option<crate::net::TlsMock>,
}

/// A scenario's (or a `client` step's) client options.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientOptions {
    /// `mock`, `refused`, `silent` or a literal URL.
    #[serde(default = "mock_url")]
    pub base_url: String,
    /// The request timeout.
    #[serde(default = "default_timeout")]
    pub timeout_ms: u64,
    /// The connect timeout (the face's default when absent).
    #[serde(default)]
    pub connect_timeout_ms: Option<u64>,
    /// Retries allowed.
    #[serde(default = "default_retries")]
    pub max_retries: u64,
    /// Extra CA certificates, PEM text (networks placeholders allowed, e.g. `$ca_pem`).
    #[serde(default)]
    pub ca_bundle_pem: Option<String>,
    /// Extra CA certificates, a PEM file's path (e.g. `$ca_file`).
    #[serde(default)]
    pub ca_bundle_file: Option<String>,
    /// `system+bundled`, `system`, `bundled` or `none`.
    #[serde(default)]
    pub tls_roots: Option<String>,
    /// The client certificate, PEM text (e.g. `$client_cert`).
    #[serde(default)]
    pub client_cert_pem: Option<String>,
    /// Its key, PEM text (e.g. `$client_key`).
    #[serde(default)]
    pub client_key_pem: Option<String>,
    /// A proxy URL (e.g. `$proxy`, `$socks_proxy`).
    #[serde(default)]
    pub proxy: Option<String>,
    /// Environment variables the testee sets while it builds the client (and removes after).
    #[serde(default)]
    pub env: Option<BTreeMap<String, String>>,
}

fn mock_url() -> String {
    "mock".into()
}

fn default_timeout() -> u64 {
    5000
}

fn default_retries() -> u64 {
    2
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            base_url: mock_url(),
            timeout_ms: default_timeout(),
            connect_timeout_ms: None,
            max_retries: default_retries(),
            ca_bundle_pem: None,
            ca_bundle_file: None,
            tls_roots: None,
            client_cert_pem: None,
            client_key_pem: None,
            proxy: None,
            env: None,
        }
    }
}

/// Credentials of a session.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// The username (an e-mail).
    pub username: String,
    /// The secret key.
    pub secret_key: String,
    /// The session's token store URL (`$tmp` is the scenario's own temporary directory);
    /// absent: the face's default (`memory:`).
    #[serde(default)]
    pub store: Option<String>,
}

impl Default for Account {
    fn default() -> Self {
        Account {
            username: DEFAULT_ACCOUNT.0.into(),
            secret_key: DEFAULT_ACCOUNT.1.into(),
            store: None,
        }
    }
}

/// One step: an action and what to check after it.
#[derive(Debug, Clone)]
pub struct Step {
    /// What to do.
    pub action: Action,
    /// The expected outcome.
    pub expect: Option<Expect>,
    /// Keep the result's `access_token` under this name.
    pub save: Option<String>,
    /// Request counts per path since the scenario began: a number or a pattern.
    pub requests: BTreeMap<String, Value>,
    /// A pattern for the last request the mock recorded.
    pub last_request: Option<Value>,
    /// A path and a pattern for the array of recorded requests on it.
    pub all_requests: Option<(String, Value)>,
    /// A pattern for the face's proxy figures (`{"tunnels", "auth_refused", "targets"}`).
    pub proxy: Option<Value>,
}

/// `expect`: success matching a pattern, or failure matching one.
#[derive(Debug, Clone)]
pub enum Expect {
    /// `{"ok": M}`.
    Ok(Value),
    /// `{"error": M}`.
    Error(Value),
}

/// What a step does.
#[derive(Debug, Clone)]
pub enum Action {
    /// One op sent to the testee.
    Testee(Op),
    /// `repeat`: n copies of an op, one after another.
    Repeat {
        /// How many.
        n: u64,
        /// The op.
        op: Op,
    },
    /// `poll_access_token`.
    Poll {
        /// When to stop.
        until: Until,
        /// Give up after this long.
        deadline_ms: u64,
    },
    /// `poll_stats`: the `stats` op until its result matches.
    PollStats {
        /// The pattern the stats must match.
        until: Value,
        /// Give up after this long.
        deadline_ms: u64,
    },
    /// `queue`: replies for a path.
    Queue {
        /// The path.
        path: String,
        /// Its next replies.
        replies: Vec<Reply>,
    },
    /// `revoke`: the mock forgets its tokens.
    Revoke,
    /// `mock_config`: settings changed mid-scenario.
    MockConfig(ResetConfig),
    /// `mock_restart`: the mock stops and listens again on the same port.
    MockRestart,
    /// `store_files`: the files of a store directory (`$tmp/...`) match a pattern.
    StoreFiles {
        /// The directory.
        dir: String,
        /// The pattern for `{"dir_mode", "files": [{"name", "mode", "text"}]}`.
        matches: Value,
    },
    /// `corrupt_store`: every record (`*.token`) in a store directory is overwritten.
    CorruptStore {
        /// The directory.
        dir: String,
        /// What each record becomes.
        text: String,
    },
    /// `redis_keys`: every key of the face's redis-server (`$redis`) with its value, as
    /// `{"keys": [{"name", "value"}]}`, matches a pattern.
    RedisKeys(Value),
    /// `redis_stop`: the face's redis-server stops (refuses connections).
    RedisStop,
    /// `redis_start`: it starts again, empty, on the same port.
    RedisStart,
    /// `redis_corrupt`: every record in it is overwritten with `text`.
    RedisCorrupt(String),
    /// `wait_mock`: poll the mock's connection figures until they match.
    WaitMock {
        /// The pattern for `{open, accepted, idle_closed}`.
        connections: Value,
        /// Give up after this long.
        deadline_ms: u64,
    },
}

/// When `poll_access_token` stops.
#[derive(Debug, Clone)]
pub enum Until {
    /// The mock counted at least this many requests on each path.
    Requests(BTreeMap<String, u64>),
    /// The token differs from the one saved under this name.
    Changed(String),
}

/// A testee op, as a scenario writes it.
#[derive(Debug, Clone)]
pub enum Op {
    /// `authenticate`; absent fields default to the session's account and `is_api: true`.
    Authenticate {
        /// The username, if not the session's.
        username: Option<String>,
        /// The secret key, if not the session's.
        secret_key: Option<String>,
        /// `isAPI`.
        is_api: bool,
    },
    /// `access_token`.
    AccessToken,
    /// `call`.
    Call {
        /// The path.
        path: String,
        /// The JSON body.
        body: Value,
        /// The caller's own request uuid.
        uuid: Option<String>,
    },
    /// `call_raw`.
    CallRaw {
        /// The path.
        path: String,
        /// The exact JSON text of the body.
        text: String,
    },
    /// `invalidate`.
    Invalidate,
    /// `authorization_header`.
    AuthorizationHeader,
    /// `stats`.
    Stats,
    /// `close`.
    Close,
    /// `client`: a new client (and session).
    Client(ClientOptions),
    /// `session`: a new session on the client.
    Session(Account),
    /// `concurrent`: n copies at once.
    Concurrent {
        /// How many.
        n: u64,
        /// The op.
        step: Box<Op>,
    },
    /// `fork`: the op in a forked child.
    Fork(Box<Op>),
    /// `worker`: the op in a worker thread with its own client and session.
    Worker {
        /// The op.
        step: Box<Op>,
        /// Terminate the worker after this long.
        terminate_after_ms: Option<u64>,
    },
}

/// The scenario files of `dir` (`*.json`, sorted by name).
pub fn files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    Ok(files)
}

/// Every scenario of `dir`, or every mistake found (one line each, naming file and scenario).
pub fn load_dir(dir: &Path) -> Result<Vec<Scenario>, Vec<String>> {
    let mut scenarios = Vec::new();
    let mut errors = Vec::new();
    for file in files(dir).map_err(|e| vec![e])? {
        let name = file.file_name().map_or_else(
            || file.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        match std::fs::read_to_string(&file) {
            Ok(text) => match load_text(&name, &text) {
                Ok(mut more) => scenarios.append(&mut more),
                Err(mut more) => errors.append(&mut more),
            },
            Err(e) => errors.push(format!("{name}: {e}")),
        }
    }
    let mut seen = HashSet::new();
    for s in &scenarios {
        if !seen.insert(s.name.as_str()) {
            errors.push(format!(
                "{}: scenario {}: the name is used twice",
                s.file, s.name
            ));
        }
    }
    if scenarios.is_empty() && errors.is_empty() {
        errors.push(format!("{}: no scenarios", dir.display()));
    }
    if errors.is_empty() {
        Ok(scenarios)
    } else {
        Err(errors)
    }
}

/// The scenarios of one file's text.
pub fn load_text(file: &str, text: &str) -> Result<Vec<Scenario>, Vec<String>> {
    let items = match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => items,
        Ok(_) => return Err(vec![format!("{file}: expected an array of scenarios")]),
        Err(e) => return Err(vec![format!("{file}: not JSON: {e}")]),
    };
    let mut scenarios = Vec::new();
    let mut errors = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let label = item["name"]
            .as_str()
            .map_or_else(|| format!("#{}", i + 1), str::to_owned);
        match parse_scenario(file, item) {
            Ok(s) => scenarios.push(s),
            Err(e) => errors.push(format!("{file}: scenario {label}: {e}")),
        }
    }
    if errors.is_empty() {
        Ok(scenarios)
    } else {
        Err(errors)
    }
}

fn parse_scenario(file: &str, v: &Value) -> Result<Scenario, String> {
    let obj = v.as_object().ok_or("not an object")?;
    known_keys(
        obj,
        &[
            "name", "about", "needs", "mock", "client", "session", "steps", "mock_tls",
        ],
    )?;
    let name = obj
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or("no name")?;
    let steps = obj
        .get("steps")
        .and_then(Value::as_array)
        .filter(|s| !s.is_empty())
        .ok_or("no steps")?;
    let steps = steps
        .iter()
        .enumerate()
        .map(|(i, s)| parse_step(s).map_err(|e| format!("step {}: {e}", i + 1)))
        .collect::<Result<_, _>>()?;
    Ok(Scenario {
        file: file.to_owned(),
        name: name.to_owned(),
        about: obj
            .get("about")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        needs: field(obj, "needs")?.unwrap_or_default(),
        mock: field(obj, "mock")?.unwrap_or_default(),
        client: field(obj, "client")?.unwrap_or_default(),
        session: field(obj, "session")?.unwrap_or_default(),
        steps,
        mock_tls: match obj.get("mock_tls") {
            None => None,
            Some(Value::Object(o)) => {
                known_keys(o, &["client_cert"])?;
                Some(match o.get("client_cert").and_then(Value::as_bool) {
                    Some(true) => crate::net::TlsMock::ClientCert,
                    _ => crate::net::TlsMock::Server,
                })
            }
            Some(_) => return Err("mock_tls: an object".into()),
        },
    })
}

const CHECKS: &[&str] = &[
    "expect",
    "save",
    "requests",
    "last_request",
    "all_requests",
    "proxy",
];

fn parse_step(v: &Value) -> Result<Step, String> {
    let obj = v.as_object().ok_or("a step is an object")?;
    let actions: Vec<_> = obj
        .keys()
        .filter(|k| !CHECKS.contains(&k.as_str()))
        .collect();
    let [action] = actions.as_slice() else {
        return Err(format!("needs exactly one action key, has {actions:?}"));
    };
    let args = &obj[action.as_str()];
    let action = parse_action(action, args).map_err(|e| format!("{action}: {e}"))?;
    let expect = match obj.get("expect") {
        None => None,
        Some(e) => Some(parse_expect(e).map_err(|e| format!("expect: {e}"))?),
    };
    let requests: BTreeMap<String, Value> = field(obj, "requests")?.unwrap_or_default();
    for m in requests.values() {
        matching::validate(m).map_err(|e| format!("requests: {e}"))?;
    }
    let last_request: Option<Value> = field(obj, "last_request")?;
    if let Some(m) = &last_request {
        matching::validate(m).map_err(|e| format!("last_request: {e}"))?;
    }
    let all_requests = match obj.get("all_requests") {
        None => None,
        Some(a) => {
            let path = a["path"].as_str().ok_or("all_requests needs a path")?;
            let m = a.get("match").ok_or("all_requests needs a match")?;
            matching::validate(m).map_err(|e| format!("all_requests: {e}"))?;
            Some((path.to_owned(), m.clone()))
        }
    };
    let proxy: Option<Value> = field(obj, "proxy")?;
    if let Some(m) = &proxy {
        matching::validate(m).map_err(|e| format!("proxy: {e}"))?;
    }
    Ok(Step {
        action,
        expect,
        save: field(obj, "save")?,
        requests,
        last_request,
        all_requests,
        proxy,
    })
}

fn parse_expect(v: &Value) -> Result<Expect, String> {
    let obj = v.as_object().ok_or("an object")?;
    known_keys(obj, &["ok", "error"])?;
    let expect = match (obj.get("ok"), obj.get("error")) {
        (Some(m), None) => Expect::Ok(m.clone()),
        (None, Some(m)) => Expect::Error(m.clone()),
        _ => return Err("needs exactly one of ok, error".into()),
    };
    let (Expect::Ok(m) | Expect::Error(m)) = &expect;
    matching::validate(m)?;
    Ok(expect)
}

fn parse_action(name: &str, args: &Value) -> Result<Action, String> {
    let obj = args.as_object().ok_or("its arguments are an object")?;
    Ok(match name {
        "repeat" => {
            known_keys(obj, &["n", "step"])?;
            Action::Repeat {
                n: field(obj, "n")?.ok_or("needs n")?,
                op: nested_op(obj)?,
            }
        }
        "poll_access_token" => {
            known_keys(obj, &["until_requests", "until_changed", "deadline_ms"])?;
            let until = match (field(obj, "until_requests")?, field(obj, "until_changed")?) {
                (Some(counts), None) => Until::Requests(counts),
                (None, Some(name)) => Until::Changed(name),
                _ => return Err("needs one of until_requests, until_changed".into()),
            };
            Action::Poll {
                until,
                deadline_ms: field(obj, "deadline_ms")?.unwrap_or(DEFAULT_DEADLINE_MS),
            }
        }
        "poll_stats" => {
            known_keys(obj, &["until", "deadline_ms"])?;
            let until = obj.get("until").ok_or("needs until")?.clone();
            matching::validate(&until).map_err(|e| format!("until: {e}"))?;
            Action::PollStats {
                until,
                deadline_ms: field(obj, "deadline_ms")?.unwrap_or(DEFAULT_DEADLINE_MS),
            }
        }
        "queue" => {
            known_keys(obj, &["path", "replies"])?;
            let replies: Vec<Reply> = field(obj, "replies")?.ok_or("needs replies")?;
            for (i, r) in replies.iter().enumerate() {
                r.validate().map_err(|e| format!("reply {}: {e}", i + 1))?;
            }
            Action::Queue {
                path: field(obj, "path")?.ok_or("needs a path")?,
                replies,
            }
        }
        "revoke" => {
            known_keys(obj, &[])?;
            Action::Revoke
        }
        "mock_config" => Action::MockConfig(from(args)?),
        "mock_restart" => {
            known_keys(obj, &[])?;
            Action::MockRestart
        }
        "store_files" => {
            known_keys(obj, &["dir", "match"])?;
            let matches = obj.get("match").ok_or("needs match")?.clone();
            matching::validate(&matches)?;
            Action::StoreFiles {
                dir: field(obj, "dir")?.ok_or("needs dir")?,
                matches,
            }
        }
        "corrupt_store" => {
            known_keys(obj, &["dir", "text"])?;
            Action::CorruptStore {
                dir: field(obj, "dir")?.ok_or("needs dir")?,
                text: field(obj, "text")?.unwrap_or_else(|| "not a record".into()),
            }
        }
        "redis_keys" => {
            known_keys(obj, &["match"])?;
            let matches = obj.get("match").ok_or("needs match")?.clone();
            matching::validate(&matches)?;
            Action::RedisKeys(matches)
        }
        "redis_stop" => {
            known_keys(obj, &[])?;
            Action::RedisStop
        }
        "redis_start" => {
            known_keys(obj, &[])?;
            Action::RedisStart
        }
        "redis_corrupt" => {
            known_keys(obj, &["text"])?;
            Action::RedisCorrupt(field(obj, "text")?.unwrap_or_else(|| "not a record".into()))
        }
        "wait_mock" => {
            known_keys(obj, &["connections", "deadline_ms"])?;
            let connections = obj.get("connections").ok_or("needs connections")?.clone();
            matching::validate(&connections)?;
            Action::WaitMock {
                connections,
                deadline_ms: field(obj, "deadline_ms")?.unwrap_or(DEFAULT_DEADLINE_MS),
            }
        }
        _ => Action::Testee(parse_op(name, obj)?),
    })
}

/// A testee op: `name` with its arguments.
fn parse_op(name: &str, obj: &Map<String, Value>) -> Result<Op, String> {
    Ok(match name {
        "authenticate" => {
            known_keys(obj, &["username", "secret_key", "is_api"])?;
            Op::Authenticate {
                username: field(obj, "username")?,
                secret_key: field(obj, "secret_key")?,
                is_api: field(obj, "is_api")?.unwrap_or(true),
            }
        }
        "access_token" => {
            known_keys(obj, &[])?;
            Op::AccessToken
        }
        "call" => {
            known_keys(obj, &["path", "body", "uuid"])?;
            Op::Call {
                path: field(obj, "path")?.ok_or("needs a path")?,
                body: obj.get("body").cloned().ok_or("needs a body")?,
                uuid: field(obj, "uuid")?,
            }
        }
        "call_raw" => {
            known_keys(obj, &["path", "text"])?;
            Op::CallRaw {
                path: field(obj, "path")?.ok_or("needs a path")?,
                text: field(obj, "text")?.ok_or("needs text")?,
            }
        }
        "invalidate" => {
            known_keys(obj, &[])?;
            Op::Invalidate
        }
        "close" => {
            known_keys(obj, &[])?;
            Op::Close
        }
        "authorization_header" => {
            known_keys(obj, &[])?;
            Op::AuthorizationHeader
        }
        "stats" => {
            known_keys(obj, &[])?;
            Op::Stats
        }
        "client" => Op::Client(from(&Value::Object(obj.clone()))?),
        "session" => Op::Session(from(&Value::Object(obj.clone()))?),
        "concurrent" => {
            known_keys(obj, &["n", "step"])?;
            Op::Concurrent {
                n: field(obj, "n")?.ok_or("needs n")?,
                step: Box::new(nested_op(obj)?),
            }
        }
        "fork" => {
            known_keys(obj, &["step"])?;
            Op::Fork(Box::new(nested_op(obj)?))
        }
        "worker" => {
            known_keys(obj, &["step", "terminate_after_ms"])?;
            Op::Worker {
                step: Box::new(nested_op(obj)?),
                terminate_after_ms: field(obj, "terminate_after_ms")?,
            }
        }
        other => return Err(format!("unknown action {other:?}")),
    })
}

/// The `step` of `concurrent`, `repeat`, `fork` and `worker`: `{action: args}`.
fn nested_op(obj: &Map<String, Value>) -> Result<Op, String> {
    let step = obj
        .get("step")
        .and_then(Value::as_object)
        .filter(|s| s.len() == 1)
        .ok_or("needs a step with one action")?;
    let (name, args) = step.iter().next().ok_or("an empty step")?;
    let args = args
        .as_object()
        .ok_or("the step's arguments are an object")?;
    parse_op(name, args).map_err(|e| format!("step {name}: {e}"))
}

fn known_keys(obj: &Map<String, Value>, known: &[&str]) -> Result<(), String> {
    match obj.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(format!("unknown key {k:?} (known: {known:?})")),
        None => Ok(()),
    }
}

/// An optional field, deserialised.
fn field<T: for<'de> Deserialize<'de>>(
    obj: &Map<String, Value>,
    key: &str,
) -> Result<Option<T>, String> {
    obj.get(key)
        .map(|v| serde_json::from_value(v.clone()).map_err(|e| format!("{key}: {e}")))
        .transpose()
}

fn from<T: for<'de> Deserialize<'de>>(v: &Value) -> Result<T, String> {
    serde_json::from_value(v.clone()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Result<Scenario, String> {
        load_text("t.json", text)
            .map(|mut s| s.remove(0))
            .map_err(|e| e.join("\n"))
    }

    #[test]
    fn a_full_scenario_loads_with_defaults() {
        let s = one(r#"[{"name": "x", "steps": [
            {"access_token": {}, "save": "t1", "expect": {"ok": {"access_token": {"$prefix": "eyJ"}}}},
            {"concurrent": {"n": 3, "step": {"call": {"path": "/p", "body": 1}}}},
            {"fork": {"step": {"access_token": {}}}},
            {"queue": {"path": "/p", "replies": [{"status": 503}]}, "requests": {"/p": 0}}
        ]}]"#)
        .unwrap();
        assert_eq!(s.client, ClientOptions::default());
        assert_eq!(s.session, Account::default());
        assert_eq!(s.steps.len(), 4);
        assert!(matches!(
            s.steps[1].action,
            Action::Testee(Op::Concurrent { n: 3, .. })
        ));
    }

    #[test]
    fn mistakes_name_the_file_scenario_and_step() {
        let err = one(r#"[{"name": "x", "steps": [{"access_token": {}}, {"acces_token": {}}]}]"#)
            .unwrap_err();
        assert!(err.contains("t.json: scenario x: step 2"), "{err}");
        for bad in [
            r#"[{"name": "x", "steps": [{"access_token": {}, "call": {}}]}]"#,
            r#"[{"name": "x", "steps": [{"access_token": {}, "expect": {"ok": 1, "error": 2}}]}]"#,
            r#"[{"name": "x", "steps": [{"access_token": {}, "expect": {"ok": {"$nope": 1}}}]}]"#,
            r#"[{"name": "x", "steps": [{"queue": {"path": "/p", "replies": [{"stat": 1}]}}]}]"#,
            r#"[{"name": "x", "client": {"timeout": 1}, "steps": [{"access_token": {}}]}]"#,
            r#"[{"name": "x", "mock": {"ttl": 1}, "steps": [{"access_token": {}}]}]"#,
            r#"[{"name": "x", "steps": []}]"#,
            r#"[{"steps": [{"access_token": {}}]}]"#,
            r#"{"name": "x"}"#,
        ] {
            assert!(one(bad).is_err(), "{bad} loaded");
        }
    }

    #[test]
    fn the_shipped_scenarios_load() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../conformance");
        let scenarios = load_dir(&dir).map_err(|e| e.join("\n")).unwrap();
        assert!(scenarios.len() >= 50);
    }
}

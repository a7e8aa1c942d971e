//! `xpay-soak` (`make soak`): per face, many logins with the testee's resident memory watched,
//! then many calls with a fixed number in flight, the mock's request counts checked exactly.
//!
//! It drives the same testees as `xpay-conformance`, through the runner's own [`Testee`] and one
//! in-process [`MockServer`] per face. Faces run one after another, so that neither their
//! memory nor their speed is measured while another face competes for the machine.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Instant;

use serde_json::{json, Value};
use xpay_conformance::cli::{self, Flags};
use xpay_conformance::face::FaceSpec;
use xpay_conformance::testee::{Answer, Testee};
use xpay_mock::{MockConfig, MockServer, DEFAULT_ACCOUNT, ECHO_PATH, LOGIN_PATH};

const USAGE: &str = "\
usage: xpay-soak [--logins N] [--calls N] [--in-flight N] --face NAME=COMMAND...

For each face in turn (faces whose name contains `valgrind` or `asan` are skipped: they
measure their tools): N logins (`authenticate`, one after another) with the testee's VmRSS
read after 1,000 and after N, then N calls of /client/echo sent as `concurrent` ops of
--in-flight calls each, the mock's request counts compared exactly. Prints one table.

  --face NAME=COMMAND  a face and its testee's command line (split on whitespace); repeatable
  --logins N           logins per face (default 100000; at least 1000)
  --calls N            calls per face (default 10000)
  --in-flight N        calls at once (default 64)

Exits 1 when a face's memory grew by 5 MB (5,000,000 bytes) or more between the 1,000th
login and the last, or any login or call failed, or the mock's counts differ, or a testee
did not exit cleanly; 2 on a usage error.";

/// Memory read after this many logins: the baseline of the growth.
const WARM_LOGINS: u64 = 1_000;
/// Growth from the baseline to the last login that fails the soak.
const MAX_GROWTH_BYTES: i64 = 5_000_000;

struct Args {
    faces: Vec<FaceSpec>,
    logins: u64,
    calls: u64,
    in_flight: u64,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut args = Args {
        faces: Vec::new(),
        logins: 100_000,
        calls: 10_000,
        in_flight: 64,
    };
    let mut flags = Flags::from_env();
    while let Some(flag) = flags.next_flag() {
        match flag.as_str() {
            "--face" => args.faces.push(FaceSpec::parse(&flags.value(&flag)?)?),
            "--logins" => args.logins = flags.number(&flag)?,
            "--calls" => args.calls = flags.number(&flag)?,
            "--in-flight" => args.in_flight = flags.number(&flag)?,
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if args.faces.is_empty() {
        return Err("no --face given".into());
    }
    if args.logins < WARM_LOGINS {
        return Err(format!("--logins must be at least {WARM_LOGINS}"));
    }
    if args.in_flight == 0 {
        return Err("--in-flight must be at least 1".into());
    }
    Ok(Some(args))
}

/// What one face did.
#[derive(Default)]
struct Row {
    face: String,
    /// VmRSS in kB after [`WARM_LOGINS`] logins and after the last.
    rss_warm: Option<u64>,
    rss_last: Option<u64>,
    logins_per_s: Option<f64>,
    calls_ok: u64,
    calls_failed: u64,
    /// Both phases' mock counts were exactly as expected.
    counts_match: Option<bool>,
    /// Everything that went wrong, one line each.
    problems: Vec<String>,
}

impl Row {
    fn growth_bytes(&self) -> Option<i64> {
        let (warm, last) = (self.rss_warm?, self.rss_last?);
        Some((last as i64 - warm as i64) * 1024)
    }
}

fn main() -> ExitCode {
    let args = match cli::args_or_exit("xpay-soak", USAGE, parse_args) {
        Ok(args) => args,
        Err(exit) => return exit,
    };
    let mut rows = Vec::new();
    for face in &args.faces {
        if face.name.contains("valgrind") || face.name.contains("asan") {
            println!(
                "{}: skipped (a soak measures the face, not its checking tool)",
                face.name
            );
            continue;
        }
        let started = Instant::now();
        let row = soak(face, &args);
        for p in &row.problems {
            println!("FAILED {}: {p}", row.face);
        }
        println!(
            "{}: done in {:.1} s",
            row.face,
            started.elapsed().as_secs_f64()
        );
        rows.push(row);
    }
    print!("\n{}", table(&rows, &args));
    if rows.is_empty() || rows.iter().any(|r| !r.problems.is_empty()) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// The whole soak of one face; every failure ends up in [`Row::problems`].
fn soak(spec: &FaceSpec, args: &Args) -> Row {
    let mut row = Row {
        face: spec.name.clone(),
        ..Row::default()
    };
    let mock = match MockServer::start(MockConfig::default()) {
        Ok(mock) => mock,
        Err(e) => {
            row.problems.push(format!("cannot start the mock: {e}"));
            return row;
        }
    };
    let mut testee = match Testee::spawn(&spec.name, &spec.command) {
        Ok(t) => t,
        Err(e) => {
            row.problems.push(format!("cannot start the testee: {e}"));
            return row;
        }
    };
    if let Err(e) = phases(&mut testee, &mock, args, &mut row) {
        row.problems.push(e);
    }
    let exit = testee.finish();
    if !exit.success() {
        let status = match &exit.status {
            Ok(status) => status.to_string(),
            Err(why) => why.clone(),
        };
        row.problems.push(format!(
            "the testee ended with {status}; its stderr ends with:\n{}",
            exit.stderr.trim_end()
        ));
    }
    if let Some(growth) = row.growth_bytes() {
        if growth >= MAX_GROWTH_BYTES {
            row.problems.push(format!(
                "resident memory grew by {} between login {WARM_LOGINS} and login {}",
                mb(growth),
                args.logins
            ));
        }
    }
    row
}

/// Setup, logins, calls. An `Err` is a failure that ends the face's soak (a testee that died
/// or broke the protocol is restarted by [`Testee::request`]: its memory says nothing then).
fn phases(
    testee: &mut Testee,
    mock: &MockServer,
    args: &Args,
    row: &mut Row,
) -> Result<(), String> {
    let pid = testee.pid();
    let send = |testee: &mut Testee, request: &Value| -> Result<Answer, String> {
        let answer = testee
            .request(request)
            .map_err(|e| format!("{}: {e}", request["op"]))?;
        if testee.pid() != pid {
            return Err("the testee was restarted".into());
        }
        Ok(answer)
    };
    let setup = |answer: Answer, what: &str| match answer {
        Answer::Ok(_) => Ok(()),
        other => Err(format!("{what}: {other:?}")),
    };
    setup(send(testee, &json!({"op": "hello"}))?, "hello")?;
    // No retries: a failed request must show as a failure, not hide in a retry.
    let client =
        json!({"op": "client", "base_url": mock.base_url(), "timeout_ms": 5000, "max_retries": 0});
    let session =
        json!({"op": "session", "username": DEFAULT_ACCOUNT.0, "secret_key": DEFAULT_ACCOUNT.1});
    setup(send(testee, &client)?, "client")?;
    setup(send(testee, &session)?, "session")?;

    // Logins, one after another.
    mock.reset(None);
    let login = json!({
        "op": "authenticate",
        "username": DEFAULT_ACCOUNT.0,
        "secret_key": DEFAULT_ACCOUNT.1,
        "is_api": true,
    });
    let mut failed = 0u64;
    let mut first_failure = None;
    let started = Instant::now();
    for i in 1..=args.logins {
        match send(testee, &login)? {
            Answer::Ok(v) if v["access_token"].is_string() => {}
            other => {
                failed += 1;
                first_failure.get_or_insert_with(|| format!("login {i}: {other:?}"));
            }
        }
        if i == WARM_LOGINS {
            row.rss_warm = Some(vm_rss_kb(pid)?);
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    row.rss_last = Some(vm_rss_kb(pid)?);
    row.logins_per_s = Some(args.logins as f64 / elapsed);
    if let Some(first) = first_failure {
        row.problems.push(format!(
            "{failed} of {} logins failed; the first: {first}",
            args.logins
        ));
    }
    let login_counts = counts_match(mock, &[(LOGIN_PATH, args.logins)], "logins", row);

    // Calls, `in_flight` at once, on a fresh session: it logs in once.
    mock.reset(None);
    setup(send(testee, &session)?, "session")?;
    let mut first_failure = None;
    let mut batch = 0u64;
    while row.calls_ok + row.calls_failed < args.calls {
        let n = args
            .in_flight
            .min(args.calls - row.calls_ok - row.calls_failed);
        let body = json!({"soak": batch});
        let request = json!({
            "op": "concurrent",
            "n": n,
            "step": {"op": "call", "path": ECHO_PATH, "body": body},
        });
        let answers = match send(testee, &request)? {
            Answer::Ok(Value::Array(answers)) if answers.len() as u64 == n => answers,
            other => {
                row.calls_failed += n;
                first_failure.get_or_insert_with(|| format!("batch {batch}: {other:?}"));
                batch += 1;
                continue;
            }
        };
        for a in &answers {
            match Answer::from_json(a) {
                Some(Answer::Ok(data)) if data == body => row.calls_ok += 1,
                _ => {
                    row.calls_failed += 1;
                    first_failure.get_or_insert_with(|| format!("batch {batch}: {a}"));
                }
            }
        }
        batch += 1;
    }
    if let Some(first) = first_failure {
        row.problems.push(format!(
            "{} of {} calls failed; the first: {first}",
            row.calls_failed, args.calls
        ));
    }
    let call_counts = counts_match(
        mock,
        &[(LOGIN_PATH, 1), (ECHO_PATH, args.calls)],
        "calls",
        row,
    );
    row.counts_match = Some(login_counts && call_counts);
    Ok(())
}

/// Whether the mock counted exactly `want` (and nothing else) since its last reset; a
/// mismatch is also recorded as a problem.
fn counts_match(mock: &MockServer, want: &[(&str, u64)], phase: &str, row: &mut Row) -> bool {
    let want: BTreeMap<String, u64> = want.iter().map(|(p, n)| ((*p).to_owned(), *n)).collect();
    let got = mock.request_counts();
    let same = got == want;
    if !same {
        row.problems.push(format!(
            "{phase}: the mock counted {got:?}, expected exactly {want:?}"
        ));
    }
    same
}

/// The resident memory of a process in kB, from `/proc/<pid>/status`.
fn vm_rss_kb(pid: u32) -> Result<u64, String> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| format!("{path}: no VmRSS line"))
}

fn mb(bytes: i64) -> String {
    format!("{:+.1} MB", bytes as f64 / 1e6)
}

fn table(rows: &[Row], args: &Args) -> String {
    let rss = |kb: Option<u64>| {
        kb.map_or("-".into(), |kb| {
            format!("{:.1} MB", kb as f64 * 1024.0 / 1e6)
        })
    };
    let header = [
        "face".to_owned(),
        "RSS@1k".to_owned(),
        format!("RSS@{}k", args.logins / 1000),
        "growth".to_owned(),
        "logins/s".to_owned(),
        "calls ok/failed".to_owned(),
        "mock counts".to_owned(),
        "result".to_owned(),
    ];
    let mut lines = vec![header.to_vec()];
    for r in rows {
        lines.push(vec![
            r.face.clone(),
            rss(r.rss_warm),
            rss(r.rss_last),
            r.growth_bytes().map_or("-".into(), mb),
            r.logins_per_s.map_or("-".into(), |n| format!("{n:.0}")),
            format!("{}/{}", r.calls_ok, r.calls_failed),
            match r.counts_match {
                Some(true) => "match".into(),
                Some(false) => "DIFFER".into(),
                None => "-".into(),
            },
            if r.problems.is_empty() { "ok" } else { "FAIL" }.into(),
        ]);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            lines
                .iter()
                .map(|l| l[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate() {
        let cells: Vec<String> = l
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (cell, w))| {
                if c == 0 {
                    format!("{cell:<w$}")
                } else {
                    format!("{cell:>w$}")
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
        if i == 0 {
            let total = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
            out.push_str(&"-".repeat(total));
            out.push('\n');
        }
    }
    out.push_str(&format!(
        "\n{} logins per face (memory growth from login {WARM_LOGINS}; must stay under {}); \
         {} calls, {} in flight.\n",
        args.logins,
        mb(MAX_GROWTH_BYTES).trim_start_matches('+'),
        args.calls,
        args.in_flight
    ));
    out
}

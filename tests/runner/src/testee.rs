//! A testee process: one face's small program speaking the JSON-lines protocol of
//! `tests/conformance/README.md` on its stdin and stdout.
//!
//! ```no_run
//! use xpay_conformance::testee::{Answer, Testee};
//!
//! let mut t = Testee::spawn("rust-async", &["target/debug/examples/testee".into()])?;
//! let hello = t.hello().map_err(|e| e.to_string())?;
//! println!("{} can {:?}; pid {}", hello.face, hello.can, t.pid());
//! match t.request(&serde_json::json!({"op": "access_token"})) {
//!     Ok(Answer::Ok(token)) => println!("token {token}"),
//!     Ok(other) => println!("no token: {other:?}"),
//!     Err(e) => println!("the testee failed: {e}"),
//! }
//! let exit = t.finish();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Every request has a deadline ([`Testee::op_deadline`]: 30 s, 120 s for a face whose name
//! contains `valgrind`). A testee that misses it, dies or writes something that is not an
//! answer is killed and started again, and the request fails with a [`TesteeError`] carrying
//! the end of its stderr.

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

/// How much of a testee's stderr is kept (the end of it) for failure messages.
pub const STDERR_KEPT: usize = 8 * 1024;

/// One answer line of a testee.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// `{"ok": value}`.
    Ok(Value),
    /// `{"error": {code, message, status, tag, uuid, data}}`.
    Error(Value),
    /// `{"unsupported": why}`: an op this face lacks.
    Unsupported(String),
}

impl Answer {
    /// Parses one answer object; `None` when it is none of the three forms.
    pub fn from_json(v: &Value) -> Option<Answer> {
        let obj = v.as_object()?;
        if obj.len() != 1 {
            return None;
        }
        if let Some(ok) = obj.get("ok") {
            return Some(Answer::Ok(ok.clone()));
        }
        if let Some(err) = obj.get("error").filter(|e| e.is_object()) {
            return Some(Answer::Error(err.clone()));
        }
        let why = obj.get("unsupported")?;
        Some(Answer::Unsupported(
            why.as_str().map_or_else(|| why.to_string(), str::to_owned),
        ))
    }
}

/// What `hello` told about the face.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    /// The face's own name for itself.
    pub face: String,
    /// The SDK version.
    pub version: String,
    /// Capabilities: `fork`, `worker`, ...
    pub can: Vec<String>,
}

/// A request that got no answer: the testee missed the deadline, died or broke the protocol.
#[derive(Debug, Clone)]
pub struct TesteeError {
    /// What went wrong.
    pub why: String,
    /// The end of the testee's stderr at that moment.
    pub stderr: String,
}

impl fmt::Display for TesteeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.why)?;
        let tail = self.stderr.trim_end();
        if !tail.is_empty() {
            write!(f, "; its stderr ends with:\n{tail}")?;
        }
        Ok(())
    }
}

impl std::error::Error for TesteeError {}

/// How the testee ended after [`Testee::finish`].
#[derive(Debug, Clone)]
pub struct Exit {
    /// `Ok(status)`, or why no status could be had (it was killed after the deadline).
    pub status: Result<ExitStatus, String>,
    /// The end of its stderr.
    pub stderr: String,
}

impl Exit {
    /// Exited with status 0.
    pub fn success(&self) -> bool {
        self.status.as_ref().is_ok_and(ExitStatus::success)
    }
}

/// The last [`STDERR_KEPT`] bytes a process wrote to stderr.
#[derive(Default)]
struct Tail(VecDeque<u8>);

impl Tail {
    fn push(&mut self, bytes: &[u8]) {
        self.0.extend(bytes);
        let excess = self.0.len().saturating_sub(STDERR_KEPT);
        self.0.drain(..excess);
    }

    fn text(&self) -> String {
        let (a, b) = self.0.as_slices();
        String::from_utf8_lossy(&[a, b].concat()).into_owned()
    }
}

/// One running testee process.
pub struct Testee {
    face: String,
    command: Vec<String>,
    deadline: Duration,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<io::Result<String>>,
    stderr: Arc<Mutex<Tail>>,
    stderr_reader: Option<thread::JoinHandle<()>>,
}

impl Testee {
    /// Starts `command` (program and arguments) for the face `face`.
    pub fn spawn(face: &str, command: &[String]) -> io::Result<Testee> {
        let (program, args) = command
            .split_first()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "an empty command"))?;
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("cannot start {program}: {e}")))?;
        let stdin = child.stdin.take();
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| io::Error::other("no stdout"))?;
        let mut stderr = child
            .stderr
            .take()
            .ok_or_else(|| io::Error::other("no stderr"))?;
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let end = line.is_err();
                if tx.send(line).is_err() || end {
                    break;
                }
            }
        });
        let tail = Arc::new(Mutex::new(Tail::default()));
        let sink = Arc::clone(&tail);
        let stderr_reader = thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = stderr.read(&mut buf) {
                sink.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(&buf[..n]);
            }
        });
        Ok(Testee {
            face: face.to_owned(),
            command: command.to_vec(),
            deadline: Self::op_deadline(face),
            child,
            stdin,
            lines,
            stderr: tail,
            stderr_reader: Some(stderr_reader),
        })
    }

    /// The deadline of one op for `face`: 30 s, or 120 s under valgrind.
    pub fn op_deadline(face: &str) -> Duration {
        Duration::from_secs(if face.contains("valgrind") { 120 } else { 30 })
    }

    /// The face's name, as given to [`Testee::spawn`].
    pub fn face(&self) -> &str {
        &self.face
    }

    /// The process id of the running testee (e.g. for `/proc/<pid>/status`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The end of the testee's stderr so far.
    pub fn stderr_tail(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .text()
    }

    /// Sends one request line and waits for its answer line. On a missed deadline, a dead
    /// testee or a line that is not an answer, the testee is restarted and an error returned.
    pub fn request(&mut self, request: &Value) -> Result<Answer, TesteeError> {
        self.exchange(request).map_err(|why| {
            // Stop it first and let its stderr drain, so the message has its last words.
            let _ = self.child.kill();
            let _ = self.child.wait();
            self.drain_stderr();
            let stderr = self.stderr_tail();
            let why = match self.restart() {
                Ok(()) => format!("{why} (testee restarted)"),
                Err(e) => format!("{why} (and it could not be restarted: {e})"),
            };
            TesteeError { why, stderr }
        })
    }

    /// `hello`: the face's name, version and capabilities.
    pub fn hello(&mut self) -> Result<Hello, TesteeError> {
        let answer = self.request(&serde_json::json!({"op": "hello"}))?;
        let bad = |why: String| TesteeError {
            why,
            stderr: self.stderr_tail(),
        };
        let Answer::Ok(v) = answer else {
            return Err(bad(format!("hello was answered with {answer:?}")));
        };
        let text = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
        let can = v["can"]
            .as_array()
            .map(|c| {
                c.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .ok_or_else(|| bad(format!("hello has no `can` list: {v}")))?;
        Ok(Hello {
            face: text("face"),
            version: text("version"),
            can,
        })
    }

    /// Closes stdin (end of input: the testee frees everything and exits) and waits for the
    /// exit status, killing the testee if it does not exit within the op deadline.
    pub fn finish(mut self) -> Exit {
        drop(self.stdin.take());
        let started = Instant::now();
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break Ok(status),
                Ok(None) if started.elapsed() < self.deadline => {
                    thread::sleep(Duration::from_millis(5));
                }
                Ok(None) => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break Err(format!(
                        "did not exit within {:?} of the end of its input; killed",
                        self.deadline
                    ));
                }
                Err(e) => break Err(format!("cannot wait for it: {e}")),
            }
        };
        self.drain_stderr();
        Exit {
            status,
            stderr: self.stderr_tail(),
        }
    }

    fn exchange(&mut self, request: &Value) -> Result<Answer, String> {
        let mut line = request.to_string();
        line.push('\n');
        let stdin = self.stdin.as_mut().ok_or("stdin is closed")?;
        stdin
            .write_all(line.as_bytes())
            .and_then(|()| stdin.flush())
            .map_err(|e| format!("cannot write the request: {e}"))?;
        let answer = match self.lines.recv_timeout(self.deadline) {
            Ok(Ok(answer)) => answer,
            Ok(Err(e)) => return Err(format!("cannot read its stdout: {e}")),
            Err(RecvTimeoutError::Timeout) => {
                return Err(format!("no answer within {:?}", self.deadline))
            }
            Err(RecvTimeoutError::Disconnected) => {
                let status = self.child.wait().map(|s| s.to_string());
                return Err(format!(
                    "it closed its stdout ({})",
                    status.unwrap_or_else(|e| e.to_string())
                ));
            }
        };
        serde_json::from_str::<Value>(&answer)
            .ok()
            .as_ref()
            .and_then(Answer::from_json)
            .ok_or_else(|| format!("not an answer line: {}", cut(&answer)))
    }

    /// Waits (at most a second: a process it forked may still hold the pipe) until everything
    /// the exited testee wrote to stderr has been read.
    fn drain_stderr(&mut self) {
        let Some(reader) = self.stderr_reader.take() else {
            return;
        };
        let deadline = Instant::now() + Duration::from_secs(1);
        while !reader.is_finished() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(1));
        }
        if reader.is_finished() {
            let _ = reader.join();
        }
    }

    /// Kills the process and starts the same command again.
    fn restart(&mut self) -> io::Result<()> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let fresh = Testee::spawn(&self.face, &self.command)?;
        // The old one's stderr is over; the message already has its tail.
        *self = fresh;
        Ok(())
    }
}

impl Drop for Testee {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn cut(s: &str) -> String {
    if s.chars().count() <= 300 {
        s.to_owned()
    } else {
        format!("{}...", s.chars().take(300).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers_parse() {
        assert_eq!(
            Answer::from_json(&json!({"ok": null})),
            Some(Answer::Ok(Value::Null))
        );
        assert_eq!(
            Answer::from_json(&json!({"error": {"code": "x"}})),
            Some(Answer::Error(json!({"code": "x"})))
        );
        assert_eq!(
            Answer::from_json(&json!({"unsupported": "no"})),
            Some(Answer::Unsupported("no".into()))
        );
        assert_eq!(Answer::from_json(&json!({"ok": 1, "extra": 2})), None);
        assert_eq!(Answer::from_json(&json!({"error": "x"})), None);
        assert_eq!(Answer::from_json(&json!([1])), None);
    }

    #[test]
    fn the_stderr_tail_is_bounded() {
        let mut tail = Tail::default();
        tail.push(&vec![b'a'; STDERR_KEPT]);
        tail.push(b"end");
        let text = tail.text();
        assert_eq!(text.len(), STDERR_KEPT);
        assert!(text.ends_with("aend"));
    }

    #[test]
    fn a_dead_testee_is_an_error_and_is_restarted() {
        let cmd = [
            "sh".to_owned(),
            "-c".to_owned(),
            "read x; echo oops >&2".to_owned(),
        ];
        let mut t = Testee::spawn("sh", &cmd).unwrap();
        let first = t.pid();
        let err = t.request(&json!({"op": "hello"})).unwrap_err();
        assert!(err.why.contains("closed its stdout"), "{err}");
        assert!(err.stderr.contains("oops"), "{err}");
        assert_ne!(t.pid(), first);
        assert!(t.finish().success());
    }

    #[test]
    fn an_echoing_testee_answers_in_order() {
        let cmd = [
            "sh".to_owned(),
            "-c".to_owned(),
            r#"while read x; do echo '{"ok": 1}'; done; exit 3"#.to_owned(),
        ];
        let mut t = Testee::spawn("sh", &cmd).unwrap();
        assert_eq!(
            t.request(&json!({"op": "a"})).unwrap(),
            Answer::Ok(json!(1))
        );
        assert_eq!(
            t.request(&json!({"op": "b"})).unwrap(),
            Answer::Ok(json!(1))
        );
        let exit = t.finish();
        assert!(!exit.success());
        assert_eq!(exit.status.unwrap().code(), Some(3));
    }
}

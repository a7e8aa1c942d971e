//! A blocking session made and used in a parent keeps working in a `fork()`ed child (gunicorn
//! `--preload`, Python `multiprocessing`): the child gets its own runtime and connection pool.

use xpay_auth::{blocking, Credentials};
use xpay_mock::{MockConfig, MockServer};

#[test]
fn blocking_session_works_in_a_forked_child() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let client = blocking::Client::builder()
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let session = client.session(Credentials::new("demo@xpay.test", "demo-secret"));
    // The parent has a runtime, a pooled keep-alive connection and a cached token.
    let parent_token = session.access_token().unwrap();
    assert_eq!(session.call("/client/echo", &1).unwrap(), 1);

    // SAFETY: the child only runs Rust code of this test and leaves with `_exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        // A child stuck on the parent's runtime or sockets dies by SIGALRM instead of hanging.
        unsafe { libc::alarm(20) };
        let ok = std::panic::catch_unwind(|| {
            let same_token = session.access_token().ok() == Some(parent_token.clone());
            let echoes = echo_many(&session, "child");
            session.invalidate();
            let relogin = session.access_token().is_ok();
            same_token && echoes && relogin
        });
        unsafe { libc::_exit(if matches!(ok, Ok(true)) { 0 } else { 1 }) };
    }
    // Meanwhile the parent keeps using its own pooled connection: had the child inherited it,
    // the two processes would read each other's replies.
    assert!(
        echo_many(&session, "parent"),
        "the parent's calls got foreign replies"
    );
    let mut status = 0;
    // SAFETY: waiting for our own child.
    let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(waited, pid);
    assert!(
        libc::WIFEXITED(status),
        "the child did not exit normally (status {status})"
    );
    assert_eq!(libc::WEXITSTATUS(status), 0, "the child's session failed");
    // The child logged in again after its invalidate; the parent's state is its own.
    assert_eq!(mock.request_count("/client/authenticate"), 2);
    assert_eq!(mock.request_count("/client/echo"), 601);
    assert_eq!(session.access_token().unwrap(), parent_token);
    assert_eq!(session.call("/client/echo", &2).unwrap(), 2);
}

/// Many calls whose replies must each echo their own payload.
fn echo_many(session: &blocking::Session, who: &str) -> bool {
    (0..300).all(|i| {
        let body = serde_json::json!({ "who": who, "i": i });
        session.call("/client/echo", &body).ok() == Some(body)
    })
}

#[test]
fn the_async_runtime_is_rebuilt_in_a_forked_child() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let client = xpay_auth::Client::builder()
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let session = client.session(Credentials::new("demo@xpay.test", "demo-secret"));
    let rt = xpay_auth::runtime::async_runtime().unwrap();
    let run = |s: xpay_auth::Session| {
        rt.block_on(
            async move { tokio::spawn(async move { s.call("/client/echo", &7).await }).await },
        )
    };
    assert_eq!(run(session.clone()).unwrap().unwrap(), 7);

    // SAFETY: the child only runs Rust code of this test and leaves with `_exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        // A child stuck on the parent's runtime or sockets dies by SIGALRM instead of hanging.
        unsafe { libc::alarm(20) };
        // The parent's worker threads do not exist here: a runtime that was not rebuilt would
        // never run the spawned task.
        let ok = std::panic::catch_unwind(|| {
            let rt = xpay_auth::runtime::async_runtime().unwrap();
            let s = session.clone();
            rt.block_on(async move {
                tokio::spawn(async move { s.call("/client/echo", &8).await }).await
            })
            .map(|r| r.ok() == Some(serde_json::json!(8)))
            .unwrap_or(false)
        });
        unsafe { libc::_exit(if matches!(ok, Ok(true)) { 0 } else { 1 }) };
    }
    let mut status = 0;
    // SAFETY: waiting for our own child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "status {status}"
    );
}

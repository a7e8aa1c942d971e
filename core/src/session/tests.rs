//! The session's driving of the cache: logins the SDK owns (they finish with nobody waiting,
//! outlive the caller's runtime, survive a panic), single flight and the back-off end to end.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use xpay_mock::{MockConfig, MockServer, Reply};

use super::*;

fn creds() -> Credentials {
    Credentials::new("demo@xpay.test", "demo-secret")
}

fn client(mock: &MockServer) -> Client {
    Client::builder()
        .base_url(mock.base_url())
        .max_retries(0)
        .build()
        .unwrap()
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Polls `done` until it holds or 10 s passed.
fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "not within 10 s: {what}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// A login reply that takes `ms` to arrive.
fn slow_login(mock: &MockServer, ms: u64) {
    let expires = crate::authentication::wall_clock_ms() + 3_600_000;
    let body = serde_json::json!({"success": {"message": "Authenticated", "data": {
        "expiresAt": expires, "user": {"username": "demo@xpay.test"},
        "access_token": "eyJ-slow-token"}}});
    mock.queue(
        "/client/authenticate",
        vec![Reply::json(body).with_delay_ms(ms)],
    );
}

#[test]
fn a_login_whose_waiters_all_gave_up_still_completes_and_is_stored() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let session = client(&mock).session(creds());
    slow_login(&mock, 1_000);
    let rt = current_thread();
    let gave_up = rt.block_on(async {
        let waiters = (0..4).map(|_| {
            let s = session.clone();
            async move { s.access_token().await }
        });
        tokio::time::timeout(
            Duration::from_millis(20),
            futures_util::future::join_all(waiters),
        )
        .await
    });
    // (Only a very slow machine would see the login finish first; the rest holds then too.)
    assert!(gave_up.is_err() || session.cached().is_some());
    drop(rt);
    eventually("the login stored its token", || session.cached().is_some());
    assert_eq!(session.cached().unwrap().access_token(), "eyJ-slow-token");
    assert_eq!(mock.request_count("/client/authenticate"), 1);
}

#[test]
fn a_session_outlives_the_runtimes_that_used_it() {
    // As a session kept in a static and used from two `#[tokio::test]`s: the first runtime
    // shuts down while its login is in flight.
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let session = client(&mock).session(creds());
    slow_login(&mock, 1_000);
    let first = current_thread();
    let r = first.block_on(async {
        tokio::time::timeout(Duration::from_millis(20), session.access_token()).await
    });
    // Normally still logging in when the runtime goes (the reply takes 1 s).
    drop(r);
    drop(first);
    let second = current_thread();
    let token = second.block_on(session.access_token()).unwrap();
    assert_eq!(token, "eyJ-slow-token", "the same login, finished");
    assert_eq!(mock.request_count("/client/authenticate"), 1);
    session.invalidate();
    assert_ne!(second.block_on(session.access_token()).unwrap(), token);
    drop(second);
    let third = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    session.invalidate();
    third.block_on(session.access_token()).unwrap();
    assert_eq!(mock.request_count("/client/authenticate"), 3);
}

/// A session whose login is `fake`, counting its calls; each login first waits for `gate`.
fn fake_session(
    background: Background,
    gate: Arc<tokio::sync::Semaphore>,
    fake: impl Fn(usize) -> Result<Authentication> + Send + Sync + 'static,
) -> (Session, Arc<AtomicUsize>) {
    let client = Client::builder()
        .base_url("http://127.0.0.1:9")
        .build()
        .unwrap();
    let session = Session::new(client, creds(), background);
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let fake = Arc::new(fake);
    *session.inner.fake_login.lock().unwrap() = Some(Arc::new(move || {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        let fake = fake.clone();
        let gate = gate.clone();
        async move {
            drop(gate.acquire().await);
            fake(n)
        }
        .boxed()
    }));
    (session, calls)
}

fn token(name: &str) -> Authentication {
    Authentication {
        access_token: name.to_owned(),
        expires_at: 0,
        user: crate::authentication::User {
            username: "demo@xpay.test".into(),
            scopes: vec![],
            is_api: true,
        },
        ticket: String::new(),
        uuid: String::new(),
        message: String::new(),
        received: Instant::now(),
        lifetime_ms: 3_600_000,
    }
}

#[test]
fn a_panicking_login_is_internal_for_its_waiters_and_the_session_works_on() {
    for background in [Background::Tokio, Background::Thread] {
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let (session, calls) = fake_session(background, gate.clone(), |n| {
            if n == 1 {
                panic!("a bug in the login (test)");
            }
            Ok(token("eyJ-after-the-panic"))
        });
        let rt = current_thread();
        // Eight callers join the one login before it runs.
        let waits: Vec<Login> = (0..8)
            .map(|_| match session.lookup().unwrap() {
                Lookup::Wait(login) => login,
                Lookup::Ready(_) => panic!("cold"),
            })
            .collect();
        gate.add_permits(1_000);
        let results = rt.block_on(futures_util::future::join_all(waits));
        assert!(
            results
                .iter()
                .all(|r| r.as_ref().unwrap_err().code() == "internal"),
            "{background:?}: {results:?}"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1, "{background:?}: one login");
        // No back-off after a panic: the next caller logs in again, and it works.
        assert_eq!(
            rt.block_on(session.access_token()).unwrap(),
            "eyJ-after-the-panic"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}

#[test]
fn single_flight_and_back_off_in_both_faces() {
    for background in [Background::Tokio, Background::Thread] {
        let open = Arc::new(tokio::sync::Semaphore::new(1_000));
        let (session, calls) = fake_session(background, open, |_| {
            Err(Error::new(ErrorKind::Authentication, "invalid credentials")
                .with_status(200)
                .with_tag(Some("t".into()))
                .with_uuid(Some("u".into())))
        });
        let rt = current_thread();
        for _ in 0..3 {
            let results = rt.block_on(futures_util::future::join_all(
                (0..16).map(|_| session.access_token()),
            ));
            for r in results {
                let e = r.unwrap_err();
                assert_eq!(
                    (e.code(), e.status(), e.tag(), e.uuid()),
                    ("authentication", Some(200), Some("t"), Some("u"))
                );
            }
        }
        session.invalidate();
        let e = rt.block_on(session.access_token()).unwrap_err();
        assert!(e.message().contains("no new login"), "{e}");
        assert_eq!(calls.load(Ordering::SeqCst), 1, "{background:?}");
    }
}

#[test]
fn client_authenticate_is_not_held_back_by_a_sessions_back_off() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let client = client(&mock);
    let wrong = Credentials::new("demo@xpay.test", "wrong");
    let session = client.session(wrong.clone());
    let rt = current_thread();
    rt.block_on(async {
        assert_eq!(
            session.access_token().await.unwrap_err().code(),
            "authentication"
        );
        assert_eq!(
            session.access_token().await.unwrap_err().code(),
            "authentication"
        );
        assert_eq!(mock.request_count("/client/authenticate"), 1, "backing off");
        for n in 2..5 {
            assert!(client.authenticate(&wrong).await.is_err());
            assert_eq!(mock.request_count("/client/authenticate"), n);
        }
        // The blocking face's session backs off too, the blocking client does not.
    });
    let blocking = crate::blocking::Client::builder()
        .base_url(mock.base_url())
        .max_retries(0)
        .build()
        .unwrap();
    let session = blocking.session(wrong.clone());
    assert!(session.access_token().is_err());
    assert!(session.access_token().is_err());
    assert_eq!(mock.request_count("/client/authenticate"), 5);
    assert!(blocking.authenticate(&wrong).is_err());
    assert_eq!(mock.request_count("/client/authenticate"), 6);
}

#[test]
fn a_renewal_runs_on_the_cores_runtime_and_replaces_the_token() {
    // A token inside its refresh window from the start (lifetime 2 s: window 1 s).
    let open = Arc::new(tokio::sync::Semaphore::new(1_000));
    let (session, calls) = fake_session(Background::Tokio, open, |n| {
        let mut t = token(&format!("eyJ-{n}"));
        t.lifetime_ms = if n == 1 { 2 } else { 3_600_000 };
        Ok(t)
    });
    let rt = current_thread();
    assert_eq!(rt.block_on(session.access_token()).unwrap(), "eyJ-1");
    drop(rt);
    // Expired (2 ms): the next caller waits for a new login, never gets the old token.
    eventually("the first token expired", || {
        let rt = current_thread();
        rt.block_on(session.access_token()).unwrap() != "eyJ-1"
    });
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[test]
fn the_replys_date_sets_the_lifetime() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let client = client(&mock);
    let now = crate::authentication::wall_clock_ms();
    let login = |expires: i64, date: String| {
        let body = serde_json::json!({"success": {"message": "Authenticated", "data": {
            "expiresAt": expires, "user": {"username": "demo@xpay.test"},
            "access_token": "eyJ-dated"}}});
        mock.queue(
            "/client/authenticate",
            vec![Reply::json(body).with_header("Date", date)],
        );
    };
    let http_date =
        |ms: i64| httpdate::fmt_http_date(std::time::UNIX_EPOCH + Duration::from_millis(ms as u64));
    let rt = current_thread();
    // An hour "ago" by the local clock, but the server's clock is 2 h behind: 1 h left.
    login(now - 3_600_000, http_date(now - 7_200_000));
    let auth = rt.block_on(client.authenticate(&creds())).unwrap();
    assert_eq!(auth.expires_at(), now - 3_600_000, "the server's number");
    assert!(auth.lifetime_ms > 3_590_000, "{}", auth.lifetime_ms);
    // A minute from now by the local clock, but 2 min before the server's Date: decode.
    login(now + 60_000, http_date(now + 120_000));
    let e = rt.block_on(client.authenticate(&creds())).unwrap_err();
    assert_eq!((e.code(), e.status()), ("decode", Some(200)), "{e}");
}

//! [`Client`]: the validated configuration plus a keep-alive connection pool, and the request
//! loop every xPay call goes through (attempt, decode, retry per the policy).

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use zeroize::Zeroizing;

use crate::authentication::Authentication;
use crate::config::{ClientBuilder, Config};
use crate::credentials::Credentials;
use crate::envelope::{self, Endpoint, Success};
use crate::error::{Error, ErrorKind, Result};
use crate::http1::{AsyncHttp1, Http1, Target};
use crate::retry::{self, Failure, Idempotency};
use crate::scrub::Secrets;
use crate::session::{Background, Session};
use crate::transport::{self, Attempt, Transport};

/// The login endpoint.
pub const LOGIN_PATH: &str = "/client/authenticate";

/// An xPay client: configuration plus a pool of keep-alive connections.
///
/// Cheap to clone and safe to share between tasks and threads; clones share the pool. After
/// `fork()` the child builds a pool of its own on first use instead of touching the parent's
/// sockets.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    /// Requests go through the blocking transport (a handle of the blocking face), else
    /// through the async transport on the caller's tokio runtime.
    blocking: bool,
}

struct Inner {
    config: Config,
    /// The async transport and its pool (hyper; it rebuilds its pool in a forked child).
    http: AsyncHttp1,
    /// The blocking faces' transport and its pool (blocking clients only).
    http1: Option<Http1>,
    closed: AtomicBool,
}

impl Client {
    /// A builder, to set the base URL, timeouts, retries, user agent.
    pub fn builder() -> ClientBuilder<Client> {
        ClientBuilder::new()
    }

    /// A client with the defaults: base URL from `XPAY_BASE_URL`, else production.
    pub fn new() -> Result<Client> {
        Client::builder().build()
    }

    pub(crate) fn from_config(config: Config) -> Result<Client> {
        let target = Arc::new(Target::new(&config)?);
        Ok(Client {
            inner: Arc::new(Inner {
                config,
                http: AsyncHttp1::new(target),
                http1: None,
                closed: AtomicBool::new(false),
            }),
            blocking: false,
        })
    }

    /// A client of the blocking faces: its requests use the blocking HTTP/1.1 transport and
    /// complete synchronously inside their futures (see `runtime::block_on`).
    pub(crate) fn blocking_from_config(config: Config) -> Result<Client> {
        let target = Arc::new(Target::new(&config)?);
        Ok(Client {
            inner: Arc::new(Inner {
                config,
                http: AsyncHttp1::new(target.clone()),
                http1: Some(Http1::with_target(target)),
                closed: AtomicBool::new(false),
            }),
            blocking: true,
        })
    }

    /// This client as the async face sees it: same configuration and close state, requests
    /// through the async transport on the caller's runtime.
    pub(crate) fn async_face(&self) -> Client {
        Client {
            inner: self.inner.clone(),
            blocking: false,
        }
    }

    /// The base URL requests go to, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.config.base_url
    }

    pub(crate) fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Closes the connection pool of this client and of every clone and session made from it.
    /// Later requests fail with `invalid_argument`; closing twice is harmless.
    pub fn close(&self) {
        self.inner.closed.store(true, Ordering::Release);
        // Emptying the pools closes their idle keep-alive connections now, not at process exit.
        self.inner.http.close();
        if let Some(http1) = &self.inner.http1 {
            http1.close();
        }
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::Acquire)
    }

    /// Logs in once (no caching): `POST /client/authenticate`.
    ///
    /// Empty credentials fail with `invalid_argument` before any I/O; a refused login is an
    /// `authentication` error carrying the server's message, tag and uuid.
    pub async fn authenticate(&self, credentials: &Credentials) -> Result<Authentication> {
        self.authenticate_counting(credentials, None).await
    }

    /// [`authenticate`](Self::authenticate), adding one to `attempts` for every login request
    /// sent (each retry too): a session's `logins` figure.
    pub(crate) async fn authenticate_counting(
        &self,
        credentials: &Credentials,
        attempts: Option<&AtomicU64>,
    ) -> Result<Authentication> {
        credentials.validate()?;
        let body = login_body(credentials)?;
        let secrets = [credentials.secret_key()];
        let secrets = Secrets::new(&secrets);
        let success = self
            .post_counting(
                Endpoint::Login,
                LOGIN_PATH,
                &body,
                None,
                None,
                secrets,
                attempts,
            )
            .await?;
        envelope::authentication(success, credentials.is_api(), secrets)
    }

    /// A session for one account: a token cache that logs in when needed.
    pub fn session(&self, credentials: Credentials) -> Session {
        Session::new(self.clone(), credentials, Background::Tokio)
    }

    /// A session with the credentials from `XPAY_USERNAME` and `XPAY_SECRET_KEY`.
    pub fn session_from_env(&self) -> Result<Session> {
        Ok(self.session(Credentials::from_env()?))
    }

    /// POSTs `body` to `path`, retrying as the endpoint's idempotency allows, and decodes the
    /// reply. `uuid` is the request reference of this one logical request, sent on every
    /// attempt: the caller's, else one fresh v4 made here. Server text in the error returned is
    /// scrubbed of `secrets` (see `scrub.rs`).
    pub(crate) async fn post(
        &self,
        endpoint: Endpoint,
        path: &str,
        body: &Bytes,
        bearer: Option<&str>,
        uuid: Option<&str>,
        secrets: Secrets<'_>,
    ) -> Result<Success> {
        self.post_counting(endpoint, path, body, bearer, uuid, secrets, None)
            .await
    }

    /// [`post`](Self::post), adding one to `attempts` for every request sent.
    #[allow(clippy::too_many_arguments)]
    async fn post_counting(
        &self,
        endpoint: Endpoint,
        path: &str,
        body: &Bytes,
        bearer: Option<&str>,
        uuid: Option<&str>,
        secrets: Secrets<'_>,
        attempts: Option<&AtomicU64>,
    ) -> Result<Success> {
        let idempotency = match endpoint {
            Endpoint::Login => Idempotency::Safe,
            Endpoint::Call | Endpoint::RawCall => Idempotency::Unsafe,
        };
        let fresh_uuid;
        let uuid = match uuid {
            Some(u) => {
                validate_uuid(u)?;
                u
            }
            None => {
                fresh_uuid = new_request_uuid();
                fresh_uuid.as_str()
            }
        };
        let transport = self.transport()?;
        let config = self.config();
        let mut retries = 0;
        loop {
            // Checked before every attempt: a retry must not go out after `close()` either.
            if self.is_closed() {
                return Err(Error::invalid_argument(
                    "the client was closed: create a new client to make requests",
                ));
            }
            let attempt = Attempt {
                path,
                body,
                bearer,
                uuid,
            };
            if let Some(attempts) = attempts {
                attempts.fetch_add(1, Ordering::Relaxed);
            }
            let (failure, error) = match transport::send(&transport, config, attempt).await {
                Ok(reply) => {
                    match envelope::decode(endpoint, reply.status, &reply.body, uuid, secrets) {
                        Ok(success) => {
                            let date = crate::authentication::reply_date(&reply.headers);
                            return Ok(Success { date, ..success });
                        }
                        Err(e) => (
                            Failure::Status(reply.status),
                            e.with_retry_after(retry::retry_after(&reply.headers)),
                        ),
                    }
                }
                Err(e) => match e.failure {
                    Some(failure) => (failure, secrets.error(e.error)),
                    None => return Err(secrets.error(e.error)),
                },
            };
            if retries >= config.max_retries || !idempotency.may_retry(failure) {
                return Err(error);
            }
            let wait = retry::delay(retries, config.backoff_base, error.retry_after());
            tracing::info!(
                target: "xpay_auth",
                path, code = error.code(), status = error.status(), retry = retries + 1,
                wait_ms = wait.as_millis() as u64, "retrying xpay request"
            );
            transport.sleep(wait).await;
            retries += 1;
        }
    }

    /// What carries this handle's requests: the blocking transport, or the async pool of
    /// this process (a forked child builds its own). After `close()`, nothing.
    fn transport(&self) -> Result<Transport<'_>> {
        if self.is_closed() {
            return Err(Error::invalid_argument(
                "the client was closed: create a new client to make requests",
            ));
        }
        if self.blocking {
            if let Some(http1) = &self.inner.http1 {
                return Ok(Transport::Blocking(http1));
            }
        }
        Ok(Transport::Async(&self.inner.http))
    }
}

impl ClientBuilder<Client> {
    /// Validates the options and builds the client; `invalid_argument` on a bad option.
    pub fn build(self) -> Result<Client> {
        Client::from_config(self.into_config()?)
    }
}

/// The login's JSON body, written straight into a buffer that is zeroed when dropped (it holds
/// the secret key): sized for the worst case up front so it never reallocates (a reallocation
/// would leave a copy behind in freed memory), and handed to the body without a copy.
fn login_body(credentials: &Credentials) -> Result<Bytes> {
    #[derive(serde::Serialize)]
    struct Login<'a> {
        username: &'a str,
        #[serde(rename = "secretKey")]
        secret_key: &'a str,
        #[serde(rename = "isAPI")]
        is_api: bool,
    }
    // Every byte of a string is at most 6 bytes escaped (`\u00XX`), plus keys and punctuation.
    let capacity = 64 + 6 * (credentials.username().len() + credentials.secret_key().len());
    let mut buffer = Zeroizing::new(Vec::with_capacity(capacity));
    serde_json::to_writer(
        &mut *buffer,
        &Login {
            username: credentials.username(),
            secret_key: credentials.secret_key(),
            is_api: credentials.is_api(),
        },
    )
    .map_err(|e| Error::new(ErrorKind::Internal, e.to_string()))?;
    Ok(Bytes::from_owner(buffer))
}

/// A caller's request reference must be a valid header value (printable ASCII, no surrounding
/// spaces), or nothing is sent.
pub(crate) fn validate_uuid(uuid: &str) -> Result<()> {
    let printable = uuid.bytes().all(|b| (0x20..=0x7e).contains(&b));
    if uuid.is_empty() || !printable || uuid.trim() != uuid {
        return Err(Error::invalid_argument(format!(
            "the uuid {uuid:?} is not a valid header value: use printable ASCII, e.g. a v4 uuid"
        )));
    }
    Ok(())
}

/// A fresh v4 uuid from the thread's CSPRNG (`rand`'s, reseeded after `fork()`), saving the
/// `getrandom` system call per request that `Uuid::new_v4` makes.
pub(crate) fn new_request_uuid() -> String {
    uuid::Builder::from_random_bytes(rand::random())
        .into_uuid()
        .to_string()
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.inner.config)
            .finish()
    }
}

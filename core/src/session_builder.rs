//! [`SessionBuilder`]: a session with options beyond its credentials (its token store).

use std::marker::PhantomData;
use std::sync::Arc;

use crate::credentials::Credentials;
use crate::error::Result;
use crate::session::{Background, Session};
use crate::store::{self, TokenStore};
use crate::{blocking, Client};

/// Builds a [`Session`] (from [`Client::session_builder`]) or a [`blocking::Session`] (from
/// [`blocking::Client::session_builder`]).
///
/// ```no_run
/// # fn run(client: xpay_auth::Client) -> Result<(), xpay_auth::Error> {
/// use xpay_auth::Credentials;
/// let session = client
///     .session_builder(Credentials::new("me@example.com", "key"))
///     .store("file:/var/cache/my-app/xpay")
///     .build()?;
/// # let _ = session; Ok(()) }
/// ```
#[must_use]
pub struct SessionBuilder<S = Session> {
    client: Client,
    credentials: Credentials,
    background: Background,
    store: Option<String>,
    /// A store object given directly (the crate's own tests and faces).
    store_impl: Option<Arc<dyn TokenStore>>,
    face: PhantomData<fn() -> S>,
}

impl<S> SessionBuilder<S> {
    pub(crate) fn new(client: Client, credentials: Credentials, background: Background) -> Self {
        SessionBuilder {
            client,
            credentials,
            background,
            store: None,
            store_impl: None,
            face: PhantomData,
        }
    }

    /// Where the session keeps its login so that other sessions and processes reuse it:
    /// `memory:` (the default: this session only), `file:<directory>` (the processes of this
    /// host), `redis://host:port/db` or `rediss://…` (a fleet). Without it,
    /// `XPAY_TOKEN_STORE` is used if set. A URL that names no store makes
    /// [`build`](Self::build) fail with `invalid_argument`.
    pub fn store(mut self, url: impl Into<String>) -> Self {
        self.store = Some(url.into());
        self
    }

    /// The session's store as an object rather than a URL.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn store_impl(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store_impl = Some(store);
        self
    }

    fn session(self) -> Result<Session> {
        let found = match (&self.store_impl, &self.store) {
            (Some(given), _) => Some(given.clone()),
            (None, Some(url)) => store::open(url)?,
            (None, None) => store::from_env()?,
        };
        Ok(Session::with_store(
            self.client,
            self.credentials,
            self.background,
            Ok(found),
        ))
    }
}

impl SessionBuilder<Session> {
    /// The session; `invalid_argument` for a store URL that names no store.
    pub fn build(self) -> Result<Session> {
        self.session()
    }
}

impl SessionBuilder<blocking::Session> {
    /// The blocking session; `invalid_argument` for a store URL that names no store.
    pub fn build(self) -> Result<blocking::Session> {
        self.session().map(blocking::Session::from_core)
    }
}

impl Client {
    /// A session with options (its token store): see [`SessionBuilder`].
    pub fn session_builder(&self, credentials: Credentials) -> SessionBuilder<Session> {
        SessionBuilder::new(self.clone(), credentials, Background::Tokio)
    }
}

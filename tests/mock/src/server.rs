//! The listener: its own thread and multi-thread tokio runtime, accepting
//! connections and serving HTTP/1.1 with keep-alive.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::idle::{self, Busy, TrackedBody};
use crate::response::CloseConnection;
use crate::service;
use crate::state::Shared;

/// A running accept loop, stopped by [`Running::stop`].
pub(crate) struct Running {
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Running {
    /// Stops accepting, drops every open connection, and waits for the
    /// runtime thread to end. Calling it twice is harmless.
    pub(crate) fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// How long [`bind`] retries while the address is still in use.
const REBIND_PATIENCE: Duration = Duration::from_secs(5);

/// Binds `addr` again after a restart. The standard library sets
/// `SO_REUSEADDR` on Unix, so the old connections' `TIME_WAIT` does not block
/// it; an `AddrInUse` is still retried for a while, in case the old listener's
/// socket is not quite gone.
pub(crate) fn bind(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    let deadline = Instant::now() + REBIND_PATIENCE;
    loop {
        match std::net::TcpListener::bind(addr) {
            Err(e) if e.kind() == io::ErrorKind::AddrInUse && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            result => return result,
        }
    }
}

/// Serves `listener` (already bound, so connections queue up at once) on a
/// new thread running a runtime with `worker_threads` workers.
pub(crate) fn spawn(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    worker_threads: usize,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> io::Result<(SocketAddr, Running)> {
    let addr = listener.local_addr()?;
    listener.set_nonblocking(true)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(worker_threads.max(1))
        .thread_name("xpay-mock")
        .enable_io()
        .enable_time()
        .build()?;
    let listener = {
        // Registering the socket needs the new runtime's reactor.
        let _guard = runtime.enter();
        TcpListener::from_std(listener)?
    };
    let (shutdown, stopped) = oneshot::channel();
    let thread = std::thread::Builder::new()
        .name("xpay-mock-main".to_owned())
        .spawn(move || {
            runtime.block_on(accept_loop(listener, shared, stopped, tls));
            // Dropping the runtime drops the connection tasks, closing their sockets.
            runtime.shutdown_timeout(Duration::from_secs(1));
        })?;
    let running = Running {
        shutdown: Some(shutdown),
        thread: Some(thread),
    };
    Ok((addr, running))
}

/// Accepts connections until told to stop (or the handle is dropped).
async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stopped: oneshot::Receiver<()>,
    tls: Option<Arc<rustls::ServerConfig>>,
) {
    let tls = tls.map(tokio_rustls::TlsAcceptor::from);
    let mut http = http1::Builder::new();
    // Not `pipeline_flush(true)`: with it hyper never sends its automatic
    // `400` for an unparsable request, and real clients do not pipeline.
    http.keep_alive(true);
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    // Small request/response exchanges: never wait for Nagle's algorithm.
                    let _ = stream.set_nodelay(true);
                    let (shared, http) = (Arc::clone(&shared), http.clone());
                    match &tls {
                        None => {
                            tokio::spawn(serve(stream, shared, http));
                        }
                        Some(tls) => {
                            let tls = tls.clone();
                            tokio::spawn(async move {
                                // A refused handshake (the client did not trust us, or
                                // brought no certificate when one is required) is counted,
                                // nothing else.
                                match tls.accept(stream).await {
                                    Ok(stream) => serve(stream, shared, http).await,
                                    Err(_) => shared.connections.tls_refused(),
                                }
                            });
                        }
                    }
                }
                // Usually out of file descriptors: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            },
        }
    }
}

/// Serves one connection until the client closes it, the mock stops, or it
/// has been idle (waiting for a request head) for `idle_timeout_ms`.
async fn serve<S>(stream: S, shared: Arc<Shared>, http: http1::Builder)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let counters = Arc::clone(&shared);
    let _open = counters.connections.opened();
    let mut idle_timeout = shared.idle_timeout_ms();
    let (activity, mut phases) = idle::activity();
    let service = service_fn(move |request| {
        let busy = Busy::begin(&activity);
        let shared = Arc::clone(&shared);
        async move {
            let response = service::handle(shared, request).await?;
            Ok::<_, CloseConnection>(response.map(|body| TrackedBody::new(body, busy)))
        }
    });
    // Errors are clients going away, malformed requests (hyper answers 400
    // itself) or queued "close" replies; none is worth reporting.
    let connection = http.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    loop {
        let timeout_ms = *idle_timeout.borrow_and_update();
        let deadline = phases.borrow_and_update().idle_deadline(timeout_ms);
        let idle_for_too_long = async {
            match deadline {
                Some(deadline) => tokio::time::sleep_until(deadline).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = connection.as_mut() => return,
            // A request started or finished (which matters only with a
            // timeout: without one, requests cost no extra wake-up), or the
            // setting changed: look again.
            Ok(()) = phases.changed(), if timeout_ms.is_some() => {}
            Ok(()) = idle_timeout.changed() => {}
            () = idle_for_too_long => {
                counters.connections.idle_closed();
                // The connection is idle, so hyper closes it at once (a FIN,
                // after flushing anything still buffered).
                connection.as_mut().graceful_shutdown();
                let _ = connection.await;
                return;
            }
        }
    }
}

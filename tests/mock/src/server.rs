//! The listener: its own thread and multi-thread tokio runtime, accepting
//! connections and serving HTTP/1.1 with keep-alive.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

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

/// Serves `listener` (already bound, so connections queue up at once) on a
/// new thread running a runtime with `worker_threads` workers.
pub(crate) fn spawn(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    worker_threads: usize,
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
            runtime.block_on(accept_loop(listener, shared, stopped));
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
) {
    let mut http = http1::Builder::new();
    // Not `pipeline_flush(true)`: with it hyper never sends its automatic
    // `400` for an unparsable request, and real clients do not pipeline.
    http.keep_alive(true);
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(serve(stream, Arc::clone(&shared), http.clone()));
                }
                // Usually out of file descriptors: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            },
        }
    }
}

/// Serves one connection until the client closes it.
async fn serve(stream: TcpStream, shared: Arc<Shared>, http: http1::Builder) {
    // Small request/response exchanges: never wait for Nagle's algorithm.
    let _ = stream.set_nodelay(true);
    let service = service_fn(move |request| service::handle(Arc::clone(&shared), request));
    // Errors are clients going away, malformed requests (hyper answers 400
    // itself) or queued "close" replies; none is worth reporting.
    let _ = http.serve_connection(TokioIo::new(stream), service).await;
}

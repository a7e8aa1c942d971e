//! Idle tracking for one connection: whether a request is in progress (from
//! the moment hyper hands it over until its response body has been written
//! out) and, if not, since when the connection has been idle.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::response::Body;

/// What a connection is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Phase {
    /// Requests in progress (0 or 1 with HTTP/1.1 and no pipelining).
    busy: usize,
    /// When the last request finished, or the connection was accepted.
    since: Instant,
}

impl Phase {
    /// When a connection in this phase has been idle for `timeout_ms`, if it
    /// is idle and a timeout is set.
    pub(crate) fn idle_deadline(self, timeout_ms: Option<u64>) -> Option<Instant> {
        let timeout = std::time::Duration::from_millis(timeout_ms?);
        (self.busy == 0).then(|| self.since + timeout)
    }
}

/// Where a connection's service reports requests starting and finishing.
pub(crate) type Activity = Arc<watch::Sender<Phase>>;

/// A new connection's activity channel; it starts idle now.
pub(crate) fn activity() -> (Activity, watch::Receiver<Phase>) {
    let (tx, rx) = watch::channel(Phase {
        busy: 0,
        since: Instant::now(),
    });
    (Arc::new(tx), rx)
}

/// Marks a request in progress until dropped, which marks the connection
/// idle from that moment.
pub(crate) struct Busy(Activity);

impl Busy {
    pub(crate) fn begin(activity: &Activity) -> Busy {
        activity.send_modify(|phase| phase.busy += 1);
        Busy(Arc::clone(activity))
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.send_modify(|phase| {
            phase.busy = phase.busy.saturating_sub(1);
            phase.since = Instant::now();
        });
    }
}

/// A response body that keeps its request marked busy until hyper has taken
/// its last byte (hyper drops a body once it has written it).
pub(crate) struct TrackedBody {
    inner: Body,
    _busy: Busy,
}

impl TrackedBody {
    pub(crate) fn new(inner: Body, busy: Busy) -> Self {
        Self { inner, _busy: busy }
    }
}

impl HttpBody for TrackedBody {
    type Data = Bytes;
    type Error = <Body as HttpBody>::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

//! Slow and cut-short response bodies: sent in pieces with pauses between
//! them, and optionally stopped part-way with the connection closed.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use tokio::time::Sleep;

/// Pause between the last bytes of a cut-short body and closing the
/// connection, so hyper flushes those bytes first (it drops its write
/// buffer when a body fails).
const CUT_GRACE: Duration = Duration::from_millis(50);

/// How a body is sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Pacing {
    /// Bytes per piece; `0` means about four pieces (64 KiB each when big).
    pub(crate) chunk_bytes: usize,
    /// Pause between pieces (never before the first, which leaves with the head).
    pub(crate) pause: Duration,
    /// Send only this many bytes, then close the connection. The head still
    /// declares the full length.
    pub(crate) cut_after: Option<usize>,
}

/// The error a cut-short body ends with, which makes hyper close the
/// connection mid-body.
#[derive(Debug)]
pub(crate) struct CutShort;

impl fmt::Display for CutShort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("body cut short on purpose")
    }
}

impl std::error::Error for CutShort {}

/// A body sent in pieces with a pause between them. Its exact full length is
/// known, so hyper sends a `Content-Length` even when the body is cut short.
pub(crate) struct SlowBody {
    chunks: VecDeque<Bytes>,
    pause: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
    /// Bytes still to come as far as the declared length goes.
    remaining: u64,
    /// Whether the body fails (closing the connection) once `chunks` run out.
    cut: bool,
}

impl SlowBody {
    /// Splits `body` as `pacing` says. Must be called inside the runtime
    /// (a cut-short body may start with a timer).
    pub(crate) fn new(body: Bytes, pacing: Pacing) -> Self {
        const BIG_PIECE: usize = 64 * 1024;
        let piece = match pacing.chunk_bytes {
            0 => body.len().div_ceil(4).clamp(1, BIG_PIECE),
            n => n,
        };
        let sent = pacing.cut_after.map_or(body.len(), |n| n.min(body.len()));
        let cut = sent < body.len();
        let mut chunks = VecDeque::new();
        let mut start = 0;
        while start < sent {
            let end = (start + piece).min(sent);
            chunks.push_back(body.slice(start..end));
            start = end;
        }
        // Nothing to send before failing: still let the head go out first.
        let sleep = (cut && chunks.is_empty()).then(|| Box::pin(tokio::time::sleep(CUT_GRACE)));
        Self {
            chunks,
            pause: pacing.pause,
            sleep,
            remaining: body.len() as u64,
            cut,
        }
    }
}

impl HttpBody for SlowBody {
    type Data = Bytes;
    type Error = CutShort;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, CutShort>>> {
        if let Some(sleep) = self.sleep.as_mut() {
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.sleep = None;
        }
        let Some(chunk) = self.chunks.pop_front() else {
            return Poll::Ready(self.cut.then_some(Err(CutShort)));
        };
        self.remaining -= chunk.len() as u64;
        let next_pause = match (self.chunks.is_empty(), self.cut) {
            (false, _) => Some(self.pause),
            (true, true) => Some(CUT_GRACE),
            (true, false) => None,
        };
        self.sleep = next_pause.map(|pause| Box::pin(tokio::time::sleep(pause)));
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.is_empty() && !self.cut
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(len: usize, pacing: Pacing) -> (Vec<usize>, bool) {
        let body = SlowBody::new(Bytes::from(vec![b'x'; len]), pacing);
        let sizes = body.chunks.iter().map(Bytes::len).collect();
        (sizes, body.cut)
    }

    #[tokio::test]
    async fn bodies_are_split_as_asked() {
        assert_eq!(pieces(10, Pacing::default()), (vec![3, 3, 3, 1], false));
        let bytes = Pacing {
            chunk_bytes: 4,
            ..Pacing::default()
        };
        assert_eq!(pieces(10, bytes), (vec![4, 4, 2], false));
        let cut = Pacing {
            chunk_bytes: 4,
            cut_after: Some(6),
            ..Pacing::default()
        };
        assert_eq!(pieces(10, cut), (vec![4, 2], true));
        let whole = Pacing {
            cut_after: Some(10),
            ..Pacing::default()
        };
        assert_eq!(pieces(10, whole), (vec![3, 3, 3, 1], false));
        let none = Pacing {
            cut_after: Some(0),
            ..Pacing::default()
        };
        assert_eq!(pieces(10, none), (vec![], true));
    }

    #[tokio::test]
    async fn the_declared_length_is_the_full_one() {
        let cut = Pacing {
            cut_after: Some(3),
            ..Pacing::default()
        };
        let body = SlowBody::new(Bytes::from(vec![b'x'; 10]), cut);
        assert_eq!(body.size_hint().exact(), Some(10));
        assert!(!body.is_end_stream());
    }
}

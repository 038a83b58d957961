//! Time limits on each client connection, enforced on its socket.
//!
//! hyper's own `header_read_timeout` starts as soon as it waits for a request head, including on an
//! idle keep-alive connection, so it doubles as a (short) keep-alive timeout: a client that reuses a
//! pooled connection just as the server gives up on it sees its request fail. It also has no limit
//! at all on a request body that stops arriving. This wrapper keeps three separate clocks instead:
//!
//! - **header**: from the first byte of a request head (or from accepting the connection) until the
//!   head is complete, for a connection's first request; later heads must be complete within the
//!   keep-alive time of the previous response;
//! - **body**: while a handler reads a request body, the longest wait for its next bytes (like
//!   nginx's `client_body_timeout`; kept by [`TimedBody`]), and likewise for the client to take
//!   response bytes;
//! - **keep-alive**: how long an idle connection is kept waiting for its next request.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// The three clocks of a connection.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// To send a complete request head.
    pub header: Duration,
    /// Between two reads of a request body, or two writes of a response.
    pub body: Duration,
    /// Idle between requests.
    pub keep_alive: Duration,
}

#[derive(Debug)]
struct Phase {
    /// A request is being served (from its head until its response body is dropped).
    busy: bool,
    /// Requests started so far on this connection.
    started: u64,
    /// When the connection last became idle.
    idle_since: Instant,
}

/// What the service tells the socket about the request in flight.
#[derive(Debug, Clone)]
pub struct Tracker(Arc<Mutex<Phase>>);

/// Held by a response body; when it is dropped the request is over and the connection idle.
#[derive(Debug)]
pub struct Served(Tracker);

impl Tracker {
    /// Marks a request head as received; keep the returned guard until the response is sent.
    pub fn begin(&self) -> Served {
        let mut p = self.0.lock().expect("connection phase");
        p.busy = true;
        p.started += 1;
        Served(self.clone())
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let mut p = (self.0).0.lock().expect("connection phase");
        p.busy = false;
        p.idle_since = Instant::now();
    }
}

/// A socket whose reads and writes give up when the connection's current clock runs out.
pub struct TimedIo<T> {
    inner: T,
    limits: Limits,
    phase: Tracker,
    /// Requests seen started, to notice a new one.
    seen: u64,
    /// First byte of the next request head, while idle.
    head_started: Option<Instant>,
    read_sleep: Pin<Box<Sleep>>,
    /// Since when a write has been waiting for the client.
    write_waiting: Option<Instant>,
    write_sleep: Pin<Box<Sleep>>,
}

impl<T> TimedIo<T> {
    /// Wraps a freshly accepted socket; the returned tracker goes to the request service.
    pub fn new(inner: T, limits: Limits) -> (TimedIo<T>, Tracker) {
        let now = Instant::now();
        let tracker = Tracker(Arc::new(Mutex::new(Phase {
            busy: false,
            started: 0,
            idle_since: now,
        })));
        let io = TimedIo {
            inner,
            limits,
            phase: tracker.clone(),
            seen: 0,
            head_started: None,
            read_sleep: Box::pin(tokio::time::sleep_until(now + limits.header)),
            write_waiting: None,
            write_sleep: Box::pin(tokio::time::sleep_until(now + limits.body)),
        };
        (io, tracker)
    }

    /// When the read now being waited for must have produced bytes; none while a request is
    /// served (its body has its own clock, in [`TimedBody`], and a slow handler is no fault of the
    /// client's).
    fn read_deadline(&mut self) -> Option<Instant> {
        let p = self.phase.0.lock().expect("connection phase");
        if p.started != self.seen {
            self.seen = p.started;
            self.head_started = None;
        }
        if p.busy {
            return None;
        }
        let header = self.head_started.map(|t| t + self.limits.header);
        Some(if p.started == 0 {
            // A new connection must send its first head promptly: nothing is owed to it yet.
            header.unwrap_or(p.idle_since + self.limits.header)
        } else {
            // Between requests the connection may idle for the keep-alive time whatever bytes
            // were seen since (a drained request body looks like a head begun), so a client that
            // reuses it in time is never cut off.
            let idle = p.idle_since + self.limits.keep_alive;
            header.map_or(idle, |h| h.max(idle))
        })
    }
}

fn timed_out(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, format!("client {what} timed out"))
}

/// Polls `sleep` set to `deadline`; true when the deadline has passed.
fn expired(sleep: &mut Pin<Box<Sleep>>, deadline: Instant, cx: &mut Context<'_>) -> bool {
    if sleep.deadline() != deadline {
        sleep.as_mut().reset(deadline);
    }
    sleep.as_mut().poll(cx).is_ready()
}

impl<T: AsyncRead + Unpin> AsyncRead for TimedIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    let now = Instant::now();
                    let busy = this.phase.0.lock().expect("connection phase").busy;
                    if !busy && this.head_started.is_none() {
                        this.head_started = Some(now);
                    }
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending => {
                let deadline = this.read_deadline();
                if deadline.is_some_and(|d| expired(&mut this.read_sleep, d, cx)) {
                    Poll::Ready(Err(timed_out("read")))
                } else {
                    Poll::Pending
                }
            }
            other => other,
        }
    }
}

impl<T: AsyncWrite + Unpin> TimedIo<T> {
    fn on_write<R>(
        &mut self,
        result: Poll<io::Result<R>>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<R>> {
        match result {
            Poll::Pending => {
                let since = *self.write_waiting.get_or_insert_with(Instant::now);
                if expired(&mut self.write_sleep, since + self.limits.body, cx) {
                    Poll::Ready(Err(timed_out("write")))
                } else {
                    Poll::Pending
                }
            }
            ready => {
                self.write_waiting = None;
                ready
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for TimedIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, data);
        self.on_write(result, cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.on_write(result, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let result = Pin::new(&mut self.inner).poll_flush(cx);
        self.on_write(result, cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Raises this process's open-files limit to its hard limit, so the connection cap, not the
/// kernel's default of 1,024 descriptors, decides how many clients are served; returns the limit.
pub fn raise_open_files_limit() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "cannot raise the open-files limit");
            rlimit::getrlimit(rlimit::Resource::NOFILE)
                .map(|(soft, _)| soft)
                .unwrap_or(1024)
        }
    }
}

pin_project_lite::pin_project! {
    /// A request body that fails when its next bytes take longer than the body timeout, so a client
    /// that announces a body and stops sending is answered and disconnected.
    pub struct TimedBody<B> {
        #[pin]
        inner: B,
        limit: Duration,
        waiting: Option<Instant>,
        sleep: Option<Pin<Box<Sleep>>>,
    }
}

impl<B> TimedBody<B> {
    /// Wraps `inner` with `limit` between frames.
    pub fn new(inner: B, limit: Duration) -> TimedBody<B> {
        TimedBody {
            inner,
            limit,
            waiting: None,
            sleep: None,
        }
    }
}

/// The error a stalled request body ends with.
#[derive(Debug, thiserror::Error)]
#[error("the request body stopped arriving")]
pub struct BodyTimeout;

impl<B> http_body::Body for TimedBody<B>
where
    B: http_body::Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Data = B::Data;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        match this.inner.poll_frame(cx) {
            Poll::Pending => {
                let deadline = *this.waiting.get_or_insert_with(Instant::now) + *this.limit;
                let sleep = this
                    .sleep
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                if expired(sleep, deadline, cx) {
                    Poll::Ready(Some(Err(Box::new(BodyTimeout))))
                } else {
                    Poll::Pending
                }
            }
            Poll::Ready(frame) => {
                *this.waiting = None;
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

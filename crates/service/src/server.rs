//! The HTTP/1 server: an accept loop of its own, because `axum::serve` builds hyper without a
//! timer, and without one hyper never times out a request head. A connection that sends its
//! head too slowly, or that stays idle between requests, would otherwise hold a task and a
//! file descriptor for ever (the router's own time limit starts only once a head is read);
//! so would one that stops reading its answers, or takes them too slowly, whose writes are
//! timed (`Stalling`). The answers hyper writes by itself to a request it cannot read get the
//! service's JSON body on the way out (`Explained`).

use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// The pause after an accept error that is not one connection's own (`EMFILE`: out of file
/// descriptors), so that closing connections can make room before the next try.
const ACCEPT_PAUSE: Duration = Duration::from_secs(1);

/// What one server allows its connections.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// How long a connection gets to send a request's head, counted from the connection or
    /// from the previous answer: a slow head and an idle keep-alive connection are both
    /// closed then; and how long writes of answers may wait beyond what the client's pace
    /// earns (`Stalling`).
    pub(crate) head_timeout: Duration,
    /// The most connections served at once: more wait in the listener's queue (the
    /// kernel's backlog) until one closes, so that the tasks and file descriptors open
    /// ones hold stay bounded (the webhook bodies read at once are bounded apart).
    pub(crate) connections: usize,
    /// The slowest a client may take its answers, on average, in bytes a second (see
    /// [`Stalling`]; [`MIN_SEND_RATE`] by default).
    pub(crate) min_send_rate: u64,
}

/// Serves `app` on `listeners` (each address of a host name: `localhost`'s IPv4 and IPv6
/// ones) until `stop` turns true (or its sender goes), then takes no
/// new connection, lets each open one finish the request it is answering and ends when all
/// have closed; within `limits`. Accept errors are logged and tried again; they never end
/// the server.
pub(crate) async fn serve(
    listeners: Vec<TcpListener>,
    app: Router,
    limits: Limits,
    stop: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    let mut stopped = std::pin::pin!(stopped(stop.clone()));
    loop {
        let room = connections.len() < limits.connections.max(1);
        let accepted = tokio::select! {
            () = &mut stopped => break,
            accepted = accept_any(&listeners), if room => accepted,
            Some(ended) = connections.join_next(), if !connections.is_empty() => {
                log_abnormal_end(ended);
                continue;
            }
        };
        match accepted {
            Ok((stream, _)) => {
                connections.spawn(connection(stream, app.clone(), limits, stop.clone()));
            }
            // The peer gave up before it was accepted: nothing to do.
            Err(e) if is_connection_error(&e) => {}
            Err(e) => {
                tracing::error!(
                    error = %e,
                    pause_ms = ACCEPT_PAUSE.as_millis() as u64,
                    "Cannot accept a connection; trying again after a pause."
                );
                tokio::select! {
                    () = &mut stopped => break,
                    () = tokio::time::sleep(ACCEPT_PAUSE) => {}
                }
            }
        }
    }
    drop(listeners);
    while let Some(ended) = connections.join_next().await {
        log_abnormal_end(ended);
    }
}

/// The next connection on any of `listeners` (each looked at in turn, so that one busy
/// listener does not keep the others waiting for long).
async fn accept_any(
    listeners: &[TcpListener],
) -> std::io::Result<(TcpStream, std::net::SocketAddr)> {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let first = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::future::poll_fn(|cx| {
        let n = listeners.len();
        for i in 0..n {
            if let std::task::Poll::Ready(accepted) = listeners[(first + i) % n].poll_accept(cx) {
                return std::task::Poll::Ready(accepted);
            }
        }
        std::task::Poll::Pending
    })
    .await
}

/// Resolves when `stop` turns true or its sender goes.
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Serves one connection until it closes; when `stop` turns true, lets it finish the request
/// in flight and closes it.
async fn connection(stream: TcpStream, app: Router, limits: Limits, stop: watch::Receiver<bool>) {
    let head_timeout = limits.head_timeout;
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(head_timeout)
        .max_buf_size(HEAD_MAX_BYTES);
    let stream = Explained {
        inner: Stalling::new(stream, head_timeout, limits.min_send_rate),
        owed: None,
    };
    let conn = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app));
    let mut conn = std::pin::pin!(conn);
    let mut stopping = false;
    loop {
        tokio::select! {
            ended = conn.as_mut() => {
                if let Err(e) = ended {
                    // A head that timed out, a peer that went away: the connection's own end.
                    tracing::debug!(error = %e, "An HTTP connection ended with an error.");
                }
                return;
            }
            () = stopped(stop.clone()), if !stopping => {
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// The slowest a client may take an answer the server waits to write, on average, in bytes a
/// second, unless configured otherwise (`[service] min_send_rate_bytes`): 4 kbit/s, half of what one GPRS time slot carries, the slowest mobile data link
/// still in use: a 2G link gives 2 to 3 KiB/s, and 4 KiB/s cut such a client off; review of
/// the series, session 49; yet some ten times what a client taking one TCP segment within
/// each time limit takes, some 50 bytes a second at the 30 s default): see [`Stalling`].
pub(crate) const MIN_SEND_RATE: u64 = 512;

/// A connection's stream whose writes fail once they have waited longer than the client's
/// pace justifies: a client that stops reading its answers (its window shut; requests
/// pipelined and never read) would otherwise hold its connection for ever, since no time
/// limit runs while hyper writes an answer, and enough of them (`max_connections`) would leave
/// the server taking no connection at all (review of session 48).
///
/// Writes may wait `limit` in all, and each byte the client takes (acknowledges) earns
/// `1/rate` s more of waiting, up to `limit` in hand (`rate`, [`MIN_SEND_RATE`] by default):
/// a client reading on at `rate` or faster is never cut off, however large its answer (one at 650 KiB/s
/// was cut off when only a write taken counted: the system takes more of an answer only once
/// a third of what it holds, some MiB, is read), and one taking less is cut off within
/// `limit / (1 - its rate / rate)` of waiting. Progress alone, any acknowledgement,
/// is not enough: a client taking a TCP segment within each `limit` kept a large answer's
/// connection open for ever (review of session 49).
struct Stalling {
    inner: TcpStream,
    limit: Duration,
    /// The slowest pace, in bytes a second, that earns its waiting (at least 1).
    rate: u64,
    /// How long writes may still wait, as of `settled`.
    allowance: Duration,
    /// When `allowance` was last counted.
    settled: tokio::time::Instant,
    /// When the write waiting now runs out of allowance, unless the client takes more.
    deadline: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
    /// The bytes of the connection's answers the system took.
    written: u64,
    /// The bytes of them the client had taken when `allowance` was last counted.
    taken: u64,
}

impl Stalling {
    fn new(inner: TcpStream, limit: Duration, rate: u64) -> Self {
        Self {
            inner,
            limit,
            rate: rate.max(1),
            allowance: limit,
            settled: tokio::time::Instant::now(),
            deadline: None,
            written: 0,
            taken: 0,
        }
    }

    /// Counts `allowance` as of now: less the time a write waited since it was last counted
    /// (when `waited`), more what the client took meanwhile, at most `limit`.
    fn settle(&mut self, waited: bool) {
        let now = tokio::time::Instant::now();
        // The bytes the client acknowledged; all that the system took where that cannot be
        // told.
        let taken = unacknowledged(&self.inner)
            .map_or(self.written, |held| {
                self.written.saturating_sub(held as u64)
            })
            .max(self.taken);
        let earned = Duration::from_secs_f64((taken - self.taken) as f64 / self.rate as f64);
        let spent = if waited {
            now - self.settled
        } else {
            Duration::ZERO
        };
        self.allowance = (self.allowance.saturating_add(earned))
            .saturating_sub(spent)
            .min(self.limit);
        self.taken = taken;
        self.settled = now;
    }

    /// `polled`, a write's outcome: pending past the allowance, a time-out.
    fn watched<T>(
        &mut self,
        cx: &mut std::task::Context<'_>,
        polled: std::task::Poll<std::io::Result<T>>,
    ) -> std::task::Poll<std::io::Result<T>> {
        use std::future::Future;
        if polled.is_ready() {
            if self.deadline.take().is_some() {
                self.settle(true);
            }
            return polled;
        }
        if self.deadline.is_none() {
            self.settle(false);
            let at = self.settled + self.allowance;
            self.deadline = Some(Box::pin(tokio::time::sleep_until(at)));
        }
        loop {
            let Some(deadline) = self.deadline.as_mut() else {
                return std::task::Poll::Pending;
            };
            if deadline.as_mut().poll(cx).is_pending() {
                return std::task::Poll::Pending;
            }
            self.settle(true);
            if self.allowance.is_zero() {
                // Reset when it is closed: its unsent answer would otherwise be left to the
                // system to send at the client's pace after the close, for as long again.
                if let Err(e) = self.inner.set_zero_linger() {
                    tracing::debug!(error = %e, "Cannot set a stalled connection to reset when closed.");
                }
                let (limit, rate) = (self.limit, self.rate);
                return std::task::Poll::Ready(Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!(
                        "the client took its answer slower than {rate} bytes a second \
                         for longer than {limit:?}"
                    ),
                )));
            }
            let at = self.settled + self.allowance;
            if let Some(deadline) = self.deadline.as_mut() {
                deadline.as_mut().reset(at);
            }
        }
    }

    /// Counts `n` bytes more taken by the system, when `polled` took them.
    fn count(&mut self, polled: &std::task::Poll<std::io::Result<usize>>) {
        if let std::task::Poll::Ready(Ok(n)) = polled {
            self.written += *n as u64;
        }
    }
}

/// The bytes written to `stream` that its peer has not acknowledged yet (`SIOCOUTQ`); none
/// where it cannot be told.
#[cfg(target_os = "linux")]
fn unacknowledged(stream: &TcpStream) -> Option<usize> {
    use std::os::fd::AsRawFd;
    let mut n: libc::c_int = 0;
    // SAFETY: `TIOCOUTQ` (`SIOCOUTQ` on a socket) writes one `int` to the pointer given, and
    // the file descriptor is the stream's own, open while it is borrowed.
    let rc = unsafe { libc::ioctl(stream.as_raw_fd(), libc::TIOCOUTQ, &mut n) };
    if rc == 0 {
        usize::try_from(n).ok()
    } else {
        None
    }
}

/// None: where `SIOCOUTQ` is not at hand, only a write taken counts as progress.
#[cfg(not(target_os = "linux"))]
fn unacknowledged(_: &TcpStream) -> Option<usize> {
    None
}

impl tokio::io::AsyncRead for Stalling {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Stalling {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_write(cx, buf);
        self.count(&polled);
        self.watched(cx, polled)
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.count(&polled);
        self.watched(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_flush(cx);
        self.watched(cx, polled)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_shutdown(cx);
        self.watched(cx, polled)
    }
}

/// The most a request's head (its line and headers) may take: past it hyper answers `431`
/// by itself (as it does past 100 headers, and `414` past a target of 65,534 bytes).
const HEAD_MAX_BYTES: usize = 400 * 1024;

/// A connection's stream that gives the answers hyper writes by itself, to a request it
/// cannot read, a JSON body as every other error of the service has (`{"error": …}`): they
/// had none (review of session 48). hyper answers such a request before any service sees it
/// and offers no way to word the answer, so it is replaced as it is written: a head alone
/// with hyper's own status line (`400`, `414` or `431`), a `content-length: 0` and no other
/// header than `connection` and `date`, which the router never writes (its errors carry a
/// JSON body and its `content-type`). hyper closes the connection after it. So a handler's
/// or a layer's own refusal must have a body, as `json_error` gives it (`one_host`'s `400`
/// does): a bare `StatusCode::BAD_REQUEST` would be taken for hyper's and rewritten.
struct Explained<S> {
    inner: S,
    /// The answer written in place of hyper's, and how much of it is written.
    owed: Option<(Vec<u8>, usize)>,
}

impl<S: tokio::io::AsyncWrite + Unpin> Explained<S> {
    /// Writes what is owed of a replaced answer; ready once it is all written.
    fn pay(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> {
        while let Some((answer, done)) = self.owed.as_mut() {
            if *done == answer.len() {
                self.owed = None;
                break;
            }
            match std::pin::Pin::new(&mut self.inner).poll_write(cx, &answer[*done..]) {
                std::task::Poll::Ready(Ok(0)) => {
                    return std::task::Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()))
                }
                std::task::Poll::Ready(Ok(n)) => *done += n,
                std::task::Poll::Ready(Err(e)) => return std::task::Poll::Ready(Err(e)),
                std::task::Poll::Pending => return std::task::Poll::Pending,
            }
        }
        std::task::Poll::Ready(Ok(()))
    }

    /// Takes `written` (what hyper writes) in place of the answer owed, when it is hyper's own
    /// refusal: `len` taken, the answer to be written by the next calls.
    fn replaced(
        &mut self,
        cx: &mut std::task::Context<'_>,
        written: &[u8],
    ) -> Option<std::task::Poll<std::io::Result<usize>>> {
        let answer = explained(written)?;
        self.owed = Some((answer, 0));
        Some(match self.pay(cx) {
            std::task::Poll::Ready(Err(e)) => std::task::Poll::Ready(Err(e)),
            // (The rest is written by the flush hyper makes next.)
            _ => std::task::Poll::Ready(Ok(written.len())),
        })
    }
}

/// The JSON answer in place of `written` when it is a refusal of hyper's own (see
/// [`Explained`]).
fn explained(written: &[u8]) -> Option<Vec<u8>> {
    let head = std::str::from_utf8(written)
        .ok()?
        .strip_suffix("\r\n\r\n")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let error = match status_line.strip_prefix("HTTP/1.1 ")? {
        "400 Bad Request" => {
            "the request is not HTTP/1.1 the server can read: its request line or a header is \
             malformed"
                .to_string()
        }
        "414 URI Too Long" => {
            "the request's target (its path and query) is too long: 65,534 bytes at most".into()
        }
        "431 Request Header Fields Too Large" => format!(
            "the request's head is too large: its line and headers take {} KiB at most, and \
             100 headers at most",
            HEAD_MAX_BYTES / 1024
        ),
        _ => return None,
    };
    let mut empty = false;
    let mut date = None;
    for line in lines {
        let (name, value) = line.split_once(':')?;
        match name.to_ascii_lowercase().as_str() {
            "content-length" if value.trim() == "0" => empty = true,
            "date" => date = Some(line),
            "connection" => {}
            _ => return None,
        }
    }
    if !empty {
        return None;
    }
    let body = serde_json::json!({ "error": error }).to_string();
    let mut answer = format!(
        "{status_line}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
        body.len()
    );
    if let Some(date) = date {
        answer.push_str(date);
        answer.push_str("\r\n");
    }
    answer.push_str("\r\n");
    answer.push_str(&body);
    Some(answer.into_bytes())
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Explained<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Explained<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::task::ready!(self.pay(cx))?;
        if let Some(polled) = self.replaced(cx, buf) {
            return polled;
        }
        std::pin::Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::task::ready!(self.pay(cx))?;
        // A refusal is a short head; a longer write is never one, and is not copied.
        let len: usize = bufs.iter().map(|b| b.len()).sum();
        if len <= 1024 {
            let mut whole = Vec::with_capacity(len);
            for b in bufs {
                whole.extend_from_slice(b);
            }
            if let Some(polled) = self.replaced(cx, &whole) {
                return polled;
            }
        }
        std::pin::Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::ready!(self.pay(cx))?;
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::ready!(self.pay(cx))?;
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// An accept error that concerns one connection only, not the listener.
fn is_connection_error(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

fn log_abnormal_end(ended: Result<(), tokio::task::JoinError>) {
    if let Err(e) = ended {
        tracing::error!(error = %e, "An HTTP connection's task ended abnormally.");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Past the most connections, a new one waits in the listener's queue, unanswered, until
    /// an open one closes; then it is served.
    #[tokio::test]
    async fn a_connection_past_the_limit_waits_until_one_closes() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().route("/", axum::routing::get(|| async { "ok" }));
        let (stop, stop_rx) = watch::channel(false);
        let limits = Limits {
            head_timeout: Duration::from_secs(60),
            connections: 1,
            min_send_rate: MIN_SEND_RATE,
        };
        let server = tokio::spawn(serve(vec![listener], app, limits, stop_rx));
        // Takes the one place and sends nothing.
        let held = TcpStream::connect(addr).await.unwrap();
        let url = format!("http://{addr}/");
        let waiting = tokio::spawn(async move { reqwest::get(url).await.map(|r| r.status()) });
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(!waiting.is_finished(), "served past the limit");
        drop(held);
        let status = tokio::time::timeout(Duration::from_secs(20), waiting)
            .await
            .expect("served once the place is free")
            .unwrap()
            .unwrap();
        assert_eq!(status, 200);
        stop.send(true).unwrap();
        server.await.unwrap();
    }
}

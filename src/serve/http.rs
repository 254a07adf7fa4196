//! HTTP/1.1 for a read-only page: httparse reads each request head; this module owns the
//! connections. Each connection gets a thread of its own, up to [`MAX_CONNECTIONS`] at
//! once (past that a new one is told 503 and closed), so a slow client holds only its own
//! thread; a request head must arrive whole within [`HEAD_DEADLINE`] and fit in
//! [`MAX_HEAD_BYTES`], and an idle kept-alive connection is closed after [`IDLE`].
//!
//! (tiny_http was tried first: its pool queues new connections behind ones that have
//! not finished sending, so a dozen stalled clients held every request for tens of
//! seconds. A test in `tests/serve.rs` keeps that from coming back.)

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use super::api::Reply;

/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 256;
/// A request head (request line and headers) larger than this is refused with 431.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// The whole head must arrive within this time of its first byte.
pub const HEAD_DEADLINE: Duration = Duration::from_secs(10);
/// A kept-alive connection with no new request for this long is closed.
pub const IDLE: Duration = Duration::from_secs(15);
/// Requests on one connection before it is closed (a browser opens another).
const MAX_REQUESTS_PER_CONNECTION: usize = 1000;
/// Headers read per request; a browser sends about a dozen.
const MAX_HEADERS: usize = 64;

/// One request as the router sees it.
pub struct Request<'a> {
    pub method: &'a str,
    /// The request target: path and query, as sent.
    pub target: &'a str,
    /// The body's declared length (the body itself is read and dropped).
    pub body_length: usize,
}

/// Accepts connections on `listener` for ever, answering each request with `handler`.
pub fn serve<H>(listener: TcpListener, handler: H)
where
    H: Fn(&Request<'_>) -> Reply + Send + Sync + 'static,
{
    let handler = Arc::new(handler);
    let active = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(stream) = stream else {
            // Out of file descriptors, say: wait a moment rather than spin.
            thread::sleep(Duration::from_millis(10));
            continue;
        };
        if active.fetch_add(1, Ordering::AcqRel) >= MAX_CONNECTIONS {
            active.fetch_sub(1, Ordering::AcqRel);
            let mut s = stream;
            let _ = s.set_write_timeout(Some(Duration::from_secs(1)));
            let _ = write_reply(&mut s, &busy(), false, false);
            continue;
        }
        let handler = Arc::clone(&handler);
        let guard = Active(Arc::clone(&active));
        let spawned = thread::Builder::new()
            .name("duibiao-http".into())
            .spawn(move || {
                let _guard = guard;
                let _ = connection(stream, &*handler);
            });
        if spawned.is_err() {
            // No thread could be had; the guard moved into the closure was dropped
            // with it, so the count is right.
            thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Counts a connection as active until dropped.
struct Active(Arc<AtomicUsize>);

impl Drop for Active {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn busy() -> Reply {
    Reply::plain(503, "the server is busy; try again")
}

/// Reads requests from one connection and answers them until it closes.
fn connection<H>(mut stream: TcpStream, handler: &H) -> io::Result<()>
where
    H: Fn(&Request<'_>) -> Reply,
{
    stream.set_nodelay(true)?;
    stream.set_write_timeout(Some(HEAD_DEADLINE))?;
    let mut buf: Vec<u8> = Vec::with_capacity(2048);
    for _ in 0..MAX_REQUESTS_PER_CONNECTION {
        let head_len = match read_head(&mut stream, &mut buf)? {
            Head::Complete(n) => n,
            Head::Closed => return Ok(()),
            Head::TooLarge => {
                write_reply(
                    &mut stream,
                    &Reply::plain(431, "request head too large"),
                    false,
                    false,
                )?;
                return Ok(());
            }
            Head::TimedOut => {
                write_reply(
                    &mut stream,
                    &Reply::plain(408, "request took too long"),
                    false,
                    false,
                )?;
                return Ok(());
            }
        };
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut headers);
        let parsed = req.parse(&buf[..head_len]);
        let (method, target, version, keep_alive, body_length) = match parsed {
            Ok(httparse::Status::Complete(_)) => {
                let header = |name: &str| {
                    req.headers
                        .iter()
                        .find(|h| h.name.eq_ignore_ascii_case(name))
                        .map(|h| String::from_utf8_lossy(h.value).trim().to_ascii_lowercase())
                };
                let version = req.version.unwrap_or(0);
                let conn = header("connection");
                let keep = match conn.as_deref() {
                    Some("close") => false,
                    Some("keep-alive") => true,
                    _ => version == 1,
                };
                let length = match header("content-length") {
                    None => Some(0),
                    Some(v) => v.parse::<usize>().ok(),
                };
                let chunked = header("transfer-encoding").is_some();
                match (length, chunked) {
                    (Some(n), false) => (
                        req.method.unwrap_or("GET").to_string(),
                        req.path.unwrap_or("/").to_string(),
                        version,
                        keep,
                        n,
                    ),
                    // No body is wanted; a chunked or unreadable one ends the connection.
                    _ => {
                        write_reply(
                            &mut stream,
                            &Reply::plain(413, "requests to this server carry no body"),
                            false,
                            false,
                        )?;
                        return Ok(());
                    }
                }
            }
            _ => {
                write_reply(
                    &mut stream,
                    &Reply::plain(400, "malformed request"),
                    false,
                    false,
                )?;
                return Ok(());
            }
        };
        buf.drain(..head_len);
        let request = Request {
            method: &method,
            target: &target,
            body_length,
        };
        let reply = handler(&request);
        // Drop the body (small, or already refused by the handler) so the next request
        // starts where it should; a large one ends the connection instead.
        let keep = keep_alive && body_length <= super::MAX_BODY_BYTES && {
            let have = buf.len().min(body_length);
            buf.drain(..have);
            let mut rest = vec![0; body_length - have];
            stream.read_exact(&mut rest).is_ok()
        };
        let _ = version;
        write_reply(&mut stream, &reply, method == "HEAD", keep)?;
        if !keep {
            return Ok(());
        }
    }
    Ok(())
}

enum Head {
    Complete(usize),
    Closed,
    TooLarge,
    TimedOut,
}

/// Reads until `buf` holds a whole request head; its length.
fn read_head(stream: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<Head> {
    let mut started: Option<Instant> = if buf.is_empty() {
        None
    } else {
        Some(Instant::now())
    };
    let mut chunk = [0u8; 2048];
    loop {
        if let Some(end) = find_head_end(buf) {
            return Ok(Head::Complete(end));
        }
        if buf.len() > MAX_HEAD_BYTES {
            return Ok(Head::TooLarge);
        }
        // Before the first byte, the wait is the idle time; after it, what is left of the
        // head's deadline.
        let wait = match started {
            None => IDLE,
            Some(t) => match HEAD_DEADLINE.checked_sub(t.elapsed()) {
                Some(left) if !left.is_zero() => left,
                _ => return Ok(Head::TimedOut),
            },
        };
        stream.set_read_timeout(Some(wait))?;
        match stream.read(&mut chunk) {
            Ok(0) => return Ok(Head::Closed),
            Ok(n) => {
                started.get_or_insert_with(Instant::now);
                buf.extend_from_slice(&chunk[..n]);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Ok(if started.is_some() {
                    Head::TimedOut
                } else {
                    Head::Closed
                });
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return Ok(Head::Closed),
        }
    }
}

fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        414 => "URI Too Long",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    }
}

fn write_reply(
    stream: &mut TcpStream,
    reply: &Reply,
    head_only: bool,
    keep: bool,
) -> io::Result<()> {
    let mut out = Vec::with_capacity(reply.body.len() + 512);
    write!(
        out,
        "HTTP/1.1 {} {}\r\nContent-Length: {}\r\nConnection: {}\r\n",
        reply.status,
        reason(reply.status),
        reply.body.len(),
        if keep { "keep-alive" } else { "close" }
    )?;
    for (k, v) in reply.headers() {
        write!(out, "{k}: {v}\r\n")?;
    }
    out.extend_from_slice(b"\r\n");
    if !head_only {
        out.extend_from_slice(&reply.body);
    }
    stream.write_all(&out)?;
    stream.flush()
}

/// A listening socket on `addr`.
pub fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    TcpListener::bind(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_ends_at_the_blank_line() {
        assert_eq!(
            find_head_end(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nrest"),
            Some(27)
        );
        assert_eq!(find_head_end(b"GET / HTTP/1.1\r\nHost: x\r\n"), None);
    }
}

//! A scripted HTTP server on loopback for the connectors' fault tests: each request is
//! answered with the whole raw HTTP answer a handler gives for its target.

use std::sync::{Arc, Mutex};

/// A handler: the request line's target (path and query) to a whole raw HTTP answer.
pub type Handler = Arc<dyn Fn(&str) -> String + Send + Sync>;

pub fn ok_json(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// A loopback server answering each request with what `handler` says; logs each target.
pub async fn scripted(handler: Handler) -> (String, Arc<Mutex<Vec<String>>>) {
    scripted_slow(handler, 0).await
}

/// [`scripted`], each answer sent `delay_ms` late.
pub async fn scripted_slow(handler: Handler, delay_ms: u64) -> (String, Arc<Mutex<Vec<String>>>) {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let log = Arc::new(Mutex::new(Vec::new()));
    let log2 = Arc::clone(&log);
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let handler = Arc::clone(&handler);
            let log = Arc::clone(&log2);
            tokio::spawn(async move {
                let buf = read_request(&mut s).await;
                let request = String::from_utf8_lossy(&buf).to_string();
                let target = request.split(' ').nth(1).unwrap_or("/").to_string();
                log.lock().unwrap().push(target.clone());
                let answer = handler(&target);
                tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
                let _ = s.write_all(answer.as_bytes()).await;
                let _ = s.shutdown().await;
            });
        }
    });
    (base, log)
}

/// One HTTP request read from `s`: its head and the body its `Content-Length` gives (what
/// came before the connection ended, if it ended first).
pub async fn read_request(s: &mut tokio::net::TcpStream) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        let n = s.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            return buf;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return buf;
            }
        }
    }
}

/// A loopback proxy to `upstream` (`http://host:port/prefix`) that holds each request whose
/// target holds `held` until the test lets it go: the proxy's URL (with `upstream`'s prefix),
/// and where each held request's go-ahead comes (sent on, or dropped, lets it go). Each
/// request is sent on alone (`connection: close`), on a connection of its own.
pub async fn holding_proxy(
    upstream: &str,
    held: &'static str,
) -> (
    String,
    tokio::sync::mpsc::UnboundedReceiver<tokio::sync::oneshot::Sender<()>>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = upstream.trim_start_matches("http://");
    let (authority, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let authority = authority.to_string();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/{prefix}", listener.local_addr().unwrap());
    let (asked, go_aheads) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let (asked, authority) = (asked.clone(), authority.clone());
            tokio::spawn(async move {
                let request = read_request(&mut client).await;
                let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") else {
                    return;
                };
                let head = String::from_utf8_lossy(&request[..end]).to_string();
                if head.split(' ').nth(1).is_some_and(|t| t.contains(held)) {
                    let (go, gone) = tokio::sync::oneshot::channel();
                    if asked.send(go).is_ok() {
                        let _ = gone.await;
                    }
                }
                let head: Vec<&str> = head
                    .split("\r\n")
                    .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
                    .collect();
                let mut sent =
                    format!("{}\r\nconnection: close\r\n\r\n", head.join("\r\n")).into_bytes();
                sent.extend_from_slice(&request[end + 4..]);
                let Ok(mut server) = tokio::net::TcpStream::connect(&authority).await else {
                    return;
                };
                let mut answer = Vec::new();
                if server.write_all(&sent).await.is_ok()
                    && server.read_to_end(&mut answer).await.is_ok()
                {
                    let _ = client.write_all(&answer).await;
                }
                let _ = client.shutdown().await;
            });
        }
    });
    (base, go_aheads)
}

pub fn query(target: &str, name: &str) -> Option<String> {
    let q = target.split_once('?')?.1;
    q.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then(|| {
            let v = v.replace('+', " ");
            percent_decode(&v)
        })
    })
}

pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let h = u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap();
            out.push(h);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// A whole raw HTTP answer of `status` with `headers` (each ending in CRLF) and `body`.
pub fn answer(status: &str, headers: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// `answer` (a whole raw HTTP answer) as a connection dropped half-way through its body
/// leaves it when the body's length was not given: its `Content-Length` left out (the body
/// read until the connection closes) and its body cut in half.
pub fn cut_short(answer: &str) -> String {
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((answer, ""));
    let head: Vec<&str> = head
        .split("\r\n")
        .filter(|l| !l.to_ascii_lowercase().starts_with("content-length:"))
        .collect();
    let cut = body
        .char_indices()
        .nth(body.chars().count() / 2)
        .map_or(0, |(i, _)| i);
    format!("{}\r\n\r\n{}", head.join("\r\n"), &body[..cut])
}

/// `handler`, the first answer to each request whose target starts with one of `paths`
/// [`cut_short`].
pub fn cutting_once(handler: Handler, paths: &[&str]) -> Handler {
    let cut: Arc<Mutex<Vec<String>>> = Arc::default();
    let paths: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
    Arc::new(move |target: &str| {
        let answer = handler(target);
        let Some(path) = paths.iter().find(|p| target.starts_with(p.as_str())) else {
            return answer;
        };
        let mut cut = cut.lock().unwrap();
        if cut.contains(path) {
            return answer;
        }
        cut.push(path.clone());
        cut_short(&answer)
    })
}

//! A WebSocket connection that speaks the Mulin protocol and reports failures as `Err` (for load
//! tools that must keep going), plus a bare HTTP GET. Tests use it through the panicking `Client`.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use mulin_shared::{ClientMsg, ServerMsg};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async_with_config};

/// One protocol connection.
pub struct Wire {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// The protocol version from `welcome`.
    pub protocol: u32,
    /// Whether `room` pushes are returned (otherwise skipped unparsed).
    pub keep_room: bool,
}

impl Wire {
    /// Connects and reads `welcome` within `wait`.
    pub async fn open(url: &str, wait: Duration) -> Result<Wire, String> {
        // tungstenite zero-fills its read buffer up to `read_buffer_size` on every read; at the default
        // 128 KiB that memset was a tenth of a spike's CPU, at 4 KiB still a twentieth of a fan-out
        // viewer's. A room state is under 1 KiB; a longer frame is read in several chunks.
        let config = WebSocketConfig::default()
            .read_buffer_size(1024)
            .write_buffer_size(0);
        let (ws, _) = connect_async_with_config(url, Some(config), true)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        Wire::welcomed(ws, false, wait).await
    }

    /// Reads `welcome` on a fresh connection.
    async fn welcomed(
        ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
        keep_room: bool,
        wait: Duration,
    ) -> Result<Wire, String> {
        let mut wire = Wire {
            ws,
            protocol: 0,
            keep_room,
        };
        match wire.next(wait).await? {
            ServerMsg::Welcome { protocol, .. } => {
                wire.protocol = protocol;
                Ok(wire)
            }
            other => Err(format!("expected welcome, got {other:?}")),
        }
    }

    /// Connects like [`Wire::open`], but with a 4 KiB kernel receive buffer: a viewer whose phone
    /// stops reading fills it quickly, and the server's send queue behind it soon after.
    pub async fn open_small_window(url: &str, wait: Duration) -> Result<Wire, String> {
        let addr = addr_of(url)?;
        let socket = tokio::net::TcpSocket::new_v4().map_err(|e| e.to_string())?;
        socket
            .set_recv_buffer_size(4096)
            .map_err(|e| e.to_string())?;
        let stream = socket.connect(addr).await.map_err(|e| e.to_string())?;
        let config = WebSocketConfig::default().read_buffer_size(4096);
        let (ws, _) = tokio_tungstenite::client_async_with_config(
            url,
            MaybeTlsStream::Plain(stream),
            Some(config),
        )
        .await
        .map_err(|e| format!("connect: {e}"))?;
        Wire::welcomed(ws, true, wait).await
    }

    /// Sends a protocol message.
    pub async fn send(&mut self, msg: &ClientMsg) -> Result<(), String> {
        self.send_message(Message::text(msg.to_json())).await
    }

    /// Sends any WebSocket message (raw text or binary, for bad-input tests).
    pub async fn send_message(&mut self, msg: Message) -> Result<(), String> {
        self.ws.send(msg).await.map_err(|e| format!("send: {e}"))
    }

    /// The next server message within `wait` (control frames are skipped).
    pub async fn next(&mut self, wait: Duration) -> Result<ServerMsg, String> {
        self.until(wait, Some).await
    }

    /// The next protocol message, however long it takes.
    async fn next_message(&mut self) -> Result<ServerMsg, String> {
        loop {
            let frame = self
                .ws
                .next()
                .await
                .ok_or("closed")?
                .map_err(|e| format!("read: {e}"))?;
            if let Message::Text(t) = frame {
                // Buyers only wait for answers: skip the room pushes (tens of thousands a second in a
                // big spike) without parsing them, so the load tool measures the server, not itself.
                if !self.keep_room && t.as_str().starts_with(r#"{"type":"room""#) {
                    continue;
                }
                return ServerMsg::parse(t.as_str()).map_err(|e| format!("bad frame: {e}"));
            }
        }
    }

    /// The next WebSocket message as it came, control frames included, within `wait`.
    pub async fn next_message_raw(&mut self, wait: Duration) -> Result<Message, String> {
        match tokio::time::timeout(wait, self.ws.next()).await {
            Err(_) => Err("timed out".into()),
            Ok(None) => Err("closed".into()),
            Ok(Some(frame)) => frame.map_err(|e| format!("read: {e}")),
        }
    }

    /// The next text frame as it came, unparsed (control frames are skipped), for load tools that
    /// read only a few fields of each push.
    pub async fn next_text(&mut self) -> Result<tokio_tungstenite::tungstenite::Utf8Bytes, String> {
        loop {
            match self.ws.next().await.ok_or("closed")? {
                Ok(Message::Text(t)) => return Ok(t),
                Ok(Message::Close(_)) => return Err("closed".into()),
                Ok(_) => continue,
                Err(e) => return Err(format!("read: {e}")),
            }
        }
    }

    /// Reads until `pick` accepts a message, for at most `wait` in all (one timer for the whole
    /// wait, not one per frame: the spike reads a few hundred thousand frames a second).
    pub async fn until<T>(
        &mut self,
        wait: Duration,
        mut pick: impl FnMut(ServerMsg) -> Option<T>,
    ) -> Result<T, String> {
        let deadline = tokio::time::sleep(wait);
        tokio::pin!(deadline);
        loop {
            let message = tokio::select! {
                biased;
                message = self.next_message() => message?,
                () = &mut deadline => return Err("timed out".into()),
            };
            if let Some(found) = pick(message) {
                return Ok(found);
            }
        }
    }

    /// Whether the server closes this connection within `wait` (anything still queued is discarded).
    pub async fn is_closed(&mut self, wait: Duration) -> bool {
        loop {
            match tokio::time::timeout(wait, self.ws.next()).await {
                Err(_) => return false,
                Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Message::Close(_)))) => return true,
                Ok(Some(Ok(_))) => continue,
            }
        }
    }
}

/// The address of a `ws://IP:PORT/…` URL (an IP address: the load tools do not look names up).
pub fn addr_of(url: &str) -> Result<SocketAddr, String> {
    (url.strip_prefix("ws://"))
        .and_then(|rest| rest.split('/').next())
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| format!("the URL must look like ws://IP:PORT/ws, not {url:?}"))
}

/// A bare HTTP/1.1 GET over TCP, returning the whole response (status line, headers, body): enough
/// for the JSON endpoints, without another HTTP client dependency.
pub async fn http_get(addr: SocketAddr, path: &str) -> Result<String, String> {
    let r = http_request(addr, "GET", path, &[], &[]).await?;
    Ok(format!(
        "{}\r\n\r\n{}",
        r.head,
        String::from_utf8_lossy(&r.body)
    ))
}

/// An HTTP response, read whole.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Status line and headers, as sent.
    pub head: String,
    /// The body's bytes.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A header's value (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    /// The body as sent before its `Content-Encoding` (br or gzip), or an error if it does not
    /// decode.
    pub fn decoded(&self) -> Result<Vec<u8>, String> {
        use std::io::Read;
        let mut out = Vec::new();
        match self.header("content-encoding") {
            None => out.clone_from(&self.body),
            Some("br") => {
                brotli_decompressor::Decompressor::new(&self.body[..], 4096)
                    .read_to_end(&mut out)
                    .map_err(|e| format!("brotli: {e}"))?;
            }
            Some("gzip") => {
                flate2::read::GzDecoder::new(&self.body[..])
                    .read_to_end(&mut out)
                    .map_err(|e| format!("gzip: {e}"))?;
            }
            Some(other) => return Err(format!("unexpected content-encoding {other}")),
        }
        Ok(out)
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// A bare HTTP/1.1 request over TCP with extra `headers` and a `body`.
pub async fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<HttpResponse, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    // The server may answer (and close) before taking a body it refuses: that is not a failure.
    let _ = stream.write_all(body).await;
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .await
        .map_err(|e| e.to_string())?;
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no end of headers")?;
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("no status")?;
    let mut answer = HttpResponse {
        status,
        head,
        body: response[split + 4..].to_vec(),
    };
    if answer
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        answer.body = dechunk(&answer.body)?;
    }
    Ok(answer)
}

/// The payload of a `Transfer-Encoding: chunked` body.
fn dechunk(mut body: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("a chunk without its size line")?;
        let size = std::str::from_utf8(&body[..line_end]).map_err(|e| e.to_string())?;
        let size = size.split(';').next().unwrap_or_default().trim();
        let size =
            usize::from_str_radix(size, 16).map_err(|e| format!("chunk size {size:?}: {e}"))?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = body.get(..size).ok_or("a chunk cut short")?;
        out.extend_from_slice(chunk);
        body = body.get(size + 2..).ok_or("a chunk without its end")?;
    }
}

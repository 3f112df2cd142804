//! hyper answers a request it cannot parse (a malformed head, an address over 64 KiB, header fields
//! past its buffer) by itself, with an empty body, before any of our code sees the request: there
//! is no hook for it. The protocol promises every HTTP error as `{"error","message"}` JSON, so the
//! connection's I/O recognises such an answer as hyper writes it and sends the JSON one instead.
//!
//! What it recognises is narrow: a whole response head, written at once, of status 400, 414 or 431
//! with `content-length: 0`. Our own error answers always carry a JSON body, a WebSocket frame
//! never starts with `HTTP/`, and a body is never written in the same call as its head with a zero
//! length, so nothing else can match.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use mulin_shared::ErrorCode;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Longest head hyper writes for a parse error (status line, date, content length, connection).
const MAX_ERROR_HEAD: usize = 256;

/// An HTTP connection's I/O that turns hyper's own bodiless error answers into JSON ones.
#[derive(Debug)]
pub(super) struct JsonParseErrors<T> {
    inner: T,
    /// The JSON answer being written in place of hyper's, and how much of it is written.
    replacing: Option<(Vec<u8>, usize)>,
}

impl<T> JsonParseErrors<T> {
    pub(super) fn new(inner: T) -> Self {
        JsonParseErrors {
            inner,
            replacing: None,
        }
    }
}

/// The JSON answer for hyper's head `buf`, if `buf` is one of its parse-error answers.
fn replacement(buf: &[u8]) -> Option<Vec<u8>> {
    if buf.len() > MAX_ERROR_HEAD || !buf.starts_with(b"HTTP/1.1 4") || !buf.ends_with(b"\r\n\r\n")
    {
        return None;
    }
    let head = std::str::from_utf8(buf).ok()?.to_ascii_lowercase();
    if !head.contains("\r\ncontent-length: 0\r\n") {
        return None;
    }
    let (status, code, message) = match &head[9..12] {
        "400" => (
            "400 Bad Request",
            ErrorCode::BadRequest,
            "not a well-formed HTTP/1.1 request",
        ),
        "414" => (
            "414 URI Too Long",
            ErrorCode::UriTooLong,
            "the request's address is too long",
        ),
        "431" => (
            "431 Request Header Fields Too Large",
            ErrorCode::HeadersTooLarge,
            "the request's header fields are too large",
        ),
        _ => return None,
    };
    let body = serde_json::json!({ "error": code, "message": message }).to_string();
    Some(
        format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

impl<T: AsyncWrite + Unpin> JsonParseErrors<T> {
    /// Writes the replacement until done; then tells hyper its own `len` bytes were written.
    fn poll_replacing(&mut self, cx: &mut Context<'_>, len: usize) -> Poll<io::Result<usize>> {
        while let Some((bytes, written)) = &mut self.replacing {
            if *written == bytes.len() {
                self.replacing = None;
                return Poll::Ready(Ok(len));
            }
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
        }
        Poll::Ready(Ok(len))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for JsonParseErrors<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for JsonParseErrors<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.replacing.is_none()
            && let Some(json) = replacement(buf)
        {
            self.replacing = Some((json, 0));
        }
        if self.replacing.is_some() {
            return self.poll_replacing(cx, buf.len());
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        // hyper writes an error head alone: one slice with bytes.
        let mut filled = bufs.iter().filter(|b| !b.is_empty());
        if let (Some(only), None) = (filled.next(), filled.next())
            && (self.replacing.is_some() || replacement(only).is_some())
        {
            return self.poll_write(cx, only);
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::replacement;

    #[test]
    fn only_hypers_bodiless_error_heads_are_replaced() {
        let hyper = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: Thu, 03 Dec 2026 10:00:00 GMT\r\n\r\n";
        let json = String::from_utf8(replacement(hyper).expect("replaced")).expect("utf-8");
        assert!(json.starts_with("HTTP/1.1 431 "), "{json}");
        assert!(json.ends_with(r#"{"error":"headers_too_large","message":"the request's header fields are too large"}"#), "{json}");
        let uri = b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 0\r\n\r\n";
        assert!(replacement(uri).is_some());
        for kept in [
            &b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"[..],
            b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 40\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
            b"\x81\x05HTTP/",
        ] {
            assert!(replacement(kept).is_none(), "{}", String::from_utf8_lossy(kept));
        }
    }
}

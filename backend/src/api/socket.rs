//! The server's TCP side: accepting connections, and a handle on each connection's socket that the
//! room's delivery can write a state to directly, beside the WebSocket that owns the connection.
//!
//! Why: a room state goes to thousands of sockets per change. Through the WebSocket's sink, each
//! write framed the message into the connection's own buffer and went through the sink's lock and
//! hyper's upgraded stream: half of the server's own (user-space) CPU in a 10,000-viewer fan-out.
//! Written straight to the socket, the state framed once and shared, that half is gone.
//! `api::session` decides when such a write is safe (nothing of the WebSocket's own half-written).

use std::io::{self, IoSlice};
use std::net::Shutdown;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// Kernel send buffer per connection, in bytes: a few seconds of room states for a viewer.
const SEND_BUFFER: usize = 64 * 1024;

/// Accepts connections (with axum's retries), sets them up for small frames, and hands each one's
/// [`Socket`] to hyper and, as `ConnectInfo<Socket>`, to the request.
pub(super) struct Listener(pub(super) TcpListener);

impl axum::serve::Listener for Listener {
    type Io = Socket;
    type Addr = Socket;

    async fn accept(&mut self) -> (Socket, Socket) {
        // axum's own accept retries failures (too many open files, aborted handshakes) after a
        // pause, so this one never errs.
        let (tcp, _) = axum::serve::Listener::accept(&mut self.0).await;
        // Frames are small and must leave at once (a stock change, an order's answer): no Nagle.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY not set");
        }
        // A viewer that stops reading may leave at most this much queued in the kernel (left to
        // autotuning, up to 4 MiB each); beyond it the writer's send timeout takes over.
        if let Err(e) = socket2::SockRef::from(&tcp).set_send_buffer_size(SEND_BUFFER) {
            tracing::debug!(error = %e, "SO_SNDBUF not set");
        }
        let socket = Socket::new(Arc::new(tcp));
        (socket.clone(), socket)
    }

    /// A listener has no connection of its own to give: ask the `TcpListener` for its address.
    /// (`start` takes the address before serving.)
    fn local_addr(&self) -> io::Result<Socket> {
        Err(io::Error::other("a listener has no socket of a connection"))
    }
}

/// A connection's socket, shared by hyper (and the WebSocket after the upgrade) and writes past
/// them. Every call goes through `&TcpStream`, whose non-blocking calls need no exclusive access;
/// which writer may write when is the owner's to decide (for Mulin Live, `api::session`'s).
#[derive(Clone, Debug)]
pub struct Socket(Arc<TcpStream>);

impl Socket {
    /// Wraps a connected stream.
    pub fn new(tcp: Arc<TcpStream>) -> Socket {
        Socket(tcp)
    }

    /// The stream, for writes past the reader and writer that own this socket.
    pub fn stream(&self) -> &Arc<TcpStream> {
        &self.0
    }

    /// Polls `write` until the socket takes something or fails; a write that finds the socket full
    /// clears its readiness, so the next poll waits for room.
    fn poll_write_with(
        &self,
        cx: &mut Context<'_>,
        mut write: impl FnMut(&TcpStream) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.0.poll_write_ready(cx))?;
            match write(&self.0) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                other => return Poll::Ready(other),
            }
        }
    }
}

impl AsyncRead for Socket {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            ready!(self.0.poll_read_ready(cx))?;
            match self.0.try_read(buf.initialize_unfilled()) {
                Ok(n) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                // Readiness was stale: the failed read cleared it, so the next poll waits.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

impl AsyncWrite for Socket {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_with(cx, |tcp| tcp.try_write(buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_with(cx, |tcp| tcp.try_write_vectored(bufs))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Nothing is buffered here.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        // As tokio's own `TcpStream` does: the write side only.
        Poll::Ready(socket2::SockRef::from(&*self.0).shutdown(Shutdown::Write))
    }
}

/// The header of an unmasked, final text frame carrying `len` bytes (RFC 6455, 5.2): what a
/// server puts before a message it writes as one frame.
pub(super) fn text_frame_header(len: usize) -> ([u8; 10], usize) {
    let mut header = [0u8; 10];
    header[0] = 0x81;
    let used = if len < 126 {
        header[1] = len as u8;
        2
    } else if let Ok(len) = u16::try_from(len) {
        header[1] = 126;
        header[2..4].copy_from_slice(&len.to_be_bytes());
        4
    } else {
        header[1] = 127;
        header[2..10].copy_from_slice(&(len as u64).to_be_bytes());
        10
    };
    (header, used)
}

#[cfg(test)]
mod tests {
    use super::text_frame_header;

    fn header(len: usize) -> Vec<u8> {
        let (bytes, used) = text_frame_header(len);
        bytes[..used].to_vec()
    }

    #[test]
    fn lengths_take_the_shortest_form() {
        assert_eq!(header(0), [0x81, 0]);
        assert_eq!(header(125), [0x81, 125]);
        assert_eq!(header(126), [0x81, 126, 0, 126]);
        assert_eq!(header(65_535), [0x81, 126, 0xff, 0xff]);
        assert_eq!(header(65_536), [0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
    }
}

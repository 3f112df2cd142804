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

use axum::extract::connect_info::Connected;
use axum::serve::IncomingStream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// Kernel send buffer per connection, in bytes: a few seconds of room states for a viewer.
const SEND_BUFFER: usize = 64 * 1024;

/// Accepts connections for `axum::serve`, sets them up for small frames, and hands each one's
/// socket to the request as [`Accepted`].
pub(super) struct Listener(pub(super) TcpListener);

impl axum::serve::Listener for Listener {
    type Io = Socket;
    type Addr = Accepted;

    async fn accept(&mut self) -> (Socket, Accepted) {
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
        let socket = Socket(Arc::new(tcp));
        let accepted = Accepted {
            socket: Some(socket.0.clone()),
        };
        (socket, accepted)
    }

    fn local_addr(&self) -> io::Result<Accepted> {
        self.0.local_addr().map(|_| Accepted { socket: None })
    }
}

/// A connection as accepted, for handlers (`ConnectInfo<Accepted>`).
#[derive(Clone, Debug)]
pub(super) struct Accepted {
    /// The connection's socket; `None` only for the listener's own address.
    pub(super) socket: Option<Arc<TcpStream>>,
}

impl Connected<IncomingStream<'_, Listener>> for Accepted {
    fn connect_info(stream: IncomingStream<'_, Listener>) -> Accepted {
        stream.remote_addr().clone()
    }
}

/// A connection's socket, shared by hyper (and the WebSocket after the upgrade) and the room's
/// direct writes. Every call goes through `&TcpStream`, whose non-blocking calls need no exclusive
/// access; which writer may write when is `api::session`'s to decide.
pub(super) struct Socket(Arc<TcpStream>);

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
        loop {
            ready!(self.0.poll_write_ready(cx))?;
            match self.0.try_write(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                other => return Poll::Ready(other),
            }
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.0.poll_write_ready(cx))?;
            match self.0.try_write_vectored(bufs) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                other => return Poll::Ready(other),
            }
        }
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

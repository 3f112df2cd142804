//! A connection's sending side: the socket, what was written to it, and room states written
//! straight to it by the room's delivery tasks (past the WebSocket, framed once per state).

use std::cell::RefCell;
use std::io;
use std::pin::pin;
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::task::{Context, Poll, Waker, ready};

use axum::body::Bytes;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket};
use futures_util::SinkExt;
use futures_util::stream::SplitSink;
use mulin_shared::ShowId;
use tokio::net::TcpStream;
use tokio::sync::{Notify, Semaphore};

use super::IN_FLIGHT;
use crate::api::socket;
use crate::live::{Frame, Screen, Snapshot};

/// A connection's sending side, shared by its writer task and the room's delivery tasks: the room
/// writes a new state straight to the socket when the socket is free (see `live::room`); the writer
/// writes everything else, and the state whenever the room could not.
pub(super) struct Outlet {
    pub(super) line: Mutex<Line>,
    /// Wakes the writer to send the room's newest state itself.
    pub(super) nudge: Notify,
    /// The connection's purchase slots: fewer available than [`IN_FLIGHT`] means an answer is due,
    /// and the writer decides when the state goes out (see [`Writer::settle_room_state`]).
    pub(super) slots: Arc<Semaphore>,
    /// The connection's socket, for room states written past the WebSocket (see [`Line::direct`]).
    pub(super) socket: Arc<TcpStream>,
    /// Told when the writer has written the rest of a state the room wrote straight to the socket.
    pub(super) drained: Notify,
}

/// The socket and what was written to it.
pub(super) struct Line {
    pub(super) sink: SplitSink<WebSocket, Message>,
    /// The followed show and the newest version of its state written.
    pub(super) shown: Option<(ShowId, u64)>,
    /// The catalogue version the client holds, or will once the queued frames are written.
    pub(super) catalogue: u64,
    /// The writer has frames under way (queued, or not yet taken by the socket): the room leaves
    /// the socket to it, so that frames keep their order and a full socket gets no more.
    pub(super) busy: bool,
    /// The socket failed or the connection is ending: nothing more is written.
    pub(super) closed: bool,
    /// Room states may be written straight to the socket, past the WebSocket, when the line is not
    /// busy: then the WebSocket has nothing half-written, and the line's lock keeps its writes out
    /// meanwhile. Off for good once the client sends a WebSocket ping, as the WebSocket's reading
    /// side then writes the pong itself, outside the lock ([`Outlet::end_direct`]; browsers never
    /// send one, the protocol's own `ping` being a text message).
    pub(super) direct: bool,
    /// What the socket did not take of a state written straight to it: the writer sends it before
    /// anything else.
    pub(super) rest: Option<Bytes>,
}

impl Outlet {
    pub(super) fn lock(&self) -> MutexGuard<'_, Line> {
        // Every change to the line is a single assignment: it stays whole even if a holder panicked.
        self.line.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stops room states going straight to the socket, and waits until the rest of one that went
    /// so is written: the WebSocket answers a client's ping on its next read, past the line's lock,
    /// and the pong must not land inside a state.
    pub(super) async fn end_direct(&self) {
        loop {
            let mut drained = pin!(self.drained.notified());
            drained.as_mut().enable();
            {
                let mut line = self.lock();
                line.direct = false;
                if line.rest.is_none() || line.closed {
                    return;
                }
            }
            drained.await;
        }
    }
}

impl Line {
    /// Whether version `version` of `show`'s state is to be written: the client follows that show
    /// and, unless `always`, has not been given that version or a newer one.
    pub(super) fn due(&self, show: ShowId, version: u64, always: bool) -> bool {
        self.shown
            .is_some_and(|(s, v)| s == show && (always || version > v))
    }

    /// Whether the socket takes a frame now; `false` once the line is closed (an error closes it).
    pub(super) fn ready(&mut self, cx: &mut Context<'_>) -> Poll<bool> {
        if self.closed {
            return Poll::Ready(false);
        }
        let ready = ready!(self.sink.poll_ready_unpin(cx)).is_ok();
        self.closed |= !ready;
        Poll::Ready(ready)
    }

    /// Queues a frame after [`Line::ready`] said yes; a room state (`state`: show and version)
    /// moves `shown` on. `false` if the socket failed, which closes the line.
    pub(super) fn put(&mut self, message: Message, state: Option<(ShowId, u64)>) -> bool {
        if let Some((show, version)) = state {
            self.show(show, version);
        }
        let queued = self.sink.start_send_unpin(message).is_ok();
        self.closed |= !queued;
        queued
    }

    /// Notes that version `version` of `show`'s state went out (or is going, all of it, in order).
    pub(super) fn show(&mut self, show: ShowId, version: u64) {
        let newest = self.shown.map_or(version, |(_, v)| v.max(version));
        self.shown = Some((show, newest));
    }

    /// Writes `snapshot` straight to `socket` as one text frame, when [`Line::direct`] allows and
    /// the line is not busy: `true` if the socket took all of it. If it took only part, the state
    /// counts as sent and the rest is left to the writer (the line is busy until it is written);
    /// if it took nothing, the state is the writer's to send. An error closes the line.
    pub(super) fn write_direct(&mut self, socket: &TcpStream, snapshot: &Snapshot) -> bool {
        let framed = framed_state(snapshot);
        match socket.try_write(&framed) {
            Ok(0) => false,
            Ok(n) => {
                self.show(snapshot.show, snapshot.version);
                if n < framed.len() {
                    self.rest = Some(framed.slice(n..));
                    self.busy = true;
                }
                n == framed.len()
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => false,
            Err(_) => {
                self.closed = true;
                false
            }
        }
    }

    /// Writes what the socket did not take of a state written straight to it: `true` once nothing
    /// is left. An error closes the line.
    pub(super) fn write_rest(&mut self, cx: &mut Context<'_>, socket: &TcpStream) -> Poll<bool> {
        while let Some(rest) = &mut self.rest {
            if ready!(socket.poll_write_ready(cx)).is_err() {
                self.closed = true;
                break;
            }
            match socket.try_write(rest) {
                Ok(n) if n == rest.len() => self.rest = None,
                Ok(n) => drop(rest.split_to(n)),
                // Readiness was stale; the failed write cleared it, so the next poll waits.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => {
                    self.closed = true;
                    break;
                }
            }
        }
        Poll::Ready(!self.closed)
    }

    /// Pushes the queued frames into the socket: `true` once it has taken them all, and the line is
    /// free again; while it cannot, the line stays busy. An error closes the line.
    pub(super) fn push(&mut self, cx: &mut Context<'_>) -> Poll<bool> {
        let pushed = self.sink.poll_flush_unpin(cx);
        self.busy = pushed.is_pending();
        let Poll::Ready(result) = pushed else {
            return Poll::Pending;
        };
        self.closed |= result.is_err();
        Poll::Ready(result.is_ok())
    }
}

impl Screen for Outlet {
    fn offer(&self, snapshot: &Snapshot) -> bool {
        // The writer holds the line only while polling the socket; if it is there now, it is
        // sending, and the nudge makes it look at the newest state afterwards.
        let mut guard = match self.line.try_lock() {
            Ok(line) => line,
            Err(TryLockError::Poisoned(e)) => e.into_inner(),
            Err(TryLockError::WouldBlock) => {
                self.nudge.notify_one();
                return true;
            }
        };
        let line = &mut *guard;
        let (show, version) = (snapshot.show, snapshot.version);
        if line.closed || !line.due(show, version, true) {
            return false;
        }
        if !line.due(show, version, false) {
            return true;
        }
        // A socket the writer is using, a client without this state's catalogue, or one waiting
        // for a purchase's answer is the writer's to serve. Otherwise the state is written here,
        // straight to the socket where allowed (see [`Line::direct`]: the frame built once, one
        // write, no framing or copy per viewer), else through the WebSocket polled without a waker.
        // If the socket cannot take it now, the writer takes over (with its own waker and
        // deadline) instead of the room waiting.
        let mut cx = Context::from_waker(Waker::noop());
        let written = !line.busy
            && snapshot.catalogue <= line.catalogue
            && self.slots.available_permits() == IN_FLIGHT
            && if line.direct {
                line.write_direct(&self.socket, snapshot)
            } else {
                line.ready(&mut cx) == Poll::Ready(true)
                    && line.put(state_message(snapshot), Some((show, version)))
                    && line.push(&mut cx) == Poll::Ready(true)
            };
        let open = !line.closed;
        drop(guard);
        if !written {
            self.nudge.notify_one();
        }
        open
    }
}

pub(super) fn text(frame: Frame) -> Message {
    Message::Text(utf8(frame))
}

pub(super) fn utf8(frame: Frame) -> Utf8Bytes {
    // Every frame is serialized JSON, so this never fails; an empty frame is skipped by the client.
    Utf8Bytes::try_from(frame).unwrap_or_else(|_| Utf8Bytes::from_static("{}"))
}

/// `snapshot`'s state as a whole WebSocket frame (written straight to sockets).
pub(super) fn framed_state(snapshot: &Snapshot) -> Bytes {
    with_prepared(snapshot, |prepared| prepared.framed.clone())
}

/// `snapshot`'s state as a message for the WebSocket.
pub(super) fn state_message(snapshot: &Snapshot) -> Message {
    with_prepared(snapshot, |prepared| Message::Text(prepared.text.clone()))
}

/// A room state made ready for the sockets: checked to be UTF-8 (a pass over it) and framed (a
/// copy). A delivery round gives one state to a few hundred connections, so each thread prepares a
/// state once, not once per viewer.
pub(super) struct Prepared {
    /// The state's own bytes (not a copy): while held, no other state can be at their address, so
    /// the address tells whether the state at hand is this one.
    text: Utf8Bytes,
    framed: Bytes,
}

pub(super) fn with_prepared<T>(snapshot: &Snapshot, use_it: impl FnOnce(&Prepared) -> T) -> T {
    thread_local! {
        static LAST: RefCell<Option<Prepared>> = const { RefCell::new(None) };
    }
    let frame = &snapshot.frame;
    LAST.with_borrow_mut(|last| match last {
        Some(prepared)
            if prepared.text.as_str().as_ptr() == frame.as_ptr()
                && prepared.text.len() == frame.len() =>
        {
            use_it(prepared)
        }
        _ => {
            let (header, used) = socket::text_frame_header(frame.len());
            let mut framed = Vec::with_capacity(used + frame.len());
            framed.extend_from_slice(&header[..used]);
            framed.extend_from_slice(frame);
            use_it(last.insert(Prepared {
                text: utf8(frame.clone()),
                framed: framed.into(),
            }))
        }
    })
}

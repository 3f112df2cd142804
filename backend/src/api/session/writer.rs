//! The connection's writer task: replies, purchase answers, events, heartbeats, and the room state
//! when the room could not write it itself.

use std::future::poll_fn;
use std::pin::pin;
use std::sync::{Arc, Weak};
use std::task::{Poll, ready};

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message};
use futures_util::{SinkExt, StreamExt};
use mulin_shared::{ResidentId, ServerMsg, ShowId};
use tokio::sync::mpsc;
use tokio::time::timeout;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use super::outlet::{Outlet, state_message, text};
use super::{IN_FLIGHT, SEND_TIMEOUT, frame};
use crate::live::{Answer, Decision, Frame, Inbox, Room, Screen, Snapshot};

/// What the reader hands the writer.
pub(super) enum Outgoing {
    Frame(Frame),
    /// Start following a room (replacing any room followed before).
    Follow {
        room: Arc<Room>,
        staff: bool,
        /// The signed-in resident, who hears of their own orders cancelled elsewhere.
        resident: Option<ResidentId>,
        /// The catalogue version the client holds; a newer one is sent before the next state.
        catalogue: u64,
    },
    /// Heartbeat: send a ping.
    Ping,
    /// Shutting down, or the client went silent: send a close frame and end.
    Close,
    /// The client broke the protocol: send a close frame with this code and reason, and end.
    Refuse(u16, &'static str),
}

/// A frame queued by the writer.
pub(super) enum Out {
    Frame(Message),
    /// A room state: written only if it is newer than what the socket was last given (the room
    /// may have written a newer one meanwhile), unless `always`.
    State {
        show: ShowId,
        version: u64,
        always: bool,
        message: Message,
    },
}

/// Sends replies, purchase answers, events, heartbeats, and the room state when the room could
/// not write it itself. It gathers every frame that is ready and flushes once, so a busy connection
/// costs one write per wake-up rather than one per frame.
pub(super) struct Writer {
    outlet: Arc<Outlet>,
    /// The newest room state seen in this wake-up, and one held back from the last.
    offered: Option<Snapshot>,
    held: Option<Snapshot>,
    /// The followed room's events.
    events: Option<BroadcastStream<Frame>>,
    /// Order events, for staff.
    staff: Option<BroadcastStream<Frame>>,
    /// Frames for single residents of the show and whom they are for, for a signed-in resident.
    personal: Option<Inbox>,
    /// The followed room, for its newest state and its whole order list after a gap.
    followed: Option<Arc<Room>>,
    ready: Vec<Out>,
    /// Shutting down: the loop ends after this write.
    closing: bool,
}

impl Writer {
    pub(super) fn new(outlet: Arc<Outlet>) -> Writer {
        Writer {
            outlet,
            offered: None,
            held: None,
            events: None,
            staff: None,
            personal: None,
            followed: None,
            ready: Vec::new(),
            closing: false,
        }
    }

    pub(super) async fn run(
        mut self,
        mut outbox: mpsc::Receiver<Outgoing>,
        mut answers: mpsc::UnboundedReceiver<Box<Answer>>,
    ) {
        let outlet = self.outlet.clone();
        let mut failed = false;
        while !self.closing {
            // Biased: the common wake-ups are checked first, and a ready branch stops the polling.
            // A nudge (the room could not write a state) was polled after the replies and answers
            // and found them empty just now, so it skips the sweep.
            let following = self.followed.is_some();
            let nudged = tokio::select! {
                biased;
                Some(answer) = answers.recv() => { self.answer(*answer); false }
                next = outbox.recv() => match next {
                    Some(out) => { self.take(out); false }
                    None => break,
                },
                () = outlet.nudge.notified(), if following => true,
                Some(event) = next_of(&mut self.events) => { self.room_event(event); false }
                Some(event) = next_of(&mut self.staff) => { self.staff_event(event); false }
                Some(frame) = next_personal(&mut self.personal) => { self.ready.push(Out::Frame(text(frame))); false }
            };
            if !nudged {
                // Whatever else is ready rides along in the same write.
                while let Ok(out) = outbox.try_recv() {
                    self.take(out);
                }
                while let Ok(answer) = answers.try_recv() {
                    self.answer(*answer);
                }
            }
            if let Some(room) = &self.followed {
                let newest = room.current();
                self.room_state(newest);
            }
            self.settle_room_state();
            if (!self.ready.is_empty() || outlet.lock().busy) && !self.flush().await {
                failed = true;
                break;
            }
        }
        let half_written = {
            let mut line = outlet.lock();
            line.closed = true;
            line.rest.is_some()
        };
        // A close frame after half a state would be read as part of it.
        if !failed && !half_written {
            // A close frame, if the socket still takes one in time.
            let close = poll_fn(|cx| outlet.lock().sink.poll_close_unpin(cx));
            let _ = timeout(SEND_TIMEOUT, close).await;
        }
    }

    pub(super) fn take(&mut self, out: Outgoing) {
        match out {
            Outgoing::Frame(f) => self.ready.push(Out::Frame(text(f))),
            Outgoing::Close => self.closing = true,
            Outgoing::Refuse(code, reason) => {
                let close = CloseFrame {
                    code,
                    reason: reason.into(),
                };
                self.ready.push(Out::Frame(Message::Close(Some(close))));
                self.closing = true;
            }
            Outgoing::Ping => self.ready.push(Out::Frame(Message::Ping(Bytes::new()))),
            Outgoing::Follow {
                room,
                staff,
                resident,
                catalogue,
            } => {
                {
                    let mut line = self.outlet.lock();
                    // Following the same show again (after a sign-in), the client still holds
                    // what this connection sent it.
                    let same = line.shown.is_some_and(|(show, _)| show == room.show());
                    line.catalogue = if same {
                        line.catalogue.max(catalogue)
                    } else {
                        catalogue
                    };
                    // The current state goes out again, after the frames queued before it (the
                    // catalogue above all): until they are written, the room leaves the socket be.
                    line.shown = Some((room.show(), 0));
                    line.busy = true;
                }
                if !self
                    .followed
                    .as_ref()
                    .is_some_and(|r| Arc::ptr_eq(r, &room))
                {
                    let screen: Weak<dyn Screen> = Arc::downgrade(&self.outlet) as _;
                    room.watch(screen);
                }
                self.held = None;
                self.events = Some(BroadcastStream::new(room.subscribe_events()));
                self.staff = staff.then(|| BroadcastStream::new(room.subscribe_orders()));
                self.personal = resident.map(|r| room.resident_inbox(r));
                self.followed = Some(room);
            }
        }
    }

    pub(super) fn answer(&mut self, answer: Answer) {
        let msg = match answer.result {
            Ok(Decision::Accepted(order)) => ServerMsg::OrderAccepted {
                key: answer.key,
                order: match &self.followed {
                    Some(room) => room.sealed(order),
                    None => order,
                },
            },
            Ok(Decision::Refused {
                reason,
                remaining,
                held,
            }) => ServerMsg::OrderRefused {
                key: answer.key,
                reason,
                remaining,
                held,
            },
            Err(e) => ServerMsg::error_for(Some(answer.key), e.code(), e.to_string()),
        };
        self.ready.push(Out::Frame(text(frame(&msg))));
        if let Some(snapshot) = answer.room {
            self.room_state(snapshot);
        }
    }

    /// Offers a room state for this wake-up's write, unless it is not newer than what was offered
    /// or written (or belongs to a show no longer followed).
    pub(super) fn room_state(&mut self, snapshot: Snapshot) {
        let due = self
            .outlet
            .lock()
            .due(snapshot.show, snapshot.version, false);
        if due
            && self
                .offered
                .as_ref()
                .is_none_or(|o| snapshot.version > o.version)
        {
            self.offered = Some(snapshot);
        }
    }

    /// Decides whether the newest room state goes out in this write. A push alone costs a frame and
    /// a send; while this connection waits for a purchase's answer (which carries the state its
    /// batch produced), one push is held back and rides with the answer. Never two: a second new
    /// state, any other frame, or the answer itself sends the newest at once.
    pub(super) fn settle_room_state(&mut self) {
        let offered = self.offered.take();
        let held = self.held.take();
        let waiting = self.outlet.slots.available_permits() < IN_FLIGHT;
        let snapshot = match (offered, held) {
            (Some(new), None) if self.ready.is_empty() && waiting => {
                self.held = Some(new);
                return;
            }
            (Some(new), _) => new,
            (None, Some(held)) if self.ready.is_empty() && waiting => {
                self.held = Some(held);
                return;
            }
            (None, Some(held)) => held,
            (None, None) => return,
        };
        self.send_state(snapshot, false);
    }

    /// Queues a room state of the followed show, after the new catalogue if the client's is older;
    /// `always` even if that version was written before.
    pub(super) fn send_state(&mut self, snapshot: Snapshot, always: bool) {
        let mut line = self.outlet.lock();
        if !line.due(snapshot.show, snapshot.version, always) {
            return;
        }
        if snapshot.catalogue > line.catalogue
            && let Some(room) = &self.followed
        {
            let (version, info) = room.info();
            line.catalogue = version;
            // The room must not write a state that needs this catalogue before it is written.
            line.busy = true;
            self.ready.push(Out::Frame(text(info)));
        }
        drop(line);
        self.ready.push(Out::State {
            show: snapshot.show,
            version: snapshot.version,
            always,
            message: state_message(&snapshot),
        });
    }

    /// A viewer who fell behind on events gets the current room state (which includes them) instead
    /// of a silent gap, even if that version was sent before: it tells the client the latest `seq`.
    pub(super) fn room_event(&mut self, event: Result<Frame, BroadcastStreamRecvError>) {
        match (event, &self.followed) {
            (Ok(f), _) => self.ready.push(Out::Frame(text(f))),
            (Err(BroadcastStreamRecvError::Lagged(_)), Some(room)) => {
                let snapshot = room.current();
                self.send_state(snapshot, true);
            }
            (Err(_), _) => {}
        }
    }

    /// A staff member who fell behind gets the whole recent list instead of a silent gap, and the
    /// control room's current figures (the ones in the gap are lost with it; in a spike's flood of
    /// order events that was every one of them).
    pub(super) fn staff_event(&mut self, event: Result<Frame, BroadcastStreamRecvError>) {
        match (event, &self.followed) {
            (Ok(f), _) => self.ready.push(Out::Frame(text(f))),
            (Err(BroadcastStreamRecvError::Lagged(_)), Some(room)) => {
                self.ready.push(Out::Frame(text(room.orders_frame())));
                self.ready.push(Out::Frame(text(room.pulse_frame())));
            }
            (Err(_), None) => {}
        }
    }

    /// Writes everything queued, and whatever the room left unfinished; `false` when the socket
    /// failed or stayed full for [`SEND_TIMEOUT`].
    pub(super) async fn flush(&mut self) -> bool {
        let outlet = self.outlet.clone();
        let mut queue = self.ready.drain(..).peekable();
        let mut send = pin!(poll_fn(move |cx| {
            let mut line = outlet.lock();
            line.busy = true;
            // The rest of a state the room wrote straight to the socket goes first.
            let had_rest = line.rest.is_some();
            if !ready!(line.write_rest(cx, &outlet.socket)) {
                return Poll::Ready(false);
            }
            if had_rest {
                outlet.drained.notify_waiters();
            }
            while let Some(next) = queue.peek() {
                // The room may have written a newer state since this one was queued.
                if let Out::State {
                    show,
                    version,
                    always,
                    ..
                } = next
                    && !line.due(*show, *version, *always)
                {
                    queue.next();
                    continue;
                }
                if !ready!(line.ready(cx)) {
                    return Poll::Ready(false);
                }
                let (message, state) = match queue.next() {
                    Some(Out::Frame(message)) => (message, None),
                    Some(Out::State {
                        show,
                        version,
                        message,
                        ..
                    }) => (message, Some((show, version))),
                    None => break,
                };
                if !line.put(message, state) {
                    return Poll::Ready(false);
                }
            }
            if line.closed {
                return Poll::Ready(false);
            }
            line.push(cx)
        }));
        // Nearly always the socket takes it at once: only then is no timer needed.
        match poll_fn(|cx| Poll::Ready(send.as_mut().poll(cx))).await {
            Poll::Ready(sent) => sent,
            Poll::Pending => timeout(SEND_TIMEOUT, send).await.unwrap_or(false),
        }
    }
}

/// The next frame for the signed-in resident; pending forever when there is none.
pub(super) async fn next_personal(inbox: &mut Option<Inbox>) -> Option<Frame> {
    let frame = match inbox {
        Some(i) => i.recv().await,
        None => return std::future::pending().await,
    };
    if frame.is_none() {
        *inbox = None;
    }
    frame
}

/// The next item of an optional stream; pending forever when there is none (the branch sleeps), and
/// the stream is forgotten once it ends.
pub(super) async fn next_of<S: futures_util::Stream + Unpin>(
    stream: &mut Option<S>,
) -> Option<S::Item> {
    match stream {
        Some(s) => {
            let item = s.next().await;
            if item.is_none() {
                *stream = None;
            }
            item
        }
        None => std::future::pending().await,
    }
}

//! One WebSocket connection: a reader that acts on client messages and a writer that merges replies,
//! purchase answers, room pushes and heartbeats, joined by `select!` so either side ending ends both.
//!
//! Per purchase the server wakes this connection twice: once to read it, once to write its answer
//! (which the deal desk sends straight to the writer). No timer is armed per frame: the reader only
//! notes when it last heard the client, a watchman task pings and checks that, and a write gets a
//! deadline only when the socket could not take it at once.

use std::cell::RefCell;
use std::future::poll_fn;
use std::io;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError, Weak};
use std::task::{Context, Poll, Waker, ready};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use mulin_shared::{
    ClientMsg, ErrorCode, PROTOCOL_VERSION, ResidentId, Role, ServerMsg, ShowId, SignInProblem,
};
use tokio::net::TcpStream;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio::time::{Instant, MissedTickBehavior, interval, timeout};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use super::{AppState, socket};
use crate::auth::{AuthError, Principal};
use crate::live::{
    Answer, AnswerTo, BagSpec, Buyer, Canceller, DealSpec, Decision, Frame, LiveError, Room,
    Screen, Snapshot, ViewerGuard,
};
use crate::now_ms;

/// Replies waiting for the writer; a client that floods requests without reading waits here.
const OUTBOX: usize = 64;
/// Purchases one connection may have at the desks at once; the next waits (and its socket with it).
const IN_FLIGHT: usize = 16;
/// The server pings this often; browsers answer by themselves.
const PING_EVERY: Duration = Duration::from_secs(20);
/// A connection that sends nothing (not even a pong) for this long is closed (at the next heartbeat).
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// A viewer that cannot take a frame within this time is cut off instead of holding memory.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// What the reader hands the writer.
enum Outgoing {
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
}

/// When the reader last heard the client, for the watchman to judge idleness.
struct Heard {
    since: Instant,
    /// Milliseconds after `since`.
    at: AtomicU64,
}

impl Heard {
    fn new() -> Heard {
        Heard {
            since: Instant::now(),
            at: AtomicU64::new(0),
        }
    }

    fn now(&self) {
        self.at
            .store(self.since.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    fn silent_for(&self) -> Duration {
        self.since
            .elapsed()
            .saturating_sub(Duration::from_millis(self.at.load(Ordering::Relaxed)))
    }
}

/// Aborts a helper task when the connection it serves ends.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs one connection to its end.
pub(super) async fn run(
    ws: WebSocket,
    socket: Arc<TcpStream>,
    state: AppState,
    _permit: OwnedSemaphorePermit,
) {
    let (sink, stream) = ws.split();
    let (out, outbox) = mpsc::channel(OUTBOX);
    let (answer_to, answers) = mpsc::unbounded_channel();
    // Heartbeat, idleness and shutdown are watched by a small task of the connection's own, which
    // tells the writer through the outbox. Timers and the shared shutdown watch polled inside this
    // connection's select! cost a poll (and for the watch, a lock) on every wake-up.
    let heard = Arc::new(Heard::new());
    let _watchman = AbortOnDrop(tokio::spawn(watchman(
        out.clone(),
        heard.clone(),
        state.shutdown.clone(),
    )));
    let welcome = ServerMsg::Welcome {
        protocol: PROTOCOL_VERSION,
        server_time: now_ms(),
    };
    if out.send(Outgoing::Frame(frame(&welcome))).await.is_err() {
        return;
    }
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut session = Session {
        state,
        out,
        answer_to,
        slots: slots.clone(),
        principal: None,
        room: None,
        catalogue: 0,
        viewer: None,
    };
    // The writer is a task of its own: a room push then wakes only the writer, not the reader too
    // (which, polled, re-zeroes its read buffer before finding nothing to read), and a request
    // wakes only the reader. Either ending ends the connection.
    let outlet = Arc::new(Outlet {
        line: Mutex::new(Line {
            sink,
            shown: None,
            catalogue: 0,
            busy: false,
            closed: false,
            direct: true,
            rest: None,
        }),
        nudge: Notify::new(),
        slots,
        socket,
        drained: Notify::new(),
    });
    let mut writer = AbortOnDrop(tokio::spawn(
        Writer::new(outlet.clone()).run(outbox, answers),
    ));
    tokio::select! {
        _ = session.read(stream, &heard, &outlet) => {}
        _ = &mut writer.0 => {}
    }
}

/// Pings every [`PING_EVERY`], closes a connection silent for [`IDLE_TIMEOUT`], and closes every
/// connection when the server shuts down.
async fn watchman(
    out: mpsc::Sender<Outgoing>,
    heard: Arc<Heard>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut heartbeat = interval(PING_EVERY);
    heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
    heartbeat.reset();
    loop {
        let next = tokio::select! {
            _ = shutdown.wait_for(|down| *down) => Outgoing::Close,
            _ = heartbeat.tick() => if heard.silent_for() >= IDLE_TIMEOUT {
                Outgoing::Close
            } else {
                Outgoing::Ping
            },
        };
        let last = matches!(next, Outgoing::Close);
        if out.send(next).await.is_err() || last {
            return;
        }
    }
}

fn frame(msg: &ServerMsg) -> Frame {
    msg.to_json().into()
}

/// A connection's sending side, shared by its writer task and the room's delivery tasks: the room
/// writes a new state straight to the socket when the socket is free (see `live::room`); the writer
/// writes everything else, and the state whenever the room could not.
struct Outlet {
    line: Mutex<Line>,
    /// Wakes the writer to send the room's newest state itself.
    nudge: Notify,
    /// The connection's purchase slots: fewer available than [`IN_FLIGHT`] means an answer is due,
    /// and the writer decides when the state goes out (see [`Writer::settle_room_state`]).
    slots: Arc<Semaphore>,
    /// The connection's socket, for room states written past the WebSocket (see [`Line::direct`]).
    socket: Arc<TcpStream>,
    /// Told when the writer has written the rest of a state the room wrote straight to the socket.
    drained: Notify,
}

/// The socket and what was written to it.
struct Line {
    sink: SplitSink<WebSocket, Message>,
    /// The followed show and the newest version of its state written.
    shown: Option<(ShowId, u64)>,
    /// The catalogue version the client holds, or will once the queued frames are written.
    catalogue: u64,
    /// The writer has frames under way (queued, or not yet taken by the socket): the room leaves
    /// the socket to it, so that frames keep their order and a full socket gets no more.
    busy: bool,
    /// The socket failed or the connection is ending: nothing more is written.
    closed: bool,
    /// Room states may be written straight to the socket, past the WebSocket, when the line is not
    /// busy: then the WebSocket has nothing half-written, and the line's lock keeps its writes out
    /// meanwhile. Off for good once the client sends a WebSocket ping, as the WebSocket's reading
    /// side then writes the pong itself, outside the lock ([`Outlet::end_direct`]; browsers never
    /// send one, the protocol's own `ping` being a text message).
    direct: bool,
    /// What the socket did not take of a state written straight to it: the writer sends it before
    /// anything else.
    rest: Option<Bytes>,
}

impl Outlet {
    fn lock(&self) -> MutexGuard<'_, Line> {
        // Every change to the line is a single assignment: it stays whole even if a holder panicked.
        self.line.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stops room states going straight to the socket, and waits until the rest of one that went
    /// so is written: the WebSocket answers a client's ping on its next read, past the line's lock,
    /// and the pong must not land inside a state.
    async fn end_direct(&self) {
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
    fn due(&self, show: ShowId, version: u64, always: bool) -> bool {
        self.shown
            .is_some_and(|(s, v)| s == show && (always || version > v))
    }

    /// Whether the socket takes a frame now; `false` once the line is closed (an error closes it).
    fn ready(&mut self, cx: &mut Context<'_>) -> Poll<bool> {
        if self.closed {
            return Poll::Ready(false);
        }
        let ready = ready!(self.sink.poll_ready_unpin(cx)).is_ok();
        self.closed |= !ready;
        Poll::Ready(ready)
    }

    /// Queues a frame after [`Line::ready`] said yes; a room state (`state`: show and version)
    /// moves `shown` on. `false` if the socket failed, which closes the line.
    fn put(&mut self, message: Message, state: Option<(ShowId, u64)>) -> bool {
        if let Some((show, version)) = state {
            self.show(show, version);
        }
        let queued = self.sink.start_send_unpin(message).is_ok();
        self.closed |= !queued;
        queued
    }

    /// Notes that version `version` of `show`'s state went out (or is going, all of it, in order).
    fn show(&mut self, show: ShowId, version: u64) {
        let newest = self.shown.map_or(version, |(_, v)| v.max(version));
        self.shown = Some((show, newest));
    }

    /// Writes `snapshot` straight to `socket` as one text frame, when [`Line::direct`] allows and
    /// the line is not busy: `true` if the socket took all of it. If it took only part, the state
    /// counts as sent and the rest is left to the writer (the line is busy until it is written);
    /// if it took nothing, the state is the writer's to send. An error closes the line.
    fn write_direct(&mut self, socket: &TcpStream, snapshot: &Snapshot) -> bool {
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
    fn write_rest(&mut self, cx: &mut Context<'_>, socket: &TcpStream) -> Poll<bool> {
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
    fn push(&mut self, cx: &mut Context<'_>) -> Poll<bool> {
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

/// A frame queued by the writer.
enum Out {
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
struct Writer {
    outlet: Arc<Outlet>,
    /// The newest room state seen in this wake-up, and one held back from the last.
    offered: Option<Snapshot>,
    held: Option<Snapshot>,
    /// The followed room's events.
    events: Option<BroadcastStream<Frame>>,
    /// Order events, for staff.
    staff: Option<BroadcastStream<Frame>>,
    /// Frames for single residents of the show and whom they are for, for a signed-in resident.
    personal: Option<(ResidentId, BroadcastStream<(ResidentId, Frame)>)>,
    /// The followed room, for its newest state and its whole order list after a gap.
    followed: Option<Arc<Room>>,
    ready: Vec<Out>,
    /// Shutting down: the loop ends after this write.
    closing: bool,
}

impl Writer {
    fn new(outlet: Arc<Outlet>) -> Writer {
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

    async fn run(
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
                Some(event) = next_personal(&mut self.personal) => { self.personal(event); false }
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

    fn take(&mut self, out: Outgoing) {
        match out {
            Outgoing::Frame(f) => self.ready.push(Out::Frame(text(f))),
            Outgoing::Close => self.closing = true,
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
                self.personal =
                    resident.map(|r| (r, BroadcastStream::new(room.subscribe_personal())));
                self.followed = Some(room);
            }
        }
    }

    fn answer(&mut self, answer: Answer) {
        let msg = match answer.result {
            Ok(Decision::Accepted(order)) => ServerMsg::OrderAccepted {
                key: answer.key,
                order,
            },
            Ok(Decision::Refused { reason, remaining }) => ServerMsg::OrderRefused {
                key: answer.key,
                reason,
                remaining,
            },
            Err(e) => ServerMsg::error(e.code(), e.to_string()),
        };
        self.ready.push(Out::Frame(text(frame(&msg))));
        if let Some(snapshot) = answer.room {
            self.room_state(snapshot);
        }
    }

    /// Offers a room state for this wake-up's write, unless it is not newer than what was offered
    /// or written (or belongs to a show no longer followed).
    fn room_state(&mut self, snapshot: Snapshot) {
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
    fn settle_room_state(&mut self) {
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
    fn send_state(&mut self, snapshot: Snapshot, always: bool) {
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
    fn room_event(&mut self, event: Result<Frame, BroadcastStreamRecvError>) {
        match (event, &self.followed) {
            (Ok(f), _) => self.ready.push(Out::Frame(text(f))),
            (Err(BroadcastStreamRecvError::Lagged(_)), Some(room)) => {
                let snapshot = room.current();
                self.send_state(snapshot, true);
            }
            (Err(_), _) => {}
        }
    }

    /// A staff member who fell behind gets the whole recent list instead of a silent gap.
    fn staff_event(&mut self, event: Result<Frame, BroadcastStreamRecvError>) {
        let frame = match (event, &self.followed) {
            (Ok(f), _) => f,
            (Err(BroadcastStreamRecvError::Lagged(_)), Some(room)) => room.orders_frame(),
            (Err(_), None) => return,
        };
        self.ready.push(Out::Frame(text(frame)));
    }

    /// Passes on a frame if it is for this resident. One that fell behind by hundreds misses some;
    /// its orders and prizes are sent whole again when it reconnects.
    fn personal(&mut self, event: Result<(ResidentId, Frame), BroadcastStreamRecvError>) {
        if let (Ok((whom, frame)), Some((me, _))) = (event, &self.personal)
            && whom == *me
        {
            self.ready.push(Out::Frame(text(frame)));
        }
    }

    /// Writes everything queued, and whatever the room left unfinished; `false` when the socket
    /// failed or stayed full for [`SEND_TIMEOUT`].
    async fn flush(&mut self) -> bool {
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

/// [`next_of`] for the resident's own frames.
async fn next_personal(
    stream: &mut Option<(ResidentId, BroadcastStream<(ResidentId, Frame)>)>,
) -> Option<Result<(ResidentId, Frame), BroadcastStreamRecvError>> {
    let item = match stream {
        Some((_, s)) => s.next().await,
        None => return std::future::pending().await,
    };
    if item.is_none() {
        *stream = None;
    }
    item
}

/// The next item of an optional stream; pending forever when there is none (the branch sleeps), and
/// the stream is forgotten once it ends.
async fn next_of<S: futures_util::Stream + Unpin>(stream: &mut Option<S>) -> Option<S::Item> {
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

fn text(frame: Frame) -> Message {
    Message::Text(utf8(frame))
}

fn utf8(frame: Frame) -> Utf8Bytes {
    // Every frame is serialized JSON, so this never fails; an empty frame is skipped by the client.
    Utf8Bytes::try_from(frame).unwrap_or_else(|_| Utf8Bytes::from_static("{}"))
}

/// `snapshot`'s state as a whole WebSocket frame (written straight to sockets).
fn framed_state(snapshot: &Snapshot) -> Bytes {
    with_prepared(snapshot, |prepared| prepared.framed.clone())
}

/// `snapshot`'s state as a message for the WebSocket.
fn state_message(snapshot: &Snapshot) -> Message {
    with_prepared(snapshot, |prepared| Message::Text(prepared.text.clone()))
}

/// A room state made ready for the sockets: checked to be UTF-8 (a pass over it) and framed (a
/// copy). A delivery round gives one state to a few hundred connections, so each thread prepares a
/// state once, not once per viewer.
struct Prepared {
    /// The state's own bytes (not a copy): while held, no other state can be at their address, so
    /// the address tells whether the state at hand is this one.
    text: Utf8Bytes,
    framed: Bytes,
}

fn with_prepared<T>(snapshot: &Snapshot, use_it: impl FnOnce(&Prepared) -> T) -> T {
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

/// The reader's state: who is signed in and which room is followed.
struct Session {
    state: AppState,
    out: mpsc::Sender<Outgoing>,
    /// Where the desks send this connection's purchase answers.
    answer_to: mpsc::UnboundedSender<Box<Answer>>,
    /// One permit per purchase in flight.
    slots: Arc<Semaphore>,
    principal: Option<Principal>,
    room: Option<Arc<Room>>,
    /// The catalogue version the client holds (sent at join, or held from before a rejoin).
    catalogue: u64,
    /// Counts this connection as a viewer of the joined room while held.
    viewer: Option<ViewerGuard>,
}

impl Session {
    async fn read(&mut self, mut stream: SplitStream<WebSocket>, heard: &Heard, outlet: &Outlet) {
        loop {
            let message = match stream.next().await {
                Some(Ok(m)) => m,
                // Closed, or a protocol violation (e.g. a frame over the hard size limit).
                Some(Err(_)) | None => return,
            };
            heard.now();
            match message {
                Message::Text(t) => self.handle_text(t.as_str()).await,
                Message::Binary(_) => {
                    self.error(
                        ErrorCode::MalformedFrame,
                        "binary frames are not part of the protocol; send JSON text",
                    )
                    .await
                }
                Message::Close(_) => return,
                Message::Ping(_) => outlet.end_direct().await,
                Message::Pong(_) => {}
            }
        }
    }

    async fn send(&self, msg: &ServerMsg) {
        // A closed outbox means the writer is gone and the session is ending anyway.
        let _ = self.out.send(Outgoing::Frame(frame(msg))).await;
    }

    async fn error(&self, code: ErrorCode, message: impl Into<String>) {
        self.send(&ServerMsg::error(code, message)).await;
    }

    async fn handle_text(&mut self, text: &str) {
        match ClientMsg::parse(text) {
            Ok(msg) => self.handle(msg).await,
            Err(e) => self.error(e.code, e.message).await,
        }
    }

    /// Purchases are handled in place; every other message (a few per session) in a boxed future of
    /// its own. Every connection holds its reader's future for as long as it lives, sized for the
    /// largest message it could handle: inlined, the store queries of a sign-in made that 2.5 KB per
    /// idle viewer.
    async fn handle(&mut self, msg: ClientMsg) {
        match msg {
            ClientMsg::PlaceOrder {
                deal,
                qty,
                pickup,
                key,
            } => self.place_order(deal, qty, pickup, key).await,
            ClientMsg::Ping { t } => {
                let pong = ServerMsg::Pong {
                    t,
                    server_time: now_ms(),
                };
                Box::pin(self.send(&pong)).await
            }
            ClientMsg::Join {
                show,
                since,
                catalogue,
            } => Box::pin(self.join(show, since, catalogue)).await,
            ClientMsg::SignIn {
                nickname,
                phone,
                community,
            } => {
                Box::pin(async {
                    let result = self
                        .state
                        .sessions
                        .sign_in_resident(&nickname, &phone, &community, now_ms())
                        .await;
                    self.signed_in(result.map(|(p, token)| (p, Some(token))))
                        .await
                })
                .await
            }
            ClientMsg::Resume { token } => {
                Box::pin(async {
                    let result = self.state.sessions.resume(&token).await;
                    self.signed_in(result.map(|p| (p, None))).await
                })
                .await
            }
            ClientMsg::CancelOrder { order } => Box::pin(self.cancel_order(order)).await,
            ClientMsg::LaunchDeal {
                product,
                price,
                stock,
                per_resident_limit,
                starts_at,
                ends_at,
            } => {
                let spec = DealSpec {
                    product,
                    price,
                    stock,
                    per_resident_limit,
                    starts_at,
                    ends_at,
                };
                Box::pin(self.host(
                    |room| async move { room.launch_deal(spec).await },
                    |deal| Some(ServerMsg::DealLaunched { deal }),
                ))
                .await
            }
            ClientMsg::Restock { deal, units } => {
                Box::pin(self.host(
                    |room| async move { room.restock(deal, units).await },
                    |deal| Some(ServerMsg::DealRestocked { deal }),
                ))
                .await
            }
            // Answered by the `deal_ended` event every viewer receives.
            ClientMsg::EndDeal { deal } => {
                Box::pin(self.host(|room| async move { room.end_deal(deal).await }, |_| None)).await
            }
            ClientMsg::PinDeal { deal } => {
                Box::pin(self.host(
                    |room| async move { room.pin_deal(deal).await },
                    |deal| Some(ServerMsg::DealPinned { deal }),
                ))
                .await
            }
            ClientMsg::ExtendDeal { deal, ends_at } => {
                Box::pin(self.host(
                    |room| async move { room.extend_deal(deal, ends_at).await },
                    |deal| Some(ServerMsg::DealUpdated { deal }),
                ))
                .await
            }
            ClientMsg::SaveProduct { product } => {
                Box::pin(self.host(
                    |room| async move { room.save_product(&product).await },
                    |product| Some(ServerMsg::ProductSaved { product }),
                ))
                .await
            }
            ClientMsg::RemoveProduct { product } => {
                Box::pin(self.host(
                    |room| async move { room.remove_product(product).await },
                    |()| Some(ServerMsg::ProductRemoved { product }),
                ))
                .await
            }
            ClientMsg::SavePickup { pickup } => {
                Box::pin(self.host(
                    |room| async move { room.save_pickup(&pickup).await },
                    |pickup| Some(ServerMsg::PickupSaved { pickup }),
                ))
                .await
            }
            ClientMsg::RemovePickup { pickup } => {
                Box::pin(self.host(
                    |room| async move { room.remove_pickup(pickup).await },
                    |()| Some(ServerMsg::PickupRemoved { pickup }),
                ))
                .await
            }
            ClientMsg::OpenBag {
                prize,
                winners,
                closes_at,
                eligibility,
                pickup,
            } => {
                let spec = BagSpec {
                    prize,
                    winners,
                    closes_at,
                    eligibility,
                    pickup,
                };
                Box::pin(self.host(
                    |room| async move { room.open_bag(spec).await },
                    |bag| Some(ServerMsg::BagOpened { bag }),
                ))
                .await
            }
            ClientMsg::EnterBag { bag } => Box::pin(self.enter_bag(bag)).await,
            // Answered by the `bag_drawn` event every viewer receives.
            ClientMsg::CloseBag { bag } => {
                Box::pin(self.host(|room| async move { room.close_bag(bag).await }, |_| None)).await
            }
        }
    }

    /// Runs a host action on the joined room and sends its answer (if it has one of its own), or
    /// why it was not done. Everyone but the show's host is refused before anything happens.
    async fn host<T, F>(
        &self,
        act: impl FnOnce(Arc<Room>) -> F,
        answer: impl FnOnce(T) -> Option<ServerMsg>,
    ) where
        F: Future<Output = Result<T, LiveError>>,
    {
        let Some(room) = self.host_room().await else {
            return;
        };
        match act(room).await {
            Ok(done) => {
                if let Some(msg) = answer(done) {
                    self.send(&msg).await;
                }
            }
            Err(e) => self.live_error(e).await,
        }
    }

    /// The signed-in resident; otherwise an error frame: `forbidden` (signed in as staff) or
    /// `not signed in`, each with its message.
    async fn resident_or_refuse(&self, forbidden: &str, not_signed_in: &str) -> Option<Buyer> {
        match &self.principal {
            Some(Principal {
                role: Role::Resident,
                resident: Some(resident),
                nickname,
                ..
            }) => Some(Buyer {
                resident: *resident,
                nickname: nickname.clone(),
            }),
            Some(_) => {
                self.error(ErrorCode::Forbidden, forbidden).await;
                None
            }
            None => {
                self.error(ErrorCode::NotSignedIn, not_signed_in).await;
                None
            }
        }
    }

    async fn enter_bag(&self, bag: i64) {
        let Some(Buyer { resident, .. }) = self
            .resident_or_refuse(
                "only residents can enter a lucky bag",
                "sign in before entering",
            )
            .await
        else {
            return;
        };
        let Some(room) = self.joined().await else {
            return;
        };
        match room.enter_bag(bag, resident).await {
            Ok(()) => self.send(&ServerMsg::BagEntered { bag }).await,
            Err(e) => self.live_error(e).await,
        }
    }

    async fn live_error(&self, e: LiveError) {
        if let LiveError::Store(inner) = &e {
            // Clients get a plain message; the database's own words are for the operator.
            tracing::error!(error = %inner, "store failure");
            return self
                .error(
                    ErrorCode::Internal,
                    "the server could not do that; please retry",
                )
                .await;
        }
        self.error(e.code(), e.to_string()).await;
    }

    /// Follows `show`. The catalogue is sent now, unless the client is rejoining (`since`): then
    /// it is sent with the first room state if the one the client holds (`held`) is older. A
    /// rejoining client that does not say which it holds is taken to hold the current one.
    async fn join(&mut self, show: i64, since: Option<u64>, held: Option<u64>) {
        let room = match self.state.live.room(show).await {
            Ok(room) => room,
            Err(e) => return self.live_error(e).await,
        };
        // Count the new room before forgetting the old one, so a re-join never shows a dip.
        self.viewer = Some(room.viewer());
        self.room = Some(room.clone());
        let (current, info) = room.info();
        self.catalogue = match (since, held) {
            (None, _) => {
                let _ = self.out.send(Outgoing::Frame(info)).await;
                current
            }
            (Some(_), Some(held)) => held,
            (Some(_), None) => current,
        };
        self.follow().await;
    }

    /// (Re)starts following the joined room with what the signed-in person may see.
    async fn follow(&self) {
        let Some(room) = self.room.clone() else {
            return;
        };
        let staff = self
            .principal
            .as_ref()
            .is_some_and(|p| p.is_staff_of(room.show()));
        let _ = self
            .out
            .send(Outgoing::Follow {
                room: room.clone(),
                staff,
                resident: self.principal.as_ref().and_then(|p| p.resident),
                catalogue: self.catalogue,
            })
            .await;
        if staff {
            let _ = self.out.send(Outgoing::Frame(room.orders_frame())).await;
        } else if let Some(resident) = self.principal.as_ref().and_then(|p| p.resident) {
            match room.resident_orders(resident).await {
                Ok(orders) => self.send(&ServerMsg::MyOrders { orders }).await,
                Err(e) => self.live_error(e).await,
            }
            match room.entered_bag(resident).await {
                Ok(Some(bag)) => self.send(&ServerMsg::BagEntered { bag }).await,
                Ok(None) => {}
                Err(e) => self.live_error(e).await,
            }
            // A winner who was away when the bag was drawn learns how to claim on coming back.
            match room.prizes(resident).await {
                Ok(prizes) => {
                    for p in prizes {
                        self.send(&ServerMsg::BagWon {
                            bag: p.bag,
                            prize: p.prize,
                            pickup: p.pickup,
                            claim_code: p.claim_code,
                        })
                        .await;
                    }
                }
                Err(e) => self.live_error(e).await,
            }
        }
    }

    async fn signed_in(&mut self, result: Result<(Principal, Option<String>), AuthError>) {
        let (principal, token) = match result {
            Ok(ok) => ok,
            Err(AuthError::Form(problem)) => {
                let code = match problem {
                    SignInProblem::Nickname => ErrorCode::InvalidNickname,
                    SignInProblem::Phone => ErrorCode::InvalidPhone,
                    SignInProblem::Community => ErrorCode::InvalidCommunity,
                };
                return self.error(code, problem.to_string()).await;
            }
            Err(AuthError::InvalidToken) => {
                return self
                    .error(ErrorCode::InvalidToken, AuthError::InvalidToken.to_string())
                    .await;
            }
            Err(e @ (AuthError::Store(_) | AuthError::DamagedKey)) => {
                tracing::error!(error = %e, "sign-in failed");
                return self
                    .error(ErrorCode::Internal, "sign-in failed; please retry")
                    .await;
            }
        };
        self.send(&ServerMsg::SignedIn {
            role: principal.role,
            resident: principal.resident,
            nickname: principal.nickname.clone(),
            token,
            show: principal.show,
        })
        .await;
        self.principal = Some(principal);
        self.follow().await;
    }

    /// The joined room; otherwise tells the client to join first.
    async fn joined(&self) -> Option<Arc<Room>> {
        if self.room.is_none() {
            self.error(ErrorCode::NotJoined, "join the show first")
                .await;
        }
        self.room.clone()
    }

    /// The joined room, if the signed-in person hosts it; otherwise answers with the reason.
    async fn host_room(&self) -> Option<Arc<Room>> {
        let Some(principal) = &self.principal else {
            self.error(ErrorCode::NotSignedIn, "sign in with a host token first")
                .await;
            return None;
        };
        let room = self.joined().await?;
        if !principal.is_host_of(room.show()) {
            self.error(ErrorCode::Forbidden, "only the show's host may do this")
                .await;
            return None;
        }
        Some(room)
    }

    async fn cancel_order(&self, order: i64) {
        let Some(principal) = &self.principal else {
            return self
                .error(ErrorCode::NotSignedIn, "sign in before cancelling")
                .await;
        };
        let Some(room) = self.joined().await else {
            return;
        };
        let by = if principal.is_staff_of(room.show()) {
            Canceller::Staff
        } else if let Some(resident) = principal.resident {
            Canceller::Resident(resident)
        } else {
            return self
                .error(
                    ErrorCode::Forbidden,
                    "only the buyer or the show's staff may cancel",
                )
                .await;
        };
        match room.cancel_order(order, by).await {
            Ok(order) => self.send(&ServerMsg::OrderCancelled { order }).await,
            Err(e) => self.live_error(e).await,
        }
    }

    async fn place_order(&self, deal: i64, qty: i64, pickup: i64, key: String) {
        let Some(buyer) = self
            .resident_or_refuse(
                "only residents can buy; sign in as a resident",
                "sign in before ordering",
            )
            .await
        else {
            return;
        };
        let Some(room) = self.joined().await else {
            return;
        };
        // Waiting here for a free slot stops reading this socket: a flood pushes back on its sender.
        let Ok(slot) = self.slots.clone().acquire_owned().await else {
            return;
        };
        let reply = AnswerTo::new(self.answer_to.clone(), slot);
        if let Err(e) = room
            .submit_order(buyer, deal, qty, pickup, key, reply)
            .await
        {
            self.live_error(e).await;
        }
    }
}

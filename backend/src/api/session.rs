//! One WebSocket connection: a reader that acts on client messages and a writer that merges replies,
//! room pushes and heartbeats, joined by `select!` so either side ending ends both.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use mulin_shared::{ClientMsg, ErrorCode, PROTOCOL_VERSION, Role, ServerMsg};
use tokio::sync::{OwnedSemaphorePermit, broadcast, mpsc, watch};
use tokio::time::{MissedTickBehavior, interval, timeout};

use super::AppState;
use crate::auth::{self, AuthError, Principal};
use crate::live::{Buyer, Canceller, DealSpec, Decision, Frame, LiveError, Room, ViewerGuard};
use crate::now_ms;

/// Replies waiting for the writer; a client that floods requests without reading waits here.
const OUTBOX: usize = 64;
/// The server pings this often; browsers answer by themselves.
const PING_EVERY: Duration = Duration::from_secs(20);
/// A connection that sends nothing (not even a pong) for this long is closed.
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
    },
}

/// Runs one connection to its end.
pub(super) async fn run(socket: WebSocket, state: AppState, _permit: OwnedSemaphorePermit) {
    let (sink, stream) = socket.split();
    let (out, outbox) = mpsc::channel(OUTBOX);
    let mut shutdown = state.shutdown.clone();
    let welcome = ServerMsg::Welcome {
        protocol: PROTOCOL_VERSION,
        server_time: now_ms(),
    };
    if out.send(Outgoing::Frame(frame(&welcome))).await.is_err() {
        return;
    }
    let mut session = Session {
        state,
        out,
        principal: None,
        room: None,
        viewer: None,
    };
    tokio::select! {
        _ = session.read(stream) => {}
        _ = write(sink, outbox) => {}
        _ = shutdown.wait_for(|down| *down) => {}
    }
}

fn frame(msg: &ServerMsg) -> Frame {
    msg.to_json().into()
}

/// The writer: the only place that sends on the socket. It feeds every frame that is ready (a reply,
/// the newest room state, order events) and flushes once, so a busy connection costs one write
/// syscall per wake-up rather than one per frame.
async fn write(mut sink: SplitSink<WebSocket, Message>, mut outbox: mpsc::Receiver<Outgoing>) {
    let mut room: Option<watch::Receiver<Frame>> = None;
    let mut staff: Option<(Arc<Room>, broadcast::Receiver<Frame>)> = None;
    let mut heartbeat = interval(PING_EVERY);
    heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
    heartbeat.reset();
    let mut ready: Vec<Message> = Vec::new();
    loop {
        // What woke the writer; the heartbeat queues its ping directly and brings nothing else.
        let mut next = tokio::select! {
            next = outbox.recv() => match next {
                None => break,
                Some(out) => Some(out),
            },
            Some(f) = room_changed(&mut room) => Some(Outgoing::Frame(f)),
            Some(f) = staff_event(&mut staff) => Some(Outgoing::Frame(f)),
            _ = heartbeat.tick() => { ready.push(Message::Ping(Bytes::new())); None }
        };
        while let Some(out) = next.take() {
            match out {
                Outgoing::Frame(f) => ready.push(text(f)),
                Outgoing::Follow {
                    room: r,
                    staff: is_staff,
                } => {
                    let mut rx = r.subscribe();
                    rx.mark_changed();
                    room = Some(rx);
                    staff = is_staff.then(|| {
                        let rx = r.subscribe_orders();
                        (r, rx)
                    });
                }
            }
            next = outbox.try_recv().ok();
        }
        // A room change that arrived meanwhile rides along in the same write.
        if let Some(rx) = room.as_mut()
            && rx.has_changed().unwrap_or(false)
        {
            ready.push(text(rx.borrow_and_update().clone()));
        }
        if ready.is_empty() {
            continue;
        }
        let sent = timeout(SEND_TIMEOUT, async {
            for message in ready.drain(..) {
                sink.feed(message).await?;
            }
            sink.flush().await
        })
        .await;
        if !matches!(sent, Ok(Ok(()))) {
            break;
        }
    }
    let _ = sink.close().await;
}

fn text(frame: Frame) -> Message {
    // Every frame is serialized JSON, so this never fails; an empty frame is skipped by the client.
    Message::Text(Utf8Bytes::try_from(frame).unwrap_or_else(|_| Utf8Bytes::from_static("{}")))
}

/// The newest room frame once it changed; `None` when not following (the select branch then sleeps).
async fn room_changed(room: &mut Option<watch::Receiver<Frame>>) -> Option<Frame> {
    match room {
        Some(rx) => match rx.changed().await {
            Ok(()) => Some(rx.borrow_and_update().clone()),
            Err(_) => {
                *room = None;
                None
            }
        },
        None => std::future::pending().await,
    }
}

/// The next order event for staff. A staff member who fell behind gets the whole recent list instead
/// of a silent gap.
async fn staff_event(staff: &mut Option<(Arc<Room>, broadcast::Receiver<Frame>)>) -> Option<Frame> {
    match staff {
        Some((room, rx)) => match rx.recv().await {
            Ok(f) => Some(f),
            Err(broadcast::error::RecvError::Lagged(_)) => Some(room.orders_frame()),
            Err(broadcast::error::RecvError::Closed) => {
                *staff = None;
                None
            }
        },
        None => std::future::pending().await,
    }
}

/// The reader's state: who is signed in and which room is followed.
struct Session {
    state: AppState,
    out: mpsc::Sender<Outgoing>,
    principal: Option<Principal>,
    room: Option<Arc<Room>>,
    /// Counts this connection as a viewer of the joined room while held.
    viewer: Option<ViewerGuard>,
}

impl Session {
    async fn read(&mut self, mut stream: SplitStream<WebSocket>) {
        loop {
            let message = match timeout(IDLE_TIMEOUT, stream.next()).await {
                Ok(Some(Ok(m))) => m,
                // Idle, closed, or a protocol violation (e.g. a frame over the hard size limit).
                Ok(Some(Err(_))) | Ok(None) | Err(_) => return,
            };
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
                Message::Ping(_) | Message::Pong(_) => {}
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

    async fn handle(&mut self, msg: ClientMsg) {
        match msg {
            ClientMsg::Ping { t } => {
                self.send(&ServerMsg::Pong {
                    t,
                    server_time: now_ms(),
                })
                .await
            }
            ClientMsg::Join { show } => self.join(show).await,
            ClientMsg::SignIn { nickname } => {
                let result = auth::sign_in_resident(&self.state.store, &nickname, now_ms()).await;
                self.signed_in(result.map(|(p, token)| (p, Some(token))))
                    .await
            }
            ClientMsg::Resume { token } => {
                let result = auth::resume(&self.state.store, &token).await;
                self.signed_in(result.map(|p| (p, None))).await
            }
            ClientMsg::PlaceOrder {
                deal,
                qty,
                pickup,
                key,
            } => self.place_order(deal, qty, pickup, key).await,
            ClientMsg::CancelOrder { order } => self.cancel_order(order).await,
            ClientMsg::LaunchDeal {
                product,
                price,
                stock,
                per_resident_limit,
                ends_at,
            } => {
                let spec = DealSpec {
                    product,
                    price,
                    stock,
                    per_resident_limit,
                    ends_at,
                };
                if let Some(room) = self.host_room().await {
                    match room.launch_deal(spec).await {
                        Ok(deal) => self.send(&ServerMsg::DealLaunched { deal }).await,
                        Err(e) => self.live_error(e).await,
                    }
                }
            }
            ClientMsg::EndDeal { deal } => {
                if let Some(room) = self.host_room().await
                    && let Err(e) = room.end_deal(deal).await
                {
                    self.live_error(e).await;
                }
            }
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

    async fn join(&mut self, show: i64) {
        let room = match self.state.live.room(show).await {
            Ok(room) => room,
            Err(e) => return self.live_error(e).await,
        };
        // Count the new room before forgetting the old one, so a re-join never shows a dip.
        self.viewer = Some(room.viewer());
        self.room = Some(room.clone());
        let _ = self.out.send(Outgoing::Frame(room.info_frame())).await;
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
            })
            .await;
        if staff {
            let _ = self.out.send(Outgoing::Frame(room.orders_frame())).await;
        } else if let Some(resident) = self.principal.as_ref().and_then(|p| p.resident) {
            match room.resident_orders(resident).await {
                Ok(orders) => self.send(&ServerMsg::MyOrders { orders }).await,
                Err(e) => self.live_error(e).await,
            }
        }
    }

    async fn signed_in(&mut self, result: Result<(Principal, Option<String>), AuthError>) {
        let (principal, token) = match result {
            Ok(ok) => ok,
            Err(AuthError::InvalidNickname) => {
                return self
                    .error(
                        ErrorCode::InvalidNickname,
                        AuthError::InvalidNickname.to_string(),
                    )
                    .await;
            }
            Err(AuthError::InvalidToken) => {
                return self
                    .error(ErrorCode::InvalidToken, AuthError::InvalidToken.to_string())
                    .await;
            }
            Err(AuthError::Store(e)) => {
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
        let buyer = match &self.principal {
            Some(Principal {
                role: Role::Resident,
                resident: Some(resident),
                nickname,
                ..
            }) => Buyer {
                resident: *resident,
                nickname: nickname.clone(),
            },
            Some(_) => {
                return self
                    .error(
                        ErrorCode::Forbidden,
                        "only residents can buy; sign in as a resident",
                    )
                    .await;
            }
            None => {
                return self
                    .error(ErrorCode::NotSignedIn, "sign in before ordering")
                    .await;
            }
        };
        let Some(room) = self.joined().await else {
            return;
        };
        let answer = match room
            .submit_order(buyer, deal, qty, pickup, key.clone())
            .await
        {
            Ok(answer) => answer,
            Err(e) => return self.live_error(e).await,
        };
        // Wait for the decision off the reader, so a resident's other messages (and other orders)
        // keep flowing while the batch commits.
        let out = self.out.clone();
        tokio::spawn(async move {
            let msg = match answer.await {
                Ok(Ok(Decision::Accepted(order))) => ServerMsg::OrderAccepted { key, order },
                Ok(Ok(Decision::Refused { reason, remaining })) => ServerMsg::OrderRefused {
                    key,
                    reason,
                    remaining,
                },
                Ok(Err(e)) => ServerMsg::error(e.code(), e.to_string()),
                Err(_) => ServerMsg::error(
                    ErrorCode::Unavailable,
                    "the deal desk stopped before deciding; retry with the same key",
                ),
            };
            let _ = out.send(Outgoing::Frame(frame(&msg))).await;
        });
    }
}

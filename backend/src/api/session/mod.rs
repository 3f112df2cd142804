//! One WebSocket connection: a reader that acts on client messages and a writer that merges replies,
//! purchase answers, room pushes and heartbeats, joined by `select!` so either side ending ends both.
//!
//! Per purchase the server wakes this connection twice: once to read it, once to write its answer
//! (which the deal desk sends straight to the writer). No timer is armed per frame: the reader only
//! notes when it last heard the client, a watchman task pings and checks that, and a write gets a
//! deadline only when the socket could not take it at once.
//!
//! The transport is `outlet` (the socket and room states written straight to it), `writer` (the
//! task that sends everything else) and `watchman` (heartbeat, idleness, shutdown). What a message
//! asks for is handled here (joining), in `account` (signing in and out), in `resident` (buying,
//! cancelling, lucky bags) and in `host` (the host's actions).

mod account;
mod host;
mod outlet;
mod resident;
mod watchman;
mod writer;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use futures_util::StreamExt;
use futures_util::stream::SplitStream;
use mulin_shared::{ClientMsg, ErrorCode, PROTOCOL_VERSION, ServerMsg};
use tokio::net::TcpStream;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc};

use super::AppState;
use crate::auth::Principal;
use crate::live::{Answer, Frame, LiveError, Room, ViewerGuard};
use crate::now_ms;
use outlet::{Line, Outlet};
use watchman::{AbortOnDrop, Heard, watchman};
use writer::{Outgoing, Writer};

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
        token: None,
        request_key: None,
        tally: account::Tally::default(),
        room: None,
        catalogue: 0,
        viewer: None,
        revocation: None,
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
    let refused = tokio::select! {
        refused = session.read(stream, &heard, &outlet) => refused,
        _ = &mut writer.0 => None,
    };
    // A client that broke the protocol is told why in a close frame before the socket closes.
    if let Some((code, reason)) = refused
        && session
            .out
            .send(Outgoing::Refuse(code, reason))
            .await
            .is_ok()
    {
        let _ = tokio::time::timeout(SEND_TIMEOUT, &mut writer.0).await;
    }
}

/// The close code and reason for a frame the WebSocket could not take (RFC 6455, 7.4.1): 1009 for
/// one over the size limit, 1007 for a text frame that is not UTF-8, 1002 for any other breach of
/// the protocol; `None` when the connection simply ended.
fn close_code(error: axum::Error) -> Option<(u16, &'static str)> {
    use tungstenite::error::{CapacityError, Error};
    let error = error.into_inner().downcast::<Error>().ok()?;
    match *error {
        Error::Capacity(CapacityError::MessageTooLong { .. }) => {
            Some((1009, "frame over the 64 KiB limit"))
        }
        Error::Capacity(_) => Some((1009, "message too large")),
        Error::Utf8(_) => Some((1007, "text frame is not valid UTF-8")),
        Error::Protocol(_) => Some((1002, "WebSocket protocol error")),
        _ => None,
    }
}

fn frame(msg: &ServerMsg) -> Frame {
    msg.to_json().into()
}

/// The reader's state: who is signed in and which room is followed.
struct Session {
    state: AppState,
    out: mpsc::Sender<Outgoing>,
    /// Where the desks send this connection's purchase answers.
    answer_to: mpsc::UnboundedSender<Box<Answer>>,
    /// One permit per purchase in flight.
    slots: Arc<Semaphore>,
    /// Who signed in (boxed: most connections never do, and every idle viewer holds this field).
    principal: Option<Box<Principal>>,
    /// The token this connection signed in with (to revoke it on signing out).
    token: Option<String>,
    /// The request key of the message being handled: its errors carry it back.
    request_key: Option<String>,
    /// What this connection asked of sign-in so far, against its limits.
    tally: account::Tally,
    room: Option<Arc<Room>>,
    /// The catalogue version the client holds (sent at join, or held from before a rejoin).
    catalogue: u64,
    /// Counts this connection as a viewer of the joined room while held.
    viewer: Option<ViewerGuard>,
    /// For a staff person: ends this connection when they or one of their roles are revoked.
    revocation: Option<AbortOnDrop>,
}

impl Session {
    /// Reads and acts on the client's messages until the connection ends; the close code and
    /// reason to send if it ended because the client broke the protocol.
    async fn read(
        &mut self,
        mut stream: SplitStream<WebSocket>,
        heard: &Heard,
        outlet: &Outlet,
    ) -> Option<(u16, &'static str)> {
        loop {
            let message = match stream.next().await {
                Some(Ok(m)) => m,
                // A protocol violation (e.g. a frame over the hard size limit), or closed.
                Some(Err(e)) => return close_code(e),
                None => return None,
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
                Message::Close(_) => return None,
                Message::Ping(_) => outlet.end_direct().await,
                Message::Pong(_) => {}
            }
        }
    }

    async fn send(&self, msg: &ServerMsg) {
        // A closed outbox means the writer is gone and the session is ending anyway.
        let _ = self.out.send(Outgoing::Frame(frame(msg))).await;
    }

    /// An error answering the message being handled (with its request key, if it has one).
    async fn error(&self, code: ErrorCode, message: impl Into<String>) {
        let key = self.request_key.clone();
        self.send(&ServerMsg::error_for(key, code, message)).await;
    }

    async fn handle_text(&mut self, text: &str) {
        match ClientMsg::parse_request(text) {
            Ok((msg, key)) => {
                self.request_key = key;
                self.handle(msg).await;
                self.request_key = None;
            }
            Err(e) => {
                self.send(&ServerMsg::error_for(e.key, e.code, e.message))
                    .await
            }
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
                code,
            } => Box::pin(self.sign_in(nickname, phone, community, code)).await,
            ClientMsg::Resume { token } => Box::pin(self.resume(token)).await,
            ClientMsg::SignOut => Box::pin(self.sign_out()).await,
            ClientMsg::Rename { nickname } => Box::pin(self.rename(nickname)).await,
            ClientMsg::CancelOrder { order, reason } => {
                Box::pin(self.cancel_order(order, reason)).await
            }
            ClientMsg::EnterBag { bag } => Box::pin(self.enter_bag(bag)).await,
            host_action => Box::pin(self.host_action(host_action)).await,
        }
    }

    async fn live_error(&self, e: LiveError) {
        self.live_error_for(self.request_key.clone(), e).await
    }

    /// [`Session::live_error`] for the request with `key`.
    async fn live_error_for(&self, key: Option<String>, e: LiveError) {
        let msg = if let LiveError::Store(inner) = &e {
            // Clients get a plain message; the database's own words are for the operator. A store
            // that cannot write said why in its health, once: each refused request is not news.
            let message = if inner.is_unavailable() {
                tracing::debug!(error = %inner, "store cannot write");
                crate::store::UNAVAILABLE_MESSAGE
            } else {
                tracing::error!(error = %inner, "store failure");
                "the server could not do that; please retry"
            };
            ServerMsg::error_for(key, e.code(), message)
        } else {
            ServerMsg::error_for(key, e.code(), e.to_string())
        };
        self.send(&msg).await;
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
    async fn follow(&mut self) {
        let Some(room) = self.room.clone() else {
            return;
        };
        let staff = self
            .principal
            .as_ref()
            .is_some_and(|p| p.may(crate::auth::permissions::Action::SeeAllOrders, room.scope()));
        // The viewer count is residents watching: the show's own staff (and a grid worker ordering
        // for neighbours) are not counted.
        let counted = !staff && self.principal.as_ref().is_none_or(|p| p.staff.is_none());
        if !counted {
            self.viewer = None;
        } else if self.viewer.is_none() {
            self.viewer = Some(room.viewer());
        }
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
            let _ = self.out.send(Outgoing::Frame(room.pulse_frame())).await;
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

    /// The joined room; otherwise tells the client to join first.
    async fn joined(&self) -> Option<Arc<Room>> {
        if self.room.is_none() {
            self.error(ErrorCode::NotJoined, "join the show first")
                .await;
        }
        self.room.clone()
    }
}

//! The widget's one connection to the server, exposed as signals.
//!
//! It reconnects by itself with jittered exponential backoff, and on every (re)connection it joins the
//! show again, resumes the sign-in, and resends a purchase that was still waiting for its answer — with
//! the same key, so the server can never turn a retry into a second order.

use futures::channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded};
use futures::{SinkExt, StreamExt};
use gloo_net::websocket::Message;
use gloo_net::websocket::futures::WebSocket;
use leptos::prelude::*;
use leptos::task::spawn_local;
use mulin_shared::{
    BagId, ClientMsg, DealId, ErrorCode, Order, PickupId, Prize, ResidentId, RoomEvent, RoomState,
    ServerMsg, ShowId, UtcMillis,
};

/// Where the resident's session token is remembered on this device.
const TOKEN_KEY: &str = "mulin.token";
mod device;
mod early;
mod state;

pub use device::{recall, remember};
pub use state::{Catalogue, Link, Me, Purchase, Working};

use device::{new_key, socket_url, storage_get, storage_remove, storage_set};

/// Backoff bounds between reconnection attempts.
const RETRY_MIN_MS: f64 = 500.0;
const RETRY_MAX_MS: f64 = 10_000.0;

/// Handle to the connection's signals; cheap to copy into any component.
#[derive(Clone, Copy)]
pub struct Conn {
    /// Connection state.
    pub link: RwSignal<Link>,
    /// The show's catalogue, once joined.
    pub catalogue: RwSignal<Option<Catalogue>>,
    /// The room's newest state.
    pub room: RwSignal<Option<RoomState>>,
    /// The signed-in person.
    pub me: RwSignal<Option<Me>>,
    /// The resident's own orders, newest first.
    pub my_orders: RwSignal<Vec<Order>>,
    /// Staff: the show's orders, newest first.
    pub orders: RwSignal<Vec<Order>>,
    /// The resident's current purchase.
    pub purchase: RwSignal<Purchase>,
    /// Lucky bags this resident has entered.
    pub entered_bags: RwSignal<Vec<BagId>>,
    /// What this resident won, and how to claim it.
    pub prizes: RwSignal<Vec<Prize>>,
    /// The frozen entry list of the latest drawn bag, as the draw's event brought it.
    pub bag_entries: RwSignal<Option<(BagId, Vec<ResidentId>)>>,
    /// The last error the server reported, for a notice.
    pub error: RwSignal<Option<(ErrorCode, String)>>,
    /// A sign-in waiting for the code texted to the phone: (masked number, expires at, a new code
    /// may be asked from), on the server's clock.
    pub code_sent: RwSignal<Option<(String, UtcMillis, UtcMillis)>>,
    /// Staff: the server's answer to the last host action that was done (deal launched, product
    /// saved, …), so a form can clear itself.
    pub done: RwSignal<Option<ServerMsg>>,
    /// Server clock minus this device's clock, in ms.
    pub clock_offset: RwSignal<i64>,
    /// Staff: the host action sent and not answered yet; buttons wait for it.
    pub working: RwSignal<Option<Working>>,
    outbox: StoredValue<UnboundedSender<(ClientMsg, Option<String>)>>,
    token: StoredValue<Option<String>>,
}

impl Conn {
    /// Opens a resident's connection to `show`, signed in with the session remembered on this
    /// device, if any. It reads only what residents receive (see `ServerMsg::parse_for_resident`).
    pub fn open_resident(show: ShowId) -> Conn {
        let (conn, rx) = Conn::new(storage_get(TOKEN_KEY));
        spawn_local(conn.run(show, false, ServerMsg::parse_for_resident, rx));
        conn
    }

    /// Opens a host's or moderator's connection to `show`, signed in with `token`.
    pub fn open_staff(show: ShowId, token: String) -> Conn {
        let (conn, rx) = Conn::new(Some(token));
        spawn_local(conn.run(show, true, |t| ServerMsg::parse(t).map(Some), rx));
        conn
    }

    /// A connection that never opens: its signals are set by hand and what it sends goes nowhere.
    /// Component tests render parts of the widget with it, without a server.
    pub fn detached() -> Conn {
        Conn::new(None).0
    }

    fn new(remembered: Option<String>) -> (Conn, UnboundedReceiver<(ClientMsg, Option<String>)>) {
        let (tx, rx) = unbounded();
        let conn = Conn {
            link: RwSignal::new(Link::Connecting),
            catalogue: RwSignal::new(None),
            room: RwSignal::new(None),
            me: RwSignal::new(None),
            my_orders: RwSignal::new(Vec::new()),
            orders: RwSignal::new(Vec::new()),
            purchase: RwSignal::new(Purchase::Idle),
            entered_bags: RwSignal::new(Vec::new()),
            prizes: RwSignal::new(Vec::new()),
            bag_entries: RwSignal::new(None),
            error: RwSignal::new(None),
            code_sent: RwSignal::new(None),
            done: RwSignal::new(None),
            clock_offset: RwSignal::new(0),
            working: RwSignal::new(None),
            outbox: StoredValue::new(tx),
            token: StoredValue::new(remembered),
        };
        (conn, rx)
    }

    /// Sends a message (queued while offline; joins and sign-ins are redone on reconnect anyway).
    pub fn send(&self, msg: ClientMsg) {
        self.send_with(msg, None);
    }

    fn send_with(&self, msg: ClientMsg, key: Option<String>) {
        self.outbox.with_value(|tx| {
            // The receiver lives as long as the page; a failed send means the page is going away.
            let _ = tx.unbounded_send((msg, key));
        });
    }

    /// Staff: sends a host action with a fresh request key, unless one is still unanswered. The
    /// server does a keyed action once, so a retry after a dropped connection (sent again with the
    /// same key on reconnecting) cannot do it twice; `working` names it until its answer comes.
    pub fn request(&self, tag: &'static str, msg: ClientMsg) {
        if self.working.with_untracked(Option::is_some) {
            return;
        }
        let key = new_key();
        self.error.set(None);
        self.working.set(Some(Working {
            tag,
            key: key.clone(),
            msg: msg.clone(),
        }));
        self.send_with(msg, Some(key));
    }

    /// A product's name from the catalogue, for a line that is drawn once (not followed).
    pub fn product_name(&self, product: i64) -> String {
        self.catalogue
            .with_untracked(|c| {
                c.as_ref()
                    .and_then(|c| c.product(product).map(|p| p.name.clone()))
            })
            .unwrap_or_else(|| crate::tr!("deal.product", id = product))
    }

    /// The server's clock now, corrected for this device's offset.
    pub fn server_now(&self) -> UtcMillis {
        js_sys::Date::now() as i64 + self.clock_offset.get_untracked()
    }

    /// Signs in by phone number, with the texted code once asked for.
    pub fn sign_in(
        &self,
        nickname: String,
        phone: String,
        community: String,
        code: Option<String>,
    ) {
        self.send(ClientMsg::SignIn {
            nickname,
            phone,
            community,
            code,
        });
    }

    /// Signs out on this device: the server revokes the session, and this device forgets it.
    pub fn sign_out(&self) {
        self.send(ClientMsg::SignOut);
        self.forget_session();
    }

    fn forget_session(&self) {
        storage_remove(TOKEN_KEY);
        self.token.set_value(None);
        self.me.set(None);
        self.my_orders.set(Vec::new());
        self.prizes.set(Vec::new());
        self.entered_bags.set(Vec::new());
        self.code_sent.set(None);
        self.purchase.set(Purchase::Idle);
        self.error.set(None);
    }

    /// Starts a purchase with a fresh key, or retries a failed one with its old key.
    pub fn buy(&self, deal: DealId, qty: i64, pickup: PickupId) {
        let key = match self.purchase.get_untracked() {
            Purchase::Waiting { .. } => return,
            // A second tap within a moment of an accepted order of the same deal is a double tap
            // (the answer came back between the two), not a second purchase.
            Purchase::Accepted(o) if o.deal == deal && self.server_now() - o.created_at < 1_500 => {
                return;
            }
            Purchase::Failed {
                tried: (d, q, p, key),
                ..
            } if (d, q, p) == (deal, qty, pickup) => key,
            _ => new_key(),
        };
        let waiting = Purchase::Waiting {
            deal,
            qty,
            pickup,
            key: key.clone(),
        };
        self.purchase.set(waiting);
        self.send(ClientMsg::PlaceOrder {
            deal,
            qty,
            pickup,
            key,
        });
    }

    async fn run(
        self,
        show: ShowId,
        staff: bool,
        read: fn(&str) -> Result<Option<ServerMsg>, serde_json::Error>,
        mut outbox: UnboundedReceiver<(ClientMsg, Option<String>)>,
    ) {
        let url = socket_url();
        let mut attempt: i32 = 0;
        // A resident's first connection is the one index.html opened (and joined on) while the
        // widget downloaded; what it received waits to be read. The widget takes it over in the
        // task after the one that drew the page, and reads one waiting frame per task: on a slow
        // phone no single task runs long enough to hold up a tap (Lighthouse's blocking time).
        let mut early = if staff {
            None
        } else {
            gloo_timers::future::TimeoutFuture::new(0).await;
            early::adopt(show)
        };
        loop {
            self.link.set(Link::Connecting);
            let (opened, waited, adopted) = match early.take() {
                Some((ws, frames)) => (WebSocket::try_from(ws), frames, true),
                None => (WebSocket::open(&url), Vec::new(), false),
            };
            if let Ok(ws) = opened {
                let mut replaying = waited.len();
                let (mut sink, stream) = ws.split();
                enum Event {
                    /// A frame and when it arrived (this device's clock).
                    In(String, f64),
                    Out((ClientMsg, Option<String>)),
                    Closed,
                }
                let waited = waited.into_iter().map(|(text, at)| Event::In(text, at));
                let incoming = futures::stream::iter(waited)
                    .chain(stream.map(|m| match m {
                        Ok(Message::Text(t)) => Event::In(t, js_sys::Date::now()),
                        Ok(Message::Bytes(_)) => Event::In(String::new(), js_sys::Date::now()),
                        Err(_) => Event::Closed,
                    }))
                    .chain(futures::stream::iter([Event::Closed]));
                let hello = self.hello(show, !adopted).into_iter().map(|m| (m, None));
                let outbox = futures::stream::iter(hello).chain(&mut outbox);
                let mut events = futures::stream::select(incoming, outbox.map(Event::Out));
                while let Some(event) = events.next().await {
                    if replaying > 0 && matches!(event, Event::In(..)) {
                        replaying -= 1;
                        gloo_timers::future::TimeoutFuture::new(0).await;
                    }
                    let outgoing = match event {
                        Event::Closed => break,
                        Event::Out(msg) => vec![msg],
                        Event::In(text, arrived) => match read(&text) {
                            Ok(Some(msg)) => {
                                if matches!(msg, ServerMsg::Welcome { .. }) {
                                    attempt = 0;
                                }
                                self.receive(msg, staff, arrived)
                                    .into_iter()
                                    .map(|m| (m, None))
                                    .collect()
                            }
                            Ok(None) | Err(_) => Vec::new(),
                        },
                    };
                    let mut failed = false;
                    for msg in outgoing {
                        let text = wire_text(&msg.0);
                        let text = match &msg.1 {
                            Some(key) => ClientMsg::add_key(text, key),
                            None => text,
                        };
                        if sink.send(Message::Text(text)).await.is_err() {
                            failed = true;
                        }
                    }
                    if failed {
                        break;
                    }
                }
            }
            self.link.set(Link::Offline);
            attempt = (attempt + 1).min(10);
            let ceiling = (RETRY_MIN_MS * 2f64.powi(attempt)).min(RETRY_MAX_MS);
            // Full jitter: thousands of phones coming back after a restart do not all knock at once.
            let wait = RETRY_MIN_MS.max(js_sys::Math::random() * ceiling);
            gloo_timers::future::TimeoutFuture::new(wait as u32).await;
        }
    }

    /// What a connection says as soon as it opens, without waiting for the server's welcome: the
    /// room state then arrives one round trip after the socket opens. Rejoining with what it has,
    /// the server sends only the current room state. `join` is false on the socket index.html
    /// opened, which has joined already.
    fn hello(&self, show: ShowId, join: bool) -> Vec<ClientMsg> {
        let catalogue = self
            .catalogue
            .with_untracked(|c| c.as_ref().map(|c| c.version));
        let since = catalogue.and_then(|_| self.room.with_untracked(|r| r.as_ref().map(|r| r.seq)));
        let mut hello = Vec::with_capacity(3);
        if join {
            hello.push(ClientMsg::Join {
                show,
                since,
                catalogue,
            });
        }
        hello.push(ClientMsg::Ping {
            t: js_sys::Date::now() as i64,
        });
        if let Some(token) = self.token.get_value() {
            hello.push(ClientMsg::Resume { token });
        }
        hello
    }

    /// Applies one server message; returns what to send in answer.
    fn receive(&self, msg: ServerMsg, staff: bool, arrived: f64) -> Vec<ClientMsg> {
        match msg {
            ServerMsg::Welcome { server_time, .. } => {
                self.clock_offset.set(server_time - arrived as i64);
                self.link.set(Link::Online);
                Vec::new()
            }
            ServerMsg::Pong { t, server_time } => {
                let now = arrived as i64;
                let rtt = (now - t).max(0);
                self.clock_offset.set(server_time + rtt / 2 - now);
                Vec::new()
            }
            ServerMsg::SignedIn {
                role,
                resident,
                nickname,
                token,
                ..
            } => {
                if let Some(token) = token {
                    storage_set(TOKEN_KEY, &token);
                    self.token.set_value(Some(token));
                }
                self.code_sent.set(None);
                self.me.set(Some(Me {
                    role,
                    resident,
                    nickname,
                }));
                // A host action still unanswered when the connection dropped is sent again, same
                // key: the server does it once.
                if let Some(w) = self.working.get_untracked() {
                    self.send_with(w.msg, Some(w.key));
                }
                // A purchase still waiting when the connection dropped is asked again, same key.
                match self.purchase.get_untracked() {
                    Purchase::Waiting {
                        deal,
                        qty,
                        pickup,
                        key,
                    } => vec![ClientMsg::PlaceOrder {
                        deal,
                        qty,
                        pickup,
                        key,
                    }],
                    _ => Vec::new(),
                }
            }
            ServerMsg::CodeSent {
                phone,
                expires_at,
                resend_at,
            } => {
                self.error.set(None);
                self.code_sent.set(Some((phone, expires_at, resend_at)));
                Vec::new()
            }
            ServerMsg::SignedOut => {
                self.forget_session();
                Vec::new()
            }
            ServerMsg::Renamed { nickname } => {
                self.me.update(|m| {
                    if let Some(m) = m {
                        m.nickname = nickname;
                    }
                });
                Vec::new()
            }
            ServerMsg::ShowInfo {
                show,
                catalogue,
                products,
                pickup_points,
            } => {
                self.catalogue.set(Some(Catalogue {
                    show,
                    version: catalogue,
                    products,
                    pickup_points,
                }));
                Vec::new()
            }
            ServerMsg::Room(state) => {
                // One connection always carries the newest state; after a reconnect the server's
                // versions may restart, so the latest frame simply wins.
                self.room.set(Some(state));
                Vec::new()
            }
            ServerMsg::OrderAccepted { key, order } => {
                if self.is_waiting_on(&key) {
                    self.purchase.set(Purchase::Accepted(order.clone()));
                }
                self.my_orders.update(|mine| {
                    if !mine.iter().any(|o| o.id == order.id) {
                        mine.insert(0, order);
                    }
                });
                Vec::new()
            }
            ServerMsg::OrderRefused {
                key,
                reason,
                remaining,
                held,
            } => {
                if let Purchase::Waiting { deal, key: k, .. } = self.purchase.get_untracked()
                    && k == key
                {
                    self.purchase.set(Purchase::Refused {
                        deal,
                        reason,
                        remaining,
                        held,
                    });
                }
                Vec::new()
            }
            ServerMsg::MyOrders { orders } => {
                self.my_orders.set(orders);
                Vec::new()
            }
            ServerMsg::Orders { orders } => {
                self.orders.set(orders);
                Vec::new()
            }
            ServerMsg::OrderPlaced { order } => {
                self.orders.update(|all| {
                    if !all.iter().any(|o| o.id == order.id) {
                        all.insert(0, order);
                    }
                });
                Vec::new()
            }
            ServerMsg::OrderCancelled { order } => {
                // Cancelled here, in another tab or by staff: the accepted note no longer holds.
                if matches!(self.purchase.get_untracked(), Purchase::Accepted(ref o) if o.id == order.id)
                {
                    self.purchase.set(Purchase::Idle);
                }
                self.my_orders.update(|mine| replace(mine, &order));
                self.orders.update(|all| replace(all, &order));
                Vec::new()
            }
            ServerMsg::OrderUpdated { order } => {
                self.orders.update(|all| replace(all, &order));
                Vec::new()
            }
            ServerMsg::Event {
                event: RoomEvent::BagDrawn { bag, entries },
                ..
            } => {
                self.bag_entries.set(Some((bag.id, entries)));
                Vec::new()
            }
            ServerMsg::BagEntered { bag } => {
                self.entered_bags.update(|b| {
                    if !b.contains(&bag) {
                        b.push(bag);
                    }
                });
                Vec::new()
            }
            ServerMsg::BagWon {
                bag,
                prize,
                pickup,
                claim_code,
            } => {
                self.prizes.update(|p| {
                    if !p.iter().any(|w| w.bag == bag) {
                        p.push(Prize {
                            bag,
                            prize,
                            pickup,
                            claim_code,
                        });
                    }
                });
                Vec::new()
            }
            // The room state that follows an event already includes it.
            // The room state that follows a host's change already shows it; the console only
            // needs to know it was done.
            done @ (ServerMsg::DealLaunched { .. }
            | ServerMsg::DealRestocked { .. }
            | ServerMsg::DealPinned { .. }
            | ServerMsg::DealUpdated { .. }
            | ServerMsg::ProductSaved { .. }
            | ServerMsg::ProductRemoved { .. }
            | ServerMsg::PickupSaved { .. }
            | ServerMsg::PickupRemoved { .. }
            | ServerMsg::BagOpened { .. }
            | ServerMsg::BagDrawn { .. }) => {
                self.working.set(None);
                self.done.set(Some(done));
                Vec::new()
            }
            ServerMsg::Event { .. } => Vec::new(),
            ServerMsg::Error {
                code,
                message,
                key: about,
            } => {
                if about.is_some()
                    && self
                        .working
                        .with_untracked(|w| w.as_ref().map(|w| &w.key) == about.as_ref())
                {
                    self.working.set(None);
                }
                if code == ErrorCode::InvalidToken && !staff {
                    // The remembered session is gone (e.g. a new database, or signed out on
                    // another device): sign in afresh.
                    self.forget_session();
                }
                // Only an error that names the purchase ends it: others answer other requests.
                if let Purchase::Waiting {
                    deal,
                    qty,
                    pickup,
                    key,
                } = self.purchase.get_untracked()
                    && about.as_deref() == Some(key.as_str())
                {
                    self.purchase.set(Purchase::Failed {
                        code,
                        tried: (deal, qty, pickup, key),
                    });
                }
                self.error.set(Some((code, message)));
                Vec::new()
            }
        }
    }

    fn is_waiting_on(&self, key: &str) -> bool {
        self.purchase
            .with_untracked(|p| matches!(p, Purchase::Waiting { key: k, .. } if k == key))
    }
}

/// Puts the newer copy of `order` where the old one was, if it is listed.
fn replace(list: &mut [Order], order: &Order) {
    if let Some(kept) = list.iter_mut().find(|o| o.id == order.id) {
        *kept = order.clone();
    }
}

/// A message as sent: the console writes any with serde; the widget sends only residents'
/// messages and writes them by hand (`to_resident_json`), leaving serde's writer out of its budget.
fn wire_text(msg: &ClientMsg) -> String {
    #[cfg(feature = "console")]
    return msg.to_json();
    #[cfg(not(feature = "console"))]
    msg.to_resident_json().unwrap_or_default()
}

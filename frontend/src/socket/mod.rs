//! The widget's one connection to the server, exposed as signals.
//!
//! It reconnects by itself with jittered exponential backoff, and on every (re)connection it joins the
//! show again, resumes the sign-in, and resends a purchase that was still waiting for its answer — with
//! the same key, so the server can never turn a retry into a second order.
//!
//! Here the signals and what the pages ask of the connection; `transport` is the socket itself
//! (opening, frames, reconnecting), `receive` applies what the server says to the signals.

use futures::channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded};
use leptos::prelude::*;
use leptos::task::spawn_local;
use mulin_shared::{
    BagId, ClientMsg, DealId, ErrorCode, Order, PickupId, Prize, ResidentId, RoomState, ServerMsg,
    ShowId, UtcMillis,
};

/// Where the resident's session token is remembered on this device.
const TOKEN_KEY: &str = "mulin.token";
mod device;
mod early;
mod receive;
mod state;
mod transport;

pub use device::{new_key, recall, remember};
pub use state::{Catalogue, Link, Me, Purchase, Working};

use device::{storage_get, storage_remove};

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
    /// Staff: the control room's latest figures.
    #[cfg(feature = "console")]
    pub pulse: RwSignal<Option<mulin_shared::pulse::Pulse>>,
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
            #[cfg(feature = "console")]
            pulse: RwSignal::new(None),
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
}

//! What the server says, applied to the connection's signals (the room, the catalogue, the
//! resident's orders and purchase, errors), and what to answer.

use leptos::prelude::*;
use mulin_shared::{ClientMsg, ErrorCode, Order, Prize, RoomEvent, ServerMsg};

use super::device::storage_set;
use super::{Catalogue, Conn, Link, Me, Purchase, TOKEN_KEY};

impl Conn {
    /// Applies one server message; returns what to send in answer.
    pub(super) fn receive(&self, msg: ServerMsg, staff: bool, arrived: f64) -> Vec<ClientMsg> {
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
                roles,
                ..
            } => {
                if let Some(token) = token {
                    storage_set(TOKEN_KEY, &token);
                    self.token.set_value(Some(token));
                }
                self.code_sent.set(None);
                self.me.set(Some(Me {
                    role,
                    roles,
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
            #[cfg(feature = "console")]
            ServerMsg::Pulse { pulse } => {
                self.pulse.set(Some(pulse));
                Vec::new()
            }
            // The widget never reads one (`ServerMsg::parse_for_resident` skips it).
            #[cfg(not(feature = "console"))]
            ServerMsg::Pulse { .. } => Vec::new(),
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
                // Staff see every order change; a resident, their own order changed or placed
                // for them by staff (a new one goes first).
                self.my_orders.update(|mine| {
                    if self
                        .me
                        .with_untracked(|m| m.as_ref().and_then(|m| m.resident))
                        == Some(order.resident)
                        && !mine.iter().any(|o| o.id == order.id)
                    {
                        mine.insert(0, order.clone());
                    }
                    replace(mine, &order)
                });
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

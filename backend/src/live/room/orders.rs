//! Orders in the room: purchases handed to their deal's desk, cancellations through it, and what
//! the desks report back (a committed batch, an order changed) for viewers, staff and the buyer.

use mulin_shared::{Deal, DealId, Order, OrderId, OrderStatus, ResidentId, ServerMsg};

use tokio::sync::mpsc;

use super::{MAX_UNITS, Publication, RECENT_ORDERS, Room};
use crate::live::desk::{AnswerTo, Buyer, Canceller, DeskCmd, OrderRequest};
use crate::live::{Frame, LiveError};
use crate::store::Actor;

/// Longest reason staff may give for cancelling an order, in characters.
const MAX_REASON_CHARS: usize = 100;

impl Room {
    /// The `Orders` frame: the show's recent orders, newest first (for staff joining or catching up).
    pub fn orders_frame(&self) -> Frame {
        let orders = self.lock().recent.iter().cloned().collect();
        ServerMsg::Orders { orders }.to_json().into()
    }

    /// A resident's orders in every show of this show's community, newest first: a resident is
    /// known, with their orders, in every show of the community.
    /// Each carries its pickup QR value.
    pub async fn resident_orders(&self, resident: ResidentId) -> Result<Vec<Order>, LiveError> {
        let orders = self
            .store
            .resident_orders(self.community(), resident)
            .await?;
        Ok(orders.into_iter().map(|o| self.seal.sealed(o)).collect())
    }

    /// `order` with its pickup QR value, for its resident.
    pub fn sealed(&self, order: Order) -> Order {
        self.seal.sealed(order)
    }

    /// After orders of this room's community moved on in their life (see
    /// [`crate::live::Live::orders_moved`]): their residents' pages following this room hear of it,
    /// and this show's staff see its own orders as they are.
    pub(in crate::live) fn orders_moved(&self, orders: &[Order]) {
        for order in orders {
            if order.show == self.show {
                if let Some(kept) = self.lock().recent.iter_mut().find(|o| o.id == order.id) {
                    *kept = order.clone();
                }
                self.tell_staff(|| ServerMsg::OrderUpdated {
                    order: order.clone(),
                });
            }
            self.tell_resident(order.resident, || ServerMsg::OrderUpdated {
                order: self.seal.sealed(order.clone()),
            });
        }
    }

    /// Hands a purchase to the deal's desk. `Ok` means exactly one answer will reach `reply` (for an
    /// acceptance: once it is committed to the store); `Err` means the purchase was refused before
    /// reaching a desk, and nothing will.
    pub async fn submit_order(
        &self,
        buyer: Buyer,
        deal: DealId,
        qty: i64,
        pickup: i64,
        key: String,
        reply: AnswerTo,
    ) -> Result<(), LiveError> {
        let desk = match self.check_order(deal, qty, pickup, &key) {
            Ok(desk) => desk,
            Err(e) => {
                reply.withdraw();
                return Err(e);
            }
        };
        let request = OrderRequest {
            buyer,
            qty,
            pickup,
            key,
            reply,
        };
        // A desk that stopped drops the request, and the dropped reply answers `Unavailable`.
        let _ = desk.send(DeskCmd::Order(request)).await;
        Ok(())
    }

    fn check_order(
        &self,
        deal: DealId,
        qty: i64,
        pickup: i64,
        key: &str,
    ) -> Result<mpsc::Sender<DeskCmd>, LiveError> {
        if !(1..=MAX_UNITS).contains(&qty) {
            return Err(LiveError::InvalidQuantity {
                got: qty,
                max: MAX_UNITS,
            });
        }
        if key.is_empty() || key.len() > mulin_shared::MAX_KEY_LEN {
            return Err(LiveError::InvalidKey);
        }
        if !self.lock().catalogue.has_pickup(pickup) {
            return Err(LiveError::UnknownPickup(pickup));
        }
        self.desk(deal)
    }

    /// Cancels an order of this show through its deal's desk, so the units return where they are
    /// counted, and every viewer sees the stock rise.
    /// Staff may give a `reason` (1–100 characters), kept with the order for the resident.
    pub async fn cancel_order(
        &self,
        order: OrderId,
        by: Canceller,
        reason: Option<String>,
    ) -> Result<Order, LiveError> {
        // Only staff give reasons; an empty one is none.
        let reason = match (&by, reason) {
            (Canceller::Staff(_), Some(text)) if !text.trim().is_empty() => Some(
                mulin_shared::sign_in::clean_text(&text, MAX_REASON_CHARS).ok_or_else(|| {
                    LiveError::InvalidReason(format!(
                        "a reason must be 1–{MAX_REASON_CHARS} characters on one line"
                    ))
                })?,
            ),
            _ => None,
        };
        let (found, show) = self
            .store
            .order(order)
            .await?
            .ok_or(LiveError::UnknownOrder(order))?;
        // Someone else's order is, to a resident, no order at all: the answer must not tell
        // which order numbers exist.
        if show != self.show || matches!(by, Canceller::Resident(r) if r != found.resident) {
            return Err(LiveError::UnknownOrder(order));
        }
        let by = match by {
            Canceller::Staff(actor) => Some(actor),
            Canceller::Resident(_) => None,
        };
        self.ask(found.deal, |reply| DeskCmd::Cancel {
            order,
            reason,
            by,
            reply,
        })
        .await
    }

    /// Changes an order of this show (fewer units, another pickup point) through its deal's desk,
    /// as `by`, if it is still as `change` says the page showed it. Viewers see the stock rise by
    /// the units given up; the resident's open pages see the order as it now is.
    pub async fn change_order(
        &self,
        order: OrderId,
        change: &mulin_shared::control::OrderChange,
        by: Actor,
    ) -> Result<Order, LiveError> {
        if !(1..=change.was_qty).contains(&change.qty) {
            return Err(LiveError::InvalidQuantity {
                got: change.qty,
                max: change.was_qty.max(1),
            });
        }
        let change = change
            .check()
            .map_err(|e| LiveError::InvalidChange(e.into()))?;
        if !self.lock().catalogue.has_pickup(change.pickup) {
            return Err(LiveError::UnknownPickup(change.pickup));
        }
        let (found, show) = self
            .store
            .order(order)
            .await?
            .ok_or(LiveError::UnknownOrder(order))?;
        if show != self.show {
            return Err(LiveError::UnknownOrder(order));
        }
        self.ask(found.deal, |reply| DeskCmd::Change {
            order,
            to: (change.qty, change.pickup),
            was: (change.was_qty, change.was_pickup),
            reason: change.reason,
            by,
            reply,
        })
        .await
    }

    /// Called by a desk after it committed orders or changed its deal. If a push is due, returns the
    /// new state unsent: the desk attaches it to its answers, and viewers get it when the
    /// [`Publication`] drops, after the answers. Sent first, a push to thousands of viewers queued
    /// ahead of the answers on the runtime and delayed every buyer of the batch by the whole round.
    pub(in crate::live) fn deal_changed(
        &self,
        deal: &Deal,
        new_orders: &[Order],
    ) -> Option<Publication> {
        {
            let mut inner = self.lock();
            inner.deals.insert(deal.id, deal.clone());
            for order in new_orders {
                inner.recent.push_front(order.clone());
            }
            inner.recent.truncate(RECENT_ORDERS);
        }
        self.tally().placed(deal, new_orders);
        for order in new_orders {
            self.tell_staff(|| ServerMsg::OrderPlaced {
                order: order.clone(),
            });
            // Ordered for them by staff: their own open pages list it at once.
            if order.placed_by.is_some() {
                self.tell_resident(order.resident, || ServerMsg::OrderUpdated {
                    order: self.seal.sealed(order.clone()),
                });
            }
        }
        Some(Publication {
            snapshot: self.prepare_change()?,
            room: self.me.upgrade()?,
        })
    }

    /// Called by a desk after an order changed from `before` (cancelled, fewer units, another
    /// pickup point): staff hear of it, viewers see the stock.
    pub(in crate::live) fn order_changed(&self, deal: &Deal, before: &Order, order: &Order) {
        {
            let mut inner = self.lock();
            inner.deals.insert(deal.id, deal.clone());
            if let Some(kept) = inner.recent.iter_mut().find(|o| o.id == order.id) {
                *kept = order.clone();
            }
        }
        self.tally().changed(deal, before, order);
        self.tell_staff(|| ServerMsg::OrderUpdated {
            order: order.clone(),
        });
        if order.status == OrderStatus::Cancelled {
            self.tell_resident(order.resident, || ServerMsg::OrderCancelled {
                order: self.seal.sealed(order.clone()),
            });
        } else {
            self.tell_resident(order.resident, || ServerMsg::OrderUpdated {
                order: self.seal.sealed(order.clone()),
            });
        }
        self.changed();
    }
}

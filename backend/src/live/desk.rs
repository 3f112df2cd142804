//! The deal desk: the one owner of a deal's stock and per-resident counts.
//!
//! Requests queue on a channel. The desk takes everything queued (a batch), decides each in memory,
//! writes the accepted ones in **one** transaction, and only then answers. Sold-out requests are
//! answered from memory without touching the store. One fsync covers the whole batch (group commit).

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use mulin_shared::{Deal, DealStatus, Order, OrderId, OrderStatus, PickupId, Refusal, ResidentId};
use tokio::sync::{mpsc, oneshot};

use super::room::Room;
use super::{LiveError, Metrics};
use crate::now_ms;
use crate::store::{NewOrder, Store};

/// Requests a desk holds before senders wait: enough for a spike's first second.
const QUEUE: usize = 8192;

/// Who is buying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buyer {
    /// The resident.
    pub resident: ResidentId,
    /// Their nickname, for the moderators' list.
    pub nickname: String,
}

/// Who asks to cancel an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Canceller {
    /// A resident, who may cancel only their own orders.
    Resident(ResidentId),
    /// A host or moderator of the order's show.
    Staff,
}

/// The final answer to a purchase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Stored; the order is durable.
    Accepted(Order),
    /// Refused, with the units left when decided.
    Refused {
        /// Why.
        reason: Refusal,
        /// Units left.
        remaining: i64,
    },
}

type Reply = oneshot::Sender<Result<Decision, LiveError>>;

/// One purchase waiting at a desk.
#[derive(Debug)]
pub(super) struct OrderRequest {
    pub buyer: Buyer,
    pub qty: i64,
    pub pickup: PickupId,
    pub key: String,
    pub reply: Reply,
}

/// What a desk can be asked.
#[derive(Debug)]
pub(super) enum DeskCmd {
    /// Decide a purchase.
    Order(OrderRequest),
    /// Cancel an accepted order and put its units back on sale.
    Cancel {
        order: OrderId,
        reply: oneshot::Sender<Result<Order, LiveError>>,
    },
    /// Close the deal (after deciding everything queued before this).
    End {
        reply: oneshot::Sender<Result<Deal, LiveError>>,
    },
}

/// The acceptances of one batch, waiting for its commit. The orders sit in their own list so the
/// store can take them as they are; `slot` finds a double tap of the same intent in O(1), so it
/// waits on the same order instead of becoming a second one.
#[derive(Default)]
struct Pending {
    orders: Vec<NewOrder>,
    replies: Vec<Vec<Reply>>,
    slot: HashMap<(ResidentId, String), usize>,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.orders.is_empty()
    }
}

struct DealDesk {
    deal: Deal,
    held: HashMap<ResidentId, i64>,
    accepted_keys: HashMap<(ResidentId, String), Order>,
    store: Store,
    room: Weak<Room>,
    max_batch: usize,
    metrics: Arc<Metrics>,
}

/// Rebuilds a desk for `deal` from the store and starts it; returns where to send it requests.
pub(super) async fn start(
    store: Store,
    deal: Deal,
    room: Weak<Room>,
    max_batch: usize,
    metrics: Arc<Metrics>,
) -> Result<mpsc::Sender<DeskCmd>, LiveError> {
    let mut desk = DealDesk {
        deal,
        held: HashMap::new(),
        accepted_keys: HashMap::new(),
        store,
        room,
        max_batch,
        metrics,
    };
    desk.reload().await?;
    let (tx, rx) = mpsc::channel(QUEUE);
    tokio::spawn(desk.run(rx));
    Ok(tx)
}

impl DealDesk {
    /// Takes what the store holds as the truth for this deal.
    async fn reload(&mut self) -> Result<(), LiveError> {
        self.held = self
            .store
            .units_by_resident(self.deal.id)
            .await?
            .into_iter()
            .collect();
        self.deal.sold = self.held.values().sum();
        self.accepted_keys = self
            .store
            .orders_by_key(self.deal.id)
            .await?
            .into_iter()
            .map(|(key, order)| ((order.resident, key), order))
            .collect();
        Ok(())
    }

    async fn run(mut self, mut rx: mpsc::Receiver<DeskCmd>) {
        let mut batch = Vec::with_capacity(self.max_batch);
        while rx.recv_many(&mut batch, self.max_batch).await > 0 {
            let mut pending = Pending::default();
            for cmd in batch.drain(..) {
                match cmd {
                    DeskCmd::Order(request) => self.decide(request, &mut pending),
                    DeskCmd::Cancel { order, reply } => {
                        self.commit(&mut pending).await;
                        let _ = reply.send(self.cancel(order).await);
                    }
                    DeskCmd::End { reply } => {
                        self.commit(&mut pending).await;
                        let _ = reply.send(self.end().await);
                    }
                }
            }
            self.commit(&mut pending).await;
        }
    }

    /// Decides one request in memory; an acceptance joins `pending` until the batch commits.
    fn decide(&mut self, req: OrderRequest, pending: &mut Pending) {
        self.metrics.decided(1);
        let key = (req.buyer.resident, req.key);
        if let Some(order) = self.accepted_keys.get(&key) {
            let _ = req.reply.send(Ok(Decision::Accepted(order.clone())));
            return;
        }
        if let Some(&i) = pending.slot.get(&key) {
            pending.replies[i].push(req.reply);
            return;
        }
        let now = now_ms();
        let remaining = self.deal.remaining();
        let refusal = if !self.deal.is_open_at(now) {
            Some(Refusal::DealClosed)
        } else if remaining == 0 {
            Some(Refusal::SoldOut)
        } else if req.qty > remaining {
            Some(Refusal::NotEnoughStock)
        } else if self.held.get(&key.0).copied().unwrap_or(0) + req.qty
            > self.deal.per_resident_limit
        {
            Some(Refusal::LimitReached)
        } else {
            None
        };
        if let Some(reason) = refusal {
            let _ = req.reply.send(Ok(Decision::Refused { reason, remaining }));
            return;
        }
        self.deal.sold += req.qty;
        *self.held.entry(key.0).or_insert(0) += req.qty;
        pending.slot.insert(key.clone(), pending.orders.len());
        pending.orders.push(NewOrder {
            resident: key.0,
            nickname: req.buyer.nickname,
            qty: req.qty,
            unit_price: self.deal.price,
            pickup: req.pickup,
            pickup_code: format!("{:06}", rand::random_range(0..1_000_000u32)),
            key: key.1,
            created_at: now,
        });
        pending.replies.push(vec![req.reply]);
    }

    /// Writes the batch's acceptances in one transaction, then answers everyone waiting on them.
    async fn commit(&mut self, pending: &mut Pending) {
        if pending.is_empty() {
            return;
        }
        let batch = std::mem::take(pending);
        match self.store.commit_orders(self.deal.id, &batch.orders).await {
            Ok(stored) => {
                self.metrics.committed(stored.len() as u64);
                for ((new, replies), order) in
                    batch.orders.into_iter().zip(batch.replies).zip(&stored)
                {
                    self.accepted_keys
                        .insert((order.resident, new.key), order.clone());
                    for reply in replies {
                        let _ = reply.send(Ok(Decision::Accepted(order.clone())));
                    }
                }
                if let Some(room) = self.room.upgrade() {
                    room.deal_changed(&self.deal, &stored);
                }
            }
            Err(e) => {
                tracing::error!(deal = self.deal.id, error = %e, "batch commit failed; nothing acknowledged");
                // Memory ran ahead of the store: take the store's word again.
                if let Err(reload) = self.reload().await {
                    tracing::error!(deal = self.deal.id, error = %reload, "desk reload failed");
                }
                // Residents hear that it failed and may retry; the why (SQL and all) stays in the log.
                for reply in batch.replies.into_iter().flatten() {
                    let _ = reply.send(Err(LiveError::NotStored));
                }
            }
        }
    }

    /// Cancels through the store first; memory follows only what the store did.
    async fn cancel(&mut self, id: OrderId) -> Result<Order, LiveError> {
        let order = self
            .store
            .cancel_order(id)
            .await?
            .ok_or(LiveError::NotCancellable(id))?;
        self.deal.sold = (self.deal.sold - order.qty).max(0);
        if let Some(held) = self.held.get_mut(&order.resident) {
            *held = (*held - order.qty).max(0);
        }
        // A retry of the original key now reports the order as it is: cancelled.
        if let Some(kept) = self.accepted_keys.values_mut().find(|o| o.id == id) {
            kept.status = OrderStatus::Cancelled;
        }
        if let Some(room) = self.room.upgrade() {
            room.order_changed(&self.deal, &order);
        }
        Ok(order)
    }

    async fn end(&mut self) -> Result<Deal, LiveError> {
        let now = now_ms();
        self.store.end_deal(self.deal.id, now).await?;
        self.deal.status = DealStatus::Ended;
        self.deal.ends_at = self.deal.ends_at.min(now);
        if let Some(room) = self.room.upgrade() {
            room.deal_changed(&self.deal, &[]);
        }
        Ok(self.deal.clone())
    }
}

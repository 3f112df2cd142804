//! The deal desk: the one owner of a deal's stock and per-resident counts.
//!
//! Requests queue on a channel. The desk takes everything queued (a batch), decides each in memory,
//! writes the accepted ones in **one** transaction, and only then answers. Sold-out requests are
//! answered from memory without touching the store. One fsync covers the whole batch (group commit).

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use mulin_shared::{Deal, DealStatus, Order, OrderId, OrderStatus, PickupId, Refusal, ResidentId};
use tokio::sync::{OwnedSemaphorePermit, mpsc, oneshot};

use super::room::{MAX_DEAL_MS, MAX_UNITS, Refusals, Room, Snapshot};
use super::{LiveError, Metrics};
use crate::now_ms;
use crate::store::{Actor, NewOrder, OrderChangeOutcome, Store};

/// Requests a desk holds before senders wait: enough for a spike's first second.
const QUEUE: usize = 8192;

/// Who is buying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buyer {
    /// The resident.
    pub resident: ResidentId,
    /// Their nickname, for the moderators' list.
    pub nickname: String,
    /// The member of staff ordering for them (代客下单), if it is not the resident.
    pub placed_by: Option<mulin_shared::StaffId>,
}

/// Who asks to cancel an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Canceller {
    /// A resident, who may cancel only their own orders.
    Resident(ResidentId),
    /// Staff of the order's show (logged as this actor).
    Staff(Actor),
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
        /// Units the buyer already holds in this deal.
        held: i64,
    },
}

/// A purchase's final answer, on its way to the connection that asked.
#[derive(Debug)]
pub struct Answer {
    /// The purchase key it answers (empty when the desk stopped before reading the purchase).
    pub key: String,
    /// The decision, or why there is none.
    pub result: Result<Decision, LiveError>,
    /// The room state this answer's batch produced, when it was published with it: sending both
    /// in one write saves the buyer a second frame (and the server a second send) per push.
    pub room: Option<Snapshot>,
    /// One of the connection's purchases-in-flight slots, freed when the answer is dropped.
    _slot: Option<OwnedSemaphorePermit>,
}

/// Where a purchase's answer goes. Answers travel boxed: every connection's queue allocates its
/// first block of 32 slots up front, which at an answer's full size was 8 KiB per idle viewer.
/// The queue is unbounded, because a desk must never wait on one
/// slow phone; the connection bounds it instead, by holding a slot per purchase in flight. Every
/// purchase gets exactly one answer: dropped unanswered (its desk stopped), it answers `Unavailable`.
#[derive(Debug)]
pub struct AnswerTo {
    to: mpsc::UnboundedSender<Box<Answer>>,
    slot: Option<OwnedSemaphorePermit>,
}

impl AnswerTo {
    /// Answers go to `to`; `slot` is held until the answer is delivered.
    pub fn new(to: mpsc::UnboundedSender<Box<Answer>>, slot: OwnedSemaphorePermit) -> AnswerTo {
        AnswerTo {
            to,
            slot: Some(slot),
        }
    }

    /// Gives the slot back without answering: the purchase was refused before reaching a desk, and
    /// the caller reports why.
    pub(super) fn withdraw(mut self) {
        self.slot = None;
    }

    fn send(mut self, key: String, result: Result<Decision, LiveError>, room: Option<Snapshot>) {
        let _slot = self.slot.take();
        // A closed queue means the connection is gone; the decision stands in the store anyway.
        let _ = self.to.send(Box::new(Answer {
            key,
            result,
            room,
            _slot,
        }));
    }
}

impl Drop for AnswerTo {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            let _ = self.to.send(Box::new(Answer {
                key: String::new(),
                result: Err(LiveError::Unavailable),
                room: None,
                _slot: Some(slot),
            }));
        }
    }
}

/// One purchase waiting at a desk, with where its answer goes.
#[derive(Debug)]
pub(super) struct OrderRequest {
    pub buyer: Buyer,
    pub qty: i64,
    pub pickup: PickupId,
    pub key: String,
    pub reply: AnswerTo,
}

/// What a desk can be asked.
#[derive(Debug)]
pub(super) enum DeskCmd {
    /// Decide a purchase.
    Order(OrderRequest),
    /// Cancel an accepted order and put its units back on sale.
    Cancel {
        order: OrderId,
        /// Staff's reason, for the resident.
        reason: Option<String>,
        /// The staff person who cancels, for the audit log (none for a resident's own).
        by: Option<Actor>,
        reply: oneshot::Sender<Result<Order, LiveError>>,
    },
    /// Change an accepted order (fewer units, another pickup point) and put the units it gives up
    /// back on sale.
    Change {
        order: OrderId,
        /// (units, pickup point) from now on.
        to: (i64, PickupId),
        /// (units, pickup point) as the asking page showed them.
        was: (i64, PickupId),
        reason: Option<String>,
        by: Actor,
        reply: oneshot::Sender<Result<Order, LiveError>>,
    },
    /// Add units to the stock (after deciding everything queued before this).
    Restock {
        units: i64,
        by: Actor,
        reply: oneshot::Sender<Result<Deal, LiveError>>,
    },
    /// Move the closing time later (after deciding everything queued before this).
    Extend {
        ends_at: i64,
        by: Actor,
        reply: oneshot::Sender<Result<Deal, LiveError>>,
    },
    /// Close the deal (after deciding everything queued before this).
    End {
        by: Actor,
        reply: oneshot::Sender<Result<Deal, LiveError>>,
    },
}

/// The acceptances of one batch, waiting for its commit. The orders sit in their own list so the
/// store can take them as they are; `slot` finds a double tap of the same intent in O(1), so it
/// waits on the same order instead of becoming a second one.
#[derive(Default)]
struct Pending {
    orders: Vec<NewOrder>,
    /// Per order, everyone waiting on it: (their key, where the answer goes).
    replies: Vec<Vec<(String, AnswerTo)>>,
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
    /// The room's count of refusals and failures, for its control room.
    refusals: Arc<Refusals>,
}

/// Rebuilds a desk for `deal` from the store and starts it; returns where to send it requests.
pub(super) async fn start(
    runtime: &tokio::runtime::Handle,
    store: Store,
    deal: Deal,
    room: Weak<Room>,
    max_batch: usize,
    metrics: Arc<Metrics>,
    refusals: Arc<Refusals>,
) -> Result<mpsc::Sender<DeskCmd>, LiveError> {
    let mut desk = DealDesk {
        deal,
        held: HashMap::new(),
        accepted_keys: HashMap::new(),
        store,
        room,
        max_batch,
        metrics,
        refusals,
    };
    desk.reload().await?;
    let (tx, rx) = mpsc::channel(QUEUE);
    runtime.spawn(desk.run(rx));
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
                    DeskCmd::Cancel {
                        order,
                        reason,
                        by,
                        reply,
                    } => {
                        self.commit(&mut pending).await;
                        let done = self.cancel(order, reason.as_deref(), by.as_ref()).await;
                        let _ = reply.send(done);
                    }
                    DeskCmd::Change {
                        order,
                        to,
                        was,
                        reason,
                        by,
                        reply,
                    } => {
                        self.commit(&mut pending).await;
                        let done = self.change(order, to, was, reason.as_deref(), &by).await;
                        let _ = reply.send(done);
                    }
                    DeskCmd::Restock { units, by, reply } => {
                        self.commit(&mut pending).await;
                        let _ = reply.send(self.restock(units, &by).await);
                    }
                    DeskCmd::Extend { ends_at, by, reply } => {
                        self.commit(&mut pending).await;
                        let _ = reply.send(self.extend(ends_at, &by).await);
                    }
                    DeskCmd::End { by, reply } => {
                        self.commit(&mut pending).await;
                        let _ = reply.send(self.end(&by).await);
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
        let (answer_key, to) = (key.1.clone(), req.reply);
        if let Some(order) = self.accepted_keys.get(&key) {
            to.send(answer_key, Ok(Decision::Accepted(order.clone())), None);
            return;
        }
        if let Some(&i) = pending.slot.get(&key) {
            pending.replies[i].push((answer_key, to));
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
            self.refusals.refused(reason);
            let held = self.held.get(&key.0).copied().unwrap_or(0);
            to.send(
                answer_key,
                Ok(Decision::Refused {
                    reason,
                    remaining,
                    held,
                }),
                None,
            );
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
            placed_by: req.buyer.placed_by,
        });
        pending.replies.push(vec![(answer_key, to)]);
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
                // The room's new state, if a push is due, rides with the answers; viewers get it
                // when `publication` drops, after every answer is on its way.
                let publication = self
                    .room
                    .upgrade()
                    .and_then(|room| room.deal_changed(&self.deal, &stored));
                let room = publication.as_ref().map(|p| p.snapshot());
                for ((new, replies), order) in
                    batch.orders.into_iter().zip(batch.replies).zip(&stored)
                {
                    self.accepted_keys
                        .insert((order.resident, new.key), order.clone());
                    for (key, to) in replies {
                        to.send(key, Ok(Decision::Accepted(order.clone())), room.cloned());
                    }
                }
            }
            Err(e) => {
                if e.is_unavailable() {
                    // The store's health logged why, once: a line per batch would flood the log
                    // (often on the very disk that is full).
                    tracing::debug!(deal = self.deal.id, error = %e, "batch not stored; nothing acknowledged");
                } else {
                    tracing::error!(deal = self.deal.id, error = %e, "batch commit failed; nothing acknowledged");
                }
                // Memory ran ahead of the store: take the store's word again.
                if let Err(reload) = self.reload().await {
                    tracing::error!(deal = self.deal.id, error = %reload, "desk reload failed");
                }
                // Residents hear that it failed and may retry; the why (SQL and all) stays in the log.
                self.refusals.failed(batch.orders.len() as u64);
                for (key, to) in batch.replies.into_iter().flatten() {
                    to.send(key, Err(LiveError::batch_failed(&e)), None);
                }
            }
        }
    }

    /// Cancels through the store first; memory follows only what the store did.
    async fn cancel(
        &mut self,
        id: OrderId,
        reason: Option<&str>,
        by: Option<&Actor>,
    ) -> Result<Order, LiveError> {
        let order = self
            .store
            .cancel_order(id, reason, by)
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
            let before = Order {
                status: OrderStatus::Accepted,
                cancel_reason: None,
                ..order.clone()
            };
            room.order_changed(&self.deal, &before, &order);
        }
        Ok(order)
    }

    /// Changes an order through the store first; memory follows only what the store did.
    async fn change(
        &mut self,
        id: OrderId,
        to: (i64, PickupId),
        was: (i64, PickupId),
        reason: Option<&str>,
        by: &Actor,
    ) -> Result<Order, LiveError> {
        let (before, after) = match self.store.change_order(id, to, was, reason, by).await? {
            OrderChangeOutcome::Changed { before, after } => (before, after),
            OrderChangeOutcome::Missing => return Err(LiveError::UnknownOrder(id)),
            OrderChangeOutcome::Closed(_) => return Err(LiveError::NotCancellable(id)),
            OrderChangeOutcome::Stale(now) => return Err(LiveError::OrderChanged(Box::new(now))),
        };
        let returned = before.qty - after.qty;
        self.deal.sold = (self.deal.sold - returned).max(0);
        if let Some(held) = self.held.get_mut(&after.resident) {
            *held = (*held - returned).max(0);
        }
        // A retry of the original key reports the order as it is now.
        if let Some(kept) = self.accepted_keys.values_mut().find(|o| o.id == id) {
            *kept = after.clone();
        }
        if let Some(room) = self.room.upgrade() {
            room.order_changed(&self.deal, &before, &after);
        }
        Ok(after)
    }

    /// Adds units through the store first; viewers see the stock rise.
    async fn restock(&mut self, units: i64, by: &Actor) -> Result<Deal, LiveError> {
        if !(1..=MAX_UNITS - self.deal.stock).contains(&units) {
            return Err(LiveError::InvalidDeal(format!(
                "a restock adds 1 or more units, up to {MAX_UNITS} in all"
            )));
        }
        if !self.store.restock(self.deal.id, units, by).await? {
            return Err(LiveError::InvalidDeal(format!(
                "deal {} has ended; only a live deal can be restocked",
                self.deal.id
            )));
        }
        self.deal.stock += units;
        if let Some(room) = self.room.upgrade() {
            room.deal_changed(&self.deal, &[]);
        }
        Ok(self.deal.clone())
    }

    /// Moves the closing time through the store first; viewers see the new countdown. A deal whose
    /// time ran out may be given more (it opens again); one the host ended may not.
    async fn extend(&mut self, ends_at: i64, by: &Actor) -> Result<Deal, LiveError> {
        let ended = || {
            LiveError::InvalidDeal(format!(
                "deal {} has ended; launch a new deal instead",
                self.deal.id
            ))
        };
        if self.deal.status == DealStatus::Ended {
            return Err(ended());
        }
        if ends_at <= self.deal.ends_at.max(now_ms()) || ends_at > self.deal.starts_at + MAX_DEAL_MS
        {
            return Err(LiveError::InvalidDeal(
                "the new end time must be later than the current one, and within 7 days of the \
                 deal's start"
                    .into(),
            ));
        }
        if !self
            .store
            .extend_deal(self.deal.id, self.deal.ends_at, ends_at, by)
            .await?
        {
            return Err(ended());
        }
        self.deal.ends_at = ends_at;
        if let Some(room) = self.room.upgrade() {
            room.deal_changed(&self.deal, &[]);
        }
        Ok(self.deal.clone())
    }

    async fn end(&mut self, by: &Actor) -> Result<Deal, LiveError> {
        // Ended already: the same answer again, and no second `deal_ended` for viewers.
        if self.deal.status == DealStatus::Ended {
            return Ok(self.deal.clone());
        }
        let now = now_ms();
        self.store.end_deal(self.deal.id, now, by).await?;
        self.deal.status = DealStatus::Ended;
        self.deal.ends_at = self.deal.ends_at.min(now);
        if let Some(room) = self.room.upgrade() {
            room.deal_ended(&self.deal);
        }
        Ok(self.deal.clone())
    }
}

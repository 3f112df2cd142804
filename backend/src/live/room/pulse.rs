//! The control room's figures: kept by the room as orders are committed and changed, so they add
//! up to what the store holds, and sent to the show's staff once a [`BEAT`] while any follow it
//! (with their order events; one that falls behind in a spike's flood of them is sent the current
//! figures as it catches up).
//!
//! Counting happens where the desks already report to the room (a committed batch, a changed
//! order), a few map updates per order under a lock of its own; the figures are put together and
//! serialized once per beat for every staff connection, and not at all when nobody watches.
//! Refusals are decided by the desks without the room, so they count them in [`Refusals`] (an
//! atomic add each) and the beat reads the counters.

use std::collections::{BTreeMap, HashMap};
use std::sync::{MutexGuard, Weak};
use std::time::Duration;

use mulin_shared::pulse::{
    Alert, DealPulse, MAX_MINUTES, Mark, Minute, PickupPulse, Pulse, QUIET_MS, REFUSAL_SPIKE,
    SELLING_OUT_PERCENT, SELLING_OUT_SECONDS,
};
use mulin_shared::{BagId, Deal, DealId, DealStatus, Order, OrderStatus, PickupId, Refusal};
use mulin_shared::{ResidentId, ServerMsg, UtcMillis};

mod counts;

pub use counts::Refusals;
use counts::Ring;

use super::Room;
use crate::live::Frame;
use crate::now_ms;
use crate::store::{BagTimes, TalliedOrder};

/// How often staff get the figures.
pub const BEAT: Duration = Duration::from_secs(1);

const MINUTE_MS: i64 = 60_000;

/// One deal's rolling counts.
#[derive(Debug, Default)]
struct DealTally {
    orders: Ring,
    units: Ring,
    last_order_at: Option<UtcMillis>,
    sold_out_at: Option<UtcMillis>,
}

/// An order as it counts: the store's rows are these already; the desks' orders become them.
fn counted(o: &Order) -> TalliedOrder {
    TalliedOrder {
        deal: o.deal,
        resident: o.resident,
        qty: o.qty,
        unit_price: o.unit_price,
        pickup: o.pickup,
        created_at: o.created_at,
    }
}

/// A room's running figures.
#[derive(Debug, Default)]
pub(super) struct Tally {
    minutes: BTreeMap<i64, Minute>,
    deals: HashMap<DealId, DealTally>,
    pickups: BTreeMap<PickupId, (u64, i64)>,
    /// Orders that count, per resident.
    buyers: HashMap<ResidentId, u32>,
    orders: u64,
    units: i64,
    sales: i64,
    bags: Vec<BagTimes>,
    refused: [Ring; 4],
    errors: Ring,
    /// The desks' counters at the last beat.
    sampled: [u64; 5],
}

impl Tally {
    /// The figures of a show whose orders and bags the store holds.
    pub(super) fn load(orders: &[TalliedOrder], bags: Vec<BagTimes>, deals: &[Deal]) -> Tally {
        let mut tally = Tally {
            bags,
            ..Tally::default()
        };
        for o in orders {
            tally.count(o, 1);
        }
        for deal in deals.iter().filter(|d| d.remaining() == 0) {
            // Sold out: when its last counted order came in.
            let last = tally.deals.get(&deal.id).and_then(|d| d.last_order_at);
            tally.deals.entry(deal.id).or_default().sold_out_at = last;
        }
        tally
    }

    /// Counts an order in (`sign` 1) or out (-1).
    fn count(&mut self, o: &TalliedOrder, sign: i64) {
        let at = o.created_at;
        let value = o.qty.saturating_mul(o.unit_price);
        let minute = self.minutes.entry(at.div_euclid(MINUTE_MS)).or_default();
        minute.at = at.div_euclid(MINUTE_MS) * MINUTE_MS;
        minute.orders = minute.orders.saturating_add_signed(sign);
        minute.units += sign * o.qty;
        minute.sales += sign * value;
        let deal = self.deals.entry(o.deal).or_default();
        let sec = at.div_euclid(1000);
        deal.orders.add(sec, sign);
        deal.units.add(sec, sign * o.qty);
        if sign > 0 {
            deal.last_order_at = deal.last_order_at.max(Some(at));
        }
        let pickup = self.pickups.entry(o.pickup).or_default();
        pickup.0 = pickup.0.saturating_add_signed(sign);
        pickup.1 += sign * o.qty;
        if pickup.0 == 0 {
            self.pickups.remove(&o.pickup);
        }
        let held = self.buyers.entry(o.resident).or_default();
        *held = held.saturating_add_signed(sign as i32);
        if *held == 0 {
            self.buyers.remove(&o.resident);
        }
        self.orders = self.orders.saturating_add_signed(sign);
        self.units += sign * o.qty;
        self.sales += sign * value;
    }

    /// A desk committed `orders` in `deal` (or changed its stock, with none).
    pub(super) fn placed(&mut self, deal: &Deal, orders: &[Order]) {
        for o in orders {
            self.count(&counted(o), 1);
        }
        self.follow_stock(deal, orders.last().map(|o| o.created_at));
    }

    /// An order changed from `before` to `after` (cancelled, fewer units, another pickup point).
    pub(super) fn changed(&mut self, deal: &Deal, before: &Order, after: &Order) {
        if before.status != OrderStatus::Cancelled {
            self.count(&counted(before), -1);
        }
        if after.status != OrderStatus::Cancelled {
            self.count(&counted(after), 1);
        }
        self.follow_stock(deal, None);
    }

    /// Notes when a deal sold out (at `last`, the order that took its last unit), and forgets it
    /// once units are back on sale.
    fn follow_stock(&mut self, deal: &Deal, last: Option<UtcMillis>) {
        let tally = self.deals.entry(deal.id).or_default();
        if deal.remaining() > 0 {
            tally.sold_out_at = None;
        } else if tally.sold_out_at.is_none() {
            tally.sold_out_at = last.or(tally.last_order_at);
        }
    }

    /// A lucky bag opened.
    pub(super) fn bag_opened(&mut self, bag: BagId, at: UtcMillis) {
        if !self.bags.iter().any(|b| b.bag == bag) {
            self.bags.push(BagTimes {
                bag,
                opened_at: at,
                drawn_at: None,
            });
        }
    }

    /// A lucky bag was drawn.
    pub(super) fn bag_drawn(&mut self, bag: BagId, at: UtcMillis) {
        if let Some(b) = self.bags.iter_mut().find(|b| b.bag == bag) {
            b.drawn_at.get_or_insert(at);
        }
    }

    /// Takes in what the desks counted since the last beat, as of `now`.
    fn sample(&mut self, counted: [u64; 5], now: UtcMillis) {
        let sec = now.div_euclid(1000);
        let mut refused = 0;
        for (i, (n, was)) in counted.iter().zip(self.sampled).enumerate() {
            let new = n.saturating_sub(was);
            if i < 4 {
                self.refused[i].add(sec, new as i64);
                refused += new;
            } else {
                self.errors.add(sec, new as i64);
            }
        }
        self.sampled = counted;
        if refused > 0 {
            let minute = self.minutes.entry(now.div_euclid(MINUTE_MS)).or_default();
            minute.at = now.div_euclid(MINUTE_MS) * MINUTE_MS;
            minute.refused += refused;
        }
    }

    /// The figures as of `now`, with the room's deals (oldest first) and viewers (now, at peak).
    fn pulse<'a>(
        &self,
        now: UtcMillis,
        room_deals: impl DoubleEndedIterator<Item = &'a Deal>,
        (viewers, peak): (u64, u64),
    ) -> Pulse {
        let sec = now.div_euclid(1000);
        let (last_from, before_from) = (sec - 59, sec - 119);
        let mut marks = Vec::new();
        let mut deals = Vec::new();
        let mut alerts = Vec::new();
        for deal in room_deals.rev() {
            let tally = self.deals.get(&deal.id);
            let last_minute = tally.map_or(0, |t| t.orders.sum(last_from, sec));
            let units_last_minute = tally.map_or(0, |t| t.units.sum(last_from, sec)) as i64;
            let sold_out_at = tally.and_then(|t| t.sold_out_at);
            let open = deal.is_open_at(now);
            if deal.starts_at <= now {
                marks.push(Mark::DealLaunched {
                    at: deal.starts_at,
                    deal: deal.id,
                });
            }
            if let Some(at) = sold_out_at {
                marks.push(Mark::DealSoldOut { at, deal: deal.id });
            }
            if deal.status == DealStatus::Ended || deal.ends_at <= now {
                marks.push(Mark::DealEnded {
                    at: deal.ends_at,
                    deal: deal.id,
                });
            }
            let left = deal.remaining();
            if open && left > 0 {
                let few = left * 100 <= deal.stock * SELLING_OUT_PERCENT;
                let soon =
                    units_last_minute > 0 && left * 60 <= units_last_minute * SELLING_OUT_SECONDS;
                if few || soon {
                    alerts.push(Alert::SellingOut {
                        deal: deal.id,
                        left,
                    });
                }
                let since = tally
                    .and_then(|t| t.last_order_at)
                    .unwrap_or(deal.starts_at)
                    .max(deal.starts_at);
                if now - since >= QUIET_MS {
                    alerts.push(Alert::Quiet {
                        deal: deal.id,
                        since,
                    });
                }
            }
            deals.push(DealPulse {
                deal: deal.id,
                product: deal.product,
                stock: deal.stock,
                sold: deal.sold,
                last_minute,
                minute_before: tally.map_or(0, |t| t.orders.sum(before_from, last_from - 1)),
                sold_out_at,
                starts_at: deal.starts_at,
                open,
            });
        }
        for b in &self.bags {
            marks.push(Mark::BagOpened {
                at: b.opened_at,
                bag: b.bag,
            });
            if let Some(at) = b.drawn_at {
                marks.push(Mark::BagDrawn { at, bag: b.bag });
            }
        }
        marks.sort_by_key(Mark::at);
        let refused: Vec<u64> = self.refused.iter().map(|r| r.sum(last_from, sec)).collect();
        let refused_total: u64 = refused.iter().sum();
        let accepted: u64 = deals.iter().map(|d| d.last_minute).sum();
        if refused_total >= REFUSAL_SPIKE && refused_total > accepted {
            let most = (0..refused.len()).max_by_key(|&i| refused[i]).unwrap_or(0);
            alerts.push(Alert::Refusals {
                count: refused_total,
                reason: Refusal::ALL[most],
            });
        }
        let errors = self.errors.sum(last_from, sec);
        if errors > 0 {
            alerts.push(Alert::Errors { count: errors });
        }
        Pulse {
            at: now,
            minutes: self.series(now, &marks),
            marks,
            deals,
            pickups: self
                .pickups
                .iter()
                .map(|(&pickup, &(orders, units))| PickupPulse {
                    pickup,
                    orders,
                    units,
                })
                .collect(),
            orders: self.orders,
            units: self.units,
            sales: self.sales,
            viewers,
            peak,
            buyers: self.buyers.len() as u64,
            alerts,
        }
    }

    /// Every minute from the show's first order or mark to now (the latest [`MAX_MINUTES`]), with
    /// the quiet ones as zeros so the chart's time axis is even.
    fn series(&self, now: UtcMillis, marks: &[Mark]) -> Vec<Minute> {
        let now_minute = now.div_euclid(MINUTE_MS);
        let first = self
            .minutes
            .keys()
            .next()
            .copied()
            .into_iter()
            .chain(marks.first().map(|m| m.at().div_euclid(MINUTE_MS)))
            .min()
            .unwrap_or(now_minute)
            .max(now_minute - MAX_MINUTES as i64 + 1);
        (first..=now_minute.max(first))
            .map(|m| {
                self.minutes.get(&m).copied().unwrap_or(Minute {
                    at: m * MINUTE_MS,
                    ..Minute::default()
                })
            })
            .collect()
    }
}

impl Room {
    /// The control room's figures now, as a `Pulse` frame.
    pub fn pulse_frame(&self) -> Frame {
        let now = now_ms();
        let pulse = {
            let inner = self.lock();
            let viewers = (inner.viewers, inner.peak);
            self.tally().pulse(now, inner.deals.values(), viewers)
        };
        ServerMsg::Pulse { pulse }.to_json().into()
    }

    pub(super) fn tally(&self) -> MutexGuard<'_, Tally> {
        // As with the room's state: every update leaves the figures whole, so keep counting.
        self.tally.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Takes in the desks' counts every [`BEAT`] and sends the figures to the room's staff, if any
/// follow it, until the room is gone.
pub(super) async fn beat(room: Weak<Room>) {
    let mut tick = tokio::time::interval(BEAT);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        let Some(room) = room.upgrade() else {
            return;
        };
        let counted = room.refusals.read();
        room.tally().sample(counted, now_ms());
        if room.orders.receiver_count() > 0 {
            // Nobody left between the count and the send is fine: the frame just drops. A staff
            // connection that falls behind is sent the current figures when it catches up.
            let _ = room.orders.send(room.pulse_frame());
        }
    }
}

#[cfg(test)]
mod tests;

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
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{MutexGuard, Weak};
use std::time::Duration;

use mulin_shared::pulse::{
    Alert, DealPulse, MAX_MINUTES, Mark, Minute, PickupPulse, Pulse, QUIET_MS, REFUSAL_SPIKE,
    SELLING_OUT_PERCENT, SELLING_OUT_SECONDS,
};
use mulin_shared::{BagId, Deal, DealId, DealStatus, Order, OrderStatus, PickupId, Refusal};
use mulin_shared::{ResidentId, ServerMsg, UtcMillis};

use super::Room;
use crate::live::Frame;
use crate::now_ms;
use crate::store::{BagTimes, TalliedOrder};

/// How often staff get the figures.
pub const BEAT: Duration = Duration::from_secs(1);

/// Seconds the rolling counts remember: the last minute and the one before, for the trend.
const RING: usize = 120;

const MINUTE_MS: i64 = 60_000;

/// What the desks count as they decide, without the room: refusals by reason, and purchases that
/// met a store error.
#[derive(Debug, Default)]
pub struct Refusals {
    by_reason: [AtomicU64; 4],
    errors: AtomicU64,
}

impl Refusals {
    /// One purchase refused.
    pub(in crate::live) fn refused(&self, reason: Refusal) {
        let i = Refusal::ALL.iter().position(|r| *r == reason).unwrap_or(0);
        self.by_reason[i].fetch_add(1, Ordering::Relaxed);
    }

    /// `n` purchases that could not be stored.
    pub(in crate::live) fn failed(&self, n: u64) {
        self.errors.fetch_add(n, Ordering::Relaxed);
    }

    fn read(&self) -> [u64; 5] {
        let r = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let b = &self.by_reason;
        [r(&b[0]), r(&b[1]), r(&b[2]), r(&b[3]), r(&self.errors)]
    }
}

/// Counts per second over the last [`RING`] seconds.
#[derive(Debug, Clone)]
struct Ring(Vec<(i64, u64)>);

impl Default for Ring {
    fn default() -> Ring {
        Ring(vec![(i64::MIN, 0); RING])
    }
}

impl Ring {
    /// Adds `n` (or takes it away, if negative) at second `sec`; older than the ring: ignored.
    fn add(&mut self, sec: i64, n: i64) {
        let slot = &mut self.0[sec.rem_euclid(RING as i64) as usize];
        if slot.0 > sec {
            return;
        }
        if slot.0 < sec {
            *slot = (sec, 0);
        }
        slot.1 = slot.1.saturating_add_signed(n);
    }

    /// The sum over seconds `from..=to`.
    fn sum(&self, from: i64, to: i64) -> u64 {
        self.0
            .iter()
            .filter(|(s, _)| (from..=to).contains(s))
            .map(|(_, n)| n)
            .sum()
    }
}

/// One deal's rolling counts.
#[derive(Debug, Default)]
struct DealTally {
    orders: Ring,
    units: Ring,
    last_order_at: Option<UtcMillis>,
    sold_out_at: Option<UtcMillis>,
}

/// An order as it counts: what the store's rows and the desks' orders have in common.
struct Counted {
    deal: DealId,
    resident: ResidentId,
    qty: i64,
    unit_price: i64,
    pickup: PickupId,
    created_at: UtcMillis,
}

impl From<&Order> for Counted {
    fn from(o: &Order) -> Counted {
        Counted {
            deal: o.deal,
            resident: o.resident,
            qty: o.qty,
            unit_price: o.unit_price,
            pickup: o.pickup,
            created_at: o.created_at,
        }
    }
}

impl From<&TalliedOrder> for Counted {
    fn from(o: &TalliedOrder) -> Counted {
        Counted {
            deal: o.deal,
            resident: o.resident,
            qty: o.qty,
            unit_price: o.unit_price,
            pickup: o.pickup,
            created_at: o.created_at,
        }
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
            tally.count(&o.into(), 1);
        }
        for deal in deals.iter().filter(|d| d.remaining() == 0) {
            // Sold out: when its last counted order came in.
            let last = tally.deals.get(&deal.id).and_then(|d| d.last_order_at);
            tally.deals.entry(deal.id).or_default().sold_out_at = last;
        }
        tally
    }

    /// Counts an order in (`sign` 1) or out (-1).
    fn count(&mut self, o: &Counted, sign: i64) {
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
            self.count(&o.into(), 1);
        }
        self.follow_stock(deal, orders.last().map(|o| o.created_at));
    }

    /// An order changed from `before` to `after` (cancelled, fewer units, another pickup point).
    pub(super) fn changed(&mut self, deal: &Deal, before: &Order, after: &Order) {
        if before.status != OrderStatus::Cancelled {
            self.count(&before.into(), -1);
        }
        if after.status != OrderStatus::Cancelled {
            self.count(&after.into(), 1);
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
mod tests {
    use super::*;

    const T0: UtcMillis = 1_800_000_000_000;

    fn deal(id: DealId, stock: i64, sold: i64) -> Deal {
        Deal {
            id,
            show: 1,
            product: 1,
            price: 990,
            stock,
            sold,
            per_resident_limit: 5,
            starts_at: T0,
            ends_at: T0 + 3_600_000,
            status: DealStatus::Live,
        }
    }

    fn order(deal: DealId, resident: ResidentId, qty: i64, at: UtcMillis) -> Order {
        Order {
            id: at,
            deal,
            resident,
            nickname: String::new(),
            qty,
            unit_price: 990,
            pickup: 7,
            pickup_code: String::new(),
            status: OrderStatus::Accepted,
            created_at: at,
            cancel_reason: None,
            product: 1,
            show: 1,
            placed_by: None,
        }
    }

    #[test]
    fn figures_add_up_and_a_cancellation_takes_its_order_back_out() {
        let mut tally = Tally::default();
        let mut d = deal(1, 10, 3);
        let first = order(1, 100, 2, T0 + 1_000);
        tally.placed(&d, &[first.clone(), order(1, 101, 1, T0 + 61_000)]);
        let p = tally.pulse(T0 + 62_000, [&d].into_iter(), (40, 50));
        assert_eq!((p.orders, p.units, p.sales, p.buyers), (2, 3, 2970, 2));
        assert_eq!(p.minutes.len(), 2);
        assert_eq!((p.minutes[0].orders, p.minutes[1].orders), (1, 1));
        assert_eq!((p.deals[0].last_minute, p.deals[0].minute_before), (1, 1));
        assert_eq!(
            p.pickups,
            [PickupPulse {
                pickup: 7,
                orders: 2,
                units: 3
            }]
        );
        assert_eq!(p.conversion_permille(), Some(40));

        d.sold = 1;
        let cancelled = Order {
            status: OrderStatus::Cancelled,
            ..first.clone()
        };
        tally.changed(&d, &first, &cancelled);
        let p = tally.pulse(T0 + 62_000, [&d].into_iter(), (40, 50));
        assert_eq!((p.orders, p.units, p.buyers), (1, 1, 1));
        assert_eq!(p.minutes[0].orders, 0);
        assert_eq!(p.pickups[0].units, 1);
    }

    #[test]
    fn a_sold_out_deal_is_marked_and_forgotten_once_restocked() {
        let mut tally = Tally::default();
        let mut d = deal(1, 2, 2);
        tally.placed(&d, &[order(1, 100, 2, T0 + 5_000)]);
        let p = tally.pulse(T0 + 6_000, [&d].into_iter(), (1, 1));
        assert_eq!(p.deals[0].sold_out_at, Some(T0 + 5_000));
        assert!(p.marks.contains(&Mark::DealSoldOut {
            at: T0 + 5_000,
            deal: 1
        }));
        assert!(p.marks.contains(&Mark::DealLaunched { at: T0, deal: 1 }));
        d.stock = 10;
        tally.placed(&d, &[]);
        let p = tally.pulse(T0 + 7_000, [&d].into_iter(), (1, 1));
        assert_eq!(p.deals[0].sold_out_at, None);
    }

    #[test]
    fn alerts_name_a_deal_selling_out_a_quiet_deal_refusals_and_errors() {
        let mut tally = Tally::default();
        // 9 of 10 sold: one left (10% or less).
        let nearly = deal(1, 10, 9);
        tally.placed(&nearly, &[order(1, 100, 9, T0 + 1_000)]);
        // Selling 30 a minute with 40 left: gone within two minutes.
        let fast = deal(2, 100, 60);
        let orders: Vec<Order> = (0..30)
            .map(|i| order(2, 200 + i, 2, T0 + 590_000 + i * 100))
            .collect();
        tally.placed(&fast, &orders);
        // Nothing for more than five minutes.
        let quiet = deal(3, 100, 0);
        let now = T0 + 600_000;
        let reasons = Refusals::default();
        for _ in 0..25 {
            reasons.refused(Refusal::SoldOut);
        }
        reasons.refused(Refusal::LimitReached);
        reasons.failed(2);
        tally.sample(reasons.read(), now);
        let p = tally.pulse(now, [&nearly, &fast, &quiet].into_iter(), (0, 0));
        assert!(
            p.alerts.contains(&Alert::SellingOut { deal: 1, left: 1 }),
            "{:?}",
            p.alerts
        );
        assert!(p.alerts.contains(&Alert::SellingOut { deal: 2, left: 40 }));
        assert!(p.alerts.contains(&Alert::Quiet { deal: 3, since: T0 }));
        assert!(p.alerts.contains(&Alert::Quiet {
            deal: 1,
            since: T0 + 1_000
        }));
        assert!(
            !p.alerts
                .iter()
                .any(|a| matches!(a, Alert::Quiet { deal: 2, .. }))
        );
        // 26 refused against 30 accepted in the last minute: not a spike yet.
        assert!(!p.alerts.iter().any(|a| matches!(a, Alert::Refusals { .. })));
        assert!(p.alerts.contains(&Alert::Errors { count: 2 }));
        assert_eq!(p.minutes.last().map(|m| m.refused), Some(26));

        for _ in 0..10 {
            reasons.refused(Refusal::SoldOut);
        }
        tally.sample(reasons.read(), now + 1_000);
        let p = tally.pulse(now + 1_000, [&nearly, &fast, &quiet].into_iter(), (0, 0));
        assert!(p.alerts.contains(&Alert::Refusals {
            count: 36,
            reason: Refusal::SoldOut
        }));
        // A minute on, the errors are no longer news.
        tally.sample(reasons.read(), now + 62_000);
        let p = tally.pulse(now + 62_000, [&nearly, &fast, &quiet].into_iter(), (0, 0));
        assert!(!p.alerts.iter().any(|a| matches!(a, Alert::Errors { .. })));
    }

    #[test]
    fn a_ring_forgets_what_is_older_than_two_minutes() {
        let mut ring = Ring::default();
        ring.add(1000, 3);
        ring.add(1059, 2);
        assert_eq!(ring.sum(1000, 1059), 5);
        // Second 1120 takes 1000's slot: 1000 is gone, and a late add for it is ignored.
        ring.add(1120, 1);
        ring.add(1000, 7);
        assert_eq!(ring.sum(1000, 1120), 3);
        ring.add(1120, -1);
        assert_eq!(ring.sum(1061, 1120), 0);
    }
}

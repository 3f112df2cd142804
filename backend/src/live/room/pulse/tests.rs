//! The control room's figures, counted and read back without a server.

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
        collect_by: None,
        handed: 0,
        pickup_qr: None,
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

//! The control room's figures (`Pulse` frames, to the show's staff about once a second): they move
//! while a spike runs, end equal to what the store holds (asked in its own SQL), name what needs a
//! human, survive a restart, and never reach residents.

use std::collections::BTreeMap;
use std::time::Duration;

use mulin_shared::pulse::{Alert, Mark, Pulse};
use mulin_shared::{ClientMsg, Refusal, ServerMsg};
use mulin_tests::spike::{self, SpikeConfig};
use mulin_tests::{Client, TestServer};
use sqlx::{Connection, Row, SqliteConnection};

/// The next `Pulse` this staff connection receives.
async fn next_pulse(staff: &mut Client) -> Pulse {
    staff
        .recv_within(Duration::from_secs(10), |m| match m {
            ServerMsg::Pulse { pulse } => Some(pulse.clone()),
            _ => None,
        })
        .await
}

/// What the store holds for a show, asked in its own SQL, counting orders that are not cancelled.
#[derive(Debug, PartialEq)]
struct Figures {
    /// Orders, units, sales, distinct buyers.
    totals: [i64; 4],
    /// Units sold per deal (every deal of the show).
    deals: BTreeMap<i64, i64>,
    /// (orders, units) per pickup point with orders.
    pickups: BTreeMap<i64, (i64, i64)>,
    /// Orders per minute with orders.
    minutes: BTreeMap<i64, i64>,
}

async fn rows(db: &mut SqliteConnection, sql: String) -> Vec<sqlx::sqlite::SqliteRow> {
    sqlx::query(&sql).fetch_all(db).await.expect(&sql)
}

async fn stored(ts: &TestServer) -> Figures {
    let mut db = SqliteConnection::connect(&format!("sqlite://{}?mode=ro", ts.db.display()))
        .await
        .expect("read-only connection");
    let show = ts.show;
    let kept = format!(
        "FROM orders o JOIN deals d ON d.id = o.deal_id \
         WHERE d.show_id = {show} AND o.status != 'cancelled'"
    );
    let totals = rows(
        &mut db,
        format!(
            "SELECT COUNT(*), IFNULL(SUM(o.qty), 0), IFNULL(SUM(o.qty * o.unit_price), 0), \
             COUNT(DISTINCT o.resident_id) {kept}"
        ),
    )
    .await;
    let t = &totals[0];
    let deals = rows(
        &mut db,
        format!(
            "SELECT d.id, IFNULL(SUM(o.qty), 0) FROM deals d LEFT JOIN orders o \
             ON o.deal_id = d.id AND o.status != 'cancelled' WHERE d.show_id = {show} GROUP BY d.id"
        ),
    )
    .await;
    let pickups = rows(
        &mut db,
        format!("SELECT o.pickup_id, COUNT(*), SUM(o.qty) {kept} GROUP BY o.pickup_id"),
    )
    .await;
    let minutes = rows(
        &mut db,
        format!("SELECT o.created_at / 60000 * 60000, COUNT(*) {kept} GROUP BY 1"),
    )
    .await;
    Figures {
        totals: [t.get(0), t.get(1), t.get(2), t.get(3)],
        deals: deals.iter().map(|r| (r.get(0), r.get(1))).collect(),
        pickups: pickups
            .iter()
            .map(|r| (r.get(0), (r.get(1), r.get(2))))
            .collect(),
        minutes: minutes.iter().map(|r| (r.get(0), r.get(1))).collect(),
    }
}

/// The pulse's figures, in the same shape.
fn figures(pulse: &Pulse) -> Figures {
    Figures {
        totals: [
            pulse.orders as i64,
            pulse.units,
            pulse.sales,
            pulse.buyers as i64,
        ],
        deals: pulse.deals.iter().map(|d| (d.deal, d.sold)).collect(),
        pickups: pulse
            .pickups
            .iter()
            .map(|p| (p.pickup, (p.orders as i64, p.units)))
            .collect(),
        minutes: pulse
            .minutes
            .iter()
            .filter(|m| m.orders > 0)
            .map(|m| (m.at, m.orders as i64))
            .collect(),
    }
}

/// Whether `pulse` says what the store says.
fn agrees(pulse: &Pulse, store: &Figures) -> bool {
    &figures(pulse) == store
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_figures_move_during_a_spike_and_end_equal_to_the_store() {
    let ts = TestServer::start().await;
    let mut staff = ts.host().await;
    let first = next_pulse(&mut staff).await;
    assert_eq!(figures(&first), stored(&ts).await);

    let cfg = SpikeConfig {
        buyers: 400,
        stock: 100,
        limit: 1,
        qty: 1,
        orders_each: 1,
        duplicates: 0,
        window: Duration::from_millis(2_500),
    };
    let target = ts.spike_target();
    let spike = tokio::spawn(async move { spike::run(&target, &cfg).await });
    // While it runs, the figures only ever grow, and never past the stock.
    let mut seen = Vec::new();
    while !spike.is_finished() {
        let pulse = next_pulse(&mut staff).await;
        seen.push(pulse.orders);
    }
    let run = spike.await.expect("spike task").expect("spike runs");
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    assert!(seen.iter().all(|&n| n <= first.orders + 100), "{seen:?}");

    // One order cancelled by staff: it leaves the figures.
    let accepted: Vec<i64> = run
        .buyers
        .iter()
        .flat_map(|b| &b.intents)
        .filter_map(|i| match i.answer {
            spike::Answer::Accepted(id) => Some(id),
            _ => None,
        })
        .collect();
    assert_eq!(accepted.len(), 100);
    staff
        .send(&ClientMsg::CancelOrder {
            order: accepted[0],
            reason: Some("重复下单".into()),
        })
        .await;
    staff
        .recv_until(|m| matches!(m, ServerMsg::OrderUpdated { .. }).then_some(()))
        .await;

    // Within a couple of beats the figures equal the store's own sums.
    let store = stored(&ts).await;
    let mut last = None;
    for _ in 0..5 {
        let pulse = next_pulse(&mut staff).await;
        if agrees(&pulse, &store) {
            last = Some(pulse);
            break;
        }
    }
    let pulse = last.expect("the figures catch up with the store within five beats");
    let deal = pulse
        .deals
        .iter()
        .find(|d| d.deal == run.deal)
        .expect("the spike's deal");
    assert_eq!((deal.stock, deal.sold), (100, 99));
    assert!(deal.sold_out_at.is_none(), "a unit is back on sale");
    assert!(
        pulse.marks.contains(&Mark::DealLaunched {
            at: deal.starts_at,
            deal: run.deal
        }),
        "{:?}",
        pulse.marks
    );
    // 300 residents heard "sold out" against 100 orders: the refusals are an alert, by reason.
    let refused: u64 = pulse.minutes.iter().map(|m| m.refused).sum();
    assert_eq!(refused, 300);
    assert!(
        pulse.alerts.contains(&Alert::Refusals {
            count: 300,
            reason: Refusal::SoldOut
        }),
        "{:?}",
        pulse.alerts
    );
    // One unit left of 100: about to sell out.
    assert!(pulse.alerts.contains(&Alert::SellingOut {
        deal: run.deal,
        left: 1
    }));
    assert!(pulse.peak >= 1, "the buyers watched");
}

#[tokio::test]
async fn a_sold_out_deal_is_marked_and_the_figures_survive_a_restart() {
    let ts = TestServer::start().await;
    let mut host = ts.host().await;
    let deal = host.launch_deal(3, 500, 2, 2).await;
    let mut buyer = ts.client().await;
    buyer.join(ts.show).await;
    buyer.sign_in("老刘").await;
    let ServerMsg::OrderAccepted { order, .. } = buyer.order(deal.id, 2, "restart-1").await else {
        panic!("the order");
    };
    let pulse = loop {
        let pulse = next_pulse(&mut host).await;
        if pulse.deals.iter().any(|d| d.deal == deal.id && d.sold == 2) {
            break pulse;
        }
    };
    let mine = pulse
        .deals
        .iter()
        .find(|d| d.deal == deal.id)
        .expect("deal");
    assert_eq!(mine.sold_out_at, Some(order.created_at));
    assert!(pulse.marks.contains(&Mark::DealSoldOut {
        at: order.created_at,
        deal: deal.id
    }));
    assert_eq!(figures(&pulse), stored(&ts).await);

    let ts = ts.restart().await;
    let mut host = ts.host().await;
    let again = next_pulse(&mut host).await;
    assert_eq!(figures(&again), stored(&ts).await);
    assert_eq!(again.deals, {
        // The last minute's counts are the same orders; only `open` could differ, and has not.
        pulse.deals.clone()
    });
    assert_eq!(again.marks, pulse.marks);
}

#[tokio::test]
async fn residents_never_receive_the_figures_but_are_counted_as_viewers() {
    let ts = TestServer::start().await;
    let mut resident = ts.client().await;
    resident.join(ts.show).await;
    let mut staff = ts.host().await;
    let pulse = loop {
        let pulse = next_pulse(&mut staff).await;
        if pulse.viewers >= 1 {
            break pulse;
        }
    };
    assert!(pulse.peak >= pulse.viewers);
    // Two beats later, the resident has had no figures.
    tokio::time::sleep(Duration::from_millis(2_200)).await;
    resident
        .send(&ClientMsg::Ping {
            t: mulin_backend::now_ms(),
        })
        .await;
    resident
        .recv_until(|m| match m {
            ServerMsg::Pulse { .. } => panic!("a resident received the control room's figures"),
            ServerMsg::Pong { .. } => Some(()),
            _ => None,
        })
        .await;
}

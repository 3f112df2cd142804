//! Cancelling an order: who may (the buyer, the show's staff; another resident's order is no order
//! at all to them), and staff's reason, which the resident is shown.

use mulin_shared::{ClientMsg, Deal, ErrorCode, ServerMsg};
use mulin_tests::TestServer;

async fn launch(ts: &TestServer, stock: i64, limit: i64) -> Deal {
    ts.host().await.launch_deal(2, 2990, stock, limit).await
}

#[tokio::test]
async fn only_the_buyer_or_staff_may_cancel() {
    let ts = TestServer::start().await;
    let deal = launch(&ts, 10, 5).await;
    let mut a = ts.resident("a").await;
    let mut b = ts.resident("b").await;
    let ServerMsg::OrderAccepted { order: o, .. } = a.order(deal.id, 1, "x").await else {
        panic!("accepted");
    };
    // Another's order is, to a resident, no order at all.
    b.send(&ClientMsg::CancelOrder {
        order: o.id,
        reason: None,
    })
    .await;
    assert_eq!(b.next_error().await.0, ErrorCode::UnknownOrder);
    b.send(&ClientMsg::CancelOrder {
        order: 987_654,
        reason: None,
    })
    .await;
    assert_eq!(b.next_error().await.0, ErrorCode::UnknownOrder);

    let mut moderator = ts.client().await;
    moderator.join(ts.show).await;
    moderator.resume(&ts.moderator_token).await;
    moderator
        .send(&ClientMsg::CancelOrder {
            order: o.id,
            reason: None,
        })
        .await;
    let updated = moderator
        .recv_until(|m| match m {
            ServerMsg::OrderUpdated { order } if order.id == o.id => Some(order.status),
            ServerMsg::Error { code, message, .. } => {
                panic!("moderator refused: {code:?} {message}")
            }
            _ => None,
        })
        .await;
    assert_eq!(updated, mulin_shared::OrderStatus::Cancelled);

    // The buyer hears of it at once, so "My orders" shows it cancelled; nobody else does.
    let heard = a
        .recv_until(|m| match m {
            ServerMsg::OrderCancelled { order } if order.id == o.id => Some(order.status),
            _ => None,
        })
        .await;
    assert_eq!(heard, mulin_shared::OrderStatus::Cancelled);
    for t in [1, 2] {
        // Two round trips: by the second answer, b's connection has passed on anything it got.
        b.send(&ClientMsg::Ping { t }).await;
        b.recv_until(|m| match m {
            ServerMsg::OrderCancelled { order } => panic!("b was told of {order:?}"),
            ServerMsg::Pong { .. } => Some(()),
            _ => None,
        })
        .await;
    }
}

/// Staff may say why they cancel an order; the resident is told, at once and whenever their orders
/// are listed again. A resident's own cancellation carries no reason, and a reason that is not one
/// line of at most 100 characters is refused, with nothing cancelled.
#[tokio::test]
async fn staff_cancel_with_a_reason_the_resident_sees() {
    let ts = TestServer::start().await;
    let deal = launch(&ts, 10, 5).await;
    let mut a = ts.resident("a").await;
    let ServerMsg::OrderAccepted { order: o, .. } = a.order(deal.id, 1, "r1").await else {
        panic!("accepted");
    };
    let mut moderator = ts.client().await;
    moderator.join(ts.show).await;
    moderator.resume(&ts.moderator_token).await;
    moderator
        .send(&ClientMsg::CancelOrder {
            order: o.id,
            reason: Some("x".repeat(101)),
        })
        .await;
    assert_eq!(moderator.next_error().await.0, ErrorCode::InvalidReason);
    moderator
        .send(&ClientMsg::CancelOrder {
            order: o.id,
            reason: Some("  鸡蛋运输中破损，下周补发  ".into()),
        })
        .await;
    let told = a
        .recv_until(|m| match m {
            ServerMsg::OrderCancelled { order } => Some(order.clone()),
            _ => None,
        })
        .await;
    assert_eq!(
        told.cancel_reason.as_deref(),
        Some("鸡蛋运输中破损，下周补发")
    );
    // Listed again (a new connection of the same resident), the reason is still there.
    let stored = ts.server.store().show_orders(ts.show, 10).await.unwrap();
    assert_eq!(
        stored[0].cancel_reason.as_deref(),
        Some("鸡蛋运输中破损，下周补发")
    );
    // A resident's reason is not kept.
    let ServerMsg::OrderAccepted { order: mine, .. } = a.order(deal.id, 1, "r2").await else {
        panic!("accepted");
    };
    a.send(&ClientMsg::CancelOrder {
        order: mine.id,
        reason: Some("我自己不要了".into()),
    })
    .await;
    let cancelled = a
        .recv_until(|m| match m {
            ServerMsg::OrderCancelled { order } if order.id == mine.id => Some(order.clone()),
            _ => None,
        })
        .await;
    assert_eq!(cancelled.cancel_reason, None);
}

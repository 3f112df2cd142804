//! Staff find a show's orders over HTTP (`GET /api/shows/{show}/orders`): by pickup code, by the
//! last four digits of the buyer's phone or by part of their name, filtered by deal, pickup point
//! and state; every buyer's phone comes masked, and nobody else may look.

use mulin_shared::control::FoundOrder;
use mulin_shared::{ClientMsg, Order, ServerMsg};
use mulin_tests::staff::api;
use mulin_tests::{Client, TestServer};

/// A resident with `phone` who buys one unit of `deal`: their order.
async fn buyer(ts: &TestServer, name: &str, phone: &str, deal: i64) -> (Client, Order) {
    let mut c = ts.client().await;
    c.join(ts.show).await;
    c.sign_in_as(name, phone).await;
    let ServerMsg::OrderAccepted { order, .. } = c.order(deal, 1, &format!("find-{phone}")).await
    else {
        panic!("{name}'s order");
    };
    (c, order)
}

#[tokio::test]
async fn staff_find_orders_by_code_phone_or_name_and_see_phones_masked() {
    let ts = TestServer::start().await;
    let addr = ts.addr();
    let mut probe = ts.client().await;
    let deal = probe.join_pinned(ts.show).await;
    let (mut wang, wangs) = buyer(&ts, "王阿姨", "13800138000", deal).await;
    let (_li, lis) = buyer(&ts, "李叔", "13912345678", deal).await;
    let token = Some(ts.moderator_token.as_str());
    let base = format!("/api/shows/{}/orders", ts.show);
    let find = |query: String| {
        let path = format!("{base}?{query}");
        async move {
            let (status, answer) = api(addr, "GET", &path, token, None).await;
            assert_eq!(status, 200, "{path}: {answer}");
            // The whole number never leaves the server.
            let text = answer.to_string();
            assert!(
                !text.contains("13800138000") && !text.contains("13912345678"),
                "{text}"
            );
            serde_json::from_value::<Vec<FoundOrder>>(answer).expect("found orders")
        }
    };
    let ids = |found: &[FoundOrder]| found.iter().map(|f| f.order.id).collect::<Vec<_>>();

    let by_name = find("q=%E7%8E%8B".into()).await; // 王
    assert_eq!(ids(&by_name), [wangs.id]);
    assert_eq!(by_name[0].phone, "138****8000");
    assert_eq!(by_name[0].order, wangs);
    assert_eq!(ids(&find("q=5678".into()).await), [lis.id]);
    assert_eq!(ids(&find(format!("q={}", lis.pickup_code)).await), [lis.id]);
    // Newest first; filtered by deal and pickup point.
    let all = find(format!("deal={deal}")).await;
    assert_eq!(ids(&all)[..2], [lis.id, wangs.id]);
    assert!(find("deal=987654".into()).await.is_empty());
    assert!(
        find(format!("pickup={}", wangs.pickup))
            .await
            .iter()
            .any(|f| f.order.id == wangs.id)
    );
    // By state: a cancelled order is found as cancelled.
    wang.send(&ClientMsg::CancelOrder {
        order: wangs.id,
        reason: None,
    })
    .await;
    wang.recv_until(|m| matches!(m, ServerMsg::OrderCancelled { .. }).then_some(()))
        .await;
    assert_eq!(ids(&find("status=cancelled".into()).await), [wangs.id]);
    assert!(!ids(&find("status=accepted".into()).await).contains(&wangs.id));
    assert_eq!(
        ids(&find("q=nobody&limit=5".into()).await),
        Vec::<i64>::new()
    );

    // Bad searches are named; nobody else may look.
    for bad in [
        "status=lost",
        "limit=many",
        "colour=red",
        &format!("q={}", "x".repeat(25)),
    ] {
        let (status, answer) = api(addr, "GET", &format!("{base}?{bad}"), token, None).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (400, Some("invalid_message")),
            "{bad}"
        );
    }
    let (_, resident_token) = probe.sign_in("邻居").await;
    for (who, token, status) in [
        ("nobody", None, 401),
        ("a resident", Some(resident_token.as_str()), 403),
    ] {
        let (got, answer) = api(addr, "GET", &base, token, None).await;
        assert_eq!(got, status, "{who}: {answer}");
    }
    let (got, _) = api(addr, "GET", "/api/shows/987654/orders", token, None).await;
    assert_eq!(got, 403, "another show is not the moderator's");
}

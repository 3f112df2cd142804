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
    // Staff see the order as it is, without the value of its resident's QR code.
    assert_eq!(
        by_name[0].order,
        mulin_shared::Order {
            pickup_qr: None,
            ..wangs.clone()
        }
    );
    assert!(
        wangs.pickup_qr.is_some(),
        "the resident's copy carries its QR value"
    );
    assert_eq!(ids(&find("q=5678".into()).await), [lis.id]);
    // The whole number as it is typed (spaces, full-width digits) finds it too, and is not echoed.
    assert_eq!(ids(&find("q=13912345678".into()).await), [lis.id]);
    assert_eq!(ids(&find("q=139%201234%205678".into()).await), [lis.id]);
    let wide: String = lis
        .pickup_code
        .chars()
        .map(|c| char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap_or(c))
        .collect();
    assert_eq!(
        ids(&find(format!("q={}", urlencode(&wide))).await),
        [lis.id]
    );
    // A whole name comes before names that only contain it, though those are newer.
    let (_, lis_son) = buyer(&ts, "李叔的儿子", "13912340000", deal).await;
    assert_eq!(
        ids(&find("q=%E6%9D%8E%E5%8F%94".into()).await), // 李叔
        [lis.id, lis_son.id]
    );
    assert_eq!(ids(&find(format!("q={}", lis.pickup_code)).await), [lis.id]);
    // Newest first; filtered by deal and pickup point.
    let all = find(format!("deal={deal}")).await;
    assert_eq!(ids(&all)[..3], [lis_son.id, lis.id, wangs.id]);
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

/// A moderator who must call a resident asks for the whole number: it is given, and each time is
/// in the audit log; nobody else of the staff may.
#[tokio::test]
async fn a_moderator_sees_a_whole_number_only_on_asking_and_it_is_logged() {
    use mulin_shared::Role;
    use mulin_tests::staff::{demo_manager, staff_member};
    let ts = TestServer::start().await;
    let addr = ts.addr();
    let mut probe = ts.client().await;
    let deal = probe.join_pinned(ts.show).await;
    let (_, order) = buyer(&ts, "陈阿姨", "13900139000", deal).await;
    let (community, manager) = demo_manager(&ts).await;
    let (_, moderator) = staff_member(
        addr,
        community,
        &manager,
        "场控小吴",
        &[Role::Moderator],
        &[],
    )
    .await;
    let path = format!("/api/shows/{}/orders/{}/phone", ts.show, order.id);
    let (status, answer) = api(addr, "POST", &path, Some(&moderator), None).await;
    assert_eq!(
        (status, &answer["phone"]),
        (200, &serde_json::json!("13900139000"))
    );
    let (_, log) = api(
        addr,
        "GET",
        &format!("/api/communities/{community}/audit"),
        Some(&manager),
        None,
    )
    .await;
    let text = log.to_string();
    assert!(
        text.contains("phone_revealed") && text.contains("场控小吴") && text.contains("陈阿姨"),
        "{text}"
    );
    assert!(
        !text.contains("13900139000"),
        "the log names who, not the number"
    );

    let (status, answer) = api(
        addr,
        "POST",
        &format!("/api/shows/{}/orders/987654/phone", ts.show),
        Some(&moderator),
        None,
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (404, Some("unknown_order"))
    );
    let mut refused = vec![("nobody", None, 401)];
    let (_, resident_token) = probe.sign_in("路人").await;
    refused.push(("a resident", Some(resident_token), 403));
    for (name, roles) in [
        ("主播丙", vec![Role::Host]),
        ("网格员丁", vec![Role::GridWorker]),
        ("经理戊", vec![Role::Manager]),
    ] {
        let (_, token) = staff_member(addr, community, &manager, name, &roles, &[]).await;
        refused.push((name, Some(token), 403));
    }
    let (_, clerk) = staff_member(
        addr,
        community,
        &manager,
        "店员己",
        &[Role::PickupClerk],
        &[1],
    )
    .await;
    refused.push(("a pickup clerk", Some(clerk), 403));
    for (who, token, status) in refused {
        let (got, answer) = api(addr, "POST", &path, token.as_deref(), None).await;
        assert_eq!(got, status, "{who}: {answer}");
        assert!(!answer.to_string().contains("13900139000"), "{who}");
    }
}

/// `text` for a query string (percent-encoded UTF-8).
fn urlencode(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

//! Muting over HTTP and the protocol: a moderator stops a resident from ordering and entering
//! lucky bags in the community, with a reason; the resident is refused with `muted` and nothing is
//! stored; lifting it restores buying at once; every refusal of who may mute, and bad input.

use mulin_shared::{ClientMsg, ErrorCode, Role, ServerMsg};
use mulin_tests::TestServer;
use mulin_tests::staff::{api, demo_manager, staff_member};
use serde_json::json;

#[tokio::test]
async fn a_muted_resident_cannot_buy_or_enter_until_lifted() {
    let ts = TestServer::start().await;
    let addr = ts.addr();
    let store = ts.server.store().clone();
    let (community, manager) = demo_manager(&ts).await;
    let (_, moderator) = staff_member(
        addr,
        community,
        &manager,
        "场控小周",
        &[Role::Moderator],
        &[],
    )
    .await;
    let base = format!("/api/communities/{community}/mutes");

    let mut resident = ts.client().await;
    let deal = resident.join_pinned(ts.show).await;
    let (id, _) = resident.sign_in("吵闹的人").await;
    assert!(matches!(
        resident.order(deal, 1, "before").await,
        ServerMsg::OrderAccepted { .. }
    ));

    // Muted until lifted, with a reason.
    let draft = json!({ "resident": id, "reason": " 多次下单不取货 " });
    let (status, made) = api(addr, "POST", &base, Some(&moderator), Some(&draft)).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["reason"], json!("多次下单不取货"));
    assert_eq!(made["until"], json!(null));
    assert_eq!(made["by"], json!("场控小周"));
    let mute = made["id"].as_i64().expect("an id");

    // Refused with `muted`, carrying the purchase's key and the reason; nothing is stored.
    let orders_before = store.show_orders(ts.show, 1_000).await.expect("orders");
    resident
        .send(&ClientMsg::PlaceOrder {
            deal,
            qty: 1,
            pickup: 1,
            key: "while-muted".into(),
        })
        .await;
    let (code, key, message) = resident
        .recv_until(|m| match m {
            ServerMsg::Error { code, key, message } => Some((*code, key.clone(), message.clone())),
            _ => None,
        })
        .await;
    assert_eq!(
        (code, key.as_deref()),
        (ErrorCode::Muted, Some("while-muted"))
    );
    assert!(message.contains("多次下单不取货"), "{message}");
    assert_eq!(
        store.show_orders(ts.show, 1_000).await.expect("orders"),
        orders_before
    );
    // Lucky bags too.
    let mut host = ts.host().await;
    let bag = host.open_bag("花生油").await;
    resident.send(&ClientMsg::EnterBag { bag }).await;
    assert_eq!(resident.next_error().await.0, ErrorCode::Muted);
    assert!(store.bag_entries(bag).await.expect("entries").is_empty());

    // Listed, and in the log.
    let (_, listed) = api(addr, "GET", &base, Some(&moderator), None).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    let log = store
        .audit_log(community, &Default::default())
        .await
        .expect("log");
    assert!(log.iter().any(
        |l| l.action == mulin_shared::community::AuditAction::ResidentMuted
            && l.actor == "场控小周"
    ));

    // Lifted: buying works at once; lifting again finds nothing.
    let lift = format!("{base}/{mute}/lift");
    let (status, _) = api(addr, "POST", &lift, Some(&manager), None).await;
    assert_eq!(status, 200);
    assert!(matches!(
        resident.order(deal, 1, "after").await,
        ServerMsg::OrderAccepted { .. }
    ));
    let (status, again) = api(addr, "POST", &lift, Some(&manager), None).await;
    assert_eq!((status, &again["error"]), (404, &json!("unknown_mute")));
    let (_, listed) = api(addr, "GET", &base, Some(&moderator), None).await;
    assert_eq!(listed, json!([]));
}

#[tokio::test]
async fn muting_bad_input_and_everyone_else_is_refused_and_nothing_is_written() {
    let ts = TestServer::start().await;
    let addr = ts.addr();
    let store = ts.server.store().clone();
    let (community, manager) = demo_manager(&ts).await;
    let base = format!("/api/communities/{community}/mutes");
    let mut resident = ts.client().await;
    let deal = resident.join_pinned(ts.show).await;
    let (id, resident_token) = resident.sign_in("王阿姨").await;
    resident.order(deal, 1, "known").await;
    let log_before = store
        .audit_log(community, &Default::default())
        .await
        .expect("log");

    for (body, status, code) in [
        (
            json!({ "resident": id, "reason": "  " }),
            422,
            "invalid_message",
        ),
        (
            json!({ "resident": id, "reason": "x", "minutes": 0 }),
            422,
            "invalid_message",
        ),
        (
            json!({ "resident": id, "reason": "x", "minutes": 200_000 }),
            422,
            "invalid_message",
        ),
        (json!({ "resident": id }), 400, "invalid_message"),
        (
            json!({ "resident": 987_654, "reason": "x" }),
            404,
            "unknown_resident",
        ),
    ] {
        let (got, answer) = api(addr, "POST", &base, Some(&manager), Some(&body)).await;
        assert_eq!(
            (got, answer["error"].as_str()),
            (status, Some(code)),
            "{body}"
        );
    }
    let (got, answer) = api(
        addr,
        "POST",
        &format!("{base}/5/lift"),
        Some(&manager),
        None,
    )
    .await;
    assert_eq!((got, &answer["error"]), (404, &json!("unknown_mute")));

    // Hosts, grid workers, clerks, residents and nobody may not mute, list or lift.
    let draft = json!({ "resident": id, "reason": "不该生效" });
    let mut people = vec![
        ("nobody".to_owned(), None, 401),
        ("a resident".to_owned(), Some(resident_token), 403),
    ];
    for (name, roles, pickups) in [
        ("主播", vec![Role::Host], vec![]),
        ("网格员", vec![Role::GridWorker], vec![]),
        ("店员", vec![Role::PickupClerk], vec![1]),
    ] {
        let (_, token) = staff_member(addr, community, &manager, name, &roles, &pickups).await;
        people.push((name.to_owned(), Some(token), 403));
    }
    for (who, token, status) in &people {
        for (method, path, body) in [
            ("GET", base.clone(), None),
            ("POST", base.clone(), Some(&draft)),
            ("POST", format!("{base}/1/lift"), None),
        ] {
            let (got, _) = api(addr, method, &path, token.as_deref(), body).await;
            assert_eq!(got, *status, "{who}: {method} {path}");
        }
    }
    assert!(
        store
            .mutes_in_force(community, mulin_backend::now_ms())
            .await
            .expect("mutes")
            .is_empty()
    );
    let log = store
        .audit_log(community, &Default::default())
        .await
        .expect("log");
    // Only the invitations above were logged.
    assert!(
        log.iter()
            .take(log.len() - log_before.len())
            .all(|l| l.action == mulin_shared::community::AuditAction::StaffInvited)
    );
    // A mute for a minute, made long ago, is over.
    let draft = mulin_shared::control::MuteDraft {
        resident: id,
        reason: "早就过了".into(),
        minutes: Some(1),
    };
    let long_ago = mulin_backend::now_ms() - 3_600_000;
    store
        .mute(
            community,
            &draft,
            &mulin_backend::store::Actor::command_line(),
            long_ago,
        )
        .await
        .expect("stored")
        .expect("known");
    assert!(
        store
            .mutes_in_force(community, mulin_backend::now_ms())
            .await
            .expect("mutes")
            .is_empty()
    );
    assert!(matches!(
        resident.order(deal, 1, "still-buys").await,
        ServerMsg::OrderAccepted { .. }
    ));
}

//! Ordering for a neighbour (代客下单): a grid worker finds a resident by their whole number or
//! registers one, orders a live deal for them through the same desk (limit and idempotency as
//! their own Buy, even when taps race), the order records who placed it, the resident's open page
//! lists it, and the grid worker's list of the day has it. Every refusal is named and changes
//! nothing; only grid workers and moderators of the community may.

use mulin_shared::control::{Neighbour, PlacedOrder};
use mulin_shared::{Order, Role, ServerMsg};
use mulin_tests::TestServer;
use mulin_tests::staff::{api, demo_manager, staff_member};
use serde_json::{Value, json};

/// The demo community's manager and a grid worker's (id, token).
async fn grid_worker(ts: &TestServer, name: &str) -> (i64, String, String) {
    let (community, manager) = demo_manager(ts).await;
    let (id, token) = staff_member(
        ts.addr(),
        community,
        &manager,
        name,
        &[Role::GridWorker],
        &[],
    )
    .await;
    (id, token, manager)
}

async fn post(ts: &TestServer, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    api(ts.addr(), "POST", path, token, Some(&body)).await
}

#[tokio::test]
async fn a_grid_worker_registers_a_neighbour_orders_for_her_and_lists_it() {
    let ts = TestServer::start().await;
    let (gw_id, gw, manager) = grid_worker(&ts, "赵小网").await;
    let c = ts.demo.community;
    let find = format!("/api/communities/{c}/neighbours/find");
    let register = format!("/api/communities/{c}/neighbours");
    let orders = format!("/api/shows/{}/proxy-orders", ts.show);
    let mut probe = ts.client().await;
    let deal = probe.join_pinned(ts.show).await;

    // Not known yet; a number that is not one is named.
    let (status, answer) = post(&ts, &find, Some(&gw), json!({ "phone": "13600136000" })).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (404, Some("unknown_resident"))
    );
    let (status, answer) = post(&ts, &find, Some(&gw), json!({ "phone": "12345" })).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (422, Some("invalid_phone"))
    );

    // Registered once, however often asked; found by the whole number, which comes back whole.
    let draft =
        json!({ "nickname": "刘奶奶", "phone": "136 0013 6000", "building": "3 栋 2 单元 501" });
    let (status, made) = post(&ts, &register, Some(&gw), draft.clone()).await;
    assert_eq!(status, 201, "{made}");
    let made: Neighbour = serde_json::from_value(made).expect("a neighbour");
    assert_eq!(
        (made.phone.as_str(), made.building.as_str()),
        ("13600136000", "3 栋 2 单元 501")
    );
    let (status, again) = post(&ts, &register, Some(&gw), draft).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["resident"], json!(made.resident));
    let (status, found) = post(&ts, &find, Some(&gw), json!({ "phone": "13600136000" })).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(
        serde_json::from_value::<Neighbour>(found).expect("found"),
        made
    );

    // What she holds of the show's deals, before and after: the grid worker sees the limit coming.
    let held = format!("/api/shows/{}/neighbours/{}/held", ts.show, made.resident);
    let holds = || async {
        let (status, answer) = api(ts.addr(), "GET", &held, Some(&gw), None).await;
        assert_eq!(status, 200, "{answer}");
        answer
    };
    assert_eq!(holds().await, json!([]));

    // Her order: placed by the grid worker, hers; a retried tap is the same order.
    let ask =
        json!({ "resident": made.resident, "deal": deal, "qty": 1, "pickup": 2, "key": "gw-1" });
    let (status, first) = post(&ts, &orders, Some(&gw), ask.clone()).await;
    assert_eq!(status, 201, "{first}");
    let first: Order = serde_json::from_value(first).expect("an order");
    assert_eq!(
        (first.resident, first.placed_by, first.pickup),
        (made.resident, Some(gw_id), 2)
    );
    assert_eq!(first.nickname, "刘奶奶");
    let (status, retried) = post(&ts, &orders, Some(&gw), ask).await;
    assert_eq!((status, retried["id"].as_i64()), (201, Some(first.id)));
    assert_eq!(holds().await, json!([{ "deal": deal, "units": 1 }]));
    // Nobody of another community, and no such resident, is looked up.
    for path in [
        format!("/api/shows/{}/neighbours/99999/held", ts.show),
        format!("/api/shows/{}/neighbours/nobody/held", ts.show),
    ] {
        let (status, answer) = api(ts.addr(), "GET", &path, Some(&gw), None).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (404, Some("unknown_resident")),
            "{path}: {answer}"
        );
    }

    // The grid worker's list of the day has it, with her building.
    let (status, list) = api(
        ts.addr(),
        "GET",
        &format!("/api/communities/{c}/placed-orders"),
        Some(&gw),
        None,
    )
    .await;
    assert_eq!(status, 200, "{list}");
    let list: Vec<PlacedOrder> = serde_json::from_value(list).expect("placed orders");
    assert_eq!(list.len(), 1);
    assert_eq!(
        (list[0].order.id, list[0].building.as_str()),
        (first.id, "3 栋 2 单元 501")
    );

    // Staff who find it see her number masked; the registration is in the audit log, masked.
    let (_, found) = api(
        ts.addr(),
        "GET",
        &format!("/api/shows/{}/orders?q=6000", ts.show),
        Some(&ts.moderator_token),
        None,
    )
    .await;
    assert_eq!(found[0]["phone"], json!("136****6000"));
    assert_eq!(found[0]["order"]["placed_by"], json!(gw_id));
    assert_eq!(
        found[0]["placed_by_name"],
        json!("赵小网"),
        "who placed it, by name"
    );
    // "Placed by staff" finds it, and only such orders; a resident's own are the others.
    let mut own = ts.client().await;
    own.join(ts.show).await;
    own.sign_in("自己买").await;
    let ServerMsg::OrderAccepted {
        order: own_order, ..
    } = own.order(deal, 1, "own-1").await
    else {
        panic!("a resident's own order");
    };
    let search = |filter: &'static str| {
        let path = format!("/api/shows/{}/orders?placed={filter}", ts.show);
        let token = ts.moderator_token.clone();
        let addr = ts.addr();
        async move {
            let (status, found) = api(addr, "GET", &path, Some(&token), None).await;
            (status, found)
        }
    };
    let ids = |found: &Value| -> Vec<i64> {
        found
            .as_array()
            .map(|a| a.iter().filter_map(|f| f["order"]["id"].as_i64()).collect())
            .unwrap_or_default()
    };
    let (_, by_staff) = search("staff").await;
    assert_eq!(ids(&by_staff), [first.id]);
    let (_, by_residents) = search("resident").await;
    assert!(ids(&by_residents).contains(&own_order.id) && !ids(&by_residents).contains(&first.id));
    let (status, answer) = search("robot").await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("invalid_message"))
    );
    let (_, log) = api(
        ts.addr(),
        "GET",
        &format!("/api/communities/{c}/audit"),
        Some(&manager),
        None,
    )
    .await;
    let text = log.to_string();
    assert!(
        text.contains("resident_registered") && text.contains("136****6000"),
        "{text}"
    );
    assert!(
        !text.contains("13600136000"),
        "never the whole number in the log"
    );
}

#[tokio::test]
async fn the_residents_open_page_lists_an_order_placed_for_her() {
    let ts = TestServer::start().await;
    let (gw_id, gw, _) = grid_worker(&ts, "钱网格员").await;
    let mut her = ts.client().await;
    let deal = her.join_pinned(ts.show).await;
    let resident = her.sign_in_as("孙阿姨", "13500135000").await;
    let (status, found) = post(
        &ts,
        &format!("/api/communities/{}/neighbours/find", ts.demo.community),
        Some(&gw),
        json!({ "phone": "13500135000" }),
    )
    .await;
    assert_eq!((status, found["resident"].as_i64()), (200, Some(resident)));
    let (status, order) = post(
        &ts,
        &format!("/api/shows/{}/proxy-orders", ts.show),
        Some(&gw),
        json!({ "resident": resident, "deal": deal, "qty": 1, "pickup": 1, "key": "for-sun" }),
    )
    .await;
    assert_eq!(status, 201, "{order}");
    let seen = her
        .recv_until(|m| match m {
            ServerMsg::OrderUpdated { order } => Some(order.clone()),
            _ => None,
        })
        .await;
    assert_eq!((seen.resident, seen.placed_by), (resident, Some(gw_id)));
    assert_eq!(seen.id, order["id"].as_i64().expect("id"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_taps_make_one_order_and_the_limit_holds() {
    let ts = std::sync::Arc::new(TestServer::start().await);
    let (_, gw, _) = grid_worker(&ts, "孙网格员").await;
    let mut host = ts.host().await;
    let deal = host.launch_deal(3, 990, 100, 3).await.id;
    let (status, made) = post(
        &ts,
        &format!("/api/communities/{}/neighbours", ts.demo.community),
        Some(&gw),
        json!({ "nickname": "周大爷", "phone": "13300133000" }),
    )
    .await;
    assert_eq!(status, 201);
    let resident = made["resident"].as_i64().expect("id");
    let path = format!("/api/shows/{}/proxy-orders", ts.show);
    // Twenty copies of one tap at once: one order.
    let taps = (0..20).map(|_| {
        let (ts, gw, path) = (ts.clone(), gw.clone(), path.clone());
        tokio::spawn(async move {
            let ask =
                json!({ "resident": resident, "deal": deal, "qty": 1, "pickup": 1, "key": "same" });
            post(&ts, &path, Some(&gw), ask).await
        })
    });
    let mut ids = Vec::new();
    for t in taps {
        let (status, answer) = t.await.expect("tap");
        assert_eq!(status, 201, "{answer}");
        ids.push(answer["id"].as_i64().expect("id"));
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one order for one tap");
    // Ten different intents of one unit each with a limit of 3: one held, two more accepted.
    let intents = (0..10).map(|i| {
        let (ts, gw, path) = (ts.clone(), gw.clone(), path.clone());
        tokio::spawn(async move {
            let ask = json!({ "resident": resident, "deal": deal, "qty": 1, "pickup": 1, "key": format!("k{i}") });
            post(&ts, &path, Some(&gw), ask).await
        })
    });
    let (mut accepted, mut refused) = (0, 0);
    for t in intents {
        let (status, answer) = t.await.expect("intent");
        match status {
            201 => accepted += 1,
            409 => {
                assert_eq!(answer["error"], json!("refused"));
                assert_eq!(answer["reason"], json!("limit_reached"));
                assert_eq!(answer["held"], json!(3));
                refused += 1;
            }
            other => panic!("{other}: {answer}"),
        }
    }
    assert_eq!((accepted, refused), (2, 8));
    let db = mulin_backend::store::Store::open(&ts.db)
        .await
        .expect("store");
    let held: i64 = db
        .units_by_resident(deal)
        .await
        .expect("units")
        .into_iter()
        .filter(|(r, _)| *r == resident)
        .map(|(_, n)| n)
        .sum();
    assert_eq!(held, 3, "the store holds exactly the limit");
}

#[tokio::test]
async fn every_refusal_is_named_and_changes_nothing() {
    let ts = TestServer::start().await;
    let (_, gw, manager) = grid_worker(&ts, "吴网格员").await;
    let c = ts.demo.community;
    let mut probe = ts.client().await;
    let deal = probe.join_pinned(ts.show).await;
    let register = format!("/api/communities/{c}/neighbours");
    let orders = format!("/api/shows/{}/proxy-orders", ts.show);
    let (_, made) = post(
        &ts,
        &register,
        Some(&gw),
        json!({ "nickname": "郑奶奶", "phone": "13200132000" }),
    )
    .await;
    let resident = made["resident"].as_i64().expect("id");

    // A resident of another community: not found here, not registered twice, not ordered for.
    let store = ts.server.store().clone();
    let now = mulin_backend::now_ms();
    let other = store
        .create_community("别的街道", "别的社区", now)
        .await
        .expect("stored")
        .expect("new");
    let elsewhere = match store
        .register_neighbour(
            other.id,
            &mulin_shared::control::NeighbourDraft {
                nickname: "外人".into(),
                phone: "13100131000".into(),
                building: String::new(),
            },
            &mulin_backend::store::Actor::command_line(),
            now,
        )
        .await
        .expect("stored")
    {
        mulin_backend::store::Registered::New(n) => n.resident,
        other => panic!("{other:?}"),
    };
    let (status, answer) = post(
        &ts,
        &format!("/api/communities/{c}/neighbours/find"),
        Some(&gw),
        json!({ "phone": "13100131000" }),
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (404, Some("unknown_resident"))
    );
    let (status, answer) = post(
        &ts,
        &register,
        Some(&gw),
        json!({ "nickname": "外人", "phone": "13100131000" }),
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (409, Some("resident_elsewhere"))
    );

    // A pickup point removed by the manager.
    let pickups = format!("/api/communities/{c}/pickups");
    let (_, spot) = post(
        &ts,
        &pickups,
        Some(&manager),
        json!({ "id": 0, "name": "临时点", "address": "x" }),
    )
    .await;
    let gone = spot["id"].as_i64().expect("id");
    let (status, _) = api(
        ts.addr(),
        "DELETE",
        &format!("{pickups}/{gone}"),
        Some(&manager),
        None,
    )
    .await;
    assert_eq!(status, 204);

    let ask = |resident: i64, deal: i64, qty: i64, pickup: i64, key: &str| json!({ "resident": resident, "deal": deal, "qty": qty, "pickup": pickup, "key": key });
    let cases = [
        (
            "another community's resident",
            ask(elsewhere, deal, 1, 1, "a"),
            404,
            "unknown_resident",
        ),
        (
            "no such deal",
            ask(resident, 987_654, 1, 1, "b"),
            404,
            "unknown_deal",
        ),
        (
            "a removed pickup point",
            ask(resident, deal, 1, gone, "c"),
            404,
            "unknown_pickup",
        ),
        (
            "no units",
            ask(resident, deal, 0, 1, "d"),
            422,
            "invalid_quantity",
        ),
        ("no key", ask(resident, deal, 1, 1, ""), 422, "invalid_key"),
        (
            "over the limit",
            ask(resident, deal, 999, 1, "e"),
            409,
            "refused",
        ),
        (
            "a strange field",
            json!({ "resident": resident, "colour": 1 }),
            400,
            "invalid_message",
        ),
    ];
    for (what, body, status, code) in cases {
        let (got, answer) = post(&ts, &orders, Some(&gw), body).await;
        assert_eq!(
            (got, answer["error"].as_str()),
            (status, Some(code)),
            "{what}: {answer}"
        );
    }
    let bad_drafts = [
        (
            json!({ "nickname": "", "phone": "13900139000" }),
            "invalid_nickname",
        ),
        (
            json!({ "nickname": "某人", "phone": "139" }),
            "invalid_phone",
        ),
        (
            json!({ "nickname": "某人", "phone": "13900139001", "building": "楼".repeat(31) }),
            "invalid_message",
        ),
    ];
    for (draft, code) in bad_drafts {
        let (got, answer) = post(&ts, &register, Some(&gw), draft).await;
        assert_eq!(
            (got, answer["error"].as_str()),
            (422, Some(code)),
            "{answer}"
        );
    }

    // A muted resident.
    let (status, _) = post(
        &ts,
        &format!("/api/communities/{c}/mutes"),
        Some(&manager),
        json!({ "resident": resident, "reason": "多次未取货" }),
    )
    .await;
    assert_eq!(status, 201);
    let (got, answer) = post(&ts, &orders, Some(&gw), ask(resident, deal, 1, 1, "f")).await;
    assert_eq!(
        (got, answer["error"].as_str()),
        (403, Some("muted")),
        "{answer}"
    );
    assert!(
        answer["message"]
            .as_str()
            .unwrap_or_default()
            .contains("多次未取货")
    );

    // Nothing above made an order.
    let db = mulin_backend::store::Store::open(&ts.db)
        .await
        .expect("store");
    assert!(
        db.units_by_resident(deal)
            .await
            .expect("units")
            .iter()
            .all(|(r, _)| *r != resident && *r != elsewhere)
    );

    // Who may not: nobody, a resident, a host, a pickup clerk, the manager, a show token.
    let (_, host) = staff_member(ts.addr(), c, &manager, "主播甲", &[Role::Host], &[]).await;
    let (_, clerk) =
        staff_member(ts.addr(), c, &manager, "店员乙", &[Role::PickupClerk], &[1]).await;
    let (_, resident_token) = probe.sign_in("路人").await;
    let routes = [
        (
            "POST",
            format!("/api/communities/{c}/neighbours/find"),
            json!({ "phone": "13200132000" }),
        ),
        (
            "POST",
            register.clone(),
            json!({ "nickname": "某人", "phone": "13900139002" }),
        ),
        (
            "GET",
            format!("/api/communities/{c}/placed-orders"),
            Value::Null,
        ),
        ("POST", orders.clone(), ask(resident, deal, 1, 1, "g")),
        (
            "GET",
            format!("/api/shows/{}/neighbours/{resident}/held", ts.show),
            Value::Null,
        ),
    ];
    for (who, token, status) in [
        ("nobody", None, 401),
        ("a resident", Some(resident_token.as_str()), 403),
        ("a host", Some(host.as_str()), 403),
        ("a pickup clerk", Some(clerk.as_str()), 403),
        ("the manager", Some(manager.as_str()), 403),
        ("a show's host token", Some(ts.host_token.as_str()), 403),
    ] {
        for (method, path, body) in &routes {
            let body = (!body.is_null()).then_some(body);
            let (got, answer) = api(ts.addr(), method, path, token, body).await;
            assert_eq!(got, status, "{who} {method} {path}: {answer}");
        }
    }
}

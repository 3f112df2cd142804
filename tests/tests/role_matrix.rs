//! The role × action table (`auth::permissions`) over the protocol and HTTP: every action is
//! refused to every role that may not do it — nobody signed in, a resident, the show's moderator,
//! and the host and moderator of another show — with the right code, and the store is unchanged
//! afterwards. (What each role may do is tested where the action is.)

use mulin_backend::auth::Sessions;
use mulin_shared::{ClientMsg, Eligibility, ErrorCode, Role, ServerMsg};
use mulin_tests::wire::http_request;
use mulin_tests::{Client, TestServer};

/// Everything the store holds about the show that any of these actions could change.
async fn snapshot(ts: &TestServer, bag: i64) -> String {
    let store = ts.server.store();
    let deals = store.deals(ts.show).await.expect("deals");
    let orders = store.show_orders(ts.show, 1_000).await.expect("orders");
    let catalogue = store.catalogue(ts.show).await.expect("catalogue");
    let bag = store.bag(bag).await.expect("bag").map(|b| b.bag);
    let pinned = store.pinned_deal(ts.show).await.expect("pinned");
    format!("{deals:?}\n{orders:?}\n{catalogue:?}\n{bag:?}\n{pinned:?}")
}

async fn staff(ts: &TestServer, token: &str) -> Client {
    let mut c = ts.client().await;
    c.join(ts.show).await;
    match c.resume(token).await {
        ServerMsg::SignedIn { .. } => c,
        other => panic!("staff sign-in: {other:?}"),
    }
}

#[tokio::test]
async fn every_action_is_refused_to_every_role_that_may_not_do_it() {
    let ts = TestServer::start().await;
    let store = ts.server.store().clone();
    let now = mulin_backend::now_ms();
    let mut host = ts.host().await;
    let deal = host.launch_deal(2, 2990, 10, 2).await;
    let bag = host.open_bag("花生油").await;
    // A resident's order, for the cancellations.
    let mut buyer = ts.client().await;
    buyer.join(ts.show).await;
    buyer.sign_in("买家").await;
    let ServerMsg::OrderAccepted { order, .. } = buyer.order(deal.id, 1, "matrix-1").await else {
        panic!("the buyer's order");
    };

    // Who asks: nobody, a resident (not the buyer), the show's moderator, another show's staff.
    let other_show = store
        .create_show("别的直播", "公园街道·小西湖社区", now)
        .await
        .expect("show");
    let sessions = Sessions::open(store.clone()).await.expect("sessions");
    let other_host = sessions
        .mint_staff_token(Role::Host, other_show, now)
        .await
        .expect("token");
    let other_moderator = sessions
        .mint_staff_token(Role::Moderator, other_show, now)
        .await
        .expect("token");
    let mut nobody = ts.client().await;
    nobody.join(ts.show).await;
    let mut resident = ts.client().await;
    resident.join(ts.show).await;
    resident.sign_in("邻居").await;
    let mut moderator = staff(&ts, &ts.moderator_token).await;
    let mut host_elsewhere = staff(&ts, &other_host).await;
    let mut moderator_elsewhere = staff(&ts, &other_moderator).await;

    let product = mulin_shared::Product {
        id: 1,
        name: "改名".into(),
        description: String::new(),
        origin: "x".into(),
        unit: "x".into(),
        normal_price: 1,
        batch: String::new(),
        picture: None,
    };
    let run_show = vec![
        ClientMsg::LaunchDeal {
            product: 1,
            price: 100,
            stock: 5,
            per_resident_limit: 1,
            starts_at: None,
            ends_at: now + 60_000,
        },
        ClientMsg::Restock {
            deal: deal.id,
            units: 5,
        },
        ClientMsg::EndDeal { deal: deal.id },
        ClientMsg::PinDeal { deal: None },
        ClientMsg::ExtendDeal {
            deal: deal.id,
            ends_at: now + 3_600_000,
        },
        // A host adds a product during the show.
        ClientMsg::SaveProduct {
            product: mulin_shared::Product {
                id: 0,
                ..product.clone()
            },
        },
        ClientMsg::OpenBag {
            prize: "x".into(),
            winners: 1,
            closes_at: now + 60_000,
            eligibility: Eligibility::Everyone,
            pickup: 1,
        },
        ClientMsg::CloseBag { bag },
    ];
    // Changing the catalogue is the managers' (not even the show's host may).
    let keep_catalogue = vec![
        ClientMsg::SaveProduct { product },
        ClientMsg::RemoveProduct { product: 5 },
        ClientMsg::SavePickup {
            pickup: mulin_shared::PickupPoint {
                id: 0,
                name: "x".into(),
                address: "x".into(),
                hours: String::new(),
            },
        },
        ClientMsg::RemovePickup { pickup: 3 },
    ];
    let resident_only = vec![
        ClientMsg::PlaceOrder {
            deal: deal.id,
            qty: 1,
            pickup: 1,
            key: "matrix-2".into(),
        },
        ClientMsg::EnterBag { bag },
        ClientMsg::Rename {
            nickname: "新名字".into(),
        },
    ];
    let cancel = vec![ClientMsg::CancelOrder {
        order: order.id,
        reason: None,
    }];

    let everything: Vec<ClientMsg> = run_show
        .iter()
        .chain(&keep_catalogue)
        .chain(&resident_only)
        .chain(&cancel)
        .cloned()
        .collect();
    let before = snapshot(&ts, bag).await;
    let forbidden = ErrorCode::Forbidden;
    let cases: Vec<(&str, &mut Client, &[ClientMsg], ErrorCode)> = vec![
        ("nobody", &mut nobody, &everything, ErrorCode::NotSignedIn),
        ("a resident", &mut resident, &run_show, forbidden),
        ("the moderator", &mut moderator, &run_show, forbidden),
        (
            "another show's host",
            &mut host_elsewhere,
            &run_show,
            forbidden,
        ),
        (
            "another show's moderator",
            &mut moderator_elsewhere,
            &run_show,
            forbidden,
        ),
    ];
    for (who, client, actions, code) in cases {
        for action in actions {
            client.send(action).await;
            assert_eq!(client.next_error().await.0, code, "{who}: {action:?}");
        }
    }
    for (who, client) in [
        ("a resident", &mut resident),
        ("the show's host", &mut host),
        ("the moderator", &mut moderator),
        ("another show's host", &mut host_elsewhere),
    ] {
        for action in &keep_catalogue {
            client.send(action).await;
            assert_eq!(client.next_error().await.0, forbidden, "{who}: {action:?}");
        }
    }
    // Staff may not buy, enter bags or have a name; another show's staff may not cancel here.
    for (who, client) in [
        ("the host", &mut host),
        ("the moderator", &mut moderator),
        ("another show's host", &mut staff(&ts, &other_host).await),
        (
            "another show's moderator",
            &mut staff(&ts, &other_moderator).await,
        ),
    ] {
        for action in &resident_only {
            client.send(action).await;
            assert_eq!(client.next_error().await.0, forbidden, "{who}: {action:?}");
        }
    }
    for (who, token) in [
        ("another show's host", &other_host),
        ("another show's moderator", &other_moderator),
    ] {
        let mut client = staff(&ts, token).await;
        client.send(&cancel[0]).await;
        assert_eq!(client.next_error().await.0, forbidden, "{who}: cancel");
    }
    // A resident cancelling someone else's order is told of no such order (and learns nothing).
    resident.send(&cancel[0]).await;
    assert_eq!(resident.next_error().await.0, ErrorCode::UnknownOrder);

    // Picture uploads over HTTP: only the show's host.
    let png = b"\x89PNG\r\n\x1a\n0000";
    for (who, token, status) in [
        ("nobody", None, 401),
        ("the moderator", Some(ts.moderator_token.as_str()), 403),
        ("another show's host", Some(other_host.as_str()), 403),
    ] {
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![("Content-Type", "image/png")];
        if let Some(auth) = &auth {
            headers.push(("Authorization", auth.as_str()));
        }
        let answer = http_request(
            ts.server.addr(),
            "POST",
            &format!("/api/shows/{}/pictures", ts.show),
            &headers,
            png,
        )
        .await
        .expect("answered");
        assert_eq!(answer.status, status, "{who}");
    }

    assert_eq!(
        snapshot(&ts, bag).await,
        before,
        "nothing refused changed the store"
    );
}

/// The manager's HTTP routes, refused to everyone who is not a manager of the community: nobody,
/// a resident, every other staff role of the community, a show token, and another community's
/// manager. Nothing they asked for is written or logged.
#[tokio::test]
async fn the_managers_routes_are_refused_to_everyone_else() {
    use mulin_tests::staff::{api, demo_manager, staff_member};
    use serde_json::json;
    let ts = TestServer::start().await;
    let addr = ts.addr();
    let (community, manager) = demo_manager(&ts).await;
    let (victim, _) = staff_member(addr, community, &manager, "被改的人", &[Role::Host], &[]).await;
    let mut people: Vec<(String, Option<String>, u16, &str)> =
        vec![("nobody".into(), None, 401, "not_signed_in")];
    for (name, roles, pickups) in [
        ("主播", vec![Role::Host], vec![]),
        ("场控", vec![Role::Moderator], vec![]),
        ("网格员", vec![Role::GridWorker], vec![]),
        ("店员", vec![Role::PickupClerk], vec![1]),
        (
            "全能但非经理",
            vec![Role::Host, Role::Moderator, Role::GridWorker],
            vec![],
        ),
    ] {
        let (_, token) = staff_member(addr, community, &manager, name, &roles, &pickups).await;
        people.push((name.into(), Some(token), 403, "forbidden"));
    }
    let mut resident = ts.client().await;
    resident.join(ts.show).await;
    let (_, resident_token) = resident.sign_in("邻居").await;
    people.push(("a resident".into(), Some(resident_token), 403, "forbidden"));
    people.push((
        "the show's host token".into(),
        Some(ts.host_token.clone()),
        403,
        "forbidden",
    ));
    // Another community's manager.
    let store = ts.server.store().clone();
    let now = mulin_backend::now_ms();
    let elsewhere = store
        .create_community("别的街道", "别的社区", now)
        .await
        .expect("stored")
        .expect("new");
    let sessions = Sessions::open(store.clone()).await.expect("sessions");
    let invite = sessions
        .invite(
            elsewhere.id,
            &mulin_shared::community::StaffDraft {
                name: "别处经理".into(),
                roles: vec![Role::Manager],
                pickups: vec![],
            },
            &mulin_backend::store::Actor::command_line(),
            now,
        )
        .await
        .expect("stored")
        .expect("invited");
    let other_manager = mulin_tests::staff::accept(addr, &invite.path).await;
    people.push((
        "another community's manager".into(),
        Some(other_manager),
        403,
        "forbidden",
    ));

    let base = format!("/api/communities/{community}");
    let show = ts.show;
    let draft = json!({ "title": "不该有的直播", "starts_at": now + 3_600_000 });
    let person = json!({ "name": "不该有的人", "roles": ["host"] });
    let goods = json!({ "id": 0, "name": "不该有的货", "origin": "x", "unit": "x",
        "normal_price": 100 });
    let store_front = json!({ "id": 0, "name": "不该有的店", "address": "x" });
    let routes: Vec<(&str, String, Option<serde_json::Value>)> = vec![
        ("POST", format!("{base}/shows"), Some(draft.clone())),
        ("PUT", format!("{base}/shows/{show}"), Some(draft)),
        ("POST", format!("{base}/shows/{show}/end"), None),
        ("POST", format!("{base}/shows/{show}/cancel"), None),
        ("POST", format!("{base}/shows/{show}/start"), None),
        ("GET", format!("{base}/staff"), None),
        ("POST", format!("{base}/staff"), Some(person.clone())),
        ("PUT", format!("{base}/staff/{victim}"), Some(person)),
        ("POST", format!("{base}/staff/{victim}/invite"), None),
        ("POST", format!("{base}/staff/{victim}/revoke"), None),
        ("GET", format!("{base}/audit"), None),
        ("GET", format!("{base}/catalogue"), None),
        ("POST", format!("{base}/products"), Some(goods.clone())),
        ("PUT", format!("{base}/products/1"), Some(goods)),
        ("DELETE", format!("{base}/products/5"), None),
        ("POST", format!("{base}/pickups"), Some(store_front.clone())),
        ("PUT", format!("{base}/pickups/1"), Some(store_front)),
        ("DELETE", format!("{base}/pickups/3"), None),
    ];
    let before = (
        store.shows_of(community).await.expect("shows"),
        store.staff_of(community).await.expect("staff"),
        store
            .audit_log(community, &Default::default())
            .await
            .expect("log"),
        store.catalogue(show).await.expect("catalogue"),
    );
    for (who, token, status, code) in &people {
        // A picture for the community's catalogue: refused before the body is read.
        let auth = token.as_ref().map(|t| format!("Bearer {t}"));
        let mut headers = vec![("Content-Type", "image/png")];
        if let Some(auth) = &auth {
            headers.push(("Authorization", auth.as_str()));
        }
        let png = mulin_tests::TINY_PNG;
        let path = format!("{base}/pictures");
        let upload = http_request(addr, "POST", &path, &headers, png)
            .await
            .expect("answered");
        assert_eq!(
            (upload.status, upload.json()["error"].as_str()),
            (*status, Some(*code)),
            "{who}: POST {path}"
        );
        for (method, path, body) in &routes {
            let (got, answer) = api(addr, method, path, token.as_deref(), body.as_ref()).await;
            assert_eq!(
                (got, answer["error"].as_str()),
                (*status, Some(*code)),
                "{who}: {method} {path}"
            );
        }
    }
    let after = (
        store.shows_of(community).await.expect("shows"),
        store.staff_of(community).await.expect("staff"),
        store
            .audit_log(community, &Default::default())
            .await
            .expect("log"),
        store.catalogue(show).await.expect("catalogue"),
    );
    assert_eq!(after, before, "nothing refused changed the store");
    // The demo show is still live: nobody above could end it.
    assert_eq!(
        store.show(show).await.expect("read").expect("show").status,
        mulin_shared::ShowStatus::Live
    );
}

/// A route: method, path and body.
type Route = (&'static str, String, Option<serde_json::Value>);

/// Pickup day's routes, refused to every role that may not use them: the counter (find, hand
/// over, goods received) is the pickup clerks' and moderators'; undoing a hand-over the
/// moderators'; picking lists the clerks', moderators' and managers'; the cut-off and the pickup
/// window the managers'. A clerk acts at their own stores only. Nothing refused changes anything.
#[tokio::test]
async fn pickup_routes_are_refused_to_everyone_who_may_not() {
    use mulin_tests::staff::{api, demo_manager, staff_member};
    use serde_json::json;
    let ts = TestServer::start().await;
    let addr = ts.addr();
    let (community, manager) = demo_manager(&ts).await;
    let store = ts.server.store().clone();
    let mut buyer = ts.client().await;
    let deal = buyer.join_pinned(ts.show).await;
    buyer.sign_in("买家").await;
    let ServerMsg::OrderAccepted { order, .. } = buyer.order(deal, 1, "matrix-p").await else {
        panic!("the buyer's order");
    };
    let token = |name: &'static str, roles: Vec<Role>, pickups: Vec<i64>| {
        let manager = manager.clone();
        async move {
            staff_member(addr, community, &manager, name, &roles, &pickups)
                .await
                .1
        }
    };
    let host = token("主播", vec![Role::Host], vec![]).await;
    let grid = token("网格员", vec![Role::GridWorker], vec![]).await;
    let clerk_two = token("二店店员", vec![Role::PickupClerk], vec![2]).await;
    let clerk_one = token("一店店员", vec![Role::PickupClerk], vec![1]).await;
    let moderator = token("场控", vec![Role::Moderator], vec![]).await;
    let mut resident = ts.client().await;
    resident.join(ts.show).await;
    let (_, resident_token) = resident.sign_in("邻居").await;

    let base = format!("/api/communities/{community}");
    let show = ts.show;
    let hand = json!({ "units": 1, "was_handed": 0 });
    let goods = json!({ "show": show, "product": order.product });
    let counter = [
        (
            "GET",
            format!("{base}/counter?code={}", order.pickup_code),
            None,
        ),
        (
            "POST",
            format!("{base}/orders/{}/hand-over", order.id),
            Some(hand.clone()),
        ),
        (
            "POST",
            format!("{base}/pickups/1/received"),
            Some(goods.clone()),
        ),
    ];
    let undo = [(
        "POST",
        format!("{base}/orders/{}/undo-hand-over", order.id),
        None,
    )];
    let lists = [
        ("GET", format!("{base}/picking?shows={show}"), None),
        ("GET", format!("{base}/picking.csv?shows={show}"), None),
        ("GET", format!("{base}/picking.xlsx?shows={show}"), None),
        ("GET", format!("{base}/pickups/1/day"), None),
    ];
    let rules = [
        (
            "PUT",
            format!("{base}/shows/{show}/cutoff"),
            Some(json!({ "at": mulin_backend::now_ms() + 3_600_000 })),
        ),
        (
            "PUT",
            format!("{base}/pickup-days"),
            Some(json!({ "days": 9 })),
        ),
    ];
    // Who may not do which.
    let cases: Vec<(&str, Option<&str>, Vec<&Route>)> = vec![
        (
            "nobody",
            None,
            counter
                .iter()
                .chain(&undo)
                .chain(&lists)
                .chain(&rules)
                .collect(),
        ),
        (
            "a resident",
            Some(&resident_token),
            counter
                .iter()
                .chain(&undo)
                .chain(&lists)
                .chain(&rules)
                .collect(),
        ),
        (
            "a host",
            Some(&host),
            counter
                .iter()
                .chain(&undo)
                .chain(&lists)
                .chain(&rules)
                .collect(),
        ),
        (
            "a show token",
            Some(&ts.moderator_token),
            counter
                .iter()
                .chain(&undo)
                .chain(&lists)
                .chain(&rules)
                .collect(),
        ),
        (
            "a grid worker",
            Some(&grid),
            counter
                .iter()
                .chain(&undo)
                .chain(&lists)
                .chain(&rules)
                .collect(),
        ),
        (
            "the manager",
            Some(&manager),
            counter.iter().chain(&undo).collect(),
        ),
        (
            "a clerk",
            Some(&clerk_one),
            undo.iter().chain(&rules).collect(),
        ),
        ("a moderator", Some(&moderator), rules.iter().collect()),
        (
            "another store's clerk",
            Some(&clerk_two),
            // Its own store's lists it may read; the first store's are refused, and so is acting
            // there (the counter names the store instead: see pickup_day.rs).
            vec![&counter[2], &lists[3], &undo[0], &rules[0], &rules[1]],
        ),
    ];
    let filter = Default::default();
    let audit = || store.audit_log(community, &filter);
    let before = (
        store.show_orders(show, 100).await.expect("orders"),
        audit().await.expect("log"),
    );
    for (who, token, routes) in cases {
        let (status, code) = if token.is_none() {
            (401, "not_signed_in")
        } else {
            (403, "forbidden")
        };
        for (method, path, body) in routes {
            let (got, answer) = api(addr, method, path, token, body.as_ref()).await;
            assert_eq!(
                (got, answer["error"].as_str()),
                (status, Some(code)),
                "{who}: {method} {path}"
            );
        }
    }
    // The second store's clerk reads the first store's list only by asking for all: theirs.
    let (got, list) = api(
        addr,
        "GET",
        &format!("{base}/picking?shows={show}"),
        Some(&clerk_two),
        None,
    )
    .await;
    assert_eq!(got, 200, "{list}");
    assert!(
        list["points"]
            .as_array()
            .is_some_and(|p| p.iter().all(|p| p["pickup"] == json!(2))),
        "{list}"
    );
    let (got, answer) = api(
        addr,
        "GET",
        &format!("{base}/picking?shows={show}&pickup=1"),
        Some(&clerk_two),
        None,
    )
    .await;
    assert_eq!((got, answer["error"].as_str()), (403, Some("forbidden")));
    let after = (
        store.show_orders(show, 100).await.expect("orders"),
        audit().await.expect("log"),
    );
    assert_eq!(after, before, "nothing refused changed the store");
}

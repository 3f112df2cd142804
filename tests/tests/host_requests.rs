//! Host actions are safe to repeat: sent again with the same request key (a double click, a retry
//! after the connection dropped), an action that creates or changes something happens once, and
//! the repeat gets the first answer. Errors carry the key back.

use mulin_shared::{ClientMsg, ErrorCode, PickupPoint, Product, ServerMsg};
use mulin_tests::{Client, TestServer};

/// The next answer or error (room states, events, catalogues, order lists and the control room's
/// figures skipped).
async fn answer(c: &mut Client) -> ServerMsg {
    c.recv_until(|m| match m {
        ServerMsg::Room(_) | ServerMsg::Event { .. } | ServerMsg::ShowInfo { .. } => None,
        ServerMsg::Orders { .. }
        | ServerMsg::OrderPlaced { .. }
        | ServerMsg::MyOrders { .. }
        | ServerMsg::Pulse { .. } => None,
        other => Some(other.clone()),
    })
    .await
}

/// Sends `msg` with `key` twice in a row, as a double click does, and returns both answers.
async fn twice(host: &mut Client, msg: &ClientMsg, key: &str) -> (ServerMsg, ServerMsg) {
    host.send_keyed(msg, key).await;
    host.send_keyed(msg, key).await;
    (answer(host).await, answer(host).await)
}

#[tokio::test]
async fn a_repeated_request_key_does_the_action_once_and_answers_alike() {
    let ts = TestServer::start().await;
    let mut host = ts.host().await;
    let deals_before = host.join(ts.show).await.deals.len();
    let launch = ClientMsg::LaunchDeal {
        product: 2,
        price: 990,
        stock: 50,
        per_resident_limit: 2,
        starts_at: None,
        ends_at: mulin_backend::now_ms() + 600_000,
    };
    let (first, second) = twice(&mut host, &launch, "launch-1").await;
    let ServerMsg::DealLaunched { deal } = &first else {
        panic!("launch answered {first:?}");
    };
    assert_eq!(first, second, "the repeat gets the first answer");
    // Another key is another deal.
    host.send_keyed(&launch, "launch-2").await;
    let ServerMsg::DealLaunched { deal: other } = answer(&mut host).await else {
        panic!("second launch refused");
    };
    // Deals are numbered in order: the repeat made none between the two.
    assert_eq!(other.id, deal.id + 1);
    let mut viewer = ts.client().await;
    let state = viewer.join(ts.show).await;
    assert!(state.deals.len() <= deals_before + 2);

    let restock = ClientMsg::Restock {
        deal: deal.id,
        units: 10,
    };
    let (a, b) = twice(&mut host, &restock, "restock-1").await;
    assert_eq!(a, b);
    let ServerMsg::DealRestocked { deal: restocked } = a else {
        panic!("restock answered {a:?}");
    };
    assert_eq!(restocked.stock, 60, "restocked once");
    // The next restock (another key) starts from 60, not 70.
    host.send_keyed(&restock, "restock-2").await;
    assert!(matches!(
        answer(&mut host).await,
        ServerMsg::DealRestocked { deal } if deal.stock == 70
    ));

    let product = ClientMsg::SaveProduct {
        product: Product {
            id: 0,
            name: "紫薯".into(),
            description: String::new(),
            origin: "山东".into(),
            unit: "2 kg".into(),
            normal_price: 1990,
            batch: String::new(),
            picture: None,
        },
    };
    let (a, b) = twice(&mut host, &product, "product-1").await;
    assert_eq!(a, b);
    let pickup = ClientMsg::SavePickup {
        pickup: PickupPoint {
            id: 0,
            name: "老百姓大药房（春风路店）".into(),
            address: "春风路 6 号".into(),
            hours: String::new(),
        },
    };
    // The manager keeps the pickup points, with the same once-only keys.
    let (mut manager, _) = mulin_tests::staff::manager_in_show(&ts).await;
    let (c, d) = twice(&mut manager, &pickup, "pickup-1").await;
    assert!(matches!(c, ServerMsg::PickupSaved { .. }), "{c:?}");
    assert_eq!(c, d);
    let mut viewer = ts.client().await;
    let (_, products, pickups) = viewer.catalogue(ts.show).await;
    assert_eq!(products.iter().filter(|p| p.name == "紫薯").count(), 1);
    assert_eq!(
        pickups
            .iter()
            .filter(|p| p.address == "春风路 6 号")
            .count(),
        1
    );

    // A refusal carries the key back, and changes nothing.
    let bad = ClientMsg::Restock {
        deal: 999_999,
        units: 1,
    };
    host.send_keyed(&bad, "restock-bad").await;
    assert!(matches!(
        answer(&mut host).await,
        ServerMsg::Error { code: ErrorCode::UnknownDeal, key: Some(k), .. } if k == "restock-bad"
    ));
    // So does the refusal of someone who is not the host.
    let mut resident = ts.client().await;
    resident.join(ts.show).await;
    resident.sign_in("王").await;
    resident.send_keyed(&launch, "not-mine").await;
    assert!(matches!(
        answer(&mut resident).await,
        ServerMsg::Error { code: ErrorCode::Forbidden, key: Some(k), .. } if k == "not-mine"
    ));
}

#[tokio::test]
async fn the_same_key_from_two_connections_at_once_runs_once() {
    let ts = TestServer::start().await;
    let mut a = ts.host().await;
    let mut b = ts.host().await;
    let launch = ClientMsg::LaunchDeal {
        product: 3,
        price: 500,
        stock: 5,
        per_resident_limit: 1,
        starts_at: None,
        ends_at: mulin_backend::now_ms() + 600_000,
    };
    a.send_keyed(&launch, "both").await;
    b.send_keyed(&launch, "both").await;
    let (x, y) = (answer(&mut a).await, answer(&mut b).await);
    assert_eq!(x, y);
    assert!(matches!(x, ServerMsg::DealLaunched { .. }));
}

/// The viewer count is residents watching: the host's console and the moderators' desk do not add
/// to it.
#[tokio::test]
async fn staff_consoles_are_not_counted_as_viewers() {
    let ts = TestServer::start().await;
    let mut host = ts.host().await;
    let mut moderator = ts.client().await;
    moderator.join(ts.show).await;
    moderator.resume(&ts.moderator_token).await;
    let mut resident = ts.client().await;
    resident.join(ts.show).await;
    // Counts are pushed at most once a second: wait for the settled one.
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    let mut latest = None;
    while let Ok(m) = tokio::time::timeout(std::time::Duration::from_millis(300), host.recv()).await
    {
        if let ServerMsg::Room(r) = m {
            latest = Some(r.viewers);
        }
    }
    let mut viewer = ts.client().await;
    let seen = viewer.join(ts.show).await.viewers;
    assert!(
        latest.is_none_or(|v| v == 1) && (1..=2).contains(&seen),
        "host saw {latest:?}, a new viewer {seen}: only the two residents count"
    );
    let settled = viewer
        .recv_until(|m| match m {
            ServerMsg::Room(r) if r.viewers == 2 => Some(r.viewers),
            _ => None,
        })
        .await;
    assert_eq!(settled, 2);
}

//! The host's console over real WebSockets and HTTP: the catalogue (a host adds products and
//! pictures; the manager changes and removes them and keeps the pickup points) and the deals' schedule, pin and closing time — what every viewer sees change, what is
//! refused and why, and what survives a restart.

use std::time::Duration;

use mulin_shared::{
    ClientMsg, Deal, DealStatus, ErrorCode, PickupPoint, Product, Refusal, RoomState, ServerMsg,
};
use mulin_tests::TINY_PNG as PNG;
use mulin_tests::wire::{HttpResponse, http_request};
use mulin_tests::{Client, TestServer};

fn product(id: i64, name: &str) -> Product {
    Product {
        id,
        name: name.into(),
        description: "现挖现发，带泥保鲜。".into(),
        origin: "山东滕州".into(),
        unit: "2.5 kg".into(),
        normal_price: 2580,
        batch: "TZ-1122-01".into(),
        picture: Some("https://example.com/potatoes.jpg".into()),
    }
}

/// Sends a host action and returns its answer, or the error code it got.
async fn act(host: &mut Client, msg: ClientMsg) -> Result<ServerMsg, ErrorCode> {
    host.send(&msg).await;
    host.recv_until(|m| match m {
        ServerMsg::Error { code, .. } => Some(Err(*code)),
        ServerMsg::ProductSaved { .. }
        | ServerMsg::ProductRemoved { .. }
        | ServerMsg::PickupSaved { .. }
        | ServerMsg::PickupRemoved { .. }
        | ServerMsg::DealPinned { .. }
        | ServerMsg::DealUpdated { .. }
        | ServerMsg::DealLaunched { .. } => Some(Ok(m.clone())),
        _ => None,
    })
    .await
}

async fn save_product(host: &mut Client, p: Product) -> Result<Product, ErrorCode> {
    match act(host, ClientMsg::SaveProduct { product: p }).await? {
        ServerMsg::ProductSaved { product } => Ok(product),
        other => panic!("unexpected answer {other:?}"),
    }
}

/// The next catalogue a viewer is sent, checking that it arrives before any room state that goes
/// with it.
async fn next_catalogue(viewer: &mut Client) -> (u64, Vec<Product>, Vec<PickupPoint>) {
    viewer
        .recv_until(|m| match m {
            ServerMsg::ShowInfo {
                catalogue,
                products,
                pickup_points,
                ..
            } => Some((*catalogue, products.clone(), pickup_points.clone())),
            ServerMsg::Room(state) if state.catalogue > 1 && state.version > 1 => None,
            _ => None,
        })
        .await
}

/// The next room state satisfying `pick`.
async fn state_where(c: &mut Client, mut pick: impl FnMut(&RoomState) -> bool) -> RoomState {
    c.recv_within(Duration::from_secs(15), |m| match m {
        ServerMsg::Room(s) if pick(s) => Some(s.clone()),
        _ => None,
    })
    .await
}

#[tokio::test]
async fn the_host_adds_products_the_manager_keeps_the_catalogue_and_every_viewer_is_sent_it_first()
{
    let ts = TestServer::start().await;
    let mut host = ts.host().await;
    let (mut manager, _) = mulin_tests::staff::manager_in_show(&ts).await;
    let mut viewer = ts.client().await;
    let first = viewer.join(ts.show).await;

    // Add: the viewer gets the new catalogue, and the room state of that version only after it.
    let potatoes = save_product(&mut host, product(0, "滕州土豆"))
        .await
        .expect("saved");
    assert!(potatoes.id > 5, "a new id: {potatoes:?}");
    let mut seen_info = None;
    let state = viewer
        .recv_until(|m| match m {
            ServerMsg::ShowInfo {
                catalogue,
                products,
                ..
            } => {
                seen_info = Some((*catalogue, products.clone()));
                None
            }
            ServerMsg::Room(s) if s.catalogue > first.catalogue => Some(s.clone()),
            _ => None,
        })
        .await;
    let (version, products) = seen_info.expect("ShowInfo came before the state that needs it");
    assert_eq!(version, state.catalogue);
    let stored = products
        .iter()
        .find(|p| p.id == potatoes.id)
        .expect("listed");
    assert_eq!(stored, &potatoes);
    assert_eq!(stored.description, "现挖现发，带泥保鲜。");

    // Changing it is the manager's: the host is refused. Names are cleaned, the id stays.
    assert_eq!(
        save_product(&mut host, potatoes.clone()).await,
        Err(ErrorCode::Forbidden)
    );
    let renamed = save_product(
        &mut manager,
        Product {
            name: "  滕州黄心土豆 ".into(),
            ..potatoes.clone()
        },
    )
    .await
    .expect("saved");
    assert_eq!(
        (renamed.id, renamed.name.as_str()),
        (potatoes.id, "滕州黄心土豆")
    );
    let (_, products, _) = next_catalogue(&mut viewer).await;
    assert!(products.iter().any(|p| p.name == "滕州黄心土豆"));

    // Bad fields are refused in words and change nothing.
    for (bad, code) in [
        (product(0, " "), ErrorCode::InvalidProduct),
        (
            Product {
                picture: Some("javascript:alert(1)".into()),
                ..product(0, "x")
            },
            ErrorCode::InvalidProduct,
        ),
        (
            Product {
                normal_price: -1,
                ..product(0, "x")
            },
            ErrorCode::InvalidProduct,
        ),
        (product(9_999, "x"), ErrorCode::UnknownProduct),
    ] {
        assert_eq!(save_product(&mut manager, bad.clone()).await, Err(code));
        if bad.id == 0 {
            assert_eq!(save_product(&mut host, bad).await, Err(code));
        }
    }

    // A product that has been on sale stays; one that never was can go.
    host.launch_deal(potatoes.id, 1990, 10, 2).await;
    assert_eq!(
        act(
            &mut manager,
            ClientMsg::RemoveProduct {
                product: potatoes.id
            }
        )
        .await,
        Err(ErrorCode::InUse)
    );
    let spare = save_product(&mut host, product(0, "备用")).await.unwrap();
    assert_eq!(
        act(&mut host, ClientMsg::RemoveProduct { product: spare.id }).await,
        Err(ErrorCode::Forbidden)
    );
    assert!(matches!(
        act(&mut manager, ClientMsg::RemoveProduct { product: spare.id }).await,
        Ok(ServerMsg::ProductRemoved { product }) if product == spare.id
    ));
    let (_, products, _) = loop {
        let c = next_catalogue(&mut viewer).await;
        if !c.1.iter().any(|p| p.id == spare.id) {
            break c;
        }
    };
    assert!(products.iter().any(|p| p.id == potatoes.id));

    // Pickup points (the manager's; the host is refused): add, change, remove an unused one; one
    // with orders stays.
    let spring_store = ClientMsg::SavePickup {
        pickup: PickupPoint {
            id: 0,
            name: "老百姓大药房（春风路店）".into(),
            address: "春风路 6 号".into(),
            hours: String::new(),
        },
    };
    assert_eq!(
        act(&mut host, spring_store.clone()).await,
        Err(ErrorCode::Forbidden)
    );
    let saved = act(&mut manager, spring_store).await;
    let Ok(ServerMsg::PickupSaved { pickup: spring }) = saved else {
        panic!("pickup not saved: {saved:?}");
    };
    let (_, _, points) = next_catalogue(&mut viewer).await;
    assert!(points.contains(&spring));
    assert_eq!(
        act(
            &mut manager,
            ClientMsg::SavePickup {
                pickup: PickupPoint {
                    address: "".into(),
                    hours: String::new(),
                    ..spring.clone()
                }
            }
        )
        .await,
        Err(ErrorCode::InvalidPickup)
    );
    let mut buyer = ts.client().await;
    buyer.join(ts.show).await;
    buyer.sign_in("张大爷").await;
    let deal = first.pinned_deal().expect("the demo deal").id;
    buyer
        .send(&ClientMsg::PlaceOrder {
            deal,
            qty: 1,
            pickup: spring.id,
            key: "spring-1".into(),
        })
        .await;
    buyer
        .recv_until(|m| matches!(m, ServerMsg::OrderAccepted { .. }).then_some(()))
        .await;
    assert_eq!(
        act(&mut manager, ClientMsg::RemovePickup { pickup: spring.id }).await,
        Err(ErrorCode::InUse)
    );
    assert!(matches!(
        act(&mut manager, ClientMsg::RemovePickup { pickup: 3 }).await,
        Ok(ServerMsg::PickupRemoved { pickup: 3 })
    ));
    assert_eq!(
        act(&mut manager, ClientMsg::RemovePickup { pickup: 3 }).await,
        Err(ErrorCode::UnknownPickup)
    );
    // An order for a removed pickup point is refused.
    buyer
        .send(&ClientMsg::PlaceOrder {
            deal,
            qty: 1,
            pickup: 3,
            key: "gone-1".into(),
        })
        .await;
    assert_eq!(buyer.next_error().await.0, ErrorCode::UnknownPickup);

    // A viewer coming back with an old catalogue is sent the new one; with the current one, not.
    let mut now_here = ts.client().await;
    let current = now_here.join(ts.show).await;
    for (held, expect_info) in [(first.catalogue, true), (current.catalogue, false)] {
        let mut back = ts.client().await;
        back.send(&ClientMsg::Join {
            show: ts.show,
            since: Some(current.seq),
            catalogue: Some(held),
        })
        .await;
        let mut got_info = false;
        back.recv_until(|m| match m {
            ServerMsg::ShowInfo { .. } => {
                got_info = true;
                None
            }
            ServerMsg::Room(_) => Some(()),
            _ => None,
        })
        .await;
        assert_eq!(got_info, expect_info, "rejoining with catalogue {held}");
    }

    // What the store holds survives a restart.
    let ts = ts.restart().await;
    let (_, products, points) = ts.client().await.catalogue(ts.show).await;
    assert!(products.iter().any(|p| p.name == "滕州黄心土豆"));
    assert!(points.iter().any(|p| p.id == spring.id) && !points.iter().any(|p| p.id == 3));
}

async fn upload(ts: &TestServer, show: i64, token: Option<&str>, body: &[u8]) -> HttpResponse {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("Content-Type", "image/png")];
    if let Some(auth) = &auth {
        headers.push(("Authorization", auth.as_str()));
    }
    http_request(
        ts.server.addr(),
        "POST",
        &format!("/api/shows/{show}/pictures"),
        &headers,
        body,
    )
    .await
    .expect("an HTTP answer")
}

#[tokio::test]
async fn the_host_uploads_pictures_that_everyone_is_served_and_nobody_else_can() {
    let ts = TestServer::start().await;
    let done = upload(&ts, ts.show, Some(&ts.host_token), PNG).await;
    assert_eq!(done.status, 201, "{}", String::from_utf8_lossy(&done.body));
    let url = done.json()["url"].as_str().expect("a url").to_owned();
    assert!(
        url.starts_with("/pictures/") && url.ends_with(".png") && url.len() == 10 + 64 + 4,
        "{url}"
    );
    // Served with its own type, for good, and never sniffed as something else.
    let got = http_request(ts.server.addr(), "GET", &url, &[], &[])
        .await
        .unwrap();
    assert_eq!(got.status, 200);
    assert_eq!(got.body, PNG);
    assert_eq!(got.header("content-type"), Some("image/png"));
    assert_eq!(got.header("x-content-type-options"), Some("nosniff"));
    assert!(got.header("cache-control").unwrap().contains("immutable"));
    // The same picture again is the same address; a product can use it.
    let again = upload(&ts, ts.show, Some(&ts.host_token), PNG).await;
    assert_eq!(again.json()["url"].as_str(), Some(url.as_str()));
    let mut host = ts.host().await;
    let saved = save_product(
        &mut host,
        Product {
            picture: Some(url.clone()),
            ..product(0, "土豆")
        },
    )
    .await
    .unwrap();
    assert_eq!(saved.picture.as_deref(), Some(url.as_str()));

    let mut resident = ts.client().await;
    resident.join(ts.show).await;
    let (_, resident_token) = resident.sign_in("李阿姨").await;
    let huge = {
        let mut b = PNG.to_vec();
        b.resize(mulin_shared::catalogue::MAX_PICTURE_BYTES + 1, 0);
        b
    };
    let script = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
    for (what, show, token, body, status, code) in [
        ("no token", ts.show, None, PNG, 401, "not_signed_in"),
        (
            "forged token",
            ts.show,
            Some("h.1.2.3.00"),
            PNG,
            401,
            "invalid_token",
        ),
        (
            "resident",
            ts.show,
            Some(resident_token.as_str()),
            PNG,
            403,
            "forbidden",
        ),
        (
            "another show's",
            ts.show + 1,
            Some(ts.host_token.as_str()),
            PNG,
            403,
            "forbidden",
        ),
        (
            "an SVG",
            ts.show,
            Some(ts.host_token.as_str()),
            &script[..],
            415,
            "invalid_picture",
        ),
        (
            "too large",
            ts.show,
            Some(ts.host_token.as_str()),
            &huge[..],
            413,
            "picture_too_large",
        ),
    ] {
        let r = upload(&ts, show, token, body).await;
        assert_eq!(
            (r.status, r.json()["error"].as_str()),
            (status, Some(code)),
            "{what}"
        );
        assert!(r.json()["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    for path in [
        "/pictures/nothing.png",
        &format!("/pictures/{}.png", "0".repeat(64)),
    ] {
        let r = http_request(ts.server.addr(), "GET", path, &[], &[])
            .await
            .unwrap();
        assert_eq!(
            (r.status, r.json()["error"].as_str()),
            (404, Some("not_found"))
        );
    }
}

async fn launch_at(
    host: &mut Client,
    product: i64,
    starts_at: Option<i64>,
    ends_at: i64,
) -> Result<Deal, ErrorCode> {
    let msg = ClientMsg::LaunchDeal {
        product,
        price: 990,
        stock: 20,
        per_resident_limit: 2,
        starts_at,
        ends_at,
    };
    match act(host, msg).await? {
        ServerMsg::DealLaunched { deal } => Ok(deal),
        other => panic!("unexpected answer {other:?}"),
    }
}

#[tokio::test]
async fn deals_can_be_scheduled_pinned_and_extended() {
    let ts = TestServer::start().await;
    let mut host = ts.host().await;
    let mut viewer = ts.client().await;
    let first = viewer.join(ts.show).await;
    let demo = first.pinned.expect("the demo deal is pinned");
    let now = mulin_backend::now_ms();

    // Scheduled: kept as asked, not pinned while the pinned deal is on sale, not sold early.
    let later = launch_at(&mut host, 2, Some(now + 1_500), now + 60_000)
        .await
        .expect("scheduled");
    assert_eq!(
        (later.starts_at, later.status),
        (now + 1_500, DealStatus::Live)
    );
    let mut buyer = ts.client().await;
    buyer.join(ts.show).await;
    buyer.sign_in("赵阿姨").await;
    let buy = |key: &str| ClientMsg::PlaceOrder {
        deal: later.id,
        qty: 1,
        pickup: 1,
        key: key.into(),
    };
    buyer.send(&buy("early")).await;
    let refused = buyer
        .recv_until(|m| match m {
            ServerMsg::OrderRefused { reason, .. } => Some(*reason),
            ServerMsg::OrderAccepted { .. } => Some(Refusal::SoldOut),
            _ => None,
        })
        .await;
    assert_eq!(refused, Refusal::DealClosed, "not on sale before its start");
    tokio::time::sleep(Duration::from_millis(
        (later.starts_at - mulin_backend::now_ms()).max(0) as u64 + 100,
    ))
    .await;
    buyer.send(&buy("on-time")).await;
    buyer
        .recv_until(|m| match m {
            ServerMsg::OrderAccepted { order, .. } => Some(order.deal),
            ServerMsg::OrderRefused { reason, .. } => panic!("refused at start: {reason:?}"),
            _ => None,
        })
        .await;
    let state = state_where(&mut viewer, |s| {
        s.deals.iter().any(|d| d.sold == 1 && d.id == later.id)
    })
    .await;
    assert_eq!(state.pinned, Some(demo), "the pinned deal on sale stays");

    // Pin by hand, pin none, and what cannot be pinned.
    assert!(matches!(
        act(&mut host, ClientMsg::PinDeal { deal: Some(later.id) }).await,
        Ok(ServerMsg::DealPinned { deal: Some(d) }) if d == later.id
    ));
    state_where(&mut viewer, |s| s.pinned == Some(later.id)).await;
    assert!(matches!(
        act(&mut host, ClientMsg::PinDeal { deal: None }).await,
        Ok(ServerMsg::DealPinned { deal: None })
    ));
    state_where(&mut viewer, |s| s.pinned.is_none()).await;
    assert_eq!(
        act(&mut host, ClientMsg::PinDeal { deal: Some(9_999) }).await,
        Err(ErrorCode::UnknownDeal)
    );
    assert!(matches!(
        act(&mut host, ClientMsg::EndDeal { deal: demo }).await,
        Ok(ServerMsg::DealUpdated { deal }) if deal.status == DealStatus::Ended
    ));
    state_where(&mut viewer, |s| {
        s.deals
            .iter()
            .any(|d| d.id == demo && d.status == DealStatus::Ended)
    })
    .await;
    assert_eq!(
        act(&mut host, ClientMsg::PinDeal { deal: Some(demo) }).await,
        Err(ErrorCode::InvalidDeal)
    );

    // With nothing on sale pinned, a scheduled deal takes the pin when it starts.
    let now = mulin_backend::now_ms();
    let next = launch_at(&mut host, 3, Some(now + 1_000), now + 120_000)
        .await
        .unwrap();
    let pinned = state_where(&mut viewer, |s| s.pinned == Some(next.id)).await;
    assert!(pinned.server_time >= next.starts_at);

    // Extend: later is fine, earlier or an ended deal is not.
    let new_end = next.ends_at + 300_000;
    let extended = act(
        &mut host,
        ClientMsg::ExtendDeal {
            deal: next.id,
            ends_at: new_end,
        },
    )
    .await;
    assert!(matches!(extended, Ok(ServerMsg::DealUpdated { ref deal }) if deal.ends_at == new_end));
    state_where(&mut viewer, |s| {
        s.deals
            .iter()
            .any(|d| d.id == next.id && d.ends_at == new_end)
    })
    .await;
    for (deal, ends_at) in [
        (next.id, new_end - 1),
        (next.id, next.starts_at + 8 * 24 * 3_600_000),
        (demo, new_end),
    ] {
        assert_eq!(
            act(&mut host, ClientMsg::ExtendDeal { deal, ends_at }).await,
            Err(ErrorCode::InvalidDeal),
            "extend {deal} to {ends_at}"
        );
    }

    // Schedules out of range.
    let now = mulin_backend::now_ms();
    let day = 24 * 3_600_000;
    for (starts_at, ends_at) in [
        (Some(now + 8 * day), now + 8 * day + 60_000),
        (Some(now + 60_000), now + 30_000),
        (Some(now + 60_000), now + 60_000 + 7 * day + 1),
    ] {
        assert_eq!(
            launch_at(&mut host, 1, starts_at, ends_at).await,
            Err(ErrorCode::InvalidDeal)
        );
    }

    // The pin is the host's choice, also after a restart.
    act(
        &mut host,
        ClientMsg::PinDeal {
            deal: Some(later.id),
        },
    )
    .await
    .unwrap();
    drop((host, viewer, buyer));
    let ts = ts.restart().await;
    let mut back = ts.client().await;
    assert_eq!(back.join(ts.show).await.pinned, Some(later.id));
}

//! The community's catalogue kept from the manager's console over HTTP: products and pickup
//! points added, changed and removed; every change reaches the viewers of the community's open
//! show at once and is in the audit log; bad input is refused with a code and changes nothing.

use mulin_shared::{ClientMsg, PickupPoint, Product, ServerMsg};
use mulin_tests::staff::{api, demo_manager};
use mulin_tests::wire::http_request;
use mulin_tests::{Client, TINY_PNG, TestServer};
use serde_json::{Value, json};

/// The next catalogue `viewer` is sent that passes `pick`.
async fn catalogue_where(
    viewer: &mut Client,
    mut pick: impl FnMut(&[Product], &[PickupPoint]) -> bool,
) -> (Vec<Product>, Vec<PickupPoint>) {
    viewer
        .recv_until(|m| match m {
            ServerMsg::ShowInfo {
                products,
                pickup_points,
                ..
            } if pick(products, pickup_points) => Some((products.clone(), pickup_points.clone())),
            _ => None,
        })
        .await
}

fn potatoes() -> Value {
    json!({
        "id": 0,
        "name": " 滕州黄心土豆 ",
        "description": "现挖现发，带泥保鲜。",
        "origin": "山东滕州",
        "unit": "2.5 kg",
        "normal_price": 2580,
        "batch": "TZ-1204-01",
        "picture": null
    })
}

#[tokio::test]
async fn the_manager_keeps_products_and_viewers_of_the_open_show_see_each_change_at_once() {
    let ts = TestServer::start().await;
    let addr = ts.addr();
    let (community, manager) = demo_manager(&ts).await;
    let token = Some(manager.as_str());
    let base = format!("/api/communities/{community}");
    let mut viewer = ts.client().await;
    viewer.join(ts.show).await;

    // The catalogue as the console reads it: what the show's viewers are offered.
    let (status, listed) = api(addr, "GET", &format!("{base}/catalogue"), token, None).await;
    assert_eq!(status, 200, "{listed}");
    let (_, products, pickups) = ts.client().await.catalogue(ts.show).await;
    assert_eq!(listed["products"], serde_json::to_value(&products).unwrap());
    assert_eq!(
        listed["pickup_points"],
        serde_json::to_value(&pickups).unwrap()
    );

    // Added: 201, cleaned, and the viewer of the live show gets it without asking.
    let (status, added) = api(
        addr,
        "POST",
        &format!("{base}/products"),
        token,
        Some(&potatoes()),
    )
    .await;
    assert_eq!(status, 201, "{added}");
    let added: Product = serde_json::from_value(added).expect("a product");
    assert_eq!(added.name, "滕州黄心土豆");
    catalogue_where(&mut viewer, |p, _| p.contains(&added)).await;

    // Changed: the id in the path wins over the body's.
    let mut body = potatoes();
    body["id"] = json!(999);
    body["name"] = json!("黄心土豆");
    let path = format!("{base}/products/{}", added.id);
    let (status, changed) = api(addr, "PUT", &path, token, Some(&body)).await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["id"], json!(added.id));
    catalogue_where(&mut viewer, |p, _| {
        p.iter().any(|p| p.id == added.id && p.name == "黄心土豆")
    })
    .await;

    // Refused with a code, and nothing changes.
    let before = ts.server.store().catalogue(ts.show).await.expect("read");
    let mut nameless = potatoes();
    nameless["name"] = json!("  ");
    let mut free = potatoes();
    free["normal_price"] = json!(-1);
    for (method, path, body, status, code) in [
        (
            "POST",
            format!("{base}/products"),
            Some(nameless),
            422,
            "invalid_product",
        ),
        (
            "POST",
            format!("{base}/products"),
            Some(free),
            422,
            "invalid_product",
        ),
        (
            "POST",
            format!("{base}/products"),
            Some(json!({ "name": 1 })),
            400,
            "invalid_message",
        ),
        (
            "PUT",
            format!("{base}/products/987654"),
            Some(potatoes()),
            404,
            "unknown_product",
        ),
        (
            "PUT",
            format!("{base}/products/potatoes"),
            Some(potatoes()),
            404,
            "unknown_product",
        ),
        (
            "PUT",
            format!("{base}/products/-1"),
            Some(potatoes()),
            404,
            "unknown_product",
        ),
        (
            "DELETE",
            format!("{base}/products/987654"),
            None,
            404,
            "unknown_product",
        ),
        // The demo deal sells product 1: it stays.
        ("DELETE", format!("{base}/products/1"), None, 409, "in_use"),
        (
            "PUT",
            "/api/communities/987654/products/1".to_owned(),
            Some(potatoes()),
            403,
            "forbidden",
        ),
    ] {
        let (got, answer) = api(addr, method, &path, token, body.as_ref()).await;
        assert_eq!(
            (got, answer["error"].as_str()),
            (status, Some(code)),
            "{method} {path}: {answer}"
        );
        assert!(answer["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    assert_eq!(
        ts.server.store().catalogue(ts.show).await.expect("read"),
        before
    );

    // Removed: 204, gone for the viewer; a second time there is nothing to remove.
    let (status, _) = api(addr, "DELETE", &path, token, None).await;
    assert_eq!(status, 204);
    catalogue_where(&mut viewer, |p, _| !p.iter().any(|p| p.id == added.id)).await;
    let (status, again) = api(addr, "DELETE", &path, token, None).await;
    assert_eq!((status, &again["error"]), (404, &json!("unknown_product")));
    // Its number is never given to a new product.
    let (status, next) = api(
        addr,
        "POST",
        &format!("{base}/products"),
        token,
        Some(&potatoes()),
    )
    .await;
    assert_eq!(status, 201, "{next}");
    assert!(next["id"].as_i64() > Some(added.id), "{next}");

    // Each change is in the audit log, by the manager, about no show.
    let (_, log) = api(addr, "GET", &format!("{base}/audit"), token, None).await;
    // Named as well as numbered: the name says what went.
    let subject = format!("product {} ", added.id);
    let lines: Vec<&Value> = log
        .as_array()
        .expect("lines")
        .iter()
        .filter(|l| {
            l["subject"]
                .as_str()
                .is_some_and(|s| s.starts_with(&subject))
        })
        .collect();
    assert_eq!(lines[0]["subject"], json!(format!("{subject}黄心土豆")));
    let actions: Vec<&str> = lines.iter().filter_map(|l| l["action"].as_str()).collect();
    assert_eq!(
        actions,
        ["product_removed", "product_saved", "product_saved"]
    );
    for line in lines {
        assert_eq!(line["actor"], json!("周主任"));
        assert_eq!(line["show"], Value::Null);
    }
}

#[tokio::test]
async fn the_manager_keeps_pickup_points_and_one_that_orders_name_stays() {
    let ts = TestServer::start().await;
    let addr = ts.addr();
    let (community, manager) = demo_manager(&ts).await;
    let token = Some(manager.as_str());
    let base = format!("/api/communities/{community}");
    let mut viewer = ts.client().await;
    let state = viewer.join(ts.show).await;

    let spring = json!({ "id": 0, "name": "老百姓大药房（春风路店）", "address": "春风路 6 号",
        "hours": "每天 8:00–21:00" });
    let (status, saved) = api(
        addr,
        "POST",
        &format!("{base}/pickups"),
        token,
        Some(&spring),
    )
    .await;
    assert_eq!(status, 201, "{saved}");
    let saved: PickupPoint = serde_json::from_value(saved).expect("a pickup point");
    catalogue_where(&mut viewer, |_, p| p.contains(&saved)).await;

    let path = format!("{base}/pickups/{}", saved.id);
    let mut moved = spring.clone();
    moved["address"] = json!("春风路 8 号");
    let (status, changed) = api(addr, "PUT", &path, token, Some(&moved)).await;
    assert_eq!((status, &changed["address"]), (200, &json!("春风路 8 号")));
    let mut nowhere = spring.clone();
    nowhere["address"] = json!("");
    let (status, refused) = api(addr, "PUT", &path, token, Some(&nowhere)).await;
    assert_eq!((status, &refused["error"]), (422, &json!("invalid_pickup")));

    // A resident orders for collection there: the point stays.
    viewer.sign_in("张大爷").await;
    let deal = state.pinned_deal().expect("the demo deal").id;
    viewer
        .send(&ClientMsg::PlaceOrder {
            deal,
            qty: 1,
            pickup: saved.id,
            key: "spring-1".into(),
        })
        .await;
    viewer
        .recv_until(|m| matches!(m, ServerMsg::OrderAccepted { .. }).then_some(()))
        .await;
    let (status, refused) = api(addr, "DELETE", &path, token, None).await;
    assert_eq!((status, &refused["error"]), (409, &json!("in_use")));
    let points = ts
        .server
        .store()
        .pickup_points_of(community)
        .await
        .expect("read");
    assert!(points.iter().any(|p| p.id == saved.id));
}

#[tokio::test]
async fn the_manager_uploads_a_picture_for_the_catalogue() {
    let ts = TestServer::start().await;
    let (community, manager) = demo_manager(&ts).await;
    let auth = format!("Bearer {manager}");
    let path = format!("/api/communities/{community}/pictures");
    let addr = ts.addr();
    let send = async |body: &[u8]| {
        let headers = [
            ("Content-Type", "image/png"),
            ("Authorization", auth.as_str()),
        ];
        http_request(addr, "POST", &path, &headers, body)
            .await
            .expect("answered")
    };
    let done = send(TINY_PNG).await;
    assert_eq!(done.status, 201);
    let url = done.json()["url"].as_str().expect("a url").to_owned();
    let got = http_request(ts.addr(), "GET", &url, &[], &[])
        .await
        .expect("answered");
    assert_eq!((got.status, got.body.as_slice()), (200, TINY_PNG));
    let refused = send(b"not a picture").await;
    assert_eq!(
        (refused.status, refused.json()["error"].as_str()),
        (415, Some("invalid_picture"))
    );
}

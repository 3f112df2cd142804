//! The shows of a community offer its one catalogue: next week's show has this week's products and
//! pickup points without anyone entering them again, a change made in one show reaches the viewers
//! of the community's other open shows at once, and another community's shows are untouched.

use mulin_shared::{ClientMsg, Product, ServerMsg};
use mulin_tests::TestServer;

#[tokio::test]
async fn shows_of_a_community_share_its_catalogue_and_its_changes() {
    let ts = TestServer::start().await;
    let store = ts.server.store().clone();
    let now = mulin_backend::now_ms();
    let this_week = ts.show;
    let community = store
        .show(this_week)
        .await
        .expect("read")
        .expect("show")
        .community;
    let next_week = store
        .create_show("下周丰收集市", &community, now)
        .await
        .expect("show");
    let elsewhere = store
        .create_show("小西湖邻里集市", "公园街道·小西湖社区", now)
        .await
        .expect("show");

    let mut here = ts.client().await;
    let (v_here, products, pickups) = here.catalogue(this_week).await;
    assert!(
        !products.is_empty() && !pickups.is_empty(),
        "the demo's catalogue"
    );
    let mut next = ts.client().await;
    let (v_next, next_products, next_pickups) = next.catalogue(next_week).await;
    assert_eq!(
        (&next_products, &next_pickups),
        (&products, &pickups),
        "next week's show offers the community's catalogue"
    );
    let mut other = ts.client().await;
    let (_, other_products, other_pickups) = other.catalogue(elsewhere).await;
    assert!(other_products.is_empty() && other_pickups.is_empty());

    // This week's host adds a product: next week's viewers get it at once, with a newer version.
    let mut host = ts.host().await;
    host.send(&ClientMsg::SaveProduct {
        product: mulin_tests::new_product("散养土鸡蛋"),
    })
    .await;
    let added = host
        .recv_until(|m| match m {
            ServerMsg::ProductSaved { product } => Some(product.clone()),
            ServerMsg::Error { code, message, .. } => panic!("{code:?} {message}"),
            _ => None,
        })
        .await;
    for (viewer, held) in [(&mut here, v_here), (&mut next, v_next)] {
        let (version, products) = viewer
            .recv_until(|m| match m {
                ServerMsg::ShowInfo {
                    catalogue,
                    products,
                    ..
                } => Some((*catalogue, products.clone())),
                _ => None,
            })
            .await;
        assert!(version > held, "a newer catalogue: {version} after {held}");
        assert!(products.contains(&added), "{products:?}");
    }
    // The other community's show still offers nothing, and the product is not theirs to change.
    let (_, other_products, _) = other.catalogue(elsewhere).await;
    assert!(other_products.is_empty());
    assert_eq!(
        store.catalogue(elsewhere).await.expect("read").products,
        Vec::<Product>::new()
    );
}

/// A resident who bought in this week's show finds that order, with its product and show, in
/// "my orders" of next week's show of the community (signed in once, known in every show); it is
/// cancelled in its own show, not from another.
#[tokio::test]
async fn a_residents_orders_follow_them_to_the_communitys_other_shows() {
    let ts = TestServer::start().await;
    let store = ts.server.store().clone();
    let community = store
        .show(ts.show)
        .await
        .expect("read")
        .expect("show")
        .community;
    let next_week = store
        .create_show("下周丰收集市", &community, mulin_backend::now_ms())
        .await
        .expect("show");
    let mut buyer = ts.client().await;
    let state = buyer.join(ts.show).await;
    let (_, token) = buyer.sign_in("王阿姨").await;
    let deal = state.pinned_deal().expect("the demo deal");
    let ServerMsg::OrderAccepted { order, .. } = buyer.order(deal.id, 1, "week-1").await else {
        panic!("the order");
    };
    assert_eq!((order.product, order.show), (deal.product, ts.show));

    let mut later = ts.client().await;
    later.join(next_week).await;
    later.resume(&token).await;
    let mine = later
        .recv_until(|m| match m {
            ServerMsg::MyOrders { orders } => Some(orders.clone()),
            _ => None,
        })
        .await;
    assert_eq!(mine, vec![order.clone()], "the same order, as stored");
    later
        .send(&ClientMsg::CancelOrder {
            order: order.id,
            reason: None,
        })
        .await;
    assert_eq!(
        later.next_error().await.0,
        mulin_shared::ErrorCode::UnknownOrder
    );
    let (kept, _) = store.order(order.id).await.expect("read").expect("kept");
    assert_eq!(kept.status, mulin_shared::OrderStatus::Accepted);
}

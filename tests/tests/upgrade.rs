//! A database written by an earlier release upgrades in place, and everything in it stays valid:
//! shows, catalogues, deals, orders and their pickup codes, every resident's and staff member's
//! token, lucky bags (the drawn one still verifies from its published data), prizes with their
//! claim codes, pictures. The fixture (`tests/fixtures/schema-0012.*`, see
//! `mulin_tests::upgrade`) was filled through the code paths of the release whose newest migration
//! is 0012; each later migration must keep this test passing.

use std::time::Duration;

use mulin_backend::auth::Sessions;
use mulin_backend::store::Store;
use mulin_shared::{BagPhase, ClientMsg, ServerMsg};
use mulin_tests::process::ServerProcess;
use mulin_tests::upgrade::Record;
use mulin_tests::wire::Wire;
use sqlx::{ConnectOptions, Connection};

/// A fresh database file holding the fixture's dump, as the earlier release left it.
async fn earlier_database(dir: &std::path::Path, name: &str) -> (std::path::PathBuf, Record) {
    let fixtures = mulin_tests::repo_root().join("tests/fixtures");
    let dump = std::fs::read_to_string(fixtures.join(format!("{name}.sql"))).expect("dump");
    let record: Record = serde_json::from_str(
        &std::fs::read_to_string(fixtures.join(format!("{name}.json"))).expect("record"),
    )
    .expect("record parses");
    let db = dir.join("mulin.db");
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&db)
        .create_if_missing(true)
        .connect()
        .await
        .expect("new file");
    sqlx::raw_sql(&dump)
        .execute(&mut conn)
        .await
        .expect("dump loads");
    conn.close().await.expect("closed");
    (db, record)
}

#[tokio::test]
async fn a_database_of_schema_0012_upgrades_with_everything_in_it_intact() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (db, record) = earlier_database(dir.path(), "schema-0012").await;
    let store = Store::open(&db).await.expect("opens and migrates");
    let sessions = Sessions::open(store.clone()).await.expect("sessions");

    for s in &record.shows {
        let id = s.show.id;
        // Since 0014 a show has a life and a start: shows from before were running, and start
        // when they were made.
        let upgraded = store.show(id).await.expect("read").expect("kept");
        assert_eq!(
            (upgraded.id, &upgraded.title, &upgraded.community),
            (s.show.id, &s.show.title, &s.show.community)
        );
        assert_eq!(upgraded.status, mulin_shared::ShowStatus::Live);
        assert!(upgraded.starts_at > 1_700_000_000_000, "{upgraded:?}");
        assert_eq!(upgraded.stream_url, "");
        // Since 0013 a show offers its community's catalogue: what every show of the same community
        // label had before, together.
        let siblings = || {
            record
                .shows
                .iter()
                .filter(|o| o.show.community == s.show.community)
        };
        let mut products: Vec<_> = siblings().flat_map(|o| o.products.clone()).collect();
        products.sort_by_key(|p| p.id);
        let mut pickups: Vec<_> = siblings().flat_map(|o| o.pickup_points.clone()).collect();
        pickups.sort_by_key(|p| p.id);
        let catalogue = store.catalogue(id).await.expect("catalogue");
        assert_eq!(catalogue.products, products, "products of show {id}");
        assert_eq!(
            catalogue.pickup_points, pickups,
            "pickup points of show {id}"
        );
        let deals = store.deals(id).await.expect("deals");
        assert_eq!(deals, s.deals, "deals of show {id}");
        let mut orders = Vec::new();
        for d in &deals {
            orders.extend(store.orders_by_key(d.id).await.expect("orders"));
        }
        orders.sort_by_key(|(_, o)| std::cmp::Reverse(o.id));
        for (_, o) in &orders {
            let deal = deals.iter().find(|d| d.id == o.deal).expect("its deal");
            assert_eq!((o.product, o.show), (deal.product, id), "order {}", o.id);
        }
        let orders: Vec<_> = orders
            .into_iter()
            .map(|(k, o)| (k, as_recorded(o)))
            .collect();
        assert_eq!(
            orders, s.orders,
            "orders, keys and pickup codes of show {id}"
        );
        for (bag, entries) in &s.bags {
            let stored = store.bag(bag.id).await.expect("bag").expect("bag kept");
            assert_eq!(&stored.bag, bag);
            assert_eq!(&store.bag_entries(bag.id).await.expect("entries"), entries);
            if bag.phase == BagPhase::Drawn {
                assert_eq!(
                    stored.bag.verify(entries),
                    Ok(()),
                    "bag {} still verifies",
                    bag.id
                );
            }
        }
        let community = store.community_of(id).await.expect("read").expect("one");
        for (resident, mine, prizes) in &s.residents {
            let now: Vec<mulin_shared::Order> = store
                .resident_orders(community.id, *resident)
                .await
                .expect("mine")
                .into_iter()
                .filter(|o| o.show == id)
                .collect();
            for o in &now {
                let deal = s.deals.iter().find(|d| d.id == o.deal).expect("its deal");
                assert_eq!((o.product, o.show), (deal.product, id), "order {}", o.id);
            }
            let as_recorded: Vec<mulin_shared::Order> = now.into_iter().map(as_recorded).collect();
            assert_eq!(
                &as_recorded, mine,
                "resident {resident}'s orders in show {id}"
            );
            let kept: Vec<_> = store
                .prizes(id, *resident)
                .await
                .expect("prizes")
                .into_iter()
                .map(|p| (p.bag, p.prize, p.pickup, p.claim_code))
                .collect();
            assert_eq!(&kept, prizes, "resident {resident}'s prizes in show {id}");
        }
    }
    // Migration 0013: each show's community label became a community; products and pickup points
    // are their show's community's. The demo show and next week's share one community.
    let mut communities = Vec::new();
    for s in &record.shows {
        let c = store
            .community_of(s.show.id)
            .await
            .expect("read")
            .expect("every show has its community");
        let (district, name) = mulin_backend::store::split_label(&s.show.community);
        assert_eq!((c.district.as_str(), c.name.as_str()), (district, name));
        communities.push(c);
    }
    assert_eq!(communities[0], communities[1], "one community, two shows");
    assert_ne!(communities[0].id, communities[2].id);
    assert_eq!(
        (
            communities[2].district.as_str(),
            communities[2].name.as_str()
        ),
        ("公园街道", "小西湖社区")
    );
    // The community's catalogue is what every show of it offers; the other community's is empty.
    let catalogue_of = |show: usize| store.catalogue(record.shows[show].show.id);
    let first = catalogue_of(0).await.expect("catalogue");
    assert_eq!(
        (first.products, first.pickup_points),
        (
            record.shows[0].products.clone(),
            record.shows[0].pickup_points.clone()
        )
    );
    let other = catalogue_of(2).await.expect("catalogue");
    assert!(other.products.is_empty() && other.pickup_points.is_empty());
    // A product added to one show now is its community's: the other show offers it too.
    let next_week = record.shows[1].show.id;
    let community = store.community_of(next_week).await.expect("read");
    let of = mulin_backend::store::CatalogueOf {
        community: community.expect("a community").id,
        show: Some(next_week),
    };
    let added = store
        .save_product(
            of,
            &mulin_tests::new_product("散养土鸡蛋"),
            &mulin_backend::store::Actor::command_line(),
        )
        .await
        .expect("saved");
    let mulin_backend::store::CatalogueChange::Done(added, _) = added else {
        panic!("the product was not added");
    };
    let products = catalogue_of(0).await.expect("catalogue").products;
    assert!(products.contains(&added), "{products:?}");
    // A show made now joins the community its label names.
    let later = store
        .create_show(
            "再下周集市",
            &record.shows[0].show.community,
            mulin_backend::now_ms(),
        )
        .await
        .expect("show");
    assert_eq!(
        store.community_of(later).await.expect("read").as_ref(),
        Some(&communities[0])
    );

    for t in &record.tokens {
        let p = sessions
            .resume(&t.token)
            .await
            .expect("the token still signs in");
        assert_eq!(
            (p.role(), p.resident, p.show, p.nickname.as_str()),
            (t.role, t.resident, t.show, t.nickname.as_str()),
        );
    }
    for (name, kind, len) in &record.pictures {
        let (k, bytes) = store
            .picture(name)
            .await
            .expect("read")
            .expect("picture kept");
        assert_eq!((&k, bytes.len()), (kind, *len));
    }
}

/// The upgraded database serves: a server starts on it, and a resident of the earlier release
/// comes back with their token to the same name and the same orders.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_of_the_earlier_release_comes_back_to_their_orders() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (db, record) = earlier_database(dir.path(), "schema-0012").await;
    let server = ServerProcess::start(&db, 4096)
        .await
        .expect("server starts on it");
    let show = &record.shows[0];
    let (resident, mine, _) = show
        .residents
        .iter()
        .find(|(_, mine, _)| mine.len() > 1)
        .expect("a resident with two orders");
    let token = record
        .tokens
        .iter()
        .find(|t| t.resident == Some(*resident))
        .expect("their token");
    let mut wire = Wire::open(&server.ws_url(), Duration::from_secs(10))
        .await
        .expect("connects");
    wire.send(&ClientMsg::Join {
        show: show.show.id,
        since: None,
        catalogue: None,
    })
    .await
    .expect("join");
    wire.send(&ClientMsg::Resume {
        token: token.token.clone(),
    })
    .await
    .expect("resume");
    let signed = wire
        .until(Duration::from_secs(10), |m| match m {
            ServerMsg::SignedIn {
                resident, nickname, ..
            } => Some(Ok((resident, nickname))),
            ServerMsg::Error { code, message, .. } => Some(Err(format!("{code:?} {message}"))),
            _ => None,
        })
        .await
        .expect("answered")
        .expect("signed in");
    assert_eq!(signed, (Some(*resident), token.nickname.clone()));
    let listed = wire
        .until(Duration::from_secs(10), |m| match m {
            ServerMsg::MyOrders { orders } => Some(orders),
            _ => None,
        })
        .await
        .expect("my orders");
    let listed: Vec<_> = listed.into_iter().map(as_recorded).collect();
    assert_eq!(&listed, mine);
    server.stop().await;
}

/// An order as the earlier release recorded it: orders did not name their product and show yet
/// (the tests check those against the order's deal), nor carry a pickup QR value.
fn as_recorded(o: mulin_shared::Order) -> mulin_shared::Order {
    mulin_shared::Order {
        product: 0,
        show: 0,
        pickup_qr: None,
        ..o
    }
}

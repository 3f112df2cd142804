//! `cargo run -p mulin-tests --example upgrade_fixture`: writes `tests/fixtures/schema-NNNN.sql`
//! (a `sqlite3 .dump`, so the sqlite3 shell must be installed) and `schema-NNNN.json` (what the
//! database holds, read through this release's own store and sessions), NNNN being the newest
//! migration. Everything is made through the protocol as people would: the host's catalogue,
//! deals, restocks and ends, residents' sign-ins and orders, a moderator's cancellation with a
//! reason, a drawn lucky bag and an open one; and through the command line's path for more shows.
//! Run it once before a migration changes the schema, and commit both files: `tests/upgrade.rs`
//! then checks that the upgrade keeps all of it.

use std::path::Path;

use mulin_shared::{ClientMsg, Eligibility, PickupPoint, Product, Role, RoomEvent, ServerMsg};
use mulin_tests::upgrade::{Record, ShowRecord, TokenRecord};
use mulin_tests::{Client, TestServer};

async fn answer(c: &mut Client, what: &str) -> ServerMsg {
    c.recv_until(|m| match m {
        ServerMsg::Error { code, message, .. } => panic!("{what}: {code:?} {message}"),
        ServerMsg::ProductSaved { .. }
        | ServerMsg::PickupSaved { .. }
        | ServerMsg::DealLaunched { .. }
        | ServerMsg::DealRestocked { .. }
        | ServerMsg::Event {
            event: RoomEvent::DealEnded { .. },
            ..
        }
        | ServerMsg::BagOpened { .. }
        | ServerMsg::OrderCancelled { .. } => Some(m.clone()),
        _ => None,
    })
    .await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let ts = TestServer::start().await;
    let store = ts.server.store().clone();
    let now = mulin_backend::now_ms();
    let mut host = ts.host().await;

    // The catalogue: a product with a stored picture (the host's), and a pickup point more (the
    // manager's).
    let community = store.community_of(ts.show).await?.map_or(0, |c| c.id);
    let of = mulin_backend::store::CatalogueOf {
        community,
        show: Some(ts.show),
    };
    let picture = store
        .put_picture(of, "image/png", b"\x89PNG\r\n\x1a\nfixture", now)
        .await?;
    host.send(&ClientMsg::SaveProduct {
        product: Product {
            id: 0,
            name: "海鸭蛋".into(),
            description: "北部湾红树林散养，个大油多".into(),
            origin: "广西北海".into(),
            unit: "20 枚".into(),
            normal_price: 4_800,
            batch: "BH-1203-01".into(),
            picture: Some(format!("/pictures/{picture}.png")),
        },
    })
    .await;
    let ServerMsg::ProductSaved { product } = answer(&mut host, "product").await else {
        unreachable!()
    };
    let (mut manager, _) = mulin_tests::staff::manager_in_show(&ts).await;
    manager
        .send(&ClientMsg::SavePickup {
            pickup: PickupPoint {
                id: 0,
                name: "康宁大药房（公园路店）".into(),
                address: "公园路 12 号".into(),
                hours: "每天 8:30–20:30".into(),
            },
        })
        .await;
    answer(&mut manager, "pickup").await;

    // Two deals: one restocked and still live, one ended.
    let corn = host.launch_deal(1, 990, 50, 5).await.id;
    let eggs = host.launch_deal(product.id, 3_990, 20, 2).await.id;
    host.send(&ClientMsg::Restock {
        deal: corn,
        units: 10,
    })
    .await;
    answer(&mut host, "restock").await;

    // Residents sign in and buy; one of them twice.
    let mut tokens = Vec::new();
    let mut residents = Vec::new();
    for (i, name) in ["王阿姨", "李大爷", "张师傅", "赵奶奶", "刘老师", "陈阿婆"]
        .iter()
        .enumerate()
    {
        let mut c = ts.client().await;
        c.join(ts.show).await;
        let (id, token) = c.sign_in(name).await;
        tokens.push(TokenRecord {
            token,
            role: Role::Resident,
            resident: Some(id),
            show: None,
            nickname: (*name).into(),
        });
        let deal = if i % 2 == 0 { corn } else { eggs };
        let qty = 1 + (i as i64 % 2);
        match c.order(deal, qty, &format!("fixture-{i}-a")).await {
            ServerMsg::OrderAccepted { .. } => {}
            other => panic!("order: {other:?}"),
        }
        residents.push((c, id));
    }
    match residents[0].0.order(eggs, 1, "fixture-0-b").await {
        ServerMsg::OrderAccepted { .. } => {}
        other => panic!("order: {other:?}"),
    }
    // A moderator cancels one order with a reason the resident sees.
    let mut moderator = ts.client().await;
    moderator.join(ts.show).await;
    moderator.resume(&ts.moderator_token).await;
    let to_cancel = store.show_orders(ts.show, 100).await?[0].id;
    moderator
        .send(&ClientMsg::CancelOrder {
            order: to_cancel,
            reason: Some("货源不足，已退款".into()),
        })
        .await;
    answer(&mut moderator, "cancel").await;
    host.send(&ClientMsg::EndDeal { deal: eggs }).await;
    answer(&mut host, "end").await;

    // A lucky bag drawn, and one still open.
    let open_bag = |prize: &str, winners: u32| ClientMsg::OpenBag {
        prize: prize.into(),
        winners,
        closes_at: mulin_backend::now_ms() + 3_600_000,
        eligibility: Eligibility::Everyone,
        pickup: 1,
    };
    host.send(&open_bag("5 kg 五常大米", 2)).await;
    let ServerMsg::BagOpened { bag: drawn } = answer(&mut host, "bag").await else {
        unreachable!()
    };
    for (c, _) in residents.iter_mut().take(4) {
        c.send(&ClientMsg::EnterBag { bag: drawn.id }).await;
        c.recv_until(|m| matches!(m, ServerMsg::BagEntered { .. }).then_some(()))
            .await;
    }
    host.send(&ClientMsg::CloseBag { bag: drawn.id }).await;
    host.recv_until(|m| match m {
        ServerMsg::BagDrawn { .. } => Some(()),
        _ => None,
    })
    .await;
    host.send(&open_bag("一桶花生油", 1)).await;
    let ServerMsg::BagOpened { bag: still_open } = answer(&mut host, "bag").await else {
        unreachable!()
    };
    for (c, _) in residents.iter_mut().skip(4) {
        c.send(&ClientMsg::EnterBag { bag: still_open.id }).await;
        c.recv_until(|m| matches!(m, ServerMsg::BagEntered { .. }).then_some(()))
            .await;
    }

    // More shows, as `mulin show` makes them: next week's in the same community, and another
    // community's.
    let next_week = store
        .create_show("下周丰收集市", "和平花园社区", now)
        .await?;
    let elsewhere = store
        .create_show("小西湖邻里集市", "公园街道·小西湖社区", now)
        .await?;
    let sessions = mulin_backend::auth::Sessions::open(store.clone()).await?;
    let mut staff = vec![
        (Role::Host, ts.show, ts.host_token.clone()),
        (Role::Moderator, ts.show, ts.moderator_token.clone()),
    ];
    for show in [next_week, elsewhere] {
        for role in [Role::Host, Role::Moderator] {
            staff.push((
                role,
                show,
                sessions.mint_staff_token(role, show, now).await?,
            ));
        }
    }
    for (role, show, token) in staff {
        tokens.push(TokenRecord {
            token,
            role,
            resident: None,
            show: Some(show),
            nickname: role.as_str().into(),
        });
    }

    // What the database holds, read through this release's own store.
    let mut shows = Vec::new();
    for id in [ts.show, next_week, elsewhere] {
        let show = store.show(id).await?.ok_or("show")?;
        let catalogue = store.catalogue(id).await?;
        let deals = store.deals(id).await?;
        let mut orders = Vec::new();
        for d in &deals {
            orders.extend(store.orders_by_key(d.id).await?);
        }
        orders.sort_by_key(|(_, o)| std::cmp::Reverse(o.id));
        let mut bags = Vec::new();
        if id == ts.show {
            for bag in [drawn.id, still_open.id] {
                let stored = store.bag(bag).await?.ok_or("bag")?;
                let entries = store.bag_entries(bag).await?;
                bags.push((stored.bag, entries));
            }
        }
        let mut mine = Vec::new();
        for t in tokens.iter().filter_map(|t| t.resident) {
            let community = store.community_of(id).await?.map_or(0, |c| c.id);
            let orders: Vec<_> = store
                .resident_orders(community, t)
                .await?
                .into_iter()
                .filter(|o| o.show == id)
                .collect();
            let prizes = store
                .prizes(id, t)
                .await?
                .into_iter()
                .map(|p| (p.bag, p.prize, p.pickup, p.claim_code))
                .collect();
            mine.push((t, orders, prizes));
        }
        shows.push(ShowRecord {
            show,
            products: catalogue.products,
            pickup_points: catalogue.pickup_points,
            deals,
            orders,
            bags,
            residents: mine,
        });
    }
    for t in &tokens {
        let p = sessions.resume(&t.token).await?;
        assert_eq!((p.role(), p.resident, p.show), (t.role, t.resident, t.show));
    }
    let (kind, bytes) = store.picture(&picture).await?.ok_or("picture")?;
    let record = Record {
        shows,
        tokens,
        pictures: vec![(picture, kind, bytes.len())],
    };

    let migrations = std::fs::read_dir(mulin_tests::repo_root().join("backend/migrations"))?
        .filter_map(|e| e.ok()?.file_name().to_str()?.get(..4)?.parse::<u32>().ok())
        .max()
        .ok_or("no migrations")?;
    let dir = mulin_tests::repo_root().join("tests/fixtures");
    std::fs::create_dir_all(&dir)?;
    let name = format!("schema-{migrations:04}");
    let dump = std::process::Command::new("sqlite3")
        .arg(&ts.db)
        .arg(".dump")
        .output()?;
    if !dump.status.success() {
        return Err(format!("sqlite3 .dump: {}", String::from_utf8_lossy(&dump.stderr)).into());
    }
    write(&dir.join(format!("{name}.sql")), &dump.stdout)?;
    write(
        &dir.join(format!("{name}.json")),
        serde_json::to_string_pretty(&record)?.as_bytes(),
    )?;
    Ok(())
}

fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)?;
    println!("wrote {} ({} bytes)", path.display(), bytes.len());
    Ok(())
}

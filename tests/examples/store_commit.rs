//! `cargo run --release -p mulin-tests --example store_commit`: what the store alone costs per
//! order, without the network: 5,000 residents, batches of `BATCH` (default 1,500) orders committed
//! one after another on a fresh database (SQLite, synchronous=FULL).

use std::time::Instant;

use mulin_backend::store::{NewDeal, NewOrder, Store};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let batch: usize = match std::env::var("BATCH") {
        Ok(v) => v
            .parse()
            .map_err(|_| format!("BATCH must be a number, got {v}"))?,
        Err(_) => 1500,
    };
    let dir = tempfile::tempdir()?;
    let store = Store::open(&dir.path().join("bench.db")).await?;
    let now = mulin_backend::now_ms();
    let show = store.seed_demo(now).await?.show;
    let mut residents = Vec::with_capacity(5000);
    for i in 0..5000 {
        let form = mulin_shared::SignInForm {
            nickname: format!("r{i}"),
            phone: format!("139{i:08}"),
            community: "c".into(),
        };
        residents.push(
            store
                .create_resident(&form, None, now, |_| format!("h{i}"))
                .await?
                .ok_or("every number is new")?,
        );
    }
    let deal = store
        .insert_deal(
            &NewDeal {
                show,
                product: 1,
                price: 990,
                stock: 100_000_000,
                per_resident_limit: 100_000,
                starts_at: now,
                ends_at: now + 3_600_000,
            },
            None,
        )
        .await?;
    let rounds = (200_000 / batch.max(1)).max(1);
    let started = Instant::now();
    let mut stored = 0;
    for r in 0..rounds {
        let orders: Vec<NewOrder> = (0..batch)
            .map(|i| NewOrder {
                // Residents in scattered order, as a spike brings them (7919 is coprime to 5,000).
                resident: residents[(r * batch + i) * 7919 % residents.len()],
                nickname: format!("r{i}"),
                qty: 1,
                unit_price: 990,
                pickup: 1,
                pickup_code: format!("{:06}", i % 1_000_000),
                key: format!("{r:08x}-{i:08x}-4a1c-9b7e"),
                created_at: now,
                placed_by: None,
            })
            .collect();
        stored += store.commit_orders(deal.id, &orders).await?.len();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{{\"orders\":{stored},\"batch\":{batch},\"us_per_order\":{:.1},\"orders_per_s\":{:.0}}}",
        secs * 1e6 / stored as f64,
        stored as f64 / secs
    );
    Ok(())
}

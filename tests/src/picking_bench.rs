//! `spike picking`: how long a big show's picking lists take. A server in this process is seeded
//! through its store with `orders` orders of `residents` residents across `points` pickup points
//! (each resident at one store, one order per deal), then the list is asked for as JSON, CSV and
//! XLSX over HTTP, and drawn by the console page in headless Chromium: from the page's start to
//! every resident's line on screen, and the part of that after the list arrived.

use std::time::{Duration, Instant};

use mulin_backend::store::{Actor, NewDeal, NewOrder};
use mulin_shared::{PickupPoint, SignInForm};
use serde_json::json;

use crate::TestServer;
use crate::browser::Browser;
use crate::staff::{api, demo_manager};
use crate::wire::http_request;

/// What to seed.
#[derive(Debug, Clone, Copy)]
pub struct PickingConfig {
    /// Orders in the show.
    pub orders: usize,
    /// Pickup points.
    pub points: usize,
    /// Times each request is made (the median is reported).
    pub runs: usize,
}

fn median(mut ms: Vec<f64>) -> f64 {
    ms.sort_by(f64::total_cmp);
    ms.get(ms.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Seeds, measures and returns a `key=value` line.
pub async fn run(cfg: PickingConfig) -> Result<String, String> {
    crate::browser::dist_is_built();
    let ts = TestServer::start().await;
    let store = ts.server.store().clone();
    let (community, manager) = demo_manager(&ts).await;
    let now = mulin_backend::now_ms();
    let by = Actor::command_line();
    // Pickup points: the demo's three and the rest.
    let of = mulin_backend::store::CatalogueOf {
        community,
        show: None,
    };
    let existing = store
        .pickup_points_of(community)
        .await
        .map_err(|e| e.to_string())?
        .len();
    for i in existing..cfg.points {
        let point = PickupPoint {
            id: 0,
            name: format!("老百姓大药房（{i:03} 号店）"),
            address: format!("幸福路 {i} 号"),
            hours: "8:00–21:00".into(),
        };
        store
            .save_pickup(of, &point, &by)
            .await
            .map_err(|e| e.to_string())?;
    }
    let points: Vec<i64> = store
        .pickup_points_of(community)
        .await
        .map_err(|e| e.to_string())?
        .iter()
        .map(|p| p.id)
        .collect();
    // Five deals, one per product; each resident orders one of each.
    const DEALS: usize = 5;
    let residents = cfg.orders.div_ceil(DEALS);
    let mut deals = Vec::new();
    for product in 1..=DEALS as i64 {
        let deal = store
            .insert_deal(
                &NewDeal {
                    show: ts.show,
                    product,
                    price: 990,
                    stock: residents as i64 * 3,
                    per_resident_limit: 3,
                    starts_at: now,
                    ends_at: now + 3_600_000,
                },
                None,
            )
            .await
            .map_err(|e| e.to_string())?;
        deals.push(deal.id);
    }
    let seeding = Instant::now();
    let mut people = Vec::with_capacity(residents);
    for i in 0..residents {
        let form = SignInForm {
            nickname: format!("居民{i:05}"),
            phone: format!("139{i:08}"),
            community: String::new(),
        };
        let id = store
            .create_resident(&form, Some(community), now, |id| format!("bench-{id}"))
            .await
            .map_err(|e| e.to_string())?
            .ok_or("a resident twice")?;
        people.push((id, form.nickname, points[i % points.len()]));
    }
    let mut placed = 0;
    for (d, deal) in deals.iter().enumerate() {
        let batch: Vec<NewOrder> = people
            .iter()
            .enumerate()
            .filter(|(i, _)| i * DEALS + d < cfg.orders)
            .map(|(i, (id, name, pickup))| NewOrder {
                resident: *id,
                nickname: name.clone(),
                qty: 1 + (i % 3) as i64,
                unit_price: 990,
                pickup: *pickup,
                pickup_code: format!("{:06}", (i * 7919 + d * 104_729) % 1_000_000),
                key: format!("bench-{d}-{i}"),
                created_at: now,
                placed_by: None,
            })
            .collect();
        for chunk in batch.chunks(2_000) {
            placed += store
                .commit_orders(*deal, chunk)
                .await
                .map_err(|e| e.to_string())?
                .len();
        }
    }
    let seeded_s = seeding.elapsed().as_secs_f64();
    let base = format!("/api/communities/{community}/picking");
    let query = format!("shows={}", ts.show);
    let auth = format!("Bearer {manager}");
    let headers = [("Authorization", auth.as_str())];
    let mut timings = Vec::new();
    let mut sizes = Vec::new();
    for file in ["", ".csv", ".xlsx"] {
        let path = format!("{base}{file}?{query}");
        let mut ms = Vec::new();
        let mut size = 0;
        for _ in 0..cfg.runs {
            let started = Instant::now();
            let answer = http_request(ts.addr(), "GET", &path, &headers, b"").await?;
            ms.push(started.elapsed().as_secs_f64() * 1000.0);
            if answer.status != 200 {
                return Err(format!("GET {path}: {}", answer.status));
            }
            size = answer.body.len();
        }
        timings.push(median(ms));
        sizes.push(size);
    }
    // The console page: from its start to every resident's line drawn.
    let (_, check) = api(
        ts.addr(),
        "GET",
        &format!("{base}?{query}"),
        Some(&manager),
        None,
    )
    .await;
    let lines: usize = check["points"]
        .as_array()
        .map(|p| {
            p.iter()
                .map(|p| p["residents"].as_array().map_or(0, Vec::len))
                .sum()
        })
        .unwrap_or(0);
    let mut page_ms = Vec::new();
    let mut render_ms = Vec::new();
    for _ in 0..cfg.runs {
        let page = Browser::start(1280, 900).await;
        page.open(&format!(
            "{}/c/{community}/picking?{query}&token={manager}",
            ts.http_url()
        ))
        .await;
        let seen = page
            .client
            .execute_async(
                "const [want, done] = arguments; \
                 const t = setInterval(() => { \
                   if (document.querySelectorAll('.pick-residents tbody tr').length >= want) { \
                     clearInterval(t); \
                     const got = performance.getEntriesByType('resource') \
                       .filter(e => e.name.includes('/picking?')).map(e => e.responseEnd); \
                     done([performance.now(), Math.max(...got)]); } }, 5);",
                vec![json!(lines)],
            )
            .await
            .map_err(|e| format!("the page: {e}"))?;
        let at = |i: usize| seen[i].as_f64().unwrap_or(f64::NAN);
        page_ms.push(at(0));
        render_ms.push(at(0) - at(1));
        page.close().await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(format!(
        "orders={placed} residents={residents} points={} seeded_s={seeded_s:.1} \
         json_ms={:.0} json_kb={:.0} csv_ms={:.0} csv_kb={:.0} xlsx_ms={:.0} xlsx_kb={:.0} \
         page_ms={:.0} render_ms={:.0} lines={lines}",
        points.len(),
        timings[0],
        sizes[0] as f64 / 1024.0,
        timings[1],
        sizes[1] as f64 / 1024.0,
        timings[2],
        sizes[2] as f64 / 1024.0,
        median(page_ms),
        median(render_ms),
    ))
}

//! The fan-out load: many viewers follow one room while the host changes a deal's stock at a fixed
//! rate (or residents buy it down, an order spike), over real WebSockets. Each viewer measures how
//! late every room state reaches it, from the `server_time` the state carries, against its arrival
//! put on the server's clock by the offset pings reckon (0 when the tool and the server share a
//! machine). The server's CPU time and memory come from /proc of its process, or from its
//! `/api/metrics` when it runs elsewhere, so the same run works against any server that speaks the
//! protocol's few messages used here (tests/peers/ holds a Node.js one).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use mulin_backend::usage::{self, ProcessUsage};
use mulin_shared::{ClientMsg, DealId, ServerMsg};
use serde::{Deserialize, Serialize};
use tokio::sync::{Semaphore, watch};

mod control_room;
mod orders;
mod restart;

use crate::spike::{Shards, Target};
use crate::wire::{Wire, http_request};
pub use orders::OrderFigures;
use orders::buy;
pub use restart::{RestartSummary, restart};

/// Viewers connecting at the same time.
const CONNECT_AT_ONCE: usize = 256;
/// How long viewers may take to show the final stock after the last change.
const SETTLE: Duration = Duration::from_secs(10);
/// Pause after everyone joined, so the reading of idle memory is not taken mid-join.
const IDLE_PAUSE: Duration = Duration::from_secs(2);

/// What the fan-out run does.
#[derive(Debug, Clone)]
pub struct FanoutConfig {
    /// Viewers following the room.
    pub viewers: usize,
    /// Stock changes per second by the host.
    pub rate: u32,
    /// How long the host keeps changing the stock.
    pub duration: Duration,
    /// Percent of viewers that join and then stop reading their socket, spread over the joiners
    /// (ten in every hundred for 10%).
    pub stalled_pct: u32,
    /// Instead of the host's changes: this many residents (besides the viewers) sign in and each
    /// buy one unit at a random moment within `window`, so the stock moves as a flash deal's does
    /// and the server decides and commits orders while it pushes. Needs a server that takes
    /// orders (Mulin Live, not the peers).
    pub buyers: Option<BuyersConfig>,
}

/// Residents buying during a fan-out run.
#[derive(Debug, Clone, Copy)]
pub struct BuyersConfig {
    /// How many.
    pub buyers: usize,
    /// They buy at random moments within this window.
    pub window: Duration,
    /// The deal's units; `None`: 1,000 more than there are buyers (every order accepted).
    pub stock: Option<i64>,
    /// Whether the host keeps following the show while they buy (the control room open); if
    /// not, it hangs up first and no staff follow the show.
    pub control_room: bool,
}

/// The summary line of a fan-out run.
#[derive(Debug, Clone, Serialize)]
pub struct FanoutSummary {
    /// Viewers connected (stalled ones included).
    pub viewers: usize,
    /// Of those, viewers that stopped reading.
    pub stalled: usize,
    /// Distinct room states published during the run that the reading viewers received.
    pub pushes: usize,
    /// Frames of those states the reading viewers received in all.
    pub messages_delivered: u64,
    /// Delay from publication to arrival, over every such frame.
    pub delay_p50_ms: f64,
    pub delay_p99_ms: f64,
    /// Reading viewers that never showed the final stock.
    pub missed: usize,
    /// Server CPU (user + system) during the pushes, per million frames delivered.
    pub server_cpu_s_per_million: f64,
    /// Of that, the kernel's (system time): sending the frames through TCP and, on one machine,
    /// the receiving side of the loopback too. What is left is the server's own code.
    pub server_kernel_s_per_million: f64,
    /// This load tool's own CPU over the same frames: on one machine it competes with the server
    /// for the cores, so it is part of every delay measured here.
    pub tool_cpu_s_per_million: f64,
    /// Server resident memory per idle viewer, after all joined and before any push.
    pub rss_per_viewer_kb: f64,
    /// How far the server's clock was ahead of this tool's (ms), reckoned from pings; arrivals are
    /// put on the server's clock before delays are taken. 0 on one machine.
    pub clock_offset_ms: i64,
    /// Server resident memory after the last stock change, every viewer still connected, against
    /// just before the pushes, in KiB: what stalled viewers (or anything else) made it hold on to.
    pub rss_growth_kb: i64,
    /// With buyers: their orders. (The server's CPU then includes deciding and committing them.)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orders: Option<OrderFigures>,
}

/// The few fields of a `room` frame a viewer needs.
#[derive(Deserialize)]
struct Push<'a> {
    #[serde(rename = "type", borrow)]
    kind: &'a str,
    #[serde(default)]
    version: u64,
    #[serde(default)]
    server_time: i64,
    #[serde(default)]
    deals: Vec<StockOf>,
}

/// A deal's units in a `room` frame: what is left is `stock - sold` (the peers send no `sold`).
#[derive(Deserialize)]
struct StockOf {
    id: DealId,
    stock: i64,
    #[serde(default)]
    sold: i64,
}

/// What one reading viewer saw.
#[derive(Default)]
struct Seen {
    delays_ms: Vec<u32>,
    versions: Vec<u64>,
    saw_final: bool,
}

/// Where a fan-out run reads the server's CPU time and memory.
#[derive(Debug, Clone, Copy)]
pub enum UsageFrom {
    /// A process on this machine, from /proc.
    Process(u32),
    /// The `process` field of the server's `/api/metrics` (Mulin Live and both peers answer it),
    /// for a server on another machine.
    Metrics(SocketAddr),
}

impl UsageFrom {
    /// The server's CPU time and resident memory now.
    pub async fn read(self) -> Result<ProcessUsage, String> {
        match self {
            UsageFrom::Process(pid) => usage::of_pid(pid).map_err(|e| e.to_string()),
            UsageFrom::Metrics(addr) => {
                let answer = http_request(addr, "GET", "/api/metrics", &[], &[]).await?;
                if answer.status != 200 {
                    return Err(format!("{addr} /api/metrics answered {}", answer.status));
                }
                #[derive(Deserialize)]
                struct Metrics {
                    process: Option<ProcessUsage>,
                }
                let metrics: Metrics = serde_json::from_slice(&answer.body)
                    .map_err(|e| format!("{addr} /api/metrics: {e}"))?;
                metrics
                    .process
                    .ok_or_else(|| format!("{addr} /api/metrics does not report its process"))
            }
        }
    }
}

/// This load tool's own CPU time so far.
fn tool_cpu_s() -> Result<f64, String> {
    usage::of_self().map(|u| u.cpu_s).map_err(|e| e.to_string())
}

fn now_ms() -> i64 {
    mulin_backend::now_ms()
}

/// Runs the fan-out load against `target`, whose CPU time and memory are read from `usage`.
pub async fn run(
    target: &Target,
    usage: UsageFrom,
    cfg: &FanoutConfig,
) -> Result<FanoutSummary, String> {
    // A unit for every buyer: each of their orders moves the stock.
    let start_stock = match cfg.buyers {
        Some(BuyersConfig {
            stock: Some(stock), ..
        }) => stock,
        Some(b) => 1_000 + b.buyers as i64,
        None => 1_000,
    };
    let (mut host, deal) = crate::spike::host_launch(target, start_stock, 1).await?;
    // Delays compare the server's clock with this tool's: on another machine they differ.
    let offset_ms = clock_offset_ms(&mut host).await?;

    let rss_before = usage.read().await?.rss_kb;
    let shards = Shards::start()?;
    // Spread over the joiners (ten in every hundred, for 10%), as frozen phones are over a real
    // audience: the server keeps viewers who join together together, and a stalled block of them
    // would be easier on it than stalled viewers scattered among readers.
    let stalls = |i: usize| i % 100 < cfg.stalled_pct as usize;
    let stalled = (0..cfg.viewers).filter(|&i| stalls(i)).count();
    let (final_tx, final_rx) = watch::channel(None::<i64>);
    // States published from this time on (server clock, ms) are the measured pushes. Before it,
    // viewers are joining, and a joiner's first state carries the time it was published, not sent:
    // its age says nothing of delivery.
    let measured_from = Arc::new(AtomicI64::new(i64::MAX));
    let gate = Arc::new(Semaphore::new(CONNECT_AT_ONCE));
    let (joined_tx, mut joined_rx) = tokio::sync::mpsc::channel::<Result<(), String>>(1024);
    let mut tasks: Vec<tokio::task::JoinHandle<Result<Seen, String>>> =
        Vec::with_capacity(cfg.viewers);
    for i in 0..cfg.viewers {
        let (url, show, gate, joined_tx, mut final_rx, measured_from) = (
            target.ws_url.clone(),
            target.show,
            gate.clone(),
            joined_tx.clone(),
            final_rx.clone(),
            measured_from.clone(),
        );
        let reads = !stalls(i);
        let shard = &shards.handles[i % shards.handles.len()];
        tasks.push(shard.spawn(async move {
            let permit = gate.acquire_owned().await.map_err(|e| e.to_string());
            let opened = async {
                let mut wire = Wire::open(&url, SETTLE).await?;
                wire.send(&ClientMsg::Join {
                    show,
                    since: None,
                    catalogue: None,
                })
                .await?;
                Ok::<_, String>(wire)
            }
            .await;
            drop(permit);
            let ok = opened.as_ref().map(|_| ()).map_err(Clone::clone);
            let _ = joined_tx.send(ok).await;
            drop(joined_tx);
            let mut wire = opened?;
            let mut seen = Seen::default();
            if !reads {
                // A viewer whose app froze: connected, never reading again until the end.
                let _ = final_rx.wait_for(Option::is_some).await;
                tokio::time::sleep(SETTLE).await;
                return Ok(seen);
            }
            let mut target_stock: Option<i64> = None;
            let mut last_stock: Option<i64> = None;
            let deadline = tokio::time::sleep(Duration::from_secs(24 * 3600));
            tokio::pin!(deadline);
            // Made once and kept: a fresh `changed()` per frame cost the load tool a registration
            // with the channel for every frame it read.
            let announced = async move {
                let target = final_rx.wait_for(Option::is_some).await;
                target.ok().and_then(|t| *t)
            };
            tokio::pin!(announced);
            let mut heard_final = false;
            loop {
                let text = tokio::select! {
                    biased;
                    text = wire.next_text() => text?,
                    target = &mut announced, if !heard_final => {
                        heard_final = true;
                        target_stock = target;
                        // The final state may have arrived before the word that it is final.
                        if target_stock.is_some() && last_stock == target_stock {
                            seen.saw_final = true;
                            return Ok(seen);
                        }
                        deadline.as_mut().reset((Instant::now() + SETTLE).into());
                        continue;
                    }
                    () = &mut deadline => return Ok(seen),
                };
                if !text.as_str().starts_with(r#"{"type":"room""#) {
                    continue;
                }
                let arrived = now_ms() + offset_ms;
                let push: Push = serde_json::from_str(text.as_str())
                    .map_err(|e| format!("bad room frame: {e}"))?;
                if push.kind != "room" {
                    continue;
                }
                if push.server_time >= measured_from.load(Ordering::Relaxed) {
                    seen.delays_ms.push(
                        u32::try_from((arrived - push.server_time).max(0)).unwrap_or(u32::MAX),
                    );
                    seen.versions.push(push.version);
                }
                let stock = (push.deals.iter())
                    .find(|d| d.id == deal)
                    .map(|d| d.stock - d.sold);
                last_stock = stock.or(last_stock);
                if target_stock.is_some() && stock == target_stock {
                    seen.saw_final = true;
                    return Ok(seen);
                }
            }
        }));
    }
    drop(joined_tx);
    for _ in 0..cfg.viewers {
        joined_rx
            .recv()
            .await
            .ok_or("a viewer vanished before joining")??;
    }
    tokio::time::sleep(IDLE_PAUSE).await;
    let idle = usage.read().await?;
    let rss_idle = idle.rss_kb;
    // Buyers sign in after the idle reading (their connections are not idle viewers' memory) and
    // before the measuring (signing in is not what is measured).
    let buyers = match cfg.buyers {
        Some(b) => {
            let spike = crate::spike::SpikeConfig {
                buyers: b.buyers,
                stock: start_stock,
                limit: 1,
                qty: 1,
                orders_each: 1,
                duplicates: 0,
                window: b.window,
            };
            let began = Instant::now();
            let signing_in = crate::spike::sign_in(target, deal, &spike);
            let buyers = reading_the_room(&mut host, signing_in).await??;
            Some((buyers, began.elapsed()))
        }
        None => None,
    };
    let mut host = Some(host);
    if cfg.buyers.is_some_and(|b| !b.control_room) {
        // Nobody of staff follows the show while they buy: the host hangs up.
        host = None;
    }
    if cfg.buyers.is_some() {
        // Either way the same rest before the measuring: the server lets go of a host that hung
        // up, and what the sign-ins set going (their writes, the new viewer count) settles. A rest
        // on one side only was worth about 100 ms of ack p99 to it.
        let rest = tokio::time::sleep(Duration::from_millis(500));
        match host.as_mut() {
            Some(host) => reading_the_room(host, rest).await?,
            None => rest.await,
        }
    }
    let server_before = usage.read().await?;
    let tool_before = tool_cpu_s()?;
    measured_from.store(now_ms() + offset_ms, Ordering::Relaxed);

    let (stock, orders) = match (buyers, host.as_mut()) {
        (Some((buyers, signing_in)), host) => {
            let figures = buy(host, buyers, signing_in).await?;
            (start_stock - figures.accepted as i64, Some(figures))
        }
        (None, Some(host)) => (change_stock(host, deal, start_stock, cfg).await?, None),
        (None, None) => return Err("the host hung up with no buyers to watch".into()),
    };
    // Taken while every viewer, stalled ones included, is still connected: once told the final
    // stock they hang up, and what the server then gives back says nothing of what they cost it.
    let rss_end = usage.read().await?.rss_kb;
    // Every reading viewer should now come to show `stock`.
    let _ = final_tx.send(Some(stock));
    let mut results = Vec::with_capacity(cfg.viewers);
    for task in tasks {
        results.push(task.await.map_err(|e| e.to_string())??);
    }
    let server_after = usage.read().await?;
    let tool_after = tool_cpu_s()?;

    let mut delays: Vec<u32> = Vec::new();
    let mut versions: Vec<u64> = Vec::new();
    let mut missed = 0;
    let mut delivered = 0u64;
    let reading = (results.iter().enumerate()).filter(|&(i, _)| !stalls(i));
    for (_, seen) in reading {
        delivered += seen.delays_ms.len() as u64;
        delays.extend_from_slice(&seen.delays_ms);
        versions.extend_from_slice(&seen.versions);
        if !seen.saw_final {
            missed += 1;
        }
    }
    delays.sort_unstable();
    versions.sort_unstable();
    versions.dedup();
    let pct = |p: f64| -> f64 {
        if delays.is_empty() {
            return 0.0;
        }
        let i = ((delays.len() as f64 * p).ceil() as usize).clamp(1, delays.len()) - 1;
        f64::from(delays[i])
    };
    let per_million = |before: f64, after: f64| -> f64 {
        if delivered == 0 {
            return 0.0;
        }
        let seconds = (after - before).max(0.0);
        (seconds * 1e6 / delivered as f64 * 100.0).round() / 100.0
    };
    Ok(FanoutSummary {
        viewers: cfg.viewers,
        stalled,
        pushes: versions.len(),
        messages_delivered: delivered,
        delay_p50_ms: pct(0.50),
        delay_p99_ms: pct(0.99),
        missed,
        server_cpu_s_per_million: per_million(server_before.cpu_s, server_after.cpu_s),
        server_kernel_s_per_million: per_million(server_before.kernel_s, server_after.kernel_s),
        tool_cpu_s_per_million: per_million(tool_before, tool_after),
        rss_per_viewer_kb: ((rss_idle.saturating_sub(rss_before)) as f64
            / cfg.viewers.max(1) as f64
            * 10.0)
            .round()
            / 10.0,
        rss_growth_kb: rss_end as i64 - rss_idle as i64,
        clock_offset_ms: offset_ms,
        orders,
    })
}

/// The host changes the stock at `cfg.rate`, one unit at a time, for `cfg.duration`; returns the
/// stock it ends at.
async fn change_stock(
    host: &mut Wire,
    deal: DealId,
    start_stock: i64,
    cfg: &FanoutConfig,
) -> Result<i64, String> {
    let every = Duration::from_secs_f64(1.0 / f64::from(cfg.rate.max(1)));
    let changes = (cfg.duration.as_secs_f64() * f64::from(cfg.rate)).round() as i64;
    let mut tick = tokio::time::interval(every);
    let mut stock = start_stock;
    while stock - start_stock < changes.max(1) {
        // The host follows the room too: it reads between changes so it never stalls itself.
        tokio::select! {
            _ = tick.tick() => {
                host.send(&ClientMsg::Restock { deal, units: 1 }).await?;
                stock += 1;
            }
            read = host.next_text() => {
                let text = read?;
                if text.as_str().starts_with(r#"{"type":"error""#) {
                    return Err(format!("the host's stock change was refused: {}", text.as_str()));
                }
            }
        }
    }
    Ok(stock)
}

/// Awaits `work` while the host keeps reading the room, as its console does: a connection that
/// reads nothing for long is cut off by the server.
async fn reading_the_room<T>(host: &mut Wire, work: impl Future<Output = T>) -> Result<T, String> {
    tokio::pin!(work);
    loop {
        tokio::select! {
            done = &mut work => return Ok(done),
            read = host.next_text() => { read?; }
        }
    }
}

/// How far the server's clock is ahead of this tool's, in ms, as the widget reckons it: from the
/// quickest of a few pings, taking the server's stamp as read halfway through the round trip.
/// Exactly 0 on one machine (a round trip under a millisecond brackets the server's stamp).
async fn clock_offset_ms(host: &mut Wire) -> Result<i64, String> {
    let mut best: Option<(i64, i64)> = None;
    for t in 0..20 {
        let sent = now_ms();
        host.send(&ClientMsg::Ping { t }).await?;
        let server_time = host
            .until(SETTLE, |m| match m {
                ServerMsg::Pong {
                    t: echoed,
                    server_time,
                } if echoed == t => Some(server_time),
                _ => None,
            })
            .await?;
        let back = now_ms();
        let round_trip = back - sent;
        if best.is_none_or(|(rt, _)| round_trip < rt) {
            best = Some((round_trip, server_time - (sent + back) / 2));
        }
    }
    Ok(best.map_or(0, |(_, offset)| offset))
}

/// Where the Node.js peer lives in the repository.
pub fn node_peer_script(root: &Path) -> std::path::PathBuf {
    root.join("tests/peers/ws-broadcast/server.js")
}

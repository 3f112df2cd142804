//! The spike: many residents press Buy within a short window, over real WebSockets.
//!
//! Every verdict that matters is checked against the database afterwards, not taken from the server:
//! `oversold` compares the stored orders with the deal's stock, and `lost_acks` counts acknowledged
//! orders that the store does not hold.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mulin_backend::store::Store;
use mulin_shared::{
    ClientMsg, DealId, ErrorCode, OrderId, OrderStatus, Refusal, ServerMsg, ShowId,
};
use serde::Serialize;
use tokio::sync::{Semaphore, watch};

use crate::wire::{Wire, http_get};

/// How long a buyer waits for any one answer before counting it unanswered.
const ANSWER_WAIT: Duration = Duration::from_secs(60);
/// Buyers connecting and signing in at the same time (the spike itself is not limited).
const CONNECT_AT_ONCE: usize = 256;

/// What the spike does.
#[derive(Debug, Clone)]
pub struct SpikeConfig {
    /// Residents.
    pub buyers: usize,
    /// Units of the flash deal.
    pub stock: i64,
    /// Per-resident limit of the deal.
    pub limit: i64,
    /// Units per order.
    pub qty: i64,
    /// Orders each resident places, one after the other.
    pub orders_each: usize,
    /// Extra copies of every `place_order` sent at once with the same key (a retry storm).
    pub duplicates: usize,
    /// Residents start buying at random moments within this window.
    pub window: Duration,
}

/// The server to aim at.
#[derive(Debug, Clone)]
pub struct Target {
    /// `ws://…/ws`.
    pub ws_url: String,
    /// Where `/api/metrics` answers.
    pub http: SocketAddr,
    /// The show to sell in.
    pub show: ShowId,
    /// A host token for that show.
    pub host_token: String,
}

/// The answer a purchase intent got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Accepted as this order.
    Accepted(OrderId),
    /// Refused.
    Refused(Refusal),
    /// An error frame.
    Error(ErrorCode),
    /// No answer in time, or the connection broke first.
    Unanswered,
    /// Copies of the same intent got different answers: a bug.
    Inconsistent,
}

/// One purchase intent of one buyer.
#[derive(Debug, Clone)]
pub struct Intent {
    /// The key.
    pub key: String,
    /// Its answer.
    pub answer: Answer,
    /// From the first send to the first answer.
    pub latency: Duration,
    /// When it was first sent (`sent + latency` is when it was answered).
    pub sent: Instant,
}

/// One resident of the spike.
#[derive(Debug, Clone)]
pub struct BuyerRecord {
    /// Session token, to come back after a restart.
    pub token: String,
    /// Their purchase intents.
    pub intents: Vec<Intent>,
}

/// The one-line JSON summary.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    /// Residents.
    pub buyers: usize,
    /// Units on sale.
    pub stock: i64,
    /// Intents accepted.
    pub accepted: u64,
    /// Intents refused for lack of stock.
    pub sold_out: u64,
    /// Intents refused by the per-resident limit.
    pub limit_refused: u64,
    /// Error frames, inconsistent answers and intents without an answer.
    pub errors: u64,
    /// Intents that never got an answer (also counted in `errors`).
    pub unanswered: u64,
    /// Units stored beyond the stock (from the database).
    pub oversold: i64,
    /// Acknowledged orders missing from the database.
    pub lost_acks: u64,
    /// Answered intents per second, first send to last answer.
    pub decisions_per_s: f64,
    /// Accepted (durable) orders per second over the same span.
    pub accepted_per_s: f64,
    /// Median time to an answer.
    pub ack_p50_ms: f64,
    /// 99th percentile time to an answer.
    pub ack_p99_ms: f64,
    /// Orders per store transaction during the run (from the server's counters).
    pub orders_per_commit: f64,
}

/// A spike's full outcome.
#[derive(Debug, Clone)]
pub struct SpikeRun {
    /// The deal sold in.
    pub deal: DealId,
    /// Every buyer's record.
    pub buyers: Vec<BuyerRecord>,
    /// When the first buyer could start.
    pub started: Instant,
    /// When the last answer arrived.
    pub finished: Instant,
}

/// Joins `show` and signs in with a fresh nickname or an existing token; returns the token.
pub async fn resident(
    url: &str,
    show: ShowId,
    sign: Result<String, String>,
) -> Result<(Wire, String), String> {
    let mut wire = Wire::open(url, ANSWER_WAIT).await?;
    wire.send(&ClientMsg::Join {
        show,
        since: None,
        catalogue: None,
    })
    .await?;
    let msg = match &sign {
        Ok(token) => ClientMsg::Resume {
            token: token.clone(),
        },
        Err(nickname) => ClientMsg::SignIn {
            nickname: nickname.clone(),
            phone: crate::fresh_phone(),
            community: crate::TEST_COMMUNITY.into(),
            code: None,
        },
    };
    wire.send(&msg).await?;
    let token = wire
        .until(ANSWER_WAIT, |m| match m {
            ServerMsg::SignedIn { token, .. } => Some(Ok(token)),
            ServerMsg::Error { code, message, .. } => Some(Err(format!("{code:?}: {message}"))),
            _ => None,
        })
        .await??;
    Ok((wire, token.or(sign.ok()).unwrap_or_default()))
}

/// Launches the spike's flash deal through the host interface.
pub async fn launch_deal(target: &Target, stock: i64, limit: i64) -> Result<DealId, String> {
    host_launch(target, stock, limit)
        .await
        .map(|(_, deal)| deal)
}

/// Signs in as the host, launches a flash deal, and returns the host's connection (still joined,
/// for further host actions) with the deal.
pub async fn host_launch(
    target: &Target,
    stock: i64,
    limit: i64,
) -> Result<(Wire, DealId), String> {
    let mut host = Wire::open(&target.ws_url, ANSWER_WAIT).await?;
    host.send(&ClientMsg::Join {
        show: target.show,
        since: None,
        catalogue: None,
    })
    .await?;
    host.send(&ClientMsg::Resume {
        token: target.host_token.clone(),
    })
    .await?;
    host.send(&ClientMsg::LaunchDeal {
        product: 1,
        price: 990,
        stock,
        per_resident_limit: limit,
        starts_at: None,
        ends_at: mulin_backend::now_ms() + 30 * 60 * 1000,
    })
    .await?;
    let deal = host
        .until(ANSWER_WAIT, |m| match m {
            ServerMsg::DealLaunched { deal } => Some(Ok(deal.id)),
            ServerMsg::Error { code, message, .. } => {
                Some(Err(format!("launch refused: {code:?} {message}")))
            }
            _ => None,
        })
        .await??;
    Ok((host, deal))
}

/// Places one intent (with `duplicates` extra copies) and waits for every copy's answer.
pub async fn place(
    wire: &mut Wire,
    deal: DealId,
    qty: i64,
    key: &str,
    duplicates: usize,
) -> Intent {
    let sent = Instant::now();
    let msg = ClientMsg::PlaceOrder {
        deal,
        qty,
        pickup: 1,
        key: key.to_string(),
    };
    for _ in 0..=duplicates {
        if wire.send(&msg).await.is_err() {
            return Intent {
                key: key.into(),
                answer: Answer::Unanswered,
                latency: sent.elapsed(),
                sent,
            };
        }
    }
    let mut first: Option<(Answer, Duration)> = None;
    for _ in 0..=duplicates {
        let answer = wire
            .until(ANSWER_WAIT, |m| match m {
                ServerMsg::OrderAccepted { key: k, order } if k == key => {
                    Some(Answer::Accepted(order.id))
                }
                ServerMsg::OrderRefused { key: k, reason, .. } if k == key => {
                    Some(Answer::Refused(reason))
                }
                // Error frames carry no key; with one intent outstanding it can only be this one's.
                ServerMsg::Error { code, .. } => Some(Answer::Error(code)),
                _ => None,
            })
            .await
            .unwrap_or(Answer::Unanswered);
        first = Some(match first {
            None => (answer, sent.elapsed()),
            Some((a, t)) if a == answer => (a, t),
            Some((_, t)) => (Answer::Inconsistent, t),
        });
    }
    let (answer, latency) = first.unwrap_or((Answer::Unanswered, sent.elapsed()));
    Intent {
        key: key.into(),
        answer,
        latency,
        sent,
    }
}

/// Single-threaded runtimes, one per core, that the buyers are spread over. On one multi-threaded
/// runtime every answer woke a sleeping worker on the other core (a futex call per order), so the
/// load generator spent its time waking itself instead of loading the server.
pub(crate) struct Shards {
    pub(crate) handles: Vec<tokio::runtime::Handle>,
    _stop: Vec<tokio::sync::oneshot::Sender<()>>,
}

impl Shards {
    pub(crate) fn start() -> Result<Shards, String> {
        let n = std::thread::available_parallelism().map_or(2, |n| n.get());
        let (mut handles, mut stops) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for i in 0..n {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            handles.push(runtime.handle().clone());
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            stops.push(stop);
            std::thread::Builder::new()
                .name(format!("buyers-{i}"))
                .spawn(move || {
                    runtime.block_on(async {
                        let _ = stopped.await;
                    })
                })
                .map_err(|e| e.to_string())?;
        }
        Ok(Shards {
            handles,
            _stop: stops,
        })
    }
}

/// Runs the spike against `target`: launches its deal, connects and signs in every buyer, then
/// lets them all buy.
pub async fn run(target: &Target, cfg: &SpikeConfig) -> Result<SpikeRun, String> {
    let deal = launch_deal(target, cfg.stock, cfg.limit).await?;
    sign_in(target, deal, cfg).await?.go().await
}

/// Buyers connected, signed in and waiting for the word to buy.
pub struct Buyers {
    deal: DealId,
    tasks: Vec<tokio::task::JoinHandle<Result<BuyerRecord, String>>>,
    go: watch::Sender<Option<Instant>>,
    /// The buyers' threads, which must outlive their tasks.
    _shards: Shards,
}

/// Connects and signs in `cfg.buyers` residents who will buy in `deal` (`cfg.stock` and
/// `cfg.limit` are the deal's own, not used here), and returns once every one has signed in.
pub async fn sign_in(target: &Target, deal: DealId, cfg: &SpikeConfig) -> Result<Buyers, String> {
    let shards = Shards::start()?;
    let (go, ready) = watch::channel(None::<Instant>);
    let gate = Arc::new(Semaphore::new(CONNECT_AT_ONCE));
    let (signed_tx, mut signed_rx) =
        tokio::sync::mpsc::channel::<Result<(), String>>(cfg.buyers.max(1));
    let mut tasks = Vec::with_capacity(cfg.buyers);
    for i in 0..cfg.buyers {
        let (target, cfg, gate, signed_tx, mut ready) = (
            target.clone(),
            cfg.clone(),
            gate.clone(),
            signed_tx.clone(),
            ready.clone(),
        );
        let shard = &shards.handles[i % shards.handles.len()];
        tasks.push(shard.spawn(async move {
            let permit = gate.acquire_owned().await.map_err(|e| e.to_string());
            let joined = resident(&target.ws_url, target.show, Err(format!("buyer{i}"))).await;
            drop(permit);
            let _ = signed_tx
                .send(joined.as_ref().map(|_| ()).map_err(Clone::clone))
                .await;
            let (mut wire, token) = joined?;
            // A resident's phone keeps reading the room while they wait: one that did not would
            // fill its socket, and the server cuts off a viewer that takes nothing for long.
            let go = async move {
                let start = ready.wait_for(Option::is_some).await;
                start.map(|s| s.unwrap_or_else(Instant::now))
            };
            tokio::pin!(go);
            let start = loop {
                tokio::select! {
                    start = &mut go => break start.map_err(|e| e.to_string())?,
                    read = wire.next_text() => { read?; }
                }
            };
            let offset = cfg.window.mul_f64(rand::random::<f64>());
            tokio::time::sleep_until((start + offset).into()).await;
            let mut intents = Vec::with_capacity(cfg.orders_each);
            for k in 0..cfg.orders_each {
                intents.push(
                    place(
                        &mut wire,
                        deal,
                        cfg.qty,
                        &format!("b{i}-o{k}"),
                        cfg.duplicates,
                    )
                    .await,
                );
            }
            Ok::<_, String>(BuyerRecord { token, intents })
        }));
    }
    drop(signed_tx);
    // Each buyer reports once, then holds its sender while it waits for the start: count the reports.
    for _ in 0..cfg.buyers {
        signed_rx
            .recv()
            .await
            .ok_or("a buyer vanished before signing in")??;
    }
    Ok(Buyers {
        deal,
        tasks,
        go,
        _shards: shards,
    })
}

impl Buyers {
    /// The deal they buy in.
    pub fn deal(&self) -> DealId {
        self.deal
    }

    /// Lets every buyer buy (each at a random moment within the window) and waits for all answers.
    pub async fn go(self) -> Result<SpikeRun, String> {
        let started = Instant::now();
        let _ = self.go.send(Some(started));
        let mut buyers = Vec::with_capacity(self.tasks.len());
        for task in self.tasks {
            buyers.push(task.await.map_err(|e| e.to_string())??);
        }
        // Tasks are awaited after they all ran concurrently, so this is when the last one finished.
        let finished = Instant::now();
        Ok(SpikeRun {
            deal: self.deal,
            buyers,
            started,
            finished,
        })
    }
}

/// `GET /api/metrics` → (commits, committed orders).
pub async fn commits(http: SocketAddr) -> Result<(u64, u64), String> {
    let response = http_get(http, "/api/metrics").await?;
    let body = response.split("\r\n\r\n").nth(1).ok_or("no body")?;
    let v: serde_json::Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
    let n = |k: &str| v[k].as_u64().ok_or(format!("metrics lack {k}"));
    Ok((n("commits")?, n("committed_orders")?))
}

/// What the database holds for a deal: (stock, sold column, units in live orders, (key, id) pairs).
pub async fn stored(
    db: &Path,
    show: ShowId,
    deal: DealId,
) -> Result<(i64, i64, i64, Vec<(String, OrderId)>), String> {
    let store = Store::open(db).await.map_err(|e| e.to_string())?;
    let d = store
        .deals(show)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|d| d.id == deal)
        .ok_or(format!("deal {deal} is not in the database"))?;
    let orders = store.orders_by_key(deal).await.map_err(|e| e.to_string())?;
    let units = orders
        .iter()
        .filter(|(_, o)| o.status != OrderStatus::Cancelled)
        .map(|(_, o)| o.qty)
        .sum();
    Ok((
        d.stock,
        d.sold,
        units,
        orders.into_iter().map(|(k, o)| (k, o.id)).collect(),
    ))
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

/// Median and 99th percentile time to an answer over the answered intents, in ms to a tenth.
pub fn ack_percentiles<'a>(intents: impl IntoIterator<Item = &'a Intent>) -> (f64, f64) {
    let mut latencies: Vec<Duration> = intents
        .into_iter()
        .filter(|i| !matches!(i.answer, Answer::Unanswered))
        .map(|i| i.latency)
        .collect();
    latencies.sort();
    let tenth = |p: f64| (percentile(&latencies, p) * 10.0).round() / 10.0;
    (tenth(0.50), tenth(0.99))
}

/// Folds a run and the database's view of it into the summary.
pub async fn summarize(
    run: &SpikeRun,
    cfg: &SpikeConfig,
    db: &Path,
    show: ShowId,
    commits_delta: (u64, u64),
) -> Result<Summary, String> {
    let intents: Vec<&Intent> = run.buyers.iter().flat_map(|b| &b.intents).collect();
    let count =
        |f: &dyn Fn(&Answer) -> bool| intents.iter().filter(|i| f(&i.answer)).count() as u64;
    let accepted = count(&|a| matches!(a, Answer::Accepted(_)));
    let sold_out = count(&|a| {
        matches!(
            a,
            Answer::Refused(Refusal::SoldOut | Refusal::NotEnoughStock)
        )
    });
    let limit_refused = count(&|a| matches!(a, Answer::Refused(Refusal::LimitReached)));
    let unanswered = count(&|a| matches!(a, Answer::Unanswered));
    let errors = count(&|a| {
        matches!(
            a,
            Answer::Error(_)
                | Answer::Inconsistent
                | Answer::Unanswered
                | Answer::Refused(Refusal::DealClosed)
        )
    });

    let (stock, sold_column, units, rows) = stored(db, show, run.deal).await?;
    let oversold = (units.max(sold_column) - stock).max(0);
    let stored_ids: std::collections::HashSet<OrderId> = rows.iter().map(|(_, id)| *id).collect();
    let lost_acks = intents
        .iter()
        .filter(|i| matches!(i.answer, Answer::Accepted(id) if !stored_ids.contains(&id)))
        .count() as u64;

    let (ack_p50_ms, ack_p99_ms) = ack_percentiles(intents.iter().copied());
    let span = run
        .finished
        .duration_since(run.started)
        .as_secs_f64()
        .max(1e-6);
    let decided = intents.len() as u64 - unanswered;
    let (commits, orders) = commits_delta;
    Ok(Summary {
        buyers: cfg.buyers,
        stock,
        accepted,
        sold_out,
        limit_refused,
        errors,
        unanswered,
        oversold,
        lost_acks,
        decisions_per_s: (decided as f64 / span).round(),
        accepted_per_s: (accepted as f64 / span).round(),
        ack_p50_ms,
        ack_p99_ms,
        orders_per_commit: if commits == 0 {
            0.0
        } else {
            ((orders as f64 / commits as f64) * 10.0).round() / 10.0
        },
    })
}

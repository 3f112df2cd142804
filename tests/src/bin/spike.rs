//! `spike`: many residents press Buy at once; prints one JSON summary line.
//!
//! By default it starts its own `mulin serve` on a temporary database; `--url` aims it at a running
//! server instead (then `--db` must name that server's database for the oversold/lost checks).
//!
//! `spike fanout`: many viewers follow a room while the host changes the stock at a fixed rate;
//! prints one JSON summary line of delivery delays, server and load-tool CPU, and memory. `--peer
//! node` runs the same load against the Node.js `ws` broadcast server in tests/peers/ instead, and
//! `--peer floor` against `floor-peer` (one bare write per viewer per state). `--buyers N` moves
//! the stock by residents' orders instead of the host's changes: fan-out during an order spike.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use mulin_tests::fanout::{self, FanoutConfig, UsageFrom};
use mulin_tests::process::{PeerProcess, ServerProcess};
use mulin_tests::spike::{self, SpikeConfig, Target};
use mulin_tests::wire::addr_of;

/// Flash-deal spike against Mulin Live.
#[derive(Debug, Parser)]
#[command(name = "spike", args_conflicts_with_subcommands = true)]
struct Args {
    /// Another load instead of the order spike.
    #[command(subcommand)]
    mode: Option<Mode>,
    /// Residents buying.
    #[arg(long, default_value_t = 2000)]
    buyers: usize,
    /// Units on sale.
    #[arg(long, default_value_t = 200)]
    stock: i64,
    /// Per-resident limit.
    #[arg(long, default_value_t = 1)]
    limit: i64,
    /// Units per order.
    #[arg(long, default_value_t = 1)]
    qty: i64,
    /// Orders each resident places in turn.
    #[arg(long, default_value_t = 1)]
    orders_each: usize,
    /// Extra copies of each order sent with the same key (retry storm).
    #[arg(long, default_value_t = 0)]
    duplicates: usize,
    /// Residents start within this many milliseconds.
    #[arg(long, default_value_t = 1000)]
    window_ms: u64,
    /// For the server this tool starts: most orders per transaction.
    #[arg(long, default_value_t = 4096)]
    max_batch: usize,
    /// Aim at a running server (`ws://host:port/ws`) instead of starting one.
    #[arg(long, requires_all = ["host_token", "db"])]
    url: Option<String>,
    /// Host token for `--url`.
    #[arg(long)]
    host_token: Option<String>,
    /// Show to sell in with `--url`.
    #[arg(long, default_value_t = 1)]
    show: i64,
    /// The database of the `--url` server.
    #[arg(long)]
    db: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Mode {
    /// Viewers follow a room while the host changes the stock at a fixed rate.
    Fanout(FanoutArgs),
    /// A big show's picking lists: JSON, CSV and XLSX over HTTP, and the console page drawing
    /// them in headless Chromium (needs `make widget` and Chromium).
    Picking(PickingArgs),
}

#[derive(Debug, clap::Args)]
struct PickingArgs {
    /// Orders in the show.
    #[arg(long, default_value_t = 20_000)]
    orders: usize,
    /// Pickup points.
    #[arg(long, default_value_t = 100)]
    points: usize,
    /// Times each is measured (the median is reported).
    #[arg(long, default_value_t = 5)]
    runs: usize,
}

#[derive(Debug, clap::Args)]
struct FanoutArgs {
    /// Viewers following the room.
    #[arg(long, default_value_t = 1000)]
    viewers: usize,
    /// Stock changes per second.
    #[arg(long, default_value_t = 10)]
    rate: u32,
    /// Seconds of changes.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Percent of viewers that stop reading after joining, spread over the audience.
    #[arg(long, default_value_t = 0)]
    stalled_pct: u32,
    /// Run against a peer server instead of Mulin Live: `node` (tests/peers/ws-broadcast) or
    /// `floor` (the floor-peer binary: one bare write per viewer per state).
    #[arg(long, conflicts_with_all = ["restart", "url"])]
    peer: Option<String>,
    /// Aim at a server already running, here or on another machine (`ws://IP:PORT/ws`), instead
    /// of starting one: Mulin Live or either peer. Its CPU time and memory are read from its
    /// `/api/metrics`, so the viewers can run where they do not take the server's cores.
    #[arg(long, conflicts_with = "restart")]
    url: Option<String>,
    /// With `--url`: a host token for the show (`mulin token --role host --show N`; the peers take
    /// any).
    #[arg(long, requires = "url", default_value = "")]
    host_token: String,
    /// With `--url`: the show the viewers follow.
    #[arg(long, requires = "url", default_value_t = 1)]
    show: i64,
    /// Instead of changing the stock: restart the server under the connected viewers and measure
    /// how soon every one of them has the room's state again.
    #[arg(long)]
    restart: bool,
    /// Instead of the host's changes: this many residents besides the viewers each buy one unit
    /// within `--window-ms`, so the server takes an order spike while it pushes (Mulin Live only).
    #[arg(long, conflicts_with_all = ["restart", "peer", "rate", "seconds"])]
    buyers: Option<usize>,
    /// With `--buyers`: they buy at random moments within this many milliseconds.
    #[arg(long, requires = "buyers", default_value_t = 1000)]
    window_ms: u64,
    /// With `--buyers`: the deal's units (scenario A's 500, so most buyers are refused); by
    /// default 1,000 more than there are buyers, so every order is accepted and moves the stock.
    #[arg(long, requires = "buyers")]
    stock: Option<i64>,
    /// With `--buyers`: the host hangs up before the buying, so no staff follow the show and the
    /// server sends no control-room figures or order events to staff (the comparison for "not
    /// slower with the control room open").
    #[arg(long, requires = "buyers")]
    no_control_room: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let outcome = match args.mode {
        Some(Mode::Fanout(ref f)) => run_fanout(f).await,
        Some(Mode::Picking(ref p)) => {
            mulin_tests::picking_bench::run(mulin_tests::picking_bench::PickingConfig {
                orders: p.orders,
                points: p.points,
                runs: p.runs.max(1),
            })
            .await
        }
        None => run(args).await,
    };
    match outcome {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("spike: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<String, String> {
    let cfg = SpikeConfig {
        buyers: args.buyers,
        stock: args.stock,
        limit: args.limit,
        qty: args.qty,
        orders_each: args.orders_each,
        duplicates: args.duplicates,
        window: Duration::from_millis(args.window_ms),
    };
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (target, db, server) = match args.url {
        Some(url) => {
            let http = addr_of(&url)?;
            let target = Target {
                ws_url: url,
                http,
                show: args.show,
                host_token: args.host_token.unwrap_or_default(),
            };
            (target, args.db.unwrap_or_default(), None)
        }
        None => {
            let db = dir.path().join("spike.db");
            let server = ServerProcess::start(&db, args.max_batch).await?;
            let target = server.target();
            (target, db, Some(server))
        }
    };
    let before = spike::commits(target.http).await?;
    let result = spike::run(&target, &cfg).await?;
    let after = spike::commits(target.http).await?;
    let summary = spike::summarize(
        &result,
        &cfg,
        &db,
        target.show,
        (after.0 - before.0, after.1 - before.1),
    )
    .await?;
    if let Some(server) = server {
        server.stop().await;
    }
    serde_json::to_string(&summary).map_err(|e| e.to_string())
}

async fn run_fanout(args: &FanoutArgs) -> Result<String, String> {
    let cfg = FanoutConfig {
        viewers: args.viewers,
        rate: args.rate,
        duration: Duration::from_secs(args.seconds),
        stalled_pct: args.stalled_pct.min(100),
        buyers: args.buyers.map(|buyers| fanout::BuyersConfig {
            buyers,
            window: Duration::from_millis(args.window_ms),
            stock: args.stock,
            control_room: !args.no_control_room,
        }),
    };
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    if args.restart {
        let db = dir.path().join("restart.db");
        let server = ServerProcess::start(&db, 4096).await?;
        let (summary, server) = fanout::restart(server, &db, args.viewers).await?;
        server.stop().await;
        return serde_json::to_string(&summary).map_err(|e| e.to_string());
    }
    if let Some(url) = &args.url {
        let target = Target {
            ws_url: url.clone(),
            http: addr_of(url)?,
            show: args.show,
            host_token: args.host_token.clone(),
        };
        let summary = fanout::run(&target, UsageFrom::Metrics(target.http), &cfg).await?;
        return serde_json::to_string(&summary).map_err(|e| e.to_string());
    }
    let summary = match args.peer.as_deref() {
        None => {
            let server = ServerProcess::start(&dir.path().join("fanout.db"), 4096).await?;
            let target = server.target();
            let pid = server.pid().ok_or("mulin exited")?;
            let summary = fanout::run(&target, UsageFrom::Process(pid), &cfg).await;
            server.stop().await;
            summary?
        }
        Some(name) => {
            let peer = match name {
                "node" => PeerProcess::start_node().await?,
                "floor" => {
                    // Built beside this binary (`make bench` builds both).
                    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
                    PeerProcess::start_floor(&exe.with_file_name("floor-peer"), 0).await?
                }
                other => {
                    return Err(format!(
                        "unknown peer {other}; the known ones are `node` and `floor`"
                    ));
                }
            };
            let target = peer.target();
            let pid = peer.pid().ok_or("the peer exited")?;
            let summary = fanout::run(&target, UsageFrom::Process(pid), &cfg).await;
            peer.stop().await;
            summary?
        }
    };
    serde_json::to_string(&summary).map_err(|e| e.to_string())
}

//! The `mulin` command line.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Mulin Live (睦邻): the live-commerce widget server for community livestreams.
#[derive(Debug, Parser)]
#[command(name = "mulin", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The `mulin` subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: the widget, the live rooms and the deal desks.
    Serve(ServeArgs),
    /// Mint a host or moderator token for a show and print it.
    Token(TokenArgs),
    /// Create a new (empty) show and print its id with a host and a moderator token: the host adds
    /// products and pickup points from the console.
    Show(ShowArgs),
    /// Communities: `mulin community create` makes one with its first manager's invite link.
    #[command(subcommand)]
    Community(CommunityCommand),
    /// Staff: `mulin staff invite` adds a person to a community and prints their invite link.
    #[command(subcommand)]
    Staff(StaffCommand),
}

/// `mulin community …`.
#[derive(Debug, Subcommand)]
pub enum CommunityCommand {
    /// Create a community and print its id, its residents' page and an invite link for its first
    /// manager; everything else is done from the manager's console.
    Create(CommunityArgs),
}

/// Options of `mulin community create`.
#[derive(Debug, Clone, Args)]
pub struct CommunityArgs {
    /// The street office it belongs to, e.g. 公园街道 (may be left out).
    #[arg(long, default_value = "")]
    pub district: String,
    /// Its name, e.g. 小西湖社区.
    #[arg(long)]
    pub name: String,
    /// Name of its first manager, who gets the invite link.
    #[arg(long)]
    pub manager: String,
    /// Where people reach the server, for the printed links.
    #[arg(long, default_value = "http://127.0.0.1:3000", env = "MULIN_BASE_URL")]
    pub base_url: String,
    /// SQLite database file; created with its folder if missing.
    #[arg(long, default_value = "data/mulin.db", env = "MULIN_DB")]
    pub db: PathBuf,
}

/// `mulin staff …`.
#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Add a person with one or more roles to a community and print their one-time invite link.
    Invite(InviteArgs),
}

/// Options of `mulin staff invite`.
#[derive(Debug, Clone, Args)]
pub struct InviteArgs {
    /// The community's id (`mulin community create` printed it).
    #[arg(long)]
    pub community: i64,
    /// A role: manager, host, moderator, grid_worker or pickup_clerk (repeat for several).
    #[arg(long = "role", required = true)]
    pub roles: Vec<String>,
    /// The person's name, unique in the community.
    #[arg(long)]
    pub name: String,
    /// A pickup point a pickup clerk serves (repeat for several).
    #[arg(long = "pickup")]
    pub pickups: Vec<i64>,
    /// Where people reach the server, for the printed link.
    #[arg(long, default_value = "http://127.0.0.1:3000", env = "MULIN_BASE_URL")]
    pub base_url: String,
    /// SQLite database file.
    #[arg(long, default_value = "data/mulin.db", env = "MULIN_DB")]
    pub db: PathBuf,
}

/// Options of `mulin show`.
#[derive(Debug, Clone, Args)]
pub struct ShowArgs {
    /// The show's title, e.g. 周日丰收集市.
    #[arg(long)]
    pub title: String,
    /// The community running it, e.g. 公园街道·小西湖社区.
    #[arg(long)]
    pub community: String,
    /// SQLite database file; created with its folder if missing.
    #[arg(long, default_value = "data/mulin.db", env = "MULIN_DB")]
    pub db: PathBuf,
}

/// `--header-timeout` unless told otherwise: hyper's own default, had axum given it a timer.
pub const DEFAULT_HEADER_TIMEOUT_S: u64 = 30;

/// Options of `mulin serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:3000", env = "MULIN_BIND")]
    pub bind: SocketAddr,
    /// SQLite database file; created with its folder if missing.
    #[arg(long, default_value = "data/mulin.db", env = "MULIN_DB")]
    pub db: PathBuf,
    /// Folder holding the built widget (Trunk's dist/).
    #[arg(long, default_value = "dist", env = "MULIN_DIST")]
    pub dist: PathBuf,
    /// Seed a demo show on first start, keep a demo deal on sale, and print host and moderator links.
    #[arg(long)]
    pub demo: bool,
    /// Most orders one deal desk decides and commits in one transaction (1 turns batching off).
    #[arg(long, default_value_t = 4096, value_parser = clap::value_parser!(u16).range(1..=8192))]
    pub max_batch: u16,
    /// Most WebSocket connections at once; more are refused with 503. By default as many as the
    /// process's open-file limit (raised to its hard limit first) can hold; a number above that is
    /// lowered to it, with a warning.
    #[arg(long)]
    pub max_connections: Option<usize>,
    /// Seconds a connection may take to send a request's head, the idle wait before it included,
    /// before it is closed: ends connections that send nothing and idle keep-alives. A load
    /// balancer that keeps idle connections to the node must close them sooner.
    #[arg(long, default_value_t = DEFAULT_HEADER_TIMEOUT_S, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_timeout: u64,
    /// Whether a phone number without a resident must also prove itself with a text-message code
    /// before signing in (a number that has a resident always must). Default: true, but false
    /// with `--demo`.
    #[arg(long, env = "MULIN_NEW_NUMBERS_NEED_CODE")]
    pub new_numbers_need_code: Option<bool>,
    /// The command that sends a sign-in code by text message, run with `sh -c` and
    /// MULIN_SMS_PHONE, MULIN_SMS_CODE and MULIN_SMS_TEXT in its environment (exit 0: sent). Without
    /// it, codes are written to the server's log only (development and the demo). See
    /// docs/OPERATIONS.md for a gateway.
    #[arg(long, env = "MULIN_SMS_COMMAND")]
    pub sms_command: Option<String>,
    /// Free space (MiB) the database's disk keeps: below it, writes are refused with
    /// `store_unavailable` before they start and `/api/health` says degraded, so that SQLite never
    /// takes the last block it needs to checkpoint and recover. 0 turns the reserve off.
    #[arg(long, env = "MULIN_DISK_RESERVE_MB", default_value_t = 16)]
    pub disk_reserve_mb: u64,
    /// Free space (MiB) on the database's disk below which the log warns (every ten minutes while
    /// it stays low) and `/api/metrics` says `low_space`.
    #[arg(long, env = "MULIN_DISK_WARN_MB", default_value_t = 256)]
    pub disk_warn_mb: u64,
}

/// Options of `mulin token`.
#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    /// The role the token grants.
    #[arg(long, value_enum)]
    pub role: StaffRole,
    /// The show it is for.
    #[arg(long)]
    pub show: i64,
    /// SQLite database file.
    #[arg(long, default_value = "data/mulin.db", env = "MULIN_DB")]
    pub db: PathBuf,
}

/// Roles a staff token can grant.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StaffRole {
    /// Launches and ends deals.
    Host,
    /// Watches orders.
    Moderator,
}

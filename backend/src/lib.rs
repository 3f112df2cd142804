//! Mulin Live's server as a library: [`start`] builds the app and serves it; `main.rs` and the tests
//! both use it.
//!
//! Arrows point one way: `api` → `live` → `store`, and everything → `mulin_shared`; `usage` (what
//! the process costs the machine) is a leaf that `api` reports; `open_files` (how many connections
//! the process's file limit can hold) is a leaf that `start` and `main.rs` use.

pub mod api;
pub mod auth;
pub mod config;
pub mod live;
pub mod logging;
pub mod open_files;
pub mod sms;
pub mod store;
pub mod usage;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use mulin_shared::{Role, ShowId, UtcMillis};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;

use crate::api::AppState;
use crate::live::Live;
use crate::store::{Store, StoreError};

/// The wall clock in UTC milliseconds.
pub fn now_ms() -> UtcMillis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// How to run a server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where to listen (port 0 picks a free port).
    pub bind: SocketAddr,
    /// The SQLite database file.
    pub db: PathBuf,
    /// The built widget.
    pub dist: PathBuf,
    /// Seed the demo show and mint demo staff tokens.
    pub demo: bool,
    /// Most orders per deal-desk transaction.
    pub max_batch: usize,
    /// Most WebSocket connections at once; `None` for as many as the open-file limit can hold.
    pub max_connections: Option<usize>,
    /// How long a connection may take to send a request's head, idle time before it included.
    pub header_timeout: Duration,
    /// Whether a number without a resident must prove itself with a code too.
    pub new_numbers_need_code: bool,
    /// The command that sends codes by text message; `None` writes them to the log.
    pub sms_command: Option<String>,
    /// Free space below which writes are refused, and below which the log warns.
    pub space: store::SpaceLimits,
    /// How often pickup windows and picking-list cut-offs are checked.
    pub pickup_clock: Duration,
}

/// How often pickup windows and cut-offs are checked by default: a cut-off freezes, and an
/// order's window closes, within this of its moment (a list read after a cut-off freezes at once).
pub const PICKUP_CLOCK: Duration = Duration::from_secs(30);

impl From<&config::ServeArgs> for ServerConfig {
    fn from(args: &config::ServeArgs) -> ServerConfig {
        ServerConfig {
            bind: args.bind,
            db: args.db.clone(),
            dist: args.dist.clone(),
            demo: args.demo,
            max_batch: usize::from(args.max_batch),
            max_connections: args.max_connections,
            header_timeout: Duration::from_secs(args.header_timeout),
            new_numbers_need_code: args.new_numbers_need_code.unwrap_or(!args.demo),
            sms_command: args.sms_command.clone(),
            space: store::SpaceLimits {
                reserve: args.disk_reserve_mb << 20,
                warn: args.disk_warn_mb << 20,
            },
            pickup_clock: PICKUP_CLOCK,
        }
    }
}

/// What could stop a server from starting.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The database could not be opened or seeded.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The deal desks' thread could not be started.
    #[error("cannot start the deal desks' thread: {0}")]
    Desks(std::io::Error),
    /// Demo tokens could not be minted.
    #[error(transparent)]
    Auth(#[from] auth::AuthError),
    /// The process may open too few files to hold a single WebSocket beside what it needs anyway.
    #[error(
        "the process may open only {limit} files and has {open} open; Mulin Live keeps {} free \
         for HTTP and the store, which leaves no room for a single viewer: raise `ulimit -n`",
        open_files::HEADROOM
    )]
    TooFewFiles {
        /// The soft open-file limit.
        limit: u64,
        /// Files open at start.
        open: u64,
    },
}

/// The demo show and fresh staff tokens for it (when started with `demo`).
#[derive(Debug, Clone)]
pub struct Demo {
    /// The demo show.
    pub show: ShowId,
    /// A host token for it.
    pub host_token: String,
    /// A moderator token for it.
    pub moderator_token: String,
    /// Its community.
    pub community: mulin_shared::CommunityId,
    /// The community's next scheduled show.
    pub next_show: ShowId,
    /// A fresh one-time sign-in link (`/invite/{code}`) for each demo staff person: role, name,
    /// link.
    pub staff_links: Vec<(Role, String, String)>,
}

/// A running server.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    demo: Option<Demo>,
    store: Store,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// Opens the store, seeds the demo if asked, binds, and serves in the background.
pub async fn start(config: ServerConfig) -> Result<Server, StartError> {
    let store = Store::open_with(&config.db, config.space).await?;
    let sms: Arc<dyn sms::SmsSender> = match &config.sms_command {
        Some(command) => Arc::new(sms::CommandSms::new(command.clone())),
        None => {
            if !config.demo {
                tracing::warn!(
                    "sign-in codes are written to this log only: set --sms-command to text them"
                );
            }
            Arc::new(sms::LogSms)
        }
    };
    let sessions = auth::Sessions::open(store.clone())
        .await?
        .with_phone_codes(auth::PhoneCodes {
            new_numbers_need_code: config.new_numbers_need_code,
            sms,
        });
    let demo = if config.demo {
        let now = now_ms();
        let seeded = store.seed_demo(now).await?;
        let mut staff_links = Vec::new();
        let by = store::Actor::command_line();
        for person in &seeded.staff {
            // A fresh link per start, so the printed ones work: the first start invites.
            let invite = match person.id {
                Some(id) => {
                    sessions
                        .renew_invite(seeded.community, id, &by, now)
                        .await?
                }
                None => {
                    sessions
                        .invite(seeded.community, &person.draft, &by, now)
                        .await?
                }
            };
            if let Ok(invite) = invite {
                staff_links.push((person.role, person.draft.name.clone(), invite.path));
            }
        }
        Some(Demo {
            show: seeded.show,
            community: seeded.community,
            next_show: seeded.next_show,
            staff_links,
            host_token: sessions
                .mint_staff_token(Role::Host, seeded.show, now)
                .await?,
            moderator_token: sessions
                .mint_staff_token(Role::Moderator, seeded.show, now)
                .await?,
        })
    } else {
        None
    };
    let seal_key: [u8; 32] = store
        .secret(live::SEAL_KEY_NAME, &rand::random::<[u8; 32]>())
        .await?
        .try_into()
        .map_err(|_| StartError::Store(StoreError::Corrupt("the pickup seal's key".into())))?;
    let seal = live::PickupSeal::new(seal_key);
    let listener = TcpListener::bind(config.bind)
        .await
        .map_err(|source| StartError::Bind {
            addr: config.bind,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: config.bind,
        source,
    })?;
    let max_connections = fit_connections(config.max_connections)?;
    let (shutdown, shutdown_rx) = watch::channel(false);
    let state = AppState {
        live: Arc::new(
            Live::new(store.clone(), config.max_batch, seal).map_err(StartError::Desks)?,
        ),
        store: store.clone(),
        sessions,
        connections: Arc::new(Semaphore::new(max_connections)),
        max_connections,
        shutdown: shutdown_rx.clone(),
        body_timeout: config.header_timeout,
    };
    let mut peaks_stop = shutdown_rx.clone();
    tokio::spawn(state.live.clone().keep_peaks(async move {
        let _ = peaks_stop.wait_for(|down| *down).await;
    }));
    let mut clock_stop = shutdown_rx.clone();
    tokio::spawn(
        state
            .live
            .clone()
            .keep_pickup_clock(config.pickup_clock, async move {
                let _ = clock_stop.wait_for(|down| *down).await;
            }),
    );
    let app = api::router(state, &config.dist);
    let header_timeout = config.header_timeout;
    let mut watch_stop = shutdown_rx.clone();
    tokio::spawn(store.clone().keep_watch(async move {
        let _ = watch_stop.wait_for(|down| *down).await;
    }));
    let mut stop = shutdown_rx;
    let task = tokio::spawn(async move {
        let stop = async move {
            let _ = stop.wait_for(|down| *down).await;
        };
        api::serve(listener, app, header_timeout, stop).await
    });
    Ok(Server {
        addr,
        demo,
        store,
        shutdown,
        task,
    })
}

/// The connection limit where the system does not say how many files the process may open.
const CONNECTIONS_UNKNOWN_FILES: usize = 20_000;

/// The connection limit: what was asked for, or else as many as the process's open-file limit can
/// hold beside the files it has open already (the store's, the listener) and
/// [`open_files::HEADROOM`]; an asked-for limit above that is lowered to it.
fn fit_connections(requested: Option<usize>) -> Result<usize, StartError> {
    let (Some(limit), Some(open)) = (open_files::limit(), open_files::open_now()) else {
        return Ok(requested.unwrap_or(CONNECTIONS_UNKNOWN_FILES));
    };
    let fit = open_files::connection_limit(requested.unwrap_or(usize::MAX), limit, open)
        .min(Semaphore::MAX_PERMITS);
    if fit == 0 {
        return Err(StartError::TooFewFiles { limit, open });
    }
    match requested {
        Some(requested) if fit < requested => tracing::warn!(
            requested,
            fit,
            open_file_limit = limit,
            "fewer WebSocket connections than asked for: the open-file limit cannot hold more \
             (raise `ulimit -n`)"
        ),
        _ => tracing::info!(
            max_connections = fit,
            open_file_limit = limit,
            "WebSocket connections"
        ),
    }
    Ok(fit)
}

impl Server {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The demo show and its staff tokens, if started with `demo`.
    pub fn demo(&self) -> Option<&Demo> {
        self.demo.as_ref()
    }

    /// The server's store (tests check what is durable through it).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Closes every connection, stops listening, and waits until the server is down.
    pub async fn shutdown(self) -> std::io::Result<()> {
        let _ = self.shutdown.send(true);
        // Serving itself cannot fail; only its task can (a panic).
        self.task.await.map_err(std::io::Error::other)
    }
}

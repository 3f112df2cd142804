//! HTTP routes and the WebSocket session. The only module that knows about HTTP.

mod assets;
mod bearer;
mod community_page;
mod dates;
mod demo;
mod manage;
mod orders;
mod parse_errors;
mod pictures;
mod report;
mod serve;
mod session;
mod socket;

pub use serve::serve;
pub use socket::Socket;

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, routing::any};
use mulin_shared::{ErrorCode, MAX_FRAME_BYTES};
use serde_json::json;
use tokio::sync::{Semaphore, watch};
use tower_http::compression::CompressionLayer;

use crate::live::Live;
use crate::store::Store;

/// Everything a request handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The rooms of this node.
    pub live: Arc<Live>,
    /// The database.
    pub store: Store,
    /// Issues and checks session and staff tokens.
    pub sessions: crate::auth::Sessions,
    /// One permit per open WebSocket.
    pub connections: Arc<Semaphore>,
    /// How many permits `connections` started with.
    pub max_connections: usize,
    /// Turns `true` when the server is shutting down; sessions then close.
    pub shutdown: watch::Receiver<bool>,
    /// How long a request body (a picture upload) may take to arrive, like a request's head.
    pub body_timeout: std::time::Duration,
}

/// An HTTP error as `{ "error": code, "message": text }`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: ErrorCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// The store failed `what`: `503 store_unavailable` (retry shortly; `Retry-After` says when)
    /// while it cannot write, else `500 internal` with `message`. The database's own words go to
    /// the log, not to the client.
    fn store(e: &crate::store::StoreError, what: &str, message: &str) -> ApiError {
        if e.is_unavailable() {
            tracing::debug!(error = %e, "{what}");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::StoreUnavailable,
                crate::store::UNAVAILABLE_MESSAGE,
            )
        } else {
            tracing::error!(error = %e, "{what}");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                message,
            )
        }
    }
}

impl From<crate::live::LiveError> for ApiError {
    /// A live room's refusal as an HTTP answer: its code and words, with the status that fits.
    fn from(e: crate::live::LiveError) -> ApiError {
        use crate::live::LiveError as L;
        let status = match &e {
            L::Store(inner) => return ApiError::store(inner, "live room", "please retry"),
            L::UnknownShow(_)
            | L::UnknownDeal(_)
            | L::UnknownOrder(_)
            | L::UnknownPickup(_)
            | L::UnknownProduct(_)
            | L::UnknownBag(_) => StatusCode::NOT_FOUND,
            L::NotCancellable(_) | L::OrderChanged(_) | L::ShowClosed(_) | L::InUse(_) => {
                StatusCode::CONFLICT
            }
            L::Unavailable | L::StoreUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            L::NotStored => StatusCode::INTERNAL_SERVER_ERROR,
            L::InvalidChange(_) => StatusCode::BAD_REQUEST,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError::new(status, e.code(), e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.code, "message": self.message });
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            let retry = [(axum::http::header::RETRY_AFTER, "5")];
            return (self.status, retry, Json(body)).into_response();
        }
        (self.status, Json(body)).into_response()
    }
}

/// The whole HTTP surface: `/ws`, `/api/…`, the `/demo/{show}` page, uploaded `/pictures/…`, and
/// the widget from `dist`.
pub fn router(state: AppState, dist: &Path) -> Router {
    let api = Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/bags/{bag}", get(bag_record))
        .route("/shows/{show}/pictures", post(pictures::upload))
        .route("/shows/{show}/report", get(report::json))
        .route("/shows/{show}/orders", get(orders::find))
        .route("/shows/{show}/orders/{order}/change", post(orders::change))
        .route(
            "/shows/{show}/orders/{order}/phone",
            post(orders::reveal_phone),
        )
        .route("/shows/{show}/{file}", get(report::csv))
        .merge(manage::routes())
        .fallback(any(api_not_found))
        .method_not_allowed_fallback(method_not_allowed);
    // Everything but the WebSocket is compressed for clients that accept it (JSON, pages; the
    // widget's files come precompressed and pass through) and gets its cache policy.
    let http = Router::new()
        .route("/demo/{show}", get(demo::page))
        .route("/c/{community}", get(community_page::page))
        .route("/pictures/{file}", get(pictures::serve))
        .nest("/api", api)
        .fallback_service(assets::router(dist))
        .layer(axum::middleware::from_fn(assets::cache_policy))
        .layer(CompressionLayer::new());
    Router::new()
        .route("/ws", get(ws_upgrade))
        .merge(http)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        format!("{} does not take {method}", uri.path()),
    )
}

/// `200 {"status":"ok"}`, or `503 {"status":"degraded","reason":…}` while the store cannot write
/// (a load balancer or a monitor should take the node out or call someone). A disk below the
/// warning threshold adds a `warning` but stays 200: everything still works.
async fn health(State(state): State<AppState>) -> Response {
    let store = state.store.health();
    let protocol = mulin_shared::PROTOCOL_VERSION;
    if let Some(degraded) = store.degraded {
        let body = json!({
            "status": "degraded",
            "reason": degraded.reason,
            "since": degraded.since,
            "protocol": protocol,
        });
        return (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    }
    let mut body = json!({ "status": "ok", "protocol": protocol });
    if store.low_space
        && let Some(free) = store.free_bytes
    {
        body["warning"] = json!(format!(
            "the database's disk has {} MiB free; writes stop below {} MiB",
            free >> 20,
            state.store.space_limits().reserve >> 20
        ));
    }
    Json(body).into_response()
}

/// What `/api/metrics` answers: the live counters and what the process costs the machine.
#[derive(Debug, serde::Serialize)]
struct MetricsAnswer {
    #[serde(flatten)]
    live: crate::live::MetricsSnapshot,
    /// The node's WebSockets.
    connections: ConnectionCount,
    /// CPU time and resident memory of the server process; `null` where /proc cannot be read
    /// (not Linux). A load run from another machine reads the server's cost here.
    process: Option<crate::usage::ProcessUsage>,
    /// Lines of log or output that could not be written (a full disk, a closed pipe): dropped,
    /// never a crash (`logging`).
    log_lines_dropped: u64,
    /// Whether the store writes, the room on its disk, and writes it failed or refused.
    store: crate::store::StoreHealth,
}

async fn metrics(State(state): State<AppState>) -> Json<MetricsAnswer> {
    let process = match crate::usage::of_self() {
        Ok(usage) => Some(usage),
        Err(e) => {
            tracing::debug!(error = %e, "process usage");
            None
        }
    };
    Json(MetricsAnswer {
        live: state.live.metrics(),
        connections: ConnectionCount {
            open: state
                .max_connections
                .saturating_sub(state.connections.available_permits()),
            limit: state.max_connections,
        },
        process,
        log_lines_dropped: crate::logging::dropped(),
        store: state.store.health(),
    })
}

/// Open WebSocket connections and how many the node takes at once (as many as the process's
/// open-file limit can hold, or `--max-connections` if lower).
#[derive(Debug, serde::Serialize)]
struct ConnectionCount {
    open: usize,
    limit: usize,
}

/// A lucky bag as published, and once drawn its frozen entry list: everything anyone needs to
/// re-run the draw (docs/FAIRNESS.md), with no sign-in.
async fn bag_record(
    State(state): State<AppState>,
    axum::extract::Path(bag): axum::extract::Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let unknown = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::UnknownBag,
            format!("no lucky bag {bag:?}"),
        )
    };
    let id: i64 = bag.parse().map_err(|_| unknown())?;
    let internal = |e: crate::store::StoreError| {
        ApiError::store(
            &e,
            "bag record",
            "the server could not read the bag; please retry",
        )
    };
    let stored = state
        .store
        .bag(id)
        .await
        .map_err(internal)?
        .ok_or_else(unknown)?;
    let entries = match stored.bag.phase {
        mulin_shared::BagPhase::Drawn => Some(state.store.bag_entries(id).await.map_err(internal)?),
        mulin_shared::BagPhase::Open => None,
    };
    Ok(Json(json!({ "bag": stored.bag, "entries": entries })))
}

async fn api_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        "no such API route",
    )
}

async fn ws_upgrade(
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    State(state): State<AppState>,
    ConnectInfo(socket): ConnectInfo<Socket>,
) -> Response {
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => {
            return ApiError::new(
                rejection.status(),
                ErrorCode::BadRequest,
                format!("{} is a WebSocket: {}", "/ws", rejection.body_text()),
            )
            .into_response();
        }
    };
    let Ok(permit) = state.connections.clone().try_acquire_owned() else {
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Unavailable,
            "too many connections; retry shortly",
        )
        .into_response();
    };
    // Client frames are tiny: small buffers keep an idle viewer cheap (tungstenite allocates the
    // read buffer up front, per connection; a larger frame grows it, in reads of this size). The
    // writer flushes after each burst, so the write buffer only gathers the frames of one wake-up.
    // Frames up to four times the protocol limit are read and answered with `frame_too_large`;
    // anything larger closes the socket.
    ws.read_buffer_size(1024)
        .write_buffer_size(64 * 1024)
        .max_message_size(4 * MAX_FRAME_BYTES)
        .max_frame_size(4 * MAX_FRAME_BYTES)
        .on_upgrade(move |ws| session::run(ws, socket.stream().clone(), state, permit))
}

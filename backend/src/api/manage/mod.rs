//! The manager's HTTP API: a community's shows, staff, catalogue and audit log, under
//! `/api/communities/{community}/…`, and the invite links staff sign in with. Every route checks
//! the sender's token (`Authorization: Bearer …`) against the one permissions table, and every
//! change is written with its audit-log line in one transaction.
//!
//! Errors are `{ "error": code, "message": text }` like every HTTP error: a malformed body or
//! query gets `400 invalid_message`, an id that names nothing `404` with the thing's code.

mod catalogue;
mod counter;
mod mutes;
mod neighbours;
mod picking;
mod shows;
mod staff;

use axum::Router;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use mulin_shared::{CommunityId, ErrorCode};

use super::bearer::Signed;
use super::{ApiError, AppState};
use crate::auth::permissions::{self, Action, Scope};
use crate::store::Community;

/// The routes, to nest under `/api`.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/invites/{code}", post(staff::accept_invite))
        .route("/me", get(staff::me))
        .route(
            "/communities/{community}/shows",
            get(shows::list).post(shows::create),
        )
        .route("/communities/{community}/shows/{show}", put(shows::edit))
        .route(
            "/communities/{community}/shows/{show}/{step}",
            post(shows::change_status),
        )
        .route(
            "/communities/{community}/staff",
            get(staff::list).post(staff::invite),
        )
        .route("/communities/{community}/staff/{staff}", put(staff::change))
        .route(
            "/communities/{community}/staff/{staff}/invite",
            post(staff::renew_invite),
        )
        .route(
            "/communities/{community}/staff/{staff}/revoke",
            post(staff::revoke),
        )
        .route("/communities/{community}/audit", get(staff::audit))
        .route("/communities/{community}/catalogue", get(catalogue::read))
        .route(
            "/communities/{community}/products",
            post(catalogue::save_product),
        )
        .route(
            "/communities/{community}/products/{item}",
            put(catalogue::save_product).delete(catalogue::remove_product),
        )
        .route(
            "/communities/{community}/pickups",
            post(catalogue::save_pickup),
        )
        .route(
            "/communities/{community}/pickups/{item}",
            put(catalogue::save_pickup).delete(catalogue::remove_pickup),
        )
        .route(
            "/communities/{community}/mutes",
            get(mutes::list).post(mutes::mute),
        )
        .route(
            "/communities/{community}/mutes/{mute}/lift",
            post(mutes::lift),
        )
        .route(
            "/communities/{community}/neighbours",
            post(neighbours::register),
        )
        .route(
            "/communities/{community}/neighbours/find",
            post(neighbours::find),
        )
        .route(
            "/communities/{community}/placed-orders",
            get(neighbours::placed),
        )
        .route("/shows/{show}/proxy-orders", post(neighbours::order))
        .route(
            "/shows/{show}/neighbours/{resident}/held",
            get(neighbours::held),
        )
        .route("/communities/{community}/counter", get(counter::find))
        .route(
            "/communities/{community}/orders/{order}/hand-over",
            post(counter::hand_over),
        )
        .route(
            "/communities/{community}/orders/{order}/undo-hand-over",
            post(counter::undo),
        )
        .route(
            "/communities/{community}/pickups/{item}/day",
            get(counter::day),
        )
        .route(
            "/communities/{community}/pickups/{item}/received",
            post(counter::received),
        )
        .route("/pickup-qr/{value}", get(counter::qr_svg))
        .route("/communities/{community}/picking", get(picking::json))
        .route("/communities/{community}/{file}", get(picking::file))
        .route(
            "/communities/{community}/shows/{show}/cutoff",
            put(picking::set_cutoff),
        )
        .route(
            "/communities/{community}/pickup-days",
            get(picking::pickup_days).put(picking::set_pickup_days),
        )
        .route(
            "/communities/{community}/pictures",
            post(super::pictures::upload_for_community),
        )
}

/// A JSON body, or `400 invalid_message` saying what is wrong with it.
fn body<T>(body: Result<axum::Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|axum::Json(t)| t).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidMessage,
            e.body_text(),
        )
    })
}

/// A query, or `400 invalid_message` saying what is wrong with it.
fn query<T>(query: Result<axum::extract::Query<T>, QueryRejection>) -> Result<T, ApiError> {
    query.map(|q| q.0).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidMessage,
            e.body_text(),
        )
    })
}

/// An id in the path, or `404` with `code` when it is not a number.
fn id(text: &str, code: ErrorCode, what: &str) -> Result<i64, ApiError> {
    text.parse()
        .map_err(|_| ApiError::new(StatusCode::NOT_FOUND, code, format!("no {what} {text:?}")))
}

/// The community in the path, if it exists and `who` may do `action` there. Someone who may not
/// is refused the same way whether or not the community exists (`403`), so ids cannot be probed.
async fn community(
    state: &AppState,
    who: &Signed,
    community: &str,
    action: Action,
) -> Result<Community, ApiError> {
    let id: CommunityId = id(community, ErrorCode::UnknownCommunity, "community")?;
    let scope = Scope {
        community: id,
        show: None,
    };
    permissions::check(Some(&who.0), action, scope).map_err(forbidden)?;
    state
        .store
        .community(id)
        .await
        .map_err(|e| store_error(&e))?
        .ok_or_else(|| unknown_community(id))
}

/// `404 unknown_community`.
fn unknown_community(id: CommunityId) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::UnknownCommunity,
        format!("no community {id}"),
    )
}

fn forbidden(refused: permissions::Refused) -> ApiError {
    let status = match refused {
        permissions::Refused::NotSignedIn => StatusCode::UNAUTHORIZED,
        permissions::Refused::Forbidden => StatusCode::FORBIDDEN,
    };
    ApiError::new(
        status,
        refused.code(),
        "your role may not do this in this community",
    )
}

fn store_error(e: &crate::store::StoreError) -> ApiError {
    ApiError::store(
        e,
        "manager API",
        "the server could not do that; please retry",
    )
}

fn auth_error(e: crate::auth::AuthError) -> ApiError {
    match e {
        crate::auth::AuthError::Store(e) => store_error(&e),
        other => {
            tracing::error!(error = %other, "manager API");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                "the server could not do that; please retry",
            )
        }
    }
}

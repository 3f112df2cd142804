//! Ordering for a neighbour (代客下单), for grid workers and moderators:
//! - `POST /api/communities/{c}/neighbours/find` `{"phone":…}`: the resident with exactly that
//!   number (a whole number is needed: no list of numbers can be browsed);
//! - `POST /api/communities/{c}/neighbours`: registers one who has no account;
//! - `POST /api/shows/{s}/proxy-orders`: orders a live deal for them through the deal's desk, with
//!   the same limit and idempotency as their own Buy, recording who placed it;
//! - `GET /api/shows/{s}/neighbours/{r}/held`: what they hold of each of the show's deals;
//! - `GET /api/communities/{c}/placed-orders?since=`: the orders this member of staff placed.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mulin_shared::control::{Held, Neighbour, NeighbourDraft, PlacedOrder, ProxyOrder};
use mulin_shared::{ErrorCode, UtcMillis};
use serde::Deserialize;
use tokio::sync::{Semaphore, mpsc};

use super::super::bearer::{Signed, show_in_path, show_scope};
use super::{ApiError, AppState, body, community, query, store_error};
use crate::auth::permissions::Action;
use crate::live::{AnswerTo, Buyer, Decision};
use crate::now_ms;
use crate::store::Registered;

/// `{"phone": "13800138000"}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PhoneAsked {
    phone: String,
}

/// `POST /api/communities/{c}/neighbours/find`: the neighbour with that whole number.
pub(super) async fn find(
    State(state): State<AppState>,
    Path(community_id): Path<String>,
    who: Signed,
    asked: Result<Json<PhoneAsked>, JsonRejection>,
) -> Result<Json<Neighbour>, ApiError> {
    let community = community(&state, &who, &community_id, Action::OrderForResidents).await?;
    let asked = body(asked)?;
    let phone = mulin_shared::sign_in::clean_phone(&asked.phone).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidPhone,
            "a phone number is 11 digits starting with 1",
        )
    })?;
    let found = state
        .store
        .neighbour(community.id, &phone)
        .await
        .map_err(|e| store_error(&e))?;
    found.map(Json).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::UnknownResident,
            "no resident of this community has that number",
        )
    })
}

/// `POST /api/communities/{c}/neighbours` with a [`NeighbourDraft`]: `201` and the new resident,
/// or `200` and the one the number already has here.
pub(super) async fn register(
    State(state): State<AppState>,
    Path(community_id): Path<String>,
    who: Signed,
    draft: Result<Json<NeighbourDraft>, JsonRejection>,
) -> Result<(StatusCode, Json<Neighbour>), ApiError> {
    let community = community(&state, &who, &community_id, Action::OrderForResidents).await?;
    let draft = body(draft)?.check().map_err(|code| {
        let what = match code {
            ErrorCode::InvalidNickname => "a name is 1–24 characters on one line",
            ErrorCode::InvalidPhone => "a phone number is 11 digits starting with 1",
            _ => "a building and unit is at most 30 characters on one line",
        };
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, what)
    })?;
    match state
        .store
        .register_neighbour(community.id, &draft, &who.0.actor(), now_ms())
        .await
        .map_err(|e| store_error(&e))?
    {
        Registered::New(n) => Ok((StatusCode::CREATED, Json(n))),
        Registered::Existing(n) => Ok((StatusCode::OK, Json(n))),
        Registered::Elsewhere => Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::ResidentElsewhere,
            "this number belongs to a resident of another community",
        )),
    }
}

/// `?since=` (UTC ms): from when the list starts (the grid worker's midnight, say).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Since {
    #[serde(default)]
    since: Option<UtcMillis>,
}

/// `GET /api/communities/{c}/placed-orders?since=`: the orders the asker placed for neighbours
/// since then (the last day if not given), newest first.
pub(super) async fn placed(
    State(state): State<AppState>,
    Path(community_id): Path<String>,
    who: Signed,
    since: Result<Query<Since>, QueryRejection>,
) -> Result<Json<Vec<PlacedOrder>>, ApiError> {
    let community = community(&state, &who, &community_id, Action::OrderForResidents).await?;
    let since = query(since)?
        .since
        .unwrap_or_else(|| now_ms() - 24 * 60 * 60 * 1000);
    // A show token (from before staff accounts) is nobody's: it placed nothing to list.
    let Some(staff) = who.0.staff else {
        return Ok(Json(Vec::new()));
    };
    Ok(Json(
        state
            .store
            .placed_orders(community.id, staff, since)
            .await
            .map_err(|e| store_error(&e))?,
    ))
}

/// The show in the path, once `who` may order for residents in it.
async fn show_for_ordering(
    state: &AppState,
    who: &Signed,
    show: &str,
) -> Result<(mulin_shared::ShowId, crate::auth::permissions::Scope), ApiError> {
    let show = show_in_path(show)?;
    let scope = show_scope(state, show).await.map_err(|e| store_error(&e))?;
    crate::auth::permissions::check(Some(&who.0), Action::OrderForResidents, scope)
        .map_err(super::forbidden)?;
    Ok((show, scope))
}

/// Resident `id` of `community`, or `404 unknown_resident`.
async fn neighbour_of(
    state: &AppState,
    community: mulin_shared::CommunityId,
    id: mulin_shared::ResidentId,
) -> Result<Neighbour, ApiError> {
    state
        .store
        .neighbour_by_id(community, id)
        .await
        .map_err(|e| store_error(&e))?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::UnknownResident,
                format!("no resident {id} in this community"),
            )
        })
}

/// `GET /api/shows/{s}/neighbours/{r}/held`: what resident `r` of the show's community holds of
/// each of its deals, so the grid worker sees the limit coming instead of meeting it.
pub(super) async fn held(
    State(state): State<AppState>,
    Path((show, resident)): Path<(String, String)>,
    who: Signed,
) -> Result<Json<Vec<Held>>, ApiError> {
    let (show, scope) = show_for_ordering(&state, &who, &show).await?;
    // Not a number is no resident: the same answer as an unknown one.
    let id = resident.parse().unwrap_or(0);
    neighbour_of(&state, scope.community, id).await?;
    Ok(Json(
        state
            .store
            .held_in_show(show, id)
            .await
            .map_err(|e| store_error(&e))?,
    ))
}

/// `POST /api/shows/{s}/proxy-orders` with a [`ProxyOrder`]: `201` and the order once stored (a
/// retry with the same key answers the same order), or `409 refused` with the desk's `reason`,
/// `remaining` and `held`.
pub(super) async fn order(
    State(state): State<AppState>,
    Path(show): Path<String>,
    who: Signed,
    asked: Result<Json<ProxyOrder>, JsonRejection>,
) -> Result<Response, ApiError> {
    let (show, scope) = show_for_ordering(&state, &who, &show).await?;
    let asked = body(asked)?;
    let neighbour = neighbour_of(&state, scope.community, asked.resident).await?;
    if let Some(mute) = state
        .live
        .muted(scope.community, neighbour.resident, now_ms())
        .await?
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Muted,
            format!(
                "community staff stopped this resident's orders here: {}",
                mute.reason
            ),
        ));
    }
    let room = state.live.room(show).await?;
    // One answer comes back on this channel, exactly as to a resident's connection.
    let (to, mut answers) = mpsc::unbounded_channel();
    let slot = std::sync::Arc::new(Semaphore::new(1))
        .acquire_owned()
        .await
        .map_err(|_| ApiError::from(crate::live::LiveError::Unavailable))?;
    let buyer = Buyer {
        resident: neighbour.resident,
        nickname: neighbour.nickname,
        placed_by: who.0.staff,
    };
    room.submit_order(
        buyer,
        asked.deal,
        asked.qty,
        asked.pickup,
        asked.key,
        AnswerTo::new(to, slot),
    )
    .await?;
    let answer = answers
        .recv()
        .await
        .ok_or(ApiError::from(crate::live::LiveError::Unavailable))?;
    match answer.result? {
        Decision::Accepted(order) => Ok((StatusCode::CREATED, Json(order)).into_response()),
        Decision::Refused {
            reason,
            remaining,
            held,
        } => {
            let body = serde_json::json!({
                "error": ErrorCode::Refused,
                "message": format!("the deal's desk refused: {}", reason.as_str()),
                "reason": reason,
                "remaining": remaining,
                "held": held,
            });
            Ok((StatusCode::CONFLICT, Json(body)).into_response())
        }
    }
}

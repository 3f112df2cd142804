//! Muting: a community's moderators and managers stop a resident from ordering and entering lucky
//! bags there, for a time or until lifted, with a reason the resident is shown; the list of mutes
//! in force; lifting one. Each takes effect at the next purchase on this node.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use mulin_shared::ErrorCode;
use mulin_shared::control::{Mute, MuteDraft};

use super::{ApiError, AppState, Signed, body, community, id, store_error};
use crate::auth::permissions::Action;
use crate::now_ms;

/// `GET /api/communities/{c}/mutes`: the mutes in force, newest first.
pub(super) async fn list(
    State(state): State<AppState>,
    Path(community_id): Path<String>,
    who: Signed,
) -> Result<Json<Vec<Mute>>, ApiError> {
    let community = community(&state, &who, &community_id, Action::MuteResidents).await?;
    let mutes = state
        .store
        .mutes_in_force(community.id, now_ms())
        .await
        .map_err(|e| store_error(&e))?;
    Ok(Json(mutes))
}

/// `POST /api/communities/{c}/mutes` with a [`MuteDraft`]: `201` and the mute.
pub(super) async fn mute(
    State(state): State<AppState>,
    Path(community_id): Path<String>,
    who: Signed,
    draft: Result<Json<MuteDraft>, JsonRejection>,
) -> Result<(StatusCode, Json<Mute>), ApiError> {
    let community = community(&state, &who, &community_id, Action::MuteResidents).await?;
    let draft = body(draft)?.check().map_err(|why| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidMessage,
            why,
        )
    })?;
    let made = state
        .store
        .mute(community.id, &draft, &who.0.actor(), now_ms())
        .await
        .map_err(|e| store_error(&e))?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::UnknownResident,
                format!("no resident {} in this community", draft.resident),
            )
        })?;
    state.live.mutes_changed(community.id);
    Ok((StatusCode::CREATED, Json(made)))
}

/// `POST /api/communities/{c}/mutes/{id}/lift`: the mute, lifted.
pub(super) async fn lift(
    State(state): State<AppState>,
    Path((community_id, mute)): Path<(String, String)>,
    who: Signed,
) -> Result<Json<Mute>, ApiError> {
    let community = community(&state, &who, &community_id, Action::MuteResidents).await?;
    let mute = id(&mute, ErrorCode::UnknownMute, "mute")?;
    let lifted = state
        .store
        .lift_mute(community.id, mute, &who.0.actor(), now_ms())
        .await
        .map_err(|e| store_error(&e))?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::UnknownMute,
                "no such mute in force in this community",
            )
        })?;
    state.live.mutes_changed(community.id);
    Ok(Json(lifted))
}

//! A community's shows: listed for anyone (the community page), created, edited, started, ended
//! and cancelled by its managers.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use mulin_shared::community::{CommunityShows, ShowDraft, ShowProblem, ShowSummary};
use mulin_shared::{ErrorCode, ShowStatus};

use super::{ApiError, AppState, Signed, body, community, id, store_error, unknown_community};
use crate::auth::permissions::Action;
use crate::now_ms;
use crate::store::ShowChangeProblem;

/// `GET /api/communities/{c}/shows`: the community, its shows (latest start first) and its pickup
/// points. Public: residents' community page shows what is on, what is coming and where to collect.
pub(super) async fn list(
    State(state): State<AppState>,
    Path(community): Path<String>,
) -> Result<Json<CommunityShows>, ApiError> {
    let id = id(&community, ErrorCode::UnknownCommunity, "community")?;
    let store = &state.store;
    let failed = |e: crate::store::StoreError| store_error(&e);
    let found = store
        .community(id)
        .await
        .map_err(failed)?
        .ok_or_else(|| unknown_community(id))?;
    Ok(Json(CommunityShows {
        community: found,
        shows: store.shows_of(id).await.map_err(failed)?,
        pickup_points: store.pickup_points_of(id).await.map_err(failed)?,
    }))
}

fn invalid(problem: ShowProblem) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::InvalidShow,
        problem.to_string(),
    )
}

fn change_problem(problem: ShowChangeProblem) -> ApiError {
    match problem {
        ShowChangeProblem::Unknown => ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::UnknownShow,
            "no such show in this community",
        ),
        ShowChangeProblem::Closed => ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::ShowClosed,
            "the show has ended or was cancelled; it cannot change any more",
        ),
        ShowChangeProblem::CannotGo { from } => ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::InvalidStatusChange,
            format!(
                "the show is {}: only a scheduled show starts or is cancelled, only a live one ends",
                from.as_str()
            ),
        ),
        ShowChangeProblem::StartedAlready => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidShow,
            "the show is on air: its start cannot move",
        ),
    }
}

/// `POST /api/communities/{c}/shows` with a [`ShowDraft`]: `201` and the scheduled show.
pub(super) async fn create(
    State(state): State<AppState>,
    Path(community_id): Path<String>,
    who: Signed,
    draft: Result<Json<ShowDraft>, JsonRejection>,
) -> Result<(StatusCode, Json<ShowSummary>), ApiError> {
    let community = community(&state, &who, &community_id, Action::ManageShows).await?;
    let now = now_ms();
    let draft = body(draft)?.check(now).map_err(invalid)?;
    let show = state
        .store
        .schedule_show(community.id, &draft, &who.0.actor(), now)
        .await
        .map_err(|e| store_error(&e))?;
    Ok((StatusCode::CREATED, Json(show)))
}

/// `PUT /api/communities/{c}/shows/{s}` with a [`ShowDraft`]: the show as changed. Viewers of the
/// show see the new title and stream at once.
pub(super) async fn edit(
    State(state): State<AppState>,
    Path((community_id, show)): Path<(String, String)>,
    who: Signed,
    draft: Result<Json<ShowDraft>, JsonRejection>,
) -> Result<Json<ShowSummary>, ApiError> {
    let community = community(&state, &who, &community_id, Action::ManageShows).await?;
    let show = id(&show, ErrorCode::UnknownShow, "show")?;
    let now = now_ms();
    let draft = body(draft)?;
    // A live show keeps its start, which may be long past: only a new start is checked as one.
    let current = state
        .store
        .show_summary(community.id, show)
        .await
        .map_err(|e| store_error(&e))?
        .ok_or_else(|| change_problem(ShowChangeProblem::Unknown))?;
    let checked = if draft.starts_at == current.starts_at {
        ShowDraft {
            starts_at: now,
            ..draft.clone()
        }
        .check(now)
        .map(|clean| ShowDraft {
            starts_at: current.starts_at,
            ..clean
        })
    } else {
        draft.check(now)
    }
    .map_err(invalid)?;
    let edited = state
        .store
        .edit_show(community.id, show, &checked, &who.0.actor(), now)
        .await
        .map_err(|e| store_error(&e))?
        .map_err(change_problem)?;
    state.live.show_changed(show).await;
    Ok(Json(edited))
}

/// `POST /api/communities/{c}/shows/{s}/start`, `…/end` or `…/cancel`: the show as it is now.
/// Ending a show ends its deals still on sale and draws its open lucky bag.
pub(super) async fn change_status(
    State(state): State<AppState>,
    Path((community_id, show, step)): Path<(String, String, String)>,
    who: Signed,
) -> Result<Json<ShowSummary>, ApiError> {
    let to = match step.as_str() {
        "start" => ShowStatus::Live,
        "end" => ShowStatus::Ended,
        "cancel" => ShowStatus::Cancelled,
        _ => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                "a show can `start`, `end` or `cancel`",
            ));
        }
    };
    let community = community(&state, &who, &community_id, Action::ManageShows).await?;
    let show = id(&show, ErrorCode::UnknownShow, "show")?;
    let actor = who.0.actor();
    let changed = state
        .store
        .set_show_status(community.id, show, to, &actor, now_ms())
        .await
        .map_err(|e| store_error(&e))?
        .map_err(change_problem)?;
    if !to.is_open() {
        state.live.close_show(show, &actor).await;
    }
    state.live.show_changed(show).await;
    Ok(Json(changed))
}

//! Picking lists over HTTP: `GET /api/communities/{c}/picking?shows=1,2[&pickup=3]` as JSON, and
//! the same as `picking.csv` and `picking.xlsx` (`&lang=en` for English headings; Chinese by
//! default). A pickup clerk gets their own stores' lists only. Managers set a show's cut-off
//! (`PUT …/shows/{s}/cutoff`) and the community's pickup window (`PUT …/pickup-days`).

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use mulin_shared::pickup::{Cutoff, PICKUP_DAYS, PickingList};
use mulin_shared::{ErrorCode, PickupId, ShowId};
use serde_json::json;

use super::{ApiError, AppState, Signed, body, community, id, query, store_error};
use crate::auth::permissions::{self, Action, Scope};
use crate::now_ms;
use crate::store::CutoffOutcome;

mod export;

/// The most shows one list covers (a day's shows; a week's at most).
const MAX_SHOWS: usize = 20;

/// Query of the picking-list routes.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ListQuery {
    /// Show ids, comma-separated.
    shows: String,
    /// Only this pickup point.
    pickup: Option<PickupId>,
    /// `en` for English headings in files.
    lang: Option<String>,
}

/// The list `q` asks for, if `who` may read it.
async fn list(
    state: &AppState,
    who: &Signed,
    community_id: &str,
    q: &ListQuery,
) -> Result<PickingList, ApiError> {
    let cid: mulin_shared::CommunityId =
        id(community_id, ErrorCode::UnknownCommunity, "community")?;
    let scope = Scope {
        community: cid,
        show: None,
    };
    let stores = permissions::stores(Some(&who.0), Action::SeePickingLists, scope)
        .map_err(super::forbidden)?;
    let shows: Vec<ShowId> = q
        .shows
        .split(',')
        .map(|s| s.trim().parse::<ShowId>())
        .collect::<Result<_, _>>()
        .ok()
        .filter(|s: &Vec<ShowId>| !s.is_empty() && s.len() <= MAX_SHOWS)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidMessage,
                format!("shows: 1 to {MAX_SHOWS} show numbers, comma-separated"),
            )
        })?;
    let only: Option<Vec<PickupId>> = match (q.pickup, stores) {
        (Some(p), Some(mine)) if !mine.contains(&p) => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::Forbidden,
                "you serve other pickup points",
            ));
        }
        (Some(p), _) => Some(vec![p]),
        (None, mine) => mine,
    };
    state
        .store
        .picking_list(cid, &shows, only.as_deref(), now_ms())
        .await
        .map_err(|e| store_error(&e))?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::UnknownShow,
                "one of these shows is not this community's",
            )
        })
}

/// `GET /api/communities/{c}/picking?shows=…`: the picking list.
pub(super) async fn json(
    State(state): State<AppState>,
    Path(community_id): Path<String>,
    who: Signed,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<PickingList>, ApiError> {
    let q = query(q)?;
    Ok(Json(list(&state, &who, &community_id, &q).await?))
}

/// `GET /api/communities/{c}/picking.csv` or `picking.xlsx`.
pub(super) async fn file(
    State(state): State<AppState>,
    Path((community_id, file)): Path<(String, String)>,
    who: Signed,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let kind = match file.as_str() {
        "picking.csv" => export::Kind::Csv,
        "picking.xlsx" => export::Kind::Xlsx,
        _ => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                "no such API route",
            ));
        }
    };
    let q = query(q)?;
    let list = list(&state, &who, &community_id, &q).await?;
    let english = q.lang.as_deref() == Some("en");
    let shows: Vec<String> = list.shows.iter().map(|s| s.id.to_string()).collect();
    let name = format!("picking-{}", shows.join("-"));
    let (bytes, mime, ext) = match kind {
        export::Kind::Csv => (
            export::csv(&list, english).map_err(|e| e.to_string()),
            "text/csv; charset=utf-8",
            "csv",
        ),
        export::Kind::Xlsx => (
            export::xlsx(&list, english).map_err(|e| e.to_string()),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
    };
    let bytes = bytes.map_err(|e| {
        tracing::error!(error = %e, "picking list file");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "the file could not be made",
        )
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.{ext}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// `PUT /api/communities/{c}/shows/{s}/cutoff` with a [`Cutoff`]: when the show's picking list
/// freezes (in the future), or `null` to clear it. Refused once the list froze.
pub(super) async fn set_cutoff(
    State(state): State<AppState>,
    Path((community_id, show)): Path<(String, String)>,
    who: Signed,
    draft: Result<Json<Cutoff>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let community = community(&state, &who, &community_id, Action::SetPickupRules).await?;
    let show = id(&show, ErrorCode::UnknownShow, "show")?;
    let cutoff = body(draft)?;
    let now = now_ms();
    if cutoff.at.is_some_and(|at| at <= now) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidCutoff,
            "the cut-off has passed already: choose a moment still to come",
        ));
    }
    match state
        .store
        .set_cutoff(community.id, show, cutoff.at, &who.0.actor(), now)
        .await
        .map_err(|e| store_error(&e))?
    {
        CutoffOutcome::Set => Ok(Json(json!({ "show": show, "cutoff_at": cutoff.at }))),
        CutoffOutcome::Missing => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::UnknownShow,
            format!("no show {show} in this community"),
        )),
        CutoffOutcome::Frozen(at) => Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::InvalidCutoff,
            format!("the list froze already (at {at}); its cut-off cannot move"),
        )),
    }
}

/// Body of `PUT …/pickup-days`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PickupDays {
    days: i64,
}

/// `GET /api/communities/{c}/pickup-days`: `{"days": n}`, the community's pickup window.
pub(super) async fn pickup_days(
    State(state): State<AppState>,
    Path(community_id): Path<String>,
    who: Signed,
) -> Result<Json<serde_json::Value>, ApiError> {
    let community = community(&state, &who, &community_id, Action::SeePickingLists).await?;
    let days = state
        .store
        .pickup_days(community.id)
        .await
        .map_err(|e| store_error(&e))?;
    Ok(Json(json!({ "days": days })))
}

/// `PUT /api/communities/{c}/pickup-days` with `{"days": n}` (1–30): how long a ready order waits
/// for its resident (orders that become ready from now on).
pub(super) async fn set_pickup_days(
    State(state): State<AppState>,
    Path(community_id): Path<String>,
    who: Signed,
    draft: Result<Json<PickupDays>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let community = community(&state, &who, &community_id, Action::SetPickupRules).await?;
    let days = body(draft)?.days;
    if !PICKUP_DAYS.contains(&days) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidPickupDays,
            format!(
                "a pickup window is {} to {} days",
                PICKUP_DAYS.start(),
                PICKUP_DAYS.end()
            ),
        ));
    }
    state
        .store
        .set_pickup_days(community.id, days, &who.0.actor(), now_ms())
        .await
        .map_err(|e| store_error(&e))?;
    Ok(Json(json!({ "days": days })))
}

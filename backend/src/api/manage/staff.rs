//! A community's staff and audit log: invited, changed and revoked by its managers; invite links
//! used by the people invited; `/api/me` for whoever holds a token.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use mulin_shared::ErrorCode;
use mulin_shared::community::{
    AuditEntry, Invite, StaffDraft, StaffMember, StaffProblem, StaffSession,
};

use super::{ApiError, AppState, Signed, auth_error, body, community, id, query, store_error};
use crate::auth::permissions::Action;
use crate::now_ms;
use crate::store::{AuditFilter, InviteProblem, StaffChangeProblem};

fn invalid(problem: StaffProblem) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::InvalidStaff,
        problem.to_string(),
    )
}

fn change_problem(problem: StaffChangeProblem) -> ApiError {
    match problem {
        StaffChangeProblem::Unknown => ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::UnknownStaff,
            "no such person on this community's staff",
        ),
        StaffChangeProblem::Revoked => ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::UnknownStaff,
            "this person was revoked; invite them again as a new person",
        ),
        StaffChangeProblem::DuplicateName => ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::DuplicateName,
            "someone on the staff already has that name; add a family name or a number",
        ),
        StaffChangeProblem::UnknownPickup(p) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::UnknownPickup,
            format!("pickup point {p} is not this community's"),
        ),
        StaffChangeProblem::LastManager => ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::LastManager,
            "the community would have no manager left; make someone else a manager first",
        ),
    }
}

/// `POST /api/invites/{code}`: uses a one-time invite link; the answer holds the person's session
/// token. A used link is `410 invite_used`, an old one `410 invite_expired`.
pub(super) async fn accept_invite(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<StaffSession>, ApiError> {
    let accepted = state
        .sessions
        .accept_invite(&code, now_ms())
        .await
        .map_err(auth_error)?;
    accepted.map(Json).map_err(|problem| match problem {
        InviteProblem::Unknown => ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::UnknownInvite,
            "this invite link is not known here; check it, or ask the manager for a new one",
        ),
        InviteProblem::Used => ApiError::new(
            StatusCode::GONE,
            ErrorCode::InviteUsed,
            "this invite link was used already; each works once. Ask the manager for a new one",
        ),
        InviteProblem::Expired => ApiError::new(
            StatusCode::GONE,
            ErrorCode::InviteExpired,
            "this invite link is past its 7 days; ask the manager for a new one",
        ),
    })
}

/// `GET /api/me`: who the token is, with their roles and community.
pub(super) async fn me(Signed(who): Signed) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "name": who.nickname,
        "roles": who.roles,
        "staff": who.staff,
        "community": who.community,
        "show": who.show,
        "pickups": who.pickups,
        "resident": who.resident,
    }))
}

/// `GET /api/communities/{c}/staff`: everyone, revoked people last.
pub(super) async fn list(
    State(state): State<AppState>,
    Path(community_id): Path<String>,
    who: Signed,
) -> Result<Json<Vec<StaffMember>>, ApiError> {
    let community = community(&state, &who, &community_id, Action::ManageStaff).await?;
    let people = state
        .store
        .staff_of(community.id)
        .await
        .map_err(|e| store_error(&e))?;
    Ok(Json(people))
}

/// `POST /api/communities/{c}/staff` with a [`StaffDraft`]: `201` and the new person's one-time
/// link, shown this once.
pub(super) async fn invite(
    State(state): State<AppState>,
    Path(community_id): Path<String>,
    who: Signed,
    draft: Result<Json<StaffDraft>, JsonRejection>,
) -> Result<(StatusCode, Json<Invite>), ApiError> {
    let community = community(&state, &who, &community_id, Action::ManageStaff).await?;
    let draft = body(draft)?.check().map_err(invalid)?;
    let invite = state
        .sessions
        .invite(community.id, &draft, &who.0.actor(), now_ms())
        .await
        .map_err(auth_error)?
        .map_err(change_problem)?;
    Ok((StatusCode::CREATED, Json(invite)))
}

/// `PUT /api/communities/{c}/staff/{id}` with a [`StaffDraft`]: the person as changed. Their open
/// sessions end if they lost a role or pickup point.
pub(super) async fn change(
    State(state): State<AppState>,
    Path((community_id, staff)): Path<(String, String)>,
    who: Signed,
    draft: Result<Json<StaffDraft>, JsonRejection>,
) -> Result<Json<StaffMember>, ApiError> {
    let community = community(&state, &who, &community_id, Action::ManageStaff).await?;
    let staff = id(&staff, ErrorCode::UnknownStaff, "staff person")?;
    let draft = body(draft)?.check().map_err(invalid)?;
    let changed = state
        .sessions
        .change_staff(community.id, staff, &draft, &who.0.actor(), now_ms())
        .await
        .map_err(auth_error)?
        .map_err(change_problem)?;
    Ok(Json(changed))
}

/// `POST /api/communities/{c}/staff/{id}/invite`: a new one-time link for a person who lost theirs.
pub(super) async fn renew_invite(
    State(state): State<AppState>,
    Path((community_id, staff)): Path<(String, String)>,
    who: Signed,
) -> Result<(StatusCode, Json<Invite>), ApiError> {
    let community = community(&state, &who, &community_id, Action::ManageStaff).await?;
    let staff = id(&staff, ErrorCode::UnknownStaff, "staff person")?;
    let invite = state
        .sessions
        .renew_invite(community.id, staff, &who.0.actor(), now_ms())
        .await
        .map_err(auth_error)?
        .map_err(change_problem)?;
    Ok((StatusCode::CREATED, Json(invite)))
}

/// `POST /api/communities/{c}/staff/{id}/revoke`: the person's roles and sessions end at once.
pub(super) async fn revoke(
    State(state): State<AppState>,
    Path((community_id, staff)): Path<(String, String)>,
    who: Signed,
) -> Result<Json<StaffMember>, ApiError> {
    let community = community(&state, &who, &community_id, Action::ManageStaff).await?;
    let staff = id(&staff, ErrorCode::UnknownStaff, "staff person")?;
    let revoked = state
        .sessions
        .revoke_staff(community.id, staff, &who.0.actor(), now_ms())
        .await
        .map_err(auth_error)?
        .map_err(change_problem)?;
    Ok(Json(revoked))
}

/// `GET /api/communities/{c}/audit?show=&staff=&action=&before=&limit=`: the log, newest first.
pub(super) async fn audit(
    State(state): State<AppState>,
    Path(community_id): Path<String>,
    who: Signed,
    filter: Result<Query<AuditFilter>, QueryRejection>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    let community = community(&state, &who, &community_id, Action::ReadAudit).await?;
    let filter = query(filter)?;
    let lines = state
        .store
        .audit_log(community.id, &filter)
        .await
        .map_err(|e| store_error(&e))?;
    Ok(Json(lines))
}
